/*
 * record: one file's observed state.
 *
 * A struct record is the working form of a file's attributes: what probe
 * fills, what hashing completes, what diff compares and what alert prints.
 * It is generous (every digest has room) and lives on the stack or inside
 * a pending job; the baseline stores a packed form of it (baseline.h).
 *
 * known says which attributes were captured.  Every field statx(2) gives
 * (type, mode, uid, gid, size, times, inode, nlink) is always captured,
 * whatever the rule asks, because stat-first rescans compare them to
 * decide what to re-hash; link target, xattrs, flags and hash only when
 * asked.  Its JSON and packed forms are the attribute table's (attr.h),
 * which knows the record; the record knows only the attr_mask type, by
 * its width.  Owned pointers (link_target, xattrs) are freed by
 * record_release(); record_copy() deep-copies.
 */
#ifndef FIMD_RECORD_H
#define FIMD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct fimd_time {
	int64_t	 sec;
	uint32_t nsec;
};

struct xattr {
	char	*name;		/* NUL-terminated, owned */
	unsigned char *value;	/* owned, may hold any bytes */
	size_t	 len;
};

struct record {
	uint32_t known;		/* attr_mask: attributes captured (attr.h) */
	uint32_t mode;		/* st_mode: type and permission bits */
	uint32_t uid;
	uint32_t gid;
	uint32_t nlink;
	uint64_t size;
	uint64_t inode;
	uint64_t dev;		/* st_dev, makedev() form; not compared */
	struct fimd_time mtime;
	struct fimd_time ctime;
	struct fimd_time atime;
	struct fimd_time btime;	/* {0,0} when the filesystem has none */
	uint32_t flags;		/* FS_IOC_GETFLAGS bits */
	char	*link_target;	/* symlinks only; owned */
	struct xattr *xattrs;	/* sorted by name; owned */
	size_t	 nxattrs;
	hash_mask algos;	/* digests present in md */
	bool	 hash_too_large; /* over max_size: attributes only */
	unsigned char md[HASH_COUNT][HASH_MAX_SIZE];
	/*
	 * Working state only, never stored: digests of the first
	 * (baseline size) bytes, taken for GROWING files (hash.h).
	 */
	hash_mask prefix_algos;
	unsigned char prefix_md[HASH_COUNT][HASH_MAX_SIZE];
	/*
	 * Working state only: the file moved while it was hashed (hash.h's
	 * changed_while_read), so md covers what was read.
	 */
	bool	 changed_while_hashed;
	/*
	 * Working state only, never stored: digests in md beyond algos,
	 * taken for another purpose than the rule's (the package
	 * database's md5, scan_set_extra_algos).
	 */
	hash_mask extra_algos;
};

/* r's digest by algorithm a, a rule's or an extra one, or NULL. */
const unsigned char *record_digest(const struct record *r, enum hash_algo a);

void	record_init(struct record *r);
void	record_release(struct record *r);
/* Deep copy of src into dst (dst is overwritten, not released). */
void	record_copy(struct record *dst, const struct record *src);
/* Move src into dst (dst released first); src is left empty. */
void	record_move(struct record *dst, struct record *src);

/* File type word used in alerts and the baseline: "file", "dir",
 * "symlink", "fifo", "socket", "chardev", "blockdev", "unknown". */
const char *record_type_name(uint32_t mode);
/* Inverse of record_type_name: S_IF* bits, or 0 when unknown. */
uint32_t record_type_from_name(const char *name);

/* RFC 3339 UTC with microseconds: "2026-11-24T11:24:06.123456Z". */
#define FIMD_TIME_RFC3339_LEN	48
void	fimd_time_rfc3339(const struct fimd_time *t,
	    char out[FIMD_TIME_RFC3339_LEN]);
/* The same for a wall-clock time in seconds (clock_wall_s). */
void	fimd_time_rfc3339_s(double seconds, char out[FIMD_TIME_RFC3339_LEN]);

#endif
