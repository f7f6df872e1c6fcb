/*
 * daemon_rt: kernel events to alerts (private to the daemon).
 *
 * An event only says "look at this path": it touches the path's pending
 * entry (pending.h), and when the entry is due the path is probed again
 * and judged against the baseline (judge.h), whatever the event claimed.
 * Owns struct daemon_realtime and the realtime and subtree jobs; calls
 * daemon_rescan.h (gaps are closed by rescans) and daemon_out.h.
 */
#ifndef FIMD_DAEMON_RT_H
#define FIMD_DAEMON_RT_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon_state.h"

/* watch_event_fn for d's watch: count, attribute, debounce. */
void	rt_watch_event(const struct watch_event *ev, void *arg);
/* pending_fire_fn for d's pending set: probe the path. */
void	rt_pending_fire(const char *path, size_t len,
	    const struct pending_info *info, void *arg);
/* The watch filter: which directories and paths the daemon wants. */
bool	rt_want_dir(const char *path, size_t len, void *arg);
bool	rt_want_path(const char *path, size_t len, bool is_dir, void *arg);
/*
 * Top level only: walk a directory that appeared (deferred by
 * daemon_defer_subtree) and report what it holds.
 */
void	rt_run_subtree(struct daemon *d, const struct deferred *w);
/* Free what struct daemon_realtime holds. */
void	rt_close(struct daemon *d);

#endif
