/*
 * Fuzz target: one baseline entry, the JSON object of fimd.baseline(5)
 * that record_from_json reads, and the attribute codec behind it.  What
 * is accepted must survive both of the baseline's forms unchanged: its
 * JSON form is stable after one pass (JSON -> record -> JSON -> record
 * -> JSON gives the same object twice), and the packed form the
 * in-memory baseline keeps gives back the same record, within the bound
 * attr_pack_bound promises.  Every attribute must format.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attr.h"
#include "buf.h"
#include "fuzzlib.h"
#include "record.h"

/* Every attribute the record carries, as an alert shows it. */
static void
format_all(const struct record *r)
{
	struct buf b;
	int a, h;

	buf_init(&b, BUF_MAX_DEFAULT);
	for (a = 0; a < ATTR_COUNT; a++) {
		if (!(r->known & ATTR_BIT(a)))
			continue;
		if (a == ATTR_HASH) {
			for (h = 0; h < HASH_COUNT; h++) {
				if (r->algos & HASH_BIT(h)) {
					buf_reset(&b);
					(void)attr_format(a, r, h, &b);
				}
			}
			continue;
		}
		buf_reset(&b);
		(void)attr_format((enum attr_id)a, r, 0, &b);
	}
	buf_release(&b);
}

/* The packed form gives back a record with the same JSON form. */
static void
check_packed(const struct record *r, const json_t *want)
{
	size_t bound = attr_pack_bound(r);
	const unsigned char *p;
	unsigned char *buf, *end;
	struct record back;
	json_t *got;

	buf = malloc(bound > 0 ? bound : 1);
	FUZZ_CHECK(buf != NULL);
	end = attr_pack(buf, r);
	FUZZ_CHECK((size_t)(end - buf) <= bound);
	p = buf;
	attr_unpack(&p, &back, ATTR_COUNT);
	FUZZ_CHECK(p == end);
	got = record_to_json(&back);
	FUZZ_CHECK(json_equal(got, want));
	json_decref(got);
	record_release(&back);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record r, again;
	const char *why = NULL;
	json_t *obj, *once, *twice;

	obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	if (obj == NULL)
		return 0;
	if (record_from_json(obj, &r, &why) < 0) {
		/* A refusal names the problem. */
		FUZZ_CHECK(why != NULL);
		json_decref(obj);
		return 0;
	}
	once = record_to_json(&r);
	FUZZ_CHECK(record_from_json(once, &again, &why) == 0);
	twice = record_to_json(&again);
	FUZZ_CHECK(json_equal(once, twice));
	check_packed(&r, once);
	format_all(&r);
	json_decref(twice);
	json_decref(once);
	record_release(&again);
	record_release(&r);
	json_decref(obj);
	return 0;
}
