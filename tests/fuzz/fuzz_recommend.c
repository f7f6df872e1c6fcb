/*
 * Fuzz target: what --recommend reads that others write.  The first
 * byte picks the input: 'n', 'a' or 'k' a server's configuration file in
 * the nginx, apache or keyvalue syntax (confscan.h; anyone who may
 * configure a server writes these), 'r' a recommendation file
 * (recommend.h); the rest is an exact-size copy.  Properties: every
 * directive reported has a name and a value within CONFSCAN_MAX bytes,
 * lying inside a line that exists, lines never go backwards; a
 * recommendation file is either loaded with no error or refused with
 * one that names the file.
 */
#include <stdlib.h>
#include <string.h>

#include "confscan.h"
#include "diag.h"
#include "fuzzlib.h"
#include "recommend.h"

struct seen {
	unsigned lines;		/* lines in the input */
	unsigned last;		/* line of the previous hit */
	size_t	 hits;
	unsigned char sum;
};

static void
on_hit(const struct confscan_hit *h, void *arg)
{
	struct seen *s = arg;
	size_t i;

	FUZZ_CHECK(h->name_len > 0 && h->name_len <= CONFSCAN_MAX);
	FUZZ_CHECK(h->value_len > 0 && h->value_len <= CONFSCAN_MAX);
	FUZZ_CHECK(h->line >= 1 && h->line <= s->lines);
	FUZZ_CHECK(h->line >= s->last);
	/* Every byte handed over can be read (ASan says when not). */
	for (i = 0; i < h->name_len; i++)
		s->sum ^= (unsigned char)h->name[i];
	for (i = 0; i < h->value_len; i++)
		s->sum ^= (unsigned char)h->value[i];
	s->last = h->line;
	s->hits++;
}

static void
scan(enum confscan_syntax syntax, const char *text, size_t len)
{
	struct seen s = { 1, 0, 0, 0 };
	size_t i;

	for (i = 0; i < len; i++)
		s.lines += text[i] == '\n';
	FUZZ_CHECK(confscan_parse(syntax, text, len, on_hit, &s) == s.hits);
}

static void
load(const char *text, size_t len)
{
	struct recset *set;
	struct diag d;
	size_t i;
	int r;

	diag_init(&d);
	r = recset_load_buffer("rec.json", text, len, &set, &d);
	FUZZ_CHECK(r == 0 ? set != NULL && d.errors == 0 :
	    set == NULL && d.errors > 0);
	for (i = 0; i < d.n; i++)
		FUZZ_CHECK(d.v[i].file != NULL);
	for (i = 0; set != NULL && i < set->n; i++)
		FUZZ_CHECK(set->v[i].name != NULL && set->v[i].nrules > 0);
	recset_free(set);
	diag_release(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size > 0 ? size - 1 : 0;
	char *text = malloc(len > 0 ? len : 1);

	FUZZ_CHECK(text != NULL);
	if (len > 0)
		memcpy(text, data + 1, len);
	switch (size > 0 ? data[0] : 0) {
	case 'n':
		scan(CONFSCAN_NGINX, text, len);
		break;
	case 'a':
		scan(CONFSCAN_APACHE, text, len);
		break;
	case 'r':
		load(text, len);
		break;
	default:
		scan(CONFSCAN_KEYVALUE, text, len);
		break;
	}
	free(text);
	return 0;
}
