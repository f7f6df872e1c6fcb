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
/* Events after which a name waits for the debounce window (entry_delay). */
#define PENDING_WAIT_FLAGS \
	(WEV_CREATE | WEV_DELETE | WEV_MOVED_FROM | WEV_RENAME)

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
	struct event *timer;
	double	 first;
	double	 last;
	struct procinfo proc;
	/*
	 * What moves did to this path.  It stays here until a probe that
	 * saw it is applied: handed to the probe at fire (fired), it is
	 * dropped at pending_done unless the probe was stale, and a rename
	 * of a probing entry carries it to the new name.
	 */
	char	*from;
	size_t	 from_len;
	uint64_t entries;
	struct record old;
	/* What this name had before its object was renamed away. */
	struct record left;
	char	*left_to;
	size_t	 left_to_len;
	enum entry_state state;
	unsigned flags;
	unsigned closes;	/* writers that closed within this burst */
	bool	 again;		/* touched while probing */
	bool	 have_proc;
	bool	 have_old;
	bool	 has_entries;
	bool	 fired;
	bool	 stale;		/* the probe in flight was overtaken */
	bool	 have_left;
	bool	 absorbed;
	bool	 left_fired;
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
	if (e->have_old)
		record_release(&e->old);
	if (e->have_left)
		record_release(&e->left);
	free(e->left_to);
	free(e->from);
	free(e->path);
	free(e);
}

static void
left_clear(struct entry *e)
{
	if (e->have_left)
		record_release(&e->left);
	e->have_left = false;
	free(e->left_to);
	e->left_to = NULL;
	e->left_to_len = 0;
	e->absorbed = false;
	e->left_fired = false;
}

static void
move_clear(struct entry *e)
{
	if (e->have_old)
		record_release(&e->old);
	e->have_old = false;
	free(e->from);
	e->from = NULL;
	e->from_len = 0;
	e->has_entries = false;
	e->entries = 0;
	e->fired = false;
}

static bool
move_empty(const struct entry *e)
{
	return e->from == NULL && !e->has_entries;
}

/* Set e's move to mv's (copied), replacing what it had. */
static void
move_set(struct entry *e, const struct pending_move *mv)
{
	move_clear(e);
	if (mv->from != NULL) {
		e->from = xstrndup(mv->from, mv->from_len);
		e->from_len = mv->from_len;
	}
	if (mv->old != NULL) {
		record_copy(&e->old, mv->old);
		e->have_old = true;
	}
	e->has_entries = mv->has_entries;
	e->entries = mv->entries;
}

/* Hand src's move to dst (src's object is the one now at dst). */
static void
move_take(struct entry *dst, struct entry *src)
{
	if (move_empty(src))
		return;
	move_clear(dst);
	dst->from = src->from;
	dst->from_len = src->from_len;
	dst->have_old = src->have_old;
	dst->old = src->old;
	dst->has_entries = src->has_entries;
	dst->entries = src->entries;
	src->from = NULL;
	src->have_old = false;
	record_init(&src->old);
	move_clear(src);
}

/* An object that came back to the name it had is judged as never moved. */
static void
move_settle(struct entry *e)
{
	if (e->from != NULL && e->from_len == e->len &&
	    memcmp(e->from, e->path, e->len) == 0)
		move_clear(e);
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
	 * racing the second command to a "deleted" and a "created".  A
	 * name just created waits too: a temp file renamed into place
	 * within the window is never reported under its temp name.  An
	 * object moved to a new name waits as well, so that "mv f f~, write
	 * f, rm f~" (an editor's save) is seen whole.
	 */
	if ((e->flags & WEV_CLOSE_WRITE) && e->closes <= 1 &&
	    !(e->flags & PENDING_WAIT_FLAGS))
		return 0;
	if (e->flags & (WEV_MODIFY | WEV_CLOSE_WRITE | PENDING_WAIT_FLAGS))
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
	e->stale = false;
	move_clear(e);
	left_clear(e);
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
	record_init(&e->old);
	record_init(&e->left);
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
    unsigned flags, const struct pending_move *mv,
    const struct procinfo *proc)
{
	double now = clock_mono_s();
	struct entry *e;

	if ((e = entry_get(p, path, len, now)) == NULL)
		return -ENOSPC;
	/*
	 * The first origin of a burst wins: a move with a record beats
	 * one without, and an earlier move the daemon has not applied yet
	 * (waiting, or handed to a probe that turned out stale) describes
	 * where the object really came from.
	 */
	if (move_empty(e) || (e->fired && !e->stale) ||
	    (!e->have_old && mv->old != NULL))
		move_set(e, mv);
	else if (mv->has_entries && !e->has_entries) {
		e->has_entries = true;
		e->entries = mv->entries;
	}
	e->fired = false;
	move_settle(e);
	entry_note(e, flags, proc, now);
	return 0;
}

/* What a waiting entry's events mean once its name is another. */
static unsigned
renamed_flags(unsigned flags)
{
	return (flags & ~(WEV_CREATE | WEV_DELETE | WEV_MOVED_FROM)) |
	    WEV_MOVED_TO;
}

/* One entry's share of a rename from old_path to path. */
static void
rename_one(struct pending *p, const char *old_path, size_t old_len,
    const char *path, size_t len, double now)
{
	struct entry *e, *dst;

	if ((dst = pathmap_get(p->map, path, len)) != NULL &&
	    dst->state == ENTRY_PROBING) {
		dst->stale = true;
		entry_note(dst, WEV_MOVED_TO, NULL, now);
	}
	if ((e = pathmap_get(p->map, old_path, old_len)) == NULL)
		return;
	if (e->state == ENTRY_COOLING) {
		p->cooling--;
		pathmap_remove(p->map, old_path, old_len);
		entry_free(e);
		return;
	}
	if (e->state == ENTRY_PROBING) {
		/* Probed again afterwards; its move goes where it went. */
		e->stale = true;
		entry_note(e, WEV_MOVED_FROM, NULL, now);
		if (!move_empty(e) && (dst != NULL ||
		    (dst = entry_get(p, path, len, now)) != NULL)) {
			move_take(dst, e);
			entry_note(dst, WEV_MOVED_TO, NULL, now);
		}
		return;
	}
	pathmap_remove(p->map, old_path, old_len);
	left_clear(e);		/* it described the old name */
	if (dst != NULL) {
		move_take(dst, e);
		entry_note(dst, renamed_flags(e->flags), e->have_proc ?
		    &e->proc : NULL, now);
		entry_free(e);
		return;
	}
	free(e->path);
	e->path = xstrndup(path, len);
	e->len = len;
	e->flags = renamed_flags(e->flags);
	pathmap_put(p->map, e->path, e->len, e);
	entry_arm(e, now);
}

struct below {
	const char *dir;
	size_t	 len;
	char	**v;
	size_t	 n, alloc;
};

static bool
collect_below(const char *key, size_t len, void *value, void *arg)
{
	struct below *b = arg;

	(void)value;
	if (len > b->len && memcmp(key, b->dir, b->len) == 0 &&
	    key[b->len] == '/') {
		if (b->n == b->alloc) {
			b->alloc = b->alloc == 0 ? 8 : b->alloc * 2;
			b->v = xreallocarray(b->v, b->alloc, sizeof(*b->v));
		}
		b->v[b->n++] = xstrndup(key, len);
	}
	return true;
}

void
pending_rename(struct pending *p, const char *old_path, size_t old_len,
    const char *path, size_t len, bool is_dir)
{
	double now = clock_mono_s();
	struct below b = { .dir = old_path, .len = old_len };
	char *np;
	size_t i, plen;

	rename_one(p, old_path, old_len, path, len, now);
	if (!is_dir)
		return;
	pathmap_foreach(p->map, collect_below, &b);
	for (i = 0; i < b.n; i++) {
		plen = strlen(b.v[i]);
		np = xmalloc(len + plen - old_len + 1);
		memcpy(np, path, len);
		memcpy(np + len, b.v[i] + old_len, plen - old_len + 1);
		rename_one(p, b.v[i], plen, np, len + plen - old_len, now);
		free(np);
		free(b.v[i]);
	}
	free(b.v);
}

int
pending_left(struct pending *p, const char *path, size_t len,
    const struct record *old, const char *to, size_t to_len,
    const struct procinfo *proc)
{
	double now = clock_mono_s();
	struct entry *e;

	if ((e = entry_get(p, path, len, now)) == NULL)
		return -ENOSPC;
	if (!e->have_left || (e->left_fired && !e->stale)) {
		left_clear(e);
		record_copy(&e->left, old);
		e->have_left = true;
		e->left_to = xstrndup(to, to_len);
		e->left_to_len = to_len;
	}
	entry_note(e, WEV_MOVED_FROM, proc, now);
	return 0;
}

bool
pending_absorb(struct pending *p, const char *path, size_t len)
{
	struct entry *e = pathmap_get(p->map, path, len);

	if (e == NULL || e->state == ENTRY_COOLING || !e->have_left)
		return false;
	e->absorbed = true;
	if (e->state == ENTRY_PROBING) {
		/* Its probe did not know: probe again, with the news. */
		e->stale = true;
		entry_note(e, WEV_MOVED_FROM, NULL, clock_mono_s());
	}
	return true;
}

bool
pending_stale(const struct pending *p, const char *path, size_t len)
{
	const struct entry *e = pathmap_get(p->map, path, len);

	return e != NULL && e->state == ENTRY_PROBING && e->stale;
}

/*
 * Fire an entry.  The callback may finish the probe at once and call
 * pending_done(), which can free the entry: so the entry is not touched
 * after the callback, and the callback copies what it keeps of info.
 */
static void
entry_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct entry *e = arg;
	struct pending *p = e->p;
	struct pending_info info;
	double now = clock_mono_s();

	(void)fd;
	(void)what;
	if (e->state == ENTRY_COOLING) {
		p->cooling--;
		pathmap_remove(p->map, e->path, e->len);
		entry_free(e);
		return;
	}
	move_settle(e);
	memset(&info, 0, sizeof(info));
	info.flags = e->flags;
	info.first = e->first;
	info.last = e->last;
	info.still_open = (e->flags & WEV_MODIFY) &&
	    !(e->flags & WEV_CLOSE_WRITE) && now >= e->first + p->max - 0.001;
	info.proc = e->have_proc ? &e->proc : NULL;
	info.move.from = e->from;
	info.move.from_len = e->from_len;
	info.move.old = e->have_old ? &e->old : NULL;
	info.move.has_entries = e->has_entries;
	info.move.entries = e->entries;
	info.left.old = e->have_left ? &e->left : NULL;
	info.left.to = e->left_to;
	info.left.to_len = e->left_to_len;
	info.left.absorbed = e->absorbed;
	e->fired = !move_empty(e);
	e->left_fired = e->have_left;
	e->stale = false;
	e->state = ENTRY_PROBING;
	p->fire(e->path, e->len, &info, p->arg);
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
	/* A move the probe saw is applied now, unless the probe was stale. */
	if (e->fired && !e->stale)
		move_clear(e);
	if (e->left_fired && !e->stale)
		left_clear(e);
	e->fired = false;
	e->left_fired = false;
	e->stale = false;
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
