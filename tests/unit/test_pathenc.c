/*
 * pathenc: UTF-8 validation, lossy and lossless forms, round trips, and
 * the terminal form against every code point.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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

/* ---- the terminal form ---- */

static const struct {
	const char *in;
	size_t	 len;
	const char *want;
} visible_cases[] = {
	{ S("/etc/passwd"), "/etc/passwd" },
	{ S("/tmp/caf\xc3\xa9 \xe2\x82\xac"), "/tmp/caf\xc3\xa9 \xe2\x82\xac" },
	{ S("a\nb\tc\x1b[31m\x7f"), "a\\x0ab\\x09c\\x1b[31m\\x7f" },
	{ S("n\0ul"), "n\\x00ul" },
	/* C1 as UTF-8: CSI, NEL, the first and the last */
	{ S("\xc2\x9b" "2J"), "\\xc2\\x9b2J" },
	{ S("\xc2\x85\xc2\x80\xc2\x9f"), "\\xc2\\x85\\xc2\\x80\\xc2\\x9f" },
	{ S("\xc2\xa0\xc2\xa9"), "\xc2\xa0\xc2\xa9" },	/* NBSP, (c): shown */
	/* C1 as raw bytes, and other bytes that are not UTF-8 */
	{ S("x\x9b" "2J"), "x\\x9b2J" },
	{ S("\x80\x9f\xff\xc3"), "\\x80\\x9f\\xff\\xc3" },
	/* bidi: LRE..RLO, LRI..PDI; their neighbours are shown */
	{ S("\xe2\x80\xaegnp.exe"), "\\xe2\\x80\\xaegnp.exe" },
	{ S("\xe2\x80\xaa\xe2\x80\xac\xe2\x81\xa6\xe2\x81\xa9"),
	    "\\xe2\\x80\\xaa\\xe2\\x80\\xac\\xe2\\x81\\xa6\\xe2\\x81\\xa9" },
	{ S("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"),
	    "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa" },
	{ S("back\\slash"), "back\\slash" },
};

static void
test_visible(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(visible_cases) / sizeof(visible_cases[0]);
	    i++) {
		buf_reset(&b);
		assert_int_equal(pathenc_visible(visible_cases[i].in,
		    visible_cases[i].len, &b), 0);
		assert_string_equal(b.data, visible_cases[i].want);
	}
	buf_release(&b);
	/* Out of room: an error, never a cut escape passed as success. */
	buf_init(&b, 8);
	assert_int_equal(pathenc_visible(S("\xc2\x9b\xc2\x9b\xc2\x9b"), &b),
	    -ENOSPC);
	buf_release(&b);
}

/* UTF-8 of code point cp into out; returns the length. */
static size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Every code point: exactly C0, DEL, C1 and the nine bidi controls are
 * escaped, byte by byte; everything else passes unchanged.
 */
static void
test_visible_every_code_point(void **state)
{
	char in[4], want[17];
	struct buf b;
	uint32_t cp;
	size_t n, i;
	bool unsafe;

	(void)state;
	buf_init(&b, 1 << 20);
	for (cp = 1; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;	/* surrogates are not UTF-8 */
		n = utf8_encode(cp, in);
		unsafe = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069);
		buf_reset(&b);
		assert_int_equal(pathenc_visible(in, n, &b), 0);
		if (!unsafe) {
			assert_int_equal(b.len, n);
			assert_memory_equal(b.data, in, n);
			continue;
		}
		for (i = 0; i < n; i++)
			snprintf(want + 4 * i, 5, "\\x%02x",
			    (unsigned char)in[i]);
		if (strcmp(b.data, want) != 0)
			fail_msg("U+%04X: \"%s\"", (unsigned)cp, b.data);
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
		cmocka_unit_test(test_visible),
		cmocka_unit_test(test_visible_every_code_point),
	};

	return cmocka_run_group_tests_name("pathenc", tests, NULL, NULL);
}
