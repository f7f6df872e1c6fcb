/*
 * pathmap: a hash map from byte-string keys (paths: any bytes) to
 * pointers.  Keys are borrowed: each stays valid while it is in the map,
 * typically because it lives in the value it maps to.  Open addressing
 * with linear probing and tombstones; grows at 70 % load.  Not
 * thread-safe.
 */
#ifndef FIMD_PATHMAP_H
#define FIMD_PATHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pathmap;

struct pathmap *pathmap_new(void);
/* Free the map, not the values; accepts NULL. */
void	pathmap_free(struct pathmap *m);
/* The value for key, or NULL. */
void	*pathmap_get(const struct pathmap *m, const char *key, size_t len);
/* Map key to value (non-NULL), replacing; returns the old value or NULL. */
void	*pathmap_put(struct pathmap *m, const char *key, size_t len,
	    void *value);
/* Remove key; returns its value or NULL. */
void	*pathmap_remove(struct pathmap *m, const char *key, size_t len);
size_t	pathmap_count(const struct pathmap *m);
/*
 * Call fn for every entry, in no particular order.  fn must not change
 * the map; it returns false to stop early.
 */
void	pathmap_foreach(const struct pathmap *m,
	    bool (*fn)(const char *key, size_t len, void *value, void *arg),
	    void *arg);
/* 64-bit FNV-1a of len bytes. */
uint64_t pathmap_hash(const char *key, size_t len);

#endif
