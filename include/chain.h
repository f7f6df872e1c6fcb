/*
 * chain: the tamper-evident chain of the alert stream (fimd.alerts(5))
 * and the keyed digests it shares with the baseline (fimd.baseline(5)).
 *
 * Every line the daemon writes carries in fimd.chain the digest of the
 * line before it, all of its bytes with the newline: SHA-256, or
 * HMAC-SHA-256 under the key named by chain_key (fimd.conf(5)).  The
 * first line of a stream chains from CHAIN_GENESIS.  Editing, removing,
 * inserting or reordering a line breaks the link of the line after it;
 * with a key, nobody without it can compute a link that fits.
 *
 * A chain_key holds the bytes of a key file; chain_key_load() checks how
 * the file is kept before it reads it, chain_key_outside() where.  A
 * struct chain is the running state of one stream: the link the next
 * line carries.  A chain_mac is one digest in progress, keyed or plain.
 *
 * Memory: chain_key_load returns a new key, freed with chain_key_free; a
 * struct chain and a chain_mac borrow their key, which must outlive
 * them.  Nothing here fails but on exhausted memory, which is fatal as
 * in xmalloc.h.
 */
#ifndef FIMD_CHAIN_H
#define FIMD_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define CHAIN_MD_LEN	32		/* bytes of a link */
#define CHAIN_HEX_LEN	(2 * CHAIN_MD_LEN)
/* What the first line of a stream carries: 64 zeros. */
#define CHAIN_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"
/* Bounds of a key file's size: shorter keys are too weak to trust. */
#define CHAIN_KEY_MIN	32
#define CHAIN_KEY_MAX	4096

struct chain_key;

/*
 * Read the key file at path: its bytes, whole, are the key.  It must be
 * a regular file (not a symlink) of CHAIN_KEY_MIN to CHAIN_KEY_MAX bytes;
 * with strict (the daemon and the modes that write or check the
 * baseline) it must also be owned by root and give no permission beyond
 * 0600, so that only root can read or replace it.  Returns 0 and a new
 * key, or -errno with a diag naming the file and what is wrong: -EPERM
 * (owner or mode), -EINVAL (size, type), another -errno from open/read.
 */
int	chain_key_load(const char *path, bool strict, struct chain_key **ret,
	    struct diag *diag);
/*
 * Whether the key file lies outside every one of the n roots (the rules'
 * watched trees), by its path as given and as resolved: a key inside a
 * watched tree would have its digest and changes reported in alerts.
 * Returns 0, or -EPERM with a diag naming the root.
 */
int	chain_key_outside(const struct chain_key *k, const char *const *roots,
	    size_t n, struct diag *diag);
/* Free; accepts NULL. */
void	chain_key_free(struct chain_key *k);
/* The key file's path (borrowed). */
const char *chain_key_path(const struct chain_key *k);

/* "sha256" without a key, "hmac-sha256" with one (static). */
const char *chain_algorithm(const struct chain_key *k);

struct chain_mac;

/* A digest under k (NULL: plain SHA-256).  Never NULL. */
struct chain_mac *chain_mac_new(const struct chain_key *k);
void	chain_mac_update(struct chain_mac *m, const void *p, size_t len);
/* The digest into out; m is used up (free it). */
void	chain_mac_final(struct chain_mac *m, unsigned char out[CHAIN_MD_LEN]);
/* Free; accepts NULL. */
void	chain_mac_free(struct chain_mac *m);
/*
 * The digest under k of the first end bytes of the file open at fd
 * (read with pread, so the caller may read fd with its own offset
 * meanwhile), and the number of newlines among them, taken on a thread
 * of its own (on the caller's, when no thread can be started) from
 * chain_file_digest_start() until chain_file_digest_join(), which
 * returns 0 or -errno of a read and frees the job.  fd and k are
 * borrowed until then.
 */
struct chain_file_digest;

struct chain_file_digest *chain_file_digest_start(int fd, uint64_t end,
	    const struct chain_key *k);
int	chain_file_digest_join(struct chain_file_digest *j,
	    unsigned char out[CHAIN_MD_LEN], uint64_t *ret_newlines);
/* The digest of p[0..len) under k, as lowercase hex, NUL-terminated. */
void	chain_digest_hex(const struct chain_key *k, const void *p, size_t len,
	    char out[CHAIN_HEX_LEN + 1]);

/* The running chain of one stream. */
struct chain {
	const struct chain_key *key;	/* borrowed; NULL: plain */
	char	 link[CHAIN_HEX_LEN + 1];	/* the next line's fimd.chain */
};

/* A fresh stream under k: the next link is CHAIN_GENESIS. */
void	chain_init(struct chain *c, const struct chain_key *k);
/* line[0..len) (newline included) was written: the next link is its. */
void	chain_follow(struct chain *c, const char *line, size_t len);
/* Whether s is a link as fimd writes it: 64 lowercase hex digits. */
bool	chain_is_link(const char *s, size_t len);

#endif
