/*
 * The daemon's control verbs (daemon_ctl.h).
 *
 * Replies are built from the daemon's state as it is between two loop
 * callbacks, so each is consistent.  --accept probes on a private engine
 * with inline hashing: it is an administrator's request, rare, and must
 * not wait behind the hashing threads' queue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "daemon_accept.h"
#include "daemon_ctl.h"
#include "daemon_ent.h"
#include "daemon_out.h"
#include "daemon_rescan.h"
#include "daemon_window.h"
#include "entity.h"
#include "log.h"
#include "pathmap.h"
#include "pathenc.h"
#include "xmalloc.h"


static json_t *
json_time(double wall)
{
	char s[FIMD_TIME_RFC3339_LEN];

	if (wall <= 0)
		return json_null();
	fimd_time_rfc3339_s(wall, s);
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
	size_t n = d->out.nlatency < LATENCY_SAMPLES ? d->out.nlatency :
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
	v = xmemdup(d->out.latency, n * sizeof(*v));
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

	for (i = 0; i < d->rescans.nrule_stats; i++) {
		st = &d->rescans.rule_stats[i];
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

/* Each rule of an entity: what it holds, its checks and their cost. */
static json_t *
entities_json(const struct daemon *d)
{
	const struct ent_watch *w;
	json_t *o = json_object(), *e;
	int t;

	for (t = 0; t < RULE_TYPE_COUNT; t++) {
		if ((w = d->ent.by_type[t]) == NULL)
			continue;
		e = json_object();
		json_object_set_new(e, "rule", json_string(w->rule->name));
		json_object_set_new(e, "items", json_integer((json_int_t)
		    w->cur.n));
		json_object_set_new(e, "checks", json_integer((json_int_t)
		    w->checks));
		json_object_set_new(e, "changes", json_integer((json_int_t)
		    w->changes));
		json_object_set_new(e, "owner_lookups", json_integer(
		    (json_int_t)w->owner_scans));
		json_object_set_new(e, "cpu_ms", json_real(w->cpu_ms));
		json_object_set_new(e, "lookup_cpu_ms",
		    json_real(w->lookup_cpu_ms));
		json_object_set_new(e, "last_cpu_ms",
		    json_real(w->last_cpu_ms));
		json_object_set_new(e, "last_check",
		    json_time(w->last_check));
		json_object_set_new(o, rule_type_name(w->rule->type), e);
	}
	return o;
}

/* The package database: read yet, its size, what reading it took. */
static json_t *
packages_json(const struct daemon *d)
{
	struct pkgdb_stats st;
	json_t *o = json_object();

	json_object_set_new(o, "database", d->pk.db != NULL ?
	    json_string(d->cfg->package_db) : json_null());
	if (d->pk.db == NULL)
		return o;
	pkgdb_stats(d->pk.db, &st);
	json_object_set_new(o, "ready", json_boolean(pkgdb_ready(d->pk.db)));
	json_object_set_new(o, "packages",
	    json_integer((json_int_t)st.packages));
	json_object_set_new(o, "paths", json_integer((json_int_t)st.paths));
	json_object_set_new(o, "conffiles",
	    json_integer((json_int_t)st.conffiles));
	json_object_set_new(o, "load_ms", json_integer((json_int_t)st.load_ms));
	json_object_set_new(o, "load_cpu_ms",
	    json_integer((json_int_t)st.load_cpu_ms));
	json_object_set_new(o, "units_read",
	    json_integer((json_int_t)st.units_read));
	json_object_set_new(o, "transaction", json_boolean(st.busy));
	json_object_set_new(o, "held", json_integer((json_int_t)
	    (d->pk.held != NULL ? pathmap_count(d->pk.held) : 0)));
	json_object_set_new(o, "summaries",
	    json_integer((json_int_t)d->pk.summaries));
	return o;
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
	json_object_set_new(reply, "ignore_marks",
	    json_integer((json_int_t)ws.ignore_marks));
	json_object_set_new(reply, "dirs", json_integer((json_int_t)ws.dirs));
	json_object_set_new(reply, "events",
	    json_integer((json_int_t)ws.events));
	json_object_set_new(reply, "alerts",
	    json_integer((json_int_t)d->out.alerts_emitted));
	json_object_set_new(reply, "seq",
	    json_integer((json_int_t)alert_stream_next_seq(d->out.alerts)));
	json_object_set_new(reply, "overflows",
	    json_integer((json_int_t)d->rt.overflows));
	json_object_set_new(reply, "stale_probes",
	    json_integer((json_int_t)d->rt.stale));
	json_object_set_new(reply, "gaps",
	    json_integer((json_int_t)d->out.gaps));
	json_object_set_new(reply, "unwritten",
	    json_integer((json_int_t)d->out.alerts_unwritten));
	json_object_set_new(reply, "sink_errors",
	    json_integer((json_int_t)d->out.file_errors));
	json_object_set_new(reply, "spooled",
	    json_integer((json_int_t)spool_count(d->out.spool)));
	json_object_set_new(reply, "spooled_total",
	    json_integer((json_int_t)d->out.spooled));
	json_object_set_new(reply, "dropped",
	    json_integer((json_int_t)d->out.dropped));
	json_object_set_new(reply, "queued",
	    json_integer((json_int_t)ws.queued));
	json_object_set_new(reply, "pending",
	    json_integer((json_int_t)pending_count(d->pending)));
	json_object_set_new(reply, "hashing",
	    json_integer((json_int_t)scan_inflight(d->scan)));
	json_object_set_new(reply, "hashing_waiting",
	    json_integer((json_int_t)scan_waiting(d->scan)));
	json_object_set_new(reply, "hash_yields",
	    json_integer((json_int_t)hashpool_yields(d->pool)));
	json_object_set_new(reply, "rescans_queued",
	    json_integer((json_int_t)rescan_queued(d) +
	    (d->rescans.active != NULL)));
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
	json_object_set_new(attr, "connector_lost",
	    json_integer((json_int_t)ps.connector_lost));
	json_object_set_new(attr, "exit_records",
	    json_boolean(ps.exit_records));
	json_object_set_new(attr, "records",
	    json_integer((json_int_t)ps.records));
	json_object_set_new(reply, "attribution", attr);
	json_object_set_new(reply, "packages", packages_json(d));
	json_object_set_new(reply, "entities", entities_json(d));
	json_object_set_new(reply, "alert_file",
	    json_string(d->cfg->alerts_path));
	json_object_set_new(reply, "rules", rules_json(d));
	return 0;
}

/* Whether req's member key, if present, is an array of strings. */
static bool
strings_or_absent(const json_t *req, const char *key)
{
	const json_t *arr = json_object_get(req, key), *v;
	size_t i;

	if (arr == NULL)
		return true;
	if (!json_is_array(arr))
		return false;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			return false;
	}
	return true;
}

/*
 * A request that names paths must name them as arrays of strings: a
 * wrong type is refused, never read as an empty list.
 */
static int
check_paths(const json_t *req, json_t *reply)
{
	if (strings_or_absent(req, "paths") &&
	    strings_or_absent(req, "paths_escaped"))
		return 0;
	json_object_set_new(reply, "error", json_string("\"paths\" and "
	    "\"paths_escaped\" must be arrays of strings"));
	return -EINVAL;
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

/* A query of "type" an entity: what the baseline holds of it. */
static int
query_entities(struct daemon *d, enum rule_type type, const json_t *req,
    json_t *reply)
{
	const struct ent_watch *w = d->ent.by_type[type];
	const char *why;
	int r;

	r = entity_query(type, baseline_entities(d->b, rule_type_name(type)),
	    json_object_get(req, "names"), reply, &why);
	if (r < 0) {
		json_object_set_new(reply, "error", json_string(why));
		return r;
	}
	json_object_set_new(reply, "rule", w != NULL ?
	    json_string(w->rule->name) : json_null());
	return 0;
}

static int
ctl_query(const json_t *req, json_t *reply, void *arg)
{
	struct daemon *d = arg;
	json_t *entries, *missing, *e;
	enum rule_type type;
	struct record rec;
	const char *why;
	struct buf p;
	size_t i;
	int r;

	if (entity_query_type(req, &type, &why) < 0) {
		json_object_set_new(reply, "error", json_string(why));
		return -EINVAL;
	}
	if (type != RULE_FILES)
		return query_entities(d, type, req, reply);
	entries = json_array();
	missing = json_array();
	if ((r = check_paths(req, reply)) < 0) {
		json_decref(entries);
		json_decref(missing);
		return r;
	}
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
		baseline_notes_json(d->b, p.data, p.len,
		    json_is_true(json_object_get(req, "history")), e);
		json_array_append_new(entries, e);
		record_release(&rec);
	}
	buf_release(&p);
	json_object_set_new(reply, "entries", entries);
	json_object_set_new(reply, "missing", missing);
	return 0;
}

static int
ctl_accept(const json_t *req, json_t *reply, void *arg)
{
	struct daemon *d = arg;
	struct daemon_acceptance acc;
	struct daemon_peer who;
	json_t *accepted, *missing;
	const char *reason;
	struct buf p;
	size_t i;
	int r;

	if ((r = check_paths(req, reply)) < 0 ||
	    (r = daemon_reason(req, reply, &reason)) < 0)
		return r;
	accepted = json_array();
	missing = json_array();
	daemon_peer(req, &who);
	daemon_accept_begin(&acc, d, &who, reason, 0, true);
	buf_init(&p, BUF_MAX_DEFAULT);
	for (i = 0; (r = request_path(req, i, &p)) != -ENOENT; i++) {
		if (r < 0)
			continue;
		json_array_append_new(daemon_accept_path(&acc, p.data,
		    p.len) ? accepted : missing, path_json(p.data, p.len));
	}
	buf_release(&p);
	daemon_accept_end(&acc);
	json_object_set_new(reply, "accepted", accepted);
	json_object_set_new(reply, "missing", missing);
	if (json_array_size(accepted) > 0 && daemon_save(d) != EXIT_OK) {
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
	const json_t *rv = json_object_get(req, "rule");
	const char *name = json_string_value(rv);
	const struct rule *rule;
	size_t i;

	if (rv != NULL && !json_is_string(rv)) {
		json_object_set_new(reply, "error",
		    json_string("\"rule\" must be a string"));
		return -EINVAL;
	}
	if (name == NULL) {
		rescan_enqueue(d, NULL, 0, NULL, 0, "requested");
		json_object_set_new(reply, "queued", json_integer(1));
		return 0;
	}
	if ((rule = ruleset_find(d->rs, name)) == NULL) {
		json_object_set_new(reply, "error",
		    json_sprintf("no rule named %s", name));
		return -ENOENT;
	}
	if (rule->type != RULE_FILES) {
		/* An entity is read at once: no walk to queue. */
		ent_check(d, rule, SOURCE_CONTROL);
		json_object_set_new(reply, "queued", json_integer(0));
		json_object_set_new(reply, "checked", json_true());
		return 0;
	}
	for (i = 0; i < rule->npaths; i++)
		rescan_enqueue(d, rule->paths[i].path, rule->paths[i].len,
		    rule, 0, "requested");
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
	if ((r = daemon_reopen_sinks(d)) < 0) {
		json_object_set_new(reply, "error",
		    json_sprintf("cannot reopen %s: %s", d->cfg->alerts_path,
		    strerror(-r)));
		return r;
	}
	return 0;
}

enum exit_status
daemon_ctl_open(struct daemon *d)
{
	static const struct control_ops verbs = {
		.status = ctl_status,
		.query = ctl_query,
		.accept = ctl_accept,
		.rescan = ctl_rescan,
		.reopen = ctl_reopen,
		.window = daemon_window_verb,
	};
	struct control_ops ops = verbs;
	int r;

	ops.arg = d;
	r = control_open(d->base, d->cfg->socket_path, &ops, &d->control);
	if (r < 0) {
		errno = -r;
		log_warn("cannot listen on %s%s", d->cfg->socket_path,
		    r == -EADDRINUSE ? " (another fimd is running)" : "");
		return EXIT_IO_ERROR;
	}
	return EXIT_OK;
}
