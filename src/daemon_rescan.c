/*
 * The rescan queue.
 *
 * Rescans find what no event can show: changes made while the daemon was
 * down, on filesystems without events, chattr flags, writes lost to a
 * queue overflow.  One runs at a time, from the loop's top level: its
 * walk is stat-first (compare.h) and hands changed files to the hashing
 * threads; it finishes when its last hash job is back.  A rescan that
 * closes a gap ends with a "reconciled" alert counting what it found.
 * Scheduled rescans come from one timer per rule.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "daemon_int.h"
#include "log.h"
#include "xmalloc.h"

static bool
same_scope(const struct rescan *r, const char *scope, size_t len)
{
	if (r->scope == NULL || scope == NULL)
		return r->scope == NULL && scope == NULL;
	return r->scope_len == len && memcmp(r->scope, scope, len) == 0;
}

void
rescan_enqueue(struct daemon *d, const char *scope, size_t len,
    const struct rule *rule, bool gap, bool adopt, const char *reason)
{
	struct rescan *r, **tail;

	for (r = d->rescan_queue; r != NULL; r = r->next) {
		/* A queued full rescan covers everything asked later. */
		if (r->scope == NULL || same_scope(r, scope, len)) {
			r->gap = r->gap || gap;
			r->adopt = r->adopt && adopt;
			return;
		}
	}
	r = xcalloc(1, sizeof(*r));
	r->kind = JOB_RESCAN;
	r->d = d;
	r->batch.owner = r;
	if (scope != NULL) {
		r->scope = xstrndup(scope, len);
		r->scope_len = len;
	}
	r->rule = rule;
	r->gap = gap;
	r->adopt = adopt;
	r->reason = xstrdup(reason);
	for (tail = &d->rescan_queue; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	daemon_kick(d);
}

size_t
rescan_queued(const struct daemon *d)
{
	const struct rescan *r;
	size_t n = 0;

	for (r = d->rescan_queue; r != NULL; r = r->next)
		n++;
	return n;
}

static void
rescan_free(struct rescan *r)
{
	if (r == NULL)
		return;
	compare_free(r->cmp);
	free(r->scope);
	free(r->reason);
	free(r);
}

void
rescan_clear_queue(struct daemon *d)
{
	struct rescan *r;

	while ((r = d->rescan_queue) != NULL) {
		d->rescan_queue = r->next;
		rescan_free(r);
	}
}

static void
rescan_change(const struct compare_change *cc, void *arg)
{
	struct rescan *r = arg;
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.action = cc->action;
	a.source = SOURCE_RESCAN;
	a.rule = cc->rule;
	a.path = cc->path;
	a.pathlen = cc->len;
	a.old_path = cc->old_path;
	a.old_pathlen = cc->old_len;
	a.old = cc->old;
	a.new = cc->new;
	a.diff = cc->diff;
	r->changes++;
	daemon_emit(r->d, &a, 0);
}

static void
rescan_unreadable(const struct scan_item *it, void *arg)
{
	struct rescan *r = arg;

	r->d->unreadable++;
	log_debug("rescan: cannot %s an entry: %s", it->err_op,
	    strerror(-it->err));
}

/* A created entry that the previous rules did not cover: adopt it. */
static bool
rescan_adopt(const char *path, size_t len, const struct record *rec,
    void *arg)
{
	struct rescan *r = arg;
	struct daemon *d = r->d;

	(void)rec;
	if (d->building)
		return true;	/* what --init would record, silently */
	if (!r->adopt || d->old_rs == NULL)
		return false;
	return ruleset_match(d->old_rs, path, len, S_ISDIR(rec->mode),
	    NULL) == NULL;
}

static void
rescan_start(struct daemon *d, struct rescan *r)
{
	static const struct compare_ops ops = {
		.change = rescan_change,
		.unreadable = rescan_unreadable,
		.adopt = rescan_adopt,
	};

	r->d = d;
	r->cmp = compare_new(d->b, d->rs, true, &ops, r);
	r->started = clock_mono_s();
	log_debug("rescan of %s (%s)", r->scope != NULL ? r->scope : "all",
	    r->reason);
	compare_begin(r->cmp, r->scope, r->scope_len);
	r->walking = true;
	if (r->scope == NULL)
		(void)scan_walk(d->scan, &r->batch);
	else
		(void)scan_path(d->scan, r->scope, r->scope_len, &r->batch);
	r->walking = false;
}

static void
rescan_note_rule(struct daemon *d, const struct rescan *r, double ms)
{
	struct rule_stats *st;

	if (r->rule == NULL || r->rule->index >= d->nrule_stats)
		return;
	st = &d->rule_stats[r->rule->index];
	st->last_rescan = clock_wall_s();
	st->last_rescan_ms = ms;
	st->changes = r->changes;
}

static void
rescan_finish(struct daemon *d, struct rescan *r)
{
	struct alert a;
	double ms;

	compare_finish(r->cmp, NULL);
	ms = (clock_mono_s() - r->started) * 1000;
	if (r->gap) {
		memset(&a, 0, sizeof(a));
		a.action = ACTION_RECONCILED;
		a.source = SOURCE_RESCAN;
		a.path = r->scope != NULL ? r->scope : "/";
		a.pathlen = r->scope != NULL ? r->scope_len : 1;
		a.reason = r->reason;
		a.count = r->changes;
		daemon_emit(d, &a, 0);
	}
	rescan_note_rule(d, r, ms);
	if (r->scope == NULL) {
		d->pending_full = false;
		daemon_trim(d);
	}
	log_debug("rescan of %s done in %.0f ms: %llu changes",
	    r->scope != NULL ? r->scope : "all", ms,
	    (unsigned long long)r->changes);
	daemon_mark_dirty(d);
}

/*
 * Top level only: finish the active rescan when its last job is back,
 * then start the next one.
 */
void
rescan_run_next(struct daemon *d)
{
	struct rescan *r;

	for (;;) {
		if ((r = d->rescan_active) != NULL) {
			if (r->walking || r->batch.inflight > 0)
				return;
			d->rescan_active = NULL;
			rescan_finish(d, r);
			rescan_free(r);
		}
		if ((r = d->rescan_queue) == NULL || d->stopping)
			return;
		d->rescan_queue = r->next;
		r->next = NULL;
		d->rescan_active = r;
		rescan_start(d, r);
	}
}

void
rescan_item_done(struct daemon *d, struct rescan *r, struct scan_item *it)
{
	compare_scan_ops.done(it, r->cmp);
	if (!r->walking && r->batch.inflight == 0)
		daemon_kick(d);	/* finish at the top level */
}

enum scan_decision
rescan_stat_done(struct daemon *d, struct rescan *r,
    const struct scan_item *it, uint64_t *prefix_len)
{
	(void)d;
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
	for (i = 0; i < rule->npaths; i++)
		rescan_enqueue(d, rule->paths[i].path, rule->paths[i].len,
		    rule, false, false, "scheduled");
	st->next_rescan = clock_wall_s() + (double)rule->rescan;
}

void
rescan_schedule(struct daemon *d)
{
	struct rule_stats *st;
	struct timeval tv;
	size_t i, n = ruleset_count(d->rs);

	d->rule_stats = xcalloc(n + 1, sizeof(*d->rule_stats));
	d->nrule_stats = n;
	for (i = 0; i < n; i++) {
		st = &d->rule_stats[i];
		st->d = d;
		st->rule = ruleset_rule(d->rs, i);
		tv.tv_sec = (time_t)st->rule->rescan;
		tv.tv_usec = 0;
		st->timer = event_new(d->base, -1, EV_PERSIST, rule_timer_cb,
		    st);
		event_add(st->timer, &tv);
		st->next_rescan = clock_wall_s() + (double)st->rule->rescan;
	}
}

void
rescan_unschedule(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nrule_stats; i++)
		event_free(d->rule_stats[i].timer);
	free(d->rule_stats);
	d->rule_stats = NULL;
	d->nrule_stats = 0;
}
