/*
 * daemon_gone: directories that vanished while their entries were still
 * being probed (private to the daemon).
 *
 * rm -rf removes a directory's files before the directory itself.  When
 * the directory's deletion is judged while probes of its files are still
 * pending, reporting it at once would walk the whole baseline for entries
 * that those probes are about to report one by one.  gone_defer holds the
 * directory instead, until the pending set drains or GONE_WAIT_MS pass;
 * gone_flush then hands each one to the report function given to
 * gone_defer, or rescans it when it exists again.
 *
 * The queue lives in struct daemon_realtime (gone, ngone, gone_ev,
 * gone_report) and owns the paths and procinfo copies it holds.
 */
#ifndef FIMD_DAEMON_GONE_H
#define FIMD_DAEMON_GONE_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon_state.h"

/* Directories held at most, and how long the first of them waits. */
#define GONE_MAX	4096
#define GONE_WAIT_MS	1000

/* Report one directory found gone, with what its event said. */
typedef void gone_report_fn(struct daemon *d, const char *path, size_t len,
    const struct procinfo *proc, double first, bool still_open);

/*
 * Hold path (a directory the baseline has entries below) for later.
 * Returns false, holding nothing, when it should be reported now: the
 * daemon is stopping, nothing else is pending, the queue is full, or no
 * timer could be set.  proc may be NULL; it is copied.
 */
bool	gone_defer(struct daemon *d, const char *path, size_t len,
	    const struct procinfo *proc, double first, bool still_open,
	    gone_report_fn *report);
/* Report every held directory now (none is held afterwards). */
void	gone_flush(struct daemon *d);
/* Whether any directory is held. */
bool	gone_held(const struct daemon *d);
/* Free the queue without reporting (teardown). */
void	gone_close(struct daemon *d);

#endif
