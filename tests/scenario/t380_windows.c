/*
 * 380: change windows and acceptance under the real daemon: a window
 * tags the changes of its rules (at the rule's window_severity) and
 * sums them up when it closes; one that expires closes itself, also
 * while the daemon is down; windows survive a restart; --window close
 * --accept takes their changes in as accepted; --accept --reason and
 * --query --history round trip through a restart, from the daemon and
 * from the baseline file; bad requests and a damaged windows file are
 * refused without losing anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"

#define RULE_JSON	",\"window_severity\":\"low\",\"history\":2"

static const char *const backends[] = { "inotify", "fanotify" };

static void
need_backend(const char *backend)
{
	if (strcmp(backend, "fanotify") == 0)
		tlib_require_root("change windows under fanotify");
}

static void
fimd_ok(struct tdaemon *d, const char *const *argv, struct tlib_run *r)
{
	tdaemon_fimdv(d, r, argv);
	if (r->status != 0)
		fail_msg("fimd %s %s: status %d: %s", argv[0],
		    argv[1] != NULL ? argv[1] : "", r->status, r->err);
}

static json_t *
fimd_json(struct tdaemon *d, const char *const *argv)
{
	struct tlib_run r;
	json_t *v;

	fimd_ok(d, argv, &r);
	v = json_loads(r.out, 0, NULL);
	if (v == NULL)
		fail_msg("not JSON: %s", r.out);
	tlib_run_release(&r);
	return v;
}

static void
open_window(struct tdaemon *d, const char *reason, const char *ttl)
{
	const char *argv[] = { "--window", "open", "--reason", reason,
		"--rule", "t", ttl != NULL ? "--ttl" : NULL, ttl, NULL };
	struct tlib_run r;

	fimd_ok(d, argv, &r);
	tlib_run_release(&r);
}

static void
change(const char *name, const char *text)
{
	assert_int_equal(tlib_sh("printf '%s' > \"$T/%s\"", text, name), 0);
}

static json_t *
wait_update(struct tdaemon *d, const char *name)
{
	char *path = tlib_fmt("%s/%s", d->t, name);
	json_t *a = tdaemon_wait(d, NULL, path, 5000);

	if (a == NULL)
		fail_msg("no alert for %s", path);
	free(path);
	return a;
}

static void
test_window(void **state)
{
	const char *backend = *state;
	const char *list[] = { "--window", "list", "--json", NULL };
	const char *close[] = { "--window", "close", NULL };
	struct tdaemon d;
	struct tlib_run r;
	json_t *a, *l;

	need_backend(backend);
	tdaemon_init(&d, "t380", backend, RULE_JSON);
	tdaemon_start(&d, NULL);
	open_window(&d, "deploy 42", "1h");
	a = tdaemon_wait(&d, "window_opened", NULL, 5000);
	assert_non_null(a);
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "fimd.window.id")), 1);
	assert_string_equal(tlib_json_str(a, "fimd.window.reason"),
	    "deploy 42");
	assert_non_null(tlib_json_str(a, "fimd.window.expires"));
	assert_true(tlib_json_has(a, "event.category", "configuration"));

	change("f", "inside\n");
	a = wait_update(&d, "f");
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "fimd.window.id")), 1);
	assert_string_equal(tlib_json_str(a, "fimd.severity"), "low");
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "event.severity")), 21);

	l = fimd_json(&d, list);
	assert_int_equal(json_array_size(json_object_get(l, "windows")), 1);
	assert_int_equal(json_integer_value(tlib_json_get(json_array_get(
	    json_object_get(l, "windows"), 0), "changes")), 1);
	json_decref(l);

	fimd_ok(&d, close, &r);
	assert_non_null(strstr(r.out, "closed window 1"));
	tlib_run_release(&r);
	a = tdaemon_wait(&d, "window_closed", NULL, 5000);
	assert_non_null(a);
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "fimd.window.changes")), 1);
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "fimd.window.by_rule.t")), 1);
	assert_string_equal(tlib_json_str(a, "fimd.window.closed"),
	    "closed");
	assert_non_null(strstr(tlib_json_str(a, "message"), "1 change"));

	/* Outside the window again: the rule's own severity, no tag. */
	change("f", "after\n");
	tdaemon_settle(&d, 500, 5000);
	a = json_array_get(d.alerts_seen, json_array_size(d.alerts_seen) - 1);
	assert_string_equal(tlib_json_str(a, "event.action"), "updated");
	assert_null(tlib_json_get(a, "fimd.window"));
	assert_string_equal(tlib_json_str(a, "fimd.severity"), "high");
	tdaemon_stop(&d);
	tdaemon_free(&d);
}

static void
test_expiry(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	json_t *a;
	size_t started;

	need_backend(backend);
	tdaemon_init(&d, "t380", backend, RULE_JSON);
	tdaemon_start(&d, NULL);
	open_window(&d, "short", "1s");
	a = tdaemon_wait(&d, "window_closed", NULL, 5000);
	assert_non_null(a);
	assert_string_equal(tlib_json_str(a, "fimd.window.closed"),
	    "expired");

	/* One that expires while the daemon is down closes at start. */
	open_window(&d, "across a stop", "2s");
	tdaemon_stop(&d);
	tlib_sleep_ms(2500);
	started = json_array_size(d.alerts_seen);
	tdaemon_start(&d, NULL);
	a = tdaemon_wait(&d, "window_closed", NULL, 5000);
	assert_non_null(a);
	assert_true(json_array_size(d.alerts_seen) > started);
	a = json_array_get(d.alerts_seen, json_array_size(d.alerts_seen) - 1);
	assert_string_equal(tlib_json_str(a, "fimd.window.reason"),
	    "across a stop");
	assert_string_equal(tlib_json_str(a, "fimd.window.closed"),
	    "expired");
	tdaemon_stop(&d);
	tdaemon_free(&d);
}

static void
test_restart_accept(void **state)
{
	const char *backend = *state;
	const char *close[] = { "--window", "close", "--accept", "--json",
		NULL };
	struct tdaemon d;
	json_t *a, *q;
	char *f = NULL;
	const char *query[] = { "--query", "--json", NULL, NULL };

	need_backend(backend);
	tdaemon_init(&d, "t380", backend, RULE_JSON);
	tdaemon_start(&d, NULL);
	open_window(&d, "upgrade", NULL);
	change("f", "one\n");
	(void)wait_update(&d, "f");
	tdaemon_stop(&d);
	tdaemon_start(&d, NULL);
	change("a", "two\n");
	a = wait_update(&d, "a");
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "fimd.window.id")), 1);

	q = fimd_json(&d, close);
	assert_int_equal(json_integer_value(json_object_get(q, "accepted")),
	    2);
	json_decref(q);
	a = tdaemon_wait(&d, "window_closed", NULL, 5000);
	assert_non_null(a);
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "fimd.window.changes")), 2);
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "fimd.window.accepted")), 2);

	f = tlib_fmt("%s/f", d.t);
	query[2] = f;
	q = fimd_json(&d, query);
	assert_string_equal(tlib_json_str(q, "accepted.reason"), "upgrade");
	assert_int_equal(json_integer_value(tlib_json_get(q,
	    "accepted.window")), 1);
	json_decref(q);
	tdaemon_stop(&d);
	/* And from the file, with no daemon. */
	q = fimd_json(&d, query);
	assert_string_equal(tlib_json_str(q, "accepted.reason"), "upgrade");
	json_decref(q);
	free(f);
	tdaemon_free(&d);
}

static void
check_history(struct tdaemon *d, const char *f, const char *old_sha)
{
	const char *query[] = { "--query", "--history", "--json", f, NULL };
	const char *human[] = { "--query", "--history", f, NULL };
	struct tlib_run r;
	json_t *q, *h;

	q = fimd_json(d, query);
	assert_string_equal(tlib_json_str(q, "accepted.reason"), "hotfix");
	assert_int_equal(json_integer_value(tlib_json_get(q, "accepted.uid")),
	    (json_int_t)geteuid());
	h = json_object_get(q, "history");
	/* history 2: the accepted state's two predecessors, no more. */
	assert_int_equal(json_array_size(h), 2);
	assert_non_null(tlib_json_str(json_array_get(h, 0), "replaced"));
	assert_string_equal(tlib_json_str(json_array_get(h, 0),
	    "hash.sha256"), old_sha);
	json_decref(q);
	fimd_ok(d, human, &r);
	assert_non_null(strstr(r.out, "accepted"));
	assert_non_null(strstr(r.out, ": hotfix"));
	assert_non_null(strstr(r.out, "earlier state 2"));
	tlib_run_release(&r);
}

static void
test_accept_history(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	struct tlib_run r;
	json_t *a;
	char *f, *sha;
	const char *accept[] = { "--accept", NULL, "--reason", "hotfix",
		NULL };

	need_backend(backend);
	tdaemon_init(&d, "t380", backend, RULE_JSON);
	tdaemon_start(&d, NULL);
	f = tlib_fmt("%s/f", d.t);
	change("f", "v2\n");
	(void)wait_update(&d, "f");
	tdaemon_settle(&d, 300, 3000);
	change("f", "v3\n");
	tdaemon_settle(&d, 500, 5000);
	/* A change the daemon has not reported yet is taken in too. */
	assert_int_equal(tlib_sh_out(&sha, "printf 'v3\\n' | sha256sum | "
	    "cut -c1-64 | tr -d '\\n'"), 0);
	change("f", "v4\n");
	accept[1] = f;
	fimd_ok(&d, accept, &r);
	assert_non_null(strstr(r.out, "accepted: "));
	tlib_run_release(&r);
	a = tdaemon_wait(&d, "accepted", f, 5000);
	assert_non_null(a);
	assert_string_equal(tlib_json_str(a, "fimd.accepted.reason"),
	    "hotfix");
	assert_string_equal(tlib_json_str(a, "fimd.source"), "control");
	assert_non_null(strstr(tlib_json_str(a, "message"), ": hotfix"));
	assert_int_equal(json_integer_value(tlib_json_get(a, "user.id")),
	    (json_int_t)geteuid());
	check_history(&d, f, sha);
	tdaemon_stop(&d);
	check_history(&d, f, sha);		/* from the file */
	tdaemon_start(&d, NULL);
	check_history(&d, f, sha);		/* from the daemon again */
	tdaemon_stop(&d);
	free(sha);
	free(f);
	tdaemon_free(&d);
}

static void
test_refusals(void **state)
{
	const char *no_reason[] = { "--window", "open", NULL };
	const char *close[] = { "--window", "close", NULL };
	const char *bad_rule[] = { "--window", "open", "--reason", "x",
		"--rule", "nosuch", NULL };
	const char *fg[] = { "--foreground", "--backend", "inotify", NULL };
	struct tdaemon d;
	struct tlib_run r;
	char *wf, *before, *after;

	(void)state;
	tdaemon_init(&d, "t380", "inotify", RULE_JSON);
	tdaemon_start(&d, NULL);
	tdaemon_fimdv(&d, &r, no_reason);
	assert_int_equal(r.status, 16);
	assert_non_null(strstr(r.err, "--reason"));
	tlib_run_release(&r);
	tdaemon_fimdv(&d, &r, close);
	assert_int_equal(r.status, 18);
	assert_non_null(strstr(r.err, "no window is open"));
	tlib_run_release(&r);
	tdaemon_fimdv(&d, &r, bad_rule);
	assert_int_equal(r.status, 18);
	assert_non_null(strstr(r.err, "no rule named nosuch"));
	tlib_run_release(&r);
	open_window(&d, "kept", NULL);
	tdaemon_stop(&d);

	/* A damaged windows file stops the start and stays as it was. */
	wf = tlib_fmt("%s.windows", d.baseline);
	assert_int_equal(tlib_sh("sed -i 's/\"next_id\":2/\"next_id\":\"2\"/' "
	    "'%s'", wf), 0);
	before = tlib_read(wf, NULL);
	tdaemon_fimdv(&d, &r, fg);
	assert_int_equal(r.status, 19);
	assert_non_null(strstr(r.err, wf));
	assert_non_null(strstr(r.err, "next_id"));
	tlib_run_release(&r);
	after = tlib_read(wf, NULL);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(wf);
	tdaemon_free(&d);
}

int
main(void)
{
	static void (*const fns[])(void **) = {
		test_window, test_expiry, test_restart_accept,
		test_accept_history,
	};
	static const char *const names[] = {
		"window", "expiry", "restart_accept", "accept_history",
	};
	struct CMUnitTest tests[9];
	char label[4][2][40];
	size_t i, b, n = 0;

	for (i = 0; i < 4; i++) {
		for (b = 0; b < 2; b++) {
			snprintf(label[i][b], sizeof(label[i][b]), "%s_%s",
			    names[i], backends[b]);
			tests[n] = (struct CMUnitTest)cmocka_unit_test(fns[i]);
			tests[n].name = label[i][b];
			tests[n].initial_state = (void *)(uintptr_t)backends[b];
			n++;
		}
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_refusals);
	return _cmocka_run_group_tests("t380_windows", tests, n, NULL, NULL);
}
