/*
 * scan: what scan_path and scan_walk return and deliver when part of a
 * tree cannot be read, or is not there.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"

#include "rules.h"
#include "scan.h"

#define NOBODY	65534

struct got {
	size_t	 items;
	size_t	 errors;
	bool	 locked_err;	/* the locked dir came as -EACCES "opendir" */
	bool	 file_seen;	/* the file beside it came as an item */
	const char *locked;
	const char *file;
};

static void
on_done(struct scan_item *it, void *arg)
{
	struct got *g = arg;

	g->items++;
	if (it->err != 0)
		g->errors++;
	if (strlen(g->locked) == it->len &&
	    memcmp(it->path, g->locked, it->len) == 0 && it->err == -EACCES &&
	    strcmp(it->err_op, "opendir") == 0)
		g->locked_err = true;
	if (strlen(g->file) == it->len &&
	    memcmp(it->path, g->file, it->len) == 0 && it->err == 0)
		g->file_seen = true;
}

static const struct scan_ops ops = { NULL, on_done };

static struct ruleset *
rules_for(const char *dir)
{
	struct ruleset *rs = NULL;
	struct diag dg;
	char *text;

	text = tlib_fmt("{\"rules\": [{\"name\": \"t\", \"paths\": [\"%s\"]}]}",
	    dir);
	diag_init(&dg);
	if (ruleset_load_buffer("t.json", text, strlen(text), &rs, &dg) < 0)
		fail_msg("rules for %s do not load", dir);
	diag_release(&dg);
	free(text);
	return rs;
}

/*
 * scan_path and then scan_walk over dir; 0 when both returned -EACCES,
 * delivered the locked directory as an error item and went on to the
 * file, else the number of the check that failed (for a child).
 */
static int
scan_checks(const char *dir, const char *locked, const char *file)
{
	struct got g = { 0, 0, false, false, locked, file };
	struct ruleset *rs = rules_for(dir);
	struct scan *s = scan_new(rs, NULL, &ops, &g);
	int r, bad = 0;

	r = scan_path(s, dir, strlen(dir), NULL);
	scan_finish(s);
	if (r != -EACCES)
		bad = 1;	/* the error was dropped */
	else if (!g.locked_err)
		bad = 2;	/* not delivered as an item */
	else if (!g.file_seen)
		bad = 3;	/* the walk stopped at it */
	else if (g.errors != 1)
		bad = 4;
	memset(&g, 0, sizeof(g));
	g.locked = locked;
	g.file = file;
	if (bad == 0 && (r = scan_walk(s, NULL)) != -EACCES)
		bad = 5;
	scan_finish(s);
	if (bad == 0 && (!g.locked_err || !g.file_seen || g.errors != 1))
		bad = 6;	/* reported twice, or not at all */
	scan_free(s);
	ruleset_free(rs);
	return bad;
}

/*
 * A directory of the tree that cannot be opened: its error is delivered
 * as an item and returned, and the walk goes on.  Mode 000 holds for
 * everyone but root, so as root the scan runs in a child that gave up
 * root (setgroups, setresgid, setresuid to nobody) on a tree it may read
 * except the locked directory.
 */
static void
test_unreadable_dir(void **state)
{
	char *dir, *locked, *file;
	int status;
	pid_t pid;

	(void)state;
	dir = tlib_mkdtemp("scan-locked");
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p a locked/in && "
	    "echo x > a/f && chmod -R a+rX . && chmod 000 locked", dir), 0);
	locked = tlib_fmt("%s/locked", dir);
	file = tlib_fmt("%s/a/f", dir);
	if (!tlib_is_root()) {
		assert_int_equal(scan_checks(dir, locked, file), 0);
	} else {
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 ||
			    setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
			    setresuid(NOBODY, NOBODY, NOBODY) < 0)
				_exit(100);
			_exit(scan_checks(dir, locked, file));
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fail_msg("check %d failed", WEXITSTATUS(status));
	}
	assert_int_equal(chmod(locked, 0755), 0);
	free(locked);
	free(file);
	tlib_rmrf(dir);
	free(dir);
}

/* A path that is not there is no error and delivers nothing. */
static void
test_missing_path(void **state)
{
	struct got g = { 0, 0, false, false, "", "" };
	struct ruleset *rs;
	struct scan *s;
	char *dir, *gone;

	(void)state;
	dir = tlib_mkdtemp("scan-missing");
	gone = tlib_fmt("%s/gone/deeper", dir);
	rs = rules_for(dir);
	s = scan_new(rs, NULL, &ops, &g);
	assert_int_equal(scan_path(s, gone, strlen(gone), NULL), 0);
	scan_finish(s);
	assert_int_equal(g.items, 0);
	scan_free(s);
	ruleset_free(rs);
	free(gone);
	tlib_rmrf(dir);
	free(dir);
}

static void
count_done(struct scan_item *it, void *arg)
{
	size_t *n = arg;

	(void)it;
	(*n)++;
}

static const struct scan_ops count_ops = { NULL, count_done };

/*
 * A walk in slices delivers what one scan_walk() does, while single
 * paths are scanned between its slices; it can be cut short and begun
 * again, and limited to a scope.
 */
static void
test_sliced_walk(void **state)
{
	size_t whole = 0, sliced = 0, between = 0, runs = 0;
	struct scan_batch bw = { 0, &count_ops, &whole };
	struct scan_batch bs = { 0, &count_ops, &sliced };
	struct scan_batch bb = { 0, &count_ops, &between };
	struct got g = { 0, 0, false, false, "", "" };
	struct ruleset *rs;
	struct scan *s;
	char *dir, *one, *sub;
	int r;

	(void)state;
	dir = tlib_mkdtemp("scan-sliced");
	assert_int_equal(tlib_sh("cd '%s' && for d in a b c; do mkdir $d; "
	    "for f in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19; do "
	    "echo $d$f > $d/f$f; done; done", dir), 0);
	one = tlib_fmt("%s/b/f3", dir);
	sub = tlib_fmt("%s/c", dir);
	rs = rules_for(dir);
	s = scan_new(rs, NULL, &ops, &g);
	assert_int_equal(scan_walk(s, &bw), 0);
	scan_finish(s);
	assert_int_equal(whole, 1 + 3 + 60);
	assert_false(scan_walk_active(s));
	assert_int_equal(scan_walk_run(s, 7), 0);	/* none begun */
	assert_int_equal(scan_walk_begin(s, NULL, 0, &bs), 0);
	assert_true(scan_walk_active(s));
	assert_int_equal(scan_walk_begin(s, NULL, 0, &bs), -EBUSY);
	while ((r = scan_walk_run(s, 7)) == 1) {
		runs++;
		assert_int_equal(scan_path(s, one, strlen(one), &bb), 0);
	}
	assert_int_equal(r, 0);
	scan_finish(s);
	assert_int_equal(sliced, whole);
	assert_int_equal(between, runs);
	assert_true(runs >= 63 / 7);
	/* Cut short, then a scope alone: c and its 20 files. */
	sliced = 0;
	assert_int_equal(scan_walk_begin(s, NULL, 0, &bs), 0);
	assert_int_equal(scan_walk_run(s, 5), 1);
	scan_walk_abort(s);
	assert_false(scan_walk_active(s));
	scan_finish(s);
	assert_true(sliced > 0 && sliced < whole);
	sliced = 0;
	assert_int_equal(scan_walk_begin(s, sub, strlen(sub), &bs), 0);
	while (scan_walk_run(s, 3) == 1)
		;
	scan_finish(s);
	assert_int_equal(sliced, 21);
	assert_int_equal(g.items, 0);	/* every item went to its batch */
	scan_free(s);
	ruleset_free(rs);
	free(one);
	free(sub);
	tlib_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unreadable_dir),
		cmocka_unit_test(test_missing_path),
		cmocka_unit_test(test_sliced_walk),
	};

	return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}
