/*
 * record: JSON round trips of every attribute (binary xattr values, link
 * targets with a newline or invalid UTF-8, every digest), what "known"
 * means on the way back, copy and move, and rejection of bad input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "attr.h"
#include "tlib.h"
#include "trecord.h"

#include "record.h"

static void
add_xattr(struct record *r, const char *name, const void *value, size_t len)
{
	r->xattrs = realloc(r->xattrs, (r->nxattrs + 1) * sizeof(*r->xattrs));
	assert_non_null(r->xattrs);
	r->xattrs[r->nxattrs].name = strdup(name);
	r->xattrs[r->nxattrs].value = malloc(len > 0 ? len : 1);
	memcpy(r->xattrs[r->nxattrs].value, value, len);
	r->xattrs[r->nxattrs].len = len;
	r->nxattrs++;
}

/* A regular file with every attribute captured; xattrs sorted by name. */
static void
full_record(struct record *r)
{
	static const unsigned char acl[] = { 0x02, 0x00, 0x00, 0x00, 0x01,
	    0x00, 0x06, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff };
	static const unsigned char cap[] = { 0x01, 0x00, 0x00, 0x02, 0x00,
	    0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 0x00, 0x00, 0x00 };
	int a;
	size_t i;

	record_init(r);
	r->known = ATTR_ALL_BITS;
	r->mode = S_IFREG | 06755;
	r->uid = 4294967294u;
	r->gid = 7;
	r->nlink = 3;
	r->size = (uint64_t)1 << 41;
	r->inode = 9223372036854775807ull;
	r->dev = 0x10300;
	r->mtime = (struct fimd_time){ 1700000000, 123456789 };
	r->ctime = (struct fimd_time){ 1700000001, 0 };
	r->atime = (struct fimd_time){ -86400, 999999999 };
	r->btime = (struct fimd_time){ 1, 1 };
	r->flags = FS_IMMUTABLE_FL | FS_APPEND_FL | FS_EXTENT_FL | 0x80000000u;
	add_xattr(r, "security.capability", cap, sizeof(cap));
	add_xattr(r, "security.selinux", "system_u:object_r:bin_t:s0", 27);
	add_xattr(r, "system.posix_acl_access", acl, sizeof(acl));
	add_xattr(r, "user.\\back\nslash\xff", "\0\0\x01", 3);
	add_xattr(r, "user.empty", "", 0);
	r->algos = (hash_mask)(HASH_BIT(HASH_COUNT) - 1);
	for (a = 0; a < HASH_COUNT; a++) {
		for (i = 0; i < hash_size(a); i++)
			r->md[a][i] = (unsigned char)(a * 31 + i * 7);
	}
}

/* Every stored field of a and b is equal, and attr_equal agrees. */
static void
assert_records_equal(const struct record *a, const struct record *b)
{
	int k;

	trecord_assert_equal(a, b);
	for (k = 0; k < ATTR_COUNT; k++) {
		if (a->known & ATTR_BIT(k) && !attr_equal(k, a, b))
			fail_msg("attr_equal(%s) says different", attr_name(k));
	}
}

/* To JSON text and back, through the serializer as the baseline does. */
static void
round_trip(const struct record *in, struct record *out, char **ret_text)
{
	json_t *j, *back;
	json_error_t err;
	const char *msg = NULL;
	char *text;

	j = record_to_json(in);
	assert_non_null(j);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	json_decref(j);
	back = json_loads(text, 0, &err);
	if (back == NULL)
		fail_msg("record_to_json output does not parse: %s", err.text);
	if (record_from_json(back, out, &msg) != 0)
		fail_msg("round trip rejected: %s in %s", msg, text);
	json_decref(back);
	if (ret_text != NULL)
		*ret_text = text;
	else
		free(text);
}

static void
test_round_trip_full(void **state)
{
	struct record in, out;
	char *text;
	json_t *j;

	(void)state;
	full_record(&in);
	round_trip(&in, &out, &text);
	/* A regular file has no link target: not stored, not known. */
	assert_int_equal(out.known,
	    ATTR_ALL_BITS & ~ATTR_BIT(ATTR_LINK_TARGET));
	in.known &= ~ATTR_BIT(ATTR_LINK_TARGET);
	assert_records_equal(&in, &out);
	/* Binary values are hex; times are exact strings. */
	j = json_loads(text, 0, NULL);
	assert_string_equal(tlib_json_str(j, "mode"), "6755");
	assert_string_equal(tlib_json_str(j, "type"), "file");
	assert_string_equal(tlib_json_str(j, "mtime"),
	    "1700000000.123456789");
	assert_string_equal(tlib_json_str(j, "hash.sha256"),
	    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "xattrs"), "user.empty")), "");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "xattrs"), "user.\\\\back\nslash\\xff")),
	    "000001");
	json_decref(j);
	free(text);
	record_release(&in);
	record_release(&out);
	assert_null(out.xattrs);
	assert_int_equal(out.known, 0);
}

/* Link targets: a newline stays as is, invalid UTF-8 is escaped. */
static void
test_round_trip_link_targets(void **state)
{
	static const struct {
		const char *target;
		const char *key;	/* where the JSON carries it */
		const char *stored;
	} cases[] = {
		{ "../lib/x\nnew line", "target", "../lib/x\nnew line" },
		{ "caf\xc3\xa9", "target", "caf\xc3\xa9" },
		{ "bad\xff\xfe", "target_escaped", "bad\\xff\\xfe" },
		{ "back\\slash\x80", "target_escaped", "back\\\\slash\\x80" },
		{ "back\\slash", "target", "back\\slash" },
	};
	struct record in, out;
	char *text;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		record_init(&in);
		in.known = RECORD_STAT_BITS | ATTR_BIT(ATTR_LINK_TARGET);
		in.mode = S_IFLNK | 0777;
		in.size = strlen(cases[i].target);
		in.link_target = strdup(cases[i].target);
		round_trip(&in, &out, &text);
		assert_records_equal(&in, &out);
		j = json_loads(text, 0, NULL);
		assert_string_equal(tlib_json_str(j, "type"), "symlink");
		assert_string_equal(json_string_value(json_object_get(j,
		    cases[i].key)), cases[i].stored);
		json_decref(j);
		free(text);
		record_release(&in);
		record_release(&out);
	}
}

/* Whatever was not captured is not stored and not known afterwards. */
static void
test_round_trip_minimal(void **state)
{
	static const uint32_t types[] = { S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO,
	    S_IFSOCK, S_IFCHR, S_IFBLK };
	struct record in, out;
	char *text;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		record_init(&in);
		in.known = RECORD_STAT_BITS;
		in.mode = types[i] | 0640;
		in.atime = (struct fimd_time){ 5, 5 };
		in.flags = FS_IMMUTABLE_FL;	/* not captured */
		round_trip(&in, &out, &text);
		assert_records_equal(&in, &out);
		assert_int_equal(record_type_from_name(record_type_name(
		    out.mode)), types[i]);
		j = json_loads(text, 0, NULL);
		assert_null(json_object_get(j, "atime"));
		assert_null(json_object_get(j, "btime"));
		assert_null(json_object_get(j, "flags"));
		assert_null(json_object_get(j, "xattrs"));
		assert_null(json_object_get(j, "hash"));
		assert_null(json_object_get(j, "target"));
		json_decref(j);
		free(text);
		record_release(&in);
		record_release(&out);
	}
}

/* Captured but empty: no xattrs at all, no digest (over max_size). */
static void
test_round_trip_empty_sets(void **state)
{
	struct record in, out;

	(void)state;
	record_init(&in);
	in.known = RECORD_STAT_BITS | ATTR_BIT(ATTR_XATTRS) |
	    ATTR_BIT(ATTR_HASH) | ATTR_BIT(ATTR_FLAGS);
	in.mode = S_IFREG | 0600;
	in.hash_too_large = true;
	round_trip(&in, &out, NULL);
	assert_records_equal(&in, &out);
	assert_int_equal(out.nxattrs, 0);
	assert_null(out.xattrs);
	assert_true(out.hash_too_large);
	record_release(&out);

	/* Hash captured with one algorithm. */
	in.hash_too_large = false;
	in.algos = HASH_BIT(HASH_MD5);
	memset(in.md[HASH_MD5], 0xee, hash_size(HASH_MD5));
	round_trip(&in, &out, NULL);
	assert_records_equal(&in, &out);
	record_release(&out);
	record_release(&in);
}

static void
test_copy_move(void **state)
{
	struct record a, b, c;

	(void)state;
	full_record(&a);
	a.link_target = strdup("t");
	record_copy(&b, &a);
	assert_ptr_not_equal(b.xattrs, a.xattrs);
	assert_ptr_not_equal(b.link_target, a.link_target);
	assert_records_equal(&a, &b);
	record_release(&a);
	full_record(&c);
	record_move(&c, &b);	/* c's old contents freed */
	assert_int_equal(b.known, 0);
	assert_null(b.xattrs);
	assert_null(b.link_target);
	assert_string_equal(c.link_target, "t");
	assert_int_equal(c.nxattrs, 5);
	record_move(&c, &c);
	assert_int_equal(c.nxattrs, 5);
	record_release(&c);
	record_release(&b);
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(record_type_name(S_IFREG | 0644), "file");
	assert_string_equal(record_type_name(S_IFDIR), "dir");
	assert_string_equal(record_type_name(S_IFLNK), "symlink");
	assert_string_equal(record_type_name(S_IFIFO), "fifo");
	assert_string_equal(record_type_name(S_IFSOCK), "socket");
	assert_string_equal(record_type_name(S_IFCHR), "chardev");
	assert_string_equal(record_type_name(S_IFBLK), "blockdev");
	assert_string_equal(record_type_name(0), "unknown");
	assert_int_equal(record_type_from_name("unknown"), 0);
	assert_int_equal(record_type_from_name("File"), 0);
}

static void
test_rfc3339(void **state)
{
	char out[FIMD_TIME_RFC3339_LEN];
	struct fimd_time t = { 1700000000, 123456789 };

	(void)state;
	fimd_time_rfc3339(&t, out);
	assert_string_equal(out, "2023-11-14T22:13:20.123456Z");
	t = (struct fimd_time){ 0, 999 };
	fimd_time_rfc3339(&t, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
}

/* A valid entry with one key replaced (NULL value: key removed). */
static const char good[] =
    "{\"type\":\"file\",\"mode\":\"0644\",\"uid\":0,\"gid\":0,\"size\":3,"
    "\"inode\":12,\"dev\":2049,\"nlink\":1,\"mtime\":\"1.000000000\","
    "\"ctime\":\"2.000000000\"}";

static const struct {
	const char *key;
	const char *value;	/* JSON text, or NULL to remove the key */
	const char *msg;	/* expected error text, substring */
} bad[] = {
	{ "type", NULL, "type" },
	{ "type", "\"regular\"", "type" },
	{ "type", "1", "type" },
	{ "mode", NULL, "mode" },
	{ "mode", "\"10000\"", "mode" },
	{ "mode", "420", "mode" },
	{ "mode", "\"0644x\"", "mode" },
	{ "mode", "\"\"", "mode" },
	{ "mode", "\"-1\"", "mode" },
	{ "mode", "\" 644\"", "mode" },
	{ "mode", "\"0x1ff\"", "mode" },
	{ "mode", "\"0844\"", "mode" },
	{ "uid", NULL, "number" },
	{ "uid", "-1", "number" },
	{ "uid", "4294967296", "number" },
	{ "gid", "\"0\"", "number" },
	{ "gid", "1.5", "number" },
	{ "nlink", "4294967296", "number" },
	{ "size", "-3", "number" },
	{ "size", "null", "number" },
	{ "inode", "true", "number" },
	{ "dev", NULL, "number" },
	{ "mtime", NULL, "time" },
	{ "mtime", "1", "time" },
	{ "mtime", "\"1\"", "time" },
	{ "mtime", "\"1.5\"", "time" },
	{ "mtime", "\"1.0000000000\"", "time" },
	{ "mtime", "\"x.000000000\"", "time" },
	{ "mtime", "\".000000000\"", "time" },
	{ "mtime", "\"1.-00000000\"", "time" },
	{ "mtime", "\"1.+00000000\"", "time" },
	{ "mtime", "\" 1.000000000\"", "time" },
	{ "mtime", "\"+1.000000000\"", "time" },
	{ "mtime", "\"99999999999999999999.000000000\"", "time" },
	{ "ctime", "\"1.00000000a\"", "time" },
	{ "btime", "\"1\"", "btime" },
	{ "btime", "0", "btime" },
	{ "atime", "\"now\"", "atime" },
	{ "target", "5", "target" },
	{ "target", "\"a\\u0000b\"", "target" },
	{ "target_escaped", "\"bad\\\\xzz\"", "target" },
	{ "target_escaped", "\"nul\\\\x00\"", "target" },
	{ "target_escaped", "[]", "target" },
	{ "flags", "-1", "flags" },
	{ "flags", "\"immutable\"", "flags" },
	{ "flags", "4294967296", "flags" },
	{ "xattrs", "[]", "xattrs" },
	{ "xattrs", "\"user.a\"", "xattrs" },
	{ "xattrs", "{\"user.a\":\"abc\"}", "xattrs" },
	{ "xattrs", "{\"user.a\":\"zz\"}", "xattrs" },
	{ "xattrs", "{\"user.a\":1}", "xattrs" },
	{ "xattrs", "{\"user.a\":\"00\",\"user.b\":\"0g\"}", "xattrs" },
	{ "xattrs", "{\"bad\\\\q\":\"00\"}", "xattrs" },
	{ "xattrs", "{\"\":\"00\"}", "xattrs" },
	{ "xattrs", "{\"user.a\":\"00\",\"user.\\\\x61\":\"01\"}", "xattrs" },
	{ "hash", "[]", "hash" },
	{ "hash", "{\"sha384\":\"00\"}", "hash" },
	{ "hash", "{\"md5\":\"00\"}", "hash" },
	{ "hash", "{\"md5\":5}", "hash" },
	{ "hash", "{\"md5\":\"d41d8cd98f00b204e9800998ecf8427g\"}", "hash" },
	{ "too_large", "false", "too_large" },
	{ "too_large", "1", "too_large" },
};

static void
test_rejects(void **state)
{
	struct record r;
	const char *msg;
	json_t *base, *j, *v;
	size_t i;

	(void)state;
	base = json_loads(good, 0, NULL);
	assert_non_null(base);
	assert_int_equal(record_from_json(base, &r, NULL), 0);
	record_release(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_deep_copy(base);
		if (bad[i].value == NULL)
			json_object_del(j, bad[i].key);
		else {
			v = json_loads(bad[i].value, JSON_DECODE_ANY |
			    JSON_ALLOW_NUL, NULL);
			if (v == NULL)
				fail_msg("test table: %s", bad[i].value);
			json_object_set_new(j, bad[i].key, v);
		}
		msg = NULL;
		memset(&r, 0x5a, sizeof(r));
		if (record_from_json(j, &r, &msg) != -EINVAL)
			fail_msg("accepted %s = %s", bad[i].key,
			    bad[i].value != NULL ? bad[i].value : "(none)");
		assert_non_null(msg);
		if (strstr(msg, bad[i].msg) == NULL)
			fail_msg("%s = %s: message \"%s\" lacks \"%s\"",
			    bad[i].key, bad[i].value, msg, bad[i].msg);
		/* Left empty: nothing to release, nothing leaked. */
		assert_int_equal(r.known, 0);
		assert_null(r.link_target);
		assert_null(r.xattrs);
		assert_int_equal(r.nxattrs, 0);
		json_decref(j);
	}
	json_decref(base);
	/* Not an object at all. */
	j = json_array();
	assert_int_equal(record_from_json(j, &r, &msg), -EINVAL);
	assert_non_null(strstr(msg, "object"));
	assert_int_equal(record_from_json(NULL, &r, NULL), -EINVAL);
	json_decref(j);
}

/* Accepted spellings that are not what record_to_json writes. */
static void
test_accepts(void **state)
{
	static const struct {
		const char *key;
		const char *value;
	} ok[] = {
		{ "mode", "\"644\"" },
		{ "mode", "\"7777\"" },
		{ "mtime", "\"-1.000000000\"" },
		{ "hash", "{\"sha-256\":\"E3B0C44298FC1C149AFBF4C8996FB924"
		    "27AE41E4649B934CA495991B7852B855\"}" },
		{ "hash", "{}" },
		{ "xattrs", "{}" },
		{ "target", "\"\"" },
	};
	struct record r;
	json_t *j;
	size_t i;
	const char *msg;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		j = json_loads(good, 0, NULL);
		json_object_set_new(j, ok[i].key, json_loads(ok[i].value,
		    JSON_DECODE_ANY, NULL));
		if (record_from_json(j, &r, &msg) != 0)
			fail_msg("rejected %s = %s: %s", ok[i].key,
			    ok[i].value, msg);
		json_decref(j);
		record_release(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_round_trip_link_targets),
		cmocka_unit_test(test_round_trip_minimal),
		cmocka_unit_test(test_round_trip_empty_sets),
		cmocka_unit_test(test_copy_move),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_accepts),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
