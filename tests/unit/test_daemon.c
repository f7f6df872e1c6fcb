/*
 * The daemon's rooms on a real loop, real files and real hashing
 * threads, without the kernel watch: events are handed to the realtime
 * room as the watch would deliver them, and alerts are read back from
 * the alert file.
 *
 *  - a reload drops queued rescans before it finishes the active one, so
 *    nothing starts under the rules that are going away;
 *  - a deleted file is reported alone, a deleted directory with every
 *    entry below it, whether the baseline or only the event knows it was
 *    a directory;
 *  - an alert that cannot be written is replaced by a gap alert for its
 *    path (its ancestor when the path is too long), counted, and the
 *    rescan that found it keeps it out of the baseline;
 *  - a rescan after a gap that could not read all of its scope ends with
 *    a gap naming what it could not read, not with "reconciled".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "tlib.h"

#include "chain.h"
#include "daemon_state.h"
#include "daemon_out.h"
#include "daemon_rescan.h"
#include "daemon_rt.h"
#include "xmalloc.h"

struct harness {
	char	*dir;		/* temporary; the tree is dir/t */
	char	*alerts;
	struct fimd_config cfg;
	struct daemon d;
};

static void
harness_open(struct harness *h, const char *rule_attrs)
{
	struct daemon *d = &h->d;
	struct diag dg;
	char *rules;

	memset(h, 0, sizeof(*h));
	h->dir = tlib_mkdtemp("daemon");
	h->alerts = tlib_fmt("%s/alerts.json", h->dir);
	config_init(&h->cfg);
	free(h->cfg.alerts_path);
	h->cfg.alerts_path = xstrdup(h->alerts);
	free(h->cfg.baseline_path);
	h->cfg.baseline_path = tlib_fmt("%s/baseline.json", h->dir);
	rules = tlib_fmt("{\"rules\": [{\"name\": \"t\", \"paths\": "
	    "\"%s/t\", \"attributes\": [%s], \"severity\": \"low\"}]}",
	    h->dir, rule_attrs);
	diag_init(&dg);
	assert_int_equal(ruleset_load_buffer("t.json", rules, strlen(rules),
	    &d->rs, &dg), 0);
	diag_release(&dg);
	free(rules);
	d->cfg = &h->cfg;
	assert_non_null(d->base = event_base_new());
	assert_int_equal(daemon_out_open(d), EXIT_OK);
	assert_non_null(d->pool = hashpool_new(1));
	d->scan = scan_new(d->rs, d->pool, NULL, NULL);
	d->pending = pending_new(d->base, 0, 0, 1024, rt_pending_fire, d);
	procinfo_init(&d->rt.memo_proc);
	d->b = baseline_new();
}

static void
harness_close(struct harness *h)
{
	struct daemon *d = &h->d;

	scan_finish(d->scan);
	rescan_free(d->rescans.active);
	rescan_clear_queue(d);
	daemon_out_close(d);
	pending_free(d->pending);
	scan_free(d->scan);
	hashpool_free(d->pool);
	rt_close(d);
	baseline_free(d->b);
	ruleset_free(d->rs);
	event_base_free(d->base);
	config_release(&h->cfg);
	tlib_rmrf(h->dir);
	free(h->dir);
	free(h->alerts);
}

/* The alert file's lines, parsed. */
static json_t *
alerts(const struct harness *h)
{
	size_t len;
	char *text = tlib_read(h->alerts, &len);
	json_t *lines = tlib_json_lines(text != NULL ? text : "",
	    text != NULL ? len : 0);

	free(text);
	return lines;
}

/*
 * Every line of text[0..len) carries in fimd.chain the plain digest of
 * the line before it, the first one first_link.  Returns the link the
 * line after the last would carry.
 */
static char *
assert_chained(const char *text, size_t len, const char *first_link)
{
	char link[CHAIN_HEX_LEN + 1];
	const char *p = text, *nl;
	json_t *o;
	size_t n = 0;

	snprintf(link, sizeof(link), "%s", first_link);
	for (; p < text + len; p = nl + 1, n++) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		assert_non_null(nl);
		o = json_loadb(p, (size_t)(nl - p), 0, NULL);
		assert_non_null(o);
		if (tlib_json_str(o, "fimd.chain") == NULL ||
		    strcmp(tlib_json_str(o, "fimd.chain"), link) != 0)
			fail_msg("line %zu: fimd.chain %s, want %s", n + 1,
			    tlib_json_str(o, "fimd.chain"), link);
		json_decref(o);
		chain_digest_hex(NULL, p, (size_t)(nl - p) + 1, link);
	}
	return strdup(link);
}

/* assert_chained over a whole file. */
static char *
assert_file_chained(const char *path, const char *first_link)
{
	size_t len = 0;
	char *text = tlib_read(path, &len), *next;

	assert_non_null(text);
	next = assert_chained(text, len, first_link);
	free(text);
	return next;
}

/* Record the tree silently, as the initial baseline does. */
static void
build_baseline(struct harness *h)
{
	struct daemon *d = &h->d;

	d->building = true;
	rescan_enqueue(d, NULL, 0, NULL, RESCAN_ADOPT, "initial baseline");
	rescan_run_next(d);
	scan_finish(d->scan);
	rescan_run_next(d);
	d->building = false;
	assert_null(d->rescans.active);
}

/* Queue one rescan and run it to its end. */
static void
run_rescan(struct harness *h, const char *scope, unsigned flags,
    const char *reason)
{
	struct daemon *d = &h->d;

	rescan_enqueue(d, scope, scope != NULL ? strlen(scope) : 0, NULL,
	    flags, reason);
	rescan_run_next(d);
	scan_finish(d->scan);
	rescan_run_next(d);
	assert_null(d->rescans.active);
}

static void
test_reload_drains_before_finishing(void **state)
{
	struct harness h;
	struct daemon *d = &h.d;
	json_t *lines;
	char *sub;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	assert_int_equal(tlib_sh("mkdir -p '%s/t/sub' && cd '%s/t' && "
	    "head -c 1M /dev/urandom > a && head -c 1M /dev/urandom > b",
	    h.dir, h.dir), 0);
	/* A rescan running (hash jobs out), another queued behind it. */
	rescan_enqueue(d, NULL, 0, NULL, 0, "first");
	rescan_run_next(d);
	assert_non_null(d->rescans.active);
	sub = tlib_fmt("%s/t/sub", h.dir);
	rescan_enqueue(d, sub, strlen(sub), NULL, RESCAN_GAP, "second");
	assert_int_equal(rescan_queued(d), 1);

	/* What a reload does before it swaps the rules. */
	scan_finish(d->scan);
	assert_int_equal(rescan_drain(d) & RESCAN_GAP, RESCAN_GAP);
	assert_null(d->rescans.active);
	assert_int_equal(rescan_queued(d), 0);
	assert_int_equal(scan_inflight(d->scan), 0);

	/* The first finished and reported; the second never started. */
	lines = alerts(&h);
	assert_int_equal(tlib_count_alerts(lines, "created", NULL), 4);
	assert_int_equal(tlib_count_alerts(lines, "reconciled", NULL), 0);
	json_decref(lines);
	free(sub);
	harness_close(&h);
}

/* Hand the realtime room one event and let the loop probe it. */
static void
deliver(struct harness *h, const char *rel, unsigned flags)
{
	struct daemon *d = &h->d;
	char *path = tlib_fmt("%s/t/%s", h->dir, rel);
	struct watch_event ev = {
		.flags = flags,
		.path = path,
		.len = strlen(path),
		.pidfd = -1,
	};
	double deadline = tlib_now() + 10;

	rt_watch_event(&ev, d);
	while (pending_count(d->pending) > 0 || scan_inflight(d->scan) > 0) {
		assert_true(tlib_now() < deadline);
		(void)event_base_loop(d->base, EVLOOP_NONBLOCK);
		scan_reap(d->scan, false);
		tlib_sleep_ms(1);
	}
	free(path);
}

static bool
has(const struct harness *h, const char *rel)
{
	char *path = tlib_fmt("%s/t/%s", h->dir, rel);
	bool r = baseline_contains(h->d.b, path, strlen(path));

	free(path);
	return r;
}

static void
test_deleted_file_and_directory(void **state)
{
	struct harness h;
	json_t *lines;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	assert_int_equal(tlib_sh("mkdir -p '%s/t/d/e' && cd '%s/t' && "
	    "echo 1 > f && echo 2 > g && echo 3 > d/x && echo 4 > d/e/y",
	    h.dir, h.dir), 0);
	build_baseline(&h);
	assert_int_equal(baseline_count(h.d.b), 7);

	assert_int_equal(tlib_sh("rm '%s/t/f'", h.dir), 0);
	deliver(&h, "f", WEV_DELETE);
	lines = alerts(&h);
	assert_int_equal(tlib_count_alerts(lines, "deleted", NULL), 1);
	assert_non_null(tlib_find_alert(lines, "deleted", NULL));
	json_decref(lines);
	assert_false(has(&h, "f"));
	assert_true(has(&h, "g") && has(&h, "d/x") && has(&h, "d/e/y"));

	/* The baseline knows d is a directory: d, d/x, d/e, d/e/y. */
	assert_int_equal(tlib_sh("rm -r '%s/t/d'", h.dir), 0);
	deliver(&h, "d", WEV_DELETE);
	lines = alerts(&h);
	assert_int_equal(tlib_count_alerts(lines, "deleted", NULL), 5);
	json_decref(lines);
	assert_false(has(&h, "d") || has(&h, "d/x") || has(&h, "d/e/y"));
	assert_true(has(&h, "g"));
	assert_int_equal(baseline_count(h.d.b), 2);
	harness_close(&h);
}

/*
 * A directory the baseline does not hold (no rule covers directories
 * here) with covered entries below: only the event says it was one.
 */
static void
test_deleted_directory_known_from_event(void **state)
{
	struct harness h;
	json_t *lines;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	/* Cover only *.conf: the directory itself is walked, not recorded. */
	ruleset_free(h.d.rs);
	{
		char *rules = tlib_fmt("{\"rules\": [{\"name\": \"t\", "
		    "\"paths\": \"%s/t\", \"include\": \"*.conf\", "
		    "\"severity\": \"low\"}]}", h.dir);
		struct diag dg;

		diag_init(&dg);
		assert_int_equal(ruleset_load_buffer("t.json", rules,
		    strlen(rules), &h.d.rs, &dg), 0);
		diag_release(&dg);
		free(rules);
		scan_set_ruleset(h.d.scan, h.d.rs);
	}
	assert_int_equal(tlib_sh("mkdir -p '%s/t/d' && cd '%s/t' && "
	    "echo 1 > d/a.conf && echo 2 > d/b.conf && echo 3 > c.conf",
	    h.dir, h.dir), 0);
	build_baseline(&h);
	assert_true(has(&h, "d/a.conf") && !has(&h, "d"));

	assert_int_equal(tlib_sh("rm -r '%s/t/d'", h.dir), 0);
	deliver(&h, "d", WEV_DELETE | WEV_ISDIR);
	lines = alerts(&h);
	assert_int_equal(tlib_count_alerts(lines, "deleted", NULL), 2);
	json_decref(lines);
	assert_true(has(&h, "c.conf"));
	assert_int_equal(baseline_count(h.d.b), 1);
	harness_close(&h);
}

/*
 * The length of the daemon's line of a gap alert about path for reason
 * (chained, as every line the daemon writes).
 */
static size_t
gap_line_len(const char *path, const char *reason)
{
	struct alert_stream *s = alert_stream_new("none", 1);
	struct alert a;
	struct buf b;
	size_t n;

	alert_for_scope(&a, ACTION_GAP, SOURCE_RESCAN, path, strlen(path),
	    reason, 0);
	buf_init(&b, ALERT_LINE_MAX);
	assert_int_equal(alert_line(s, &a, CHAIN_GENESIS, &b), 0);
	n = b.len;
	buf_release(&b);
	alert_stream_free(s);
	return n;
}

/* The only alert line, which must be a gap; borrowed from lines. */
static const json_t *
only_gap(const json_t *lines)
{
	const json_t *o;

	assert_int_equal(json_array_size(lines), 1);
	o = json_array_get(lines, 0);
	assert_string_equal(tlib_json_str(o, "event.action"), "gap");
	return o;
}

/*
 * A line limit that a gap alert about f fits and the updated alert
 * about f does not: the gap stands for it, the rescan keeps the change
 * out of the baseline, and the next rescan with room reports it.
 */
static void
test_unwritten_alert_is_a_gap(void **state)
{
	const char *reason = "updated alert too large to write";
	struct harness h;
	struct daemon *d = &h.d;
	const json_t *o;
	json_t *lines;
	char *f;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	assert_int_equal(tlib_sh("mkdir '%s/t' && echo 1 > '%s/t/f'", h.dir,
	    h.dir), 0);
	build_baseline(&h);
	assert_int_equal(tlib_sh("echo 22 > '%s/t/f'", h.dir), 0);
	f = tlib_fmt("%s/t/f", h.dir);
	d->out.line_max = gap_line_len(f, reason) + 64;
	run_rescan(&h, NULL, 0, "scheduled");

	lines = alerts(&h);
	o = only_gap(lines);
	assert_string_equal(tlib_json_str(o, "fimd.scope"), f);
	assert_null(tlib_json_get(o, "file"));
	assert_string_equal(tlib_json_str(o, "fimd.reason"), reason);
	assert_string_equal(tlib_json_str(o, "fimd.source"), "rescan");
	assert_int_equal(json_integer_value(tlib_json_get(o, "fimd.seq")), 1);
	/* No rescan is queued for it: the message does not promise one. */
	assert_null(strstr(tlib_json_str(o, "message"), "rescanning"));
	json_decref(lines);
	assert_int_equal(d->out.alerts_unwritten, 1);
	assert_int_equal(d->out.gaps, 1);
	assert_int_equal(d->out.alerts_emitted, 1);

	d->out.line_max = 0;
	run_rescan(&h, NULL, 0, "scheduled");
	lines = alerts(&h);
	assert_int_equal(json_array_size(lines), 2);
	o = json_array_get(lines, 1);
	assert_string_equal(tlib_json_str(o, "event.action"), "updated");
	assert_string_equal(tlib_json_str(o, "file.path"), f);
	assert_int_equal(json_integer_value(tlib_json_get(o, "fimd.seq")), 2);
	json_decref(lines);
	assert_int_equal(d->out.alerts_unwritten, 1);
	free(f);
	harness_close(&h);
}

/*
 * A path of 1 MiB of control bytes (each 6 bytes of JSON) makes a line
 * past ALERT_LINE_MAX at the real limit; the gap that stands for it
 * names the path's ancestor within 4096 bytes, and daemon_emit says the
 * alert was not written.
 */
static void
test_oversized_alert_gap_names_ancestor(void **state)
{
	size_t tail = (size_t)1 << 20;
	struct harness h;
	struct daemon *d = &h.d;
	struct record rec;
	struct change c;
	struct alert a;
	const json_t *o;
	json_t *lines;
	char *path, *scope, *want;
	size_t len;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	scope = tlib_fmt("%s/t", h.dir);
	len = strlen(scope) + 1 + tail;
	path = xmalloc(len + 1);
	memcpy(path, scope, strlen(scope));
	path[strlen(scope)] = '/';
	memset(path + strlen(scope) + 1, '\x01', tail);
	path[len] = '\0';
	record_init(&rec);
	rec.known = RECORD_STAT_BITS;
	rec.mode = S_IFREG | 0644;
	memset(&c, 0, sizeof(c));
	c.action = ACTION_CREATED;
	c.rule = ruleset_rule(d->rs, 0);
	c.path = path;
	c.len = len;
	c.new = &rec;
	alert_from_change(&a, SOURCE_REALTIME, &c);
	assert_false(daemon_emit(d, &a, 0));

	lines = alerts(&h);
	o = only_gap(lines);
	assert_string_equal(tlib_json_str(o, "fimd.scope"), scope);
	want = tlib_fmt("created alert too large to write, for a path of %zu "
	    "bytes below", len);
	assert_string_equal(tlib_json_str(o, "fimd.reason"), want);
	assert_string_equal(tlib_json_str(o, "fimd.source"), "realtime");
	json_decref(lines);
	assert_int_equal(d->out.alerts_unwritten, 1);
	assert_int_equal(d->out.gaps, 1);
	record_release(&rec);
	free(want);
	free(path);
	free(scope);
	harness_close(&h);
}

/*
 * Give up, or take back, root's power to read what its mode forbids
 * (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) in this thread's effective
 * set.  Capabilities are per thread and the walk runs on this one, so
 * the lock holds for the rescan while the hashing threads are as they
 * were.  Nothing to do when not root: the mode holds already.
 */
static void
dac_power(bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uint32_t bits = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);

	if (!tlib_is_root())
		return;
	assert_int_equal(syscall(SYS_capget, &hdr, data), 0);
	if (on)
		data[0].effective |= bits & data[0].permitted;
	else
		data[0].effective &= ~bits;
	assert_int_equal(syscall(SYS_capset, &hdr, data), 0);
}

/*
 * The rescan after a gap meets a directory it cannot open: it ends with
 * a gap that names the directory and the error, not with "reconciled".
 * Once the directory can be read, the next one reconciles.
 */
static void
test_rescan_unreadable_not_reconciled(void **state)
{
	struct harness h;
	const json_t *o;
	json_t *lines;
	char *locked, *want;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	assert_int_equal(tlib_sh("mkdir -p '%s/t/ok' '%s/t/locked' && "
	    "echo 1 > '%s/t/ok/f' && echo 2 > '%s/t/locked/g'", h.dir, h.dir,
	    h.dir, h.dir), 0);
	build_baseline(&h);
	locked = tlib_fmt("%s/t/locked", h.dir);
	assert_int_equal(chmod(locked, 0), 0);
	dac_power(false);
	run_rescan(&h, NULL, RESCAN_GAP, "queue overflow");
	dac_power(true);
	assert_int_equal(chmod(locked, 0755), 0);

	/* Besides the mode of locked, which the rescan did see change. */
	lines = alerts(&h);
	assert_int_equal(tlib_count_alerts(lines, "reconciled", NULL), 0);
	assert_int_equal(tlib_count_alerts(lines, "gap", NULL), 1);
	o = tlib_find_alert(lines, "gap", NULL);
	assert_string_equal(tlib_json_str(o, "fimd.source"), "rescan");
	/* A gap of every watched path names no made-up file. */
	assert_null(tlib_json_get(o, "file"));
	want = tlib_fmt("queue overflow: rescan incomplete, could not read "
	    "%s (opendir: Permission denied)", locked);
	assert_string_equal(tlib_json_str(o, "fimd.reason"), want);
	json_decref(lines);
	/* What could not be read is not taken for deleted. */
	assert_true(has(&h, "locked/g"));

	run_rescan(&h, NULL, RESCAN_GAP, "queue overflow");
	lines = alerts(&h);
	assert_int_equal(tlib_count_alerts(lines, "reconciled", NULL), 1);
	assert_int_equal(tlib_count_alerts(lines, "gap", NULL), 1);
	json_decref(lines);
	free(want);
	free(locked);
	harness_close(&h);
}


/*
 * Realtime as well: an alert about f that cannot be written leaves f's
 * record as it was, so the next rescan reports the change.
 */
static void
test_realtime_unwritten_keeps_record(void **state)
{
	const char *reason = "updated alert too large to write";
	struct harness h;
	struct daemon *d = &h.d;
	struct record before, after;
	json_t *lines;
	char *f;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	assert_int_equal(tlib_sh("mkdir '%s/t' && echo 1 > '%s/t/f'", h.dir,
	    h.dir), 0);
	build_baseline(&h);
	f = tlib_fmt("%s/t/f", h.dir);
	assert_int_equal(baseline_get(d->b, f, strlen(f), &before), 0);
	assert_int_equal(tlib_sh("echo 22 > '%s'", f), 0);
	d->out.line_max = gap_line_len(f, reason) + 64;
	deliver(&h, "f", WEV_MODIFY | WEV_CLOSE_WRITE);
	lines = alerts(&h);
	(void)only_gap(lines);
	json_decref(lines);
	assert_int_equal(baseline_get(d->b, f, strlen(f), &after), 0);
	assert_int_equal(after.size, before.size);
	record_release(&after);
	record_release(&before);
	d->out.line_max = 0;
	run_rescan(&h, NULL, 0, "scheduled");
	lines = alerts(&h);
	assert_non_null(tlib_find_alert(lines, "updated", f));
	json_decref(lines);
	free(f);
	harness_close(&h);
}

/* An alert file that refuses writes while full is set, as a full disk. */
struct flaky_sink {
	bool	 full;
	struct buf lines;
};

static int
flaky_write(struct sink *s, const char *line, size_t len)
{
	struct flaky_sink *f = s->priv;

	if (f->full)
		return -ENOSPC;
	return buf_add(&f->lines, line, len);
}

static int
flaky_reopen(struct sink *s)
{
	(void)s;
	return 0;
}

static void
flaky_close(struct sink *s)
{
	(void)s;
}

static const struct sink_ops flaky_ops = {
	.name = "flaky",
	.write_line = flaky_write,
	.reopen = flaky_reopen,
	.close = flaky_close,
};

/* Put the flaky sink in place of the alert file, with a spool of max. */
static void
use_flaky(struct harness *h, struct flaky_sink *f, size_t max)
{
	struct daemon *d = &h->d;
	struct sink *s = xcalloc(1, sizeof(*s));	/* sink_free frees it */

	memset(f, 0, sizeof(*f));
	buf_init(&f->lines, 1 << 20);
	f->full = true;
	s->ops = &flaky_ops;
	s->priv = f;
	sink_free(d->out.sinks[0]);
	d->out.sinks[0] = s;
	spool_free(d->out.spool);
	d->out.spool = spool_new(max);
}

static void
emit_created(struct daemon *d, int i)
{
	struct alert a;
	char path[64];

	snprintf(path, sizeof(path), "/x/f%d", i);
	alert_for_scope(&a, ACTION_CREATED, SOURCE_REALTIME, path,
	    strlen(path), NULL, 0);
	a.rule = ruleset_rule(d->rs, 0);
	(void)daemon_emit(d, &a, 0);
}

static void
run_loop_ms(struct daemon *d, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(d->base, &tv);
	event_base_dispatch(d->base);
}

/* The seqs of the flaky sink's lines, in order, as "1 2 3". */
static char *
flaky_seqs(struct flaky_sink *f)
{
	json_t *lines = tlib_json_lines(f->lines.data != NULL ?
	    f->lines.data : "", f->lines.len), *o;
	struct buf out;
	size_t i;

	buf_init(&out, 1 << 16);
	json_array_foreach(lines, i, o)
		(void)buf_addf(&out, "%s%lld", i > 0 ? " " : "",
		    json_integer_value(tlib_json_get(o, "fimd.seq")));
	(void)buf_addc(&out, '\0');
	json_decref(lines);
	return out.data;
}

/*
 * A full disk under the alert file: alerts wait in memory, in order, and
 * are written with their seqs once it takes lines again; none is lost.
 */
static void
test_full_disk_spools(void **state)
{
	struct harness h;
	struct daemon *d = &h.d;
	struct flaky_sink f;
	char *seqs;
	int i;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	use_flaky(&h, &f, 1 << 20);
	for (i = 1; i <= 50; i++)
		emit_created(d, i);
	assert_int_equal(f.lines.len, 0);
	assert_int_equal(spool_count(d->out.spool), 50);
	assert_int_equal(d->out.alerts_emitted, 0);
	run_loop_ms(d, 1300);		/* a retry while still full */
	assert_int_equal(spool_count(d->out.spool), 50);
	f.full = false;
	emit_created(d, 51);		/* queues behind, never ahead */
	assert_int_equal(f.lines.len, 0);
	run_loop_ms(d, 1300);
	assert_int_equal(spool_count(d->out.spool), 0);
	assert_int_equal(d->out.alerts_emitted, 51);
	assert_int_equal(d->out.dropped, 0);
	seqs = flaky_seqs(&f);
	assert_string_equal(seqs, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 "
	    "18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 "
	    "39 40 41 42 43 44 45 46 47 48 49 50 51");
	free(seqs);
	free(assert_chained(f.lines.data, f.lines.len, CHAIN_GENESIS));
	buf_release(&f.lines);
	harness_close(&h);
}

/* A spool that overflows: one gap alert names the seq range dropped. */
static void
test_spool_overflow_is_a_gap(void **state)
{
	struct harness h;
	struct daemon *d = &h.d;
	struct flaky_sink f;
	json_t *lines, *gap;
	char *seqs;
	int i;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	use_flaky(&h, &f, 3000);	/* room for a few lines */
	for (i = 1; i <= 20; i++)
		emit_created(d, i);
	assert_true(d->out.dropped > 0);
	assert_int_equal(spool_count(d->out.spool) + d->out.dropped, 20);
	f.full = false;
	run_loop_ms(d, 1300);
	lines = tlib_json_lines(f.lines.data, f.lines.len);
	assert_int_equal(json_array_size(lines), spool_count(d->out.spool) +
	    20 - d->out.dropped + 1);
	gap = json_array_get(lines, json_array_size(lines) - 1);
	assert_string_equal(tlib_json_str(gap, "event.action"), "gap");
	seqs = tlib_fmt("alerts seq %zu to 20 could not be written to the "
	    "alert file (No space left on device) and were dropped",
	    20 - (size_t)d->out.dropped + 1);
	assert_string_equal(tlib_json_str(gap, "fimd.reason"), seqs);
	assert_int_equal(json_integer_value(tlib_json_get(gap, "fimd.seq")),
	    21);
	/* The lines that never reached the file are not in the chain. */
	free(assert_chained(f.lines.data, f.lines.len, CHAIN_GENESIS));
	free(seqs);
	json_decref(lines);
	buf_release(&f.lines);
	harness_close(&h);
}

/*
 * The chain goes on where the alert file ends: after the output is
 * closed and opened again (a restart), and into the new file after a
 * rotation and reopen (logrotate's create).
 */
static void
test_chain_continues(void **state)
{
	struct harness h;
	struct daemon *d = &h.d;
	char *rotated, *link, *next;
	int i;

	(void)state;
	harness_open(&h, "\"STANDARD\"");
	for (i = 1; i <= 3; i++)
		emit_created(d, i);
	link = assert_file_chained(h.alerts, CHAIN_GENESIS);
	daemon_out_close(d);
	assert_int_equal(daemon_out_open(d), EXIT_OK);
	assert_string_equal(d->out.chain.link, link);
	emit_created(d, 4);
	next = assert_file_chained(h.alerts, CHAIN_GENESIS);
	free(link);
	rotated = tlib_fmt("%s.1", h.alerts);
	assert_int_equal(rename(h.alerts, rotated), 0);
	assert_int_equal(daemon_reopen_sinks(d), 0);
	emit_created(d, 5);
	emit_created(d, 6);
	link = assert_file_chained(h.alerts, next);
	free(link);
	free(next);
	next = assert_file_chained(rotated, CHAIN_GENESIS);
	free(next);
	free(rotated);
	harness_close(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_drains_before_finishing),
		cmocka_unit_test(test_deleted_file_and_directory),
		cmocka_unit_test(test_deleted_directory_known_from_event),
		cmocka_unit_test(test_unwritten_alert_is_a_gap),
		cmocka_unit_test(test_oversized_alert_gap_names_ancestor),
		cmocka_unit_test(test_rescan_unreadable_not_reconciled),
		cmocka_unit_test(test_realtime_unwritten_keeps_record),
		cmocka_unit_test(test_full_disk_spools),
		cmocka_unit_test(test_spool_overflow_is_a_gap),
		cmocka_unit_test(test_chain_continues),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
