/*
 * diff: which attributes of a file changed, as its rule sees them; see
 * diff.h for the rules of comparison.
 */
#include <string.h>
#include <sys/stat.h>

#include "diff.h"

/* What a GROWING file's growth may move without being a change. */
#define GROWTH_BITS (ATTR_BIT(ATTR_SIZE) | ATTR_BIT(ATTR_HASH) | \
	ATTR_BIT(ATTR_MTIME) | ATTR_BIT(ATTR_CTIME))

/* Changes to these are to the contents ("updated"). */
#define CONTENT_BITS (ATTR_BIT(ATTR_HASH) | ATTR_BIT(ATTR_SIZE) | \
	ATTR_BIT(ATTR_LINK_TARGET) | ATTR_BIT(ATTR_TYPE))

/* Algorithms both records carry whose digests differ. */
static hash_mask
differing_algos(const struct record *old, const struct record *new)
{
	hash_mask both = old->algos & new->algos, ret = 0;
	int i;

	for (i = 0; i < HASH_COUNT; i++) {
		if ((both & HASH_BIT(i)) &&
		    memcmp(old->md[i], new->md[i], hash_size(i)) != 0)
			ret |= HASH_BIT(i);
	}
	return ret;
}

/* Whether GROWING applies at all: the same regular file, by inode. */
static bool
same_regular_file(const struct record *old, const struct record *new,
    attr_mask both)
{
	attr_mask need = ATTR_BIT(ATTR_TYPE) | ATTR_BIT(ATTR_INODE) |
	    ATTR_BIT(ATTR_SIZE);

	return (both & need) == need && S_ISREG(old->mode) &&
	    S_ISREG(new->mode) && old->inode == new->inode;
}

/*
 * Whether the first old-size bytes of new are old's contents.  When the
 * hash is not compared there is nothing to check; when both were too
 * large to hash nothing can be, as for any file over max_size.  Otherwise
 * every algorithm with both an old digest and a new prefix digest must
 * match, and there must be at least one.
 */
static bool
prefix_intact(const struct record *old, const struct record *new,
    attr_mask want)
{
	hash_mask common;
	int i;

	if (!(want & ATTR_BIT(ATTR_HASH)))
		return true;
	if (old->hash_too_large)
		return new->hash_too_large;
	common = old->algos & new->prefix_algos;
	if (common == 0)
		return false;
	for (i = 0; i < HASH_COUNT; i++) {
		if ((common & HASH_BIT(i)) &&
		    memcmp(old->md[i], new->prefix_md[i], hash_size(i)) != 0)
			return false;
	}
	return true;
}

void
diff_records(const struct record *old, const struct record *new,
    attr_mask rule_attrs, struct diff *ret)
{
	attr_mask both = old->known & new->known, want, forced = 0;
	int a;

	memset(ret, 0, sizeof(*ret));
	/* A type change is always reported, whatever the rule asks. */
	if ((both & ATTR_BIT(ATTR_TYPE)) &&
	    !attr_equal(ATTR_TYPE, old, new)) {
		ret->type_changed = true;
		ret->changed |= ATTR_BIT(ATTR_TYPE);
	}
	want = rule_attrs & both & ATTR_ALL_BITS & ~ATTR_BIT(ATTR_TYPE);
	if (S_ISDIR(old->mode) || S_ISDIR(new->mode))
		want &= ~ATTR_DIR_IGNORED;

	if ((rule_attrs & ATTR_F_GROWING) && !ret->type_changed &&
	    same_regular_file(old, new, both)) {
		if (new->size > old->size && prefix_intact(old, new, want)) {
			ret->grew = true;
			want &= ~GROWTH_BITS;
		} else if (new->size != old->size) {
			/* Shrunk, or grew over other contents. */
			forced = want & (ATTR_BIT(ATTR_SIZE) |
			    ATTR_BIT(ATTR_HASH));
		}
	}

	for (a = 0; a < ATTR_COUNT; a++) {
		if ((want & ATTR_BIT(a)) && !attr_equal(a, old, new))
			ret->changed |= ATTR_BIT(a);
	}
	ret->changed |= forced;
	if (ret->changed & ATTR_BIT(ATTR_HASH))
		ret->algos = differing_algos(old, new);
}

bool
diff_any(const struct diff *d)
{
	return d->changed != 0 || d->type_changed;
}

bool
diff_is_content(const struct diff *d)
{
	return d->type_changed || (d->changed & CONTENT_BITS) != 0;
}
