/*
 * Reading one file's attributes in two stages (probe.h).
 *
 * Stage one is a single statx(2).  Stage two opens the file only when it
 * must: a regular file or directory is opened O_RDONLY | O_NONBLOCK (never
 * blocks, even if it turned into a FIFO in between) for the xattrs, the
 * chattr flags and the hash; anything else is reached through an O_PATH
 * descriptor, whose xattrs are read through its /proc/self/fd link: the
 * fd calls refuse O_PATH descriptors, and the magic link resolves to the
 * very inode the descriptor holds (a symlink stays the symlink).  Every
 * descriptor is checked with fstat against what stage one saw, so a file
 * swapped in between is reported as -ESTALE instead of being described
 * with another file's attributes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/fs.h>

#include "probe.h"
#include "statahead.h"
#include "walk.h"
#include "xmalloc.h"

#define PROBE_READLINK_START	256
#define PROBE_XATTR_LIST_START	1024
#define PROBE_XATTR_VALUE_START	256
/* Give up on an xattr list or value that keeps growing under us. */
#define PROBE_XATTR_TRIES	8

static void
time_from_statx(struct fimd_time *t, const struct statx_timestamp *ts)
{
	t->sec = ts->tv_sec;
	t->nsec = ts->tv_nsec;
}

void
probe_from_statx(const struct statx *stx, struct record *ret)
{
	record_init(ret);
	ret->mode = stx->stx_mode;
	ret->uid = stx->stx_uid;
	ret->gid = stx->stx_gid;
	ret->nlink = stx->stx_nlink;
	ret->size = stx->stx_size;
	ret->inode = stx->stx_ino;
	ret->dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	time_from_statx(&ret->mtime, &stx->stx_mtime);
	time_from_statx(&ret->ctime, &stx->stx_ctime);
	time_from_statx(&ret->atime, &stx->stx_atime);
	ret->known = RECORD_STAT_BITS & ~ATTR_BIT(ATTR_BTIME);
	if (stx->stx_mask & STATX_BTIME) {
		time_from_statx(&ret->btime, &stx->stx_btime);
		ret->known |= ATTR_BIT(ATTR_BTIME);
	}
	/*
	 * The two chattr bits statx reports for free.  Not "known" as
	 * flags: stage two replaces them with the full set where the
	 * filesystem gives one.
	 */
	if (stx->stx_attributes & stx->stx_attributes_mask &
	    STATX_ATTR_IMMUTABLE)
		ret->flags |= FS_IMMUTABLE_FL;
	if (stx->stx_attributes & stx->stx_attributes_mask &
	    STATX_ATTR_APPEND)
		ret->flags |= FS_APPEND_FL;
}

int
probe_stat(int dirfd, const char *name, unsigned flags, struct record *ret)
{
	struct statx stx;
	int r;

	if (!(flags & PROBE_FOLLOW))
		r = statahead_statx(dirfd, name, &stx);
	else if ((r = statx(dirfd, name, AT_NO_AUTOMOUNT, STATAHEAD_MASK,
	    &stx)) < 0)
		r = -errno;
	if (r < 0) {
		record_init(ret);
		return r;
	}
	probe_from_statx(&stx, ret);
	return 0;
}

/* Whether fd is still the file r describes. */
static int
probe_same_file(int fd, const struct record *r, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return -errno;
	if ((uint64_t)st->st_ino != r->inode ||
	    (uint64_t)st->st_dev != r->dev ||
	    (st->st_mode & S_IFMT) != (r->mode & S_IFMT))
		return -ESTALE;
	return 0;
}

/*
 * An open(2) error after statx saw the file: a name that now leads to
 * another type of file (a symlink, a socket, a non-directory) means the
 * file was replaced.
 */
static int
probe_open_error(int err)
{
	switch (err) {
	case ELOOP:
	case ENXIO:
	case ENOTDIR:
	case EISDIR:
	case ENODEV:
		return -ESTALE;
	default:
		return -err;
	}
}

/* Open a regular file or directory for reading without blocking. */
static int
probe_open_read(int dirfd, const char *name, unsigned flags, uint32_t mode,
    int *ret_fd)
{
	int fd, oflags;

	oflags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME;
	if (!(flags & PROBE_FOLLOW))
		oflags |= O_NOFOLLOW;
	if (S_ISDIR(mode))
		oflags |= O_DIRECTORY;
	fd = openat(dirfd, name, oflags);
	if (fd < 0 && errno == EPERM) {
		/* O_NOATIME needs ownership or CAP_FOWNER. */
		oflags &= ~O_NOATIME;
		fd = openat(dirfd, name, oflags);
	}
	if (fd < 0)
		return probe_open_error(errno);
	*ret_fd = fd;
	return 0;
}

static int
probe_open_path(int dirfd, const char *name, unsigned flags, int *ret_fd)
{
	int fd, oflags;

	oflags = O_PATH | O_CLOEXEC;
	if (!(flags & PROBE_FOLLOW))
		oflags |= O_NOFOLLOW;
	if ((fd = openat(dirfd, name, oflags)) < 0)
		return probe_open_error(errno);
	*ret_fd = fd;
	return 0;
}

static int
probe_readlink(int dirfd, const char *name, struct record *r)
{
	size_t size = PROBE_READLINK_START;
	char *buf = NULL;
	ssize_t n;

	for (;;) {
		buf = xreallocarray(buf, size, 1);
		if ((n = readlinkat(dirfd, name, buf, size)) < 0) {
			free(buf);
			/* EINVAL: no longer a symlink. */
			return errno == EINVAL ? -ESTALE : -errno;
		}
		if ((size_t)n < size)
			break;
		if (size > SIZE_MAX / 2) {
			free(buf);
			return -ENAMETOOLONG;
		}
		size *= 2;
	}
	buf[n] = '\0';
	free(r->link_target);
	r->link_target = buf;
	r->known |= ATTR_BIT(ATTR_LINK_TARGET);
	return 0;
}

/*
 * Where the xattr calls reach the file: the fd itself when it was opened
 * for reading, else the /proc/self/fd link of the O_PATH descriptor
 * (followed: it leads to the descriptor's own inode).
 */
struct xattr_target {
	int	 fd;
	bool	 opath;
	char	 proc[sizeof("/proc/self/fd/") + 3 * sizeof(int)];
};

static ssize_t
xt_list(const struct xattr_target *t, char *list, size_t size)
{
	if (t->opath)
		return listxattr(t->proc, list, size);
	return flistxattr(t->fd, list, size);
}

static ssize_t
xt_get(const struct xattr_target *t, const char *name, void *value,
    size_t size)
{
	if (t->opath)
		return getxattr(t->proc, name, value, size);
	return fgetxattr(t->fd, name, value, size);
}

/* The NUL-separated name list into *ret_list; 0 (empty) or -errno. */
static int
xt_list_all(const struct xattr_target *t, char **ret_list, size_t *ret_len)
{
	size_t size = PROBE_XATTR_LIST_START;
	char *list = NULL;
	ssize_t n;
	int tries;

	for (tries = 0; tries < PROBE_XATTR_TRIES; tries++) {
		list = xreallocarray(list, size, 1);
		if ((n = xt_list(t, list, size)) >= 0) {
			*ret_list = list;
			*ret_len = (size_t)n;
			return 0;
		}
		if (errno == ENOTSUP) {
			*ret_list = list;
			*ret_len = 0;
			return 0;
		}
		if (errno != ERANGE)
			break;
		/* Ask for the size now; the list may grow again after. */
		if ((n = xt_list(t, NULL, 0)) < 0)
			break;
		size = (size_t)n > size ? (size_t)n : 2 * size;
	}
	if (tries == PROBE_XATTR_TRIES)
		errno = ERANGE;
	free(list);
	return -errno;
}

/* One value; -ENODATA when it vanished since the list was read. */
static int
xt_get_value(const struct xattr_target *t, const char *name,
    struct xattr *ret)
{
	size_t size = PROBE_XATTR_VALUE_START;
	unsigned char *value = NULL;
	ssize_t n;
	int tries;

	for (tries = 0; tries < PROBE_XATTR_TRIES; tries++) {
		value = xreallocarray(value, size, 1);
		if ((n = xt_get(t, name, value, size)) >= 0) {
			ret->name = xstrdup(name);
			ret->value = value;
			ret->len = (size_t)n;
			return 0;
		}
		if (errno != ERANGE)
			break;
		if ((n = xt_get(t, name, NULL, 0)) < 0)
			break;
		size = (size_t)n > size ? (size_t)n : 2 * size;
	}
	if (tries == PROBE_XATTR_TRIES)
		errno = ERANGE;
	free(value);
	return -errno;
}

static int
xattr_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xattr *)a)->name,
	    ((const struct xattr *)b)->name);
}

static void
probe_drop_xattrs(struct record *r)
{
	size_t i;

	for (i = 0; i < r->nxattrs; i++) {
		free(r->xattrs[i].name);
		free(r->xattrs[i].value);
	}
	free(r->xattrs);
	r->xattrs = NULL;
	r->nxattrs = 0;
}

static int
probe_xattrs(int fd, bool opath, struct record *r)
{
	struct xattr_target t;
	char *list = NULL, *p, *end;
	size_t len = 0, n;
	int e;

	t.fd = fd;
	t.opath = opath;
	snprintf(t.proc, sizeof(t.proc), "/proc/self/fd/%d", fd);
	if ((e = xt_list_all(&t, &list, &len)) < 0) {
		/*
		 * The fd pins the inode even if it was unlinked, so ENOENT
		 * on the /proc link means /proc is not mounted, not that
		 * the file vanished.
		 */
		return e == -ENOENT && opath ? -EOPNOTSUPP : e;
	}
	probe_drop_xattrs(r);
	end = list + len;
	for (n = 0, p = list; p < end; p += strlen(p) + 1)
		n++;
	r->xattrs = n > 0 ? xcalloc(n, sizeof(*r->xattrs)) : NULL;
	for (p = list; p < end && r->nxattrs < n; p += strlen(p) + 1) {
		if (*p == '\0')
			continue;
		e = xt_get_value(&t, p, &r->xattrs[r->nxattrs]);
		if (e == -ENODATA)
			continue;	/* removed since the list: gone */
		if (e < 0) {
			free(list);
			probe_drop_xattrs(r);
			return e;
		}
		r->nxattrs++;
	}
	free(list);
	if (r->xattrs != NULL && r->nxattrs > 1)
		qsort(r->xattrs, r->nxattrs, sizeof(*r->xattrs),
		    xattr_name_cmp);
	r->known |= ATTR_BIT(ATTR_XATTRS);
	return 0;
}

/*
 * Full chattr flags of a regular file or directory opened for reading.
 * A filesystem without them keeps the two bits statx gave.
 */
static int
probe_flags(int fd, struct record *r)
{
	int v;

	if (ioctl(fd, FS_IOC_GETFLAGS, &v) < 0) {
		if (errno != ENOTTY && errno != EOPNOTSUPP &&
		    errno != EINVAL && errno != ENOSYS)
			return -errno;
	} else
		r->flags = (uint32_t)v;
	r->known |= ATTR_BIT(ATTR_FLAGS);
	return 0;
}

int
probe_complete(int dirfd, const char *name, unsigned flags, attr_mask want,
    struct record *r, int *ret_fd, struct stat *ret_st)
{
	bool readable, hash, link;
	struct stat st;
	int fd = -1, e;

	*ret_fd = -1;
	if (want & ATTR_BIT(ATTR_ATIME))
		r->known |= ATTR_BIT(ATTR_ATIME);	/* stage one read it */
	link = (want & ATTR_BIT(ATTR_LINK_TARGET)) && S_ISLNK(r->mode);
	hash = (want & ATTR_BIT(ATTR_HASH)) && S_ISREG(r->mode);
	if (!link && !hash &&
	    !(want & (ATTR_BIT(ATTR_XATTRS) | ATTR_BIT(ATTR_FLAGS))))
		return 0;

	/* Only regular files and directories are ever opened for reading. */
	readable = S_ISREG(r->mode) || S_ISDIR(r->mode);
	if (readable)
		e = probe_open_read(dirfd, name, flags, r->mode, &fd);
	else
		e = probe_open_path(dirfd, name, flags, &fd);
	if (e < 0)
		return e;
	if ((e = probe_same_file(fd, r, &st)) < 0)
		goto fail;
	/* The target of the very link the O_PATH fd holds. */
	if (link && (e = probe_readlink(fd, "", r)) < 0)
		goto fail;
	if ((want & ATTR_BIT(ATTR_XATTRS)) &&
	    (e = probe_xattrs(fd, !readable, r)) < 0)
		goto fail;
	if (want & ATTR_BIT(ATTR_FLAGS)) {
		if (readable && (e = probe_flags(fd, r)) < 0)
			goto fail;
		/* Other types: the statx bits are all there is. */
		r->known |= ATTR_BIT(ATTR_FLAGS);
	}
	if (!hash) {
		close(fd);
		return 0;
	}
	/*
	 * O_NONBLOCK stays: reads of a regular file ignore it (the hasher
	 * clears it where a file system does not), and a call is saved.
	 */
	if (ret_st != NULL)
		*ret_st = st;
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return e;
}

int
probe_open_parent(const char *path, size_t len, int *ret_dirfd,
    const char **ret_name)
{
	size_t end, last;
	int fd;

	*ret_dirfd = -1;
	if (len == 0 || path[0] != '/' || memchr(path, '\0', len) != NULL)
		return -EINVAL;
	end = len;
	while (end > 0 && path[end - 1] == '/')
		end--;
	if (end == 0) {
		/* "/" (or "//..."): the root, probed as "." in itself. */
		if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return -errno;
		*ret_dirfd = fd;
		*ret_name = ".";
		return 0;
	}
	if (end != len)
		return -EINVAL;	/* a trailing slash would follow a symlink */
	last = end;
	while (last > 0 && path[last - 1] != '/')
		last--;
	if ((end - last == 1 && path[last] == '.') ||
	    (end - last == 2 && path[last] == '.' && path[last + 1] == '.'))
		return -EINVAL;	/* not a name in the parent */
	/* The parents by walk_open_dir, which takes any length. */
	if ((fd = walk_open_dir(path, last, O_PATH)) < 0)
		return fd;
	*ret_dirfd = fd;
	*ret_name = path + last;
	return 0;
}
