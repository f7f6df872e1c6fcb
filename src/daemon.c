/*
 * The daemon: start-up, the loop's wiring, signals, control verbs.
 *
 * Start-up order matters for losing nothing: the kernel marks are placed
 * before the baseline is compared with the disk, so a change made during
 * the start-up rescan is either seen by that rescan or queued as an
 * event.  READY=1 goes to the service manager once the marks are in place
 * and the baseline is loaded (or built); the rescan that reports changes
 * made while the daemon was down then runs on the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/thread.h>

#include "clock.h"
#include "cmdutil.h"
#include "daemon.h"
#include "daemon_int.h"
#include "exitcode.h"
#include "log.h"
#include "notify.h"
#include "pathenc.h"
#include "xmalloc.h"

#define SAVE_INTERVAL_S		60
#define PENDING_MAX		(1u << 20)

static void	daemon_reload(struct daemon *d);

bool
daemon_own_path(const struct daemon *d, const char *path, size_t len)
{
	return scan_is_ignored(d->scan, path, len);
}

void
daemon_emit(struct daemon *d, const struct alert *a, double first)
{
	struct buf line;
	size_t i;
	int r;

	buf_init(&line, 1 << 20);
	if (alert_line(d->alerts, a, &line) == 0) {
		for (i = 0; i < d->nsinks; i++) {
			if ((r = sink_write(d->sinks[i], line.data,
			    line.len)) < 0) {
				errno = -r;
				log_warn("cannot write an alert to the %s sink",
				    d->sinks[i]->ops->name);
			}
		}
	}
	buf_release(&line);
	d->alerts_emitted++;
	if (first > 0) {
		d->latency[d->nlatency % LATENCY_SAMPLES] =
		    (clock_mono_s() - first) * 1000;
		d->nlatency++;
	}
}

void
daemon_gap(struct daemon *d, const char *scope, size_t len, const char *reason)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.action = ACTION_GAP;
	a.source = SOURCE_REALTIME;
	a.path = scope;
	a.pathlen = len;
	a.reason = reason;
	d->gaps++;
	daemon_emit(d, &a, 0);
}

static int
daemon_save(struct daemon *d)
{
	int r;

	if ((r = cmd_save_baseline(d->cfg, d->b)) == 0)
		d->dirty = false;
	return r;
}

static void
save_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (d->dirty)
		(void)daemon_save(d);
}

void
daemon_trim(struct daemon *d)
{
	baseline_shrink(d->b);
	(void)malloc_trim(0);
	d->probes_since_trim = 0;
}

void
daemon_mark_dirty(struct daemon *d)
{
	struct timeval tv = { SAVE_INTERVAL_S, 0 };

	d->dirty = true;
	if (!evtimer_pending(d->save_ev, NULL))
		evtimer_add(d->save_ev, &tv);
}

void
daemon_kick(struct daemon *d)
{
	event_active(d->deferred_ev, 0, 0);
}

void
daemon_defer_subtree(struct daemon *d, const char *path, size_t len,
    const struct procinfo *proc, double first)
{
	struct deferred *w;

	w = xcalloc(1, sizeof(*w));
	w->path = xstrndup(path, len);
	w->len = len;
	procinfo_init(&w->proc);
	if (proc != NULL)
		procinfo_copy(&w->proc, proc);
	w->first = first;
	if (d->deferred_tail != NULL)
		d->deferred_tail->next = w;
	else
		d->deferred = w;
	d->deferred_tail = w;
	daemon_kick(d);
}

static void
run_subtree(struct daemon *d, struct deferred *w)
{
	struct subtree_job *job;

	job = xcalloc(1, sizeof(*job));
	job->kind = JOB_SUBTREE;
	job->batch.owner = job;
	job->first = w->first;
	procinfo_init(&job->proc);
	procinfo_copy(&job->proc, &w->proc);
	job->walking = true;
	(void)scan_path(d->scan, w->path, w->len, &job->batch);
	job->walking = false;
	if (job->batch.inflight == 0) {
		procinfo_release(&job->proc);
		free(job);
	}
}

/* Top level: subtree walks, then the rescan queue. */
static void
deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct deferred *w;

	(void)fd;
	(void)what;
	while ((w = d->deferred) != NULL) {
		d->deferred = w->next;
		if (d->deferred == NULL)
			d->deferred_tail = NULL;
		if (!d->stopping)
			run_subtree(d, w);
		procinfo_release(&w->proc);
		free(w->path);
		free(w);
	}
	rescan_run_next(d);
}

/* ---- the scan engine's callbacks, routed by the owner of each batch ---- */

static enum job_kind
item_kind(const struct scan_item *it)
{
	return it->batch != NULL ? *(enum job_kind *)it->batch->owner :
	    JOB_REALTIME;
}

static enum scan_decision
daemon_stat_done(const struct scan_item *it, uint64_t *prefix_len, void *arg)
{
	struct daemon *d = arg;

	if (item_kind(it) == JOB_RESCAN)
		return rescan_stat_done(d, it->batch->owner, it, prefix_len);
	return rt_stat_done(d, it, prefix_len);
}

static void
daemon_item_done(struct scan_item *it, void *arg)
{
	struct daemon *d = arg;

	if (it->batch == NULL)
		return;
	switch (item_kind(it)) {
	case JOB_REALTIME:
		rt_item_done(d, it);
		break;
	case JOB_SUBTREE:
		subtree_item_done(d, it->batch->owner, it);
		break;
	case JOB_RESCAN:
		rescan_item_done(d, it->batch->owner, it);
		break;
	}
}

static const struct scan_ops daemon_scan_ops = {
	.stat_done = daemon_stat_done,
	.done = daemon_item_done,
};

/* ---- loop callbacks ---- */

static void
pool_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	scan_reap(d->scan, false);
}

static void
hold_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	watch_flush(d->watch, rt_watch_event, d);
}

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv;
	int r, ms;

	(void)fd;
	(void)what;
	d->window_next = clock_mono_ns();
	proctrack_read(d->procs);
	r = watch_read(d->watch, rt_watch_event, d);
	d->memo_pid = 0;
	procinfo_release(&d->memo_proc);
	if (r == 0)
		d->window_start = d->window_next;
	else if (r < 0) {
		errno = -r;
		log_warn("reading kernel events");
	}
	if ((ms = watch_hold_ms(d->watch)) >= 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(d->hold_ev, &tv);
	}
}

static void
proc_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	proctrack_read(d->procs);
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	(void)notify_send("WATCHDOG=1");
}

static int
reopen_sinks(struct daemon *d)
{
	size_t i;
	int r, first = 0;

	for (i = 0; i < d->nsinks; i++) {
		if ((r = sink_reopen(d->sinks[i])) < 0) {
			errno = -r;
			log_warn("cannot reopen the %s sink",
			    d->sinks[i]->ops->name);
			if (first == 0)
				first = r;
		}
	}
	return first;
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: saving the baseline and exiting",
		    (int)sig);
		d->stopping = true;
		event_base_loopexit(d->base, NULL);
		break;
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGUSR1:
		(void)reopen_sinks(d);
		break;
	}
}

/* ---- rules and watches ---- */

static int
watch_roots(struct daemon *d)
{
	const char *const *roots;
	size_t n, i;
	int r;

	n = ruleset_roots(d->rs, &roots);
	for (i = 0; i < n; i++) {
		if ((r = watch_add_root(d->watch, roots[i],
		    strlen(roots[i]))) < 0)
			return r;
	}
	/* Deliver the gaps of roots that cannot be watched now. */
	return watch_read(d->watch, rt_watch_event, d) < 0 ? -EIO : 0;
}

static void
daemon_reload(struct daemon *d)
{
	struct ruleset *rs;

	log_notice("reloading rules from %s", d->cfg->rules_path);
	if (cmd_load_rules(d->cfg, false, &rs) != 0) {
		log_warnx("keeping the current rules");
		(void)reopen_sinks(d);
		return;
	}
	(void)notify_send("RELOADING=1");
	/* Every job refers to the current rules: let them all finish. */
	scan_finish(d->scan);
	rescan_run_next(d);
	rescan_clear_queue(d);
	watch_clear(d->watch);
	rescan_unschedule(d);
	ruleset_free(d->old_rs);
	d->old_rs = d->rs;
	d->rs = rs;
	scan_set_ruleset(d->scan, rs);
	rescan_schedule(d);
	if (watch_roots(d) < 0)
		log_warnx("cannot watch the new rules' paths");
	rescan_enqueue(d, NULL, 0, NULL, false, true, "rules reloaded");
	(void)reopen_sinks(d);
	(void)notify_send("READY=1\nSTATUS=rules reloaded");
}

/* ---- start-up ---- */

static int
open_sink(struct daemon *d)
{
	char *dir, *slash;
	int r;

	if (strcmp(d->cfg->alerts_path, "-") != 0) {
		dir = xstrdup(d->cfg->alerts_path);
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			(void)mkdir(dir, 0750);
		}
		free(dir);
	}
	if ((r = sink_file_open(d->cfg->alerts_path, &d->sinks[0])) < 0) {
		errno = -r;
		log_warn("cannot open the alert file %s", d->cfg->alerts_path);
		return EXIT_IO_ERROR;
	}
	d->nsinks = 1;
	if (d->cfg->syslog) {
		if ((r = sink_syslog_open(d->cfg->syslog_target,
		    &d->sinks[d->nsinks])) < 0) {
			errno = -r;
			log_warn("cannot reach syslog at %s",
			    d->cfg->syslog_target);
			return EXIT_IO_ERROR;
		}
		d->nsinks++;
	}
	if (d->cfg->journald) {
		if ((r = sink_journal_open(NULL, &d->sinks[d->nsinks])) < 0) {
			errno = -r;
			log_warn("cannot reach journald");
			return EXIT_IO_ERROR;
		}
		d->nsinks++;
	}
	return 0;
}

/* Build the baseline the daemon starts without, before going live. */
static int
build_baseline(struct daemon *d)
{
	struct baseline *saved;
	struct diag dg;
	int r;

	log_notice("no baseline at %s: building it", d->cfg->baseline_path);
	d->b = baseline_new();
	baseline_set_rules_digest(d->b, ruleset_digest(d->rs));
	d->building = true;
	rescan_enqueue(d, NULL, 0, NULL, false, true, "initial baseline");
	rescan_run_next(d);		/* starts it: walks */
	scan_finish(d->scan);		/* every hash is back */
	rescan_run_next(d);		/* finishes it */
	d->building = false;
	if ((r = daemon_save(d)) != 0)
		return r;
	/*
	 * Go on from the file just written, as a restart would: it proves
	 * the file loads, and the walk's working memory, scattered between
	 * the entries it built, is returned instead of held for the
	 * daemon's lifetime (about 7% of its resident size).
	 */
	diag_init(&dg);
	if (baseline_load(d->cfg->baseline_path, &saved, &dg) == 0) {
		baseline_free(d->b);
		d->b = saved;
		daemon_trim(d);
	} else {
		diag_print(&dg, stderr);
		log_warnx("the baseline just written does not load back; "
		    "going on with the one in memory");
	}
	diag_release(&dg);
	return 0;
}

static int
load_state(struct daemon *d)
{
	struct diag dg;
	int r;

	diag_init(&dg);
	r = baseline_load(d->cfg->baseline_path, &d->b, &dg);
	if (r == -ENOENT) {
		diag_release(&dg);
		return build_baseline(d);
	}
	diag_print(&dg, stderr);
	diag_release(&dg);
	if (r < 0)
		return r == -EBADMSG ? EXIT_BAD_BASELINE : EXIT_IO_ERROR;
	if (strcmp(baseline_rules_digest(d->b), ruleset_digest(d->rs)) != 0)
		log_notice("the rules changed since the baseline was written: "
		    "newly covered files will be reported as created");
	rescan_enqueue(d, NULL, 0, NULL, false, false, "start-up");
	return 0;
}

static struct event *
add_event(struct daemon *d, int fd, short what, event_callback_fn cb)
{
	struct event *ev = event_new(d->base, fd, what, cb, d);

	if (ev == NULL)
		fatalx("cannot create an event");
	if ((what & (EV_READ | EV_SIGNAL)) && event_add(ev, NULL) < 0)
		fatalx("cannot add an event");
	return ev;
}

static void
setup_events(struct daemon *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct timeval tv;
	uint64_t usec;
	size_t i;

	for (i = 0; i < 4; i++)
		d->sig_ev[i] = add_event(d, sigs[i], EV_SIGNAL | EV_PERSIST,
		    signal_cb);
	d->pool_ev = add_event(d, hashpool_fd(d->pool), EV_READ | EV_PERSIST,
	    pool_cb);
	d->deferred_ev = add_event(d, -1, 0, deferred_cb);
	d->save_ev = add_event(d, -1, 0, save_cb);
	d->hold_ev = add_event(d, -1, 0, hold_cb);
	if ((usec = notify_watchdog_usec()) > 0) {
		d->watchdog_ev = add_event(d, -1, EV_PERSIST, watchdog_cb);
		tv.tv_sec = (time_t)(usec / 2000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		event_add(d->watchdog_ev, &tv);
	}
}

static int
setup_watch(struct daemon *d)
{
	struct watch_filter f = {
		.want_dir = rt_want_dir,
		.want_path = rt_want_path,
		.arg = d,
	};
	struct diag dg;
	int r;

	diag_init(&dg);
	r = watch_open(d->cfg->backend, &f, d->cfg->queue_budget, &d->watch,
	    &dg);
	diag_print(&dg, stderr);
	diag_release(&dg);
	if (r < 0) {
		errno = -r;
		log_warn("cannot open the %s backend",
		    config_backend_name(d->cfg->backend));
		return EXIT_IO_ERROR;
	}
	watch_ignore_path(d->watch, d->cfg->baseline_path,
	    strlen(d->cfg->baseline_path));
	if (strcmp(d->cfg->alerts_path, "-") != 0)
		watch_ignore_path(d->watch, d->cfg->alerts_path,
		    strlen(d->cfg->alerts_path));
	alert_stream_set_backend(d->alerts, watch_backend(d->watch));
	d->procs = proctrack_new(strcmp(watch_backend(d->watch),
	    "fanotify") == 0);
	if (proctrack_fd(d->procs) >= 0)
		d->proc_ev = add_event(d, proctrack_fd(d->procs),
		    EV_READ | EV_PERSIST, proc_cb);
	d->window_start = clock_mono_ns();
	if ((r = watch_roots(d)) < 0) {
		errno = -r;
		log_warn("cannot watch the rules' paths");
		return EXIT_IO_ERROR;
	}
	if (watch_fd(d->watch) >= 0)
		d->watch_ev = add_event(d, watch_fd(d->watch),
		    EV_READ | EV_PERSIST, watch_cb);
	return 0;
}

/* ---- control verbs ---- */

static json_t *
json_time(double wall)
{
	struct fimd_time t;
	char s[FIMD_TIME_RFC3339_LEN];

	if (wall <= 0)
		return json_null();
	t.sec = (int64_t)wall;
	t.nsec = (uint32_t)((wall - (double)t.sec) * 1e9);
	fimd_time_rfc3339(&t, s);
	return json_string(s);
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static json_t *
latency_json(const struct daemon *d)
{
	size_t n = d->nlatency < LATENCY_SAMPLES ? d->nlatency :
	    LATENCY_SAMPLES;
	double *v;
	json_t *o;

	o = json_object();
	json_object_set_new(o, "samples", json_integer((json_int_t)n));
	if (n == 0) {
		json_object_set_new(o, "p50", json_null());
		json_object_set_new(o, "p99", json_null());
		return o;
	}
	v = xmemdup(d->latency, n * sizeof(*v));
	qsort(v, n, sizeof(*v), dbl_cmp);
	json_object_set_new(o, "p50", json_real(v[(n - 1) / 2]));
	json_object_set_new(o, "p99", json_real(v[(n - 1) * 99 / 100]));
	free(v);
	return o;
}

static long
rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static json_t *
rules_json(const struct daemon *d)
{
	const struct rule_stats *st;
	json_t *arr = json_array(), *o;
	size_t i;

	for (i = 0; i < d->nrule_stats; i++) {
		st = &d->rule_stats[i];
		o = json_object();
		json_object_set_new(o, "name", json_string(st->rule->name));
		json_object_set_new(o, "realtime",
		    json_boolean(st->rule->realtime));
		json_object_set_new(o, "rescan_s",
		    json_integer((json_int_t)st->rule->rescan));
		json_object_set_new(o, "last_rescan",
		    json_time(st->last_rescan));
		json_object_set_new(o, "next_rescan",
		    json_time(st->next_rescan));
		json_object_set_new(o, "last_rescan_ms",
		    json_real(st->last_rescan_ms));
		json_object_set_new(o, "changes",
		    json_integer((json_int_t)st->changes));
		json_array_append_new(arr, o);
	}
	return arr;
}

static int
ctl_status(const json_t *req, json_t *reply, void *arg)
{
	struct daemon *d = arg;
	struct watch_stats ws;
	struct proctrack_stats ps;
	json_t *mem, *attr;

	(void)req;
	watch_stats(d->watch, &ws);
	proctrack_stats(d->procs, &ps);
	json_object_set_new(reply, "pid", json_integer(getpid()));
	json_object_set_new(reply, "version", json_string(FIMD_VERSION));
	json_object_set_new(reply, "backend", json_string(ws.backend));
	json_object_set_new(reply, "started", json_time(d->started));
	json_object_set_new(reply, "uptime_s",
	    json_integer((json_int_t)(clock_wall_s() - d->started)));
	json_object_set_new(reply, "files",
	    json_integer((json_int_t)baseline_count(d->b)));
	json_object_set_new(reply, "marks", json_integer((json_int_t)ws.marks));
	json_object_set_new(reply, "dirs", json_integer((json_int_t)ws.dirs));
	json_object_set_new(reply, "events",
	    json_integer((json_int_t)ws.events));
	json_object_set_new(reply, "alerts",
	    json_integer((json_int_t)d->alerts_emitted));
	json_object_set_new(reply, "seq",
	    json_integer((json_int_t)alert_stream_next_seq(d->alerts)));
	json_object_set_new(reply, "overflows",
	    json_integer((json_int_t)d->overflows));
	json_object_set_new(reply, "gaps", json_integer((json_int_t)d->gaps));
	json_object_set_new(reply, "queued",
	    json_integer((json_int_t)ws.queued));
	json_object_set_new(reply, "pending",
	    json_integer((json_int_t)pending_count(d->pending)));
	json_object_set_new(reply, "hashing",
	    json_integer((json_int_t)scan_inflight(d->scan)));
	json_object_set_new(reply, "rescans_queued",
	    json_integer((json_int_t)rescan_queued(d) +
	    (d->rescan_active != NULL)));
	json_object_set_new(reply, "unreadable",
	    json_integer((json_int_t)d->unreadable));
	json_object_set_new(reply, "latency_ms", latency_json(d));
	mem = json_object();
	json_object_set_new(mem, "rss_kb", json_integer(rss_kb()));
	json_object_set_new(mem, "baseline_bytes",
	    json_integer((json_int_t)baseline_memory(d->b)));
	json_object_set_new(reply, "memory", mem);
	attr = json_object();
	json_object_set_new(attr, "connector", json_boolean(ps.connector));
	json_object_set_new(attr, "proven",
	    json_integer((json_int_t)ps.proven));
	json_object_set_new(attr, "cached",
	    json_integer((json_int_t)ps.cached));
	json_object_set_new(attr, "unnamed",
	    json_integer((json_int_t)ps.unnamed));
	json_object_set_new(reply, "attribution", attr);
	json_object_set_new(reply, "alert_file",
	    json_string(d->cfg->alerts_path));
	json_object_set_new(reply, "rules", rules_json(d));
	return 0;
}

/*
 * The i-th path of a request ("paths" as UTF-8, or "paths_escaped"),
 * into out.  Returns 0, -ENOENT past the end, -EINVAL when malformed.
 */
static int
request_path(const json_t *req, size_t i, struct buf *out)
{
	const json_t *arr, *v;
	size_t n;

	buf_reset(out);
	arr = json_object_get(req, "paths");
	n = json_array_size(arr);
	if (i < n) {
		v = json_array_get(arr, i);
		if (!json_is_string(v))
			return -EINVAL;
		return buf_add(out, json_string_value(v),
		    json_string_length(v));
	}
	v = json_array_get(json_object_get(req, "paths_escaped"), i - n);
	if (v == NULL)
		return -ENOENT;
	if (!json_is_string(v))
		return -EINVAL;
	return pathenc_unescape(json_string_value(v), json_string_length(v),
	    out) < 0 ? -EINVAL : 0;
}

static json_t *
path_json(const char *path, size_t len)
{
	struct buf b;
	json_t *v;

	if (pathenc_is_utf8(path, len))
		return json_stringn(path, len);
	buf_init(&b, BUF_MAX_DEFAULT);
	(void)pathenc_escape(path, len, &b);
	v = json_stringn(b.data, b.len);
	buf_release(&b);
	return v;
}

static int
ctl_query(const json_t *req, json_t *reply, void *arg)
{
	struct daemon *d = arg;
	json_t *entries = json_array(), *missing = json_array(), *e;
	struct record rec;
	struct buf p;
	size_t i;
	int r;

	buf_init(&p, BUF_MAX_DEFAULT);
	for (i = 0; (r = request_path(req, i, &p)) != -ENOENT; i++) {
		if (r < 0)
			continue;
		if (baseline_get(d->b, p.data, p.len, &rec) < 0) {
			json_array_append_new(missing,
			    path_json(p.data, p.len));
			continue;
		}
		e = json_object();
		json_object_set_new(e, pathenc_is_utf8(p.data, p.len) ?
		    "path" : "path_escaped", path_json(p.data, p.len));
		json_object_update_new(e, record_to_json(&rec));
		json_array_append_new(entries, e);
		record_release(&rec);
	}
	buf_release(&p);
	json_object_set_new(reply, "entries", entries);
	json_object_set_new(reply, "missing", missing);
	return 0;
}

struct accept_ctx {
	struct daemon *d;
	bool	 taken;
};

static void
accept_done(struct scan_item *it, void *arg)
{
	struct accept_ctx *ac = arg;

	if (it->err == -ENOENT || it->err == -ENOTDIR)
		ac->taken = baseline_remove(ac->d->b, it->path, it->len) == 0;
	else if (it->err == 0 && it->rule != NULL) {
		baseline_put(ac->d->b, it->path, it->len, &it->rec);
		ac->taken = true;
	}
}

static int
ctl_accept(const json_t *req, json_t *reply, void *arg)
{
	static const struct scan_ops ops = { .done = accept_done };
	struct daemon *d = arg;
	struct accept_ctx ac = { .d = d };
	json_t *accepted = json_array(), *missing = json_array();
	struct scan *s;
	struct buf p;
	size_t i;
	int r;

	/* Inline hashing on a private engine: an admin's request, rare. */
	s = scan_new(d->rs, NULL, &ops, &ac);
	buf_init(&p, BUF_MAX_DEFAULT);
	for (i = 0; (r = request_path(req, i, &p)) != -ENOENT; i++) {
		if (r < 0)
			continue;
		ac.taken = false;
		(void)scan_one(s, p.data, p.len, NULL);
		json_array_append_new(ac.taken ? accepted : missing,
		    path_json(p.data, p.len));
	}
	buf_release(&p);
	scan_free(s);
	json_object_set_new(reply, "accepted", accepted);
	json_object_set_new(reply, "missing", missing);
	if (json_array_size(accepted) > 0 && daemon_save(d) != 0) {
		json_object_set_new(reply, "error",
		    json_string("cannot save the baseline"));
		return -EIO;
	}
	return 0;
}

static int
ctl_rescan(const json_t *req, json_t *reply, void *arg)
{
	struct daemon *d = arg;
	const char *name = json_string_value(json_object_get(req, "rule"));
	const struct rule *rule;
	size_t i;

	if (name == NULL) {
		rescan_enqueue(d, NULL, 0, NULL, false, false, "requested");
		json_object_set_new(reply, "queued", json_integer(1));
		return 0;
	}
	if ((rule = ruleset_find(d->rs, name)) == NULL) {
		json_object_set_new(reply, "error",
		    json_sprintf("no rule named %s", name));
		return -ENOENT;
	}
	for (i = 0; i < rule->npaths; i++)
		rescan_enqueue(d, rule->paths[i].path, rule->paths[i].len,
		    rule, false, false, "requested");
	json_object_set_new(reply, "queued",
	    json_integer((json_int_t)rule->npaths));
	return 0;
}

static int
ctl_reopen(const json_t *req, json_t *reply, void *arg)
{
	struct daemon *d = arg;
	int r;

	(void)req;
	if ((r = reopen_sinks(d)) < 0) {
		json_object_set_new(reply, "error",
		    json_sprintf("cannot reopen %s: %s", d->cfg->alerts_path,
		    strerror(-r)));
		return r;
	}
	return 0;
}

/* ---- life cycle ---- */

static int
daemon_setup(struct daemon *d, const struct fimd_config *c)
{
	static const struct control_ops cops = {
		.status = ctl_status,
		.query = ctl_query,
		.accept = ctl_accept,
		.rescan = ctl_rescan,
		.reopen = ctl_reopen,
	};
	struct control_ops ops = cops;
	int r;

	d->cfg = c;
	d->started = clock_wall_s();
	procinfo_init(&d->memo_proc);
	if (evthread_use_pthreads() < 0 || (d->base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	if ((r = cmd_load_rules(c, false, &d->rs)) != 0 ||
	    (r = open_sink(d)) != 0)
		return r;
	d->alerts = alert_stream_new("none", alert_file_next_seq(
	    c->alerts_path));
	if ((d->pool = hashpool_new(c->workers)) == NULL)
		fatal("cannot start hashing threads");
	d->scan = scan_new(d->rs, d->pool, &daemon_scan_ops, d);
	cmd_ignore_own_files(c, d->scan);
	d->pending = pending_new(d->base, c->debounce_ms, c->debounce_max_ms,
	    PENDING_MAX, rt_pending_fire, d);
	setup_events(d);
	if ((r = setup_watch(d)) != 0 || (r = load_state(d)) != 0)
		return r;
	rescan_schedule(d);
	ops.arg = d;
	r = control_open(d->base, c->socket_path, &ops, &d->control);
	if (r < 0) {
		errno = -r;
		log_warn("cannot listen on %s%s", c->socket_path,
		    r == -EADDRINUSE ? " (another fimd is running)" : "");
		return EXIT_IO_ERROR;
	}
	return 0;
}

static void
free_event(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

static void
daemon_teardown(struct daemon *d)
{
	struct deferred *w;
	size_t i;

	if (d->scan != NULL)
		scan_finish(d->scan);
	if (d->rescan_active != NULL) {
		compare_free(d->rescan_active->cmp);
		free(d->rescan_active->scope);
		free(d->rescan_active->reason);
		free(d->rescan_active);
	}
	rescan_clear_queue(d);
	rescan_unschedule(d);
	while ((w = d->deferred) != NULL) {
		d->deferred = w->next;
		procinfo_release(&w->proc);
		free(w->path);
		free(w);
	}
	control_free(d->control);
	for (i = 0; i < 4; i++)
		free_event(&d->sig_ev[i]);
	free_event(&d->pool_ev);
	free_event(&d->watch_ev);
	free_event(&d->hold_ev);
	free_event(&d->deferred_ev);
	free_event(&d->save_ev);
	free_event(&d->proc_ev);
	free_event(&d->watchdog_ev);
	pending_free(d->pending);
	scan_free(d->scan);
	hashpool_free(d->pool);
	watch_free(d->watch);
	proctrack_free(d->procs);
	procinfo_release(&d->memo_proc);
	baseline_free(d->b);
	ruleset_free(d->rs);
	ruleset_free(d->old_rs);
	alert_stream_free(d->alerts);
	for (i = 0; i < d->nsinks; i++)
		sink_free(d->sinks[i]);
	if (d->base != NULL)
		event_base_free(d->base);
}

/*
 * Fork into the background; the parent waits for the child to report
 * readiness (or its exit status) through a pipe, so "fimd --daemon"
 * returns only once the daemon watches, or with the reason it could not.
 */
static int
detach(int *ret_fd)
{
	int p[2], fd;
	unsigned char st = EXIT_IO_ERROR;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = EXIT_IO_ERROR;
		_exit(st);
	}
	close(p[0]);
	(void)setsid();
	if (chdir("/") < 0)
		return -errno;
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		close(fd);
	}
	*ret_fd = p[1];
	return 0;
}

static void
report_ready(int fd, unsigned char status)
{
	if (fd >= 0) {
		(void)!write(fd, &status, 1);
		close(fd);
	}
}

int
daemon_run(const struct fimd_config *c, bool detach_asked)
{
	struct daemon d;
	int r, ready_fd = -1;

	memset(&d, 0, sizeof(d));
	if (detach_asked && !notify_enabled()) {
		if ((r = detach(&ready_fd)) < 0) {
			errno = -r;
			log_warn("cannot detach");
			return EXIT_IO_ERROR;
		}
		log_init(log_get_level(), true);
	}
	if ((r = daemon_setup(&d, c)) != 0) {
		report_ready(ready_fd, (unsigned char)r);
		daemon_teardown(&d);
		return r;
	}
	(void)notify_send("READY=1\nSTATUS=watching %zu files with %s",
	    baseline_count(d.b), watch_backend(d.watch));
	log_info("watching %zu files with %s", baseline_count(d.b),
	    watch_backend(d.watch));
	report_ready(ready_fd, EXIT_OK);
	daemon_kick(&d);
	event_base_dispatch(d.base);
	(void)notify_send("STOPPING=1");
	d.stopping = true;
	scan_finish(d.scan);
	rescan_run_next(&d);
	r = d.dirty ? daemon_save(&d) : 0;
	daemon_teardown(&d);
	return r;
}
