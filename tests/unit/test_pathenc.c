/* pathenc: UTF-8 validation, lossy and lossless forms, round trips. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tlib.h"

#include "buf.h"
#include "pathenc.h"

struct pathenc_case {
	const char *in;
	size_t	 len;
	bool	 utf8;
	const char *lossy;
	const char *escaped;
};

#define S(x) x, sizeof(x) - 1

static const struct pathenc_case cases[] = {
	{ S("/etc/passwd"), true, "/etc/passwd", "/etc/passwd" },
	{ S("/tmp/new\nline"), true, "/tmp/new\nline", "/tmp/new\nline" },
	{ S("/tmp/caf\xc3\xa9"), true, "/tmp/caf\xc3\xa9", "/tmp/caf\xc3\xa9" },
	{ S("/tmp/\xff\xfe"), false, "/tmp/\xef\xbf\xbd\xef\xbf\xbd",
	    "/tmp/\\xff\\xfe" },
	{ S("/a\\b"), true, "/a\\b", "/a\\\\b" },
	{ S("\xc0\xaf"), false, "\xef\xbf\xbd\xef\xbf\xbd", "\\xc0\\xaf" },
	{ S("\xed\xa0\x80"), false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	    "\\xed\\xa0\\x80" },
	{ S("\xf4\x90\x80\x80"), false, NULL, "\\xf4\\x90\\x80\\x80" },
	{ S("\xf0\x9f\x98\x80"), true, "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
	{ S("trail\xe2\x82"), false, "trail\xef\xbf\xbd\xef\xbf\xbd",
	    "trail\\xe2\\x82" },
};

static void
test_cases(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pathenc_case *c = &cases[i];

		assert_int_equal(pathenc_is_utf8(c->in, c->len), c->utf8);
		if (c->lossy != NULL) {
			buf_reset(&b);
			assert_int_equal(pathenc_lossy(c->in, c->len, &b), 0);
			assert_string_equal(b.data, c->lossy);
		}
		buf_reset(&b);
		assert_int_equal(pathenc_escape(c->in, c->len, &b), 0);
		assert_string_equal(b.data, c->escaped);
	}
	buf_release(&b);
}

/* Every byte string of one and two bytes survives escape + unescape. */
static void
test_round_trip_all_pairs(void **state)
{
	struct buf e, u;
	char in[2];
	int x, y;

	(void)state;
	buf_init(&e, 1 << 20);
	buf_init(&u, 1 << 20);
	for (x = 1; x < 256; x++) {
		for (y = 1; y < 256; y++) {
			in[0] = (char)x;
			in[1] = (char)y;
			buf_reset(&e);
			buf_reset(&u);
			assert_int_equal(pathenc_escape(in, 2, &e), 0);
			assert_true(pathenc_is_utf8(e.data, e.len));
			assert_int_equal(pathenc_unescape(e.data, e.len, &u), 0);
			assert_int_equal(u.len, 2);
			assert_memory_equal(u.data, in, 2);
		}
	}
	buf_release(&e);
	buf_release(&u);
}

static void
test_unescape_rejects(void **state)
{
	static const char *const bad[] = {
		"\\", "\\x", "\\x4", "\\xzz", "\\q", "a\\x00",
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		assert_int_equal(pathenc_unescape(bad[i], strlen(bad[i]), &b),
		    -EINVAL);
	}
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_round_trip_all_pairs),
		cmocka_unit_test(test_unescape_rejects),
	};

	return cmocka_run_group_tests_name("pathenc", tests, NULL, NULL);
}
