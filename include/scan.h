/*
 * scan: the walk-probe-hash engine shared by every mode.
 *
 * A struct scan walks rule trees (or probes single paths for the daemon),
 * asks its owner after the cheap statx stage whether the rest is needed
 * (stat-first rescans say no when nothing moved), completes the probe,
 * hands regular files to the hashpool and delivers each finished item to
 * the owner's done callback, on the owner's thread.  Walks are walk.h's:
 * relative to directory fds, depth-first, in byte order of names within
 * a directory; a symlink is never followed unless the covering rule says
 * so (and then only to probe it, never to descend).  Only entries some
 * rule covers are delivered; directories are descended when
 * ruleset_should_descend() says so.
 *
 * Hashing is asynchronous: scan_walk() and scan_path() return once every
 * entry was probed and its hash job submitted; results arrive through
 * scan_reap(), called when hashpool_fd() is readable (the daemon) or by
 * scan_finish() (one-shot modes), which waits for every job.  At most
 * max_inflight jobs (each holding an open fd) exist at once: submitting
 * past that reaps first.
 *
 * Problems with one file or directory (permission denied, I/O error)
 * never stop a walk: they are delivered as an item with err set (err_op
 * "opendir" or "readdir" for a directory that could not be opened or
 * listed).  A name that vanished while the walk went by is not a problem.
 */
#ifndef FIMD_SCAN_H
#define FIMD_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hashpool.h"
#include "record.h"
#include "rules.h"

enum scan_decision {
	SCAN_COMPLETE,	/* collect link target, xattrs, flags, hash */
	SCAN_STAT_ONLY,	/* deliver the statx stage as it is */
};

struct scan_ops;

/*
 * A group of items whose completion the caller waits for (a rescan):
 * inflight counts its hash jobs not yet delivered.  ops (may be NULL:
 * the engine's) and arg receive the batch's items, so one engine serves
 * owners of several kinds.  Owned by the caller.
 */
struct scan_batch {
	size_t	 inflight;
	const struct scan_ops *ops;
	void	*arg;
};

struct scan_item {
	const char *path;	/* borrowed for the callback */
	size_t	 len;
	const struct rule *rule;
	struct record rec;	/* the callee may record_move() out of it */
	bool	 completed;	/* stage two ran (SCAN_COMPLETE) */
	int	 err;		/* 0, or -errno: the file could not be read */
	const char *err_op;	/* "stat", "open", "read", "opendir"... */
	struct scan_batch *batch; /* from scan_path()/scan_one(), or NULL */
};

struct scan_ops {
	/*
	 * After the statx stage of a covered entry (rec holds the stat
	 * fields).  Returns what to do next; may set *prefix_len (GROWING:
	 * digest the first prefix_len bytes too).  NULL: always complete.
	 */
	enum scan_decision (*stat_done)(const struct scan_item *it,
	    uint64_t *prefix_len, void *arg);
	/* The finished item, or an error about it.  Required. */
	void	(*done)(struct scan_item *it, void *arg);
};

struct scan_stats {
	uint64_t files;		/* items delivered */
	uint64_t bytes_hashed;
	uint64_t hashed;	/* items that were hashed */
	uint64_t errors;	/* items delivered with err */
	uint64_t dirs;		/* directories walked */
};

struct scan;

/*
 * A new engine over rs (borrowed) hashing on pool (borrowed; may be NULL
 * to hash on the calling thread).  ops may be NULL when every scan is
 * given a batch with its own ops.  Free with scan_free().
 */
struct scan *scan_new(const struct ruleset *rs, struct hashpool *pool,
	    const struct scan_ops *ops, void *arg);
void	scan_free(struct scan *s);
/* Change the rules (reload); no job may be in flight. */
void	scan_set_ruleset(struct scan *s, const struct ruleset *rs);
void	scan_set_max_inflight(struct scan *s, size_t n);
/*
 * Digests to take besides the rule's for a regular file about to be
 * hashed (fn returns them, or 0); they arrive in the record's
 * extra_algos, never in algos, so the baseline and the comparison see
 * only the rule's.  fn NULL: none.
 */
typedef hash_mask (*scan_extra_fn)(const char *path, size_t len,
	    void *arg);
void	scan_set_extra_algos(struct scan *s, scan_extra_fn fn, void *arg);
/* Force SCAN_COMPLETE with a fresh hash for everything (--paranoid). */
void	scan_set_paranoid(struct scan *s, bool on);
/*
 * Give each rule a lane for files longer than one hashing slice (the
 * daemon): a long file never makes the caller wait for the pool; one
 * whose lane is full waits as a path (scan_waiting) and is probed afresh
 * when a place frees.  Off by default (one-shot modes may wait).
 */
void	scan_set_lanes(struct scan *s, bool on);
/*
 * Stop hashing now: jobs in flight end between two reads and waiting
 * long files are not probed; each is delivered with err -ECANCELED
 * (err_op "read") by the next scan_reap.  scan_uncancel, once nothing is
 * in flight, makes the engine hash again (a reload).
 */
void	scan_cancel(struct scan *s);
void	scan_uncancel(struct scan *s);

/*
 * Walk every rule root; batch as for scan_path.  A root that cannot be
 * reached is delivered as an item (err_op "open").  Returns 0, or the
 * first negative errno met (each was delivered as an item too; every
 * root was walked).
 */
int	scan_walk(struct scan *s, struct scan_batch *batch);
/*
 * Walk the subtree at path (a directory is walked recursively as the
 * rules allow; anything else is probed alone).  Entries no rule covers
 * are skipped.  batch (may be NULL) is set in each item and counts its
 * hash jobs (decremented before the job's item is delivered).  A path
 * that does not exist is no error.  Returns 0 or the first -errno met,
 * which was delivered as an item too: path could not be reached (err_op
 * "open"), or a directory of the tree could not be opened or listed (the
 * walk went on).  Errors of single files come only as items.
 */
int	scan_path(struct scan *s, const char *path, size_t len,
	    struct scan_batch *batch);
/*
 * A walk in slices, for an owner with other work between them (the
 * daemon's rescans): scan_walk_begin() starts a walk of scope[0..len)
 * (NULL: every rule root) with batch as for scan_path, and each
 * scan_walk_run() goes on for about budget entries (0: to the end),
 * returning 1 while more remains, else 0 or the first -errno met, as
 * scan_walk() and scan_path() do.  Between two runs scan_path() and
 * scan_one() may run, and the tree may change (walk.h says what the walk
 * then sees; scan_walk_inside() says whether a directory that was just
 * renamed holds where the walk stands).  scan_walk_abort() ends it
 * early.  One at a time: -EBUSY while one is active.  The rules must
 * not change while one is active.
 */
int	scan_walk_begin(struct scan *s, const char *scope, size_t len,
	    struct scan_batch *batch);
int	scan_walk_run(struct scan *s, size_t budget);
void	scan_walk_abort(struct scan *s);
bool	scan_walk_active(const struct scan *s);
bool	scan_walk_inside(const struct scan *s, const char *path, size_t len);
/*
 * Probe exactly one path, covered or not (rule may be NULL in the item).
 * Used by the daemon for each touched file; a path that does not exist
 * is delivered with err -ENOENT and err_op "stat".  Returns 0 or -errno.
 */
int	scan_one(struct scan *s, const char *path, size_t len,
	    struct scan_batch *batch);
/*
 * Never deliver this exact path, nor the temporaries atomicfile makes
 * for it (the daemon's own baseline and alert files).
 */
void	scan_ignore_path(struct scan *s, const char *path, size_t len);
/* Whether path is one of those or such a temporary. */
bool	scan_is_ignored(const struct scan *s, const char *path, size_t len);
/*
 * Deliver completed hash jobs and probe long files whose lane has room;
 * with wait, until none is in flight or waiting.
 */
void	scan_reap(struct scan *s, bool wait);
/* scan_reap(s, true). */
void	scan_finish(struct scan *s);
size_t	scan_inflight(const struct scan *s);
/* Long files waiting for a place in their lane. */
size_t	scan_waiting(const struct scan *s);
const struct scan_stats *scan_stats(const struct scan *s);

#endif
