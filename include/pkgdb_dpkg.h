/*
 * pkgdb_dpkg: Debian's dpkg database as a pkgdb backend (pkgdb.h).
 *
 * What is read, under the state directory (normally /var/lib/dpkg):
 *  - status: one stanza per package (Package, Architecture, Version,
 *    Status and Conffiles, whose lines are " PATH MD5 [obsolete]
 *    [remove-on-upgrade]"); packages whose Status says not-installed are
 *    left out;
 *  - info/STEM.list: the paths the package owns, one per line, absolute
 *    (STEM is the package name, or NAME:ARCH for Multi-Arch: same);
 *  - info/STEM.md5sums: "MD5  PATH" per line, PATH relative to /; dpkg
 *    leaves the conffiles out, whose digests are in status;
 *  - diversions: three lines per diversion (from, to, the diverting
 *    package or ":" for a local one).
 * Units: ":status", ":diversions" and one per package stem.
 *
 * Watched: info/ (a .list or .md5sums written, renamed or removed
 * queues its package) and the state directory itself (status and
 * diversions; the lock and lock-frontend files, held open by dpkg and
 * apt for as long as a transaction runs).
 *
 * The parsers are pure (no I/O, nothing kept): each calls back once per
 * good entry and adds a diag naming file and line for each bad one, then
 * returns 0, or -EINVAL when a line was bad.  Strings given to callbacks
 * are borrowed for the call.  Anyone allowed to run dpkg can write these
 * files, so nothing in them is trusted to be well formed.
 */
#ifndef FIMD_PKGDB_DPKG_H
#define FIMD_PKGDB_DPKG_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "pkgdb.h"

extern const struct pkgdb_backend pkgdb_dpkg_backend;

/* The default state directory. */
#define DPKG_ROOT	"/var/lib/dpkg"

struct dpkg_conffile {
	const char *path;	/* absolute; borrowed */
	size_t	 len;
	bool	 have_md5;	/* false: "newconffile" */
	unsigned char md5[PKG_MD5_SIZE];
	bool	 obsolete;
};

struct dpkg_stanza {
	const char *package;	/* NUL-terminated, borrowed */
	const char *arch;	/* "" when absent */
	const char *version;	/* "" when absent */
	const char *state;	/* the third word of Status, or "" */
	unsigned line;		/* where the stanza starts */
	const struct dpkg_conffile *conffiles;
	size_t	 nconffiles;
};

int	dpkg_parse_status(const char *file, const char *text, size_t len,
	    void (*fn)(const struct dpkg_stanza *st, void *arg), void *arg,
	    struct diag *diag);
int	dpkg_parse_list(const char *file, const char *text, size_t len,
	    void (*fn)(const char *path, size_t len, void *arg), void *arg,
	    struct diag *diag);
int	dpkg_parse_md5sums(const char *file, const char *text, size_t len,
	    void (*fn)(const char *path, size_t len,
	    const unsigned char md5[PKG_MD5_SIZE], void *arg), void *arg,
	    struct diag *diag);
int	dpkg_parse_diversions(const char *file, const char *text, size_t len,
	    void (*fn)(const char *from, const char *to, const char *by,
	    void *arg), void *arg, struct diag *diag);

#endif
