/*
 * 160: content diffs in the one-shot modes, through the real binary: a
 * rule with "diff" keeps redacted copies beside the baseline (mode
 * 0600), --check shows the unified diff of an edit in fimd.diff, binary
 * and too large files say why they have none, secrets appear neither in
 * the alert lines nor in any file fimd wrote, --update moves the copies
 * on, a rule without "diff" keeps none, a damaged store is refused
 * without failing the check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

#define OLD_SECRET	"Old-S3cret-Value"
#define NEW_SECRET	"New-S3cret-Value"
#define KEY_BODY	"MIIEowIBAAKCAQEAkeybodykeybody"

struct tree {
	char	*w, *t, *rules, *conf, *baseline, *copies;
};

static void
tree_new(struct tree *tr, const char *tag, const char *rule_extra)
{
	char *json;

	tr->w = tlib_mkdtemp(tag);
	tr->t = tlib_fmt("%s/tree", tr->w);
	tr->rules = tlib_fmt("%s/rules.json", tr->w);
	tr->conf = tlib_fmt("%s/fimd.json", tr->w);
	tr->baseline = tlib_fmt("%s/state/baseline.json", tr->w);
	tr->copies = tlib_fmt("%s.copies", tr->baseline);
	assert_int_equal(mkdir(tr->t, 0755), 0);
	setenv("T", tr->t, 1);
	setenv("W", tr->w, 1);
	assert_int_equal(tlib_sh("cd \"$T\" && "
	    "printf 'port=80\\nuser=app\\npassword=" OLD_SECRET "\\n"
	    "level=1\\n' > app.conf && "
	    "printf -- '-----BEGIN RSA PRIVATE KEY-----\\n" KEY_BODY "\\n"
	    "-----END RSA PRIVATE KEY-----\\n' > key.pem && "
	    "printf 'ab\\000cd\\n' > blob.bin && "
	    "head -c 5000 /dev/zero | tr '\\000' x > big.txt"), 0);
	json = tlib_fmt("{\"rules\":[{\"name\":\"t\",\"paths\":[\"%s\"]%s}]}",
	    tr->t, rule_extra);
	tlib_write(tr->rules, json, (size_t)-1);
	free(json);
	tlib_write(tr->conf, "{}\n", (size_t)-1);
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
	free(tr->copies);
}

static void
run(struct tlib_run *r, const struct tree *tr, const char *mode,
    const char *extra)
{
	const char *args[] = { mode, "-c", tr->conf, "-r", tr->rules, "-b",
	    tr->baseline, extra, NULL };

	tlib_run_fimd(r, 120, args);
	assert_false(r->timed_out);
}

/* --check --json: the alert lines (exit status checked against want). */
static json_t *
check_json(const struct tree *tr, int want, char **ret_out)
{
	struct tlib_run r;
	json_t *lines;

	run(&r, tr, "--check", "--json");
	if (r.status != want)
		fail_msg("--check exited %d, not %d: %s", r.status, want,
		    r.err);
	lines = tlib_json_lines(r.out, r.outlen);
	if (ret_out != NULL)
		*ret_out = strdup(r.out);
	tlib_run_release(&r);
	return lines;
}

static json_t *
alert_for(const json_t *lines, const struct tree *tr, const char *name)
{
	char *path = tlib_fmt("%s/%s", tr->t, name);
	json_t *a = tlib_find_alert(lines, "updated", path);

	if (a == NULL)
		fail_msg("no updated alert for %s", path);
	free(path);
	return a;
}

/* No file fimd wrote (the baseline, the copies) holds s. */
static void
assert_nowhere(const struct tree *tr, const char *s)
{
	char *dir = tlib_fmt("%s/state", tr->w);

	if (tlib_sh("grep -r -l -a -F '%s' '%s'", s, dir) != 1)
		fail_msg("\"%s\" found under %s", s, dir);
	free(dir);
}

static void
test_check_and_update(void **state)
{
	struct tlib_run r;
	struct tree tr;
	struct stat st;
	json_t *lines;
	char *out;

	(void)state;
	tree_new(&tr, "t160", ",\"diff\":true,\"diff_max\":\"4KiB\"");
	run(&r, &tr, "--init", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	assert_int_equal(stat(tr.copies, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_nowhere(&tr, OLD_SECRET);
	assert_nowhere(&tr, KEY_BODY);
	assert_int_equal(tlib_sh("grep -q -F -- '\"path\":\"%s/app.conf\"' "
	    "'%s'", tr.t, tr.copies), 0);

	/* An edit, a new secret, a binary change, growth past diff_max. */
	assert_int_equal(tlib_sh("cd \"$T\" && "
	    "printf 'port=8080\\nuser=app\\npassword=" NEW_SECRET "\\n"
	    "level=1\\n' > app.conf && "
	    "printf 'ab\\000ce\\n' > blob.bin && echo more >> big.txt && "
	    "printf -- '-----BEGIN RSA PRIVATE KEY-----\\nOTHERKEY\\n"
	    "-----END RSA PRIVATE KEY-----\\n' > key.pem"), 0);
	lines = check_json(&tr, 4, &out);
	assert_string_equal(tlib_json_str(alert_for(lines, &tr, "app.conf"),
	    "fimd.diff"),
	    "@@ -1,4 +1,4 @@\n-port=80\n+port=8080\n user=app\n"
	    " password=[redacted]\n level=1\n");
	assert_null(tlib_json_get(alert_for(lines, &tr, "app.conf"),
	    "fimd.diff_skipped"));
	assert_string_equal(tlib_json_str(alert_for(lines, &tr, "blob.bin"),
	    "fimd.diff_skipped"), "binary");
	assert_null(tlib_json_get(alert_for(lines, &tr, "blob.bin"),
	    "fimd.diff"));
	assert_string_equal(tlib_json_str(alert_for(lines, &tr, "big.txt"),
	    "fimd.diff_skipped"), "too large");
	/* Only the key's body changed, and it is redacted. */
	assert_string_equal(tlib_json_str(alert_for(lines, &tr, "key.pem"),
	    "fimd.diff_skipped"), "only redacted lines changed");
	printf("--check diff of app.conf:\n%s",
	    tlib_json_str(alert_for(lines, &tr, "app.conf"), "fimd.diff"));
	assert_null(strstr(out, OLD_SECRET));
	assert_null(strstr(out, NEW_SECRET));
	assert_null(strstr(out, KEY_BODY));
	assert_null(strstr(out, "OTHERKEY"));
	free(out);
	json_decref(lines);
	/* The human form shows the diff under the alert, or why not. */
	run(&r, &tr, "--check", NULL);
	assert_non_null(strstr(r.out, "\n    -port=80\n    +port=8080\n"));
	assert_non_null(strstr(r.out, "\n  diff: binary"));
	assert_null(strstr(r.out, NEW_SECRET));
	tlib_run_release(&r);

	/* --update takes the new copies: the next diff starts from them. */
	run(&r, &tr, "--update", NULL);
	assert_int_equal(r.status, 4);
	tlib_run_release(&r);
	assert_nowhere(&tr, NEW_SECRET);
	assert_nowhere(&tr, "OTHERKEY");
	assert_int_equal(tlib_sh("cd \"$T\" && sed -i 's/user=app/user=web/' "
	    "app.conf"), 0);
	lines = check_json(&tr, 4, NULL);
	assert_string_equal(tlib_json_str(alert_for(lines, &tr, "app.conf"),
	    "fimd.diff"),
	    "@@ -1,4 +1,4 @@\n port=8080\n-user=app\n+user=web\n"
	    " password=[redacted]\n level=1\n");
	json_decref(lines);

	/* A damaged store: refused, named, the check goes on. */
	assert_int_equal(tlib_sh("sed -i 's/user/xxxx/' '%s'", tr.copies), 0);
	assert_int_equal(tlib_sh("sed -i 's/\"size\":[0-9]*/\"size\":1/' '%s'",
	    tr.copies), 0);
	run(&r, &tr, "--check", "--json");
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "not a valid fimd content store"));
	lines = tlib_json_lines(r.out, r.outlen);
	assert_string_equal(tlib_json_str(alert_for(lines, &tr, "app.conf"),
	    "fimd.diff_skipped"), "no copy of the previous version");
	json_decref(lines);
	tlib_run_release(&r);
	tree_free(&tr);
}

/* Without "diff" nothing is copied and alerts carry no diff fields. */
static void
test_not_asked(void **state)
{
	struct tlib_run r;
	struct tree tr;
	json_t *lines, *a;

	(void)state;
	tree_new(&tr, "t160n", "");
	run(&r, &tr, "--init", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	assert_int_equal(access(tr.copies, F_OK), -1);
	assert_int_equal(tlib_sh("cd \"$T\" && echo x >> app.conf"), 0);
	lines = check_json(&tr, 4, NULL);
	a = alert_for(lines, &tr, "app.conf");
	assert_null(tlib_json_get(a, "fimd.diff"));
	assert_null(tlib_json_get(a, "fimd.diff_skipped"));
	json_decref(lines);
	tree_free(&tr);
}

/* A bad diff_max is an error with its position. */
static void
test_bad_key(void **state)
{
	struct tlib_run r;
	struct tree tr;

	(void)state;
	tree_new(&tr, "t160k", ",\"diff\":true,\"diff_max\":\"2MiB\"");
	run(&r, &tr, "--validate", NULL);
	assert_int_equal(r.status, 17);
	assert_non_null(strstr(r.err, "\"diff_max\" must be a size"));
	assert_non_null(strstr(r.err, "rules.json:1:"));
	tlib_run_release(&r);
	tree_free(&tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_and_update),
		cmocka_unit_test(test_not_asked),
		cmocka_unit_test(test_bad_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
