/*
 * hash: published test vectors through files on disk, every algorithm at
 * once in one pass, small read buffers (block boundaries), cold page
 * cache, max_size, prefix digests, names and hex; digests in slices,
 * parked and resumed on other hashers; reads bounded by the size at the
 * start while the file grows; cancel between reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"

#include "hash.h"

enum input {
	IN_EMPTY,
	IN_ABC,
	IN_448,		/* "abcdbcdecdefdefg...nopq", 56 bytes */
	IN_MILLION_A,	/* 1,000,000 x 'a' */
	IN_COUNT
};

static const char msg448[] =
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

struct vector {
	enum hash_algo algo;
	enum input in;
	const char *hex;
};

/*
 * FIPS 180-2 / 180-4 examples (SHA-1, SHA-256, SHA-512), the NIST SHA-3
 * examples (SHA3-256), RFC 1321 A.5 and the usual one-million-'a' value
 * (MD5), RFC 7693 Appendix A and the reference implementation's empty
 * input (BLAKE2b-512).  BLAKE2b has no published one-million-'a' value:
 * its row was checked with coreutils b2sum, an independent code base.
 */
static const struct vector vectors[] = {
	{ HASH_SHA256, IN_EMPTY, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855" },
	{ HASH_SHA256, IN_ABC, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad" },
	{ HASH_SHA256, IN_448, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1" },
	{ HASH_SHA256, IN_MILLION_A, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0" },
	{ HASH_SHA512, IN_EMPTY, "cf83e1357eefb8bdf1542850d66d8007"
	    "d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f"
	    "63b931bd47417a81a538327af927da3e" },
	{ HASH_SHA512, IN_ABC, "ddaf35a193617abacc417349ae204131"
	    "12e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
	    "454d4423643ce80e2a9ac94fa54ca49f" },
	{ HASH_SHA512, IN_448, "204a8fc6dda82f0a0ced7beb8e08a416"
	    "57c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca0"
	    "31ad85c7a71dd70354ec631238ca3445" },
	{ HASH_SHA512, IN_MILLION_A, "e718483d0ce769644e2e42c7bc15b463"
	    "8e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31b"
	    "eb009c5c2c49aa2e4eadb217ad8cc09b" },
	{ HASH_SHA3_256, IN_EMPTY, "a7ffc6f8bf1ed76651c14756a061d662"
	    "f580ff4de43b49fa82d80a4b80f8434a" },
	{ HASH_SHA3_256, IN_ABC, "3a985da74fe225b2045c172d6bd390bd"
	    "855f086e3e9d525b46bfe24511431532" },
	{ HASH_SHA3_256, IN_448, "41c0dba2a9d6240849100376a8235e2c"
	    "82e1b9998a999e21db32dd97496d3376" },
	{ HASH_SHA3_256, IN_MILLION_A, "5c8875ae474a3634ba4fd55ec85bffd6"
	    "61f32aca75c6d699d0cdcb6c115891c1" },
	{ HASH_BLAKE2B512, IN_EMPTY, "786a02f742015903c6c6fd852552d272"
	    "912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b"
	    "903a685b1448b755d56f701afe9be2ce" },
	{ HASH_BLAKE2B512, IN_ABC, "ba80a53f981c4d0d6a2797b69f12f6e9"
	    "4c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc95"
	    "18d38aa8dbf1925ab92386edd4009923" },
	{ HASH_BLAKE2B512, IN_MILLION_A, "98fb3efb7206fd19ebf69b6f312cf7b6"
	    "4e3b94dbe1a17107913975a793f177e1d077609d7fba363cbba00d05f7aa4e4f"
	    "a8715d6428104c0a75643b0ff3fd3eaf" },
	{ HASH_SHA1, IN_EMPTY, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ HASH_SHA1, IN_ABC, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ HASH_SHA1, IN_448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ HASH_SHA1, IN_MILLION_A, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	{ HASH_MD5, IN_EMPTY, "d41d8cd98f00b204e9800998ecf8427e" },
	{ HASH_MD5, IN_ABC, "900150983cd24fb0d6963f7d28e17f72" },
	{ HASH_MD5, IN_MILLION_A, "7707d6ae4e027c70eea2a935c2296f21" },
};

#define NVECTORS	(sizeof(vectors) / sizeof(vectors[0]))
#define ALL_ALGOS	((hash_mask)(HASH_BIT(HASH_COUNT) - 1))

struct fixture {
	char	*dir;
	char	*path[IN_COUNT];
	char	*million;	/* the 1,000,000-byte input */
};

/* The published digest of in under algo. */
static const char *
want_hex(enum hash_algo algo, enum input in)
{
	size_t i;

	for (i = 0; i < NVECTORS; i++) {
		if (vectors[i].algo == algo && vectors[i].in == in)
			return vectors[i].hex;
	}
	fail_msg("no vector for %s", hash_name(algo));
	return NULL;
}

static size_t
input_len(enum input in)
{
	switch (in) {
	case IN_EMPTY:
		return 0;
	case IN_ABC:
		return 3;
	case IN_448:
		return sizeof(msg448) - 1;
	default:
		return 1000000;
	}
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	static const char *names[IN_COUNT] = { "empty", "abc", "m448",
	    "million" };
	const char *data;
	int i;

	f->dir = tlib_mkdtemp("hash");
	f->million = malloc(1000000);
	memset(f->million, 'a', 1000000);
	for (i = 0; i < IN_COUNT; i++) {
		f->path[i] = tlib_fmt("%s/%s", f->dir, names[i]);
		data = i == IN_ABC ? "abc" : i == IN_448 ? msg448 :
		    f->million;
		tlib_write(f->path[i], data, input_len(i));
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
	for (i = 0; i < IN_COUNT; i++)
		free(f->path[i]);
	free(f->million);
	free(f);
	return 0;
}

static int
open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void
assert_digest(const unsigned char *md, enum hash_algo a, const char *hex,
    const char *what)
{
	char got[2 * HASH_MAX_SIZE + 1];

	hash_hex(md, hash_size(a), got);
	if (strcmp(got, hex) != 0)
		fail_msg("%s %s: got %s, want %s", hash_name(a), what, got,
		    hex);
}

/* Each vector alone, through a file, with several read buffer sizes. */
static void
test_vectors_one_algo(void **state)
{
	static const size_t bufsizes[] = { 0, 4096, 1000, 64 };
	struct fixture *f = *state;
	struct hash_result res;
	struct hasher *h;
	size_t b, i;
	int fd;

	for (b = 0; b < sizeof(bufsizes) / sizeof(bufsizes[0]); b++) {
		h = hasher_new(bufsizes[b]);
		for (i = 0; i < NVECTORS; i++) {
			const struct vector *v = &vectors[i];

			fd = open_ro(f->path[v->in]);
			assert_int_equal(hasher_fd(h, fd, HASH_BIT(v->algo),
			    0, 0, &res), 0);
			close(fd);
			assert_int_equal(res.algos, HASH_BIT(v->algo));
			assert_false(res.too_large);
			assert_int_equal(res.bytes, input_len(v->in));
			assert_int_equal(res.prefix_algos, 0);
			assert_digest(res.md[v->algo], v->algo, v->hex,
			    "file");
		}
		hasher_free(h);
	}
}

/* Every algorithm in one read pass gives each one's published value. */
static void
test_vectors_all_at_once(void **state)
{
	struct fixture *f = *state;
	struct hash_result res;
	struct hasher *h;
	size_t i;
	int in, fd;

	h = hasher_new(4096);
	for (in = 0; in < IN_COUNT; in++) {
		fd = open_ro(f->path[in]);
		assert_int_equal(hasher_fd(h, fd, ALL_ALGOS, 0, 0, &res), 0);
		close(fd);
		assert_int_equal(res.algos, ALL_ALGOS);
		for (i = 0; i < NVECTORS; i++) {
			if (vectors[i].in == (enum input)in)
				assert_digest(res.md[vectors[i].algo],
				    vectors[i].algo, vectors[i].hex, "all");
		}
	}
	hasher_free(h);
}

static void
test_vectors_buffer(void **state)
{
	struct fixture *f = *state;
	unsigned char md[HASH_MAX_SIZE];
	const char *data;
	size_t i;

	for (i = 0; i < NVECTORS; i++) {
		const struct vector *v = &vectors[i];

		data = v->in == IN_ABC ? "abc" : v->in == IN_448 ? msg448 :
		    f->million;
		assert_int_equal(hash_buffer(v->algo, data, input_len(v->in),
		    md), 0);
		assert_digest(md, v->algo, v->hex, "buffer");
	}
	assert_int_equal(hash_buffer(HASH_COUNT, "", 0, md), -EINVAL);
}

/* A file that is not in the page cache takes the plain read path. */
static void
test_cold_cache(void **state)
{
	struct fixture *f = *state;
	struct hash_result res;
	struct hasher *h;
	int fd;

	fd = open_ro(f->path[IN_MILLION_A]);
	assert_int_equal(fdatasync(fd), 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	h = hasher_new(65536);
	assert_int_equal(hasher_fd(h, fd, HASH_BIT(HASH_SHA256), 0, 0, &res),
	    0);
	assert_int_equal(res.bytes, 1000000);
	assert_digest(res.md[HASH_SHA256], HASH_SHA256,
	    want_hex(HASH_SHA256, IN_MILLION_A), "cold");
	/* And again now that it is cached. */
	assert_int_equal(hasher_fd(h, fd, HASH_BIT(HASH_SHA256), 0, 0, &res),
	    0);
	assert_digest(res.md[HASH_SHA256], HASH_SHA256,
	    want_hex(HASH_SHA256, IN_MILLION_A), "warm");
	close(fd);
	hasher_free(h);
}

/* Over max_size: no digest at all, and not an error. */
static void
test_max_size(void **state)
{
	static const struct {
		uint64_t max;
		bool	 too_large;
	} cases[] = {
		{ 0, false }, { 2, true }, { 3, false }, { 1000, false },
		{ 1, true },
	};
	struct fixture *f = *state;
	struct hash_result res;
	struct hasher *h;
	size_t i;
	int fd;

	h = hasher_new(0);
	fd = open_ro(f->path[IN_ABC]);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&res, 0xa5, sizeof(res));
		assert_int_equal(hasher_fd(h, fd, ALL_ALGOS, cases[i].max, 0,
		    &res), 0);
		assert_int_equal(res.too_large, cases[i].too_large);
		if (cases[i].too_large) {
			assert_int_equal(res.algos, 0);
			assert_int_equal(res.bytes, 0);
			assert_int_equal(res.prefix_algos, 0);
		} else {
			assert_int_equal(res.algos, ALL_ALGOS);
			assert_int_equal(res.bytes, 3);
			assert_digest(res.md[HASH_SHA256], HASH_SHA256,
			    want_hex(HASH_SHA256, IN_ABC), "max_size");
		}
	}
	close(fd);
	/* The empty file is never over any limit. */
	fd = open_ro(f->path[IN_EMPTY]);
	assert_int_equal(hasher_fd(h, fd, HASH_BIT(HASH_MD5), 1, 0, &res), 0);
	assert_false(res.too_large);
	assert_digest(res.md[HASH_MD5], HASH_MD5, want_hex(HASH_MD5, IN_EMPTY),
	    "empty");
	close(fd);
	hasher_free(h);
}

/*
 * Prefix digests equal the digest of the first prefix_len bytes, at and
 * around read-buffer boundaries; none when the file is shorter.
 */
static void
test_prefix(void **state)
{
	static const uint64_t lens[] = { 1, 63, 4095, 4096, 4097, 8192,
	    12345, 19999, 20000, 20001, 1 << 20 };
	struct fixture *f = *state;
	unsigned char want[HASH_MAX_SIZE];
	char hex[2 * HASH_MAX_SIZE + 1];
	struct hash_result res;
	struct hasher *h;
	char *path, data[20000];
	size_t i, k;
	int a, fd;

	for (k = 0; k < sizeof(data); k++)
		data[k] = (char)(k * 7 + k / 251);
	path = tlib_fmt("%s/prefix", f->dir);
	tlib_write(path, data, sizeof(data));
	h = hasher_new(4096);
	fd = open_ro(path);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_int_equal(hasher_fd(h, fd, ALL_ALGOS, 0, lens[i],
		    &res), 0);
		assert_int_equal(res.bytes, sizeof(data));
		for (a = 0; a < HASH_COUNT; a++) {
			assert_int_equal(hash_buffer(a, data, sizeof(data),
			    want), 0);
			hash_hex(want, hash_size(a), hex);
			assert_digest(res.md[a], a, hex, "full");
		}
		if (lens[i] > sizeof(data)) {
			assert_int_equal(res.prefix_algos, 0);
			continue;
		}
		assert_int_equal(res.prefix_algos, ALL_ALGOS);
		for (a = 0; a < HASH_COUNT; a++) {
			assert_int_equal(hash_buffer(a, data, lens[i], want),
			    0);
			hash_hex(want, hash_size(a), hex);
			assert_digest(res.prefix_md[a], a, hex, "prefix");
		}
	}
	close(fd);
	hasher_free(h);
	free(path);
}

/* Only regular files are hashed. */
static void
test_not_regular(void **state)
{
	struct fixture *f = *state;
	struct hash_result res;
	struct hasher *h;
	int fd, p[2];

	h = hasher_new(0);
	fd = open(f->dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(hasher_fd(h, fd, HASH_DEFAULT_MASK, 0, 0, &res),
	    -EINVAL);
	close(fd);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(hasher_fd(h, p[0], HASH_DEFAULT_MASK, 0, 0, &res),
	    -EINVAL);
	close(p[0]);
	close(p[1]);
	assert_int_equal(hasher_fd(h, -1, HASH_DEFAULT_MASK, 0, 0, &res),
	    -EBADF);
	hasher_free(h);
	hasher_free(NULL);
}

static void
test_names(void **state)
{
	static const struct {
		enum hash_algo a;
		const char *name, *ecs;
		size_t	 size;
		const char *also[2];
	} names[] = {
		{ HASH_SHA256, "sha256", "sha256", 32, { "sha-256", NULL } },
		{ HASH_SHA512, "sha512", "sha512", 64, { "sha-512", NULL } },
		{ HASH_SHA3_256, "sha3-256", "sha3_256", 32, { NULL, NULL } },
		{ HASH_BLAKE2B512, "blake2b512", "blake2b_512", 64,
		    { NULL, NULL } },
		{ HASH_SHA1, "sha1", "sha1", 20, { "sha-1", NULL } },
		{ HASH_MD5, "md5", "md5", 16, { NULL, NULL } },
	};
	static const char *bad[] = { "", "SHA256", "sha384", "sha3", "md4",
	    "blake2s256", "sha256 " };
	size_t i, k;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), HASH_COUNT);
	for (i = 0; i < HASH_COUNT; i++) {
		assert_string_equal(hash_name(names[i].a), names[i].name);
		assert_string_equal(hash_ecs_name(names[i].a), names[i].ecs);
		assert_int_equal(hash_size(names[i].a), names[i].size);
		assert_true(hash_size(names[i].a) <= HASH_MAX_SIZE);
		assert_int_equal(hash_from_name(names[i].name), names[i].a);
		assert_int_equal(hash_from_name(names[i].ecs), names[i].a);
		for (k = 0; k < 2 && names[i].also[k] != NULL; k++)
			assert_int_equal(hash_from_name(names[i].also[k]),
			    names[i].a);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hash_from_name(bad[i]), -ENOENT);
	assert_null(hash_name(HASH_COUNT));
	assert_null(hash_ecs_name(HASH_COUNT));
	assert_int_equal(hash_size(HASH_COUNT), 0);
}

static void
test_hex(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab,
	    0xff };
	unsigned char out[sizeof(bytes)];
	char hex[2 * sizeof(bytes) + 1];

	(void)state;
	hash_hex(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, "00017f80abff");
	assert_int_equal(hash_unhex(hex, strlen(hex), out, sizeof(out)), 0);
	assert_memory_equal(out, bytes, sizeof(bytes));
	assert_int_equal(hash_unhex("00017F80ABFF", 12, out, sizeof(out)), 0);
	assert_memory_equal(out, bytes, sizeof(bytes));
	assert_int_equal(hash_unhex("00017f80abf", 11, out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(hash_unhex("00017f80abfff", 13, out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(hash_unhex("00017f80abfg", 12, out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(hash_unhex("0x017f80abff", 12, out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(hash_unhex(" 0017f80abff", 12, out, sizeof(out)),
	    -EINVAL);
	assert_int_equal(hash_unhex("", 0, out, 0), 0);
	hash_hex(bytes, 0, hex);
	assert_string_equal(hex, "");
}

/* Truncate the file being read to half at the first check. */
static bool
always_false_truncate(void *arg)
{
	assert_int_equal(truncate(arg, 1u << 20), 0);
	return false;
}

/* Set the cancel flag at the first check. */
static bool
cancel_now(void *arg)
{
	atomic_store((_Atomic bool *)arg, true);
	return false;
}

static bool
always_yield_park(void *arg)
{
	(void)arg;
	return true;
}

/* A file of n pseudo-random bytes in the fixture's directory. */
static char *
make_file(const struct fixture *f, const char *name, size_t n,
    unsigned char **ret_data)
{
	unsigned char *data = malloc(n);
	char *path;
	size_t i;

	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)((i * 2654435761u) >> 13 ^ i);
	path = tlib_fmt("%s/%s", f->dir, name);
	tlib_write(path, (const char *)data, n);
	*ret_data = data;
	return path;
}

static bool
always_yield(void *arg)
{
	(*(unsigned *)arg)++;
	return true;
}

/*
 * Parked after every slice and resumed on another hasher each time, the
 * digests (and prefix digests) equal one pass of hasher_fd.
 */
static void
test_slices(void **state)
{
	const size_t n = (3u << 20) + 123;
	const struct hash_request req = { ALL_ALGOS, 0, (1u << 20) + 7,
	    NULL };
	struct hash_control ctl = { 256u << 10, always_yield, NULL, NULL };
	struct hash_result whole, sliced;
	struct hash_park *park = NULL;
	struct hasher *h[2];
	unsigned char *data;
	unsigned parks = 0, steps = 0;
	char *path;
	int fd, r, a;

	path = make_file(*state, "slices", n, &data);
	ctl.arg = &parks;
	h[0] = hasher_new(64u << 10);
	h[1] = hasher_new(0);
	fd = open_ro(path);
	assert_int_equal(hasher_fd(h[1], fd, req.algos, 0, req.prefix_len,
	    &whole), 0);
	memset(&sliced, 0x5a, sizeof(sliced));
	do
		r = hasher_step(h[steps++ % 2], fd, &req, &ctl, &park, &sliced);
	while (r == HASH_PARKED);
	assert_int_equal(r, 0);
	assert_null(park);
	assert_int_equal(parks, n / (256u << 10));
	assert_int_equal(steps, parks + 1);
	assert_int_equal(sliced.bytes, n);
	assert_false(sliced.changed_while_read);
	assert_int_equal(sliced.algos, ALL_ALGOS);
	assert_int_equal(sliced.prefix_algos, ALL_ALGOS);
	for (a = 0; a < HASH_COUNT; a++) {
		assert_memory_equal(sliced.md[a], whole.md[a], hash_size(a));
		assert_memory_equal(sliced.prefix_md[a], whole.prefix_md[a],
		    hash_size(a));
	}
	close(fd);
	hasher_free(h[0]);
	hasher_free(h[1]);
	free(data);
	free(path);
}

struct grower {
	int	 wfd;
	size_t	 add;
	unsigned calls;
};

/* The first slice check appends to the file being read. */
static bool
grow_file(void *arg)
{
	struct grower *g = arg;
	char *junk;

	if (g->calls++ == 0) {
		junk = calloc(1, g->add);
		assert_int_equal(write(g->wfd, junk, g->add), (ssize_t)g->add);
		free(junk);
	}
	return false;
}

/*
 * A file that grows while it is read is read only to the size it had at
 * the start, and the result says that it changed; likewise a file cut
 * short under the read.
 */
static void
test_growth_bounded(void **state)
{
	const size_t n = 2u << 20;
	const struct hash_request req = { HASH_BIT(HASH_SHA256), 0, 0, NULL };
	struct grower g = { -1, 5u << 20, 0 };
	struct hash_control ctl = { 256u << 10, grow_file, &g, NULL };
	unsigned char want[HASH_MAX_SIZE], *data;
	struct hash_result res;
	struct hash_park *park = NULL;
	struct hasher *h;
	char *path;
	int fd;

	path = make_file(*state, "grows", n, &data);
	assert_int_equal(hash_buffer(HASH_SHA256, data, n, want), 0);
	g.wfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(g.wfd >= 0);
	h = hasher_new(64u << 10);
	fd = open_ro(path);
	assert_int_equal(hasher_step(h, fd, &req, &ctl, &park, &res), 0);
	assert_true(g.calls > 0);
	assert_int_equal(res.bytes, n);
	assert_true(res.changed_while_read);
	assert_memory_equal(res.md[HASH_SHA256], want, 32);
	/* Nothing moved: the same read is not flagged. */
	assert_int_equal(hasher_fd(h, fd, req.algos, 0, 0, &res), 0);
	assert_false(res.changed_while_read);
	assert_int_equal(res.bytes, n + g.add);
	/* Cut short under the read. */
	ctl.yield = always_false_truncate;
	ctl.arg = path;
	assert_int_equal(hasher_step(h, fd, &req, &ctl, &park, &res), 0);
	assert_true(res.changed_while_read);
	assert_true(res.bytes < n + g.add);
	close(fd);
	close(g.wfd);
	hasher_free(h);
	free(data);
	free(path);
}

/*
 * A small file, read whole in one call: one that grew since the fstat
 * the caller took is hashed to that size and flagged, one that did not
 * is not; either way without a second fstat (strace shows the calls).
 */
static void
test_small_grown(void **state)
{
	struct hash_request req = { HASH_BIT(HASH_SHA256), 0, 0, NULL };
	unsigned char want[HASH_MAX_SIZE], *data;
	struct hash_result res;
	struct hash_park *park = NULL;
	struct hasher *h;
	struct stat st;
	char *path;
	int fd, wfd;

	path = make_file(*state, "small", 1000, &data);
	assert_int_equal(hash_buffer(HASH_SHA256, data, 1000, want), 0);
	h = hasher_new(64u << 10);
	fd = open_ro(path);
	assert_int_equal(fstat(fd, &st), 0);
	req.start = &st;
	assert_int_equal(hasher_step(h, fd, &req, NULL, &park, &res), 0);
	assert_false(res.changed_while_read);
	assert_int_equal(res.bytes, 1000);
	assert_memory_equal(res.md[HASH_SHA256], want, 32);
	wfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(wfd >= 0);
	assert_int_equal(write(wfd, "more", 4), 4);
	close(wfd);
	/* st is from before the append, as a probe's would be. */
	assert_int_equal(hasher_step(h, fd, &req, NULL, &park, &res), 0);
	assert_true(res.changed_while_read);
	assert_int_equal(res.bytes, 1000);
	assert_memory_equal(res.md[HASH_SHA256], want, 32);
	assert_null(park);
	close(fd);
	hasher_free(h);
	free(data);
	free(path);
}

/* Cancelled between two reads: -ECANCELED, and the park is gone. */
static void
test_cancel(void **state)
{
	const struct hash_request req = { HASH_BIT(HASH_SHA256), 0, 0, NULL };
	_Atomic bool cancel = false;
	struct hash_control ctl = { 256u << 10, cancel_now, NULL, &cancel };
	struct hash_result res;
	struct hash_park *park = NULL;
	struct hasher *h;
	unsigned char *data;
	char *path;
	int fd;

	path = make_file(*state, "cancel", 4u << 20, &data);
	ctl.arg = &cancel;
	h = hasher_new(64u << 10);
	fd = open_ro(path);
	/* Parked first, then cancelled while parked. */
	ctl.yield = always_yield_park;
	assert_int_equal(hasher_step(h, fd, &req, &ctl, &park, &res),
	    HASH_PARKED);
	assert_non_null(park);
	atomic_store(&cancel, true);
	assert_int_equal(hasher_step(h, fd, &req, &ctl, &park, &res),
	    -ECANCELED);
	assert_null(park);
	/* Cancelled during a step. */
	atomic_store(&cancel, false);
	ctl.yield = cancel_now;
	assert_int_equal(hasher_step(h, fd, &req, &ctl, &park, &res),
	    -ECANCELED);
	assert_null(park);
	/* A file that fits one read completes even when cancelled. */
	assert_true(atomic_load(&cancel));
	close(fd);
	fd = open_ro(((struct fixture *)*state)->path[IN_ABC]);
	assert_int_equal(hasher_step(h, fd, &req, &ctl, &park, &res), 0);
	assert_digest(res.md[HASH_SHA256], HASH_SHA256,
	    want_hex(HASH_SHA256, IN_ABC), "cancelled small");
	close(fd);
	hasher_free(h);
	free(data);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_one_algo),
		cmocka_unit_test(test_vectors_all_at_once),
		cmocka_unit_test(test_vectors_buffer),
		cmocka_unit_test(test_cold_cache),
		cmocka_unit_test(test_max_size),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_growth_bounded),
		cmocka_unit_test(test_small_grown),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests_name("hash", tests, setup, teardown);
}
