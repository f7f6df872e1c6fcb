/*
 * baseline: what every covered file looked like, in memory and on disk.
 *
 * In memory: a hash index keyed by path bytes (any bytes but NUL) holding
 * one packed entry per file, compact enough for millions of files (see
 * baseline.c for the layout and its measured size).  Only the thread that
 * owns the baseline touches it (the daemon's loop); no locks.
 *
 * On disk (fimd.baseline(5)): one JSON document, written entry by entry
 * and read back entry by entry, so no whole-file JSON tree is ever built:
 *
 *   {"fimd_baseline":1,"created":"...","host":"...","rules_digest":"...",
 *    "count":N,"entities":{...},"entries":[
 *   {"path":"/etc/passwd",...},
 *   ...
 *   ],"digest":"sha256:<hex>"}
 *
 * with a line break after the header, after each entry and before the
 * trailer.  The digest covers every byte before the trailer line; with
 * a key (chain.h) it is "hmac-sha256:<hex>", which only the holder of
 * the key can compute, and a plain one is then refused.  Paths
 * that are not valid UTF-8 are stored as "path_escaped" (pathenc.h).
 * Entries are sorted by path bytes, so two baselines diff cleanly.
 * baseline_save() goes through atomicfile.
 *
 * Loading refuses, with -EBADMSG and a diag naming the file, line and
 * reason, anything that is not exactly that: a foreign file, a truncated
 * one, a changed byte (digest), a count that does not match, an entry
 * that does not parse.  Nothing is half-loaded.
 */
#ifndef FIMD_BASELINE_H
#define FIMD_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "chain.h"
#include "diag.h"
#include "record.h"

#define BASELINE_FORMAT_VERSION 1

struct baseline;

struct baseline *baseline_new(void);
void	baseline_free(struct baseline *b);

/*
 * Read path.  Returns 0 and a new baseline, -ENOENT when it does not
 * exist, -EBADMSG when it is not a valid fimd baseline, or another -errno
 * for I/O; every failure adds a diag.
 */
int	baseline_load(const char *path, struct baseline **ret,
	    struct diag *diag);
/* Write atomically with mode 0600.  Returns 0 or -errno (diag added). */
int	baseline_save(const struct baseline *b, const char *path,
	    struct diag *diag);
/*
 * The same with the digest under key (NULL: plain SHA-256, as the two
 * above).  Loading with a key refuses a plain digest and without one a
 * keyed digest, each -EBADMSG with a diag that says which.
 */
int	baseline_load_keyed(const char *path, const struct chain_key *key,
	    struct baseline **ret, struct diag *diag);
int	baseline_save_keyed(const struct baseline *b, const char *path,
	    const struct chain_key *key, struct diag *diag);

/*
 * The entities (entity.h) the baseline holds, by rule type name
 * ("ports", "packages"): a JSON list of items, as entity_set_to_json
 * makes it, in the header's "entities" object.  The getter lends the
 * list (NULL: none recorded) until the next set; the setter steals
 * list (NULL: forget the type).
 */
const json_t *baseline_entities(const struct baseline *b, const char *type);
void	baseline_set_entities(struct baseline *b, const char *type,
	    json_t *list);

/* Header fields; strings are copied in and borrowed out. */
void	baseline_set_rules_digest(struct baseline *b, const char *digest);
const char *baseline_rules_digest(const struct baseline *b);
/* RFC 3339 time the baseline was first built (baseline_new), kept
 * across save and load. */
const char *baseline_created(const struct baseline *b);
/* Host name of the machine that built it. */
const char *baseline_host(const struct baseline *b);

size_t	baseline_count(const struct baseline *b);
/*
 * Give back the spare room the entries grew into, after a bulk change
 * (a load, a full walk); later puts grow it again.
 */
void	baseline_shrink(struct baseline *b);
/* Approximate heap bytes held (for --status and the RSS figures). */
size_t	baseline_memory(const struct baseline *b);

/*
 * Copy the entry for path into *ret (initialised here; release it with
 * record_release).  Returns 0 or -ENOENT.
 */
int	baseline_get(const struct baseline *b, const char *path, size_t len,
	    struct record *ret);
bool	baseline_contains(const struct baseline *b, const char *path,
	    size_t len);
/* Store a packed copy of r for path, replacing any entry; marks it seen. */
void	baseline_put(struct baseline *b, const char *path, size_t len,
	    const struct record *r);
/* Returns 0, or -ENOENT when absent. */
int	baseline_remove(struct baseline *b, const char *path, size_t len);

/*
 * Whether any entry lies below directory dir (its path followed by '/').
 * The first call counts the whole baseline once; later calls and every
 * change keep the count at a lookup or a few.
 */
bool	baseline_has_below(struct baseline *b, const char *dir, size_t len);

/*
 * Seen marks, for finding deletions after a walk: clear them, let the
 * walk mark what it meets (baseline_mark_seen returns false when the
 * path has no entry), then iterate the unseen ones.
 */
void	baseline_clear_seen(struct baseline *b);
bool	baseline_mark_seen(struct baseline *b, const char *path, size_t len);

/*
 * Iteration in unspecified order.  Adding or removing entries during an
 * iteration is not allowed; collect the paths first.
 */
struct baseline_iter {
	const struct baseline *b;
	size_t	 pos;
};
void	baseline_iter_init(struct baseline_iter *it, const struct baseline *b);
/*
 * Next entry: *ret_path (borrowed, valid until the baseline changes:
 * any put or remove may move every entry) and
 * *ret_len; ret_seen (may be NULL) gets its seen mark.  Returns false at
 * the end.
 */
bool	baseline_iter_next(struct baseline_iter *it, const char **ret_path,
	    size_t *ret_len, bool *ret_seen);

/*
 * Paths of entries with this inode on this device, for matching moves
 * and hard links.  Appends up to max borrowed pointers (valid until the
 * baseline changes) to ret and
 * returns how many matched in all.  The inode index is built on first use
 * and kept up to date by put and remove.
 */
size_t	baseline_find_inode(struct baseline *b, uint64_t dev, uint64_t inode,
	    const char **ret, size_t *ret_lens, size_t max);

/*
 * Notes beside a record (fimd.baseline(5)), kept only for the paths
 * that have them, in a side map: "accepted", who took the current state
 * in and why ({"at", "uid", "user", "reason", "window"}: at and uid
 * always), and "history", the earlier states newest first (each a
 * record's members plus "replaced", when it stopped being the state,
 * and its own "accepted" if it had one).  A removed entry loses its
 * notes; baseline_put keeps them.  Notes are JSON objects owned by the
 * baseline; the getters lend them until the next change of that path.
 */
#define BASELINE_HISTORY_BYTES	((size_t)64 << 10)	/* per path */
#define BASELINE_HISTORY_MAX	100		/* states per path */

/*
 * Replace path's record old (the state in the baseline, or NULL) with
 * r after a judged change: as baseline_put, and when keep > 0 old
 * becomes the newest history state (with its acceptance), the history
 * cut to keep states and BASELINE_HISTORY_BYTES; the acceptance, which
 * spoke of old, is cleared.
 */
void	baseline_put_changed(struct baseline *b, const char *path,
	    size_t len, const struct record *old, const struct record *r,
	    unsigned keep);
/* Record an acceptance of path's current state (note is stolen). */
void	baseline_set_accepted(struct baseline *b, const char *path,
	    size_t len, json_t *note);
const json_t *baseline_accepted(const struct baseline *b, const char *path,
	    size_t len);
const json_t *baseline_history(const struct baseline *b, const char *path,
	    size_t len);
/* Set into's "accepted" and, when history, its "history" (if any). */
void	baseline_notes_json(const struct baseline *b, const char *path,
	    size_t len, bool history, json_t *into);
/*
 * A new acceptance note: now, uid, user (may be NULL), reason (may be
 * NULL), window id (0: none).
 */
json_t	*baseline_accept_note(uint32_t uid, const char *user,
	    const char *reason, uint64_t window);

#endif
