/*
 * baseline notes: a judged change pushes the old state into the
 * record's history (cut to the rule's count and to the byte bound) and
 * clears the acceptance that spoke of it; notes survive save and load,
 * leave with a removed entry, and a damaged note refuses the file with
 * its line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlib.h"

#include "attr.h"
#include "baseline.h"
#include "diag.h"
#include "hash.h"
#include "record.h"

static char *tmpdir;

static int
setup(void **state)
{
	(void)state;
	tmpdir = tlib_mkdtemp("bnote");
	return tmpdir == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	tlib_rmrf(tmpdir);
	free(tmpdir);
	return 0;
}

/* A file record whose size is v. */
static void
version(struct record *r, uint64_t v)
{
	record_init(r);
	r->known = RECORD_STAT_BITS | ATTR_BIT(ATTR_HASH);
	r->mode = S_IFREG | 0644;
	r->nlink = 1;
	r->size = v;
	r->inode = 42;
	r->mtime = (struct fimd_time){ 1700000000 + (int64_t)v, 0 };
	r->ctime = r->mtime;
	r->algos = HASH_BIT(HASH_SHA256);
	(void)hash_buffer(HASH_SHA256, &v, sizeof(v), r->md[HASH_SHA256]);
}

/* Change path from version v - 1 to v, keeping keep states. */
static void
step(struct baseline *b, const char *path, uint64_t v, unsigned keep)
{
	struct record old, cur;

	version(&old, v - 1);
	version(&cur, v);
	baseline_put_changed(b, path, strlen(path), &old, &cur, keep);
	record_release(&old);
	record_release(&cur);
}

static uint64_t
history_size(const struct baseline *b, const char *path, size_t i)
{
	const json_t *h = baseline_history(b, path, strlen(path));

	return (uint64_t)json_integer_value(json_object_get(json_array_get(h,
	    i), "size"));
}

static void
test_history(void **state)
{
	const char *p = "/etc/passwd", *q = "/etc/group";
	struct baseline *b = baseline_new();
	struct record r;

	(void)state;
	version(&r, 1);
	baseline_put(b, p, strlen(p), &r);
	record_release(&r);
	assert_null(baseline_history(b, p, strlen(p)));
	baseline_set_accepted(b, p, strlen(p),
	    baseline_accept_note(0, "root", "first", 0));
	step(b, p, 2, 3);
	/* The accepted state went to history with its acceptance. */
	assert_null(baseline_accepted(b, p, strlen(p)));
	assert_int_equal(history_size(b, p, 0), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(baseline_history(b, p, strlen(p)), 0),
	    "accepted"), "reason")), "first");
	step(b, p, 3, 3);
	step(b, p, 4, 3);
	step(b, p, 5, 3);
	/* Newest first, three kept. */
	assert_int_equal(json_array_size(baseline_history(b, p, strlen(p))),
	    3);
	assert_int_equal(history_size(b, p, 0), 4);
	assert_int_equal(history_size(b, p, 2), 2);
	/* A smaller count cuts; 0 drops the history. */
	step(b, p, 6, 1);
	assert_int_equal(json_array_size(baseline_history(b, p, strlen(p))),
	    1);
	step(b, p, 7, 0);
	assert_null(baseline_history(b, p, strlen(p)));

	/* A removed entry takes its notes with it. */
	step(b, q, 2, 3);
	assert_non_null(baseline_history(b, q, strlen(q)));
	assert_int_equal(baseline_remove(b, q, strlen(q)), 0);
	assert_null(baseline_history(b, q, strlen(q)));
	baseline_free(b);
}

static void
test_byte_bound(void **state)
{
	const char *p = "/big";
	struct baseline *b = baseline_new();
	struct record old, cur;
	char value[12000], *one;
	const json_t *h;
	uint64_t v;

	(void)state;
	memset(value, 'x', sizeof(value));
	for (v = 1; v <= 10; v++) {
		version(&old, v - 1);
		old.known |= ATTR_BIT(ATTR_XATTRS);
		old.xattrs = calloc(1, sizeof(*old.xattrs));
		old.nxattrs = 1;
		old.xattrs[0].name = strdup("user.big");
		old.xattrs[0].value = malloc(sizeof(value));
		memcpy(old.xattrs[0].value, value, sizeof(value));
		old.xattrs[0].len = sizeof(value);
		version(&cur, v);
		baseline_put_changed(b, p, strlen(p), &old, &cur, 100);
		record_release(&old);
		record_release(&cur);
	}
	/* As many states as fit in the bound, and fewer than asked. */
	h = baseline_history(b, p, strlen(p));
	one = json_dumps(json_array_get(h, 0), JSON_COMPACT);
	assert_non_null(one);
	assert_true(strlen(one) > 10000);
	assert_int_equal(json_array_size(h), BASELINE_HISTORY_BYTES /
	    (strlen(one) + 1));
	free(one);
	baseline_free(b);
}

static void
test_save_load(void **state)
{
	char *path = tlib_fmt("%s/b.json", tmpdir);
	const char *p = "/etc/\xff", *plain = "/etc/plain";
	struct baseline *b = baseline_new(), *back;
	struct record r;
	struct diag d;
	const json_t *a;

	(void)state;
	version(&r, 1);
	baseline_put(b, plain, strlen(plain), &r);
	record_release(&r);
	step(b, p, 2, 3);
	step(b, p, 3, 3);
	baseline_set_accepted(b, p, strlen(p),
	    baseline_accept_note(1000, NULL, "ticket \"7\"\n", 4));
	diag_init(&d);
	assert_int_equal(baseline_save(b, path, &d), 0);
	assert_int_equal(baseline_load(path, &back, &d), 0);
	assert_int_equal(baseline_count(back), 2);
	a = baseline_accepted(back, p, strlen(p));
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "reason")),
	    "ticket \"7\"\n");
	assert_int_equal(json_integer_value(json_object_get(a, "uid")), 1000);
	assert_int_equal(json_integer_value(json_object_get(a, "window")), 4);
	assert_null(json_object_get(a, "user"));
	assert_int_equal(json_array_size(baseline_history(back, p,
	    strlen(p))), 2);
	assert_int_equal(history_size(back, p, 0), 2);
	assert_null(baseline_accepted(back, plain, strlen(plain)));
	baseline_free(back);
	baseline_free(b);
	diag_release(&d);
	free(path);
}

/* Save a one-entry baseline whose line carries members, then load it. */
static void
refused(const char *members, const char *msg)
{
	char *path = tlib_fmt("%s/bad.json", tmpdir), *text, *edited;
	struct baseline *b = baseline_new(), *back = NULL;
	struct record r;
	struct diag d;
	size_t len;
	char *cut;

	version(&r, 1);
	baseline_put(b, "/x", 2, &r);
	record_release(&r);
	diag_init(&d);
	assert_int_equal(baseline_save(b, path, &d), 0);
	baseline_free(b);
	text = tlib_read(path, &len);
	/* The entry line is the second; add the members before its '}'. */
	cut = strchr(strchr(text, '\n') + 1, '\n');
	assert_non_null(cut);
	*(cut - 1) = '\0';
	edited = tlib_fmt("%s,%s}%s", text, members, cut);
	/* Re-digest: the file must fail on the note, not the digest. */
	{
		unsigned char md[32];
		char hex[65], *body_end = strrchr(edited, ']'), *out;

		*body_end = '\0';
		assert_int_equal(hash_buffer(HASH_SHA256, edited,
		    strlen(edited), md), 0);
		hash_hex(md, 32, hex);
		out = tlib_fmt("%s],\"digest\":\"sha256:%s\"}\n", edited, hex);
		tlib_write(path, out, (size_t)-1);
		free(out);
	}
	assert_int_equal(baseline_load(path, &back, &d), -EBADMSG);
	assert_null(back);
	assert_int_equal(d.errors, 1);
	if (strstr(d.v[0].message, msg) == NULL || d.v[0].line != 2)
		fail_msg("%s: line %u: %s", members, d.v[0].line,
		    d.v[0].message);
	diag_release(&d);
	free(text);
	free(edited);
	free(path);
}

static void
test_refusals(void **state)
{
	(void)state;
	refused("\"accepted\":{\"uid\":0}", "\"accepted\"");
	refused("\"accepted\":{\"at\":\"t\",\"uid\":-1}", "\"accepted\"");
	refused("\"accepted\":{\"at\":\"t\",\"uid\":0,\"reason\":1}",
	    "\"accepted\"");
	refused("\"history\":[]", "\"history\"");
	refused("\"history\":[{\"type\":\"file\"}]", "\"history\"");
	refused("\"history\":{}", "\"history\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_byte_bound),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("baseline_note", tests, setup,
	    teardown);
}
