/*
 * baseline: a small JSON reader and writer for one entry line.
 *
 * jansson's own stream parser and dumper go through a character callback
 * and dominated load and save time (about 3.5 and 1.5 microseconds per
 * entry).  Entries are small, flat-ish objects, so this reads one line
 * straight from the mapped file into jansson values, and writes values
 * with runs of plain bytes copied at once.  The values are still jansson
 * values: record_to_json() and record_from_json() stay the one definition
 * of an entry's fields.
 *
 * The reader takes strict JSON (RFC 8259) with two limits: nesting at
 * most BJSON_MAX_DEPTH deep, and no duplicate keys in an object.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "baseline_int.h"
#include "xmalloc.h"

#define BJSON_MAX_DEPTH	8

struct parser {
	const char *s;
	const char *p;
	const char *end;
	const char *err;	/* static message */
	struct buf str;		/* unescaped string scratch */
};

static json_t *parse_value(struct parser *ps, int depth);

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static json_t *
fail(struct parser *ps, const char *msg)
{
	if (ps->err == NULL)
		ps->err = msg;
	return NULL;
}

static int
hex4(const char *p, unsigned *ret)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= (unsigned)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= (unsigned)(p[i] - 'a' + 10);
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= (unsigned)(p[i] - 'A' + 10);
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

static void
add_utf8(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		(void)buf_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		(void)buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		(void)buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		(void)buf_add(b, u, 4);
	}
}

/* One \u escape (p after the 'u'), with a following low surrogate. */
static int
parse_uescape(struct parser *ps)
{
	unsigned cp, lo;

	if (ps->end - ps->p < 4 || hex4(ps->p, &cp) < 0)
		return -EINVAL;
	ps->p += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -EINVAL;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
		    ps->p[1] != 'u' || hex4(ps->p + 2, &lo) < 0 ||
		    lo < 0xdc00 || lo > 0xdfff)
			return -EINVAL;
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return -EINVAL;		/* NUL is no use in any field */
	add_utf8(&ps->str, cp);
	return 0;
}

/* A string (p at the opening quote) into ps->str. */
static int
parse_string(struct parser *ps)
{
	const char *run;
	char c;

	buf_reset(&ps->str);
	ps->p++;
	for (;;) {
		run = ps->p;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		    (unsigned char)*ps->p >= 0x20)
			ps->p++;
		if (buf_add(&ps->str, run, (size_t)(ps->p - run)) < 0)
			return fail(ps, "string too long"), -EINVAL;
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string"), -EINVAL;
		c = *ps->p++;
		if (c == '"')
			break;
		if (c != '\\')
			return fail(ps, "control character in string"),
			    -EINVAL;
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string"), -EINVAL;
		switch ((c = *ps->p++)) {
		case '"': case '\\': case '/':
			(void)buf_addc(&ps->str, c);
			break;
		case 'b': (void)buf_addc(&ps->str, '\b'); break;
		case 'f': (void)buf_addc(&ps->str, '\f'); break;
		case 'n': (void)buf_addc(&ps->str, '\n'); break;
		case 'r': (void)buf_addc(&ps->str, '\r'); break;
		case 't': (void)buf_addc(&ps->str, '\t'); break;
		case 'u':
			if (parse_uescape(ps) < 0)
				return fail(ps, "bad \\u escape"), -EINVAL;
			break;
		default:
			return fail(ps, "bad escape in string"), -EINVAL;
		}
	}
	return 0;
}

static json_t *
parse_number(struct parser *ps)
{
	bool is_int = true, neg = false;
	uint64_t v = 0;

	if (*ps->p == '-') {
		neg = true;
		ps->p++;
	}
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return fail(ps, "bad number");
	if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' &&
	    ps->p[1] <= '9')
		return fail(ps, "bad number (leading zero)");
	for (; ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9'; ps->p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return fail(ps, "number out of range");
		v = v * 10 + (uint64_t)(*ps->p - '0');
	}
	if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' ||
	    *ps->p == 'E')) {
		is_int = false;
		if (*ps->p == '.') {
			ps->p++;
			if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
				return fail(ps, "bad number");
			while (ps->p < ps->end && *ps->p >= '0' &&
			    *ps->p <= '9')
				ps->p++;
		}
		if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
			ps->p++;
			if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
				ps->p++;
			if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
				return fail(ps, "bad number");
			while (ps->p < ps->end && *ps->p >= '0' &&
			    *ps->p <= '9')
				ps->p++;
		}
	}
	if (is_int) {
		if (v > (uint64_t)INT64_MAX + (neg ? 1 : 0))
			return fail(ps, "number out of range");
		return json_integer(neg ? (json_int_t)(0 - v) :
		    (json_int_t)v);
	}
	/*
	 * fimd writes integers and strings only.  A fraction or an exponent
	 * would come back changed ("4.0" as 4, "1e400" as nothing), and the
	 * digest is taken over what was parsed: refuse them by name.
	 */
	return fail(ps, "not an integer (a fraction or exponent; fimd "
	    "baselines hold integers only)");
}

static bool
word(struct parser *ps, const char *w, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
		return false;
	ps->p += n;
	return true;
}

static json_t *
parse_object(struct parser *ps, int depth)
{
	json_t *o = json_object(), *v;
	char kbuf[128], *key;
	size_t klen;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return o;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"' || parse_string(ps) < 0)
			goto bad_key;
		if (memchr(ps->str.data, '\0', ps->str.len) != NULL)
			goto bad_key;
		klen = ps->str.len;
		/* Short keys (all of an entry's) stay off the heap. */
		key = klen < sizeof(kbuf) ? memcpy(kbuf, ps->str.data,
		    klen + 1) : xstrndup(ps->str.data, klen);
		if (json_object_get(o, key) != NULL) {
			if (key != kbuf)
				free(key);
			json_decref(o);
			return fail(ps, "duplicate key");
		}
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			if (key != kbuf)
				free(key);
			json_decref(o);
			return fail(ps, "expected ':'");
		}
		ps->p++;
		if ((v = parse_value(ps, depth + 1)) == NULL) {
			if (key != kbuf)
				free(key);
			json_decref(o);
			return NULL;
		}
		(void)json_object_setn_new_nocheck(o, key, klen, v);
		if (key != kbuf)
			free(key);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return o;
		}
		json_decref(o);
		return fail(ps, "expected ',' or '}'");
	}
bad_key:
	json_decref(o);
	return fail(ps, "expected a key string");
}

static json_t *
parse_array(struct parser *ps, int depth)
{
	json_t *a = json_array(), *v;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return a;
	}
	for (;;) {
		if ((v = parse_value(ps, depth + 1)) == NULL) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, v);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return a;
		}
		json_decref(a);
		return fail(ps, "expected ',' or ']'");
	}
}

static json_t *
parse_value(struct parser *ps, int depth)
{
	json_t *v;

	if (depth > BJSON_MAX_DEPTH)
		return fail(ps, "nested too deep");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of line");
	switch (*ps->p) {
	case '{':
		return parse_object(ps, depth);
	case '[':
		return parse_array(ps, depth);
	case '"':
		if (parse_string(ps) < 0)
			return NULL;
		/* jansson checks the UTF-8. */
		if ((v = json_stringn(ps->str.data, ps->str.len)) == NULL)
			return fail(ps, "string is not valid UTF-8");
		return v;
	case 't':
		if (word(ps, "true", 4))
			return json_true();
		break;
	case 'f':
		if (word(ps, "false", 5))
			return json_false();
		break;
	case 'n':
		if (word(ps, "null", 4))
			return json_null();
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps);
		break;
	}
	return fail(ps, "unexpected character");
}

int
bjson_parse(const char *s, size_t len, json_t **ret, size_t *ret_col,
    const char **ret_msg)
{
	struct parser ps = { .s = s, .p = s, .end = s + len };
	json_t *v;

	buf_init(&ps.str, len + 1);
	v = parse_value(&ps, 0);
	if (v != NULL) {
		skip_ws(&ps);
		if (ps.p != ps.end) {
			json_decref(v);
			v = fail(&ps, "text after the value");
		}
	}
	buf_release(&ps.str);
	if (v == NULL) {
		*ret_col = (size_t)(ps.p - s) + 1;
		*ret_msg = ps.err;
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* ---- writer ---- */

static void
dump_u64(struct buf *out, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	(void)buf_add(out, d + i, sizeof(d) - i);
}

void
bjson_dump_string(struct buf *out, const char *s, size_t len)
{
	static const char hexd[] = "0123456789abcdef";
	const char *end = s + len;
	unsigned char c;
	char *p;

	/* Worst case: every byte becomes \u00XX. */
	if (buf_reserve(out, 6 * len + 2) < 0)
		return;
	p = out->data + out->len;
	*p++ = '"';
	while (s < end) {
		c = (unsigned char)*s++;
		if (c >= 0x20 && c != '"' && c != '\\') {
			*p++ = (char)c;
			continue;
		}
		*p++ = '\\';
		switch (c) {
		case '"': *p++ = '"'; break;
		case '\\': *p++ = '\\'; break;
		case '\n': *p++ = 'n'; break;
		case '\t': *p++ = 't'; break;
		case '\r': *p++ = 'r'; break;
		case '\b': *p++ = 'b'; break;
		case '\f': *p++ = 'f'; break;
		default:
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = hexd[c >> 4];
			*p++ = hexd[c & 15];
			break;
		}
	}
	*p++ = '"';
	out->len = (size_t)(p - out->data);
	*p = '\0';
}

/* Members of object o, without braces, comma-separated. */
void
bjson_dump_members(struct buf *out, const json_t *o)
{
	const char *key;
	json_t *v;
	bool first = true;

	json_object_foreach((json_t *)(uintptr_t)o, key, v) {
		if (!first)
			(void)buf_addc(out, ',');
		first = false;
		bjson_dump_string(out, key, strlen(key));
		(void)buf_addc(out, ':');
		bjson_dump(out, v);
	}
}

void
bjson_dump(struct buf *out, const json_t *v)
{
	json_int_t i;
	size_t k;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		(void)buf_addc(out, '{');
		bjson_dump_members(out, v);
		(void)buf_addc(out, '}');
		break;
	case JSON_ARRAY:
		(void)buf_addc(out, '[');
		for (k = 0; k < json_array_size(v); k++) {
			if (k > 0)
				(void)buf_addc(out, ',');
			bjson_dump(out, json_array_get(v, k));
		}
		(void)buf_addc(out, ']');
		break;
	case JSON_STRING:
		bjson_dump_string(out, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
		i = json_integer_value(v);
		if (i < 0) {
			(void)buf_addc(out, '-');
			dump_u64(out, 0 - (uint64_t)i);
		} else
			dump_u64(out, (uint64_t)i);
		break;
	case JSON_REAL:
		(void)buf_addf(out, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		(void)buf_add(out, "true", 4);
		break;
	case JSON_FALSE:
		(void)buf_add(out, "false", 5);
		break;
	case JSON_NULL:
		(void)buf_add(out, "null", 4);
		break;
	}
}
