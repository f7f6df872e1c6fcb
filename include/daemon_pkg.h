/*
 * daemon_pkg: package verdicts in the daemon (private to the daemon).
 *
 * Owns struct daemon_packages: the package database (pkgdb.h), read in
 * slices of a few milliseconds on the loop after start-up and kept
 * current from its inotify descriptor, and the changes held while the
 * package manager runs.  Realtime changes get their verdict here
 * (judge_package, the same judge --check and rescans ask); a change
 * the package manager made while its transaction runs is held, not
 * reported, when its rule summarizes package changes or when it does
 * not (yet) match its package: during an upgrade dpkg renames the new
 * files into place before it installs their new digests.  When the
 * transaction ends and the database has caught up, every held path is
 * judged once more by its net change (a *.dpkg-new file that came and
 * went is no change), and reported: one summary per package for the
 * matching changes of summarizing rules, one alert for each other.
 * The baseline takes each change as it happens, held or not.
 *
 * Calls daemon_out.h only.
 */
#ifndef FIMD_DAEMON_PKG_H
#define FIMD_DAEMON_PKG_H

#include <stdbool.h>

#include "daemon_state.h"

/*
 * Open the package database of the configuration when it has a status
 * file, watch it and start reading it; hash md5 too for owned paths.
 * Nothing is fatal: without a database alerts carry no verdict.
 */
void	pkg_open(struct daemon *d);
/* Free what struct daemon_packages holds (held changes are dropped). */
void	pkg_close(struct daemon *d);

/*
 * Judge c for its package (writer: the change's writer, or NULL) into
 * *ret; false when there is no database or it is not read yet.
 */
bool	pkg_judge(struct daemon *d, const struct change *c,
	    const struct procinfo *writer, struct verdict *ret);
/*
 * Whether c, judged as v, waits for the end of the package manager's
 * transaction (copied: the caller reports nothing and records the new
 * state).  first: the monotonic time of its first event.
 */
bool	pkg_hold(struct daemon *d, const struct change *c,
	    const struct verdict *v, const struct procinfo *writer,
	    double first);
/* Report everything held now (the daemon stops). */
void	pkg_flush(struct daemon *d);

#endif
