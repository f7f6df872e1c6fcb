/*
 * watch: what the kernel says changed, as paths.
 *
 * A struct watch hides the notification backend (fanotify, inotify, or
 * none) behind one interface, so the daemon never branches on it.  The
 * daemon names the trees to watch (watch_add_root) and answers two
 * questions through a struct watch_filter: which directories to follow
 * and which paths matter.  The watch turns kernel events into struct
 * watch_event records carrying full paths, resolved at event time.
 *
 * Invariants kept by every backend:
 *  - Directories appear and go: a directory created or moved into a
 *    watched tree is watched (and its subdirectories) before its event is
 *    delivered, so the daemon's scan of it afterwards closes every race;
 *    a directory deleted or moved out stops being watched; a renamed
 *    directory's descendants are known under the new path at once.
 *  - Nothing is silent: a queue overflow is delivered as WEV_OVERFLOW
 *    (after the watch rebuilt its own maps); a tree or directory that
 *    cannot be watched (watch limit, filesystem without support, mark
 *    lost by an unmount) is delivered as WEV_GAP with its path as scope
 *    and a reason.  The daemon then rescans.
 *  - The daemon's own writes are not delivered (fanotify: by pid; all
 *    backends: the paths given to watch_ignore_path).
 *  - Events are hints: one event may carry several flags (the kernel
 *    merges), and the daemon re-stats the path to learn the truth.
 *
 * Memory: events and their strings are borrowed for the callback only;
 * the pidfd in an event is closed by the watch after the callback.
 * Single-threaded: call everything from the loop thread.
 */
#ifndef FIMD_WATCH_H
#define FIMD_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "diag.h"

#define WEV_MODIFY	0x0001	/* contents written (still open maybe) */
#define WEV_CLOSE_WRITE	0x0002	/* a writer closed the file */
#define WEV_ATTRIB	0x0004	/* metadata changed */
#define WEV_CREATE	0x0008	/* name created */
#define WEV_DELETE	0x0010	/* name deleted */
#define WEV_MOVED_FROM	0x0020	/* name moved away (other side unknown) */
#define WEV_MOVED_TO	0x0040	/* name moved here (other side unknown) */
#define WEV_RENAME	0x0080	/* old_path moved to path, both known */
#define WEV_ISDIR	0x0100	/* the object is a directory */
#define WEV_OVERFLOW	0x0200	/* events were lost; path is "/" */
#define WEV_GAP		0x0400	/* path (a scope) is not watched; reason */
#define WEV_EXEC	0x0800	/* path was executed by pid (attribution) */

struct watch_event {
	unsigned flags;
	const char *path;	/* absolute; borrowed */
	size_t	 len;
	const char *old_path;	/* WEV_RENAME only */
	size_t	 old_len;
	pid_t	 pid;		/* writer, 0 when the backend cannot say */
	int	 pidfd;		/* -1 when none; borrowed */
	const char *reason;	/* WEV_GAP, WEV_OVERFLOW: why; borrowed */
};

struct watch_filter {
	/*
	 * Whether a directory should be watched because something below it
	 * (or it) may be covered.  Called while walking roots and when a
	 * directory appears.
	 */
	bool	(*want_dir)(const char *path, size_t len, void *arg);
	/*
	 * Whether an event about path matters (covered by a rule or known
	 * to the baseline).  Called for each event that survived the
	 * backend's own cheap filtering; keep it cheap.
	 */
	bool	(*want_path)(const char *path, size_t len, bool is_dir,
	    void *arg);
	void	*arg;
};

struct watch_stats {
	const char *backend;	/* "fanotify", "inotify", "none" */
	uint64_t marks;		/* kernel marks or watches held */
	uint64_t ignore_marks;	/* of which fanotify's evictable ignore
				   marks on directories outside the rules */
	uint64_t dirs;		/* directories known */
	uint64_t events;	/* kernel events read */
	uint64_t delivered;	/* events delivered to the daemon */
	uint64_t overflows;
	uint64_t gaps;		/* WEV_GAP delivered */
	uint64_t queued;	/* events waiting in the kernel queue now */
	uint64_t resets;	/* group re-created past the queue budget */
};

typedef void watch_event_fn(const struct watch_event *ev, void *arg);

struct watch;

/*
 * Open a backend.  BACKEND_AUTO tries fanotify, then inotify, and says
 * in diag (DIAG_NOTE) why fanotify was refused.  queue_budget bounds the
 * events a fanotify group may hold (0: the kernel default queue).
 * Returns 0 and a new watch, or -errno.
 */
int	watch_open(enum backend_kind kind, const struct watch_filter *filter,
	    uint64_t queue_budget, struct watch **ret, struct diag *diag);
void	watch_free(struct watch *w);
const char *watch_backend(const struct watch *w);

/*
 * Watch the tree at path (a directory: itself and the subdirectories
 * want_dir accepts; anything else or a missing path: its name in its
 * parent).  Problems come back later as WEV_GAP events, so this only
 * fails (-errno) when the backend itself broke.
 */
int	watch_add_root(struct watch *w, const char *path, size_t len);
/* Forget every root and mark (before adding the roots of new rules). */
void	watch_clear(struct watch *w);
/* Never deliver events for this exact path (the daemon's own files). */
void	watch_ignore_path(struct watch *w, const char *path, size_t len);
/* Also deliver WEV_EXEC events (fanotify only; 0 or -errno). */
int	watch_enable_exec(struct watch *w);

/* The descriptor to poll for reading, or -1 (backend none). */
int	watch_fd(const struct watch *w);
/*
 * Read what is queued (a bounded batch, so one call never starves the
 * loop) and deliver events through cb, including the WEV_GAP events of
 * roots added since the last call.  Returns 0 (nothing more now), 1
 * (more may be queued: call again), or -errno.
 */
int	watch_read(struct watch *w, watch_event_fn *cb, void *arg);
/*
 * Milliseconds after which watch_flush must be called because events are
 * held back (an unpaired inotify move waiting for its other half), or -1.
 */
int	watch_hold_ms(const struct watch *w);
/* Deliver held events now. */
void	watch_flush(struct watch *w, watch_event_fn *cb, void *arg);
void	watch_stats(const struct watch *w, struct watch_stats *ret);

#endif
