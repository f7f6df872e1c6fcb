/*
 * watch_int: what watch.c shares with its backends (watch_fanotify.c,
 * watch_inotify.c, watch_none.c).  Not for the daemon.
 *
 * watch.c owns the parts every backend needs the same way: the roots,
 * the ignore list, the gaps waiting to be delivered, the counters, and
 * the last filter before the callback (ignore list, want_path).  A
 * backend turns kernel records into paths and calls watch_deliver().
 */
#ifndef FIMD_WATCH_INT_H
#define FIMD_WATCH_INT_H

#include <fcntl.h>

#include "watch.h"

struct pathmap;

struct watch_ops {
	const char *name;
	int	(*open)(struct watch *w, struct diag *diag);
	void	(*free)(struct watch *w);
	/* (Re)arm root i; problems become gaps through watch_gap(). */
	int	(*add_root)(struct watch *w, size_t i);
	/* Drop every mark and map, keep the descriptor. */
	void	(*clear)(struct watch *w);
	int	(*enable_exec)(struct watch *w);
	int	(*read)(struct watch *w, watch_event_fn *cb, void *arg);
	int	(*hold_ms)(const struct watch *w);
	void	(*flush)(struct watch *w, watch_event_fn *cb, void *arg);
	void	(*stats)(const struct watch *w, struct watch_stats *ret);
};

struct watch_root {
	char	*path;		/* absolute, no trailing slash but "/" */
	size_t	 len;
};

struct watch_gap {
	char	*path;
	size_t	 len;
	char	*reason;
};

struct watch {
	const struct watch_ops *ops;
	struct watch_filter filter;
	int	 fd;
	uint64_t queue_budget;
	struct watch_root *roots;
	size_t	 nroots;
	struct pathmap *ignore;	/* path -> the stored key */
	struct watch_gap *gaps;
	size_t	 ngaps;
	size_t	 gaps_alloc;
	struct watch_stats st;
	void	*be;		/* the backend's state */
};

extern const struct watch_ops watch_fanotify_ops;
extern const struct watch_ops watch_inotify_ops;
extern const struct watch_ops watch_none_ops;

/* Queue a WEV_GAP for path, delivered at the next watch_read(). */
void	watch_gap(struct watch *w, const char *path, size_t len,
	    const char *reason);
/* watch_gap with the reason "what (strerror(-err))". */
void	watch_gap_errno(struct watch *w, const char *path, size_t len,
	    const char *what, int err);
/* Deliver the queued gaps through cb. */
void	watch_deliver_gaps(struct watch *w, watch_event_fn *cb, void *arg);
/*
 * Apply the shared filters (ignore list; want_path on each side unless
 * the event is a gap, overflow or exec) and call cb.  Returns whether
 * the event was delivered.
 */
bool	watch_deliver(struct watch *w, const struct watch_event *ev,
	    watch_event_fn *cb, void *arg);
/* Whether path is a root or lies below one. */
bool	watch_in_root(const struct watch *w, const char *path, size_t len);
/* Whether path is a strict ancestor of some root. */
bool	watch_above_root(const struct watch *w, const char *path,
	    size_t len);
/*
 * A directory that is a strict ancestor of a root appeared, went or
 * moved: re-arm every root below it and queue a gap for each, so the
 * daemon rescans what may have appeared or gone with it.
 */
void	watch_ancestor_changed(struct watch *w, const char *path,
	    size_t len);
/* Whether want_dir accepts path (true when there is no filter). */
bool	watch_want_dir(const struct watch *w, const char *path, size_t len);
/*
 * How the backends open a directory by path (walk_open_dir): for reading,
 * a final symlink not followed (fanotify_mark refuses O_PATH).
 */
#define WATCH_DIR_OFLAGS	(O_RDONLY | O_NOFOLLOW)
/* lstat(2) for a path of any length; 0 or -errno. */
struct stat;
int	watch_lstat(const char *path, size_t len, struct stat *st);
/* Join dir and name into b ("/" + name for the root); 0 or -ENAMETOOLONG. */
struct buf;
int	watch_join(struct buf *b, const char *dir, size_t dlen,
	    const char *name, size_t nlen);

#endif
