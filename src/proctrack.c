/*
 * Writer attribution (proctrack.h; the rooms in proctrack_int.h).
 *
 * The history maps each pid to its last few lifetimes.  A lifetime
 * starts at a fork (or is first seen at an exec or exit of a process
 * older than the daemon), carries what is known of its image, and ends at
 * its exit.  Ended lifetimes are kept PROCTRACK_TTL_NS so that events read
 * late can still be matched, then dropped.  Everything happens on the
 * loop thread; the sockets are drained before each judgement.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <sys/stat.h>

#include "clock.h"
#include "pathmap.h"
#include "proctrack_int.h"
#include "xmalloc.h"

#define PROCTRACK_TTL_NS	(120ULL * 1000000000ULL)
#define PROCTRACK_MAX_PIDS	200000

struct user_entry {
	uint32_t uid;		/* the map key */
	char	*name;		/* NULL: no such user */
};

static int
connector_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = CN_IDX_PROC,
	};
	char req[NLMSG_SPACE(sizeof(struct cn_msg) +
	    sizeof(enum proc_cn_mcast_op))] __attribute__((aligned(8)));
	struct nlmsghdr *nh = (struct nlmsghdr *)(void *)req;
	struct cn_msg *cn;
	enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
	int fd, r, size = 8 << 20;

	fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_CONNECTOR);
	if (fd < 0)
		return -errno;
	/* Fork storms must not overrun it: ask for a large buffer. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	memset(req, 0, sizeof(req));
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(op));
	nh->nlmsg_type = NLMSG_DONE;
	nh->nlmsg_pid = (uint32_t)getpid();
	cn = NLMSG_DATA(nh);
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	if (send(fd, req, nh->nlmsg_len, 0) < 0)
		goto fail;
	return fd;
fail:
	r = -errno;
	close(fd);
	return r;
}

/*
 * Signal 0 to ourselves is always permitted, so EPERM here can only come
 * from a filter in front of the system call (seccomp, as with systemd's
 * SystemCallErrorNumber=EPERM).  Only when the call gets through does
 * EPERM for another process mean the kernel found it and refused.
 */
static bool
eperm_means_alive(void)
{
	bool ok;
	int fd;

	if ((fd = (int)syscall(SYS_pidfd_open, getpid(), 0)) < 0)
		return false;
	ok = syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0;
	close(fd);
	return ok;
}

struct proctrack *
proctrack_new(bool use_connector)
{
	struct proctrack *p;
	int fd;

	p = xcalloc(1, sizeof(*p));
	p->eperm_alive = eperm_means_alive();
	p->hist = pathmap_new();
	p->users = pathmap_new();
	p->ts = -1;
	fd = use_connector ? connector_open() : -1;
	p->nl = fd >= 0 ? fd : -1;
	p->stats.connector = p->nl >= 0;
	/* Records are matched to connector lifetimes: only with one. */
	if (p->nl >= 0)
		pt_exits_open(p);
	return p;
}

static void
history_free(struct pid_history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i].exe);
	free(h);
}

static bool
free_history(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	history_free(value);
	return true;
}

static bool
free_user(const char *key, size_t len, void *value, void *arg)
{
	struct user_entry *u = value;

	(void)key;
	(void)len;
	(void)arg;
	free(u->name);
	free(u);
	return true;
}

void
proctrack_free(struct proctrack *p)
{
	if (p == NULL)
		return;
	if (p->nl >= 0)
		close(p->nl);
	pt_exits_close(p);
	pathmap_foreach(p->hist, free_history, NULL);
	pathmap_free(p->hist);
	pathmap_foreach(p->users, free_user, NULL);
	pathmap_free(p->users);
	free(p);
}

int
proctrack_fd(const struct proctrack *p)
{
	return p->nl;
}

struct pid_history *
pt_history_get(struct proctrack *p, pid_t pid, bool create)
{
	struct pid_history *h;

	h = pathmap_get(p->hist, (const char *)&pid, sizeof(pid));
	if (h != NULL || !create)
		return h;
	if (pathmap_count(p->hist) >= PROCTRACK_MAX_PIDS) {
		/* A lifetime goes untracked: exit records must know. */
		p->untracked_ns = clock_mono_ns();
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->pid = pid;
	h->created_ns = clock_mono_ns();
	pathmap_put(p->hist, (const char *)&h->pid, sizeof(h->pid), h);
	return h;
}

/* A new lifetime for pid, dropping the oldest when the ring is full. */
static struct lifetime *
lifetime_push(struct proctrack *p, pid_t pid, uint64_t start_ns)
{
	struct pid_history *h = pt_history_get(p, pid, true);
	struct lifetime *lt;
	uint64_t end;

	if (h == NULL)
		return NULL;
	if (h->n == LIFETIMES_PER_PID) {
		end = h->v[0].exit_ns != 0 ? h->v[0].exit_ns : UINT64_MAX;
		if (end > h->dropped_ns)
			h->dropped_ns = end;
		free(h->v[0].exe);
		memmove(&h->v[0], &h->v[1], sizeof(h->v[0]) * (h->n - 1));
		h->n--;
	}
	lt = &h->v[h->n++];
	memset(lt, 0, sizeof(*lt));
	lt->start_ns = start_ns;
	return lt;
}

/* The latest lifetime of pid, ended or not, or NULL. */
static struct lifetime *
lifetime_last(struct proctrack *p, pid_t pid)
{
	struct pid_history *h = pt_history_get(p, pid, false);

	return h == NULL || h->n == 0 ? NULL : &h->v[h->n - 1];
}

/* The lifetime of pid that has not ended, or NULL. */
static struct lifetime *
lifetime_current(struct proctrack *p, pid_t pid)
{
	struct pid_history *h = pt_history_get(p, pid, false);

	if (h == NULL || h->n == 0 || h->v[h->n - 1].exit_ns != 0)
		return NULL;
	return &h->v[h->n - 1];
}

static int
read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/*
 * lt's executable from /proc/PID/exe: the file itself, opened, gives the
 * path and the identity (device, inode) of one and the same file, even
 * if the process executes another meanwhile.
 */
static void
read_exe(pid_t pid, struct lifetime *lt)
{
	char path[64], buf[4096];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) == 0 &&
	    (n = readlink(path, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		free(lt->exe);
		lt->exe = xstrdup(buf);
		lt->have_exe_id = true;
		lt->exe_dev = st.st_dev;
		lt->exe_ino = st.st_ino;
	}
	close(fd);
}

/* Fill lt from /proc/PID, best effort (the process may be gone). */
static void
read_proc(pid_t pid, struct lifetime *lt)
{
	char path[64], buf[4096], *nl, *line;
	unsigned ruid, euid;
	int ppid;

	read_exe(pid, lt);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		if ((nl = strchr(buf, '\n')) != NULL)
			*nl = '\0';
		buf[sizeof(lt->comm) - 1] = '\0';
		memcpy(lt->comm, buf, strlen(buf) + 1);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0) {
		if ((line = strstr(buf, "\nPPid:")) != NULL &&
		    sscanf(line + 6, "%d", &ppid) == 1)
			lt->ppid = ppid;
		if ((line = strstr(buf, "\nUid:")) != NULL &&
		    sscanf(line + 5, "%u %u", &ruid, &euid) == 2) {
			lt->uid = euid;
			lt->have_uid = true;
		}
	}
}

static void
lifetime_copy_image(struct lifetime *dst, const struct lifetime *src)
{
	free(dst->exe);
	dst->exe = src->exe != NULL ? xstrdup(src->exe) : NULL;
	memcpy(dst->comm, src->comm, sizeof(dst->comm));
	dst->have_uid = src->have_uid;
	dst->uid = src->uid;
	dst->have_exe_id = src->have_exe_id;
	dst->exe_dev = src->exe_dev;
	dst->exe_ino = src->exe_ino;
}

static void
on_fork(struct proctrack *p, const struct proc_event *ev)
{
	pid_t parent = ev->event_data.fork.parent_tgid;
	pid_t child = ev->event_data.fork.child_tgid;
	struct lifetime *plt, *lt;

	if (ev->event_data.fork.child_pid != child)
		return;		/* a new thread, not a new process */
	if (lifetime_current(p, parent) == NULL &&
	    (plt = lifetime_push(p, parent, 0)) != NULL) {
		read_proc(parent, plt);	/* first sight of an old process */
		pt_exe_learn(p, plt);
	}
	if ((lt = lifetime_push(p, child, ev->timestamp_ns)) == NULL)
		return;
	if ((plt = lifetime_current(p, parent)) != NULL)
		lifetime_copy_image(lt, plt);
	lt->ppid = parent;
}

static void
on_exec(struct proctrack *p, const struct proc_event *ev)
{
	pid_t pid = ev->event_data.exec.process_tgid;
	struct lifetime *lt;

	if ((lt = lifetime_current(p, pid)) == NULL &&
	    (lt = lifetime_push(p, pid, 0)) == NULL)
		return;
	/*
	 * The old image no longer applies, nor the old effective uid (a
	 * set-user-ID program changes it without a uid event); what /proc
	 * says now does.  When the process is already gone, that is
	 * nothing, and its exit record will name it.
	 */
	free(lt->exe);
	lt->exe = NULL;
	lt->comm[0] = '\0';
	lt->have_uid = false;
	lt->have_exe_id = false;
	read_proc(pid, lt);
	pt_exe_learn(p, lt);
}

static void
on_exit_event(struct proctrack *p, const struct proc_event *ev)
{
	pid_t pid = ev->event_data.exit.process_tgid;
	struct lifetime *lt;

	if (ev->event_data.exit.process_pid != pid)
		return;		/* a thread */
	if ((lt = lifetime_current(p, pid)) == NULL &&
	    (lt = lifetime_push(p, pid, 0)) == NULL)
		return;
	lt->exit_ns = ev->timestamp_ns != 0 ? ev->timestamp_ns : 1;
}

static void
on_event(struct proctrack *p, const struct proc_event *ev)
{
	struct lifetime *lt;

	switch (ev->what) {
	case PROC_EVENT_FORK:
		on_fork(p, ev);
		break;
	case PROC_EVENT_EXEC:
		on_exec(p, ev);
		break;
	case PROC_EVENT_UID:
		if ((lt = lifetime_current(p,
		    ev->event_data.id.process_tgid)) != NULL) {
			lt->uid = ev->event_data.id.e.euid;
			lt->have_uid = true;
		}
		break;
	case PROC_EVENT_COMM:
		if (ev->event_data.comm.process_pid ==
		    ev->event_data.comm.process_tgid &&
		    (lt = lifetime_current(p,
		    ev->event_data.comm.process_tgid)) != NULL)
			snprintf(lt->comm, sizeof(lt->comm), "%.*s",
			    (int)sizeof(ev->event_data.comm.comm),
			    ev->event_data.comm.comm);
		break;
	case PROC_EVENT_EXIT:
		on_exit_event(p, ev);
		break;
	default:
		break;
	}
}

struct expiry {
	uint64_t now;
	pid_t	*victims;
	size_t	 n;
};

static bool
find_expired(const char *key, size_t len, void *value, void *arg)
{
	struct pid_history *h = value;
	struct expiry *x = arg;
	const struct lifetime *last;

	(void)key;
	(void)len;
	last = h->n > 0 ? &h->v[h->n - 1] : NULL;
	if (last == NULL || (last->exit_ns != 0 &&
	    x->now - last->exit_ns > PROCTRACK_TTL_NS))
		x->victims[x->n++] = h->pid;
	return true;
}

static void
history_expire(struct proctrack *p)
{
	struct pid_history *h;
	struct expiry x;
	size_t i;

	x.now = clock_mono_ns();
	if (x.now - p->last_expiry < PROCTRACK_TTL_NS / 4)
		return;
	p->last_expiry = x.now;
	x.victims = xcalloc(pathmap_count(p->hist) + 1, sizeof(*x.victims));
	x.n = 0;
	pathmap_foreach(p->hist, find_expired, &x);
	for (i = 0; i < x.n; i++) {
		h = pathmap_remove(p->hist, (const char *)&x.victims[i],
		    sizeof(x.victims[i]));
		/* Exit records must know what is no longer there. */
		if (h->n > 0 && h->v[h->n - 1].exit_ns > p->expired_ns)
			p->expired_ns = h->v[h->n - 1].exit_ns;
		history_free(h);
	}
	free(x.victims);
}

void
proctrack_read(struct proctrack *p)
{
	char buf[65536] __attribute__((aligned(8)));
	struct sockaddr_nl from;
	socklen_t fromlen;
	struct nlmsghdr *nh;
	struct cn_msg *cn;
	struct proc_event ev;
	ssize_t n;

	if (p->nl < 0)
		return;
	/*
	 * Exit records first: each is then followed by the connector
	 * events sent before it, which pt_exits_match relies on.
	 */
	pt_exits_read(p);
	for (;;) {
		memset(&from, 0, sizeof(from));
		fromlen = sizeof(from);
		n = recvfrom(p->nl, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			p->lost_ns = clock_mono_ns();
			p->stats.connector_lost++;
			continue;
		}
		if (n <= 0)
			break;
		/* Only the kernel speaks for processes (see taskstats.c). */
		if (fromlen < sizeof(from) || from.nl_pid != 0)
			continue;
		for (nh = (struct nlmsghdr *)(void *)buf;
		    NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type != NLMSG_DONE)
				continue;
			cn = NLMSG_DATA(nh);
			if (cn->id.idx != CN_IDX_PROC ||
			    cn->len < sizeof(struct proc_event))
				continue;
			/*
			 * The event follows a 20-byte cn_msg header, so it is
			 * only 4-byte aligned in the buffer: copy it out.
			 */
			memcpy(&ev, cn->data, sizeof(ev));
			on_event(p, &ev);
		}
	}
	pt_exits_match(p);
	history_expire(p);
}

static const char *
user_name(struct proctrack *p, uint32_t uid)
{
	struct user_entry *u;
	struct passwd pw, *res = NULL;
	char buf[4096];

	u = pathmap_get(p->users, (const char *)&uid, sizeof(uid));
	if (u != NULL)
		return u->name;
	u = xcalloc(1, sizeof(*u));
	u->uid = uid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		u->name = xstrdup(pw.pw_name);
	pathmap_put(p->users, (const char *)&u->uid, sizeof(u->uid), u);
	return u->name;
}

static void
fill(struct proctrack *p, const struct lifetime *lt, struct procinfo *ret)
{
	const char *u;

	if (lt->comm[0] != '\0')
		ret->name = xstrdup(lt->comm);
	else if (lt->exe != NULL)
		ret->name = xstrdup(strrchr(lt->exe, '/') != NULL ?
		    strrchr(lt->exe, '/') + 1 : lt->exe);
	if (lt->exe != NULL)
		ret->executable = xstrdup(lt->exe);
	ret->ppid = lt->ppid;
	if (lt->have_uid) {
		ret->have_uid = true;
		ret->uid = lt->uid;
		if ((u = user_name(p, lt->uid)) != NULL)
			ret->user_name = xstrdup(u);
	}
}

static void
read_loginuid(struct proctrack *p, pid_t pid, struct procinfo *ret)
{
	char path[64], buf[32];
	unsigned long v;
	const char *u;

	snprintf(path, sizeof(path), "/proc/%d/loginuid", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return;
	v = strtoul(buf, NULL, 10);
	if (v == 4294967295UL)
		return;		/* no login session */
	ret->have_loginuid = true;
	ret->loginuid = (uint32_t)v;
	if ((u = user_name(p, ret->loginuid)) != NULL)
		ret->login_name = xstrdup(u);
}

/*
 * Does the process behind pidfd still exist?  Signal 0 is checked, never
 * sent.  The kernel looks the process up before it checks permission, so
 * ESRCH means gone and EPERM means found but not ours to signal: a writer
 * of another uid when the daemon lacks CAP_KILL, as under the shipped
 * unit.  EPERM is trusted only when no filter forges it (eperm_alive).
 */
static bool
pidfd_alive(const struct proctrack *p, int pidfd)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0)
		return true;
	return errno == EPERM && p->eperm_alive;
}

/*
 * The writer's ancestors, from ppid up: each from its live lifetime in
 * the history when the connector saw it (forks and execs keep it
 * current), else from /proc.  The chain is what the kernel says now: an
 * ancestor that exited was re-parented away and is simply not named.
 */
static void
ancestry(struct proctrack *p, pid_t ppid, struct procinfo *ret)
{
	struct procinfo_ancestor *a;
	const struct lifetime *lt;
	struct lifetime tmp;
	pid_t pid = ppid;

	while (pid > 1 && ret->nancestors < PROCINFO_MAX_ANCESTORS) {
		memset(&tmp, 0, sizeof(tmp));
		lt = lifetime_current(p, pid);
		if (lt == NULL || lt->exit_ns != 0 ||
		    (lt->comm[0] == '\0' && lt->exe == NULL)) {
			read_proc(pid, &tmp);
			lt = &tmp;
		}
		if (lt->comm[0] == '\0' && lt->exe == NULL) {
			free(tmp.exe);
			break;
		}
		if (ret->ancestors == NULL)
			ret->ancestors = xcalloc(PROCINFO_MAX_ANCESTORS,
			    sizeof(*ret->ancestors));
		a = &ret->ancestors[ret->nancestors++];
		a->pid = pid;
		a->name = lt->comm[0] != '\0' ? xstrdup(lt->comm) : NULL;
		a->executable = lt->exe != NULL ? xstrdup(lt->exe) : NULL;
		pid = lt->ppid == pid ? 0 : lt->ppid;
		free(tmp.exe);
	}
}

/*
 * Read /proc/PID and keep it only if the pidfd proves it was the writer;
 * a read that established no name proves nothing worth counting.
 */
static bool
lookup_proven(struct proctrack *p, pid_t pid, int pidfd, struct procinfo *ret)
{
	struct lifetime tmp, *cur;

	memset(&tmp, 0, sizeof(tmp));
	read_proc(pid, &tmp);
	if (!pidfd_alive(p, pidfd) ||
	    (tmp.comm[0] == '\0' && tmp.exe == NULL)) {
		free(tmp.exe);
		return false;
	}
	pt_exe_learn(p, &tmp);
	/*
	 * A zombie has no exe link; its lifetime may still know it.  Drain
	 * the sockets first: the last lifetime of pid is then the writer's
	 * (its fork, exec and exit record were all sent before it became a
	 * zombie, and the pid cannot be taken again while it is one), and
	 * its exit record has checked the executable it carries.
	 */
	if (tmp.exe == NULL && p->lost_ns == 0) {
		proctrack_read(p);
		if ((cur = lifetime_last(p, pid)) != NULL && cur->exe != NULL &&
		    (cur->recorded || p->ts < 0))
			tmp.exe = xstrdup(cur->exe);
	}
	fill(p, &tmp, ret);
	read_loginuid(p, pid, ret);
	free(tmp.exe);
	return true;
}

/* The only lifetime of pid that ended after window_start, or NULL. */
static const struct lifetime *
lifetime_in_window(struct proctrack *p, pid_t pid, uint64_t window_start)
{
	struct pid_history *h = pt_history_get(p, pid, false);
	const struct lifetime *found = NULL;
	size_t i;

	if (h == NULL)
		return NULL;
	for (i = 0; i < h->n; i++) {
		if (h->v[i].exit_ns == 0 || h->v[i].exit_ns <= window_start)
			continue;
		if (found != NULL)
			return NULL;	/* two candidates: never guess */
		found = &h->v[i];
	}
	if (found != NULL && found->exe == NULL && found->comm[0] == '\0')
		return NULL;
	return found;
}

/*
 * The writer's lifetime from the history, or NULL.  With exit records,
 * only one its record has checked: the image of a lifetime copied from
 * a parent read late, or read late itself, may be another's.  The record
 * is sent before the exit event, so one more drain brings it when the
 * exit was read just after the records.
 */
static const struct lifetime *
history_writer(struct proctrack *p, pid_t pid, uint64_t window_start)
{
	const struct lifetime *lt;

	if (p->nl < 0 || window_start == 0 || p->lost_ns >= window_start)
		return NULL;
	lt = lifetime_in_window(p, pid, window_start);
	if (lt == NULL || p->ts < 0 || lt->recorded)
		return lt;
	proctrack_read(p);
	if (p->lost_ns >= window_start)
		return NULL;
	lt = lifetime_in_window(p, pid, window_start);
	return lt != NULL && lt->recorded ? lt : NULL;
}

void
proctrack_lookup(struct proctrack *p, pid_t pid, int pidfd,
    uint64_t window_start, struct procinfo *ret)
{
	const struct lifetime *lt;

	procinfo_init(ret);
	if (pid <= 0)
		return;
	ret->pid = pid;
	p->stats.lookups++;
	if (pidfd >= 0 && lookup_proven(p, pid, pidfd, ret)) {
		p->stats.proven++;
		ancestry(p, ret->ppid, ret);
		return;
	}
	procinfo_release(ret);
	procinfo_init(ret);
	ret->pid = pid;
	proctrack_read(p);
	if ((lt = history_writer(p, pid, window_start)) != NULL) {
		fill(p, lt, ret);
		p->stats.cached++;
		ancestry(p, ret->ppid, ret);
		return;
	}
	p->stats.unnamed++;
}

void
proctrack_stats(const struct proctrack *p, struct proctrack_stats *ret)
{
	*ret = p->stats;
	ret->cache_entries = pathmap_count(p->hist);
}
