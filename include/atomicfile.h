/*
 * atomicfile: replace a file so that a crash at any moment leaves the old
 * or the new contents, never a torn file.
 *
 * Protocol: create a temporary "<dir>/.<name>.tmp.<pid>.<random>" in the
 * target's directory (O_EXCL, the given mode), let the caller write it,
 * then on commit fsync the file, rename it over the target and fsync the
 * directory.  On rollback, or on any error during commit, the temporary is
 * unlinked.  Temporaries left by a killed process are removed by the next
 * atomicfile_open() for the same target when their pid is no longer alive.
 * The struct is embedded by its owner; after commit or rollback it holds
 * nothing.
 */
#ifndef FIMD_ATOMICFILE_H
#define FIMD_ATOMICFILE_H

#include <sys/types.h>

struct atomicfile {
	char	*path;		/* target */
	char	*tmppath;	/* temporary, NULL when none is open */
	int	 fd;		/* temporary's fd, -1 when none */
};

/* Open a temporary for path.  Returns 0 (af->fd is writable) or -errno. */
int	atomicfile_open(struct atomicfile *af, const char *path, mode_t mode);
/* Make the temporary the target.  Returns 0 or -errno (rolled back). */
int	atomicfile_commit(struct atomicfile *af);
/* Discard the temporary; accepts an unopened or finished struct. */
void	atomicfile_rollback(struct atomicfile *af);

#endif
