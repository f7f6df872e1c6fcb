/*
 * statahead: the statx of a directory's names, taken on a second core
 * ahead of the walk that visits them.
 *
 * A scan of a tree where nothing changed costs one statx per entry, and
 * the kernel's side of it (the name lookup, the copy out) is most of the
 * run; one thread doing them leaves the machine's other cores idle while
 * the owner's work per entry (a baseline lookup and a comparison) waits.
 * The walk (walk.c) hands each directory's sorted names to a batch here;
 * a worker thread stats them in order while the walk visits them, and
 * the walk takes each result as it reaches the name, doing the statx
 * itself when the worker has not claimed it yet, so neither side waits
 * for the other for longer than one call.  The worker serves the newest
 * batch first: a depth-first walk is always in its innermost directory.
 *
 * Every statx here is statahead_statx(): AT_SYMLINK_NOFOLLOW |
 * AT_NO_AUTOMOUNT with STATAHEAD_MASK, the call probe_stat() makes for a
 * name it must not follow, so a result taken ahead is the one the owner
 * would have taken (a moment earlier: the tree may change in between, as
 * it may between any two calls of a walk).
 *
 * Memory and threads: a struct statahead owns its worker thread and the
 * batches it hands out; a batch copies its names, borrows its directory
 * descriptor, which must stay open until statahead_retire(), and owns
 * its results, which statahead_get() lends until then.  At most
 * STATAHEAD_BUDGET names are held at once; a directory beyond what is
 * left gets a batch for its first names only (or none), and the walk
 * stats the rest itself.  Every function but the worker's own is called
 * from one thread, the walk's.
 */
#ifndef FIMD_STATAHEAD_H
#define FIMD_STATAHEAD_H

#include <sys/stat.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>

#define STATAHEAD_MASK	(STATX_BASIC_STATS | STATX_BTIME)
#define STATAHEAD_BUDGET	65536

struct statahead;
struct statahead_batch;

/* Start the worker; NULL when no thread can be started (then walk alone). */
struct statahead *statahead_new(void);
/* Stop the worker; every batch must have been retired. */
void	statahead_free(struct statahead *sa);

/* statx(dirfd, name) as every result here is taken: 0 or -errno. */
int	statahead_statx(int dirfd, const char *name, struct statx *ret);

/*
 * A batch for up to n names of the directory at dirfd, or NULL when the
 * budget is spent or n is below 2 (nothing to overlap).  Add the names
 * in the order the walk will visit them, then start it.
 */
struct statahead_batch *statahead_batch(struct statahead *sa, int dirfd,
	    size_t n);
/* Add a name; false once the batch is full (the rest are not taken). */
bool	statahead_add(struct statahead_batch *b, const char *name);
void	statahead_start(struct statahead *sa, struct statahead_batch *b);

/*
 * The statx of the i-th name added: 0 with *ret lent until the batch is
 * retired, -errno from statx, or -ERANGE when i is past the names added.
 */
int	statahead_get(struct statahead_batch *b, size_t i,
	    const struct statx **ret);
/* Done with the batch: waits until the worker has left it, frees it. */
void	statahead_retire(struct statahead *sa, struct statahead_batch *b);

#endif
