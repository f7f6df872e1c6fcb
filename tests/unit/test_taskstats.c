/*
 * taskstats: the kernel's exit records, with real processes and threads
 * (registering needs CAP_NET_ADMIN, so root).
 */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"

#include "taskstats.h"

/*
 * Read records for up to ms, until one of pid comes: 1 and *ret, or 0.
 * *ret_seen (when not NULL) tells whether one of pid seen came before.
 */
static int
await_record(int fd, pid_t pid, unsigned ms, struct taskstats_exit *ret,
    pid_t seen, bool *ret_seen)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	double deadline = tlib_now() + ms / 1000.0;
	struct taskstats_exit x;
	int r;

	while (tlib_now() < deadline) {
		(void)poll(&pfd, 1, 20);
		while ((r = taskstats_recv(fd, &x)) != -EAGAIN) {
			assert_true(r >= 0 || r == -ENOBUFS);
			if (r == 1 && x.pid == seen && ret_seen != NULL)
				*ret_seen = true;
			if (r == 1 && x.pid == pid) {
				*ret = x;
				return 1;
			}
		}
	}
	return 0;
}

/* An exited program's record: its name, parent, uid and executable. */
static void
test_exit_record(void **state)
{
	struct taskstats_exit x;
	struct stat st;
	pid_t pid;
	int fd;

	(void)state;
	tlib_require_root("taskstats registration");
	fd = taskstats_open();
	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(await_record(fd, pid, 2000, &x, 0, NULL), 1);
	assert_string_equal(x.comm, "true");
	assert_int_equal(x.ppid, getpid());
	assert_int_equal(x.uid, getuid());
	assert_int_equal(stat("/usr/bin/true", &st), 0);
	assert_true(x.have_exe);
	assert_true(x.exe_dev == (uint64_t)st.st_dev);
	assert_true(x.exe_ino == (uint64_t)st.st_ino);
	close(fd);
}

static void *
named_thread(void *arg)
{
	pid_t *tid = arg;

	*tid = gettid();
	(void)prctl(PR_SET_NAME, "worker", 0, 0, 0);
	return NULL;
}

/*
 * A thread that exits is not a process that exits: its record is not
 * given, the process's own record (with the leader's name) is.
 */
static void
test_thread_exit_refused(void **state)
{
	struct taskstats_exit x;
	bool seen = false;
	int fds[2], fd;
	pid_t pid, tid = 0;

	(void)state;
	tlib_require_root("taskstats registration");
	fd = taskstats_open();
	assert_true(fd >= 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t;

		(void)prctl(PR_SET_NAME, "leader", 0, 0, 0);
		if (pthread_create(&t, NULL, named_thread, &tid) != 0 ||
		    pthread_join(t, NULL) != 0)
			_exit(1);
		_exit(write(fds[1], &tid, sizeof(tid)) == sizeof(tid) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &tid, sizeof(tid)), sizeof(tid));
	close(fds[0]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_true(tid > 0 && tid != pid);
	/* The thread exited first: its record would come first. */
	assert_int_equal(await_record(fd, pid, 2000, &x, tid, &seen), 1);
	assert_false(seen);
	assert_string_equal(x.comm, "leader");
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_record),
		cmocka_unit_test(test_thread_exit_refused),
	};

	return cmocka_run_group_tests_name("taskstats", tests, NULL, NULL);
}
