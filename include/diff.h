/*
 * diff: which attributes of a file changed, as its rule sees them.
 *
 * Only attributes in the rule's mask that both records carry are
 * compared (a rule that starts asking for a new attribute or algorithm
 * does not make every file "changed"; --update records it).  Directories
 * never compare ATTR_DIR_IGNORED.  atime is compared only when the rule
 * names it explicitly.
 *
 * GROWING (ATTR_F_GROWING): a regular file that kept its inode may grow.
 * Growth alone (size up, mtime and ctime moved, and the digests of the
 * first old-size bytes equal to the old digests) is no change at all; a
 * smaller size, or a changed prefix, is reported as size and hash.
 *
 * Pure module.
 */
#ifndef FIMD_DIFF_H
#define FIMD_DIFF_H

#include <stdbool.h>

#include "attr.h"
#include "hash.h"
#include "record.h"

struct diff {
	attr_mask changed;	/* ATTR_BIT of each differing attribute */
	hash_mask algos;	/* algorithms whose digests differ */
	bool	 grew;		/* GROWING file grew with its prefix intact */
	bool	 type_changed;	/* e.g. file replaced by a directory */
};

/* Compare old (the baseline) and new.  Fills *ret; never fails. */
void	diff_records(const struct record *old, const struct record *new,
	    attr_mask rule_attrs, struct diff *ret);
/* Whether anything is reported. */
bool	diff_any(const struct diff *d);
/*
 * Whether the change is to contents (hash, size, link target or type),
 * which an alert calls "updated", rather than metadata only
 * ("attributes_modified").
 */
bool	diff_is_content(const struct diff *d);

#endif
