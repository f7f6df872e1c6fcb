/*
 * glob: the pattern language of fimd.rules(5), on byte strings.  Table
 * cases; the matcher against the old recursive one on random cases; and
 * the time of patterns that made the recursive one exponential.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlib.h"

#include "glob.h"

struct glob_case {
	const char *pattern;
	const char *path;
	size_t	 len;
	bool	 match;
};

#define S(x) x, sizeof(x) - 1

static const struct glob_case cases[] = {
	/* literals */
	{ "passwd", S("passwd"), true },
	{ "passwd", S("passwd-"), false },
	{ "passwd", S("passw"), false },
	{ "", S(""), true },
	{ "", S("a"), false },
	/* ? is one byte, never "/" */
	{ "a?c", S("abc"), true },
	{ "a?c", S("ac"), false },
	{ "a?c", S("a/c"), false },
	{ "a?c", S("a\nc"), true },
	{ "a?c", S("a\xff" "c"), true },
	{ "???", S("a\0b"), true },
	/* * stays within one name */
	{ "*.so*", S("libc.so.6"), true },
	{ "*.so*", S("libc.a"), false },
	{ "*", S(""), true },
	{ "*", S("a/b"), false },
	{ "a*", S("a/b"), false },
	{ "*/*", S("a/b"), true },
	{ "*/*", S("a/b/c"), false },
	{ "*a*a*a*b", S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), false },
	{ "*a*a*a*b", S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"), true },
	{ "x*y", S("x\ny\xffy"), true },
	{ "a**b", S("axxb"), true },
	{ "a**b", S("ax/xb"), false },
	/* ** is whole names, zero or more */
	{ "**", S(""), true },
	{ "**", S("a/b/c"), true },
	{ "**/*.dpkg-new", S("x.dpkg-new"), true },
	{ "**/*.dpkg-new", S("a/b/x.dpkg-new"), true },
	{ "**/*.dpkg-new", S("a/b/x.dpkg-old"), false },
	{ "a/**/b", S("a/b"), true },
	{ "a/**/b", S("a/x/y/b"), true },
	{ "a/**/b", S("a/xb"), false },
	{ "**/__pycache__/**", S("lib/__pycache__/m.pyc"), true },
	{ "**/__pycache__/**", S("__pycache__"), true },
	{ "**/__pycache__/**", S("lib/__pycache__"), true },
	{ "**/__pycache__/**", S("lib/__pycache__x/m"), false },
	/* a final "**" name also matches the directory itself */
	{ "build/**", S("build"), true },
	{ "build/**", S("build/x/y"), true },
	{ "build/**", S("builder"), false },
	{ "build/**", S("buil"), false },
	{ "/etc/**", S("/etc"), true },
	{ "/etc/**", S("/etcx"), false },
	{ "*/**", S("ab"), true },
	{ "/**", S("/anything/at/all"), true },
	/* classes */
	{ "[abc]", S("b"), true },
	{ "[abc]", S("d"), false },
	{ "[a-c]x", S("bx"), true },
	{ "[!a-c]x", S("dx"), true },
	{ "[!a-c]x", S("bx"), false },
	{ "[]]", S("]"), true },
	{ "[!]]", S("a"), true },
	{ "[a-]", S("-"), true },
	{ "[\\]]", S("]"), true },
	{ "[!a]", S("/"), false },
	{ "[\x80-\xff]", S("\xfe"), true },
	{ "[\x80-\xff]", S("a"), false },
	{ "[\n]", S("\n"), true },
	/* escapes */
	{ "\\*", S("*"), true },
	{ "\\*", S("a"), false },
	{ "\\?", S("?"), true },
	{ "\\[x]", S("[x]"), true },
	{ "a\\\\b", S("a\\b"), true },
	/* bytes: newline, invalid UTF-8 */
	{ "*.conf", S("new\nline.conf"), true },
	{ "\xff*", S("\xff\xfe"), true },
	{ "/tmp/*", S("/tmp/\xc3"), true },
};

static void
test_match(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct glob_case *c = &cases[i];
		bool got = glob_match(c->pattern, c->path, c->len);

		if (got != c->match)
			fail_msg("case %zu: glob_match(\"%s\", \"%.*s\") = %d",
			    i, c->pattern, (int)c->len, c->path, got);
	}
}

struct validate_case {
	const char *pattern;
	int	 ret;
	size_t	 offset;
};

static const struct validate_case vcases[] = {
	{ "*.so*", 0, 0 },
	{ "[abc]", 0, 0 },
	{ "[]]", 0, 0 },
	{ "\\[", 0, 0 },
	{ "ab[", -EINVAL, 2 },
	{ "abc[de", -EINVAL, 3 },
	{ "[]", -EINVAL, 0 },
	{ "a/[!", -EINVAL, 2 },
	{ "x\\", -EINVAL, 1 },
	{ "[a\\", -EINVAL, 0 },
	{ "**/x", 0, 0 },
};

static void
test_validate(void **state)
{
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		off = 9999;
		assert_int_equal(glob_validate(vcases[i].pattern, &off),
		    vcases[i].ret);
		if (vcases[i].ret < 0)
			assert_int_equal(off, vcases[i].offset);
	}
}

/* A long path with many stars must not take exponential time. */
static void
test_long(void **state)
{
	char path[4097];

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_false(glob_match("*a*a*a*a*a*a*a*a*a*a*b", path, 4096));
	assert_true(glob_match("*a*a*a*a*a*a*a*a*a*a", path, 4096));
	assert_false(glob_match("**/**/**/**/**/b", path, 4096));
}

/* ---- the reference: the recursive matcher glob.c had before ---- */

/*
 * Kept only here, as the definition of the semantics the linear matcher
 * must keep.  It is exponential in the number of "**", so it only ever
 * sees short patterns.
 */
static size_t
ref_class_len(const char *p)
{
	const char *q = p + 1;

	if (*q == '!')
		q++;
	if (*q == ']')
		q++;
	for (; *q != '\0'; q++) {
		if (*q == '\\') {
			if (q[1] == '\0')
				return 0;
			q++;
		} else if (*q == ']')
			return (size_t)(q - p) + 1;
	}
	return 0;
}

static bool
ref_class_match(const char *p, size_t len, unsigned char c)
{
	const char *q = p + 1, *end = p + len - 1;
	bool neg = false, in = false;
	bool first = true;

	if (c == '/')
		return false;
	if (*q == '!') {
		neg = true;
		q++;
	}
	while (q < end) {
		unsigned char lo, hi;

		if (*q == ']' && !first)
			break;
		first = false;
		if (*q == '\\')
			q++;
		lo = hi = (unsigned char)*q++;
		if (q + 1 < end && *q == '-' && q[1] != ']') {
			q++;
			if (*q == '\\' && q + 1 < end)
				q++;
			hi = (unsigned char)*q++;
		}
		if (c >= lo && c <= hi)
			in = true;
	}
	return in != neg;
}

static bool
ref_is_globstar(const char *p, bool name_start)
{
	return name_start && p[0] == '*' && p[1] == '*' &&
	    (p[2] == '/' || p[2] == '\0');
}

static bool
ref_match_from(const char *p, const char *s, const char *end,
    bool name_start)
{
	const char *star_p = NULL, *star_s = NULL;

	for (;;) {
		if (ref_is_globstar(p, name_start)) {
			if (p[2] == '\0')
				return true;
			p += 3;
			for (;;) {
				if (ref_match_from(p, s, end, true))
					return true;
				while (s < end && *s != '/')
					s++;
				if (s == end)
					return false;
				s++;
			}
		}
		name_start = false;
		if (*p == '/' && p[1] == '*' && p[2] == '*' && p[3] == '\0' &&
		    (s == end || *s == '/'))
			return true;
		if (*p == '\0') {
			if (s == end)
				return true;
			goto backtrack;
		}
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (s == end)
			return false;
		if (*p == '?') {
			if (*s == '/')
				goto backtrack;
			p++;
			s++;
			continue;
		}
		if (*p == '[') {
			size_t n = ref_class_len(p);

			if (n > 0) {
				if (!ref_class_match(p, n, (unsigned char)*s))
					goto backtrack;
				p += n;
				s++;
				continue;
			}
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p != *s)
			goto backtrack;
		if (*p == '/') {
			star_p = NULL;
			name_start = true;
		}
		p++;
		s++;
		continue;
backtrack:
		if (star_p == NULL || star_s == end || *star_s == '/')
			return false;
		star_s++;
		p = star_p;
		s = star_s;
	}
}

static bool
ref_match(const char *pattern, const char *path, size_t len)
{
	return ref_match_from(pattern, path, path + len, true);
}

/* ---- random cases ---- */

static uint64_t rng_state;

/* xorshift64*: reproducible from the seed printed on failure. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * UINT64_C(2685821657736338717)) >> 32);
}

static const char *
pick(const char *const *v, size_t n)
{
	return v[rng() % n];
}

/*
 * A pattern of up to 10 pieces: mostly whole tokens, sometimes single
 * bytes that make odd classes, escapes and stars of their own.
 */
static void
random_pattern(char *out, size_t size)
{
	static const char *const tokens[] = {
		"a", "b", "/", "/", "*", "**", "**/", "/**", "?", "[ab]",
		"[!a]", "[a-b]", "[]a]", "\\*", "\\/", "\\a", "***",
	};
	static const char *const bytes[] = {
		"a", "b", "/", "*", "?", "[", "]", "!", "-", "\\",
	};
	size_t n = rng() % 11, i, len = 0;

	for (i = 0; i < n; i++) {
		const char *t = rng() % 4 == 0 ?
		    pick(bytes, sizeof(bytes) / sizeof(bytes[0])) :
		    pick(tokens, sizeof(tokens) / sizeof(tokens[0]));

		if (len + strlen(t) < size) {
			memcpy(out + len, t, strlen(t));
			len += strlen(t);
		}
	}
	out[len] = '\0';
}

/* A path of up to 12 bytes over "a", "b", "/" and a few pattern bytes. */
static size_t
random_path(char *out, size_t size)
{
	static const char alphabet[] = "aab//*[\\-";
	size_t n = rng() % 13, i;

	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
	out[i] = '\0';
	return i;
}

/*
 * A path shaped after the pattern, so that about half the cases match:
 * each star becomes a few bytes (a "/" among them now and then), "?" and
 * "[" a letter, an escape its byte, and now and then a byte is dropped
 * or changed.
 */
static size_t
path_like(const char *pattern, char *out, size_t size)
{
	static const char fill[] = "ab/";
	size_t n = 0, k;
	const char *p;

	for (p = pattern; *p != '\0' && n + 4 < size; p++) {
		if (rng() % 16 == 0)
			continue;
		if (*p == '*') {
			for (k = rng() % 3; k > 0; k--)
				out[n++] = fill[rng() % 3];
		} else if (*p == '?' || *p == '[')
			out[n++] = "ab]"[rng() % 3];
		else if (*p == '\\' && p[1] != '\0')
			out[n++] = *++p;
		else
			out[n++] = *p;
		if (n > 0 && rng() % 16 == 0)
			out[n - 1] = fill[rng() % 3];
	}
	out[n] = '\0';
	return n;
}

/* The matcher agrees with the recursive one on random cases. */
static void
test_differential(void **state)
{
	const uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
	char pattern[64], path[64];
	unsigned i, matched = 0;
	size_t len;

	(void)state;
	rng_state = seed;
	for (i = 0; i < 200000; i++) {
		bool want, got;

		random_pattern(pattern, sizeof(pattern));
		len = i % 2 == 0 ? random_path(path, sizeof(path)) :
		    path_like(pattern, path, sizeof(path));
		want = ref_match(pattern, path, len);
		got = glob_match(pattern, path, len);
		if (got != want)
			fail_msg("case %u (seed %#llx): glob_match(\"%s\", "
			    "\"%s\") = %d, the reference says %d", i,
			    (unsigned long long)seed, pattern, path, got,
			    want);
		matched += want;
	}
	/* Both answers must be common, or the cases test little. */
	printf("differential: %u of %u cases match\n", matched, i);
	assert_true(matched > i / 20);
	assert_true(matched < i - i / 20);
}

/* ---- time ---- */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Milliseconds per call of glob_match, over enough calls to measure. */
static double
ms_per_call(const char *pattern, const char *path, size_t len, bool want)
{
	double start = now_ms(), t;
	unsigned n = 0;

	do {
		assert_int_equal(glob_match(pattern, path, len), want);
		n++;
		t = now_ms() - start;
	} while (t < 50 && n < 100000);
	return t / n;
}

/* n copies of piece, then tail. */
static char *
repeat(const char *piece, unsigned n, const char *tail)
{
	size_t plen = strlen(piece), tlen = strlen(tail);
	char *s = malloc(plen * n + tlen + 1);
	unsigned i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + plen * i, piece, plen);
	memcpy(s + plen * n, tail, tlen + 1);
	return s;
}

/*
 * Forty "**" on a 4 KiB path: linear time, well under a millisecond (the
 * bound is 5 ms because the machine is shared).  The recursive matcher
 * took hours here; the alarm turns that into a failure (the test binary
 * dies of SIGALRM) instead of a hang.
 */
static void
test_many_globstars(void **state)
{
	static const struct {
		const char *piece;
		unsigned n;
		const char *tail;
		bool	 deep_q;	/* the path ends in "/q" */
	} shapes[] = {
		{ "**/x/", 40, "q", false },
		{ "**/x/", 40, "q", true },
		{ "**/", 40, "q", false },
		{ "**/*x*/", 40, "q", false },
		{ "/**/x", 40, "/**/q", true },
		{ "**/?/", 40, "[!x]", false },
	};
	char path[4096];
	size_t i, len = sizeof(path);
	double ms;

	(void)state;
	alarm(30);
	for (i = 0; i + 1 < len; i += 2) {
		path[i] = '/';
		path[i + 1] = 'x';
	}
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		char *pattern = repeat(shapes[i].piece, shapes[i].n,
		    shapes[i].tail);

		path[len - 1] = shapes[i].deep_q ? 'q' : 'x';
		/* The shapes without a leading "/" see "x/x/.../x". */
		ms = pattern[0] == '/' ?
		    ms_per_call(pattern, path, len, shapes[i].deep_q) :
		    ms_per_call(pattern, path + 1, len - 1, shapes[i].deep_q);
		printf("%zu-byte pattern \"%.20s...\" on a %zu-byte path: "
		    "%.4f ms per call\n", strlen(pattern), pattern, len, ms);
		if (ms > 5.0)
			fail_msg("\"%s\": %.3f ms per call", pattern, ms);
		free(pattern);
	}
	alarm(0);
}

/* The case: three "**" on a 1,000-level path. */
static void
test_deep_path(void **state)
{
	char path[2000];
	size_t i;
	double ms;

	(void)state;
	alarm(30);
	for (i = 0; i < sizeof(path); i += 2) {
		path[i] = '/';
		path[i + 1] = 'x';
	}
	ms = ms_per_call("/**/x/**/x/**/q", path, sizeof(path), false);
	printf("/**/x/**/x/**/q on 1,000 levels: %.4f ms per call\n", ms);
	assert_true(ms < 5.0);
	path[sizeof(path) - 1] = 'q';
	assert_true(glob_match("/**/x/**/x/**/q", path, sizeof(path)));
	alarm(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_many_globstars),
		cmocka_unit_test(test_deep_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
