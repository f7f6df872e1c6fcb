/*
 * The directory walk and the long-path opener (walk.h).
 *
 * Design.  The walk is a loop over a stack of levels, one per directory
 * it is inside, not a recursion: a tree as deep as the descriptor limit
 * allows costs a small array, never the thread's stack.  A level holds
 * the directory's descriptor, the length of its path in the one path
 * buffer, and a range of the one name table.  Names are read with
 * getdents64 into an arena that grows and shrinks like a stack (a child's
 * names go above its parent's and are dropped when the walk leaves the
 * child), so once the buffers fit the tree an entry costs no allocation
 * and no system call beyond the getdents64 share, the fstatat of an
 * unknown type, and the openat and fstat of a directory descended into.
 * The arena may move when it grows, so names are kept as offsets.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "statahead.h"
#include "walk.h"
#include "xmalloc.h"

#define WALK_OFLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | \
	    O_NONBLOCK | O_NOCTTY)
#define WALK_DENTS	(32 * 1024)	/* bytes per getdents64 */
#define WALK_KEEP	(1024 * 1024)	/* arena and table bytes kept idle */

struct walk_name {
	size_t	 off;		/* in the arena, NUL-terminated */
	unsigned char type;	/* DT_* as listed */
};

struct walk_level {
	int	 fd;
	bool	 own;		/* opened by the walk: closed on leaving */
	dev_t	 dev;
	size_t	 plen;		/* its path: the path buffer's first plen */
	size_t	 next;		/* its names: names[next..end) still to do */
	size_t	 end;
	size_t	 first;		/* where its names start in the table */
	size_t	 arena;		/* the arena's length before its names */
	struct statahead_batch *batch;	/* its names statted ahead, or NULL */
	size_t	 batch_first;	/* the name the batch starts at */
	bool	 refresh;	/* resumed: stat what is left ahead again */
};

struct walk {
	struct walk_ops ops;
	void	*arg;
	int	 err;		/* the first error reported */
	bool	 busy;
	bool	 stop;
	bool	 pause;	/* walk_pause() asked: return between entries */
	struct buf path;
	struct buf arena;
	struct walk_name *names;
	size_t	 nnames, names_alloc;
	struct walk_level *lv;
	size_t	 nlv, lv_alloc;
	char	*dents;
	bool	 want_sa;	/* statahead asked for */
	struct statahead *sa;	/* started by the first listing that wants
				   it; NULL: every statx is the owner's */
};

struct walk *
walk_new(const struct walk_ops *ops)
{
	struct walk *wk;

	wk = xcalloc(1, sizeof(*wk));
	wk->ops = *ops;
	buf_init(&wk->path, BUF_MAX_DEFAULT);
	buf_init(&wk->arena, BUF_MAX_DEFAULT);
	wk->dents = xmalloc(WALK_DENTS);
	return wk;
}

void
walk_free(struct walk *wk)
{
	if (wk == NULL)
		return;
	statahead_free(wk->sa);
	buf_release(&wk->path);
	buf_release(&wk->arena);
	free(wk->names);
	free(wk->lv);
	free(wk->dents);
	free(wk);
}

/* The tree changed under the walk: not an error (see walk.h). */
static bool
vanished(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ELOOP;
}

static void
report(struct walk *wk, int err, const char *op)
{
	if (wk->err == 0)
		wk->err = err;
	if (wk->ops.error != NULL)
		wk->ops.error(wk->path.data, wk->path.len, err, op, wk->arg);
}

static int
add_name(struct walk *wk, const char *name, unsigned char type)
{
	size_t off = wk->arena.len;

	if (buf_add(&wk->arena, name, strlen(name) + 1) < 0)
		return -ENOSPC;
	if (wk->nnames == wk->names_alloc) {
		wk->names_alloc = wk->names_alloc == 0 ? 256 :
		    wk->names_alloc * 2;
		wk->names = xreallocarray(wk->names, wk->names_alloc,
		    sizeof(*wk->names));
	}
	wk->names[wk->nnames].off = off;
	wk->names[wk->nnames++].type = type;
	return 0;
}

static int
name_cmp(const void *a, const void *b, void *arena)
{
	return strcmp((const char *)arena + ((const struct walk_name *)a)->off,
	    (const char *)arena + ((const struct walk_name *)b)->off);
}

static bool
dot_or_dotdot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' ||
	    (name[1] == '.' && name[2] == '\0'));
}

/* Hand the level's names, in visiting order, to the statahead worker. */
static void
stat_ahead(struct walk *wk, struct walk_level *lv)
{
	size_t i;

	if (!wk->want_sa)
		return;
	/* The thread starts late: many scans only probe single paths. */
	if (wk->sa == NULL && (wk->sa = statahead_new()) == NULL) {
		wk->want_sa = false;
		return;
	}
	lv->batch_first = lv->next;
	if ((lv->batch = statahead_batch(wk->sa, lv->fd,
	    lv->end - lv->next)) == NULL)
		return;
	for (i = lv->next; i < lv->end; i++) {
		if (!statahead_add(lv->batch, wk->arena.data +
		    wk->names[i].off))
			break;
	}
	statahead_start(wk->sa, lv->batch);
}

/* Read every name of the level's directory into the table, sorted. */
static int
list(struct walk *wk, struct walk_level *lv)
{
	const struct dirent64 *de;
	ssize_t n, off;
	int r;

	for (;;) {
		n = getdents64(lv->fd, wk->dents, WALK_DENTS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		off = 0;
		while (off < n) {
			de = (const struct dirent64 *)(const void *)
			    (wk->dents + off);
			off += de->d_reclen;
			if (!dot_or_dotdot(de->d_name) &&
			    (r = add_name(wk, de->d_name, de->d_type)) < 0)
				return r;
		}
	}
	lv->end = wk->nnames;
	if (lv->end - lv->next > 1)
		qsort_r(wk->names + lv->next, lv->end - lv->next,
		    sizeof(*wk->names), name_cmp, wk->arena.data);
	stat_ahead(wk, lv);
	return 0;
}

static void
leave(struct walk *wk)
{
	struct walk_level *lv = &wk->lv[--wk->nlv];

	/* The worker must be out of the batch before its fd closes. */
	if (lv->batch != NULL)
		statahead_retire(wk->sa, lv->batch);
	if (lv->own)
		close(lv->fd);
	wk->nnames = lv->first;
	buf_truncate(&wk->arena, lv->arena);
}

/*
 * The directory at fd, named by the path buffer, was opened: ask the
 * owner, then list it as a new level.
 */
static void
enter(struct walk *wk, int fd, bool own, const struct stat *st, bool mount)
{
	struct walk_level *lv;
	struct walk_dir d;
	enum walk_verdict v = WALK_CONTINUE;
	int r;

	d.path = wk->path.data;
	d.len = wk->path.len;
	d.fd = fd;
	d.st = st;
	d.mount = mount;
	d.depth = wk->nlv;
	if (wk->ops.dir != NULL)
		v = wk->ops.dir(&d, wk->arg);
	if (v != WALK_CONTINUE) {
		wk->stop = v == WALK_STOP;
		if (own)
			close(fd);
		return;
	}
	if (wk->nlv == wk->lv_alloc) {
		wk->lv_alloc = wk->lv_alloc == 0 ? 16 : wk->lv_alloc * 2;
		wk->lv = xreallocarray(wk->lv, wk->lv_alloc, sizeof(*wk->lv));
	}
	lv = &wk->lv[wk->nlv++];
	lv->fd = fd;
	lv->own = own;
	lv->dev = st->st_dev;
	lv->plen = wk->path.len;
	lv->first = lv->next = lv->end = wk->nnames;
	lv->arena = wk->arena.len;
	lv->batch = NULL;
	lv->batch_first = lv->next;
	lv->refresh = false;
	if ((r = list(wk, lv)) < 0) {
		report(wk, r, "readdir");
		leave(wk);
	}
}

/* Open name in pfd (the path buffer names it) and enter it. */
static void
descend(struct walk *wk, int pfd, const char *name, dev_t pdev)
{
	struct stat st;
	int fd, err;

	if ((fd = openat(pfd, name, WALK_OFLAGS)) < 0) {
		err = errno;
		if (!vanished(err))
			report(wk, -err, "opendir");
		return;
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		report(wk, -err, "stat");
		return;
	}
	enter(wk, fd, true, &st, st.st_dev != pdev);
}

/* The next name of the innermost level. */
static void
step(struct walk *wk)
{
	struct walk_level *lv = &wk->lv[wk->nlv - 1];
	const struct walk_name *nm;
	const char *name;
	enum walk_verdict v = WALK_CONTINUE;
	struct walk_entry e;
	struct stat st;
	size_t idx;

	if (lv->refresh) {
		lv->refresh = false;
		stat_ahead(wk, lv);
	}
	idx = lv->next - lv->batch_first;
	nm = &wk->names[lv->next++];
	name = wk->arena.data + nm->off;

	buf_truncate(&wk->path, lv->plen);
	if ((!(lv->plen == 1 && wk->path.data[0] == '/') &&
	    buf_addc(&wk->path, '/') < 0) || buf_adds(&wk->path, name) < 0) {
		buf_truncate(&wk->path, lv->plen);
		report(wk, -ENAMETOOLONG, "path");
		return;
	}
	e.type = nm->type;
	e.stx = NULL;
	if (lv->batch != NULL && statahead_get(lv->batch, idx, &e.stx) < 0)
		e.stx = NULL;
	if (e.type == DT_UNKNOWN && e.stx != NULL)
		e.type = (unsigned char)IFTODT(e.stx->stx_mode);
	if (e.type == DT_UNKNOWN) {
		if (fstatat(lv->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				report(wk, -errno, "stat");
			return;
		}
		e.type = (unsigned char)IFTODT(st.st_mode);
	}
	e.path = wk->path.data;
	e.len = wk->path.len;
	e.dirfd = lv->fd;
	e.name = name;
	e.depth = wk->nlv;
	if (wk->ops.entry != NULL)
		v = wk->ops.entry(&e, wk->arg);
	if (v == WALK_STOP)
		wk->stop = true;
	else if (v == WALK_CONTINUE && e.type == DT_DIR)
		descend(wk, lv->fd, name, lv->dev);
}

static int
begin(struct walk *wk, const char *path, size_t len, void *arg)
{
	if (wk->busy)
		return -EBUSY;
	buf_reset(&wk->path);
	if (buf_add(&wk->path, path, len) < 0)
		return -ENAMETOOLONG;
	wk->busy = true;
	wk->stop = false;
	wk->pause = false;
	wk->err = 0;
	wk->arg = arg;
	return 0;
}

/*
 * Run the levels to the end and give back what a big tree needed; or,
 * when a callback paused the walk, return WALK_PAUSED with every level
 * kept for walk_resume().
 */
static int
finish(struct walk *wk)
{
	while (wk->nlv > 0) {
		if (wk->pause && !wk->stop) {
			wk->pause = false;
			return WALK_PAUSED;
		}
		if (wk->stop || wk->lv[wk->nlv - 1].next ==
		    wk->lv[wk->nlv - 1].end)
			leave(wk);
		else
			step(wk);
	}
	wk->pause = false;
	if (wk->arena.alloc > WALK_KEEP)
		buf_release(&wk->arena);
	if (wk->names_alloc * sizeof(*wk->names) > WALK_KEEP) {
		free(wk->names);
		wk->names = NULL;
		wk->names_alloc = 0;
	}
	wk->busy = false;
	wk->arg = NULL;
	return wk->err;
}

void
walk_pause(struct walk *wk)
{
	wk->pause = true;
}

bool
walk_paused(const struct walk *wk)
{
	return wk->busy && wk->nlv > 0 && !wk->stop;
}

int
walk_resume(struct walk *wk, void *arg)
{
	struct walk_level *lv;
	size_t i;

	if (!walk_paused(wk))
		return -EINVAL;
	/*
	 * What was statted ahead before the pause is as old as the pause:
	 * each level stats what it has left afresh when the walk is back
	 * in it.
	 */
	for (i = 0; i < wk->nlv; i++) {
		lv = &wk->lv[i];
		if (lv->batch != NULL) {
			statahead_retire(wk->sa, lv->batch);
			lv->batch = NULL;
			lv->refresh = true;
		}
	}
	wk->arg = arg;
	return finish(wk);
}

void
walk_abort(struct walk *wk)
{
	if (!wk->busy)
		return;
	wk->stop = true;
	(void)finish(wk);
}

bool
walk_inside(const struct walk *wk, const char *path, size_t len)
{
	const char *cur = wk->path.data;
	size_t n;

	if (!walk_paused(wk))
		return false;
	/* The directory being listed: the innermost level's path. */
	n = wk->lv[wk->nlv - 1].plen;
	if (len == 1 && path[0] == '/')
		return true;
	return n >= len && memcmp(cur, path, len) == 0 &&
	    (n == len || cur[len] == '/');
}

void
walk_set_statahead(struct walk *wk, bool on)
{
	wk->want_sa = on;
	if (!on) {
		statahead_free(wk->sa);
		wk->sa = NULL;
	}
}

int
walk_fd(struct walk *wk, int fd, const char *path, size_t len, void *arg)
{
	struct stat st;
	int r;

	if ((r = begin(wk, path, len, arg)) < 0)
		return r;
	if (fstat(fd, &st) < 0)
		report(wk, -errno, "stat");
	else {
		(void)lseek(fd, 0, SEEK_SET);	/* list it from the start */
		enter(wk, fd, false, &st, false);
	}
	return finish(wk);
}

int
walk_at(struct walk *wk, int parentfd, const char *name, const char *path,
    size_t len, void *arg)
{
	struct stat pst;
	int r;

	if ((r = begin(wk, path, len, arg)) < 0)
		return r;
	if (fstat(parentfd, &pst) < 0)
		report(wk, -errno, "stat");
	else
		descend(wk, parentfd, name, pst.st_dev);
	return finish(wk);
}

int
walk_path(struct walk *wk, const char *path, size_t len, void *arg)
{
	struct stat st;
	int fd, r;

	if ((r = begin(wk, path, len, arg)) < 0)
		return r;
	fd = walk_open_dir(path, len, WALK_OFLAGS);
	if (fd < 0) {
		if (!vanished(-fd))
			report(wk, fd, "opendir");
	} else if (fstat(fd, &st) < 0) {
		report(wk, -errno, "stat");
		close(fd);
	} else
		enter(wk, fd, true, &st, false);
	return finish(wk);
}

/* The component of path at *i (past any slashes): its start and length. */
static size_t
component(const char *path, size_t len, size_t *i, size_t *ret_start)
{
	while (*i < len && path[*i] == '/')
		(*i)++;
	*ret_start = *i;
	while (*i < len && path[*i] != '/')
		(*i)++;
	return *i - *ret_start;
}

int
walk_open_dir(const char *path, size_t len, int oflags)
{
	char piece[PATH_MAX];
	size_t used = 0, i = 0, start, n;
	int fd, nfd, err;

	if (len == 0 || path[0] != '/' || memchr(path, '\0', len) != NULL)
		return -EINVAL;
	oflags |= O_DIRECTORY | O_CLOEXEC;
	if (len < sizeof(piece)) {
		memcpy(piece, path, len);
		piece[len] = '\0';
		fd = open(piece, oflags);
		return fd < 0 ? -errno : fd;
	}
	/*
	 * Too long for one call: pieces of whole components, each opened
	 * O_PATH relative to the one before (search permission is all a
	 * parent needs, as in one long lookup); the last with oflags.
	 */
	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	while ((n = component(path, len, &i, &start)) > 0) {
		if (n >= sizeof(piece)) {
			close(fd);
			return -ENAMETOOLONG;
		}
		if (used > 0 && used + 1 + n >= sizeof(piece)) {
			piece[used] = '\0';
			nfd = openat(fd, piece, O_PATH | O_DIRECTORY |
			    O_CLOEXEC);
			err = errno;
			close(fd);
			if (nfd < 0)
				return -err;
			fd = nfd;
			used = 0;
		}
		if (used > 0)
			piece[used++] = '/';
		memcpy(piece + used, path + start, n);
		used += n;
	}
	if (used == 0)
		piece[used++] = '.';
	piece[used] = '\0';
	nfd = openat(fd, piece, oflags);
	err = errno;
	close(fd);
	return nfd < 0 ? -err : nfd;
}
