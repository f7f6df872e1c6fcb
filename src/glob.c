/*
 * glob: fimd.rules(5) patterns over byte strings; see glob.h.
 *
 * Single "*" is matched with the usual one-star backtracking (the latest
 * star absorbs a mismatch), which keeps a name linear-ish however many
 * stars it holds.  A star can never absorb "/", so matching a "/" drops
 * the backtrack point.  "**" as a whole name recurses over the positions
 * just after each "/" of the remaining path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "glob.h"

/*
 * Length of the class starting at p ("[" included, "]" included), or 0
 * when it is not closed.
 */
static size_t
class_len(const char *p)
{
	const char *q = p + 1;

	if (*q == '!')
		q++;
	if (*q == ']')		/* a leading "]" is a member */
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

/* Whether byte c is in the class p[0..len) (p at "["). */
static bool
class_match(const char *p, size_t len, unsigned char c)
{
	const char *q = p + 1, *end = p + len - 1;	/* end at "]" */
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

/* Whether p (at a name start) begins a whole-name "**". */
static bool
is_globstar(const char *p, bool name_start)
{
	return name_start && p[0] == '*' && p[1] == '*' &&
	    (p[2] == '/' || p[2] == '\0');
}

static bool
match_from(const char *p, const char *s, const char *end, bool name_start)
{
	const char *star_p = NULL, *star_s = NULL;

	for (;;) {
		if (is_globstar(p, name_start)) {
			if (p[2] == '\0')
				return true;
			/* "**" + "/": zero or more whole names. */
			p += 3;
			for (;;) {
				if (match_from(p, s, end, true))
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
			return true;	/* a final "**" also takes the dir */
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
			size_t n = class_len(p);

			if (n > 0) {
				if (!class_match(p, n, (unsigned char)*s))
					goto backtrack;
				p += n;
				s++;
				continue;
			}
			/* unclosed: a literal "[" (glob_validate refuses it) */
		}
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (*p != *s)
			goto backtrack;
		if (*p == '/') {
			star_p = NULL;	/* a star cannot absorb "/" */
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

bool
glob_match(const char *pattern, const char *path, size_t len)
{
	return match_from(pattern, path, path + len, true);
}

int
glob_validate(const char *pattern, size_t *ret_offset)
{
	const char *p;

	for (p = pattern; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0') {
				*ret_offset = (size_t)(p - pattern);
				return -EINVAL;
			}
			p++;
		} else if (*p == '[') {
			size_t n = class_len(p);

			if (n == 0) {
				*ret_offset = (size_t)(p - pattern);
				return -EINVAL;
			}
			p += n - 1;
		}
	}
	return 0;
}
