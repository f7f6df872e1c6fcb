/*
 * Hashing worker threads (hashpool.h).
 *
 * One mutex guards both lists.  Workers wait on "work" for queued jobs;
 * the owner waits on "done" only in hashpool_reap(wait = true).  The
 * eventfd is written under the mutex when a job joins an empty completed
 * list (one write per batch, not per job: small files cost a few calls
 * each, and this was one of them) and drained under it when the list is
 * taken, so it is readable exactly while completed jobs wait: a libevent
 * loop never wakes for nothing and never sleeps on a finished job.  The
 * in-flight count belongs to the owner thread (submit and reap), so
 * reading it needs no lock.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hashpool.h"
#include "xmalloc.h"

struct hashpool_worker {
	struct hashpool *pool;
	struct hasher *hasher;
	pthread_t thread;
};

struct hashpool {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* queue non-empty or stopping */
	pthread_cond_t done;		/* a job completed */
	struct hash_job *queue, **queue_tail;
	struct hash_job *completed, **completed_tail;
	bool	 stopping;
	_Atomic size_t queued;		/* jobs in queue: workers read it */
	_Atomic bool cancel;
	_Atomic uint64_t yields;
	int	 efd;
	size_t	 inflight;		/* owner thread only */
	unsigned nthreads;		/* workers running */
	struct hashpool_worker *workers;
};

static void
hashpool_complete(struct hashpool *p, struct hash_job *job)
{
	uint64_t one = 1;

	pthread_mutex_lock(&p->lock);
	job->next = NULL;
	/* Cannot fail: the counter is drained long before it could fill. */
	if (p->completed == NULL)
		(void)!write(p->efd, &one, sizeof(one));
	*p->completed_tail = job;
	p->completed_tail = &job->next;
	pthread_cond_signal(&p->done);
	pthread_mutex_unlock(&p->lock);
}

/* A parked job goes to the back of the queue.  Called with the lock. */
static void
hashpool_enqueue_locked(struct hashpool *p, struct hash_job *job)
{
	job->next = NULL;
	*p->queue_tail = job;
	p->queue_tail = &job->next;
	atomic_fetch_add(&p->queued, 1);
	pthread_cond_signal(&p->work);
}

/* The slice check: let a waiting job go first. */
static bool
hashpool_should_yield(void *arg)
{
	struct hashpool *p = arg;

	return atomic_load_explicit(&p->queued, memory_order_relaxed) > 0;
}

/* What job asks of the hasher. */
static void
job_request(const struct hash_job *job, struct hash_request *req)
{
	req->algos = job->algos;
	req->max_size = job->max_size;
	req->prefix_len = job->prefix_len;
	req->start = job->have_start ? &job->start : NULL;
}

void
hashpool_run_here(struct hasher *h, struct hash_job *job)
{
	struct hash_request req;
	struct hash_park *park = NULL;

	job_request(job, &req);
	job->err = hasher_step(h, job->fd, &req, NULL, &park, &job->result);
	close(job->fd);
	job->fd = -1;
}

static void *
hashpool_worker_main(void *arg)
{
	struct hashpool_worker *w = arg;
	struct hashpool *p = w->pool;
	struct hash_control ctl = { HASHPOOL_SLICE, hashpool_should_yield, p,
	    &p->cancel };
	struct hash_request req;
	struct hash_job *job;
	int r;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->queue == NULL && !p->stopping)
			pthread_cond_wait(&p->work, &p->lock);
		if ((job = p->queue) == NULL) {
			/* Stopping with nothing left to do. */
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		if ((p->queue = job->next) == NULL)
			p->queue_tail = &p->queue;
		atomic_fetch_sub(&p->queued, 1);
		pthread_mutex_unlock(&p->lock);

		job_request(job, &req);
		r = hasher_step(w->hasher, job->fd, &req, &ctl, &job->park,
		    &job->result);
		if (r == HASH_PARKED) {
			atomic_fetch_add(&p->yields, 1);
			pthread_mutex_lock(&p->lock);
			hashpool_enqueue_locked(p, job);
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		job->err = r;
		close(job->fd);
		job->fd = -1;
		hashpool_complete(p, job);
	}
}

static void
hashpool_stop(struct hashpool *p)
{
	unsigned i;

	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->workers[i].thread, NULL);
	p->nthreads = 0;
}

static void
hashpool_destroy(struct hashpool *p, unsigned nworkers)
{
	unsigned i;

	for (i = 0; i < nworkers; i++)
		hasher_free(p->workers[i].hasher);
	free(p->workers);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

struct hashpool *
hashpool_new(unsigned nthreads)
{
	struct hashpool *p;
	sigset_t all, saved;
	long ncpu;
	unsigned i;
	int e;

	if (nthreads == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->queue_tail = &p->queue;
	p->completed_tail = &p->completed;
	p->workers = xcalloc(nthreads, sizeof(*p->workers));
	for (i = 0; i < nthreads; i++) {
		p->workers[i].pool = p;
		p->workers[i].hasher = hasher_new(0);
	}
	if ((p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		e = errno;
		hashpool_destroy(p, nthreads);
		errno = e;
		return NULL;
	}

	/* Threads inherit the creator's mask: start them with all blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	e = 0;
	for (i = 0; i < nthreads; i++) {
		e = pthread_create(&p->workers[i].thread, NULL,
		    hashpool_worker_main, &p->workers[i]);
		if (e != 0)
			break;
		p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (e != 0) {
		hashpool_stop(p);
		hashpool_destroy(p, nthreads);
		errno = e;
		return NULL;
	}
	return p;
}

void
hashpool_free(struct hashpool *p)
{
	unsigned n;

	if (p == NULL)
		return;
	n = p->nthreads;
	hashpool_stop(p);
	hashpool_destroy(p, n);
}

void
hashpool_submit(struct hashpool *p, struct hash_job *job)
{
	hashpool_submit_many(p, &job, 1);
}

void
hashpool_submit_many(struct hashpool *p, struct hash_job *const *jobs,
    size_t n)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < n; i++) {
		jobs[i]->err = 0;
		jobs[i]->park = NULL;
		hashpool_enqueue_locked(p, jobs[i]);
	}
	pthread_mutex_unlock(&p->lock);
	p->inflight += n;
}

int
hashpool_fd(const struct hashpool *p)
{
	return p->efd;
}

struct hash_job *
hashpool_reap(struct hashpool *p, bool wait)
{
	struct hash_job *list, *j;
	uint64_t count;

	pthread_mutex_lock(&p->lock);
	while (wait && p->completed == NULL && p->inflight > 0)
		pthread_cond_wait(&p->done, &p->lock);
	list = p->completed;
	p->completed = NULL;
	p->completed_tail = &p->completed;
	if (list != NULL)
		(void)!read(p->efd, &count, sizeof(count));
	pthread_mutex_unlock(&p->lock);
	for (j = list; j != NULL; j = j->next)
		p->inflight--;
	return list;
}

size_t
hashpool_inflight(const struct hashpool *p)
{
	return p->inflight;
}

unsigned
hashpool_threads(const struct hashpool *p)
{
	return p->nthreads;
}

void
hashpool_cancel(struct hashpool *p)
{
	atomic_store(&p->cancel, true);
}

void
hashpool_uncancel(struct hashpool *p)
{
	atomic_store(&p->cancel, false);
}

uint64_t
hashpool_yields(const struct hashpool *p)
{
	return atomic_load(&p->yields);
}
