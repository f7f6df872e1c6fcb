/*
 * The attribute table: one row per attribute, giving its name, what it
 * means, how two records compare on it, how its value prints, and where
 * the record keeps it, which is how attr_codec.c stores it.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/fs.h>

#include "attr_int.h"
#include "hash.h"
#include "pathenc.h"
#include "record.h"

static bool
time_eq(const struct fimd_time *a, const struct fimd_time *b)
{
	return a->sec == b->sec && a->nsec == b->nsec;
}

static int
format_time(const struct fimd_time *t, struct buf *b)
{
	struct tm tm;
	time_t sec = (time_t)t->sec;

	if (gmtime_r(&sec, &tm) == NULL)
		return buf_addf(b, "%" PRId64 ".%09" PRIu32, t->sec, t->nsec);
	return buf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRIu32 "Z",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, t->nsec);
}

static bool
eq_type(const struct record *a, const struct record *b)
{
	return (a->mode & S_IFMT) == (b->mode & S_IFMT);
}

static int
fmt_type(const struct record *r, int algo, struct buf *b)
{
	(void)algo;
	return buf_adds(b, record_type_name(r->mode));
}

static bool
eq_mode(const struct record *a, const struct record *b)
{
	return (a->mode & 07777) == (b->mode & 07777);
}

static int
fmt_mode(const struct record *r, int algo, struct buf *b)
{
	(void)algo;
	return buf_addf(b, "%04o", r->mode & 07777);
}

#define SIMPLE_ATTR(field, fmt, cast)					\
static bool								\
eq_##field(const struct record *a, const struct record *b)		\
{									\
	return a->field == b->field;					\
}									\
static int								\
fmt_##field(const struct record *r, int algo, struct buf *b)		\
{									\
	(void)algo;							\
	return buf_addf(b, fmt, (cast)r->field);			\
}

SIMPLE_ATTR(uid, "%" PRIu32, uint32_t)
SIMPLE_ATTR(gid, "%" PRIu32, uint32_t)
SIMPLE_ATTR(size, "%" PRIu64, uint64_t)
SIMPLE_ATTR(inode, "%" PRIu64, uint64_t)
SIMPLE_ATTR(nlink, "%" PRIu32, uint32_t)

#define TIME_ATTR(field)						\
static bool								\
eq_##field(const struct record *a, const struct record *b)		\
{									\
	return time_eq(&a->field, &b->field);				\
}									\
static int								\
fmt_##field(const struct record *r, int algo, struct buf *b)		\
{									\
	(void)algo;							\
	return format_time(&r->field, b);				\
}

TIME_ATTR(mtime)
TIME_ATTR(ctime)
TIME_ATTR(atime)
TIME_ATTR(btime)

static bool
eq_hash(const struct record *a, const struct record *b)
{
	hash_mask both = a->algos & b->algos;
	int i;

	if (a->hash_too_large != b->hash_too_large)
		return false;
	for (i = 0; i < HASH_COUNT; i++) {
		if ((both & HASH_BIT(i)) &&
		    memcmp(a->md[i], b->md[i], hash_size(i)) != 0)
			return false;
	}
	return true;
}

static int
fmt_hash(const struct record *r, int algo, struct buf *b)
{
	char hex[2 * HASH_MAX_SIZE + 1];

	if (r->hash_too_large)
		return buf_adds(b, "(not hashed: over max_size)");
	if (algo < 0 || algo >= HASH_COUNT || !(r->algos & HASH_BIT(algo)))
		return buf_adds(b, "");
	hash_hex(r->md[algo], hash_size(algo), hex);
	return buf_adds(b, hex);
}

static bool
eq_link_target(const struct record *a, const struct record *b)
{
	if (a->link_target == NULL || b->link_target == NULL)
		return a->link_target == b->link_target;
	return strcmp(a->link_target, b->link_target) == 0;
}

static int
fmt_link_target(const struct record *r, int algo, struct buf *b)
{
	(void)algo;
	if (r->link_target == NULL)
		return 0;
	return pathenc_escape(r->link_target, strlen(r->link_target), b);
}

static bool
eq_xattrs(const struct record *a, const struct record *b)
{
	size_t i;

	if (a->nxattrs != b->nxattrs)
		return false;
	for (i = 0; i < a->nxattrs; i++) {
		if (strcmp(a->xattrs[i].name, b->xattrs[i].name) != 0 ||
		    a->xattrs[i].len != b->xattrs[i].len ||
		    memcmp(a->xattrs[i].value, b->xattrs[i].value,
		    a->xattrs[i].len) != 0)
			return false;
	}
	return true;
}

static bool
is_printable(const unsigned char *p, size_t len)
{
	size_t i;

	if (len > 0 && p[len - 1] == '\0')
		len--;		/* C strings stored with their NUL */
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"')
			return false;
	}
	return true;
}

int
attr_format_digest(const void *data, size_t len, struct buf *b)
{
	unsigned char md[HASH_MAX_SIZE];
	char hex[2 * HASH_MAX_SIZE + 1];
	int e;

	if ((e = hash_buffer(HASH_SHA256, data, len, md)) < 0)
		return e;
	hash_hex(md, hash_size(HASH_SHA256), hex);
	return buf_addf(b, "sha256:%s (%zu bytes)", hex, len);
}

/* One value: quoted text, 0x and hex, or past the limit its digest. */
static int
fmt_xattr_value(const struct xattr *x, struct buf *b)
{
	size_t j, len;
	int e;

	if (x->len > ATTR_XATTR_VALUE_MAX) {
		if ((e = buf_addc(b, '=')) < 0)
			return e;
		return attr_format_digest(x->value, x->len, b);
	}
	if (is_printable(x->value, x->len)) {
		len = x->len > 0 && x->value[x->len - 1] == '\0' ?
		    x->len - 1 : x->len;
		return buf_addf(b, "=\"%.*s\"", (int)len,
		    (const char *)x->value);
	}
	e = buf_adds(b, "=0x");
	for (j = 0; j < x->len && e == 0; j++)
		e = buf_addf(b, "%02x", x->value[j]);
	return e;
}

static int
fmt_xattrs(const struct record *r, int algo, struct buf *b)
{
	const struct xattr *x;
	size_t i;
	int e = 0;

	(void)algo;
	for (i = 0; i < r->nxattrs && e == 0; i++) {
		x = &r->xattrs[i];
		if (i > 0)
			e = buf_adds(b, ", ");
		if (e == 0)
			e = pathenc_escape(x->name, strlen(x->name), b);
		if (e == 0)
			e = fmt_xattr_value(x, b);
	}
	return e;
}

static const struct {
	uint32_t bit;
	const char *name;
} flag_names[] = {
	{ FS_SECRM_FL, "secure_deletion" },
	{ FS_UNRM_FL, "undeletable" },
	{ FS_COMPR_FL, "compressed" },
	{ FS_SYNC_FL, "sync" },
	{ FS_IMMUTABLE_FL, "immutable" },
	{ FS_APPEND_FL, "append_only" },
	{ FS_NODUMP_FL, "nodump" },
	{ FS_NOATIME_FL, "noatime" },
	{ FS_JOURNAL_DATA_FL, "journal_data" },
	{ FS_NOTAIL_FL, "notail" },
	{ FS_DIRSYNC_FL, "dirsync" },
	{ FS_TOPDIR_FL, "topdir" },
	{ FS_EXTENT_FL, "extents" },
	{ FS_NOCOW_FL, "nocow" },
	{ FS_DAX_FL, "dax" },
	{ FS_INLINE_DATA_FL, "inline_data" },
	{ FS_PROJINHERIT_FL, "project_inherit" },
	{ FS_CASEFOLD_FL, "casefold" },
};

static bool
eq_flags(const struct record *a, const struct record *b)
{
	return a->flags == b->flags;
}

static int
fmt_flags(const struct record *r, int algo, struct buf *b)
{
	uint32_t rest = r->flags;
	size_t i, n = 0;
	int e = 0;

	(void)algo;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(r->flags & flag_names[i].bit))
			continue;
		rest &= ~flag_names[i].bit;
		if (e == 0 && n++ > 0)
			e = buf_addc(b, ',');
		if (e == 0)
			e = buf_adds(b, flag_names[i].name);
	}
	if (e == 0 && rest != 0)
		e = buf_addf(b, "%s0x%" PRIx32, n > 0 ? "," : "", rest);
	else if (e == 0 && n == 0)
		e = buf_adds(b, "none");
	return e;
}

#define AT(f)	offsetof(struct record, f)

const struct attr_info attr_table[ATTR_COUNT] = {
	[ATTR_TYPE] = { "type", "file type (file, dir, symlink...)",
	    eq_type, fmt_type, ATTR_KIND_TYPE, AT(mode), "type",
	    "bad or missing \"type\"" },
	[ATTR_MODE] = { "mode", "permission bits with setuid, setgid, sticky",
	    eq_mode, fmt_mode, ATTR_KIND_MODE, AT(mode), "mode",
	    "bad or missing \"mode\"" },
	[ATTR_UID] = { "uid", "owner", eq_uid, fmt_uid, ATTR_KIND_U32,
	    AT(uid), "uid", "bad or missing number \"uid\"" },
	[ATTR_GID] = { "gid", "group", eq_gid, fmt_gid, ATTR_KIND_U32,
	    AT(gid), "gid", "bad or missing number \"gid\"" },
	[ATTR_SIZE] = { "size", "size in bytes", eq_size, fmt_size,
	    ATTR_KIND_U64, AT(size), "size",
	    "bad or missing number \"size\"" },
	[ATTR_MTIME] = { "mtime", "last modification time",
	    eq_mtime, fmt_mtime, ATTR_KIND_TIME, AT(mtime), "mtime",
	    "bad or missing time \"mtime\"" },
	[ATTR_CTIME] = { "ctime", "last status change time",
	    eq_ctime, fmt_ctime, ATTR_KIND_TIME, AT(ctime), "ctime",
	    "bad or missing time \"ctime\"" },
	[ATTR_ATIME] = { "atime", "last access time (never in a group)",
	    eq_atime, fmt_atime, ATTR_KIND_TIME, AT(atime), "atime",
	    "bad time \"atime\"" },
	[ATTR_BTIME] = { "btime", "creation (birth) time, from statx",
	    eq_btime, fmt_btime, ATTR_KIND_BTIME, AT(btime), "btime",
	    "bad time \"btime\"" },
	[ATTR_INODE] = { "inode", "inode number", eq_inode, fmt_inode,
	    ATTR_KIND_U64, AT(inode), "inode",
	    "bad or missing number \"inode\"" },
	[ATTR_NLINK] = { "nlink", "number of hard links", eq_nlink, fmt_nlink,
	    ATTR_KIND_U32, AT(nlink), "nlink",
	    "bad or missing number \"nlink\"" },
	[ATTR_HASH] = { "hash", "digest of the contents", eq_hash, fmt_hash,
	    ATTR_KIND_HASH, AT(md), "hash", "bad \"hash\" or \"too_large\"" },
	[ATTR_LINK_TARGET] = { "link_target", "target of a symbolic link",
	    eq_link_target, fmt_link_target, ATTR_KIND_TARGET,
	    AT(link_target), "target", "bad \"target\"" },
	[ATTR_XATTRS] = { "xattrs",
	    "extended attributes: ACLs, SELinux label, capabilities, user.*",
	    eq_xattrs, fmt_xattrs, ATTR_KIND_XATTRS, AT(xattrs), "xattrs",
	    "bad \"xattrs\"" },
	[ATTR_FLAGS] = { "flags", "chattr flags (immutable, append-only...)",
	    eq_flags, fmt_flags, ATTR_KIND_U32, AT(flags), "flags",
	    "bad \"flags\"" },
};

static const struct {
	const char *name;
	attr_mask mask;
} group_table[] = {
	{ "STANDARD", ATTR_GROUP_STANDARD },
	{ "PERMISSIONS", ATTR_GROUP_PERMISSIONS },
	{ "CONTENTS", ATTR_GROUP_CONTENTS },
	{ "ALL", ATTR_GROUP_ALL },
	{ "GROWING", ATTR_GROUP_GROWING },
};

static const char *const group_names[] = {
	"STANDARD", "PERMISSIONS", "CONTENTS", "ALL", "GROWING", NULL
};

const char *
attr_name(enum attr_id a)
{
	return (unsigned)a < ATTR_COUNT ? attr_table[a].name : NULL;
}

const char *
attr_description(enum attr_id a)
{
	return (unsigned)a < ATTR_COUNT ? attr_table[a].description : NULL;
}

attr_mask
attr_group_mask(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(group_table) / sizeof(group_table[0]); i++) {
		if (strcmp(name, group_table[i].name) == 0)
			return group_table[i].mask;
	}
	return 0;
}

const char *const *
attr_group_names(void)
{
	return group_names;
}

int
attr_parse(const char *name, attr_mask *mask)
{
	attr_mask g;
	int a;

	if ((g = attr_group_mask(name)) != 0) {
		*mask |= g;
		return 0;
	}
	for (a = 0; a < ATTR_COUNT; a++) {
		if (strcmp(name, attr_table[a].name) == 0) {
			*mask |= ATTR_BIT(a);
			return 0;
		}
	}
	return -ENOENT;
}

int
attr_mask_format(attr_mask mask, const char *sep, struct buf *b)
{
	int a, n = 0, e;

	for (a = 0; a < ATTR_COUNT; a++) {
		if (!(mask & ATTR_BIT(a)))
			continue;
		if (n++ > 0 && (e = buf_adds(b, sep)) < 0)
			return e;
		if ((e = buf_adds(b, attr_table[a].name)) < 0)
			return e;
	}
	if (mask & ATTR_F_GROWING) {
		if (n > 0 && (e = buf_adds(b, sep)) < 0)
			return e;
		return buf_adds(b, "(growing)");
	}
	return 0;
}

bool
attr_equal(enum attr_id a, const struct record *x, const struct record *y)
{
	if ((unsigned)a >= ATTR_COUNT)
		return true;
	return attr_table[a].equal(x, y);
}

int
attr_format(enum attr_id a, const struct record *r, int algo, struct buf *b)
{
	if ((unsigned)a >= ATTR_COUNT)
		return -EINVAL;
	return attr_table[a].format(r, algo, b);
}
