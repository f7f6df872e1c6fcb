/*
 * hashpool: many jobs over many files give the digests hash_buffer gives,
 * the eventfd is readable exactly while completed jobs wait, completion
 * order, blocking reap, errors, signals blocked in workers, and no fd or
 * memory left behind; jobs handed over in batches, some with the
 * submitter's fstat, give the same digests; a long file lets queued jobs pass, and cancel ends
 * it at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"

#include "hashpool.h"

#define NFILES		97
#define NJOBS		1000
#define MAX_INFLIGHT	64
#define ALL_ALGOS	((hash_mask)(HASH_BIT(HASH_COUNT) - 1))

struct fixture {
	char	*dir;
	char	*path[NFILES];
	size_t	 len[NFILES];
	unsigned char md[NFILES][HASH_COUNT][HASH_MAX_SIZE];
};

/* Deterministic contents of file i, of a size that varies a lot. */
static size_t
file_len(int i)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 4095, 4096, 65537,
	    (1 << 20) + 3, 300000 };

	return sizes[i % 9] + (size_t)i;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *data;
	size_t k;
	int i, a;

	f->dir = tlib_mkdtemp("hashpool");
	for (i = 0; i < NFILES; i++) {
		f->len[i] = file_len(i);
		data = malloc(f->len[i] + 1);
		for (k = 0; k < f->len[i]; k++)
			data[k] = (char)((k * 131 + (size_t)i * 7) ^ (k >> 9));
		f->path[i] = tlib_fmt("%s/f%03d", f->dir, i);
		tlib_write(f->path[i], data, f->len[i]);
		for (a = 0; a < HASH_COUNT; a++) {
			if (hash_buffer(a, data, f->len[i], f->md[i][a]) != 0)
				return -1;
		}
		free(data);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	tlib_rmrf(f->dir);
	free(f->dir);
	for (i = 0; i < NFILES; i++)
		free(f->path[i]);
	free(f);
	return 0;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return n - 1;	/* the DIR's own */
}

static bool
readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

struct tjob {
	struct hash_job job;	/* first: reap hands back &job */
	int	 file;
	int	 seq;
};

static struct tjob *
new_job(const struct fixture *f, int file, int seq, hash_mask algos)
{
	struct tjob *t = calloc(1, sizeof(*t));

	t->file = file;
	t->seq = seq;
	t->job.fd = open(f->path[file], O_RDONLY | O_CLOEXEC);
	assert_true(t->job.fd >= 0);
	t->job.algos = algos;
	t->job.arg = t;
	return t;
}

static void
check_job(const struct fixture *f, const struct tjob *t)
{
	const struct hash_job *j = &t->job;
	int a;

	assert_ptr_equal(j->arg, t);
	assert_int_equal(j->fd, -1);
	assert_int_equal(j->err, 0);
	if (j->max_size > 0 && f->len[t->file] > j->max_size) {
		assert_true(j->result.too_large);
		assert_int_equal(j->result.algos, 0);
		return;
	}
	assert_false(j->result.too_large);
	assert_int_equal(j->result.algos, j->algos);
	assert_int_equal(j->result.bytes, f->len[t->file]);
	for (a = 0; a < HASH_COUNT; a++) {
		if (!(j->algos & HASH_BIT(a)))
			continue;
		if (memcmp(j->result.md[a], f->md[t->file][a],
		    hash_size(a)) != 0)
			fail_msg("job %d file %d %s: wrong digest", t->seq,
			    t->file, hash_name(a));
	}
	if (j->prefix_len > 0 && j->prefix_len <= f->len[t->file])
		assert_int_equal(j->result.prefix_algos, j->algos);
	else
		assert_int_equal(j->result.prefix_algos, 0);
}

/* Reap what is there (or wait for something); returns how many. */
static int
reap_check(const struct fixture *f, struct hashpool *p, bool wait,
    bool *seen)
{
	struct hash_job *list, *next;
	struct tjob *t;
	int n = 0;

	list = hashpool_reap(p, wait);
	for (; list != NULL; list = next) {
		next = list->next;
		t = list->arg;
		check_job(f, t);
		assert_false(seen[t->seq]);
		seen[t->seq] = true;
		free(t);
		n++;
	}
	return n;
}

/* 1000 jobs, four workers, mixed algorithms, limits and prefixes. */
static void
test_many_jobs(void **state)
{
	struct fixture *f = *state;
	struct hashpool *p;
	struct tjob *t;
	bool seen[NJOBS] = { false };
	int fds, i, done = 0, waited = 0;

	fds = count_fds();
	p = hashpool_new(4);
	assert_non_null(p);
	assert_int_equal(hashpool_threads(p), 4);
	for (i = 0; i < NJOBS; i++) {
		t = new_job(f, (i * 37) % NFILES, i,
		    (hash_mask)(i % ALL_ALGOS + 1));
		if (i % 10 == 3)
			t->job.max_size = 70000;
		if (i % 7 == 2)
			t->job.prefix_len = (uint64_t)(i % 5000) + 1;
		hashpool_submit(p, &t->job);
		while (hashpool_inflight(p) >= MAX_INFLIGHT) {
			done += reap_check(f, p, true, seen);
			waited++;
		}
		if (i % 50 == 0)
			done += reap_check(f, p, false, seen);
	}
	while (hashpool_inflight(p) > 0)
		done += reap_check(f, p, true, seen);
	assert_int_equal(done, NJOBS);
	for (i = 0; i < NJOBS; i++)
		assert_true(seen[i]);
	assert_true(waited > 0);
	assert_null(hashpool_reap(p, true));	/* nothing in flight */
	assert_false(readable(hashpool_fd(p), 0));
	hashpool_free(p);
	assert_int_equal(count_fds(), fds);
}

/* The eventfd is readable exactly while completed jobs wait. */
static void
test_submit_many(void **state)
{
	struct fixture *f = *state;
	struct hash_job *batch[32];
	struct hashpool *p;
	struct tjob *t;
	bool seen[NJOBS] = { false };
	int i, n = 0, done = 0;

	p = hashpool_new(2);
	assert_non_null(p);
	for (i = 0; i < 320; i++) {
		t = new_job(f, i % NFILES, i, HASH_BIT(HASH_SHA256));
		if (i % 2 == 0) {
			assert_int_equal(fstat(t->job.fd, &t->job.start), 0);
			t->job.have_start = true;
		}
		batch[n++] = &t->job;
		if (n == 32) {
			hashpool_submit_many(p, batch, (size_t)n);
			n = 0;
		}
	}
	assert_int_equal(hashpool_inflight(p), 320);
	while (hashpool_inflight(p) > 0)
		done += reap_check(f, p, true, seen);
	assert_int_equal(done, 320);
	for (i = 0; i < 320; i++)
		assert_true(seen[i]);
	assert_false(readable(hashpool_fd(p), 0));
	hashpool_free(p);
}

static void
test_eventfd(void **state)
{
	struct fixture *f = *state;
	struct hashpool *p;
	struct hash_job *list;
	struct tjob *t;
	int efd, fl, i, n;

	p = hashpool_new(2);
	assert_non_null(p);
	efd = hashpool_fd(p);
	fl = fcntl(efd, F_GETFL);
	assert_int_not_equal(fl & O_NONBLOCK, 0);
	assert_int_not_equal(fcntl(efd, F_GETFD) & FD_CLOEXEC, 0);
	assert_false(readable(efd, 0));
	assert_null(hashpool_reap(p, false));
	assert_int_equal(hashpool_inflight(p), 0);

	for (i = 0; i < 3; i++) {
		t = new_job(f, 1 + i, i, HASH_BIT(HASH_SHA256));
		hashpool_submit(p, &t->job);
	}
	assert_int_equal(hashpool_inflight(p), 3);
	/* Readable means a reap finds something, every time. */
	n = 0;
	while (n < 3) {
		assert_true(readable(efd, 5000));
		list = hashpool_reap(p, false);
		assert_non_null(list);
		while (list != NULL) {
			t = list->arg;
			list = list->next;
			check_job(f, t);
			free(t);
			n++;
		}
	}
	i = n;
	assert_int_equal(i, 3);
	assert_int_equal(hashpool_inflight(p), 0);
	assert_false(readable(efd, 0));
	assert_null(hashpool_reap(p, false));
	hashpool_free(p);
}

/* One worker completes in submission order; the list keeps that order. */
static void
test_reap_order(void **state)
{
	struct fixture *f = *state;
	struct hashpool *p;
	struct hash_job *list;
	struct tjob *t;
	int i, next = 0;

	p = hashpool_new(1);
	assert_non_null(p);
	assert_int_equal(hashpool_threads(p), 1);
	for (i = 0; i < 40; i++) {
		t = new_job(f, i % NFILES, i, HASH_BIT(HASH_MD5));
		hashpool_submit(p, &t->job);
	}
	while (hashpool_inflight(p) > 0) {
		list = hashpool_reap(p, true);
		assert_non_null(list);
		while (list != NULL) {
			t = list->arg;
			list = list->next;
			assert_int_equal(t->seq, next);
			next++;
			check_job(f, t);
			free(t);
		}
	}
	assert_int_equal(next, 40);
	hashpool_free(p);
}

/* Errors travel in the job; the fd is closed all the same. */
static void
test_errors(void **state)
{
	struct fixture *f = *state;
	struct hashpool *p;
	struct hash_job dir, bad, *list;
	int fds;

	fds = count_fds();
	p = hashpool_new(2);
	memset(&dir, 0, sizeof(dir));
	memset(&bad, 0, sizeof(bad));
	dir.fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir.fd >= 0);
	dir.algos = HASH_DEFAULT_MASK;
	bad.fd = -1;
	bad.algos = HASH_DEFAULT_MASK;
	hashpool_submit(p, &dir);
	hashpool_submit(p, &bad);
	while (hashpool_inflight(p) > 0) {
		for (list = hashpool_reap(p, true); list != NULL;
		    list = list->next) {
			if (list == &dir)
				assert_int_equal(dir.err, -EINVAL);
			else {
				assert_ptr_equal(list, &bad);
				assert_int_equal(bad.err, -EBADF);
			}
			assert_int_equal(list->fd, -1);
		}
	}
	hashpool_free(p);
	assert_int_equal(count_fds(), fds);
}

/* A long job: reap(wait) blocks until it is done rather than return. */
static void
test_wait_blocks(void **state)
{
	struct fixture *f = *state;
	struct hashpool *p;
	struct hash_job job, *list;
	char *path;
	double t0;

	path = tlib_fmt("%s/big", f->dir);
	assert_int_equal(tlib_sh("head -c 67108864 /dev/zero > '%s'", path),
	    0);
	p = hashpool_new(1);
	memset(&job, 0, sizeof(job));
	job.fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(job.fd >= 0);
	job.algos = ALL_ALGOS;
	t0 = tlib_now();
	hashpool_submit(p, &job);
	list = hashpool_reap(p, true);
	assert_ptr_equal(list, &job);
	assert_null(job.next);
	assert_int_equal(job.err, 0);
	assert_int_equal(job.result.bytes, 67108864);
	assert_true(tlib_now() - t0 > 0.01);
	assert_int_equal(hashpool_inflight(p), 0);
	/* Nothing in flight: no wait. */
	assert_null(hashpool_reap(p, true));
	hashpool_free(p);
	unlink(path);
	free(path);
}

/* The SigBlk mask of a thread, from /proc. */
static uint64_t
thread_sigblk(const char *tid)
{
	char *path = tlib_fmt("/proc/self/task/%s/status", tid);
	char line[256];
	uint64_t mask = 0;
	FILE *fp;

	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "SigBlk: %" SCNx64, &mask) == 1)
			break;
	}
	fclose(fp);
	free(path);
	return mask;
}

#define SIGBIT(s)	((uint64_t)1 << ((s) - 1))

/* The thread ids of this process (up to max); returns how many. */
static size_t
list_threads(long *tids, size_t max)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	d = opendir("/proc/self/task");
	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < max) {
		if (e->d_name[0] != '.')
			tids[n++] = strtol(e->d_name, NULL, 10);
	}
	closedir(d);
	return n;
}

static bool
has_tid(const long *tids, size_t n, long tid)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (tids[i] == tid)
			return true;
	}
	return false;
}

/*
 * Workers (the threads the pool adds) block signals; the creating
 * thread's mask is unchanged.
 */
static void
test_signals_blocked(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD,
	    SIGPIPE, SIGALRM };
	long before[64], after[64];
	size_t nbefore, nafter, i, k;
	struct hashpool *p;
	char tid[32];
	int workers = 0;
	uint64_t m;

	(void)state;
	nbefore = list_threads(before, 64);
	p = hashpool_new(3);
	assert_non_null(p);
	nafter = list_threads(after, 64);
	for (i = 0; i < nafter; i++) {
		snprintf(tid, sizeof(tid), "%ld", after[i]);
		m = thread_sigblk(tid);
		for (k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++) {
			if (after[i] == (long)getpid())
				assert_int_equal(m & SIGBIT(sigs[k]), 0);
			else if (!has_tid(before, nbefore, after[i]))
				assert_int_not_equal(m & SIGBIT(sigs[k]), 0);
		}
		if (!has_tid(before, nbefore, after[i]))
			workers++;
	}
	assert_int_equal(workers, 3);
	hashpool_free(p);
	hashpool_free(NULL);
	assert_int_equal(list_threads(after, 64), nbefore);
}

static void
test_default_threads(void **state)
{
	struct hashpool *p;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	p = hashpool_new(0);
	assert_non_null(p);
	assert_int_equal(hashpool_threads(p), n > 0 ? (unsigned)n : 1);
	hashpool_free(p);
}

/*
 * One worker busy with a long (sparse) file: jobs submitted after it
 * complete first, because the long one parks at the next slice; then
 * hashpool_cancel ends it within a second, err -ECANCELED, fd closed.
 */
static void
test_long_yields_and_cancel(void **state)
{
	struct fixture *f = *state;
	struct hashpool *p;
	struct hash_job big, *list;
	struct tjob *small;
	char *path;
	bool seen[4] = { false };
	double t0;
	int i, fds, got = 0;

	fds = count_fds();
	path = tlib_fmt("%s/sparse", f->dir);
	assert_int_equal(tlib_sh("truncate -s 64G '%s'", path), 0);
	p = hashpool_new(1);
	memset(&big, 0, sizeof(big));
	big.fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(big.fd >= 0);
	big.algos = HASH_DEFAULT_MASK;
	hashpool_submit(p, &big);
	tlib_sleep_ms(100);		/* the worker is inside it */
	for (i = 0; i < 4; i++)
		hashpool_submit(p, &new_job(f, i + 5, i, HASH_DEFAULT_MASK)->job);
	t0 = tlib_now();
	while (got < 4) {
		list = hashpool_reap(p, true);
		for (; list != NULL; list = list->next) {
			assert_ptr_not_equal(list, &big);
			small = list->arg;
			check_job(f, small);
			seen[small->seq] = true;
			got++;
		}
	}
	for (i = 0; i < 4; i++)
		assert_true(seen[i]);
	/* Not a millisecond of them waited for the 64 GiB. */
	assert_true(tlib_now() - t0 < 2.0);
	assert_true(hashpool_yields(p) >= 1);
	assert_null(hashpool_reap(p, false));	/* still reading it */
	t0 = tlib_now();
	hashpool_cancel(p);
	list = hashpool_reap(p, true);
	assert_ptr_equal(list, &big);
	assert_null(list->next);
	assert_int_equal(big.err, -ECANCELED);
	assert_int_equal(big.fd, -1);
	assert_true(tlib_now() - t0 < 1.0);
	assert_int_equal(hashpool_inflight(p), 0);
	hashpool_free(p);
	assert_int_equal(count_fds(), fds);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_jobs),
		cmocka_unit_test(test_submit_many),
		cmocka_unit_test(test_eventfd),
		cmocka_unit_test(test_reap_order),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_wait_blocks),
		cmocka_unit_test(test_signals_blocked),
		cmocka_unit_test(test_default_threads),
		cmocka_unit_test(test_long_yields_and_cancel),
	};

	return cmocka_run_group_tests_name("hashpool", tests, setup, teardown);
}
