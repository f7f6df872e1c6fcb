/* trecord: field-by-field record comparison; see trecord.h. */
#include <stddef.h>

#include "tlib.h"
#include "trecord.h"

#include "attr.h"
#include "hash.h"

static void
assert_time_equal(const struct fimd_time *a, const struct fimd_time *b)
{
	assert_int_equal(a->sec, b->sec);
	assert_int_equal(a->nsec, b->nsec);
}

void
trecord_assert_equal(const struct record *a, const struct record *b)
{
	size_t i;
	int h;

	assert_int_equal(a->known, b->known);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_int_equal(a->nlink, b->nlink);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->inode, b->inode);
	assert_int_equal(a->dev, b->dev);
	assert_time_equal(&a->mtime, &b->mtime);
	assert_time_equal(&a->ctime, &b->ctime);
	assert_time_equal(&a->btime, &b->btime);
	if (a->known & ATTR_BIT(ATTR_ATIME))
		assert_time_equal(&a->atime, &b->atime);
	if (a->known & ATTR_BIT(ATTR_FLAGS))
		assert_int_equal(a->flags, b->flags);
	if (a->link_target == NULL)
		assert_null(b->link_target);
	else
		assert_string_equal(a->link_target, b->link_target);
	assert_int_equal(a->nxattrs, b->nxattrs);
	for (i = 0; i < a->nxattrs; i++) {
		assert_string_equal(a->xattrs[i].name, b->xattrs[i].name);
		assert_int_equal(a->xattrs[i].len, b->xattrs[i].len);
		assert_memory_equal(a->xattrs[i].value, b->xattrs[i].value,
		    a->xattrs[i].len);
	}
	assert_int_equal(a->hash_too_large, b->hash_too_large);
	assert_int_equal(a->algos, b->algos);
	for (h = 0; h < HASH_COUNT; h++) {
		if (a->algos & HASH_BIT(h))
			assert_memory_equal(a->md[h], b->md[h], hash_size(h));
	}
}
