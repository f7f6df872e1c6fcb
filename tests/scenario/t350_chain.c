/*
 * 35x: the daemon's records of its own life and the tamper-evident
 * chain of its alert stream, end to end with the real binary.
 *
 *  - a run begins with "started", ends with "stopped", and writes a
 *    "checkpoint" with the documented fields every heartbeat;
 *  - the daemon's stream, across a restart and two rotations (the older
 *    gzipped, as logrotate's compress does), verifies;
 *  - a rotation while the daemon is stopped (plain, then gzipped): the
 *    restarted daemon goes on with the seq and the chain of the newest
 *    rotation, and the files verify as one stream;
 *  - an edited byte, a deleted line, two swapped lines and a cut tail
 *    are each caught at their line, exit 1;
 *  - kill -9 and a restart is an unclean stop, a warning, exit 0;
 *  - with chain_key, a line edited and relinked with plain SHA-256 is
 *    caught as forged; without the key the keyed stream does not verify.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"

#include "chain.h"

static json_int_t
num(const json_t *o, const char *dotted)
{
	const json_t *v = tlib_json_get(o, dotted);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer in %s", dotted,
		    json_dumps(o, 0));
	return json_integer_value(v);
}

/* The alert file's lines, parsed, in order. */
static json_t *
file_lines(const char *path)
{
	size_t len = 0;
	char *text = tlib_read(path, &len);
	json_t *lines;

	assert_non_null(text);
	lines = tlib_json_lines(text, len);
	free(text);
	return lines;
}

/*
 * started first, stopped last, and a checkpoint every heartbeat with
 * seq, files, backend, rules, open gaps and the alerts since the one
 * before; none of them has a file section.
 */
static void
test_lifecycle(void **state)
{
	struct tdaemon d;
	json_t *started, *cp, *stopped, *lines, *o;
	char *path;
	size_t i, n;

	(void)state;
	tdaemon_init(&d, "t350l", "inotify", NULL);
	tlib_write(d.conf, "{\"heartbeat\": \"1s\"}\n", (size_t)-1);
	tdaemon_start(&d, NULL);
	started = tdaemon_wait_record(&d, "started", 1, 1000);
	assert_non_null(started);
	assert_string_equal(tlib_json_str(started, "event.kind"), "event");
	assert_string_equal(tlib_json_str(started, "fimd.backend"), "inotify");
	assert_int_equal(num(started, "fimd.rules"), 1);
	assert_int_equal(num(started, "fimd.heartbeat"), 1);
	assert_non_null(tlib_json_str(started, "fimd.version"));
	assert_null(tlib_json_get(started, "file"));

	/* The first checkpoint: nothing happened yet. */
	cp = tdaemon_wait_record(&d, "checkpoint", 1, 3000);
	assert_non_null(cp);
	assert_int_equal(num(cp, "fimd.alerts"), 0);
	path = tlib_fmt("%s/f", d.t);
	assert_int_equal(tlib_sh("echo more >> '%s'", path), 0);
	assert_non_null(tdaemon_wait(&d, "updated", path, 2000));
	/* The one after the change counts it. */
	for (n = 2; (cp = tdaemon_wait_record(&d, "checkpoint", n, 3000)) !=
	    NULL && num(cp, "fimd.alerts") == 0; n++)
		;
	assert_non_null(cp);
	assert_string_equal(tlib_json_str(cp, "event.kind"), "state");
	assert_true(tlib_json_has(cp, "event.category", "process"));
	assert_int_equal(num(cp, "fimd.alerts"), 1);
	assert_int_equal(num(cp, "fimd.files"), 5);	/* tree, f, a, b, d */
	assert_int_equal(num(cp, "fimd.rules"), 1);
	assert_int_equal(num(cp, "fimd.open_gaps"), 0);
	assert_int_equal(num(cp, "fimd.heartbeat"), 1);
	assert_true(num(cp, "fimd.seq") > num(started, "fimd.seq"));
	assert_string_equal(tlib_json_str(cp, "fimd.backend"), "inotify");
	assert_non_null(tlib_json_str(cp, "fimd.rules_digest"));
	assert_null(tlib_json_get(cp, "file"));
	tdaemon_stop(&d);

	stopped = tdaemon_wait_record(&d, "stopped", 1, 0);
	assert_non_null(stopped);
	assert_string_equal(tlib_json_str(stopped, "fimd.reason"), "SIGTERM");
	assert_int_equal(num(stopped, "fimd.alerts"), 1);
	assert_int_equal(num(stopped, "fimd.files"), 5);
	lines = file_lines(d.alerts);
	n = json_array_size(lines);
	assert_string_equal(tlib_json_str(json_array_get(lines, 0),
	    "event.action"), "started");
	assert_string_equal(tlib_json_str(json_array_get(lines, n - 1),
	    "event.action"), "stopped");
	json_array_foreach(lines, i, o)
		assert_int_equal(num(o, "fimd.seq"), (json_int_t)i + 1);
	json_decref(lines);
	free(path);
	tdaemon_free(&d);
}

/*
 * A daemon that cannot start (invalid rules) says so with exit 17, and
 * writes no started record, so no stopped one is owed.
 */
static void
test_refused_start(void **state)
{
	struct tlib_run r;
	struct tdaemon d;

	(void)state;
	tdaemon_init(&d, "t350r", "inotify", NULL);
	tlib_write(d.rules, "{\"rules\":[{\"name\":\"x\",\"paths\":[\"/tmp\"],"
	    "\"colour\":1}]}\n", (size_t)-1);
	tdaemon_fimd(&d, &r, "--foreground", NULL, NULL);
	assert_int_equal(r.status, 17);
	assert_non_null(strstr(r.err, "unknown key \"colour\""));
	tlib_run_release(&r);
	assert_int_equal(access(d.alerts, F_OK), -1);
	tdaemon_free(&d);
}

/* Touch n files of the tree, one by one, and wait for their alerts. */
static void
changes(struct tdaemon *d, const char *tag, int n)
{
	char *path;
	int i;

	for (i = 0; i < n; i++) {
		path = tlib_fmt("%s/%s%d", d->t, tag, i);
		tlib_write(path, tag, (size_t)-1);
		if (tdaemon_wait(d, "created", path, 3000) == NULL)
			fail_msg("no alert for %s", path);
		free(path);
	}
}

/* logrotate's create: rename, reopen, and read the new file from 0. */
static void
rotate(struct tdaemon *d, const char *to)
{
	struct tlib_run r;

	assert_int_equal(rename(d->alerts, to), 0);
	tdaemon_fimd(d, &r, "--reopen", NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	d->off = 0;
	free(d->partial);
	d->partial = NULL;
}

/* fimd --verify -c conf [--key key] files...: the run, kept. */
static void
verify(struct tlib_run *r, const char *conf, const char *key,
    const char *f1, const char *f2, const char *f3)
{
	const char *args[12];
	int n = 0;

	args[n++] = "--verify";
	args[n++] = "-c";
	args[n++] = conf;
	if (key != NULL) {
		args[n++] = "--key";
		args[n++] = key;
	}
	args[n++] = f1;
	if (f2 != NULL)
		args[n++] = f2;
	if (f3 != NULL)
		args[n++] = f3;
	args[n] = NULL;
	tlib_run_fimd(r, 60, args);
	assert_false(r->timed_out);
}

/*
 * A daemon's own stream: a restart, then two rotations, the older one
 * compressed: the three files verify as one chain, without a warning.
 */
static void
test_stream_verifies(void **state)
{
	struct tlib_run r;
	struct tdaemon d;
	char *one, *two, *twogz;

	(void)state;
	tdaemon_init(&d, "t350v", "inotify", NULL);
	one = tlib_fmt("%s.1", d.alerts);
	two = tlib_fmt("%s.2", d.alerts);
	twogz = tlib_fmt("%s.2.gz", d.alerts);
	tdaemon_start(&d, NULL);
	changes(&d, "a", 3);
	tdaemon_stop(&d);
	tdaemon_start(&d, NULL);	/* continues the file's chain */
	changes(&d, "b", 3);
	rotate(&d, one);
	changes(&d, "c", 3);
	assert_int_equal(rename(one, two), 0);
	assert_int_equal(tlib_sh("gzip '%s'", two), 0);
	rotate(&d, one);
	changes(&d, "e", 3);
	tdaemon_stop(&d);

	verify(&r, d.conf, NULL, twogz, one, d.alerts);
	if (r.status != 0 || r.err[0] != '\0')
		fail_msg("--verify: exit %d:\n%s%s", r.status, r.out, r.err);
	assert_non_null(strstr(r.out, "chain whole"));
	assert_non_null(strstr(r.out, "in 3 files"));
	tlib_run_release(&r);
	/* Out of order, the files do not make one chain. */
	verify(&r, d.conf, NULL, one, twogz, d.alerts);
	assert_int_equal(r.status, 1);
	tlib_run_release(&r);
	free(twogz);
	free(two);
	free(one);
	tdaemon_free(&d);
}

/* The fimd.seq of a file's last line, plain or gzipped. */
static json_int_t
last_seq_of(const char *path)
{
	char *out = NULL;
	json_t *o;
	json_int_t seq;

	assert_int_equal(tlib_sh_out(&out, "zcat -f '%s' | tail -n 1", path),
	    0);
	o = json_loads(out, 0, NULL);
	if (o == NULL)
		fail_msg("%s: last line is not JSON: %s", path, out);
	seq = num(o, "fimd.seq");
	json_decref(o);
	free(out);
	return seq;
}

/* The daemon's first line after a restart: its "started" record. */
static json_int_t
first_seq_of(const char *path)
{
	json_t *lines = file_lines(path), *o = json_array_get(lines, 0);
	json_int_t seq;

	assert_non_null(o);
	assert_string_equal(tlib_json_str(o, "event.action"), "started");
	seq = num(o, "fimd.seq");
	json_decref(lines);
	return seq;
}

/*
 * logrotate's create while the daemon is stopped: the alert file is
 * gone at start.  The new file goes on from the newest rotation (.1,
 * else .1.gz): seq + 1, and one chain with it.
 */
static void
test_rotated_while_stopped(void **state)
{
	struct tlib_run r;
	struct tdaemon d;
	char *one, *onegz, *two, *twogz;
	json_int_t last;

	(void)state;
	tdaemon_init(&d, "t350s", "inotify", NULL);
	one = tlib_fmt("%s.1", d.alerts);
	onegz = tlib_fmt("%s.1.gz", d.alerts);
	two = tlib_fmt("%s.2", d.alerts);
	twogz = tlib_fmt("%s.2.gz", d.alerts);
	tdaemon_start(&d, NULL);
	changes(&d, "a", 2);
	tdaemon_stop(&d);

	/* Plain .1, no current file. */
	last = last_seq_of(d.alerts);
	assert_int_equal(rename(d.alerts, one), 0);
	d.off = 0;
	tdaemon_start(&d, NULL);
	changes(&d, "b", 2);
	tdaemon_stop(&d);
	assert_int_equal(first_seq_of(d.alerts), last + 1);
	verify(&r, d.conf, NULL, one, d.alerts, NULL);
	if (r.status != 0 || r.err[0] != '\0')
		fail_msg("--verify .1 current: exit %d:\n%s%s", r.status,
		    r.out, r.err);
	assert_non_null(strstr(r.out, "chain whole"));
	tlib_run_release(&r);

	/* Compressed: .1 -> .2.gz, the current file -> .1.gz. */
	last = last_seq_of(d.alerts);
	assert_int_equal(rename(one, two), 0);
	assert_int_equal(rename(d.alerts, one), 0);
	assert_int_equal(tlib_sh("gzip '%s' '%s'", two, one), 0);
	d.off = 0;
	tdaemon_start(&d, NULL);
	changes(&d, "c", 2);
	tdaemon_stop(&d);
	assert_int_equal(first_seq_of(d.alerts), last + 1);
	verify(&r, d.conf, NULL, twogz, onegz, d.alerts);
	if (r.status != 0 || r.err[0] != '\0')
		fail_msg("--verify .2.gz .1.gz current: exit %d:\n%s%s",
		    r.status, r.out, r.err);
	assert_non_null(strstr(r.out, "chain whole"));
	assert_non_null(strstr(r.out, "in 3 files"));
	tlib_run_release(&r);

	/* Removed, not rotated: an empty file also goes on from .1.gz. */
	last = last_seq_of(d.alerts);
	assert_int_equal(tlib_sh("gzip -c '%s' > '%s' && : > '%s'", d.alerts,
	    onegz, d.alerts), 0);
	d.off = 0;
	tdaemon_start(&d, NULL);
	tdaemon_stop(&d);
	assert_int_equal(first_seq_of(d.alerts), last + 1);
	free(twogz);
	free(two);
	free(onegz);
	free(one);
	tdaemon_free(&d);
}

/* The lines of a file, each with its newline; *ret_n of them. */
static char **
read_lines(const char *path, size_t *ret_n)
{
	char *text = tlib_read(path, NULL), *p, *nl, **v = NULL;
	size_t n = 0;

	assert_non_null(text);
	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		v[n++] = strndup(p, (size_t)(nl - p) + 1);
	}
	free(text);
	*ret_n = n;
	return v;
}

static void
write_lines(const char *path, char **v, size_t n)
{
	FILE *f = fopen(path, "w");
	size_t i;

	assert_non_null(f);
	for (i = 0; i < n; i++)
		fputs(v[i], f);
	assert_int_equal(fclose(f), 0);
}

static void
free_lines(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* --verify of path fails (exit 1) naming path:line with want. */
static void
assert_caught(const char *conf, const char *path, const char *key,
    unsigned line, const char *want)
{
	struct tlib_run r;
	char *at;

	verify(&r, conf, key, path, NULL, NULL);
	at = tlib_fmt("%s:%u: error: %s", path, line, want);
	if (r.status != 1 || strstr(r.err, at) == NULL)
		fail_msg("--verify: exit %d, want 1 with \"%s\":\n%s%s",
		    r.status, at, r.out, r.err);
	free(at);
	at = tlib_fmt("chain broken at %s:%u", path, line);
	assert_non_null(strstr(r.out, at));
	free(at);
	tlib_run_release(&r);
}

/* A stream of at least 8 lines, made by a daemon; its lines. */
static char **
daemon_stream(struct tdaemon *d, size_t *ret_n)
{
	tdaemon_start(d, NULL);
	changes(d, "x", 6);
	tdaemon_stop(d);
	return read_lines(d->alerts, ret_n);
}

/* Each change is caught at its line; the untouched copy verifies. */
static void
test_tampering(void **state)
{
	struct tlib_run r;
	struct tdaemon d;
	struct stat st;
	char **v, *copy, *t;
	size_t n;

	(void)state;
	tdaemon_init(&d, "t350t", "inotify", NULL);
	v = daemon_stream(&d, &n);
	assert_true(n >= 8);
	copy = tlib_fmt("%s/copy.json", d.w);

	write_lines(copy, v, n);
	verify(&r, d.conf, NULL, copy, NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);

	/* One byte of line 4, in a file name. */
	t = strstr(v[3], "/x");
	assert_non_null(t);
	t[1] = 'y';
	write_lines(copy, v, n);
	assert_caught(d.conf, copy, NULL, 4, "edited");
	t[1] = 'x';

	/* Line 4 deleted. */
	t = v[3];
	memmove(v + 3, v + 4, (n - 4) * sizeof(*v));
	write_lines(copy, v, n - 1);
	memmove(v + 4, v + 3, (n - 4) * sizeof(*v));
	v[3] = t;
	assert_caught(d.conf, copy, NULL, 4, "removed: 1 line");

	/* Lines 4 and 5 swapped. */
	t = v[3];
	v[3] = v[4];
	v[4] = t;
	write_lines(copy, v, n);
	assert_caught(d.conf, copy, NULL, 4, "reordered");
	v[4] = v[3];
	v[3] = t;

	/* The tail cut inside the last line. */
	write_lines(copy, v, n);
	assert_int_equal(stat(copy, &st), 0);
	assert_int_equal(truncate(copy, st.st_size - 20), 0);
	assert_caught(d.conf, copy, NULL, (unsigned)n, "truncated");

	free_lines(v, n);
	free(copy);
	tdaemon_free(&d);
}

/* kill -9, then a restart: an unclean stop, not tampering. */
static void
test_unclean_stop(void **state)
{
	struct tlib_run r;
	struct tdaemon d;

	(void)state;
	tdaemon_init(&d, "t350u", "inotify", NULL);
	tdaemon_start(&d, NULL);
	changes(&d, "k", 2);
	assert_int_equal(kill(d.pid, SIGKILL), 0);
	assert_int_equal(waitpid(d.pid, NULL, 0), d.pid);
	d.pid = -1;
	close(d.notify_fd);
	d.notify_fd = -1;
	tdaemon_start(&d, NULL);
	changes(&d, "l", 2);
	tdaemon_stop(&d);
	verify(&r, d.conf, NULL, d.alerts, NULL, NULL);
	if (r.status != 0 || strstr(r.err, "warning: unclean stop") == NULL ||
	    strstr(r.err, "error") != NULL)
		fail_msg("--verify after kill -9: exit %d:\n%s%s", r.status,
		    r.out, r.err);
	assert_non_null(strstr(r.out, "1 unclean stop"));
	tlib_run_release(&r);
	tdaemon_free(&d);
}

/*
 * With chain_key the links are HMACs: the stream verifies with the key
 * (given, or the configuration's), not without it; a line edited and
 * the next relinked with plain SHA-256 is a forgery, at the next line.
 */
static void
test_keyed_forgery(void **state)
{
	struct tlib_run r;
	struct tdaemon d;
	char **v, *key, *conf, *plain, *copy, *t, *at;
	char hex[CHAIN_HEX_LEN + 1];
	size_t n;

	(void)state;
	tlib_require_root("a root-owned chain_key");
	tdaemon_init(&d, "t350k", "inotify", NULL);
	key = tlib_fmt("%s/chain.key", d.w);
	assert_int_equal(tlib_sh("head -c 32 /dev/urandom > '%s' && "
	    "chmod 0600 '%s'", key, key), 0);
	conf = tlib_fmt("{\"chain_key\": \"%s\"}\n", key);
	tlib_write(d.conf, conf, (size_t)-1);
	/* A key others can read is refused before the daemon starts. */
	assert_int_equal(chmod(key, 0640), 0);
	tdaemon_fimd(&d, &r, "--foreground", NULL, NULL);
	assert_int_equal(r.status, 17);
	assert_non_null(strstr(r.err, "must be mode 0600 or stricter"));
	tlib_run_release(&r);
	assert_int_equal(chmod(key, 0600), 0);
	v = daemon_stream(&d, &n);
	plain = tlib_fmt("%s/plain.json", d.w);
	tlib_write(plain, "{}\n", (size_t)-1);
	copy = tlib_fmt("%s/copy.json", d.w);
	write_lines(copy, v, n);
	verify(&r, plain, key, copy, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "hmac-sha256"));
	tlib_run_release(&r);
	verify(&r, d.conf, NULL, copy, NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	verify(&r, plain, NULL, copy, NULL, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "give its key with --key"));
	tlib_run_release(&r);

	/* Line 4 edited, line 5 relinked as a plain chain would be. */
	t = strstr(v[3], "/x");
	assert_non_null(t);
	t[1] = 'y';
	chain_digest_hex(NULL, v[3], strlen(v[3]), hex);
	at = strstr(v[4], "\"chain\":\"");
	assert_non_null(at);
	memcpy(at + 9, hex, CHAIN_HEX_LEN);
	write_lines(copy, v, n);
	assert_caught(plain, copy, key, 5,
	    "forged: fimd.chain is the plain SHA-256");

	free_lines(v, n);
	free(copy);
	free(plain);
	free(conf);
	free(key);
	tdaemon_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_refused_start),
		cmocka_unit_test(test_stream_verifies),
		cmocka_unit_test(test_rotated_while_stopped),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_unclean_stop),
		cmocka_unit_test(test_keyed_forgery),
	};

	return cmocka_run_group_tests_name("t350_chain", tests, NULL, NULL);
}
