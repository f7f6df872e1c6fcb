/*
 * The daemon's output room: alerts to the sinks, the baseline to disk,
 * memory back to the system, deferred work (daemon_out.h).
 *
 * An alert that a sink cannot take is logged and the next one is tried:
 * one full disk must not stop the other sinks nor the loop.  An alert
 * that cannot be made into a line, or that the alert file refuses, is
 * not dropped in silence: a gap alert, which is short, names its path
 * instead, and the caller is told.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "cmdutil.h"
#include "daemon_out.h"
#include "log.h"
#include "xmalloc.h"

#define SAVE_INTERVAL_S		60
/*
 * The longest scope of a gap that stands in for an alert: a gap line
 * about a path this long is far below the line limit, whatever bytes
 * the path holds.
 */
#define GAP_SCOPE_MAX		4096

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

enum exit_status
daemon_out_open(struct daemon *d)
{
	const struct fimd_config *c = d->cfg;
	struct daemon_output *o = &d->out;
	int r;

	o->save_ev = daemon_event(d, -1, 0, save_cb, d, NULL);
	make_alert_dir(c->alerts_path);
	if ((r = sink_file_open(c->alerts_path, &o->sinks[o->nsinks])) < 0) {
		log_warnx("cannot open the alert file %s: %s", c->alerts_path,
		    sink_strerror(r));
		return EXIT_IO_ERROR;
	}
	o->nsinks++;
	if (c->syslog) {
		if ((r = sink_syslog_open(c->syslog_target,
		    &o->sinks[o->nsinks])) < 0) {
			errno = -r;
			log_warn("cannot reach syslog at %s", c->syslog_target);
			return EXIT_IO_ERROR;
		}
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
	o->alerts = alert_stream_new("none",
	    alert_file_next_seq(c->alerts_path));
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
	return first;
}

/*
 * One line for a to every sink.  Returns 0 when the alert file took it,
 * else -errno: alert_line's (no seq taken) or the alert file's.
 */
static int
emit_line(struct daemon_output *o, const struct alert *a)
{
	struct buf line;
	size_t i;
	int r, file = 0;

	buf_init(&line, o->line_max != 0 ? o->line_max : ALERT_LINE_MAX);
	if ((r = alert_line(o->alerts, a, &line)) < 0) {
		buf_release(&line);
		return r;
	}
	for (i = 0; i < o->nsinks; i++) {
		if ((r = sink_write(o->sinks[i], line.data, line.len)) < 0) {
			errno = -r;
			log_warn("cannot write an alert to the %s sink",
			    o->sinks[i]->ops->name);
			if (i == 0)
				file = r;
		}
	}
	buf_release(&line);
	if (file == 0) {
		o->alerts_emitted++;
		if (a->action == ACTION_GAP)
			o->gaps++;
	}
	return file;
}

/* path, or its longest ancestor of at most GAP_SCOPE_MAX bytes. */
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
	return 1;	/* "/" itself */
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
emit_unwritten(struct daemon_output *o, const struct alert *a, int err)
{
	size_t scope_len = gap_scope_len(a->path, a->pathlen);
	uint64_t seq = alert_stream_next_seq(o->alerts);
	struct buf reason;
	struct alert gap;
	int r;

	o->alerts_unwritten++;
	buf_init(&reason, BUF_MAX_DEFAULT);
	unwritten_reason(a, err, scope_len, &reason);
	alert_for_scope(&gap, ACTION_GAP, a->source, a->path, scope_len,
	    reason.data, 0);
	if ((r = emit_line(o, &gap)) == 0)
		log_warnx("%s; the gap alert seq %llu stands for it",
		    reason.data, (unsigned long long)seq);
	else {
		errno = -r;
		log_warn("%s, nor the gap alert for it", reason.data);
	}
	buf_release(&reason);
}

bool
daemon_emit(struct daemon *d, const struct alert *a, double first)
{
	struct daemon_output *o = &d->out;
	int r;

	if ((r = emit_line(o, a)) < 0) {
		emit_unwritten(o, a, r);
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

enum exit_status
daemon_save(struct daemon *d)
{
	enum exit_status st;

	if ((st = cmd_save_baseline(d->cfg, d->b)) == EXIT_OK)
		d->out.dirty = false;
	return st;
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
