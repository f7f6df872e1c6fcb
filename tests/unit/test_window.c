/*
 * window: opening, covering, expiry and counting; the file form saved
 * and read back; every refusal of a damaged file with its line and
 * column; a FIFO in the file's place never blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

#include "diag.h"
#include "window.h"

static char *tmpdir;

static int
setup(void **state)
{
	(void)state;
	tmpdir = tlib_mkdtemp("window");
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

static void
test_open_cover_expire(void **state)
{
	const char *rules[] = { "etc" };
	struct window_set *s = window_set_new();
	struct window *all, *etc;
	json_t *tag;
	size_t i;

	(void)state;
	all = window_open(s, "every rule", 0, "root", 1000, 0, NULL, 0);
	etc = window_open(s, "etc only", 1000, NULL, 1010, 60, rules, 1);
	assert_int_equal(all->id, 1);
	assert_int_equal(etc->id, 2);
	/* The newest window that covers the rule wins. */
	assert_ptr_equal(window_covering(s, "etc", 1020), etc);
	assert_ptr_equal(window_covering(s, "bin", 1020), all);
	/* An expired one covers nothing, before anyone closed it. */
	assert_ptr_equal(window_covering(s, "etc", 1070), all);
	assert_ptr_equal(window_expired(s, 1070), etc);
	assert_null(window_expired(s, 1069));
	assert_true(window_next_expiry(s) == 1070);

	window_count_change(etc, "etc", "sed", "/etc/a", 6);
	window_count_change(etc, "etc", "sed", "/etc/a", 6);
	window_count_change(etc, "etc", NULL, "/etc/\n", 6);
	window_count_change(etc, "etc", NULL, NULL, 0);
	assert_int_equal(etc->changes, 4);
	assert_int_equal(json_integer_value(json_object_get(etc->by_writer,
	    "sed")), 2);
	assert_int_equal(json_integer_value(json_object_get(etc->by_writer,
	    "unknown")), 2);
	assert_int_equal(json_object_size(etc->paths), 2);
	tag = window_tag_json(etc);
	assert_string_equal(json_string_value(json_object_get(tag, "reason")),
	    "etc only");
	assert_null(json_object_get(tag, "user"));
	assert_non_null(json_object_get(tag, "expires"));
	json_decref(tag);

	assert_true(window_close(s, 2));
	assert_false(window_close(s, 2));
	assert_int_equal(window_count(s), 1);
	/* Never more than WINDOW_OPEN_MAX at once. */
	for (i = 1; i < WINDOW_OPEN_MAX; i++)
		assert_non_null(window_open(s, "x", 0, NULL, 1, 0, NULL, 0));
	assert_null(window_open(s, "x", 0, NULL, 1, 0, NULL, 0));
	window_set_free(s);
}

static void
test_save_load(void **state)
{
	const char *rules[] = { "etc", "bin" };
	char *path = tlib_fmt("%s/b.json.windows", tmpdir);
	struct window_set *s = window_set_new(), *back;
	struct window *w;
	struct diag d;
	struct stat st;

	(void)state;
	diag_init(&d);
	/* No file yet: an empty set. */
	assert_int_equal(window_set_load(path, &back, &d), 0);
	assert_int_equal(window_count(back), 0);
	window_set_free(back);

	w = window_open(s, "deploy \"42\"\n", 0, "root", 1764750000.25, 3600,
	    rules, 2);
	window_count_change(w, "etc", "dpkg", "/etc/\xff\xfe", 7);
	assert_int_equal(window_set_save(s, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(window_set_load(path, &back, &d), 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(window_count(back), 1);
	w = window_at(back, 0);
	assert_string_equal(w->reason, "deploy \"42\"\n");
	assert_string_equal(w->user, "root");
	assert_true(w->opened == 1764750000.25);
	assert_true(w->expires == 1764750000.25 + 3600);
	assert_int_equal(w->nrules, 2);
	assert_string_equal(w->rules[1], "bin");
	assert_int_equal(w->changes, 1);
	assert_int_equal(json_object_size(w->paths), 1);
	/* Ids go on from where they were. */
	assert_int_equal(window_open(back, "next", 0, NULL, 1, 0, NULL,
	    0)->id, 2);
	window_set_free(back);
	window_set_free(s);
	diag_release(&d);
	free(path);
}

struct bad_case {
	const char *text;
	unsigned line, column;
	const char *msg;
};

static void
test_refusals(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"fimd_windows\":1,\n\"next_id\":", 2, 10, "not JSON" },
		{ "[]", 1, 1, "not a fimd windows file" },
		{ "{\"fimd_windows\":2,\"next_id\":1,\"windows\":[]}", 1, 1,
		    "unsupported" },
		{ "{\"fimd_windows\":1,\"next_id\":0,\"windows\":[]}", 1, 1,
		    "next_id" },
		{ "{\"fimd_windows\":1,\"next_id\":3,\"windows\":{}}", 1, 1,
		    "\"windows\" must be a list" },
		{ "{\"fimd_windows\":1,\"next_id\":3,\"windows\":[\n"
		    "  {\"id\":1,\"reason\":\"r\",\"uid\":0,\"opened_s\":1,"
		    "\"expires_s\":0,\"rules\":[],\"changes\":0,\"by_rule\":{},"
		    "\"by_writer\":{},\"paths\":{},\"paths_dropped\":0},\n"
		    "  {\"id\":2,\"reason\":7}]}", 3, 3, "\"reason\"" },
		{ "{\"fimd_windows\":1,\"next_id\":3,\"windows\":[\n"
		    "  {\"id\":1,\"reason\":\"r\",\"uid\":0,\"opened_s\":-1,"
		    "\"expires_s\":0,\"rules\":[],\"changes\":0,\"by_rule\":{},"
		    "\"by_writer\":{},\"paths\":{},\"paths_dropped\":0}]}", 2, 3,
		    "opened_s" },
		{ "{\"fimd_windows\":1,\"next_id\":3,\"windows\":[\n"
		    "  {\"id\":1,\"reason\":\"r\",\"uid\":0,\"opened_s\":1,"
		    "\"expires_s\":0,\"rules\":[],\"changes\":0,\"by_rule\":{},"
		    "\"by_writer\":{},\"paths\":{\"\\\\q\":1},"
		    "\"paths_dropped\":0}]}", 2, 3, "\"paths\"" },
		{ "{\"fimd_windows\":1,\"next_id\":1,\"windows\":[\n"
		    "  {\"id\":1,\"reason\":\"r\",\"uid\":0,\"opened_s\":1,"
		    "\"expires_s\":0,\"rules\":[],\"changes\":0,\"by_rule\":{},"
		    "\"by_writer\":{},\"paths\":{},\"paths_dropped\":0}]}", 2, 3,
		    "not below \"next_id\"" },
	};
	struct window_set *s;
	struct diag d;
	char *msg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		diag_init(&d);
		assert_int_equal(window_set_parse("w.json", cases[i].text,
		    strlen(cases[i].text), &s, &d), -EBADMSG);
		assert_null(s);
		assert_int_equal(d.errors, 1);
		msg = diag_format(&d.v[0]);
		if (strstr(msg, cases[i].msg) == NULL ||
		    d.v[0].line != cases[i].line ||
		    d.v[0].column != cases[i].column)
			fail_msg("case %zu: %s (want %u:%u %s)", i, msg,
			    cases[i].line, cases[i].column, cases[i].msg);
		assert_non_null(strstr(msg, "w.json"));
		free(msg);
		diag_release(&d);
	}
}

static void
test_fifo(void **state)
{
	char *path = tlib_fmt("%s/fifo.windows", tmpdir);
	struct window_set *s;
	struct diag d;

	(void)state;
	assert_int_equal(mkfifo(path, 0600), 0);
	diag_init(&d);
	assert_int_equal(window_set_load(path, &s, &d), -EBADMSG);
	assert_null(s);
	assert_int_equal(d.errors, 1);
	diag_release(&d);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_cover_expire),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fifo),
	};

	return cmocka_run_group_tests_name("window", tests, setup, teardown);
}
