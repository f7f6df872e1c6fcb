/*
 * Content digests through OpenSSL 3 EVP.
 *
 * Speed notes.  EVP_MD objects are fetched once per hasher: with OpenSSL 3
 * an EVP_sha256()-style handle is re-fetched on every init, which costs
 * more than hashing a small file.  The read loop stops at the size fstat
 * reported when hashing began, which bounds it (hash.h) and saves the
 * extra read(2) that would only confirm end of file; a file that fits
 * the buffer is asked for one byte more, so that one read(2) also shows
 * whether it grew, and no fstat after it is needed.  Reads try
 * RWF_NOWAIT first so that the pages a read had to bring in from disk,
 * and only those, are dropped afterwards (see hash.h).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hash.h"
#include "hex.h"
#include "xmalloc.h"

#define HASHER_BUFSIZE_DEFAULT	((size_t)256 << 10)

struct hash_algo_info {
	const char *name;	/* rules and OpenSSL */
	const char *ecs;	/* alerts */
	const char *alias;	/* also accepted in rules */
	const char *ossl;	/* EVP_MD_fetch name */
	size_t	 size;
};

static const struct hash_algo_info hash_table[HASH_COUNT] = {
	[HASH_SHA256] = { "sha256", "sha256", "sha-256", "SHA256", 32 },
	[HASH_SHA512] = { "sha512", "sha512", "sha-512", "SHA512", 64 },
	[HASH_SHA3_256] = { "sha3-256", "sha3_256", "sha3_256", "SHA3-256",
	    32 },
	[HASH_BLAKE2B512] = { "blake2b512", "blake2b_512", "blake2b_512",
	    "BLAKE2B-512", 64 },
	[HASH_SHA1] = { "sha1", "sha1", "sha-1", "SHA1", 20 },
	[HASH_MD5] = { "md5", "md5", NULL, "MD5", 16 },
};

struct hasher {
	unsigned char *buf;
	size_t	 bufsize;
	EVP_MD	*md[HASH_COUNT];	/* fetched on first use */
	EVP_MD_CTX *ctx[HASH_COUNT];
	EVP_MD_CTX *tmp;		/* prefix digests */
	bool	 nowait_ok;		/* preadv2(RWF_NOWAIT) supported */
};

const char *
hash_name(enum hash_algo a)
{
	return (unsigned)a < HASH_COUNT ? hash_table[a].name : NULL;
}

const char *
hash_ecs_name(enum hash_algo a)
{
	return (unsigned)a < HASH_COUNT ? hash_table[a].ecs : NULL;
}

size_t
hash_size(enum hash_algo a)
{
	return (unsigned)a < HASH_COUNT ? hash_table[a].size : 0;
}

int
hash_from_name(const char *name)
{
	int a;

	for (a = 0; a < HASH_COUNT; a++) {
		if (strcmp(name, hash_table[a].name) == 0 ||
		    strcmp(name, hash_table[a].ecs) == 0 ||
		    (hash_table[a].alias != NULL &&
		    strcmp(name, hash_table[a].alias) == 0))
			return a;
	}
	return -ENOENT;
}

struct hasher *
hasher_new(size_t bufsize)
{
	struct hasher *h;
	void *p;

	h = xcalloc(1, sizeof(*h));
	h->bufsize = bufsize == 0 ? HASHER_BUFSIZE_DEFAULT : bufsize;
	if (posix_memalign(&p, 4096, h->bufsize) != 0)
		p = xmalloc(h->bufsize);
	h->buf = p;
	h->nowait_ok = true;
	return h;
}

void
hasher_free(struct hasher *h)
{
	int a;

	if (h == NULL)
		return;
	for (a = 0; a < HASH_COUNT; a++) {
		EVP_MD_CTX_free(h->ctx[a]);
		EVP_MD_free(h->md[a]);
	}
	EVP_MD_CTX_free(h->tmp);
	free(h->buf);
	free(h);
}

/* Fetch the digest and make a context for algorithm a.  0 or -ENOTSUP. */
static int
hasher_prepare(struct hasher *h, int a)
{
	if (h->md[a] == NULL) {
		h->md[a] = EVP_MD_fetch(NULL, hash_table[a].ossl, NULL);
		if (h->md[a] == NULL)
			return -ENOTSUP;
	}
	if (h->ctx[a] == NULL && (h->ctx[a] = EVP_MD_CTX_new()) == NULL)
		return -ENOMEM;
	if (EVP_DigestInit_ex2(h->ctx[a], h->md[a], NULL) != 1)
		return -ENOTSUP;
	return 0;
}

static int
hasher_update(struct hasher *h, hash_mask algos, const void *p, size_t n)
{
	int a;

	for (a = 0; a < HASH_COUNT; a++) {
		if ((algos & HASH_BIT(a)) &&
		    EVP_DigestUpdate(h->ctx[a], p, n) != 1)
			return -EIO;
	}
	return 0;
}

/* Finish a copy of every context into md, leaving the contexts running. */
static int
hasher_snapshot(struct hasher *h, hash_mask algos,
    unsigned char md[HASH_COUNT][HASH_MAX_SIZE])
{
	int a;

	if (h->tmp == NULL && (h->tmp = EVP_MD_CTX_new()) == NULL)
		return -ENOMEM;
	for (a = 0; a < HASH_COUNT; a++) {
		if (!(algos & HASH_BIT(a)))
			continue;
		if (EVP_MD_CTX_copy_ex(h->tmp, h->ctx[a]) != 1 ||
		    EVP_DigestFinal_ex(h->tmp, md[a], NULL) != 1)
			return -EIO;
	}
	return 0;
}

/*
 * Read up to n bytes at off.  Tries RWF_NOWAIT first; when the data had
 * to come from the device, reads normally and drops those pages again.
 * Returns the bytes read (0 at the end) or -errno.
 */
static ssize_t
hasher_read(struct hasher *h, int fd, off_t off, size_t n)
{
	struct iovec iov = { h->buf, n };
	bool cleared = false;
	ssize_t got;

	if (h->nowait_ok) {
		got = preadv2(fd, &iov, 1, off, RWF_NOWAIT);
		if (got > 0)
			return got;
		if (got == 0)
			return 0;
		if (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS)
			h->nowait_ok = false;
		else if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	for (;;) {
		if ((got = pread(fd, h->buf, n, off)) >= 0)
			break;
		if (errno == EINTR)
			continue;
		/*
		 * Regular files ignore O_NONBLOCK, so the opener leaves it
		 * set; a file system that does not gets a blocking fd, once.
		 */
		if (errno != EAGAIN || cleared || fcntl(fd, F_SETFL,
		    fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
			break;
		cleared = true;
	}
	if (got < 0)
		return -errno;
	if (got > 0 && h->nowait_ok)
		(void)posix_fadvise(fd, off, got, POSIX_FADV_DONTNEED);
	return got;
}

/* A digest between slices: its running contexts and where it stands. */
struct hash_park {
	EVP_MD_CTX *ctx[HASH_COUNT];
	uint64_t offset;	/* bytes digested */
	uint64_t limit;		/* never read past it */
	struct stat start;	/* fstat when hashing began */
	/* Read in one call with a byte to spare: it ended at its size, or
	 * had grown past it (hasher_go). */
	bool	 ended, grew;
};

void
hash_park_free(struct hash_park *p)
{
	int a;

	if (p == NULL)
		return;
	for (a = 0; a < HASH_COUNT; a++)
		EVP_MD_CTX_free(p->ctx[a]);
	free(p);
}

/* Trade the hasher's contexts for the park's (parking and resuming). */
static void
hasher_swap(struct hasher *h, struct hash_park *p)
{
	EVP_MD_CTX *t;
	int a;

	for (a = 0; a < HASH_COUNT; a++) {
		t = h->ctx[a];
		h->ctx[a] = p->ctx[a];
		p->ctx[a] = t;
	}
}

/*
 * Start a file: *ret's header cleared, fstat taken, contexts ready.
 * Returns 0, 1 when the file is too large (nothing to read), or -errno.
 */
static int
hasher_begin(struct hasher *h, int fd, const struct hash_request *req,
    struct hash_park *p, struct hash_result *ret)
{
	int a, r;

	memset(ret, 0, offsetof(struct hash_result, md));
	ret->prefix_algos = 0;
	ret->changed_while_read = false;
	if (req->start != NULL)
		p->start = *req->start;
	else if (fstat(fd, &p->start) < 0)
		return -errno;
	if (!S_ISREG(p->start.st_mode))
		return -EINVAL;
	if (req->max_size > 0 && (uint64_t)p->start.st_size > req->max_size) {
		ret->too_large = true;
		return 1;
	}
	/*
	 * A regular file of size 0 may still have contents (some pseudo and
	 * network file systems report none): read those up to max_size.
	 */
	p->limit = p->start.st_size > 0 ? (uint64_t)p->start.st_size :
	    req->max_size > 0 ? req->max_size : UINT64_MAX;
	p->offset = 0;
	for (a = 0; a < HASH_COUNT; a++) {
		if ((req->algos & HASH_BIT(a)) &&
		    (r = hasher_prepare(h, a)) < 0)
			return r;
	}
	return 0;
}

/* Digest n bytes of the buffer read at p->offset. */
static int
hasher_feed(struct hasher *h, const struct hash_request *req,
    const struct hash_park *p, size_t n, struct hash_result *ret)
{
	uint64_t total = p->offset;
	uint64_t prefix_len = req->prefix_len;
	size_t cut = n;
	int r;

	if (prefix_len > total && prefix_len <= total + (uint64_t)n)
		cut = (size_t)(prefix_len - total);
	if ((r = hasher_update(h, req->algos, h->buf, cut)) < 0)
		return r;
	if (prefix_len > 0 && total + cut == prefix_len) {
		if ((r = hasher_snapshot(h, req->algos, ret->prefix_md)) < 0)
			return r;
		ret->prefix_algos = req->algos;
	}
	if (cut < n && (r = hasher_update(h, req->algos, h->buf + cut,
	    n - cut)) < 0)
		return r;
	return 0;
}

static bool
same_moment(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* The digests, and whether the file moved under the read. */
static int
hasher_end(struct hasher *h, int fd, const struct hash_request *req,
    const struct hash_park *p, bool eof, struct hash_result *ret)
{
	struct stat now;
	int a;

	for (a = 0; a < HASH_COUNT; a++) {
		if (!(req->algos & HASH_BIT(a)))
			continue;
		if (EVP_DigestFinal_ex(h->ctx[a], ret->md[a], NULL) != 1)
			return -EIO;
	}
	ret->algos = req->algos;
	ret->bytes = p->offset;
	/*
	 * Read whole in one call: what changed in the instant between the
	 * fstat and the read is after the ctime recorded, so the next scan
	 * reads it again; growth was seen.
	 */
	if (p->ended || p->grew) {
		ret->changed_while_read = p->grew;
		return 0;
	}
	if (fstat(fd, &now) < 0)
		return -errno;
	ret->changed_while_read = now.st_size != p->start.st_size ||
	    !same_moment(&now.st_mtim, &p->start.st_mtim) ||
	    !same_moment(&now.st_ctim, &p->start.st_ctim) ||
	    (eof && p->start.st_size > 0 && p->offset < p->limit);
	return 0;
}

/*
 * Read and digest from p->offset until the limit, end of file, a yield
 * (returns HASH_PARKED) or a cancel.  *eof says the file ended early.
 */
static int
hasher_go(struct hasher *h, int fd, const struct hash_request *req,
    const struct hash_control *ctl, struct hash_park *p, bool *eof,
    struct hash_result *ret)
{
	uint64_t slice_end;
	size_t want;
	ssize_t n;
	bool whole;
	int r;

	*eof = false;
	slice_end = ctl != NULL && ctl->slice > 0 ? p->offset + ctl->slice :
	    UINT64_MAX;
	while (p->offset < p->limit) {
		if (p->offset > 0 && ctl != NULL && ctl->cancel != NULL &&
		    atomic_load_explicit(ctl->cancel, memory_order_relaxed))
			return -ECANCELED;
		if (p->offset >= slice_end) {
			if (ctl->yield != NULL && ctl->yield(ctl->arg))
				return HASH_PARKED;
			slice_end = p->offset + ctl->slice;
		}
		want = p->limit - p->offset < h->bufsize ?
		    (size_t)(p->limit - p->offset) : h->bufsize;
		/*
		 * A file the buffer holds is asked for one byte more: the
		 * one call shows its contents and that it ended at its
		 * size, or grew, so no fstat after it is needed.
		 */
		whole = p->offset == 0 && p->start.st_size > 0 &&
		    p->limit < h->bufsize;
		if (whole)
			want = (size_t)p->limit + 1;
		if ((n = hasher_read(h, fd, (off_t)p->offset, want)) < 0)
			return (int)n;
		if (n == 0) {
			*eof = true;
			break;
		}
		if (whole && (uint64_t)n >= p->limit) {
			p->grew = (uint64_t)n > p->limit;
			p->ended = !p->grew;
			n = (ssize_t)p->limit;
		}
		if ((r = hasher_feed(h, req, p, (size_t)n, ret)) < 0)
			return r;
		p->offset += (uint64_t)n;
	}
	return 0;
}

int
hasher_step(struct hasher *h, int fd, const struct hash_request *req,
    const struct hash_control *ctl, struct hash_park **park,
    struct hash_result *ret)
{
	struct hash_park local, *p = *park;
	bool eof;
	int r;

	if (p == NULL) {
		memset(&local, 0, sizeof(local));
		p = &local;
		if ((r = hasher_begin(h, fd, req, p, ret)) != 0)
			return r > 0 ? 0 : r;
	} else
		hasher_swap(h, p);
	r = hasher_go(h, fd, req, ctl, p, &eof, ret);
	if (r == HASH_PARKED) {
		if (p == &local) {
			p = xcalloc(1, sizeof(*p));
			*p = local;
			*park = p;
		}
		hasher_swap(h, p);
		return HASH_PARKED;
	}
	if (r == 0)
		r = hasher_end(h, fd, req, p, eof, ret);
	if (p != &local) {
		hash_park_free(p);
		*park = NULL;
	}
	return r;
}

int
hasher_fd(struct hasher *h, int fd, hash_mask algos, uint64_t max_size,
    uint64_t prefix_len, struct hash_result *ret)
{
	struct hash_request req = { algos, max_size, prefix_len, NULL };
	struct hash_park *park = NULL;

	return hasher_step(h, fd, &req, NULL, &park, ret);
}

int
hash_buffer(enum hash_algo a, const void *data, size_t len,
    unsigned char *ret_md)
{
	EVP_MD *md;
	int ok;

	if ((unsigned)a >= HASH_COUNT)
		return -EINVAL;
	if ((md = EVP_MD_fetch(NULL, hash_table[a].ossl, NULL)) == NULL)
		return -ENOTSUP;
	ok = EVP_Digest(data, len, ret_md, NULL, md, NULL);
	EVP_MD_free(md);
	return ok == 1 ? 0 : -EIO;
}

void
hash_hex(const unsigned char *md, size_t len, char *out)
{
	hex_encode(md, len, out);
}

int
hash_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t len)
{
	return hex_decode(hex, hexlen, out, len);
}
