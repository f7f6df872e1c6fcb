/* Byte-string hash map; see pathmap.h. */
#include <stdlib.h>
#include <string.h>

#include "pathmap.h"
#include "xmalloc.h"

struct slot {
	const char *key;	/* NULL: empty; TOMBSTONE: deleted */
	size_t	 len;
	uint64_t hash;
	void	*value;
};

struct pathmap {
	struct slot *slots;
	size_t	 cap;		/* power of two */
	size_t	 count;		/* live entries */
	size_t	 used;		/* live + tombstones */
};

static const char tombstone[1];
#define TOMBSTONE tombstone

uint64_t
pathmap_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct pathmap *
pathmap_new(void)
{
	struct pathmap *m;

	m = xcalloc(1, sizeof(*m));
	m->cap = 64;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

void
pathmap_free(struct pathmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

static struct slot *
find(const struct pathmap *m, const char *key, size_t len, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);
	struct slot *s;

	for (;;) {
		s = &m->slots[i];
		if (s->key == NULL)
			return NULL;
		if (s->key != TOMBSTONE && s->hash == h && s->len == len &&
		    memcmp(s->key, key, len) == 0)
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

static void
grow(struct pathmap *m)
{
	struct slot *old = m->slots, *s;
	size_t oldcap = m->cap, i, j;

	if (m->count * 2 >= m->cap)
		m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->used = m->count;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL || old[i].key == TOMBSTONE)
			continue;
		j = (size_t)old[i].hash & (m->cap - 1);
		while ((s = &m->slots[j])->key != NULL)
			j = (j + 1) & (m->cap - 1);
		*s = old[i];
	}
	free(old);
}

void *
pathmap_get(const struct pathmap *m, const char *key, size_t len)
{
	struct slot *s = find(m, key, len, pathmap_hash(key, len));

	return s != NULL ? s->value : NULL;
}

void *
pathmap_put(struct pathmap *m, const char *key, size_t len, void *value)
{
	uint64_t h = pathmap_hash(key, len);
	struct slot *s;
	void *old;
	size_t i;

	if ((s = find(m, key, len, h)) != NULL) {
		old = s->value;
		s->key = key;
		s->value = value;
		return old;
	}
	if ((m->used + 1) * 10 >= m->cap * 7)
		grow(m);
	i = (size_t)h & (m->cap - 1);
	while (m->slots[i].key != NULL && m->slots[i].key != TOMBSTONE)
		i = (i + 1) & (m->cap - 1);
	s = &m->slots[i];
	if (s->key == NULL)
		m->used++;
	s->key = key;
	s->len = len;
	s->hash = h;
	s->value = value;
	m->count++;
	return NULL;
}

void *
pathmap_remove(struct pathmap *m, const char *key, size_t len)
{
	struct slot *s = find(m, key, len, pathmap_hash(key, len));
	void *v;

	if (s == NULL)
		return NULL;
	v = s->value;
	s->key = TOMBSTONE;
	s->value = NULL;
	m->count--;
	return v;
}

size_t
pathmap_count(const struct pathmap *m)
{
	return m->count;
}

void
pathmap_foreach(const struct pathmap *m,
    bool (*fn)(const char *key, size_t len, void *value, void *arg),
    void *arg)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		if (m->slots[i].key == NULL || m->slots[i].key == TOMBSTONE)
			continue;
		if (!fn(m->slots[i].key, m->slots[i].len, m->slots[i].value,
		    arg))
			return;
	}
}
