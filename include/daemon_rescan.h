/*
 * daemon_rescan: the daemon's rescan queue (private to the daemon).
 *
 * Rescans find what no event can show: changes made while the daemon was
 * down, on filesystems without events, chattr flags, writes lost to a
 * queue overflow.  One runs at a time, started from the loop's top level,
 * its walk in slices between other events (the file's design note says
 * how realtime and a rescan under way agree); it ends when its walk is
 * over and its last hash job is back.  Scheduled rescans come from
 * one timer per rule.  Owns struct daemon_rescans and every struct
 * rescan; calls only daemon_out.h.
 */
#ifndef FIMD_DAEMON_RESCAN_H
#define FIMD_DAEMON_RESCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon_state.h"

enum rescan_flags {
	RESCAN_GAP = 1 << 0,	/* closes a gap: ends with "reconciled" */
	RESCAN_ADOPT = 1 << 1,	/* after a reload: new coverage is silent */
};

/*
 * Queue a rescan of scope (NULL: every rule root) for reason (copied).
 * rule: the rule whose schedule asked, or NULL.  A queued rescan whose
 * scope covers this one absorbs it (its flags merged).
 */
void	rescan_enqueue(struct daemon *d, const char *scope, size_t len,
	    const struct rule *rule, unsigned flags, const char *reason);
/*
 * Top level only: finish the active rescan when its last job is back,
 * then start the next queued one (none while stopping).
 */
void	rescan_run_next(struct daemon *d);
/*
 * The rules are about to change and no hash job is in flight: drop the
 * queued rescans (they were asked under the old rules) and finish the
 * active one.  Returns the flags of what was dropped, OR-ed, so the
 * rescan that follows a reload can close a dropped gap.
 */
unsigned rescan_drain(struct daemon *d);
/*
 * Realtime is about to report path: the active rescan's change for it,
 * if it holds one, is reported first.
 */
void	rescan_before_realtime(struct daemon *d, const char *path,
	    size_t len);
/*
 * The directory path moved or left the rules (its baseline entries go
 * with it): the active rescan reports what it holds below it, and starts
 * again if its walk is inside it.
 */
void	rescan_dir_moved(struct daemon *d, const char *path, size_t len);
/* The active rescan, the queue and the slice event, freed (teardown). */
void	rescan_close(struct daemon *d);
/* Free r and what it owns (NULL is fine). */
void	rescan_free(struct rescan *r);
/* Free every queued rescan. */
void	rescan_clear_queue(struct daemon *d);
/* Queued rescans, not counting the active one. */
size_t	rescan_queued(const struct daemon *d);
/*
 * Gaps still open: rescans queued or running that close a gap (a
 * queued rescan absorbs the gaps asked after it, so several gaps of one
 * scope count once).
 */
size_t	rescan_open_gaps(const struct daemon *d);

/* One timer per rule of d->rs, each armed with the rule's period. */
void	rescan_schedule(struct daemon *d);
void	rescan_unschedule(struct daemon *d);

#endif
