/*
 * hashpool: worker threads that hash file contents.
 *
 * Design.  The thread that owns the baseline (the one-shot scan or the
 * daemon's loop) opens files and submits jobs; workers share nothing with
 * it but two queues.  A job belongs to the pool from hashpool_submit()
 * until hashpool_reap() hands it back, with the digests filled and the fd
 * closed.  Completion is signalled on an eventfd (hashpool_fd), so a
 * libevent loop can wait for it like any other descriptor; one-shot
 * callers use hashpool_reap(wait = true).  Workers block every signal, so
 * signals reach the loop thread only.  Each worker owns a struct hasher.
 *
 * Long files yield.  A worker digests a file in slices of HASHPOOL_SLICE
 * bytes; after each, if other jobs are queued, the file is parked at the
 * back of the queue and the worker takes the job at the front.  A huge or
 * slow-growing file thus shares the workers with every other job instead
 * of holding one until it ends.  hashpool_cancel() ends running and
 * queued jobs between two reads (err -ECANCELED) so that an owner that
 * must stop now can reap everything at once.
 */
#ifndef FIMD_HASHPOOL_H
#define FIMD_HASHPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct hash_job {
	int	 fd;		/* taken by the pool; closed before reap */
	hash_mask algos;
	uint64_t max_size;	/* 0: no limit */
	uint64_t prefix_len;	/* 0: no prefix digests */
	struct stat start;	/* the submitter's fstat of fd, if have_start */
	bool	 have_start;
	struct hash_result result;	/* filled by the worker */
	int	 err;		/* 0 or -errno from hashing */
	void	*arg;		/* the submitter's; untouched */
	struct hash_job *next;	/* pool-owned while queued; list link on reap */
	struct hash_park *park;	/* pool-owned: a digest between slices */
};

/* Bytes a worker digests before it lets a queued job go first. */
#define HASHPOOL_SLICE	((uint64_t)8 << 20)

struct hashpool;

/*
 * Start nthreads workers (0: one per online CPU).  Returns a new pool
 * (free with hashpool_free) or NULL with errno set.
 */
struct hashpool *hashpool_new(unsigned nthreads);
/*
 * Stop and join the workers; accepts NULL.  The caller reaps every job
 * first (hashpool_inflight() == 0): jobs are the caller's memory.
 */
void	hashpool_free(struct hashpool *p);
/*
 * Queue a job; never blocks.  The caller bounds how many are in flight.
 * submit, reap and inflight are called from one thread, the owner.
 */
void	hashpool_submit(struct hashpool *p, struct hash_job *job);
/*
 * The same for n jobs at once: one lock and one wake-up for all, which
 * is what many small files want (the per-job hand-over costs more than
 * hashing them).
 */
void	hashpool_submit_many(struct hashpool *p, struct hash_job *const *jobs,
	    size_t n);
/*
 * A job done on the calling thread with h, in one go, as a worker would
 * do it (no pool needed): result and err filled, fd closed and -1.
 */
void	hashpool_run_here(struct hasher *h, struct hash_job *job);
/* The eventfd that is readable while completed jobs wait to be reaped. */
int	hashpool_fd(const struct hashpool *p);
/*
 * Take every completed job, as a list linked through next in completion
 * order, or NULL.  With wait, blocks until at least one job completes if
 * any is in flight.
 */
struct hash_job *hashpool_reap(struct hashpool *p, bool wait);
/* Jobs submitted and not yet reaped. */
size_t	hashpool_inflight(const struct hashpool *p);
/*
 * From now on, end every job between two reads with err -ECANCELED (a
 * job whose file fits one read still completes).  Owner thread.
 */
void	hashpool_cancel(struct hashpool *p);
/* Undo hashpool_cancel for jobs submitted afterwards (none in flight). */
void	hashpool_uncancel(struct hashpool *p);
/* Times a long file was parked for another job (statistics). */
uint64_t hashpool_yields(const struct hashpool *p);
unsigned hashpool_threads(const struct hashpool *p);

#endif
