/*
 * verify: checking the chain of an alert stream (fimd --verify).
 *
 * Lines are fed in stream order, the files of a rotation oldest first,
 * as one stream.  Each line is judged once the line after it is known:
 * telling an inserted line from an edited one takes both neighbours.
 * Findings go to a struct diag, naming the file and line:
 *
 *  - errors are breaks: a line edited, inserted, removed or reordered, a
 *    link forged without the key, a line that is not fimd's, and a
 *    truncation (a last line without its newline; lines cut from the end
 *    of a rotated file show as lines removed before the next file);
 *  - warnings are what the daemon itself explains, with the chain whole:
 *    an unclean stop (a started record whose line before is not a
 *    stopped record: killed, crashed, lost power), a chain that starts
 *    afresh (the daemon started on an empty alert file), seq numbers the
 *    daemon could not write (its spool overflowed), and a torn write (a
 *    line that is not JSON and is the start of the line after it: the
 *    disk filled up part-way, and the daemon could not take the part
 *    back), which is passed over;
 *  - notes are what cannot be checked: the first line given continues a
 *    file that was not given.
 *
 * Verification stops at the first break: what follows it cannot be
 * trusted to say more.  The last line of the stream is covered by no
 * link until the daemon writes another (a checkpoint, at the latest).
 *
 * Memory: the verifier owns copies of what it keeps of the last lines;
 * it borrows the key, which must outlive it.
 */
#ifndef FIMD_VERIFY_H
#define FIMD_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "diag.h"

struct verifier;

/* A verifier of a stream chained under key (NULL: plain SHA-256). */
struct verifier *verifier_new(const struct chain_key *key);
/* Free; accepts NULL. */
void	verifier_free(struct verifier *v);

/*
 * The next line: line[0..len), its newline included when it has one
 * (only a torn last line has none), line number lineno (from 1) of file
 * (copied).  Returns 0, or 1 when a break was found: stop feeding.
 */
int	verifier_line(struct verifier *v, const char *file, unsigned lineno,
	    const char *line, size_t len, struct diag *diag);
/* The stream ended: judge the last line.  Returns as verifier_line. */
int	verifier_end(struct verifier *v, struct diag *diag);

struct verify_stats {
	uint64_t lines;		/* lines judged */
	uint64_t first_seq;	/* fimd.seq of the first line, or 0 */
	uint64_t last_seq;	/* ... of the last */
	unsigned unclean;	/* runs that ended without "stopped" */
	unsigned restarts;	/* chains that started afresh */
	unsigned torn;		/* torn writes passed over */
};

void	verifier_stats(const struct verifier *v, struct verify_stats *ret);

#endif
