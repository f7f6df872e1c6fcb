/*
 * watch: the backend-independent half of the kernel watch.
 *
 * Dispatches through a struct watch_ops (fanotify, inotify, none) and
 * keeps what every backend needs the same way: the list of roots, the
 * exact paths never to report (the daemon's own files), the gaps waiting
 * for the next watch_read(), the counters, and the last filter an event
 * passes before the daemon sees it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "pathmap.h"
#include "walk.h"
#include "watch.h"
#include "watch_int.h"
#include "xmalloc.h"

static const struct watch_ops *
ops_for(enum backend_kind kind)
{
	switch (kind) {
	case BACKEND_FANOTIFY:
		return &watch_fanotify_ops;
	case BACKEND_INOTIFY:
		return &watch_inotify_ops;
	case BACKEND_NONE:
		return &watch_none_ops;
	case BACKEND_AUTO:
		break;
	}
	return NULL;
}

static int
try_open(struct watch *w, const struct watch_ops *ops, struct diag *diag)
{
	int r;

	w->ops = ops;
	w->st.backend = ops->name;
	if ((r = ops->open(w, diag)) < 0) {
		w->ops = NULL;
		w->be = NULL;
		w->fd = -1;
	}
	return r;
}

int
watch_open(enum backend_kind kind, const struct watch_filter *filter,
    uint64_t queue_budget, struct watch **ret, struct diag *diag)
{
	struct watch *w;
	int r;

	w = xcalloc(1, sizeof(*w));
	if (filter != NULL)
		w->filter = *filter;
	w->fd = -1;
	w->queue_budget = queue_budget;
	w->ignore = pathmap_new();
	if (kind == BACKEND_AUTO) {
		if ((r = try_open(w, &watch_fanotify_ops, NULL)) < 0) {
			if (diag != NULL)
				diag_add(diag, DIAG_NOTE, NULL, 0, 0,
				    "fanotify refused (%s); using inotify",
				    strerror(-r));
			r = try_open(w, &watch_inotify_ops, diag);
		}
	} else if (ops_for(kind) == NULL)
		r = -EINVAL;
	else
		r = try_open(w, ops_for(kind), diag);
	if (r < 0) {
		pathmap_free(w->ignore);
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

static bool
free_key(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	free(value);
	return true;
}

static void
free_gaps(struct watch *w)
{
	size_t i;

	for (i = 0; i < w->ngaps; i++) {
		free(w->gaps[i].path);
		free(w->gaps[i].reason);
	}
	w->ngaps = 0;
}

static void
free_roots(struct watch *w)
{
	size_t i;

	for (i = 0; i < w->nroots; i++)
		free(w->roots[i].path);
	free(w->roots);
	w->roots = NULL;
	w->nroots = 0;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->ops != NULL)
		w->ops->free(w);
	free_roots(w);
	free_gaps(w);
	free(w->gaps);
	pathmap_foreach(w->ignore, free_key, NULL);
	pathmap_free(w->ignore);
	free(w);
}

const char *
watch_backend(const struct watch *w)
{
	return w->ops->name;
}

int
watch_add_root(struct watch *w, const char *path, size_t len)
{
	struct watch_root *rt;
	size_t i;

	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 0 || path[0] != '/')
		return -EINVAL;
	for (i = 0; i < w->nroots; i++)
		if (w->roots[i].len == len &&
		    memcmp(w->roots[i].path, path, len) == 0)
			return 0;
	w->roots = xreallocarray(w->roots, w->nroots + 1, sizeof(*w->roots));
	rt = &w->roots[w->nroots++];
	rt->path = xstrndup(path, len);
	rt->len = len;
	return w->ops->add_root(w, w->nroots - 1);
}

void
watch_clear(struct watch *w)
{
	w->ops->clear(w);
	free_roots(w);
	free_gaps(w);
}

void
watch_ignore_path(struct watch *w, const char *path, size_t len)
{
	char *key;

	if (pathmap_get(w->ignore, path, len) != NULL)
		return;
	key = xmemdup(path, len);
	pathmap_put(w->ignore, key, len, key);
}

int
watch_enable_exec(struct watch *w)
{
	return w->ops->enable_exec(w);
}

int
watch_fd(const struct watch *w)
{
	return w->fd;
}

int
watch_read(struct watch *w, watch_event_fn *cb, void *arg)
{
	watch_deliver_gaps(w, cb, arg);
	return w->ops->read(w, cb, arg);
}

int
watch_hold_ms(const struct watch *w)
{
	return w->ops->hold_ms(w);
}

void
watch_flush(struct watch *w, watch_event_fn *cb, void *arg)
{
	w->ops->flush(w, cb, arg);
}

void
watch_stats(const struct watch *w, struct watch_stats *ret)
{
	*ret = w->st;
	ret->backend = w->ops->name;
	w->ops->stats(w, ret);
}

/* ---- shared with the backends ---- */

void
watch_gap(struct watch *w, const char *path, size_t len, const char *reason)
{
	struct watch_gap *g;
	size_t i;

	for (i = 0; i < w->ngaps; i++)
		if (w->gaps[i].len == len &&
		    memcmp(w->gaps[i].path, path, len) == 0)
			return;		/* one rescan covers both */
	if (w->ngaps == w->gaps_alloc) {
		w->gaps_alloc = w->gaps_alloc == 0 ? 8 : w->gaps_alloc * 2;
		w->gaps = xreallocarray(w->gaps, w->gaps_alloc,
		    sizeof(*w->gaps));
	}
	g = &w->gaps[w->ngaps++];
	g->path = xstrndup(path, len);
	g->len = len;
	g->reason = xstrdup(reason);
}

void
watch_gap_errno(struct watch *w, const char *path, size_t len,
    const char *what, int err)
{
	char reason[256];

	(void)snprintf(reason, sizeof(reason), "%s (%s)", what, strerror(-err));
	watch_gap(w, path, len, reason);
}

void
watch_deliver_gaps(struct watch *w, watch_event_fn *cb, void *arg)
{
	struct watch_event ev;
	struct watch_gap *v;
	size_t i, n;

	/* Detach first: the callback may add roots, and so new gaps. */
	v = w->gaps;
	n = w->ngaps;
	w->gaps = NULL;
	w->ngaps = w->gaps_alloc = 0;
	for (i = 0; i < n; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.flags = WEV_GAP;
		ev.path = v[i].path;
		ev.len = v[i].len;
		ev.pidfd = -1;
		ev.reason = v[i].reason;
		w->st.gaps++;
		w->st.delivered++;
		cb(&ev, arg);
		free(v[i].path);
		free(v[i].reason);
	}
	free(v);
}

static bool
ignored(const struct watch *w, const char *path, size_t len)
{
	return path != NULL && pathmap_get(w->ignore, path, len) != NULL;
}

static bool
wanted(const struct watch *w, const char *path, size_t len, bool is_dir)
{
	if (path == NULL || !watch_in_root(w, path, len))
		return false;
	if (w->filter.want_path == NULL)
		return true;
	return w->filter.want_path(path, len, is_dir, w->filter.arg);
}

bool
watch_deliver(struct watch *w, const struct watch_event *ev,
    watch_event_fn *cb, void *arg)
{
	bool is_dir = ev->flags & WEV_ISDIR;

	if (ev->flags & (WEV_GAP | WEV_OVERFLOW | WEV_EXEC)) {
		if ((ev->flags & WEV_EXEC) && ignored(w, ev->path, ev->len))
			return false;
		if (ev->flags & WEV_GAP)
			w->st.gaps++;
		if (ev->flags & WEV_OVERFLOW)
			w->st.overflows++;
		goto deliver;
	}
	if (ignored(w, ev->path, ev->len) ||
	    (ev->old_path != NULL && ignored(w, ev->old_path, ev->old_len)))
		return false;
	if (!wanted(w, ev->path, ev->len, is_dir) && !wanted(w, ev->old_path,
	    ev->old_len, is_dir))
		return false;
deliver:
	w->st.delivered++;
	cb(ev, arg);
	return true;
}

/* Whether path equals prefix or lies below it. */
static bool
below(const char *path, size_t len, const char *prefix, size_t plen)
{
	if (len < plen || memcmp(path, prefix, plen) != 0)
		return false;
	if (len == plen)
		return true;
	return (plen == 1 && prefix[0] == '/') || path[plen] == '/';
}

bool
watch_in_root(const struct watch *w, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < w->nroots; i++)
		if (below(path, len, w->roots[i].path, w->roots[i].len))
			return true;
	return false;
}

bool
watch_above_root(const struct watch *w, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < w->nroots; i++)
		if (w->roots[i].len > len && below(w->roots[i].path,
		    w->roots[i].len, path, len))
			return true;
	return false;
}

void
watch_ancestor_changed(struct watch *w, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < w->nroots; i++) {
		if (w->roots[i].len <= len || !below(w->roots[i].path,
		    w->roots[i].len, path, len))
			continue;
		(void)w->ops->add_root(w, i);
		watch_gap(w, w->roots[i].path, w->roots[i].len,
		    "a directory above the watched path changed");
	}
}

bool
watch_want_dir(const struct watch *w, const char *path, size_t len)
{
	if (w->filter.want_dir == NULL)
		return true;
	return w->filter.want_dir(path, len, w->filter.arg);
}

int
watch_join(struct buf *b, const char *dir, size_t dlen, const char *name,
    size_t nlen)
{
	buf_reset(b);
	if (buf_add(b, dir, dlen) < 0)
		return -ENAMETOOLONG;
	if (nlen == 0)
		return 0;
	if (!(dlen == 1 && dir[0] == '/') && buf_addc(b, '/') < 0)
		return -ENAMETOOLONG;
	if (buf_add(b, name, nlen) < 0)
		return -ENAMETOOLONG;
	return 0;
}

int
watch_lstat(const char *path, size_t len, struct stat *st)
{
	const char *slash;
	char *name;
	int dfd, r;

	if (len < PATH_MAX) {
		name = xstrndup(path, len);
		r = lstat(name, st) < 0 ? -errno : 0;
		free(name);
		return r;
	}
	/* Long: the parent by components, then the last name in it. */
	slash = path + len;
	while (slash > path && slash[-1] != '/')
		slash--;
	if (slash <= path + 1)
		return -ENAMETOOLONG;
	if ((dfd = walk_open_dir(path, (size_t)(slash - 1 - path),
	    O_PATH)) < 0)
		return dfd;
	name = xstrndup(slash, (size_t)(path + len - slash));
	r = fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	free(name);
	close(dfd);
	return r;
}
