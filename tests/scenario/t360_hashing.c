/*
 * 360: hashing cannot blind the daemon.  Huge files (sparse, so they cost
 * no disk) keep both hashing workers busy while files of another rule,
 * and of the same rule, are still alerted within a second; SIGTERM then
 * stops the daemon within two seconds with the baseline saved.  A file
 * that an unprivileged user grows to a terabyte right after writing it
 * is never read past the size it had, the daemon is idle again at once,
 * and its alert says what it is.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"

/* A member of --status --json, or -1. */
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

/* Wait up to ms for --status KEY to satisfy want (at least / at most). */
static long long
wait_status(struct tdaemon *d, const char *key, long long want, bool atleast,
    unsigned ms)
{
	double end = tlib_now() + ms / 1000.0;
	long long v;

	for (;;) {
		v = status_num(d, key);
		if (atleast ? v >= want : (v >= 0 && v <= want))
			return v;
		if (tlib_now() > end)
			return v;
		tlib_sleep_ms(50);
	}
}

/* Write a file and wait for its created alert; returns the seconds. */
static double
created_within(struct tdaemon *d, const char *path, unsigned ms)
{
	double t0 = tlib_now();
	json_t *a;

	tlib_write(path, "new\n", 4);
	a = tdaemon_wait(d, "created", path, ms);
	if (a == NULL)
		fail_msg("no created alert for %s within %u ms; got:\n%s",
		    path, ms, json_dumps(d->alerts_seen, JSON_INDENT(1)));
	return tlib_now() - t0;
}

/* Stop with SIGTERM; returns the seconds it took to exit (status 0). */
static double
stop_timed(struct tdaemon *d)
{
	double t0 = tlib_now();

	tdaemon_stop(d);
	return tlib_now() - t0;
}

/* The saved baseline has a record of path. */
static bool
baseline_has(const struct tdaemon *d, const char *path)
{
	char *text, *needle;
	bool found;

	text = tlib_read(d->baseline, NULL);
	assert_non_null(text);
	needle = tlib_fmt("{\"path\":\"%s\"", path);
	found = strstr(text, needle) != NULL;
	free(needle);
	free(text);
	return found;
}

static void
test_huge_files(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	char *other, *rules, *p_other, *p_same;
	double took;

	if (strcmp(backend, "fanotify") == 0)
		tlib_require_root("fanotify");
	tdaemon_init(&d, "t360", backend, NULL);
	other = tlib_fmt("%s/other", d.w);
	assert_int_equal(mkdir(other, 0755), 0);
	rules = tlib_fmt("{\"rules\":[{\"name\":\"huge\",\"paths\":[\"%s\"],"
	    "\"max_size\":\"16T\"},{\"name\":\"other\",\"paths\":[\"%s\"]}]}\n",
	    d.t, other);
	tlib_write(d.rules, rules, (size_t)-1);
	tdaemon_start(&d, NULL);
	/* 3 x 64 GiB: both workers busy, and one more waiting its turn. */
	assert_int_equal(tlib_sh("truncate -s 64G \"$T/huge1\" \"$T/huge2\" "
	    "\"$T/huge3\""), 0);
	if (wait_status(&d, "hashing", 2, true, 5000) < 2)
		fail_msg("the huge files were never being hashed");
	p_other = tlib_fmt("%s/new", other);
	took = created_within(&d, p_other, 1000);
	print_message("another rule's file: alert after %.3f s\n", took);
	p_same = tlib_fmt("%s/small", d.t);
	took = created_within(&d, p_same, 1000);
	print_message("the same rule's small file: alert after %.3f s\n",
	    took);
	/* They really were still reading. */
	assert_true(status_num(&d, "hashing") >= 2);
	took = stop_timed(&d);
	print_message("SIGTERM to exit: %.3f s\n", took);
	if (took > 2.0)
		fail_msg("SIGTERM took %.3f s to stop the daemon", took);
	assert_non_null(tdaemon_wait_record(&d, "stopped", 1, 1000));
	assert_true(baseline_has(&d, p_other));
	assert_true(baseline_has(&d, p_same));
	free(p_other);
	free(p_same);
	free(rules);
	free(other);
	tdaemon_free(&d);
}

/*
 * As nobody, in a watched 1777 directory: write 9 MiB, then truncate the
 * file to 1 TiB a few milliseconds later, at 40 different delays so that
 * some land while the daemon is reading the 9 MiB.
 */
static void
test_grown_to_a_terabyte(void **state)
{
	const char *backend = *state;
	struct tdaemon d;
	json_t *a, *last;
	char *g, *after;
	size_t i, k, moving = 0;
	double took;

	tlib_require_root("writing as nobody");
	tdaemon_init(&d, "t360g", backend, NULL);
	tlib_write(d.conf, "{\"debounce_ms\":10}\n", (size_t)-1);
	assert_int_equal(tlib_sh("chmod 755 \"$W\" \"$T\" && "
	    "mkdir -m 1777 \"$T/tmp\""), 0);
	tdaemon_start(&d, NULL);
	assert_int_equal(tlib_sh("setpriv --reuid=65534 --regid=65534 "
	    "--clear-groups sh -c 'for i in $(seq 0 39); do "
	    "head -c 9M /dev/zero > \"$T/tmp/g$i\" && "
	    "sleep $(printf 0.%%03d $((5 + i))) && "
	    "truncate -s 1T \"$T/tmp/g$i\" || exit 1; done'"), 0);
	/* Idle again at once: nothing reads a terabyte. */
	if (wait_status(&d, "hashing", 0, false, 2000) != 0)
		fail_msg("still hashing 2 s after the files grew");
	tdaemon_settle(&d, 500, 5000);
	for (k = 0; k < 40; k++) {
		g = tlib_fmt("%s/tmp/g%zu", d.t, k);
		last = NULL;
		json_array_foreach(d.alerts_seen, i, a) {
			if (strcmp(tlib_json_str(a, "file.path"), g) != 0)
				continue;
			last = a;
			if (json_is_true(tlib_json_get(a,
			    "fimd.changed_while_hashed")))
				moving++;
		}
		if (last == NULL)
			fail_msg("no alert for %s", g);
		/* Its state as it is now: over max_size, not hashed. */
		assert_int_equal(json_integer_value(tlib_json_get(last,
		    "file.size")), 1LL << 40);
		assert_true(json_is_true(tlib_json_get(last,
		    "fimd.hash_skipped")));
		assert_null(tlib_json_get(last, "file.hash"));
		free(g);
	}
	print_message("%zu alerts say the file changed while hashed\n",
	    moving);
	after = tlib_fmt("%s/after", d.t);
	took = created_within(&d, after, 1000);
	print_message("a file written afterwards: alert after %.3f s\n", took);
	took = stop_timed(&d);
	if (took > 2.0)
		fail_msg("SIGTERM took %.3f s to stop the daemon", took);
	free(after);
	tdaemon_free(&d);
}

int
main(void)
{
	static const char *const backends[] = { "inotify", "fanotify" };
	static struct CMUnitTest tests[4];	/* names reachable at exit */
	unsigned b, n = 0;

	for (b = 0; b < 2; b++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test(test_huge_files);
		tests[n].name = tlib_fmt("huge_files-%s", backends[b]);
		tests[n++].initial_state = (void *)(uintptr_t)backends[b];
		tests[n] = (struct CMUnitTest)cmocka_unit_test(
		    test_grown_to_a_terabyte);
		tests[n].name = tlib_fmt("grown_to_a_terabyte-%s", backends[b]);
		tests[n++].initial_state = (void *)(uintptr_t)backends[b];
	}
	return cmocka_run_group_tests_name("t360_hashing", tests, NULL, NULL);
}
