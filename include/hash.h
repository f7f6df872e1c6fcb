/*
 * hash: message digests of file contents through OpenSSL EVP.
 *
 * One read pass feeds every algorithm a rule asks for.  A struct hasher
 * holds the fetched EVP_MD objects, one context per algorithm and a large
 * read buffer; it is not thread-safe, so each hashing thread owns one.
 * Reads use preadv2(RWF_NOWAIT) first: pages that were already cached are
 * left alone, and only the ranges the scan itself brought in are dropped
 * with posix_fadvise(POSIX_FADV_DONTNEED), so a full scan does not flush
 * the page cache of a busy host.
 *
 * Bounds.  A read never goes past the size fstat gave when hashing began
 * (nor max_size, checked then): a file that grows while it is read, even
 * to a terabyte by truncate(2), costs what it held at the start, and the
 * result says that it changed underneath (changed_while_read).  A long
 * file can be digested in slices (hasher_step): between two slices the
 * caller may park it, its running digests kept in a struct hash_park,
 * and resume it later on any hasher, so that other files need not wait
 * for it; a cancel flag ends it between two reads.
 *
 * Algorithm sets travel as a hash_mask (bit = 1 << enum hash_algo).
 */
#ifndef FIMD_HASH_H
#define FIMD_HASH_H

#include <sys/stat.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hash_algo {
	HASH_SHA256,
	HASH_SHA512,
	HASH_SHA3_256,
	HASH_BLAKE2B512,
	HASH_SHA1,
	HASH_MD5,
	HASH_COUNT
};

typedef uint8_t hash_mask;

#define HASH_BIT(a)		((hash_mask)1 << (a))
#define HASH_MAX_SIZE		64	/* bytes of the largest digest */
#define HASH_DEFAULT_MASK	HASH_BIT(HASH_SHA256)

/*
 * Rule spelling ("sha256", "sha3-256", "blake2b512"), as OpenSSL names
 * them.  hash_from_name also accepts the ECS spelling.  Returns the
 * algorithm or -ENOENT.
 */
const char *hash_name(enum hash_algo a);
int	hash_from_name(const char *name);
/* Key under file.hash in alerts: "sha256", "sha3_256", "blake2b_512". */
const char *hash_ecs_name(enum hash_algo a);
/* Digest length in bytes. */
size_t	hash_size(enum hash_algo a);

struct hash_result {
	hash_mask algos;	/* digests computed (0 when too_large) */
	bool	 too_large;	/* size exceeded max_size: no digest */
	uint64_t bytes;		/* bytes read */
	unsigned char md[HASH_COUNT][HASH_MAX_SIZE];
	/*
	 * Digests of the first prefix_len bytes, for GROWING files; set when
	 * prefix_len was non-zero and the file held at least that many
	 * bytes (prefix_algos == algos), else prefix_algos is 0.
	 */
	hash_mask prefix_algos;
	unsigned char prefix_md[HASH_COUNT][HASH_MAX_SIZE];
	/*
	 * Size, mtime or ctime moved while the file was read (it grew,
	 * shrank or was rewritten): the digests cover the bytes read, at
	 * most the size at the start.
	 */
	bool	 changed_while_read;
};

struct hasher;

/* A new hasher with a read buffer of bufsize bytes (0: default 1 MiB). */
struct hasher *hasher_new(size_t bufsize);
void	hasher_free(struct hasher *h);

/*
 * Read fd from offset 0 up to the size fstat gives now, feeding each
 * algorithm in algos.  A file whose size exceeds max_size (0: no limit)
 * is not read: result.too_large is set and 0 returned.  Returns 0 and
 * fills *ret, or a negative errno (read error; -ENOTSUP when OpenSSL
 * lacks an algorithm).  The fd is not closed.
 */
int	hasher_fd(struct hasher *h, int fd, hash_mask algos, uint64_t max_size,
	    uint64_t prefix_len, struct hash_result *ret);

/* What a job asks of hasher_step. */
struct hash_request {
	hash_mask algos;
	uint64_t max_size;	/* 0: no limit */
	uint64_t prefix_len;	/* 0: no prefix digests */
	/*
	 * fstat of the fd the caller took when it opened it (probe does,
	 * to check the file is the one it statted), or NULL: taken here.
	 * Hashing then reads up to that size and compares with it after.
	 */
	const struct stat *start;
};

/* How hasher_step may be interrupted; every member may be 0/NULL. */
struct hash_control {
	uint64_t slice;		/* bytes between yield checks; 0: none */
	/* After each slice: true parks the digest (HASH_PARKED). */
	bool	(*yield)(void *arg);
	void	*arg;
	/* Read between reads (after the first): set ends with -ECANCELED. */
	const _Atomic bool *cancel;
};

/* A digest between two slices; owned by whoever holds the job. */
struct hash_park;

#define HASH_PARKED	1

/*
 * hasher_fd in slices.  *park is NULL for a new file; when ctl's yield
 * asks for it, the running digests move into *park (allocated here) and
 * HASH_PARKED is returned; call again with the same fd, req, ret and
 * park (from any thread, with any hasher) to go on.  Returns 0 when done
 * or a negative errno; either way *park is freed and NULLed.
 */
int	hasher_step(struct hasher *h, int fd, const struct hash_request *req,
	    const struct hash_control *ctl, struct hash_park **park,
	    struct hash_result *ret);
/* Abandon a parked digest (accepts NULL). */
void	hash_park_free(struct hash_park *p);
/* Digest a memory buffer (tests, rules digest).  Returns 0 or -errno. */
int	hash_buffer(enum hash_algo a, const void *data, size_t len,
	    unsigned char *ret_md);
/* Lowercase hex of len bytes into out (2 * len + 1 bytes): hex_encode. */
void	hash_hex(const unsigned char *md, size_t len, char *out);
/*
 * Parse lowercase or uppercase hex of exactly len bytes: hex_decode.
 * Returns 0 or -EINVAL.
 */
int	hash_unhex(const char *hex, size_t hexlen, unsigned char *out,
	    size_t len);

#endif
