/*
 * 305: a rescan walks in slices between other events.  With
 * rescan_slice 1 (one entry per turn of the loop) the start-up rescan
 * of a 12,000-entry tree is still under way when --status is asked,
 * and it answers; realtime changes made meanwhile are alerted while it
 * runs, and the two agree: a file created in a part already walked is
 * not judged deleted at the end, a file the rescan found changed and
 * realtime then changed again is last reported with its newest hash, a
 * directory renamed under it keeps its entries, and the saved baseline
 * passes a fresh --check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"

/* A member of --status --json, or -1 when it did not answer. */
static long long
status_num(struct tdaemon *d, const char *key)
{
	struct tlib_run r;
	json_t *st;
	long long v = -1;

	tdaemon_fimd(d, &r, "--status", "--json", NULL);
	if (r.status == 0 && (st = json_loads(r.out, 0, NULL)) != NULL) {
		if (json_is_integer(json_object_get(st, key)))
			v = json_integer_value(json_object_get(st, key));
		json_decref(st);
	}
	tlib_run_release(&r);
	return v;
}

/* The last alert about path, or NULL. */
static json_t *
last_alert(const struct tdaemon *d, const char *path)
{
	json_t *a, *last = NULL;
	size_t i;

	json_array_foreach(d->alerts_seen, i, a) {
		const char *p = tlib_json_str(a, "file.path");

		if (p != NULL && strcmp(p, path) == 0)
			last = a;
	}
	return last;
}

static char *
sha256_of(const char *path)
{
	char *out = NULL;

	assert_int_equal(tlib_sh_out(&out, "sha256sum '%s' | cut -c1-64",
	    path), 0);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static void
test_sliced_startup(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	struct tlib_run r;
	long long queued;
	json_t *a;
	char *p, *sum;
	size_t i;

	if (strcmp(backend, "fanotify") == 0)
		tlib_require_root("fanotify");
	tdaemon_init(&d, "t305", backend, ",\"hash\":[\"sha256\"]");
	tlib_write(d.conf, "{\"rescan_slice\":1,\"debounce_ms\":20}\n",
	    (size_t)-1);
	assert_int_equal(tlib_sh("cd \"$T\" && python3 -c '\n"
	    "import os\n"
	    "for d in range(40):\n"
	    "    os.mkdir(\"big%%02d\" %% d)\n"
	    "    for f in range(300):\n"
	    "        open(\"big%%02d/f%%03d\" %% (d, f), \"w\").write(str(f))\n"
	    "' && mkdir aa zz && echo 1 > aa/one && echo 2 > zz/two"), 0);
	tdaemon_start(&d, NULL);	/* builds the baseline, silently */
	tdaemon_stop(&d);
	/* While it is down: 20 files of big05 change. */
	assert_int_equal(tlib_sh("cd \"$T\" && for f in 000 001 002 003 004 "
	    "005 006 007 008 009 010 011 012 013 014 015 016 017 018 019; "
	    "do echo down > big05/f$f; done"), 0);
	tdaemon_start(&d, NULL);
	queued = status_num(&d, "rescans_queued");
	print_message("--status during the start-up rescan: %lld queued\n",
	    queued);
	/* It answered, and the rescan was still walking. */
	assert_true(queued >= 1);
	/* Realtime meanwhile: aa is walked early, zz late. */
	assert_int_equal(tlib_sh("cd \"$T\" && echo new > aa/new && "
	    "echo again > big05/f000 && mv zz zz2 && echo late > zz2/late"),
	    0);
	p = tlib_fmt("%s/aa/new", d.t);
	assert_non_null(tdaemon_wait(&d, "created", p, 5000));
	free(p);
	for (i = 0; i < 200 && status_num(&d, "rescans_queued") != 0; i++)
		tlib_sleep_ms(100);
	assert_int_equal(status_num(&d, "rescans_queued"), 0);
	tdaemon_settle(&d, 500, 5000);

	/* Every change found while down was reported, none deleted. */
	for (i = 0; i < 20; i++) {
		p = tlib_fmt("%s/big05/f%03zu", d.t, i);
		if ((a = last_alert(&d, p)) == NULL)
			fail_msg("no alert for %s", p);
		free(p);
	}
	assert_int_equal(tlib_count_alerts(d.alerts_seen, "deleted", NULL),
	    0);
	/* The newest state is the last word on big05/f000. */
	p = tlib_fmt("%s/big05/f000", d.t);
	sum = sha256_of(p);
	assert_non_null(a = last_alert(&d, p));
	assert_string_equal(tlib_json_str(a, "file.hash.sha256"), sum);
	free(sum);
	free(p);
	p = tlib_fmt("%s/zz2/late", d.t);
	assert_non_null(tdaemon_wait(&d, "created", p, 2000));
	free(p);
	tdaemon_stop(&d);
	/* The daemon's saved view is the disk's. */
	tdaemon_fimd(&d, &r, "--check", NULL, NULL);
	if (r.status != 0)
		fail_msg("--check after the daemon: exit %d\n%s", r.status,
		    r.out);
	tlib_run_release(&r);
	tdaemon_free(&d);
}

int
main(void)
{
	static const char *const backends[] = { "inotify", "fanotify" };
	static struct CMUnitTest tests[2];	/* names reachable at exit */
	unsigned b;

	for (b = 0; b < 2; b++) {
		tests[b] = (struct CMUnitTest)cmocka_unit_test(
		    test_sliced_startup);
		tests[b].name = tlib_fmt("sliced_startup-%s", backends[b]);
		tests[b].initial_state = (void *)(uintptr_t)backends[b];
	}
	return cmocka_run_group_tests_name("t305_sliced_rescan", tests, NULL,
	    NULL);
}
