/*
 * The daemon's output room: alerts to the sinks, the baseline to disk,
 * memory back to the system, deferred work (daemon_out.h).
 *
 * An alert that a sink cannot take is logged and the next one is tried:
 * one full disk must not stop the other sinks nor the loop.  Lines the
 * alert file refuses wait in a bounded spool, in order, and are retried
 * every second; what the spool cannot hold is named by one gap alert
 * (its seq range) once the file takes lines again.  An alert that cannot
 * be made into a line is not dropped in silence either: a gap alert,
 * which is short, names its path instead, and the caller is told.
 *
 * Each line carries the link to the line before it (fimd.chain,
 * chain.h), made here with the line, in seq order, which is the order
 * the file receives them in, spooled or not.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "cmdutil.h"
#include "daemon_out.h"
#include "log.h"
#include "xmalloc.h"

#define SAVE_INTERVAL_S		60
#define RETRY_INTERVAL_S	1
/* What a full disk may hold back in memory before lines are dropped. */
#define SPOOL_MAX_BYTES		(16u << 20)
/*
 * The longest scope of a gap that stands in for an alert: a gap line
 * about a path this long is far below the line limit, whatever bytes
 * the path holds.
 */
#define GAP_SCOPE_MAX		4096

static void	spool_flush(struct daemon *d);
static void	retry_cb(evutil_socket_t fd, short what, void *arg);

struct event *
daemon_event(struct daemon *d, int fd, short what, event_callback_fn cb,
    void *arg, const struct timeval *tv)
{
	struct event *ev = event_new(d->base, fd, what, cb, arg);

	if (ev == NULL)
		fatalx("cannot create an event");
	if ((tv != NULL || (what & (EV_READ | EV_SIGNAL))) &&
	    event_add(ev, tv) < 0)
		fatalx("cannot add an event");
	return ev;
}

void
daemon_event_free(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

static void
save_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (d->out.dirty)
		(void)daemon_save(d);
}

/* The alert file's directory, so a fresh install can start. */
static void
make_alert_dir(const char *alerts_path)
{
	char *dir, *slash;

	if (strcmp(alerts_path, "-") == 0)
		return;
	dir = xstrdup(alerts_path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0750);
	}
	free(dir);
}

/*
 * Continue the chain and the seq from the alert file's last line, so a
 * restart does not break either; from its newest rotation's when the
 * file is empty or missing (logrotate's create ran while the daemon was
 * stopped), so `--verify alerts.json.1 alerts.json` still holds.  No line
 * anywhere starts a new stream from CHAIN_GENESIS.  Returns the next seq.
 */
static uint64_t
chain_seed(struct daemon_output *o, const struct chain_key *key,
    const char *alerts_path)
{
	struct buf last;
	uint64_t seq;

	chain_init(&o->chain, key);
	if (strcmp(alerts_path, "-") == 0)
		return 1;
	buf_init(&last, SIZE_MAX);
	seq = alert_stream_tail(alerts_path, &last);
	if (last.len > 0)
		chain_follow(&o->chain, last.data, last.len);
	buf_release(&last);
	return seq;
}

enum exit_status
daemon_out_open(struct daemon *d)
{
	const struct fimd_config *c = d->cfg;
	struct daemon_output *o = &d->out;
	int r;

	o->save_ev = daemon_event(d, -1, 0, save_cb, d, NULL);
	o->retry_ev = daemon_event(d, -1, 0, retry_cb, d, NULL);
	o->spool = spool_new(o->spool_max != 0 ? o->spool_max :
	    SPOOL_MAX_BYTES);
	make_alert_dir(c->alerts_path);
	if ((r = sink_file_open(c->alerts_path, &o->sinks[o->nsinks])) < 0) {
		log_warnx("cannot open the alert file %s: %s", c->alerts_path,
		    sink_strerror(r));
		return EXIT_IO_ERROR;
	}
	o->nsinks++;
	if (c->syslog) {
		if ((r = sink_syslog_open(c->syslog_target,
		    c->syslog_format == SYSLOG_FORMAT_RFC5424,
		    &o->sinks[o->nsinks])) < 0) {
			errno = -r;
			log_warn("cannot reach syslog at %s", c->syslog_target);
			return EXIT_IO_ERROR;
		}
		sink_syslog_set_host(o->sinks[o->nsinks], c->host_name);
		o->nsinks++;
	}
	if (c->journald) {
		if ((r = sink_journal_open(NULL, &o->sinks[o->nsinks])) < 0) {
			errno = -r;
			log_warn("cannot reach journald");
			return EXIT_IO_ERROR;
		}
		o->nsinks++;
	}
	o->alerts = alert_stream_new("none", chain_seed(o, d->key,
	    c->alerts_path));
	alert_stream_set_host(o->alerts, c->host_name);
	return EXIT_OK;
}

void
daemon_out_close(struct daemon *d)
{
	struct daemon_output *o = &d->out;
	struct deferred *w;
	size_t i;

	while ((w = daemon_next_deferred(d)) != NULL)
		daemon_deferred_free(w);
	daemon_event_free(&o->save_ev);
	spool_flush(d);
	/* No spool when start-up failed before the output was opened. */
	if (o->spool != NULL && spool_count(o->spool) > 0)
		log_warnx("%zu alerts could not be written to the alert file "
		    "and are lost", spool_count(o->spool));
	spool_free(o->spool);
	o->spool = NULL;
	daemon_event_free(&o->retry_ev);
	alert_stream_free(o->alerts);
	o->alerts = NULL;
	for (i = 0; i < o->nsinks; i++)
		sink_free(o->sinks[i]);
	o->nsinks = 0;
}

int
daemon_reopen_sinks(struct daemon *d)
{
	size_t i;
	int r, first = 0;

	for (i = 0; i < d->out.nsinks; i++) {
		if ((r = sink_reopen(d->out.sinks[i])) < 0) {
			log_warnx("cannot reopen the %s sink (still writing "
			    "where it was): %s", d->out.sinks[i]->ops->name,
			    sink_strerror(r));
			if (first == 0)
				first = r;
		}
	}
	spool_flush(d);		/* a new file may take what waits */
	return first;
}

/* The alert file refused a line: an episode starts (logged once). */
static void
file_failing(struct daemon *d, int err)
{
	struct daemon_output *o = &d->out;
	struct timeval tv = { RETRY_INTERVAL_S, 0 };

	o->file_errors++;
	if (o->file_err == 0) {
		o->file_err = err;
		log_warnx("cannot write to the alert file: %s; alerts wait in "
		    "memory (at most %zu bytes) and are retried every %d s",
		    strerror(-err), o->spool_max != 0 ? o->spool_max :
		    (size_t)SPOOL_MAX_BYTES, RETRY_INTERVAL_S);
	}
	if (!evtimer_pending(o->retry_ev, NULL))
		(void)evtimer_add(o->retry_ev, &tv);
}

/*
 * The alert file's share of a line: written, or spooled behind the lines
 * already waiting.  0, or -ENOBUFS when the spool could not hold it.
 */
static int
file_take(struct daemon *d, uint64_t seq, const char *line, size_t len)
{
	struct daemon_output *o = &d->out;
	int r;

	if (spool_count(o->spool) == 0) {
		if ((r = sink_write(o->sinks[0], line, len)) == 0) {
			o->alerts_emitted++;
			return 0;
		}
		file_failing(d, r);
	}
	if (spool_push(o->spool, seq, line, len) == 0) {
		o->spooled++;
		return 0;
	}
	o->dropped++;
	if (o->lost_first == 0)
		o->lost_first = seq;
	o->lost_last = seq;
	return -ENOBUFS;
}

/*
 * One line for a, linked to the one before, to every sink.  Returns 0
 * when the alert file took it
 * (or holds it in the spool), else -errno: alert_line's (no seq taken),
 * or -ENOBUFS when the spool was full.
 */
static int
emit_line(struct daemon *d, const struct alert *a)
{
	struct daemon_output *o = &d->out;
	uint64_t seq = alert_stream_next_seq(o->alerts);
	struct buf line;
	size_t i;
	int r;

	buf_init(&line, o->line_max != 0 ? o->line_max : ALERT_LINE_MAX);
	if ((r = alert_line(o->alerts, a, o->chain.link, &line)) < 0) {
		buf_release(&line);
		return r;
	}
	for (i = 1; i < o->nsinks; i++) {
		if ((r = sink_write(o->sinks[i], line.data, line.len)) < 0) {
			errno = -r;
			log_warn("cannot write an alert to the %s sink",
			    o->sinks[i]->ops->name);
		}
	}
	/*
	 * A line the spool could not hold never reaches the file: the next
	 * line links to the last one that will, so the chain stays whole
	 * across the seq range the gap of report_lost names.
	 */
	if ((r = file_take(d, seq, line.data, line.len)) == 0)
		chain_follow(&o->chain, line.data, line.len);
	buf_release(&line);
	if (r == 0 && a->action == ACTION_GAP)
		o->gaps++;
	if (r == 0 && !alert_is_state(a->action)) {
		o->run_alerts++;
		o->since_checkpoint++;
	}
	return r;
}

/* After an episode: one gap names the alerts the spool could not hold. */
static void
report_lost(struct daemon *d, int err)
{
	struct daemon_output *o = &d->out;
	struct alert a;
	char reason[160];

	if (o->lost_first == 0)
		return;
	snprintf(reason, sizeof(reason), "alerts seq %llu to %llu could not "
	    "be written to the alert file (%s) and were dropped",
	    (unsigned long long)o->lost_first,
	    (unsigned long long)o->lost_last, strerror(-err));
	o->lost_first = o->lost_last = 0;
	alert_for_scope(&a, ACTION_GAP, SOURCE_REALTIME, NULL, 0, reason, 0);
	(void)daemon_emit(d, &a, 0);
}

/* Write what waits, in order, until the file refuses again. */
static void
spool_flush(struct daemon *d)
{
	struct daemon_output *o = &d->out;
	const char *line;
	uint64_t seq;
	size_t len, n = 0;
	int r, err;

	if (o->spool == NULL || o->file_err == 0)
		return;
	while ((line = spool_peek(o->spool, &len, &seq)) != NULL) {
		if ((r = sink_write(o->sinks[0], line, len)) < 0) {
			file_failing(d, r);
			return;
		}
		spool_pop(o->spool);
		o->alerts_emitted++;
		n++;
	}
	err = o->file_err;
	o->file_err = 0;
	log_warnx("the alert file takes lines again (it had failed with: "
	    "%s); %zu waiting alerts written", strerror(-err), n);
	report_lost(d, err);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	spool_flush(arg);
}

/*
 * path, or its longest ancestor of at most GAP_SCOPE_MAX bytes; 0 when
 * that is "/" itself or path is NULL (every watched path).
 */
static size_t
gap_scope_len(const char *path, size_t len)
{
	size_t n;

	if (len <= GAP_SCOPE_MAX)
		return len;
	for (n = GAP_SCOPE_MAX; n > 0; n--) {
		if (path[n] == '/')
			return n;
	}
	return 0;
}

/* The reason of the gap that stands in for a, which failed with err. */
static void
unwritten_reason(const struct alert *a, int err, size_t scope_len,
    struct buf *out)
{
	const char *action = alert_action_name(a->action);

	if (err == -ENOSPC)
		(void)buf_addf(out, "%s alert too large to write", action);
	else if (err == -ENOMEM)
		(void)buf_addf(out, "no memory to make the %s alert", action);
	else
		(void)buf_addf(out, "cannot write the %s alert: %s", action,
		    strerror(-err));
	if (scope_len < a->pathlen)
		(void)buf_addf(out, ", for a path of %zu bytes below",
		    a->pathlen);
}

/* a was not written (err): a gap alert for its path in its place. */
static void
emit_unwritten(struct daemon *d, const struct alert *a, int err)
{
	struct daemon_output *o = &d->out;
	size_t scope_len = gap_scope_len(a->path, a->pathlen);
	uint64_t seq = alert_stream_next_seq(o->alerts);
	struct buf reason;
	struct alert gap;
	int r;

	o->alerts_unwritten++;
	buf_init(&reason, BUF_MAX_DEFAULT);
	unwritten_reason(a, err, scope_len, &reason);
	alert_for_scope(&gap, ACTION_GAP, a->source, scope_len > 0 ? a->path :
	    NULL, scope_len, reason.data, 0);
	if ((r = emit_line(d, &gap)) == 0)
		log_warnx("%s; the gap alert seq %llu stands for it",
		    reason.data, (unsigned long long)seq);
	else {
		errno = -r;
		log_warn("%s, nor the gap alert for it", reason.data);
	}
	buf_release(&reason);
}

/* Whether a is a change a change window tags and counts. */
static bool
window_tags(enum alert_action action)
{
	switch (action) {
	case ACTION_CREATED:
	case ACTION_UPDATED:
	case ACTION_DELETED:
	case ACTION_MOVED:
	case ACTION_ATTRIBUTES_MODIFIED:
	case ACTION_PACKAGE_DIFFERS:
	case ACTION_PACKAGE_CHANGED:
		return true;
	default:
		/* A port, a package, a unit: counted, with no path. */
		return alert_is_entity(action);
	}
}

/*
 * A change inside an open window that covers its rule: t, a copy of a
 * with fimd.window and the rule's window_severity, counted in the
 * window.  Returns the members to release, or NULL (t unused).
 */
static json_t *
window_tag(struct daemon *d, const struct alert *a, struct alert *t)
{
	struct window *w;
	json_t *extra;

	if (d->win.set == NULL || window_count(d->win.set) == 0 ||
	    a->rule == NULL || !window_tags(a->action) ||
	    (w = window_covering(d->win.set, a->rule->name,
	    clock_wall_s())) == NULL)
		return NULL;
	*t = *a;
	extra = a->fimd_extra != NULL ? json_copy(a->fimd_extra) :
	    json_object();
	json_object_set_new(extra, "window", window_tag_json(w));
	t->fimd_extra = extra;
	if (a->rule->has_window_severity) {
		t->has_severity = true;
		t->severity = a->rule->window_severity;
	}
	window_count_change(w, a->rule->name, a->proc != NULL ?
	    a->proc->name : NULL, a->path, a->pathlen);
	d->win.dirty = true;
	return extra;
}

bool
daemon_emit(struct daemon *d, const struct alert *a, double first)
{
	struct daemon_output *o = &d->out;
	struct alert tagged, seen;
	json_t *extra;
	int r;

	if (first > 0 && a->observed == 0) {
		seen = *a;
		seen.observed = clock_wall_s() - (clock_mono_s() - first);
		a = &seen;
	}
	if ((extra = window_tag(d, a, &tagged)) != NULL)
		a = &tagged;
	r = emit_line(d, a);
	json_decref(extra);
	if (r == -ENOBUFS)
		return false;	/* counted; report_lost names it later */
	if (r < 0) {
		emit_unwritten(d, a, r);
		return false;
	}
	if (first > 0) {
		o->latency[o->nlatency % LATENCY_SAMPLES] =
		    (clock_mono_s() - first) * 1000;
		o->nlatency++;
	}
	return true;
}

static bool
gap_alert(struct daemon *d, enum alert_source source, const char *scope,
    size_t len, const char *reason, bool rescan_follows)
{
	struct alert a;

	alert_for_scope(&a, ACTION_GAP, source, scope, len, reason, 0);
	a.rescan_follows = rescan_follows;
	return daemon_emit(d, &a, 0);
}

bool
daemon_gap(struct daemon *d, const char *scope, size_t len, const char *reason)
{
	return gap_alert(d, SOURCE_REALTIME, scope, len, reason, true);
}

bool
daemon_gap_final(struct daemon *d, enum alert_source source,
    const char *scope, size_t len, const char *reason)
{
	return gap_alert(d, source, scope, len, reason, false);
}

bool
daemon_record(struct daemon *d, enum alert_action action,
    const struct alert_state *st, const char *reason)
{
	struct daemon_output *o = &d->out;
	struct alert_state own = *st;
	struct alert a;

	own.alerts = action == ACTION_CHECKPOINT ? o->since_checkpoint :
	    o->run_alerts;
	alert_for_state(&a, action, &own, reason);
	if (!daemon_emit(d, &a, 0))
		return false;
	if (action == ACTION_CHECKPOINT)
		o->since_checkpoint = 0;
	return true;
}

enum exit_status
daemon_save(struct daemon *d)
{
	enum exit_status st;

	if ((st = cmd_save_baseline(d->cfg, d->key, d->b)) != EXIT_OK)
		return st;
	d->out.dirty = false;
	/* The windows' counts, with the changes they counted. */
	if (d->win.dirty && d->win.set != NULL &&
	    window_set_save(d->win.set, d->win.path) == 0)
		d->win.dirty = false;
	/* After the baseline: a copy newer than its record is not used. */
	(void)cmd_save_copies(d->cfg, d->key, d->copies, d->b, d->rs);
	return EXIT_OK;
}

void
daemon_mark_dirty(struct daemon *d)
{
	struct timeval tv = { SAVE_INTERVAL_S, 0 };

	d->out.dirty = true;
	if (!evtimer_pending(d->out.save_ev, NULL) &&
	    evtimer_add(d->out.save_ev, &tv) < 0)
		log_warnx("cannot arm the save timer: saving at exit only");
}

void
daemon_trim(struct daemon *d)
{
	baseline_shrink(d->b);
	(void)malloc_trim(0);
}

bool
daemon_own_path(const struct daemon *d, const char *path, size_t len)
{
	return scan_is_ignored(d->scan, path, len);
}

void
daemon_defer_subtree(struct daemon *d, const char *path, size_t len,
    const struct procinfo *proc, double first)
{
	struct daemon_output *o = &d->out;
	struct deferred *w;

	w = xcalloc(1, sizeof(*w));
	w->path = xstrndup(path, len);
	w->len = len;
	procinfo_init(&w->proc);
	if (proc != NULL)
		procinfo_copy(&w->proc, proc);
	w->first = first;
	if (o->deferred_tail != NULL)
		o->deferred_tail->next = w;
	else
		o->deferred = w;
	o->deferred_tail = w;
	daemon_kick(d);
}

struct deferred *
daemon_next_deferred(struct daemon *d)
{
	struct daemon_output *o = &d->out;
	struct deferred *w;

	if ((w = o->deferred) == NULL)
		return NULL;
	o->deferred = w->next;
	if (o->deferred == NULL)
		o->deferred_tail = NULL;
	w->next = NULL;
	return w;
}

void
daemon_deferred_free(struct deferred *w)
{
	procinfo_release(&w->proc);
	free(w->path);
	free(w);
}

void
daemon_kick(struct daemon *d)
{
	if (d->deferred_ev != NULL)
		event_active(d->deferred_ev, 0, 0);
}
