/*
 * config: built-in defaults, every key of fimd.conf(5), every class of
 * error with its exact line and column, missing files, and the backend
 * names.  Files are real files in a temporary directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

#include "config.h"
#include "diag.h"

static char *tmpdir;

static int
setup(void **state)
{
	(void)state;
	tmpdir = tlib_mkdtemp("config");
	return tmpdir == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	tlib_rmrf(tmpdir);
	free(tmpdir);
	return 0;
}

/* Write text to a file in tmpdir; returns its path in a static buffer. */
static const char *
conf_file(const char *name, const char *text)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	tlib_write(path, text, strlen(text));
	return path;
}

static void
test_defaults(void **state)
{
	struct fimd_config c;

	(void)state;
	config_init(&c);
	assert_null(c.config_path);
	assert_string_equal(c.rules_path, FIMD_DEFAULT_RULES);
	assert_string_equal(c.rules_path, FIMD_SYSCONFDIR "/fimd/rules.d");
	assert_string_equal(c.shipped_rules, FIMD_DEFAULT_SHIPPED);
	assert_string_equal(c.baseline_path, "/var/lib/fimd/baseline.json");
	assert_string_equal(c.alerts_path, "/var/log/fimd/alerts.json");
	assert_string_equal(c.socket_path, "/run/fimd/fimd.sock");
	assert_int_equal(c.backend, BACKEND_AUTO);
	assert_int_equal(c.workers, 0);
	assert_false(c.json);
	assert_false(c.paranoid);
	assert_false(c.foreground);
	assert_int_equal(c.verbosity, 0);
	/* The values fimd(8) documents. */
	assert_int_equal(c.debounce_ms, 200);
	assert_int_equal(c.debounce_max_ms, 2000);
	assert_int_equal(c.queue_budget, 500000);
	assert_int_equal(c.rescan_slice, 2048);
	assert_false(c.syslog);
	assert_string_equal(c.syslog_target, "/dev/log");
	assert_false(c.journald);
	assert_int_equal(c.heartbeat, 3600);
	assert_null(c.chain_key);
	assert_null(c.host_name);
	assert_null(c.tail_rule);
	assert_null(c.tail_severity);
	assert_null(c.tail_prefix);
	assert_null(c.tail_since);
	assert_false(c.follow);
	assert_null(c.operands);
	assert_int_equal(c.noperands, 0);
	config_release(&c);
	assert_null(c.rules_path);
	assert_null(c.syslog_target);
	config_release(&c);		/* twice is harmless */
}

static void
test_every_key(void **state)
{
	static const char text[] =
	    "{\n"
	    "  \"rules\": \"/srv/fimd/rules\",\n"
	    "  \"shipped_rules\": \"/opt/fimd/shipped\",\n"
	    "  \"baseline\": \"/srv/fimd/baseline.json\",\n"
	    "  \"alerts\": \"/srv/log/alerts.json\",\n"
	    "  \"socket\": \"/run/x/fimd.sock\",\n"
	    "  \"backend\": \"inotify\",\n"
	    "  \"workers\": 1024,\n"
	    "  \"debounce_ms\": 0,\n"
	    "  \"debounce_max_ms\": 3600000,\n"
	    "  \"queue_budget\": 100000000,\n"
	    "  \"rescan_slice\": 0,\n"
	    "  \"paranoid\": true,\n"
	    "  \"syslog\": true,\n"
	    "  \"syslog_target\": \"/run/rsyslog/in.sock\",\n"
	    "  \"journald\": true,\n"
	    "  \"heartbeat\": \"15m\",\n"
	    "  \"chain_key\": \"/etc/fimd/chain.key\",\n"
	    "  \"host_name\": \"web-01.example.net\"\n"
	    "}\n";
	struct fimd_config c;
	struct diag d;
	const char *path = conf_file("all.json", text);

	(void)state;
	config_init(&c);
	diag_init(&d);
	assert_int_equal(config_load(&c, path, true, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c.config_path, path);
	assert_string_equal(c.rules_path, "/srv/fimd/rules");
	assert_string_equal(c.shipped_rules, "/opt/fimd/shipped");
	assert_string_equal(c.baseline_path, "/srv/fimd/baseline.json");
	assert_string_equal(c.alerts_path, "/srv/log/alerts.json");
	assert_string_equal(c.socket_path, "/run/x/fimd.sock");
	assert_int_equal(c.backend, BACKEND_INOTIFY);
	assert_int_equal(c.workers, 1024);
	assert_int_equal(c.debounce_ms, 0);
	assert_int_equal(c.debounce_max_ms, 3600000);
	assert_int_equal(c.queue_budget, 100000000);
	assert_int_equal(c.rescan_slice, 0);
	assert_true(c.paranoid);
	assert_true(c.syslog);
	assert_string_equal(c.syslog_target, "/run/rsyslog/in.sock");
	assert_true(c.journald);
	assert_int_equal(c.heartbeat, 900);
	assert_string_equal(c.chain_key, "/etc/fimd/chain.key");
	assert_string_equal(c.host_name, "web-01.example.net");
	diag_release(&d);
	config_release(&c);
}

/* Keys a file leaves out keep their values; a later file overrides. */
static void
test_partial_and_layered(void **state)
{
	struct fimd_config c;
	struct diag d;
	const char *p;

	(void)state;
	config_init(&c);
	diag_init(&d);
	p = conf_file("one.json", "{\"workers\": 3, \"alerts\": \"-\", "
	    "\"paranoid\": true, \"backend\": \"none\"}");
	assert_int_equal(config_load(&c, p, true, &d), 0);
	p = conf_file("two.json", "{\"workers\": 5, \"paranoid\": false, "
	    "\"heartbeat\": 60, "
	    "\"shipped_rules\": null, \"backend\": \"fanotify\"}");
	assert_int_equal(config_load(&c, p, false, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c.config_path, p);
	assert_int_equal(c.workers, 5);
	assert_int_equal(c.heartbeat, 60);
	assert_false(c.paranoid);
	assert_int_equal(c.backend, BACKEND_FANOTIFY);
	assert_string_equal(c.alerts_path, "-");
	assert_null(c.shipped_rules);
	assert_string_equal(c.rules_path, FIMD_DEFAULT_RULES);
	assert_int_equal(c.debounce_ms, 200);
	assert_int_equal(c.queue_budget, 500000);
	/* null: back to the system's host name. */
	p = conf_file("host.json", "{\"host_name\": \"h\xc3\xa9\"}");
	assert_int_equal(config_load(&c, p, true, &d), 0);
	assert_string_equal(c.host_name, "h\xc3\xa9");
	p = conf_file("nohost.json", "{\"host_name\": null}");
	assert_int_equal(config_load(&c, p, true, &d), 0);
	assert_null(c.host_name);
	p = conf_file("empty.json", " \n{ }\n");
	assert_int_equal(config_load(&c, p, true, &d), 0);
	assert_int_equal(c.workers, 5);
	diag_release(&d);
	config_release(&c);
}

static const struct error_case {
	const char *name;
	const char *text;
	unsigned line;
	unsigned column;
	const char *message;	/* a substring of the first entry */
	size_t	 nerrors;
} error_cases[] = {
	/* JSON syntax, from jansson. */
	{ "syntax", "{\"rules\": \"/x\",\n  \"baseline\" \"/y\"}", 2, 17,
	    "invalid JSON: ':' expected", 1 },
	{ "trailing comma", "{\"a\": 1,}", 1, 9, "invalid JSON", 1 },
	{ "empty file", "", 1, 0, "invalid JSON", 1 },
	{ "duplicate key", "{\"workers\": 1, \"workers\": 2}", 1, 24,
	    "duplicate object key", 1 },
	{ "NUL in a string", "{\"rules\": \"/a\\u0000b\"}", 1, 21,
	    "\\u0000 is not allowed", 1 },
	{ "two documents", "{\"workers\": 1} {}", 1, 16,
	    "end of file expected", 1 },
	/* The top level. */
	{ "array", "\n  [1, 2]", 2, 3, "must be a JSON object, not an array",
	    1 },
	{ "string", "\"rules\"", 1, 7, "'[' or '{' expected", 1 },
	/* Unknown keys. */
	{ "unknown key", "{\n  \"workers\": 2,\n    \"debounce\": 200\n}",
	    3, 5, "unknown key \"debounce\"", 1 },
	{ "unknown key, not UTF-8 safe", "{\"b\xc3\xa9\": 1, \"x\": 2}", 1,
	    2, "unknown key \"b\\xc3\\xa9\"", 2 },
	/* Columns count characters, as jansson's do. */
	{ "column after UTF-8", "{\"alerts\": \"/\xc3\xa9\", \"x\": 2}", 1,
	    18, "unknown key \"x\"", 1 },
	{ "unknown key quoted", "{\"a\\nb\": 1}", 1, 2,
	    "unknown key \"a\\x0ab\"", 1 },
	{ "case matters", "{\"Workers\": 1}", 1, 2,
	    "unknown key \"Workers\"", 1 },
	/* Wrong types. */
	{ "string for integer", "{\"workers\": \"4\"}", 1, 2,
	    "\"workers\" must be an integer, not a string", 1 },
	{ "real for integer", "{\"debounce_ms\": 200.0}", 1, 2,
	    "\"debounce_ms\" must be an integer, not a real number", 1 },
	{ "bool for integer", "{\"queue_budget\": true}", 1, 2,
	    "must be an integer, not a boolean", 1 },
	{ "integer for path", "{\"baseline\": 7}", 1, 2,
	    "\"baseline\" must be a path string, not an integer", 1 },
	{ "null for path", "{\"socket\": null}", 1, 2,
	    "\"socket\" must be a path string, not null", 1 },
	{ "array for shipped", "{\"shipped_rules\": [\"/a\"]}", 1, 2,
	    "must be a path string or null, not an array", 1 },
	{ "string for bool", "{\"syslog\": \"yes\"}", 1, 2,
	    "\"syslog\" must be true or false, not a string", 1 },
	{ "integer for bool", "{\"journald\": 1}", 1, 2,
	    "\"journald\" must be true or false, not an integer", 1 },
	{ "object for backend", "{\"backend\": {}}", 1, 2,
	    "\"backend\" must be a string, not an object", 1 },
	/* Bad values. */
	{ "unknown backend", "{\"backend\": \"epoll\"}", 1, 2,
	    "auto, fanotify, inotify or none", 1 },
	{ "workers too many", "{\"workers\": 1025}", 1, 2,
	    "\"workers\" must be from 0 to 1024, not 1025", 1 },
	{ "negative", "{\"debounce_max_ms\": -1}", 1, 2,
	    "must be from 0 to 3600000, not -1", 1 },
	{ "debounce too long", "{\"debounce_ms\": 3600001}", 1, 2,
	    "must be from 0 to 3600000", 1 },
	{ "budget too large", "{\"queue_budget\": 100000001}", 1, 2,
	    "must be from 0 to 100000000", 1 },
	{ "relative path", "{\"rules\": \"etc/rules.d\"}", 1, 2,
	    "\"rules\" must be an absolute path", 1 },
	{ "empty path", "{\"syslog_target\": \"\"}", 1, 2,
	    "\"syslog_target\" must not be empty", 1 },
	{ "dash for baseline", "{\"baseline\": \"-\"}", 1, 2,
	    "must be an absolute path", 1 },
	{ "relative alerts", "{\"alerts\": \"alerts.json\"}", 1, 2,
	    "must be an absolute path or \"-\"", 1 },
	{ "heartbeat zero", "{\"heartbeat\": 0}", 1, 2,
	    "\"heartbeat\" must be a duration from 1 s to 604800 s", 1 },
	{ "heartbeat no unit", "{\"heartbeat\": \"1w\"}", 1, 2,
	    "such as \"30s\", \"15m\", \"1h\" or \"1d\"", 1 },
	{ "heartbeat too long", "{\"heartbeat\": \"8d\"}", 1, 2,
	    "from 1 s to 604800 s", 1 },
	{ "heartbeat bool", "{\"heartbeat\": true}", 1, 2,
	    "\"heartbeat\" must be a duration (\"30s\", \"15m\", \"1h\", "
	    "\"1d\") or seconds, not a boolean", 1 },
	{ "host name empty", "{\"host_name\": \"\"}", 1, 2,
	    "\"host_name\" must be 1 to 255 bytes without spaces", 1 },
	{ "host name with a space", "{\"host_name\": \"web 01\"}", 1, 2,
	    "without spaces or control characters", 1 },
	{ "host name with a newline", "{\"host_name\": \"a\\nb\"}", 1, 2,
	    "without spaces or control characters", 1 },
	{ "host name too long", "{\"host_name\": \""
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"}", 1, 2, "must be 1 to 255 bytes", 1 },
	{ "host name a number", "{\"host_name\": 7}", 1, 2,
	    "\"host_name\" must be a string or null, not an integer", 1 },
	/* Positions: the top-level key, not a nested or quoted one. */
	{ "nested same name",
	    "{\"syslog\": true, \"s\": {\"workers\": \"a\"}, \"workers\": "
	    "\"b\"}", 1, 18, "unknown key \"s\"", 2 },
	{ "name inside a string",
	    "{\"alerts\": \"/\\\"workers\\\": x\",\n\t\"workers\": -1}", 2, 2,
	    "\"workers\" must be from 0", 1 },
	{ "escaped known key", "{\"\\u0072ules\": 5}", 1, 2,
	    "\"rules\" must be a path string", 1 },
	{ "in order of the text",
	    "{\"zz\": 1,\n \"workers\": \"x\",\n  \"aa\": 2}", 1, 2,
	    "unknown key \"zz\"", 3 },
};

static void
test_errors(void **state)
{
	const struct error_case *tc;
	struct fimd_config c;
	struct diag d;
	const char *path;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		tc = &error_cases[i];
		path = conf_file("bad.json", tc->text);
		config_init(&c);
		diag_init(&d);
		r = config_load(&c, path, false, &d);
		if (r != -EINVAL || d.n != tc->nerrors ||
		    d.errors != tc->nerrors || d.v[0].line != tc->line ||
		    d.v[0].column != tc->column ||
		    d.v[0].file == NULL || strcmp(d.v[0].file, path) != 0 ||
		    strstr(d.v[0].message, tc->message) == NULL)
			fail_msg("%s: r=%d n=%zu %u:%u %s", tc->name, r, d.n,
			    d.n > 0 ? d.v[0].line : 0,
			    d.n > 0 ? d.v[0].column : 0,
			    d.n > 0 ? d.v[0].message : "(none)");
		diag_release(&d);
		config_release(&c);
	}
}

/* Every problem is reported, each at its own key. */
static void
test_every_error_reported(void **state)
{
	static const char text[] =
	    "{\n"
	    "  \"workers\": -2,\n"
	    "  \"rules\": \"/ok\",\n"
	    "  \"alerts\": false, \"bogus\": 1,\n"
	    "  \"backend\": \"x\"\n"
	    "}\n";
	static const unsigned want[][2] = { { 2, 3 }, { 4, 3 }, { 4, 20 },
	    { 5, 3 } };
	struct fimd_config c;
	struct diag d;
	size_t i;

	(void)state;
	config_init(&c);
	diag_init(&d);
	assert_int_equal(config_load(&c, conf_file("many.json", text), true,
	    &d), -EINVAL);
	assert_int_equal(d.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(d.v[i].severity, DIAG_ERROR);
		assert_int_equal(d.v[i].line, want[i][0]);
		assert_int_equal(d.v[i].column, want[i][1]);
	}
	/* Nothing of a bad file is applied, not even its good keys. */
	assert_string_equal(c.rules_path, FIMD_DEFAULT_RULES);
	assert_string_equal(c.alerts_path, FIMD_DEFAULT_ALERTS);
	assert_int_equal(c.workers, 0);
	diag_release(&d);
	config_release(&c);
}

static void
test_missing_file(void **state)
{
	struct fimd_config c;
	struct diag d;
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.json", tmpdir);
	config_init(&c);
	diag_init(&d);
	/* The default file may be absent. */
	assert_int_equal(config_load(&c, path, false, &d), 0);
	assert_int_equal(d.n, 0);
	assert_null(c.config_path);
	assert_string_equal(c.rules_path, FIMD_DEFAULT_RULES);
	/* A named one may not. */
	assert_int_equal(config_load(&c, path, true, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, path);
	assert_int_equal(d.v[0].line, 0);
	assert_non_null(strstr(d.v[0].message, "No such file"));
	diag_release(&d);
	config_release(&c);
}

/* Unreadable things are errors even for the default path. */
static void
test_not_a_file(void **state)
{
	struct fimd_config c;
	struct diag d;
	char path[4096];
	char *big;
	size_t bigsize = ((size_t)1 << 20) + 1;

	(void)state;
	config_init(&c);
	diag_init(&d);
	assert_int_equal(config_load(&c, tmpdir, false, &d), -EISDIR);
	assert_int_equal(d.n, 1);

	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* Must not block waiting for a writer. */
	assert_int_equal(config_load(&c, path, false, &d), -EINVAL);
	assert_int_equal(d.n, 2);
	assert_non_null(strstr(d.v[1].message, "not a regular file"));

	big = malloc(bigsize);
	assert_non_null(big);
	memset(big, ' ', bigsize);
	big[0] = '{';
	big[bigsize - 1] = '}';
	snprintf(path, sizeof(path), "%s/big.json", tmpdir);
	tlib_write(path, big, bigsize);
	free(big);
	assert_int_equal(config_load(&c, path, false, &d), -EFBIG);
	assert_int_equal(d.n, 3);
	assert_non_null(strstr(d.v[2].message, "larger than"));
	/* Exactly the limit is fine. */
	assert_int_equal(truncate(path, (off_t)bigsize - 2), 0);
	assert_int_equal(tlib_sh("printf '}' >> '%s'", path), 0);
	assert_int_equal(config_load(&c, path, true, &d), 0);
	assert_int_equal(d.n, 3);
	assert_string_equal(c.config_path, path);
	diag_release(&d);
	config_release(&c);
}

static void
test_backend_names(void **state)
{
	static const char *const bad[] = {
		"", "Auto", "FANOTIFY", "fanotify ", " none", "inotify\n",
		"epoll", "kqueue",
	};
	static const struct {
		const char *name;
		enum backend_kind kind;
	} good[] = {
		{ "auto", BACKEND_AUTO },
		{ "fanotify", BACKEND_FANOTIFY },
		{ "inotify", BACKEND_INOTIFY },
		{ "none", BACKEND_NONE },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(config_backend_from_name(good[i].name),
		    good[i].kind);
		assert_string_equal(config_backend_name(good[i].kind),
		    good[i].name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_backend_from_name(bad[i]), -ENOENT);
	assert_int_equal(config_backend_from_name(NULL), -ENOENT);
	assert_string_equal(config_backend_name((enum backend_kind)42),
	    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_partial_and_layered),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_not_a_file),
		cmocka_unit_test(test_backend_names),
	};

	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
