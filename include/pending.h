/*
 * pending: the daemon's set of touched paths waiting to be probed.
 *
 * Each kernel event about a path touches its entry; the entry's timer
 * decides when the path is probed, so a file written in bursts is hashed
 * once: right after a writer closes it, after debounce_ms without new
 * events, and never later than max_ms after the first event of a burst
 * (a writer that keeps the file open is still hashed, and the alert says
 * it was still open).  Metadata events (attrib, delete, moves) settle
 * after a few milliseconds, creations and writes after the debounce.
 *
 * An entry is in one of two states.  Waiting: its timer is armed.
 * Probing: the fire callback ran and the daemon's probe is in flight;
 * events arriving now are accumulated, and pending_done() either drops
 * the entry or, if it was touched meanwhile, arms it again.  So at most
 * one probe per path is ever in flight and results apply in order.
 *
 * The set is bounded (max_entries): pending_touch() returns -ENOSPC
 * instead of growing, and the daemon falls back to a rescan.  Lives on the
 * daemon's libevent loop; entries own copies of their path and procinfo.
 */
#ifndef FIMD_PENDING_H
#define FIMD_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "procinfo.h"
#include "record.h"

struct pending_info {
	unsigned flags;		/* WEV_* seen since the entry was armed */
	double	 first;		/* monotonic seconds of the first event */
	double	 last;		/* ... and of the last one */
	bool	 still_open;	/* fired by the cap with no close seen */
	const struct procinfo *proc;	/* last writer named, or NULL */
	/* A move into this path handled at event time (see daemon.c). */
	const char *moved_from;	/* NULL when none */
	size_t	 moved_from_len;
	const struct record *moved_record; /* the entry as it was */
	uint64_t moved_children;	/* entries below a moved directory */
};

/* Called when an entry is due; the entry is then probing. */
typedef void pending_fire_fn(const char *path, size_t len,
    const struct pending_info *info, void *arg);

struct pending;

struct pending *pending_new(struct event_base *base, uint64_t debounce_ms,
	    uint64_t max_ms, size_t max_entries, pending_fire_fn *fire,
	    void *arg);
void	pending_free(struct pending *p);

/*
 * Note an event on path.  flags are WEV_* bits; proc (may be NULL) is
 * copied.  Returns 0, or -ENOSPC when the set is full.
 */
int	pending_touch(struct pending *p, const char *path, size_t len,
	    unsigned flags, const struct procinfo *proc);
/*
 * Record that path was moved here from old_path at event time, with the
 * entry it had (copied); implies a touch.  Returns 0 or -ENOSPC.
 */
int	pending_moved(struct pending *p, const char *path, size_t len,
	    const char *old_path, size_t old_len, const struct record *old,
	    uint64_t children, const struct procinfo *proc);
/* Move the entry of old_path (if any) to path, merging with path's. */
void	pending_rename(struct pending *p, const char *old_path,
	    size_t old_len, const char *path, size_t len);
/* The probe of path finished: drop the entry or arm it again. */
void	pending_done(struct pending *p, const char *path, size_t len);
/* Drop every entry (after an overflow the rescan supersedes them). */
void	pending_clear(struct pending *p);
size_t	pending_count(const struct pending *p);

#endif
