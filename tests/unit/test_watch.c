/*
 * watch: real kernel watches (inotify always, fanotify as root) on temp
 * directories, driven by a poll loop like the daemon's: event kinds and
 * full paths, renames as one event, new directory trees without a race,
 * renamed directories, own-pid and ignore-list filtering, odd bytes in
 * names, attribution, overflow, file and missing roots, tmpfs.
 */
#include <sys/mount.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"

#include "pathmap.h"

#include "watch.h"
#include "watch_fanotify_int.h"

struct got {
	unsigned flags;
	char	*path;
	char	*old;
	pid_t	 pid;
	bool	 pidfd;
	char	*reason;
};

struct harness {
	struct watch *w;
	char	*dir;
	struct got *v;
	size_t	 n, alloc;
};

static void
on_event(const struct watch_event *ev, void *arg)
{
	struct harness *h = arg;
	struct got *g;

	if (h->n == h->alloc) {
		h->alloc = h->alloc == 0 ? 64 : h->alloc * 2;
		h->v = realloc(h->v, h->alloc * sizeof(*h->v));
		assert_non_null(h->v);
	}
	g = &h->v[h->n++];
	g->flags = ev->flags;
	g->path = strndup(ev->path, ev->len);
	g->old = ev->old_path != NULL ? strndup(ev->old_path, ev->old_len) :
	    NULL;
	g->pid = ev->pid;
	g->pidfd = ev->pidfd >= 0;
	g->reason = ev->reason != NULL ? strdup(ev->reason) : NULL;
	/* The watch promises a path without a NUL inside, of length len. */
	assert_int_equal(strlen(g->path), ev->len);
}

static void
forget(struct harness *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].path);
		free(h->v[i].old);
		free(h->v[i].reason);
	}
	h->n = 0;
}

static void
setup_h(struct harness *h, enum backend_kind kind, const char *tag)
{
	struct diag dg;

	memset(h, 0, sizeof(*h));
	if (kind == BACKEND_FANOTIFY)
		tlib_require_root("fanotify watch");
	diag_init(&dg);
	assert_int_equal(watch_open(kind, NULL, 0, &h->w, &dg), 0);
	diag_release(&dg);
	h->dir = tlib_mkdtemp(tag);
}

static void
teardown_h(struct harness *h)
{
	forget(h);
	free(h->v);
	watch_free(h->w);
	tlib_rmrf(h->dir);
	free(h->dir);
}

static void
add_root(struct harness *h, const char *path)
{
	assert_int_equal(watch_add_root(h->w, path, strlen(path)), 0);
}

/* Run the loop for ms milliseconds, reading whatever comes. */
static void
pump(struct harness *h, unsigned ms)
{
	double end = tlib_now() + ms / 1000.0;
	struct pollfd pfd;
	int hold, r, wait;

	pfd.fd = watch_fd(h->w);
	pfd.events = POLLIN;
	for (;;) {
		wait = (int)((end - tlib_now()) * 1000);
		if (wait < 0)
			break;
		if ((hold = watch_hold_ms(h->w)) >= 0 && hold < wait)
			wait = hold;
		r = poll(&pfd, 1, wait);
		if (r > 0)
			while (watch_read(h->w, on_event, h) == 1)
				;
		else {
			(void)watch_read(h->w, on_event, h);
			if (watch_hold_ms(h->w) == 0)
				watch_flush(h->w, on_event, h);
		}
	}
	if (watch_hold_ms(h->w) >= 0) {
		tlib_sleep_ms((unsigned)watch_hold_ms(h->w) + 1);
		watch_flush(h->w, on_event, h);
	}
}

/* The first event on path carrying every flag of want, or NULL. */
static struct got *
find(struct harness *h, const char *path, unsigned want)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->v[i].path, path) == 0 &&
		    (h->v[i].flags & want) == want)
			return &h->v[i];
	return NULL;
}

/* Flags of every event on path, or-ed. */
static unsigned
flags_of(struct harness *h, const char *path)
{
	unsigned fl = 0;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->v[i].path, path) == 0)
			fl |= h->v[i].flags;
	return fl;
}

/* Pump until an event on path with want arrives (2 s at most). */
static struct got *
await(struct harness *h, const char *path, unsigned want)
{
	double end = tlib_now() + 2.0;
	struct got *g;

	while ((g = find(h, path, want)) == NULL && tlib_now() < end)
		pump(h, 20);
	return g;
}

enum op { OP_WRITE, OP_CHMOD, OP_UNLINK, OP_MKDIR, OP_RENAME };

/*
 * Do one change in a child process: fanotify drops the events of the
 * watching process itself, as it must for the daemon.
 */
static void
child_do(enum op op, const char *a, const char *b)
{
	int fd, status, r = 0;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		switch (op) {
		case OP_WRITE:
			fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			    0644);
			if (fd < 0 || write(fd, b, strlen(b)) !=
			    (ssize_t)strlen(b) || close(fd) < 0)
				r = -1;
			break;
		case OP_CHMOD:
			r = chmod(a, 0600);
			break;
		case OP_UNLINK:
			r = unlink(a);
			break;
		case OP_MKDIR:
			r = mkdir(a, 0755);
			break;
		case OP_RENAME:
			r = rename(a, b);
			break;
		}
		_exit(r == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
write_file(const char *path, const char *data)
{
	child_do(OP_WRITE, path, data);
}

/* Each backend runs every test; fanotify only as root. */
static enum backend_kind
kind_of(void **state)
{
	return (enum backend_kind)(intptr_t)*state;
}

static void
test_file_events(void **state)
{
	enum backend_kind kind = kind_of(state);
	struct harness h;
	char *f;

	setup_h(&h, kind, "watch-file");
	add_root(&h, h.dir);
	pump(&h, 10);
	forget(&h);
	f = tlib_fmt("%s/f", h.dir);
	write_file(f, "one");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	assert_true(flags_of(&h, f) & WEV_CREATE);
	assert_true(flags_of(&h, f) & WEV_MODIFY);
	assert_false(flags_of(&h, f) & WEV_ISDIR);
	forget(&h);
	child_do(OP_CHMOD, f, NULL);
	assert_non_null(await(&h, f, WEV_ATTRIB));
	forget(&h);
	child_do(OP_UNLINK, f, NULL);
	assert_non_null(await(&h, f, WEV_DELETE));
	/* A directory gets WEV_ISDIR. */
	forget(&h);
	free(f);
	f = tlib_fmt("%s/d", h.dir);
	child_do(OP_MKDIR, f, NULL);
	assert_non_null(await(&h, f, WEV_CREATE | WEV_ISDIR));
	free(f);
	teardown_h(&h);
}

static void
test_rename_is_one_event(void **state)
{
	struct harness h;
	char *a, *b;
	size_t i, renames = 0;

	setup_h(&h, kind_of(state), "watch-rename");
	a = tlib_fmt("%s/a", h.dir);
	b = tlib_fmt("%s/b", h.dir);
	write_file(a, "x");
	add_root(&h, h.dir);
	pump(&h, 10);
	forget(&h);
	child_do(OP_RENAME, a, b);
	assert_non_null(await(&h, b, WEV_RENAME));
	pump(&h, 50);
	for (i = 0; i < h.n; i++) {
		if (h.v[i].flags & WEV_RENAME) {
			renames++;
			assert_string_equal(h.v[i].old, a);
			assert_string_equal(h.v[i].path, b);
		}
		assert_false(h.v[i].flags & (WEV_MOVED_FROM | WEV_MOVED_TO));
	}
	assert_int_equal(renames, 1);
	free(a);
	free(b);
	teardown_h(&h);
}

/* mkdir -p a/b/c and a write in c, repeated: the write is never lost. */
static void
test_new_tree_no_race(void **state)
{
	struct harness h;
	char *f;
	int i;

	setup_h(&h, kind_of(state), "watch-tree");
	add_root(&h, h.dir);
	pump(&h, 10);
	for (i = 0; i < 30; i++) {
		assert_int_equal(tlib_sh("mkdir -p '%s/t%d/a/b/c' && "
		    "echo x > '%s/t%d/a/b/c/f'", h.dir, i, h.dir, i), 0);
	}
	for (i = 0; i < 30; i++) {
		f = tlib_fmt("%s/t%d/a/b/c/f", h.dir, i);
		if (await(&h, f, 0) == NULL)
			fail_msg("no event for %s", f);
		free(f);
	}
	/* And a later write deep inside is seen through the new watches. */
	forget(&h);
	f = tlib_fmt("%s/t7/a/b/c/g", h.dir);
	write_file(f, "y");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	free(f);
	teardown_h(&h);
}

static void
test_renamed_dir_new_paths(void **state)
{
	struct harness h;
	char *x, *x2, *f, *old;
	struct got *g;

	setup_h(&h, kind_of(state), "watch-dirmv");
	assert_int_equal(tlib_sh("mkdir -p '%s/x/y'", h.dir), 0);
	add_root(&h, h.dir);
	pump(&h, 10);
	x = tlib_fmt("%s/x", h.dir);
	x2 = tlib_fmt("%s/x2", h.dir);
	child_do(OP_RENAME, x, x2);
	assert_non_null(g = await(&h, x2, WEV_RENAME | WEV_ISDIR));
	assert_string_equal(g->old, x);
	forget(&h);
	f = tlib_fmt("%s/x2/y/f", h.dir);
	old = tlib_fmt("%s/x/y/f", h.dir);
	write_file(f, "z");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	assert_null(find(&h, old, 0));
	free(x);
	free(x2);
	free(f);
	free(old);
	teardown_h(&h);
}

/* A directory moved out of the root stops reporting. */
static void
test_dir_moved_out(void **state)
{
	struct harness h;
	char *root, *in, *out, *f;

	setup_h(&h, kind_of(state), "watch-out");
	root = tlib_fmt("%s/root", h.dir);
	assert_int_equal(tlib_sh("mkdir -p '%s/root/sub' '%s/else'", h.dir,
	    h.dir), 0);
	add_root(&h, root);
	pump(&h, 10);
	in = tlib_fmt("%s/sub", root);
	out = tlib_fmt("%s/else/sub", h.dir);
	child_do(OP_RENAME, in, out);
	assert_non_null(await(&h, in, WEV_ISDIR));
	forget(&h);
	f = tlib_fmt("%s/f", out);
	write_file(f, "q");
	pump(&h, 100);
	assert_int_equal(h.n, 0);
	free(root);
	free(in);
	free(out);
	free(f);
	teardown_h(&h);
}

static void
test_ignore_path(void **state)
{
	struct harness h;
	char *ign, *other;

	setup_h(&h, kind_of(state), "watch-ignore");
	ign = tlib_fmt("%s/baseline.json", h.dir);
	other = tlib_fmt("%s/other", h.dir);
	watch_ignore_path(h.w, ign, strlen(ign));
	add_root(&h, h.dir);
	pump(&h, 10);
	assert_int_equal(tlib_sh("echo a > '%s'; echo b > '%s'", ign, other),
	    0);
	assert_non_null(await(&h, other, WEV_CLOSE_WRITE));
	pump(&h, 30);
	assert_null(find(&h, ign, 0));
	free(ign);
	free(other);
	teardown_h(&h);
}

static void
test_odd_bytes(void **state)
{
	struct harness h;
	char *f, *d;

	setup_h(&h, kind_of(state), "watch-bytes");
	add_root(&h, h.dir);
	pump(&h, 10);
	d = tlib_fmt("%s/dir\n\xfe", h.dir);
	child_do(OP_MKDIR, d, NULL);
	assert_non_null(await(&h, d, WEV_CREATE | WEV_ISDIR));
	f = tlib_fmt("%s/new\nline\xff", d);
	write_file(f, "x");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	/* Made before the directory's event was read: still reported. */
	free(f);
	f = tlib_fmt("%s/\x80\x81", h.dir);
	child_do(OP_MKDIR, f, NULL);
	free(d);
	d = tlib_fmt("%s/\x01\t\xc3(", f);
	write_file(d, "y");
	assert_non_null(await(&h, d, 0));
	free(f);
	free(d);
	teardown_h(&h);
}

/* A root that is a file: only its own name passes, siblings do not. */
static void
test_file_root(void **state)
{
	struct harness h;
	char *f, *sib;

	setup_h(&h, kind_of(state), "watch-froot");
	f = tlib_fmt("%s/conf", h.dir);
	sib = tlib_fmt("%s/sibling", h.dir);
	write_file(f, "1");
	add_root(&h, f);
	pump(&h, 10);
	write_file(sib, "2");
	write_file(f, "3");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	pump(&h, 30);
	assert_null(find(&h, sib, 0));
	free(f);
	free(sib);
	teardown_h(&h);
}

/* A missing root: its creation and what is written in it are seen. */
static void
test_missing_root(void **state)
{
	struct harness h;
	char *root, *f;
	size_t i;
	bool seen = false;

	setup_h(&h, kind_of(state), "watch-missing");
	root = tlib_fmt("%s/later/deep", h.dir);
	add_root(&h, root);
	pump(&h, 10);
	assert_int_equal(tlib_sh("mkdir -p '%s'", root), 0);
	pump(&h, 100);
	for (i = 0; i < h.n; i++)
		if (strcmp(h.v[i].path, root) == 0 &&
		    (h.v[i].flags & (WEV_GAP | WEV_CREATE)))
			seen = true;
	assert_true(seen);
	forget(&h);
	f = tlib_fmt("%s/f", root);
	write_file(f, "x");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	free(root);
	free(f);
	teardown_h(&h);
}

/* inotify's queue holds max_queued_events; more is WEV_OVERFLOW. */
static void
test_overflow(void **state)
{
	struct harness h;
	char *a, *b, *f, *s;
	long max, i;

	(void)state;
	setup_h(&h, BACKEND_INOTIFY, "watch-ovf");
	s = tlib_read("/proc/sys/fs/inotify/max_queued_events", NULL);
	assert_non_null(s);
	max = strtol(s, NULL, 10);
	free(s);
	a = tlib_fmt("%s/a", h.dir);
	b = tlib_fmt("%s/b", h.dir);
	write_file(a, "");
	write_file(b, "");
	add_root(&h, h.dir);
	pump(&h, 10);
	/* Alternate so that no two queued events are identical (merged). */
	for (i = 0; i <= max / 2 + 16; i++) {
		assert_int_equal(chmod(a, i & 1 ? 0600 : 0644), 0);
		assert_int_equal(chmod(b, i & 1 ? 0600 : 0644), 0);
	}
	assert_non_null(await(&h, "/", WEV_OVERFLOW));
	/* The watch was rebuilt and still reports. */
	forget(&h);
	f = tlib_fmt("%s/after", h.dir);
	write_file(f, "x");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	free(a);
	free(b);
	free(f);
	teardown_h(&h);
}

/* The daemon's own writes are dropped by pid; a child's carry its pid. */
static void
test_fanotify_pids(void **state)
{
	struct harness h;
	char *own, *child;
	struct got *g;
	pid_t pid;
	int status;

	(void)state;
	setup_h(&h, BACKEND_FANOTIFY, "watch-pid");
	add_root(&h, h.dir);
	pump(&h, 10);
	own = tlib_fmt("%s/own", h.dir);
	child = tlib_fmt("%s/child", h.dir);
	tlib_write(own, "mine", (size_t)-1);	/* this process: dropped */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(child, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || write(fd, "c", 1) != 1)
			_exit(1);
		close(fd);
		pause();	/* stay alive so the pidfd is valid */
		_exit(0);
	}
	g = await(&h, child, WEV_CLOSE_WRITE);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	assert_non_null(g);
	assert_int_equal(g->pid, pid);
	assert_true(g->pidfd);
	assert_null(find(&h, own, 0));
	free(own);
	free(child);
	teardown_h(&h);
}

/* fanotify on a fresh tmpfs: events, or a gap that says why. */
static void
test_fanotify_tmpfs(void **state)
{
	struct harness h;
	char *mnt, *f;
	bool gap;

	(void)state;
	setup_h(&h, BACKEND_FANOTIFY, "watch-tmpfs");
	mnt = tlib_fmt("%s/mnt", h.dir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=4m") < 0)
		fail_msg("mount tmpfs: %s", strerror(errno));
	add_root(&h, mnt);
	pump(&h, 10);
	gap = find(&h, mnt, WEV_GAP) != NULL;
	f = tlib_fmt("%s/f", mnt);
	write_file(f, "x");
	if (!gap)
		assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	/* A tmpfs mounted below a root is marked by the walk too. */
	watch_clear(h.w);
	forget(&h);
	add_root(&h, h.dir);
	pump(&h, 10);
	write_file(f, "y");
	assert_true(await(&h, f, WEV_CLOSE_WRITE) != NULL ||
	    find(&h, mnt, WEV_GAP) != NULL);
	assert_int_equal(umount(mnt), 0);
	free(mnt);
	free(f);
	teardown_h(&h);
}

/* A filesystem that refuses marks is a gap, never silence. */
static void
test_fanotify_proc_gap(void **state)
{
	struct harness h;
	struct got *g;

	(void)state;
	setup_h(&h, BACKEND_FANOTIFY, "watch-proc");
	add_root(&h, "/proc/sys/kernel");
	pump(&h, 10);
	assert_non_null(g = find(&h, "/proc/sys/kernel", WEV_GAP));
	teardown_h(&h);
}

static void
test_none_and_auto(void **state)
{
	struct watch_stats st;
	struct watch *w;
	struct diag dg;

	(void)state;
	diag_init(&dg);
	assert_int_equal(watch_open(BACKEND_NONE, NULL, 0, &w, &dg), 0);
	assert_int_equal(watch_fd(w), -1);
	assert_string_equal(watch_backend(w), "none");
	assert_int_equal(watch_add_root(w, "/etc", 4), 0);
	assert_int_equal(watch_read(w, on_event, NULL), 0);
	assert_int_equal(watch_hold_ms(w), -1);
	watch_stats(w, &st);
	assert_string_equal(st.backend, "none");
	watch_free(w);
	assert_int_equal(watch_open(BACKEND_AUTO, NULL, 0, &w, &dg), 0);
	assert_true(watch_fd(w) >= 0);
	assert_string_equal(watch_backend(w), tlib_is_root() ? "fanotify" :
	    "inotify");
	if (!tlib_is_root())
		assert_true(dg.n >= 1 && dg.v[0].severity == DIAG_NOTE);
	watch_free(w);
	assert_int_equal(watch_open((enum backend_kind)42, NULL, 0, &w, &dg),
	    -EINVAL);
	diag_release(&dg);
}

static void
test_stats(void **state)
{
	struct watch_stats st;
	struct harness h;
	char *f;

	setup_h(&h, kind_of(state), "watch-stats");
	assert_int_equal(tlib_sh("mkdir -p '%s/a/b'", h.dir), 0);
	add_root(&h, h.dir);
	pump(&h, 10);
	f = tlib_fmt("%s/a/b/f", h.dir);
	write_file(f, "x");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	watch_stats(h.w, &st);
	assert_true(st.marks >= 1);
	assert_true(st.dirs >= 3);
	assert_true(st.events >= 1);
	assert_true(st.delivered >= 1);
	assert_int_equal(st.overflows, 0);
	free(f);
	teardown_h(&h);
}

/* Changes done before the watch reads: paths of their time, even gone. */
static void
test_before_read(void **state)
{
	struct harness h;
	char *f, *g, *d3;

	setup_h(&h, kind_of(state), "watch-before");
	assert_int_equal(tlib_sh("mkdir -p '%s/x/y' '%s/d1/d2/d3'", h.dir,
	    h.dir), 0);
	add_root(&h, h.dir);
	pump(&h, 10);
	assert_int_equal(tlib_sh("cd '%s' && echo q > x/y/f && mv x x2 && "
	    "echo r > d1/d2/d3/g && rm -r d1/d2", h.dir), 0);
	f = tlib_fmt("%s/x/y/f", h.dir);
	g = tlib_fmt("%s/d1/d2/d3/g", h.dir);
	d3 = tlib_fmt("%s/d1/d2/d3", h.dir);
	pump(&h, 100);
	/* Written before the rename: the path it had then. */
	assert_non_null(find(&h, f, WEV_CLOSE_WRITE));
	/* In directories deleted before the read: still named. */
	assert_non_null(find(&h, g, WEV_DELETE));
	assert_non_null(find(&h, d3, WEV_DELETE | WEV_ISDIR));
	free(f);
	free(g);
	free(d3);
	teardown_h(&h);
}

/* After watch_clear nothing is reported until roots are added again. */
static void
test_clear(void **state)
{
	struct harness h;
	char *f;

	setup_h(&h, kind_of(state), "watch-clear");
	add_root(&h, h.dir);
	pump(&h, 10);
	watch_clear(h.w);
	f = tlib_fmt("%s/f", h.dir);
	write_file(f, "x");
	pump(&h, 50);
	assert_null(find(&h, f, 0));
	add_root(&h, h.dir);
	write_file(f, "y");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	free(f);
	teardown_h(&h);
}

/* Create n files in a child, nothing read meanwhile. */
static void
create_many(const char *dir, long n)
{
	char path[4096];
	int status, fd;
	pid_t pid;
	long i;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/m%ld", dir, i);
			if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) < 0)
				_exit(1);
			close(fd);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* fanotify: past the kernel queue, FAN_Q_OVERFLOW is WEV_OVERFLOW. */
static void
test_fanotify_overflow(void **state)
{
	struct harness h;
	char *s, *f;
	long max;

	(void)state;
	setup_h(&h, BACKEND_FANOTIFY, "watch-fovf");
	s = tlib_read("/proc/sys/fs/fanotify/max_queued_events", NULL);
	assert_non_null(s);
	max = strtol(s, NULL, 10);
	free(s);
	add_root(&h, h.dir);
	pump(&h, 10);
	create_many(h.dir, max + 100);
	assert_non_null(await(&h, "/", WEV_OVERFLOW));
	forget(&h);
	f = tlib_fmt("%s/after", h.dir);
	write_file(f, "x");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	free(f);
	teardown_h(&h);
}

/* A queue budget below the kernel's: dropped, one overflow, a reset. */
static void
test_fanotify_budget(void **state)
{
	struct watch_stats st;
	struct harness h;
	struct diag dg;
	size_t i, n = 0;
	char *f;

	(void)state;
	tlib_require_root("fanotify queue budget");
	memset(&h, 0, sizeof(h));
	diag_init(&dg);
	assert_int_equal(watch_open(BACKEND_FANOTIFY, NULL, 100, &h.w, &dg),
	    0);
	diag_release(&dg);
	h.dir = tlib_mkdtemp("watch-budget");
	add_root(&h, h.dir);
	create_many(h.dir, 500);
	pump(&h, 100);
	for (i = 0; i < h.n; i++) {
		if (h.v[i].flags & WEV_OVERFLOW)
			n++;
		else
			assert_true(h.v[i].flags & WEV_GAP);
	}
	assert_int_equal(n, 1);
	watch_stats(h.w, &st);
	assert_int_equal(st.resets, 1);
	assert_int_equal(st.overflows, 1);
	forget(&h);
	f = tlib_fmt("%s/after", h.dir);
	write_file(f, "x");
	assert_non_null(await(&h, f, WEV_CLOSE_WRITE));
	free(f);
	teardown_h(&h);
}

/* watch_enable_exec: running a program is WEV_EXEC with its path. */
static void
test_fanotify_exec(void **state)
{
	struct harness h;
	char *prog;
	struct got *g;

	(void)state;
	setup_h(&h, BACKEND_FANOTIFY, "watch-exec");
	prog = tlib_fmt("%s/prog", h.dir);
	assert_int_equal(tlib_sh("cp /bin/true '%s'", prog), 0);
	add_root(&h, h.dir);
	assert_int_equal(watch_enable_exec(h.w), 0);
	pump(&h, 10);
	assert_int_equal(tlib_sh("'%s'", prog), 0);
	assert_non_null(g = await(&h, prog, WEV_EXEC));
	assert_true(g->pid > 0);
	free(prog);
	teardown_h(&h);
}

/* Moves across the root's edge: one side only, and trees moving in. */
static void
test_moves_across_edge(void **state)
{
	struct harness h;
	char *root, *a, *b, *t, *deep, *later;

	setup_h(&h, kind_of(state), "watch-edge");
	root = tlib_fmt("%s/root", h.dir);
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p root out/tree/sub && "
	    "echo 1 > root/f && echo 2 > out/g && echo 3 > out/tree/sub/x",
	    h.dir), 0);
	add_root(&h, root);
	pump(&h, 10);
	a = tlib_fmt("%s/root/f", h.dir);
	b = tlib_fmt("%s/out/f", h.dir);
	child_do(OP_RENAME, a, b);
	assert_non_null(await(&h, a, WEV_MOVED_FROM));
	assert_null(find(&h, b, 0));
	free(a);
	free(b);
	a = tlib_fmt("%s/out/g", h.dir);
	b = tlib_fmt("%s/root/g", h.dir);
	child_do(OP_RENAME, a, b);
	assert_non_null(await(&h, b, WEV_MOVED_TO));
	free(a);
	free(b);
	a = tlib_fmt("%s/out/tree", h.dir);
	t = tlib_fmt("%s/root/tree", h.dir);
	child_do(OP_RENAME, a, t);
	assert_non_null(await(&h, t, WEV_MOVED_TO | WEV_ISDIR));
	deep = tlib_fmt("%s/sub/x", t);
	later = tlib_fmt("%s/sub/later", t);
	if (kind_of(state) == BACKEND_INOTIFY)	/* what it brought along */
		assert_non_null(find(&h, deep, WEV_CREATE));
	write_file(later, "4");
	assert_non_null(await(&h, later, WEV_CLOSE_WRITE));
	free(a);
	free(t);
	free(deep);
	free(later);
	free(root);
	teardown_h(&h);
}

/* A root removed is reported, and watched again when it comes back. */
static void
test_root_deleted_and_back(void **state)
{
	struct harness h;
	char *root, *f, *g;

	setup_h(&h, kind_of(state), "watch-rootback");
	root = tlib_fmt("%s/root", h.dir);
	assert_int_equal(tlib_sh("mkdir -p '%s/sub' && echo 1 > '%s/sub/f'",
	    root, root), 0);
	add_root(&h, root);
	pump(&h, 10);
	assert_int_equal(tlib_sh("rm -r '%s'", root), 0);
	assert_non_null(await(&h, root, WEV_DELETE | WEV_ISDIR));
	f = tlib_fmt("%s/f", root);
	assert_int_equal(tlib_sh("mkdir '%s' && echo 2 > '%s'", root, f), 0);
	assert_non_null(await(&h, f, 0));
	forget(&h);
	g = tlib_fmt("%s/g", root);
	write_file(g, "3");
	assert_non_null(await(&h, g, WEV_CLOSE_WRITE));
	free(root);
	free(f);
	free(g);
	teardown_h(&h);
}

/*
 * inotify's watch limit: in a user namespace of its own (the limit is
 * per namespace, so the host's is untouched) with room for 3 watches, a
 * tree of 6 directories yields gaps that name the directories left out.
 */
static void
test_inotify_watch_limit(void **state)
{
	struct harness h;
	char *map;
	uid_t uid = getuid();
	int status;
	pid_t pid;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.dir = tlib_mkdtemp("watch-limit");
	assert_int_equal(tlib_sh("mkdir -p '%s/a/b' '%s/c/d' '%s/e'", h.dir,
	    h.dir, h.dir), 0);
	map = tlib_fmt("0 %u 1", (unsigned)uid);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct watch_stats st;
		struct diag dg;
		size_t i, gaps = 0;
		int fd;

		if (unshare(CLONE_NEWUSER) < 0)
			_exit(77);
		if ((fd = open("/proc/self/uid_map", O_WRONLY)) < 0 ||
		    write(fd, map, strlen(map)) < 0 || close(fd) < 0)
			_exit(77);
		if ((fd = open("/proc/sys/user/max_inotify_watches",
		    O_WRONLY)) < 0 || write(fd, "3", 1) != 1 || close(fd) < 0)
			_exit(77);
		diag_init(&dg);
		if (watch_open(BACKEND_INOTIFY, NULL, 0, &h.w, &dg) < 0)
			_exit(2);
		if (watch_add_root(h.w, h.dir, strlen(h.dir)) < 0)
			_exit(3);
		pump(&h, 10);
		for (i = 0; i < h.n; i++)
			if ((h.v[i].flags & WEV_GAP) &&
			    strncmp(h.v[i].path, h.dir, strlen(h.dir)) == 0 &&
			    strstr(h.v[i].reason, "max_user_watches") != NULL)
				gaps++;
		watch_stats(h.w, &st);
		/*
		 * 6 directories, 3 watches: the 3 others are left out, as
		 * subtrees (a directory not watched is not walked), so at
		 * least 2 gaps (a and c/d, or similar).
		 */
		_exit(st.marks == 3 && gaps >= 2 ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		printf("SKIP: user namespaces not available\n");
		free(map);
		tlib_rmrf(h.dir);
		free(h.dir);
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
	free(map);
	tlib_rmrf(h.dir);
	free(h.dir);
}

/* Whether the group holds an inode (ignore) mark on path, per fdinfo. */
static bool
inode_marked(int fd, const char *path)
{
	char *info, *text, *needle;
	struct stat st;
	bool found;

	assert_int_equal(stat(path, &st), 0);
	info = tlib_fmt("/proc/self/fdinfo/%d", fd);
	needle = tlib_fmt("fanotify ino:%lx ", (unsigned long)st.st_ino);
	text = tlib_read(info, NULL);
	assert_non_null(text);
	found = strstr(text, needle) != NULL;
	free(text);
	free(needle);
	free(info);
	return found;
}

/*
 * Directories outside the root are silenced in the kernel, and a
 * silenced directory moved in reports again; a file moved in from a
 * silenced directory is still seen (its FAN_RENAME is suppressed).
 */
static void
test_fanotify_ignore_marks(void **state)
{
	struct harness h;
	char *root, *a, *b, *g, *x, *xin;
	struct got *got;

	(void)state;
	setup_h(&h, BACKEND_FANOTIFY, "watch-ign");
	root = tlib_fmt("%s/root", h.dir);
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p root out/sub out/other "
	    "&& echo 1 > out/other/x", h.dir), 0);
	add_root(&h, root);
	pump(&h, 10);
	a = tlib_fmt("%s/out/sub", h.dir);
	b = tlib_fmt("%s/sub", root);
	x = tlib_fmt("%s/out/other/x", h.dir);
	xin = tlib_fmt("%s/x", root);
	assert_false(inode_marked(watch_fd(h.w), a));
	assert_int_equal(tlib_sh("cd '%s' && echo 2 > out/sub/f && "
	    "echo 3 > out/other/y", h.dir), 0);
	pump(&h, 50);
	assert_int_equal(h.n, 0);
	assert_true(inode_marked(watch_fd(h.w), a));
	assert_false(inode_marked(watch_fd(h.w), root));
	child_do(OP_RENAME, x, xin);
	assert_non_null(got = await(&h, xin, 0));
	assert_true(got->flags & (WEV_MOVED_TO | WEV_RENAME));
	child_do(OP_RENAME, a, b);
	assert_non_null(await(&h, b, WEV_ISDIR));
	g = tlib_fmt("%s/sub/g", root);
	write_file(g, "4");
	assert_non_null(await(&h, g, WEV_CLOSE_WRITE));
	free(root);
	free(a);
	free(b);
	free(g);
	free(x);
	free(xin);
	teardown_h(&h);
}

/* A burst: 20 directories of 100 files made, then removed; none lost. */
static void
test_burst(void **state)
{
	struct harness h;
	char path[4096];
	size_t i, created = 0, deleted = 0, dirs_gone = 0;
	double end;

	setup_h(&h, kind_of(state), "watch-burst");
	add_root(&h, h.dir);
	pump(&h, 10);
	assert_int_equal(tlib_sh("cd '%s' && for d in $(seq 20); do "
	    "mkdir d$d && (cd d$d && touch $(seq 100)); done", h.dir), 0);
	end = tlib_now() + 5;
	while (created < 2000 && tlib_now() < end) {
		pump(&h, 50);
		created = 0;
		for (i = 0; i < h.n; i++) {
			assert_false(h.v[i].flags & WEV_OVERFLOW);
			if ((h.v[i].flags & WEV_CREATE) &&
			    !(h.v[i].flags & WEV_ISDIR))
				created++;
		}
	}
	/* At least every file once (a walk may add a duplicate). */
	assert_true(created >= 2000);
	snprintf(path, sizeof(path), "%s/d20/100", h.dir);
	assert_non_null(find(&h, path, WEV_CREATE));
	forget(&h);
	assert_int_equal(tlib_sh("rm -r '%s'/d*", h.dir), 0);
	end = tlib_now() + 5;
	while ((deleted < 2000 || dirs_gone < 20) && tlib_now() < end) {
		pump(&h, 50);
		deleted = dirs_gone = 0;
		for (i = 0; i < h.n; i++) {
			if (!(h.v[i].flags & WEV_DELETE))
				continue;
			if (h.v[i].flags & WEV_ISDIR)
				dirs_gone++;
			else
				deleted++;
		}
	}
	assert_int_equal(deleted, 2000);
	assert_int_equal(dirs_gone, 20);
	teardown_h(&h);
}

/* In a child: levels nested dirs named name below base, then a file f. */
static void
make_deep(const char *base, const char *name, int levels, bool file)
{
	int fd, nfd, i, status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if ((fd = open(base, O_RDONLY | O_DIRECTORY)) < 0)
			_exit(1);
		for (i = 0; i < levels; i++) {
			if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST)
				_exit(2);
			if ((nfd = openat(fd, name, O_RDONLY |
			    O_DIRECTORY)) < 0)
				_exit(3);
			close(fd);
			fd = nfd;
		}
		if (file && ((nfd = openat(fd, "f", O_WRONLY | O_CREAT,
		    0644)) < 0 || write(nfd, "x", 1) != 1 || close(nfd) < 0))
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * Paths longer than PATH_MAX are normal input: a tree 24 levels of
 * 200-byte names deep, a write at the bottom, made before and after the
 * watch.  The event names the full path (or, at worst, a gap does).
 */
static void
test_long_paths(void **state)
{
	struct harness h;
	char name[201], *deep, *p, *f;
	struct got *g;
	int i;

	setup_h(&h, kind_of(state), "watch-long");
	memset(name, 'n', 200);
	name[200] = '\0';
	deep = tlib_fmt("%s", h.dir);
	for (i = 0; i < 24; i++) {
		p = tlib_fmt("%s/%s", deep, name);
		free(deep);
		deep = p;
	}
	assert_true(strlen(deep) > 4096);
	make_deep(h.dir, name, 12, false);
	add_root(&h, h.dir);
	pump(&h, 10);
	make_deep(h.dir, name, 24, true);
	f = tlib_fmt("%s/f", deep);
	g = await(&h, f, 0);
	if (g == NULL) {
		for (i = 0; i < (int)h.n; i++)
			if ((h.v[i].flags & WEV_GAP) &&
			    strncmp(h.v[i].path, h.dir, strlen(h.dir)) == 0)
				g = &h.v[i];
	}
	assert_non_null(g);
	if (g != NULL && (g->flags & WEV_GAP))
		printf("note: long path reported as a gap: %s\n", g->reason);
	free(f);
	free(deep);
	teardown_h(&h);
}

/* The highest descriptor open now, or -1. */
static int
max_fd(void)
{
	struct dirent *de;
	DIR *d;
	int fd, max = -1;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		fd = (int)strtol(de->d_name, NULL, 10);
		if (de->d_name[0] != '.' && fd != dirfd(d) && fd > max)
			max = fd;
	}
	closedir(d);
	return max;
}

/*
 * A directory the watch cannot open to read is a gap, never silence: in
 * a child with every descriptor in use (RLIMIT_NOFILE at the highest
 * open one, the holes below filled), adding a tree must say that the
 * tree is not (wholly) watched.  inotify adds its watches by name, so
 * only the listing fails there.
 */
static void
test_no_fd_is_a_gap(void **state)
{
	enum backend_kind kind = kind_of(state);
	struct harness h;
	int status;
	pid_t pid;

	setup_h(&h, kind, "watch-nofd");
	assert_int_equal(tlib_sh("mkdir -p '%s/a/b' '%s/c'", h.dir, h.dir), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		size_t i, gaps = 0;
		int top;

		if ((top = max_fd()) < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(2);
		rl.rlim_cur = (rlim_t)top + 1;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(3);
		while (open("/dev/null", O_RDONLY) >= 0)
			;
		if (watch_add_root(h.w, h.dir, strlen(h.dir)) < 0)
			_exit(4);
		pump(&h, 10);
		for (i = 0; i < h.n; i++)
			if ((h.v[i].flags & WEV_GAP) &&
			    strncmp(h.v[i].path, h.dir, strlen(h.dir)) == 0)
				gaps++;
		_exit(gaps > 0 ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	teardown_h(&h);
}

/*
 * The handle maps of the fanotify backend: a directory remembered as
 * outside every root and then learned (it came inside) leaves the
 * outside map, and its entry there is freed, not leaked (LeakSanitizer
 * under make sanitize fails this test when it is not).  No root needed:
 * file handles of one's own directories are anyone's.
 */
static void
test_fanotify_map_outside_to_inside(void **state)
{
	char key[FAN_KEY_MAX], *dir;
	struct fan_dir *d;
	struct fan f;
	size_t klen = 0;
	int dfd;

	(void)state;
	memset(&f, 0, sizeof(f));
	fan_maps_init(&f);
	dir = tlib_mkdtemp("watch-outside");
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	if (fan_key_of_fd(dfd, key, &klen) < 0) {
		printf("SKIP: no file handles on %s\n", dir);
		close(dfd);
		fan_maps_release(&f);
		tlib_rmrf(dir);
		free(dir);
		skip();
	}
	fan_outside_add(&f, key, klen);
	assert_true(fan_outside_has(&f, key, klen));
	fan_learn_fd(&f, dfd, dir, strlen(dir));
	assert_false(fan_outside_has(&f, key, klen));
	assert_non_null(d = fan_dir_get(&f, key, klen));
	assert_string_equal(d->path, dir);
	/* Learned again under a new name: one entry, the new path. */
	fan_learn_fd(&f, dfd, "/elsewhere", 10);
	assert_non_null(d = fan_dir_get(&f, key, klen));
	assert_string_equal(d->path, "/elsewhere");
	assert_int_equal(pathmap_count(f.dirs), 1);
	assert_int_equal(pathmap_count(f.by_path), 1);
	close(dfd);
	fan_maps_release(&f);
	tlib_rmrf(dir);
	free(dir);
}

/*
 * watch_enable_exec is all or nothing: when a marked filesystem cannot
 * take FAN_OPEN_EXEC (here a tmpfs unmounted under the watch, so no
 * descriptor on it can be had), the call fails, fails again when
 * repeated (it did not count as done), and filesystems marked later do
 * not report execs either.  Once it can succeed, it does.
 */
static void
test_fanotify_exec_all_or_nothing(void **state)
{
	struct harness h;
	char *mnt, *prog;

	(void)state;
	setup_h(&h, BACKEND_FANOTIFY, "watch-execfail");
	mnt = tlib_fmt("%s/mnt", h.dir);
	prog = tlib_fmt("%s/prog", h.dir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0)
		fail_msg("mount tmpfs: %s", strerror(errno));
	add_root(&h, mnt);
	pump(&h, 10);
	assert_int_equal(umount(mnt), 0);
	assert_true(watch_enable_exec(h.w) < 0);
	assert_true(watch_enable_exec(h.w) < 0);
	assert_int_equal(tlib_sh("cp /bin/true '%s'", prog), 0);
	add_root(&h, h.dir);
	pump(&h, 10);
	forget(&h);
	assert_int_equal(tlib_sh("'%s'", prog), 0);
	pump(&h, 200);
	assert_null(find(&h, prog, WEV_EXEC));
	/* Every filesystem marked can take it now. */
	watch_clear(h.w);
	add_root(&h, h.dir);
	assert_int_equal(watch_enable_exec(h.w), 0);
	pump(&h, 10);
	assert_int_equal(tlib_sh("'%s'", prog), 0);
	assert_non_null(await(&h, prog, WEV_EXEC));
	free(mnt);
	free(prog);
	teardown_h(&h);
}

#define BOTH(fn)							\
	cmocka_unit_test_prestate(fn, (void *)(intptr_t)BACKEND_INOTIFY), \
	cmocka_unit_test_prestate(fn, (void *)(intptr_t)BACKEND_FANOTIFY)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_file_events),
		BOTH(test_rename_is_one_event),
		BOTH(test_new_tree_no_race),
		BOTH(test_renamed_dir_new_paths),
		BOTH(test_dir_moved_out),
		BOTH(test_ignore_path),
		BOTH(test_odd_bytes),
		BOTH(test_file_root),
		BOTH(test_missing_root),
		BOTH(test_stats),
		BOTH(test_before_read),
		BOTH(test_clear),
		BOTH(test_moves_across_edge),
		BOTH(test_root_deleted_and_back),
		BOTH(test_burst),
		BOTH(test_long_paths),
		BOTH(test_no_fd_is_a_gap),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_inotify_watch_limit),
		cmocka_unit_test(test_fanotify_pids),
		cmocka_unit_test(test_fanotify_overflow),
		cmocka_unit_test(test_fanotify_budget),
		cmocka_unit_test(test_fanotify_exec),
		cmocka_unit_test(test_fanotify_exec_all_or_nothing),
		cmocka_unit_test(test_fanotify_map_outside_to_inside),
		cmocka_unit_test(test_fanotify_ignore_marks),
		cmocka_unit_test(test_fanotify_tmpfs),
		cmocka_unit_test(test_fanotify_proc_gap),
		cmocka_unit_test(test_none_and_auto),
	};

	return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
