/*
 * attr_int: the attribute table's rows, shared by attr.c (names,
 * comparison, formatting) and attr_codec.c (JSON and packed forms).
 */
#ifndef FIMD_ATTR_INT_H
#define FIMD_ATTR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "record.h"

/* How a row's value is stored in a record, and so how it travels. */
enum attr_kind {
	ATTR_KIND_TYPE,		/* the S_IFMT bits of mode; packs all of mode */
	ATTR_KIND_MODE,		/* the permission bits of mode */
	ATTR_KIND_U32,		/* a uint32_t at offset */
	ATTR_KIND_U64,		/* a uint64_t at offset (at most INT64_MAX) */
	ATTR_KIND_TIME,		/* a struct fimd_time at offset */
	ATTR_KIND_BTIME,	/* a time that is {0,0} when unknown */
	ATTR_KIND_HASH,		/* digests, or too large to hash */
	ATTR_KIND_TARGET,	/* link_target */
	ATTR_KIND_XATTRS,	/* xattrs */
};

typedef bool attr_equal_fn(const struct record *, const struct record *);
typedef int attr_format_fn(const struct record *, int, struct buf *);

struct attr_info {
	const char *name;	/* as rules and alerts spell it */
	const char *description;
	attr_equal_fn *equal;
	attr_format_fn *format;
	enum attr_kind kind;
	size_t	 offset;	/* of the field in struct record */
	const char *key;	/* in the baseline's JSON form */
	const char *bad;	/* the error for a bad value there */
};

extern const struct attr_info attr_table[ATTR_COUNT];

/* A row's field in a record, by its kind's type. */
static inline uint32_t *
u32_field(struct record *r, const struct attr_info *ai)
{
	return (uint32_t *)(void *)((char *)r + ai->offset);
}

static inline uint64_t *
u64_field(struct record *r, const struct attr_info *ai)
{
	return (uint64_t *)(void *)((char *)r + ai->offset);
}

static inline struct fimd_time *
time_field(struct record *r, const struct attr_info *ai)
{
	return (struct fimd_time *)(void *)((char *)r + ai->offset);
}

/*
 * The baseline form's scalar syntaxes, shared by both of its readers
 * (attr_codec.c from JSON values, attr_line.c from a line's bytes):
 * a "sec.nsec" time and an octal mode, from C strings.  0 or -EINVAL.
 */
int	attr_time_parse(const char *s, struct fimd_time *ret);
int	attr_mode_parse(const char *s, uint64_t *ret);

#endif
