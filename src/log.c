/*
 * Diagnostics to stderr or syslog.  Each message is formatted into one
 * buffer and written with a single call so lines from the loop and the
 * hashing threads never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"

static enum log_level log_level = LOG_LEVEL_NORMAL;
static bool log_syslog;
static int log_fatal_status = EXIT_IO_ERROR;

static void log_vwrite(int prio, const char *errstr, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

void
log_init(enum log_level level, bool use_syslog)
{
	log_level = level;
	if (use_syslog && !log_syslog)
		openlog("fimd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && log_syslog)
		closelog();
	log_syslog = use_syslog;
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
	char msg[2048], line[2200];
	int n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (errstr != NULL)
			syslog(prio, "%s: %s", msg, errstr);
		else
			syslog(prio, "%s", msg);
		return;
	}
	if (errstr != NULL)
		n = snprintf(line, sizeof(line), "fimd: %s: %s\n", msg, errstr);
	else
		n = snprintf(line, sizeof(line), "fimd: %s\n", msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)!write(STDERR_FILENO, line, (size_t)n);
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
