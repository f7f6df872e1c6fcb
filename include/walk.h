/*
 * walk: the one directory walk (scan, and both watch backends), and the
 * one opener of paths longer than PATH_MAX.
 *
 * A walk starts at a directory and visits everything below it, depth
 * first.  Each directory is opened relative to its parent's descriptor
 * (openat with O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC |
 * O_NONBLOCK | O_NOCTTY), so no path is too long and no symlink is ever
 * followed; its names are read in full and sorted by bytes before the
 * first is visited, so the walk holds one descriptor per level and the
 * order is the same on every run.  Names are bytes: newlines, invalid
 * UTF-8, anything but '/' and NUL.
 *
 * The owner steers through a struct walk_ops:
 *  - dir: a directory was opened (the start, and each one descended
 *    into).  WALK_CONTINUE lists it, WALK_SKIP leaves it unlisted,
 *    WALK_STOP ends the walk.
 *  - entry: a name listed in a directory, its type known (DT_UNKNOWN from
 *    the filesystem is resolved with fstatat).  WALK_CONTINUE descends
 *    into it when it is a directory, WALK_SKIP does not, WALK_STOP ends
 *    the walk.
 *  - error: a directory that could not be opened or listed, an entry
 *    whose type could not be learned, a path past the cap.  Nothing is
 *    skipped in silence: the owner reports a gap or an error item.
 * A missing callback means WALK_CONTINUE (dir, entry) or no report.
 *
 * Not errors: a name that vanished between listing and use (ENOENT), or
 * that is no longer a directory when opened (ENOTDIR, ELOOP: a symlink
 * now).  The tree changed under the walk, and whoever watches it hears
 * of the change from the kernel or the next scan; the walk goes on.  The
 * same holds for the start of walk_at() and walk_path().
 *
 * Memory: a struct walk owns its path buffer, names and descriptors, and
 * reuses them from one walk to the next (no allocation per entry once
 * warm).  Everything handed to a callback is borrowed for that call
 * only.  A callback must not start another walk on the same struct walk
 * (-EBUSY).  Descriptors the walk opened are closed when it leaves their
 * directory, whatever the verdicts; the one given to walk_fd() stays the
 * caller's.  Single-threaded per struct walk.
 */
#ifndef FIMD_WALK_H
#define FIMD_WALK_H

#include <sys/stat.h>

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

enum walk_verdict {
	WALK_CONTINUE,
	WALK_SKIP,
	WALK_STOP,
};

/* What a walk function returns when a callback paused it. */
#define WALK_PAUSED	1

struct walk_dir {
	const char *path;	/* absolute as given at the start; borrowed */
	size_t	 len;
	int	 fd;		/* the directory, open for reading; borrowed */
	const struct stat *st;	/* fstat of fd */
	bool	 mount;		/* on another device than its parent */
	size_t	 depth;		/* 0 for the start */
};

struct walk_entry {
	const char *path;	/* the entry's full path; borrowed */
	size_t	 len;
	int	 dirfd;		/* the directory that holds it; borrowed */
	const char *name;	/* its name in dirfd, NUL-terminated */
	unsigned char type;	/* DT_REG, DT_DIR, ...; never DT_UNKNOWN */
	size_t	 depth;		/* 1 for the start's own entries */
	/*
	 * With statahead on: statahead_statx() of name, taken ahead
	 * (statahead.h); NULL when it was not, or failed.  Borrowed.
	 */
	const struct statx *stx;
};

struct walk_ops {
	enum walk_verdict (*dir)(const struct walk_dir *d, void *arg);
	enum walk_verdict (*entry)(const struct walk_entry *e, void *arg);
	/*
	 * err is a negative errno; op says what failed: "opendir",
	 * "readdir", "stat" (fstat of an opened directory, fstatat of an
	 * entry of unknown type) or "path" (-ENAMETOOLONG past the cap).
	 * path names the directory or entry concerned.
	 */
	void	(*error)(const char *path, size_t len, int err, const char *op,
		    void *arg);
};

struct walk;

/* A new walker steered by ops (copied).  Free with walk_free(). */
struct walk *walk_new(const struct walk_ops *ops);
void	walk_free(struct walk *wk);
/*
 * Stat each directory's names on a worker thread ahead of the visits
 * (statahead.h), for owners that stat every entry; off by default, and
 * quietly off when no thread can be started.  Not during a walk.
 */
void	walk_set_statahead(struct walk *wk, bool on);

/*
 * Walk the directory open at fd (borrowed, left open, listed from its
 * start), known as path[0..len).
 * arg goes to every callback.  Each walk function returns 0, -EBUSY
 * from inside a callback, or the first negative errno handed to the
 * error callback (the walk went on past it).  WALK_STOP is not an error.
 */
int	walk_fd(struct walk *wk, int fd, const char *path, size_t len,
	    void *arg);
/*
 * Walk the directory name in parentfd, known as path[0..len); its mount
 * flag compares it with parentfd's device.
 */
int	walk_at(struct walk *wk, int parentfd, const char *name,
	    const char *path, size_t len, void *arg);
/*
 * Walk the directory at path[0..len) (absolute, any length; a final
 * symlink is not followed).
 */
int	walk_path(struct walk *wk, const char *path, size_t len, void *arg);

/*
 * Pausing, for owners that walk a big tree in slices between other work
 * (the daemon's rescans).  walk_pause(), called from a callback, makes
 * the walk return WALK_PAUSED after that callback's verdict is applied
 * (a directory entry is descended into first); every level, descriptor
 * and name stays, and walk_resume() goes on from the next entry with arg
 * as the callbacks' argument, returning as the walk functions do.  The
 * tree may change between the two: what vanished is passed over as
 * always, and a directory renamed while the walk was inside it is still
 * listed through its descriptor under its old path (walk_inside() tells
 * the owner).  walk_abort() ends a paused walk, closing what it holds.
 * While paused the struct walk is busy: no other walk may start on it.
 */
void	walk_pause(struct walk *wk);
bool	walk_paused(const struct walk *wk);
int	walk_resume(struct walk *wk, void *arg);
void	walk_abort(struct walk *wk);
/*
 * Whether a paused walk is inside the directory path[0..len) or below
 * it (its next entry comes from there).
 */
bool	walk_inside(const struct walk *wk, const char *path, size_t len);

/*
 * Open the directory at path[0..len) (absolute, any length, no NUL
 * inside) with oflags | O_DIRECTORY | O_CLOEXEC.  Symlinks among the
 * parents are followed as the kernel would (/lib -> usr/lib); with
 * O_NOFOLLOW in oflags the last component is not.  A path shorter than
 * PATH_MAX is one open(2); a longer one is opened in pieces shorter than
 * PATH_MAX, each relative to the previous.  Returns the new descriptor
 * (the caller closes it) or -errno: -EINVAL for a relative path or a NUL
 * inside, -ENAMETOOLONG for a component of PATH_MAX bytes or more, and
 * what open(2) says.
 */
int	walk_open_dir(const char *path, size_t len, int oflags);

#endif
