/*
 * daemon_int: the state of the daemon, shared by daemon.c, daemon_rt.c
 * and daemon_rescan.c only.  Everything here is owned by the loop thread.
 */
#ifndef FIMD_DAEMON_INT_H
#define FIMD_DAEMON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "alert.h"
#include "baseline.h"
#include "compare.h"
#include "config.h"
#include "control.h"
#include "diff.h"
#include "hashpool.h"
#include "pending.h"
#include "proctrack.h"
#include "rules.h"
#include "scan.h"
#include "sink.h"
#include "watch.h"

/* What a scan batch belongs to; the first member of every owner. */
enum job_kind {
	JOB_REALTIME,	/* one pending path */
	JOB_SUBTREE,	/* the contents of a directory that appeared */
	JOB_RESCAN,	/* a scheduled, requested or gap rescan */
};

struct daemon;

struct rescan {
	enum job_kind kind;	/* JOB_RESCAN */
	struct scan_batch batch;
	struct daemon *d;
	char	*scope;		/* NULL: every rule root */
	size_t	 scope_len;
	const struct rule *rule;	/* scheduled for this rule, or NULL */
	bool	 gap;		/* closes a gap: ends with "reconciled" */
	bool	 adopt;		/* after a reload: new coverage is silent */
	char	*reason;
	bool	 walking;
	struct compare *cmp;
	double	 started;
	uint64_t changes;
	struct rescan *next;
};

/*
 * Work that must not run inside a scan's completion callback (a walk may
 * be in progress below it): subtree scans of directories that appeared,
 * started from the loop's top level through deferred_ev.
 */
struct deferred {
	char	*path;
	size_t	 len;
	struct procinfo proc;
	double	 first;		/* monotonic time of the first event */
	struct deferred *next;
};

/* A realtime probe of one pending path. */
struct rt_job {
	enum job_kind kind;	/* JOB_REALTIME */
	struct scan_batch batch;
	unsigned flags;		/* WEV_* */
	double	 first;
	bool	 still_open;
	struct procinfo proc;
	char	*moved_from;	/* NULL unless moved here at event time */
	size_t	 moved_from_len;
	struct record moved_record;
	uint64_t moved_children;
};

/* The walk of a directory that appeared. */
struct subtree_job {
	enum job_kind kind;	/* JOB_SUBTREE */
	struct scan_batch batch;
	bool	 walking;
	struct procinfo proc;
	double	 first;
};

struct rule_stats {
	struct daemon *d;
	const struct rule *rule;
	double	 last_rescan;	/* wall clock seconds, 0 = never */
	double	 next_rescan;
	double	 last_rescan_ms;
	uint64_t changes;	/* found by its last rescan */
	struct event *timer;
};

#define LATENCY_SAMPLES	4096

struct daemon {
	const struct fimd_config *cfg;
	struct event_base *base;
	struct ruleset *rs;
	struct ruleset *old_rs;	/* during a reload: what was covered */
	struct baseline *b;
	struct hashpool *pool;
	struct scan *scan;
	struct watch *watch;
	struct pending *pending;
	struct alert_stream *alerts;
	struct sink *sinks[3];	/* the alert file, then syslog, journald */
	size_t	 nsinks;
	struct control *control;
	struct proctrack *procs;

	struct event *watch_ev;
	struct event *hold_ev;
	struct event *pool_ev;
	struct event *sig_ev[4];
	struct event *watchdog_ev;
	struct event *save_ev;
	struct event *deferred_ev;
	struct event *proc_ev;
	struct deferred *deferred;	/* FIFO head */
	struct deferred *deferred_tail;

	uint64_t window_start;	/* queue last seen empty (monotonic ns) */
	uint64_t window_next;	/* stamp taken before the current read */
	bool	 pending_full;	/* a gap for a full pending set is open */
	pid_t	 memo_pid;	/* last writer proven in this batch */
	struct procinfo memo_proc;

	struct rescan *rescan_active;
	struct rescan *rescan_queue;
	struct rule_stats *rule_stats;	/* one per rule, by rule->index */
	size_t	 nrule_stats;

	bool	 dirty;		/* baseline changed since the last save */
	bool	 stopping;
	bool	 building;	/* the initial baseline: no alerts */
	uint64_t probes_since_trim;	/* realtime probes since malloc_trim */
	int	 exit_status;
	double	 started;	/* wall clock */

	uint64_t events;	/* events delivered by the watch */
	uint64_t alerts_emitted;
	uint64_t gaps;
	uint64_t overflows;
	uint64_t unreadable;
	double	 latency[LATENCY_SAMPLES];	/* event to alert, ms */
	size_t	 nlatency;	/* samples written (ring) */
};

/* daemon.c */
void	daemon_emit(struct daemon *d, const struct alert *a, double first);
void	daemon_mark_dirty(struct daemon *d);
/*
 * Hand memory freed by bulk work (a full walk, a storm of probes) back to
 * the system, so the resident size follows the baseline, not the
 * high-water mark of that work.
 */
void	daemon_trim(struct daemon *d);
bool	daemon_own_path(const struct daemon *d, const char *path, size_t len);
void	daemon_defer_subtree(struct daemon *d, const char *path, size_t len,
	    const struct procinfo *proc, double first);
void	daemon_kick(struct daemon *d);	/* run deferred work soon */
void	daemon_gap(struct daemon *d, const char *scope, size_t len,
	    const char *reason);

/* daemon_rt.c */
void	rt_watch_event(const struct watch_event *ev, void *arg);
void	rt_pending_fire(const char *path, size_t len,
	    const struct pending_info *info, void *arg);
void	rt_item_done(struct daemon *d, struct scan_item *it);
enum scan_decision rt_stat_done(struct daemon *d, const struct scan_item *it,
	    uint64_t *prefix_len);
bool	rt_want_dir(const char *path, size_t len, void *arg);
bool	rt_want_path(const char *path, size_t len, bool is_dir, void *arg);

/* daemon_rt.c, continued */
void	subtree_item_done(struct daemon *d, struct subtree_job *job,
	    struct scan_item *it);

/* daemon_rescan.c */
void	rescan_run_next(struct daemon *d);
void	rescan_enqueue(struct daemon *d, const char *scope, size_t len,
	    const struct rule *rule, bool gap, bool adopt, const char *reason);
void	rescan_item_done(struct daemon *d, struct rescan *r,
	    struct scan_item *it);
enum scan_decision rescan_stat_done(struct daemon *d, struct rescan *r,
	    const struct scan_item *it, uint64_t *prefix_len);
void	rescan_clear_queue(struct daemon *d);
void	rescan_schedule(struct daemon *d);
void	rescan_unschedule(struct daemon *d);
size_t	rescan_queued(const struct daemon *d);

#endif
