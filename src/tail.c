/*
 * Reading the alert file, filtered, and following it across rotation;
 * see tail.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "alert.h"
#include "buf.h"
#include "parse.h"
#include "pathenc.h"
#include "severity.h"
#include "tail.h"
#include "timefmt.h"
#include "xmalloc.h"

/* One alert line longer than this is skipped. */
#define TAIL_MAX_LINE	((size_t)16 << 20)
/* Bytes remembered before the read offset, to notice a rewrite. */
#define TAIL_FINGERPRINT 64

/* ---- filter ---- */

int
tail_filter_init(struct tail_filter *f, const char *rule,
    const char *severity, const char *prefix, const char *since,
    time_t now, const char **errmsg)
{
	uint64_t secs;
	size_t len;
	int s;

	memset(f, 0, sizeof(*f));
	f->min_severity = -1;
	if (severity != NULL) {
		if ((s = severity_from_name(severity)) < 0) {
			*errmsg = "--severity: not one of low, medium, high, "
			    "critical";
			return -EINVAL;
		}
		f->min_severity = s;
	}
	if (since != NULL) {
		if (timefmt_parse(since, &f->since_us) < 0) {
			if (parse_duration(since, &secs) < 0 ||
			    secs > (uint64_t)INT32_MAX * 100) {
				*errmsg = "--since: not an RFC 3339 time "
				    "(2026-11-24T11:24:06Z) or a duration "
				    "(10m, 2h, 1d)";
				return -EINVAL;
			}
			f->since_us = ((int64_t)now - (int64_t)secs) * 1000000;
		}
		f->has_since = true;
	}
	if (prefix != NULL) {
		len = strlen(prefix);
		/* "/etc/" and "/etc" mean the same tree; "/" all. */
		while (len > 1 && prefix[len - 1] == '/')
			len--;
		if (len == 0) {
			*errmsg = "--prefix: empty path";
			return -EINVAL;
		}
		f->prefix = xmalloc(len + 1);
		memcpy(f->prefix, prefix, len);
		f->prefix[len] = '\0';
		f->prefixlen = len;
	}
	if (rule != NULL)
		f->rule = xstrdup(rule);
	return 0;
}

void
tail_filter_set_host(struct tail_filter *f, const char *host)
{
	free(f->host);
	f->host = host != NULL && host[0] != '\0' ? xstrdup(host) : NULL;
}

void
tail_filter_release(struct tail_filter *f)
{
	free(f->rule);
	free(f->prefix);
	free(f->host);
	memset(f, 0, sizeof(*f));
}

static const json_t *
get2(const json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

static int
alert_severity(const json_t *alert)
{
	const json_t *v;
	json_int_t n;
	int s;

	v = get2(alert, "fimd", "severity");
	if (json_is_string(v) &&
	    (s = severity_from_name(json_string_value(v))) >= 0)
		return s;
	/* ECS numbers: 21, 47, 73, 99. */
	v = get2(alert, "event", "severity");
	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	for (s = SEVERITY_CRITICAL; s > SEVERITY_LOW; s--) {
		if (n >= severity_ecs((enum severity)s))
			break;
	}
	return s;
}

static bool
under_prefix(const struct tail_filter *f, const char *path, size_t len)
{
	if (len < f->prefixlen || memcmp(path, f->prefix, f->prefixlen) != 0)
		return false;
	return len == f->prefixlen || path[f->prefixlen] == '/' ||
	    (f->prefixlen == 1 && f->prefix[0] == '/');
}

/*
 * A path of the alert as bytes into b: the escaped form wins when
 * present.  false when there is none.
 */
static bool
path_bytes(const json_t *plain, const json_t *escaped, struct buf *b)
{
	if (json_is_string(escaped))
		return pathenc_unescape(json_string_value(escaped),
		    json_string_length(escaped), b) == 0;
	return json_is_string(plain) && buf_add(b, json_string_value(plain),
	    json_string_length(plain)) == 0;
}

static bool
path_under(const struct tail_filter *f, const json_t *plain,
    const json_t *escaped)
{
	struct buf b;
	bool ok;

	buf_init(&b, BUF_MAX_DEFAULT);
	ok = path_bytes(plain, escaped, &b) && under_prefix(f, b.data, b.len);
	buf_release(&b);
	return ok;
}

/*
 * A gap or reconciled record is about its scope and all below: kept when
 * the scope is under the prefix or the prefix is under the scope.
 */
static bool
scope_touches(const struct tail_filter *f, const json_t *fimd)
{
	struct buf b;
	bool ok;

	buf_init(&b, BUF_MAX_DEFAULT);
	ok = path_bytes(json_object_get(fimd, "scope"),
	    json_object_get(fimd, "scope_escaped"), &b) &&
	    (under_prefix(f, b.data, b.len) || (b.len <= f->prefixlen &&
	    memcmp(f->prefix, b.data, b.len) == 0 && (b.len == f->prefixlen ||
	    f->prefix[b.len] == '/' || (b.len == 1 && b.data[0] == '/'))));
	buf_release(&b);
	return ok;
}

bool
tail_filter_match(const struct tail_filter *f, const json_t *alert)
{
	const json_t *v, *prev;
	int64_t t;

	if (f->rule != NULL) {
		v = get2(alert, "rule", "name");
		if (!json_is_string(v) || strcmp(json_string_value(v),
		    f->rule) != 0)
			return false;
	}
	/* Host names, as DNS names, are the same in either case. */
	if (f->host != NULL) {
		v = get2(alert, "host", "name");
		if (!json_is_string(v) || strcasecmp(json_string_value(v),
		    f->host) != 0)
			return false;
	}
	if (f->min_severity >= 0 && alert_severity(alert) < f->min_severity)
		return false;
	if (f->has_since) {
		v = json_object_get(alert, "@timestamp");
		if (!json_is_string(v) ||
		    timefmt_parse(json_string_value(v), &t) < 0 ||
		    t < f->since_us)
			return false;
	}
	/*
	 * A record with no file section (a gap of every watched path, the
	 * daemon's started, stopped and checkpoint) is about every path;
	 * a gap's scope is about itself and what is below it.
	 */
	if (f->prefix != NULL && json_object_get(json_object_get(alert,
	    "fimd"), "scope") != NULL)
		return scope_touches(f, json_object_get(alert, "fimd"));
	if (f->prefix != NULL && json_object_get(alert, "file") != NULL) {
		/* A move is about both its ends. */
		prev = json_object_get(json_object_get(alert, "fimd"),
		    "previous");
		if (!path_under(f, get2(alert, "file", "path"),
		    get2(alert, "fimd", "path_escaped")) &&
		    !path_under(f, json_object_get(prev, "path"),
		    json_object_get(prev, "path_escaped")))
			return false;
	}
	return true;
}

/* ---- reading ---- */

struct reader {
	const char *path;
	const struct tail_filter *f;
	const struct tail_ops *ops;
	int	 fd;
	dev_t	 dev;
	ino_t	 ino;
	off_t	 off;		/* bytes read from fd */
	size_t	 lineno;	/* of the line being assembled */
	struct buf line;
	/* The last bytes read, which must still be there at off - nfp. */
	char	 fp[TAIL_FINGERPRINT];
	size_t	 nfp;
	bool	 overlong;	/* discarding to the next newline */
	bool	 stop;
};

static void
process_line(struct reader *rd, const char *s, size_t len)
{
	json_error_t jerr;
	json_t *alert;

	rd->lineno++;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len == 0)
		return;
	alert = json_loadb(s, len, 0, &jerr);
	if (alert == NULL || !json_is_object(alert)) {
		fprintf(stderr, "fimd: %s:%zu: not a JSON alert, skipped\n",
		    rd->path, rd->lineno);
		json_decref(alert);
		return;
	}
	if (tail_filter_match(rd->f, alert) &&
	    rd->ops->line(s, len, alert, rd->ops->arg) != 0)
		rd->stop = true;
	json_decref(alert);
}

static void
feed(struct reader *rd, const char *p, size_t n)
{
	const char *nl;
	size_t k;

	while (n > 0 && !rd->stop) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		if (!rd->overlong && buf_add(&rd->line, p, k) < 0) {
			fprintf(stderr, "fimd: %s:%zu: line longer than %zu "
			    "bytes, skipped\n", rd->path, rd->lineno + 1,
			    TAIL_MAX_LINE);
			rd->overlong = true;
			buf_reset(&rd->line);
		}
		if (nl == NULL)
			return;
		if (rd->overlong) {
			rd->lineno++;
			rd->overlong = false;
		} else
			process_line(rd, rd->line.data, rd->line.len);
		buf_reset(&rd->line);
		p += k + 1;
		n -= k + 1;
	}
}

/* A last line without its newline, at the end of a file left behind. */
static void
flush_partial(struct reader *rd)
{
	if (rd->line.len > 0 && !rd->overlong && !rd->stop)
		process_line(rd, rd->line.data, rd->line.len);
	buf_reset(&rd->line);
	rd->overlong = false;
}

static void
remember(struct reader *rd, const char *p, size_t n)
{
	size_t keep;

	if (n >= TAIL_FINGERPRINT) {
		memcpy(rd->fp, p + n - TAIL_FINGERPRINT, TAIL_FINGERPRINT);
		rd->nfp = TAIL_FINGERPRINT;
		return;
	}
	keep = rd->nfp + n > TAIL_FINGERPRINT ? TAIL_FINGERPRINT - n :
	    rd->nfp;
	memmove(rd->fp, rd->fp + rd->nfp - keep, keep);
	memcpy(rd->fp + keep, p, n);
	rd->nfp = keep + n;
}

/*
 * Whether the bytes before the offset are still those read: a file
 * truncated and written again past the old offset between two polls
 * has the same inode and no smaller size, only other bytes.
 */
static bool
rewritten(const struct reader *rd)
{
	char now[TAIL_FINGERPRINT];
	ssize_t n;

	if (rd->nfp == 0)
		return false;
	n = pread(rd->fd, now, rd->nfp, rd->off - (off_t)rd->nfp);
	return n != (ssize_t)rd->nfp || memcmp(now, rd->fp, rd->nfp) != 0;
}

/* Read fd to its current end. */
static int
drain(struct reader *rd)
{
	char chunk[65536];
	ssize_t n;

	while (!rd->stop) {
		n = read(rd->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		rd->off += n;
		remember(rd, chunk, (size_t)n);
		feed(rd, chunk, (size_t)n);
	}
	return 0;
}

static int
open_file(struct reader *rd, int *ret_fd, struct stat *st)
{
	int fd, err;

	memset(st, 0, sizeof(*st));
	if ((fd = open(rd->path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno > 0 ? -errno : -EIO;
	if (fstat(fd, st) < 0) {
		err = errno > 0 ? errno : EIO;
		close(fd);
		return -err;
	}
	*ret_fd = fd;
	return 0;
}

static void
take_fd(struct reader *rd, int fd, const struct stat *st)
{
	rd->fd = fd;
	rd->dev = st->st_dev;
	rd->ino = st->st_ino;
	rd->off = 0;
	rd->nfp = 0;
	rd->lineno = 0;
	buf_reset(&rd->line);
	rd->overlong = false;
}

/*
 * After a poll: has the path been truncated or replaced?  A replaced
 * file is taken only once it holds data: the writer writes to the old
 * file until it reopens, and writes to the new one only after, so when
 * the new one is not empty the old one is complete and is read to its
 * end first.
 */
static int
check_rotation(struct reader *rd)
{
	struct stat st;
	int fd = -1, r;

	if (stat(rd->path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (st.st_dev == rd->dev && st.st_ino == rd->ino) {
		if (st.st_size < rd->off || rewritten(rd)) {
			/* Truncated in place (copytruncate). */
			if (lseek(rd->fd, 0, SEEK_SET) < 0)
				return -errno;
			take_fd(rd, rd->fd, &st);
		}
		return 0;
	}
	if ((r = open_file(rd, &fd, &st)) < 0)
		return r == -ENOENT ? 0 : r;
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	if ((r = drain(rd)) < 0) {
		close(fd);
		return r;
	}
	flush_partial(rd);
	close(rd->fd);
	take_fd(rd, fd, &st);
	return 0;
}

/* Watch the directory so new lines wake us before the poll period. */
static int
watch_dir(const char *path)
{
	char *dir, *slash;
	int fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -1;
	if (strchr(path, '/') == NULL)
		dir = xstrdup(".");
	else
		dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		;
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_CLOSE_WRITE) < 0) {
		close(fd);
		fd = -1;
	}
	free(dir);
	return fd;
}

static void
wait_poll(int ifd, unsigned poll_ms)
{
	struct pollfd pfd = { .fd = ifd, .events = POLLIN };
	char ev[4096];

	if (ifd < 0) {
		(void)poll(NULL, 0, (int)poll_ms);
		return;
	}
	if (poll(&pfd, 1, (int)poll_ms) > 0) {
		while (read(ifd, ev, sizeof(ev)) > 0)
			;
	}
}

static bool
idle(const struct tail_ops *ops)
{
	return ops->idle != NULL && ops->idle(ops->arg) != 0;
}

/* ---- rotated files, for a start time ---- */

/* Rotations looked for: logrotate's "rotate" count rarely passes 100. */
#define TAIL_MAX_ROTATED	1000

/* One rotated file, plain or gzip (zlib reads both), through the filter. */
static int
read_rotated(struct reader *rd, const char *name)
{
	char chunk[65536];
	gzFile gz;
	int fd, n, err;

	if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : -errno;
	if ((gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	rd->path = name;
	rd->lineno = 0;
	while (!rd->stop && (n = gzread(gz, chunk, sizeof(chunk))) > 0)
		feed(rd, chunk, (size_t)n);
	(void)gzerror(gz, &err);
	if (err != Z_OK && err != Z_BUF_ERROR && !rd->stop)
		fprintf(stderr, "fimd: %s: %s, the rest skipped\n", name,
		    gzerror(gz, &err));
	flush_partial(rd);
	gzclose(gz);
	return 0;
}

/*
 * Before path itself, its rotations, oldest first; one last written
 * before the start time holds nothing newer and is not opened.
 */
static int
read_rotations(struct reader *rd)
{
	const char *path = rd->path;
	struct buf name;
	struct stat st;
	unsigned n, last = 0;
	int r = 0;

	buf_init(&name, BUF_MAX_DEFAULT);
	while (last < TAIL_MAX_ROTATED && alert_rotation_name(path, last + 1,
	    &name, &st))
		last++;
	for (n = last; n >= 1 && r == 0 && !rd->stop; n--) {
		if (!alert_rotation_name(path, n, &name, &st) ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((int64_t)st.st_mtime * 1000000 + 999999 <
		    rd->f->since_us)
			continue;
		r = read_rotated(rd, name.data);
	}
	rd->path = path;
	rd->lineno = 0;
	buf_release(&name);
	return r;
}

int
tail_run(const char *path, const struct tail_filter *f, bool follow,
    unsigned poll_ms, const struct tail_ops *ops)
{
	struct reader rd = { .path = path, .f = f, .ops = ops, .fd = -1 };
	struct stat st;
	int ifd = -1, fd = -1, r;

	if (poll_ms == 0 || poll_ms > TAIL_POLL_MS)
		poll_ms = TAIL_POLL_MS;
	buf_init(&rd.line, TAIL_MAX_LINE);
	if (strcmp(path, "-") == 0) {
		rd.path = "(stdin)";
		rd.fd = STDIN_FILENO;
		r = drain(&rd);
		flush_partial(&rd);
		buf_release(&rd.line);
		return r;
	}
	if (f->has_since && ((r = read_rotations(&rd)) < 0 || rd.stop))
		goto out;
	if (follow)
		ifd = watch_dir(path);
	while ((r = open_file(&rd, &fd, &st)) == -ENOENT && follow) {
		if (idle(ops)) {
			r = 0;
			goto out;
		}
		wait_poll(ifd, poll_ms);
	}
	if (r < 0)
		goto out;
	take_fd(&rd, fd, &st);
	for (;;) {
		if ((r = drain(&rd)) < 0 || rd.stop)
			break;
		if (!follow) {
			flush_partial(&rd);
			break;
		}
		if (idle(ops))
			break;
		wait_poll(ifd, poll_ms);
		if ((r = check_rotation(&rd)) < 0 || rd.stop)
			break;
	}
out:
	if (rd.fd >= 0)
		close(rd.fd);
	if (ifd >= 0)
		close(ifd);
	buf_release(&rd.line);
	return r;
}
