/*
 * contentdiff: the text diff an alert carries for a rule with "diff"
 * (fimd.rules(5), fimd.alerts(5) fimd.diff and fimd.diff_skipped).
 *
 * For a change under such a rule, content_examine() reads the file as
 * it is now (a regular file of at most the rule's diff_max bytes, opened
 * as probe.h opens files, never following a symlink the rule does not
 * follow), refuses what is not text (a NUL byte or invalid UTF-8),
 * checks that the bytes are the ones the record's digest was taken of,
 * redacts them (redact.h), and for an update diffs the copy the store
 * kept of the previous state against them (textdiff.h, 3 lines of
 * context, at most CONTENT_DIFF_MAX bytes).  A copy is used only when
 * its digest is the baseline record's, so a stale one never gives a
 * wrong diff.  What could not be diffed gets one of the CONTENT_SKIP_*
 * reasons instead.
 *
 * content_take() then brings the store along when the baseline takes
 * the change: the new copy replaces the old, a deletion drops it, a move
 * moves it.  content_fill() takes copies of the baseline entries that
 * have none (--init, --update, the daemon's start and reload);
 * content_keep() says which copies the store may keep.
 *
 * Memory: a struct content_note owns its diff and its pending copy;
 * release it with content_note_release().  The store and the records are
 * borrowed.  Nothing here logs.
 */
#ifndef FIMD_CONTENTDIFF_H
#define FIMD_CONTENTDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "alert.h"
#include "baseline.h"
#include "contentstore.h"
#include "record.h"
#include "rules.h"

/* fimd.diff's bound, the truncation marker included. */
#define CONTENT_DIFF_MAX	((size_t)8 << 10)
#define CONTENT_CONTEXT		3

/* The reasons of fimd.diff_skipped (static strings). */
#define CONTENT_SKIP_BINARY	"binary"
#define CONTENT_SKIP_TOO_LARGE	"too large"
#define CONTENT_SKIP_NOT_REGULAR	"not a regular file"
#define CONTENT_SKIP_UNREADABLE	"unreadable"
#define CONTENT_SKIP_CHANGED	"changed while read"
#define CONTENT_SKIP_NO_COPY	"no copy of the previous version"
#define CONTENT_SKIP_REDACTED	"only redacted lines changed"

struct content_note {
	char	*diff;		/* fimd.diff, or NULL; owned */
	size_t	 difflen;
	const char *skipped;	/* fimd.diff_skipped, or NULL */
	bool	 have_copy;	/* the new state's copy, for content_take */
	char	*text;		/* ... its redacted text; owned */
	size_t	 len;
	char	 digest[CONTENTSTORE_DIGEST_MAX + 1];
};

void	content_note_init(struct content_note *n);
void	content_note_release(struct content_note *n);

/* Whether any rule of rs asks for diffs. */
bool	content_wanted(const struct ruleset *rs);

/*
 * Examine c (created or updated, under a rule with diff; anything else
 * leaves *ret empty) against the copies in cs (may be NULL: none).
 * ret must be initialised.
 */
void	content_examine(const struct contentstore *cs, const struct change *c,
	    struct content_note *ret);
/* Put the diff or the reason of n into a (borrowed: keep n alive). */
void	content_to_alert(const struct content_note *n, struct alert *a);
/*
 * The baseline took c: replace, drop or move the copy of c's path as
 * n (from content_examine) says.  Takes n's pending copy.
 */
void	content_take(struct contentstore *cs, const struct change *c,
	    struct content_note *n);

/*
 * Take a copy of every entry of b whose rule in rs has diff, that is a
 * regular text file within diff_max, whose bytes are those of its
 * record, and that cs has no copy of.  Returns how many were taken.
 */
size_t	content_fill(struct contentstore *cs, const struct baseline *b,
	    const struct ruleset *rs);

/*
 * Drop the copies of paths that b no longer holds or whose rule no
 * longer asks for diffs.  Returns how many went.
 */
size_t	content_keep(struct contentstore *cs, const struct baseline *b,
	    const struct ruleset *rs);

#endif
