/*
 * proctrack: which process wrote, as far as it can be proven.
 *
 * A fanotify event names the writer's pid and, when the writer was still
 * alive at read time, a pidfd.  Two sources answer "who is that pid":
 *
 *  1. /proc/PID read at once, kept only when the pidfd proves afterwards
 *     that the process was alive throughout (a pid cannot be reused while
 *     its owner exists).  Signal 0 through the pidfd is the proof: success,
 *     or EPERM, which the kernel returns only after finding the process
 *     (a writer of another uid when the daemon lacks CAP_KILL, as under
 *     the shipped unit).  EPERM is not trusted when a seccomp filter
 *     forges it for the call itself, which is tested once at start;
 *  2. for a writer already reaped (no pidfd), a history of process
 *     lifetimes from the kernel's process connector: fork (the child
 *     inherits its parent's image and ids), exec (the image is read from
 *     /proc at once), uid and comm changes, exit, each with the kernel's
 *     monotonic timestamp.  File events carry no time, but every event in
 *     a batch was queued after the last moment the daemon saw the queue
 *     empty (window_start).  The writer exited after that moment and
 *     before its event was read, so when exactly one lifetime of the pid
 *     ended inside that window, that lifetime is the writer.  Zero or
 *     several candidates, a connector overrun inside the window, or no
 *     connector at all (no CAP_NET_ADMIN): the pid alone is reported.
 *     The name given is the image the writer last executed.
 *
 * A short-lived writer (mv, chmod, install) is often gone before the
 * daemon reads its exec, and /proc then has nothing to say.  So each
 * lifetime also takes the kernel's exit record (taskstats.h), sent by the
 * process itself as it exits: its final comm replaces what /proc said
 * (which, read late, may describe a later image of the parent a child was
 * copied from), and an executable whose identity (device, inode) does
 * not match the record's is dropped.  The record carries no path: the
 * executable is filled in only when a file of that identity was read
 * from /proc/PID/exe before and is still at that path.  How a record
 * finds its lifetime without guessing is explained in proctrack_exit.c.
 *
 * Anything not established is left unset, never guessed.  Memory: the
 * tracker owns everything it holds; lookups fill a procinfo the caller
 * releases.  Single thread: the daemon's loop.
 */
#ifndef FIMD_PROCTRACK_H
#define FIMD_PROCTRACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procinfo.h"

struct proctrack_stats {
	bool	 connector;	/* process connector subscribed */
	uint64_t lookups;
	uint64_t proven;	/* named from /proc with a live pidfd */
	uint64_t cached;	/* named from the lifetime history */
	uint64_t unnamed;	/* pid only */
	uint64_t cache_entries;
	uint64_t connector_lost; /* connector overruns */
	bool	 exit_records;	/* taskstats exit records subscribed */
	uint64_t records;	/* exit records given to their lifetime */
	uint64_t records_dropped; /* not matched with certainty */
	uint64_t records_lost;	/* overruns and overflowing waits */
};

struct proctrack;

/*
 * A new tracker, free with proctrack_free; with use_connector,
 * subscribes to the process connector and then to exit records when
 * allowed (only worth it when events carry pids: fanotify).
 */
struct proctrack *proctrack_new(bool use_connector);
void	proctrack_free(struct proctrack *p);
/* The connector socket to poll, or -1. */
int	proctrack_fd(const struct proctrack *p);
/*
 * Drain the exit records and the connector (call before judging file
 * events, and whenever the connector socket is readable: every exit
 * makes it so, which keeps the exit records drained too).
 */
void	proctrack_read(struct proctrack *p);
/*
 * Who is pid (pidfd may be -1)?  window_start: a monotonic time
 * (clock_mono_ns) before which the event cannot have been queued (0:
 * unknown).  Fills *ret
 * (initialised here; release with procinfo_release).  pid 0 gives an
 * empty procinfo.
 */
void	proctrack_lookup(struct proctrack *p, pid_t pid, int pidfd,
	    uint64_t window_start, struct procinfo *ret);
void	proctrack_stats(const struct proctrack *p, struct proctrack_stats *ret);

#endif
