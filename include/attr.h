/*
 * attr: the attribute table.
 *
 * One row per attribute a rule can ask for (fimd.rules(5)).  The table
 * drives rule parsing (names and groups), comparison (diff), the string
 * values of an alert's fimd.changes, the record's JSON form in the
 * baseline and its packed form in memory, and the list in the man page
 * (tests/unit/test_attr.c holds the two to each other), so adding an
 * attribute of an existing kind is one row.  Attribute sets travel as an
 * attr_mask; the GROWING group is STANDARD plus the ATTR_F_GROWING
 * modifier bit, which changes how size, times and hash compare (see
 * diff.h).
 *
 * Pure module: no I/O; allocation only for the records and JSON it
 * returns.
 */
#ifndef FIMD_ATTR_H
#define FIMD_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "record.h"

enum attr_id {
	ATTR_TYPE,
	ATTR_MODE,
	ATTR_UID,
	ATTR_GID,
	ATTR_SIZE,
	ATTR_MTIME,
	ATTR_CTIME,
	ATTR_ATIME,
	ATTR_BTIME,
	ATTR_INODE,
	ATTR_NLINK,
	ATTR_HASH,
	ATTR_LINK_TARGET,
	ATTR_XATTRS,
	ATTR_FLAGS,
	ATTR_COUNT
};

typedef uint32_t attr_mask;

#define ATTR_BIT(a)	((attr_mask)1 << (a))
/* Modifier, not an attribute: the file may grow (GROWING group). */
#define ATTR_F_GROWING	((attr_mask)1 << 31)
#define ATTR_ALL_BITS	(ATTR_BIT(ATTR_COUNT) - 1)

#define ATTR_GROUP_STANDARD (ATTR_BIT(ATTR_TYPE) | ATTR_BIT(ATTR_MODE) | \
	ATTR_BIT(ATTR_UID) | ATTR_BIT(ATTR_GID) | ATTR_BIT(ATTR_SIZE) | \
	ATTR_BIT(ATTR_MTIME) | ATTR_BIT(ATTR_BTIME) | ATTR_BIT(ATTR_HASH) | \
	ATTR_BIT(ATTR_LINK_TARGET))
#define ATTR_GROUP_PERMISSIONS (ATTR_BIT(ATTR_TYPE) | ATTR_BIT(ATTR_MODE) | \
	ATTR_BIT(ATTR_UID) | ATTR_BIT(ATTR_GID) | ATTR_BIT(ATTR_XATTRS) | \
	ATTR_BIT(ATTR_FLAGS))
#define ATTR_GROUP_CONTENTS (ATTR_BIT(ATTR_HASH) | ATTR_BIT(ATTR_SIZE))
/* Everything but atime, which reading a file changes. */
#define ATTR_GROUP_ALL	(ATTR_ALL_BITS & ~ATTR_BIT(ATTR_ATIME))
#define ATTR_GROUP_GROWING (ATTR_GROUP_STANDARD | ATTR_F_GROWING)

/* Attributes one statx(2) gives; a record always captures them. */
#define RECORD_STAT_BITS (ATTR_BIT(ATTR_TYPE) | ATTR_BIT(ATTR_MODE) | \
	ATTR_BIT(ATTR_UID) | ATTR_BIT(ATTR_GID) | ATTR_BIT(ATTR_SIZE) | \
	ATTR_BIT(ATTR_MTIME) | ATTR_BIT(ATTR_CTIME) | ATTR_BIT(ATTR_BTIME) | \
	ATTR_BIT(ATTR_INODE) | ATTR_BIT(ATTR_NLINK))

/*
 * Attributes a directory never compares: its size, times and link count
 * follow from its entries, which are reported themselves.
 */
#define ATTR_DIR_IGNORED (ATTR_BIT(ATTR_SIZE) | ATTR_BIT(ATTR_MTIME) | \
	ATTR_BIT(ATTR_CTIME) | ATTR_BIT(ATTR_ATIME) | ATTR_BIT(ATTR_NLINK) | \
	ATTR_BIT(ATTR_HASH))

/* Attribute name as rules and alerts spell it ("link_target"), or NULL. */
const char *attr_name(enum attr_id a);
/* One-line description for --explain and the man page. */
const char *attr_description(enum attr_id a);
/*
 * Look up an attribute or group name (exact, case-sensitive: attributes
 * lower case, groups upper case).  Returns 0 and ORs its bits into
 * *mask, or -ENOENT.
 */
int	attr_parse(const char *name, attr_mask *mask);
/* Group names in table order, NULL-terminated, for help and --explain. */
const char *const *attr_group_names(void);
/* Bits of a group, or 0 when name is not a group. */
attr_mask attr_group_mask(const char *name);
/*
 * Append the names in mask to b, separated by sep ("mode uid hash").
 * Returns 0 or -ENOSPC.
 */
int	attr_mask_format(attr_mask mask, const char *sep, struct buf *b);

/*
 * Compare attribute a of two records.  Both must carry it (record.known);
 * ATTR_HASH compares every algorithm both carry.  Returns true when equal.
 */
bool	attr_equal(enum attr_id a, const struct record *x,
	    const struct record *y);
/*
 * The longest extended attribute value attr_format() shows as it is;
 * a longer one is shown by its digest (attr_format_digest), so one
 * value cannot grow an alert without bound (fimd.alerts(5)).
 */
#define ATTR_XATTR_VALUE_MAX	256

/*
 * Append the value of attribute a in r as the string an alert shows
 * ("0644", "1700000000.123456789" as RFC 3339, the hex digest of the
 * record's first algorithm, "user.k=0x6869, user.t=\"text\"",
 * "user.big=sha256:<hex> (70000 bytes)"...).  ATTR_HASH formats one
 * algorithm: pass its id in algo (ignored for other attributes).
 * Returns 0, -ENOSPC, or the error of the digest.
 */
int	attr_format(enum attr_id a, const struct record *r, int algo,
	    struct buf *b);
/*
 * Append the stand-in for a value too long to show:
 * "sha256:<64 lowercase hex digits> (<len> bytes)", the SHA-256 of the
 * len bytes at data and their count.  Returns 0, -ENOSPC, or the
 * digest's -errno.
 */
int	attr_format_digest(const void *data, size_t len, struct buf *b);

/*
 * The record's attributes as a JSON object in the baseline form described
 * in fimd.baseline(5) (no path): one key per stored attribute, in table
 * order, then "dev"; times as "sec.nsec" strings, digests as lowercase
 * hex under "hash", xattr values as hex.  Returns a new reference.
 */
json_t	*record_to_json(const struct record *r);
/*
 * Parse the baseline form.  Returns 0 and fills *ret (initialised here),
 * or -EINVAL with *ret left empty; errmsg (may be NULL) receives a static
 * description of the first problem, naming the attribute.
 */
int	record_from_json(const json_t *obj, struct record *ret,
	    const char **errmsg);
/*
 * The same for one entry line of the shape baseline_save writes (compact,
 * printable ASCII, no escapes, xattrs or notes), without building JSON
 * values.  Returns 0 with *ret filled and *ret_path, *ret_path_len
 * pointing into s; 1 when the line is outside that shape or anything in
 * it is wrong, *ret left empty: the caller then reads it with
 * record_from_json, which decides and words the error.
 */
int	record_from_line(const char *s, size_t len, const char **ret_path,
	    size_t *ret_path_len, struct record *ret);

/*
 * The packed form the in-memory baseline keeps: varint numbers, only
 * what the record captured.  attr_pack writes at most attr_pack_bound(r)
 * bytes at p and returns the end.  attr_unpack reads one back into *r
 * (initialised here), up to and including attribute last (ATTR_COUNT for
 * everything; stopping at ATTR_INODE allocates nothing) and advances
 * *pp past what it read.
 */
size_t	 attr_pack_bound(const struct record *r);
unsigned char *attr_pack(unsigned char *p, const struct record *r);
void	 attr_unpack(const unsigned char **pp, struct record *r,
	    enum attr_id last);

#endif
