/*
 * baseline: how many entries lie below each directory (baseline.h,
 * baseline_has_below).  A map from every ancestor of every entry's path
 * to its count of descendants, built the first time someone asks and
 * then kept up to date by the arena's appends and removals, so that
 * deleting a directory whose files went before it (rm -rf) costs one
 * lookup instead of a walk over the whole baseline.
 */
#include <stdlib.h>
#include <string.h>

#include "baseline_int.h"
#include "pathmap.h"
#include "xmalloc.h"

/* One ancestor; the map's key lives here. */
struct below_count {
	uint64_t n;
	size_t	 len;
	char	 dir[];
};

static void
count_dir(struct pathmap *m, const char *dir, size_t len, int delta)
{
	struct below_count *c = pathmap_get(m, dir, len);

	if (c == NULL) {
		if (delta < 0)
			return;		/* cannot happen: counted when added */
		c = xcalloc(1, sizeof(*c) + len + 1);
		memcpy(c->dir, dir, len);
		c->len = len;
		pathmap_put(m, c->dir, c->len, c);
	}
	if (delta > 0) {
		c->n++;
		return;
	}
	if (--c->n == 0)
		free(pathmap_remove(m, c->dir, c->len));
}

void
baseline_below_count(struct baseline *b, const char *path, size_t len,
    int delta)
{
	size_t i;

	if (b->below == NULL || len < 2 || path[0] != '/')
		return;
	count_dir(b->below, "/", 1, delta);
	for (i = 1; i < len; i++) {
		if (path[i] == '/')
			count_dir(b->below, path, i, delta);
	}
}

static bool
free_count(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	free(value);
	return true;
}

void
baseline_below_free(struct baseline *b)
{
	if (b->below == NULL)
		return;
	pathmap_foreach(b->below, free_count, NULL);
	pathmap_free(b->below);
	b->below = NULL;
}

bool
baseline_has_below(struct baseline *b, const char *dir, size_t len)
{
	struct baseline_iter it;
	const char *p;
	size_t plen;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (b->below == NULL) {
		b->below = pathmap_new();
		baseline_iter_init(&it, b);
		while (baseline_iter_next(&it, &p, &plen, NULL))
			baseline_below_count(b, p, plen, 1);
	}
	return pathmap_get(b->below, dir, len) != NULL;
}
