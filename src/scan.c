/*
 * The walk-probe-hash engine (scan.h).
 *
 * Design.  The walks are scan_walk.c's; this file probes what they
 * visit (statx first, then asks the owner whether the rest is needed),
 * probes single paths (scan_one) and hashes.  A directory that cannot
 * be opened or listed becomes an item with err set.
 *
 * Hash jobs are the one asynchronous part.  Each job carries the item it
 * belongs to (struct scan_job), owned by the engine from submission
 * until the done callback returns.  At most max_inflight jobs exist;
 * each holds an open fd.
 *
 * Lanes (scan_set_lanes, the daemon).  A file longer than one hashing
 * slice takes a place in its rule's lane, which holds as many as the
 * pool has workers; a long file that finds its lane full waits as a
 * path alone (no fd, no record) and is probed afresh when a place
 * frees.  The submitter therefore never blocks on long files, and the
 * pool, which lets queued jobs pass a long file at every slice, is never
 * filled by one rule's long files: another rule's files, long or short,
 * always get in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "probe.h"
#include "scan.h"
#include "scan_int.h"
#include "xmalloc.h"

#define SCAN_MAX_INFLIGHT_DEFAULT	256
#define SCAN_ESTALE_RETRIES		3

struct scan_job {
	struct hash_job job;	/* first: the pool hands back &job */
	struct scan_item item;
	char	*path;		/* owned copy for item.path */
	bool	 in_lane;	/* holds a place in its rule's lane */
	unsigned lane;		/* the rule's index */
	hash_mask rule_algos;	/* the rule's; the rest is extra */
};

/* Long files of one rule in flight. */
struct scan_lane {
	unsigned rule;		/* rule index */
	size_t	 n;
};

/* A long file waiting for a place in its lane: a path, probed afresh. */
struct scan_wait {
	struct scan_wait *next;
	struct scan_batch *batch;
	unsigned lane;
	size_t	 len;
	char	 path[];
};

/* struct scan is in scan_int.h. */


struct scan *
scan_new(const struct ruleset *rs, struct hashpool *pool,
    const struct scan_ops *ops, void *arg)
{
	struct scan *s;

	s = xcalloc(1, sizeof(*s));
	s->rs = rs;
	s->pool = pool;
	if (ops != NULL)
		s->ops = *ops;
	s->arg = arg;
	s->max_inflight = SCAN_MAX_INFLIGHT_DEFAULT;
	s->waiting_tail = &s->waiting;
	buf_init(&s->path, BUF_MAX_DEFAULT);
	return s;
}

void
scan_free(struct scan *s)
{
	if (s == NULL)
		return;
	scan_finish(s);
	hasher_free(s->hasher);
	buf_release(&s->path);
	walk_free(s->walk);
	if (s->slices != NULL) {
		walk_abort(s->slices->walk);
		walk_free(s->slices->walk);
		free(s->slices->scope);
		free(s->slices);
	}
	while (s->nignore > 0)
		free(s->ignore[--s->nignore]);
	free(s->ignore);
	free(s->lane);
	free(s);
}

void
scan_set_ruleset(struct scan *s, const struct ruleset *rs)
{
	s->rs = rs;
}

void
scan_set_max_inflight(struct scan *s, size_t n)
{
	s->max_inflight = n == 0 ? 1 : n;
}

void
scan_ignore_path(struct scan *s, const char *path, size_t len)
{
	s->ignore = xreallocarray(s->ignore, s->nignore + 1,
	    sizeof(*s->ignore));
	s->ignore[s->nignore++] = xstrndup(path, len);
}

/*
 * Whether path is one of the ignored files or an atomicfile temporary
 * of one: "<dir>/.<name>.tmp.<anything>".
 */
bool
scan_is_ignored(const struct scan *s, const char *path, size_t len)
{
	const char *ig, *slash, *base;
	size_t i, dirlen, namelen;

	for (i = 0; i < s->nignore; i++) {
		ig = s->ignore[i];
		if (strlen(ig) == len && memcmp(ig, path, len) == 0)
			return true;
		if ((slash = strrchr(ig, '/')) == NULL)
			continue;
		dirlen = (size_t)(slash - ig) + 1;
		namelen = strlen(slash + 1);
		base = path + dirlen;
		if (len > dirlen + namelen + 6 &&
		    memcmp(path, ig, dirlen) == 0 && base[0] == '.' &&
		    memcmp(base + 1, slash + 1, namelen) == 0 &&
		    memcmp(base + 1 + namelen, ".tmp.", 5) == 0 &&
		    memchr(base, '/', len - dirlen) == NULL)
			return true;
	}
	return false;
}

void
scan_set_extra_algos(struct scan *s, scan_extra_fn fn, void *arg)
{
	s->extra = fn;
	s->extra_arg = arg;
}

void
scan_set_paranoid(struct scan *s, bool on)
{
	s->paranoid = on;
}

size_t
scan_inflight(const struct scan *s)
{
	return s->inflight;
}

size_t
scan_waiting(const struct scan *s)
{
	return s->nwaiting;
}

void
scan_set_lanes(struct scan *s, bool on)
{
	s->lanes = on;
}

void
scan_cancel(struct scan *s)
{
	s->cancelled = true;
	if (s->pool != NULL)
		hashpool_cancel(s->pool);
}

void
scan_uncancel(struct scan *s)
{
	s->cancelled = false;
	if (s->pool != NULL)
		hashpool_uncancel(s->pool);
}

const struct scan_stats *
scan_stats(const struct scan *s)
{
	return &s->stats;
}

void
scan_deliver(struct scan *s, struct scan_item *it)
{
	s->stats.files++;
	if (it->err != 0)
		s->stats.errors++;
	if (it->batch != NULL && it->batch->ops != NULL)
		it->batch->ops->done(it, it->batch->arg);
	else
		s->ops.done(it, s->arg);
}

/* The owner's verdict after the statx stage: the batch's, else the engine's. */
static enum scan_decision
scan_ask_owner(struct scan *s, const struct scan_item *it,
    uint64_t *prefix_len)
{
	const struct scan_ops *ops = &s->ops;
	void *arg = s->arg;

	if (it->batch != NULL && it->batch->ops != NULL) {
		ops = it->batch->ops;
		arg = it->batch->arg;
	}
	return ops->stat_done != NULL ? ops->stat_done(it, prefix_len, arg) :
	    SCAN_COMPLETE;
}

/* The lane of rule index idx, made on first use. */
static struct scan_lane *
scan_lane_find(struct scan *s, unsigned idx)
{
	size_t i;

	for (i = 0; i < s->nlanes; i++) {
		if (s->lane[i].rule == idx)
			return &s->lane[i];
	}
	s->lane = xreallocarray(s->lane, s->nlanes + 1, sizeof(*s->lane));
	s->lane[s->nlanes].rule = idx;
	s->lane[s->nlanes].n = 0;
	return &s->lane[s->nlanes++];
}

/* Long files one rule may have in flight: one per worker. */
static size_t
scan_lane_cap(const struct scan *s)
{
	return hashpool_threads(s->pool) > 0 ? hashpool_threads(s->pool) : 1;
}

/*
 * Whether it (a long file of its rule, when lanes are on) must wait for
 * a place; if so it now waits, as a path, counted in its batch.
 */
static bool
scan_wait_for_lane(struct scan *s, const struct scan_item *it)
{
	struct scan_wait *w;

	if (!s->lanes || s->pool == NULL || it->rule == NULL ||
	    it->rec.size <= HASHPOOL_SLICE ||
	    scan_lane_find(s, it->rule->index)->n < scan_lane_cap(s))
		return false;
	w = xmalloc(sizeof(*w) + it->len + 1);
	w->next = NULL;
	w->batch = it->batch;
	w->lane = it->rule->index;
	w->len = it->len;
	memcpy(w->path, it->path, it->len);
	w->path[it->len] = '\0';
	*s->waiting_tail = w;
	s->waiting_tail = &w->next;
	s->nwaiting++;
	if (w->batch != NULL)
		w->batch->inflight++;
	return true;
}

/* Finish a job: copy the digests into the item and deliver it. */
static void
scan_job_done(struct scan *s, struct scan_job *sj)
{
	struct hash_result *hr = &sj->job.result;
	struct record *r = &sj->item.rec;

	if (sj->item.batch != NULL)
		sj->item.batch->inflight--;
	if (sj->in_lane)
		scan_lane_find(s, sj->lane)->n--;
	if (sj->job.err != 0) {
		sj->item.err = sj->job.err;
		sj->item.err_op = "read";
	} else {
		r->changed_while_hashed = hr->changed_while_read;
		r->hash_too_large = hr->too_large;
		r->algos = hr->algos & sj->rule_algos;
		r->extra_algos = hr->algos & ~sj->rule_algos;
		memcpy(r->md, hr->md, sizeof(r->md));
		r->prefix_algos = hr->prefix_algos;
		memcpy(r->prefix_md, hr->prefix_md, sizeof(r->prefix_md));
		r->known |= ATTR_BIT(ATTR_HASH);
		s->stats.hashed++;
		s->stats.bytes_hashed += hr->bytes;
	}
	scan_deliver(s, &sj->item);
	record_release(&sj->item.rec);
	free(sj->path);
	free(sj);
}

/* Hand the held jobs to the pool. */
static void
scan_flush(struct scan *s)
{
	if (s->nheld > 0) {
		hashpool_submit_many(s->pool, s->held, s->nheld);
		s->nheld = 0;
	}
}

/* Deliver what completed; with wait, block until something did. */
static void
scan_reap_list(struct scan *s, bool wait)
{
	struct hash_job *list, *next;

	scan_flush(s);
	list = hashpool_reap(s->pool, wait && s->inflight > 0);
	for (; list != NULL; list = next) {
		next = list->next;
		s->inflight--;
		scan_job_done(s, (struct scan_job *)(void *)list);
	}
}

/*
 * Probe the waiting long files whose lane has room again (or, once
 * cancelled, deliver them as cancelled).  One pass over the list as it
 * stands: a file that finds its lane full once more waits again.
 */
static void
scan_dispatch(struct scan *s)
{
	struct scan_wait *w, *next;
	struct scan_item it;

	if (s->dispatching || s->waiting == NULL)
		return;
	s->dispatching = true;
	w = s->waiting;
	s->waiting = NULL;
	s->waiting_tail = &s->waiting;
	for (; w != NULL; w = next) {
		next = w->next;
		if (!s->cancelled &&
		    scan_lane_find(s, w->lane)->n >= scan_lane_cap(s)) {
			w->next = NULL;
			*s->waiting_tail = w;
			s->waiting_tail = &w->next;
			continue;
		}
		s->nwaiting--;
		if (w->batch != NULL)
			w->batch->inflight--;
		if (s->cancelled) {
			memset(&it, 0, sizeof(it));
			record_init(&it.rec);
			it.path = w->path;
			it.len = w->len;
			it.rule = ruleset_match(s->rs, w->path, w->len, false,
			    NULL);
			it.err = -ECANCELED;
			it.err_op = "read";
			it.batch = w->batch;
			scan_deliver(s, &it);
		} else
			(void)scan_one(s, w->path, w->len, w->batch);
		free(w);
	}
	s->dispatching = false;
}

void
scan_reap(struct scan *s, bool wait)
{
	if (s->pool == NULL)
		return;
	do {
		scan_reap_list(s, wait);
		scan_dispatch(s);
	} while (wait && (s->inflight > 0 ||
	    (s->nwaiting > 0 && !s->dispatching)));
}

void
scan_finish(struct scan *s)
{
	scan_reap(s, true);
}

/* Hand the item's open fd to a hash job (or hash it here). */
static void
scan_submit(struct scan *s, struct scan_item *it, int fd, uint64_t prefix_len,
    const struct stat *st)
{
	struct scan_job *sj;

	if (scan_wait_for_lane(s, it)) {
		close(fd);
		record_release(&it->rec);
		return;
	}
	sj = xcalloc(1, sizeof(*sj));
	sj->item = *it;
	sj->path = xstrndup(it->path, it->len);
	sj->item.path = sj->path;
	record_init(&it->rec);		/* ownership moved into the job */
	sj->job.fd = fd;
	sj->job.algos = sj->item.rule != NULL ? sj->item.rule->algos :
	    HASH_DEFAULT_MASK;
	sj->rule_algos = sj->job.algos;
	if (s->extra != NULL)
		sj->job.algos |= s->extra(sj->path, it->len, s->extra_arg);
	sj->job.max_size = sj->item.rule != NULL ? sj->item.rule->max_size : 0;
	sj->job.prefix_len = prefix_len;
	sj->job.start = *st;
	sj->job.have_start = true;
	if (sj->item.batch != NULL)
		sj->item.batch->inflight++;
	if (s->pool == NULL) {
		if (s->hasher == NULL)
			s->hasher = hasher_new(0);
		hashpool_run_here(s->hasher, &sj->job);
		scan_job_done(s, sj);
		return;
	}
	if (s->lanes && sj->item.rule != NULL &&
	    sj->item.rec.size > HASHPOOL_SLICE) {
		sj->in_lane = true;
		sj->lane = sj->item.rule->index;
		scan_lane_find(s, sj->lane)->n++;
	}
	while (s->inflight >= s->max_inflight)
		scan_reap_list(s, true);
	s->inflight++;
	/*
	 * Handing files over one by one costs a few calls each (locks,
	 * wake-ups) when the files are small, more than hashing them: a
	 * one-shot scan hands them over in batches.  The daemon (lanes)
	 * hands each at once, so that no change waits for company.
	 */
	if (s->lanes) {
		hashpool_submit(s->pool, &sj->job);
		return;
	}
	s->held[s->nheld++] = &sj->job;
	if (s->nheld == SCAN_SUBMIT_BATCH)
		scan_flush(s);
}

/* The attributes stage two should collect for this item. */
static attr_mask
scan_want(const struct scan_item *it)
{
	attr_mask want;

	want = it->rule != NULL ? it->rule->attrs : ATTR_GROUP_STANDARD;
	if (S_ISDIR(it->rec.mode))
		want &= ~ATTR_BIT(ATTR_HASH);
	return want;
}

/*
 * Probe name in dirfd as it->path, ask the owner, complete, and deliver
 * or submit.  it->rule is set; it->rec is empty.
 */
void
scan_probe(struct scan *s, int dirfd, const char *name,
    const struct statx *ahead, struct scan_item *it)
{
	unsigned flags;
	uint64_t prefix_len;
	struct stat st;
	int fd, r = 0, tries = 0;

	flags = it->rule != NULL && it->rule->follow_symlinks ?
	    PROBE_FOLLOW : 0;
again:
	/* A statx taken ahead is the one probe_stat makes unfollowed. */
	if (ahead != NULL && !(flags & PROBE_FOLLOW))
		probe_from_statx(ahead, &it->rec);
	else
		r = probe_stat(dirfd, name, flags, &it->rec);
	ahead = NULL;	/* a retry stats afresh */
	if (r < 0) {
		it->err = r;
		it->err_op = "stat";
		scan_deliver(s, it);
		return;
	}
	prefix_len = 0;
	if (scan_ask_owner(s, it, &prefix_len) == SCAN_STAT_ONLY &&
	    !s->paranoid) {
		scan_deliver(s, it);
		record_release(&it->rec);
		return;
	}
	r = probe_complete(dirfd, name, flags, scan_want(it), &it->rec, &fd,
	    &st);
	if (r == -ESTALE && ++tries < SCAN_ESTALE_RETRIES) {
		record_release(&it->rec);
		goto again;
	}
	it->completed = true;
	if (r < 0) {
		it->err = r;
		it->err_op = r == -ESTALE ? "stat" : "open";
		scan_deliver(s, it);
		record_release(&it->rec);
		return;
	}
	if (fd >= 0) {
		scan_submit(s, it, fd, prefix_len, &st);
		return;
	}
	scan_deliver(s, it);
	record_release(&it->rec);
}

/* Set s->path to path and open its parent. */
int
scan_start(struct scan *s, const char *path, size_t len, int *ret_parent,
    const char **ret_name)
{
	int r;

	buf_reset(&s->path);
	(void)buf_add(&s->path, path, len);
	if ((r = probe_open_parent(s->path.data, s->path.len, ret_parent,
	    ret_name)) < 0)
		return r;
	return 0;
}

int
scan_one(struct scan *s, const char *path, size_t len, struct scan_batch *batch)
{
	struct scan_item it;
	const char *name;
	struct stat st;
	int parent, r;

	memset(&it, 0, sizeof(it));
	record_init(&it.rec);
	it.batch = batch;
	r = scan_start(s, path, len, &parent, &name);
	it.path = s->path.data;
	it.len = s->path.len;
	if (r == 0 && fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		close(parent);
	}
	if (r < 0) {
		it.rule = ruleset_match(s->rs, it.path, it.len, false, NULL);
		it.err = r;
		it.err_op = "stat";
		scan_deliver(s, &it);
		return 0;
	}
	it.rule = ruleset_match(s->rs, it.path, it.len, S_ISDIR(st.st_mode),
	    NULL);
	scan_probe(s, parent, name, NULL, &it);
	close(parent);
	return 0;
}
