/*
 * tail: time parsing and filters table-driven; reading real files, and
 * following one across rename rotation and truncation while a writer
 * process appends: every line seen once, in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "tlib.h"

#include "severity.h"
#include "tail.h"
#include "timefmt.h"

static void
test_parse_time(void **state)
{
	static const struct {
		const char *s;
		int	 r;
		int64_t	 us;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0, 0 },
		{ "1970-01-01", 0, 0 },
		{ "2026-11-24T11:24:06.123456Z", 0,
		    INT64_C(1795519446123456) },
		{ "2026-11-24T11:24:06.5Z", 0, INT64_C(1795519446500000) },
		{ "2026-11-24t11:24:06z", 0, INT64_C(1795519446000000) },
		{ "2026-11-24T13:24:06+02:00", 0, INT64_C(1795519446000000) },
		{ "2026-11-24T09:24:06-02:00", 0, INT64_C(1795519446000000) },
		{ "2024-02-29T00:00:00Z", 0, INT64_C(1709164800000000) },
		{ "2023-02-29T00:00:00Z", -EINVAL, 0 },
		{ "2026-13-01T00:00:00Z", -EINVAL, 0 },
		{ "2026-11-24T24:00:00Z", -EINVAL, 0 },
		{ "2026-11-24T11:24:06", -EINVAL, 0 },	/* no zone */
		{ "2026-11-24T11:24:06.Z", -EINVAL, 0 },
		{ "2026-11-24T11:24:06Zx", -EINVAL, 0 },
		{ "2026-11-24T11:24Z", -EINVAL, 0 },
		{ "1h", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};
	size_t i;
	int64_t us;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		us = -1;
		if (timefmt_parse(cases[i].s, &us) != cases[i].r)
			fail_msg("\"%s\": wrong result", cases[i].s);
		if (cases[i].r == 0 && us != cases[i].us)
			fail_msg("\"%s\": %lld", cases[i].s, (long long)us);
	}
}

static void
test_filter_init_errors(void **state)
{
	static const struct {
		const char *severity, *prefix, *since;
		const char *msg;	/* NULL: accepted */
	} cases[] = {
		{ "high", "/etc", "10m", NULL },
		{ "critical", "/", "2026-11-24T11:24:06Z", NULL },
		{ "urgent", NULL, NULL, "--severity" },
		{ "HIGH", NULL, NULL, "--severity" },
		{ NULL, NULL, "yesterday", "--since" },
		{ NULL, NULL, "10x", "--since" },
		{ NULL, NULL, "-1h", "--since" },
		{ NULL, "", NULL, "--prefix" },
	};
	struct tail_filter f;
	const char *msg;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg = NULL;
		r = tail_filter_init(&f, NULL, cases[i].severity,
		    cases[i].prefix, cases[i].since, 1000000, &msg);
		if (cases[i].msg == NULL) {
			assert_int_equal(r, 0);
			tail_filter_release(&f);
			continue;
		}
		assert_int_equal(r, -EINVAL);
		assert_non_null(msg);
		assert_non_null(strstr(msg, cases[i].msg));
	}
	/* A duration counts back from now. */
	assert_int_equal(tail_filter_init(&f, NULL, NULL, NULL, "1h",
	    1000000, &msg), 0);
	assert_true(f.has_since);
	assert_int_equal(f.since_us, INT64_C(996400) * 1000000);
	tail_filter_release(&f);
}

#define A(ts, rule, sev, path) \
	"{\"@timestamp\":\"" ts "\",\"rule\":{\"name\":\"" rule "\"}," \
	"\"file\":{\"path\":\"" path "\"},\"fimd\":{\"severity\":\"" sev \
	"\"}}"

static void
test_filter_match(void **state)
{
	static const struct {
		const char *rule, *severity, *prefix, *since;
		const char *alert;
		bool	 keep;
	} cases[] = {
		{ NULL, NULL, NULL, NULL, "{}", true },
		{ "identity", NULL, NULL, NULL,
		    A("2026-01-01T00:00:00Z", "identity", "high", "/etc/x"),
		    true },
		{ "identity", NULL, NULL, NULL,
		    A("2026-01-01T00:00:00Z", "identity2", "high", "/etc/x"),
		    false },
		{ "ident", NULL, NULL, NULL,
		    A("2026-01-01T00:00:00Z", "identity", "high", "/etc/x"),
		    false },
		{ "identity", NULL, NULL, NULL, "{\"rule\":\"identity\"}",
		    false },
		{ NULL, "medium", NULL, NULL,
		    A("2026-01-01T00:00:00Z", "r", "low", "/x"), false },
		{ NULL, "medium", NULL, NULL,
		    A("2026-01-01T00:00:00Z", "r", "medium", "/x"), true },
		{ NULL, "medium", NULL, NULL,
		    A("2026-01-01T00:00:00Z", "r", "critical", "/x"), true },
		{ NULL, "critical", NULL, NULL,
		    A("2026-01-01T00:00:00Z", "r", "high", "/x"), false },
		{ NULL, "high", NULL, NULL,
		    "{\"event\":{\"severity\":73}}", true },
		{ NULL, "high", NULL, NULL,
		    "{\"event\":{\"severity\":47}}", false },
		{ NULL, "low", NULL, NULL, "{}", false },
		{ NULL, NULL, "/etc", NULL,
		    A("2026-01-01T00:00:00Z", "r", "low", "/etc"), true },
		{ NULL, NULL, "/etc/", NULL,
		    A("2026-01-01T00:00:00Z", "r", "low", "/etc/passwd"),
		    true },
		{ NULL, NULL, "/etc", NULL,
		    A("2026-01-01T00:00:00Z", "r", "low", "/etcetera"), false },
		{ NULL, NULL, "/", NULL,
		    A("2026-01-01T00:00:00Z", "r", "low", "/etcetera"), true },
		{ NULL, NULL, "/etc", NULL,
		    A("2026-01-01T00:00:00Z", "r", "low", "/usr/etc"), false },
		{ NULL, NULL, "/etc", NULL,
		    "{\"file\":{\"path\":\"/tmp/x\"},\"fimd\":{\"previous\":"
		    "{\"path\":\"/etc/x\"}}}", true },
		/* A gap's scope: itself, below it, and what is above. */
		{ NULL, NULL, "/etc", NULL,
		    "{\"fimd\":{\"scope\":\"/etc/ssh\"}}", true },
		{ NULL, NULL, "/etc/ssh/sshd_config", NULL,
		    "{\"fimd\":{\"scope\":\"/etc\"}}", true },
		{ NULL, NULL, "/etc/x", NULL,
		    "{\"fimd\":{\"scope\":\"/\"}}", true },
		{ NULL, NULL, "/etc", NULL,
		    "{\"fimd\":{\"scope\":\"/var\"}}", false },
		{ NULL, NULL, "/etcetera", NULL,
		    "{\"fimd\":{\"scope\":\"/etc\"}}", false },
		{ NULL, NULL, "/d\xff/x", NULL,
		    "{\"fimd\":{\"scope\":\"/d\xef\xbf\xbd\","
		    "\"scope_escaped\":\"/d\\\\xff\"}}", true },
		/* A record without a file section is about every path. */
		{ NULL, NULL, "/etc", NULL,
		    "{\"event\":{\"action\":\"gap\"},\"fimd\":{}}", true },
		{ NULL, NULL, "/etc", NULL, "{\"file\":{}}", false },
		/* The escaped form carries the real bytes. */
		{ NULL, NULL, "/d\xff", NULL,
		    "{\"file\":{\"path\":\"/d\xef\xbf\xbd/f\"},\"fimd\":"
		    "{\"path_escaped\":\"/d\\\\xff/f\"}}", true },
		{ NULL, NULL, NULL, "2026-01-01T00:00:00Z",
		    A("2026-01-01T00:00:00.000001Z", "r", "low", "/x"), true },
		{ NULL, NULL, NULL, "2026-01-01T00:00:00Z",
		    A("2026-01-01T00:00:00Z", "r", "low", "/x"), true },
		{ NULL, NULL, NULL, "2026-01-01T00:00:00Z",
		    A("2025-12-31T23:59:59.999999Z", "r", "low", "/x"), false },
		{ NULL, NULL, NULL, "2026-01-01T00:00:00Z",
		    "{\"@timestamp\":\"soon\"}", false },
		{ "r", "high", "/etc", "2026-01-01",
		    A("2026-06-01T00:00:00Z", "r", "critical", "/etc/a"),
		    true },
		{ "r", "high", "/etc", "2026-01-01",
		    A("2026-06-01T00:00:00Z", "r", "critical", "/var/a"),
		    false },
	};
	struct tail_filter f;
	const char *msg;
	json_t *alert;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(tail_filter_init(&f, cases[i].rule,
		    cases[i].severity, cases[i].prefix, cases[i].since,
		    1000000, &msg), 0);
		alert = json_loads(cases[i].alert, 0, NULL);
		assert_non_null(alert);
		if (tail_filter_match(&f, alert) != cases[i].keep)
			fail_msg("case %zu: expected %s", i,
			    cases[i].keep ? "kept" : "dropped");
		json_decref(alert);
		tail_filter_release(&f);
	}
}

/* --host picks one host's lines out of a collector's merged stream. */
static void
test_filter_host(void **state)
{
	static const struct {
		const char *host;
		const char *alert;
		bool	 keep;
	} cases[] = {
		{ NULL, "{}", true },
		{ "", "{\"host\":{\"name\":\"h2\"}}", true },
		{ "h1", "{\"host\":{\"name\":\"h1\"}}", true },
		{ "h1", "{\"host\":{\"name\":\"h2\"}}", false },
		{ "h1", "{\"host\":{\"name\":\"h10\"}}", false },
		{ "h1", "{\"host\":{\"name\":\"h\"}}", false },
		{ "Web-01", "{\"host\":{\"name\":\"web-01\"}}", true },
		{ "h1", "{\"host\":{\"id\":\"h1\"}}", false },
		{ "h1", "{\"host\":\"h1\"}", false },
		{ "h1", "{}", false },
	};
	struct tail_filter f;
	const char *msg;
	json_t *alert;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(tail_filter_init(&f, NULL, NULL, NULL, NULL,
		    0, &msg), 0);
		tail_filter_set_host(&f, cases[i].host);
		alert = json_loads(cases[i].alert, 0, NULL);
		assert_non_null(alert);
		if (tail_filter_match(&f, alert) != cases[i].keep)
			fail_msg("case %zu: expected %s", i,
			    cases[i].keep ? "kept" : "dropped");
		json_decref(alert);
		tail_filter_release(&f);
	}
	/* With the other filters: all must pass. */
	assert_int_equal(tail_filter_init(&f, NULL, "high", NULL, NULL, 0,
	    &msg), 0);
	tail_filter_set_host(&f, "h1");
	alert = json_loads("{\"host\":{\"name\":\"h1\"},\"fimd\":"
	    "{\"severity\":\"low\"}}", 0, NULL);
	assert_false(tail_filter_match(&f, alert));
	json_decref(alert);
	tail_filter_release(&f);
	assert_null(f.host);
}

/* ---- reading ---- */

struct seen {
	long	 seq[512];
	char	*raw[512];
	int	 n;
	long	 last;		/* stop after this seq (follow) */
	double	 deadline;
	int	 ack_fd;	/* seqs written back to the writer, or -1 */
	int	 go_fd;		/* the writer's "rewritten", or -1 */
	long	 pause_at;	/* once seen, idle waits for the writer */
	bool	 disorder;
};

static int
on_line(const char *raw, size_t len, const json_t *alert, void *arg)
{
	struct seen *s = arg;
	long seq = (long)json_integer_value(json_object_get(
	    json_object_get(alert, "fimd"), "seq"));

	if (s->n >= 512)
		return 1;
	if (s->n > 0 && seq != s->seq[s->n - 1] + 1)
		s->disorder = true;
	s->seq[s->n] = seq;
	s->raw[s->n] = strndup(raw, len);
	s->n++;
	/* Fails (EPIPE) once the writer is done; no matter. */
	if (s->ack_fd >= 0 &&
	    write(s->ack_fd, &seq, sizeof(seq)) != (ssize_t)sizeof(seq))
		s->ack_fd = -1;
	return s->last > 0 && seq >= s->last;
}

static int
on_idle(void *arg)
{
	struct seen *s = arg;
	long ready = -1;
	char c;

	/* Hold still while the writer rewrites the file under us. */
	if (s->pause_at > 0 && s->n > 0 && s->seq[s->n - 1] == s->pause_at) {
		s->pause_at = 0;
		if (write(s->ack_fd, &ready, sizeof(ready)) !=
		    (ssize_t)sizeof(ready) || read(s->go_fd, &c, 1) != 1)
			return 1;
	}
	return tlib_now() > s->deadline;
}

static void
seen_release(struct seen *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->raw[i]);
}

/* Run f with stderr captured into a new string. */
static char *
capture_stderr(int (*f)(void *), void *arg, int *ret)
{
	char path[] = "/tmp/fimd-tail-err.XXXXXX";
	int fd, saved;
	char *out;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	*ret = f(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	out = tlib_read(path, NULL);
	unlink(path);
	return out;
}

struct run_args {
	const char *path;
	struct tail_filter *f;
	bool	 follow;
	struct tail_ops *ops;
};

static int
run_tail(void *arg)
{
	struct run_args *a = arg;

	return tail_run(a->path, a->f, a->follow, 50, a->ops);
}

static void
test_read_existing(void **state)
{
	struct seen s = { .ack_fd = -1 };
	struct tail_ops ops = { .line = on_line, .arg = &s };
	struct tail_filter f;
	struct run_args a = { .f = &f, .ops = &ops };
	const char *msg;
	char *dir, *path, *err;
	int r;

	(void)state;
	dir = tlib_mkdtemp("tail");
	path = tlib_fmt("%s/alerts.json", dir);
	tlib_write(path,
	    "{\"fimd\":{\"seq\":1,\"severity\":\"low\"}}\n"
	    "{\"fimd\":{\"seq\":2,\"severity\":\"high\"}}\r\n"
	    "garbage\n"
	    "\n"
	    "[1,2]\n"
	    "{\"fimd\":{\"seq\":3,\"severity\":\"critical\"}}\n"
	    "{\"fimd\":{\"seq\":4,\"severity\":\"low\"}}\n"
	    "{\"fimd\":{\"seq\":5,\"severity\":\"high\"}}", (size_t)-1);
	a.path = path;
	/* Everything, the unterminated last line included. */
	assert_int_equal(tail_filter_init(&f, NULL, NULL, NULL, NULL, 0,
	    &msg), 0);
	err = capture_stderr(run_tail, &a, &r);
	assert_int_equal(r, 0);
	assert_int_equal(s.n, 5);
	assert_false(s.disorder);
	/* Raw bytes as in the file (for --json), without the CR. */
	assert_string_equal(s.raw[1],
	    "{\"fimd\":{\"seq\":2,\"severity\":\"high\"}}");
	assert_non_null(strstr(err, "alerts.json:3: not a JSON alert"));
	assert_non_null(strstr(err, "alerts.json:5: not a JSON alert"));
	assert_null(strstr(err, "alerts.json:4:"));	/* empty: silent */
	free(err);
	seen_release(&s);
	tail_filter_release(&f);
	/* Filtered: high and above. */
	memset(&s, 0, sizeof(s));
	s.ack_fd = -1;
	assert_int_equal(tail_filter_init(&f, NULL, "high", NULL, NULL, 0,
	    &msg), 0);
	err = capture_stderr(run_tail, &a, &r);
	free(err);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seq[0], 2);
	assert_int_equal(s.seq[1], 3);
	assert_int_equal(s.seq[2], 5);
	seen_release(&s);
	/* Missing without follow: an error, not a wait. */
	a.path = "/nonexistent/fimd/alerts.json";
	assert_int_equal(tail_run(a.path, &f, false, 50, &ops), -ENOENT);
	tail_filter_release(&f);
	tlib_rmrf(dir);
	free(dir);
	free(path);
}

/* A gzip file of text, with its mtime set to mtime (0: now). */
static void
write_gz(const char *path, const char *text, time_t mtime)
{
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	assert_int_equal(gzputs(gz, text), (int)strlen(text));
	assert_int_equal(gzclose(gz), Z_OK);
	if (mtime != 0)
		assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

#define L(ts, seq) "{\"@timestamp\":\"" ts "\",\"fimd\":{\"seq\":" #seq "}}\n"

/*
 * --since reads the rotations first, oldest first, plain or gzip; one
 * last written before the start time is not opened (its line, though
 * stamped later, is not seen), and gaps in the numbering end the search.
 */
static void
test_since_rotated(void **state)
{
	struct seen s = { .ack_fd = -1 };
	struct tail_ops ops = { .line = on_line, .arg = &s };
	struct tail_filter f;
	struct run_args a = { .f = &f, .ops = &ops };
	const char *msg;
	char *dir, *path, *p, *err;
	int r, i;

	(void)state;
	dir = tlib_mkdtemp("tail");
	path = tlib_fmt("%s/alerts.json", dir);
	a.path = path;
	p = tlib_fmt("%s.5.gz", path);		/* after a hole: not read */
	write_gz(p, L("2026-03-01T00:00:00Z", 90), 0);
	free(p);
	p = tlib_fmt("%s.3.gz", path);		/* written before --since */
	write_gz(p, L("2026-03-01T00:00:00Z", 91), 1735689600);
	free(p);
	p = tlib_fmt("%s.2.gz", path);
	write_gz(p, L("2025-12-31T23:59:59Z", 2) L("2026-01-02T00:00:00Z", 3)
	    L("2026-01-02T00:00:01Z", 4), 0);
	free(p);
	p = tlib_fmt("%s.1", path);		/* delaycompress: plain */
	tlib_write(p, L("2026-01-03T00:00:00Z", 5) L("2026-01-03T00:00:01Z", 6),
	    (size_t)-1);
	free(p);
	tlib_write(path, L("2026-01-04T00:00:00Z", 7)
	    "{\"@timestamp\":\"2026-01-04T00:00:01Z\",\"fimd\":{\"seq\":8}}",
	    (size_t)-1);
	assert_int_equal(tail_filter_init(&f, NULL, NULL, NULL,
	    "2026-01-01T00:00:00Z", 0, &msg), 0);
	err = capture_stderr(run_tail, &a, &r);
	assert_int_equal(r, 0);
	assert_string_equal(err, "");
	free(err);
	assert_int_equal(s.n, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(s.seq[i], i + 3);
	seen_release(&s);
	tail_filter_release(&f);
	/* Without --since only the file itself is read. */
	memset(&s, 0, sizeof(s));
	s.ack_fd = -1;
	assert_int_equal(tail_filter_init(&f, NULL, NULL, NULL, NULL, 0,
	    &msg), 0);
	err = capture_stderr(run_tail, &a, &r);
	free(err);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 7);
	seen_release(&s);
	tail_filter_release(&f);
	tlib_rmrf(dir);
	free(dir);
	free(path);
}

static void
put_line(int fd, long seq, bool split)
{
	char line[128];
	int len, half;

	len = snprintf(line, sizeof(line),
	    "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"fimd\":{\"seq\":%ld,"
	    "\"severity\":\"low\"}}\n", seq);
	if (!split) {
		if (write(fd, line, (size_t)len) != len)
			_exit(3);
		return;
	}
	/* A line caught half written. */
	half = len / 2;
	if (write(fd, line, (size_t)half) != half)
		_exit(3);
	usleep(80 * 1000);
	if (write(fd, line + half, (size_t)(len - half)) != len - half)
		_exit(3);
}

static int
open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		_exit(2);
	return fd;
}

/* Wait until the reader has seen seq (-1: until it paused). */
static void
wait_ack(int ack_fd, long seq)
{
	static long acked;

	while (seq < 0 ? acked != -1 : acked < seq) {
		if (read(ack_fd, &acked, sizeof(acked)) !=
		    (ssize_t)sizeof(acked))
			_exit(5);
	}
}

/*
 * The writer: like the daemon with logrotate.  Returns in the child only
 * through _exit.
 */
static void
writer(const char *path, int ack_fd, int go_fd)
{
	char *p1 = tlib_fmt("%s.1", path), *p2 = tlib_fmt("%s.2", path);
	long seq = 0;
	int fd, fd2;

	usleep(300 * 1000);		/* the reader waits for the file */
	fd = open_append(path);
	while (++seq <= 100)
		put_line(fd, seq, seq % 25 == 0);
	seq--;
	/* logrotate renames; the daemon writes on until it reopens. */
	if (rename(path, p1) < 0)
		_exit(4);
	while (seq < 120)
		put_line(fd, ++seq, false);
	usleep(300 * 1000);
	fd2 = open_append(path);	/* create: new and empty */
	usleep(300 * 1000);
	while (++seq <= 130)
		put_line(fd, seq, seq == 130);
	seq--;
	close(fd);			/* the reopen */
	fd = fd2;
	put_line(fd, ++seq, false);
	/* Once the reader is on the new file, rotate again at once. */
	wait_ack(ack_fd, seq);
	while (seq < 200)
		put_line(fd, ++seq, false);
	if (rename(path, p2) < 0)
		_exit(4);
	close(fd);
	fd = open_append(path);
	while (seq < 250)
		put_line(fd, ++seq, false);
	/* copytruncate: only safe once everything was read. */
	wait_ack(ack_fd, 250);
	if (ftruncate(fd, 0) < 0)
		_exit(6);
	while (++seq <= 260)
		put_line(fd, seq, seq == 255);
	seq--;
	/*
	 * Truncated and written past the old size between two polls: the
	 * size alone cannot tell, the bytes before the offset can.
	 */
	wait_ack(ack_fd, -1);
	if (ftruncate(fd, 0) < 0)
		_exit(6);
	while (seq < 320)
		put_line(fd, ++seq, false);
	if (write(go_fd, "g", 1) != 1)
		_exit(7);
	close(fd);
	_exit(0);
}

static void
test_follow_rotation(void **state)
{
	struct seen s = { .last = 320, .pause_at = 260 };
	struct tail_ops ops = { .line = on_line, .idle = on_idle, .arg = &s };
	struct tail_filter f;
	const char *msg;
	char *dir, *path;
	int ack[2], go[2], st, i;
	pid_t pid;

	(void)state;
	dir = tlib_mkdtemp("tail");
	path = tlib_fmt("%s/alerts.json", dir);
	assert_int_equal(pipe(ack), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ack[1]);
		close(go[0]);
		writer(path, ack[0], go[1]);
	}
	close(ack[0]);
	close(go[1]);
	s.ack_fd = ack[1];
	s.go_fd = go[0];
	s.deadline = tlib_now() + 30;
	assert_int_equal(tail_filter_init(&f, NULL, NULL, NULL, NULL, 0,
	    &msg), 0);
	assert_int_equal(tail_run(path, &f, true, 200, &ops), 0);
	close(ack[1]);
	close(go[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* Every line once, in order: no loss, no repeat. */
	for (i = 1; i < s.n; i++) {
		if (s.seq[i] != s.seq[i - 1] + 1)
			print_message("after %ld came %ld\n", s.seq[i - 1],
			    s.seq[i]);
	}
	if (s.n > 0 && s.n != 320)
		print_message("first %ld last %ld\n", s.seq[0], s.seq[s.n - 1]);
	assert_int_equal(s.n, 320);
	for (i = 0; i < s.n; i++)
		assert_int_equal(s.seq[i], i + 1);
	assert_false(s.disorder);
	seen_release(&s);
	tail_filter_release(&f);
	tlib_rmrf(dir);
	free(dir);
	free(path);
}

static void
test_follow_stops_on_idle(void **state)
{
	struct seen s = { .ack_fd = -1, .go_fd = -1 };
	struct tail_ops ops = { .line = on_line, .idle = on_idle, .arg = &s };
	struct tail_filter f;
	const char *msg;
	char *dir, *path;
	double t0;

	(void)state;
	dir = tlib_mkdtemp("tail");
	path = tlib_fmt("%s/alerts.json", dir);
	tlib_write(path, "{\"fimd\":{\"seq\":1}}\n", (size_t)-1);
	assert_int_equal(tail_filter_init(&f, NULL, NULL, NULL, NULL, 0,
	    &msg), 0);
	/* The idle hook runs at least every poll period. */
	t0 = tlib_now();
	s.deadline = t0 + 0.5;
	assert_int_equal(tail_run(path, &f, true, 200, &ops), 0);
	assert_true(tlib_now() - t0 >= 0.5);
	assert_true(tlib_now() - t0 < 1.5);
	assert_int_equal(s.n, 1);
	seen_release(&s);
	tail_filter_release(&f);
	tlib_rmrf(dir);
	free(dir);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_filter_init_errors),
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_filter_host),
		cmocka_unit_test(test_read_existing),
		cmocka_unit_test(test_since_rotated),
		cmocka_unit_test(test_follow_rotation),
		cmocka_unit_test(test_follow_stops_on_idle),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("tail", tests, NULL, NULL);
}
