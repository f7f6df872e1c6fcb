/*
 * The system log sinks: syslog and journald's native protocol.
 *
 * Syslog messages have the header syslog(3) writes to /dev/log by
 * default, "<PRI>Mmm dd hh:mm:ss fimd[PID]: ", because that is what a
 * stock host's readers of that socket parse: journald, and rsyslog's
 * imuxsock, which on an RFC 5424 header takes the version digit for
 * the program name.  RFC 5424 ("<PRI>1 TIMESTAMP HOST fimd PID ACTION -")
 * is the choice for receivers configured for it.
 *
 * Both receive the finished alert line and take from it what their
 * headers need (severity, action, path, rule, seq); the line itself is the
 * message body (MSG, or FIMD_JSON), so receivers parse the same ECS object
 * the alert file holds.  glibc's syslog(3) is not used: it cannot write
 * RFC 5424, and journald does not parse RFC 5424 on /dev/log.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "fileio.h"
#include "severity.h"
#include "sink.h"
#include "timefmt.h"
#include "xmalloc.h"

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define FACILITY_AUTHPRIV 10
/* Caps on one message: syslog receivers rarely take more than 1 MiB. */
#define SYSLOG_MSG_MAX	((size_t)1 << 22)
#define JOURNAL_ENTRY_MAX ((size_t)1 << 26)
/* "Nov 24 13:24:06" and room for any int the compiler imagines. */
#define STAMP_LEN	64

struct syslog_sink {
	char	*path;
	int	 fd;
	int	 type;		/* SOCK_DGRAM or SOCK_STREAM */
	bool	 rfc5424;
	char	 host[256];
};

/* What the headers need, borrowed from a parsed alert line. */
struct alert_fields {
	json_t	*obj;
	const char *action;
	const char *severity;
	const char *path;
	const char *rule;
	const char *message;
	const char *timestamp;
	json_int_t seq;
};

static void
fields_parse(const char *line, size_t len, struct alert_fields *f)
{
	json_t *fimd;

	memset(f, 0, sizeof(*f));
	f->obj = json_loadb(line, len, 0, NULL);
	fimd = json_object_get(f->obj, "fimd");
	f->action = json_string_value(json_object_get(
	    json_object_get(f->obj, "event"), "action"));
	f->severity = json_string_value(json_object_get(fimd, "severity"));
	f->path = json_string_value(json_object_get(
	    json_object_get(f->obj, "file"), "path"));
	f->rule = json_string_value(json_object_get(
	    json_object_get(f->obj, "rule"), "name"));
	f->message = json_string_value(json_object_get(f->obj, "message"));
	f->timestamp = json_string_value(json_object_get(f->obj,
	    "@timestamp"));
	f->seq = json_integer_value(json_object_get(fimd, "seq"));
}

static int
fields_priority(const struct alert_fields *f)
{
	int s;

	if (f->severity == NULL || (s = severity_from_name(f->severity)) < 0)
		return 6;	/* info: lifecycle records */
	return severity_syslog((enum severity)s);
}

static int
unix_connect(const char *path, int type)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static int
syslog_connect(struct syslog_sink *ss)
{
	int fd;

	if (ss->fd >= 0)
		return 0;
	fd = unix_connect(ss->path, SOCK_DGRAM);
	ss->type = SOCK_DGRAM;
	if (fd == -EPROTOTYPE) {
		fd = unix_connect(ss->path, SOCK_STREAM);
		ss->type = SOCK_STREAM;
	}
	if (fd < 0)
		return fd;
	ss->fd = fd;
	return 0;
}

static int
send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The local header's time: the alert's @timestamp in local time, as
 * syslog(3) writes it ("Nov 24 13:24:06", the day padded with a space);
 * the C locale's month names, since receivers parse English ones.
 */
static void
local_stamp(const char *timestamp, char out[STAMP_LEN])
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t us;
	time_t t;
	struct tm tm;

	if (timestamp == NULL || timefmt_parse(timestamp, &us) < 0)
		t = time(NULL);
	else
		t = (time_t)(us / 1000000);
	if (localtime_r(&t, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_mday = 1;
	}
	snprintf(out, STAMP_LEN, "%s %2d %02d:%02d:%02d",
	    months[(unsigned)tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

static int
syslog_header(const struct syslog_sink *ss, const struct alert_fields *f,
    struct buf *msg)
{
	int pri = FACILITY_AUTHPRIV * 8 + fields_priority(f);
	char stamp[STAMP_LEN];

	if (ss->rfc5424)
		return buf_addf(msg, "<%d>1 %s %s fimd %d %s - ", pri,
		    f->timestamp != NULL ? f->timestamp : "-", ss->host,
		    (int)getpid(), f->action != NULL ? f->action : "-");
	local_stamp(f->timestamp, stamp);
	return buf_addf(msg, "<%d>%s fimd[%d]: ", pri, stamp, (int)getpid());
}

/*
 * On a stream socket: RFC 5424 is framed by octet counting (RFC 6587),
 * the local form by a newline, as readers of a stream /dev/log take it
 * (the JSON line holds no raw newline).
 */
static int
send_stream(const struct syslog_sink *ss, const struct buf *msg)
{
	struct buf frame;
	int r;

	buf_init(&frame, SYSLOG_MSG_MAX + 32);
	if (ss->rfc5424)
		(void)buf_addf(&frame, "%zu ", msg->len);
	(void)buf_add(&frame, msg->data, msg->len);
	if (!ss->rfc5424)
		(void)buf_addc(&frame, '\n');
	r = send_all(ss->fd, frame.data, frame.len);
	buf_release(&frame);
	return r;
}

static int
syslog_write(struct sink *s, const char *line, size_t len)
{
	struct syslog_sink *ss = s->priv;
	struct alert_fields f;
	struct buf msg;
	int r, tries;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	fields_parse(line, len, &f);
	buf_init(&msg, SYSLOG_MSG_MAX);
	r = syslog_header(ss, &f, &msg);
	json_decref(f.obj);
	/* A message without its JSON body would be worse than none. */
	if (r < 0 || buf_add(&msg, line, len) < 0) {
		buf_release(&msg);
		return -EMSGSIZE;
	}
	for (tries = 0, r = -EIO; tries < 2; tries++) {
		if ((r = syslog_connect(ss)) < 0)
			break;
		if (ss->type == SOCK_DGRAM)
			r = send_all(ss->fd, msg.data, msg.len);
		else
			r = send_stream(ss, &msg);
		if (r == 0)
			break;
		close(ss->fd);	/* the receiver restarted: reconnect once */
		ss->fd = -1;
	}
	buf_release(&msg);
	return r;
}

static int
syslog_reopen(struct sink *s)
{
	struct syslog_sink *ss = s->priv;

	if (ss->fd >= 0)
		close(ss->fd);
	ss->fd = -1;
	return syslog_connect(ss);
}

static void
syslog_close(struct sink *s)
{
	struct syslog_sink *ss = s->priv;

	if (ss->fd >= 0)
		close(ss->fd);
	free(ss->path);
	free(ss);
}

static const struct sink_ops syslog_ops = {
	.name = "syslog",
	.write_line = syslog_write,
	.reopen = syslog_reopen,
	.close = syslog_close,
};

void
sink_syslog_set_host(struct sink *s, const char *name)
{
	struct syslog_sink *ss = s->priv;
	size_t i, len;

	if (name == NULL || (len = strlen(name)) == 0 ||
	    len >= sizeof(ss->host))
		return;
	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] <= 0x20 ||
		    (unsigned char)name[i] >= 0x7f)
			return;
	}
	memcpy(ss->host, name, len + 1);
}

int
sink_syslog_open(const char *path, bool rfc5424, struct sink **ret)
{
	struct syslog_sink *ss;
	struct sink *s;
	int r;

	ss = xcalloc(1, sizeof(*ss));
	ss->path = xstrdup(path);
	ss->fd = -1;
	ss->rfc5424 = rfc5424;
	if (gethostname(ss->host, sizeof(ss->host) - 1) < 0 ||
	    ss->host[0] == '\0')
		memcpy(ss->host, "-", 2);
	if ((r = syslog_connect(ss)) < 0) {
		free(ss->path);
		free(ss);
		return r;
	}
	s = xcalloc(1, sizeof(*s));
	s->ops = &syslog_ops;
	s->priv = ss;
	*ret = s;
	return 0;
}

/* ---- journald ---- */

struct journal_sink {
	char	*path;
	int	 fd;
};

/*
 * KEY=value, or the binary form (KEY, newline, 64-bit little-endian
 * length, the bytes) when binary is asked for or the value holds a
 * newline.  Returns 0 or -ENOSPC.
 */
static int
journal_field_as(struct buf *b, const char *key, const char *value,
    size_t len, bool binary)
{
	uint64_t le = len;
	unsigned char n[8];
	int i, r;

	if (value == NULL)
		return 0;
	if (!binary && memchr(value, '\n', len) == NULL) {
		if ((r = buf_addf(b, "%s=", key)) < 0 ||
		    (r = buf_add(b, value, len)) < 0)
			return r;
		return buf_addc(b, '\n');
	}
	for (i = 0; i < 8; i++)
		n[i] = (unsigned char)(le >> (8 * i));
	if ((r = buf_addf(b, "%s\n", key)) < 0 ||
	    (r = buf_add(b, n, 8)) < 0 ||
	    (r = buf_add(b, value, len)) < 0)
		return r;
	return buf_addc(b, '\n');
}

static int
journal_field(struct buf *b, const char *key, const char *value, size_t len)
{
	return journal_field_as(b, key, value, len, false);
}

/*
 * The entry for one alert.  Returns 0, or -ENOSPC when it would exceed
 * the buffer's cap: an entry is sent whole or not at all, never with
 * fields silently missing.
 */
static int
journal_fields(struct buf *b, const struct alert_fields *f, const char *line,
    size_t len)
{
	static const struct {
		const char *action;
		const char *id;
	} ids[] = {
		{ "created", "6c1ef3a24a0f4e3b9d3c6d1fa2b7c801" },
		{ "updated", "6c1ef3a24a0f4e3b9d3c6d1fa2b7c802" },
		{ "deleted", "6c1ef3a24a0f4e3b9d3c6d1fa2b7c803" },
		{ "moved", "6c1ef3a24a0f4e3b9d3c6d1fa2b7c804" },
		{ "attributes_modified", "6c1ef3a24a0f4e3b9d3c6d1fa2b7c805" },
		{ "gap", "6c1ef3a24a0f4e3b9d3c6d1fa2b7c806" },
		{ "reconciled", "6c1ef3a24a0f4e3b9d3c6d1fa2b7c807" },
	};
	char num[32];
	size_t i;
	int r = 0;

	if (f->message != NULL)
		r |= journal_field(b, "MESSAGE", f->message,
		    strlen(f->message));
	snprintf(num, sizeof(num), "%d", fields_priority(f));
	r |= journal_field(b, "PRIORITY", num, strlen(num));
	r |= journal_field(b, "SYSLOG_IDENTIFIER", "fimd", 4);
	for (i = 0; f->action != NULL && i < sizeof(ids) / sizeof(ids[0]); i++)
		if (strcmp(f->action, ids[i].action) == 0)
			r |= journal_field(b, "MESSAGE_ID", ids[i].id, 32);
	if (f->action != NULL)
		r |= journal_field(b, "FIMD_ACTION", f->action,
		    strlen(f->action));
	if (f->rule != NULL)
		r |= journal_field(b, "FIMD_RULE", f->rule, strlen(f->rule));
	if (f->path != NULL)
		r |= journal_field(b, "FIMD_PATH", f->path, strlen(f->path));
	if (f->severity != NULL)
		r |= journal_field(b, "FIMD_SEVERITY", f->severity,
		    strlen(f->severity));
	if (f->seq > 0) {
		snprintf(num, sizeof(num), "%lld", (long long)f->seq);
		r |= journal_field(b, "FIMD_SEQ", num, strlen(num));
	}
	/*
	 * The alert line is the payload receivers parse: always in the
	 * binary-safe form, whatever bytes it holds and however long.
	 */
	r |= journal_field_as(b, "FIMD_JSON", line, len, true);
	return r != 0 ? -ENOSPC : 0;
}

/* Too large for one datagram: pass a sealed memfd instead. */
static int
journal_send_memfd(int sock, const struct buf *b)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh;
	struct cmsghdr *cm;
	int mfd, r = 0;

	mfd = memfd_create("fimd-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	if (fileio_write_all(mfd, b->data, b->len) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		close(mfd);
		return -EIO;
	}
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mfd, sizeof(int));
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		r = -errno;
	close(mfd);
	return r;
}

static int
journal_write(struct sink *s, const char *line, size_t len)
{
	struct journal_sink *js = s->priv;
	struct alert_fields f;
	struct buf b;
	int r = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	fields_parse(line, len, &f);
	buf_init(&b, JOURNAL_ENTRY_MAX);
	r = journal_fields(&b, &f, line, len);
	json_decref(f.obj);
	if (r < 0) {
		buf_release(&b);
		return -EMSGSIZE;
	}
	if (send(js->fd, b.data, b.len, MSG_NOSIGNAL) < 0) {
		r = -errno;
		if (r == -EMSGSIZE || r == -ENOBUFS)
			r = journal_send_memfd(js->fd, &b);
	}
	buf_release(&b);
	return r;
}

static int
journal_reopen(struct sink *s)
{
	struct journal_sink *js = s->priv;
	int fd;

	if ((fd = unix_connect(js->path, SOCK_DGRAM)) < 0)
		return fd;
	close(js->fd);
	js->fd = fd;
	return 0;
}

static void
journal_close(struct sink *s)
{
	struct journal_sink *js = s->priv;

	close(js->fd);
	free(js->path);
	free(js);
}

static const struct sink_ops journal_ops = {
	.name = "journald",
	.write_line = journal_write,
	.reopen = journal_reopen,
	.close = journal_close,
};

int
sink_journal_open(const char *path, struct sink **ret)
{
	struct journal_sink *js;
	struct sink *s;
	int fd;

	if (path == NULL)
		path = JOURNAL_SOCKET;
	if ((fd = unix_connect(path, SOCK_DGRAM)) < 0)
		return fd;
	js = xcalloc(1, sizeof(*js));
	js->path = xstrdup(path);
	js->fd = fd;
	s = xcalloc(1, sizeof(*s));
	s->ops = &journal_ops;
	s->priv = js;
	*ret = s;
	return 0;
}
