/*
 * The walks of the scan engine (scan.h): whole trees, single subtrees,
 * and walks in slices.
 *
 * Every walk is walk.h's, steered by the callbacks below: an entry some
 * rule covers is probed (scan.c), a directory is descended into where
 * the rules may cover something below it, and the mount points of
 * pseudo filesystems (/proc, /sys, ...) are never listed, since reading
 * them is meaningless and some of their files block or have side
 * effects.  Synchronous walks share one walker; a walk in slices has its
 * own, so single paths are scanned while it is paused.  Both are made
 * here when first needed; scan_free() frees them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "probe.h"
#include "scan.h"
#include "scan_int.h"
#include "walk.h"
#include "xmalloc.h"

static enum walk_verdict scan_walk_dir(const struct walk_dir *, void *);
static enum walk_verdict scan_walk_entry(const struct walk_entry *, void *);
static void	scan_walk_error(const char *, size_t, int, const char *,
		    void *);

static const struct walk_ops scan_walk_ops = {
	scan_walk_dir,
	scan_walk_entry,
	scan_walk_error,
};

/* A walker steered by this file, statting ahead on a second core. */
static struct walk *
scan_walker(void)
{
	struct walk *wk = walk_new(&scan_walk_ops);

	/* A scan stats every entry it walks: take them on two cores. */
	walk_set_statahead(wk, true);
	return wk;
}

static bool
pseudo_fs(int fd)
{
	static const long magic[] = {
		PROC_SUPER_MAGIC, SYSFS_MAGIC, DEVPTS_SUPER_MAGIC,
		CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, DEBUGFS_MAGIC,
		TRACEFS_MAGIC, SECURITYFS_MAGIC, BPF_FS_MAGIC,
		SELINUX_MAGIC, SMACK_MAGIC, PSTOREFS_MAGIC, EFIVARFS_MAGIC,
		BINFMTFS_MAGIC, NSFS_MAGIC,
	};
	struct statfs sf;
	size_t i;

	if (fstatfs(fd, &sf) < 0)
		return false;
	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++) {
		if ((long)sf.f_type == magic[i])
			return true;
	}
	return false;
}

static void
scan_report_error(struct scan *s, const char *path, size_t len, int err,
    const char *op, struct scan_batch *batch)
{
	struct scan_item it;

	memset(&it, 0, sizeof(it));
	record_init(&it.rec);
	it.path = path;
	it.len = len;
	it.rule = ruleset_match(s->rs, it.path, it.len, true, NULL);
	it.err = err;
	it.err_op = op;
	it.batch = batch;
	scan_deliver(s, &it);
}

static enum walk_verdict
scan_walk_dir(const struct walk_dir *d, void *arg)
{
	struct scan_walk *sw = arg;

	if (d->mount && pseudo_fs(d->fd))
		return WALK_SKIP;
	sw->s->stats.dirs++;
	return WALK_CONTINUE;
}

/* Probe an entry some rule covers; descend where the rules reach. */
static enum walk_verdict
scan_walk_entry(const struct walk_entry *e, void *arg)
{
	struct scan_walk *sw = arg;
	struct scan *s = sw->s;
	struct scan_item it;
	bool is_dir = e->type == DT_DIR;

	memset(&it, 0, sizeof(it));
	record_init(&it.rec);
	it.path = e->path;
	it.len = e->len;
	it.batch = sw->batch;
	it.rule = ruleset_match(s->rs, it.path, it.len, is_dir, NULL);
	if (s->nignore > 0 && scan_is_ignored(s, it.path, it.len))
		it.rule = NULL;
	if (it.rule != NULL)
		scan_probe(s, e->dirfd, e->name, e->stx, &it);
	if (sw->left != SIZE_MAX && --sw->left == 0)
		walk_pause(sw->wk);
	if (is_dir && ruleset_should_descend(s->rs, e->path, e->len))
		return WALK_CONTINUE;
	return WALK_SKIP;
}

static void
scan_walk_error(const char *path, size_t len, int err, const char *op,
    void *arg)
{
	struct scan_walk *sw = arg;

	scan_report_error(sw->s, path, len, err, op, sw->batch);
}


/*
 * scan_path(); *ret_delivered says whether an error returned was
 * delivered as an item already (those of the walk are; a path that
 * cannot be reached at all is not).
 */
static int
scan_tree(struct scan_walk *sw, const char *path, size_t len,
    bool *ret_delivered)
{
	struct scan *s = sw->s;
	struct scan_batch *batch = sw->batch;
	struct scan_item it;
	const char *name;
	struct stat st;
	int parent, r;
	bool is_dir;

	*ret_delivered = false;
	if ((r = scan_start(s, path, len, &parent, &name)) < 0)
		return r == -ENOENT || r == -ENOTDIR ? 0 : r;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
		close(parent);
		return r;
	}
	is_dir = S_ISDIR(st.st_mode);
	memset(&it, 0, sizeof(it));
	record_init(&it.rec);
	it.path = s->path.data;
	it.len = s->path.len;
	it.batch = batch;
	it.rule = ruleset_match(s->rs, it.path, it.len, is_dir, NULL);
	if (it.rule != NULL)
		scan_probe(s, parent, name, NULL, &it);
	r = 0;
	if (is_dir && ruleset_should_descend(s->rs, s->path.data,
	    s->path.len)) {
		r = walk_at(sw->wk, parent, name, s->path.data, s->path.len,
		    sw);
		*ret_delivered = true;
	}
	close(parent);
	return r;
}

/* scan_path() with sw's walker; WALK_PAUSED when sw's budget ran out. */
static int
scan_path_with(struct scan_walk *sw, const char *path, size_t len)
{
	bool delivered;
	int r;

	r = scan_tree(sw, path, len, &delivered);
	if (r < 0 && !delivered)
		scan_report_error(sw->s, sw->s->path.data, sw->s->path.len, r,
		    "open", sw->batch);
	return r;
}

int
scan_path(struct scan *s, const char *path, size_t len,
    struct scan_batch *batch)
{
	struct scan_walk sw = { s, batch, NULL, SIZE_MAX };

	if (s->walk == NULL)
		s->walk = scan_walker();
	sw.wk = s->walk;

	return scan_path_with(&sw, path, len);
}

int
scan_walk_begin(struct scan *s, const char *scope, size_t len,
    struct scan_batch *batch)
{
	struct scan_slices *sl;

	if (s->slices == NULL) {
		s->slices = xcalloc(1, sizeof(*s->slices));
		s->slices->walk = scan_walker();
	}
	sl = s->slices;
	if (sl->active)
		return -EBUSY;
	sl->sw.s = s;
	sl->sw.batch = batch;
	sl->sw.wk = sl->walk;
	free(sl->scope);
	sl->scope = scope != NULL ? xstrndup(scope, len) : NULL;
	sl->scope_len = scope != NULL ? len : 0;
	sl->next = 0;
	sl->err = 0;
	sl->active = true;
	return 0;
}

/* The next tree of the sliced walk, or NULL when every one was begun. */
static const char *
slices_next_tree(struct scan *s, size_t *ret_len)
{
	struct scan_slices *sl = s->slices;
	const char *const *roots;
	size_t n;

	if (sl->scope != NULL) {
		*ret_len = sl->scope_len;
		return sl->next++ == 0 ? sl->scope : NULL;
	}
	n = ruleset_roots(s->rs, &roots);
	if (sl->next >= n)
		return NULL;
	*ret_len = strlen(roots[sl->next]);
	return roots[sl->next++];
}

int
scan_walk_run(struct scan *s, size_t budget)
{
	struct scan_slices *sl = s->slices;
	const char *path;
	size_t len;
	int r;

	if (sl == NULL || !sl->active)
		return 0;
	sl->sw.left = budget > 0 ? budget : SIZE_MAX;
	for (;;) {
		if (walk_paused(sl->walk))
			r = walk_resume(sl->walk, &sl->sw);
		else if ((path = slices_next_tree(s, &len)) != NULL)
			r = scan_path_with(&sl->sw, path, len);
		else
			break;
		if (r == WALK_PAUSED)
			return 1;
		if (r < 0 && sl->err == 0)
			sl->err = r;
	}
	sl->active = false;
	return sl->err;
}

void
scan_walk_abort(struct scan *s)
{
	if (s->slices == NULL || !s->slices->active)
		return;
	walk_abort(s->slices->walk);
	s->slices->active = false;
}

bool
scan_walk_active(const struct scan *s)
{
	return s->slices != NULL && s->slices->active;
}

bool
scan_walk_inside(const struct scan *s, const char *path, size_t len)
{
	return scan_walk_active(s) && walk_inside(s->slices->walk, path, len);
}

int
scan_walk(struct scan *s, struct scan_batch *batch)
{
	const char *const *roots;
	size_t n, i;
	int r, first = 0;

	n = ruleset_roots(s->rs, &roots);
	for (i = 0; i < n; i++) {
		r = scan_path(s, roots[i], strlen(roots[i]), batch);
		if (r < 0 && first == 0)
			first = r;
	}
	return first;
}
