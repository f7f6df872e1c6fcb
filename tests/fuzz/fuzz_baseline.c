/*
 * Fuzz target: the baseline loader (fimd.baseline(5)) on a whole file,
 * from a memfd.  A refusal must come with a diagnostic; a baseline that
 * loads must hold as many entries as it counts, each of which can be read
 * back and shown in the baseline's JSON form, and whose entities each
 * read as a set of their type (entity.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "attr.h"
#include "baseline.h"
#include "diag.h"
#include "entity.h"
#include "fuzzlib.h"
#include "record.h"

static void
walk(struct baseline *b)
{
	struct baseline_iter it;
	const char *path;
	struct record r;
	size_t len, n = 0;
	json_t *o;

	(void)baseline_rules_digest(b);
	(void)baseline_created(b);
	(void)baseline_host(b);
	baseline_iter_init(&it, b);
	while (baseline_iter_next(&it, &path, &len, NULL)) {
		FUZZ_CHECK(baseline_get(b, path, len, &r) == 0);
		o = record_to_json(&r);
		FUZZ_CHECK(o != NULL);
		json_decref(o);
		record_release(&r);
		n++;
	}
	FUZZ_CHECK(n == baseline_count(b));
}

static void
entities(const struct baseline *b)
{
	struct entity_set set;
	const json_t *list;
	const char *why;
	int t;

	for (t = RULE_FILES + 1; t < RULE_TYPE_COUNT; t++) {
		list = baseline_entities(b, rule_type_name((enum rule_type)t));
		if (list == NULL)
			continue;
		FUZZ_CHECK(entity_set_from_json((enum rule_type)t, list, &set,
		    &why) == 0);
		FUZZ_CHECK(set.n <= json_array_size(list));
		entity_set_release(&set);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[FUZZ_PATH_MAX], *s;
	struct baseline *b = NULL;
	struct diag d;
	size_t i;
	int fd;

	fd = fuzz_memfd(data, size, path);
	diag_init(&d);
	if (baseline_load(path, &b, &d) == 0) {
		walk(b);
		entities(b);
		baseline_free(b);
	} else
		FUZZ_CHECK(d.errors > 0);
	for (i = 0; i < d.n; i++) {
		s = diag_format(&d.v[i]);
		free(s);
	}
	diag_release(&d);
	close(fd);
	return 0;
}
