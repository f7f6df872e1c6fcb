/*
 * Fuzz target: one baseline entry, the JSON object of fimd.baseline(5)
 * that record_from_json reads, and the attribute codec behind it.  What
 * is accepted must survive both of the baseline's forms unchanged: its
 * JSON form is stable after one pass (JSON -> record -> JSON -> record
 * -> JSON gives the same object twice), and the packed form the
 * in-memory baseline keeps gives back the same record, within the bound
 * attr_pack_bound promises.  Every attribute must format.  The direct
 * line reader (record_from_line) may accept only what the general one
 * accepts, and must decode it to the same record and path.
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

/* What the direct reader made of the input agrees with r, from obj. */
static void
check_direct(const struct record *fast, const char *path, size_t len,
    const json_t *obj, const struct record *r)
{
	const json_t *p = json_object_get(obj, "path");
	json_t *a = record_to_json(fast), *b = record_to_json(r);

	FUZZ_CHECK(json_is_string(p) && json_string_length(p) == len &&
	    memcmp(json_string_value(p), path, len) == 0);
	FUZZ_CHECK(json_equal(a, b));
	FUZZ_CHECK(fast->known == r->known);
	json_decref(a);
	json_decref(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record r, again, fast;
	const char *why = NULL, *path = NULL;
	json_t *obj, *once, *twice;
	size_t plen = 0;
	bool direct;

	direct = record_from_line((const char *)data, size, &path, &plen,
	    &fast) == 0;
	obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	FUZZ_CHECK(!direct || obj != NULL);
	if (obj == NULL)
		return 0;
	if (record_from_json(obj, &r, &why) < 0) {
		/* A refusal names the problem. */
		FUZZ_CHECK(why != NULL);
		FUZZ_CHECK(!direct);
		json_decref(obj);
		return 0;
	}
	if (direct) {
		check_direct(&fast, path, plen, obj, &r);
		record_release(&fast);
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
