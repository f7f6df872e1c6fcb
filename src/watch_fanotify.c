/*
 * watch_fanotify: the fanotify backend.
 *
 * Marks.  One FAN_MARK_FILESYSTEM mark per filesystem that holds a root
 * (or the nearest existing ancestor of a missing root), plus the
 * filesystems mounted below a root that the walk of the root crosses.
 * A filesystem mark sees every object of the superblock through any
 * mount and any mount namespace, so a directory created inside a root
 * is covered before anything can be written in it: no recursion race,
 * and no per-directory set-up.  Mount marks are not used: they refuse
 * the dirent events and miss other namespaces; inode marks per
 * directory would bring back inotify's recursion race.  A filesystem
 * that refuses the mark (EXDEV on a btrfs subvolume, ENODEV without an
 * fsid as on FUSE, EOPNOTSUPP on overlayfs, /proc, /sys) becomes a
 * WEV_GAP for the root, so the daemon falls back to rescans there.
 *
 * Events.  The group reports FAN_REPORT_DFID_NAME: the parent
 * directory's file handle and the entry name ("." for the directory
 * itself).  FAN_REPORT_FID is not asked for: it adds nameless self
 * events for every file of the filesystem, which fimd could not name.
 * For the same reason DELETE_SELF and MOVE_SELF are left out: for
 * directories they repeat the parent's DELETE or RENAME, which a
 * filesystem mark always delivers.  FAN_RENAME (5.17) gives both sides
 * of a rename in one event, delivered as one WEV_RENAME; MOVED_FROM and
 * MOVED_TO are asked for as well, because the kernel drops FAN_RENAME
 * when either directory carries an ignore mark, and the halves of a
 * rename that did arrive whole are taken out again (collect_renames).
 *
 * Filtering.  A filesystem mark reports the whole filesystem; checking
 * each event in userspace is cheap, but queueing it costs the writer
 * (about +34 % on a metadata-heavy loop in the notes' measurements).  So
 * the first event from a directory outside every root puts an evictable
 * ignore mark on it (FAN_MARK_IGNORE_SURV | FAN_MARK_EVICTABLE, 6.0+;
 * skipped when refused), which silences its own and its children's
 * events in the kernel (+3 %).  Ignore marks follow the inode, so when a
 * directory moves into a root (or above one) or a root is added, all of
 * them are flushed and the lazy marking starts over.  The roots and
 * their ancestors are never ignore-marked.
 *
 * Paths.  A map from directory handle (fsid, type, bytes) to path holds
 * every directory of every root and the ancestors of each root; it is
 * filled by walking the roots with name_to_handle_at and kept in event
 * order (mkdir and move in: learn; rename: re-prefix; rmdir: forget), so
 * events queued before a rename resolve to the path of their time, and
 * events in a directory already deleted (ESTALE to open_by_handle_at)
 * still have a name.  An unknown handle is resolved once with
 * open_by_handle_at on the filesystem plus readlink of /proc/self/fd;
 * one outside every root is remembered in a second, bounded map (and
 * ignore-marked), both emptied when a directory moves in from outside
 * or a root is added.  Events that cannot be resolved at all are about
 * directories the map never held, i.e. outside the roots, and are
 * dropped.  Walks are relative to directory descriptors, so trees deeper
 * than PATH_MAX are mapped too.
 *
 * Queue.  With a queue_budget (the default), the group is created with
 * FAN_UNLIMITED_QUEUE and the budget bounds it; with none, the kernel
 * bounds the queue (fs.fanotify.max_queued_events, 16384 by default) and
 * past it drops events and queues FAN_Q_OVERFLOW, delivered as
 * WEV_OVERFLOW after the maps are rebuilt.  The budget is enforced here: when
 * more events than that wait (FIONREAD counts 24 bytes per event), the
 * queue is read and discarded and one WEV_OVERFLOW says so (stats.resets)
 * because the rescan that follows is cheaper than catching up.
 *
 * The daemon's own writes carry its pid and are dropped; FAN_REPORT_TID
 * is not used, so every thread of the daemon has that pid.  Each event
 * carries the writer's pid and, when the kernel has FAN_REPORT_PIDFD
 * (5.15) and the writer was still alive at read(), a pidfd, closed after
 * the callback.  WEV_EXEC (watch_enable_exec: FAN_OPEN_EXEC) is
 * delivered for programs inside the roots only, like every other event.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fanotify_compat.h"
#include "pathmap.h"
#include "watch.h"
#include "walk.h"
#include "watch_int.h"
#include "xmalloc.h"

#define FAN_READ_BUF	(64 * 1024)
#define FAN_READS	4		/* reads per watch_read() */
#define FAN_NEG_MAX	65536		/* remembered outside handles */
#define FAN_KEY_MAX	(8 + 4 + MAX_HANDLE_SZ)
#define FAN_WALK_MAX	1000000		/* directories learned per walk */

#define FAN_BASE_MASK	(FAN_MODIFY | FAN_CLOSE_WRITE | FAN_ATTRIB | \
	    FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_ONDIR)

struct fan_fs {
	char	 fsid[8];
	char	*path;		/* a path on it, to open a mount fd */
	int	 mount_fd;	/* open during one watch_read() only */
};

struct fan_dir {
	char	 key[FAN_KEY_MAX];
	size_t	 keylen;
	char	*path;		/* NULL in the outside map */
	size_t	 len;
};

/* One DFID_NAME record, pointing into the read buffer. */
struct fan_rec {
	bool	 ok;
	char	 key[FAN_KEY_MAX];
	size_t	 keylen;
	int	 htype;
	unsigned hbytes;
	const unsigned char *handle;
	const char *name;
	size_t	 nlen;
};

/* One side of a FAN_RENAME seen in the current read buffer. */
struct fan_side {
	char	 key[FAN_KEY_MAX];
	size_t	 keylen;
	char	*name;
	size_t	 nlen;
	bool	 used;		/* its MOVED_FROM or MOVED_TO was matched */
};

struct fan {
	struct fan_fs *fs;
	size_t	 nfs;
	struct fan_side *sides;	/* pairs: from, to */
	size_t	 nsides, sides_alloc;
	bool	 ignore_ok;	/* the kernel takes FAN_MARK_IGNORE */
	uint64_t ignored;	/* ignore marks added */
	struct pathmap *dirs;	/* key -> struct fan_dir, inside */
	struct pathmap *by_path; /* path -> the same struct fan_dir */
	struct pathmap *outside; /* key -> struct fan_dir, path NULL */
	uint64_t mask;
	bool	 exec;
	pid_t	 self;
	struct buf a, b;	/* scratch paths of one event */
	char	*rbuf;
};

/* ---- handle maps ---- */

static bool
free_dir(const char *key, size_t len, void *value, void *arg)
{
	struct fan_dir *d = value;

	(void)key;
	(void)len;
	(void)arg;
	free(d->path);
	free(d);
	return true;
}

static void
clear_outside(struct fan *f)
{
	pathmap_foreach(f->outside, free_dir, NULL);
	pathmap_free(f->outside);
	f->outside = pathmap_new();
}

static void
clear_maps(struct fan *f)
{
	pathmap_foreach(f->dirs, free_dir, NULL);
	pathmap_free(f->dirs);
	pathmap_free(f->by_path);
	f->dirs = pathmap_new();
	f->by_path = pathmap_new();
	clear_outside(f);
}

/* Drop d from both maps and free it. */
static void
drop_dir(struct fan *f, struct fan_dir *d)
{
	if (pathmap_get(f->by_path, d->path, d->len) == d)
		(void)pathmap_remove(f->by_path, d->path, d->len);
	if (pathmap_get(f->dirs, d->key, d->keylen) == d)
		(void)pathmap_remove(f->dirs, d->key, d->keylen);
	free_dir(NULL, 0, d, NULL);
}

/*
 * A directory may have come inside: forget what was known to be outside,
 * in the map and in the kernel (every inode mark of the group is an
 * ignore mark; FAN_MARK_FLUSH without a type drops them all).
 */
static void
forget_outside(struct watch *w)
{
	struct fan *f = w->be;

	clear_outside(f);
	if (f->ignored > 0)
		(void)fanotify_mark(w->fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
	f->ignored = 0;
}

static struct fan_dir *
new_dir(const char *key, size_t keylen)
{
	struct fan_dir *d;

	d = xcalloc(1, sizeof(*d));
	memcpy(d->key, key, keylen);
	d->keylen = keylen;
	return d;
}

static void
remember_outside(struct fan *f, const char *key, size_t keylen)
{
	struct fan_dir *d = new_dir(key, keylen), *old;

	if ((old = pathmap_put(f->outside, d->key, keylen, d)) != NULL)
		free_dir(NULL, 0, old, NULL);
}

/*
 * Map the handle key to path.  Another directory known under the same
 * path is gone (events come in order: its removal or move came first).
 */
static void
remember_dir(struct fan *f, const char *key, size_t keylen,
    const char *path, size_t len)
{
	struct fan_dir *d, *old;

	if ((old = pathmap_get(f->dirs, key, keylen)) != NULL)
		drop_dir(f, old);
	if ((old = pathmap_get(f->by_path, path, len)) != NULL)
		drop_dir(f, old);
	d = new_dir(key, keylen);
	d->path = xstrndup(path, len);
	d->len = len;
	pathmap_put(f->dirs, d->key, keylen, d);
	pathmap_put(f->by_path, d->path, len, d);
}

static size_t
make_key(char *key, const char *fsid, int htype, const void *handle,
    unsigned hbytes)
{
	memcpy(key, fsid, 8);
	memcpy(key + 8, &htype, 4);
	memcpy(key + 12, handle, hbytes);
	return 12 + hbytes;
}

/* The handle key of the open directory dfd, or -errno. */
static int
key_of_fd(int dfd, char *key, size_t *ret_len)
{
	union {
		struct file_handle fh;
		char	 raw[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	struct statfs sfs;
	int mnt;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(dfd, "", &h.fh, &mnt, AT_EMPTY_PATH) < 0)
		return -errno;
	if (fstatfs(dfd, &sfs) < 0)
		return -errno;
	*ret_len = make_key(key, (const char *)&sfs.f_fsid, h.fh.handle_type,
	    h.fh.f_handle, h.fh.handle_bytes);
	return 0;
}

/* Map the open directory dfd, known as path. */
static void
learn_fd(struct fan *f, int dfd, const char *path, size_t len)
{
	char key[FAN_KEY_MAX];
	size_t klen = 0;

	if (key_of_fd(dfd, key, &klen) == 0) {
		remember_dir(f, key, klen, path, len);
		(void)pathmap_remove(f->outside, key, klen);
	}
}

static void
learn(struct fan *f, const char *path, size_t len)
{
	int dfd;

	if ((dfd = walk_open_dir(path, len, WATCH_DIR_OFLAGS)) >= 0) {
		learn_fd(f, dfd, path, len);
		close(dfd);
	}
}

struct prefix_arg {
	const char *prefix;
	size_t	 plen;
	struct fan_dir **v;
	size_t	 n, alloc;
};

static bool
is_below(const char *path, size_t len, const char *prefix, size_t plen)
{
	if (len < plen || memcmp(path, prefix, plen) != 0)
		return false;
	return len == plen || (plen == 1 && prefix[0] == '/') ||
	    path[plen] == '/';
}

static bool
collect_below(const char *key, size_t len, void *value, void *arg)
{
	struct prefix_arg *pa = arg;
	struct fan_dir *d = value;

	(void)key;
	(void)len;
	if (!is_below(d->path, d->len, pa->prefix, pa->plen))
		return true;
	if (pa->n == pa->alloc) {
		pa->alloc = pa->alloc == 0 ? 16 : pa->alloc * 2;
		pa->v = xreallocarray(pa->v, pa->alloc, sizeof(*pa->v));
	}
	pa->v[pa->n++] = d;
	return true;
}

/* Forget the directories at or below path. */
static void
forget_below(struct fan *f, const char *path, size_t len)
{
	struct prefix_arg pa = { path, len, NULL, 0, 0 };
	size_t i;

	pathmap_foreach(f->dirs, collect_below, &pa);
	for (i = 0; i < pa.n; i++)
		drop_dir(f, pa.v[i]);
	free(pa.v);
}

/*
 * Forget the directory at path alone: a removed directory was empty, so
 * what was below it went with events of its own.
 */
static void
forget_one(struct fan *f, const char *path, size_t len)
{
	struct fan_dir *d;

	if ((d = pathmap_get(f->by_path, path, len)) != NULL)
		drop_dir(f, d);
}

/* Directories at or below from are now at or below to. */
static void
reprefix(struct fan *f, const char *from, size_t flen, const char *to,
    size_t tlen)
{
	struct prefix_arg pa = { from, flen, NULL, 0, 0 };
	struct fan_dir *d;
	char *np;
	size_t i, nlen;

	pathmap_foreach(f->dirs, collect_below, &pa);
	for (i = 0; i < pa.n; i++) {
		d = pa.v[i];
		nlen = tlen + d->len - flen;
		np = xmalloc(nlen + 1);
		memcpy(np, to, tlen);
		memcpy(np + tlen, d->path + flen, d->len - flen);
		np[nlen] = '\0';
		if (pathmap_get(f->by_path, d->path, d->len) == d)
			(void)pathmap_remove(f->by_path, d->path, d->len);
		free(d->path);
		d->path = np;
		d->len = nlen;
		pathmap_put(f->by_path, d->path, d->len, d);
	}
	free(pa.v);
}

/* ---- filesystems and marks ---- */

static struct fan_fs *
find_fs(struct fan *f, const char *fsid)
{
	size_t i;

	for (i = 0; i < f->nfs; i++)
		if (memcmp(f->fs[i].fsid, fsid, 8) == 0)
			return &f->fs[i];
	return NULL;
}

static const char *
mark_error(int err)
{
	switch (err) {
	case EXDEV:
		return "fanotify cannot mark this filesystem (a btrfs "
		    "subvolume?); changes are found by rescans only";
	case ENODEV:
		return "fanotify cannot mark this filesystem (no fsid, e.g. "
		    "FUSE); changes are found by rescans only";
	case EOPNOTSUPP:
		return "fanotify cannot mark this filesystem (no file "
		    "handles, e.g. overlayfs, proc); changes are found by "
		    "rescans only";
	case ENOSPC:
		return "fanotify mark limit reached "
		    "(fs.fanotify.max_user_marks)";
	default:
		return "fanotify cannot mark this filesystem";
	}
}

/*
 * Mark the filesystem of the open directory dfd, known as path (once per
 * fsid).  Returns 0, or the errno the kernel gave (after queueing a gap
 * for scope).
 */
static int
mark_fs(struct watch *w, int dfd, const char *path, const char *scope,
    size_t slen)
{
	struct fan *f = w->be;
	struct statfs sfs;
	struct fan_fs *fs;
	int r;

	if (fstatfs(dfd, &sfs) < 0)
		return errno;
	if (find_fs(f, (const char *)&sfs.f_fsid) != NULL)
		return 0;
	r = fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, f->mask,
	    dfd, NULL);
	if (r < 0 && errno == EINVAL && (f->mask & FAN_RENAME)) {
		/* Before 5.17: no FAN_RENAME, pair-less moves only. */
		f->mask &= ~(uint64_t)FAN_RENAME;
		r = fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
		    f->mask, dfd, NULL);
	}
	if (r < 0) {
		r = errno;
		watch_gap(w, scope, slen, mark_error(r));
		return r;
	}
	f->fs = xreallocarray(f->fs, f->nfs + 1, sizeof(*f->fs));
	fs = &f->fs[f->nfs++];
	memcpy(fs->fsid, &sfs.f_fsid, 8);
	fs->path = xstrdup(path);
	fs->mount_fd = -1;
	return 0;
}

/*
 * Learn the directories of the tree at root (and mark the filesystems
 * mounted in it).  Relative to each directory's descriptor, so paths
 * longer than PATH_MAX are walked too.
 */
static void
walk(struct watch *w, const char *root, size_t rlen)
{
	struct fan *f = w->be;
	char **stack = NULL;
	size_t n = 0, alloc = 16, seen = 0, dlen;
	struct dirent *de;
	struct stat st, pst;
	struct buf p;
	int dfd, cfd, r;
	char *dir;
	DIR *dp;

	buf_init(&p, PATH_MAX * 4);
	stack = xreallocarray(stack, alloc, sizeof(*stack));
	stack[n++] = xstrndup(root, rlen);
	while (n > 0) {
		dir = stack[--n];
		dlen = strlen(dir);
		dp = NULL;
		if (++seen == FAN_WALK_MAX + 1)
			watch_gap(w, root, rlen, "too many directories below "
			    "the path to map them all");
		if (seen > FAN_WALK_MAX ||
		    (dfd = walk_open_dir(dir, dlen, WATCH_DIR_OFLAGS)) < 0) {
			free(dir);
			continue;
		}
		if (fstat(dfd, &pst) < 0 || (dp = fdopendir(dfd)) == NULL) {
			close(dfd);
			free(dir);
			continue;
		}
		learn_fd(f, dfd, dir, dlen);
		while ((de = readdir(dp)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
				continue;
			if (fstatat(dfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
			    watch_join(&p, dir, dlen, de->d_name,
			    strlen(de->d_name)) < 0 ||
			    !watch_want_dir(w, p.data, p.len))
				continue;
			if (st.st_dev != pst.st_dev) {
				/* A mount inside the root: mark it too. */
				cfd = openat(dfd, de->d_name, O_RDONLY |
				    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (cfd < 0)
					continue;
				r = mark_fs(w, cfd, p.data, p.data, p.len);
				close(cfd);
				if (r != 0)
					continue;
			}
			if (n == alloc)
				stack = xreallocarray(stack, alloc *= 2,
				    sizeof(*stack));
			stack[n++] = xstrndup(p.data, p.len);
		}
		closedir(dp);
		free(dir);
	}
	free(stack);
	buf_release(&p);
}

static int
fan_add_root(struct watch *w, size_t i)
{
	struct fan *f = w->be;
	const struct watch_root *rt = &w->roots[i];
	char *p = xstrndup(rt->path, rt->len);
	struct stat st;
	char *slash;
	int dfd, r;

	/* A directory remembered as outside may be inside this root. */
	forget_outside(w);
	/* The nearest existing directory decides the filesystem. */
	while ((watch_lstat(p, strlen(p), &st) < 0 || !S_ISDIR(st.st_mode)) &&
	    (slash = strrchr(p, '/')) != NULL && p[1] != '\0')
		slash[slash == p ? 1 : 0] = '\0';
	if ((dfd = walk_open_dir(p, strlen(p), WATCH_DIR_OFLAGS)) < 0) {
		watch_gap(w, rt->path, rt->len, "no directory above the path "
		    "can be opened");
		free(p);
		return 0;
	}
	r = mark_fs(w, dfd, p, rt->path, rt->len);
	close(dfd);
	if (r != 0) {
		free(p);
		return 0;
	}
	if (strlen(p) == rt->len)
		walk(w, rt->path, rt->len);
	/* Ancestors, so a move or removal of one is seen by name. */
	for (;;) {
		learn(f, p, strlen(p));
		if ((slash = strrchr(p, '/')) == NULL || p[1] == '\0')
			break;
		slash[slash == p ? 1 : 0] = '\0';
	}
	free(p);
	return 0;
}

/* ---- resolving handles ---- */

static int
mount_fd(struct fan_fs *fs)
{
	struct statfs sfs;
	char *p, *slash;
	int fd;

	if (fs->mount_fd >= 0)
		return fs->mount_fd;
	/* Opened per batch and closed after: a held fd blocks umount. */
	p = xstrdup(fs->path);
	for (;;) {
		fd = walk_open_dir(p, strlen(p), WATCH_DIR_OFLAGS);
		if (fd >= 0 && fstatfs(fd, &sfs) == 0 &&
		    memcmp(&sfs.f_fsid, fs->fsid, 8) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		if ((slash = strrchr(p, '/')) == NULL || p[1] == '\0')
			break;
		slash[slash == p ? 1 : 0] = '\0';
	}
	free(p);
	return fs->mount_fd = fd;
}

static void
close_mount_fds(struct fan *f)
{
	size_t i;

	for (i = 0; i < f->nfs; i++) {
		if (f->fs[i].mount_fd >= 0)
			close(f->fs[i].mount_fd);
		f->fs[i].mount_fd = -1;
	}
}

/*
 * Ask the kernel where the directory of rec is now; into out.  Returns
 * the directory, open (the caller closes it), or -1.
 */
static int
open_by_handle(struct fan *f, const struct fan_rec *rec, struct buf *out)
{
	union {
		struct file_handle fh;
		char	 raw[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	char link[64], target[PATH_MAX];
	struct fan_fs *fs;
	ssize_t n;
	int mfd, fd;

	if ((fs = find_fs(f, rec->key)) == NULL || (mfd = mount_fd(fs)) < 0)
		return -1;
	h.fh.handle_bytes = rec->hbytes;
	h.fh.handle_type = rec->htype;
	memcpy(h.fh.f_handle, rec->handle, rec->hbytes);
	/* Not O_PATH: fanotify_mark refuses an O_PATH directory (EBADF). */
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target));
	buf_reset(out);
	if (n <= 0 || (size_t)n >= sizeof(target) || target[0] != '/' ||
	    ((size_t)n > 10 &&
	    memcmp(target + n - 10, " (deleted)", 10) == 0) ||
	    buf_add(out, target, (size_t)n) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Silence a directory outside every root in the kernel: an evictable
 * ignore mark on it (its own events and its children's).  Eviction
 * only brings events back, so it fails safe.  Ignore marks follow the
 * inode, so every one is flushed when a directory moves in (see
 * forget_outside).
 */
static void
ignore_dir(struct watch *w, int dirfd)
{
	struct fan *f = w->be;
	uint64_t mask = f->mask | FAN_MOVED_FROM | FAN_MOVED_TO |
	    FAN_ONDIR | FAN_EVENT_ON_CHILD;

	if (!f->ignore_ok)
		return;
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_IGNORE_SURV |
	    FAN_MARK_EVICTABLE, mask, dirfd, NULL) == 0)
		f->ignored++;
	else if (errno == EINVAL)	/* before 6.0 */
		f->ignore_ok = false;
}


/*
 * The full path of rec into out (the directory itself for "."), or
 * false when the directory lies outside every root or cannot be named.
 */
static bool
resolve(struct watch *w, const struct fan_rec *rec, struct buf *out)
{
	struct fan *f = w->be;
	struct fan_dir *d;
	char *dir;
	size_t dlen;
	int fd;
	bool self = rec->nlen == 1 && rec->name[0] == '.';

	if (!rec->ok || pathmap_get(f->outside, rec->key, rec->keylen) != NULL)
		return false;
	if ((d = pathmap_get(f->dirs, rec->key, rec->keylen)) != NULL) {
		if (watch_join(out, d->path, d->len, rec->name,
		    self ? 0 : rec->nlen) < 0)
			return false;
		return true;
	}
	if ((fd = open_by_handle(f, rec, out)) < 0)
		return false;
	if (!watch_in_root(w, out->data, out->len) &&
	    !watch_above_root(w, out->data, out->len)) {
		ignore_dir(w, fd);
		close(fd);
		if (pathmap_count(f->outside) >= FAN_NEG_MAX)
			clear_outside(f);
		remember_outside(f, rec->key, rec->keylen);
		return false;
	}
	close(fd);
	remember_dir(f, rec->key, rec->keylen, out->data, out->len);
	if (self)
		return true;
	dir = xstrndup(out->data, out->len);
	dlen = out->len;
	(void)watch_join(out, dir, dlen, rec->name, rec->nlen);
	free(dir);
	return true;
}

/* ---- parsing ---- */

static void
parse_fid(const char *p, size_t len, struct fan_rec *rec)
{
	uint32_t hbytes;
	int32_t htype;
	const char *name;

	memset(rec, 0, sizeof(*rec));
	/* header (4), fsid (8), handle_bytes (4), handle_type (4), bytes */
	if (len < 20)
		return;
	memcpy(&hbytes, p + 12, 4);
	memcpy(&htype, p + 16, 4);
	if (hbytes > MAX_HANDLE_SZ || 20 + (size_t)hbytes >= len)
		return;
	rec->hbytes = hbytes;
	rec->htype = htype;
	rec->handle = (const unsigned char *)p + 20;
	name = p + 20 + hbytes;
	rec->nlen = strnlen(name, len - 20 - hbytes);
	if (rec->nlen == len - 20 - hbytes)
		return;		/* not terminated: malformed */
	rec->name = name;
	rec->keylen = make_key(rec->key, p + 4, htype, rec->handle, hbytes);
	rec->ok = true;
}

struct fan_event {
	uint64_t mask;
	pid_t	 pid;
	int	 pidfd;
	struct fan_rec dfid, from, to;
};

static void
parse_event(const char *raw, const struct fanotify_event_metadata *md,
    struct fan_event *e)
{
	const char *p = raw + md->metadata_len;
	const char *end = raw + md->event_len;
	uint16_t hlen;
	int32_t pidfd;

	memset(e, 0, sizeof(*e));
	e->mask = md->mask;
	e->pid = md->pid;
	e->pidfd = -1;
	while (p + 4 <= end) {
		memcpy(&hlen, p + 2, 2);
		if (hlen < 4 || hlen > end - p)
			break;
		switch ((unsigned char)p[0]) {
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
			parse_fid(p, hlen, &e->dfid);
			break;
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			parse_fid(p, hlen, &e->from);
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			parse_fid(p, hlen, &e->to);
			break;
		case FAN_EVENT_INFO_TYPE_PIDFD:
			if (hlen >= 8) {
				memcpy(&pidfd, p + 4, 4);
				e->pidfd = pidfd >= 0 ? pidfd : -1;
			}
			break;
		default:
			break;
		}
		p += hlen;
	}
}

static unsigned
wev_flags(uint64_t mask)
{
	unsigned fl = 0;

	if (mask & FAN_MODIFY)
		fl |= WEV_MODIFY;
	if (mask & FAN_CLOSE_WRITE)
		fl |= WEV_CLOSE_WRITE;
	if (mask & FAN_ATTRIB)
		fl |= WEV_ATTRIB;
	if (mask & FAN_CREATE)
		fl |= WEV_CREATE;
	if (mask & FAN_DELETE)
		fl |= WEV_DELETE;
	if (mask & FAN_MOVED_FROM)
		fl |= WEV_MOVED_FROM;
	if (mask & FAN_MOVED_TO)
		fl |= WEV_MOVED_TO;
	if (fl != 0 && (mask & FAN_ONDIR))
		fl |= WEV_ISDIR;
	return fl;
}

static bool next_event(const char *, ssize_t, ssize_t *,
    struct fanotify_event_metadata *, const char **);

/* ---- applying events to the maps ---- */

static void
dir_appeared(struct watch *w, const char *path, size_t len)
{
	if (watch_in_root(w, path, len) && watch_want_dir(w, path, len))
		walk(w, path, len);
	if (watch_above_root(w, path, len))
		watch_ancestor_changed(w, path, len);
}

static void
dir_went(struct watch *w, const char *path, size_t len, bool moved)
{
	/* Removed: it was empty.  Moved away: all below went with it. */
	if (moved)
		forget_below(w->be, path, len);
	else
		forget_one(w->be, path, len);
	if (watch_above_root(w, path, len))
		watch_ancestor_changed(w, path, len);
}

static void
dir_renamed(struct watch *w, const char *from, size_t flen, const char *to,
    size_t tlen)
{
	struct fan *f = w->be;

	if (watch_in_root(w, to, tlen) || watch_above_root(w, to, tlen)) {
		/* It may have been outside, and ignored, until now. */
		if (!watch_in_root(w, from, flen))
			forget_outside(w);
		/* Known below the old name: re-prefix; new here: learn. */
		reprefix(f, from, flen, to, tlen);
		if (!watch_in_root(w, from, flen) &&
		    watch_in_root(w, to, tlen) && watch_want_dir(w, to, tlen))
			walk(w, to, tlen);
	} else
		forget_below(f, from, flen);
	if (watch_above_root(w, from, flen))
		watch_ancestor_changed(w, from, flen);
	if (watch_above_root(w, to, tlen))
		watch_ancestor_changed(w, to, tlen);
}

static void
deliver(struct watch *w, unsigned flags, const struct fan_event *e,
    bool two, watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	struct watch_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.flags = flags;
	ev.path = f->a.data;
	ev.len = f->a.len;
	if (two) {
		ev.old_path = f->b.data;
		ev.old_len = f->b.len;
	}
	ev.pid = e->pid;
	ev.pidfd = e->pidfd;
	(void)watch_deliver(w, &ev, cb, arg);
}

static void
clear_sides(struct fan *f)
{
	size_t i;

	for (i = 0; i < f->nsides; i++)
		free(f->sides[i].name);
	f->nsides = 0;
}

static void
add_side(struct fan *f, const struct fan_rec *rec)
{
	struct fan_side *sd;

	if (f->nsides == f->sides_alloc) {
		f->sides_alloc = f->sides_alloc == 0 ? 16 : f->sides_alloc * 2;
		f->sides = xreallocarray(f->sides, f->sides_alloc,
		    sizeof(*f->sides));
	}
	sd = &f->sides[f->nsides++];
	memcpy(sd->key, rec->key, rec->keylen);
	sd->keylen = rec->keylen;
	sd->name = xstrndup(rec->name, rec->nlen);
	sd->nlen = rec->nlen;
	sd->used = false;
}

/*
 * FAN_RENAME comes with a MOVED_FROM and a MOVED_TO for the same move
 * (asked for because an ignore mark on either directory suppresses the
 * FAN_RENAME).  The renames of a read buffer are collected first, since
 * the kernel may have merged a MOVED_FROM into an earlier event of the
 * same name; each half is then taken out once.  which: 0 from, 1 to.
 */
static void
collect_renames(struct fan *f, const char *buf, ssize_t n)
{
	struct fanotify_event_metadata md;
	struct fan_event e;
	const char *raw;
	ssize_t off;

	clear_sides(f);
	for (off = 0; next_event(buf, n, &off, &md, &raw);) {
		if (md.vers != FANOTIFY_METADATA_VERSION ||
		    !(md.mask & FAN_RENAME) || md.pid == f->self)
			continue;
		parse_event(raw, &md, &e);	/* the pidfd stays open */
		if (e.from.ok && e.to.ok) {
			add_side(f, &e.from);
			add_side(f, &e.to);
		}
	}
}

static bool
match_side(struct fan *f, const struct fan_rec *rec, size_t which)
{
	struct fan_side *sd;
	size_t i;

	if (!rec->ok)
		return false;
	for (i = which; i < f->nsides; i += 2) {
		sd = &f->sides[i];
		if (!sd->used && sd->keylen == rec->keylen &&
		    sd->nlen == rec->nlen &&
		    memcmp(sd->key, rec->key, rec->keylen) == 0 &&
		    memcmp(sd->name, rec->name, rec->nlen) == 0) {
			sd->used = true;
			return true;
		}
	}
	return false;
}

static void
handle_rename(struct watch *w, const struct fan_event *e,
    watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	bool isdir = e->mask & FAN_ONDIR;
	bool from, to;

	from = resolve(w, &e->from, &f->b);
	to = resolve(w, &e->to, &f->a);
	if (isdir && from && to)
		dir_renamed(w, f->b.data, f->b.len, f->a.data, f->a.len);
	else if (isdir && from)
		dir_went(w, f->b.data, f->b.len, true);
	else if (isdir && to) {
		forget_outside(w);
		dir_appeared(w, f->a.data, f->a.len);
	}
	if (from && to)
		deliver(w, WEV_RENAME | (isdir ? WEV_ISDIR : 0), e, true, cb,
		    arg);
	else if (from) {
		buf_reset(&f->a);
		(void)buf_add(&f->a, f->b.data, f->b.len);
		deliver(w, WEV_MOVED_FROM | (isdir ? WEV_ISDIR : 0), e,
		    false, cb, arg);
	} else if (to)
		deliver(w, WEV_MOVED_TO | (isdir ? WEV_ISDIR : 0), e, false,
		    cb, arg);
}

static void
handle_event(struct watch *w, const struct fan_event *e, watch_event_fn *cb,
    void *arg)
{
	struct fan *f = w->be;
	uint64_t mask = e->mask;
	unsigned fl;

	if ((mask & FAN_RENAME) && e->from.ok && e->to.ok)
		handle_rename(w, e, cb, arg);
	/* The halves of a rename already delivered whole. */
	if ((mask & FAN_MOVED_FROM) && match_side(f, &e->dfid, 0))
		mask &= ~(uint64_t)FAN_MOVED_FROM;
	if ((mask & FAN_MOVED_TO) && match_side(f, &e->dfid, 1))
		mask &= ~(uint64_t)FAN_MOVED_TO;
	fl = wev_flags(mask);
	if ((fl == 0 && !(mask & FAN_OPEN_EXEC)) || !e->dfid.ok ||
	    !resolve(w, &e->dfid, &f->a))
		return;
	if ((mask & FAN_ONDIR) && !(e->dfid.nlen == 1 &&
	    e->dfid.name[0] == '.')) {
		if (mask & (FAN_CREATE | FAN_MOVED_TO)) {
			/* Moved in alone: its other side was ignored. */
			if (mask & FAN_MOVED_TO)
				forget_outside(w);
			dir_appeared(w, f->a.data, f->a.len);
		}
		if (mask & (FAN_DELETE | FAN_MOVED_FROM))
			dir_went(w, f->a.data, f->a.len,
			    mask & FAN_MOVED_FROM);
	}
	if (fl != 0)
		deliver(w, fl, e, false, cb, arg);
	if (mask & FAN_OPEN_EXEC)
		deliver(w, WEV_EXEC, e, false, cb, arg);
}

/* ---- the ops ---- */

static void
rebuild(struct watch *w)
{
	size_t i;

	clear_maps(w->be);
	forget_outside(w);	/* a move in may be among the lost */
	for (i = 0; i < w->nroots; i++)
		(void)fan_add_root(w, i);
}

static void
overflow(struct watch *w, const char *reason, watch_event_fn *cb, void *arg)
{
	struct watch_event ev;

	rebuild(w);
	memset(&ev, 0, sizeof(ev));
	ev.flags = WEV_OVERFLOW;
	ev.path = "/";
	ev.len = 1;
	ev.pidfd = -1;
	ev.reason = reason;
	(void)watch_deliver(w, &ev, cb, arg);
}

static int
fan_open(struct watch *w, struct diag *diag)
{
	unsigned base = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
	    FAN_REPORT_DFID_NAME;
	struct fan *f;
	int fd;

	(void)diag;
	/*
	 * An unprivileged process may create a DFID_NAME group (5.13+) but
	 * not mark a filesystem; an fd-mode group needs CAP_SYS_ADMIN too,
	 * so it is the cheap probe that makes BACKEND_AUTO pick inotify.
	 */
	if ((fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY)) < 0)
		return -errno;
	close(fd);
	/*
	 * With a budget, the queue is unlimited and the budget bounds it:
	 * the kernel's 16384 events overflow in a fraction of a second of
	 * a package upgrade, and every overflow costs a rescan.
	 */
	if (w->queue_budget > 0)
		base |= FAN_UNLIMITED_QUEUE;
	fd = fanotify_init(base | FAN_REPORT_PIDFD, O_RDONLY | O_LARGEFILE);
	if (fd < 0 && errno == EINVAL)	/* before 5.15 */
		fd = fanotify_init(base, O_RDONLY | O_LARGEFILE);
	if (fd < 0)
		return -errno;
	f = xcalloc(1, sizeof(*f));
	f->dirs = pathmap_new();
	f->by_path = pathmap_new();
	f->outside = pathmap_new();
	f->mask = FAN_BASE_MASK | FAN_RENAME;
	f->ignore_ok = true;
	f->self = getpid();
	buf_init(&f->a, PATH_MAX * 4);
	buf_init(&f->b, PATH_MAX * 4);
	f->rbuf = xmalloc(FAN_READ_BUF);
	w->fd = fd;
	w->be = f;
	return 0;
}

static void
free_fs(struct fan *f)
{
	size_t i;

	close_mount_fds(f);
	for (i = 0; i < f->nfs; i++)
		free(f->fs[i].path);
	free(f->fs);
	f->fs = NULL;
	f->nfs = 0;
}

static void
fan_free(struct watch *w)
{
	struct fan *f = w->be;

	if (f == NULL)
		return;
	free_fs(f);
	clear_sides(f);
	free(f->sides);
	pathmap_foreach(f->dirs, free_dir, NULL);
	pathmap_free(f->dirs);
	pathmap_free(f->by_path);
	pathmap_foreach(f->outside, free_dir, NULL);
	pathmap_free(f->outside);
	buf_release(&f->a);
	buf_release(&f->b);
	free(f->rbuf);
	free(f);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static void
fan_clear(struct watch *w)
{
	struct fan *f = w->be;

	/* One flush drops every filesystem mark of the group. */
	(void)fanotify_mark(w->fd, FAN_MARK_FLUSH | FAN_MARK_FILESYSTEM, 0,
	    AT_FDCWD, NULL);
	free_fs(f);
	clear_maps(f);
	forget_outside(w);
}

static int
fan_enable_exec(struct watch *w)
{
	struct fan *f = w->be;
	int fd, r, err;
	size_t i;

	if (f->exec)
		return 0;
	f->exec = true;
	f->mask |= FAN_OPEN_EXEC;
	for (i = 0; i < f->nfs; i++) {
		if ((fd = mount_fd(&f->fs[i])) < 0)
			return -ENOENT;
		r = fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
		    FAN_OPEN_EXEC, fd, NULL);
		err = errno;
		close_mount_fds(f);
		if (r < 0)
			return -err;
	}
	return 0;
}

static uint64_t
queued(const struct watch *w)
{
	int n = 0;

	/* FIONREAD counts the 24-byte metadata of each queued event. */
	if (ioctl(w->fd, FIONREAD, &n) < 0 || n < 0)
		return 0;
	return (uint64_t)n / sizeof(struct fanotify_event_metadata);
}

/*
 * The event at off of the n bytes read, copied out (records need not be
 * 8-byte aligned, the metadata's mask is); false at the end.
 */
static bool
next_event(const char *buf, ssize_t n, ssize_t *off,
    struct fanotify_event_metadata *md, const char **ret_raw)
{
	if (n - *off < (ssize_t)FAN_EVENT_METADATA_LEN)
		return false;
	memcpy(md, buf + *off, sizeof(*md));
	if (md->event_len < FAN_EVENT_METADATA_LEN ||
	    md->metadata_len < FAN_EVENT_METADATA_LEN ||
	    md->metadata_len > md->event_len ||
	    (ssize_t)md->event_len > n - *off)
		return false;
	*ret_raw = buf + *off;
	*off += md->event_len;
	return true;
}

/* Past the budget: read and drop what is queued; rescan instead. */
static int
discard(struct watch *w, watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	struct fanotify_event_metadata md;
	struct fan_event e;
	const char *raw;
	ssize_t n, off;
	int i;

	for (i = 0; i < FAN_READS * 4; i++) {
		n = read(w->fd, f->rbuf, FAN_READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (off = 0; next_event(f->rbuf, n, &off, &md, &raw);) {
			w->st.events++;
			if (md.fd >= 0)
				close(md.fd);
			parse_event(raw, &md, &e);
			if (e.pidfd >= 0)
				close(e.pidfd);
		}
	}
	if (queued(w) > w->queue_budget)
		return 1;
	w->st.resets++;
	overflow(w, "more kernel events were queued than the queue budget; "
	    "they were dropped", cb, arg);
	return 0;
}

static int
fan_read(struct watch *w, watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	struct fanotify_event_metadata md;
	struct fan_event e;
	const char *raw;
	int i, more = 1;
	ssize_t n, off;

	if (w->queue_budget > 0 && queued(w) > w->queue_budget)
		return discard(w, cb, arg);
	for (i = 0; i < FAN_READS && more; i++) {
		n = read(w->fd, f->rbuf, FAN_READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			more = 0;
			break;
		}
		if (n < 0) {
			close_mount_fds(f);
			return -errno;
		}
		if (f->mask & FAN_RENAME)
			collect_renames(f, f->rbuf, n);
		for (off = 0; next_event(f->rbuf, n, &off, &md, &raw);) {
			w->st.events++;
			if (md.fd >= 0)
				close(md.fd);
			if (md.vers != FANOTIFY_METADATA_VERSION)
				continue;
			if (md.mask & FAN_Q_OVERFLOW) {
				overflow(w, "the fanotify queue overflowed",
				    cb, arg);
				continue;
			}
			parse_event(raw, &md, &e);
			if (e.pid != f->self)
				handle_event(w, &e, cb, arg);
			if (e.pidfd >= 0)
				close(e.pidfd);
		}
	}
	close_mount_fds(f);
	clear_sides(f);
	/* Gaps found while applying events go out at once. */
	watch_deliver_gaps(w, cb, arg);
	return more;
}

static int
fan_hold_ms(const struct watch *w)
{
	(void)w;
	return -1;
}

static void
fan_flush(struct watch *w, watch_event_fn *cb, void *arg)
{
	(void)w;
	(void)cb;
	(void)arg;
}

static void
fan_stats(const struct watch *w, struct watch_stats *ret)
{
	const struct fan *f = w->be;

	ret->marks = f->nfs + f->ignored;	/* evictable ones included */
	ret->dirs = pathmap_count(f->dirs);
	ret->queued = queued(w);
}

const struct watch_ops watch_fanotify_ops = {
	.name = "fanotify",
	.open = fan_open,
	.free = fan_free,
	.add_root = fan_add_root,
	.clear = fan_clear,
	.enable_exec = fan_enable_exec,
	.read = fan_read,
	.hold_ms = fan_hold_ms,
	.flush = fan_flush,
	.stats = fan_stats,
};
