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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unreadable_dir),
		cmocka_unit_test(test_missing_path),
	};

	return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}
