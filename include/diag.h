/*
 * diag: user-facing diagnostics with provenance.
 *
 * Library modules never print.  When input is bad they add an entry here
 * naming the file, line and column (1-based; 0 when unknown) and return a
 * negative errno.  The caller prints the list once, in the order added, as
 * "file:line:column: error: message", the form editors and compilers use.
 * A struct diag is embedded by its owner: zero it with diag_init() and free
 * it with diag_release().  Every string is copied.
 */
#ifndef FIMD_DIAG_H
#define FIMD_DIAG_H

#include <stdio.h>
#include <stddef.h>

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE,
};

struct diag_entry {
	enum diag_severity severity;
	char	*file;		/* NULL when not about a file */
	unsigned line;		/* 1-based, 0 = unknown */
	unsigned column;	/* 1-based, 0 = unknown */
	char	*message;
};

struct diag {
	struct diag_entry *v;
	size_t	 n;
	size_t	 alloc;
	size_t	 errors;	/* entries with DIAG_ERROR */
};

void	diag_init(struct diag *d);
void	diag_release(struct diag *d);
void	diag_add(struct diag *d, enum diag_severity sev, const char *file,
	    unsigned line, unsigned column, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
void	diag_vadd(struct diag *d, enum diag_severity sev, const char *file,
	    unsigned line, unsigned column, const char *fmt, va_list ap)
	    __attribute__((format(printf, 6, 0)));
/*
 * Print every entry to f, one per line; on stderr each line carries its
 * syslog priority when stderr is the journal's stream (log.h).
 */
void	diag_print(const struct diag *d, FILE *f);
/* The syslog(3) priority of a severity: LOG_ERR, LOG_WARNING, LOG_NOTICE. */
int	diag_syslog_prio(enum diag_severity sev);
/* Format one entry into a new string (free with free()). */
char	*diag_format(const struct diag_entry *e);

#endif
