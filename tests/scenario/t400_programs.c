/*
 * 4xx: real programs under the daemon, both backends (fanotify needs
 * root).  git, tar, sed -i, cp -a, mv of directories within, into and out
 * of the rules, chmod -R, rm -rf, a dpkg-style X.dpkg-new + rename, an
 * editor's save and logrotate's renames each run as they would on a host.
 * Around every step the test takes its own snapshot of the tree (tsnap.h)
 * and holds the step's alert lines to it:
 *  - every path that changed is named: by an alert on it, as the
 *    previous path of a move, or through the one line of a directory that
 *    moved (or moved out), whose fimd.entries counts what went with it;
 *  - every content change carries its hash, old -> new;
 *  - no alert names a path that existed neither before nor after the
 *    step (a temp file renamed into place);
 *  - with fanotify, every alert names its writer.
 * At the end the baseline the daemon saved gives --check exit 0.
 *
 * Then the rename storm: an unprivileged process renames 100 files a_i ->
 * b_i -> a_i as fast as it can; after each run the daemon's saved view
 * must equal the disk (--check exit 0).
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"
#include "tsnap.h"

#define QUIET_MS	900	/* > debounce (200 ms) + settle, generous */

static const char *rule_all = ",\"attributes\":[\"ALL\"],\"hash\":\"sha256\"";

struct step_stats {
	unsigned steps, alerts, paths, temp_alerts, unnamed;
};

static void
require_backend(const char *backend, const char *what)
{
	if (strcmp(backend, "fanotify") == 0)
		tlib_require_root(what);
}

/* The tree the programs work on, made before the daemon starts. */
static void
make_world(struct tdaemon *d)
{
	assert_int_equal(tlib_sh(
	    "set -e; cd \"$T\"; mkdir -p etc sub/one/two sub/three bin doc "
	    "var/log repo; "
	    "for i in $(seq 35); do printf 'foo %%s\\nkeep\\n' $i > "
	    "etc/f$i.conf; done; "
	    "for i in 1 2 3; do echo one$i > sub/one/f$i; echo two$i > "
	    "sub/one/two/f$i; echo three$i > sub/three/f$i; done; "
	    "ln -s one/f1 sub/link; setfattr -n user.tag -v blue sub/one/f2 "
	    "2>/dev/null || true; "
	    "printf 'program v1\\n' > bin/prog; chmod 755 bin/prog; "
	    "printf 'notes\\n' > doc/notes.txt; printf 'line\\n' > "
	    "var/log/app.log; "
	    "mkdir -p \"$W/outside/pkg/lib\"; for i in 1 2 3; do echo p$i > "
	    "\"$W/outside/pkg/lib/p$i\"; done; echo top > "
	    "\"$W/outside/pkg/top\""), 0);
	/* A repository with two commits far apart. */
	assert_int_equal(tlib_sh(
	    "set -e; cd \"$T/repo\"; g='git -c user.name=t -c "
	    "user.email=t@example.org -c init.defaultBranch=main'; "
	    "$g init -q .; mkdir src docs; "
	    "for i in $(seq 20); do printf 'int f%%s(void);\\n' $i > "
	    "src/f$i.c; done; for i in 1 2 3; do echo doc$i > docs/d$i; "
	    "done; echo readme > README; $g add -A; $g commit -qm v1; "
	    "$g tag v1; for i in $(seq 8); do echo changed >> src/f$i.c; "
	    "done; $g rm -q src/f9.c src/f10.c src/f11.c docs/d3; "
	    "$g mv src/f12.c src/g12.c; mkdir new; for i in $(seq 6); do "
	    "echo new$i > new/n$i; done; chmod 755 src/f13.c; $g add -A; "
	    "$g commit -qm v2; $g tag v2; $g gc -q"), 0);
	(void)d;
}

/* Whether a (non-coverage) alert names path, as itself or as where a
 * move or a replacing rename came from. */
static bool
named(const json_t *alerts, const char *path)
{
	const char *p, *prev;
	size_t i, len;
	json_t *a;

	json_array_foreach(alerts, i, a) {
		p = tlib_json_str(a, "file.path");
		prev = tlib_json_str(a, "fimd.previous.path");
		if ((p != NULL && strcmp(p, path) == 0) ||
		    (prev != NULL && strcmp(prev, path) == 0))
			return true;
		/* Below a directory whose one line covers its entries. */
		if (tlib_json_get(a, "fimd.entries") == NULL)
			continue;
		if (p != NULL && (len = strlen(p)) > 0 &&
		    strncmp(path, p, len) == 0 && path[len] == '/')
			return true;
		if (prev != NULL && (len = strlen(prev)) > 0 &&
		    strncmp(path, prev, len) == 0 && path[len] == '/')
			return true;
	}
	return false;
}

/* Whether some alert on path has hash old (or new) equal to sha. */
static bool
hash_reported(const json_t *alerts, const char *path, const char *key,
    const char *sha)
{
	const char *p, *v;
	json_t *a, *ch, *c;
	size_t i, j;

	json_array_foreach(alerts, i, a) {
		if ((p = tlib_json_str(a, "file.path")) == NULL ||
		    strcmp(p, path) != 0)
			continue;
		ch = tlib_json_get(a, "fimd.changes");
		json_array_foreach(ch, j, c) {
			v = json_string_value(json_object_get(c, key));
			if (strcmp(json_string_value(json_object_get(c,
			    "attribute")), "hash.sha256") == 0 && v != NULL &&
			    strcmp(v, sha) == 0)
				return true;
		}
	}
	return false;
}

static const char *
snap_sha(const json_t *snap, const char *path)
{
	return json_string_value(json_object_get(json_object_get(snap, path),
	    "sha256"));
}

/* A directory's one line: its count matches what lay below it before. */
static void
check_entries(const json_t *alerts, json_t *before, const char *step)
{
	const char *action, *dir;
	json_t *a, *n;
	size_t i, want;

	json_array_foreach(alerts, i, a) {
		if ((n = tlib_json_get(a, "fimd.entries")) == NULL)
			continue;
		action = tlib_json_str(a, "event.action");
		dir = strcmp(action, "moved") == 0 ?
		    tlib_json_str(a, "fimd.previous.path") :
		    tlib_json_str(a, "file.path");
		want = tsnap_count_below(before, dir);
		if ((size_t)json_integer_value(n) != want)
			fail_msg("%s: %s %s says %lld entries, the tree had %zu",
			    step, action, dir, json_integer_value(n), want);
	}
}

/* Run one program under the daemon and hold its alerts to the truth. */
static void
step(struct tdaemon *d, struct step_stats *st, const char *name,
    const char *cmd)
{
	json_t *before, *after, *diff, *alerts = json_array(), *a, *v;
	const char *p, *action;
	size_t first, i;
	bool fan = strcmp(d->backend, "fanotify") == 0;

	tdaemon_settle(d, 300, 5000);
	first = json_array_size(d->alerts_seen);
	before = tsnap_take(d->t);
	if (tlib_sh("%s", cmd) != 0)
		fail_msg("%s: command failed: %s", name, cmd);
	tdaemon_settle(d, QUIET_MS, 30000);
	after = tsnap_take(d->t);
	for (i = first; i < json_array_size(d->alerts_seen); i++)
		json_array_append(alerts, json_array_get(d->alerts_seen, i));
	diff = tsnap_diff(before, after);
	json_array_foreach(diff, i, v) {
		p = json_string_value(v);
		if (!named(alerts, p))
			fail_msg("%s: %s changed and no alert names it; alerts:"
			    "\n%s", name, p, json_dumps(alerts, JSON_INDENT(1)));
		if (tsnap_content_changed(before, after, p) &&
		    (!hash_reported(alerts, p, "old", snap_sha(before, p)) ||
		    !hash_reported(alerts, p, "new", snap_sha(after, p))))
			fail_msg("%s: %s: contents changed but no alert has "
			    "hash.sha256 %s -> %s", name, p,
			    snap_sha(before, p), snap_sha(after, p));
	}
	check_entries(alerts, before, name);
	json_array_foreach(alerts, i, a) {
		action = tlib_json_str(a, "event.action");
		p = tlib_json_str(a, "file.path");
		if (strcmp(action, "gap") == 0 ||
		    strcmp(action, "reconciled") == 0)
			continue;
		if (json_object_get(before, p) == NULL &&
		    json_object_get(after, p) == NULL) {
			st->temp_alerts++;
			fail_msg("%s: alert about %s, which existed neither "
			    "before nor after (a temp file?)", name, p);
		}
		if (fan && tlib_json_str(a, "process.name") == NULL) {
			st->unnamed++;
			fail_msg("%s: %s %s names no writer", name, action, p);
		}
	}
	printf("%s (%s): %zu alerts, %zu changed paths\n", name, d->backend,
	    json_array_size(alerts), json_array_size(diff));
	st->steps++;
	st->alerts += (unsigned)json_array_size(alerts);
	st->paths += (unsigned)json_array_size(diff);
	json_decref(diff);
	json_decref(before);
	json_decref(after);
	json_decref(alerts);
}

/* The daemon answers --query for path (below the tree) as the disk is. */
static void
assert_query_current(struct tdaemon *d, const char *rel)
{
	char *path = tlib_fmt("%s/%s", d->t, rel);
	json_t *snap = tsnap_take(path);
	struct tlib_run r;

	tdaemon_fimd(d, &r, "--query", path, "--json");
	if (r.status != 0 || strstr(r.out, snap_sha(snap, path)) == NULL)
		fail_msg("--query %s (exit %d) does not give sha256 %s:\n%s%s",
		    path, r.status, snap_sha(snap, path), r.out, r.err);
	tlib_run_release(&r);
	json_decref(snap);
	free(path);
}

static void
run_programs(const char *backend)
{
	struct step_stats st = { 0 };
	struct tdaemon d;
	struct tlib_run r;
	double t0;

	require_backend(backend, "the daemon with fanotify");
	if (tlib_sh("command -v git >/dev/null && command -v tar "
	    ">/dev/null") != 0)
		fail_msg("git and tar are needed (make deps installs them)");
	tdaemon_init(&d, "t400", backend, rule_all);
	make_world(&d);
	tdaemon_start(&d, NULL);
	step(&d, &st, "git checkout v1", "git -C \"$T/repo\" checkout -q v1");
	step(&d, &st, "git checkout v2", "git -C \"$T/repo\" checkout -q v2");
	step(&d, &st, "tar out and back", "tar -C \"$T\" -cf \"$W/sub.tar\" "
	    "sub && rm -rf \"$T/sub\" && tar -C \"$T\" -xpf \"$W/sub.tar\"");
	step(&d, &st, "sed -i", "sed -i s/foo/bar/ \"$T\"/etc/*.conf");
	step(&d, &st, "cp -a", "cp -a \"$T/sub\" \"$T/sub2\"");
	step(&d, &st, "mv dir within", "mv \"$T/sub2\" \"$T/sub3\"");
	assert_query_current(&d, "sub3/one/two/f2");
	step(&d, &st, "mv dir into", "mv \"$W/outside/pkg\" \"$T/pkg\"");
	step(&d, &st, "mv dir out", "mv \"$T/sub3\" \"$W/away\"");
	step(&d, &st, "chmod -R", "chmod -R g+w \"$T/sub\"");
	step(&d, &st, "rm -rf", "rm -rf \"$T/pkg\"");
	step(&d, &st, "dpkg-style", "cd \"$T/bin\" && cp -p prog "
	    "prog.dpkg-new && printf 'v2\\n' >> prog.dpkg-new && "
	    "mv -f prog.dpkg-new prog");
	step(&d, &st, "editor save", "cd \"$T/doc\" && mv notes.txt "
	    "notes.txt~ && printf 'new notes\\n' > notes.txt && "
	    "rm notes.txt~");
	step(&d, &st, "logrotate", "cd \"$T/var/log\" && mv app.log "
	    "app.log.1 && : > app.log && echo more >> app.log");
	step(&d, &st, "logrotate again", "cd \"$T/var/log\" && mv app.log.1 "
	    "app.log.2 && mv app.log app.log.1 && : > app.log");
	t0 = tlib_now();
	tdaemon_stop(&d);
	printf("%s: %u steps, %u alerts, %u changed paths, %u temp files "
	    "alerted, %u alerts without a writer; stop and save %.2f s\n",
	    backend, st.steps, st.alerts, st.paths, st.temp_alerts,
	    st.unnamed, tlib_now() - t0);
	tdaemon_fimd(&d, &r, "--check", "--json", NULL);
	if (r.status != 0)
		fail_msg("the daemon's saved baseline differs (exit %d):\n%s%s",
		    r.status, r.out, r.err);
	tlib_run_release(&r);
	tdaemon_free(&d);
}

static void
test_programs_inotify(void **state)
{
	(void)state;
	run_programs("inotify");
}

static void
test_programs_fanotify(void **state)
{
	(void)state;
	run_programs("fanotify");
}

/* As nobody: rename a_i -> b_i -> a_i for secs seconds; rounds done. */
static long
rename_storm(const char *dir, unsigned secs)
{
	char a[4096], b[4096];
	double end;
	long rounds = 0;
	pid_t pid;
	int i, pfd[2], st;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) <
		    0 || setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		end = tlib_now() + secs;
		while (tlib_now() < end) {
			for (i = 0; i < 100; i++) {
				snprintf(a, sizeof(a), "%s/a%d", dir, i);
				snprintf(b, sizeof(b), "%s/b%d", dir, i);
				if (rename(a, b) < 0)
					_exit(3);
			}
			for (i = 0; i < 100; i++) {
				snprintf(a, sizeof(a), "%s/a%d", dir, i);
				snprintf(b, sizeof(b), "%s/b%d", dir, i);
				if (rename(b, a) < 0)
					_exit(3);
			}
			rounds++;
		}
		(void)!write(pfd[1], &rounds, sizeof(rounds));
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &rounds, sizeof(rounds)),
	    (ssize_t)sizeof(rounds));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return rounds;
}

static unsigned
env_unsigned(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? (unsigned)strtoul(v, NULL, 10) :
	    dflt;
}

static void
run_storm(const char *backend)
{
	unsigned runs = env_unsigned("FIMD_STORM_RUNS", 10);
	unsigned secs = env_unsigned("FIMD_STORM_SECONDS", 10);
	unsigned run, gaps, total_gaps = 0;
	struct tdaemon d;
	struct tlib_run r;
	size_t first, i;
	char *dir;
	long rounds;
	double t0, drain;

	require_backend(backend, "the daemon with fanotify");
	tlib_require_root("renaming as another user");
	tdaemon_init(&d, "t410", backend, rule_all);
	dir = tlib_fmt("%s/storm", d.t);
	assert_int_equal(tlib_sh("chmod 755 \"$W\" && mkdir -m 1777 '%s' && "
	    "cd '%s' && for i in $(seq 0 99); do echo c$i > a$i; done && "
	    "chown 65534:65534 a*", dir, dir), 0);
	for (run = 1; run <= runs; run++) {
		tdaemon_start(&d, NULL);
		first = json_array_size(d.alerts_seen);
		rounds = rename_storm(dir, secs);
		t0 = tlib_now();
		tdaemon_settle(&d, QUIET_MS, 60000);
		drain = tlib_now() - t0 - QUIET_MS / 1000.0;
		gaps = (unsigned)tlib_count_alerts(d.alerts_seen, "gap", NULL);
		for (i = 0; i < first; i++)
			if (strcmp(tlib_json_str(json_array_get(d.alerts_seen,
			    i), "event.action"), "gap") == 0)
				gaps--;
		total_gaps += gaps;
		tdaemon_stop(&d);
		tdaemon_fimd(&d, &r, "--check", "--json", NULL);
		printf("storm %s run %u: %ld rounds (%ld renames), %zu alerts, "
		    "%u gap/reconciled pairs, drained in %.2f s, --check "
		    "exit %d\n", backend, run, rounds, rounds * 200,
		    json_array_size(d.alerts_seen) - first, gaps,
		    drain > 0 ? drain : 0, r.status);
		if (r.status != 0)
			fail_msg("run %u: the daemon's view differs from the "
			    "disk:\n%s", run, r.out);
		tlib_run_release(&r);
	}
	printf("storm %s: %u runs of %u s, %u gap/reconciled pairs\n",
	    backend, runs, secs, total_gaps);
	free(dir);
	tdaemon_free(&d);
}

static void
test_storm_inotify(void **state)
{
	(void)state;
	run_storm("inotify");
}

static void
test_storm_fanotify(void **state)
{
	(void)state;
	run_storm("fanotify");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_programs_inotify),
		cmocka_unit_test(test_programs_fanotify),
		cmocka_unit_test(test_storm_inotify),
		cmocka_unit_test(test_storm_fanotify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
