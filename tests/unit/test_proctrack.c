/*
 * proctrack: naming writers, with real processes and the real process
 * connector (which needs root).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "tlib.h"

#include "proctrack.h"

static pid_t
spawn(const char *cmd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A live process: proven from /proc through its pidfd. */
static void
test_live_proven(void **state)
{
	struct proctrack *p;
	struct procinfo pi;
	pid_t pid;
	int pidfd;

	(void)state;
	p = proctrack_new(true);
	pid = spawn("exec sleep 30");
	tlib_sleep_ms(100);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(pidfd >= 0);
	proctrack_lookup(p, pid, pidfd, 0, &pi);
	assert_int_equal(pi.pid, pid);
	assert_string_equal(pi.name, "sleep");
	assert_string_equal(pi.executable, "/usr/bin/sleep");
	assert_int_equal(pi.ppid, getpid());
	assert_true(pi.have_uid);
	assert_int_equal(pi.uid, geteuid());
	procinfo_release(&pi);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pidfd);
	proctrack_free(p);
}

/* A pidfd whose process is gone proves nothing: pid only, no guess. */
static void
test_dead_without_history(void **state)
{
	struct proctrack *p;
	struct procinfo pi;
	pid_t pid;
	int pidfd;

	(void)state;
	pid = spawn("exit 0");
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	waitpid(pid, NULL, 0);
	p = proctrack_new(true);	/* no history of that process */
	proctrack_lookup(p, pid, pidfd, clock_mono_ns(), &pi);
	assert_int_equal(pi.pid, pid);
	assert_null(pi.name);
	assert_null(pi.executable);
	procinfo_release(&pi);
	if (pidfd >= 0)
		close(pidfd);
	proctrack_free(p);
}

/*
 * A short-lived writer reaped before its event is read: named from the
 * connector history when its lifetime is the only one of its pid that
 * ended inside the window; not named when the window excludes it.
 */
static void
test_exited_from_history(void **state)
{
	struct proctrack *p;
	struct procinfo pi;
	struct proctrack_stats st;
	uint64_t window;
	pid_t pid;

	(void)state;
	tlib_require_root("the process connector");
	p = proctrack_new(true);
	proctrack_stats(p, &st);
	assert_true(st.connector);
	window = clock_mono_ns();
	/*
	 * The daemon reads the connector as soon as it is readable; do the
	 * same while the shell runs, so its exec is seen while /proc still
	 * holds its image.  The lookup comes after it was reaped.
	 */
	pid = spawn("echo x > /dev/null; sleep 0.2");
	for (int i = 0; i < 10; i++) {
		proctrack_read(p);
		tlib_sleep_ms(10);
	}
	waitpid(pid, NULL, 0);
	proctrack_lookup(p, pid, -1, window, &pi);
	assert_int_equal(pi.pid, pid);
	assert_non_null(pi.executable);
	assert_string_equal(pi.executable, "/usr/bin/dash");
	assert_string_equal(pi.name, "sh");
	procinfo_release(&pi);
	/* The same lookup with a window opening after its exit: unnamed. */
	proctrack_lookup(p, pid, -1, clock_mono_ns(), &pi);
	assert_null(pi.name);
	procinfo_release(&pi);
	proctrack_stats(p, &st);
	assert_int_equal(st.cached, 1);
	assert_int_equal(st.unnamed, 1);
	proctrack_free(p);
}

/* A forked child that never executes carries its parent's image. */
static void
test_fork_inherits(void **state)
{
	struct proctrack *p;
	struct procinfo pi;
	uint64_t window;
	char exe[4096];
	ssize_t n;
	pid_t pid;

	(void)state;
	tlib_require_root("the process connector");
	p = proctrack_new(true);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	window = clock_mono_ns();
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	proctrack_lookup(p, pid, -1, window, &pi);
	assert_non_null(pi.executable);
	assert_string_equal(pi.executable, exe);
	assert_int_equal(pi.ppid, getpid());
	procinfo_release(&pi);
	proctrack_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_proven),
		cmocka_unit_test(test_dead_without_history),
		cmocka_unit_test(test_exited_from_history),
		cmocka_unit_test(test_fork_inherits),
	};

	return cmocka_run_group_tests_name("proctrack", tests, NULL, NULL);
}
