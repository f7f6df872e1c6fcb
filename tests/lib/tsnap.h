/*
 * tsnap: an independent snapshot of a tree, the truth that scenario tests
 * hold the daemon's alerts to.
 *
 * Taken with the test's own lstat, readlink, llistxattr and SHA-256
 * (OpenSSL), never with fimd's code.  A snapshot is a JSON object keyed
 * by absolute path; each value holds what fimd's ALL attributes would
 * see change: type, mode, uid, gid, inode, nlink and xattrs for every
 * entry, and size, mtime and sha256 (files) or target (symlinks).
 * Directories' size, mtime and nlink change with their entries, which
 * fimd does not report, so they are left out.  Paths must be UTF-8 (the
 * trees of these tests are).
 */
#ifndef FIMD_TSNAP_H
#define FIMD_TSNAP_H

#include <stdbool.h>

#include <jansson.h>

/* A new snapshot of root and everything below it (root included). */
json_t	*tsnap_take(const char *root);

/*
 * The paths whose entries differ between before and after (added,
 * removed or changed), as a new JSON array of strings, sorted.
 */
json_t	*tsnap_diff(json_t *before, json_t *after);

/* Whether path is a regular file in both and its contents differ. */
bool	tsnap_content_changed(const json_t *before, const json_t *after,
	    const char *path);

/* How many entries of snap lie strictly below dir. */
size_t	tsnap_count_below(json_t *snap, const char *dir);

#endif
