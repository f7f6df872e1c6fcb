/* pathmap: byte keys, replacement, removal with tombstones, growth. */
#include <stdlib.h>
#include <string.h>

#include "tlib.h"

#include "pathmap.h"

struct kv {
	char	 key[32];
	size_t	 len;
	int	 value;
};

static bool
count_cb(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)value;
	(*(size_t *)arg)++;
	return true;
}

static void
test_byte_keys(void **state)
{
	static const struct {
		const char *key;
		size_t	 len;
	} keys[] = {
		{ "/etc/passwd", 11 },
		{ "/tmp/new\nline", 13 },
		{ "/tmp/\xff\xfe", 7 },
		{ "", 0 },
		{ "/etc/passwd\0x", 13 },	/* NUL inside: a different key */
	};
	struct pathmap *m = pathmap_new();
	int values[5];
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		values[i] = (int)i;
		assert_null(pathmap_put(m, keys[i].key, keys[i].len, &values[i]));
	}
	assert_int_equal(pathmap_count(m), 5);
	for (i = 0; i < 5; i++)
		assert_ptr_equal(pathmap_get(m, keys[i].key, keys[i].len),
		    &values[i]);
	assert_null(pathmap_get(m, "/etc/passw", 10));
	assert_ptr_equal(pathmap_put(m, keys[0].key, keys[0].len, &values[1]),
	    &values[0]);
	assert_int_equal(pathmap_count(m), 5);
	assert_ptr_equal(pathmap_remove(m, keys[2].key, keys[2].len),
	    &values[2]);
	assert_null(pathmap_get(m, keys[2].key, keys[2].len));
	assert_null(pathmap_remove(m, keys[2].key, keys[2].len));
	assert_int_equal(pathmap_count(m), 4);
	pathmap_free(m);
}

/* 100,000 keys with churn: every lookup right after heavy removal. */
static void
test_growth_and_churn(void **state)
{
	struct pathmap *m = pathmap_new();
	struct kv *v;
	size_t i, n = 100000, seen = 0;

	(void)state;
	v = calloc(n, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].len = (size_t)snprintf(v[i].key, sizeof(v[i].key),
		    "/d%zu/f%zu", i % 97, i);
		v[i].value = (int)i;
		pathmap_put(m, v[i].key, v[i].len, &v[i]);
	}
	for (i = 0; i < n; i += 2)
		assert_ptr_equal(pathmap_remove(m, v[i].key, v[i].len), &v[i]);
	for (i = 0; i < n; i += 2)
		pathmap_put(m, v[i].key, v[i].len, &v[i]);
	for (i = 1; i < n; i += 2)
		assert_ptr_equal(pathmap_remove(m, v[i].key, v[i].len), &v[i]);
	assert_int_equal(pathmap_count(m), n / 2);
	for (i = 0; i < n; i++)
		assert_ptr_equal(pathmap_get(m, v[i].key, v[i].len),
		    i % 2 == 0 ? &v[i] : NULL);
	pathmap_foreach(m, count_cb, &seen);
	assert_int_equal(seen, n / 2);
	pathmap_free(m);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_byte_keys),
		cmocka_unit_test(test_growth_and_churn),
	};

	return cmocka_run_group_tests_name("pathmap", tests, NULL, NULL);
}
