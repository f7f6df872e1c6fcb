/*
 * The handle maps of the fanotify backend (watch_fanotify_int.h).
 *
 * dirs maps a directory's handle key (fsid, handle type, handle bytes)
 * to its path; by_path maps the path back to the same entry, so a
 * rename can re-prefix a subtree and a removal can find its entry.
 * outside holds the handles met outside every root (path NULL), so they
 * are not resolved again.  An entry lives in dirs (and by_path) or in
 * outside, never in both: whoever takes it out of its map frees it.
 */
#include <sys/statfs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pathmap.h"
#include "walk.h"
#include "watch_fanotify_int.h"
#include "xmalloc.h"

static bool
free_dir(const char *key, size_t len, void *value, void *arg)
{
	struct fan_dir *d = value;

	(void)key;
	(void)len;
	(void)arg;
	free(d->path);
	free(d);
	return true;
}

void
fan_maps_init(struct fan *f)
{
	f->dirs = pathmap_new();
	f->by_path = pathmap_new();
	f->outside = pathmap_new();
}

void
fan_maps_release(struct fan *f)
{
	pathmap_foreach(f->dirs, free_dir, NULL);
	pathmap_free(f->dirs);
	pathmap_free(f->by_path);
	pathmap_foreach(f->outside, free_dir, NULL);
	pathmap_free(f->outside);
	f->dirs = f->by_path = f->outside = NULL;
}

void
fan_outside_clear(struct fan *f)
{
	pathmap_foreach(f->outside, free_dir, NULL);
	pathmap_free(f->outside);
	f->outside = pathmap_new();
}

void
fan_maps_clear(struct fan *f)
{
	fan_maps_release(f);
	fan_maps_init(f);
}

/* Drop d from both maps and free it. */
static void
drop_dir(struct fan *f, struct fan_dir *d)
{
	if (pathmap_get(f->by_path, d->path, d->len) == d)
		(void)pathmap_remove(f->by_path, d->path, d->len);
	if (pathmap_get(f->dirs, d->key, d->keylen) == d)
		(void)pathmap_remove(f->dirs, d->key, d->keylen);
	free_dir(NULL, 0, d, NULL);
}

static struct fan_dir *
new_dir(const char *key, size_t keylen)
{
	struct fan_dir *d;

	d = xcalloc(1, sizeof(*d));
	memcpy(d->key, key, keylen);
	d->keylen = keylen;
	return d;
}

bool
fan_outside_has(const struct fan *f, const char *key, size_t keylen)
{
	return pathmap_get(f->outside, key, keylen) != NULL;
}

void
fan_outside_add(struct fan *f, const char *key, size_t keylen)
{
	struct fan_dir *d = new_dir(key, keylen), *old;

	if ((old = pathmap_put(f->outside, d->key, keylen, d)) != NULL)
		free_dir(NULL, 0, old, NULL);
}

struct fan_dir *
fan_dir_get(const struct fan *f, const char *key, size_t keylen)
{
	return pathmap_get(f->dirs, key, keylen);
}

void
fan_dir_put(struct fan *f, const char *key, size_t keylen, const char *path,
    size_t len)
{
	struct fan_dir *d, *old;

	if ((old = pathmap_get(f->dirs, key, keylen)) != NULL)
		drop_dir(f, old);
	if ((old = pathmap_get(f->by_path, path, len)) != NULL)
		drop_dir(f, old);
	if ((old = pathmap_remove(f->outside, key, keylen)) != NULL)
		free_dir(NULL, 0, old, NULL);
	d = new_dir(key, keylen);
	d->path = xstrndup(path, len);
	d->len = len;
	pathmap_put(f->dirs, d->key, keylen, d);
	pathmap_put(f->by_path, d->path, len, d);
}

size_t
fan_make_key(char *key, const char *fsid, int htype, const void *handle,
    unsigned hbytes)
{
	memcpy(key, fsid, 8);
	memcpy(key + 8, &htype, 4);
	memcpy(key + 12, handle, hbytes);
	return 12 + hbytes;
}

int
fan_key_of_fd(int dfd, char *key, size_t *ret_len)
{
	union {
		struct file_handle fh;
		char	 raw[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	struct statfs sfs;
	int mnt;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(dfd, "", &h.fh, &mnt, AT_EMPTY_PATH) < 0)
		return -errno;
	if (fstatfs(dfd, &sfs) < 0)
		return -errno;
	*ret_len = fan_make_key(key, (const char *)&sfs.f_fsid,
	    h.fh.handle_type, h.fh.f_handle, h.fh.handle_bytes);
	return 0;
}

void
fan_learn_fd(struct fan *f, int dfd, const char *path, size_t len)
{
	char key[FAN_KEY_MAX];
	size_t klen = 0;

	if (fan_key_of_fd(dfd, key, &klen) == 0)
		fan_dir_put(f, key, klen, path, len);
}

void
fan_learn(struct fan *f, const char *path, size_t len)
{
	int dfd;

	if ((dfd = walk_open_dir(path, len, WATCH_DIR_OFLAGS)) >= 0) {
		fan_learn_fd(f, dfd, path, len);
		close(dfd);
	}
}

struct prefix_arg {
	const char *prefix;
	size_t	 plen;
	struct fan_dir **v;
	size_t	 n, alloc;
};

static bool
is_below(const char *path, size_t len, const char *prefix, size_t plen)
{
	if (len < plen || memcmp(path, prefix, plen) != 0)
		return false;
	return len == plen || (plen == 1 && prefix[0] == '/') ||
	    path[plen] == '/';
}

static bool
collect_below(const char *key, size_t len, void *value, void *arg)
{
	struct prefix_arg *pa = arg;
	struct fan_dir *d = value;

	(void)key;
	(void)len;
	if (!is_below(d->path, d->len, pa->prefix, pa->plen))
		return true;
	if (pa->n == pa->alloc) {
		pa->alloc = pa->alloc == 0 ? 16 : pa->alloc * 2;
		pa->v = xreallocarray(pa->v, pa->alloc, sizeof(*pa->v));
	}
	pa->v[pa->n++] = d;
	return true;
}

void
fan_forget_below(struct fan *f, const char *path, size_t len)
{
	struct prefix_arg pa = { path, len, NULL, 0, 0 };
	size_t i;

	pathmap_foreach(f->dirs, collect_below, &pa);
	for (i = 0; i < pa.n; i++)
		drop_dir(f, pa.v[i]);
	free(pa.v);
}

/*
 * A removed directory was empty, so what was below it went with events
 * of its own: only its entry goes.
 */
void
fan_forget_one(struct fan *f, const char *path, size_t len)
{
	struct fan_dir *d;

	if ((d = pathmap_get(f->by_path, path, len)) != NULL)
		drop_dir(f, d);
}

void
fan_reprefix(struct fan *f, const char *from, size_t flen, const char *to,
    size_t tlen)
{
	struct prefix_arg pa = { from, flen, NULL, 0, 0 };
	struct fan_dir *d;
	char *np;
	size_t i, nlen;

	pathmap_foreach(f->dirs, collect_below, &pa);
	for (i = 0; i < pa.n; i++) {
		d = pa.v[i];
		nlen = tlen + d->len - flen;
		np = xmalloc(nlen + 1);
		memcpy(np, to, tlen);
		memcpy(np + tlen, d->path + flen, d->len - flen);
		np[nlen] = '\0';
		if (pathmap_get(f->by_path, d->path, d->len) == d)
			(void)pathmap_remove(f->by_path, d->path, d->len);
		free(d->path);
		d->path = np;
		d->len = nlen;
		pathmap_put(f->by_path, d->path, d->len, d);
	}
	free(pa.v);
}
