/*
 * baseline internals shared by baseline.c (the in-memory index) and
 * baseline_file.c (load and save).  Not for other modules.
 */
#ifndef FIMD_BASELINE_INT_H
#define FIMD_BASELINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "baseline.h"
#include "buf.h"
#include "record.h"

/*
 * The path index, apart from struct baseline so that a lookup through a
 * const baseline may build it late (loading a sorted file appends without
 * indexing: stale) and move its cursor.
 */
struct path_index {
	uint32_t *slots;	/* slot = entry offset / 4 + 1; 0 empty,
				   UINT32_MAX tombstone */
	size_t	 nslots;	/* power of two */
	size_t	 nused;		/* live + tombstone slots */
	bool	 stale;		/* entries appended since it was built */
	size_t	 cursor;	/* offset of the entry found last, or 0 */
};

struct baseline {
	/* Packed entries, back to back, each 4-byte aligned (baseline.c). */
	unsigned char *arena;
	size_t	 used;		/* bytes of arena in use */
	size_t	 alloc;		/* bytes allocated */
	size_t	 dead;		/* bytes held by removed or replaced entries */
	size_t	 count;		/* live entries */

	/* Path index and lookup cursor (baseline.c); never NULL. */
	struct path_index *px;

	/* (dev, inode) index, built on first use; same slot encoding. */
	uint32_t *islots;
	size_t	 nislots;
	size_t	 niused;

	struct pathmap *notes;	/* path -> struct baseline_note; or NULL */
	/* dir -> entries below it (baseline_below.c), built on first use */
	struct pathmap *below;

	char	*created;
	char	*host;
	char	*rules_digest;
	/* The header's "entities": type -> list of items; or NULL. */
	json_t	*entities;
};

/*
 * Count path's entry in (delta 1) or out (-1) of every ancestor's
 * descendants, once the count exists (baseline_has_below built it).
 */
void	baseline_below_count(struct baseline *b, const char *path,
	    size_t len, int delta);
void	baseline_below_free(struct baseline *b);

/*
 * Append an entry known not to exist yet (loading a sorted, checked
 * file); seen is cleared.
 */
void	baseline_append(struct baseline *b, const char *path, size_t len,
	    const struct record *r);
/* Size an empty baseline's path index for n entries. */
void	baseline_presize(struct baseline *b, size_t n);
/* Reserve arena room for about bytes more packed bytes. */
void	baseline_reserve(struct baseline *b, size_t bytes);
/*
 * References (slot form) to the live entries sorted by path bytes: a new
 * array of baseline_count() elements, free with free().
 */
uint32_t *baseline_sorted(const struct baseline *b);
/* Path of the entry ref names (NUL-terminated, borrowed). */
const char *baseline_entry_path(const struct baseline *b, uint32_t ref,
	    size_t *ret_len);
/* Unpack the entry ref names into *ret (initialised here). */
void	baseline_entry_record(const struct baseline *b, uint32_t ref,
	    struct record *ret);
void	baseline_set_header(struct baseline *b, const char *created,
	    const char *host, const char *rules_digest);

/*
 * Notes (baseline_note.c).  The entry members for path's notes, to
 * append to its line (NULL when it has none; borrowed).  Reading: take
 * "accepted" and "history" of an entry object, checked; returns 0 or
 * -EINVAL with a static message.  Dropping: on remove, and all on free.
 */
struct baseline_note {
	json_t	*accepted;	/* object or NULL */
	json_t	*history;	/* array or NULL */
	size_t	 len;
	char	 path[];
};
const struct baseline_note *baseline_note_get(const struct baseline *b,
	    const char *path, size_t len);
int	baseline_note_read(struct baseline *b, const char *path, size_t len,
	    const json_t *entry, const char **ret_msg);
void	baseline_note_drop(struct baseline *b, const char *path, size_t len);
void	baseline_note_free_all(struct baseline *b);

/*
 * One JSON value from s[0..len) (baseline_json.c).  Returns 0 and a new
 * reference, or -EINVAL with a 1-based column and a static message.
 */
int	bjson_parse(const char *s, size_t len, json_t **ret, size_t *ret_col,
	    const char **ret_msg);
/* Append compact JSON for v / a string / an object's members. */
void	bjson_dump(struct buf *out, const json_t *v);
void	bjson_dump_string(struct buf *out, const char *s, size_t len);
void	bjson_dump_members(struct buf *out, const json_t *o);

#endif
