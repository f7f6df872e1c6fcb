/*
 * 355: a full disk that takes part of an alert line, end to end.
 *
 * The alert file lives on a small tmpfs, filled up once the daemon has
 * started.  tmpfs hands out whole pages, so the bytes left free in the
 * alert file's last page still take lines, until one does not fit: that
 * one is written in part, then refused with ENOSPC (a torn write).  The
 * changes made meanwhile wait in the daemon's memory; once space returns
 * they are written.
 *
 *  - the daemon takes the torn part back: while the disk is still full
 *    the file ends at a whole line, and once it is written every line
 *    parses, seq has no hole and --verify exits 0 without a warning;
 *  - when the file is append-only (chattr +a: ftruncate is refused),
 *    the torn part stays, ended by a newline, and the whole line follows
 *    it: only that line does not parse, it is the start of the next,
 *    and --verify warns of a torn write and exits 0;
 *  - a file size limit (RLIMIT_FSIZE) cuts a line at the byte: the
 *    daemon is not killed (SIGXFSZ), and the cut is taken back.
 *
 * All need root (mount, chattr, prlimit).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"

/* At most this many changes until the page of the alert file is full. */
#define MAX_CHANGES	64
/* Changes made after the torn one, while the disk is still full. */
#define MORE_CHANGES	5

struct full {
	struct tdaemon d;
	char	*logdir;
	char	*fill;
	long	 page;
	int	 n;		/* changes made: $T/n1 .. $T/n<n> */
};

static json_int_t
status_num(struct tdaemon *d, const char *key)
{
	struct tlib_run r;
	json_t *o, *v;
	json_int_t n;

	tdaemon_fimd(d, &r, "--status", "--json", NULL);
	assert_int_equal(r.status, 0);
	o = json_loads(r.out, 0, NULL);
	assert_non_null(o);
	v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("--status has no integer %s: %s", key, r.out);
	n = json_integer_value(v);
	json_decref(o);
	tlib_run_release(&r);
	return n;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* The alert file's last byte is a newline. */
static bool
ends_whole(const char *path)
{
	size_t len;
	char *text = tlib_read(path, &len);
	bool whole;

	assert_non_null(text);
	whole = len > 0 && text[len - 1] == '\n';
	free(text);
	return whole;
}

/*
 * One more change, and wait until the daemon gave its alert a seq: the
 * line is then in the file, or waits in memory (--status is answered by
 * the loop that wrote it, so the write and what followed are done).
 */
static void
change(struct full *f)
{
	json_int_t seq = status_num(&f->d, "seq");
	double end;

	f->n++;
	assert_int_equal(tlib_sh("echo %d > \"$T/n%d\"", f->n, f->n), 0);
	for (end = tlib_now() + 10; tlib_now() < end; tlib_sleep_ms(20)) {
		if (status_num(&f->d, "seq") > seq)
			return;
	}
	fail_msg("no alert for $T/n%d within 10 s", f->n);
}

/*
 * A daemon whose alert file is on a 512 KiB tmpfs, started; the started
 * record is written before the disk is filled.
 */
static void
full_start(struct full *f, const char *tag)
{
	memset(f, 0, sizeof(*f));
	f->page = sysconf(_SC_PAGESIZE);
	tdaemon_init(&f->d, tag, "inotify", NULL);
	f->logdir = tlib_fmt("%s/log", f->d.w);
	f->fill = tlib_fmt("%s/fill", f->logdir);
	assert_int_equal(tlib_sh("mkdir -p '%s' && mount -t tmpfs -o "
	    "size=512k,mode=0750 fimd-test '%s'", f->logdir, f->logdir), 0);
	tdaemon_start(&f->d, NULL);
	assert_non_null(tdaemon_wait_record(&f->d, "started", 1, 10000));
}

/* Fill the disk: what is left is the rest of the alert file's page. */
static void
fill(struct full *f)
{
	assert_int_equal(tlib_sh("dd if=/dev/zero of='%s' bs=4k 2>/dev/null;"
	    " true", f->fill), 0);
	assert_int_equal(access(f->fill, F_OK), 0);
}

/*
 * Changes until one is refused.  The rest of the page, when there is
 * any, takes whole lines until one does not fit, and the kernel writes
 * that one in part (the page is there) before it refuses the rest.  So
 * a line was torn when, once it is refused, the file's size is not a
 * multiple of the page (the torn part was taken back) or the file ends
 * without a newline (it was not).  A line that ended exactly at the end
 * of the page leaves no room to tear the next one: then a page is freed
 * and lines fill it.
 */
static void
tear_one(struct full *f)
{
	int i;

	for (i = 0; i < MAX_CHANGES; i++) {
		change(f);
		if (status_num(&f->d, "spooled") == 0)
			continue;
		if (file_size(f->d.alerts) % f->page != 0 ||
		    !ends_whole(f->d.alerts))
			return;
		/* Refused whole: make room for one more page of lines. */
		assert_int_equal(tlib_sh("truncate -s -%ld '%s'", f->page,
		    f->fill), 0);
		tlib_sleep_ms(1500);
		assert_int_equal(status_num(&f->d, "spooled"), 0);
		fill(f);
	}
	fail_msg("%d changes and no line was refused on a full disk",
	    MAX_CHANGES);
}

/*
 * More changes, then room again (release, a shell command, frees it):
 * what waits is written, and the daemon is stopped.
 */
static void
free_space(struct full *f, char *release)
{
	double end;
	int i;

	for (i = 0; i < MORE_CHANGES; i++)
		change(f);
	assert_true(status_num(&f->d, "spooled") >= MORE_CHANGES + 1);
	assert_int_equal(tlib_sh("%s", release), 0);
	free(release);
	for (end = tlib_now() + 10; tlib_now() < end; tlib_sleep_ms(100)) {
		if (status_num(&f->d, "spooled") == 0)
			break;
	}
	assert_int_equal(status_num(&f->d, "spooled"), 0);
	assert_int_equal(status_num(&f->d, "dropped"), 0);
	/*
	 * The lines are checked from the file (check_lines): the reader of
	 * tdaemon, which fails on a line that does not parse, is moved past
	 * them to read only the stopped record.
	 */
	f->d.off = (size_t)file_size(f->d.alerts);
	free(f->d.partial);
	f->d.partial = NULL;
	tdaemon_stop(&f->d);
}

static void
full_free(struct full *f)
{
	(void)tlib_sh("chattr -a '%s' 2>/dev/null", f->d.alerts);
	assert_int_equal(tlib_sh("umount '%s'", f->logdir), 0);
	free(f->logdir);
	free(f->fill);
	tdaemon_free(&f->d);
}

/*
 * Every line of the file as JSON, none missing a newline; torn: lines
 * that are allowed not to parse, each the start of the line after it.
 * Then seq has no hole, and each change has its created alert.
 */
static void
check_lines(struct full *f, size_t want_torn)
{
	size_t len, torn = 0, created = 0;
	char *text = tlib_read(f->d.alerts, &len), *p, *nl, *next;
	json_int_t seq, prev = 0;
	json_t *o;

	assert_non_null(text);
	assert_true(len > 0 && text[len - 1] == '\n');
	for (p = text; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		assert_non_null(nl);
		if ((o = json_loadb(p, (size_t)(nl - p), 0, NULL)) == NULL) {
			next = nl + 1;
			if (torn == want_torn || nl == p ||
			    strncmp(next, p, (size_t)(nl - p)) != 0)
				fail_msg("a line that does not parse: %.*s",
				    (int)(nl - p), p);
			torn++;
			continue;
		}
		seq = json_integer_value(tlib_json_get(o, "fimd.seq"));
		if (prev != 0 && seq != prev + 1)
			fail_msg("seq %lld after %lld", (long long)seq,
			    (long long)prev);
		prev = seq;
		if (strcmp(tlib_json_str(o, "event.action"), "created") == 0)
			created++;
		json_decref(o);
	}
	assert_int_equal(torn, want_torn);
	assert_int_equal(created, f->n);
	free(text);
}

/* fimd --verify of the alert file: exit 0, and what it said. */
static void
verify(struct full *f, struct tlib_run *r)
{
	const char *args[] = { "--verify", "-c", f->d.conf, f->d.alerts,
	    NULL };

	tlib_run_fimd(r, 60, args);
	assert_false(r->timed_out);
	if (r->status != 0)
		fail_msg("--verify exit %d:\n%s%s", r->status, r->out, r->err);
	assert_non_null(strstr(r->out, "chain whole"));
}

/* The same, and it has nothing to warn about. */
static void
verify_clean(struct full *f)
{
	struct tlib_run r;

	verify(f, &r);
	if (strstr(r.err, "warning") != NULL)
		fail_msg("--verify warned:\n%s", r.err);
	tlib_run_release(&r);
}

/* The torn part is truncated away: the file stays JSON Lines. */
static void
test_torn_taken_back(void **state)
{
	struct full f;

	(void)state;
	tlib_require_root("mounting a small tmpfs");
	full_start(&f, "t355a");
	fill(&f);
	tear_one(&f);
	/* Still full: the file ends at its last whole line. */
	assert_true(ends_whole(f.d.alerts));
	assert_true(status_num(&f.d, "sink_errors") > 0);
	free_space(&f, tlib_fmt("rm '%s'", f.fill));
	check_lines(&f, 0);
	verify_clean(&f);
	full_free(&f);
}

/* An append-only file: the torn part stays as a line of its own. */
static void
test_torn_append_only(void **state)
{
	struct tlib_run r;
	struct full f;

	(void)state;
	tlib_require_root("mounting a small tmpfs, chattr +a");
	full_start(&f, "t355b");
	if (tlib_sh("chattr +a '%s' 2>/dev/null", f.d.alerts) != 0) {
		printf("SKIP: this tmpfs takes no append-only flag\n");
		full_free(&f);
		skip();
	}
	fill(&f);
	tear_one(&f);
	/* Still full: the torn part is there, without its newline. */
	assert_false(ends_whole(f.d.alerts));
	free_space(&f, tlib_fmt("rm '%s'", f.fill));
	check_lines(&f, 1);
	verify(&f, &r);
	assert_non_null(strstr(r.err, "torn write"));
	assert_non_null(strstr(r.out, "1 torn write"));
	tlib_run_release(&r);
	full_free(&f);
}

/*
 * A file size limit, as systemd's LimitFSIZE= sets, ends a write at the
 * byte where it falls and refuses the rest with EFBIG (the daemon
 * ignores SIGXFSZ, which would kill it): the cut is taken back, and the
 * line is written whole once the limit is lifted.
 */
static void
test_file_size_limit(void **state)
{
	struct full f;
	off_t size;

	(void)state;
	tlib_require_root("mounting a small tmpfs, prlimit");
	full_start(&f, "t355c");
	size = file_size(f.d.alerts);
	assert_int_equal(tlib_sh("prlimit --pid %d --fsize=%lld:unlimited",
	    (int)f.d.pid, (long long)size + 100), 0);
	change(&f);
	assert_int_equal(kill(f.d.pid, 0), 0);
	assert_int_equal(status_num(&f.d, "spooled"), 1);
	assert_int_equal(file_size(f.d.alerts), size);
	free_space(&f, tlib_fmt("prlimit --pid %d --fsize=unlimited",
	    (int)f.d.pid));
	check_lines(&f, 0);
	verify_clean(&f);
	full_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_torn_taken_back),
		cmocka_unit_test(test_torn_append_only),
		cmocka_unit_test(test_file_size_limit),
	};

	return cmocka_run_group_tests_name("t355_torn_write", tests, NULL,
	    NULL);
}
