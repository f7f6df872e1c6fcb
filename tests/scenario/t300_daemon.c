/*
 * 2xx/3xx: the real-time daemon end to end, for both kernel backends
 * (inotify: 2xx, fanotify: 3xx, which needs root).  Every mutation of
 * the scan engine's table must give its alert within one second (or, for
 * changes no kernel event reports, by the next rescan); then the daemon
 * is stopped and the baseline it saved must load and match the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"
#include "mutations.h"
#include "tdaemon.h"

struct case_state {
	const struct mutation *m;
	const char *backend;
};

static void
require_backend(const char *backend, const char *what)
{
	if (strcmp(backend, "fanotify") == 0)
		tlib_require_root(what);
}

static void
assert_changed(const json_t *alert, const char *changed)
{
	char *list, *tok, *save = NULL;

	list = strdup(changed);
	for (tok = strtok_r(list, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (!tlib_json_has(alert, "fimd.changed_attributes", tok))
			fail_msg("%s not in changed_attributes", tok);
	}
	free(list);
}

/* The rescan at start-up counts as each rule's last rescan. */
static void
assert_startup_rescan_shown(struct tdaemon *d)
{
	struct tlib_run r;
	json_t *st, *rule;
	double end = tlib_now() + 10;
	bool shown = false;

	while (!shown && tlib_now() < end) {
		tdaemon_fimd(d, &r, "--status", "--json", NULL);
		st = json_loads(r.out, 0, NULL);
		assert_non_null(st);
		rule = json_array_get(json_object_get(st, "rules"), 0);
		shown = json_is_string(json_object_get(rule, "last_rescan"));
		json_decref(st);
		tlib_run_release(&r);
		if (!shown)
			tlib_sleep_ms(100);
	}
	if (!shown)
		fail_msg("--status says no rescan after the one at start-up");
}

/* After the daemon stopped, a one-shot check agrees with its baseline. */
static void
assert_baseline_current(struct tdaemon *d)
{
	struct tlib_run r;

	tdaemon_fimd(d, &r, "--check", "--json", NULL);
	if (r.status != 0)
		fail_msg("baseline left by the daemon differs (exit %d):\n%s%s",
		    r.status, r.out, r.err);
	tlib_run_release(&r);
}

static void
test_mutation(void **state)
{
	const struct case_state *cs = *state;
	const struct mutation *m = cs->m;
	struct tdaemon d;
	json_t *alert;
	char *extra, *path;
	size_t n;

	require_backend(cs->backend, m->name);
	if (m->needs_root)
		tlib_require_root(m->name);
	extra = tlib_fmt(",\"attributes\":%s%s", m->attributes,
	    m->no_event ? ",\"rescan\":\"2s\"" : "");
	tdaemon_init(&d, "t300", cs->backend, extra);
	free(extra);
	if (m->setup != NULL)
		assert_int_equal(tlib_sh("cd \"$T\" && %s", m->setup), 0);
	tdaemon_start(&d, NULL);
	assert_int_equal(tlib_sh("cd \"$T\" && %s", m->mutate), 0);
	path = tlib_fmt("%s/%s", d.t, m->path);
	alert = tdaemon_wait(&d, m->action, path, m->no_event ? 6000 : 1000);
	if (alert == NULL)
		fail_msg("%s/%s: no %s alert for %s within %s; got:\n%s",
		    cs->backend, m->name, m->action, m->path,
		    m->no_event ? "the rescan" : "1 s",
		    json_dumps(d.alerts_seen, JSON_INDENT(1)));
	assert_changed(alert, m->changed);
	assert_string_equal(tlib_json_str(alert, "fimd.source"),
	    m->no_event ? "rescan" : "realtime");
	assert_string_equal(tlib_json_str(alert, "fimd.backend"),
	    cs->backend);
	tdaemon_settle(&d, 400, 3000);
	n = json_array_size(d.alerts_seen);
	if (n < m->nalerts || n > m->nalerts + 1)
		fail_msg("%s/%s: %zu alerts, want %u:\n%s", cs->backend,
		    m->name, n, m->nalerts,
		    json_dumps(d.alerts_seen, JSON_INDENT(1)));
	if (strcmp(m->action, "moved") == 0) {
		assert_int_equal(n, 1);
		assert_non_null(tlib_json_str(alert, "fimd.previous.path"));
	}
	tdaemon_stop(&d);
	assert_baseline_current(&d);
	free(path);
	tdaemon_free(&d);
}

/* 1,000 writes to one file give one or a few alerts, not a thousand. */
static void
test_burst(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	size_t n;

	require_backend(backend, "burst");
	tdaemon_init(&d, "t300b", backend, NULL);
	tdaemon_start(&d, NULL);
	assert_int_equal(tlib_sh("cd \"$T\" && python3 -c '\n"
	    "f = open(\"f\", \"a\")\n"
	    "for i in range(1000):\n"
	    "    f.write(\"x\" * 100); f.flush()\n"
	    "f.close()'"), 0);
	assert_int_equal(tlib_sh("cd \"$T\" && for i in $(seq 1000); do "
	    "echo $i >> a; done"), 0);
	assert_non_null(tdaemon_wait(&d, "updated", NULL, 3000));
	tdaemon_settle(&d, 600, 5000);
	n = json_array_size(d.alerts_seen);
	printf("burst (%s): 2 x 1,000 writes gave %zu alerts\n", backend, n);
	assert_true(n >= 2 && n <= 6);
	tdaemon_stop(&d);
	assert_baseline_current(&d);
	tdaemon_free(&d);
}

/* The alert file inside the watched tree: no feedback loop. */
static void
test_alerts_inside_tree(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	size_t n;

	require_backend(backend, "alert file inside the tree");
	tdaemon_init(&d, "t300i", backend, NULL);
	free(d.alerts);
	d.alerts = tlib_fmt("%s/alerts.json", d.t);
	tdaemon_start(&d, NULL);
	assert_int_equal(tlib_sh("cd \"$T\" && for i in $(seq 20); do "
	    "echo $i > n$i; sleep 0.02; done"), 0);
	tdaemon_settle(&d, 700, 5000);
	n = json_array_size(d.alerts_seen);
	printf("alert file inside the tree (%s): 20 changes, %zu alerts\n",
	    backend, n);
	assert_true(n >= 20 && n <= 22);
	assert_null(tlib_find_alert(d.alerts_seen, NULL, d.alerts));
	tdaemon_stop(&d);
	assert_baseline_current(&d);
	tdaemon_free(&d);
}

/*
 * sh -c 'echo x >> FILE' names the writer.  Then 1,000 one-shot writers
 * on 1,000 files: count how many are named, and check that no alert
 * ever names another process than the one that wrote.
 */
static void
test_attribution(void **state)
{
	struct tdaemon d;
	struct tlib_run run;
	json_t *a, *st;
	char *path, *pids, *p, *end;
	size_t named = 0, alerts = 0, i;
	long pid;

	(void)state;
	tlib_require_root("fanotify attribution");
	tdaemon_init(&d, "t300a", "fanotify", NULL);
	assert_int_equal(tlib_sh("cd \"$T\" && mkdir w && for i in "
	    "$(seq 0 999); do : > w/f$i; done"), 0);
	tdaemon_start(&d, NULL);
	assert_int_equal(tlib_sh("cd \"$T\" && sh -c 'echo x >> f'"), 0);
	path = tlib_fmt("%s/f", d.t);
	a = tdaemon_wait(&d, "updated", path, 1000);
	assert_non_null(a);
	free(path);
	assert_non_null(tlib_json_get(a, "process.pid"));
	if (tlib_json_str(a, "process.name") != NULL)
		assert_true(strcmp(tlib_json_str(a, "process.name"), "sh") == 0 ||
		    strcmp(tlib_json_str(a, "process.name"), "dash") == 0);
	if (tlib_json_str(a, "process.executable") != NULL)
		assert_string_equal(tlib_json_str(a, "process.executable"),
		    "/usr/bin/dash");
	/* One writer per file; the spawner records each writer's pid. */
	assert_int_equal(tlib_sh_out(&pids, "cd \"$T\" && python3 -c '\n"
	    "import subprocess\n"
	    "for i in range(1000):\n"
	    "    p = subprocess.Popen([\"sh\", \"-c\", \"echo x >> w/f%%d\" %% i])\n"
	    "    p.wait()\n"
	    "    print(i, p.pid)'"), 0);
	tdaemon_settle(&d, 1000, 20000);
	for (p = pids; *p != '\0'; p = end) {
		long file = strtol(p, &end, 10);

		pid = strtol(end, &end, 10);
		while (*end == '\n')
			end++;
		path = tlib_fmt("%s/w/f%ld", d.t, file);
		for (i = 0; i < json_array_size(d.alerts_seen); i++) {
			a = json_array_get(d.alerts_seen, i);
			if (strcmp(tlib_json_str(a, "file.path") != NULL ?
			    tlib_json_str(a, "file.path") : "", path) != 0)
				continue;
			alerts++;
			if (json_integer_value(tlib_json_get(a, "process.pid")) !=
			    pid)
				fail_msg("%s written by %ld, alert names pid %lld",
				    path, pid, (long long)json_integer_value(
				    tlib_json_get(a, "process.pid")));
			if (tlib_json_str(a, "process.name") == NULL)
				continue;
			named++;
			if (strcmp(tlib_json_str(a, "process.name"), "sh") != 0 &&
			    strcmp(tlib_json_str(a, "process.name"), "dash") != 0)
				fail_msg("%s: named %s", path,
				    tlib_json_str(a, "process.name"));
		}
		free(path);
	}
	free(pids);
	printf("attribution: %zu alerts for 1,000 one-shot writers, %zu named "
	    "(%.1f%%), none wrong\n", alerts, named,
	    alerts > 0 ? 100.0 * (double)named / (double)alerts : 0.0);
	assert_true(alerts >= 1000);
	/*
	 * How they were named: "proven" from /proc behind a live pidfd (all
	 * that is possible without the process connector), "cached" from
	 * the connector's lifetime history of writers already reaped.
	 */
	tdaemon_fimd(&d, &run, "--status", "--json", NULL);
	assert_int_equal(run.status, 0);
	st = json_loads(run.out, 0, NULL);
	assert_non_null(st);
	printf("attribution: by source: %lld proven from /proc with a live "
	    "pidfd, %lld from the process connector's history, %lld "
	    "unnamed\n",
	    (long long)json_integer_value(tlib_json_get(st,
	    "attribution.proven")),
	    (long long)json_integer_value(tlib_json_get(st,
	    "attribution.cached")),
	    (long long)json_integer_value(tlib_json_get(st,
	    "attribution.unnamed")));
	json_decref(st);
	tlib_run_release(&run);
	tdaemon_stop(&d);
	tdaemon_free(&d);
}

/*
 * A storm: 100,000 modifications across 10,000 files as fast as a C loop
 * makes them.  Every file must be reported (in real time, or by the
 * rescan after a gap), and the daemon must survive.
 */
static void
test_storm(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	char *path, buf[32];
	unsigned char *seen;
	double t0;
	size_t i, missing = 0;
	int fd, k, round, len;
	const char *fp;

	require_backend(backend, "storm");
	tdaemon_init(&d, "t300s", backend, NULL);
	assert_int_equal(tlib_sh("cd \"$T\" && for i in $(seq 0 99); do "
	    "mkdir s$i; done && python3 -c '\n"
	    "for i in range(10000):\n"
	    "    open(\"s%%d/f%%d\" %% (i %% 100, i), \"w\").write(\"0\")'"), 0);
	tdaemon_start(&d, NULL);
	t0 = tlib_now();
	for (round = 1; round <= 10; round++) {
		for (k = 0; k < 10000; k++) {
			snprintf(buf, sizeof(buf), "s%d/f%d", k % 100, k);
			path = tlib_fmt("%s/%s", d.t, buf);
			fd = open(path, O_WRONLY | O_TRUNC);
			assert_true(fd >= 0);
			len = snprintf(buf, sizeof(buf), "%d", round);
			assert_int_equal(write(fd, buf, (size_t)len), len);
			close(fd);
			free(path);
		}
	}
	printf("storm (%s): 100,000 modifications made in %.2f s\n", backend,
	    tlib_now() - t0);
	tdaemon_settle(&d, 2000, 120000);
	printf("storm (%s): drained, %zu alerts, %.2f s after the first "
	    "write\n", backend, json_array_size(d.alerts_seen),
	    tlib_now() - t0);
	seen = calloc(10000, 1);
	for (i = 0; i < json_array_size(d.alerts_seen); i++) {
		fp = tlib_json_str(json_array_get(d.alerts_seen, i), "file.path");
		if (fp != NULL && (fp = strrchr(fp, '/')) != NULL &&
		    fp[1] == 'f' && (k = atoi(fp + 2)) >= 0 && k < 10000)
			seen[k] = 1;
	}
	for (k = 0; k < 10000; k++)
		missing += !seen[k];
	free(seen);
	if (missing > 0)
		fail_msg("storm (%s): %zu of 10,000 modified files never "
		    "reported", backend, missing);
	tdaemon_stop(&d);
	assert_baseline_current(&d);
	tdaemon_free(&d);
}

/* --backend none: a rescan finds the change within its interval. */
static void
test_rescan_only(void **state)
{
	struct tdaemon d;
	char *path;

	(void)state;
	tdaemon_init(&d, "t300n", "none", ",\"rescan\":\"1s\"");
	tdaemon_start(&d, NULL);
	assert_int_equal(tlib_sh("cd \"$T\" && echo more >> f"), 0);
	path = tlib_fmt("%s/f", d.t);
	assert_non_null(tdaemon_wait(&d, "updated", path, 3000));
	assert_string_equal(tlib_json_str(json_array_get(d.alerts_seen, 0),
	    "fimd.source"), "rescan");
	free(path);
	tdaemon_stop(&d);
	tdaemon_free(&d);
}

/*
 * rm -rf of a tree of 1,141 entries (20 directories of 50 files, each
 * with a subdirectory of 5): every entry is one deleted alert, none
 * twice, and the saved baseline agrees with a fresh --check.
 */
static void
test_rm_rf_tree(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	struct tlib_run r;
	json_t *a, *seen;
	const char *path;
	size_t i, n = 0, want = 1 + 20 * (1 + 50 + 1 + 5);
	char *top;

	require_backend(backend, "rm -rf of a tree");
	tdaemon_init(&d, "t300rm", backend, NULL);
	assert_int_equal(tlib_sh("cd \"$T\" && mkdir big && cd big && "
	    "for i in $(seq 20); do mkdir -p d$i/s && for j in $(seq 50); "
	    "do echo $j > d$i/f$j; done && for j in $(seq 5); do "
	    "echo $j > d$i/s/g$j; done; done"), 0);
	tdaemon_start(&d, NULL);
	tdaemon_settle(&d, 500, 5000);
	json_array_clear(d.alerts_seen);
	assert_int_equal(tlib_sh("rm -rf \"$T/big\""), 0);
	top = tlib_fmt("%s/big", d.t);
	assert_non_null(tdaemon_wait(&d, "deleted", top, 20000));
	tdaemon_settle(&d, 1000, 10000);
	seen = json_object();
	json_array_foreach(d.alerts_seen, i, a) {
		path = tlib_json_str(a, "file.path");
		assert_string_equal(tlib_json_str(a, "event.action"),
		    "deleted");
		if (json_object_get(seen, path) != NULL)
			fail_msg("%s reported twice", path);
		json_object_set_new(seen, path, json_true());
		n++;
	}
	json_decref(seen);
	assert_int_equal(n, want);
	tdaemon_stop(&d);
	tdaemon_fimd(&d, &r, "--check", NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	free(top);
	tdaemon_free(&d);
}

/* A change made while the daemon was stopped is reported at start. */
static void
test_change_while_down(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	char *path;
	json_t *a;

	require_backend(backend, "change while down");
	tdaemon_init(&d, "t300w", backend, NULL);
	tdaemon_start(&d, NULL);
	tdaemon_stop(&d);
	assert_int_equal(tlib_sh("cd \"$T\" && echo more >> f && rm a"), 0);
	tdaemon_start(&d, NULL);
	path = tlib_fmt("%s/f", d.t);
	a = tdaemon_wait(&d, "updated", path, 3000);
	assert_non_null(a);
	assert_string_equal(tlib_json_str(a, "fimd.source"), "rescan");
	free(path);
	path = tlib_fmt("%s/a", d.t);
	assert_non_null(tdaemon_wait(&d, "deleted", path, 3000));
	free(path);
	tdaemon_stop(&d);
	tdaemon_free(&d);
}

/*
 * Rotation: rename the alert file, SIGHUP, keep writing: every change is
 * in exactly one of the two files and fimd.seq has no gap.
 */
static void
test_rotation(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	json_t *lines;
	char *old, *text;
	size_t len, i, total;
	json_int_t seq, prev = 0;

	require_backend(backend, "rotation");
	tdaemon_init(&d, "t300r", backend, NULL);
	tdaemon_start(&d, NULL);
	old = tlib_fmt("%s.1", d.alerts);
	assert_int_equal(tlib_sh("cd \"$T\" && for i in $(seq 30); do "
	    "echo $i > r$i; sleep 0.01; if [ $i = 15 ]; then mv '%s' '%s'; "
	    "kill -HUP %d; fi; done", d.alerts, old, (int)d.pid), 0);
	tlib_sleep_ms(1500);
	tdaemon_stop(&d);
	text = tlib_read(old, &len);
	assert_non_null(text);
	lines = tlib_json_lines(text, len);
	free(text);
	text = tlib_read(d.alerts, &len);
	assert_non_null(text);
	{
		json_t *more = tlib_json_lines(text, len);

		json_array_extend(lines, more);
		json_decref(more);
	}
	free(text);
	total = tlib_count_alerts(lines, "created", NULL);
	printf("rotation (%s): %zu created alerts over two files\n", backend,
	    total);
	assert_int_equal(total, 30);
	for (i = 0; i < json_array_size(lines); i++) {
		seq = json_integer_value(tlib_json_get(json_array_get(lines, i),
		    "fimd.seq"));
		if (i > 0 && seq != prev + 1)
			fail_msg("fimd.seq jumps from %lld to %lld",
			    (long long)prev, (long long)seq);
		prev = seq;
	}
	json_decref(lines);
	free(old);
	tdaemon_free(&d);
}

/* The control socket: status, query, accept, rescan, reopen, tail. */
static void
test_control(void **state)
{
	const char *backend = *state;
	struct tlib_run r;
	struct tdaemon d;
	json_t *st;
	char *path, *want;

	require_backend(backend, "control socket");
	tdaemon_init(&d, "t300c", backend, NULL);
	tdaemon_start(&d, NULL);
	tdaemon_fimd(&d, &r, "--status", "--json", NULL);
	assert_int_equal(r.status, 0);
	st = json_loads(r.out, 0, NULL);
	assert_non_null(st);
	assert_string_equal(json_string_value(json_object_get(st, "backend")),
	    backend);
	assert_true(json_integer_value(json_object_get(st, "files")) >= 4);
	/* Alerts not written (each replaced by a gap): none here. */
	assert_true(json_is_integer(json_object_get(st, "unwritten")));
	assert_int_equal(json_integer_value(json_object_get(st, "unwritten")),
	    0);
	json_decref(st);
	tlib_run_release(&r);
	assert_startup_rescan_shown(&d);

	path = tlib_fmt("%s/f", d.t);
	tdaemon_fimd(&d, &r, "--query", path, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "sha256"));
	tlib_run_release(&r);

	/* accept: the daemon takes the file's state, persisted at once */
	assert_int_equal(kill(d.pid, SIGSTOP), 0);
	assert_int_equal(tlib_sh("echo changed > '%s'", path), 0);
	assert_int_equal(kill(d.pid, SIGCONT), 0);
	assert_non_null(tdaemon_wait(&d, "updated", path, 2000));
	assert_int_equal(tlib_sh("echo accepted > '%s'", path), 0);
	tdaemon_fimd(&d, &r, "--accept", path, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	tdaemon_fimd(&d, &r, "--check", "--json", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);

	tdaemon_fimd(&d, &r, "--rescan", NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	tdaemon_fimd(&d, &r, "--reopen", NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	tdaemon_fimd(&d, &r, "--tail", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"updated\""));
	tlib_run_release(&r);
	/* Humans read local time with its offset, or UTC when asked. */
	assert_int_equal(setenv("TZ", "XYZ-2", 1), 0);
	tdaemon_fimd(&d, &r, "--tail", NULL, NULL);
	assert_int_equal(r.status, 0);
	if (strstr(r.out, " +0200 ") == NULL ||
	    strstr(r.out, " updated ") == NULL)
		fail_msg("--tail, TZ XYZ-2:\n%s", r.out);
	tlib_run_release(&r);
	tdaemon_fimd(&d, &r, "--tail", "--utc", NULL);
	unsetenv("TZ");
	assert_int_equal(r.status, 0);
	if (strstr(r.out, " UTC ") == NULL ||
	    strstr(r.out, " updated ") == NULL)
		fail_msg("--tail --utc:\n%s", r.out);
	tlib_run_release(&r);
	/* --explain names the backend the daemon runs, not a guess. */
	tdaemon_fimd(&d, &r, "--explain", path, NULL);
	assert_int_equal(r.status, 0);
	want = tlib_fmt("watched: by the %s backend (of the running daemon, "
	    "pid %ld)", backend, (long)d.pid);
	if (strstr(r.out, want) == NULL)
		fail_msg("--explain: no \"%s\" in:\n%s", want, r.out);
	free(want);
	tlib_run_release(&r);
	free(path);
	tdaemon_stop(&d);
	tdaemon_free(&d);
}


/*
 * Output paths: a symlink or a FIFO at the alert path is refused at
 * start with a message naming the path, without a hang; one swapped in
 * before --reopen is refused while the daemon keeps writing the file it
 * had, and still stops at once on SIGTERM.
 */
static void
test_output_paths(void **state)
{
	const char *kinds[] = { "ln -s \"$W/elsewhere\"", "mkfifo" };
	struct tdaemon d;
	struct tlib_run r;
	const char *args[20];
	char *rotated, *got;
	double t0;
	int n, k;

	(void)state;
	alarm(120);	/* a hang fails the test instead of stalling it */
	tdaemon_init(&d, "t300o", "inotify", NULL);
	assert_int_equal(tlib_sh("mkdir -p \"$(dirname '%s')\"", d.alerts), 0);
	for (k = 0; k < 2; k++) {
		assert_int_equal(tlib_sh("rm -f '%s' && %s '%s'", d.alerts,
		    kinds[k], d.alerts), 0);
		n = 0;
		args[n++] = "--foreground";
		args[n++] = "-c";
		args[n++] = d.conf;
		args[n++] = "-r";
		args[n++] = d.rules;
		args[n++] = "-b";
		args[n++] = d.baseline;
		args[n++] = "-a";
		args[n++] = d.alerts;
		args[n++] = "-s";
		args[n++] = d.sock;
		args[n++] = "--backend";
		args[n++] = "inotify";
		args[n] = NULL;
		t0 = tlib_now();
		tlib_run_fimd(&r, 20, args);
		assert_false(r.timed_out);
		assert_true(tlib_now() - t0 < 10);
		assert_int_not_equal(r.status, 0);
		if (strstr(r.err, d.alerts) == NULL ||
		    (strstr(r.err, "symbolic link") == NULL &&
		    strstr(r.err, "not a regular file") == NULL))
			fail_msg("start with a %s at the alert path: %s",
			    kinds[k], r.err);
		tlib_run_release(&r);
		got = tlib_fmt("%s/elsewhere", d.w);
		assert_int_equal(access(got, F_OK), -1);
		free(got);
	}
	assert_int_equal(tlib_sh("rm -f '%s'", d.alerts), 0);
	tdaemon_start(&d, NULL);
	rotated = tlib_fmt("%s.1", d.alerts);
	assert_int_equal(rename(d.alerts, rotated), 0);
	assert_int_equal(mkfifo(d.alerts, 0600), 0);
	tdaemon_fimd(&d, &r, "--reopen", NULL, NULL);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("echo changed >> \"$T/f\""), 0);
	tlib_sleep_ms(1500);
	got = tlib_read(rotated, NULL);
	if (got == NULL || strstr(got, "\"updated\"") == NULL)
		fail_msg("after a refused reopen the old file got: %s", got);
	free(got);
	t0 = tlib_now();
	tdaemon_stop(&d);
	assert_true(tlib_now() - t0 < 2.0);
	got = tlib_read(d.log, NULL);
	assert_non_null(strstr(got, "not a regular file"));
	free(got);
	free(rotated);
	tdaemon_free(&d);
	alarm(0);
}

/*
 * A real full filesystem under the alert file (a 512 KiB tmpfs, filled):
 * 50 changes give no line while it is full, --status counts them (and
 * the started record) as waiting, and once space returns all 50 are
 * written, in order, with no hole in seq.
 */
static void
test_full_disk(void **state)
{
	struct tdaemon d;
	struct tlib_run r;
	char *logdir, *text;
	json_t *lines, *o;
	long long seq, prev = 0;
	size_t i, created = 0;

	(void)state;
	tlib_require_root("mounting a small tmpfs");
	tdaemon_init(&d, "t300n", "inotify", NULL);
	logdir = tlib_fmt("%s/log", d.w);
	assert_int_equal(tlib_sh("mkdir -p '%s' && mount -t tmpfs -o "
	    "size=512k,mode=0750 fimd-test '%s'", logdir, logdir), 0);
	/*
	 * Full before the daemon starts: tmpfs gives whole pages, and the
	 * page of a started record written first would hold a few alerts.
	 */
	assert_int_equal(tlib_sh("dd if=/dev/zero of='%s/fill' bs=4k "
	    "2>/dev/null; true", logdir), 0);
	tdaemon_start(&d, NULL);
	assert_int_equal(tlib_sh("for i in $(seq 50); do echo $i > "
	    "\"$T/n$i\"; done"), 0);
	tlib_sleep_ms(1500);
	tdaemon_poll(&d);
	assert_null(tdaemon_wait(&d, "created", NULL, 10));
	tdaemon_fimd(&d, &r, "--status", "--json", NULL);
	assert_int_equal(r.status, 0);
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	/* The 50 alerts and the started record before them. */
	assert_int_equal(json_integer_value(json_object_get(o, "spooled")),
	    51);
	assert_true(json_integer_value(json_object_get(o, "sink_errors")) > 0);
	json_decref(o);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("rm -f '%s/fill'", logdir), 0);
	tlib_sleep_ms(2500);
	tdaemon_stop(&d);
	text = tlib_read(d.alerts, NULL);
	assert_non_null(text);
	lines = tlib_json_lines(text, strlen(text));
	json_array_foreach(lines, i, o) {
		seq = json_integer_value(tlib_json_get(o, "fimd.seq"));
		if (prev != 0 && seq != prev + 1)
			fail_msg("seq %lld after %lld:\n%s", seq, prev, text);
		prev = seq;
		if (strcmp(tlib_json_str(o, "event.action"), "created") == 0)
			created++;
	}
	assert_int_equal(created, 50);
	json_decref(lines);
	free(text);
	assert_int_equal(tlib_sh("umount '%s'", logdir), 0);
	free(logdir);
	tdaemon_free(&d);
}

/* Control requests with members of the wrong type are refused, by name. */
static void
test_control_types(void **state)
{
	static const char *const reqs[] = {
		"{\"verb\":\"query\",\"paths\":\"x\"}",
		"{\"verb\":\"accept\",\"paths\":[1]}",
		"{\"verb\":\"query\",\"paths_escaped\":{}}",
		"{\"verb\":\"rescan\",\"rule\":[\"t\"]}",
	};
	struct tdaemon d;
	char *out;
	size_t i;

	(void)state;
	tdaemon_init(&d, "t300c", "inotify", NULL);
	tdaemon_start(&d, NULL);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		assert_int_equal(tlib_sh_out(&out, "python3 -c 'import socket,"
		    "sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]"
		    "); s.sendall(sys.argv[2].encode()); s.shutdown(1); "
		    "print(s.recv(65536).decode())' '%s' '%s'", d.sock,
		    reqs[i]), 0);
		if (strstr(out, "\"ok\":false") == NULL ||
		    strstr(out, "must be") == NULL)
			fail_msg("%s was not refused: %s", reqs[i], out);
		free(out);
	}
	tdaemon_free(&d);
}

static const char *const backends[] = { "inotify", "fanotify" };

int
main(void)
{
	/* Static: the names stay reachable to the end (LeakSanitizer). */
	static struct CMUnitTest *tests;
	static struct case_state *cs;
	unsigned i, b, n = 0;
	int r;

	tests = calloc(2 * mutations_count + 32, sizeof(*tests));
	cs = calloc(2 * mutations_count, sizeof(*cs));
	for (b = 0; b < 2; b++) {
		for (i = 0; i < mutations_count; i++) {
			cs[n].m = &mutations[i];
			cs[n].backend = backends[b];
			tests[n].name = tlib_fmt("%s-%s", backends[b],
			    mutations[i].name);
			tests[n].test_func = test_mutation;
			tests[n].initial_state = &cs[n];
			n++;
		}
	}
#define ADD(f, st) do {							\
	tests[n] = (struct CMUnitTest)cmocka_unit_test(f);		\
	tests[n].name = tlib_fmt("%s-%s", #f, (st) != NULL ? (st) : ""); \
	tests[n++].initial_state = (void *)(uintptr_t)(st);		\
} while (0)
	for (b = 0; b < 2; b++) {
		ADD(test_burst, backends[b]);
		ADD(test_alerts_inside_tree, backends[b]);
		ADD(test_storm, backends[b]);
		ADD(test_change_while_down, backends[b]);
		ADD(test_rm_rf_tree, backends[b]);
		ADD(test_rotation, backends[b]);
		ADD(test_control, backends[b]);
	}
	ADD(test_attribution, NULL);
	ADD(test_rescan_only, NULL);
	ADD(test_output_paths, NULL);
	ADD(test_full_disk, NULL);
	ADD(test_control_types, NULL);
	r = _cmocka_run_group_tests("t300_daemon", tests, n, NULL, NULL);
	for (i = 0; i < n; i++)
		free((void *)(uintptr_t)tests[i].name);
	free(tests);
	free(cs);
	return r;
}
