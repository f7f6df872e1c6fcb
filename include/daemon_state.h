/*
 * daemon_state: the state of the daemon, private to its rooms.
 *
 * The daemon is five files, each with one job, and calls run one way:
 *
 *   daemon.c         the loop: start-up, events, signals, reload, exit
 *     -> daemon_ctl.c     the control verbs (--status, --query, ...)
 *     -> daemon_rt.c      kernel events to alerts
 *          -> daemon_pkg.c     package verdicts, transactions, summaries
 *               -> daemon_ent.c    ports and packages as entities
 *          -> daemon_rescan.c  the rescan queue (-> daemon_ent.c)
 *               -> daemon_out.c    alerts to the sinks, saving, memory
 *
 * (daemon_ctl.c also asks daemon_rescan.c, daemon_ent.c and
 * daemon_out.c.)  Each room
 * owns one part of struct daemon below and is the only one to change it;
 * the others may read it.  Everything here belongs to the loop thread.
 */
#ifndef FIMD_DAEMON_STATE_H
#define FIMD_DAEMON_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "alert.h"
#include "baseline.h"
#include "chain.h"
#include "compare.h"
#include "config.h"
#include "contentstore.h"
#include "control.h"
#include "entity.h"
#include "hashpool.h"
#include "pending.h"
#include "pkgdb.h"
#include "proctrack.h"
#include "rules.h"
#include "scan.h"
#include "sink.h"
#include "spool.h"
#include "watch.h"
#include "window.h"

#define LATENCY_SAMPLES	4096
#define DAEMON_MAX_SINKS 3

struct daemon;

/* A rescan, queued or running (daemon_rescan.c). */
struct rescan {
	struct scan_batch batch;
	struct daemon *d;
	char	*scope;		/* NULL: every rule root */
	size_t	 scope_len;
	const struct rule *rule;	/* scheduled for this rule, or NULL */
	unsigned flags;		/* RESCAN_* (daemon_rescan.h) */
	char	*reason;
	bool	 walking;	/* its walk has entries left (sliced) */
	bool	 partial;	/* its walk ended early: no deletions */
	bool	 again;		/* ... because a directory it was in moved:
				   queued again once its jobs are back */
	unsigned restarts;	/* times it was queued again so */
	struct compare *cmp;
	double	 started;
	uint64_t changes;	/* reported */
	uint64_t *rule_changes;	/* ... by rule->index; NULL until one */
	uint64_t unwritten;	/* found, but their alert was not written */
	uint64_t unread;	/* entries of the scope it could not read */
	char	*first_unread;	/* "path (op: error)" of the first, UTF-8 */
	struct rescan *next;
};

/* Per-rule schedule and figures for --status (daemon_rescan.c). */
struct rule_stats {
	struct daemon *d;
	const struct rule *rule;
	double	 last_rescan;	/* wall clock seconds, 0 = never */
	double	 next_rescan;
	double	 last_rescan_ms;
	uint64_t changes;	/* found by its last rescan */
	struct event *timer;
};

/*
 * Work that must not run inside a scan's completion callback (a walk may
 * be in progress below it): subtree scans of directories that appeared,
 * started from the loop's top level.
 */
struct deferred {
	char	*path;
	size_t	 len;
	struct procinfo proc;
	double	 first;		/* monotonic time of the first event */
	struct deferred *next;
};

/* Output: daemon_out.c. */
struct daemon_output {
	struct alert_stream *alerts;
	/*
	 * The link the next line carries in fimd.chain: the digest of the
	 * last line that went to the alert file or waits in the spool, in
	 * seq order.  Seeded from the file's last line at open; a reopen
	 * keeps it, so a rotated file's successor chains from its end.
	 */
	struct chain chain;
	/* The alert file first, then syslog and journald when asked. */
	struct sink *sinks[DAEMON_MAX_SINKS];
	size_t	 nsinks;
	size_t	 line_max;	/* longest line; 0: ALERT_LINE_MAX (tests) */
	struct event *save_ev;
	bool	 dirty;		/* baseline changed since the last save */
	struct deferred *deferred;	/* FIFO head */
	struct deferred *deferred_tail;
	uint64_t alerts_emitted;	/* lines the alert file took */
	/* Alert lines (not started, stopped, checkpoint) made in the run */
	uint64_t run_alerts;
	uint64_t since_checkpoint;	/* ... since the last checkpoint */
	uint64_t gaps;			/* of which gap alerts */
	uint64_t alerts_unwritten;	/* not written; a gap stood in */
	/*
	 * Lines the alert file refused (full disk, quota, I/O error) wait
	 * here in order and are retried on retry_ev; lines that did not fit
	 * are counted, and their seq range is named by a gap alert once the
	 * file takes lines again.
	 */
	struct spool *spool;
	size_t	 spool_max;		/* bytes; 0: the default (tests) */
	struct event *retry_ev;
	int	 file_err;		/* the episode's first error, or 0 */
	uint64_t file_errors;		/* write errors of the alert file */
	uint64_t spooled;		/* lines that had to wait */
	uint64_t dropped;		/* lines the spool could not hold */
	uint64_t lost_first, lost_last;	/* seq range dropped; 0: none */
	double	 latency[LATENCY_SAMPLES];	/* event to alert, ms */
	size_t	 nlatency;	/* samples written (ring) */
};

/* Realtime: daemon_rt.c. */
struct daemon_realtime {
	uint64_t window_start;	/* queue last seen empty (monotonic ns) */
	uint64_t window_next;	/* stamp taken before the current read */
	pid_t	 memo_pid;	/* last writer proven in this batch */
	struct procinfo memo_proc;
	uint64_t probes_since_trim;
	uint64_t events;	/* events delivered by the watch */
	uint64_t overflows;
	uint64_t stale;		/* probes overtaken by a rename, redone */
	uint64_t cancelled;	/* probes ended by a stop or reload */
	/* Directories gone while their entries' own probes were pending. */
	struct rt_gone_dir *gone;
	size_t	 ngone;
	struct event *gone_ev;	/* the latest they wait */
	void	(*gone_report)(struct daemon *, const char *, size_t,
	    const struct procinfo *, double, bool);
};

/* Package verdicts: daemon_pkg.c. */
struct daemon_packages {
	struct pkgdb *db;	/* NULL: no package database */
	struct diag diag;	/* its bad lines, logged as they come */
	struct event *ev;	/* its inotify descriptor */
	struct event *step_ev;	/* reads queued units, a slice at a time */
	struct event *flush_ev;	/* a transaction ended: report it */
	unsigned flush_tries;
	bool	 announced;	/* the first full read was logged */
	/*
	 * Changes the package manager made during its transaction, by
	 * path: judged and reported when it ends (struct pkg_held).
	 */
	struct pathmap *held;
	uint64_t summaries;	/* summary alerts written */
};

/* One rule of an entity (daemon_ent.c). */
struct ent_watch {
	struct daemon *d;
	const struct rule *rule;
	struct entity_set cur;	/* what the baseline holds */
	struct event *poke_ev;	/* packages, services: check soon */
	int	 ino_fd;	/* services: inotify on the unit dirs */
	struct event *ino_ev;
	struct stat status_st;	/* ... as it was read last */
	uint64_t checks;
	uint64_t changes;	/* alerts written */
	uint64_t owner_scans;	/* checks that looked up owners */
	double	 cpu_ms;	/* CPU time of every check */
	double	 lookup_cpu_ms;	/* ... of those that looked up owners */
	double	 last_cpu_ms;	/* the last check's */
	double	 last_check;	/* wall time of the last, 0: none yet */
};

/* Entities: daemon_ent.c. */
struct daemon_entities {
	struct ent_watch *by_type[RULE_TYPE_COUNT];	/* NULL: no rule */
};

/* Change windows: daemon_window.c; daemon_out.c tags and counts. */
struct daemon_windows {
	struct window_set *set;	/* NULL until loaded */
	char	*path;		/* "<baseline>.windows" */
	struct event *expiry_ev;	/* the next window to expire */
	bool	 dirty;		/* counts changed since the last save */
};

/* The rescan queue: daemon_rescan.c. */
struct daemon_rescans {
	struct rescan *active;
	struct rescan *queue;
	struct event *walk_ev;	/* the active one's next slice */
	struct rule_stats *rule_stats;	/* one per rule, by rule->index */
	size_t	 nrule_stats;
};

struct daemon {
	/* The loop (daemon.c) sets these up and tears them down. */
	const struct fimd_config *cfg;
	struct chain_key *key;	/* chain_key's, or NULL: plain digests */
	struct event_base *base;
	struct ruleset *rs;
	struct ruleset *old_rs;	/* during a reload: what was covered */
	struct baseline *b;
	/* Copies for rules with diff (contentdiff.h), else NULL. */
	struct contentstore *copies;
	struct hashpool *pool;
	struct scan *scan;
	struct watch *watch;
	struct pending *pending;
	struct control *control;
	struct proctrack *procs;
	struct event *watch_ev;
	struct event *hold_ev;
	struct event *pool_ev;
	struct event *sig_ev[4];
	struct event *watchdog_ev;
	struct event *proc_ev;
	struct event *deferred_ev;	/* runs deferred work, then rescans */
	bool	 stopping;
	int	 stop_signal;	/* what ended the loop, or 0 */
	bool	 announced;	/* "started" was sent: "stopped" ends the run */
	struct event *heartbeat_ev;	/* a checkpoint record each time */
	bool	 building;	/* the initial baseline: no alerts */
	double	 started;	/* wall clock */
	uint64_t unreadable;	/* covered files that could not be read */
	/*
	 * A gap for a full pending set is open: set by realtime, cleared
	 * by the full rescan that closes it.
	 */
	bool	 pending_full;

	struct daemon_output out;
	struct daemon_realtime rt;
	struct daemon_rescans rescans;
	struct daemon_packages pk;
	struct daemon_entities ent;
	struct daemon_windows win;
};

#endif
