/*
 * baseline: the in-memory index.
 *
 * Layout, chosen to stay small at millions of entries:
 *
 *  - One arena holds every entry packed back to back, 4-byte aligned:
 *      u32 size | u8 flags | varint path length | path bytes | NUL |
 *      the record as attr_pack() writes it: varint known and dev, then
 *      each attribute it holds in table order (varint numbers, times as
 *      zigzag varint seconds and varint nanoseconds, raw digests)
 *    Small numbers (ids, modes, link counts, nanoseconds of coarse
 *    filesystems) take one or two bytes instead of eight.
 *  - A path index of u32 slots (entry offset / 4 + 1), open addressing
 *    with linear probing, at most 3/4 full.  Lookups compare the path in
 *    the arena itself, so no second copy of any key exists.
 *  - Seen marks are a flag bit in each entry.
 *  - An inode index, same slot form, hashed on (dev, inode), built the
 *    first time someone asks and then kept up to date.
 *
 * A replaced or removed entry is flagged dead and its slot becomes a
 * tombstone; once dead bytes outweigh live ones the arena is compacted
 * and both indexes are rebuilt.  Measured with 100,000 entries of
 * 43-byte /usr-like paths and one sha256 each: 138 bytes per entry, path
 * and index included (tests/unit/test_baseline.c prints the figure).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "baseline_int.h"
#include "clock.h"
#include "log.h"
#include "varint.h"
#include "xmalloc.h"

#define F_DEAD		0x01
#define F_SEEN		0x02

#define SLOT_EMPTY	0u
#define SLOT_TOMB	UINT32_MAX
#define MIN_SLOTS	64
/* Arena offsets are stored / 4 in 32 bits: 16 GiB of entries at most. */
#define ARENA_MAX	(((size_t)UINT32_MAX - 2) * 4)
#define COMPACT_MIN	(256 * 1024)

static size_t
align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static uint32_t
off_to_slot(size_t off)
{
	return (uint32_t)(off / 4 + 1);
}

static size_t
slot_to_off(uint32_t s)
{
	return ((size_t)s - 1) * 4;
}

/* ---- hashing ---- */

static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
hash_path(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0x100000001b3ULL);
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9fb21c651e98df25ULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	h = (h ^ w) * 0x9fb21c651e98df25ULL;
	return mix64(h);
}

static uint64_t
hash_inode(uint64_t dev, uint64_t ino)
{
	return mix64(ino * 0x9e3779b97f4a7c15ULL ^ mix64(dev + 1));
}

/* ---- packing ---- */

/* An upper bound on the packed size of an entry. */
static size_t
packed_bound(size_t len, const struct record *r)
{
	return 4 + 1 + VARINT_MAX + len + 1 + attr_pack_bound(r) + 3;
}

/* Pack at p (room for packed_bound bytes); returns the aligned size. */
static size_t
pack(unsigned char *start, const char *path, size_t len,
    const struct record *r, unsigned char flags)
{
	unsigned char *p = start + 4;
	uint32_t size;
	size_t n;

	*p++ = flags;
	p = varint_put(p, len);
	memcpy(p, path, len);
	p += len;
	*p++ = '\0';
	p = attr_pack(p, r);
	n = align4((size_t)(p - start));
	memset(p, 0, n - (size_t)(p - start));
	size = (uint32_t)n;
	memcpy(start, &size, 4);
	return n;
}

static uint32_t
entry_size(const struct baseline *b, size_t off)
{
	uint32_t size;

	memcpy(&size, b->arena + off, 4);
	return size;
}

static unsigned char *
entry_flags(const struct baseline *b, size_t off)
{
	return b->arena + off + 4;
}

/* Path of the entry at off; *ret_body (may be NULL) gets what follows. */
static const char *
entry_path(const struct baseline *b, size_t off, size_t *ret_len,
    const unsigned char **ret_body)
{
	const unsigned char *p = b->arena + off + 5;
	size_t len = (size_t)varint_get(&p);

	*ret_len = len;
	if (ret_body != NULL)
		*ret_body = p + len + 1;
	return (const char *)p;
}

static void
entry_dev_ino(const struct baseline *b, size_t off, uint64_t *dev,
    uint64_t *ino)
{
	const unsigned char *p;
	struct record r;
	size_t len;

	(void)entry_path(b, off, &len, &p);
	attr_unpack(&p, &r, ATTR_INODE);	/* allocates nothing */
	*ino = r.inode;
	*dev = r.dev;
}

static void
unpack(const struct baseline *b, size_t off, struct record *r)
{
	const unsigned char *p;
	size_t len;

	(void)entry_path(b, off, &len, &p);
	attr_unpack(&p, r, ATTR_COUNT);
}

/* ---- indexes ---- */

static void rebuild_paths(const struct baseline *b);

/* Slot index holding path, or the first free one when absent. */
static size_t
find_slot(const struct baseline *b, const char *path, size_t len,
    bool *found)
{
	size_t mask, i, tomb = SIZE_MAX, plen;
	const char *p;
	uint32_t s;

	if (b->px->stale)
		rebuild_paths(b);
	mask = b->px->nslots - 1;
	*found = false;
	i = (size_t)hash_path(path, len) & mask;
	for (;; i = (i + 1) & mask) {
		s = b->px->slots[i];
		if (s == SLOT_EMPTY)
			return tomb != SIZE_MAX ? tomb : i;
		if (s == SLOT_TOMB) {
			if (tomb == SIZE_MAX)
				tomb = i;
			continue;
		}
		p = entry_path(b, slot_to_off(s), &plen, NULL);
		if (plen == len && memcmp(p, path, len) == 0) {
			*found = true;
			return i;
		}
	}
}

static size_t
slots_for(size_t n)
{
	size_t size = MIN_SLOTS;

	while (size < 2 * (n + 1))
		size *= 2;
	return size;
}

/*
 * Put every live entry into a fresh path index.  The index is apart from
 * the struct (struct path_index), so a lookup through a const baseline
 * may build it when loading left it stale.
 */
static void
rebuild_paths(const struct baseline *b)
{
	size_t off, plen, mask, i;
	const char *p;

	free(b->px->slots);
	b->px->nslots = slots_for(b->count);
	b->px->slots = xcalloc(b->px->nslots, sizeof(*b->px->slots));
	b->px->nused = 0;
	mask = b->px->nslots - 1;
	for (off = 0; off < b->used; off += entry_size(b, off)) {
		if (*entry_flags(b, off) & F_DEAD)
			continue;
		p = entry_path(b, off, &plen, NULL);
		i = (size_t)hash_path(p, plen) & mask;
		while (b->px->slots[i] != SLOT_EMPTY)
			i = (i + 1) & mask;
		b->px->slots[i] = off_to_slot(off);
		b->px->nused++;
	}
	b->px->stale = false;
}

/*
 * Offset of the live entry for path, or SIZE_MAX.  Scans visit paths in
 * nearly the order a loaded arena holds them (both sorted by bytes), so
 * the entry found last and the live one after it are tried before the
 * index: one comparison in memory already being read instead of a probe
 * into a table the size of the baseline, and no index at all for a
 * --check that finds every path where it expects it.
 */
/* Whether the entry at off is live and holds path. */
static bool
entry_is(const struct baseline *b, size_t off, const char *path, size_t len)
{
	size_t plen;
	const char *p;

	if (*entry_flags(b, off) & F_DEAD)
		return false;
	p = entry_path(b, off, &plen, NULL);
	return plen == len && memcmp(p, path, len) == 0;
}

static size_t
locate(const struct baseline *b, const char *path, size_t len)
{
	size_t off, i;
	bool found;

	if (b->px->cursor < b->used) {
		off = b->px->cursor;
		if (entry_is(b, off, path, len))
			return off;
		/* The next live entry, past at most a few dead ones. */
		off += entry_size(b, off);
		for (i = 0; i < 4 && off < b->used; i++) {
			if (entry_is(b, off, path, len)) {
				b->px->cursor = off;
				return off;
			}
			if (!(*entry_flags(b, off) & F_DEAD))
				break;
			off += entry_size(b, off);
		}
	}
	i = find_slot(b, path, len, &found);
	if (!found)
		return SIZE_MAX;
	off = slot_to_off(b->px->slots[i]);
	b->px->cursor = off;
	return off;
}

static void
inode_insert(struct baseline *b, size_t off)
{
	size_t mask = b->nislots - 1, i;
	uint64_t dev, ino;

	entry_dev_ino(b, off, &dev, &ino);
	i = (size_t)hash_inode(dev, ino) & mask;
	while (b->islots[i] != SLOT_EMPTY && b->islots[i] != SLOT_TOMB)
		i = (i + 1) & mask;
	if (b->islots[i] == SLOT_EMPTY)
		b->niused++;
	b->islots[i] = off_to_slot(off);
}

static void
rebuild_inodes(struct baseline *b)
{
	size_t off;

	free(b->islots);
	b->nislots = slots_for(b->count);
	b->islots = xcalloc(b->nislots, sizeof(*b->islots));
	b->niused = 0;
	for (off = 0; off < b->used; off += entry_size(b, off)) {
		if (!(*entry_flags(b, off) & F_DEAD))
			inode_insert(b, off);
	}
}

static void
inode_add(struct baseline *b, size_t off)
{
	if (b->islots == NULL)
		return;
	if (4 * (b->niused + 1) > 3 * b->nislots)
		rebuild_inodes(b);
	else
		inode_insert(b, off);
}

static void
inode_del(struct baseline *b, size_t off)
{
	size_t mask, i;
	uint64_t dev, ino;
	uint32_t want = off_to_slot(off);

	if (b->islots == NULL)
		return;
	mask = b->nislots - 1;
	entry_dev_ino(b, off, &dev, &ino);
	i = (size_t)hash_inode(dev, ino) & mask;
	for (; b->islots[i] != SLOT_EMPTY; i = (i + 1) & mask) {
		if (b->islots[i] == want) {
			b->islots[i] = SLOT_TOMB;
			return;
		}
	}
}

/* ---- arena ---- */

/*
 * A big arena is written once from end to end (a load, a scan): in 2 MiB
 * pages it takes 512 times fewer page faults, which were a fifth of a
 * million-entry load.  Only the whole huge pages inside it are advised.
 */
static void
advise_huge(unsigned char *p, size_t len)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(huge - 1);

	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

void
baseline_reserve(struct baseline *b, size_t bytes)
{
	size_t want;

	if (bytes > ARENA_MAX || b->used > ARENA_MAX - bytes)
		fatalx("baseline: more than 16 GiB of entries");
	want = b->used + bytes;
	if (want <= b->alloc)
		return;
	if (b->alloc > 0 && want < b->alloc + b->alloc / 2)
		want = b->alloc + b->alloc / 2;
	if (want < 64 * 1024)
		want = 64 * 1024;
	if (want > ARENA_MAX)
		want = ARENA_MAX;
	b->arena = xreallocarray(b->arena, want, 1);
	b->alloc = want;
	advise_huge(b->arena, want);
}

void
baseline_shrink(struct baseline *b)
{
	if (b->used == 0 || b->used == b->alloc)
		return;
	b->arena = xreallocarray(b->arena, b->used, 1);
	b->alloc = b->used;
}

void
baseline_presize(struct baseline *b, size_t n)
{
	if (b->count == 0 && slots_for(n) > b->px->nslots) {
		free(b->px->slots);
		b->px->nslots = slots_for(n);
		b->px->slots = xcalloc(b->px->nslots, sizeof(*b->px->slots));
		b->px->nused = 0;
	}
}

/* Copy the live entries into a fresh arena and rebuild the indexes. */
static void
compact(struct baseline *b)
{
	unsigned char *na;
	size_t off, n = 0, live = b->used - b->dead, size;

	na = xmalloc(live > 0 ? live : 1);
	for (off = 0; off < b->used; off += size) {
		size = entry_size(b, off);
		if (*entry_flags(b, off) & F_DEAD)
			continue;
		memcpy(na + n, b->arena + off, size);
		n += size;
	}
	free(b->arena);
	b->arena = na;
	b->alloc = live > 0 ? live : 1;
	b->used = n;
	b->dead = 0;
	b->px->cursor = 0;
	rebuild_paths(b);
	if (b->islots != NULL)
		rebuild_inodes(b);
}

static void
kill_entry(struct baseline *b, size_t off)
{
	size_t len;
	const char *path = entry_path(b, off, &len, NULL);

	baseline_below_count(b, path, len, -1);
	inode_del(b, off);
	*entry_flags(b, off) |= F_DEAD;
	b->dead += entry_size(b, off);
	b->count--;
}

static void
maybe_compact(struct baseline *b)
{
	if (b->dead >= COMPACT_MIN && b->dead > (b->used - b->dead))
		compact(b);
}

/* Append a packed entry; returns its offset. */
static size_t
append(struct baseline *b, const char *path, size_t len,
    const struct record *r, unsigned char flags)
{
	size_t off;

	baseline_reserve(b, packed_bound(len, r));
	if (b->arena == NULL)		/* cannot happen; for the analyzer */
		fatalx("baseline: no arena");
	off = b->used;
	b->used += pack(b->arena + off, path, len, r, flags);
	b->count++;
	baseline_below_count(b, path, len, 1);
	return off;
}

/* ---- public ---- */

struct baseline *
baseline_new(void)
{
	struct baseline *b = xcalloc(1, sizeof(*b));
	struct fimd_time now;
	char t[FIMD_TIME_RFC3339_LEN], host[256];

	clock_wall(&now);
	fimd_time_rfc3339(&now, t);
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	b->created = xstrdup(t);
	b->host = xstrdup(host);
	b->rules_digest = xstrdup("");
	b->px = xcalloc(1, sizeof(*b->px));
	b->px->nslots = MIN_SLOTS;
	b->px->slots = xcalloc(b->px->nslots, sizeof(*b->px->slots));
	return b;
}

void
baseline_free(struct baseline *b)
{
	if (b == NULL)
		return;
	baseline_note_free_all(b);
	baseline_below_free(b);
	free(b->arena);
	free(b->px->slots);
	free(b->px);
	free(b->islots);
	free(b->created);
	free(b->host);
	free(b->rules_digest);
	json_decref(b->entities);
	free(b);
}

const json_t *
baseline_entities(const struct baseline *b, const char *type)
{
	return b->entities != NULL ? json_object_get(b->entities, type) :
	    NULL;
}

void
baseline_set_entities(struct baseline *b, const char *type, json_t *list)
{
	if (list == NULL) {
		if (b->entities != NULL)
			(void)json_object_del(b->entities, type);
		return;
	}
	if (b->entities == NULL)
		b->entities = json_object();
	json_object_set_new(b->entities, type, list);
}

void
baseline_set_header(struct baseline *b, const char *created,
    const char *host, const char *rules_digest)
{
	if (created != NULL) {
		free(b->created);
		b->created = xstrdup(created);
	}
	if (host != NULL) {
		free(b->host);
		b->host = xstrdup(host);
	}
	if (rules_digest != NULL)
		baseline_set_rules_digest(b, rules_digest);
}

void
baseline_set_rules_digest(struct baseline *b, const char *digest)
{
	free(b->rules_digest);
	b->rules_digest = xstrdup(digest != NULL ? digest : "");
}

const char *
baseline_rules_digest(const struct baseline *b)
{
	return b->rules_digest;
}

const char *
baseline_created(const struct baseline *b)
{
	return b->created;
}

const char *
baseline_host(const struct baseline *b)
{
	return b->host;
}

size_t
baseline_count(const struct baseline *b)
{
	return b->count;
}

size_t
baseline_memory(const struct baseline *b)
{
	return sizeof(*b) + b->alloc + b->px->nslots * sizeof(*b->px->slots) +
	    b->nislots * sizeof(*b->islots) + strlen(b->created) +
	    strlen(b->host) + strlen(b->rules_digest) + 3;
}

int
baseline_get(const struct baseline *b, const char *path, size_t len,
    struct record *ret)
{
	size_t off = locate(b, path, len);

	if (off == SIZE_MAX) {
		record_init(ret);
		return -ENOENT;
	}
	unpack(b, off, ret);
	return 0;
}

bool
baseline_contains(const struct baseline *b, const char *path, size_t len)
{
	return locate(b, path, len) != SIZE_MAX;
}

void
baseline_append(struct baseline *b, const char *path, size_t len,
    const struct record *r)
{
	size_t off;

	/*
	 * The file is sorted and checked, so no lookup is needed to append;
	 * the index is built in one pass by the first lookup the cursor
	 * cannot answer, if one ever comes.
	 */
	off = append(b, path, len, r, 0);
	b->px->stale = true;
	inode_add(b, off);
}

void
baseline_put(struct baseline *b, const char *path, size_t len,
    const struct record *r)
{
	bool found;
	size_t i, off;
	char *copy = NULL;

	/* A borrowed path from this baseline would move with the arena. */
	if (b->arena != NULL && (const unsigned char *)path >= b->arena &&
	    (const unsigned char *)path < b->arena + b->alloc)
		path = copy = xmemdup(path, len);
	if (b->px->stale)
		rebuild_paths(b);
	if (4 * (b->px->nused + 1) > 3 * b->px->nslots) {
		if (b->dead > 0)
			compact(b);
		else
			rebuild_paths(b);
	}
	i = find_slot(b, path, len, &found);
	if (found)
		kill_entry(b, slot_to_off(b->px->slots[i]));
	else if (b->px->slots[i] == SLOT_EMPTY)
		b->px->nused++;
	off = append(b, path, len, r, F_SEEN);
	b->px->slots[i] = off_to_slot(off);
	inode_add(b, off);
	free(copy);
	maybe_compact(b);
}

int
baseline_remove(struct baseline *b, const char *path, size_t len)
{
	bool found;
	size_t i = find_slot(b, path, len, &found);

	if (!found)
		return -ENOENT;
	kill_entry(b, slot_to_off(b->px->slots[i]));
	b->px->slots[i] = SLOT_TOMB;
	baseline_note_drop(b, path, len);
	maybe_compact(b);
	return 0;
}

void
baseline_clear_seen(struct baseline *b)
{
	size_t off;

	for (off = 0; off < b->used; off += entry_size(b, off))
		*entry_flags(b, off) &= (unsigned char)~F_SEEN;
}

bool
baseline_mark_seen(struct baseline *b, const char *path, size_t len)
{
	size_t off = locate(b, path, len);

	if (off == SIZE_MAX)
		return false;
	*entry_flags(b, off) |= F_SEEN;
	return true;
}

void
baseline_iter_init(struct baseline_iter *it, const struct baseline *b)
{
	it->b = b;
	it->pos = 0;
}

bool
baseline_iter_next(struct baseline_iter *it, const char **ret_path,
    size_t *ret_len, bool *ret_seen)
{
	const struct baseline *b = it->b;
	size_t off;
	unsigned char f;

	while (it->pos < b->used) {
		off = it->pos;
		it->pos += entry_size(b, off);
		f = *entry_flags(b, off);
		if (f & F_DEAD)
			continue;
		*ret_path = entry_path(b, off, ret_len, NULL);
		if (ret_seen != NULL)
			*ret_seen = (f & F_SEEN) != 0;
		return true;
	}
	return false;
}

size_t
baseline_find_inode(struct baseline *b, uint64_t dev, uint64_t inode,
    const char **ret, size_t *ret_lens, size_t max)
{
	size_t mask, i, n = 0, off, len;
	uint64_t d, ino;
	uint32_t s;
	const char *p;

	if (b->islots == NULL)
		rebuild_inodes(b);
	mask = b->nislots - 1;
	i = (size_t)hash_inode(dev, inode) & mask;
	for (; (s = b->islots[i]) != SLOT_EMPTY; i = (i + 1) & mask) {
		if (s == SLOT_TOMB)
			continue;
		off = slot_to_off(s);
		entry_dev_ino(b, off, &d, &ino);
		if (d != dev || ino != inode)
			continue;
		p = entry_path(b, off, &len, NULL);
		if (n < max) {
			ret[n] = p;
			if (ret_lens != NULL)
				ret_lens[n] = len;
		}
		n++;
	}
	return n;
}

/* ---- for baseline_file.c ---- */

static int
path_cmp(const void *x, const void *y, void *arg)
{
	const struct baseline *b = arg;
	size_t lx, ly;
	const char *px = entry_path(b, slot_to_off(*(const uint32_t *)x), &lx,
	    NULL);
	const char *py = entry_path(b, slot_to_off(*(const uint32_t *)y), &ly,
	    NULL);

	/* Paths hold no NUL, so strcmp is byte order (unsigned). */
	return strcmp(px, py);
}

uint32_t *
baseline_sorted(const struct baseline *b)
{
	uint32_t *v = xreallocarray(NULL, b->count + 1, sizeof(*v));
	size_t off, n = 0;

	for (off = 0; off < b->used; off += entry_size(b, off)) {
		if (!(*entry_flags(b, off) & F_DEAD))
			v[n++] = off_to_slot(off);
	}
	qsort_r(v, n, sizeof(*v), path_cmp, (void *)(uintptr_t)b);
	return v;
}

const char *
baseline_entry_path(const struct baseline *b, uint32_t ref, size_t *ret_len)
{
	return entry_path(b, slot_to_off(ref), ret_len, NULL);
}

void
baseline_entry_record(const struct baseline *b, uint32_t ref,
    struct record *ret)
{
	unpack(b, slot_to_off(ref), ret);
}
