/*
 * Reading alerts back: the human rendering of an alert object (--check,
 * --tail) and the seq to continue an existing alert file, or its newest
 * rotation, from.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "alert.h"
#include "pathenc.h"
#include "timefmt.h"
#include "xmalloc.h"

/* How much of an alert file's end is read first, and at most. */
#define TAIL_FIRST	((off_t)64 << 10)
#define TAIL_MAX	((off_t)8 << 20)

static const char *
get_str(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/*
 * Text for a terminal: control characters (C0, DEL, C1) and bidi
 * controls shown as \xHH, since any user can choose a file name.
 */
static int
add_visible(struct buf *out, const char *s)
{
	return pathenc_visible(s, strlen(s), out);
}

/*
 * "2026-11-24T11:24:06.123456Z" as "2026-11-24 13:24:06 +0200" (local) or
 * "2026-11-24 11:24:06 UTC"; a stamp that does not parse is shown as is.
 */
static int
add_time(struct buf *out, const char *ts, bool utc)
{
	char t[TIMEFMT_HUMAN_LEN];
	int64_t us;

	if (ts == NULL)
		return buf_adds(out, "-");
	if (timefmt_parse(ts, &us) < 0)
		return add_visible(out, ts);
	timefmt_human(us, utc, t);
	return buf_adds(out, t);
}

static int
add_changed(struct buf *out, const json_t *fimd)
{
	const json_t *list = json_object_get(fimd, "changed_attributes");
	const json_t *v;
	size_t i;
	int r = 0;

	if (json_array_size(list) == 0)
		return 0;
	r |= buf_adds(out, " (");
	json_array_foreach(list, i, v) {
		if (i > 0)
			r |= buf_adds(out, ", ");
		if (json_is_string(v))
			r |= add_visible(out, json_string_value(v));
	}
	r |= buf_addc(out, ')');
	return r;
}

static int
add_process(struct buf *out, const json_t *alert)
{
	const json_t *p = json_object_get(alert, "process");
	const char *name = get_str(p, "name", NULL);
	const char *user = get_str(alert, "user", "name");
	int r = 0;

	if (p == NULL)
		return 0;
	r |= buf_adds(out, " by ");
	r |= add_visible(out, name != NULL ? name : "?");
	r |= buf_addf(out, "[%" JSON_INTEGER_FORMAT "]",
	    json_integer_value(json_object_get(p, "pid")));
	if (user != NULL) {
		r |= buf_adds(out, " as ");
		r |= add_visible(out, user);
	}
	return r;
}

/* fimd.diff, a line each, indented; or why there is none. */
static int
add_diff(struct buf *out, const json_t *fimd)
{
	const char *d = get_str(fimd, "diff", NULL);
	const char *skipped = get_str(fimd, "diff_skipped", NULL);
	const char *nl;
	int r = 0;

	if (skipped != NULL) {
		r |= buf_adds(out, "\n  diff: ");
		r |= add_visible(out, skipped);
	}
	for (; d != NULL && *d != '\0'; d = nl != NULL ? nl + 1 : "") {
		nl = strchr(d, '\n');
		r |= buf_adds(out, "\n    ");
		r |= pathenc_visible(d, nl != NULL ? (size_t)(nl - d) :
		    strlen(d), out);
	}
	return r;
}

static int
add_verbose(struct buf *out, const json_t *alert)
{
	const json_t *changes, *c;
	const char *attr, *o, *n;
	size_t i;
	int r = 0;

	changes = json_object_get(json_object_get(alert, "fimd"), "changes");
	json_array_foreach(changes, i, c) {
		attr = get_str(c, "attribute", NULL);
		o = get_str(c, "old", NULL);
		n = get_str(c, "new", NULL);
		r |= buf_adds(out, "\n  ");
		r |= add_visible(out, attr != NULL ? attr : "?");
		r |= buf_adds(out, ": ");
		r |= add_visible(out, o != NULL ? o : "");
		r |= buf_adds(out, " -> ");
		r |= add_visible(out, n != NULL ? n : "");
	}
	r |= add_diff(out, json_object_get(alert, "fimd"));
	return r;
}

static json_int_t
num(const json_t *fimd, const char *key)
{
	return json_integer_value(json_object_get(fimd, key));
}

/* The rest of a started, stopped or checkpoint line, from its fields. */
static int
add_state(struct buf *out, const char *action, const json_t *fimd)
{
	const char *backend = get_str(fimd, "backend", NULL);
	const char *reason = get_str(fimd, "reason", NULL);
	int r = 0;

	r |= add_visible(out, action);
	if (strcmp(action, "stopped") == 0) {
		r |= buf_adds(out, " (");
		r |= add_visible(out, reason != NULL ? reason : "?");
		return r | buf_addf(out, "): %" JSON_INTEGER_FORMAT " alerts, %"
		    JSON_INTEGER_FORMAT " files", num(fimd, "alerts"),
		    num(fimd, "files"));
	}
	r |= buf_adds(out, strcmp(action, "started") == 0 ? " with " : ": ");
	if (strcmp(action, "checkpoint") == 0)
		r |= buf_addf(out, "%" JSON_INTEGER_FORMAT " files, ",
		    num(fimd, "files"));
	r |= add_visible(out, backend != NULL ? backend : "?");
	r |= buf_addf(out, ", %" JSON_INTEGER_FORMAT " rules",
	    num(fimd, "rules"));
	if (strcmp(action, "checkpoint") == 0)
		r |= buf_addf(out, ", %" JSON_INTEGER_FORMAT " open gaps, %"
		    JSON_INTEGER_FORMAT " alerts since the last",
		    num(fimd, "open_gaps"), num(fimd, "alerts"));
	else
		r |= buf_addf(out, ", a checkpoint every %" JSON_INTEGER_FORMAT
		    " s", num(fimd, "heartbeat"));
	return r;
}

static bool
is_state(const char *action)
{
	return strcmp(action, "started") == 0 ||
	    strcmp(action, "stopped") == 0 ||
	    strcmp(action, "checkpoint") == 0;
}

int
alert_human(const json_t *alert, unsigned flags, struct buf *out)
{
	const json_t *fimd = json_object_get(alert, "fimd");
	const char *action = get_str(alert, "event", "action");
	const char *sev = get_str(fimd, "severity", NULL);
	const char *path = get_str(alert, "file", "path");
	const char *prev = get_str(fimd, "previous", "path");
	const char *reason = get_str(fimd, "reason", NULL);
	size_t old = out->len;
	int r = 0;

	if (action == NULL)
		action = "?";
	r |= add_time(out, get_str(alert, "@timestamp", NULL),
	    (flags & ALERT_HUMAN_UTC) != 0);
	r |= buf_addc(out, ' ');
	r |= add_visible(out, sev != NULL ? sev : "info");
	r |= buf_addc(out, ' ');
	if (is_state(action) && json_object_get(alert, "file") == NULL) {
		r |= add_state(out, action, fimd);
		goto out;
	}
	r |= add_visible(out, action);
	r |= buf_addc(out, ' ');
	if ((strncmp(action, "window_", 7) == 0 ||
	    json_object_get(fimd, "entity") != NULL) &&
	    json_object_get(alert, "file") == NULL) {
		/* A window's record, a port, a package: the message. */
		r |= add_visible(out, get_str(alert, "message", NULL) != NULL ?
		    get_str(alert, "message", NULL) : "?");
		goto out;
	}
	if (prev != NULL) {
		r |= add_visible(out, prev);
		r |= buf_adds(out, " -> ");
	}
	if (path == NULL && json_object_get(alert, "file") == NULL &&
	    (strcmp(action, "gap") == 0 || strcmp(action, "reconciled") == 0))
		path = get_str(fimd, "scope", NULL) != NULL ?
		    get_str(fimd, "scope", NULL) : "every watched path";
	r |= add_visible(out, path != NULL ? path : "?");
	if (strcmp(action, "reconciled") == 0)
		r |= buf_addf(out, ": %" JSON_INTEGER_FORMAT " changes",
		    json_integer_value(json_object_get(fimd, "count")));
	if (reason != NULL) {
		r |= buf_adds(out, strcmp(action, "gap") == 0 ? ": " : " (");
		r |= add_visible(out, reason);
		if (strcmp(action, "gap") != 0)
			r |= buf_addc(out, ')');
	}
	r |= add_changed(out, fimd);
	if (strcmp(action, "accepted") == 0 && get_str(fimd, "accepted",
	    "reason") != NULL) {
		r |= buf_adds(out, ": ");
		r |= add_visible(out, get_str(fimd, "accepted", "reason"));
	}
	if (json_is_object(json_object_get(fimd, "window")))
		r |= buf_addf(out, " [window %" JSON_INTEGER_FORMAT "]",
		    json_integer_value(json_object_get(json_object_get(fimd,
		    "window"), "id")));
	r |= add_process(out, alert);
	if (flags & ALERT_HUMAN_VERBOSE)
		r |= add_verbose(out, alert);
out:
	if (r != 0) {
		buf_truncate(out, old);
		return -ENOSPC;
	}
	return 0;
}

/* fimd.seq of one line, or 0 when it is not an alert line. */
static uint64_t
line_seq(const char *p, size_t len)
{
	json_t *o, *v;
	json_int_t seq = 0;

	if ((o = json_loadb(p, len, 0, NULL)) == NULL)
		return 0;
	v = json_object_get(json_object_get(o, "fimd"), "seq");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		seq = json_integer_value(v);
	json_decref(o);
	return (uint64_t)seq;
}

/*
 * The seq of the last complete alert line in data[0..len), or 0.  A torn
 * last line (no newline: the disk filled mid-write) and lines that are
 * not alerts are passed over.  When data does not start at the file's
 * beginning its first line may be cut, so it is never used.
 */
static uint64_t
last_seq(const char *data, size_t len, bool whole)
{
	size_t end, start;
	uint64_t seq;

	end = len;
	while (end > 0 && data[end - 1] != '\n')
		end--;			/* drop the torn tail */
	while (end > 0) {
		start = end - 1;	/* data[start] is the '\n' */
		while (start > 0 && data[start - 1] != '\n')
			start--;
		if (start == 0 && !whole)
			return 0;
		if (end - 1 > start &&
		    (seq = line_seq(data + start, end - 1 - start)) > 0)
			return seq;
		end = start;
	}
	return 0;
}

/*
 * The last complete line of data[0..len), newline included, appended to
 * out; false when none ends there (or the one found may be cut).
 */
static bool
last_line(const char *data, size_t len, bool whole, struct buf *out)
{
	size_t end = len, start;

	while (end > 0 && data[end - 1] != '\n')
		end--;
	if (end == 0)
		return false;
	for (start = end - 1; start > 0 && data[start - 1] != '\n'; start--)
		;
	if (start == 0 && !whole)
		return false;
	return buf_add(out, data + start, end - start) == 0;
}

/* Read from..size of fd into a new buffer; *ret_len: bytes read. */
static char *
read_from(int fd, off_t from, off_t size, size_t *ret_len)
{
	size_t want = (size_t)(size - from), got;
	char *data = xmalloc(want + 1);
	ssize_t n;

	for (got = 0; got < want; got += (size_t)n) {
		n = pread(fd, data + got, want - got, from + (off_t)got);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	*ret_len = got;
	return data;
}

/* Whether fd starts with gzip's magic (a compressed rotation). */
static bool
is_gzip(int fd)
{
	unsigned char m[2];

	return pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m) &&
	    m[0] == 0x1f && m[1] == 0x8b;
}

/*
 * Drop the front of data[0..*len) so that about half of TAIL_MAX is
 * left, cut after a newline; *whole: whether the first line left is
 * complete (false when no newline allowed a cut: one huge line).
 */
static void
keep_end(char *data, size_t *len, bool *whole)
{
	size_t keep = (size_t)TAIL_MAX / 2, mark = *len - keep, cut;
	const char *nl;

	if ((nl = memchr(data + mark, '\n', keep)) != NULL ||
	    (nl = memrchr(data, '\n', mark)) != NULL) {
		cut = (size_t)(nl - data) + 1;
		*whole = true;
	} else {
		cut = *len;
		*whole = false;
	}
	memmove(data, data + cut, *len - cut);
	*len -= cut;
}

/*
 * A gzip file's end, decompressed as a stream (it cannot be read from
 * its end): at most about TAIL_MAX kept.  A new buffer; *ret_len and
 * *ret_whole as last_seq() wants them.
 */
static char *
read_gz_end(int fd, size_t *ret_len, bool *ret_whole)
{
	size_t cap = (size_t)TAIL_MAX + (64 << 10), len = 0;
	char *data = xmalloc(cap);
	bool whole = true;
	gzFile gz;
	int n;

	*ret_len = 0;
	*ret_whole = true;
	if ((fd = dup(fd)) < 0)
		return data;
	if ((gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		return data;
	}
	while ((n = gzread(gz, data + len, (unsigned)(cap - len))) > 0) {
		len += (size_t)n;
		if (len > (size_t)TAIL_MAX)
			keep_end(data, &len, &whole);
	}
	/* A damaged member ends the read: what came before still counts. */
	gzclose(gz);
	*ret_len = len;
	*ret_whole = whole;
	return data;
}

uint64_t
alert_file_tail(const char *path, struct buf *out)
{
	struct stat st;
	off_t want, from;
	char *data = NULL;
	uint64_t seq = 0;
	size_t got;
	bool have_line = false;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW |
	    O_NONBLOCK)) < 0)
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		goto out;
	if (is_gzip(fd)) {
		data = read_gz_end(fd, &got, &have_line);
		if (out != NULL)
			(void)last_line(data, got, have_line, out);
		seq = last_seq(data, got, have_line);
		goto out;
	}
	/* Only the end is read: alert files grow to gigabytes. */
	for (want = TAIL_FIRST; ; want *= 2) {
		from = st.st_size > want ? st.st_size - want : 0;
		free(data);
		data = read_from(fd, from, st.st_size, &got);
		if (!have_line && out != NULL)
			have_line = last_line(data, got, from == 0, out);
		if ((seq = last_seq(data, got, from == 0)) > 0 ||
		    from == 0 || want >= TAIL_MAX)
			break;
	}
out:
	free(data);
	close(fd);
	return seq > 0 && seq < UINT64_MAX ? seq + 1 : 1;
}

bool
alert_rotation_name(const char *path, unsigned n, struct buf *name,
    struct stat *st)
{
	buf_reset(name);
	if (buf_addf(name, "%s.%u", path, n) < 0)
		return false;
	if (stat(name->data, st) == 0)
		return true;
	return buf_adds(name, ".gz") == 0 && stat(name->data, st) == 0;
}

uint64_t
alert_stream_tail(const char *path, struct buf *out)
{
	struct buf name;
	struct stat st;
	uint64_t seq;

	if (stat(path, &st) == 0 ? !S_ISREG(st.st_mode) || st.st_size > 0 :
	    errno != ENOENT)
		return alert_file_tail(path, out);
	buf_init(&name, BUF_MAX_DEFAULT);
	if (alert_rotation_name(path, 1, &name, &st) && S_ISREG(st.st_mode))
		seq = alert_file_tail(name.data, out);
	else
		seq = alert_file_tail(path, out);
	buf_release(&name);
	return seq;
}

uint64_t
alert_file_next_seq(const char *path)
{
	return alert_file_tail(path, NULL);
}
