/*
 * Judging scan items against the baseline (compare.h).
 *
 * Changes are kept as owned copies (struct pending_change) until
 * compare_finish, because deletions and moves can only be known once the
 * whole scope was walked, and because one-shot reports and the --json
 * stream are wanted in path order.  Only changed entries are copied, so
 * memory follows the size of the change, not of the tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "judge.h"
#include "pathmap.h"
#include "xmalloc.h"

struct pending_change {
	enum alert_action action;
	const struct rule *rule;
	char	*path;
	size_t	 len;
	char	*old_path;
	size_t	 old_len;
	bool	 has_old;
	bool	 has_new;
	struct record old;
	struct record new;
	struct diff diff;
};

struct compare {
	struct baseline *b;
	const struct ruleset *rs;
	bool	 update;
	struct compare_ops ops;
	void	*arg;
	char	*scope;
	size_t	 scope_len;
	struct pending_change *v;	/* changes found so far */
	size_t	 n;
	size_t	 alloc;
	char	**unreadable_dirs;	/* subtrees whose absence is unknown */
	size_t	 nunreadable_dirs;
	struct compare_counts counts;
	const struct pkgdb *pkgs;	/* verdicts from it, or NULL */
	bool	 verify;		/* also check unchanged entries */
	/* compare_track(): path -> index + 1 in v, of changes held. */
	struct pathmap *held;
	bool	 track;
};

static enum scan_decision compare_stat_done(const struct scan_item *it,
	    uint64_t *prefix_len, void *arg);
static void	compare_item_done(struct scan_item *it, void *arg);
static struct pending_change *compare_add(struct compare *c,
	    enum alert_action action, const struct rule *rule,
	    const char *path, size_t len);

const struct scan_ops compare_scan_ops = {
	.stat_done = compare_stat_done,
	.done = compare_item_done,
};

void
compare_set_packages(struct compare *c, const struct pkgdb *db, bool verify)
{
	c->pkgs = db;
	c->verify = verify && db != NULL;
}

/* --packages: an owned regular file is read whatever its stat says. */
static bool
verify_wanted(const struct compare *c, const struct scan_item *it)
{
	return c->verify && S_ISREG(it->rec.mode) &&
	    judge_package_algos(c->pkgs, it->path, it->len) != 0;
}

/* An unchanged entry its package would not vouch for. */
static void
verify_unchanged(struct compare *c, const struct scan_item *it)
{
	struct change cc;
	struct verdict v;
	struct pending_change *pc;

	memset(&cc, 0, sizeof(cc));
	cc.path = it->path;
	cc.len = it->len;
	cc.new = &it->rec;
	judge_package(c->pkgs, &cc, false, &v);
	if (v.kind != VERDICT_MISMATCH && v.kind != VERDICT_CONFFILE_EDITED)
		return;
	pc = compare_add(c, ACTION_PACKAGE_DIFFERS, it->rule, it->path,
	    it->len);
	record_copy(&pc->new, &it->rec);
	pc->has_new = true;
}

struct compare *
compare_new(struct baseline *b, const struct ruleset *rs, bool update,
    const struct compare_ops *ops, void *arg)
{
	struct compare *c;

	c = xcalloc(1, sizeof(*c));
	c->b = b;
	c->rs = rs;
	c->update = update;
	c->ops = *ops;
	c->arg = arg;
	return c;
}

static void
compare_reset(struct compare *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].path);
		free(c->v[i].old_path);
		record_release(&c->v[i].old);
		record_release(&c->v[i].new);
	}
	c->n = 0;
	pathmap_free(c->held);
	c->held = NULL;
	for (i = 0; i < c->nunreadable_dirs; i++)
		free(c->unreadable_dirs[i]);
	free(c->unreadable_dirs);
	c->unreadable_dirs = NULL;
	c->nunreadable_dirs = 0;
	free(c->scope);
	c->scope = NULL;
	memset(&c->counts, 0, sizeof(c->counts));
}

void
compare_free(struct compare *c)
{
	if (c == NULL)
		return;
	compare_reset(c);
	free(c->v);
	free(c);
}

void
compare_begin(struct compare *c, const char *scope, size_t len)
{
	compare_reset(c);
	if (scope != NULL && !(len == 1 && scope[0] == '/')) {
		c->scope = xstrndup(scope, len);
		c->scope_len = len;
	}
	baseline_clear_seen(c->b);
}

/* Whether path is prefix itself or below it. */
static bool
path_within(const char *path, size_t len, const char *prefix, size_t plen)
{
	if (plen == 1 && prefix[0] == '/')
		return true;
	return len >= plen && memcmp(path, prefix, plen) == 0 &&
	    (len == plen || path[plen] == '/');
}

static struct pending_change *
compare_add(struct compare *c, enum alert_action action,
    const struct rule *rule, const char *path, size_t len)
{
	struct pending_change *pc;

	if (c->n == c->alloc) {
		c->alloc = c->alloc == 0 ? 16 : c->alloc * 2;
		c->v = xreallocarray(c->v, c->alloc, sizeof(*c->v));
	}
	pc = &c->v[c->n++];
	memset(pc, 0, sizeof(*pc));
	record_init(&pc->old);
	record_init(&pc->new);
	pc->action = action;
	pc->rule = rule;
	pc->path = xstrndup(path, len);
	pc->len = len;
	if (c->track) {
		if (c->held == NULL)
			c->held = pathmap_new();
		(void)pathmap_put(c->held, pc->path, len,
		    (void *)(uintptr_t)c->n);
	}
	return pc;
}

/* Whether the stat stage shows the entry exactly as the baseline has it. */
static bool
stat_equal(const struct record *o, const struct record *n)
{
	return o->mode == n->mode && o->uid == n->uid && o->gid == n->gid &&
	    o->nlink == n->nlink && o->size == n->size &&
	    o->inode == n->inode && o->mtime.sec == n->mtime.sec &&
	    o->mtime.nsec == n->mtime.nsec && o->ctime.sec == n->ctime.sec &&
	    o->ctime.nsec == n->ctime.nsec && o->btime.sec == n->btime.sec &&
	    o->btime.nsec == n->btime.nsec;
}

/* Whether the baseline entry holds everything the rule asks for. */
static bool
baseline_complete_for(const struct record *o, const struct rule *rule)
{
	attr_mask want = rule->attrs & (ATTR_BIT(ATTR_LINK_TARGET) |
	    ATTR_BIT(ATTR_XATTRS) | ATTR_BIT(ATTR_FLAGS) | ATTR_BIT(ATTR_HASH) |
	    ATTR_BIT(ATTR_ATIME));

	if (!S_ISREG(o->mode))
		want &= ~ATTR_BIT(ATTR_HASH);
	if (!S_ISLNK(o->mode))
		want &= ~ATTR_BIT(ATTR_LINK_TARGET);
	if ((o->known & want) != want)
		return false;
	if ((want & ATTR_BIT(ATTR_HASH)) && !o->hash_too_large &&
	    (o->algos & rule->algos) != rule->algos)
		return false;
	return true;
}

static enum scan_decision
compare_stat_done(const struct scan_item *it, uint64_t *prefix_len, void *arg)
{
	struct compare *c = arg;
	struct record old;
	enum scan_decision d = SCAN_COMPLETE;

	if (it->rule == NULL || baseline_get(c->b, it->path, it->len, &old) < 0)
		return SCAN_COMPLETE;
	if ((it->rule->attrs & ATTR_F_GROWING) && S_ISREG(old.mode) &&
	    S_ISREG(it->rec.mode) && old.inode == it->rec.inode &&
	    it->rec.size >= old.size)
		*prefix_len = old.size;
	if (!it->rule->paranoid && stat_equal(&old, &it->rec) &&
	    baseline_complete_for(&old, it->rule) && !verify_wanted(c, it))
		d = SCAN_STAT_ONLY;
	record_release(&old);
	return d;
}

static void
compare_unreadable(struct compare *c, struct scan_item *it)
{
	c->counts.unreadable++;
	if (strcmp(it->err_op, "opendir") == 0 ||
	    strcmp(it->err_op, "readdir") == 0 ||
	    strcmp(it->err_op, "open") == 0 || it->err != -ENOENT) {
		/* Still there, only unreadable: not a deletion. */
		(void)baseline_mark_seen(c->b, it->path, it->len);
	}
	/*
	 * Below a directory that could not be opened or listed, or a path
	 * that could not be reached at all, nothing is known to be gone.
	 */
	if (strcmp(it->err_op, "opendir") == 0 ||
	    strcmp(it->err_op, "readdir") == 0 ||
	    strcmp(it->err_op, "open") == 0) {
		c->unreadable_dirs = xreallocarray(c->unreadable_dirs,
		    c->nunreadable_dirs + 1, sizeof(*c->unreadable_dirs));
		c->unreadable_dirs[c->nunreadable_dirs++] =
		    xstrndup(it->path, it->len);
	}
	if (c->ops.unreadable != NULL)
		c->ops.unreadable(it, c->arg);
}

static void
compare_item_done(struct scan_item *it, void *arg)
{
	struct compare *c = arg;
	struct pending_change *pc;
	enum alert_action action;
	struct record old;
	struct diff d;
	bool had, changed;

	if (it->err != 0) {
		compare_unreadable(c, it);
		return;
	}
	if (it->rule == NULL)
		return;
	c->counts.files++;
	if (!it->completed) {
		(void)baseline_mark_seen(c->b, it->path, it->len);
		return;
	}
	had = baseline_get(c->b, it->path, it->len, &old) == 0;
	changed = judge_change(had ? &old : NULL, &it->rec, it->rule, false,
	    &action, &d);
	if (changed) {
		pc = compare_add(c, action, it->rule, it->path, it->len);
		if (had)
			record_copy(&pc->old, &old);
		record_copy(&pc->new, &it->rec);
		pc->has_old = had;
		pc->has_new = true;
		pc->diff = d;
	} else if (c->verify && had)
		verify_unchanged(c, it);
	if (c->update && changed)
		baseline_put_changed(c->b, it->path, it->len,
		    had ? &old : NULL, &it->rec, it->rule->history);
	else if (c->update)
		baseline_put(c->b, it->path, it->len, &it->rec);
	else
		(void)baseline_mark_seen(c->b, it->path, it->len);
	if (had)
		record_release(&old);
}

static bool
below_unreadable(const struct compare *c, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < c->nunreadable_dirs; i++) {
		if (path_within(path, len, c->unreadable_dirs[i],
		    strlen(c->unreadable_dirs[i])))
			return true;
	}
	return false;
}

/*
 * An entry the walk did not meet: deleted, unless it still exists and
 * no rule covers it any more (the rules changed): then it is only
 * dropped from the baseline when updating.
 */
static void
compare_unseen(struct compare *c, const char *path, size_t len)
{
	struct pending_change *pc;
	const struct rule *rule;
	struct record old;
	struct stat st;

	if (baseline_get(c->b, path, len, &old) < 0)
		return;
	rule = ruleset_match(c->rs, path, len, S_ISDIR(old.mode), NULL);
	if (rule == NULL && lstat(path, &st) == 0) {
		record_release(&old);
		return;
	}
	pc = compare_add(c, ACTION_DELETED, rule, path, len);
	record_move(&pc->old, &old);
	pc->has_old = true;
}

static void
compare_find_deleted(struct compare *c)
{
	struct baseline_iter it;
	const char *path;
	char **paths = NULL;
	size_t len, n = 0, alloc = 0, i;
	bool seen;

	baseline_iter_init(&it, c->b);
	while (baseline_iter_next(&it, &path, &len, &seen)) {
		if (seen || (c->scope != NULL &&
		    !path_within(path, len, c->scope, c->scope_len)) ||
		    below_unreadable(c, path, len))
			continue;
		if (n == alloc) {
			alloc = alloc == 0 ? 16 : alloc * 2;
			paths = xreallocarray(paths, alloc, sizeof(*paths));
		}
		paths[n++] = xmemdup(path, len + 1);
	}
	for (i = 0; i < n; i++) {
		compare_unseen(c, paths[i], strlen(paths[i]));
		free(paths[i]);
	}
	free(paths);
}

/* Whether a deleted entry and a created one are the same object moved. */
static bool
same_object(const struct record *o, const struct record *n)
{
	hash_mask both = o->algos & n->algos;
	int a;

	if (o->dev != n->dev || o->inode != n->inode ||
	    (o->mode & S_IFMT) != (n->mode & S_IFMT))
		return false;
	if (S_ISLNK(o->mode) && o->link_target != NULL &&
	    n->link_target != NULL)
		return strcmp(o->link_target, n->link_target) == 0;
	if (!S_ISREG(o->mode))
		return true;
	if (o->size != n->size)
		return false;
	for (a = 0; a < HASH_COUNT; a++) {
		if ((both & HASH_BIT(a)) &&
		    memcmp(o->md[a], n->md[a], hash_size(a)) != 0)
			return false;
	}
	return true;
}

static int
inode_cmp(const void *a, const void *b)
{
	const struct pending_change *const *pa = a, *const *pb = b;
	const struct pending_change *x = *pa, *y = *pb;

	if (x->new.dev != y->new.dev)
		return x->new.dev < y->new.dev ? -1 : 1;
	if (x->new.inode != y->new.inode)
		return x->new.inode < y->new.inode ? -1 : 1;
	return 0;
}

/* The first created change with del's device and inode, or the end. */
static size_t
find_created(struct pending_change **adds, size_t n,
    const struct pending_change *del)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (adds[mid]->new.dev < del->old.dev ||
		    (adds[mid]->new.dev == del->old.dev &&
		    adds[mid]->new.inode < del->old.inode))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
make_move(struct pending_change *add, struct pending_change *del)
{
	add->old_path = del->path;
	add->old_len = del->len;
	del->path = NULL;
	record_move(&add->old, &del->old);
	add->has_old = true;
	(void)judge_change(&add->old, &add->new, add->rule, true,
	    &add->action, &add->diff);
	del->action = ACTION_COUNT;	/* consumed */
}

/*
 * Pair deletions with creations of the same object into moves: the
 * creations sorted by (device, inode), each deletion looked up in them.
 */
static void
compare_match_moves(struct compare *c)
{
	struct pending_change **adds, *del;
	size_t i, j, nadds = 0;

	adds = xcalloc(c->n + 1, sizeof(*adds));
	for (i = 0; i < c->n; i++) {
		if (c->v[i].action == ACTION_CREATED)
			adds[nadds++] = &c->v[i];
	}
	if (nadds > 1)
		qsort(adds, nadds, sizeof(*adds), inode_cmp);
	for (i = 0; i < c->n && nadds > 0; i++) {
		del = &c->v[i];
		if (del->action != ACTION_DELETED)
			continue;
		for (j = find_created(adds, nadds, del); j < nadds &&
		    adds[j]->new.dev == del->old.dev &&
		    adds[j]->new.inode == del->old.inode; j++) {
			if (adds[j]->action == ACTION_CREATED &&
			    same_object(&del->old, &adds[j]->new)) {
				make_move(adds[j], del);
				break;
			}
		}
	}
	free(adds);
}

static int
pending_cmp(const void *a, const void *b)
{
	const struct pending_change *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r;

	if (x->path == NULL || y->path == NULL)
		return (x->path == NULL) - (y->path == NULL);
	if ((r = memcmp(x->path, y->path, n)) != 0)
		return r;
	return (x->len > y->len) - (x->len < y->len);
}

static void
compare_deliver(struct compare *c, const struct pending_change *pc)
{
	struct change cc = {
		.action = pc->action,
		.rule = pc->rule,
		.path = pc->path,
		.len = pc->len,
		.old_path = pc->old_path,
		.old_len = pc->old_len,
		.old = pc->has_old ? &pc->old : NULL,
		.new = pc->has_new ? &pc->new : NULL,
		.diff = pc->action == ACTION_CREATED ||
		    pc->action == ACTION_DELETED ||
		    pc->action == ACTION_PACKAGE_DIFFERS ? NULL : &pc->diff,
	};
	struct verdict v;

	if (c->pkgs != NULL) {
		judge_package(c->pkgs, &cc, false, &v);
		cc.verdict = &v;
	}

	switch (pc->action) {
	case ACTION_CREATED:
		if (c->ops.adopt != NULL &&
		    c->ops.adopt(pc->path, pc->len, &pc->new, c->arg))
			return;
		c->counts.added++;
		break;
	case ACTION_DELETED:
		c->counts.removed++;
		if (c->update)
			(void)baseline_remove(c->b, pc->path, pc->len);
		break;
	case ACTION_MOVED:
		c->counts.moved++;
		break;
	default:
		c->counts.changed++;
		break;
	}
	if (pc->action == ACTION_MOVED && c->update)
		(void)baseline_remove(c->b, pc->old_path, pc->old_len);
	if (c->ops.change != NULL)
		c->ops.change(&cc, c->arg);
}

void
compare_track(struct compare *c, bool on)
{
	c->track = on;
}

/* Deliver the held change at v[i] now, and let finish pass it over. */
static void
compare_flush_one(struct compare *c, size_t i)
{
	struct pending_change *pc = &c->v[i];

	if (pc->action == ACTION_COUNT)
		return;
	compare_deliver(c, pc);
	pc->action = ACTION_COUNT;	/* consumed */
}

void
compare_flush(struct compare *c, const char *path, size_t len)
{
	void *v;

	if (c->held != NULL &&
	    (v = pathmap_remove(c->held, path, len)) != NULL)
		compare_flush_one(c, (size_t)(uintptr_t)v - 1);
}

void
compare_flush_below(struct compare *c, const char *dir, size_t len)
{
	size_t i;

	if (c->held == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		if (c->v[i].action != ACTION_COUNT &&
		    path_within(c->v[i].path, c->v[i].len, dir, len)) {
			(void)pathmap_remove(c->held, c->v[i].path,
			    c->v[i].len);
			compare_flush_one(c, i);
		}
	}
}

/* Deliver what is held, in path order, and start afresh. */
static void
compare_deliver_all(struct compare *c, struct compare_counts *ret)
{
	size_t i;

	pathmap_free(c->held);	/* its keys are about to move */
	c->held = NULL;
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), pending_cmp);
	for (i = 0; i < c->n; i++) {
		if (c->v[i].action != ACTION_COUNT)
			compare_deliver(c, &c->v[i]);
	}
	if (ret != NULL)
		*ret = c->counts;
	compare_reset(c);
}

void
compare_finish_found(struct compare *c, struct compare_counts *ret)
{
	compare_deliver_all(c, ret);
}

void
compare_finish(struct compare *c, struct compare_counts *ret)
{
	compare_find_deleted(c);
	compare_match_moves(c);
	compare_deliver_all(c, ret);
}

