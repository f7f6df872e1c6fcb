/*
 * spool: alert lines that the alert file could not take yet, in order.
 *
 * When a write to the alert file fails (a full disk, a quota, an I/O
 * error), the daemon keeps each line, with the seq it was given, until
 * the file takes it again; lines that arrive meanwhile queue behind, so
 * the file always receives lines in seq order.  The spool is bounded in
 * bytes: a line that does not fit is refused, and the caller accounts
 * for its seq (a gap alert names the range once the file recovers).
 *
 * Memory: the spool owns copies of its lines.  Single-threaded.
 */
#ifndef FIMD_SPOOL_H
#define FIMD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spool;

/* A spool holding at most max_bytes of lines. */
struct spool *spool_new(size_t max_bytes);
void	spool_free(struct spool *s);

/* Keep a copy of line (seq: its fimd.seq).  0, or -ENOSPC when full. */
int	spool_push(struct spool *s, uint64_t seq, const char *line,
	    size_t len);
/* The oldest line (borrowed until spool_pop), or NULL when empty. */
const char *spool_peek(const struct spool *s, size_t *ret_len,
	    uint64_t *ret_seq);
/* Drop the oldest line. */
void	spool_pop(struct spool *s);

size_t	spool_count(const struct spool *s);
size_t	spool_bytes(const struct spool *s);

#endif
