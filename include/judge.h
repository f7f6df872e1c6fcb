/*
 * judge: the one place that decides what a difference is called.
 *
 * Given what the baseline recorded for an entry and what is on disk now,
 * judge_change() names the action an alert reports (created, deleted,
 * moved, updated, attributes_modified) and which attributes changed, as
 * the entry's rule sees them (diff.h).  --check, scheduled rescans and
 * the realtime path all ask it, so they can never disagree about the
 * same change.  judge_package() gives the same change its verdict for
 * the package that owns the path (pkgdb.h).  Pure module: no I/O, no
 * allocation (the package database is asked, in memory).
 */
#ifndef FIMD_JUDGE_H
#define FIMD_JUDGE_H

#include <stdbool.h>

#include "alert.h"
#include "diff.h"
#include "pkgdb.h"
#include "procinfo.h"
#include "record.h"
#include "rules.h"

/*
 * old: the baseline's record, NULL when the entry is new; new: the entry
 * now, NULL when it is gone; rule: the rule covering it (NULL: compare
 * the standard attributes); moved: old was recorded under another path
 * (a rename seen as it happened, or an inode matched by a rescan).
 * Returns whether there is anything to report, and then sets *action and
 * *diff (zeroed for created and deleted).  A move is always reported;
 * its diff leaves out ctime, which every rename changes.
 */
bool	judge_change(const struct record *old, const struct record *new,
	    const struct rule *rule, bool moved, enum alert_action *action,
	    struct diff *diff);

/*
 * The digests judge_package needs beyond a rule's for path: md5 when a
 * package recorded one for it, else none.  Only owned paths pay.
 */
hash_mask judge_package_algos(const struct pkgdb *db, const char *path,
	    size_t len);

/*
 * Whether writer (NULL: unknown) or one of its ancestors is db's package
 * manager (pkgdb_is_manager, by comm or executable).  Maintainer scripts
 * run below dpkg, so they count.
 */
bool	judge_by_manager(const struct pkgdb *db, const struct procinfo *writer);

/* Whether writer itself, not an ancestor, is db's package manager. */
bool	judge_is_manager(const struct pkgdb *db, const struct procinfo *writer);

/*
 * The verdict on change c for the package owning c->path; db NULL or
 * not read yet gives VERDICT_NONE.  by_manager as judge_by_manager says.
 * Decided in this order:
 *  - no package owns the path: unowned;
 *  - the new contents carry an md5 (the record's digest, a rule's or an
 *    extra one) and the package recorded one: equal, package; else a
 *    conffile changed by anyone but the manager is conffile-edited and
 *    anything else package-mismatch;
 *  - nothing to compare (deleted, a directory or symlink, no recorded
 *    digest, no hash taken): package when the manager wrote it, else
 *    conffile-edited for a conffile and package-mismatch otherwise.
 * ret's owner borrows from db (pkgdb.h says until when).
 */
void	judge_package(const struct pkgdb *db, const struct change *c,
	    bool by_manager, struct verdict *ret);

#endif
