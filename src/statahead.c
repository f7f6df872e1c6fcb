/*
 * statahead: a worker thread taking a walk's statx calls ahead of it
 * (statahead.h).
 *
 * Each name of a batch has a state: free, claimed (someone is in its
 * statx) or done.  Both threads claim a free name with a compare and
 * swap, so every name is statted once; the walk, reaching a name, takes
 * it when free and reads the result when done.  When the worker is in
 * the name's statx, the walk does not wait idle: it steals the last free
 * name of the batch, so the two work from both ends and meet.  The
 * cursors only say where to try next.
 * The lock guards the list of live batches and who is inside one; the
 * states carry the results from one thread to the other (release on
 * done, acquire on reading it).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "statahead.h"
#include "xmalloc.h"

enum { NAME_FREE, NAME_CLAIMED, NAME_DONE };

/* Spins before yielding while the other thread finishes a statx. */
#define SPINS	64

struct statahead_batch {
	struct statahead_batch *older;	/* in the live list */
	int	 dirfd;
	size_t	 cap;			/* names it may hold */
	size_t	 n;			/* names added */
	struct buf names;		/* NUL-terminated, one after another */
	size_t	*off;			/* each name's offset in names */
	struct statx *res;
	int	*err;
	_Atomic unsigned char *state;
	atomic_size_t cursor;		/* the worker's next try */
	atomic_size_t back;		/* the walk steals below this */
	atomic_bool dead;		/* retiring: claim nothing more */
	unsigned busy;			/* worker inside; under the lock */
};

struct statahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a batch started, or quit */
	pthread_cond_t idle;		/* the worker left a batch */
	struct statahead_batch *newest;	/* live batches, newest first */
	atomic_uint gen;		/* bumped by every start */
	size_t	 held;			/* names in live batches */
	bool	 quit;
};

int
statahead_statx(int dirfd, const char *name, struct statx *ret)
{
	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
	    STATAHEAD_MASK, ret) < 0)
		return -errno;
	return 0;
}

/* Claim name i if it is free and stat it; false when it was not free. */
static bool
take(struct statahead_batch *b, size_t i)
{
	unsigned char want = NAME_FREE;

	if (!atomic_compare_exchange_strong(&b->state[i], &want,
	    NAME_CLAIMED))
		return false;
	b->err[i] = statahead_statx(b->dirfd, b->names.data + b->off[i],
	    &b->res[i]);
	atomic_store_explicit(&b->state[i], NAME_DONE, memory_order_release);
	return true;
}

/* The newest live batch with names left to try; under the lock. */
static struct statahead_batch *
pick(struct statahead *sa)
{
	struct statahead_batch *b;

	for (b = sa->newest; b != NULL; b = b->older) {
		if (!atomic_load(&b->dead) && atomic_load(&b->cursor) < b->n)
			return b;
	}
	return NULL;
}

/* Stat b's names in order until none is left or a newer batch starts. */
static void
run(struct statahead *sa, struct statahead_batch *b, unsigned gen)
{
	size_t i;

	while (!atomic_load_explicit(&b->dead, memory_order_relaxed)) {
		if ((i = atomic_fetch_add(&b->cursor, 1)) >= b->n)
			break;
		(void)take(b, i);
		if (atomic_load_explicit(&sa->gen, memory_order_relaxed) !=
		    gen)
			break;
	}
}

static void *
worker(void *arg)
{
	struct statahead *sa = arg;
	/* NULL: at -O1 the compiler cannot see quit's break. */
	struct statahead_batch *b = NULL;
	unsigned gen;

	pthread_mutex_lock(&sa->lock);
	for (;;) {
		while (!sa->quit && (b = pick(sa)) == NULL)
			pthread_cond_wait(&sa->work, &sa->lock);
		if (sa->quit)
			break;
		b->busy++;
		gen = atomic_load(&sa->gen);
		pthread_mutex_unlock(&sa->lock);
		run(sa, b, gen);
		pthread_mutex_lock(&sa->lock);
		if (--b->busy == 0)
			pthread_cond_broadcast(&sa->idle);
	}
	pthread_mutex_unlock(&sa->lock);
	return NULL;
}

struct statahead *
statahead_new(void)
{
	struct statahead *sa = xcalloc(1, sizeof(*sa));
	sigset_t all, old;
	int r;

	pthread_mutex_init(&sa->lock, NULL);
	pthread_cond_init(&sa->work, NULL);
	pthread_cond_init(&sa->idle, NULL);
	/* Signals are the loop's: the worker takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&sa->thread, NULL, worker, sa);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		pthread_cond_destroy(&sa->idle);
		pthread_cond_destroy(&sa->work);
		pthread_mutex_destroy(&sa->lock);
		free(sa);
		return NULL;
	}
	return sa;
}

void
statahead_free(struct statahead *sa)
{
	if (sa == NULL)
		return;
	pthread_mutex_lock(&sa->lock);
	sa->quit = true;
	pthread_cond_broadcast(&sa->work);
	pthread_mutex_unlock(&sa->lock);
	pthread_join(sa->thread, NULL);
	pthread_cond_destroy(&sa->idle);
	pthread_cond_destroy(&sa->work);
	pthread_mutex_destroy(&sa->lock);
	free(sa);
}

struct statahead_batch *
statahead_batch(struct statahead *sa, int dirfd, size_t n)
{
	struct statahead_batch *b;
	size_t room;

	/* Only this thread changes held outside the worker: no lock. */
	room = STATAHEAD_BUDGET - sa->held;
	if (n > room)
		n = room;
	if (n < 2)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	b->dirfd = dirfd;
	b->cap = n;
	buf_init(&b->names, SIZE_MAX);
	b->off = xreallocarray(NULL, n, sizeof(*b->off));
	b->res = xreallocarray(NULL, n, sizeof(*b->res));
	b->err = xreallocarray(NULL, n, sizeof(*b->err));
	b->state = xcalloc(n, sizeof(*b->state));
	sa->held += n;
	return b;
}

bool
statahead_add(struct statahead_batch *b, const char *name)
{
	if (b->n == b->cap)
		return false;
	b->off[b->n] = b->names.len;
	(void)buf_add(&b->names, name, strlen(name) + 1);
	b->n++;
	atomic_store(&b->back, b->n);
	return true;
}

void
statahead_start(struct statahead *sa, struct statahead_batch *b)
{
	pthread_mutex_lock(&sa->lock);
	b->older = sa->newest;
	sa->newest = b;
	atomic_fetch_add(&sa->gen, 1);
	pthread_cond_signal(&sa->work);
	pthread_mutex_unlock(&sa->lock);
}

int
statahead_get(struct statahead_batch *b, size_t i, const struct statx **ret)
{
	unsigned spins = 0;

	size_t j;

	if (i >= b->n)
		return -ERANGE;
	if (!take(b, i)) {
		while (atomic_load_explicit(&b->state[i],
		    memory_order_acquire) != NAME_DONE) {
			j = atomic_load_explicit(&b->back,
			    memory_order_relaxed);
			if (j > i + 1) {
				atomic_store_explicit(&b->back, j - 1,
				    memory_order_relaxed);
				(void)take(b, j - 1);
			} else if (++spins % SPINS == 0)
				sched_yield();
		}
	}
	*ret = &b->res[i];
	return b->err[i];
}

void
statahead_retire(struct statahead *sa, struct statahead_batch *b)
{
	struct statahead_batch **pp;

	atomic_store(&b->dead, true);
	pthread_mutex_lock(&sa->lock);
	for (pp = &sa->newest; *pp != NULL; pp = &(*pp)->older) {
		if (*pp == b) {
			*pp = b->older;
			break;
		}
	}
	while (b->busy > 0)
		pthread_cond_wait(&sa->idle, &sa->lock);
	sa->held -= b->cap;
	pthread_mutex_unlock(&sa->lock);
	buf_release(&b->names);
	free(b->off);
	free(b->res);
	free(b->err);
	free(b->state);
	free(b);
}
