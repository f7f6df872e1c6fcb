/*
 * baseline: the packed index (put, get, remove, seen marks, inodes,
 * iteration, compaction), the file form round trip with awkward names and
 * every attribute, each way a file is refused, and the size and speed
 * figures at scale.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "tlib.h"
#include "trecord.h"

#include "baseline.h"
#include "hex.h"
#include "baseline_int.h"
#include "chain.h"
#include "diag.h"
#include "hash.h"
#include "record.h"

/* A plain file record; seed varies every field. */
static void
plain_record(struct record *r, uint64_t seed)
{
	record_init(r);
	r->known = RECORD_STAT_BITS | ATTR_BIT(ATTR_HASH);
	r->mode = S_IFREG | 0644;
	r->uid = (uint32_t)(seed % 1000);
	r->gid = (uint32_t)(seed % 7);
	r->nlink = 1;
	r->size = seed * 4099;
	r->inode = 100000 + seed;
	r->dev = 0x801;
	r->mtime = (struct fimd_time){ 1700000000 + (int64_t)seed, 123456789 };
	r->ctime = (struct fimd_time){ 1700000001 + (int64_t)seed, 5 };
	r->algos = HASH_BIT(HASH_SHA256);
	(void)hash_buffer(HASH_SHA256, &seed, sizeof(seed),
	    r->md[HASH_SHA256]);
}

/* Every attribute a record can carry. */
static void
full_record(struct record *r)
{
	static const unsigned char bin[] = { 0, 1, 0xff, '\n', 0x80 };
	int a;

	plain_record(r, 42);
	r->known = ATTR_ALL_BITS;
	r->mode = S_IFLNK | 0777;
	r->uid = UINT32_MAX - 1;
	r->gid = 65534;
	r->nlink = 3;
	r->size = (uint64_t)INT64_MAX;
	r->inode = (uint64_t)1 << 40;
	r->dev = 0xfd00;
	r->mtime = (struct fimd_time){ -5, 999999999 };
	r->atime = (struct fimd_time){ 1, 2 };
	r->btime = (struct fimd_time){ 1600000000, 7 };
	r->flags = 0x10 | 0x20;
	r->link_target = strdup("../target\xff\nwith newline");
	r->nxattrs = 2;
	r->xattrs = calloc(2, sizeof(*r->xattrs));
	r->xattrs[0].name = strdup("security.selinux");
	r->xattrs[0].value = (unsigned char *)strdup("system_u:object_r");
	r->xattrs[0].len = strlen("system_u:object_r");
	r->xattrs[1].name = strdup("user.bin\xfe");
	r->xattrs[1].value = malloc(sizeof(bin));
	memcpy(r->xattrs[1].value, bin, sizeof(bin));
	r->xattrs[1].len = sizeof(bin);
	r->algos = 0;
	for (a = 0; a < HASH_COUNT; a++) {
		r->algos |= HASH_BIT(a);
		memset(r->md[a], 0x11 * (a + 1), hash_size(a));
	}
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- round trip ---- */

struct rt_path {
	const char *p;
	size_t	 len;
	int	 kind;		/* 0 plain, 1 every attribute, 2 too large */
};

#define S(x) x, sizeof(x) - 1

static const struct rt_path rt_paths[] = {
	{ S("/etc/passwd"), 0 },
	{ S("/tmp/new\nline"), 0 },
	{ S("/tmp/bad\xff\xfe utf8"), 0 },
	{ S("/tmp/back\\slash \"quoted\""), 1 },
	{ S("/tmp/caf\xc3\xa9"), 0 },
	{ S("/var/log/huge"), 2 },
	{ S("/\x01\x1f control"), 0 },
};

static void
fill_for(struct record *r, int kind, size_t i)
{
	if (kind == 1)
		full_record(r);
	else {
		plain_record(r, i);
		if (kind == 2) {
			r->hash_too_large = true;
			r->algos = 0;
		}
	}
}

static void
test_round_trip(void **state)
{
	char *dir = tlib_mkdtemp("baseline"), *file, *text, *longp;
	struct baseline *b, *l = NULL;
	struct record r, got;
	struct diag d;
	struct stat st;
	json_t *j;
	size_t i, len;

	(void)state;
	file = tlib_fmt("%s/baseline.json", dir);
	b = baseline_new();
	baseline_set_rules_digest(b, "sha256:abcd");
	for (i = 0; i < sizeof(rt_paths) / sizeof(rt_paths[0]); i++) {
		fill_for(&r, rt_paths[i].kind, i);
		baseline_put(b, rt_paths[i].p, rt_paths[i].len, &r);
		record_release(&r);
	}
	/* A 4 KiB path. */
	longp = malloc(4097);
	for (i = 0; i < 4096; i++)
		longp[i] = i % 64 == 0 ? '/' : (char)('a' + i % 26);
	longp[4096] = '\0';
	plain_record(&r, 99);
	baseline_put(b, longp, 4096, &r);
	record_release(&r);

	diag_init(&d);
	assert_int_equal(baseline_save(b, file, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* The whole file is one JSON document with every entry. */
	text = tlib_read(file, &len);
	assert_non_null(text);
	j = json_loadb(text, len, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j,
	    "fimd_baseline")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "entries")),
	    baseline_count(b));
	assert_int_equal(strncmp(json_string_value(json_object_get(j,
	    "digest")), "sha256:", 7), 0);
	json_decref(j);
	free(text);

	assert_int_equal(baseline_load(file, &l, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(baseline_count(l), baseline_count(b));
	assert_string_equal(baseline_rules_digest(l), "sha256:abcd");
	assert_string_equal(baseline_created(l), baseline_created(b));
	assert_string_equal(baseline_host(l), baseline_host(b));
	for (i = 0; i < sizeof(rt_paths) / sizeof(rt_paths[0]); i++) {
		fill_for(&r, rt_paths[i].kind, i);
		assert_int_equal(baseline_get(l, rt_paths[i].p,
		    rt_paths[i].len, &got), 0);
		trecord_assert_equal(&r, &got);
		record_release(&r);
		record_release(&got);
	}
	plain_record(&r, 99);
	assert_int_equal(baseline_get(l, longp, 4096, &got), 0);
	trecord_assert_equal(&r, &got);
	record_release(&r);
	record_release(&got);

	/* Saving what was loaded gives the same bytes but the trailer. */
	text = tlib_read(file, &len);
	assert_int_equal(baseline_save(l, file, &d), 0);
	{
		size_t len2;
		char *text2 = tlib_read(file, &len2);

		assert_int_equal(len, len2);
		assert_memory_equal(text, text2, len);
		free(text2);
	}
	free(text);
	diag_release(&d);
	baseline_free(l);
	baseline_free(b);
	free(longp);
	tlib_rmrf(dir);
	free(dir);
	free(file);
}

static void
test_empty_round_trip(void **state)
{
	char *dir = tlib_mkdtemp("baseline"), *file;
	struct baseline *b = baseline_new(), *l = NULL;
	struct diag d;

	(void)state;
	file = tlib_fmt("%s/b.json", dir);
	diag_init(&d);
	assert_int_equal(baseline_save(b, file, &d), 0);
	assert_int_equal(baseline_load(file, &l, &d), 0);
	assert_int_equal(baseline_count(l), 0);
	assert_int_equal(d.n, 0);
	diag_release(&d);
	baseline_free(l);
	baseline_free(b);
	tlib_rmrf(dir);
	free(dir);
	free(file);
}

static void
test_missing(void **state)
{
	struct baseline *l = NULL;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(baseline_load("/nonexistent/fimd/b.json", &l, &d),
	    -ENOENT);
	assert_null(l);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, "/nonexistent/fimd/b.json");
	diag_release(&d);
}

/* ---- refusals ---- */

/* Offset of the start of the last line of s (which ends in '\n'). */
static size_t
last_line(const char *s, size_t len)
{
	size_t i = len - 1;

	while (i > 0 && s[i - 1] != '\n')
		i--;
	return i;
}

/* Rewrite the trailer so the digest matches the (edited) body. */
static char *
redigest(char *s, size_t *len)
{
	unsigned char md[32];
	char hex[65], *out;
	size_t body = last_line(s, *len);

	assert_int_equal(hash_buffer(HASH_SHA256, s, body, md), 0);
	hash_hex(md, 32, hex);
	s[body] = '\0';
	out = tlib_fmt("%s],\"digest\":\"sha256:%s\"}\n", s, hex);
	free(s);
	*len = strlen(out);
	return out;
}

/* Replace the first occurrence of from by to. */
static char *
replace(char *s, size_t *len, const char *from, const char *to)
{
	char *p = strstr(s, from), *out;

	assert_non_null(p);
	*p = '\0';
	out = tlib_fmt("%s%s%s", s, to, p + strlen(from));
	free(s);
	*len = strlen(out);
	return out;
}

/* Swap the second and third lines (the first two entries). */
static char *
swap_entries(char *s, size_t *len)
{
	char *l1 = strchr(s, '\n') + 1, *l2 = strchr(l1, '\n') + 1;
	char *l3 = strchr(l2, '\n') + 1, *out;

	out = tlib_fmt("%.*s%.*s%.*s%s", (int)(l1 - s), s, (int)(l3 - l2), l2,
	    (int)(l2 - l1), l1, l3);
	free(s);
	*len = strlen(out);
	return out;
}

enum mutation {
	M_FLIP, M_CUT, M_CUT_NEWLINE, M_FOREIGN, M_NOT_JSON, M_VERSION,
	M_COUNT, M_BAD_ENTRY, M_UNSORTED, M_DUPLICATE, M_EMPTY,
	M_NO_COMMA, M_ENTRY_NOT_JSON, M_DUP_KEY,
};

struct refusal {
	const char *name;
	enum mutation m;
	unsigned line;		/* expected diag line, 0: any */
	const char *msg;	/* substring of the diag message */
};

static const struct refusal refusals[] = {
	{ "flipped byte", M_FLIP, 0, "digest mismatch" },
	{ "cut in half", M_CUT, 0, "truncated" },
	{ "last newline cut", M_CUT_NEWLINE, 0, "truncated" },
	{ "foreign JSON", M_FOREIGN, 1, "no \"fimd_baseline\" key" },
	{ "not JSON", M_NOT_JSON, 1, "not JSON" },
	{ "wrong version", M_VERSION, 1,
	    "unsupported baseline format version 2" },
	{ "count mismatch", M_COUNT, 1, "count mismatch" },
	{ "bad entry", M_BAD_ENTRY, 2, "bad entry" },
	{ "unsorted", M_UNSORTED, 3, "not sorted" },
	{ "duplicate", M_DUPLICATE, 3, "duplicate path" },
	{ "empty", M_EMPTY, 1, "empty file" },
	{ "missing comma", M_NO_COMMA, 2, "does not end in ','" },
	{ "entry not JSON", M_ENTRY_NOT_JSON, 2, "entry is not JSON" },
	{ "duplicate key", M_DUP_KEY, 2, "duplicate key" },
};

static char *
mutate(enum mutation m, char *s, size_t *len)
{
	switch (m) {
	case M_FLIP:
		s[strchr(s, '\n') - s + 20] ^= 0x01;
		return s;
	case M_CUT:
		*len /= 2;
		return s;
	case M_CUT_NEWLINE:
		(*len)--;
		return s;
	case M_FOREIGN:
		free(s);
		s = strdup("{\"hello\":[1,2,3]}\n");
		*len = strlen(s);
		return s;
	case M_NOT_JSON:
		free(s);
		s = strdup("root:x:0:0:root:/root:/bin/bash\n");
		*len = strlen(s);
		return s;
	case M_VERSION:
		s = replace(s, len, "\"fimd_baseline\":1",
		    "\"fimd_baseline\":2");
		return redigest(s, len);
	case M_COUNT:
		s = replace(s, len, "\"count\":3", "\"count\":4");
		return redigest(s, len);
	case M_BAD_ENTRY:
		s = replace(s, len, "\"mode\":\"0644\"", "\"mode\":\"rwx\"");
		return redigest(s, len);
	case M_UNSORTED:
		return redigest(swap_entries(s, len), len);
	case M_DUPLICATE:
		s = replace(s, len, "/b\"", "/a\"");
		return redigest(s, len);
	case M_EMPTY:
		*len = 0;
		return s;
	case M_ENTRY_NOT_JSON:
		s = replace(s, len, "\"uid\":", "\"uid\" ");
		return redigest(s, len);
	case M_DUP_KEY:
		s = replace(s, len, "\"uid\":", "\"gid\":");
		return redigest(s, len);
	case M_NO_COMMA:
		s = replace(s, len, "},\n", "}\n");
		return redigest(s, len);
	}
	return s;
}

static void
test_refusals(void **state)
{
	char *dir = tlib_mkdtemp("baseline"), *file, *good, *s;
	struct baseline *b = baseline_new(), *l;
	struct record r;
	struct diag d;
	size_t i, goodlen, len;
	int rc;

	(void)state;
	file = tlib_fmt("%s/b.json", dir);
	for (i = 0; i < 3; i++) {
		char p[8] = { '/', (char)('a' + i), '\0' };

		plain_record(&r, i);
		baseline_put(b, p, 2, &r);
		record_release(&r);
	}
	diag_init(&d);
	assert_int_equal(baseline_save(b, file, &d), 0);
	good = tlib_read(file, &goodlen);
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *c = &refusals[i];

		s = malloc(goodlen + 1);
		memcpy(s, good, goodlen + 1);
		len = goodlen;
		s = mutate(c->m, s, &len);
		tlib_write(file, s, len);
		free(s);
		l = NULL;
		diag_release(&d);
		diag_init(&d);
		rc = baseline_load(file, &l, &d);
		if (rc != -EBADMSG || d.n != 1 ||
		    strstr(d.v[0].message, c->msg) == NULL)
			fail_msg("%s: rc %d, %zu diags, first \"%s\"", c->name,
			    rc, d.n, d.n > 0 ? d.v[0].message : "");
		assert_null(l);
		assert_string_equal(d.v[0].file, file);
		{
			char *m = diag_format(&d.v[0]);

			printf("%-16s %s\n", c->name, m + strlen(dir) + 1);
			free(m);
		}
		if (c->line != 0 && d.v[0].line != c->line)
			fail_msg("%s: line %u, expected %u", c->name,
			    d.v[0].line, c->line);
	}
	/* The untouched file still loads. */
	tlib_write(file, good, goodlen);
	diag_release(&d);
	diag_init(&d);
	assert_int_equal(baseline_load(file, &l, &d), 0);
	assert_int_equal(baseline_count(l), 3);
	baseline_free(l);
	diag_release(&d);
	free(good);
	baseline_free(b);
	tlib_rmrf(dir);
	free(dir);
	free(file);
}

/* The digest of body[0..len) under key, as a whole trailer line. */
static char *
retrailer(char *s, size_t *len, const char *algo, const struct chain_key *k)
{
	char hex[CHAIN_HEX_LEN + 1], *out;
	size_t body = last_line(s, *len);

	chain_digest_hex(k, s, body, hex);
	s[body] = '\0';
	out = tlib_fmt("%s],\"digest\":\"%s:%s\"}\n", s, algo, hex);
	free(s);
	*len = strlen(out);
	return out;
}

/* Load file with key; expect -EBADMSG and a message holding msg. */
static void
refused_with(const char *file, const struct chain_key *key, const char *msg)
{
	struct baseline *l = NULL;
	struct diag d;
	int rc;

	diag_init(&d);
	rc = baseline_load_keyed(file, key, &l, &d);
	if (rc != -EBADMSG || d.n != 1 || strstr(d.v[0].message, msg) == NULL)
		fail_msg("rc %d, %zu diags, first \"%s\", want \"%s\"", rc,
		    d.n, d.n > 0 ? d.v[0].message : "", msg);
	assert_null(l);
	diag_release(&d);
}

/*
 * With a key, the digest is an HMAC: the baseline loads with the key
 * only, and an edited one whose digest was computed again without the
 * key (as plain SHA-256, under either label) is refused.
 */
static void
test_keyed_digest(void **state)
{
	char *dir = tlib_mkdtemp("baseline"), *file, *keyfile, *good, *s;
	struct baseline *b = baseline_new(), *l = NULL;
	struct chain_key *key = NULL, *other = NULL;
	struct record r;
	struct diag d;
	size_t goodlen, len;

	(void)state;
	file = tlib_fmt("%s/b.json", dir);
	keyfile = tlib_fmt("%s/key", dir);
	tlib_write(keyfile, "0123456789abcdef0123456789abcdef", 32);
	diag_init(&d);
	assert_int_equal(chain_key_load(keyfile, false, &key, &d), 0);
	tlib_write(keyfile, "another key, of at least 32 bytes", 33);
	assert_int_equal(chain_key_load(keyfile, false, &other, &d), 0);
	plain_record(&r, 1);
	baseline_put(b, "/a", 2, &r);
	record_release(&r);
	assert_int_equal(baseline_save_keyed(b, file, key, &d), 0);
	good = tlib_read(file, &goodlen);
	assert_non_null(strstr(good, "],\"digest\":\"hmac-sha256:"));
	assert_int_equal(baseline_load_keyed(file, key, &l, &d), 0);
	assert_int_equal(baseline_count(l), 1);
	baseline_free(l);
	assert_int_equal(d.n, 0);

	refused_with(file, NULL, "the digest is keyed (hmac-sha256)");
	refused_with(file, other, "digest mismatch");
	/* Edited, then digested again without the key. */
	s = strdup(good);
	len = goodlen;
	s = replace(s, &len, "\"mode\":\"0644\"", "\"mode\":\"4755\"");
	s = retrailer(s, &len, "sha256", NULL);
	tlib_write(file, s, len);
	refused_with(file, key, "digest not keyed");
	s = retrailer(s, &len, "hmac-sha256", NULL);
	tlib_write(file, s, len);
	refused_with(file, key, "digest mismatch");
	/* With the key it would pass: the refusal is the key's doing. */
	s = retrailer(s, &len, "hmac-sha256", key);
	tlib_write(file, s, len);
	assert_int_equal(baseline_load_keyed(file, key, &l, &d), 0);
	baseline_free(l);
	free(s);

	diag_release(&d);
	chain_key_free(key);
	chain_key_free(other);
	free(good);
	baseline_free(b);
	tlib_rmrf(dir);
	free(dir);
	free(keyfile);
	free(file);
}

/* A file written by hand: \u escapes, spaces, optional header fields. */
static void
test_hand_written(void **state)
{
	char *dir = tlib_mkdtemp("baseline"), *file, *s;
	struct baseline *l = NULL;
	struct record got;
	struct diag d;
	size_t len;
	static const char text[] =
	    "{\"fimd_baseline\":1,\"count\":2,\"entries\":[\n"
	    "{ \"path\" : \"/caf\\u00e9\", \"type\":\"file\","
	    "\"mode\":\"0600\",\"uid\":0,\"gid\":0,\"size\":1,"
	    "\"inode\":2,\"dev\":3,\"nlink\":1,"
	    "\"mtime\":\"1.000000000\",\"ctime\":\"1.000000000\"} ,\n"
	    "{\"path\":\"/smile\\ud83d\\ude00\\/x\",\"type\":\"dir\","
	    "\"mode\":\"0755\",\"uid\":0,\"gid\":0,\"size\":1,"
	    "\"inode\":2,\"dev\":3,\"nlink\":1,"
	    "\"mtime\":\"1.000000000\",\"ctime\":\"1.000000000\"}\n"
	    "],\"digest\":\"sha256:\"}\n";

	(void)state;
	file = tlib_fmt("%s/b.json", dir);
	len = sizeof(text) - 1;
	s = malloc(len + 1);
	memcpy(s, text, len + 1);
	s = redigest(s, &len);
	tlib_write(file, s, len);
	free(s);
	diag_init(&d);
	if (baseline_load(file, &l, &d) != 0) {
		diag_print(&d, stdout);
		fail();
	}
	assert_int_equal(baseline_count(l), 2);
	assert_int_equal(baseline_get(l, "/caf\xc3\xa9", 6, &got), 0);
	assert_int_equal(got.mode, S_IFREG | 0600);
	record_release(&got);
	assert_int_equal(baseline_get(l, "/smile\xf0\x9f\x98\x80/x", 12,
	    &got), 0);
	assert_int_equal(got.mode, S_IFDIR | 0755);
	record_release(&got);
	assert_string_equal(baseline_rules_digest(l), "");
	diag_release(&d);
	baseline_free(l);
	tlib_rmrf(dir);
	free(dir);
	free(file);
}

/*
 * Entities: kept in the header across save and load; a baseline
 * without them (written before them) loads with none; a bad list or
 * an unknown type is refused with the reason.
 */
static void
test_entities(void **state)
{
	char *dir = tlib_mkdtemp("baseline"), *file, *s;
	struct baseline *b = baseline_new(), *l = NULL;
	struct record r;
	struct diag d;
	json_t *ports;
	size_t len;

	(void)state;
	file = tlib_fmt("%s/b.json", dir);
	diag_init(&d);
	plain_record(&r, 1);
	baseline_put(b, "/etc/x", 6, &r);
	record_release(&r);
	assert_null(baseline_entities(b, "ports"));
	ports = json_loads("[{\"transport\":\"tcp\",\"ip\":\"::\","
	    "\"port\":22,\"family\":\"ipv6\",\"uid\":0,\"pid\":9}]", 0,
	    NULL);
	baseline_set_entities(b, "ports", json_deep_copy(ports));
	baseline_set_entities(b, "packages", json_loads("[{\"name\":"
	    "\"hello\",\"version\":\"2.10-3\",\"architecture\":\"amd64\","
	    "\"status\":\"installed\"}]", 0, NULL));
	assert_int_equal(baseline_save(b, file, &d), 0);
	assert_int_equal(baseline_load(file, &l, &d), 0);
	assert_true(json_equal(baseline_entities(l, "ports"), ports));
	assert_int_equal(json_array_size(baseline_entities(l, "packages")),
	    1);
	assert_int_equal(baseline_count(l), 1);
	baseline_set_entities(l, "packages", NULL);
	assert_null(baseline_entities(l, "packages"));
	baseline_free(l);
	/* The header names them before the entries. */
	s = tlib_read(file, &len);
	assert_non_null(strstr(s, "\"entities\":{\"ports\":[{"));
	assert_true(strstr(s, "\"entities\"") < strstr(s, "\"entries\""));
	s = replace(s, &len, "\"port\":22", "\"port\":\"22\"");
	s = redigest(s, &len);
	tlib_write(file, s, len);
	free(s);
	assert_int_equal(baseline_load(file, &l, &d), -EBADMSG);
	assert_non_null(strstr(d.v[d.n - 1].message, "bad \"entities\" "
	    "\"ports\""));
	s = tlib_read(file, &len);
	s = replace(s, &len, "\"ports\":[", "\"sockets\":[");
	s = redigest(s, &len);
	tlib_write(file, s, len);
	free(s);
	assert_int_equal(baseline_load(file, &l, &d), -EBADMSG);
	assert_non_null(strstr(d.v[d.n - 1].message, "unknown entity type "
	    "\"sockets\""));
	json_decref(ports);
	diag_release(&d);
	baseline_free(b);
	tlib_rmrf(dir);
	free(dir);
	free(file);
}

/* ---- the index ---- */

static size_t
iter_count(const struct baseline *b, size_t *ret_seen)
{
	struct baseline_iter it;
	const char *p;
	size_t len, n = 0, seen = 0;
	bool s;

	baseline_iter_init(&it, b);
	while (baseline_iter_next(&it, &p, &len, &s)) {
		assert_int_equal(strlen(p), len);
		n++;
		seen += s;
	}
	if (ret_seen != NULL)
		*ret_seen = seen;
	return n;
}

static void
test_index(void **state)
{
	struct baseline *b = baseline_new();
	struct record r, got;
	const char *paths[4];
	size_t lens[4], seen, i;
	char p[64];

	(void)state;
	plain_record(&r, 1);
	baseline_put(b, "/x/one", 6, &r);
	baseline_put(b, "/x/hardlink", 11, &r);
	record_release(&r);
	plain_record(&r, 2);
	baseline_put(b, "/x/two", 6, &r);
	record_release(&r);
	assert_int_equal(baseline_count(b), 3);
	assert_true(baseline_contains(b, "/x/one", 6));
	assert_false(baseline_contains(b, "/x/on", 5));
	assert_int_equal(baseline_get(b, "/x/nope", 7, &got), -ENOENT);
	record_release(&got);

	/* Seen marks: put marks, clear clears, mark_seen sets one. */
	assert_int_equal(iter_count(b, &seen), 3);
	assert_int_equal(seen, 3);
	baseline_clear_seen(b);
	assert_int_equal(iter_count(b, &seen), 3);
	assert_int_equal(seen, 0);
	assert_true(baseline_mark_seen(b, "/x/two", 6));
	assert_false(baseline_mark_seen(b, "/x/three", 8));
	assert_int_equal(iter_count(b, &seen), 3);
	assert_int_equal(seen, 1);

	/* Inodes: two names of one inode, then one moves away. */
	assert_int_equal(baseline_find_inode(b, 0x801, 100001, paths, lens,
	    4), 2);
	assert_true((strcmp(paths[0], "/x/one") == 0 &&
	    strcmp(paths[1], "/x/hardlink") == 0) ||
	    (strcmp(paths[1], "/x/one") == 0 &&
	    strcmp(paths[0], "/x/hardlink") == 0));
	assert_int_equal(baseline_find_inode(b, 0x802, 100001, paths, lens,
	    4), 0);
	assert_int_equal(baseline_find_inode(b, 0x801, 100001, paths, lens,
	    1), 2);
	plain_record(&r, 7);
	baseline_put(b, "/x/hardlink", 11, &r);		/* replaced */
	record_release(&r);
	assert_int_equal(baseline_find_inode(b, 0x801, 100001, paths, lens,
	    4), 1);
	assert_string_equal(paths[0], "/x/one");
	assert_int_equal(lens[0], 6);
	assert_int_equal(baseline_find_inode(b, 0x801, 100007, paths, lens,
	    4), 1);
	assert_string_equal(paths[0], "/x/hardlink");
	assert_int_equal(baseline_remove(b, "/x/one", 6), 0);
	assert_int_equal(baseline_remove(b, "/x/one", 6), -ENOENT);
	assert_int_equal(baseline_find_inode(b, 0x801, 100001, paths, lens,
	    4), 0);
	assert_int_equal(baseline_count(b), 2);
	assert_int_equal(iter_count(b, NULL), 2);

	/* Churn: enough puts and removes to compact, then check all. */
	for (i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "/churn/%zu", i % 3000);
		plain_record(&r, i);
		baseline_put(b, p, strlen(p), &r);
		record_release(&r);
		if (i % 3 == 0) {
			snprintf(p, sizeof(p), "/churn/%zu", (i * 7) % 3000);
			(void)baseline_remove(b, p, strlen(p));
		}
	}
	assert_int_equal(iter_count(b, NULL), baseline_count(b));
	for (i = 0; i < 3000; i++) {
		snprintf(p, sizeof(p), "/churn/%zu", i);
		if (baseline_get(b, p, strlen(p), &got) < 0)
			continue;
		/* The newest put for this name wins. */
		assert_int_equal(got.inode % 3000, (100000 + i) % 3000);
		assert_int_equal(baseline_find_inode(b, 0x801, got.inode,
		    paths, lens, 4), 1);
		assert_string_equal(paths[0], p);
		record_release(&got);
	}
	assert_true(baseline_memory(b) < 3000 * 300 + 256 * 1024);
	baseline_free(b);
}

/* A put with a path borrowed from the same baseline. */
/*
 * baseline_has_below: built on first use from what is there, then kept
 * by puts (new or replacing), removals and compaction.
 */
static void
test_has_below(void **state)
{
	struct baseline *b = baseline_new();
	struct record r;
	char p[64];
	int i;

	(void)state;
	plain_record(&r, 1);
	baseline_put(b, "/a/b/c", 6, &r);
	baseline_put(b, "/a/d", 4, &r);
	assert_true(baseline_has_below(b, "/", 1));
	assert_true(baseline_has_below(b, "/a", 2));
	assert_true(baseline_has_below(b, "/a/", 3));
	assert_true(baseline_has_below(b, "/a/b", 4));
	assert_false(baseline_has_below(b, "/a/b/c", 6));
	assert_false(baseline_has_below(b, "/a/bb", 5));
	assert_false(baseline_has_below(b, "/x", 2));
	/* A replaced entry is counted once. */
	baseline_put(b, "/a/b/c", 6, &r);
	assert_int_equal(baseline_remove(b, "/a/b/c", 6), 0);
	assert_false(baseline_has_below(b, "/a/b", 4));
	assert_true(baseline_has_below(b, "/a", 2));
	assert_int_equal(baseline_remove(b, "/a/d", 4), 0);
	assert_false(baseline_has_below(b, "/a", 2));
	assert_false(baseline_has_below(b, "/", 1));
	/* Enough churn to compact the arena: the counts stay. */
	for (i = 0; i < 20000; i++) {
		snprintf(p, sizeof(p), "/m/d%d/f", i % 50);
		baseline_put(b, p, strlen(p), &r);
	}
	for (i = 0; i < 49; i++) {
		snprintf(p, sizeof(p), "/m/d%d/f", i);
		assert_int_equal(baseline_remove(b, p, strlen(p)), 0);
	}
	assert_false(baseline_has_below(b, "/m/d0", 5));
	assert_true(baseline_has_below(b, "/m/d49", 6));
	assert_true(baseline_has_below(b, "/m", 2));
	record_release(&r);
	baseline_free(b);
}

static void
test_put_borrowed(void **state)
{
	struct baseline *b = baseline_new();
	struct baseline_iter it;
	struct record r, got;
	const char *p;
	char name[32];
	size_t len, i;
	bool seen;

	(void)state;
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "/borrowed/%zu", i);
		plain_record(&r, i);
		baseline_put(b, name, strlen(name), &r);
		record_release(&r);
	}
	baseline_iter_init(&it, b);
	assert_true(baseline_iter_next(&it, &p, &len, &seen));
	snprintf(name, sizeof(name), "%s", p);
	plain_record(&r, 5000);
	baseline_put(b, p, len, &r);	/* may grow and move the arena */
	record_release(&r);
	assert_int_equal(baseline_get(b, name, strlen(name), &got), 0);
	assert_int_equal(got.inode, 105000);
	record_release(&got);
	baseline_free(b);
}

/* ---- scale ---- */

static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void
scale_path(char *p, size_t size, size_t i)
{
	static const char *const dirs[] = {
		"/usr/lib/x86_64-linux-gnu", "/usr/share/doc",
		"/usr/share/locale/de/LC_MESSAGES", "/usr/bin", "/etc",
		"/usr/lib/python3/dist-packages/setuptools/_vendor",
	};

	snprintf(p, size, "%s/pkg%zu/file-%zu.so", dirs[i % 6], i / 40, i);
}

static void
test_scale(void **state)
{
	const size_t n = 100000, nsave = 60000;
	char *dir = tlib_mkdtemp("baseline"), *file, p[256];
	struct baseline *b, *l = NULL;
	struct record r;
	struct diag d;
	long rss0, rss1;
	size_t i, pathbytes = 0;
	double t0, t_save, t_load;

	(void)state;
	file = tlib_fmt("%s/b.json", dir);
	rss0 = rss_kb();
	b = baseline_new();
	for (i = 0; i < n; i++) {
		scale_path(p, sizeof(p), i);
		pathbytes += strlen(p);
		plain_record(&r, i);
		baseline_put(b, p, strlen(p), &r);
		record_release(&r);
	}
	rss1 = rss_kb();
	printf("baseline: %zu entries, average path %zu bytes, "
	    "baseline_memory %.1f bytes/entry, RSS growth %.1f bytes/entry\n",
	    n, pathbytes / n, (double)baseline_memory(b) / (double)n,
	    (double)(rss1 - rss0) * 1024.0 / (double)n);
	assert_true(baseline_memory(b) / n < 300);
	assert_int_equal(baseline_count(b), n);
	baseline_free(b);

	b = baseline_new();
	for (i = 0; i < nsave; i++) {
		scale_path(p, sizeof(p), i);
		plain_record(&r, i);
		baseline_put(b, p, strlen(p), &r);
		record_release(&r);
	}
	diag_init(&d);
	t0 = now_ms();
	assert_int_equal(baseline_save(b, file, &d), 0);
	t_save = now_ms() - t0;
	t0 = now_ms();
	assert_int_equal(baseline_load(file, &l, &d), 0);
	t_load = now_ms() - t0;
	printf("baseline: %zu entries: save %.1f ms, load %.1f ms, "
	    "loaded baseline_memory %.1f bytes/entry\n", nsave, t_save, t_load,
	    (double)baseline_memory(l) / (double)nsave);
	assert_int_equal(baseline_count(l), nsave);
	scale_path(p, sizeof(p), nsave / 2);
	assert_true(baseline_contains(l, p, strlen(p)));
	diag_release(&d);
	baseline_free(l);
	baseline_free(b);
	tlib_rmrf(dir);
	free(dir);
	free(file);
}


/*
 * Numbers in an entry: integers only, and every refusal has a reason
 * (an overflowing exponent once gave "(null)"; "4.0" came back as 4).
 */
static void
test_entry_numbers(void **state)
{
	static const char *const bad[] = {
		"{\"uid\":1e400}", "{\"uid\":4.0}", "{\"uid\":-1.5e3}",
		"{\"uid\":99999999999999999999999}", "{\"uid\":01}",
	};
	const char *msg;
	json_t *o;
	size_t i, col;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg = NULL;
		o = NULL;
		assert_int_equal(bjson_parse(bad[i], strlen(bad[i]), &o, &col,
		    &msg), -EINVAL);
		assert_null(o);
		assert_non_null(msg);
		assert_true(col > 0);
	}
	assert_int_equal(bjson_parse("{\"uid\":4}", 9, &o, &col, &msg), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "uid")), 4);
	json_decref(o);
}

/*
 * A loaded baseline is looked up through its cursor first and its path
 * index is built late: lookups in order, in reverse, of absent paths,
 * after removals and puts all answer as the index would.
 */
static void
test_loaded_lookups(void **state)
{
	char *dir = tlib_mkdtemp("baseline"), *file, path[64];
	struct baseline *b, *l = NULL;
	struct record r, got;
	struct diag d;
	size_t i, n = 3000;

	(void)state;
	file = tlib_fmt("%s/baseline.json", dir);
	b = baseline_new();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/t/d%zu/f%zu", i / 100, i);
		plain_record(&r, i);
		baseline_put(b, path, strlen(path), &r);
		record_release(&r);
	}
	diag_init(&d);
	assert_int_equal(baseline_save(b, file, &d), 0);
	assert_int_equal(baseline_load(file, &l, &d), 0);
	diag_release(&d);
	/* Each twice, as --check asks, in creation order, then reverse. */
	for (i = 0; i < 2 * n; i++) {
		snprintf(path, sizeof(path), "/t/d%zu/f%zu", i / 2 / 100,
		    i / 2);
		if (baseline_get(l, path, strlen(path), &got) != 0)
			fail_msg("%s not found in order", path);
		record_release(&got);
	}
	for (i = n; i-- > 0;) {
		snprintf(path, sizeof(path), "/t/d%zu/f%zu", i / 100, i);
		assert_true(baseline_contains(l, path, strlen(path)));
		assert_true(baseline_mark_seen(l, path, strlen(path)));
	}
	assert_int_equal(baseline_get(l, "/t/d0/f", 7, &got), -ENOENT);
	assert_false(baseline_contains(l, "/t/d0/f10x", 10));
	/* Removed entries are gone for the cursor as for the index. */
	assert_int_equal(baseline_get(l, "/t/d0/f10", 9, &got), 0);
	record_release(&got);
	assert_int_equal(baseline_remove(l, "/t/d0/f10", 9), 0);
	assert_int_equal(baseline_get(l, "/t/d0/f10", 9, &got), -ENOENT);
	assert_true(baseline_contains(l, "/t/d0/f11", 9));
	plain_record(&r, 7);
	baseline_put(l, "/t/d0/f10", 9, &r);
	record_release(&r);
	assert_int_equal(baseline_get(l, "/t/d0/f10", 9, &got), 0);
	assert_int_equal(got.size, 7 * 4099);
	record_release(&got);
	assert_int_equal(baseline_count(l), n);
	baseline_free(l);
	baseline_free(b);
	tlib_rmrf(dir);
	free(file);
	free(dir);
}

/*
 * A baseline as fimd 0.1.0 wrote it (tests/data, checked in) still loads,
 * digest and all, with what it recorded: later releases must keep
 * reading the files users have.
 */
static void
test_release_file_loads(void **state)
{
	static const char dir[] = "/tmp/fx.yj9f/srv/site";
	const char *src = getenv("FIMD_SRCDIR");
	struct baseline *l = NULL;
	struct record got;
	struct diag d;
	char *file, *p;
	unsigned char want[32];

	(void)state;
	file = tlib_fmt("%s/tests/data/baseline-0.1.0.json",
	    src != NULL ? src : ".");
	diag_init(&d);
	if (baseline_load(file, &l, &d) != 0)
		fail_msg("%s does not load: %s", file, d.n > 0 ?
		    d.v[0].message : "?");
	diag_release(&d);
	assert_int_equal(baseline_count(l), 6);
	assert_string_equal(baseline_rules_digest(l), "sha256:f6b960497a82439e"
	    "053d5f82674dcc120c2ef163059b6e7ad25ed152c92e6852");
	p = tlib_fmt("%s/sub/a", dir);
	assert_int_equal(baseline_get(l, p, strlen(p), &got), 0);
	assert_int_equal(got.mode, S_IFREG | 0600);
	assert_int_equal(got.size, 1);
	assert_true(got.algos & HASH_BIT(HASH_SHA512));
	assert_int_equal(hex_decode("2d711642b726b04401627ca9fbac32f5"
	    "c8530fb1903cc4db02258717921a4881", 64, want, 32), 0);
	assert_memory_equal(got.md[HASH_SHA256], want, 32);
	record_release(&got);
	free(p);
	p = tlib_fmt("%s/link", dir);
	assert_int_equal(baseline_get(l, p, strlen(p), &got), 0);
	assert_true(S_ISLNK(got.mode));
	assert_string_equal(got.link_target, "index.html");
	record_release(&got);
	free(p);
	baseline_free(l);
	free(file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_round_trip),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_hand_written),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_keyed_digest),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_has_below),
		cmocka_unit_test(test_put_borrowed),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_entry_numbers),
		cmocka_unit_test(test_loaded_lookups),
		cmocka_unit_test(test_release_file_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
