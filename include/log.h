/*
 * log: fimd's own diagnostics (never alerts).
 *
 * Only main.c, the cmd_* layer and the daemon log; library modules return
 * negative errno values and fill a struct diag instead.  Messages go to
 * stderr, prefixed with "fimd: ", or to syslog(3) when log_init() was asked
 * for it (a detached daemon).  On stderr that is the journal's stream
 * (JOURNAL_STREAM names it, as systemd sets it), each line starts with
 * its syslog priority as "<N>": 2 for fatal, 3 log_err, 4 log_warn, 5
 * log_notice, 6 log_info, 7 log_debug.  log_warn() and log_err() append
 * strerror(errno); log_warnx() and log_errx() do not.  fatal() and
 * fatalx() exit with status 18 (I/O error) unless log_set_fatal_status()
 * chose another.
 */
#ifndef FIMD_LOG_H
#define FIMD_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_QUIET = -1,	/* errors only */
	LOG_LEVEL_NORMAL = 0,	/* errors, warnings, notices */
	LOG_LEVEL_VERBOSE = 1,	/* plus info */
	LOG_LEVEL_DEBUG = 2,	/* plus debug */
};

/*
 * Choose the destination and verbosity, and look at JOURNAL_STREAM;
 * callable again at any time.
 */
void	log_init(enum log_level level, bool use_syslog);
enum log_level log_get_level(void);
/* Exit status used by fatal() and fatalx(). */
void	log_set_fatal_status(int status);

/*
 * One line as given (no "fimd: "), on stderr whatever the destination,
 * with the "<N>" of prio (LOG_ERR, ...) when stderr is the journal; for
 * output that has its own form, such as diagnostics (diag_print() and
 * cmd_print_diag() write theirs through it).
 */
void	log_stderr(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
