/*
 * jsonpos: a position tree over a JSON text; see jsonpos.h.
 *
 * The scanner trusts nothing: every read is bounds-checked, nesting is
 * capped, and a malformed text yields -EINVAL rather than a bad tree.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpos.h"
#include "xmalloc.h"

#define JSONPOS_MAX_DEPTH	4096

struct scanner {
	const char *p;
	const char *end;
	unsigned line;
	unsigned column;	/* of the character at p */
};

static void
advance(struct scanner *s)
{
	unsigned char c = (unsigned char)*s->p++;

	if (c == '\n') {
		s->line++;
		s->column = 1;
	} else if (s->p < s->end && ((unsigned char)*s->p & 0xc0) == 0x80)
		;	/* the next byte continues this character */
	else
		s->column++;
}

static void
skip_space(struct scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		advance(s);
}

static int
scan_string(struct scanner *s)
{
	if (s->p >= s->end || *s->p != '"')
		return -EINVAL;
	advance(s);
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\') {
			advance(s);
			if (s->p >= s->end)
				return -EINVAL;
		}
		advance(s);
	}
	if (s->p >= s->end)
		return -EINVAL;
	advance(s);
	return 0;
}

static struct jsonpos *
add_kid(struct jsonpos *p, size_t *alloc)
{
	if (p->n == *alloc) {
		*alloc = *alloc == 0 ? 4 : *alloc * 2;
		p->kid = xreallocarray(p->kid, *alloc, sizeof(*p->kid));
	}
	memset(&p->kid[p->n], 0, sizeof(p->kid[0]));
	return &p->kid[p->n++];
}

static int scan_value(struct scanner *, struct jsonpos *, int);

static int
scan_container(struct scanner *s, struct jsonpos *p, int depth)
{
	bool object = *s->p == '{';
	char close = object ? '}' : ']';
	size_t alloc = 0;
	int r;

	advance(s);
	skip_space(s);
	if (s->p < s->end && *s->p == close) {
		advance(s);
		return 0;
	}
	for (;;) {
		struct jsonpos *k = add_kid(p, &alloc);

		skip_space(s);
		if (object) {
			k->key_line = s->line;
			k->key_column = s->column;
			if ((r = scan_string(s)) < 0)
				return r;
			skip_space(s);
			if (s->p >= s->end || *s->p != ':')
				return -EINVAL;
			advance(s);
			skip_space(s);
		}
		if ((r = scan_value(s, k, depth + 1)) < 0)
			return r;
		skip_space(s);
		if (s->p >= s->end)
			return -EINVAL;
		if (*s->p == close) {
			advance(s);
			return 0;
		}
		if (*s->p != ',')
			return -EINVAL;
		advance(s);
	}
}

static int
scan_value(struct scanner *s, struct jsonpos *p, int depth)
{
	if (depth > JSONPOS_MAX_DEPTH || s->p >= s->end)
		return -EINVAL;
	p->line = s->line;
	p->column = s->column;
	switch (*s->p) {
	case '{':
	case '[':
		return scan_container(s, p, depth);
	case '"':
		return scan_string(s);
	default:
		/* number, true, false, null: up to the next delimiter */
		while (s->p < s->end && strchr(",]} \t\r\n", *s->p) == NULL)
			advance(s);
		return 0;
	}
}

int
jsonpos_scan(const char *text, size_t len, struct jsonpos *ret)
{
	struct scanner s = { text, text + len, 1, 1 };
	int r;

	memset(ret, 0, sizeof(*ret));
	skip_space(&s);
	if ((r = scan_value(&s, ret, 0)) < 0) {
		jsonpos_release(ret);
		return r;
	}
	return 0;
}

void
jsonpos_release(struct jsonpos *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		jsonpos_release(&p->kid[i]);
	free(p->kid);
	p->kid = NULL;
	p->n = 0;
}

const struct jsonpos *
jsonpos_kid(const struct jsonpos *p, size_t i)
{
	if (p == NULL || i >= p->n)
		return NULL;
	return &p->kid[i];
}
