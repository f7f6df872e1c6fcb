/*
 * The alert stream's chain and the keyed digests (chain.h).
 *
 * Plain digests go through EVP_Digest*, keyed ones through OpenSSL 3's
 * EVP_MAC "HMAC" with SHA-256, behind one chain_mac so the baseline and
 * the stream hash the same way.  The key file is opened O_NOFOLLOW and
 * checked on the descriptor (fstat), so what is checked is what is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "chain.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "xmalloc.h"

struct chain_key {
	char	*path;
	unsigned char *bytes;
	size_t	 len;
};

struct chain_mac {
	EVP_MD_CTX *md;		/* plain */
	EVP_MAC_CTX *mac;	/* keyed */
};

/* The file's owner and mode allow nobody but root to read or replace it. */
static int
check_owner(const char *path, const struct stat *st, struct diag *diag)
{
	if (st->st_uid != 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "chain_key: the key "
		    "file must be owned by root, not uid %u",
		    (unsigned)st->st_uid);
		return -EPERM;
	}
	if ((st->st_mode & 07777 & ~(mode_t)0600) != 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "chain_key: the key "
		    "file must be mode 0600 or stricter, not %04o",
		    (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int
check_file(const char *path, int fd, bool strict, struct diag *diag)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "chain_key: cannot "
		    "stat the key file: %s", strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "chain_key: the key "
		    "file is not a regular file");
		return -EINVAL;
	}
	if (strict)
		return check_owner(path, &st, diag);
	return 0;
}

int
chain_key_load(const char *path, bool strict, struct chain_key **ret,
    struct diag *diag)
{
	struct chain_key *k;
	char *data = NULL;
	size_t len = 0;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
	    O_NONBLOCK)) < 0) {
		r = -errno;
		diag_add(diag, DIAG_ERROR, path, 0, 0, "chain_key: cannot open "
		    "the key file: %s", r == -ELOOP ? "it is a symbolic link" :
		    strerror(-r));
		return r;
	}
	if ((r = check_file(path, fd, strict, diag)) == 0 &&
	    (r = fileio_read_fd(fd, CHAIN_KEY_MAX, &data, &len)) < 0 &&
	    r != -EFBIG)
		diag_add(diag, DIAG_ERROR, path, 0, 0, "chain_key: cannot read "
		    "the key file: %s", strerror(-r));
	close(fd);
	if (r == 0 && (len < CHAIN_KEY_MIN || len > CHAIN_KEY_MAX))
		r = -EFBIG;
	if (r == -EFBIG) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "chain_key: the key "
		    "must be %d to %d bytes (head -c 32 /dev/urandom makes "
		    "one)", CHAIN_KEY_MIN, CHAIN_KEY_MAX);
		r = -EINVAL;
	}
	if (r < 0) {
		free(data);
		return r;
	}
	k = xcalloc(1, sizeof(*k));
	k->path = xstrdup(path);
	k->bytes = (unsigned char *)data;
	k->len = len;
	*ret = k;
	return 0;
}

/* Whether path is root or lies below it. */
static bool
is_below(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return true;
	return strncmp(path, root, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

int
chain_key_outside(const struct chain_key *k, const char *const *roots,
    size_t n, struct diag *diag)
{
	char *real = realpath(k->path, NULL);
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		if (is_below(k->path, roots[i]) ||
		    (real != NULL && is_below(real, roots[i]))) {
			diag_add(diag, DIAG_ERROR, k->path, 0, 0, "chain_key: "
			    "the key file lies in the watched tree %s; keep "
			    "it outside every rule's paths", roots[i]);
			r = -EPERM;
		}
	}
	free(real);
	return r;
}

void
chain_key_free(struct chain_key *k)
{
	if (k == NULL)
		return;
	if (k->bytes != NULL)
		explicit_bzero(k->bytes, k->len);
	free(k->bytes);
	free(k->path);
	free(k);
}

const char *
chain_key_path(const struct chain_key *k)
{
	return k->path;
}

const char *
chain_algorithm(const struct chain_key *k)
{
	return k != NULL ? "hmac-sha256" : "sha256";
}

static EVP_MAC_CTX *
hmac_new(const struct chain_key *k)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	EVP_MAC *mac;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		fatalx("chain: OpenSSL has no HMAC");
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context holds its own reference */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_MAC_init(ctx, k->bytes, k->len, params) != 1)
		fatalx("chain: cannot start an HMAC (out of memory)");
	return ctx;
}

struct chain_mac *
chain_mac_new(const struct chain_key *k)
{
	struct chain_mac *m = xcalloc(1, sizeof(*m));

	if (k != NULL) {
		m->mac = hmac_new(k);
		return m;
	}
	if ((m->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(m->md, EVP_sha256(), NULL) != 1)
		fatalx("chain: cannot start a digest (out of memory)");
	return m;
}

void
chain_mac_update(struct chain_mac *m, const void *p, size_t len)
{
	int ok = m->mac != NULL ? EVP_MAC_update(m->mac, p, len) :
	    EVP_DigestUpdate(m->md, p, len);

	if (ok != 1)
		fatalx("chain: digest update failed");
}

void
chain_mac_final(struct chain_mac *m, unsigned char out[CHAIN_MD_LEN])
{
	unsigned mdlen = 0;
	size_t maclen = 0;
	int ok;

	if (m->mac != NULL) {
		ok = EVP_MAC_final(m->mac, out, &maclen, CHAIN_MD_LEN);
		mdlen = (unsigned)maclen;
	} else
		ok = EVP_DigestFinal_ex(m->md, out, &mdlen);
	if (ok != 1 || mdlen != CHAIN_MD_LEN)
		fatalx("chain: digest failed");
}

void
chain_mac_free(struct chain_mac *m)
{
	if (m == NULL)
		return;
	EVP_MAC_CTX_free(m->mac);
	EVP_MD_CTX_free(m->md);
	free(m);
}

void
chain_digest_hex(const struct chain_key *k, const void *p, size_t len,
    char out[CHAIN_HEX_LEN + 1])
{
	unsigned char md[CHAIN_MD_LEN];
	struct chain_mac *m = chain_mac_new(k);

	chain_mac_update(m, p, len);
	chain_mac_final(m, md);
	chain_mac_free(m);
	hash_hex(md, sizeof(md), out);
	out[CHAIN_HEX_LEN] = '\0';
}

void
chain_init(struct chain *c, const struct chain_key *k)
{
	c->key = k;
	memcpy(c->link, CHAIN_GENESIS, sizeof(c->link));
}

void
chain_follow(struct chain *c, const char *line, size_t len)
{
	chain_digest_hex(c->key, line, len, c->link);
}

bool
chain_is_link(const char *s, size_t len)
{
	size_t i;

	if (len != CHAIN_HEX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* ---- a file's digest beside other work ---- */

#define FILE_DIGEST_CHUNK	((size_t)1 << 20)

struct chain_file_digest {
	int	 fd;
	uint64_t end;
	const struct chain_key *key;
	unsigned char md[CHAIN_MD_LEN];
	uint64_t newlines;
	int	 err;
	bool	 threaded;
	pthread_t thread;
};

static void *
file_digest_run(void *arg)
{
	struct chain_file_digest *j = arg;
	struct chain_mac *m = chain_mac_new(j->key);
	char *buf = xmalloc(FILE_DIGEST_CHUNK);
	const char *p, *e;
	uint64_t off = 0;
	size_t want;
	ssize_t n;

	while (off < j->end) {
		want = j->end - off < FILE_DIGEST_CHUNK ?
		    (size_t)(j->end - off) : FILE_DIGEST_CHUNK;
		if ((n = pread(j->fd, buf, want, (off_t)off)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0) {
			j->err = n < 0 ? -errno : -EIO;	/* shorter now */
			break;
		}
		chain_mac_update(m, buf, (size_t)n);
		for (p = buf, e = buf + n; (p = memchr(p, '\n',
		    (size_t)(e - p))) != NULL; p++)
			j->newlines++;
		off += (uint64_t)n;
	}
	chain_mac_final(m, j->md);
	chain_mac_free(m);
	free(buf);
	return NULL;
}

struct chain_file_digest *
chain_file_digest_start(int fd, uint64_t end, const struct chain_key *k)
{
	struct chain_file_digest *j = xcalloc(1, sizeof(*j));

	j->fd = fd;
	j->end = end;
	j->key = k;
	j->threaded = pthread_create(&j->thread, NULL, file_digest_run,
	    j) == 0;
	if (!j->threaded)
		(void)file_digest_run(j);
	return j;
}

int
chain_file_digest_join(struct chain_file_digest *j,
    unsigned char out[CHAIN_MD_LEN], uint64_t *ret_newlines)
{
	int err;

	if (j->threaded)
		(void)pthread_join(j->thread, NULL);
	memcpy(out, j->md, CHAIN_MD_LEN);
	*ret_newlines = j->newlines;
	err = j->err;
	free(j);
	return err;
}
