/*
 * A file's observed state: its life cycle and the words for its type.
 * Its JSON and packed forms are the attribute table's (attr_codec.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "pathenc.h"
#include "record.h"
#include "xmalloc.h"

static const struct {
	uint32_t type;
	const char *name;
} record_types[] = {
	{ S_IFREG, "file" },
	{ S_IFDIR, "dir" },
	{ S_IFLNK, "symlink" },
	{ S_IFIFO, "fifo" },
	{ S_IFSOCK, "socket" },
	{ S_IFCHR, "chardev" },
	{ S_IFBLK, "blockdev" },
};

void
record_init(struct record *r)
{
	r->known = 0;
	r->mode = r->uid = r->gid = r->nlink = 0;
	r->size = r->inode = r->dev = 0;
	r->mtime = r->ctime = r->atime = r->btime = (struct fimd_time){ 0, 0 };
	r->flags = 0;
	r->link_target = NULL;
	r->xattrs = NULL;
	r->nxattrs = 0;
	r->algos = 0;
	r->hash_too_large = false;
	r->prefix_algos = 0;
	r->changed_while_hashed = false;
	r->extra_algos = 0;
}

static void
xattrs_free(struct xattr *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

void
record_release(struct record *r)
{
	free(r->link_target);
	xattrs_free(r->xattrs, r->nxattrs);
	record_init(r);
}

void
record_copy(struct record *dst, const struct record *src)
{
	size_t i;

	memcpy(dst, src, sizeof(*dst));
	if (src->link_target != NULL)
		dst->link_target = xstrdup(src->link_target);
	if (src->nxattrs > 0) {
		dst->xattrs = xcalloc(src->nxattrs, sizeof(*dst->xattrs));
		for (i = 0; i < src->nxattrs; i++) {
			dst->xattrs[i].name = xstrdup(src->xattrs[i].name);
			dst->xattrs[i].value = xmemdup(src->xattrs[i].value,
			    src->xattrs[i].len);
			dst->xattrs[i].len = src->xattrs[i].len;
		}
	} else
		dst->xattrs = NULL;
}

void
record_move(struct record *dst, struct record *src)
{
	if (dst == src)
		return;
	record_release(dst);
	memcpy(dst, src, sizeof(*dst));
	record_init(src);
}

const char *
record_type_name(uint32_t mode)
{
	size_t i;

	for (i = 0; i < sizeof(record_types) / sizeof(record_types[0]); i++) {
		if ((mode & S_IFMT) == record_types[i].type)
			return record_types[i].name;
	}
	return "unknown";
}

uint32_t
record_type_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(record_types) / sizeof(record_types[0]); i++) {
		if (strcmp(name, record_types[i].name) == 0)
			return record_types[i].type;
	}
	return 0;
}

void
fimd_time_rfc3339_s(double seconds, char out[FIMD_TIME_RFC3339_LEN])
{
	struct fimd_time t;

	t.sec = (int64_t)seconds;
	t.nsec = (uint32_t)((seconds - (double)t.sec) * 1e9);
	fimd_time_rfc3339(&t, out);
}

void
fimd_time_rfc3339(const struct fimd_time *t, char out[FIMD_TIME_RFC3339_LEN])
{
	struct tm tm;
	time_t sec = (time_t)t->sec;
	size_t n;

	if (gmtime_r(&sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = strftime(out, FIMD_TIME_RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, FIMD_TIME_RFC3339_LEN - n, ".%06uZ",
	    (unsigned)(t->nsec / 1000) % 1000000);
}

const unsigned char *
record_digest(const struct record *r, enum hash_algo a)
{
	if (r->hash_too_large || !((r->algos | r->extra_algos) & HASH_BIT(a)))
		return NULL;
	return r->md[a];
}
