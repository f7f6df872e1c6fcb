/*
 * 370: content diffs under the daemon, for both backends (fanotify needs
 * root): realtime alerts carry the unified diff of an edit against the
 * copy taken when the daemon built its baseline, the next edit is
 * diffed against the copy the first one left, binary and too large
 * files say why they have none, a change made while the daemon was down
 * is diffed by the start-up rescan, and no secret reaches the alert file
 * or any file the daemon keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlib.h"
#include "tdaemon.h"

#define OLD_SECRET	"Old-S3cret-Value"
#define NEW_SECRET	"New-S3cret-Value"

static const char *const backends[] = { "inotify", "fanotify" };

/* Replace name in the tree with text, by rename as editors do. */
static void
replace(const char *name, const char *text)
{
	assert_int_equal(tlib_sh("cd \"$T\" && printf '%s' > .%s.new && "
	    "mv .%s.new %s", text, name, name, name), 0);
}

static const char *
wait_field(struct tdaemon *d, const char *name, const char *field)
{
	char *path = tlib_fmt("%s/%s", d->t, name);
	json_t *a = tdaemon_wait(d, "updated", path, 5000);
	const char *v;

	if (a == NULL)
		fail_msg("no updated alert for %s", path);
	v = tlib_json_str(a, field);
	if (v == NULL)
		fail_msg("%s: no %s in %s", path, field,
		    json_dumps(a, JSON_COMPACT));
	free(path);
	return v;
}

static void
assert_no_secret(const struct tdaemon *d, const char *s)
{
	if (tlib_sh("grep -r -l -a -F '%s' '%s/state' '%s/log'", s, d->w,
	    d->w) != 1)
		fail_msg("\"%s\" found in the daemon's files", s);
}

static void
test_realtime(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	struct stat st;
	char *copies;

	if (strcmp(backend, "fanotify") == 0)
		tlib_require_root("diffs under fanotify");
	tdaemon_init(&d, "t370", backend,
	    ",\"diff\":true,\"diff_max\":\"4KiB\"");
	assert_int_equal(tlib_sh("cd \"$T\" && "
	    "printf 'port=80\\nuser=app\\npassword=" OLD_SECRET "\\n' > "
	    "app.conf && printf 'ab\\000cd\\n' > blob.bin && "
	    "head -c 4000 /dev/zero | tr '\\000' x > big.txt"), 0);
	tdaemon_start(&d, NULL);
	copies = tlib_fmt("%s.copies", d.baseline);
	assert_int_equal(stat(copies, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	replace("app.conf", "port=8080\\nuser=app\\npassword=" NEW_SECRET
	    "\\n");
	assert_string_equal(wait_field(&d, "app.conf", "fimd.diff"),
	    "@@ -1,3 +1,3 @@\n-port=80\n+port=8080\n user=app\n"
	    " password=[redacted]\n");
	/* The next edit is diffed against the copy the first one left. */
	tdaemon_settle(&d, 300, 3000);
	json_array_clear(d.alerts_seen);
	replace("app.conf", "port=8080\\nuser=web\\npassword=" NEW_SECRET
	    "\\n");
	assert_string_equal(wait_field(&d, "app.conf", "fimd.diff"),
	    "@@ -1,3 +1,3 @@\n port=8080\n-user=app\n+user=web\n"
	    " password=[redacted]\n");
	replace("blob.bin", "ab\\000ce\\n");
	assert_string_equal(wait_field(&d, "blob.bin", "fimd.diff_skipped"),
	    "binary");
	assert_int_equal(tlib_sh("cd \"$T\" && head -c 200 /dev/zero | "
	    "tr '\\000' y >> big.txt"), 0);
	assert_string_equal(wait_field(&d, "big.txt", "fimd.diff_skipped"),
	    "too large");
	tdaemon_stop(&d);
	assert_no_secret(&d, OLD_SECRET);
	assert_no_secret(&d, NEW_SECRET);

	/* Changed while down: the start-up rescan diffs it. */
	json_array_clear(d.alerts_seen);
	replace("app.conf", "port=9090\\nuser=web\\npassword=" NEW_SECRET
	    "\\n");
	tdaemon_start(&d, NULL);
	assert_string_equal(wait_field(&d, "app.conf", "fimd.diff"),
	    "@@ -1,3 +1,3 @@\n-port=8080\n+port=9090\n user=web\n"
	    " password=[redacted]\n");
	tdaemon_stop(&d);
	assert_no_secret(&d, NEW_SECRET);
	free(copies);
	tdaemon_free(&d);
}

int
main(void)
{
	struct CMUnitTest tests[2];
	unsigned b;

	for (b = 0; b < 2; b++) {
		tests[b] = (struct CMUnitTest)cmocka_unit_test(test_realtime);
		tests[b].name = backends[b];
		tests[b].initial_state = (void *)(uintptr_t)backends[b];
	}
	return _cmocka_run_group_tests("t370_diff", tests, 2, NULL, NULL);
}
