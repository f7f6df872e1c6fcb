/*
 * From kernel events to alerts.
 *
 * An event only says "look at this path": it touches the path's pending
 * entry (pending.h), and when the entry is due the path is probed again
 * (scan_one) and compared with the baseline, whatever the event claimed.
 * Renames are the exception: they are applied to the baseline when the
 * event is read, so that later events, which already carry the new path,
 * find the entry where it now is; the "moved" alert follows when the new
 * path settles, with any other change it went through.
 *
 * Nothing here starts a scan from inside a scan callback: directories
 * that appear are walked later from the loop's top level
 * (daemon_defer_subtree), because a walk may be running below us.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon_int.h"
#include "log.h"
#include "xmalloc.h"

/* Probes between two returns of freed memory to the system. */
#define RT_TRIM_AFTER	10000

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
	if (ev->pid <= 0) {
		procinfo_init(ret);
		return;
	}
	if (ev->pidfd >= 0 && d->memo_pid == ev->pid) {
		procinfo_copy(ret, &d->memo_proc);
		return;
	}
	proctrack_lookup(d->procs, ev->pid, ev->pidfd, d->window_start, ret);
	if (ev->pidfd >= 0 && ret->name != NULL) {
		procinfo_release(&d->memo_proc);
		procinfo_copy(&d->memo_proc, ret);
		d->memo_pid = ev->pid;
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
		rescan_enqueue(d, NULL, 0, NULL, true, false,
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

	d->events++;
	if (ev->flags & WEV_EXEC)
		return;		/* the process connector covers execs */
	if (ev->flags & WEV_OVERFLOW) {
		d->overflows++;
		daemon_gap(d, "/", 1, ev->reason != NULL ? ev->reason :
		    "the kernel event queue overflowed");
		rescan_enqueue(d, NULL, 0, NULL, true, false, "queue overflow");
		return;
	}
	if (ev->flags & WEV_GAP) {
		daemon_gap(d, ev->path, ev->len, ev->reason != NULL ?
		    ev->reason : "not watched");
		rescan_enqueue(d, ev->path, ev->len, NULL, true, false,
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
	job->kind = JOB_REALTIME;
	job->batch.owner = job;
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

enum scan_decision
rt_stat_done(struct daemon *d, const struct scan_item *it, uint64_t *prefix_len)
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

static void
emit(struct daemon *d, enum alert_action action, const struct rule *rule,
    const char *path, size_t len, const struct record *old,
    const struct record *new, const struct diff *df,
    const struct procinfo *proc, double first)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.action = action;
	a.source = SOURCE_REALTIME;
	a.rule = rule;
	a.path = path;
	a.pathlen = len;
	a.old = old;
	a.new = new;
	a.diff = df;
	a.proc = proc != NULL && proc->pid != 0 ? proc : NULL;
	daemon_emit(d, &a, first);
}

/* path no longer exists: report it and everything known below it. */
static void
rt_gone(struct daemon *d, const char *path, size_t len,
    const struct procinfo *proc, double first)
{
	const struct rule *rule;
	struct record old;
	char **below;
	size_t n, i, plen;

	below = entries_below(d, path, len, &n);
	for (i = 0; i < n; i++) {
		plen = strlen(below[i]);
		if (baseline_get(d->b, below[i], plen, &old) == 0) {
			rule = ruleset_match(d->rs, below[i], plen,
			    S_ISDIR(old.mode), NULL);
			if (rule == NULL || rule->realtime)
				emit(d, ACTION_DELETED, rule, below[i], plen,
				    &old, NULL, NULL, proc, first);
			(void)baseline_remove(d->b, below[i], plen);
			record_release(&old);
		}
		free(below[i]);
	}
	free(below);
	if (baseline_get(d->b, path, len, &old) == 0) {
		rule = ruleset_match(d->rs, path, len, S_ISDIR(old.mode), NULL);
		if (rule == NULL || rule->realtime)
			emit(d, ACTION_DELETED, rule, path, len, &old, NULL,
			    NULL, proc, first);
		(void)baseline_remove(d->b, path, len);
		record_release(&old);
		n++;
	}
	if (n > 0)
		daemon_mark_dirty(d);
}

static bool
is_gone(int err)
{
	return err == -ENOENT || err == -ENOTDIR || err == -ESTALE;
}

static void
rt_moved(struct daemon *d, struct rt_job *job, struct scan_item *it)
{
	struct alert a;
	struct diff df;

	diff_records(&job->moved_record, &it->rec, it->rule->attrs, &df);
	df.changed &= ~ATTR_BIT(ATTR_CTIME);
	memset(&a, 0, sizeof(a));
	a.action = ACTION_MOVED;
	a.source = SOURCE_REALTIME;
	a.rule = it->rule;
	a.path = it->path;
	a.pathlen = it->len;
	a.old_path = job->moved_from;
	a.old_pathlen = job->moved_from_len;
	a.old = &job->moved_record;
	a.new = &it->rec;
	a.diff = &df;
	a.proc = job->proc.pid != 0 ? &job->proc : NULL;
	a.still_open = job->still_open;
	daemon_emit(d, &a, job->first);
	baseline_put(d->b, it->path, it->len, &it->rec);
	daemon_mark_dirty(d);
}

/* Judge one probed path against the baseline; it->path is stable here. */
static void
rt_judge(struct daemon *d, struct rt_job *job, struct scan_item *it)
{
	bool appeared = job->flags & (WEV_CREATE | WEV_MOVED_TO | WEV_RENAME);
	struct alert a;
	struct record old;
	struct diff df;
	bool had;

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
		rt_moved(d, job, it);
		return;
	}
	had = baseline_get(d->b, it->path, it->len, &old) == 0;
	memset(&a, 0, sizeof(a));
	a.source = SOURCE_REALTIME;
	a.rule = it->rule;
	a.path = it->path;
	a.pathlen = it->len;
	a.new = &it->rec;
	a.proc = job->proc.pid != 0 ? &job->proc : NULL;
	a.still_open = job->still_open;
	if (!had) {
		a.action = ACTION_CREATED;
		daemon_emit(d, &a, job->first);
	} else {
		diff_records(&old, &it->rec, it->rule->attrs, &df);
		if (diff_any(&df)) {
			a.action = diff_is_content(&df) ? ACTION_UPDATED :
			    ACTION_ATTRIBUTES_MODIFIED;
			a.old = &old;
			a.diff = &df;
			daemon_emit(d, &a, job->first);
		}
	}
	baseline_put(d->b, it->path, it->len, &it->rec);
	daemon_mark_dirty(d);
	if (S_ISDIR(it->rec.mode) && (!had || !S_ISDIR(old.mode) || appeared))
		daemon_defer_subtree(d, it->path, it->len, &job->proc,
		    job->first);
	if (had)
		record_release(&old);
}

static void
rt_job_free(struct rt_job *job)
{
	procinfo_release(&job->proc);
	record_release(&job->moved_record);
	free(job->moved_from);
	free(job);
}

void
rt_item_done(struct daemon *d, struct scan_item *it)
{
	struct rt_job *job = it->batch->owner;
	char *path = xstrndup(it->path, it->len);
	size_t len = it->len;

	if (is_gone(it->err))
		rt_gone(d, path, len, &job->proc, job->first);
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
	if (++d->probes_since_trim >= RT_TRIM_AFTER &&
	    pending_count(d->pending) == 0)
		daemon_trim(d);
}

void
subtree_item_done(struct daemon *d, struct subtree_job *job,
    struct scan_item *it)
{
	struct record old;
	struct alert a;
	struct diff df;

	if (it->err == 0 && it->rule != NULL && it->rule->realtime) {
		memset(&a, 0, sizeof(a));
		a.source = SOURCE_REALTIME;
		a.rule = it->rule;
		a.path = it->path;
		a.pathlen = it->len;
		a.new = &it->rec;
		a.proc = job->proc.pid != 0 ? &job->proc : NULL;
		if (baseline_get(d->b, it->path, it->len, &old) < 0) {
			a.action = ACTION_CREATED;
			daemon_emit(d, &a, job->first);
		} else {
			diff_records(&old, &it->rec, it->rule->attrs, &df);
			if (diff_any(&df)) {
				a.action = diff_is_content(&df) ?
				    ACTION_UPDATED : ACTION_ATTRIBUTES_MODIFIED;
				a.old = &old;
				a.diff = &df;
				daemon_emit(d, &a, job->first);
			}
			record_release(&old);
		}
		baseline_put(d->b, it->path, it->len, &it->rec);
		daemon_mark_dirty(d);
	} else if (it->err != 0 && !is_gone(it->err))
		d->unreadable++;
	if (!job->walking && job->batch.inflight == 0) {
		procinfo_release(&job->proc);
		free(job);
	}
}
