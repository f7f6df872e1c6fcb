/*
 * From kernel events to alerts (daemon_rt.h).
 *
 * Renames are applied to the baseline when the event is read, so that
 * later events, which already carry the new path, find the entry where it
 * now is; the "moved" alert follows when the new path settles, with any
 * other change it went through.
 *
 * Nothing here starts a scan from inside a scan callback: directories
 * that appear are walked later from the loop's top level
 * (daemon_defer_subtree), because a walk may be running below us.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "contentdiff.h"
#include "daemon_gone.h"
#include "daemon_out.h"
#include "daemon_pkg.h"
#include "daemon_rescan.h"
#include "daemon_rt.h"
#include "judge.h"
#include "log.h"
#include "xmalloc.h"

/* Probes between two returns of freed memory to the system. */
#define RT_TRIM_AFTER	10000
/* What a move did to a probed path (pending.h, struct pending_move). */
struct rt_move {
	char	*from;		/* NULL when none */
	size_t	 from_len;
	bool	 have_old;	/* moved: judged against old */
	struct record old;
	bool	 has_entries;
	uint64_t entries;
};

/* What this name had before its object was renamed away. */
struct rt_left {
	bool	 have_old;
	struct record old;
	char	*to;
	size_t	 to_len;
	bool	 absorbed;
};

/* A realtime probe of one pending path. */
struct rt_job {
	struct scan_batch batch;
	struct daemon *d;
	unsigned flags;		/* WEV_* */
	double	 first;
	bool	 still_open;
	struct procinfo proc;
	struct rt_move move;
	struct rt_left left;
};

/* How a judged change is reported. */
struct rt_report {
	const struct procinfo *proc;
	bool	 still_open;
	double	 first;
	const struct rt_move *move;	/* NULL when none */
	const struct rt_left *left;	/* NULL when none */
};

/* The walk of a directory that appeared. */
struct subtree_job {
	struct scan_batch batch;
	struct daemon *d;
	bool	 walking;
	struct procinfo proc;
	double	 first;
};

static enum scan_decision rt_stat_done(const struct scan_item *it,
	    uint64_t *prefix_len, void *arg);
static void	rt_item_done(struct scan_item *it, void *arg);
static enum scan_decision subtree_stat_done(const struct scan_item *it,
	    uint64_t *prefix_len, void *arg);
static void	subtree_item_done(struct scan_item *it, void *arg);

static const struct scan_ops rt_scan_ops = {
	.stat_done = rt_stat_done,
	.done = rt_item_done,
};

static const struct scan_ops subtree_scan_ops = {
	.stat_done = subtree_stat_done,
	.done = subtree_item_done,
};

static bool
covered(const struct daemon *d, const char *path, size_t len, bool is_dir)
{
	if (daemon_own_path(d, path, len))
		return false;
	if (ruleset_match(d->rs, path, len, is_dir, NULL) != NULL)
		return true;
	return is_dir && ruleset_should_descend(d->rs, path, len);
}

bool
rt_want_dir(const char *path, size_t len, void *arg)
{
	return covered(arg, path, len, true);
}

bool
rt_want_path(const char *path, size_t len, bool is_dir, void *arg)
{
	struct daemon *d = arg;

	if (daemon_own_path(d, path, len))
		return false;
	return covered(d, path, len, is_dir) || baseline_contains(d->b, path,
	    len);
}

/* Paths of baseline entries strictly below dir, copied. */
static char **
entries_below(const struct daemon *d, const char *dir, size_t len,
    size_t *ret_n)
{
	struct baseline_iter it;
	const char *p;
	char **v = NULL;
	size_t plen, n = 0, alloc = 0;
	bool root = len == 1 && dir[0] == '/';

	*ret_n = 0;
	if (!baseline_has_below(d->b, dir, len))
		return NULL;	/* rm -rf: its files went first */
	baseline_iter_init(&it, d->b);
	while (baseline_iter_next(&it, &p, &plen, NULL)) {
		if (plen <= len || memcmp(p, dir, len) != 0 ||
		    (!root && p[len] != '/'))
			continue;
		if (n == alloc) {
			alloc = alloc == 0 ? 16 : alloc * 2;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		v[n++] = xstrndup(p, plen);
	}
	*ret_n = n;
	return v;
}

/* Move every baseline entry below old to the same place below new. */
static uint64_t
rekey_subtree(struct daemon *d, const char *old, size_t old_len,
    const char *new, size_t new_len)
{
	struct record rec;
	struct buf np;
	char **paths;
	size_t n, i, plen;

	paths = entries_below(d, old, old_len, &n);
	buf_init(&np, BUF_MAX_DEFAULT);
	for (i = 0; i < n; i++) {
		plen = strlen(paths[i]);
		if (baseline_get(d->b, paths[i], plen, &rec) == 0) {
			buf_reset(&np);
			(void)buf_add(&np, new, new_len);
			(void)buf_add(&np, paths[i] + old_len, plen - old_len);
			(void)baseline_remove(d->b, paths[i], plen);
			baseline_put(d->b, np.data, np.len, &rec);
			record_release(&rec);
		}
		free(paths[i]);
	}
	free(paths);
	buf_release(&np);
	if (n > 0)
		daemon_mark_dirty(d);
	return n;
}

/* Who wrote: proven, from the lifetime history, or the pid alone. */
static void
rt_writer(struct daemon *d, const struct watch_event *ev, struct procinfo *ret)
{
	struct daemon_realtime *rt = &d->rt;

	if (ev->pid <= 0) {
		procinfo_init(ret);
		return;
	}
	if (ev->pidfd >= 0 && rt->memo_pid == ev->pid) {
		procinfo_copy(ret, &rt->memo_proc);
		return;
	}
	proctrack_lookup(d->procs, ev->pid, ev->pidfd, rt->window_start, ret);
	if (ev->pidfd >= 0 && ret->name != NULL) {
		procinfo_release(&rt->memo_proc);
		procinfo_copy(&rt->memo_proc, ret);
		rt->memo_pid = ev->pid;
	}
}

static void
rt_touch(struct daemon *d, const char *path, size_t len, unsigned flags,
    const struct procinfo *proc)
{
	if (pending_touch(d->pending, path, len, flags, proc) == 0)
		return;
	if (!d->pending_full) {
		d->pending_full = true;
		daemon_gap(d, NULL, 0, "too many changes pending at once");
		rescan_enqueue(d, NULL, 0, NULL, RESCAN_GAP,
		    "pending set full");
	}
}

/* Whether the baseline knows path as a directory. */
static bool
known_dir(const struct daemon *d, const char *path, size_t len)
{
	struct record rec;
	bool dir;

	if (baseline_get(d->b, path, len, &rec) < 0)
		return false;
	dir = S_ISDIR(rec.mode);
	record_release(&rec);
	return dir;
}

static void
rt_note_move(struct daemon *d, const char *path, size_t len, unsigned flags,
    const struct pending_move *mv, const struct procinfo *proc)
{
	if (pending_moved(d->pending, path, len, flags, mv, proc) < 0)
		rt_touch(d, path, len, flags, proc);
}

/*
 * A directory (known to the baseline) left the rules: its entries go
 * silently and its probe reports one "deleted" with their count.
 * Anything else that left is judged at its old name.
 */
static void
rt_moved_out(struct daemon *d, const char *path, size_t len, unsigned flags,
    bool had_dir, const struct procinfo *proc)
{
	struct pending_move mv = { .has_entries = true };
	char **below;
	size_t n, i;

	if (!had_dir) {
		rt_touch(d, path, len, WEV_MOVED_FROM | (flags & WEV_ISDIR),
		    proc);
		return;
	}
	rescan_dir_moved(d, path, len);
	below = entries_below(d, path, len, &n);
	for (i = 0; i < n; i++) {
		(void)baseline_remove(d->b, below[i], strlen(below[i]));
		free(below[i]);
	}
	free(below);
	if (n > 0)
		daemon_mark_dirty(d);
	mv.entries = n;
	rt_note_move(d, path, len, WEV_MOVED_FROM | WEV_ISDIR, &mv, proc);
}

/*
 * A rename, applied to the baseline at once so that later events, which
 * carry the new names, find the entries where they now are.  What the
 * probe of the new name then judges depends on what was there:
 *  - a record of its own (a file replaced by rename: sed -i, dpkg, git,
 *    editors): judged against that record, naming where the content was
 *    written; the temp name's record, if any, goes with it;
 *  - nothing, and the old name had a record: moved, judged against the
 *    old record, with the count of a directory's entries;
 *  - nothing known: new content, judged as created.
 */
static void
rt_rename(struct daemon *d, const struct watch_event *ev,
    const struct procinfo *proc)
{
	struct pending_move mv = { .from = ev->old_path,
	    .from_len = ev->old_len };
	struct record src;
	bool is_dir = ev->flags & WEV_ISDIR;
	bool had_src, to_covered;

	if ((had_src = baseline_get(d->b, ev->old_path, ev->old_len,
	    &src) == 0))
		is_dir = S_ISDIR(src.mode);
	pending_rename(d->pending, ev->old_path, ev->old_len, ev->path,
	    ev->len, is_dir);
	to_covered = covered(d, ev->path, ev->len, is_dir);
	if (!to_covered) {
		rt_moved_out(d, ev->old_path, ev->old_len, ev->flags,
		    had_src && is_dir, proc);
	} else if (!is_dir && baseline_contains(d->b, ev->path, ev->len)) {
		if (had_src)
			(void)baseline_remove(d->b, ev->old_path, ev->old_len);
		rt_note_move(d, ev->path, ev->len, WEV_MOVED_TO, &mv, proc);
	} else {
		if (is_dir) {
			rescan_dir_moved(d, ev->old_path, ev->old_len);
			mv.has_entries = true;
			mv.entries = rekey_subtree(d, ev->old_path,
			    ev->old_len, ev->path, ev->len);
		}
		if (had_src) {
			(void)baseline_remove(d->b, ev->old_path, ev->old_len);
			baseline_put(d->b, ev->path, ev->len, &src);
			mv.old = &src;
		}
		rt_note_move(d, ev->path, ev->len, (had_src ? WEV_RENAME :
		    WEV_MOVED_TO) | (is_dir ? WEV_ISDIR : 0), &mv, proc);
	}
	if (had_src) {
		if (!is_dir && to_covered &&
		    pending_left(d->pending, ev->old_path, ev->old_len, &src,
		    ev->path, ev->len, proc) < 0)
			rt_touch(d, ev->old_path, ev->old_len, WEV_MOVED_FROM,
			    proc);
		daemon_mark_dirty(d);
		record_release(&src);
	}
}

void
rt_watch_event(const struct watch_event *ev, void *arg)
{
	struct daemon *d = arg;
	struct procinfo proc;

	d->rt.events++;
	if (ev->flags & WEV_EXEC)
		return;		/* the process connector covers execs */
	if (ev->flags & WEV_OVERFLOW) {
		d->rt.overflows++;
		daemon_gap(d, NULL, 0, ev->reason != NULL ? ev->reason :
		    "the kernel event queue overflowed");
		rescan_enqueue(d, NULL, 0, NULL, RESCAN_GAP, "queue overflow");
		return;
	}
	if (ev->flags & WEV_GAP) {
		daemon_gap(d, ev->path, ev->len, ev->reason != NULL ?
		    ev->reason : "not watched");
		rescan_enqueue(d, ev->path, ev->len, NULL, RESCAN_GAP,
		    ev->reason != NULL ? ev->reason : "not watched");
		return;
	}
	if (daemon_own_path(d, ev->path, ev->len))
		return;
	rt_writer(d, ev, &proc);
	if (ev->flags & WEV_RENAME)
		rt_rename(d, ev, &proc);
	else if (ev->flags & WEV_MOVED_FROM)
		rt_moved_out(d, ev->path, ev->len, ev->flags,
		    known_dir(d, ev->path, ev->len), &proc);
	else
		rt_touch(d, ev->path, ev->len, ev->flags, &proc);
	procinfo_release(&proc);
}

void
rt_pending_fire(const char *path, size_t len, const struct pending_info *info,
    void *arg)
{
	struct daemon *d = arg;
	struct rt_job *job;

	job = xcalloc(1, sizeof(*job));
	job->batch.ops = &rt_scan_ops;
	job->batch.arg = job;
	job->d = d;
	job->flags = info->flags;
	job->first = info->first;
	job->still_open = info->still_open;
	procinfo_init(&job->proc);
	if (info->proc != NULL)
		procinfo_copy(&job->proc, info->proc);
	record_init(&job->move.old);
	if (info->move.from != NULL) {
		job->move.from = xstrndup(info->move.from,
		    info->move.from_len);
		job->move.from_len = info->move.from_len;
	}
	if (info->move.old != NULL) {
		record_copy(&job->move.old, info->move.old);
		job->move.have_old = true;
	}
	job->move.has_entries = info->move.has_entries;
	job->move.entries = info->move.entries;
	record_init(&job->left.old);
	if (info->left.old != NULL) {
		record_copy(&job->left.old, info->left.old);
		job->left.have_old = true;
		job->left.to = xstrndup(info->left.to, info->left.to_len);
		job->left.to_len = info->left.to_len;
		job->left.absorbed = info->left.absorbed;
	}
	/* Everything needed is copied: the probe may finish right here. */
	(void)scan_one(d->scan, path, len, &job->batch);
}

/* GROWING files: ask for the digest of the prefix the baseline knows. */
static enum scan_decision
growing_prefix(const struct daemon *d, const struct scan_item *it,
    uint64_t *prefix_len)
{
	struct record old;

	if (it->rule != NULL && (it->rule->attrs & ATTR_F_GROWING) &&
	    S_ISREG(it->rec.mode) &&
	    baseline_get(d->b, it->path, it->len, &old) == 0) {
		if (S_ISREG(old.mode) && old.inode == it->rec.inode &&
		    it->rec.size >= old.size)
			*prefix_len = old.size;
		record_release(&old);
	}
	return SCAN_COMPLETE;	/* events are hints: always look again */
}

static enum scan_decision
rt_stat_done(const struct scan_item *it, uint64_t *prefix_len, void *arg)
{
	const struct rt_job *job = arg;

	return growing_prefix(job->d, it, prefix_len);
}

static enum scan_decision
subtree_stat_done(const struct scan_item *it, uint64_t *prefix_len,
    void *arg)
{
	const struct subtree_job *job = arg;

	return growing_prefix(job->d, it, prefix_len);
}

/*
 * One judged change as a realtime alert.  Returns false when no alert
 * reported it (daemon_emit wrote a gap instead): the caller then leaves
 * the baseline as it was, so a rescan finds the change again.
 */
static bool
rt_emit(struct daemon *d, const struct change *c, const struct rt_report *rep)
{
	const struct procinfo *proc = rep->proc != NULL &&
	    rep->proc->pid != 0 ? rep->proc : NULL;
	struct change cc = *c;
	struct verdict v;
	struct content_note note;
	struct alert a;
	bool ok;

	/* What a rescan under way holds for these names comes first. */
	rescan_before_realtime(d, c->path, c->len);
	if (c->old_path != NULL)
		rescan_before_realtime(d, c->old_path, c->old_len);
	if (pkg_judge(d, &cc, proc, &v)) {
		cc.verdict = &v;
		if (pkg_hold(d, &cc, &v, proc, rep->first))
			return true;	/* reported when dpkg is done */
	}
	content_note_init(&note);
	if (d->copies != NULL)
		content_examine(d->copies, &cc, &note);
	alert_from_change(&a, SOURCE_REALTIME, &cc);
	content_to_alert(&note, &a);
	a.proc = proc;
	a.still_open = rep->still_open;
	if (rep->move != NULL && rep->move->has_entries) {
		a.has_entries = true;
		a.entries = rep->move->entries;
	}
	/* The baseline takes c when the alert was written: so do copies. */
	if ((ok = daemon_emit(d, &a, rep->first)))
		content_take(d->copies, c, &note);
	content_note_release(&note);
	return ok;
}

/* Report path as deleted, if its rule wants realtime, and forget it. */
static bool
rt_forget(struct daemon *d, const char *path, size_t len,
    const struct rt_report *rep)
{
	struct change c;
	struct record old;
	struct diff df;

	if (baseline_get(d->b, path, len, &old) < 0)
		return false;
	memset(&c, 0, sizeof(c));
	c.rule = ruleset_match(d->rs, path, len, S_ISDIR(old.mode), NULL);
	c.path = path;
	c.len = len;
	c.old = &old;
	if ((c.rule == NULL || c.rule->realtime) &&
	    judge_change(&old, NULL, c.rule, false, &c.action, &df) &&
	    !rt_emit(d, &c, rep)) {
		record_release(&old);
		return true;
	}
	(void)baseline_remove(d->b, path, len);
	record_release(&old);
	return true;
}

/*
 * path no longer exists: report it, and when it was a directory (as the
 * baseline or the event says) everything known below it.  Only then is
 * the baseline walked, so deleting K files costs K lookups, not K walks.
 * A directory that moved out took its entries already (rt_moved_out):
 * its one line counts them.
 */
static void
rt_gone_now(struct daemon *d, const char *path, size_t len, bool is_dir,
    const struct rt_report *rep)
{
	struct rt_report each = *rep;
	char **below = NULL;
	size_t n = 0, i;

	if (is_dir)
		below = entries_below(d, path, len, &n);
	each.move = NULL;
	for (i = 0; i < n; i++) {
		(void)rt_forget(d, below[i], strlen(below[i]), &each);
		free(below[i]);
	}
	free(below);
	if (rt_forget(d, path, len, rep))
		n++;
	if (n > 0)
		daemon_mark_dirty(d);
}

/* gone_report_fn: a held directory's deletion, reported at last. */
static void
rt_gone_dir(struct daemon *d, const char *path, size_t len,
    const struct procinfo *proc, double first, bool still_open)
{
	struct rt_report rep;

	memset(&rep, 0, sizeof(rep));
	rep.proc = proc;
	rep.first = first;
	rep.still_open = still_open;
	rt_gone_now(d, path, len, true, &rep);
}

static void
rt_gone(struct daemon *d, const char *path, size_t len, unsigned flags,
    const struct rt_report *rep)
{
	bool is_dir = flags & WEV_ISDIR;

	if (baseline_contains(d->b, path, len))
		is_dir = known_dir(d, path, len);
	if (is_dir && rep->move == NULL && rep->left == NULL &&
	    baseline_has_below(d->b, path, len) &&
	    gone_defer(d, path, len, rep->proc, rep->first, rep->still_open,
	    rt_gone_dir))
		return;
	rt_gone_now(d, path, len, is_dir, rep);
}

static bool
is_gone(int err)
{
	return err == -ENOENT || err == -ENOTDIR || err == -ESTALE;
}

/*
 * Judge one probed, covered entry against the baseline (against the
 * record it had under its old name when it moved here), report what
 * changed, and record it.  Returns whether the baseline had it (under
 * this name or the old one) as a directory.
 */
static bool
rt_record(struct daemon *d, struct scan_item *it, const struct rt_report *rep)
{
	const struct rt_move *mv = rep->move;
	struct change c;
	struct record old;
	struct diff df;
	bool had = false, was_dir = false;
	/*
	 * A name that had another object within this window is judged by
	 * what it had then (mv log.1 log.2; mv log log.1): the net change
	 * to the name, with where the new contents came from.
	 */
	bool moved = mv != NULL && mv->have_old && rep->left == NULL;

	memset(&c, 0, sizeof(c));
	c.rule = it->rule;
	c.path = it->path;
	c.len = it->len;
	c.new = &it->rec;
	if (mv != NULL && mv->from != NULL) {
		c.old_path = mv->from;
		c.old_len = mv->from_len;
	}
	if (rep->left != NULL)
		c.old = &rep->left->old;
	else if (moved)
		c.old = &mv->old;
	else if ((had = baseline_get(d->b, it->path, it->len, &old) == 0))
		c.old = &old;
	if (c.old != NULL)
		was_dir = S_ISDIR(c.old->mode);
	if (judge_change(c.old, c.new, c.rule, moved, &c.action, &df)) {
		c.diff = c.action == ACTION_CREATED ? NULL : &df;
		if (!rt_emit(d, &c, rep))
			goto out;
		/* A state this name had joins its history; a moved
		 * file's old state belongs to its old name. */
		baseline_put_changed(d->b, it->path, it->len,
		    moved ? NULL : c.old, &it->rec, c.rule->history);
	} else
		baseline_put(d->b, it->path, it->len, &it->rec);
	daemon_mark_dirty(d);
out:
	if (had)
		record_release(&old);
	return was_dir;
}

static void
rt_job_report(const struct rt_job *job, struct rt_report *ret)
{
	ret->proc = &job->proc;
	ret->still_open = job->still_open;
	ret->first = job->first;
	ret->move = job->move.from != NULL || job->move.has_entries ?
	    &job->move : NULL;
	ret->left = job->left.have_old ? &job->left : NULL;
}

/*
 * The object that left a name vanished at its new name (mv f f~, write
 * f, rm f~): the new name's record goes silently, since the old name's
 * probe reports the net effect on the old name.
 */
static void
rt_absorb(struct daemon *d, const char *path, size_t len)
{
	if (baseline_remove(d->b, path, len) == 0)
		daemon_mark_dirty(d);
}

/* A probe of a name an object moved to found it gone: absorbed? */
static bool
rt_gone_absorbed(struct daemon *d, const struct rt_job *job,
    const char *path, size_t len)
{
	if (!job->move.have_old || job->move.from == NULL ||
	    S_ISDIR(job->move.old.mode) ||
	    !pending_absorb(d->pending, job->move.from, job->move.from_len))
		return false;
	rt_absorb(d, path, len);
	return true;
}

/* After a name whose object left was judged: is the object gone too? */
static void
rt_left_settle(struct daemon *d, const struct rt_left *left)
{
	struct record rec;
	struct stat st;
	bool same;

	if (left->absorbed || lstat(left->to, &st) == 0 || errno != ENOENT ||
	    baseline_get(d->b, left->to, left->to_len, &rec) < 0)
		return;
	same = rec.inode == left->old.inode && rec.dev == left->old.dev;
	record_release(&rec);
	if (same)
		rt_absorb(d, left->to, left->to_len);
}

/* The name is gone and so is the object that left it: net, deleted. */
static void
rt_left_gone(struct daemon *d, const struct rt_job *job, const char *path,
    size_t len, const struct rt_report *rep)
{
	struct change c;
	struct diff df;

	memset(&c, 0, sizeof(c));
	c.rule = ruleset_match(d->rs, path, len, false, NULL);
	c.path = path;
	c.len = len;
	c.old = &job->left.old;
	if ((c.rule == NULL || c.rule->realtime) &&
	    judge_change(c.old, NULL, c.rule, false, &c.action, &df))
		(void)rt_emit(d, &c, rep);
}

/* Judge one probed path; it->path is stable here. */
static void
rt_judge(struct daemon *d, struct rt_job *job, struct scan_item *it)
{
	bool appeared = job->flags & (WEV_CREATE | WEV_MOVED_TO | WEV_RENAME);
	bool was_dir, had;
	struct rt_report rep;

	if (it->rule == NULL) {
		if (S_ISDIR(it->rec.mode) && appeared &&
		    ruleset_should_descend(d->rs, it->path, it->len))
			daemon_defer_subtree(d, it->path, it->len, &job->proc,
			    job->first);
		return;
	}
	if (!it->rule->realtime)
		return;		/* its rescans will judge it */
	rt_job_report(job, &rep);
	if (job->move.have_old && rep.left == NULL) {
		(void)rt_record(d, it, &rep);
		return;
	}
	had = baseline_contains(d->b, it->path, it->len);
	was_dir = rt_record(d, it, &rep);
	if (rep.left != NULL)
		rt_left_settle(d, rep.left);
	if (S_ISDIR(it->rec.mode) && (!had || !was_dir || appeared))
		daemon_defer_subtree(d, it->path, it->len, &job->proc,
		    job->first);
}

static void
rt_job_free(struct rt_job *job)
{
	procinfo_release(&job->proc);
	record_release(&job->move.old);
	free(job->move.from);
	record_release(&job->left.old);
	free(job->left.to);
	free(job);
}

static void
rt_item_done(struct scan_item *it, void *arg)
{
	struct rt_job *job = arg;
	struct daemon *d = job->d;
	char *path = xstrndup(it->path, it->len);
	size_t len = it->len;
	struct rt_report rep;

	rt_job_report(job, &rep);
	if (pending_stale(d->pending, path, len)) {
		/* A rename overtook this probe; pending_done probes again. */
		d->rt.stale++;
	} else if (is_gone(it->err)) {
		if (job->left.have_old && job->left.absorbed &&
		    !baseline_contains(d->b, path, len))
			rt_left_gone(d, job, path, len, &rep);
		else if (!rt_gone_absorbed(d, job, path, len))
			rt_gone(d, path, len, job->flags, &rep);
	}
	else if (it->err == -ECANCELED) {
		/* Stopping or reloading: the rescan that follows judges it. */
		d->rt.cancelled++;
	} else if (it->err != 0) {
		d->unreadable++;
		log_warnx("cannot %s a changed file: %s", it->err_op,
		    strerror(-it->err));
	} else
		rt_judge(d, job, it);
	rt_job_free(job);
	pending_done(d->pending, path, len);
	free(path);
	if (gone_held(d) && pending_count(d->pending) == 0)
		gone_flush(d);
	/* After a storm, once the pending set is empty again. */
	if (++d->rt.probes_since_trim >= RT_TRIM_AFTER &&
	    pending_count(d->pending) == 0) {
		daemon_trim(d);
		d->rt.probes_since_trim = 0;
	}
}

static void
subtree_job_free(struct subtree_job *job)
{
	procinfo_release(&job->proc);
	free(job);
}

static void
subtree_item_done(struct scan_item *it, void *arg)
{
	struct subtree_job *job = arg;
	struct daemon *d = job->d;
	struct rt_report rep = { .proc = &job->proc, .first = job->first };

	if (it->err == 0 && it->rule != NULL && it->rule->realtime)
		(void)rt_record(d, it, &rep);
	else if (it->err != 0 && !is_gone(it->err))
		d->unreadable++;
	if (!job->walking && job->batch.inflight == 0)
		subtree_job_free(job);
}

void
rt_run_subtree(struct daemon *d, const struct deferred *w)
{
	struct subtree_job *job;
	int r;

	job = xcalloc(1, sizeof(*job));
	job->batch.ops = &subtree_scan_ops;
	job->batch.arg = job;
	job->d = d;
	job->first = w->first;
	procinfo_init(&job->proc);
	procinfo_copy(&job->proc, &w->proc);
	job->walking = true;
	/* What could not be read came as items, counted as unreadable. */
	if ((r = scan_path(d->scan, w->path, w->len, &job->batch)) < 0)
		log_debug("walking a new directory: %s", strerror(-r));
	job->walking = false;
	if (job->batch.inflight == 0)
		subtree_job_free(job);
}

void
rt_close(struct daemon *d)
{
	gone_close(d);
	procinfo_release(&d->rt.memo_proc);
}
