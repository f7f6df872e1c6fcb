/*
 * recommend_int: the host's side of recommend.h, shared by
 * recommend_host.c (reading the host) and recommend_build.c (the
 * proposals).  Not for other modules.
 */
#ifndef FIMD_RECOMMEND_INT_H
#define FIMD_RECOMMEND_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "recommend.h"

/* Most paths one pattern expands to, and config files read per entry. */
#define REC_EXPAND_MAX		1024
/* Largest configuration file read for its directives. */
#define REC_CONFIG_MAX_SIZE	((size_t)1 << 20)

struct rec_pkg {
	char	*name;
	char	**conffiles;	/* absolute host paths */
	size_t	 nconffiles;
};

struct rec_host {
	char	*root;		/* "" for "/"; no trailing "/" */
	struct rec_pkg *pkgs;
	size_t	 npkgs;
	char	**units;	/* enabled unit names */
	size_t	 nunits;
};

typedef void rec_path_fn(const char *path, void *arg);

/* The host path path below the root: a new string. */
char	*rec_host_path(const struct rec_host *h, const char *path);
/*
 * Whether path exists on the host (lstat below the root); *ret_dir says
 * whether it is a directory (symlinks to one followed).
 */
bool	rec_host_exists(const struct rec_host *h, const char *path,
	    bool *ret_dir);
/*
 * Call fn with every host path that pattern (absolute; "*", "?" and
 * "[...]" in any name) matches, in byte order per directory, at most
 * REC_EXPAND_MAX; names starting with "." only when the pattern's do.
 */
void	rec_host_expand(const struct rec_host *h, const char *pattern,
	    rec_path_fn *fn, void *arg);
/*
 * path (absolute, normalised) with the symlinks among its directories
 * resolved below the root, as the kernel would (the last name is kept:
 * a rule records a link itself), into out.  Returns 0, -ELOOP, or
 * -EINVAL when path is not absolute.
 */
int	rec_host_resolve_dirs(const struct rec_host *h, const char *path,
	    struct buf *out);
/*
 * Call fn with the unit file of each enabled unit (and the service of
 * an enabled timer), as systemd would find it: /etc, /run, /usr/local/lib
 * and /usr/lib, in that order; masked units are passed over.
 */
void	rec_host_unit_files(const struct rec_host *h, rec_path_fn *fn,
	    void *arg);

#endif
