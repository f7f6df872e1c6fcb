/*
 * atomicfile: commit, rollback, mode, stale temporaries of dead writers,
 * and a writer killed at random moments while saving a large baseline:
 * the target always loads, old or new, never torn.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "tlib.h"

#include "atomicfile.h"
#include "baseline.h"
#include "hash.h"
#include "record.h"

/* How many names in dir start with prefix. */
static int
count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
test_commit(void **state)
{
	char *dir = tlib_mkdtemp("atomicfile"), *target, *text;
	struct atomicfile af;
	struct stat st;
	mode_t old;
	size_t len;

	(void)state;
	target = tlib_fmt("%s/target", dir);
	tlib_write(target, "old\n", (size_t)-1);
	old = umask(022);
	assert_int_equal(atomicfile_open(&af, target, 0600), 0);
	assert_true(af.fd >= 0);
	assert_non_null(af.tmppath);
	assert_int_equal(count_prefixed(dir, ".target.tmp."), 1);
	/* The target is untouched until commit. */
	text = tlib_read(target, NULL);
	assert_string_equal(text, "old\n");
	free(text);
	assert_int_equal(write(af.fd, "new\n", 4), 4);
	assert_int_equal(atomicfile_commit(&af), 0);
	assert_null(af.tmppath);
	assert_int_equal(af.fd, -1);
	text = tlib_read(target, &len);
	assert_string_equal(text, "new\n");
	free(text);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_prefixed(dir, ".target.tmp."), 0);

	/* The mode asked for wins over the umask either way. */
	umask(077);
	assert_int_equal(atomicfile_open(&af, target, 0644), 0);
	assert_int_equal(atomicfile_commit(&af), 0);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	umask(old);

	/* A bare relative name works in the current directory. */
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(atomicfile_open(&af, "rel", 0600), 0);
	assert_int_equal(atomicfile_commit(&af), 0);
	assert_int_equal(access("rel", F_OK), 0);
	assert_int_equal(chdir("/"), 0);

	/* No directory: an error, nothing left behind. */
	free(target);
	target = tlib_fmt("%s/missing/target", dir);
	assert_int_equal(atomicfile_open(&af, target, 0600), -ENOENT);
	assert_null(af.tmppath);
	atomicfile_rollback(&af);
	tlib_rmrf(dir);
	free(dir);
	free(target);
}

static void
test_rollback(void **state)
{
	char *dir = tlib_mkdtemp("atomicfile"), *target, *text;
	struct atomicfile af;

	(void)state;
	target = tlib_fmt("%s/target", dir);
	tlib_write(target, "old\n", (size_t)-1);
	assert_int_equal(atomicfile_open(&af, target, 0600), 0);
	assert_int_equal(write(af.fd, "half", 4), 4);
	atomicfile_rollback(&af);
	assert_null(af.tmppath);
	assert_int_equal(af.fd, -1);
	atomicfile_rollback(&af);	/* finished: a no-op */
	assert_int_equal(atomicfile_commit(&af), -EBADF);
	text = tlib_read(target, NULL);
	assert_string_equal(text, "old\n");
	free(text);
	assert_int_equal(count_prefixed(dir, ".target.tmp."), 0);

	/* A zeroed, never opened struct: fd 0 must survive. */
	{
		bool open0 = fcntl(0, F_GETFD) >= 0;

		memset(&af, 0, sizeof(af));
		atomicfile_rollback(&af);
		assert_int_equal(fcntl(0, F_GETFD) >= 0, open0);
	}
	tlib_rmrf(dir);
	free(dir);
	free(target);
}

/* A pid that is certainly not running: a reaped child's. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

/* A child that exited and is not reaped: a zombie, killed mid-save. */
static pid_t
zombie_pid(void)
{
	char path[64], *stat;
	pid_t pid = fork();
	int i;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	for (i = 0; i < 500; i++) {
		stat = tlib_read(path, NULL);
		if (stat != NULL && strstr(stat, ") Z ") != NULL) {
			free(stat);
			return pid;
		}
		free(stat);
		tlib_sleep_ms(10);
	}
	fail_msg("child %ld never became a zombie", (long)pid);
	return pid;
}

static void
test_stale(void **state)
{
	char *dir = tlib_mkdtemp("atomicfile"), *target, *p;
	struct atomicfile af;
	pid_t dead = dead_pid(), zombie = zombie_pid();
	struct {
		const char *head;	/* name: head, pid, tail */
		long	 pid;
		const char *tail;
		bool	 removed;
	} names[] = {
		{ ".target.tmp.", dead, ".0123456789abcdef", true },
		{ ".target.tmp.", dead, ".00ff", true },
		{ ".target.tmp.", zombie, ".0123456789abcdef", true },
		{ ".target.tmp.", 1, ".0123456789abcdef", false },
		{ ".other.tmp.", dead, ".0123456789abcdef", false },
		{ ".target.tmp.", dead, ".not-hex", false },
		{ ".target.tmp.", dead, "", false },
		{ "target.tmp.", dead, ".ab", false },
	};
	size_t i;

	(void)state;
	target = tlib_fmt("%s/target", dir);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = tlib_fmt("%s/%s%ld%s", dir, names[i].head,
		    names[i].pid, names[i].tail);
		tlib_write(p, "stale", (size_t)-1);
		free(p);
	}
	assert_int_equal(atomicfile_open(&af, target, 0600), 0);
	atomicfile_rollback(&af);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		p = tlib_fmt("%s/%s%ld%s", dir, names[i].head,
		    names[i].pid, names[i].tail);
		if ((access(p, F_OK) != 0) != names[i].removed)
			fail_msg("%s: %s", p, names[i].removed ?
			    "should be removed" : "should be kept");
		free(p);
	}
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);
	tlib_rmrf(dir);
	free(dir);
	free(target);
}

/* ---- crash test ---- */

#define CRASH_ENTRIES	60000
#define CRASH_ROUNDS	10

static void
fill(struct baseline *b, unsigned gen)
{
	struct record r;
	char p[128];
	size_t i;

	for (i = 0; i < CRASH_ENTRIES; i++) {
		snprintf(p, sizeof(p), "/usr/share/crash/dir%zu/file%zu",
		    i / 50, i);
		record_init(&r);
		r.known = RECORD_STAT_BITS | ATTR_BIT(ATTR_HASH);
		r.mode = S_IFREG | 0644;
		r.size = i + gen;
		r.inode = i + 1;
		r.mtime.sec = gen;
		r.algos = HASH_BIT(HASH_SHA256);
		memset(r.md[HASH_SHA256], (int)gen, 32);
		baseline_put(b, p, strlen(p), &r);
	}
}

/* The child: save generation after generation until killed. */
static void __attribute__((noreturn))
writer(const char *target)
{
	struct baseline *b = baseline_new();
	struct diag d;
	char gen[32];
	unsigned g;

	diag_init(&d);
	for (g = 1;; g++) {
		fill(b, g);
		snprintf(gen, sizeof(gen), "gen%u", g);
		baseline_set_rules_digest(b, gen);
		if (baseline_save(b, target, &d) < 0)
			_exit(1);
	}
}

static void
test_crash(void **state)
{
	char *dir = tlib_mkdtemp("atomicfile"), *target;
	struct baseline *b, *l;
	struct atomicfile af;
	struct diag d;
	struct timespec ts;
	pid_t pid;
	int round, st, tmps;
	unsigned seed = (unsigned)time(NULL), torn = 0, newest = 0, g,
	    left = 0;

	(void)state;
	target = tlib_fmt("%s/baseline.json", dir);
	b = baseline_new();
	fill(b, 0);
	baseline_set_rules_digest(b, "gen0");
	diag_init(&d);
	assert_int_equal(baseline_save(b, target, &d), 0);
	baseline_free(b);
	printf("crash test seed %u\n", seed);
	srand(seed);
	for (round = 0; round < CRASH_ROUNDS; round++) {
		if ((pid = fork()) == 0)
			writer(target);
		assert_true(pid > 0);
		/* Somewhere in the first few saves (each ~150 ms). */
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand() % 700 + 20) * 1000000L;
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		/*
		 * Each writer's open removed its dead predecessor's
		 * temporary: they never pile up.
		 */
		tmps = count_prefixed(dir, ".baseline.json.tmp.");
		assert_true(tmps <= 1);
		left += (unsigned)tmps;
		l = NULL;
		if (baseline_load(target, &l, &d) != 0) {
			diag_print(&d, stdout);
			torn++;
		} else {
			assert_int_equal(baseline_count(l), CRASH_ENTRIES);
			assert_int_equal(strncmp(baseline_rules_digest(l),
			    "gen", 3), 0);
			g = (unsigned)strtoul(baseline_rules_digest(l) + 3,
			    NULL, 10);
			if (g > newest)
				newest = g;
		}
		baseline_free(l);
	}
	assert_int_equal(torn, 0);
	printf("crash test: %u of %d kills left a temporary; newest "
	    "generation loaded: %u\n", left, CRASH_ROUNDS, newest);
	/* The next open removes the last killed writer's temporary. */
	assert_int_equal(atomicfile_open(&af, target, 0600), 0);
	assert_int_equal(count_prefixed(dir, ".baseline.json.tmp."), 1);
	atomicfile_rollback(&af);
	assert_int_equal(count_prefixed(dir, ".baseline.json.tmp."), 0);
	diag_release(&d);
	tlib_rmrf(dir);
	free(dir);
	free(target);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
