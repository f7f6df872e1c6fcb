/* Diagnostics list; see diag.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "diag.h"
#include "log.h"
#include "xmalloc.h"

static const char *const diag_severity_names[] = {
	[DIAG_ERROR] = "error",
	[DIAG_WARNING] = "warning",
	[DIAG_NOTE] = "note",
};

static const int diag_prio[] = {
	[DIAG_ERROR] = LOG_ERR,
	[DIAG_WARNING] = LOG_WARNING,
	[DIAG_NOTE] = LOG_NOTICE,
};

int
diag_syslog_prio(enum diag_severity sev)
{
	return diag_prio[sev];
}

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_release(struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
	}
	free(d->v);
	diag_init(d);
}

void
diag_vadd(struct diag *d, enum diag_severity sev, const char *file,
    unsigned line, unsigned column, const char *fmt, va_list ap)
{
	struct diag_entry *e;
	struct buf b;

	if (d == NULL)
		return;
	if (d->n == d->alloc) {
		d->alloc = d->alloc == 0 ? 8 : d->alloc * 2;
		d->v = xreallocarray(d->v, d->alloc, sizeof(*d->v));
	}
	e = &d->v[d->n++];
	e->severity = sev;
	e->file = file != NULL ? xstrdup(file) : NULL;
	e->line = line;
	e->column = column;
	buf_init(&b, 1 << 16);
	(void)buf_vaddf(&b, fmt, ap);
	e->message = buf_detach(&b, NULL);
	if (sev == DIAG_ERROR)
		d->errors++;
}

void
diag_add(struct diag *d, enum diag_severity sev, const char *file,
    unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, sev, file, line, column, fmt, ap);
	va_end(ap);
}

char *
diag_format(const struct diag_entry *e)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	if (e->file != NULL) {
		(void)buf_adds(&b, e->file);
		if (e->line > 0)
			(void)buf_addf(&b, ":%u", e->line);
		if (e->line > 0 && e->column > 0)
			(void)buf_addf(&b, ":%u", e->column);
		(void)buf_adds(&b, ": ");
	}
	(void)buf_addf(&b, "%s: %s", diag_severity_names[e->severity],
	    e->message);
	return buf_detach(&b, NULL);
}

void
diag_print(const struct diag *d, FILE *f)
{
	size_t i;
	char *s;

	/*
	 * stderr goes through log_stderr(), which starts each line with its
	 * priority when stderr is the journal's stream, so that `journalctl
	 * -p err` finds the errors; anything written to stderr before is
	 * flushed first to keep the order.
	 */
	if (f == stderr)
		fflush(stderr);
	for (i = 0; i < d->n; i++) {
		s = diag_format(&d->v[i]);
		if (f == stderr)
			log_stderr(diag_syslog_prio(d->v[i].severity), "%s",
			    s);
		else
			fprintf(f, "%s\n", s);
		free(s);
	}
}
