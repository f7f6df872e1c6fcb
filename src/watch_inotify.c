/*
 * watch_inotify: the inotify backend, used when fanotify is refused (no
 * CAP_SYS_ADMIN, an old kernel) or asked for.
 *
 * One watch per directory of each root that want_dir accepts, kept in two
 * maps (wd -> directory, path -> directory).  A directory that appears
 * (created or moved in) is watched with its whole subtree before its
 * event is delivered, and since files may have been made in it before
 * the watch existed, the walk that adds the watches also lists every
 * entry and delivers a WEV_CREATE for each one after the directory's own
 * event (capped: past INO_SYNTH_MAX a WEV_GAP asks for a rescan instead).
 *
 * Renames: inotify reports two events sharing a cookie.  A MOVED_FROM is
 * held until its MOVED_TO arrives (usually in the same read) and the pair
 * becomes one WEV_RENAME; a MOVED_FROM still alone after INO_HOLD_MS goes
 * out as WEV_MOVED_FROM (watch_hold_ms / watch_flush), and a lone
 * MOVED_TO is delivered at once.  A renamed directory's watches follow
 * the inode, so the maps are re-prefixed at the pair; a directory that
 * left the roots loses its watches.
 *
 * Roots that are not directories: the parent directory is watched
 * without recursion and only the root's own name passes the filter.  A
 * missing root: the nearest existing ancestor is watched the same way;
 * when a directory on the way to a root appears, goes or moves, the
 * root is re-armed and a WEV_GAP for it makes the daemon rescan.
 *
 * Limits: ENOSPC from inotify_add_watch (fs.inotify.max_user_watches,
 * shared by every process of the uid) becomes a WEV_GAP naming the
 * directory that could not be watched, and so does a directory the walk
 * (walk.h) could not open or list.  IN_Q_OVERFLOW: every watch is
 * dropped and the roots are walked again (the maps may be stale after
 * lost events), then WEV_OVERFLOW.  inotify cannot say who wrote: pid 0.
 */
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "buf.h"
#include "pathmap.h"
#include "watch.h"
#include "walk.h"
#include "watch_int.h"
#include "xmalloc.h"

#define INO_READ_BUF	(64 * 1024)
#define INO_READS	4
#define INO_HOLD_MS	20
#define INO_SYNTH_MAX	10000

#define INO_MASK	(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | \
	    IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
	    IN_MOVE_SELF | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_ONLYDIR)

struct idir {
	int	 wd;
	char	*path;
	size_t	 len;
	bool	 tree;		/* inside a root, subdirectories watched */
};

struct held {
	uint32_t cookie;
	char	*path;
	size_t	 len;
	bool	 isdir;
	int64_t	 due_ms;	/* monotonic */
};

struct synth {
	unsigned flags;
	char	*path;
	size_t	 len;
};

struct ino {
	struct pathmap *by_wd;	/* int wd -> struct idir */
	struct pathmap *by_path;
	struct held *held;
	size_t	 nheld, held_alloc;
	struct synth *synth;	/* entries found by walks, to deliver */
	size_t	 nsynth, synth_alloc;
	bool	 synth_on;	/* the current walk reports what it finds */
	bool	 synth_capped;
	struct buf a, b;
	char	*rbuf;
	struct walk *walk;	/* of watch_tree */
};

/* ---- the maps ---- */

static void
drop_dir(struct ino *in, struct idir *d)
{
	(void)pathmap_remove(in->by_wd, (const char *)&d->wd, sizeof(d->wd));
	if (pathmap_get(in->by_path, d->path, d->len) == d)
		(void)pathmap_remove(in->by_path, d->path, d->len);
	free(d->path);
	free(d);
}

static struct idir *
get_wd(const struct ino *in, int wd)
{
	return pathmap_get(in->by_wd, (const char *)&wd, sizeof(wd));
}

static void
set_path(struct ino *in, struct idir *d, const char *path, size_t len)
{
	struct idir *other;

	if (d->path != NULL) {
		if (pathmap_get(in->by_path, d->path, d->len) == d)
			(void)pathmap_remove(in->by_path, d->path, d->len);
		free(d->path);
	}
	d->path = xstrndup(path, len);
	d->len = len;
	other = pathmap_put(in->by_path, d->path, len, d);
	(void)other;	/* a stale entry under that name: now unreachable */
}

struct below_arg {
	const char *prefix;
	size_t	 plen;
	struct idir **v;
	size_t	 n, alloc;
};

static bool
collect_below(const char *key, size_t len, void *value, void *arg)
{
	struct below_arg *ba = arg;
	struct idir *d = value;

	(void)key;
	(void)len;
	if (d->len < ba->plen || memcmp(d->path, ba->prefix, ba->plen) != 0 ||
	    (d->len > ba->plen && d->path[ba->plen] != '/' &&
	    !(ba->plen == 1 && ba->prefix[0] == '/')))
		return true;
	if (ba->n == ba->alloc) {
		ba->alloc = ba->alloc == 0 ? 16 : ba->alloc * 2;
		ba->v = xreallocarray(ba->v, ba->alloc, sizeof(*ba->v));
	}
	ba->v[ba->n++] = d;
	return true;
}

static struct idir **
dirs_below(struct ino *in, const char *prefix, size_t plen, size_t *ret_n)
{
	struct below_arg ba = { prefix, plen, NULL, 0, 0 };

	pathmap_foreach(in->by_wd, collect_below, &ba);
	*ret_n = ba.n;
	return ba.v;
}

/* Stop watching path and everything below it. */
static void
unwatch_below(struct watch *w, const char *path, size_t len)
{
	struct ino *in = w->be;
	struct idir **v;
	size_t i, n;

	v = dirs_below(in, path, len, &n);
	for (i = 0; i < n; i++) {
		(void)inotify_rm_watch(w->fd, v[i]->wd);
		drop_dir(in, v[i]);
	}
	free(v);
}

static void
reprefix(struct ino *in, const char *from, size_t flen, const char *to,
    size_t tlen)
{
	struct idir **v;
	struct buf p;
	size_t i, n;

	buf_init(&p, PATH_MAX * 4);
	v = dirs_below(in, from, flen, &n);
	for (i = 0; i < n; i++) {
		buf_reset(&p);
		if (buf_add(&p, to, tlen) < 0 || buf_add(&p, v[i]->path + flen,
		    v[i]->len - flen) < 0)
			continue;
		set_path(in, v[i], p.data, p.len);
	}
	free(v);
	buf_release(&p);
}

static bool
free_idir(const char *key, size_t len, void *value, void *arg)
{
	struct idir *d = value;

	(void)key;
	(void)len;
	(void)arg;
	free(d->path);
	free(d);
	return true;
}

static bool
rm_watch(const char *key, size_t len, void *value, void *arg)
{
	struct idir *d = value;

	(void)key;
	(void)len;
	(void)inotify_rm_watch(*(int *)arg, d->wd);
	return true;
}

/* Drop every watch, keeping the descriptor (the daemon polls it). */
static void
unwatch_all(struct watch *w)
{
	struct ino *in = w->be;

	pathmap_foreach(in->by_wd, rm_watch, &w->fd);
	pathmap_foreach(in->by_wd, free_idir, NULL);
	pathmap_free(in->by_wd);
	pathmap_free(in->by_path);
	in->by_wd = pathmap_new();
	in->by_path = pathmap_new();
}

/* ---- adding watches ---- */

static void
add_synth(struct watch *w, unsigned flags, const char *path, size_t len,
    const char *scope, size_t slen)
{
	struct ino *in = w->be;
	struct synth *s;

	if (!in->synth_on)
		return;
	if (in->nsynth >= INO_SYNTH_MAX) {
		if (!in->synth_capped)
			watch_gap(w, scope, slen, "too many entries appeared "
			    "at once to report one by one");
		in->synth_capped = true;
		return;
	}
	if (in->nsynth == in->synth_alloc) {
		in->synth_alloc = in->synth_alloc == 0 ? 64 :
		    in->synth_alloc * 2;
		in->synth = xreallocarray(in->synth, in->synth_alloc,
		    sizeof(*in->synth));
	}
	s = &in->synth[in->nsynth++];
	s->flags = flags;
	s->path = xstrndup(path, len);
	s->len = len;
}

/*
 * inotify_add_watch for a path of any length: by name when the kernel
 * takes it, else through the /proc/self/fd link of dfd, the directory
 * already open (-1: open it here).  The wd or -errno.
 */
static int
add_watch(int ifd, const char *path, size_t len, int dfd)
{
	char link[64], *z;
	int wd, fd, err;

	if (len < PATH_MAX) {
		z = xstrndup(path, len);
		wd = inotify_add_watch(ifd, z, INO_MASK);
		err = errno;
		free(z);
		return wd < 0 ? -err : wd;
	}
	if ((fd = dfd) < 0 &&
	    (fd = walk_open_dir(path, len, WATCH_DIR_OFLAGS)) < 0)
		return fd;
	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	wd = inotify_add_watch(ifd, link, INO_MASK & ~(uint32_t)IN_DONT_FOLLOW);
	err = errno;
	if (fd != dfd)
		close(fd);
	return wd < 0 ? -err : wd;
}

/*
 * Watch one directory (open at dfd, or -1); returns the entry or NULL
 * (gap queued if due).
 */
static struct idir *
watch_one(struct watch *w, const char *path, size_t len, int dfd, bool tree)
{
	struct ino *in = w->be;
	struct idir *d;
	int wd;

	if ((wd = add_watch(w->fd, path, len, dfd)) < 0) {
		if (wd == -ENOSPC)
			watch_gap(w, path, len, "inotify watch limit reached "
			    "(fs.inotify.max_user_watches)");
		else if (wd != -ENOENT && wd != -ENOTDIR && wd != -ELOOP)
			watch_gap(w, path, len, "directory cannot be watched");
		return NULL;
	}
	if ((d = get_wd(in, wd)) == NULL) {
		d = xcalloc(1, sizeof(*d));
		d->wd = wd;
		pathmap_put(in->by_wd, (const char *)&d->wd, sizeof(d->wd), d);
	}
	if (d->path == NULL || d->len != len ||
	    memcmp(d->path, path, len) != 0)
		set_path(in, d, path, len);
	d->tree = d->tree || tree;
	return d;
}

/* What the walk of one tree tells its callbacks. */
struct ino_walk {
	struct watch *w;
	const char *root;
	size_t	 rlen;
};

/* The watch first, then the listing: nothing made between is lost. */
static enum walk_verdict
tree_dir(const struct walk_dir *d, void *arg)
{
	struct ino_walk *iw = arg;

	if (watch_one(iw->w, d->path, d->len, d->fd, true) == NULL)
		return WALK_SKIP;
	return WALK_CONTINUE;
}

static enum walk_verdict
tree_entry(const struct walk_entry *e, void *arg)
{
	struct ino_walk *iw = arg;
	bool isdir = e->type == DT_DIR;

	add_synth(iw->w, WEV_CREATE | (isdir ? WEV_ISDIR : 0), e->path,
	    e->len, iw->root, iw->rlen);
	if (isdir && watch_want_dir(iw->w, e->path, e->len))
		return WALK_CONTINUE;
	return WALK_SKIP;
}

/* What the walk could not read is not watched below: a gap. */
static void
tree_error(const char *path, size_t len, int err, const char *op, void *arg)
{
	struct ino_walk *iw = arg;

	(void)op;
	watch_gap_errno(iw->w, path, len, "directory cannot be read, so "
	    "nothing below it is watched", err);
}

static const struct walk_ops tree_ops = { tree_dir, tree_entry, tree_error };

/* Watch the tree at root, each directory before it is listed. */
static void
watch_tree(struct watch *w, const char *root, size_t rlen)
{
	struct ino *in = w->be;
	struct ino_walk iw = { w, root, rlen };

	(void)walk_path(in->walk, root, rlen, &iw);
}

static int
ino_add_root(struct watch *w, size_t i)
{
	const struct watch_root *rt = &w->roots[i];
	char *p = xstrndup(rt->path, rt->len);
	struct stat st;
	char *slash;
	bool found;

	if (watch_lstat(p, rt->len, &st) == 0 && S_ISDIR(st.st_mode)) {
		watch_tree(w, rt->path, rt->len);
		free(p);
		return 0;
	}
	/* A file or a missing root: its nearest existing directory. */
	found = false;
	while (!found && (slash = strrchr(p, '/')) != NULL) {
		if (slash == p) {
			if (p[1] == '\0')
				break;
			p[1] = '\0';
		} else
			*slash = '\0';
		found = watch_lstat(p, strlen(p), &st) == 0 &&
		    S_ISDIR(st.st_mode);
	}
	if (!found || watch_one(w, p, strlen(p), -1, false) == NULL)
		watch_gap(w, rt->path, rt->len, "no directory above the path "
		    "can be watched");
	free(p);
	return 0;
}

/* ---- delivering ---- */

static void
emit(struct watch *w, unsigned flags, const char *path, size_t len,
    const char *old, size_t olen, watch_event_fn *cb, void *arg)
{
	struct watch_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.flags = flags;
	ev.path = path;
	ev.len = len;
	ev.old_path = old;
	ev.old_len = old != NULL ? olen : 0;
	ev.pidfd = -1;
	(void)watch_deliver(w, &ev, cb, arg);
}

static void
emit_synth(struct watch *w, watch_event_fn *cb, void *arg)
{
	struct ino *in = w->be;
	struct synth *v = in->synth;
	size_t i, n = in->nsynth;

	in->synth = NULL;
	in->nsynth = in->synth_alloc = 0;
	in->synth_capped = false;
	for (i = 0; i < n; i++) {
		emit(w, v[i].flags, v[i].path, v[i].len, NULL, 0, cb, arg);
		free(v[i].path);
	}
	free(v);
}

/* A directory appeared at path: watch it (and its subtree) first. */
static void
dir_appeared(struct watch *w, const char *path, size_t len)
{
	struct ino *in = w->be;

	if (watch_in_root(w, path, len) && watch_want_dir(w, path, len)) {
		in->synth_on = true;
		watch_tree(w, path, len);
		in->synth_on = false;
	}
	if (watch_above_root(w, path, len))
		watch_ancestor_changed(w, path, len);
}

static void
dir_went(struct watch *w, const char *path, size_t len, bool moved)
{
	/*
	 * Moved away: its watches (and its subtree's) follow it, drop them.
	 * Removed: it was empty and the kernel drops its watch (IN_IGNORED).
	 */
	if (moved)
		unwatch_below(w, path, len);
	if (watch_above_root(w, path, len))
		watch_ancestor_changed(w, path, len);
}

static void
deliver_rename(struct watch *w, const char *from, size_t flen,
    const char *to, size_t tlen, bool isdir, watch_event_fn *cb, void *arg)
{
	struct ino *in = w->be;

	if (isdir) {
		if (watch_in_root(w, to, tlen) && watch_want_dir(w, to, tlen) &&
		    pathmap_get(in->by_path, from, flen) != NULL)
			reprefix(in, from, flen, to, tlen);
		else {
			unwatch_below(w, from, flen);
			dir_appeared(w, to, tlen);
		}
		if (watch_above_root(w, from, flen))
			watch_ancestor_changed(w, from, flen);
		if (watch_above_root(w, to, tlen))
			watch_ancestor_changed(w, to, tlen);
	}
	emit(w, WEV_RENAME | (isdir ? WEV_ISDIR : 0), to, tlen, from, flen,
	    cb, arg);
	emit_synth(w, cb, arg);
}

static void
release_held(struct ino *in, size_t i)
{
	free(in->held[i].path);
	in->held[i] = in->held[--in->nheld];
}

/* Deliver the held moves due by now (all of them when all). */
static void
flush_held(struct watch *w, bool all, watch_event_fn *cb, void *arg)
{
	struct ino *in = w->be;
	int64_t now = clock_mono_ms();
	struct held *due;
	size_t i, n = 0, keep = 0;

	if (in->nheld == 0)
		return;
	/* Taken out first: delivering may re-arm roots. */
	due = xreallocarray(NULL, in->nheld, sizeof(*due));
	for (i = 0; i < in->nheld; i++) {
		if (!all && in->held[i].due_ms > now)
			in->held[keep++] = in->held[i];
		else
			due[n++] = in->held[i];
	}
	in->nheld = keep;
	for (i = 0; i < n; i++) {
		if (due[i].isdir)
			dir_went(w, due[i].path, due[i].len, true);
		emit(w, WEV_MOVED_FROM | (due[i].isdir ? WEV_ISDIR : 0),
		    due[i].path, due[i].len, NULL, 0, cb, arg);
		free(due[i].path);
	}
	free(due);
}

static void
hold(struct ino *in, uint32_t cookie, const char *path, size_t len,
    bool isdir)
{
	struct held *h;

	if (in->nheld == in->held_alloc) {
		in->held_alloc = in->held_alloc == 0 ? 8 : in->held_alloc * 2;
		in->held = xreallocarray(in->held, in->held_alloc,
		    sizeof(*in->held));
	}
	h = &in->held[in->nheld++];
	h->cookie = cookie;
	h->path = xstrndup(path, len);
	h->len = len;
	h->isdir = isdir;
	h->due_ms = clock_mono_ms() + INO_HOLD_MS;
}

static void
overflow(struct watch *w, watch_event_fn *cb, void *arg)
{
	size_t i;

	flush_held(w, true, cb, arg);
	unwatch_all(w);
	for (i = 0; i < w->nroots; i++)
		(void)ino_add_root(w, i);
	emit(w, WEV_OVERFLOW, "/", 1, NULL, 0, cb, arg);
}

static bool
is_root(const struct watch *w, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < w->nroots; i++)
		if (w->roots[i].len == len &&
		    memcmp(w->roots[i].path, path, len) == 0)
			return true;
	return false;
}

/* The root at path went: watch above it, to see it come back. */
static void
rearm_root(struct watch *w, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < w->nroots; i++)
		if (w->roots[i].len == len &&
		    memcmp(w->roots[i].path, path, len) == 0)
			(void)ino_add_root(w, i);
}

/* IN_DELETE_SELF, IN_MOVE_SELF, IN_UNMOUNT on the watched directory d. */
static void
self_event(struct watch *w, struct idir *d, uint32_t mask,
    watch_event_fn *cb, void *arg)
{
	char *path = xstrndup(d->path, d->len);
	size_t len = d->len;

	/* Parents report other directories; a root has no watched parent. */
	if (mask & IN_UNMOUNT)
		watch_gap(w, path, len, "the filesystem was unmounted");
	else if (!d->tree || is_root(w, path, len)) {
		unwatch_below(w, path, len);
		if (is_root(w, path, len)) {
			emit(w, ((mask & IN_DELETE_SELF) ? WEV_DELETE :
			    WEV_MOVED_FROM) | WEV_ISDIR, path, len, NULL, 0,
			    cb, arg);
			rearm_root(w, path, len);
		}
		watch_ancestor_changed(w, path, len);
	}
	free(path);
}

static unsigned
wev_flags(uint32_t mask)
{
	unsigned fl = 0;

	if (mask & IN_MODIFY)
		fl |= WEV_MODIFY;
	if (mask & IN_CLOSE_WRITE)
		fl |= WEV_CLOSE_WRITE;
	if (mask & IN_ATTRIB)
		fl |= WEV_ATTRIB;
	if (mask & IN_CREATE)
		fl |= WEV_CREATE;
	if (mask & IN_DELETE)
		fl |= WEV_DELETE;
	if (fl != 0 && (mask & IN_ISDIR))
		fl |= WEV_ISDIR;
	return fl;
}

static void
moved_to(struct watch *w, const struct inotify_event *ie, watch_event_fn *cb,
    void *arg)
{
	struct ino *in = w->be;
	bool isdir = ie->mask & IN_ISDIR;
	size_t i;

	for (i = 0; i < in->nheld; i++) {
		if (in->held[i].cookie != ie->cookie)
			continue;
		buf_reset(&in->b);
		(void)buf_add(&in->b, in->held[i].path, in->held[i].len);
		release_held(in, i);
		deliver_rename(w, in->b.data, in->b.len, in->a.data,
		    in->a.len, isdir, cb, arg);
		return;
	}
	if (isdir)
		dir_appeared(w, in->a.data, in->a.len);
	emit(w, WEV_MOVED_TO | (isdir ? WEV_ISDIR : 0), in->a.data,
	    in->a.len, NULL, 0, cb, arg);
	emit_synth(w, cb, arg);
}

static void
handle(struct watch *w, const struct inotify_event *ie, watch_event_fn *cb,
    void *arg)
{
	struct ino *in = w->be;
	struct idir *d;
	size_t nlen;
	unsigned fl;

	if (ie->mask & IN_Q_OVERFLOW) {
		overflow(w, cb, arg);
		return;
	}
	if ((d = get_wd(in, ie->wd)) == NULL)
		return;		/* a watch already dropped */
	if (ie->mask & IN_IGNORED) {
		drop_dir(in, d);
		return;
	}
	nlen = ie->len > 0 ? strnlen(ie->name, ie->len) : 0;
	if (nlen == 0) {
		if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT))
			self_event(w, d, ie->mask, cb, arg);
		else if (ie->mask & IN_ATTRIB)
			emit(w, WEV_ATTRIB | WEV_ISDIR, d->path, d->len, NULL,
			    0, cb, arg);
		return;
	}
	if (watch_join(&in->a, d->path, d->len, ie->name, nlen) < 0)
		return;
	if (ie->mask & IN_MOVED_FROM) {
		hold(in, ie->cookie, in->a.data, in->a.len,
		    ie->mask & IN_ISDIR);
		return;
	}
	if (ie->mask & IN_MOVED_TO) {
		moved_to(w, ie, cb, arg);
		return;
	}
	if ((ie->mask & (IN_CREATE | IN_ISDIR)) == (IN_CREATE | IN_ISDIR))
		dir_appeared(w, in->a.data, in->a.len);
	if ((ie->mask & (IN_DELETE | IN_ISDIR)) == (IN_DELETE | IN_ISDIR))
		dir_went(w, in->a.data, in->a.len, false);
	if ((fl = wev_flags(ie->mask)) != 0)
		emit(w, fl, in->a.data, in->a.len, NULL, 0, cb, arg);
	emit_synth(w, cb, arg);
}

/* ---- the ops ---- */

static int
ino_open(struct watch *w, struct diag *diag)
{
	struct ino *in;
	int fd;

	(void)diag;
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -errno;
	in = xcalloc(1, sizeof(*in));
	in->by_wd = pathmap_new();
	in->by_path = pathmap_new();
	buf_init(&in->a, PATH_MAX * 4);
	buf_init(&in->b, PATH_MAX * 4);
	in->rbuf = xmalloc(INO_READ_BUF);
	in->walk = walk_new(&tree_ops);
	w->fd = fd;
	w->be = in;
	return 0;
}

static void
drop_held(struct ino *in)
{
	while (in->nheld > 0)
		release_held(in, in->nheld - 1);
}

static void
drop_synth(struct ino *in)
{
	size_t i;

	for (i = 0; i < in->nsynth; i++)
		free(in->synth[i].path);
	in->nsynth = 0;
}

static void
ino_free(struct watch *w)
{
	struct ino *in = w->be;

	if (in == NULL)
		return;
	pathmap_foreach(in->by_wd, free_idir, NULL);
	pathmap_free(in->by_wd);
	pathmap_free(in->by_path);
	drop_held(in);
	free(in->held);
	drop_synth(in);
	free(in->synth);
	buf_release(&in->a);
	buf_release(&in->b);
	free(in->rbuf);
	walk_free(in->walk);
	free(in);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static void
ino_clear(struct watch *w)
{
	unwatch_all(w);
	drop_held(w->be);
	drop_synth(w->be);
}

static int
ino_enable_exec(struct watch *w)
{
	(void)w;
	return -EOPNOTSUPP;
}

static int
ino_read(struct watch *w, watch_event_fn *cb, void *arg)
{
	struct ino *in = w->be;
	const struct inotify_event *ie;
	int i, more = 1;
	ssize_t n, off;

	flush_held(w, false, cb, arg);
	for (i = 0; i < INO_READS && more; i++) {
		n = read(w->fd, in->rbuf, INO_READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			more = 0;
			break;
		}
		if (n < 0)
			return -errno;
		for (off = 0; off + (ssize_t)sizeof(*ie) <= n;
		    off += (ssize_t)(sizeof(*ie) + ie->len)) {
			ie = (const void *)(in->rbuf + off);
			if (off + (ssize_t)(sizeof(*ie) + ie->len) > n)
				break;
			w->st.events++;
			handle(w, ie, cb, arg);
		}
	}
	/* Gaps found while applying events (or flushing) go out at once. */
	watch_deliver_gaps(w, cb, arg);
	return more;
}

static int
ino_hold_ms(const struct watch *w)
{
	const struct ino *in = w->be;
	int64_t due = INT64_MAX, now;
	size_t i;

	if (in->nheld == 0)
		return -1;
	for (i = 0; i < in->nheld; i++)
		if (in->held[i].due_ms < due)
			due = in->held[i].due_ms;
	now = clock_mono_ms();
	return due <= now ? 0 : (int)(due - now);
}

static void
ino_flush(struct watch *w, watch_event_fn *cb, void *arg)
{
	flush_held(w, true, cb, arg);
	watch_deliver_gaps(w, cb, arg);
}

static void
ino_stats(const struct watch *w, struct watch_stats *ret)
{
	const struct ino *in = w->be;
	int n = 0;

	ret->marks = pathmap_count(in->by_wd);
	ret->dirs = ret->marks;
	/* FIONREAD gives bytes; assume a 16-byte name per event. */
	if (ioctl(w->fd, FIONREAD, &n) == 0 && n > 0)
		ret->queued = (uint64_t)n / (sizeof(struct inotify_event) + 16);
}

const struct watch_ops watch_inotify_ops = {
	.name = "inotify",
	.open = ino_open,
	.free = ino_free,
	.add_root = ino_add_root,
	.clear = ino_clear,
	.enable_exec = ino_enable_exec,
	.read = ino_read,
	.hold_ms = ino_hold_ms,
	.flush = ino_flush,
	.stats = ino_stats,
};
