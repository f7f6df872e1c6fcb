/*
 * The debounce set (pending.h).  One libevent timer per entry, embedded
 * in it; entries are found by path through a pathmap whose keys live in
 * the entries themselves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "pathmap.h"
#include "pending.h"
#include "watch.h"
#include "xmalloc.h"

/* Settle time of events that carry no content (attrib, delete, moves). */
#define PENDING_META_MS	5

enum entry_state {
	ENTRY_WAITING,
	ENTRY_PROBING,
	/*
	 * Probed within the last debounce window and quiet since: kept so
	 * that a writer that closes again soon is seen as a burst and
	 * waits for quiet, instead of being hashed at once on every close
	 * when the probes happen to keep up with it.  Not counted as
	 * pending; dropped when the window ends.
	 */
	ENTRY_COOLING,
};

struct entry {
	struct pending *p;
	char	*path;
	size_t	 len;
	enum entry_state state;
	bool	 again;		/* touched while probing */
	struct event *timer;
	unsigned flags;
	unsigned closes;	/* writers that closed within this burst */
	double	 first;
	double	 last;
	bool	 have_proc;
	struct procinfo proc;
	char	*moved_from;
	size_t	 moved_from_len;
	bool	 have_moved_record;
	struct record moved_record;
	uint64_t moved_children;
};

struct pending {
	struct event_base *base;
	double	 debounce;	/* seconds */
	double	 max;		/* seconds */
	size_t	 max_entries;
	pending_fire_fn *fire;
	void	*arg;
	struct pathmap *map;
	size_t	 cooling;	/* entries in ENTRY_COOLING */
};

static void	entry_timer_cb(evutil_socket_t fd, short what, void *arg);

struct pending *
pending_new(struct event_base *base, uint64_t debounce_ms, uint64_t max_ms,
    size_t max_entries, pending_fire_fn *fire, void *arg)
{
	struct pending *p;

	p = xcalloc(1, sizeof(*p));
	p->base = base;
	p->debounce = (double)debounce_ms / 1000;
	p->max = (double)(max_ms < debounce_ms ? debounce_ms : max_ms) / 1000;
	p->max_entries = max_entries;
	p->fire = fire;
	p->arg = arg;
	p->map = pathmap_new();
	return p;
}

static void
entry_free(struct entry *e)
{
	event_free(e->timer);
	procinfo_release(&e->proc);
	if (e->have_moved_record)
		record_release(&e->moved_record);
	free(e->moved_from);
	free(e->path);
	free(e);
}

static bool
free_one(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	entry_free(value);
	return true;
}

void
pending_free(struct pending *p)
{
	if (p == NULL)
		return;
	pathmap_foreach(p->map, free_one, NULL);
	pathmap_free(p->map);
	free(p);
}

/* Seconds from now until the entry should fire. */
static double
entry_delay(const struct pending *p, const struct entry *e, double now)
{
	double due;

	/*
	 * A lone writer that closed is hashed at once; a file opened and
	 * closed again and again is a burst and waits for quiet.  A name
	 * that went away waits as long: "rm f && mkdir f", "rm b && ln a
	 * b" replace it, and the probe after the quiet judges the new
	 * object against the old record (one "updated"), instead of
	 * racing the second command to a "deleted" and a "created".
	 */
	if ((e->flags & WEV_CLOSE_WRITE) && e->closes <= 1 &&
	    !(e->flags & (WEV_DELETE | WEV_MOVED_FROM)))
		return 0;
	if (e->flags & (WEV_MODIFY | WEV_CREATE | WEV_CLOSE_WRITE |
	    WEV_DELETE | WEV_MOVED_FROM))
		due = e->last + p->debounce;
	else
		due = e->last + (double)PENDING_META_MS / 1000;
	if (due > e->first + p->max)
		due = e->first + p->max;
	return due > now ? due - now : 0;
}

static void
entry_arm(struct entry *e, double now)
{
	double d = entry_delay(e->p, e, now);
	struct timeval tv;

	tv.tv_sec = (time_t)d;
	tv.tv_usec = (suseconds_t)((d - (double)tv.tv_sec) * 1e6);
	evtimer_add(e->timer, &tv);
}

static void
entry_reset(struct entry *e, double now)
{
	e->flags = 0;
	e->closes = 0;
	e->first = e->last = now;
	e->again = false;
	if (e->have_moved_record)
		record_release(&e->moved_record);
	e->have_moved_record = false;
	free(e->moved_from);
	e->moved_from = NULL;
	e->moved_children = 0;
}

static struct entry *
entry_get(struct pending *p, const char *path, size_t len, double now)
{
	struct entry *e;

	if ((e = pathmap_get(p->map, path, len)) != NULL)
		return e;
	if (pathmap_count(p->map) - p->cooling >= p->max_entries)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->p = p;
	e->path = xstrndup(path, len);
	e->len = len;
	e->state = ENTRY_WAITING;
	e->timer = evtimer_new(p->base, entry_timer_cb, e);
	procinfo_init(&e->proc);
	record_init(&e->moved_record);
	entry_reset(e, now);
	pathmap_put(p->map, e->path, e->len, e);
	return e;
}

static void
entry_note(struct entry *e, unsigned flags, const struct procinfo *proc,
    double now)
{
	if (e->state == ENTRY_COOLING) {
		/* The close probed last counts: this one makes a burst. */
		e->p->cooling--;
		e->state = ENTRY_WAITING;
		e->closes = 1;
		procinfo_release(&e->proc);
		procinfo_init(&e->proc);
		e->have_proc = false;
	}
	if (e->state == ENTRY_PROBING && !e->again) {
		/*
		 * Written again while the last close is being probed: the
		 * close that started that probe counts, so a writer that
		 * keeps opening and closing the file waits for quiet.
		 */
		e->again = true;
		e->flags = 0;
		e->closes = 1;
		e->first = now;
	}
	e->flags |= flags;
	if (flags & WEV_CLOSE_WRITE)
		e->closes++;
	e->last = now;
	if (proc != NULL && proc->pid != 0) {
		procinfo_release(&e->proc);
		procinfo_copy(&e->proc, proc);
		e->have_proc = true;
	}
	if (e->state == ENTRY_WAITING)
		entry_arm(e, now);
}

int
pending_touch(struct pending *p, const char *path, size_t len, unsigned flags,
    const struct procinfo *proc)
{
	double now = clock_mono_s();
	struct entry *e;

	if ((e = entry_get(p, path, len, now)) == NULL)
		return -ENOSPC;
	entry_note(e, flags, proc, now);
	return 0;
}

int
pending_moved(struct pending *p, const char *path, size_t len,
    const char *old_path, size_t old_len, const struct record *old,
    uint64_t children, const struct procinfo *proc)
{
	double now = clock_mono_s();
	struct entry *e;

	if ((e = entry_get(p, path, len, now)) == NULL)
		return -ENOSPC;
	free(e->moved_from);
	e->moved_from = xstrndup(old_path, old_len);
	e->moved_from_len = old_len;
	if (e->have_moved_record)
		record_release(&e->moved_record);
	record_copy(&e->moved_record, old);
	e->have_moved_record = true;
	e->moved_children = children;
	entry_note(e, WEV_RENAME, proc, now);
	return 0;
}

void
pending_rename(struct pending *p, const char *old_path, size_t old_len,
    const char *path, size_t len)
{
	struct entry *e, *dst;
	double now = clock_mono_s();

	if ((e = pathmap_get(p->map, old_path, old_len)) == NULL ||
	    e->state != ENTRY_WAITING)
		return;
	pathmap_remove(p->map, old_path, old_len);
	if ((dst = pathmap_get(p->map, path, len)) != NULL) {
		entry_note(dst, e->flags, e->have_proc ? &e->proc : NULL, now);
		entry_free(e);
		return;
	}
	free(e->path);
	e->path = xstrndup(path, len);
	e->len = len;
	pathmap_put(p->map, e->path, e->len, e);
}

/*
 * Fire an entry.  The callback may finish the probe at once and call
 * pending_done(), which can free the entry: so the moved-from data is
 * detached first, and the entry is not touched after the callback.
 */
static void
entry_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct entry *e = arg;
	struct pending *p = e->p;
	struct pending_info info;
	struct record moved;
	bool have_moved = e->have_moved_record;
	char *moved_from = e->moved_from;
	double now = clock_mono_s();

	(void)fd;
	(void)what;
	if (e->state == ENTRY_COOLING) {
		p->cooling--;
		pathmap_remove(p->map, e->path, e->len);
		entry_free(e);
		return;
	}
	memset(&info, 0, sizeof(info));
	info.flags = e->flags;
	info.first = e->first;
	info.last = e->last;
	info.still_open = (e->flags & WEV_MODIFY) &&
	    !(e->flags & WEV_CLOSE_WRITE) && now >= e->first + p->max - 0.001;
	info.proc = e->have_proc ? &e->proc : NULL;
	info.moved_from = moved_from;
	info.moved_from_len = e->moved_from_len;
	if (have_moved) {
		moved = e->moved_record;
		record_init(&e->moved_record);
		e->have_moved_record = false;
		info.moved_record = &moved;
	}
	info.moved_children = e->moved_children;
	e->moved_from = NULL;
	e->moved_children = 0;
	e->state = ENTRY_PROBING;
	p->fire(e->path, e->len, &info, p->arg);
	free(moved_from);
	if (have_moved)
		record_release(&moved);
}

void
pending_done(struct pending *p, const char *path, size_t len)
{
	struct entry *e;
	struct timeval tv;
	double now = clock_mono_s();

	if ((e = pathmap_get(p->map, path, len)) == NULL ||
	    e->state != ENTRY_PROBING)
		return;
	if (!e->again && p->debounce > 0) {
		entry_reset(e, now);
		e->state = ENTRY_COOLING;
		p->cooling++;
		tv.tv_sec = (time_t)p->debounce;
		tv.tv_usec = (suseconds_t)((p->debounce -
		    (double)tv.tv_sec) * 1e6);
		evtimer_add(e->timer, &tv);
		return;
	}
	if (!e->again) {
		pathmap_remove(p->map, path, len);
		entry_free(e);
		return;
	}
	e->state = ENTRY_WAITING;
	e->again = false;
	entry_arm(e, now);
}

struct entry_list {
	struct entry **v;
	size_t	 n;
};

static bool
collect_waiting(const char *key, size_t len, void *value, void *arg)
{
	struct entry_list *l = arg;
	struct entry *e = value;

	(void)key;
	(void)len;
	if (e->state == ENTRY_WAITING || e->state == ENTRY_COOLING)
		l->v[l->n++] = e;
	return true;
}

void
pending_clear(struct pending *p)
{
	struct entry_list l;
	size_t i;

	/* Entries being probed stay until pending_done; the rest go. */
	l.v = xcalloc(pathmap_count(p->map) + 1, sizeof(*l.v));
	l.n = 0;
	pathmap_foreach(p->map, collect_waiting, &l);
	for (i = 0; i < l.n; i++) {
		if (l.v[i]->state == ENTRY_COOLING)
			p->cooling--;
		pathmap_remove(p->map, l.v[i]->path, l.v[i]->len);
		entry_free(l.v[i]);
	}
	free(l.v);
}

size_t
pending_count(const struct pending *p)
{
	return pathmap_count(p->map) - p->cooling;
}
