/*
 * Content digests through OpenSSL 3 EVP.
 *
 * Speed notes.  EVP_MD objects are fetched once per hasher: with OpenSSL 3
 * an EVP_sha256()-style handle is re-fetched on every init, which costs
 * more than hashing a small file.  The read loop stops at the size fstat
 * reported once a short read reaches it, saving the extra read(2) that
 * would only confirm end of file.  Reads try RWF_NOWAIT first so that the
 * pages a read had to bring in from disk, and only those, are dropped
 * afterwards (see hash.h).
 */
#include <errno.h>
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
	do
		got = pread(fd, h->buf, n, off);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	if (got > 0 && h->nowait_ok)
		(void)posix_fadvise(fd, off, got, POSIX_FADV_DONTNEED);
	return got;
}

static int
hasher_run(struct hasher *h, int fd, hash_mask algos, uint64_t size_hint,
    uint64_t prefix_len, struct hash_result *ret)
{
	uint64_t total = 0;
	size_t cut;
	ssize_t n;
	int r;

	for (;;) {
		n = hasher_read(h, fd, (off_t)total, h->bufsize);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		cut = (size_t)n;
		if (prefix_len > total && prefix_len <= total + (uint64_t)n)
			cut = (size_t)(prefix_len - total);
		if ((r = hasher_update(h, algos, h->buf, cut)) < 0)
			return r;
		if (prefix_len > 0 && total + cut == prefix_len) {
			if ((r = hasher_snapshot(h, algos, ret->prefix_md)) < 0)
				return r;
			ret->prefix_algos = algos;
		}
		if (cut < (size_t)n &&
		    (r = hasher_update(h, algos, h->buf + cut, n - cut)) < 0)
			return r;
		total += (uint64_t)n;
		if (size_hint > 0 && total >= size_hint &&
		    (size_t)n < h->bufsize)
			break;
	}
	ret->bytes = total;
	return 0;
}

int
hasher_fd(struct hasher *h, int fd, hash_mask algos, uint64_t max_size,
    uint64_t prefix_len, struct hash_result *ret)
{
	struct stat st;
	int a, r;

	memset(ret, 0, offsetof(struct hash_result, md));
	ret->prefix_algos = 0;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (max_size > 0 && (uint64_t)st.st_size > max_size) {
		ret->too_large = true;
		return 0;
	}
	for (a = 0; a < HASH_COUNT; a++) {
		if ((algos & HASH_BIT(a)) && (r = hasher_prepare(h, a)) < 0)
			return r;
	}
	if ((r = hasher_run(h, fd, algos, (uint64_t)st.st_size, prefix_len,
	    ret)) < 0)
		return r;
	for (a = 0; a < HASH_COUNT; a++) {
		if (!(algos & HASH_BIT(a)))
			continue;
		if (EVP_DigestFinal_ex(h->ctx[a], ret->md[a], NULL) != 1)
			return -EIO;
	}
	ret->algos = algos;
	return 0;
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
