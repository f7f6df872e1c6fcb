/*
 * scan_int: what the two files of the scan engine share (private to
 * src/scan.c, the probing and hashing, and src/scan_walk.c, the walks).
 *
 * struct scan is owned by scan_new()/scan_free() in scan.c; the walkers
 * in it are made by scan_walk.c when a walk first needs them and freed
 * by scan_free().
 */
#ifndef FIMD_SCAN_INT_H
#define FIMD_SCAN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "scan.h"
#include "walk.h"

/* Jobs a one-shot scan hands the pool at once (scan_submit). */
#define SCAN_SUBMIT_BATCH		32

struct scan_lane;
struct scan_wait;

struct scan {
	const struct ruleset *rs;
	struct hashpool *pool;
	struct hasher *hasher;	/* inline hashing when pool is NULL */
	struct scan_ops ops;
	void	*arg;
	size_t	 max_inflight;
	size_t	 inflight;
	/* Jobs counted in flight but not yet handed to the pool. */
	struct hash_job *held[SCAN_SUBMIT_BATCH];
	size_t	 nheld;
	bool	 paranoid;
	scan_extra_fn extra;
	void	*extra_arg;
	struct scan_stats stats;
	struct buf path;	/* the path scan_path or scan_one started at */
	struct walk *walk;
	char	**ignore;	/* own files: never delivered */
	size_t	 nignore;
	bool	 lanes;		/* see the design note */
	struct scan_lane *lane;
	size_t	 nlanes;
	struct scan_wait *waiting, **waiting_tail;
	size_t	 nwaiting;
	bool	 dispatching;	/* scan_dispatch is running */
	bool	 cancelled;
	struct scan_slices *slices;	/* scan_walk_begin(), or NULL */
};

/* What the walk callbacks of one scan_path() get. */
struct scan_walk {
	struct scan *s;
	struct scan_batch *batch;
	struct walk *wk;
	size_t	 left;		/* entries before a pause; SIZE_MAX: none */
};

/*
 * A walk run in slices.  It has a walker of its own, so scan_path() and
 * scan_one() (the daemon's realtime work) run while it is paused.
 */
struct scan_slices {
	struct walk *walk;
	struct scan_walk sw;
	char	*scope;		/* NULL: every rule root */
	size_t	 scope_len;
	size_t	 next;		/* the next root (or 1: the scope begun) */
	int	 err;		/* the first error met */
	bool	 active;
};

/* Hand a finished item to its batch's owner or the engine's. */
void	scan_deliver(struct scan *s, struct scan_item *it);
/*
 * Probe name in dirfd (it->path names it) as its rule asks, with the
 * statx taken ahead if there is one, and deliver or hash it.
 */
void	scan_probe(struct scan *s, int dirfd, const char *name,
	    const struct statx *ahead, struct scan_item *it);
/* Set s->path to path and open its parent (probe_open_parent). */
int	scan_start(struct scan *s, const char *path, size_t len,
	    int *ret_parent, const char **ret_name);

#endif
