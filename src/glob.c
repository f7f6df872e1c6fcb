/*
 * glob: fimd.rules(5) patterns over byte strings; see glob.h.
 *
 * One pass over the pattern with at most two resume points and no
 * recursion, so a call costs O(pattern length x path length) however many
 * stars the pattern holds.  The matcher before recursed at each "**",
 * which made it exponential in their number: three of them on a
 * 1,000-level path took half a second a call, forty never finished.
 *
 * The pattern splits into names at its "/" bytes.  A name token ("?", a
 * class, a byte, "*") never matches "/", so a pattern name always matches
 * exactly one path name, and a "/" of the pattern always meets a "/" of
 * the path.  Two kinds of resume points follow from that:
 *
 *  - "*" within a name: the latest one absorbs one more byte when the
 *    rest of the name fails (the classic one-star backtrack).  Earlier
 *    stars of the same name need never be revisited, because the latest
 *    star can absorb whatever an earlier one would have given up.  When a
 *    "/" matches, the name is done and the point is dropped: the next
 *    names cannot change how this one matched.
 *
 *  - "**" + "/" (a whole name): it absorbs either nothing or a run that
 *    ends in "/".  Only the latest one is kept.  Between two of them, the
 *    pattern is a fixed number k of names, so if it first fits when the
 *    earlier "**" stops at name i, it ends at name i + k, the earliest end
 *    any placement can reach; the later "**" can absorb from there
 *    anything it could absorb from a later end.  So once past the later
 *    "**", moving the earlier one can never help, and is never tried.
 *
 * Cost: the "**" point only moves forward through the path (one step per
 * path name), and each attempt walks the following pattern names against
 * the following path names, a pair never revisited from the same "**"
 * point; within one name the one-star backtrack costs at most name length
 * x pattern-name length.  Summed, O(pattern x path).  tests/unit/
 * test_glob.c checks the result against the old recursive matcher on
 * random cases and times a forty-"**" pattern on a 4 KiB path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

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

/* Bytes of the one-byte token at p: a class, an escape, "?" or a byte. */
static size_t
token_len(const char *p)
{
	size_t n;

	if (*p == '[') {
		n = class_len(p);
		/* unclosed: a literal "[" (glob_validate refuses it) */
		return n > 0 ? n : 1;
	}
	if (*p == '\\' && p[1] != '\0')
		return 2;
	return 1;
}

/* Whether the one-byte token p[0..n) matches byte c. */
static bool
token_match(const char *p, size_t n, unsigned char c)
{
	if (*p == '?')
		return c != '/';
	if (*p == '[' && n > 1)
		return class_match(p, n, c);
	return (unsigned char)p[n - 1] == c;
}

struct matcher {
	const char *p;		/* next pattern byte */
	const char *s;		/* next path byte */
	const char *end;	/* of the path */
	bool	 name_start;	/* p begins a pattern name */
	const char *star_p;	/* after the latest "*" of this name, or NULL */
	const char *star_s;	/* where that "*" stopped absorbing */
	const char *gs_p;	/* after the latest "**" + "/", or NULL */
	const char *gs_s;	/* where that "**" stopped absorbing */
};

enum step {
	STEP_ON,		/* a token matched, go on */
	STEP_FAIL,		/* no match from here: resume or give up */
	STEP_MATCH,		/* the whole path matches */
};

/* A "*" (any run of them outside a whole-name "**"). */
static enum step
step_star(struct matcher *m)
{
	while (*m->p == '*')
		m->p++;
	m->star_p = m->p;
	m->star_s = m->s;
	return STEP_ON;
}

/* A token of one byte against the next path byte. */
static enum step
step_byte(struct matcher *m)
{
	size_t n = token_len(m->p);
	unsigned char c = (unsigned char)*m->s;

	if (!token_match(m->p, n, c))
		return STEP_FAIL;
	if (c == '/') {
		/* Only a literal "/" matches "/": this name is done. */
		m->star_p = NULL;
		m->name_start = true;
	}
	m->p += n;
	m->s++;
	return STEP_ON;
}

/* Match the next token of the pattern. */
static enum step
step(struct matcher *m)
{
	const char *p = m->p;

	if (is_globstar(p, m->name_start)) {
		if (p[2] == '\0')
			return STEP_MATCH;
		/* "**" + "/": absorb nothing first, more on each resume. */
		m->gs_p = p + 3;
		m->gs_s = m->s;
		m->p = m->gs_p;
		m->star_p = NULL;
		return STEP_ON;
	}
	m->name_start = false;
	if (p[0] == '/' && p[1] == '*' && p[2] == '*' && p[3] == '\0' &&
	    (m->s == m->end || *m->s == '/'))
		return STEP_MATCH;	/* a final "**" also takes the dir */
	if (*p == '\0')
		return m->s == m->end ? STEP_MATCH : STEP_FAIL;
	if (*p == '*')
		return step_star(m);
	if (m->s == m->end)
		return STEP_FAIL;
	return step_byte(m);
}

/*
 * After a failure: let the latest "*" of the name absorb one more byte,
 * else the latest "**" one more name.  False when neither can.
 */
static bool
resume(struct matcher *m)
{
	const char *slash;

	if (m->star_p != NULL && m->star_s != m->end && *m->star_s != '/') {
		m->star_s++;
		m->p = m->star_p;
		m->s = m->star_s;
		return true;
	}
	if (m->gs_p == NULL)
		return false;
	slash = memchr(m->gs_s, '/', (size_t)(m->end - m->gs_s));
	if (slash == NULL)
		return false;
	m->gs_s = slash + 1;
	m->p = m->gs_p;
	m->s = m->gs_s;
	m->star_p = NULL;
	m->name_start = true;
	return true;
}

bool
glob_match(const char *pattern, const char *path, size_t len)
{
	struct matcher m = {
		.p = pattern,
		.s = path,
		.end = path + len,
		.name_start = true,
	};

	for (;;) {
		switch (step(&m)) {
		case STEP_ON:
			break;
		case STEP_MATCH:
			return true;
		case STEP_FAIL:
			if (!resume(&m))
				return false;
			break;
		}
	}
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
