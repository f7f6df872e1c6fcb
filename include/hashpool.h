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
	struct hash_result result;	/* filled by the worker */
	int	 err;		/* 0 or -errno from hashing */
	void	*arg;		/* the submitter's; untouched */
	struct hash_job *next;	/* pool-owned while queued; list link on reap */
};

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
unsigned hashpool_threads(const struct hashpool *p);

#endif
