/*
 * 1xx: the one-shot modes end to end.  Each case builds a fresh tree in
 * a temporary directory, runs the real fimd binary (--init, a change,
 * --check --json, --update, --check again) and asserts the exit status,
 * the alert lines and the baseline on disk.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"
#include "mutations.h"

struct tree {
	char	*w;		/* scratch directory */
	char	*t;		/* the watched tree, w/tree */
	char	*rules;		/* w/rules.json */
	char	*conf;		/* w/fimd.json */
	char	*baseline;	/* w/baseline.json */
};

static void
tree_new(struct tree *tr, const char *tag, const char *rule_extra)
{
	char *json;

	tr->w = tlib_mkdtemp(tag);
	tr->t = tlib_fmt("%s/tree", tr->w);
	tr->rules = tlib_fmt("%s/rules.json", tr->w);
	tr->conf = tlib_fmt("%s/fimd.json", tr->w);
	tr->baseline = tlib_fmt("%s/baseline.json", tr->w);
	assert_int_equal(mkdir(tr->t, 0755), 0);
	assert_int_equal(tlib_sh("cd '%s' && printf 'hello\\n' > f && "
	    "printf 'aaa\\n' > a && printf 'bbbbbb\\n' > b && mkdir d",
	    tr->t), 0);
	json = tlib_fmt("{\"rules\":[{\"name\":\"t\",\"paths\":[\"%s\"],"
	    "\"severity\":\"high\"%s}]}", tr->t, rule_extra);
	tlib_write(tr->rules, json, (size_t)-1);
	free(json);
	tlib_write(tr->conf, "{}\n", (size_t)-1);
	setenv("T", tr->t, 1);
	setenv("W", tr->w, 1);
}

static void
tree_free(struct tree *tr)
{
	tlib_rmrf(tr->w);
	free(tr->w);
	free(tr->t);
	free(tr->rules);
	free(tr->conf);
	free(tr->baseline);
}

/* Run fimd MODE with the tree's files, plus extra arguments. */
static void
run(struct tlib_run *r, const struct tree *tr, const char *mode,
    const char *extra1, const char *extra2)
{
	const char *args[12];
	int n = 0;

	args[n++] = mode;
	args[n++] = "-c";
	args[n++] = tr->conf;
	args[n++] = "-r";
	args[n++] = tr->rules;
	args[n++] = "-b";
	args[n++] = tr->baseline;
	if (extra1 != NULL)
		args[n++] = extra1;
	if (extra2 != NULL)
		args[n++] = extra2;
	args[n] = NULL;
	tlib_run_fimd(r, 120, args);
	assert_false(r->timed_out);
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

static void
test_mutation(void **state)
{
	const struct mutation *m = *state;
	struct tlib_run r;
	struct tree tr;
	json_t *lines, *alert;
	char *path, *extra;

	if (m->needs_root)
		tlib_require_root(m->name);
	extra = tlib_fmt(",\"attributes\":%s", m->attributes);
	tree_new(&tr, "t100", extra);
	free(extra);
	if (m->setup != NULL)
		assert_int_equal(tlib_sh("cd \"$T\" && %s", m->setup), 0);
	run(&r, &tr, "--init", "-q", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);

	assert_int_equal(tlib_sh("cd \"$T\" && %s", m->mutate), 0);
	run(&r, &tr, "--check", "--json", NULL);
	if (r.status != m->exit_bits)
		fail_msg("%s: exit %d, want %d; stdout:\n%s\nstderr:\n%s",
		    m->name, r.status, m->exit_bits, r.out, r.err);
	lines = tlib_json_lines(r.out, r.outlen);
	path = tlib_fmt("%s/%s", tr.t, m->path);
	alert = tlib_find_alert(lines, m->action, path);
	if (alert == NULL)
		fail_msg("%s: no %s alert for %s in:\n%s", m->name, m->action,
		    path, r.out);
	assert_changed(alert, m->changed);
	assert_string_equal(tlib_json_str(alert, "fimd.source"), "check");
	assert_string_equal(tlib_json_str(alert, "rule.name"), "t");
	if (json_array_size(lines) != m->nalerts)
		fail_msg("%s: %zu alerts, want %u:\n%s", m->name,
		    json_array_size(lines), m->nalerts, r.out);
	if (strcmp(m->action, "moved") == 0)
		assert_non_null(tlib_json_str(alert, "fimd.previous.path"));
	json_decref(lines);
	tlib_run_release(&r);

	run(&r, &tr, "--update", "-q", NULL);
	assert_int_equal(r.status, m->exit_bits);
	tlib_run_release(&r);
	run(&r, &tr, "--check", "--json", NULL);
	if (r.status != 0 || r.outlen != 0)
		fail_msg("%s: after --update, check gave %d:\n%s%s", m->name,
		    r.status, r.out, r.err);
	tlib_run_release(&r);
	free(path);
	tree_free(&tr);
}

/* The invalid UTF-8 name keeps its exact bytes in fimd.path_escaped. */
static void
test_invalid_utf8_escaped(void **state)
{
	struct tlib_run r;
	struct tree tr;
	json_t *lines, *alert;
	char *want;

	(void)state;
	tree_new(&tr, "t100u", "");
	run(&r, &tr, "--init", "-q", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("cd \"$T\" && echo > \"$(printf 'x\\376\\ny')\""),
	    0);
	run(&r, &tr, "--check", "--json", NULL);
	assert_int_equal(r.status, 1);
	lines = tlib_json_lines(r.out, r.outlen);
	alert = tlib_find_alert(lines, "created", NULL);
	assert_non_null(alert);
	want = tlib_fmt("%s/x\\xfe\ny", tr.t);
	assert_string_equal(tlib_json_str(alert, "fimd.path_escaped"), want);
	assert_string_equal(tlib_json_str(alert, "fimd.path_encoding"),
	    "escaped");
	free(want);
	json_decref(lines);
	tlib_run_release(&r);
	tree_free(&tr);
}

/* --check without --json: one human line per change and a summary. */
static void
test_human_report(void **state)
{
	struct tlib_run r;
	struct tree tr;

	(void)state;
	tree_new(&tr, "t100h", "");
	run(&r, &tr, "--init", "-q", NULL);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("cd \"$T\" && echo more >> f && rm a && "
	    "echo n > n"), 0);
	run(&r, &tr, "--check", NULL, NULL);
	assert_int_equal(r.status, 1 | 2 | 4);
	assert_non_null(strstr(r.out, "updated"));
	assert_non_null(strstr(r.out, "deleted"));
	assert_non_null(strstr(r.out, "created"));
	assert_non_null(strstr(r.out, "1 added, 1 removed, 1 changed, 0 moved"));
	tlib_run_release(&r);
	tree_free(&tr);
}

/*
 * --check PATH... looks only at those paths and below (AIDE's --limit):
 * changes elsewhere are neither reported nor counted, a deletion inside
 * is, and --update PATH takes only what is there, so a full --check
 * still reports the rest.  Nested and relative operands are one scope.
 */
static void
test_check_limit(void **state)
{
	struct tlib_run r;
	struct tree tr;

	(void)state;
	tree_new(&tr, "t100l", ",\"attributes\":[\"ALL\"]");
	assert_int_equal(tlib_sh("cd \"$T\" && mkdir e && echo 1 > d/x && "
	    "echo 1 > d/y && echo 1 > e/z"), 0);
	run(&r, &tr, "--init", "-q", NULL);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("cd \"$T\" && echo 2 > d/x && rm d/y && "
	    "echo 2 > e/z && echo 2 >> f && echo n > e/new"), 0);
	run(&r, &tr, "--check", tlib_fmt("%s/d", tr.t), tlib_fmt("%s/d/x",
	    tr.t));
	assert_int_equal(r.status, 2 | 4);
	assert_non_null(strstr(r.out, "/d/x"));
	assert_non_null(strstr(r.out, "deleted"));
	assert_null(strstr(r.out, "/e/"));
	assert_null(strstr(r.out, "/f "));
	assert_non_null(strstr(r.out, "0 added, 1 removed, 1 changed"));
	tlib_run_release(&r);
	/* Relative to the working directory, and --update of one scope. */
	assert_int_equal(chdir(tr.t), 0);
	run(&r, &tr, "--update", "-q", "e");
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(r.status, 1 | 4);
	tlib_run_release(&r);
	run(&r, &tr, "--check", "--json", NULL);
	assert_int_equal(r.status, 2 | 4);
	assert_non_null(strstr(r.out, "/d/x\""));
	assert_non_null(strstr(r.out, "/d/y\""));
	assert_non_null(strstr(r.out, "/f\""));
	assert_null(strstr(r.out, "/e/"));
	tlib_run_release(&r);
	tree_free(&tr);
}

/* Whether text[0..len) holds any of the raw terminal controls. */
static const char *
raw_control(const char *text, size_t len)
{
	static const char *const raw[] = {
		"\xc2\x9b", "\xe2\x80\xae", "\x9b", "\x1b",
	};
	size_t i;

	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		if (memmem(text, len, raw[i], strlen(raw[i])) != NULL)
			return raw[i];
	}
	return NULL;
}

/*
 * File names with a C1 CSI (as UTF-8 and as a raw byte) and a
 * right-to-left override: --check's human lines, the message of the
 * alert lines, and --tail reading those lines back show them as \xHH,
 * never the raw bytes a terminal would obey.  (The human lines show
 * file.path, where the byte that is not UTF-8 is already U+FFFD.)
 */
static void
test_terminal_controls(void **state)
{
	static const char *const want[] = {
		"x\\xc2\\x9b2J\\xe2\\x80\\xaefdp.exe", "y\xef\xbf\xbd" "2J",
	};
	static const char *const want_msg[] = { want[0], "y\\x9b2J" };
	struct tlib_run r;
	struct tree tr;
	json_t *lines, *alert;
	char *alerts;
	const char *raw;
	size_t i;

	(void)state;
	tree_new(&tr, "t100t", "");
	run(&r, &tr, "--init", "-q", NULL);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("cd \"$T\" && "
	    "echo > \"$(printf 'x\\302\\2332J\\342\\200\\256fdp.exe')\" && "
	    "echo > \"$(printf 'y\\2332J')\""), 0);
	run(&r, &tr, "--check", NULL, NULL);
	assert_int_equal(r.status, 1);
	for (i = 0; i < 2; i++) {
		if (strstr(r.out, want[i]) == NULL)
			fail_msg("--check: no %s in:\n%s", want[i], r.out);
	}
	if ((raw = raw_control(r.out, r.outlen)) != NULL)
		fail_msg("--check printed raw \"%s\"", raw);
	tlib_run_release(&r);

	run(&r, &tr, "--check", "--json", NULL);
	assert_int_equal(r.status, 1);
	alerts = tlib_fmt("%s/alerts.json", tr.w);
	tlib_write(alerts, r.out, r.outlen);
	lines = tlib_json_lines(r.out, r.outlen);
	assert_int_equal(json_array_size(lines), 2);
	json_array_foreach(lines, i, alert) {
		const char *msg = tlib_json_str(alert, "message");

		assert_non_null(msg);
		if (strstr(msg, want_msg[0]) == NULL &&
		    strstr(msg, want_msg[1]) == NULL)
			fail_msg("message without the escaped name: %s", msg);
		if ((raw = raw_control(msg, strlen(msg))) != NULL)
			fail_msg("message holds raw \"%s\": %s", raw, msg);
	}
	json_decref(lines);
	tlib_run_release(&r);

	run(&r, &tr, "--tail", "-a", alerts);
	assert_int_equal(r.status, 0);
	for (i = 0; i < 2; i++) {
		if (strstr(r.out, want[i]) == NULL)
			fail_msg("--tail: no %s in:\n%s", want[i], r.out);
	}
	if ((raw = raw_control(r.out, r.outlen)) != NULL)
		fail_msg("--tail printed raw \"%s\":\n%s", raw, r.out);
	tlib_run_release(&r);
	free(alerts);
	tree_free(&tr);
}

/* An excluded pattern is never reported. */
static void
test_exclude_pattern(void **state)
{
	struct tlib_run r;
	struct tree tr;

	(void)state;
	tree_new(&tr, "t100x", ",\"exclude\":[\"**/*.tmp\"]");
	run(&r, &tr, "--init", "-q", NULL);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("cd \"$T\" && echo x > x.tmp && "
	    "echo y > d/y.tmp"), 0);
	run(&r, &tr, "--check", "--json", NULL);
	if (r.status != 0)
		fail_msg("excluded files reported: %s", r.out);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("cd \"$T\" && echo z > d/z.txt"), 0);
	run(&r, &tr, "--check", "--json", NULL);
	assert_int_equal(r.status, 1);
	tlib_run_release(&r);
	tree_free(&tr);
}

/* include ["*.sh"] covers only the .sh files, at any depth. */
static void
test_include_pattern(void **state)
{
	struct tlib_run r;
	struct tree tr;
	json_t *lines;

	(void)state;
	tree_new(&tr, "t100i", ",\"include\":[\"*.sh\"]");
	assert_int_equal(tlib_sh("cd \"$T\" && echo 1 > a.sh && "
	    "echo 2 > d/b.sh"), 0);
	run(&r, &tr, "--init", "-q", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("cd \"$T\" && echo x >> f && echo y > y.txt"),
	    0);
	run(&r, &tr, "--check", "--json", NULL);
	if (r.status != 0)
		fail_msg("non-.sh files reported: %s", r.out);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("cd \"$T\" && echo 3 >> d/b.sh && "
	    "echo 4 > d/c.sh"), 0);
	run(&r, &tr, "--check", "--json", NULL);
	assert_int_equal(r.status, 1 | 4);
	lines = tlib_json_lines(r.out, r.outlen);
	assert_int_equal(json_array_size(lines), 2);
	json_decref(lines);
	tlib_run_release(&r);
	tree_free(&tr);
}

/* A FIFO in the tree is recorded, never opened: no hang. */
static void
test_fifo_no_hang(void **state)
{
	struct tlib_run r;
	struct tree tr;

	(void)state;
	tree_new(&tr, "t100f", ",\"attributes\":[\"ALL\"]");
	assert_int_equal(tlib_sh("cd \"$T\" && mkfifo p && "
	    "python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); "
	    "s.bind(\"sock\")'"), 0);
	run(&r, &tr, "--init", "-q", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	{
		const char *args[] = { "--query", "-c", tr.conf, "-b",
		    tr.baseline, "--json", "p", NULL };
		char *cwd = getcwd(NULL, 0);

		assert_int_equal(chdir(tr.t), 0);
		tlib_run_fimd(&r, 30, args);
		assert_int_equal(chdir(cwd), 0);
		free(cwd);
	}
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"type\":\"fifo\""));
	tlib_run_release(&r);
	{
		/* A path no record has: exit 1, and where to look. */
		const char *args[] = { "--query", "-c", tr.conf, "-b",
		    tr.baseline, "/nonexistent/x", NULL };

		tlib_run_fimd(&r, 30, args);
	}
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "not in the baseline"));
	assert_non_null(strstr(r.err, "fimd --explain"));
	tlib_run_release(&r);
	run(&r, &tr, "--check", "--paranoid", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	tree_free(&tr);
}

/* kill -9 during --update at random moments: the baseline always loads. */
static void
test_kill_during_update(void **state)
{
	struct tlib_run r;
	struct tree tr;
	int i, st;

	(void)state;
	tree_new(&tr, "t100k", "");
	assert_int_equal(tlib_sh("cd \"$T\" && for i in $(seq 1 40); do "
	    "mkdir -p s$i; for j in $(seq 1 100); do echo $i$j > s$i/f$j; "
	    "done; done"), 0);
	run(&r, &tr, "--init", "-q", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	srandom((unsigned)getpid());
	for (i = 0; i < 10; i++) {
		assert_int_equal(tlib_sh("cd \"$T\" && for f in s*/f1*; do "
		    "echo %d >> $f; done", i), 0);
		st = tlib_sh("timeout -s KILL 0.%03ld '%s' --update -q -c '%s' "
		    "-r '%s' -b '%s'", 5 + random() % 300, tlib_fimd(), tr.conf,
		    tr.rules, tr.baseline);
		run(&r, &tr, "--check", "-q", NULL);
		if (r.status >= 16)
			fail_msg("round %d (update exit %d): check exit %d: %s",
			    i, st, r.status, r.err);
		tlib_run_release(&r);
	}
	run(&r, &tr, "--update", "-q", NULL);
	assert_true(r.status < 16);
	tlib_run_release(&r);
	/* A complete save leaves no temporary behind, stale ones included. */
	assert_int_equal(tlib_sh("ls -a '%s' | grep -q tmp", tr.w), 1);
	tree_free(&tr);
}

/* A covered file that cannot be read is named and sets bit 8. */
static void
test_unreadable(void **state)
{
	struct tlib_run r;
	struct tree tr;
	char *cmd;

	(void)state;
	tlib_require_root("running fimd as another user");
	tree_new(&tr, "t100r", "");
	assert_int_equal(tlib_sh("chmod 755 \"$W\" && chmod 000 \"$T/f\" && "
	    "chmod 777 \"$W\" && chmod a+r \"$W/rules.json\" \"$W/fimd.json\""),
	    0);
	cmd = tlib_fmt("setpriv --reuid=65534 --regid=65534 --clear-groups "
	    "'%s' --init -c '%s' -r '%s' -b '%s/nobody.json' 2>'%s/err'",
	    tlib_fimd(), tr.conf, tr.rules, tr.w, tr.w);
	assert_int_equal(tlib_sh("%s", cmd), 8);
	assert_int_equal(tlib_sh("grep -q 'cannot open .*tree/f: Permission "
	    "denied' '%s/err'", tr.w), 0);
	free(cmd);
	(void)r;
	tree_free(&tr);
}

/* Refusals: exit 19 for bad baselines, 17 for bad rules, 16 for usage. */
static void
test_bad_inputs(void **state)
{
	struct tlib_run r;
	struct tree tr;

	(void)state;
	tree_new(&tr, "t100b", "");
	run(&r, &tr, "--check", NULL, NULL);
	assert_int_equal(r.status, 19);
	assert_non_null(strstr(r.err, "--init"));
	tlib_run_release(&r);
	run(&r, &tr, "--init", "-q", NULL);
	tlib_run_release(&r);
	assert_int_equal(tlib_sh("sed -i 's/\"size\":6/\"size\":7/' '%s'",
	    tr.baseline), 0);
	run(&r, &tr, "--check", NULL, NULL);
	assert_int_equal(r.status, 19);
	tlib_run_release(&r);
	tlib_write(tr.baseline, "{\"hello\":1}\n", (size_t)-1);
	run(&r, &tr, "--check", NULL, NULL);
	assert_int_equal(r.status, 19);
	tlib_run_release(&r);

	tlib_write(tr.rules, "{\"rules\":[{\"name\":\"x\",\n"
	    "  \"paths\":[\"/tmp\"], \"colour\": 1}]}\n", (size_t)-1);
	run(&r, &tr, "--validate", NULL, NULL);
	assert_int_equal(r.status, 17);
	if (strstr(r.err, "rules.json:2:") == NULL)
		fail_msg("no file:line in: %s", r.err);
	tlib_run_release(&r);
	run(&r, &tr, "--check", "--init", NULL);
	assert_int_equal(r.status, 16);
	tlib_run_release(&r);
	run(&r, &tr, "--query", NULL, NULL);
	assert_int_equal(r.status, 16);
	tlib_run_release(&r);
	tree_free(&tr);
}

/*
 * --validate by verbosity, on rules with a warning ("hash" without the
 * hash attribute) and an overlap (a note): -q prints nothing, the default
 * the warning and the summary, -v the note as well.  An error is printed
 * even with -q.
 */
static void
test_validate_verbosity(void **state)
{
	struct tree tr;
	struct tlib_run r;
	char *json;

	(void)state;
	tree_new(&tr, "t100q", "");
	json = tlib_fmt("{\"rules\":[{\"name\":\"a\",\"paths\":[\"%s\"]},"
	    "{\"name\":\"b\",\"paths\":[\"%s/d\"],\"attributes\":"
	    "[\"size\"],\"hash\":[\"sha256\"]}]}\n", tr.t, tr.t);
	tlib_write(tr.rules, json, (size_t)-1);
	free(json);
	run(&r, &tr, "--validate", "-q", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	tlib_run_release(&r);
	run(&r, &tr, "--validate", NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, ": valid\n"));
	assert_non_null(strstr(r.err, ": warning: \"hash\" has no effect"));
	assert_null(strstr(r.err, "note:"));
	tlib_run_release(&r);
	run(&r, &tr, "--validate", "-v", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, ": warning: \"hash\" has no effect"));
	assert_non_null(strstr(r.err, ": note: rule b path "));
	tlib_run_release(&r);
	tlib_write(tr.rules, "{\"rules\":[{\"name\":\"x\"}]}\n", (size_t)-1);
	run(&r, &tr, "--validate", "-q", NULL);
	assert_int_equal(r.status, 17);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, ": error: rule x has no \"paths\""));
	tlib_run_release(&r);
	tree_free(&tr);
}

/* Rewrite the baseline's trailer as ALGO:<plain SHA-256 of the rest>. */
static const char redigest_py[] =
    "import hashlib, sys\n"
    "path, algo = sys.argv[1], sys.argv[2]\n"
    "data = open(path, 'rb').read()\n"
    "body = data[:data.rindex(b'\\n', 0, len(data) - 1) + 1]\n"
    "digest = hashlib.sha256(body).hexdigest()\n"
    "open(path, 'wb').write(body + b'],\"digest\":\"' + algo.encode() +\n"
    "    b':' + digest.encode() + b'\"}\\n')\n";

/* --check with the key configured: its exit status, stderr in *err. */
static int
check_status(const struct tree *tr, char **err)
{
	struct tlib_run r;
	int st;

	run(&r, tr, "--check", "-q", NULL);
	st = r.status;
	*err = strdup(r.err);
	tlib_run_release(&r);
	return st;
}

static void
assert_refused(const struct tree *tr, int status, const char *why)
{
	char *err = NULL;
	int st = check_status(tr, &err);

	if (st != status || strstr(err, why) == NULL)
		fail_msg("--check: exit %d, want %d with \"%s\":\n%s", st,
		    status, why, err);
	free(err);
}

/*
 * With chain_key the baseline's digest is an HMAC: a baseline edited and
 * digested again without the key is refused with exit 19, under either
 * label; a key kept wrongly is refused with exit 17.
 */
static void
test_keyed_baseline(void **state)
{
	struct tlib_run r;
	struct tree tr;
	char *key, *conf, *py, *text;

	(void)state;
	tlib_require_root("a root-owned chain_key");
	tree_new(&tr, "t100k", "");
	key = tlib_fmt("%s/chain.key", tr.w);
	py = tlib_fmt("%s/redigest.py", tr.w);
	tlib_write(py, redigest_py, (size_t)-1);
	assert_int_equal(tlib_sh("head -c 32 /dev/urandom > '%s' && "
	    "chmod 0600 '%s'", key, key), 0);
	conf = tlib_fmt("{\"chain_key\": \"%s\"}\n", key);
	tlib_write(tr.conf, conf, (size_t)-1);
	run(&r, &tr, "--init", "-q", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	text = tlib_read(tr.baseline, NULL);
	assert_non_null(strstr(text, "],\"digest\":\"hmac-sha256:"));
	free(text);
	assert_refused(&tr, 0, "");

	/* A file grew in the baseline, as an intruder would hide it. */
	assert_int_equal(tlib_sh("sed -i 's/\"size\":6/\"size\":7/' '%s' && "
	    "python3 '%s' '%s' sha256", tr.baseline, py, tr.baseline), 0);
	assert_refused(&tr, 19, "digest not keyed");
	assert_int_equal(tlib_sh("python3 '%s' '%s' hmac-sha256", py,
	    tr.baseline), 0);
	assert_refused(&tr, 19, "digest mismatch");
	/* The same baseline digested plainly passes without the key. */
	tlib_write(tr.conf, "{}\n", (size_t)-1);
	assert_int_equal(tlib_sh("python3 '%s' '%s' sha256", py,
	    tr.baseline), 0);
	assert_refused(&tr, 4, "");
	tlib_write(tr.conf, conf, (size_t)-1);

	assert_int_equal(chmod(key, 0644), 0);
	assert_refused(&tr, 17, "must be mode 0600 or stricter, not 0644");
	free(conf);
	free(key);
	key = tlib_fmt("%s/chain.key", tr.t);
	assert_int_equal(tlib_sh("head -c 32 /dev/urandom > '%s' && "
	    "chmod 0600 '%s'", key, key), 0);
	conf = tlib_fmt("{\"chain_key\": \"%s\"}\n", key);
	tlib_write(tr.conf, conf, (size_t)-1);
	run(&r, &tr, "--init", "-q", NULL);
	assert_int_equal(r.status, 17);
	assert_non_null(strstr(r.err, "lies in the watched tree"));
	tlib_run_release(&r);
	free(conf);
	free(key);
	free(py);
	tree_free(&tr);
}

/* valgrind finds no leak in --init and --check of a small tree. */
static void
test_valgrind(void **state)
{
	struct tree tr;
	const char *vg = "valgrind -q --leak-check=full "
	    "--errors-for-leak-kinds=definite,indirect --error-exitcode=99";

	(void)state;
	if (getenv("FIMD_SANITIZED") != NULL) {
		/* valgrind cannot run a binary built with AddressSanitizer. */
		printf("SKIP: valgrind on a sanitizer build (make check runs "
		    "it)\n");
		skip();
	}
	if (tlib_sh("command -v valgrind >/dev/null") != 0) {
		printf("SKIP: valgrind not installed\n");
		skip();
	}
	tree_new(&tr, "t100v", ",\"attributes\":[\"ALL\"],\"hash\":"
	    "[\"sha256\",\"sha512\"]");
	assert_int_equal(tlib_sh("cd \"$T\" && ln -s f l && mkfifo p"), 0);
	assert_int_equal(tlib_sh("%s '%s' --init -q -c '%s' -r '%s' -b '%s'",
	    vg, tlib_fimd(), tr.conf, tr.rules, tr.baseline), 0);
	assert_int_equal(tlib_sh("cd \"$T\" && echo x >> f && rm a && mv b c"),
	    0);
	assert_int_equal(tlib_sh("%s '%s' --check -c '%s' -r '%s' -b '%s' "
	    ">/dev/null", vg, tlib_fimd(), tr.conf, tr.rules, tr.baseline),
	    1 | 2 | 4);	/* a move sets 1 and 2, as AIDE's scripts expect */
	tree_free(&tr);
}

int
main(void)
{
	struct CMUnitTest *tests;
	unsigned i, n = 0;
	int r;

	tests = calloc(mutations_count + 16, sizeof(*tests));
	for (i = 0; i < mutations_count; i++) {
		tests[n].name = mutations[i].name;
		tests[n].test_func = test_mutation;
		tests[n].initial_state = (void *)(uintptr_t)&mutations[i];
		n++;
	}
#define ADD(f) tests[n++] = (struct CMUnitTest)cmocka_unit_test(f)
	ADD(test_invalid_utf8_escaped);
	ADD(test_human_report);
	ADD(test_check_limit);
	ADD(test_terminal_controls);
	ADD(test_exclude_pattern);
	ADD(test_include_pattern);
	ADD(test_fifo_no_hang);
	ADD(test_kill_during_update);
	ADD(test_unreadable);
	ADD(test_bad_inputs);
	ADD(test_validate_verbosity);
	ADD(test_keyed_baseline);
	ADD(test_valgrind);
	r = _cmocka_run_group_tests("t100_check", tests, n, NULL, NULL);
	free(tests);
	return r;
}
