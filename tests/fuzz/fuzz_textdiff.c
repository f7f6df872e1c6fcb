/*
 * Fuzz target: redaction and the unified diff (redact.c, textdiff.c) on
 * any bytes, as a rule with "diff" feeds them.  The input is two texts:
 * the first byte's low bits say where the first ends.  Redaction keeps
 * the number of lines and is idempotent; a text's diff with itself is
 * empty; every hunk's header counts the lines under it; truncation
 * keeps the bound and ends the text with its marker.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fuzzlib.h"
#include "redact.h"
#include "textdiff.h"

static size_t
count_lines(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

static void
check_redact(const char *s, size_t len, struct buf *out)
{
	struct buf again;

	FUZZ_CHECK(redact_text(s, len, out) >= 0);
	FUZZ_CHECK(count_lines(out->data, out->len) == count_lines(s, len));
	buf_init(&again, BUF_MAX_DEFAULT);
	FUZZ_CHECK(redact_text(out->data, out->len, &again) >= 0);
	FUZZ_CHECK(again.len == out->len &&
	    memcmp(again.data, out->data, out->len) == 0);
	buf_release(&again);
}

/* One hunk header's two counts ("-a,b +c,d"; a count left out is 1). */
static void
header_counts(const char *h, size_t *na, size_t *nb)
{
	size_t s;
	int used = 0;

	*na = *nb = 1;
	FUZZ_CHECK(sscanf(h, "@@ -%zu%n", &s, &used) == 1);
	h += used;
	if (*h == ',')
		FUZZ_CHECK(sscanf(h, ",%zu", na) == 1);
	h = strchr(h, '+');
	FUZZ_CHECK(h != NULL && sscanf(h, "+%zu%n", &s, &used) == 1);
	h += used;
	if (*h == ',')
		FUZZ_CHECK(sscanf(h, ",%zu", nb) == 1);
}

/* Every hunk holds the lines its header counts. */
static void
check_hunks(const char *d, size_t len)
{
	size_t pos = 0, na = 0, nb = 0, l;
	const char *nl;

	while (pos < len) {
		nl = memchr(d + pos, '\n', len - pos);
		FUZZ_CHECK(nl != NULL);
		l = (size_t)(nl - (d + pos));
		switch (d[pos]) {
		case '@':
			FUZZ_CHECK(na == 0 && nb == 0);
			header_counts(d + pos, &na, &nb);
			break;
		case ' ':
			FUZZ_CHECK(na > 0 && nb > 0);
			na--;
			nb--;
			break;
		case '-':
			FUZZ_CHECK(na-- > 0);
			break;
		case '+':
			FUZZ_CHECK(nb-- > 0);
			break;
		case '\\':
			break;
		default:
			FUZZ_CHECK(!"a line no diff has");
		}
		pos += l + 1;
	}
	FUZZ_CHECK(na == 0 && nb == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	struct buf ra, rb, d;
	size_t alen;

	if (size == 0)
		return 0;
	size--;
	alen = size > 0 ? (size_t)data[0] * size / 255 : 0;
	buf_init(&ra, BUF_MAX_DEFAULT);
	buf_init(&rb, BUF_MAX_DEFAULT);
	buf_init(&d, BUF_MAX_DEFAULT);
	check_redact(s, alen, &ra);
	check_redact(s + alen, size - alen, &rb);

	FUZZ_CHECK(textdiff_unified(ra.data, ra.len, ra.data, ra.len, 3,
	    &d) == 0 && d.len == 0);
	FUZZ_CHECK(textdiff_unified(ra.data, ra.len, rb.data, rb.len, 3,
	    &d) == 0);
	FUZZ_CHECK((d.len == 0) == (ra.len == rb.len &&
	    memcmp(ra.data, rb.data, ra.len) == 0));
	check_hunks(d.data, d.len);
	if (textdiff_truncate(&d, 256)) {
		FUZZ_CHECK(d.len <= 256);
		/* memmem: these texts may hold NUL bytes. */
		FUZZ_CHECK(memmem(d.data, d.len, "\\ fimd: diff truncated, ",
		    24) != NULL && d.data[d.len - 1] == '\n');
	}
	buf_release(&ra);
	buf_release(&rb);
	buf_release(&d);
	return 0;
}
