/*
 * judge: the one place that decides what a difference is called.
 *
 * Given what the baseline recorded for an entry and what is on disk now,
 * judge_change() names the action an alert reports (created, deleted,
 * moved, updated, attributes_modified) and which attributes changed, as
 * the entry's rule sees them (diff.h).  --check, scheduled rescans and
 * the realtime path all ask it, so they can never disagree about the
 * same change.  Pure module: no I/O, no allocation.
 */
#ifndef FIMD_JUDGE_H
#define FIMD_JUDGE_H

#include <stdbool.h>

#include "alert.h"
#include "diff.h"
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

#endif
