/*
 * textdiff: known outputs (a row per case), the same cases against the
 * system's diff -u, random texts whose diff rebuilds the new text from
 * the old, the work bound, and truncation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlib.h"

#include "buf.h"
#include "textdiff.h"

static const struct {
	const char *name, *a, *b, *want;
} cases[] = {
	{ "equal", "a\nb\n", "a\nb\n", "" },
	{ "both empty", "", "", "" },
	{ "one line changed", "a\nb\nc\n", "a\nB\nc\n",
	    "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n" },
	{ "from empty", "", "x\ny\n", "@@ -0,0 +1,2 @@\n+x\n+y\n" },
	{ "to empty", "x\n", "", "@@ -1 +0,0 @@\n-x\n" },
	{ "context is three lines",
	    "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
	    "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n" },
	{ "two hunks",
	    "a\n1\n2\n3\n4\n5\n6\n7\n8\nb\n",
	    "A\n1\n2\n3\n4\n5\n6\n7\n8\nB\n",
	    "@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n"
	    "@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n" },
	{ "changes six apart share a hunk",
	    "a\n1\n2\n3\n4\n5\n6\nb\n", "A\n1\n2\n3\n4\n5\n6\nB\n",
	    "@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n" },
	{ "no newline at the end, added",
	    "a\nb", "a\nb\n",
	    "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n" },
	{ "no newline on both sides",
	    "a\nb", "a\nc",
	    "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
	    "\\ No newline at end of file\n" },
	{ "insertion in the middle",
	    "a\nb\nc\nd\n", "a\nb\nnew\nc\nd\n",
	    "@@ -1,4 +1,5 @@\n a\n b\n+new\n c\n d\n" },
	{ "deletions before insertions",
	    "x\na\nb\ny\n", "x\nc\nd\ny\n",
	    "@@ -1,4 +1,4 @@\n x\n-a\n-b\n+c\n+d\n y\n" },
};

static void
diff_of(const char *a, const char *b, struct buf *out)
{
	buf_reset(out);
	assert_int_equal(textdiff_unified(a, strlen(a), b, strlen(b), 3, out),
	    0);
}

static void
test_known(void **state)
{
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, BUF_MAX_DEFAULT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		diff_of(cases[i].a, cases[i].b, &out);
		if (strcmp(out.data, cases[i].want) != 0)
			fail_msg("%s: got\n%s\nwant\n%s", cases[i].name,
			    out.data, cases[i].want);
	}
	buf_release(&out);
}

/* The system's diff -u, without its two header lines. */
static char *
system_diff(const char *dir, const char *a, const char *b)
{
	char *pa = tlib_fmt("%s/a", dir), *pb = tlib_fmt("%s/b", dir);
	char *out = NULL;

	tlib_write(pa, a, (size_t)-1);
	tlib_write(pb, b, (size_t)-1);
	(void)tlib_sh_out(&out, "diff -u '%s' '%s' | tail -n +3", pa, pb);
	free(pa);
	free(pb);
	return out;
}

static void
test_against_diff(void **state)
{
	char *dir = tlib_mkdtemp("textdiff"), *want;
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, BUF_MAX_DEFAULT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		want = system_diff(dir, cases[i].a, cases[i].b);
		diff_of(cases[i].a, cases[i].b, &out);
		if (strcmp(out.data, want) != 0)
			fail_msg("%s: got\n%s\ndiff -u says\n%s",
			    cases[i].name, out.data, want);
		free(want);
	}
	buf_release(&out);
	tlib_rmrf(dir);
	free(dir);
}

/* Next line of s at *pos (without its newline) into line; false at end. */
static bool
next_line(const char *s, size_t *pos, struct buf *line)
{
	const char *nl;
	size_t n;

	if (s[*pos] == '\0')
		return false;
	nl = strchr(s + *pos, '\n');
	n = nl != NULL ? (size_t)(nl - (s + *pos)) : strlen(s + *pos);
	buf_reset(line);
	(void)buf_add(line, s + *pos, n);
	*pos += n + (nl != NULL);
	return true;
}

/*
 * Apply the unified diff d to the lines of a (all ending in '\n'),
 * checking every context and deleted line; returns the new text.
 */
static char *
apply(const char *a, const char *d)
{
	struct buf res, line, aline;
	size_t dp = 0, ap = 0, aline_no = 0, start;

	buf_init(&res, BUF_MAX_DEFAULT);
	buf_init(&line, BUF_MAX_DEFAULT);
	buf_init(&aline, BUF_MAX_DEFAULT);
	while (next_line(d, &dp, &line)) {
		if (line.data[0] == '@') {
			assert_true(sscanf(line.data, "@@ -%zu", &start) == 1);
			if (strchr(line.data, ',') != NULL &&
			    strstr(line.data, ",0 +") != NULL)
				start++;
			while (aline_no + 1 < start) {
				assert_true(next_line(a, &ap, &aline));
				(void)buf_add(&res, aline.data, aline.len);
				(void)buf_addc(&res, '\n');
				aline_no++;
			}
			continue;
		}
		if (line.data[0] == '+') {
			(void)buf_add(&res, line.data + 1, line.len - 1);
			(void)buf_addc(&res, '\n');
			continue;
		}
		assert_true(next_line(a, &ap, &aline));
		aline_no++;
		assert_string_equal(aline.data, line.data + 1);
		if (line.data[0] == ' ') {
			(void)buf_add(&res, aline.data, aline.len);
			(void)buf_addc(&res, '\n');
		} else
			assert_int_equal(line.data[0], '-');
	}
	while (next_line(a, &ap, &aline)) {
		(void)buf_add(&res, aline.data, aline.len);
		(void)buf_addc(&res, '\n');
	}
	buf_release(&line);
	buf_release(&aline);
	return buf_detach(&res, NULL);
}

/* n random lines from a small alphabet, so many lines repeat. */
static void
random_text(unsigned *seed, size_t n, struct buf *out)
{
	static const char *words[] = { "a", "b", "c", "d", "{", "}", "" };
	size_t i;

	buf_reset(out);
	for (i = 0; i < n; i++) {
		(void)buf_adds(out, words[rand_r(seed) % 7]);
		(void)buf_addc(out, '\n');
	}
}

static void
test_random_rebuilds(void **state)
{
	struct buf a, b, d;
	unsigned seed = 7;
	char *got;
	int round;

	(void)state;
	buf_init(&a, BUF_MAX_DEFAULT);
	buf_init(&b, BUF_MAX_DEFAULT);
	buf_init(&d, BUF_MAX_DEFAULT);
	for (round = 0; round < 300; round++) {
		random_text(&seed, (size_t)(rand_r(&seed) % 40), &a);
		random_text(&seed, (size_t)(rand_r(&seed) % 40), &b);
		buf_reset(&d);
		assert_int_equal(textdiff_unified(a.data, a.len, b.data,
		    b.len, 3, &d), 0);
		got = apply(a.data, d.data);
		if (strcmp(got, b.data) != 0)
			fail_msg("round %d: diff\n%s\nof\n%s\nto\n%s\n"
			    "rebuilt\n%s", round, d.data, a.data, b.data, got);
		free(got);
	}
	buf_release(&a);
	buf_release(&b);
	buf_release(&d);
}

/* Past the edit bound the diff is still right, only longer. */
static void
test_bound(void **state)
{
	struct buf a, b, d;
	char *got;
	size_t i;

	(void)state;
	buf_init(&a, BUF_MAX_DEFAULT);
	buf_init(&b, BUF_MAX_DEFAULT);
	buf_init(&d, BUF_MAX_DEFAULT);
	for (i = 0; i < 3 * TEXTDIFF_MAX_EDITS; i++) {
		(void)buf_addf(&a, "line %zu\n", i);
		(void)buf_addf(&b, i % 2 == 0 ? "line %zu\n" : "other %zu\n",
		    i);
	}
	assert_int_equal(textdiff_unified(a.data, a.len, b.data, b.len, 3,
	    &d), 0);
	got = apply(a.data, d.data);
	assert_string_equal(got, b.data);
	free(got);
	buf_release(&a);
	buf_release(&b);
	buf_release(&d);
}

static void
test_truncate(void **state)
{
	struct buf d;
	size_t i;

	(void)state;
	buf_init(&d, BUF_MAX_DEFAULT);
	for (i = 0; i < 1000; i++)
		(void)buf_addf(&d, "+line %zu\n", i);
	assert_int_equal(textdiff_truncate(&d, 1 << 20), 0);
	assert_int_equal(textdiff_truncate(&d, 8192), 1);
	assert_true(d.len <= 8192);
	assert_non_null(strstr(d.data, "\\ fimd: diff truncated, "));
	assert_int_equal(d.data[d.len - 1], '\n');
	/* Cut after a whole line: the one before the marker is complete. */
	assert_non_null(strstr(d.data, "\n\\ fimd: diff truncated"));
	buf_release(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_against_diff),
		cmocka_unit_test(test_random_rebuilds),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_truncate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
