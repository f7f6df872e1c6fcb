/*
 * walk: the directory walk on real trees (paths past PATH_MAX, names
 * with newlines and invalid UTF-8, byte order, the verdicts, symlinks
 * never followed, mount points flagged), directories it cannot open
 * reported instead of skipped, the tree changing under it, the
 * long-path opener, and statahead: with it on, every entry of a
 * directory of two or more names comes with the statx a fresh fstatat
 * agrees with, in the same order as without it.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"

#include "walk.h"

#define NOBODY	65534

struct seen {
	char	*path;
	size_t	 len;
	int	 kind;		/* 'd' dir, 'e' entry, 'x' error */
	unsigned char type;
	bool	 mount;
	size_t	 depth;
	int	 err;
	const char *op;
};

struct rec {
	struct seen *v;
	size_t	 n, alloc;
	/* Steering, by exact path. */
	const char *skip_dir;	/* dir verdict WALK_SKIP */
	const char *prune;	/* entry verdict WALK_SKIP */
	const char *stop_at;	/* entry verdict WALK_STOP */
	const char *remove;	/* rmdir this before it is descended into */
	struct walk *wk;	/* to try a walk from inside a callback */
	int	 nested;
	struct walk *pauser;	/* walk_pause() it after every entry */
};

static struct seen *
add(struct rec *r, int kind, const char *path, size_t len)
{
	struct seen *s;

	if (r->n == r->alloc) {
		r->alloc = r->alloc == 0 ? 64 : r->alloc * 2;
		r->v = realloc(r->v, r->alloc * sizeof(*r->v));
		assert_non_null(r->v);
	}
	s = &r->v[r->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->path = malloc(len + 1);
	assert_non_null(s->path);
	memcpy(s->path, path, len);
	s->path[len] = '\0';
	s->len = len;
	return s;
}

static bool
is(const char *want, const char *path, size_t len)
{
	return want != NULL && strlen(want) == len &&
	    memcmp(want, path, len) == 0;
}

static enum walk_verdict
on_dir(const struct walk_dir *d, void *arg)
{
	struct rec *r = arg;
	struct seen *s = add(r, 'd', d->path, d->len);
	struct stat st;

	s->mount = d->mount;
	s->depth = d->depth;
	/* The fd is the directory named. */
	if (fstat(d->fd, &st) < 0 || st.st_ino != d->st->st_ino ||
	    !S_ISDIR(st.st_mode))
		s->err = -1;
	if (r->wk != NULL)
		r->nested = walk_path(r->wk, "/", 1, r);
	return is(r->skip_dir, d->path, d->len) ? WALK_SKIP : WALK_CONTINUE;
}

static enum walk_verdict
on_entry(const struct walk_entry *e, void *arg)
{
	struct rec *r = arg;
	struct seen *s = add(r, 'e', e->path, e->len);
	size_t nlen = strlen(e->name);

	s->type = e->type;
	s->depth = e->depth;
	/* name is the last component of path, and is in dirfd. */
	if (nlen >= e->len || memcmp(e->path + e->len - nlen, e->name,
	    nlen) != 0 || e->path[e->len - nlen - 1] != '/' ||
	    faccessat(e->dirfd, e->name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		s->err = -1;
	if (is(r->remove, e->path, e->len))
		(void)unlinkat(e->dirfd, e->name, AT_REMOVEDIR);
	if (r->pauser != NULL)
		walk_pause(r->pauser);
	if (is(r->stop_at, e->path, e->len))
		return WALK_STOP;
	return is(r->prune, e->path, e->len) ? WALK_SKIP : WALK_CONTINUE;
}

static void
on_error(const char *path, size_t len, int err, const char *op, void *arg)
{
	struct seen *s = add(arg, 'x', path, len);

	s->err = err;
	s->op = op;
}

static const struct walk_ops ops = { on_dir, on_entry, on_error };

static void
rec_release(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].path);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The first record of kind for path, or NULL. */
static struct seen *
find(const struct rec *r, int kind, const char *path)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].kind == kind && strcmp(r->v[i].path, path) == 0)
			return &r->v[i];
	return NULL;
}

/* The same, which must exist. */
static const struct seen *
must(const struct rec *r, int kind, const char *path)
{
	static const struct seen none;
	const struct seen *s = find(r, kind, path);

	if (s == NULL)
		fail_msg("no '%c' record for %s", kind, path);
	return s != NULL ? s : &none;
}

static size_t
count(const struct rec *r, int kind)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].kind == kind;
	return n;
}

static void
no_bad_records(const struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].kind != 'x' && r->v[i].err != 0)
			fail_msg("inconsistent callback for %s", r->v[i].path);
}

static int
walk_tree(const char *dir, struct rec *r)
{
	struct walk *wk = walk_new(&ops);
	int ret;

	ret = walk_path(wk, dir, strlen(dir), r);
	walk_free(wk);
	return ret;
}

/* levels nested directories called name below dirfd; returns the last. */
static int
make_chain(int dirfd, const char *name, int levels)
{
	int fd = dup(dirfd), nfd, i;

	assert_true(fd >= 0);
	for (i = 0; i < levels; i++) {
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
	}
	return fd;
}

static void
touch_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	close(fd);
}

/*
 * A tree deeper than PATH_MAX: 24 levels of 250-byte names (about 6 KiB),
 * a file at the bottom and a sibling tree beside it.  Everything is
 * visited with its full path, and walk_open_dir opens the bottom.
 */
static void
test_long_paths(void **state)
{
	char name[251], *dir, *deep, *p, *f;
	struct stat st, st2;
	struct rec r = { 0 };
	int dfd, fd, i;

	(void)state;
	dir = tlib_mkdtemp("walk-long");
	memset(name, 'l', 250);
	name[250] = '\0';
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	fd = make_chain(dfd, name, 24);
	touch_at(fd, "bottom");
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	fd = make_chain(dfd, "side", 3);
	close(fd);
	close(dfd);
	deep = tlib_fmt("%s", dir);
	for (i = 0; i < 24; i++) {
		p = tlib_fmt("%s/%s", deep, name);
		free(deep);
		deep = p;
	}
	assert_true(strlen(deep) > 4096);
	f = tlib_fmt("%s/bottom", deep);

	assert_int_equal(walk_tree(dir, &r), 0);
	no_bad_records(&r);
	assert_int_equal(count(&r, 'x'), 0);
	/* The start, 24 + 3 directories entered; 24 + 3 + 1 entries. */
	assert_int_equal(count(&r, 'd'), 1 + 24 + 3);
	assert_int_equal(count(&r, 'e'), 24 + 3 + 1);
	assert_non_null(find(&r, 'd', deep));
	assert_int_equal(must(&r, 'd', deep)->depth, 24);
	assert_non_null(find(&r, 'e', f));
	assert_int_equal(must(&r, 'e', f)->type, DT_REG);
	assert_int_equal(must(&r, 'e', f)->depth, 25);
	rec_release(&r);

	/* The long-path opener reaches the bottom, and only directories. */
	assert_true((fd = walk_open_dir(deep, strlen(deep), O_RDONLY |
	    O_NOFOLLOW)) >= 0);
	assert_int_equal(fstat(fd, &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);
	assert_int_not_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	assert_int_equal(walk_open_dir(f, strlen(f), O_RDONLY), -ENOTDIR);
	free(f);
	free(deep);
	tlib_rmrf(dir);
	free(dir);
}

/* Names are bytes: newline, invalid UTF-8, a tab; sorted by bytes. */
static void
test_odd_names(void **state)
{
	static const char *const names[] = {
		"a\nb", "\xff\xfe", "\x80" "dir", "plain", "\t", "A",
	};
	/* Byte order of the above. */
	static const char *const order[] = {
		"\t", "A", "a\nb", "plain", "\x80" "dir", "\xff\xfe",
	};
	struct rec r = { 0 };
	char *dir, *p, *inner;
	size_t i, k;
	int dfd;

	(void)state;
	dir = tlib_mkdtemp("walk-odd");
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i], "\x80" "dir") == 0)
			assert_int_equal(mkdirat(dfd, names[i], 0755), 0);
		else
			touch_at(dfd, names[i]);
	}
	assert_int_equal(mkdirat(dfd, "\x80" "dir/new\nline\xc3(", 0755), 0);
	close(dfd);

	assert_int_equal(walk_tree(dir, &r), 0);
	no_bad_records(&r);
	/* The start's own entries come in byte order. */
	for (i = 0, k = 0; i < r.n && k < 6; i++) {
		if (r.v[i].kind != 'e' || r.v[i].depth != 1)
			continue;
		p = tlib_fmt("%s/%s", dir, order[k++]);
		assert_memory_equal(r.v[i].path, p, strlen(p) + 1);
		free(p);
	}
	assert_int_equal(k, 6);
	inner = tlib_fmt("%s/\x80" "dir/new\nline\xc3(", dir);
	assert_non_null(find(&r, 'd', inner));
	assert_int_equal(must(&r, 'e', inner)->type, DT_DIR);
	free(inner);
	rec_release(&r);
	tlib_rmrf(dir);
	free(dir);
}

/* Verdicts: a skipped dir is not listed, a pruned entry not entered. */
static void
test_verdicts(void **state)
{
	struct rec r = { 0 };
	char *dir, *a, *b, *c, *ax, *bx, *cx;
	struct walk *wk;

	(void)state;
	dir = tlib_mkdtemp("walk-verdict");
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p a/x b/x c/x && "
	    "touch a/x/f b/x/f c/x/f", dir), 0);
	a = tlib_fmt("%s/a", dir);
	b = tlib_fmt("%s/b", dir);
	c = tlib_fmt("%s/c", dir);
	ax = tlib_fmt("%s/a/x", dir);
	bx = tlib_fmt("%s/b/x", dir);
	cx = tlib_fmt("%s/c/x", dir);
	r.skip_dir = a;
	r.prune = b;
	r.stop_at = cx;
	assert_int_equal(walk_tree(dir, &r), 0);
	/* a: entered, not listed. */
	assert_non_null(find(&r, 'd', a));
	assert_null(find(&r, 'e', ax));
	/* b: listed as an entry, never entered. */
	assert_non_null(find(&r, 'e', b));
	assert_null(find(&r, 'd', b));
	assert_null(find(&r, 'e', bx));
	/* c/x: seen, then nothing more. */
	assert_non_null(find(&r, 'e', cx));
	assert_ptr_equal(find(&r, 'e', cx), &r.v[r.n - 1]);
	rec_release(&r);

	/* A callback cannot start a walk on the same walker. */
	wk = walk_new(&ops);
	r.wk = wk;
	assert_int_equal(walk_path(wk, dir, strlen(dir), &r), 0);
	assert_int_equal(r.nested, -EBUSY);
	/* And after the walk the walker is free again, reusable. */
	rec_release(&r);
	assert_int_equal(walk_path(wk, a, strlen(a), &r), 0);
	assert_non_null(find(&r, 'e', ax));
	walk_free(wk);
	rec_release(&r);
	free(a);
	free(b);
	free(c);
	free(ax);
	free(bx);
	free(cx);
	tlib_rmrf(dir);
	free(dir);
}

/* Symlinks are entries, never followed: not as a start, not inside. */
static void
test_symlinks(void **state)
{
	struct rec r = { 0 };
	char *dir, *link, *target, *inside;
	int fd;

	(void)state;
	dir = tlib_mkdtemp("walk-link");
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p real/sub && "
	    "ln -s real link", dir), 0);
	link = tlib_fmt("%s/link", dir);
	target = tlib_fmt("%s/real", dir);
	inside = tlib_fmt("%s/link/sub", dir);
	assert_int_equal(walk_tree(dir, &r), 0);
	assert_int_equal(must(&r, 'e', link)->type, DT_LNK);
	assert_null(find(&r, 'd', link));
	assert_null(find(&r, 'e', inside));
	rec_release(&r);
	/* A symlink as the start: nothing (not a directory), no error. */
	assert_int_equal(walk_tree(link, &r), 0);
	assert_int_equal(r.n, 0);
	assert_true(walk_open_dir(link, strlen(link), O_RDONLY |
	    O_NOFOLLOW) < 0);
	/* Without O_NOFOLLOW it is followed, as the kernel would. */
	assert_true((fd = walk_open_dir(inside, strlen(inside),
	    O_RDONLY)) >= 0);
	close(fd);
	assert_int_equal(walk_open_dir("rel/path", 8, O_RDONLY), -EINVAL);
	assert_int_equal(walk_open_dir("/etc\0/x", 7, O_RDONLY), -EINVAL);
	free(link);
	free(target);
	free(inside);
	tlib_rmrf(dir);
	free(dir);
}

/*
 * The tree changing under the walk: a directory removed after it was
 * listed and before it is entered has vanished, which is not an error
 * (nothing is reported, the walk goes on to the next name).
 */
static void
test_vanished(void **state)
{
	struct rec r = { 0 };
	char *dir, *gone, *after;

	(void)state;
	dir = tlib_mkdtemp("walk-gone");
	assert_int_equal(tlib_sh("cd '%s' && mkdir gone after && "
	    "touch after/f", dir), 0);
	gone = tlib_fmt("%s/gone", dir);
	after = tlib_fmt("%s/after/f", dir);
	r.remove = gone;
	assert_int_equal(walk_tree(dir, &r), 0);
	assert_non_null(find(&r, 'e', gone));
	assert_null(find(&r, 'd', gone));
	assert_int_equal(count(&r, 'x'), 0);
	assert_non_null(find(&r, 'e', after));
	rec_release(&r);
	free(gone);
	free(after);
	tlib_rmrf(dir);
	free(dir);
}

/*
 * Walk dir and check that locked (mode 000) was reported as -EACCES
 * "opendir", not entered, and that the walk went on to "z" after it.
 * Returns 0 or the number of the check that failed (for a child).
 */
static int
unreadable_checks(const char *dir, const char *locked, const char *z)
{
	struct rec r = { 0 };
	struct seen *s;
	int ret, bad = 0;

	ret = walk_tree(dir, &r);
	if (find(&r, 'd', dir) == NULL)
		bad = 1;	/* the start itself not reached */
	else if ((s = find(&r, 'x', locked)) == NULL)
		bad = 2;	/* skipped in silence */
	else if (s->err != -EACCES || strcmp(s->op, "opendir") != 0)
		bad = 3;
	else if (find(&r, 'd', locked) != NULL)
		bad = 4;
	else if (find(&r, 'e', z) == NULL)
		bad = 5;	/* the walk stopped at the error */
	else if (ret != -EACCES)
		bad = 6;	/* the error was not returned */
	rec_release(&r);
	return bad;
}

/*
 * A directory the walk cannot open is reported through the error
 * callback.  Mode 000 stops everyone but root, who bypasses permission
 * checks (CAP_DAC_OVERRIDE), so as root the walk runs in a child that
 * gave up root for good: setgroups, setresgid and setresuid to nobody,
 * which drops every capability.  For that child the tree is made
 * world-readable except the locked directory.
 */
static void
test_unreadable_reported(void **state)
{
	char *dir, *locked, *z;
	int status;
	pid_t pid;

	(void)state;
	dir = tlib_mkdtemp("walk-locked");
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p locked/inner z && "
	    "touch z/f && chmod 0755 . z && chmod 000 locked", dir), 0);
	locked = tlib_fmt("%s/locked", dir);
	z = tlib_fmt("%s/z/f", dir);
	if (!tlib_is_root()) {
		assert_int_equal(unreadable_checks(dir, locked, z), 0);
	} else {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 ||
			    setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
			    setresuid(NOBODY, NOBODY, NOBODY) < 0)
				_exit(100);
			/* Really unprivileged now: the lock holds for us. */
			if (open(locked, O_RDONLY | O_DIRECTORY) >= 0 ||
			    errno != EACCES)
				_exit(101);
			_exit(unreadable_checks(dir, locked, z));
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fail_msg("check %d failed", WEXITSTATUS(status));
	}
	assert_int_equal(chmod(locked, 0755), 0);
	free(locked);
	free(z);
	tlib_rmrf(dir);
	free(dir);
}

/* A filesystem mounted inside the tree is flagged; needs root. */
static void
test_mount_flag(void **state)
{
	struct rec r = { 0 };
	char *dir, *mnt, *sub, *f;
	struct walk *wk;
	int dfd;

	(void)state;
	tlib_require_root("mounting a tmpfs");
	dir = tlib_mkdtemp("walk-mount");
	mnt = tlib_fmt("%s/mnt", dir);
	sub = tlib_fmt("%s/sub", dir);
	f = tlib_fmt("%s/mnt/f", dir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0)
		fail_msg("mount tmpfs: %s", strerror(errno));
	tlib_write(f, "x", 1);
	assert_int_equal(walk_tree(dir, &r), 0);
	assert_true(must(&r, 'd', mnt)->mount);
	assert_false(must(&r, 'd', sub)->mount);
	assert_false(must(&r, 'd', dir)->mount);
	assert_non_null(find(&r, 'e', f));
	rec_release(&r);
	/* walk_at compares the start with its parent. */
	wk = walk_new(&ops);
	assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_int_equal(walk_at(wk, dfd, "mnt", mnt, strlen(mnt), &r), 0);
	assert_true(must(&r, 'd', mnt)->mount);
	assert_non_null(find(&r, 'e', f));
	rec_release(&r);
	/* walk_fd leaves the descriptor open and lists it from the start. */
	assert_int_equal(walk_fd(wk, dfd, dir, strlen(dir), &r), 0);
	assert_int_equal(walk_fd(wk, dfd, dir, strlen(dir), &r), 0);
	assert_int_equal(count(&r, 'd'), 2 * 3);
	assert_int_not_equal(fcntl(dfd, F_GETFD), -1);
	close(dfd);
	walk_free(wk);
	rec_release(&r);
	assert_int_equal(umount(mnt), 0);
	free(mnt);
	free(sub);
	free(f);
	tlib_rmrf(dir);
	free(dir);
}

struct ahead_check {
	size_t	 entries, with, bad;
	struct rec order;
};

static enum walk_verdict
on_entry_ahead(const struct walk_entry *e, void *arg)
{
	struct ahead_check *c = arg;
	struct stat st;

	(void)add(&c->order, 'e', e->path, e->len);
	c->entries++;
	if (e->stx == NULL)
		return WALK_CONTINUE;
	c->with++;
	if (fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_ino != e->stx->stx_ino || st.st_mode != e->stx->stx_mode ||
	    (uint64_t)st.st_size != e->stx->stx_size)
		c->bad++;
	return WALK_CONTINUE;
}

/* 30 directories of 40 files of distinct sizes, and a lone file. */
static void
make_wide_tree(const char *top)
{
	char path[PATH_MAX];
	int d, f, fd;

	for (d = 0; d < 30; d++) {
		snprintf(path, sizeof(path), "%s/d%02d", top, d);
		assert_int_equal(mkdir(path, 0755), 0);
		for (f = 0; f < 40; f++) {
			snprintf(path, sizeof(path), "%s/d%02d/f%02d", top, d,
			    f);
			fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
			assert_true(fd >= 0);
			assert_int_equal(ftruncate(fd, d * 40 + f), 0);
			close(fd);
		}
	}
	snprintf(path, sizeof(path), "%s/d00/lone", top);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/d00/lone/only", top);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void
test_statahead(void **state)
{
	static const struct walk_ops ahead_ops = { NULL, on_entry_ahead,
	    NULL };
	struct ahead_check on, off;
	char *top = tlib_mkdtemp("walk-ahead");
	struct walk *wk;
	size_t i;

	(void)state;
	make_wide_tree(top);
	memset(&on, 0, sizeof(on));
	memset(&off, 0, sizeof(off));
	wk = walk_new(&ahead_ops);
	walk_set_statahead(wk, true);
	assert_int_equal(walk_path(wk, top, strlen(top), &on), 0);
	/* Twice on the same walker: batches are retired between walks. */
	rec_release(&on.order);
	memset(&on, 0, sizeof(on));
	assert_int_equal(walk_path(wk, top, strlen(top), &on), 0);
	walk_set_statahead(wk, false);
	assert_int_equal(walk_path(wk, top, strlen(top), &off), 0);
	walk_free(wk);
	/* 30 dirs, 1200 files, d00/lone and its only file. */
	assert_int_equal(on.entries, 30 + 1200 + 2);
	assert_int_equal(on.bad, 0);
	/* Only "only", alone in its directory, is not taken ahead. */
	assert_int_equal(on.with, on.entries - 1);
	assert_int_equal(off.with, 0);
	assert_int_equal(off.entries, on.entries);
	for (i = 0; i < on.entries; i++)
		assert_string_equal(on.order.v[i].path, off.order.v[i].path);
	rec_release(&on.order);
	rec_release(&off.order);
	tlib_rmrf(top);
	free(top);
}

static size_t
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/*
 * Paused after every entry and resumed, a walk visits what an unpaused
 * one does, in the same order, and says where it stands; a walk aborted
 * while paused closes what it held, and the walker walks again.
 */
static void
test_pause_resume(void **state)
{
	char *top = tlib_mkdtemp("walk-pause"), sub[PATH_MAX];
	struct rec whole, sliced;
	struct walk *wk;
	size_t i, pauses = 0, fds;
	int r;

	(void)state;
	make_wide_tree(top);
	memset(&whole, 0, sizeof(whole));
	memset(&sliced, 0, sizeof(sliced));
	assert_int_equal(walk_tree(top, &whole), 0);
	fds = open_fds();
	wk = walk_new(&ops);
	sliced.pauser = wk;
	r = walk_path(wk, top, strlen(top), &sliced);
	while (r == WALK_PAUSED) {
		pauses++;
		assert_true(walk_paused(wk));
		assert_true(walk_inside(wk, top, strlen(top)));
		/* Another walk cannot start on a paused walker. */
		assert_int_equal(walk_path(wk, top, strlen(top), &sliced),
		    -EBUSY);
		r = walk_resume(wk, &sliced);
	}
	assert_int_equal(r, 0);
	assert_false(walk_paused(wk));
	assert_int_equal(walk_resume(wk, &sliced), -EINVAL);
	/* Every entry paused it, the last too (its levels still open). */
	assert_int_equal(pauses, count(&whole, 'e'));
	assert_int_equal(sliced.n, whole.n);
	for (i = 0; i < whole.n; i++) {
		assert_int_equal(sliced.v[i].kind, whole.v[i].kind);
		assert_string_equal(sliced.v[i].path, whole.v[i].path);
	}
	/* Inside d00/lone after its only entry; not inside d01. */
	rec_release(&sliced);
	memset(&sliced, 0, sizeof(sliced));
	sliced.pauser = wk;
	r = walk_path(wk, top, strlen(top), &sliced);
	while (r == WALK_PAUSED &&
	    strcmp(sliced.v[sliced.n - 1].path + strlen(top), "/d00/f00") != 0)
		r = walk_resume(wk, &sliced);
	assert_int_equal(r, WALK_PAUSED);
	snprintf(sub, sizeof(sub), "%s/d00", top);
	assert_true(walk_inside(wk, sub, strlen(sub)));
	snprintf(sub, sizeof(sub), "%s/d01", top);
	assert_false(walk_inside(wk, sub, strlen(sub)));
	snprintf(sub, sizeof(sub), "%s/d0", top);
	assert_false(walk_inside(wk, sub, strlen(sub)));
	assert_true(open_fds() > fds);
	walk_abort(wk);
	assert_false(walk_paused(wk));
	assert_int_equal(open_fds(), fds);
	rec_release(&sliced);
	memset(&sliced, 0, sizeof(sliced));
	assert_int_equal(walk_path(wk, top, strlen(top), &sliced), 0);
	assert_int_equal(sliced.n, whole.n);
	walk_free(wk);
	rec_release(&whole);
	rec_release(&sliced);
	tlib_rmrf(top);
	free(top);
}

struct stale_check {
	struct walk *wk;
	const char *dir;	/* after its first entry: change it, pause */
	bool	 changed;
	bool	 stale;		/* an entry came with a statx from before */
};

static enum walk_verdict
on_entry_stale(const struct walk_entry *e, void *arg)
{
	struct stale_check *c = arg;
	size_t n = strlen(c->dir);

	if (!c->changed && e->len > n && memcmp(e->path, c->dir, n) == 0) {
		c->changed = true;	/* by the test, while paused */
		walk_pause(c->wk);
	}
	if (e->stx != NULL && c->changed && e->len > n &&
	    memcmp(e->path, c->dir, n) == 0 && (strcmp(e->name, "f39") == 0 ||
	    (strcmp(e->name, "f20") == 0 &&
	    (e->stx->stx_mode & 07777) != 0700)))
		c->stale = true;
	return WALK_CONTINUE;
}

/* A resumed walk never hands out what was statted before the pause. */
static void
test_resume_restats(void **state)
{
	static const struct walk_ops stale_ops = { NULL, on_entry_stale,
	    NULL };
	char *top = tlib_mkdtemp("walk-restat"), dir[PATH_MAX];
	struct stale_check c;
	int r;

	(void)state;
	make_wide_tree(top);
	snprintf(dir, sizeof(dir), "%s/d05/", top);
	memset(&c, 0, sizeof(c));
	c.dir = dir;
	c.wk = walk_new(&stale_ops);
	walk_set_statahead(c.wk, true);
	r = walk_path(c.wk, top, strlen(top), &c);
	assert_int_equal(r, WALK_PAUSED);
	tlib_sleep_ms(50);	/* the worker is done with d05 */
	snprintf(dir, sizeof(dir), "%s/d05/f20", top);
	assert_int_equal(chmod(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/d05/f39", top);
	assert_int_equal(unlink(dir), 0);
	snprintf(dir, sizeof(dir), "%s/d05/", top);
	assert_int_equal(walk_resume(c.wk, &c), 0);
	assert_true(c.changed);
	assert_false(c.stale);
	walk_free(c.wk);
	tlib_rmrf(top);
	free(top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_paths),
		cmocka_unit_test(test_odd_names),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_vanished),
		cmocka_unit_test(test_unreadable_reported),
		cmocka_unit_test(test_mount_flag),
		cmocka_unit_test(test_statahead),
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_resume_restats),
	};

	return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
