/*
 * compare: what a scan found that the baseline does not say.
 *
 * A struct compare plugs into a struct scan (compare_scan_ops, with the
 * compare as arg) and judges each item against the baseline:
 *
 *  - stat first: an entry whose statx fields (type, mode, ids, size,
 *    mtime, ctime, btime, inode, nlink) all equal the baseline's, and
 *    whose baseline entry already holds everything its rule asks for, is
 *    unchanged without being opened (scan_set_paranoid or the rule's
 *    paranoid setting turn this off).  This trusts that contents cannot
 *    change without ctime changing, which only a clock change or raw
 *    block-device writes can defeat; fimd(8) says so.
 *  - changed entries are named by judge_change() (judge.h): "updated"
 *    (contents, type, link target) or "attributes_modified", as the
 *    rule's attributes see them;
 *  - at compare_finish(), baseline entries in scope that the scan did not
 *    meet are deleted, except below directories that could not be read;
 *    a deleted entry and a new one with the same device, inode, type and
 *    contents become one "moved" change.
 *
 * Changes are delivered at compare_finish(), sorted by path.  With update
 * set, the baseline is brought up to date as the scan goes (new and
 * changed entries) and at finish (deletions), so it ends equal to the
 * disk; without it, the baseline is only read (and its seen marks).
 * Unreadable items are reported at once through ops->unreadable.
 */
#ifndef FIMD_COMPARE_H
#define FIMD_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "baseline.h"
#include "diff.h"
#include "record.h"
#include "rules.h"
#include "scan.h"

struct compare_ops {
	/* Each change, at compare_finish, in path order. */
	void	(*change)(const struct change *c, void *arg);
	/* A covered file or directory that could not be read. */
	void	(*unreadable)(const struct scan_item *it, void *arg);
	/*
	 * Optional: whether a new entry is taken into the baseline
	 * silently (coverage that rules just added) instead of reported.
	 */
	bool	(*adopt)(const char *path, size_t len, const struct record *r,
	    void *arg);
};

struct compare_counts {
	uint64_t files;		/* covered entries seen */
	uint64_t added;
	uint64_t removed;
	uint64_t changed;	/* updated, attributes_modified */
	uint64_t moved;		/* a path added and one removed, as one */
	uint64_t unreadable;
};

struct compare;

/* Operations for scan_new(); pass the struct compare as arg. */
extern const struct scan_ops compare_scan_ops;

/*
 * A new comparison of a scan against b (borrowed) under rs (borrowed).
 * Free with compare_free.
 */
struct compare *compare_new(struct baseline *b, const struct ruleset *rs,
	    bool update, const struct compare_ops *ops, void *arg);
void	compare_free(struct compare *c);
/*
 * Give every change its package verdict from db (borrowed; NULL: none).
 * With verify, entries the baseline still describes are also checked
 * against what their package recorded (--check --packages): each owned
 * regular file is hashed (stat-first is off for it) and one whose
 * contents the package would not vouch for is an ACTION_PACKAGE_DIFFERS
 * change, counted as changed.
 */
void	compare_set_packages(struct compare *c, const struct pkgdb *db,
	    bool verify);
/*
 * Start a comparison over scope (an absolute path; NULL or "/" for
 * everything): clears the seen marks and any previous state.
 */
void	compare_begin(struct compare *c, const char *scope, size_t len);
/*
 * The scan is over and no hash job is in flight: find deletions and
 * moves, deliver every change, apply deletions when updating.  Fills
 * *ret (may be NULL).
 */
void	compare_finish(struct compare *c, struct compare_counts *ret);
/*
 * The scan ended before it saw its whole scope (stopped, or the rules
 * are about to change): deliver the changes found, judge no deletion
 * (what was not met may still be there).  Fills *ret (may be NULL).
 */
void	compare_finish_found(struct compare *c, struct compare_counts *ret);

/*
 * For an owner whose other work changes the baseline while the scan is
 * under way (the daemon's realtime alerts during a rescan): with track
 * on, compare_flush() delivers the change held for path now, if there is
 * one, so that a later change to the same path is never reported before
 * it; compare_flush_below() does so for everything held below dir (a
 * directory that moved or left).  A change flushed is not delivered
 * again at finish, and takes no part in move detection.
 */
void	compare_track(struct compare *c, bool on);
void	compare_flush(struct compare *c, const char *path, size_t len);
void	compare_flush_below(struct compare *c, const char *dir, size_t len);

#endif
