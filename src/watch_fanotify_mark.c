/*
 * Filesystems and marks of the fanotify backend (watch_fanotify_int.h).
 *
 * One FAN_MARK_FILESYSTEM mark per filesystem that holds a root (or the
 * nearest existing ancestor of a missing root), plus the filesystems
 * mounted below a root that the walk of the root crosses; a filesystem
 * that refuses the mark becomes a gap.  The walk (walk.h) maps every
 * directory of a root it may enter, so events resolve by handle without
 * asking the kernel; a directory it cannot read becomes a gap too, since
 * events below it may find no name.  Evictable ignore marks silence
 * directories outside every root; exec reporting is added to every
 * filesystem mark at once or not at all.
 */
#include <sys/stat.h>
#include <sys/statfs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "walk.h"
#include "watch_fanotify_int.h"
#include "xmalloc.h"

struct fan_fs *
fan_find_fs(struct fan *f, const char *fsid)
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

int
fan_mark_fs(struct watch *w, int dfd, const char *path, const char *scope,
    size_t slen)
{
	struct fan *f = w->be;
	struct statfs sfs;
	struct fan_fs *fs;
	int r;

	if (fstatfs(dfd, &sfs) < 0)
		return -errno;
	if (fan_find_fs(f, (const char *)&sfs.f_fsid) != NULL)
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
		return -r;
	}
	f->fs = xreallocarray(f->fs, f->nfs + 1, sizeof(*f->fs));
	fs = &f->fs[f->nfs++];
	memcpy(fs->fsid, &sfs.f_fsid, 8);
	fs->path = xstrdup(path);
	fs->mount_fd = -1;
	return 0;
}

/* What the walk of one root tells its callbacks. */
struct fan_walk {
	struct watch *w;
	const char *root;
	size_t	 rlen;
	size_t	 seen;		/* directories entered */
};

static enum walk_verdict
walk_dir(const struct walk_dir *d, void *arg)
{
	struct fan_walk *fw = arg;

	if (++fw->seen > FAN_WALK_MAX) {
		watch_gap(fw->w, fw->root, fw->rlen, "too many directories "
		    "below the path to map them all");
		return WALK_STOP;
	}
	/* A mount inside the root: mark it too (else a gap is queued). */
	if (d->mount && fan_mark_fs(fw->w, d->fd, d->path, d->path,
	    d->len) < 0)
		return WALK_SKIP;
	fan_learn_fd(fw->w->be, d->fd, d->path, d->len);
	return WALK_CONTINUE;
}

static enum walk_verdict
walk_entry(const struct walk_entry *e, void *arg)
{
	struct fan_walk *fw = arg;

	if (e->type == DT_DIR && watch_want_dir(fw->w, e->path, e->len))
		return WALK_CONTINUE;
	return WALK_SKIP;
}

static void
walk_error(const char *path, size_t len, int err, const char *op, void *arg)
{
	struct fan_walk *fw = arg;

	(void)op;
	watch_gap_errno(fw->w, path, len, "directory cannot be read to map "
	    "the directories below it", err);
}

static const struct walk_ops fan_walk_ops = {
	walk_dir,
	walk_entry,
	walk_error,
};

/* The walk of the tree at root, open at dfd or (-1) opened here. */
static void
walk_tree(struct watch *w, int dfd, const char *root, size_t rlen)
{
	struct fan *f = w->be;
	struct fan_walk fw = { w, root, rlen, 0 };

	if (f->walk == NULL)
		f->walk = walk_new(&fan_walk_ops);
	if (dfd >= 0)
		(void)walk_fd(f->walk, dfd, root, rlen, &fw);
	else
		(void)walk_path(f->walk, root, rlen, &fw);
}

void
fan_walk(struct watch *w, const char *root, size_t rlen)
{
	walk_tree(w, -1, root, rlen);
}

int
fan_add_root(struct watch *w, size_t i)
{
	struct fan *f = w->be;
	const struct watch_root *rt = &w->roots[i];
	char *p = xstrndup(rt->path, rt->len);
	struct stat st;
	char *slash;
	int dfd;

	/* A directory remembered as outside may be inside this root. */
	fan_forget_outside(w);
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
	if (fan_mark_fs(w, dfd, p, rt->path, rt->len) < 0) {
		close(dfd);
		free(p);
		return 0;
	}
	if (strlen(p) == rt->len)
		walk_tree(w, dfd, rt->path, rt->len);
	close(dfd);
	/* Ancestors, so a move or removal of one is seen by name. */
	for (;;) {
		fan_learn(f, p, strlen(p));
		if ((slash = strrchr(p, '/')) == NULL || p[1] == '\0')
			break;
		slash[slash == p ? 1 : 0] = '\0';
	}
	free(p);
	return 0;
}

int
fan_mount_fd(struct fan_fs *fs)
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

void
fan_close_mount_fds(struct fan *f)
{
	size_t i;

	for (i = 0; i < f->nfs; i++) {
		if (f->fs[i].mount_fd >= 0)
			close(f->fs[i].mount_fd);
		f->fs[i].mount_fd = -1;
	}
}

void
fan_free_fs(struct fan *f)
{
	size_t i;

	fan_close_mount_fds(f);
	for (i = 0; i < f->nfs; i++)
		free(f->fs[i].path);
	free(f->fs);
	f->fs = NULL;
	f->nfs = 0;
}

/*
 * An evictable ignore mark on the directory: its own events and its
 * children's.  Eviction only brings events back, so it fails safe.
 * Ignore marks follow the inode, so every one is flushed when a
 * directory moves in (fan_forget_outside).
 */
void
fan_ignore_dir(struct watch *w, int dirfd)
{
	struct fan *f = w->be;
	uint64_t mask = f->mask | FAN_MOVED_FROM | FAN_MOVED_TO |
	    FAN_ONDIR | FAN_EVENT_ON_CHILD;

	if (!f->ignore_ok)
		return;
	/* Bounded: past the cap, start over (events come back, not go). */
	if (f->ignored >= FAN_IGNORE_MAX)
		fan_forget_outside(w);
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_IGNORE_SURV |
	    FAN_MARK_EVICTABLE, mask, dirfd, NULL) == 0)
		f->ignored++;
	else if (errno == EINVAL)	/* before 6.0 */
		f->ignore_ok = false;
}

/*
 * Every inode mark of the group is an ignore mark, so FAN_MARK_FLUSH
 * without a type drops them all.
 */
void
fan_forget_outside(struct watch *w)
{
	struct fan *f = w->be;

	fan_outside_clear(f);
	if (f->ignored > 0)
		(void)fanotify_mark(w->fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
	f->ignored = 0;
}

/*
 * FAN_OPEN_EXEC on every marked filesystem, or on none: a filesystem
 * that cannot take it takes the bit back from those that did, and the
 * watch stays as it was (a later call tries again).
 */
int
fan_enable_exec(struct watch *w)
{
	struct fan *f = w->be;
	size_t i, done;
	int fd, r = 0;

	if (f->exec)
		return 0;
	for (done = 0; done < f->nfs; done++) {
		if ((fd = fan_mount_fd(&f->fs[done])) < 0) {
			r = -ENOENT;
			break;
		}
		if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
		    FAN_OPEN_EXEC, fd, NULL) < 0) {
			r = -errno;
			break;
		}
	}
	if (r < 0) {
		for (i = 0; i < done; i++)
			if ((fd = fan_mount_fd(&f->fs[i])) >= 0)
				(void)fanotify_mark(w->fd, FAN_MARK_REMOVE |
				    FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC, fd,
				    NULL);
	} else {
		f->exec = true;
		f->mask |= FAN_OPEN_EXEC;
	}
	fan_close_mount_fds(f);
	return r;
}
