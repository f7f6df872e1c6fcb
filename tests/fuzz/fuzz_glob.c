/*
 * Fuzz target: glob matching (glob.c).  The input is a pattern, a NUL,
 * then a path (any bytes); without a NUL the input is both.  Matching
 * must end quickly whatever the pattern (libFuzzer's -timeout catches a
 * slow one) and agree with two answers known without the matcher: the
 * path escaped byte by byte is a pattern that matches exactly it, and
 * "**" matches everything.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzlib.h"
#include "glob.h"

/* The path as a pattern for exactly itself: every byte escaped. */
static char *
literal(const char *path, size_t len)
{
	char *p = malloc(2 * len + 1);
	size_t i;

	FUZZ_CHECK(p != NULL);
	for (i = 0; i < len; i++) {
		p[2 * i] = '\\';
		p[2 * i + 1] = path[i];
	}
	p[2 * len] = '\0';
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	char *pattern, *lit;
	const char *path;
	size_t off, len;

	pattern = fuzz_strndup(data, nul != NULL ? (size_t)(nul - data) :
	    size);
	path = nul != NULL ? (const char *)nul + 1 : pattern;
	len = nul != NULL ? size - (size_t)(nul - data) - 1 : size;
	(void)glob_validate(pattern, &off);
	(void)glob_match(pattern, path, len);
	FUZZ_CHECK(glob_match("**", path, len));
	if (memchr(path, '\0', len) == NULL) {
		lit = literal(path, len);
		FUZZ_CHECK(glob_validate(lit, &off) == 0);
		FUZZ_CHECK(glob_match(lit, path, len));
		free(lit);
	}
	free(pattern);
	return 0;
}
