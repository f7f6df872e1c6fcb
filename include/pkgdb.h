/*
 * pkgdb: which installed package owns a path, and what its package
 * manager recorded about it.
 *
 * The verdicts of fimd.alerts(5) (package, package-mismatch,
 * conffile-edited, unowned) need three answers per path: the owning
 * package (name, architecture, version), whether the path is one of its
 * conffiles, and the digest the package manager recorded for its
 * contents.  A struct pkgdb holds those answers in memory for every
 * owned path, filled by a backend (struct pkgdb_backend: dpkg today,
 * see pkgdb_dpkg.h; rpm can follow with its own table of operations).
 *
 * Reading is incremental.  The database is a set of units (for dpkg:
 * the status file, and one unit per package, its .list and .md5sums);
 * each unit is queued and read on its own.  pkgdb_load() reads every
 * queued unit at once (the one-shot modes); the daemon calls
 * pkgdb_step() from its loop instead, which reads units until a time
 * budget is spent and says whether more wait, so a full read of some
 * 10^5 paths never holds the loop.  pkgdb_ready() is false until the
 * first full read is done; lookups before that find nothing.
 *
 * Keeping current.  pkgdb_watch() opens an inotify descriptor on the
 * backend's directories; the loop calls pkgdb_watch_read() when it is
 * readable, which queues the units whose files changed (and only
 * those), and tracks the package manager's transactions: pkgdb_busy()
 * is true while one runs (dpkg: while its lock files are held open).
 *
 * Memory: the pkgdb owns every string and entry it holds; a struct
 * pkg_owner from pkgdb_lookup() borrows them until the next call that
 * reads or drops a unit (pkgdb_step, pkgdb_load, pkgdb_watch_read).
 * Single thread.  Bad lines in the database go to the struct diag given
 * at creation, with file and line; a unit with a bad line keeps what
 * its good lines said.
 */
#ifndef FIMD_PKGDB_H
#define FIMD_PKGDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define PKG_MD5_SIZE	16

/* What the database says about one path. */
struct pkg_owner {
	const char *type;	/* package.type: "deb" */
	const char *name;	/* package.name */
	const char *arch;	/* package.architecture, or "" */
	const char *version;	/* package.version, or "" when unknown */
	bool	 conffile;	/* a configuration file of the package */
	bool	 have_digest;	/* md5 holds the recorded digest */
	unsigned char md5[PKG_MD5_SIZE];
};

/*
 * What a change means for the package that owns its path (judge.h
 * decides; fimd.alerts(5) documents each as fimd.verdict).
 */
enum verdict_kind {
	VERDICT_NONE,		/* no package database: no verdict */
	VERDICT_PACKAGE,	/* the package's own contents */
	VERDICT_MISMATCH,	/* owned, but not what the package recorded */
	VERDICT_CONFFILE_EDITED, /* a conffile changed outside the manager */
	VERDICT_UNOWNED,	/* no package owns the path */
};

struct verdict {
	enum verdict_kind kind;
	bool	 by_manager;	/* the writer or an ancestor is the manager */
	struct pkg_owner owner;	/* set unless NONE or UNOWNED; borrowed */
};

/* "package", "package-mismatch", "conffile-edited", "unowned", or NULL. */
const char *verdict_name(enum verdict_kind k);

struct pkgdb;

/* The operations a package manager's backend provides. */
struct pkgdb_backend {
	const char *type;		/* package.type */
	/*
	 * Names of the package manager's processes, NULL-terminated: a
	 * writer or one of its ancestors with one of these names (comm or
	 * executable's last name) is the package manager.
	 */
	const char *const *managers;
	/* Queue every unit for a full read.  0 or -errno (logged in diag). */
	int	(*begin)(struct pkgdb *db);
	/* Read one queued unit (pkgdb_unit_* below).  0 or -errno. */
	int	(*read_unit)(struct pkgdb *db, const char *unit);
	/* Add the inotify watches (pkgdb_watch_add).  0 or -errno. */
	int	(*watch)(struct pkgdb *db);
	/*
	 * One inotify event about name (may be "") in dir, the directory
	 * as given to pkgdb_watch_add.
	 */
	void	(*event)(struct pkgdb *db, const char *dir, uint32_t mask,
		    const char *name);
};

/*
 * A new database for backend rooted at root (the package manager's
 * state directory, e.g. /var/lib/dpkg; copied).  diag (borrowed, may
 * be NULL) collects problems with its files.  Nothing is read yet.
 */
struct pkgdb *pkgdb_new(const struct pkgdb_backend *backend,
	    const char *root, struct diag *diag);
void	pkgdb_free(struct pkgdb *db);

/* Queue a full read.  0 or -errno (root unreadable: logged in diag). */
int	pkgdb_begin(struct pkgdb *db);
/* Read everything queued now (one-shot modes).  0 or the first -errno. */
int	pkgdb_load(struct pkgdb *db);
/*
 * Read queued units until budget_ns of monotonic time has passed (at
 * least one unit).  Returns whether units still wait.
 */
bool	pkgdb_step(struct pkgdb *db, uint64_t budget_ns);
/* The first full read is done. */
bool	pkgdb_ready(const struct pkgdb *db);
/* Units waiting to be read. */
size_t	pkgdb_queued(const struct pkgdb *db);

/* The owner of path (len bytes), or false when no package owns it. */
bool	pkgdb_lookup(const struct pkgdb *db, const char *path, size_t len,
	    struct pkg_owner *ret);
/*
 * The package that owned path (len bytes) until a read of the database
 * since the last pkgdb_departed_clear() dropped it from the package's
 * files or conffiles (a removal, or a version without it): false when
 * none did.  Asked after pkgdb_lookup() found no owner, to tell whose
 * removal a deletion was.
 */
bool	pkgdb_departed(const struct pkgdb *db, const char *path, size_t len,
	    struct pkg_owner *ret);
/* Forget the departed paths (a transaction's changes were reported). */
void	pkgdb_departed_clear(struct pkgdb *db);
/* Whether name (a comm or an executable path) is the package manager. */
bool	pkgdb_is_manager(const struct pkgdb *db, const char *name);
const char *pkgdb_type(const struct pkgdb *db);

/*
 * The order of two Debian versions, [epoch:]upstream[-revision], as
 * deb-version(7) gives it and dpkg --compare-versions applies it: < 0
 * when a is older than b, 0 when they are the same version (1.0 and
 * 1.0-0, 1.0 and 0:1.0), > 0 when newer.  Epochs compare as numbers;
 * upstream versions, then revisions, as alternating runs of non-digits
 * (character by character: '~' before everything, even the end, then
 * the end, then letters, then the rest) and digits (as numbers, of any
 * length).  Never fails: any string has a place in the order.
 */
int	pkgdb_version_cmp(const char *a, const char *b);

/*
 * Whether the package name (architecture arch, "" when none) is
 * installed by the database's last read (dpkg: any state from unpacked
 * on; not a removed package whose conffiles remain), and its version
 * (borrowed, as pkgdb_lookup's strings) in *ret_version; NULL when not.
 */
bool	pkgdb_installed(const struct pkgdb *db, const char *name,
	    const char *arch, const char **ret_version);

struct pkgdb_stats {
	uint64_t packages;
	uint64_t paths;		/* owned paths indexed */
	uint64_t conffiles;
	uint64_t units_read;	/* since creation */
	uint64_t load_ms;	/* time the first full read took, loop time */
	uint64_t load_cpu_ms;	/* ... of which spent reading */
	bool	 busy;
};
void	pkgdb_stats(const struct pkgdb *db, struct pkgdb_stats *ret);

/* Open the inotify watches; 0 or -errno.  pkgdb_fd() is then >= 0. */
int	pkgdb_watch(struct pkgdb *db);
int	pkgdb_fd(const struct pkgdb *db);
/* Drain the inotify descriptor: queue changed units, track transactions. */
void	pkgdb_watch_read(struct pkgdb *db);
/* A transaction of the package manager is running. */
bool	pkgdb_busy(const struct pkgdb *db);
/* Transactions that ended since the counter was last taken. */
uint64_t pkgdb_take_ended(struct pkgdb *db);

/*
 * For backends.  Units are names the backend chooses; a unit queued
 * twice is read once.  Paths are absolute, len bytes.
 */
const char *pkgdb_root(const struct pkgdb *db);
struct diag *pkgdb_diag(struct pkgdb *db);
void	pkgdb_queue(struct pkgdb *db, const char *unit);
/* The package whose files are unit stem (created when new); an id. */
uint32_t pkgdb_package(struct pkgdb *db, const char *stem);
/* Whether a package with this stem is known. */
bool	pkgdb_has_package(const struct pkgdb *db, const char *stem);
void	pkgdb_package_set(struct pkgdb *db, uint32_t pkg, const char *name,
	    const char *arch, const char *version);
/*
 * A read of the package list begins: no package is installed until
 * pkgdb_package_installed() says it is again.
 */
void	pkgdb_installed_clear(struct pkgdb *db);
void	pkgdb_package_installed(struct pkgdb *db, uint32_t pkg);
/* Begin re-reading pkg's files: they are dropped unless added again
 * before pkgdb_files_end(pkg). */
void	pkgdb_files_begin(struct pkgdb *db, uint32_t pkg);
void	pkgdb_add_file(struct pkgdb *db, uint32_t pkg, const char *path,
	    size_t len);
/* The recorded digest of an added path of pkg; unknown paths ignored. */
void	pkgdb_set_digest(struct pkgdb *db, uint32_t pkg, const char *path,
	    size_t len, const unsigned char md5[PKG_MD5_SIZE]);
void	pkgdb_files_end(struct pkgdb *db, uint32_t pkg);
/* Replace every conffile: clear, then add each (md5 NULL: none). */
void	pkgdb_conffiles_clear(struct pkgdb *db);
void	pkgdb_add_conffile(struct pkgdb *db, uint32_t pkg, const char *path,
	    size_t len, const unsigned char *md5);
/*
 * Diversions: a path that package by (NULL: a local diversion) moved
 * from its place.  Files other packages add at from are indexed at to.
 */
void	pkgdb_diversions_clear(struct pkgdb *db);
void	pkgdb_add_diversion(struct pkgdb *db, const char *from,
	    const char *to, const char *by);
/* inotify watch on root/rel (a static string) with mask; 0 or -errno. */
int	pkgdb_watch_add(struct pkgdb *db, const char *rel, uint32_t mask);
/* A transaction began or ended (the backend's events say when). */
void	pkgdb_txn(struct pkgdb *db, bool begin);
/* Forget transactions in progress (an overflowed inotify queue). */
void	pkgdb_txn_reset(struct pkgdb *db);

#endif
