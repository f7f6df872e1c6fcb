/* notify: datagrams to $NOTIFY_SOCKET, absent socket, watchdog variables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tlib.h"

#include "notify.h"

static int
bind_dgram(const char *path, bool abstract)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (abstract)
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

static void
test_send_path_and_abstract(void **state)
{
	char *dir = tlib_mkdtemp("notify"), *path, buf[256], abs[64];
	ssize_t n;
	int fd;

	(void)state;
	path = tlib_fmt("%s/n.sock", dir);
	fd = bind_dgram(path, false);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(notify_enabled(), 1);
	assert_int_equal(notify_send("READY=1\nSTATUS=watching %d files", 3), 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=watching 3 files");
	close(fd);

	snprintf(abs, sizeof(abs), "@fimd-test-%d", (int)getpid());
	fd = bind_dgram(abs, true);
	setenv("NOTIFY_SOCKET", abs, 1);
	assert_int_equal(notify_send("WATCHDOG=1"), 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "WATCHDOG=1");
	close(fd);

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_enabled(), 0);
	assert_int_equal(notify_send("READY=1"), 0);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

static void
test_watchdog_env(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "60000000", 1);
	assert_int_equal(notify_watchdog_usec(), 60000000);
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 0);	/* meant for another */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 60000000);
	setenv("WATCHDOG_USEC", "soon", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_path_and_abstract),
		cmocka_unit_test(test_watchdog_env),
	};

	return cmocka_run_group_tests_name("notify", tests, NULL, NULL);
}
