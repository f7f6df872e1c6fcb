/*
 * proctrack: naming writers, with real processes and the real process
 * connector (which needs root).
 */
#include <errno.h>
#include <grp.h>
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

/* A child of another uid running "sleep 30", once it has executed. */
static pid_t
spawn_sleeper_as(uid_t uid)
{
	char path[64], *comm;
	pid_t pid = fork();
	int i;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(126);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (i = 0; i < 200; i++) {
		comm = tlib_read(path, NULL);
		if (comm != NULL && strcmp(comm, "sleep\n") == 0) {
			free(comm);
			return pid;
		}
		free(comm);
		tlib_sleep_ms(10);
	}
	fail_msg("pid %d never executed sleep", (int)pid);
	return -1;
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
	};

	return cmocka_run_group_tests_name("proctrack", tests, NULL, NULL);
}
