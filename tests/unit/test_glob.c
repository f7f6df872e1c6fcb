/* glob: the pattern language of fimd.rules(5), on byte strings. */
#include <errno.h>
#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
