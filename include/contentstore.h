/*
 * contentstore: the copies of file contents that rules with "diff" keep
 * (fimd.rules(5)), so that an alert can show what changed in the text.
 *
 * A copy is the file's text after redaction (redact.h), compressed with
 * zlib, under its path (bytes), with the digest of the raw bytes it was
 * taken from ("sha256:<hex>", or "" when the rule hashes nothing): a
 * copy whose digest is not the baseline record's is stale and is not
 * used.
 *
 * On disk (fimd.baseline(5), "Content copies") the store is a file of
 * its own beside the baseline, "<baseline>.copies", mode 0600, written
 * through atomicfile, so that loading the baseline never reads a byte
 * of it:
 *
 *   {"fimd_copies":1,"count":N}
 *   {"path":"/etc/app.conf","digest":"sha256:<hex>","size":812,
 *    "zlib":"<base64>"}
 *   ...
 *   {"digest":"sha256:<hex>"}
 *
 * one JSON object per line, sorted by path bytes; "path_escaped" for a
 * path that is not UTF-8 (pathenc.h); "size" is the redacted text's
 * length.  The last line's digest covers every byte before it: SHA-256,
 * or HMAC-SHA-256 under chain_key (chain.h), "hmac-sha256:<hex>".
 * Loading refuses (-EBADMSG, a diag) a file that is not exactly that;
 * nothing is half-loaded.
 *
 * Memory: the store owns its copies; texts are handed out in a caller's
 * struct buf.  Not thread-safe: the loop thread owns it, as it owns the
 * baseline.
 */
#ifndef FIMD_CONTENTSTORE_H
#define FIMD_CONTENTSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "chain.h"
#include "diag.h"

#define CONTENTSTORE_SUFFIX	".copies"
/* Longest text a copy holds (what diff_max may be set to). */
#define CONTENTSTORE_TEXT_MAX	((size_t)4 << 20)
/* Longest digest string: "sha512:" and 128 hex digits, or "". */
#define CONTENTSTORE_DIGEST_MAX	160

struct contentstore;

struct contentstore *contentstore_new(void);
/* Free; accepts NULL. */
void	contentstore_free(struct contentstore *cs);

/* The store's file for a baseline path: a new string (free()). */
char	*contentstore_path(const char *baseline_path);

/*
 * Read the store at path, its digest checked under key (NULL: plain).
 * Returns 0 and a new store, -ENOENT when there is no file, -EBADMSG
 * (diag added) when it is not a valid store, another -errno for I/O.
 */
int	contentstore_load(const char *path, const struct chain_key *key,
	    struct contentstore **ret, struct diag *diag);
/*
 * Write cs to path atomically, mode 0600, the digest under key; an empty
 * store removes the file instead.  Returns 0 or -errno (diag added).
 */
int	contentstore_save(const struct contentstore *cs, const char *path,
	    const struct chain_key *key, struct diag *diag);

size_t	contentstore_count(const struct contentstore *cs);
/*
 * Keep a copy of text[0..len) (at most CONTENTSTORE_TEXT_MAX bytes) for
 * path, replacing any; digest is copied (at most
 * CONTENTSTORE_DIGEST_MAX bytes, else it is stored as "").
 */
void	contentstore_put(struct contentstore *cs, const char *path,
	    size_t pathlen, const char *digest, const char *text, size_t len);
/*
 * The copy for path: its text appended to text (may be NULL: only the
 * digest), its digest in *ret_digest (borrowed, valid until the copy
 * changes).  Returns 0, -ENOENT when there is none, -EBADMSG when it
 * does not inflate to its size, -ENOSPC when text's cap is reached.
 */
int	contentstore_get(const struct contentstore *cs, const char *path,
	    size_t pathlen, struct buf *text, const char **ret_digest);
/* Drop path's copy; returns whether there was one. */
bool	contentstore_remove(struct contentstore *cs, const char *path,
	    size_t pathlen);
/* Move the copy of from to to (replacing to's); false when from has none. */
bool	contentstore_rename(struct contentstore *cs, const char *from,
	    size_t fromlen, const char *to, size_t tolen);
/*
 * Drop every copy for which keep returns false.  Returns how many were
 * dropped.
 */
size_t	contentstore_prune(struct contentstore *cs,
	    bool (*keep)(const char *path, size_t len, void *arg), void *arg);

#endif
