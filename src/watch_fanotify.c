/*
 * watch_fanotify: the fanotify backend.
 *
 * Marks.  One FAN_MARK_FILESYSTEM mark per filesystem that holds a root
 * (or the nearest existing ancestor of a missing root), plus the
 * filesystems mounted below a root that the walk of the root crosses.
 * A filesystem mark sees every object of the superblock through any
 * mount and any mount namespace, so a directory created inside a root
 * is covered before anything can be written in it: no recursion race,
 * and no per-directory set-up.  Mount marks are not used: they refuse
 * the dirent events and miss other namespaces; inode marks per
 * directory would bring back inotify's recursion race.  A filesystem
 * that refuses the mark (EXDEV on a btrfs subvolume, ENODEV without an
 * fsid as on FUSE, EOPNOTSUPP on overlayfs, /proc, /sys) becomes a
 * WEV_GAP for the root, so the daemon falls back to rescans there.
 *
 * Events.  The group reports FAN_REPORT_DFID_NAME: the parent
 * directory's file handle and the entry name ("." for the directory
 * itself).  FAN_REPORT_FID is not asked for: it adds nameless self
 * events for every file of the filesystem, which fimd could not name.
 * For the same reason DELETE_SELF and MOVE_SELF are left out: for
 * directories they repeat the parent's DELETE or RENAME, which a
 * filesystem mark always delivers.  FAN_RENAME (5.17) gives both sides
 * of a rename in one event, delivered as one WEV_RENAME; MOVED_FROM and
 * MOVED_TO are asked for as well, because the kernel drops FAN_RENAME
 * when either directory carries an ignore mark, and the halves of a
 * rename that did arrive whole are taken out again (collect_renames).
 *
 * Filtering.  A filesystem mark reports the whole filesystem; checking
 * each event in userspace is cheap, but queueing it costs the writer
 * (about +34 % on a metadata-heavy loop in the notes' measurements).  So
 * the first event from a directory outside every root puts an evictable
 * ignore mark on it (FAN_MARK_IGNORE_SURV | FAN_MARK_EVICTABLE, 6.0+;
 * skipped when refused), which silences its own and its children's
 * events in the kernel (+3 %).  Ignore marks follow the inode, so when a
 * directory moves into a root (or above one) or a root is added, all of
 * them are flushed and the lazy marking starts over.  The roots and
 * their ancestors are never ignore-marked.
 *
 * Paths.  A map from directory handle (fsid, type, bytes) to path holds
 * every directory of every root and the ancestors of each root; it is
 * filled by walking the roots with name_to_handle_at and kept in event
 * order (mkdir and move in: learn; rename: re-prefix; rmdir: forget), so
 * events queued before a rename resolve to the path of their time, and
 * events in a directory already deleted (ESTALE to open_by_handle_at)
 * still have a name.  An unknown handle is resolved once with
 * open_by_handle_at on the filesystem plus readlink of /proc/self/fd;
 * one outside every root is remembered in a second, bounded map (and
 * ignore-marked), both emptied when a directory moves in from outside
 * or a root is added.  Events that cannot be resolved at all are about
 * directories the map never held, i.e. outside the roots, and are
 * dropped.  Walks are walk.h's, relative to directory descriptors, so
 * trees deeper than PATH_MAX are mapped too; a directory a walk cannot
 * read is a WEV_GAP, since events below it may find no name.
 *
 * Queue.  With a queue_budget (the default), the group is created with
 * FAN_UNLIMITED_QUEUE and the budget bounds it; with none, the kernel
 * bounds the queue (fs.fanotify.max_queued_events, 16384 by default) and
 * past it drops events and queues FAN_Q_OVERFLOW, delivered as
 * WEV_OVERFLOW after the maps are rebuilt.  The budget is enforced here:
 * when more events than that wait (FIONREAD counts 24 bytes per event), the
 * queue is read and discarded and one WEV_OVERFLOW says so (stats.resets)
 * because the rescan that follows is cheaper than catching up.
 *
 * The daemon's own writes carry its pid and are dropped; FAN_REPORT_TID
 * is not used, so every thread of the daemon has that pid.  Each event
 * carries the writer's pid and, when the kernel has FAN_REPORT_PIDFD
 * (5.15) and the writer was still alive at read(), a pidfd, closed after
 * the callback.  WEV_EXEC (watch_enable_exec: FAN_OPEN_EXEC) is
 * delivered for programs inside the roots only, like every other event.
 *
 * Rooms (watch_fanotify_int.h): this file holds the ops and the queue;
 * watch_fanotify_map.c the handle maps, watch_fanotify_mark.c the
 * filesystems, marks and walks, watch_fanotify_event.c the decoding and
 * applying of events.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "pathmap.h"
#include "walk.h"
#include "watch_fanotify_int.h"
#include "xmalloc.h"

static void
rebuild(struct watch *w)
{
	size_t i;

	fan_maps_clear(w->be);
	fan_forget_outside(w);	/* a move in may be among the lost */
	for (i = 0; i < w->nroots; i++)
		(void)fan_add_root(w, i);
}

static void
overflow(struct watch *w, const char *reason, watch_event_fn *cb, void *arg)
{
	struct watch_event ev;

	rebuild(w);
	memset(&ev, 0, sizeof(ev));
	ev.flags = WEV_OVERFLOW;
	ev.path = "/";
	ev.len = 1;
	ev.pidfd = -1;
	ev.reason = reason;
	(void)watch_deliver(w, &ev, cb, arg);
}

static int
fan_open(struct watch *w, struct diag *diag)
{
	unsigned base = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
	    FAN_REPORT_DFID_NAME;
	struct fan *f;
	int fd;

	(void)diag;
	/*
	 * An unprivileged process may create a DFID_NAME group (5.13+) but
	 * not mark a filesystem; an fd-mode group needs CAP_SYS_ADMIN too,
	 * so it is the cheap probe that makes BACKEND_AUTO pick inotify.
	 */
	if ((fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY)) < 0)
		return -errno;
	close(fd);
	/*
	 * With a budget, the queue is unlimited and the budget bounds it:
	 * the kernel's 16384 events overflow in a fraction of a second of
	 * a package upgrade, and every overflow costs a rescan.
	 */
	if (w->queue_budget > 0)
		base |= FAN_UNLIMITED_QUEUE;
	fd = fanotify_init(base | FAN_REPORT_PIDFD, O_RDONLY | O_LARGEFILE);
	if (fd < 0 && errno == EINVAL)	/* before 5.15 */
		fd = fanotify_init(base, O_RDONLY | O_LARGEFILE);
	if (fd < 0)
		return -errno;
	f = xcalloc(1, sizeof(*f));
	fan_maps_init(f);
	f->mask = FAN_BASE_MASK | FAN_RENAME;
	f->ignore_ok = true;
	f->self = getpid();
	buf_init(&f->a, PATH_MAX * 4);
	buf_init(&f->b, PATH_MAX * 4);
	f->rbuf = xmalloc(FAN_READ_BUF);
	w->fd = fd;
	w->be = f;
	return 0;
}

static void
fan_free(struct watch *w)
{
	struct fan *f = w->be;

	if (f == NULL)
		return;
	fan_free_fs(f);
	fan_clear_sides(f);
	free(f->sides);
	fan_maps_release(f);
	buf_release(&f->a);
	buf_release(&f->b);
	free(f->rbuf);
	walk_free(f->walk);
	free(f);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static void
fan_clear(struct watch *w)
{
	struct fan *f = w->be;

	/* One flush drops every filesystem mark of the group. */
	(void)fanotify_mark(w->fd, FAN_MARK_FLUSH | FAN_MARK_FILESYSTEM, 0,
	    AT_FDCWD, NULL);
	fan_free_fs(f);
	fan_maps_clear(f);
	fan_forget_outside(w);
}

static uint64_t
queued(const struct watch *w)
{
	int n = 0;

	/* FIONREAD counts the 24-byte metadata of each queued event. */
	if (ioctl(w->fd, FIONREAD, &n) < 0 || n < 0)
		return 0;
	return (uint64_t)n / sizeof(struct fanotify_event_metadata);
}

/* Past the budget: read and drop what is queued; rescan instead. */
static int
discard(struct watch *w, watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	struct fanotify_event_metadata md;
	struct fan_event e;
	const char *raw;
	ssize_t n, off;
	int i;

	for (i = 0; i < FAN_READS * 4; i++) {
		n = read(w->fd, f->rbuf, FAN_READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (off = 0; fan_next_event(f->rbuf, n, &off, &md, &raw);) {
			w->st.events++;
			if (md.fd >= 0)
				close(md.fd);
			fan_parse_event(raw, &md, &e);
			if (e.pidfd >= 0)
				close(e.pidfd);
		}
	}
	if (queued(w) > w->queue_budget)
		return 1;
	w->st.resets++;
	overflow(w, "more kernel events were queued than the queue budget; "
	    "they were dropped", cb, arg);
	return 0;
}

static int
fan_read(struct watch *w, watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	struct fanotify_event_metadata md;
	struct fan_event e;
	const char *raw;
	int i, more = 1;
	ssize_t n, off;

	if (w->queue_budget > 0 && queued(w) > w->queue_budget)
		return discard(w, cb, arg);
	for (i = 0; i < FAN_READS && more; i++) {
		n = read(w->fd, f->rbuf, FAN_READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			more = 0;
			break;
		}
		if (n < 0) {
			fan_close_mount_fds(f);
			return -errno;
		}
		if (f->mask & FAN_RENAME)
			fan_collect_renames(f, f->rbuf, n);
		for (off = 0; fan_next_event(f->rbuf, n, &off, &md, &raw);) {
			w->st.events++;
			if (md.fd >= 0)
				close(md.fd);
			if (md.vers != FANOTIFY_METADATA_VERSION)
				continue;
			if (md.mask & FAN_Q_OVERFLOW) {
				overflow(w, "the fanotify queue overflowed",
				    cb, arg);
				continue;
			}
			fan_parse_event(raw, &md, &e);
			if (e.pid != f->self)
				fan_handle_event(w, &e, cb, arg);
			if (e.pidfd >= 0)
				close(e.pidfd);
		}
	}
	fan_close_mount_fds(f);
	fan_clear_sides(f);
	/* Gaps found while applying events go out at once. */
	watch_deliver_gaps(w, cb, arg);
	return more;
}

static int
fan_hold_ms(const struct watch *w)
{
	(void)w;
	return -1;
}

static void
fan_flush(struct watch *w, watch_event_fn *cb, void *arg)
{
	(void)w;
	(void)cb;
	(void)arg;
}

static void
fan_stats(const struct watch *w, struct watch_stats *ret)
{
	const struct fan *f = w->be;

	ret->marks = f->nfs + f->ignored;	/* evictable ones included */
	ret->ignore_marks = f->ignored;
	ret->dirs = pathmap_count(f->dirs);
	ret->queued = queued(w);
}

const struct watch_ops watch_fanotify_ops = {
	.name = "fanotify",
	.open = fan_open,
	.free = fan_free,
	.add_root = fan_add_root,
	.clear = fan_clear,
	.enable_exec = fan_enable_exec,
	.read = fan_read,
	.hold_ms = fan_hold_ms,
	.flush = fan_flush,
	.stats = fan_stats,
};
