/*
 * compare and judge: one table names every action judge_change() can
 * give, and real trees checked by compare (what --check and rescans run)
 * must name each change exactly as judge_change() names it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlib.h"

#include "compare.h"
#include "judge.h"
#include "record.h"
#include "rules.h"
#include "scan.h"
#include "xmalloc.h"

#define B(a)		ATTR_BIT(ATTR_##a)
#define STD		ATTR_GROUP_STANDARD
#define NONE		ACTION_COUNT	/* nothing to report */

/* A regular file with the standard attributes and a SHA-256. */
static void
base_file(struct record *r)
{
	record_init(r);
	r->known = ATTR_ALL_BITS & ~(B(XATTRS) | B(FLAGS) | B(LINK_TARGET));
	r->mode = S_IFREG | 0644;
	r->uid = 1000;
	r->gid = 100;
	r->nlink = 1;
	r->size = 4096;
	r->inode = 1234;
	r->dev = 0x801;
	r->mtime = (struct fimd_time){ 1700000000, 5 };
	r->ctime = (struct fimd_time){ 1700000001, 6 };
	r->btime = (struct fimd_time){ 1600000000, 8 };
	r->algos = HASH_BIT(HASH_SHA256);
	memset(r->md[HASH_SHA256], 0x11, HASH_MAX_SIZE);
}

typedef void mutate_fn(struct record *n);

static void m_none(struct record *n) { (void)n; }
static void m_mode(struct record *n) { n->mode = S_IFREG | 04755; }
static void m_uid(struct record *n) { n->uid = 0; }
static void m_mtime(struct record *n) { n->mtime.nsec++; }
static void m_ctime(struct record *n) { n->ctime.sec++; }
static void m_hash(struct record *n) { n->md[HASH_SHA256][0] ^= 1; }
static void m_size_hash(struct record *n) { n->size = 1; m_hash(n); }
static void m_to_dir(struct record *n) { n->mode = S_IFDIR | 0755; }
static void m_mode_ctime(struct record *n) { m_mode(n); m_ctime(n); }

struct judge_case {
	const char *name;
	bool	 no_old;	/* the baseline has no record */
	bool	 no_new;	/* the entry is gone */
	bool	 moved;
	bool	 no_rule;	/* judged with the standard attributes */
	attr_mask attrs;
	mutate_fn *mutate;
	enum alert_action want;	/* NONE: nothing reported */
	attr_mask want_changed;
};

static const struct judge_case judge_cases[] = {
	{ "created", true, false, false, false, STD, m_none,
	    ACTION_CREATED, 0 },
	{ "deleted", false, true, false, false, STD, m_none,
	    ACTION_DELETED, 0 },
	{ "neither side", true, true, false, false, STD, m_none, NONE, 0 },
	{ "unchanged", false, false, false, false, STD, m_none, NONE, 0 },
	{ "contents", false, false, false, false, STD, m_hash,
	    ACTION_UPDATED, B(HASH) },
	{ "size and contents", false, false, false, false, STD, m_size_hash,
	    ACTION_UPDATED, B(SIZE) | B(HASH) },
	{ "type", false, false, false, false, STD, m_to_dir,
	    ACTION_UPDATED, B(TYPE) | B(MODE) },
	{ "mode", false, false, false, false, STD, m_mode,
	    ACTION_ATTRIBUTES_MODIFIED, B(MODE) },
	{ "owner", false, false, false, false, STD, m_uid,
	    ACTION_ATTRIBUTES_MODIFIED, B(UID) },
	{ "mtime", false, false, false, false, STD, m_mtime,
	    ACTION_ATTRIBUTES_MODIFIED, B(MTIME) },
	{ "ctime, not asked", false, false, false, false, STD, m_ctime,
	    NONE, 0 },
	{ "ctime, asked", false, false, false, false, STD | B(CTIME),
	    m_ctime, ACTION_ATTRIBUTES_MODIFIED, B(CTIME) },
	{ "mode, not asked", false, false, false, false,
	    ATTR_GROUP_CONTENTS, m_mode, NONE, 0 },
	{ "contents, not asked", false, false, false, false,
	    ATTR_GROUP_PERMISSIONS, m_hash, NONE, 0 },
	{ "no rule: standard", false, false, false, true, 0, m_mode,
	    ACTION_ATTRIBUTES_MODIFIED, B(MODE) },
	{ "moved as it was", false, false, true, false, STD | B(CTIME),
	    m_ctime, ACTION_MOVED, 0 },
	{ "moved and chmod", false, false, true, false, STD | B(CTIME),
	    m_mode_ctime, ACTION_MOVED, B(MODE) },
	{ "moved and rewritten", false, false, true, false, STD, m_hash,
	    ACTION_MOVED, B(HASH) },
	{ "moved, no rule", false, false, true, true, 0, m_uid,
	    ACTION_MOVED, B(UID) },
};

static struct rule *
rule_with(attr_mask attrs)
{
	struct rule *r = xcalloc(1, sizeof(*r));

	r->name = xstrdup("t");
	r->attrs = attrs;
	r->algos = HASH_BIT(HASH_SHA256);
	r->realtime = true;
	return r;
}

static void
rule_free(struct rule *r)
{
	free(r->name);
	free(r);
}

static void
test_judge_table(void **state)
{
	const struct judge_case *c;
	struct record old, new;
	enum alert_action action;
	struct diff df;
	struct rule *rule;
	size_t i;
	bool got;

	(void)state;
	for (i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
		c = &judge_cases[i];
		base_file(&old);
		base_file(&new);
		c->mutate(&new);
		rule = rule_with(c->attrs);
		action = NONE;
		got = judge_change(c->no_old ? NULL : &old,
		    c->no_new ? NULL : &new, c->no_rule ? NULL : rule,
		    c->moved, &action, &df);
		if (got != (c->want != NONE) || (got && action != c->want) ||
		    (got && df.changed != c->want_changed))
			fail_msg("%s: got %d %s changed %#x, want %s %#x",
			    c->name, got, got ? alert_action_name(action) :
			    "-", (unsigned)df.changed, c->want == NONE ?
			    "nothing" : alert_action_name(c->want),
			    (unsigned)c->want_changed);
		rule_free(rule);
		record_release(&old);
		record_release(&new);
	}
}

/* ---- compare over real trees ---- */

struct seen_change {
	char	*path;
	enum alert_action action;
	attr_mask changed;
	bool	 has_old_path;
};

struct collector {
	struct seen_change v[32];
	size_t	 n;
};

static void
collect(const struct change *c, void *arg)
{
	struct collector *col = arg;
	struct seen_change *s;
	enum alert_action again;
	struct diff df;

	assert_true(col->n < 32);
	s = &col->v[col->n++];
	s->path = xstrndup(c->path, c->len);
	s->action = c->action;
	s->changed = c->diff != NULL ? c->diff->changed : 0;
	s->has_old_path = c->old_path != NULL;
	/* The verdict compare delivered is the judge's verdict. */
	assert_true(judge_change(c->old, c->new, c->rule, c->old_path != NULL,
	    &again, &df));
	assert_int_equal(again, c->action);
	assert_int_equal(df.changed, s->changed);
}

static void
no_unreadable(const struct scan_item *it, void *arg)
{
	(void)arg;
	fail_msg("unreadable %s: %s", it->path, it->err_op);
}

static void
run_compare(const struct ruleset *rs, struct baseline *b, bool update,
    struct collector *col)
{
	static const struct compare_ops ops = {
		.change = collect,
		.unreadable = no_unreadable,
	};
	struct compare *cmp = compare_new(b, rs, update, &ops, col);
	struct scan *s = scan_new(rs, NULL, &compare_scan_ops, cmp);

	compare_begin(cmp, NULL, 0);
	assert_int_equal(scan_walk(s, NULL), 0);
	scan_finish(s);
	compare_finish(cmp, NULL);
	scan_free(s);
	compare_free(cmp);
}

static const struct seen_change *
find_change(const struct collector *col, const char *dir, const char *name)
{
	char *path = tlib_fmt("%s/%s", dir, name);
	size_t i;

	for (i = 0; i < col->n; i++) {
		if (strcmp(col->v[i].path, path) == 0) {
			free(path);
			return &col->v[i];
		}
	}
	fail_msg("no change for %s", path);
	return NULL;
}

static void
collector_release(struct collector *col)
{
	size_t i;

	for (i = 0; i < col->n; i++)
		free(col->v[i].path);
	col->n = 0;
}

static void
test_compare_names_like_judge(void **state)
{
	char *dir = tlib_mkdtemp("compare"), *rules, *tdir, *same;
	const struct seen_change *c;
	struct collector col = { .n = 0 };
	struct ruleset *rs;
	struct baseline *b;
	struct diag dg;
	size_t i;

	(void)state;
	assert_int_equal(tlib_sh("cd '%s' && mkdir t && cd t && "
	    "echo a > upd && echo b > attr && echo c > del && "
	    "echo moving > src && echo same > same", dir), 0);
	rules = tlib_fmt("{\"rules\": [{\"name\": \"t\", \"paths\": "
	    "\"%s/t\", \"attributes\": [\"STANDARD\", \"inode\"], "
	    "\"hash\": [\"sha256\"], \"severity\": \"low\"}]}", dir);
	diag_init(&dg);
	assert_int_equal(ruleset_load_buffer("t.json", rules, strlen(rules),
	    &rs, &dg), 0);
	diag_release(&dg);
	b = baseline_new();
	run_compare(rs, b, true, &col);		/* the baseline: all created */
	assert_int_equal(col.n, 6);		/* t and its five files */
	collector_release(&col);

	assert_int_equal(tlib_sh("cd '%s/t' && echo changed > upd && "
	    "chmod 600 attr && rm del && mv src dst && echo new > new && "
	    "touch -d @1 .", dir), 0);
	run_compare(rs, b, false, &col);
	tdir = tlib_fmt("%s/t", dir);
	assert_int_equal(col.n, 5);
	c = find_change(&col, tdir, "upd");
	assert_int_equal(c->action, ACTION_UPDATED);
	assert_true(c->changed & B(HASH));
	c = find_change(&col, tdir, "attr");
	assert_int_equal(c->action, ACTION_ATTRIBUTES_MODIFIED);
	assert_int_equal(c->changed, B(MODE));
	c = find_change(&col, tdir, "del");
	assert_int_equal(c->action, ACTION_DELETED);
	c = find_change(&col, tdir, "dst");
	assert_int_equal(c->action, ACTION_MOVED);
	assert_true(c->has_old_path);
	assert_int_equal(c->changed, 0);
	c = find_change(&col, tdir, "new");
	assert_int_equal(c->action, ACTION_CREATED);
	/* Nothing else: not "same", nor the directory, whose mtime is not
	 * compared. */
	same = tlib_fmt("%s/same", tdir);
	for (i = 0; i < col.n; i++) {
		assert_string_not_equal(col.v[i].path, tdir);
		assert_string_not_equal(col.v[i].path, same);
	}
	free(same);
	collector_release(&col);
	free(tdir);
	baseline_free(b);
	ruleset_free(rs);
	free(rules);
	tlib_rmrf(dir);
	free(dir);
}

/* Compare with tracking on, up to the end of the scan; finish is the
 * caller's. */
static struct compare *
run_tracked(const struct ruleset *rs, struct baseline *b,
    struct collector *col)
{
	static const struct compare_ops ops = {
		.change = collect,
		.unreadable = no_unreadable,
	};
	struct compare *cmp = compare_new(b, rs, true, &ops, col);
	struct scan *s = scan_new(rs, NULL, &compare_scan_ops, cmp);

	compare_track(cmp, true);
	compare_begin(cmp, NULL, 0);
	assert_int_equal(scan_walk(s, NULL), 0);
	scan_finish(s);
	scan_free(s);
	return cmp;
}

/*
 * A change held for a path is delivered at once when flushed, never
 * twice; what is below a directory is flushed with it; a scan finished
 * early judges no deletion.
 */
static void
test_compare_flush(void **state)
{
	char *dir = tlib_mkdtemp("compare-flush"), *rules, *tdir, *p;
	struct collector col = { .n = 0 };
	struct compare *cmp;
	struct ruleset *rs;
	struct baseline *b;
	struct diag dg;

	(void)state;
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p t/sub && cd t && "
	    "echo a > upd && echo c > del && echo d > sub/x", dir), 0);
	rules = tlib_fmt("{\"rules\": [{\"name\": \"t\", \"paths\": "
	    "\"%s/t\", \"hash\": [\"sha256\"]}]}", dir);
	diag_init(&dg);
	assert_int_equal(ruleset_load_buffer("t.json", rules, strlen(rules),
	    &rs, &dg), 0);
	diag_release(&dg);
	b = baseline_new();
	run_compare(rs, b, true, &col);
	collector_release(&col);
	tdir = tlib_fmt("%s/t", dir);

	assert_int_equal(tlib_sh("cd '%s/t' && echo changed > upd && "
	    "rm del && echo new > sub/new && echo e > sub/x", dir), 0);
	cmp = run_tracked(rs, b, &col);
	assert_int_equal(col.n, 0);		/* held until finish */
	p = tlib_fmt("%s/upd", tdir);
	compare_flush(cmp, p, strlen(p));
	assert_int_equal(col.n, 1);
	assert_string_equal(col.v[0].path, p);
	assert_int_equal(col.v[0].action, ACTION_UPDATED);
	compare_flush(cmp, p, strlen(p));	/* nothing held any more */
	free(p);
	p = tlib_fmt("%s/sub", tdir);
	compare_flush_below(cmp, p, strlen(p));
	assert_int_equal(col.n, 3);		/* sub/new and sub/x */
	assert_int_equal(find_change(&col, p, "new")->action, ACTION_CREATED);
	assert_int_equal(find_change(&col, p, "x")->action, ACTION_UPDATED);
	free(p);
	compare_finish(cmp, NULL);
	assert_int_equal(col.n, 4);		/* only del was left */
	assert_int_equal(find_change(&col, tdir, "del")->action,
	    ACTION_DELETED);
	compare_free(cmp);
	collector_release(&col);

	/* Cut short: what was found is delivered, nothing is deleted. */
	assert_int_equal(tlib_sh("cd '%s/t' && rm upd && echo f > sub/x",
	    dir), 0);
	cmp = run_tracked(rs, b, &col);
	compare_finish_found(cmp, NULL);
	assert_int_equal(col.n, 1);
	p = tlib_fmt("%s/sub", tdir);
	assert_int_equal(find_change(&col, p, "x")->action, ACTION_UPDATED);
	free(p);
	p = tlib_fmt("%s/upd", tdir);
	assert_true(baseline_contains(b, p, strlen(p)));
	free(p);
	compare_free(cmp);
	collector_release(&col);
	free(tdir);
	baseline_free(b);
	ruleset_free(rs);
	free(rules);
	tlib_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_table),
		cmocka_unit_test(test_compare_names_like_judge),
		cmocka_unit_test(test_compare_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
