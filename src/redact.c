/*
 * redact: secrets out of a text, line by line (redact.h).
 *
 * One pass over the lines with one bit of state (inside a private key
 * block or not).  Each line is tried in a fixed order: the block rules,
 * then an assignment to a secret key, then a URL's password.  The words
 * that make a key a secret are one table; adding one is one row.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "redact.h"

#define W_PART	0x1	/* a word of a key before "=" or ":" */
#define W_BARE	0x2	/* the whole key, before blanks and a value */

/* Words that make a key name a secret (compared without case). */
static const struct {
	const char *word;
	unsigned flags;
} secret_words[] = {
	{ "password", W_PART | W_BARE },
	{ "passwd", W_PART | W_BARE },
	{ "passphrase", W_PART | W_BARE },
	{ "pass", W_PART },
	{ "pwd", W_PART },
	{ "secret", W_PART | W_BARE },
	{ "secrets", W_PART },
	{ "token", W_PART | W_BARE },
	{ "key", W_PART },
	{ "apikey", W_PART | W_BARE },
	{ "privkey", W_PART },
	{ "psk", W_PART | W_BARE },
	{ "bindpw", W_PART | W_BARE },
	{ "rootpw", W_PART | W_BARE },
	{ "credential", W_PART },
	{ "credentials", W_PART },
};

#define BEGIN_MARK	"-----BEGIN "
#define END_MARK	"-----END "
#define PRIV_LABEL	"PRIVATE KEY"
#define DASHES		"-----"

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
is_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Whether word[0..len) is in the table with one of flags. */
static bool
secret_word(const char *word, size_t len, unsigned flags)
{
	size_t i;

	for (i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
		if ((secret_words[i].flags & flags) &&
		    strlen(secret_words[i].word) == len &&
		    strncasecmp(secret_words[i].word, word, len) == 0)
			return true;
	return false;
}

/*
 * Whether a word of key[0..len) is a secret word: words end at '_', '-'
 * and '.', and where a capital follows a small letter or a digit.
 */
static bool
secret_key(const char *key, size_t len)
{
	size_t start = 0, i;
	bool sep, camel;

	for (i = 0; i <= len; i++) {
		sep = i < len && (key[i] == '_' || key[i] == '-' ||
		    key[i] == '.');
		camel = i > 0 && i < len && is_upper(key[i]) &&
		    is_lower(key[i - 1]);
		if (i < len && !sep && !camel)
			continue;
		if (i > start && secret_word(key + start, i - start, W_PART))
			return true;
		start = sep ? i + 1 : i;
	}
	return false;
}

/*
 * Where the value of an assignment to a secret key starts in
 * line[0..len), or 0 when the line is no such assignment or its value is
 * empty.
 */
static size_t
assignment_value(const char *line, size_t len)
{
	size_t i = 0, k0, k1;
	bool sep = false;

	while (i < len && is_blank(line[i]))
		i++;
	if (len - i > 7 && memcmp(line + i, "export ", 7) == 0)
		i += 7;
	if (i < len && (line[i] == '"' || line[i] == '\''))
		i++;
	k0 = i;
	while (i < len && is_key_char(line[i]))
		i++;
	if ((k1 = i) == k0)
		return 0;
	if (i < len && (line[i] == '"' || line[i] == '\''))
		i++;
	while (i < len && is_blank(line[i]))
		i++;
	if (i < len && (line[i] == '=' || line[i] == ':')) {
		sep = true;
		i++;
		if (i < len && line[i] == '>')
			i++;
	}
	if (sep ? !secret_key(line + k0, k1 - k0) :
	    (i == k1 || !secret_word(line + k0, k1 - k0, W_BARE)))
		return 0;
	while (i < len && is_blank(line[i]))
		i++;
	while (len > i && (line[len - 1] == '\r' || is_blank(line[len - 1])))
		len--;
	return i < len ? i : 0;
}

/* The end of a private key block's opening marker in line, or 0. */
static size_t
block_begin(const char *line, size_t len)
{
	const char *b, *p, *d;

	if ((b = memmem(line, len, BEGIN_MARK, strlen(BEGIN_MARK))) == NULL)
		return 0;
	p = memmem(b, len - (size_t)(b - line), PRIV_LABEL,
	    strlen(PRIV_LABEL));
	if (p == NULL)
		return 0;
	p += strlen(PRIV_LABEL);
	d = memmem(p, len - (size_t)(p - line), DASHES, strlen(DASHES));
	if (d != NULL)
		p = d + strlen(DASHES);
	return (size_t)(p - line);
}

/*
 * The password of a URL in line[0..len): *ret_start and *ret_end around
 * it.  Returns false when there is none.
 */
static bool
url_password(const char *line, size_t len, size_t from, size_t *ret_start,
    size_t *ret_end)
{
	const char *s;
	size_t i, colon;

	while (from < len && (s = memmem(line + from, len - from, "://",
	    3)) != NULL) {
		i = (size_t)(s - line) + 3;
		colon = 0;
		for (; i < len && line[i] != '@' && line[i] != '/' &&
		    !is_blank(line[i]) && line[i] != '"' && line[i] != '\'';
		    i++)
			if (line[i] == ':' && colon == 0)
				colon = i;
		if (i < len && line[i] == '@' && colon != 0 && i > colon + 1) {
			*ret_start = colon + 1;
			*ret_end = i;
			return true;
		}
		from = (size_t)(s - line) + 3;
	}
	return false;
}

/* The output, with the first failure kept. */
struct out {
	struct buf *b;
	int	 err;
};

static void
emit(struct out *o, const char *p, size_t n)
{
	int r;

	if (o->err == 0 && (r = buf_add(o->b, p, n)) < 0)
		o->err = r;
}

static void
emit_mark(struct out *o)
{
	emit(o, REDACT_MARK, strlen(REDACT_MARK));
}

/* A line inside a private key block: the marker, up to the end line. */
static bool
redact_in_block(const char *line, size_t len, bool *in_block,
    struct out *o)
{
	const char *end = memmem(line, len, END_MARK, strlen(END_MARK));
	size_t s;

	if (end == NULL) {
		emit_mark(o);
		return len != strlen(REDACT_MARK) ||
		    memcmp(line, REDACT_MARK, len) != 0;
	}
	*in_block = false;
	s = (size_t)(end - line);
	if (s > 0)
		emit_mark(o);
	emit(o, end, len - s);
	return s > 0;
}

/* Append line[0..len) redacted; returns whether it changed. */
static bool
redact_line(const char *line, size_t len, bool *in_block, struct out *o)
{
	const char *end;
	size_t v, s, e, from = 0;
	bool changed = false;

	if (*in_block)
		return redact_in_block(line, len, in_block, o);
	if ((v = block_begin(line, len)) > 0) {
		/* The block may end on the same line: keep its end marker. */
		end = memmem(line + v, len - v, END_MARK, strlen(END_MARK));
		*in_block = end == NULL;
		e = end != NULL ? (size_t)(end - line) : len;
		emit(o, line, v);
		if (v < e)
			emit_mark(o);
		emit(o, line + e, len - e);
		return v < e;
	}
	if ((v = assignment_value(line, len)) > 0) {
		emit(o, line, v);
		emit_mark(o);
		if (line[len - 1] == '\r')
			emit(o, "\r", 1);
		return true;
	}
	while (url_password(line, len, from, &s, &e)) {
		emit(o, line + from, s - from);
		emit_mark(o);
		from = e;
		changed = true;
	}
	emit(o, line + from, len - from);
	return changed;
}

long
redact_text(const char *text, size_t len, struct buf *out)
{
	struct out o = { out, 0 };
	size_t old = out->len, pos = 0, n;
	const char *nl;
	bool in_block = false;
	long changed = 0;

	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		if (redact_line(text + pos, n, &in_block, &o))
			changed++;
		pos += n;
		if (nl != NULL) {
			emit(&o, "\n", 1);
			pos++;
		}
	}
	if (o.err != 0) {
		buf_truncate(out, old);
		return o.err;
	}
	return changed;
}
