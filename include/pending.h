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
 * A probed entry then cools for one debounce window (see pending.c).
 *
 * A lone writer's close is probed at once; a creation waits for the
 * debounce window, so a temp file written and renamed into place within
 * it is never probed under its temp name: its entry follows the rename.
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

/*
 * What the daemon learned about a path at event time, for its probe.
 * A move into the path carries the record the object had under its old
 * name (old): the probe judges against it.  A rename onto a path that
 * has a record of its own (a file replaced by rename) carries only the
 * name it was written under (old NULL): the probe judges against the
 * path's own record and names from as where the content came from.
 */
struct pending_move {
	const char *from;	/* NULL when none */
	size_t	 from_len;
	const struct record *old;
	bool	 has_entries;	/* a directory that moved, or moved out */
	uint64_t entries;	/* ... with this many covered entries */
};

/*
 * A name whose object was renamed away (mv f f~, mv log log.1): the
 * record it had stays with the name for one window, so a new object
 * there (the editor's new f, logrotate's new log) is judged against it.
 */
struct pending_left {
	const struct record *old;	/* NULL when none */
	const char *to;			/* where the object went */
	size_t	 to_len;
	bool	 absorbed;	/* ... and vanished there (pending_absorb) */
};

struct pending_info {
	unsigned flags;		/* WEV_* seen since the entry was armed */
	double	 first;		/* monotonic seconds of the first event */
	double	 last;		/* ... and of the last one */
	bool	 still_open;	/* fired by the cap with no close seen */
	const struct procinfo *proc;	/* last writer named, or NULL */
	struct pending_move move; /* from NULL and no entries: none */
	struct pending_left left;
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
 * Note what a move did to path (see struct pending_move; copied) with
 * flags, which implies a touch.  Moves that follow each other within one
 * burst keep the first origin: a->b->c is one move from a, and a->b->a
 * none at all.  Returns 0 or -ENOSPC.
 */
int	pending_moved(struct pending *p, const char *path, size_t len,
	    unsigned flags, const struct pending_move *mv,
	    const struct procinfo *proc);
/*
 * old_path (and, for a directory, everything below it) was renamed to
 * path: waiting entries follow the rename, merging with what waits at
 * the new name, and carry their moves along.  An entry whose probe is in
 * flight at either name is stale: its result described a name the
 * rename has since changed, so the daemon must not apply it
 * (pending_stale), and the path is probed again after pending_done.
 */
void	pending_rename(struct pending *p, const char *old_path,
	    size_t old_len, const char *path, size_t len, bool is_dir);
/*
 * path's object, which had record old, was renamed to to (copied);
 * implies a touch.  The first within a burst wins.  0 or -ENOSPC.
 */
int	pending_left(struct pending *p, const char *path, size_t len,
	    const struct record *old, const char *to, size_t to_len,
	    const struct procinfo *proc);
/*
 * The object that left path vanished at its new name within the window:
 * if path still holds that record (waiting, or probing: then its probe
 * is stale and path is probed again), its probe reports the net effect
 * on path, and true is returned.
 */
bool	pending_absorb(struct pending *p, const char *path, size_t len);
/* Whether the probe in flight for path was overtaken by a rename. */
bool	pending_stale(const struct pending *p, const char *path, size_t len);
/* The probe of path finished: drop the entry or arm it again. */
void	pending_done(struct pending *p, const char *path, size_t len);
/* Drop every entry (after an overflow the rescan supersedes them). */
void	pending_clear(struct pending *p);
size_t	pending_count(const struct pending *p);

#endif
