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

#include "daemon_out.h"
#include "daemon_rescan.h"
#include "daemon_rt.h"
#include "judge.h"
#include "log.h"
#include "xmalloc.h"

/* Probes between two returns of freed memory to the system. */
#define RT_TRIM_AFTER	10000

/* A realtime probe of one pending path. */
struct rt_job {
	struct scan_batch batch;
	struct daemon *d;
	unsigned flags;		/* WEV_* */
	double	 first;
	bool	 still_open;
	struct procinfo proc;
	char	*moved_from;	/* NULL unless moved here at event time */
	size_t	 moved_from_len;
	struct record moved_record;
	uint64_t moved_children;
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
		daemon_gap(d, "/", 1, "too many changes pending at once");
		rescan_enqueue(d, NULL, 0, NULL, RESCAN_GAP,
		    "pending set full");
	}
}

static void
rt_rename(struct daemon *d, const struct watch_event *ev,
    const struct procinfo *proc)
{
	bool is_dir = ev->flags & WEV_ISDIR;
	bool to_covered = covered(d, ev->path, ev->len, is_dir);
	struct record rec;
	uint64_t children = 0;
	bool had;

	pending_rename(d->pending, ev->old_path, ev->old_len, ev->path,
	    ev->len);
	had = baseline_get(d->b, ev->old_path, ev->old_len, &rec) == 0;
	if (is_dir && to_covered)
		children = rekey_subtree(d, ev->old_path, ev->old_len,
		    ev->path, ev->len);
	if (had && to_covered) {
		(void)baseline_remove(d->b, ev->old_path, ev->old_len);
		baseline_put(d->b, ev->path, ev->len, &rec);
		daemon_mark_dirty(d);
		if (pending_moved(d->pending, ev->path, ev->len, ev->old_path,
		    ev->old_len, &rec, children, proc) < 0)
			rt_touch(d, ev->path, ev->len, WEV_MOVED_TO, proc);
		record_release(&rec);
		return;
	}
	if (had)
		record_release(&rec);
	/* Moved out of coverage (or unknown before): judge each side. */
	rt_touch(d, ev->old_path, ev->old_len, WEV_MOVED_FROM |
	    (ev->flags & WEV_ISDIR), proc);
	if (to_covered)
		rt_touch(d, ev->path, ev->len, WEV_MOVED_TO |
		    (ev->flags & WEV_ISDIR), proc);
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
		daemon_gap(d, "/", 1, ev->reason != NULL ? ev->reason :
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
	record_init(&job->moved_record);
	if (info->moved_from != NULL && info->moved_record != NULL) {
		job->moved_from = xstrndup(info->moved_from,
		    info->moved_from_len);
		job->moved_from_len = info->moved_from_len;
		record_copy(&job->moved_record, info->moved_record);
		job->moved_children = info->moved_children;
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

/* One judged change as a realtime alert. */
static void
rt_emit(struct daemon *d, const struct change *c, const struct procinfo *proc,
    bool still_open, double first)
{
	struct alert a;

	alert_from_change(&a, SOURCE_REALTIME, c);
	a.proc = proc != NULL && proc->pid != 0 ? proc : NULL;
	a.still_open = still_open;
	daemon_emit(d, &a, first);
}

/* Report path as deleted, if its rule wants realtime, and forget it. */
static bool
rt_forget(struct daemon *d, const char *path, size_t len,
    const struct procinfo *proc, double first)
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
	    judge_change(&old, NULL, c.rule, false, &c.action, &df))
		rt_emit(d, &c, proc, false, first);
	(void)baseline_remove(d->b, path, len);
	record_release(&old);
	return true;
}

/*
 * path no longer exists: report it, and when it was a directory (as the
 * baseline or the event says) everything known below it.  Only then is
 * the baseline walked, so deleting K files costs K lookups, not K walks.
 */
static void
rt_gone(struct daemon *d, const char *path, size_t len, unsigned flags,
    const struct procinfo *proc, double first)
{
	struct record old;
	char **below = NULL;
	size_t n = 0, i;
	bool is_dir = flags & WEV_ISDIR;

	if (baseline_get(d->b, path, len, &old) == 0) {
		is_dir = S_ISDIR(old.mode);
		record_release(&old);
	}
	if (is_dir)
		below = entries_below(d, path, len, &n);
	for (i = 0; i < n; i++) {
		(void)rt_forget(d, below[i], strlen(below[i]), proc, first);
		free(below[i]);
	}
	free(below);
	if (rt_forget(d, path, len, proc, first))
		n++;
	if (n > 0)
		daemon_mark_dirty(d);
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
rt_record(struct daemon *d, struct scan_item *it, const char *moved_from,
    size_t moved_len, const struct record *moved_record,
    const struct procinfo *proc, bool still_open, double first)
{
	struct change c;
	struct record old;
	struct diff df;
	bool had, was_dir = false;

	memset(&c, 0, sizeof(c));
	c.rule = it->rule;
	c.path = it->path;
	c.len = it->len;
	c.new = &it->rec;
	if (moved_from != NULL) {
		c.old_path = moved_from;
		c.old_len = moved_len;
		c.old = moved_record;
		had = false;
	} else if ((had = baseline_get(d->b, it->path, it->len, &old) == 0))
		c.old = &old;
	if (c.old != NULL)
		was_dir = S_ISDIR(c.old->mode);
	if (judge_change(c.old, c.new, c.rule, moved_from != NULL, &c.action,
	    &df)) {
		c.diff = c.action == ACTION_CREATED ? NULL : &df;
		rt_emit(d, &c, proc, still_open, first);
	}
	baseline_put(d->b, it->path, it->len, &it->rec);
	daemon_mark_dirty(d);
	if (had)
		record_release(&old);
	return was_dir;
}

/* Judge one probed path; it->path is stable here. */
static void
rt_judge(struct daemon *d, struct rt_job *job, struct scan_item *it)
{
	bool appeared = job->flags & (WEV_CREATE | WEV_MOVED_TO | WEV_RENAME);
	bool was_dir, had;

	if (it->rule == NULL) {
		if (S_ISDIR(it->rec.mode) && appeared &&
		    ruleset_should_descend(d->rs, it->path, it->len))
			daemon_defer_subtree(d, it->path, it->len, &job->proc,
			    job->first);
		return;
	}
	if (!it->rule->realtime)
		return;		/* its rescans will judge it */
	if (job->moved_from != NULL) {
		(void)rt_record(d, it, job->moved_from, job->moved_from_len,
		    &job->moved_record, &job->proc, job->still_open,
		    job->first);
		return;
	}
	had = baseline_contains(d->b, it->path, it->len);
	was_dir = rt_record(d, it, NULL, 0, NULL, &job->proc, job->still_open,
	    job->first);
	if (S_ISDIR(it->rec.mode) && (!had || !was_dir || appeared))
		daemon_defer_subtree(d, it->path, it->len, &job->proc,
		    job->first);
}

static void
rt_job_free(struct rt_job *job)
{
	procinfo_release(&job->proc);
	record_release(&job->moved_record);
	free(job->moved_from);
	free(job);
}

static void
rt_item_done(struct scan_item *it, void *arg)
{
	struct rt_job *job = arg;
	struct daemon *d = job->d;
	char *path = xstrndup(it->path, it->len);
	size_t len = it->len;

	if (is_gone(it->err))
		rt_gone(d, path, len, job->flags, &job->proc, job->first);
	else if (it->err != 0) {
		d->unreadable++;
		log_warnx("cannot %s a changed file: %s", it->err_op,
		    strerror(-it->err));
	} else
		rt_judge(d, job, it);
	rt_job_free(job);
	pending_done(d->pending, path, len);
	free(path);
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

	if (it->err == 0 && it->rule != NULL && it->rule->realtime)
		(void)rt_record(d, it, NULL, 0, NULL, &job->proc, false,
		    job->first);
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
	procinfo_release(&d->rt.memo_proc);
}
