/*
 * probe: read one file's attributes without ever blocking or following
 * what it must not follow.
 *
 * Everything is relative to a directory fd, so no path is too long.
 * probe_stat() is the cheap first stage (one statx(2): type, mode, ids,
 * size, times including btime, inode, nlink; chattr's immutable and
 * append-only bits come free with statx attributes).  probe_complete()
 * is the second stage for what a rule asks beyond that: the link target
 * (readlinkat), extended attributes (POSIX ACLs, security.selinux,
 * security.capability, user.*), the full chattr flags (FS_IOC_GETFLAGS),
 * and for regular files an fd ready for hashing.
 *
 * Files are opened O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
 * O_CLOEXEC (O_NOATIME where allowed), only after statx said "regular
 * file", and the opened fd is checked again with fstat, so a FIFO, socket
 * or device never blocks the caller and is never read.  Other types are
 * reached through an O_PATH descriptor only.
 *
 * Errors are negative errno values; the caller names the file.
 */
#ifndef FIMD_PROBE_H
#define FIMD_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "attr.h"
#include "buf.h"
#include "record.h"

#define PROBE_FOLLOW	0x1	/* follow a symlink (rule follow_symlinks) */

/*
 * Stage one: statx of name in dirfd.  Initialises *ret and fills the stat
 * fields (known gets every statx attribute: RECORD_STAT_BITS, without
 * ATTR_BTIME when the filesystem has no birth time).  atime is filled but
 * not known, and r->flags already holds the immutable and append-only
 * bits statx reports (not known as ATTR_FLAGS either).  Returns 0 or
 * -errno (-ENOENT when it vanished).
 */
int	probe_stat(int dirfd, const char *name, unsigned flags,
	    struct record *ret);
/*
 * Stage one from a statx taken already (statahead.h: the call probe_stat
 * makes without PROBE_FOLLOW): initialises and fills *ret the same way.
 */
void	probe_from_statx(const struct statx *stx, struct record *ret);
/*
 * Stage two: add the attributes of want that stage one does not give
 * (ATTR_LINK_TARGET, ATTR_XATTRS, ATTR_FLAGS) to r, and when want has
 * ATTR_HASH and r is a regular file, open it for reading: *ret_fd gets a
 * new fd (caller closes) or -1 when nothing is to be hashed.  Checks
 * that the opened file is the one stage one saw (same inode and type);
 * returns -ESTALE when it changed in between (the caller re-probes).
 * Returns 0 or -errno; on error *ret_fd is -1.
 *
 * What becomes known: ATTR_LINK_TARGET for symlinks only; ATTR_XATTRS
 * for every type (sorted by name, values as the kernel gives them);
 * ATTR_FLAGS for every type (FS_IOC_GETFLAGS for regular files and
 * directories, else or where unsupported the two statx bits); ATTR_ATIME
 * when asked (stage one read it).  ATTR_HASH is the hasher's to set.
 * The hash fd is O_CLOEXEC, O_NOATIME when allowed, and still O_NONBLOCK
 * (regular files ignore it; the hasher clears it if a read says EAGAIN);
 * *ret_st (may be NULL) receives its fstat, for hash_request.start.
 */
int	probe_complete(int dirfd, const char *name, unsigned flags,
	    attr_mask want, struct record *r, int *ret_fd,
	    struct stat *ret_st);
/*
 * Open the directory that holds the last component of path (absolute,
 * any length; path[len] is NUL), for probing it with the functions above.
 * *ret_dirfd receives an O_PATH | O_DIRECTORY fd (caller closes) and
 * *ret_name a pointer into path at the last component ("/" itself gives
 * "." in "/").  Symlinks among the parents are followed as the kernel
 * would (/lib -> usr/lib); the last component is never resolved.
 * Returns 0 or -errno: -EINVAL for a relative path, a NUL inside, a
 * trailing slash or a last component "." or ".."; -ENOENT, -ENOTDIR,
 * -ELOOP, -ENAMETOOLONG, -EACCES from the walk.
 */
int	probe_open_parent(const char *path, size_t len, int *ret_dirfd,
	    const char **ret_name);

#endif
