/*
 * 35x: the daemon's records of its own life and the tamper-evident
 * chain of its alert stream, end to end with the real binary.
 *
 *  - a run begins with "started", ends with "stopped", and writes a
 *    "checkpoint" with the documented fields every heartbeat;
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"

static json_int_t
num(const json_t *o, const char *dotted)
{
	const json_t *v = tlib_json_get(o, dotted);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer in %s", dotted,
		    json_dumps(o, 0));
	return json_integer_value(v);
}

/* The alert file's lines, parsed, in order. */
static json_t *
file_lines(const char *path)
{
	size_t len = 0;
	char *text = tlib_read(path, &len);
	json_t *lines;

	assert_non_null(text);
	lines = tlib_json_lines(text, len);
	free(text);
	return lines;
}

/*
 * started first, stopped last, and a checkpoint every heartbeat with
 * seq, files, backend, rules, open gaps and the alerts since the one
 * before; none of them has a file section.
 */
static void
test_lifecycle(void **state)
{
	struct tdaemon d;
	json_t *started, *cp, *stopped, *lines, *o;
	char *path;
	size_t i, n;

	(void)state;
	tdaemon_init(&d, "t350l", "inotify", NULL);
	tlib_write(d.conf, "{\"heartbeat\": \"1s\"}\n", (size_t)-1);
	tdaemon_start(&d, NULL);
	started = tdaemon_wait_record(&d, "started", 1, 1000);
	assert_non_null(started);
	assert_string_equal(tlib_json_str(started, "event.kind"), "event");
	assert_string_equal(tlib_json_str(started, "fimd.backend"), "inotify");
	assert_int_equal(num(started, "fimd.rules"), 1);
	assert_int_equal(num(started, "fimd.heartbeat"), 1);
	assert_non_null(tlib_json_str(started, "fimd.version"));
	assert_null(tlib_json_get(started, "file"));

	/* The first checkpoint: nothing happened yet. */
	cp = tdaemon_wait_record(&d, "checkpoint", 1, 3000);
	assert_non_null(cp);
	assert_int_equal(num(cp, "fimd.alerts"), 0);
	path = tlib_fmt("%s/f", d.t);
	assert_int_equal(tlib_sh("echo more >> '%s'", path), 0);
	assert_non_null(tdaemon_wait(&d, "updated", path, 2000));
	/* The one after the change counts it. */
	for (n = 2; (cp = tdaemon_wait_record(&d, "checkpoint", n, 3000)) !=
	    NULL && num(cp, "fimd.alerts") == 0; n++)
		;
	assert_non_null(cp);
	assert_string_equal(tlib_json_str(cp, "event.kind"), "state");
	assert_true(tlib_json_has(cp, "event.category", "process"));
	assert_int_equal(num(cp, "fimd.alerts"), 1);
	assert_int_equal(num(cp, "fimd.files"), 5);	/* tree, f, a, b, d */
	assert_int_equal(num(cp, "fimd.rules"), 1);
	assert_int_equal(num(cp, "fimd.open_gaps"), 0);
	assert_int_equal(num(cp, "fimd.heartbeat"), 1);
	assert_true(num(cp, "fimd.seq") > num(started, "fimd.seq"));
	assert_string_equal(tlib_json_str(cp, "fimd.backend"), "inotify");
	assert_non_null(tlib_json_str(cp, "fimd.rules_digest"));
	assert_null(tlib_json_get(cp, "file"));
	tdaemon_stop(&d);

	stopped = tdaemon_wait_record(&d, "stopped", 1, 0);
	assert_non_null(stopped);
	assert_string_equal(tlib_json_str(stopped, "fimd.reason"), "SIGTERM");
	assert_int_equal(num(stopped, "fimd.alerts"), 1);
	assert_int_equal(num(stopped, "fimd.files"), 5);
	lines = file_lines(d.alerts);
	n = json_array_size(lines);
	assert_string_equal(tlib_json_str(json_array_get(lines, 0),
	    "event.action"), "started");
	assert_string_equal(tlib_json_str(json_array_get(lines, n - 1),
	    "event.action"), "stopped");
	json_array_foreach(lines, i, o)
		assert_int_equal(num(o, "fimd.seq"), (json_int_t)i + 1);
	json_decref(lines);
	free(path);
	tdaemon_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
	};

	return cmocka_run_group_tests_name("t350_chain", tests, NULL, NULL);
}
