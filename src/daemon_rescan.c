/*
 * The rescan queue (daemon_rescan.h).
 *
 * A rescan's walk is stat-first (compare.h) and hands changed files to
 * the hashing threads; compare judges every item, so a rescan names a
 * change exactly as --check would.  A rescan that closes a gap ends with
 * a "reconciled" alert counting what it found, but only when it saw all
 * of its scope and reported all it found: otherwise the gap is still
 * open, and its closing alert is a gap that says what is missing.
 *
 * A change whose alert could not be written is taken back out of the
 * baseline, so that no later rescan takes it for the known state.
 *
 * The walk runs in slices of rescan_slice entries, one per turn of the
 * loop, so that kernel events, the control socket and timers are served
 * while a million-entry tree is walked.  Realtime work may then change
 * the baseline under the rescan; three rules keep the two in agreement:
 *  - what realtime records is marked seen (baseline_put), so the end of
 *    the walk never takes it for deleted;
 *  - before realtime reports a path (or a directory moves or leaves),
 *    the change the rescan holds for it (or below it) is reported first
 *    (compare_flush), so the stream's last word on a path is the newest;
 *  - a directory renamed while the walk is inside it would be listed
 *    under its old name: the rescan ends there, reports what it found,
 *    judges no deletion, and is queued again (after RESCAN_RESTARTS such
 *    restarts, the walk runs to the end in one turn).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "contentdiff.h"
#include "daemon_ent.h"
#include "daemon_out.h"
#include "daemon_rescan.h"
#include "log.h"
#include "pathenc.h"
#include "xmalloc.h"

/* The longest path named in a reason: enough to find it, kept short. */
#define REASON_PATH_MAX		1024
/* Restarts of a rescan disturbed by renames before it runs unsliced. */
#define RESCAN_RESTARTS		3

static enum scan_decision rescan_stat_done(const struct scan_item *it,
	    uint64_t *prefix_len, void *arg);
static void	rescan_item_done(struct scan_item *it, void *arg);
static void	rescan_walk_cb(evutil_socket_t fd, short what, void *arg);

/* A rescan's batch: compare judges, the rescan counts and finishes. */
static const struct scan_ops rescan_scan_ops = {
	.stat_done = rescan_stat_done,
	.done = rescan_item_done,
};

static bool
same_scope(const struct rescan *r, const char *scope, size_t len)
{
	if (r->scope == NULL || scope == NULL)
		return r->scope == NULL && scope == NULL;
	return r->scope_len == len && memcmp(r->scope, scope, len) == 0;
}

void
rescan_enqueue(struct daemon *d, const char *scope, size_t len,
    const struct rule *rule, unsigned flags, const char *reason)
{
	struct rescan *r, **tail;

	for (r = d->rescans.queue; r != NULL; r = r->next) {
		/* A queued full rescan covers everything asked later. */
		if (r->scope == NULL || same_scope(r, scope, len)) {
			r->flags = (r->flags | (flags & RESCAN_GAP)) &
			    (flags | ~RESCAN_ADOPT);
			return;
		}
	}
	r = xcalloc(1, sizeof(*r));
	r->d = d;
	r->batch.ops = &rescan_scan_ops;
	r->batch.arg = r;
	if (scope != NULL) {
		r->scope = xstrndup(scope, len);
		r->scope_len = len;
	}
	r->rule = rule;
	r->flags = flags;
	r->reason = xstrdup(reason);
	for (tail = &d->rescans.queue; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	daemon_kick(d);
}

size_t
rescan_queued(const struct daemon *d)
{
	const struct rescan *r;
	size_t n = 0;

	for (r = d->rescans.queue; r != NULL; r = r->next)
		n++;
	return n;
}

size_t
rescan_open_gaps(const struct daemon *d)
{
	const struct rescan *r;
	size_t n = 0;

	if (d->rescans.active != NULL && (d->rescans.active->flags &
	    RESCAN_GAP))
		n++;
	for (r = d->rescans.queue; r != NULL; r = r->next)
		n += (r->flags & RESCAN_GAP) != 0;
	return n;
}

void
rescan_free(struct rescan *r)
{
	if (r == NULL)
		return;
	compare_free(r->cmp);
	free(r->rule_changes);
	free(r->scope);
	free(r->reason);
	free(r->first_unread);
	free(r);
}

void
rescan_clear_queue(struct daemon *d)
{
	struct rescan *r;

	while ((r = d->rescans.queue) != NULL) {
		d->rescans.queue = r->next;
		rescan_free(r);
	}
}

void
rescan_close(struct daemon *d)
{
	if (d->rescans.active != NULL && d->rescans.active->walking)
		scan_walk_abort(d->scan);
	rescan_free(d->rescans.active);
	d->rescans.active = NULL;
	rescan_clear_queue(d);
	daemon_event_free(&d->rescans.walk_ev);
}

/*
 * Undo what compare did to the baseline for c, whose alert was not
 * written (a gap alert stands for it): the next rescan meets the change
 * again instead of taking it for the known state.
 */
static void
rescan_unapply(struct daemon *d, const struct change *c)
{
	switch (c->action) {
	case ACTION_CREATED:
		(void)baseline_remove(d->b, c->path, c->len);
		break;
	case ACTION_MOVED:
		(void)baseline_remove(d->b, c->path, c->len);
		if (c->old != NULL && c->old_path != NULL)
			baseline_put(d->b, c->old_path, c->old_len, c->old);
		break;
	default:
		if (c->old != NULL)
			baseline_put(d->b, c->path, c->len, c->old);
		break;
	}
}

static void
rescan_change(const struct change *cc, void *arg)
{
	struct rescan *r = arg;
	struct content_note note;
	struct alert a;
	bool ok;

	content_note_init(&note);
	if (r->d->copies != NULL)
		content_examine(r->d->copies, cc, &note);
	alert_from_change(&a, SOURCE_RESCAN, cc);
	content_to_alert(&note, &a);
	if ((ok = daemon_emit(r->d, &a, 0)))
		content_take(r->d->copies, cc, &note);
	content_note_release(&note);
	if (ok) {
		r->changes++;
		if (cc->rule != NULL &&
		    cc->rule->index < r->d->rescans.nrule_stats) {
			if (r->rule_changes == NULL)
				r->rule_changes = xcalloc(
				    r->d->rescans.nrule_stats,
				    sizeof(*r->rule_changes));
			r->rule_changes[cc->rule->index]++;
		}
		return;
	}
	r->unwritten++;
	rescan_unapply(r->d, cc);
}

/* Count an entry of the scope not read; name the first one. */
static void
rescan_note_unread(struct rescan *r, const char *path, size_t len,
    const char *op, int err)
{
	struct buf b;

	if (r->unread++ > 0)
		return;
	buf_init(&b, BUF_MAX_DEFAULT);
	(void)pathenc_escape(path, len < REASON_PATH_MAX ? len :
	    REASON_PATH_MAX, &b);
	(void)buf_addf(&b, "%s (%s: %s)", len > REASON_PATH_MAX ? "..." : "",
	    op, strerror(-err));
	r->first_unread = buf_detach(&b, NULL);
}

static void
rescan_unreadable(const struct scan_item *it, void *arg)
{
	struct rescan *r = arg;

	r->d->unreadable++;
	log_debug("rescan: cannot %s an entry: %s", it->err_op,
	    strerror(-it->err));
	/*
	 * As compare.c judges it: a name that vanished is a deletion, a
	 * known state; anything else leaves that part of the scope unseen.
	 */
	if (it->err != -ENOENT || strcmp(it->err_op, "opendir") == 0 ||
	    strcmp(it->err_op, "readdir") == 0 ||
	    strcmp(it->err_op, "open") == 0)
		rescan_note_unread(r, it->path, it->len, it->err_op, it->err);
}

/* A created entry that the previous rules did not cover: adopt it. */
static bool
rescan_adopt(const char *path, size_t len, const struct record *rec,
    void *arg)
{
	struct rescan *r = arg;
	struct daemon *d = r->d;

	if (d->building)
		return true;	/* what --init would record, silently */
	if (!(r->flags & RESCAN_ADOPT) || d->old_rs == NULL)
		return false;
	return ruleset_match(d->old_rs, path, len, S_ISDIR(rec->mode),
	    NULL) == NULL;
}

/* The walk ended (err: its first error): say what it could not read. */
static void
rescan_walked(struct rescan *r, int err)
{
	r->walking = false;
	if (err < 0) {
		/* Delivered as items and noted already, as scan.h promises. */
		log_debug("rescan of %s (%s): some of it could not be read: "
		    "%s", r->scope != NULL ? r->scope : "all", r->reason,
		    strerror(-err));
		if (r->unread == 0)
			rescan_note_unread(r, r->scope != NULL ? r->scope :
			    "/", r->scope != NULL ? r->scope_len : 1, "walk",
			    err);
	}
}

/*
 * Walk the active rescan on for one slice (building the first baseline,
 * or after too many restarts: to the end); the next slice is a turn of
 * the loop away.
 */
static void
rescan_slice(struct daemon *d, struct rescan *r)
{
	static const struct timeval now = { 0, 0 };
	size_t budget = (size_t)d->cfg->rescan_slice;
	int err;

	if (d->building || r->restarts >= RESCAN_RESTARTS)
		budget = 0;
	if ((err = scan_walk_run(d->scan, budget)) == 1) {
		if (d->rescans.walk_ev == NULL)
			d->rescans.walk_ev = daemon_event(d, -1, 0,
			    rescan_walk_cb, d, NULL);
		/* A timer, not event_active: the loop polls in between. */
		(void)event_add(d->rescans.walk_ev, &now);
		return;
	}
	rescan_walked(r, err);
}

static void
rescan_walk_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct rescan *r = d->rescans.active;

	(void)fd;
	(void)what;
	if (r == NULL || !r->walking || d->stopping)
		return;
	rescan_slice(d, r);
	if (!r->walking && r->batch.inflight == 0)
		daemon_kick(d);	/* finish at the top level */
}

static void
rescan_start(struct daemon *d, struct rescan *r)
{
	static const struct compare_ops ops = {
		.change = rescan_change,
		.unreadable = rescan_unreadable,
		.adopt = rescan_adopt,
	};
	int err;

	r->cmp = compare_new(d->b, d->rs, true, &ops, r);
	compare_track(r->cmp, true);
	if (d->pk.db != NULL && pkgdb_ready(d->pk.db))
		compare_set_packages(r->cmp, d->pk.db, false);
	r->started = clock_mono_s();
	log_debug("rescan of %s (%s)", r->scope != NULL ? r->scope : "all",
	    r->reason);
	compare_begin(r->cmp, r->scope, r->scope_len);
	if ((err = scan_walk_begin(d->scan, r->scope, r->scope_len,
	    &r->batch)) < 0) {
		rescan_walked(r, err);	/* cannot happen: one at a time */
		return;
	}
	r->walking = true;
	rescan_slice(d, r);
}

/*
 * End the active rescan's walk where it stands: it reports what it found
 * and judges no deletion.
 */
static void
rescan_cut(struct daemon *d, struct rescan *r)
{
	if (!r->walking)
		return;
	scan_walk_abort(d->scan);
	r->walking = false;
	r->partial = true;
}

void
rescan_before_realtime(struct daemon *d, const char *path, size_t len)
{
	struct rescan *r = d->rescans.active;

	if (r != NULL && r->cmp != NULL)
		compare_flush(r->cmp, path, len);
}

void
rescan_dir_moved(struct daemon *d, const char *path, size_t len)
{
	struct rescan *r = d->rescans.active;

	if (r == NULL || r->cmp == NULL)
		return;
	compare_flush_below(r->cmp, path, len);
	if (r->walking && scan_walk_inside(d->scan, path, len)) {
		log_debug("rescan of %s (%s): a directory it was walking "
		    "moved; starting again", r->scope != NULL ? r->scope :
		    "all", r->reason);
		rescan_cut(d, r);
		r->again = true;
		if (r->batch.inflight == 0)
			daemon_kick(d);
	}
}

/* Queue r's scope again, first, as one more restart of it. */
static void
rescan_requeue(struct daemon *d, const struct rescan *r)
{
	struct rescan *q;

	rescan_enqueue(d, r->scope, r->scope_len, r->rule, r->flags,
	    r->reason);
	/* Absorbed by a queued one, or appended: put it first. */
	for (q = d->rescans.queue; q != NULL; q = q->next) {
		if (same_scope(q, r->scope, r->scope_len) ||
		    q->scope == NULL)
			break;
	}
	if (q == NULL)
		return;
	q->restarts = r->restarts + 1;
	if (q != d->rescans.queue) {
		struct rescan **pp = &d->rescans.queue;

		while (*pp != q)
			pp = &(*pp)->next;
		*pp = q->next;
		q->next = d->rescans.queue;
		d->rescans.queue = q;
	}
}

static void
rescan_note_rule(struct daemon *d, const struct rescan *r, double ms)
{
	struct rule_stats *st;
	size_t i;

	/* A full rescan (the one at start-up too) covers every rule. */
	for (i = 0; i < d->rescans.nrule_stats; i++) {
		st = &d->rescans.rule_stats[i];
		if (r->rule != NULL ? st->rule != r->rule : r->scope != NULL)
			continue;
		st->last_rescan = clock_wall_s();
		st->last_rescan_ms = ms;
		st->changes = r->rule_changes != NULL ? r->rule_changes[i] :
		    0;
	}
}

/*
 * Why a rescan leaves its gap open, as a new string, or NULL when it
 * saw and reported everything: what it could not read (the first entry
 * and how many) and how many alerts were not written.
 */
static char *
rescan_shortfall(const struct rescan *r)
{
	struct buf b;

	if (r->unread == 0 && r->unwritten == 0)
		return NULL;
	buf_init(&b, BUF_MAX_DEFAULT);
	(void)buf_addf(&b, "%s: rescan incomplete", r->reason);
	if (r->unread > 0)
		(void)buf_addf(&b, ", could not read %s", r->first_unread);
	if (r->unread > 1)
		(void)buf_addf(&b, " and %llu more entries",
		    (unsigned long long)(r->unread - 1));
	if (r->unwritten > 0)
		(void)buf_addf(&b, ", %llu alert%s not written",
		    (unsigned long long)r->unwritten,
		    r->unwritten == 1 ? "" : "s");
	return buf_detach(&b, NULL);
}

/* The alert that ends a rescan after a gap: reconciled, or still a gap. */
static void
rescan_close_gap(struct daemon *d, const struct rescan *r)
{
	struct alert a;
	char *why;

	/* A full rescan's scope is every watched path: r->scope NULL. */
	if ((why = rescan_shortfall(r)) != NULL) {
		(void)daemon_gap_final(d, SOURCE_RESCAN, r->scope, r->scope_len,
		    why);
		free(why);
		return;
	}
	alert_for_scope(&a, ACTION_RECONCILED, SOURCE_RESCAN, r->scope,
	    r->scope_len, r->reason, r->changes);
	(void)daemon_emit(d, &a, 0);
}

static void
rescan_finish(struct daemon *d, struct rescan *r)
{
	double ms;

	if (r->partial) {
		compare_finish_found(r->cmp, NULL);
		log_debug("rescan of %s (%s) ended early: %llu changes",
		    r->scope != NULL ? r->scope : "all", r->reason,
		    (unsigned long long)r->changes);
		daemon_mark_dirty(d);
		return;		/* its gap, if any, is still open */
	}
	compare_finish(r->cmp, NULL);
	ms = (clock_mono_s() - r->started) * 1000;
	if (r->flags & RESCAN_GAP)
		rescan_close_gap(d, r);
	rescan_note_rule(d, r, ms);
	if (r->scope == NULL) {
		d->pending_full = false;
		daemon_trim(d);
	}
	/* Entries new to the rules get their copies (contentdiff.h). */
	if ((r->flags & RESCAN_ADOPT) && d->copies != NULL)
		(void)content_fill(d->copies, d->b, d->rs);
	log_debug("rescan of %s done in %.0f ms: %llu changes, %llu entries "
	    "unread, %llu alerts not written",
	    r->scope != NULL ? r->scope : "all", ms,
	    (unsigned long long)r->changes, (unsigned long long)r->unread,
	    (unsigned long long)r->unwritten);
	daemon_mark_dirty(d);
}

/* Finish the active rescan if its walk and hash jobs are all done. */
static bool
rescan_finish_active(struct daemon *d)
{
	struct rescan *r = d->rescans.active;

	if (r == NULL)
		return true;
	if (d->stopping)
		rescan_cut(d, r);	/* the next start-up judges the rest */
	if (r->walking || r->batch.inflight > 0)
		return false;
	d->rescans.active = NULL;
	rescan_finish(d, r);
	if (r->again && !d->stopping)
		rescan_requeue(d, r);
	rescan_free(r);
	return true;
}

void
rescan_run_next(struct daemon *d)
{
	struct rescan *r;

	while (rescan_finish_active(d)) {
		if ((r = d->rescans.queue) == NULL || d->stopping)
			return;
		d->rescans.queue = r->next;
		r->next = NULL;
		d->rescans.active = r;
		rescan_start(d, r);
	}
}

unsigned
rescan_drain(struct daemon *d)
{
	const struct rescan *r;
	unsigned flags = 0;

	for (r = d->rescans.queue; r != NULL; r = r->next)
		flags |= r->flags;
	rescan_clear_queue(d);
	if ((r = d->rescans.active) != NULL && r->walking) {
		flags |= r->flags;	/* cut short: the next one closes it */
		rescan_cut(d, d->rescans.active);
		d->rescans.active->again = false;
	}
	(void)rescan_finish_active(d);
	return flags;
}

static void
rescan_item_done(struct scan_item *it, void *arg)
{
	struct rescan *r = arg;

	compare_scan_ops.done(it, r->cmp);
	if (!r->walking && r->batch.inflight == 0)
		daemon_kick(r->d);	/* finish at the top level */
}

static enum scan_decision
rescan_stat_done(const struct scan_item *it, uint64_t *prefix_len, void *arg)
{
	struct rescan *r = arg;

	return compare_scan_ops.stat_done(it, prefix_len, r->cmp);
}

static void
rule_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rule_stats *st = arg;
	struct daemon *d = st->d;
	const struct rule *rule = st->rule;
	size_t i;

	(void)fd;
	(void)what;
	if (rule->type != RULE_FILES) {
		/* An entity is read at once: no walk, no queue. */
		double t0 = clock_mono_s();

		ent_check(d, rule, SOURCE_RESCAN);
		st->last_rescan = clock_wall_s();
		st->last_rescan_ms = (clock_mono_s() - t0) * 1e3;
	}
	for (i = 0; rule->type == RULE_FILES && i < rule->npaths; i++)
		rescan_enqueue(d, rule->paths[i].path, rule->paths[i].len,
		    rule, 0, "scheduled");
	st->next_rescan = clock_wall_s() + (double)rule->rescan;
}

void
rescan_schedule(struct daemon *d)
{
	struct rule_stats *st;
	struct timeval tv;
	size_t i, n = ruleset_count(d->rs);

	d->rescans.rule_stats = xcalloc(n + 1, sizeof(*d->rescans.rule_stats));
	d->rescans.nrule_stats = n;
	for (i = 0; i < n; i++) {
		st = &d->rescans.rule_stats[i];
		st->d = d;
		st->rule = ruleset_rule(d->rs, i);
		tv.tv_sec = (time_t)st->rule->rescan;
		tv.tv_usec = 0;
		st->timer = daemon_event(d, -1, EV_PERSIST, rule_timer_cb, st,
		    &tv);
		st->next_rescan = clock_wall_s() + (double)st->rule->rescan;
	}
}

void
rescan_unschedule(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->rescans.nrule_stats; i++)
		daemon_event_free(&d->rescans.rule_stats[i].timer);
	free(d->rescans.rule_stats);
	d->rescans.rule_stats = NULL;
	d->rescans.nrule_stats = 0;
}
