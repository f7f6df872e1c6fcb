/*
 * attr: the table round-trips, and the manual agrees with it.
 *
 *  - For every attribute of the table, a record that captured it with a
 *    value unlike the default comes back equal, by every row's own
 *    comparison and field by field, through the baseline's JSON form,
 *    through the packed form in memory and through a baseline file
 *    saved and loaded again;
 *  - a record that did not capture the optional attributes comes back
 *    without them;
 *  - the direct line reader decodes the lines baseline_save writes to the
 *    record the JSON reader gives, and hands back (1) every line outside
 *    that shape, right or wrong, for the JSON reader to judge;
 *  - fimd.rules(5) lists exactly the table's attributes, in table order,
 *    and the groups it spells out are the table's groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlib.h"
#include "trecord.h"

#include "attr.h"
#include "baseline.h"
#include "record.h"
#include "xmalloc.h"

/* A symlink-or-file record with attribute a captured, unlike defaults. */
static void
record_with(struct record *r, enum attr_id a)
{
	record_init(r);
	r->known = RECORD_STAT_BITS | ATTR_BIT(a);
	r->mode = (a == ATTR_LINK_TARGET ? S_IFLNK : S_IFREG) | 04751;
	r->uid = 70000;
	r->gid = 4294967295u;
	r->nlink = 3;
	r->size = 1ull << 40;
	r->inode = 987654321987ull;
	r->dev = 0x10302;
	r->mtime = (struct fimd_time){ 1700000000, 123456789 };
	r->ctime = (struct fimd_time){ -5, 999999999 };
	r->btime = (struct fimd_time){ 1600000000, 1 };
	switch (a) {
	case ATTR_ATIME:
		r->atime = (struct fimd_time){ 1800000000, 42 };
		break;
	case ATTR_HASH:
		r->algos = HASH_BIT(HASH_SHA256) | HASH_BIT(HASH_SHA512);
		memset(r->md[HASH_SHA256], 0xa5, HASH_MAX_SIZE);
		memset(r->md[HASH_SHA512], 0x3c, HASH_MAX_SIZE);
		break;
	case ATTR_LINK_TARGET:
		r->link_target = xstrdup("../target\xff with \n newline");
		break;
	case ATTR_XATTRS:
		r->nxattrs = 2;
		r->xattrs = xcalloc(2, sizeof(*r->xattrs));
		r->xattrs[0].name = xstrdup("security.capability");
		r->xattrs[0].value = xmemdup("\x01\x00\x00\x02", 4);
		r->xattrs[0].len = 4;
		r->xattrs[1].name = xstrdup("user.note");
		r->xattrs[1].value = xmemdup("hi", 2);
		r->xattrs[1].len = 2;
		break;
	case ATTR_FLAGS:
		r->flags = 0x10 | 0x20;		/* immutable, append-only */
		break;
	default:
		break;
	}
}

/* Equal by every row of the table, and field by field. */
static void
assert_same(enum attr_id a, const struct record *in,
    const struct record *out, const char *how)
{
	int b;

	if (out->known != in->known)
		fail_msg("%s: %s: known %#x, want %#x", attr_name(a), how,
		    (unsigned)out->known, (unsigned)in->known);
	for (b = 0; b < ATTR_COUNT; b++) {
		if ((in->known & ATTR_BIT(b)) && !attr_equal(b, in, out))
			fail_msg("%s: %s: %s differs", attr_name(a), how,
			    attr_name(b));
	}
	assert_int_equal(out->dev, in->dev);
	trecord_assert_equal(in, out);
}

static void
test_round_trip_json(void **state)
{
	struct record in, out;
	const char *msg = NULL;
	json_t *j;
	char *text;
	int a;

	(void)state;
	for (a = 0; a < ATTR_COUNT; a++) {
		record_with(&in, a);
		j = record_to_json(&in);
		/* Through text, as the baseline file carries it. */
		text = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		j = json_loads(text, 0, NULL);
		assert_non_null(j);
		if (record_from_json(j, &out, &msg) != 0)
			fail_msg("%s: %s in %s", attr_name(a), msg, text);
		assert_same(a, &in, &out, "JSON");
		json_decref(j);
		free(text);
		record_release(&in);
		record_release(&out);
	}
}

static void
test_round_trip_baseline(void **state)
{
	char *dir = tlib_mkdtemp("attr"), *file, *path;
	struct baseline *b = baseline_new(), *loaded;
	struct record in, out;
	struct diag d;
	int a;

	(void)state;
	for (a = 0; a < ATTR_COUNT; a++) {
		record_with(&in, a);
		path = tlib_fmt("/t/%s", attr_name(a));
		baseline_put(b, path, strlen(path), &in);
		assert_int_equal(baseline_get(b, path, strlen(path), &out), 0);
		assert_same(a, &in, &out, "packed");
		record_release(&out);
		record_release(&in);
		free(path);
	}
	file = tlib_fmt("%s/baseline.json", dir);
	diag_init(&d);
	assert_int_equal(baseline_save(b, file, &d), 0);
	assert_int_equal(baseline_load(file, &loaded, &d), 0);
	diag_release(&d);
	assert_int_equal(baseline_count(loaded), ATTR_COUNT);
	for (a = 0; a < ATTR_COUNT; a++) {
		record_with(&in, a);
		path = tlib_fmt("/t/%s", attr_name(a));
		assert_int_equal(baseline_get(loaded, path, strlen(path),
		    &out), 0);
		assert_same(a, &in, &out, "saved and loaded");
		record_release(&out);
		record_release(&in);
		free(path);
	}
	baseline_free(loaded);
	baseline_free(b);
	tlib_rmrf(dir);
	free(dir);
	free(file);
}

/* Optional attributes not captured stay absent both ways. */
static void
test_only_what_was_captured(void **state)
{
	struct record in, out;
	struct baseline *b = baseline_new();
	json_t *j;

	(void)state;
	record_with(&in, ATTR_TYPE);
	in.btime = (struct fimd_time){ 0, 0 };
	j = record_to_json(&in);
	assert_null(json_object_get(j, "atime"));
	assert_null(json_object_get(j, "btime"));
	assert_null(json_object_get(j, "hash"));
	assert_null(json_object_get(j, "target"));
	assert_null(json_object_get(j, "xattrs"));
	assert_null(json_object_get(j, "flags"));
	assert_int_equal(record_from_json(j, &out, NULL), 0);
	assert_int_equal(out.known, RECORD_STAT_BITS);
	record_release(&out);
	json_decref(j);
	baseline_put(b, "/x", 2, &in);
	assert_int_equal(baseline_get(b, "/x", 2, &out), 0);
	assert_int_equal(out.known, RECORD_STAT_BITS);
	assert_null(out.link_target);
	assert_int_equal(out.nxattrs, 0);
	assert_int_equal(out.algos, 0);
	record_release(&out);
	record_release(&in);
	baseline_free(b);
}

/* Every attribute's line, as saved, read directly and through JSON. */
static void
test_direct_line_reader(void **state)
{
	struct record in, fast, slow;
	const char *path;
	json_t *j;
	char *line;
	size_t plen;
	int a;

	(void)state;
	for (a = 0; a < ATTR_COUNT; a++) {
		record_with(&in, (enum attr_id)a);
		if (a == ATTR_LINK_TARGET) {
			/* Plain bytes; escaped ones are the JSON reader's. */
			free(in.link_target);
			in.link_target = xstrdup("../target");
		}
		j = record_to_json(&in);
		json_object_set_new(j, "path", json_string("/srv/x"));
		line = json_dumps(j, JSON_COMPACT);
		assert_int_equal(record_from_json(j, &slow, NULL), 0);
		if (a == ATTR_XATTRS) {
			/* Left to the JSON reader. */
			assert_int_equal(record_from_line(line, strlen(line),
			    &path, &plen, &fast), 1);
		} else {
			assert_int_equal(record_from_line(line, strlen(line),
			    &path, &plen, &fast), 0);
			assert_int_equal(plen, 6);
			assert_memory_equal(path, "/srv/x", 6);
			assert_same((enum attr_id)a, &slow, &fast, "direct");
			record_release(&fast);
		}
		record_release(&slow);
		free(line);
		json_decref(j);
		record_release(&in);
	}
}

/* Lines outside the direct shape are handed back, whatever they hold. */
static void
test_direct_line_refusals(void **state)
{
	static const char *const lines[] = {
		/* right, but not the shape: whitespace, an escape, UTF-8 */
		"{ \"path\":\"/a\"}",
		"{\"path\":\"/a\\u0062\",\"type\":\"file\"}",
		"{\"path\":\"/\xc3\xa9\",\"type\":\"file\"}",
		/* wrong: missing attributes, a bad mode, a duplicate key,
		 * a negative number, a fraction, trailing bytes, a cut */
		"{\"path\":\"/a\",\"type\":\"file\"}",
		"{\"path\":\"/a\",\"type\":\"file\",\"mode\":\"0999\"}",
		"{\"path\":\"/a\",\"path\":\"/b\"}",
		"{\"path\":\"/a\",\"uid\":-1}",
		"{\"path\":\"/a\",\"uid\":1.5}",
		"{\"path\":\"/a\"}x",
		"{\"path\":\"/a",
		"",
	};
	struct record r;
	const char *path;
	size_t plen, i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(record_from_line(lines[i], strlen(lines[i]),
		    &path, &plen, &r), 1);
}

/* The words after ".It Cm " in one .Bl list of a section. */
static size_t
man_list(const char *text, const char *section, char names[][32],
    size_t max, size_t skip_lists)
{
	const char *p = strstr(text, section), *end, *line;
	size_t n = 0;

	assert_non_null(p);
	while (skip_lists-- > 0) {
		p = strstr(p, "\n.El");
		assert_non_null(p);
		p += 4;
	}
	end = strstr(p, "\n.El");
	assert_non_null(end);
	for (line = p; line != NULL && line < end;
	    line = strchr(line + 1, '\n')) {
		if (strncmp(line, "\n.It Cm ", 8) != 0)
			continue;
		assert_true(n < max);
		sscanf(line + 8, "%31s", names[n++]);
	}
	return n;
}

static void
test_man_page_matches_table(void **state)
{
	const char *src = getenv("FIMD_SRCDIR");
	char *path, *text, *item, *tok, names[64][32], line[256];
	const char *const *groups;
	const char *p;
	attr_mask mask;
	size_t n, i, len;
	int a;

	(void)state;
	path = tlib_fmt("%s/man/fimd.rules.5", src != NULL ? src : ".");
	text = tlib_read(path, &len);
	assert_non_null(text);
	n = man_list(text, "\n.Sh ATTRIBUTES", names, 64, 0);
	if (n != ATTR_COUNT)
		fail_msg("fimd.rules(5) lists %zu attributes, the table %d",
		    n, ATTR_COUNT);
	for (a = 0; a < ATTR_COUNT; a++)
		if (strcmp(names[a], attr_name(a)) != 0)
			fail_msg("fimd.rules(5) attribute %d is %s, the "
			    "table's %s", a, names[a], attr_name(a));
	/* Every group documented; those spelled out, with their bits. */
	n = man_list(text, "\n.Sh ATTRIBUTES", names, 64, 1);
	groups = attr_group_names();
	for (i = 0; groups[i] != NULL; i++)
		;
	assert_int_equal(n, i);
	for (i = 0; i < n; i++) {
		assert_string_equal(names[i], groups[i]);
		item = tlib_fmt("\n.It Cm %s\n", groups[i]);
		p = strstr(strstr(text, "\n.Sh ATTRIBUTES"), item);
		free(item);
		assert_non_null(p);
		p = strchr(p + 1, '\n') + 1;	/* the line after .It */
		snprintf(line, sizeof(line), "%.*s",
		    (int)(strchr(p, '\n') - p), p);
		mask = 0;
		tok = strtok(line, " ");
		if (tok == NULL || attr_parse(tok, &mask) < 0)
			continue;	/* described in words, not listed */
		while ((tok = strtok(NULL, " ")) != NULL)
			if (attr_parse(tok, &mask) < 0)
				fail_msg("fimd.rules(5) group %s: unknown "
				    "attribute %s", groups[i], tok);
		if (mask != attr_group_mask(groups[i]))
			fail_msg("fimd.rules(5) group %s lists %#x, the table "
			    "%#x", groups[i], (unsigned)mask,
			    (unsigned)attr_group_mask(groups[i]));
	}
	free(text);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_json),
		cmocka_unit_test(test_round_trip_baseline),
		cmocka_unit_test(test_only_what_was_captured),
		cmocka_unit_test(test_direct_line_reader),
		cmocka_unit_test(test_direct_line_refusals),
		cmocka_unit_test(test_man_page_matches_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
