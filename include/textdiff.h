/*
 * textdiff: a line diff of two texts in unified format, as diff -u
 * prints it after its two header lines.
 *
 * Lines end at '\n'; a last line without one is a different line from
 * the same bytes with it, and is followed in the output by
 * "\ No newline at end of file", as diff(1) does.  The edit script is
 * Myers' shortest one, after the common first and last lines are set
 * aside; its work is bounded (TEXTDIFF_MAX_EDITS): past that many
 * inserted and deleted lines the rest of the middle is given as one
 * block of deletions and insertions, a correct diff that is no longer
 * the shortest.  Hunks carry `context` lines of context and a
 * "@@ -start,count +start,count @@" header (",count" left out when the
 * count is 1; an empty range gives the line before it); within a change,
 * deletions come before insertions.
 *
 * Pure module: no I/O.  Memory: output is appended to a caller's struct
 * buf; working memory is freed before return.
 */
#ifndef FIMD_TEXTDIFF_H
#define FIMD_TEXTDIFF_H

#include <stddef.h>

#include "buf.h"

/* Inserted plus deleted lines the search for the shortest script tries. */
#define TEXTDIFF_MAX_EDITS	1024
#define TEXTDIFF_NO_NEWLINE	"\\ No newline at end of file\n"

/*
 * Append the unified diff of a[0..alen) to b[0..blen) to out (nothing
 * when the texts are equal).  Returns 0, or -ENOSPC when out's cap was
 * reached (out is then cut back to its old length).
 */
int	textdiff_unified(const char *a, size_t alen, const char *b,
	    size_t blen, unsigned context, struct buf *out);

/*
 * Bound a diff made by textdiff_unified to max bytes: when d is longer,
 * cut it after its last whole line that leaves room for the marker
 * "\ fimd: diff truncated, N more lines\n" and append that.  Returns
 * whether it cut.  max must leave room for the marker (64 bytes).
 */
int	textdiff_truncate(struct buf *d, size_t max);

#endif
