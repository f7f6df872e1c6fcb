/*
 * daemon_out: the daemon's output room (private to the daemon's files).
 *
 * Alerts to the sinks, with the latency figures; gap alerts; the dirty
 * mark and the periodic save of the baseline; returning freed memory;
 * the queue of deferred subtree walks and the kick that runs it; the
 * daemon's own files, which it never reports.  Owns struct
 * daemon_output; calls no other room of the daemon.
 */
#ifndef FIMD_DAEMON_OUT_H
#define FIMD_DAEMON_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon_state.h"
#include "exitcode.h"

/*
 * A new event on d's loop; fatal if libevent cannot make or arm it (that
 * only fails on exhausted memory).  Read and signal events are armed at
 * once; tv, if not NULL, arms any event with that timeout.
 */
struct event *daemon_event(struct daemon *d, int fd, short what,
	    event_callback_fn cb, void *arg, const struct timeval *tv);
/* event_free() unless NULL, then NULL. */
void	daemon_event_free(struct event **ev);

/*
 * Open the alert file (creating its directory) and the syslog and
 * journald sinks the configuration asks for; the save timer.  Returns
 * EXIT_OK or EXIT_IO_ERROR (logged).
 */
enum exit_status daemon_out_open(struct daemon *d);
/* Close the sinks, free the timers and the deferred queue. */
void	daemon_out_close(struct daemon *d);
/* Reopen every sink (logrotate); 0 or the first -errno (each logged). */
int	daemon_reopen_sinks(struct daemon *d);

/*
 * Write a to every sink.  first: monotonic time of the event that led
 * to it (a latency sample), or 0.
 *
 * Returns true when the alert file took the line (a failing syslog or
 * journald sink is logged, not reported).  Returns false when it did
 * not: the line could not be made (longer than the line limit, out of
 * memory) or the alert file refused it.  Then, so that nothing is
 * dropped without a trace, the failure is logged, counted in
 * alerts_unwritten, and a gap alert for a's path (its longest ancestor
 * of at most 4096 bytes when the path is longer) with a reason naming
 * the failure is written in its place.  A caller that gets false must
 * not advance the baseline past the change: no alert reported it.
 */
bool	daemon_emit(struct daemon *d, const struct alert *a, double first);
/*
 * A gap alert: coverage of scope was lost for reason, and the caller
 * queues a rescan of it (the message says so).  Returns as daemon_emit.
 */
bool	daemon_gap(struct daemon *d, const char *scope, size_t len,
	    const char *reason);
/*
 * A gap alert from source that no rescan follows (it could not help, or
 * the gap is a rescan's own).  Returns as daemon_emit.
 */
bool	daemon_gap_final(struct daemon *d, enum alert_source source,
	    const char *scope, size_t len, const char *reason);

/*
 * A record of the daemon's own life: ACTION_STARTED, ACTION_STOPPED or
 * ACTION_CHECKPOINT, with the state st the caller knows; the count of
 * alerts it carries is this room's (since the last checkpoint for a
 * checkpoint, in the run for stopped), and a checkpoint written starts
 * that count again.  reason: why the run stopped, or NULL.  Returns as
 * daemon_emit.
 */
bool	daemon_record(struct daemon *d, enum alert_action action,
	    const struct alert_state *st, const char *reason);

/* The baseline changed: save it within a minute. */
void	daemon_mark_dirty(struct daemon *d);
/* Save now; clears the dirty mark on success.  EXIT_OK or an error. */
enum exit_status daemon_save(struct daemon *d);
/*
 * Hand memory freed by bulk work (a full walk, a storm of probes) back to
 * the system, so the resident size follows the baseline, not the
 * high-water mark of that work.
 */
void	daemon_trim(struct daemon *d);

/* Whether path is the daemon's own baseline or alert file. */
bool	daemon_own_path(const struct daemon *d, const char *path, size_t len);

/*
 * Queue a walk of the directory at path for the loop's top level (proc
 * may be NULL; copied), and kick.
 */
void	daemon_defer_subtree(struct daemon *d, const char *path, size_t len,
	    const struct procinfo *proc, double first);
/* The oldest deferred walk, unlinked (free with daemon_deferred_free). */
struct deferred *daemon_next_deferred(struct daemon *d);
void	daemon_deferred_free(struct deferred *w);
/* Run deferred work and the rescan queue soon, from the top level. */
void	daemon_kick(struct daemon *d);

#endif
