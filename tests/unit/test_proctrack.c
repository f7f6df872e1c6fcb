/*
 * proctrack: naming writers, with real processes and the real process
 * connector (which needs root).
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

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

#define NOBODY	65534

/* Wait until pid's comm reads comm (it has executed that program). */
static void
wait_comm(pid_t pid, const char *comm)
{
	char path[64], *got;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (i = 0; i < 200; i++) {
		got = tlib_read(path, NULL);
		if (got != NULL && strncmp(got, comm, strlen(comm)) == 0 &&
		    got[strlen(comm)] == '\n') {
			free(got);
			return;
		}
		free(got);
		tlib_sleep_ms(10);
	}
	fail_msg("pid %d never executed %s", (int)pid, comm);
}

/* A child of another uid running "sleep 30", once it has executed. */
static pid_t
spawn_sleeper_as(uid_t uid)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(126);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	wait_comm(pid, "sleep");
	return pid;
}

/* What a lookup in a restricted child saw, sent back through a pipe. */
struct verdict {
	int	 sig_errno;	/* of pidfd_send_signal(pidfd, 0): 0 or errno */
	int	 restricted;	/* 0 when the restriction took hold */
	uint64_t proven;
	uint64_t unnamed;
	bool	 have_uid;
	uint32_t uid;
	char	 name[32];
	char	 exe[256];
};

/*
 * Look pid up through pidfd in a child that first applies limit (which
 * cannot be undone), as the daemon would under that restriction.
 */
static void
lookup_restricted(pid_t pid, int pidfd, int (*limit)(void),
    struct verdict *ret)
{
	struct proctrack *p;
	struct proctrack_stats st;
	struct procinfo pi;
	struct verdict v;
	int fds[2], status;
	pid_t c;

	assert_int_equal(pipe(fds), 0);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		memset(&v, 0, sizeof(v));
		v.restricted = limit();
		p = proctrack_new(false);
		v.sig_errno = syscall(SYS_pidfd_send_signal, pidfd, 0, NULL,
		    0) < 0 ? errno : 0;
		proctrack_lookup(p, pid, pidfd, 0, &pi);
		proctrack_stats(p, &st);
		v.proven = st.proven;
		v.unnamed = st.unnamed;
		v.have_uid = pi.have_uid;
		v.uid = pi.uid;
		snprintf(v.name, sizeof(v.name), "%s",
		    pi.name != NULL ? pi.name : "");
		snprintf(v.exe, sizeof(v.exe), "%s",
		    pi.executable != NULL ? pi.executable : "");
		_exit(write(fds[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], ret, sizeof(*ret)), sizeof(*ret));
	close(fds[0]);
	assert_int_equal(waitpid(c, &status, 0), c);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(ret->restricted, 0);
}

/*
 * The shipped unit's bounding set has no CAP_KILL: the daemon keeps uid 0
 * and CAP_SYS_PTRACE.  Drop CAP_KILL the same way.
 */
static int
drop_cap_kill(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[CAP_KILL / 32].effective &= ~(1U << (CAP_KILL % 32));
	d[CAP_KILL / 32].permitted &= ~(1U << (CAP_KILL % 32));
	d[CAP_KILL / 32].inheritable &= ~(1U << (CAP_KILL % 32));
	return syscall(SYS_capset, &h, d) < 0 ? -1 : 0;
}

/*
 * A writer of another uid, looked up without CAP_KILL: the kernel refuses
 * the signal with EPERM, which shows it found the process, so /proc is
 * proven and the writer is named.
 */
static void
test_other_uid_without_cap_kill(void **state)
{
	struct verdict v;
	pid_t pid;
	int pidfd;

	(void)state;
	tlib_require_root("a writer of another uid");
	pid = spawn_sleeper_as(NOBODY);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(pidfd >= 0);
	lookup_restricted(pid, pidfd, drop_cap_kill, &v);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pidfd);
	assert_int_equal(v.sig_errno, EPERM);	/* the case under test */
	assert_string_equal(v.name, "sleep");
	assert_string_equal(v.exe, "/usr/bin/sleep");
	assert_true(v.have_uid);
	assert_int_equal(v.uid, NOBODY);
	assert_int_equal(v.proven, 1);
	assert_int_equal(v.unnamed, 0);
}

/*
 * A seccomp filter that answers pidfd_send_signal with EPERM itself (as
 * systemd's SystemCallErrorNumber=EPERM would) proves nothing: the
 * kernel never looked for the process, so the writer is not named.  (A
 * test filter: it matches the call's number without checking the
 * architecture, which is enough for this process.)
 */
static int
filter_pidfd_signal(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_send_signal,
		    0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]),
		.filter = f,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ? -1 : 0;
}

static void
test_filtered_signal_proves_nothing(void **state)
{
	struct verdict v;
	pid_t pid;
	int pidfd;

	(void)state;
	pid = spawn("exec sleep 30");
	tlib_sleep_ms(100);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(pidfd >= 0);
	lookup_restricted(pid, pidfd, filter_pidfd_signal, &v);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pidfd);
	assert_int_equal(v.sig_errno, EPERM);	/* the case under test */
	assert_string_equal(v.name, "");
	assert_string_equal(v.exe, "");
	assert_int_equal(v.proven, 0);
	assert_int_equal(v.unnamed, 1);
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

static void
put_file(const char *dir, const char *name)
{
	char *path = tlib_fmt("%s/%s", dir, name);

	tlib_write(path, "x", 1);
	free(path);
}

/* Run /bin/mv (a short-lived writer): dir/from to dir/to. */
static pid_t
spawn_mv(const char *dir, const char *from, const char *to)
{
	char *a = tlib_fmt("%s/%s", dir, from);
	char *b = tlib_fmt("%s/%s", dir, to);
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/mv", "mv", a, b, (char *)NULL);
		_exit(127);
	}
	free(a);
	free(b);
	return pid;
}

/* Reap pid, reading the connector whenever it is readable meanwhile. */
static void
reap_reading(struct proctrack *p, pid_t pid)
{
	struct pollfd pfd = { .fd = proctrack_fd(p), .events = POLLIN };
	int status;

	for (;;) {
		(void)poll(&pfd, 1, 10);
		proctrack_read(p);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
assert_named(struct proctrack *p, pid_t pid, uint64_t window,
    const char *name, const char *exe)
{
	struct procinfo pi;

	proctrack_lookup(p, pid, -1, window, &pi);
	assert_int_equal(pi.pid, pid);
	assert_non_null(pi.name);
	assert_string_equal(pi.name, name);
	if (exe != NULL) {
		assert_non_null(pi.executable);
		assert_string_equal(pi.executable, exe);
	} else
		assert_null(pi.executable);
	assert_int_equal(pi.ppid, getpid());
	procinfo_release(&pi);
}

/*
 * mv dir/a dir/b read promptly, until the tracker read its image at the
 * exec (an mv can end before even a prompt read of /proc, which then
 * learns nothing of it): what the late case below relies on.
 */
static void
learn_mv(struct proctrack *p, const char *dir)
{
	struct procinfo pi;
	uint64_t window;
	pid_t pid;
	bool named;
	int i;

	for (i = 0; i < 50; i++) {
		window = clock_mono_ns();
		pid = spawn_mv(dir, "a", "b");
		reap_reading(p, pid);
		proctrack_lookup(p, pid, -1, window, &pi);
		named = pi.executable != NULL &&
		    strcmp(pi.executable, "/usr/bin/mv") == 0;
		procinfo_release(&pi);
		if (named)
			return;
		reap(spawn_mv(dir, "b", "a"));
	}
	fail_msg("no prompt read of mv's image in 50 tries");
}

/*
 * mv, exited and reaped before its event is read, while the daemon read
 * the connector as soon as it was readable: named from the image read
 * at its exec.  An mv can end before even a prompt read of /proc, so
 * this holds for one of a few tries (learn_mv), not for every one.
 */
static void
test_short_lived_read_at_exec(void **state)
{
	struct proctrack *p;
	char *dir;

	(void)state;
	tlib_require_root("the process connector");
	dir = tlib_mkdtemp("proctrack-mv");
	put_file(dir, "a");
	p = proctrack_new(true);
	learn_mv(p, dir);
	proctrack_free(p);
	tlib_rmrf(dir);
	free(dir);
}

/*
 * The same writers while the daemon was busy and read nothing until they
 * were reaped: /proc no longer knows them, their exit records do.  mv,
 * executed before, is named with its executable, known by identity;
 * chmod, never seen, by its name alone: an executable is never guessed.
 */
static void
test_short_lived_read_late(void **state)
{
	struct proctrack *p;
	struct proctrack_stats st;
	uint64_t window;
	char *dir, *f;
	pid_t pid;

	(void)state;
	tlib_require_root("the process connector and exit records");
	dir = tlib_mkdtemp("proctrack-late");
	put_file(dir, "a");
	p = proctrack_new(true);
	proctrack_stats(p, &st);
	assert_true(st.exit_records);
	learn_mv(p, dir);			/* seen once, promptly */
	window = clock_mono_ns();
	pid = spawn_mv(dir, "b", "a");
	reap(pid);
	assert_named(p, pid, window, "mv", "/usr/bin/mv");
	f = tlib_fmt("%s/a", dir);
	window = clock_mono_ns();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/chmod", "chmod", "600", f, (char *)NULL);
		_exit(127);
	}
	reap(pid);
	assert_named(p, pid, window, "chmod", NULL);
	proctrack_stats(p, &st);
	assert_true(st.records >= 3);
	assert_int_equal(st.unnamed, 0);
	free(f);
	proctrack_free(p);
	tlib_rmrf(dir);
	free(dir);
}

/*
 * A parent older than the tracker forks a child that exits at once, then
 * executes sleep, all before anything is read.  Seen late, the parent's
 * /proc says sleep, which the child never ran: the child's exit record
 * corrects its name and drops the executable it does not match.
 */
static void
test_late_parent_image_corrected(void **state)
{
	struct proctrack *p;
	struct procinfo pi;
	uint64_t window;
	char self[32], stat[64], *comm, *line;
	int go[2], back[2];
	pid_t parent, child;

	(void)state;
	tlib_require_root("the process connector and exit records");
	comm = tlib_read("/proc/self/comm", NULL);
	assert_non_null(comm);
	snprintf(self, sizeof(self), "%.*s", (int)strcspn(comm, "\n"), comm);
	free(comm);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(back), 0);
	parent = fork();
	assert_true(parent >= 0);
	if (parent == 0) {
		char c;

		if (read(go[0], &c, 1) != 1)
			_exit(1);
		if ((child = fork()) == 0)
			_exit(0);
		if (write(back[1], &child, sizeof(child)) != sizeof(child))
			_exit(1);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	p = proctrack_new(true);
	window = clock_mono_ns();
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(read(back[0], &child, sizeof(child)), sizeof(child));
	wait_comm(parent, "sleep");
	/* The child is a zombie of the parent once it has exited. */
	snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)child);
	for (int i = 0; i < 200; i++) {
		line = tlib_read(stat, NULL);
		if (line != NULL && strstr(line, ") Z ") != NULL) {
			free(line);
			break;
		}
		free(line);
		tlib_sleep_ms(10);
	}
	proctrack_lookup(p, child, -1, window, &pi);
	assert_non_null(pi.name);
	assert_string_equal(pi.name, self);
	if (pi.executable != NULL)
		assert_string_not_equal(pi.executable, "/usr/bin/sleep");
	procinfo_release(&pi);
	kill(parent, SIGKILL);
	waitpid(parent, NULL, 0);
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);
	proctrack_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_proven),
		cmocka_unit_test(test_dead_without_history),
		cmocka_unit_test(test_other_uid_without_cap_kill),
		cmocka_unit_test(test_filtered_signal_proves_nothing),
		cmocka_unit_test(test_exited_from_history),
		cmocka_unit_test(test_fork_inherits),
		cmocka_unit_test(test_short_lived_read_at_exec),
		cmocka_unit_test(test_short_lived_read_late),
		cmocka_unit_test(test_late_parent_image_corrected),
	};

	return cmocka_run_group_tests_name("proctrack", tests, NULL, NULL);
}
