/*
 * Diagnostics to stderr or syslog.  Each message is formatted into one
 * buffer and written with a single call so lines from the loop and the
 * hashing threads never interleave.
 *
 * Under systemd, stderr is a stream into the journal, which reads a
 * leading "<N>" as the line's syslog priority (sd-daemon(3)); without it
 * every line would be logged at the stream's default, and `journalctl -p
 * err` would find none.  JOURNAL_STREAM names the stream's device and
 * inode; the prefix is written only while stderr is still that stream,
 * so a redirected `fimd --check 2>file` under a unit stays plain.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "parse.h"

static enum log_level log_level = LOG_LEVEL_NORMAL;
static bool log_syslog;
static bool log_journal;	/* stderr is the journal's stream */
static int log_fatal_status = EXIT_IO_ERROR;

static void log_vwrite(int prio, const char *errstr, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* Whether JOURNAL_STREAM ("device:inode") is the file on stderr. */
static bool
stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM"), *colon;
	uint64_t dev, ino;
	struct stat st;
	char num[32];
	size_t n;

	if (v == NULL || (colon = strchr(v, ':')) == NULL)
		return false;
	if ((n = (size_t)(colon - v)) == 0 || n >= sizeof(num))
		return false;
	memcpy(num, v, n);
	num[n] = '\0';
	if (parse_uint(num, UINT64_MAX, &dev) < 0 ||
	    parse_uint(colon + 1, UINT64_MAX, &ino) < 0)
		return false;
	return fstat(STDERR_FILENO, &st) == 0 && (uint64_t)st.st_dev == dev &&
	    (uint64_t)st.st_ino == ino;
}

void
log_init(enum log_level level, bool use_syslog)
{
	log_level = level;
	if (use_syslog && !log_syslog)
		openlog("fimd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && log_syslog)
		closelog();
	log_syslog = use_syslog;
	log_journal = stderr_is_journal();
}

void
log_stderr(int prio, const char *fmt, ...)
{
	char line[2200];
	size_t off = 0, len;
	va_list ap;
	int n;

	if (log_journal)
		off = (size_t)snprintf(line, sizeof(line), "<%d>", prio & 7);
	va_start(ap, fmt);
	n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Cut to fit; the newline takes the place of the NUL. */
	len = off + (size_t)n;
	if (len > sizeof(line) - 1)
		len = sizeof(line) - 1;
	line[len] = '\n';
	(void)!write(STDERR_FILENO, line, len + 1);
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_set_fatal_status(int status)
{
	log_fatal_status = status;
}

static void
log_vwrite(int prio, const char *errstr, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (errstr != NULL)
			syslog(prio, "%s: %s", msg, errstr);
		else
			syslog(prio, "%s", msg);
		return;
	}
	if (errstr != NULL)
		log_stderr(prio, "fimd: %s: %s", msg, errstr);
	else
		log_stderr(prio, "fimd: %s", msg);
}

#define LOG_BODY(prio, errstr) do {				\
	va_list ap;						\
	va_start(ap, fmt);					\
	log_vwrite((prio), (errstr), fmt, ap);			\
	va_end(ap);						\
} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *errstr = strerror(errno);

	LOG_BODY(LOG_WARNING, errstr);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, NULL);
}

void
log_err(const char *fmt, ...)
{
	const char *errstr = strerror(errno);

	LOG_BODY(LOG_ERR, errstr);
}

void
log_errx(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, NULL);
}

void
log_notice(const char *fmt, ...)
{
	if (log_level < LOG_LEVEL_NORMAL)
		return;
	LOG_BODY(LOG_NOTICE, NULL);
}

void
log_info(const char *fmt, ...)
{
	if (log_level < LOG_LEVEL_VERBOSE)
		return;
	LOG_BODY(LOG_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (log_level < LOG_LEVEL_DEBUG)
		return;
	LOG_BODY(LOG_DEBUG, NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *errstr = strerror(errno);

	LOG_BODY(LOG_CRIT, errstr);
	exit(log_fatal_status);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, NULL);
	exit(log_fatal_status);
}
