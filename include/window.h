/*
 * window: change windows, the periods in which an administrator expects
 * changes (fimd(8) --window).
 *
 * A window has an id, a reason, who opened it (uid, user name), when it
 * was opened and when it expires (or never), and the rules it covers
 * (none named: every rule).  While it is open, the daemon tags the
 * alerts of those rules with it and counts them here: per rule, per
 * writer, and the paths changed (for --accept on close), up to
 * WINDOW_PATHS_MAX of them.
 *
 * The set is plain data with its file form, "<baseline>.windows": one
 * JSON object {"fimd_windows":1,"next_id":N,"windows":[...]}, written
 * through atomicfile with mode 0600, read through fileio (a FIFO or a
 * device there never blocks) and refused whole, with a diag naming the
 * file, line and what is wrong, when it is not exactly that.  The set
 * owns every window; pointers into it stay valid until that window is
 * closed or the set freed.  One thread (the daemon's loop).
 */
#ifndef FIMD_WINDOW_H
#define FIMD_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diag.h"

#define WINDOW_FORMAT_VERSION	1
#define WINDOW_OPEN_MAX		64	/* windows open at once */
#define WINDOW_PATHS_MAX	100000	/* paths kept per window */
#define WINDOW_RULES_MAX	256	/* rules named per window */
#define WINDOW_FILE_MAX		((size_t)256 << 20)

struct window {
	uint64_t id;
	char	*reason;
	uint32_t uid;
	char	*user;		/* NULL when the uid has no name */
	double	 opened;	/* wall clock seconds */
	double	 expires;	/* wall clock seconds; 0: never */
	char	**rules;	/* names; nrules 0: every rule */
	size_t	 nrules;
	uint64_t changes;	/* alerts tagged */
	json_t	*by_rule;	/* {"name": count} */
	json_t	*by_writer;	/* {"comm": count}; "unknown" unnamed */
	json_t	*paths;		/* {"escaped path": 1} (pathenc.h) */
	uint64_t paths_dropped;	/* changed paths past WINDOW_PATHS_MAX */
};

struct window_set;

struct window_set *window_set_new(void);
void	window_set_free(struct window_set *s);
/*
 * Read path into a new set.  A missing file is an empty set (0).
 * Returns 0, or -EBADMSG / -errno with a diag.
 */
int	window_set_load(const char *path, struct window_set **ret,
	    struct diag *diag);
/* Same from memory (tests, fuzzing); name labels the diag. */
int	window_set_parse(const char *name, const char *text, size_t len,
	    struct window_set **ret, struct diag *diag);
/* Write atomically (0600).  Returns 0 or -errno. */
int	window_set_save(const struct window_set *s, const char *path);

size_t	window_count(const struct window_set *s);
/* The i-th open window, oldest first; borrowed. */
struct window *window_at(const struct window_set *s, size_t i);
struct window *window_find(const struct window_set *s, uint64_t id);
/*
 * Open a window (strings copied; rules may be NULL with nrules 0).
 * ttl: seconds, 0 for none.  Returns it, or NULL when WINDOW_OPEN_MAX
 * are open.
 */
struct window *window_open(struct window_set *s, const char *reason,
	    uint32_t uid, const char *user, double now, uint64_t ttl,
	    const char *const *rules, size_t nrules);
/* Remove and free the window with this id; false when none. */
bool	window_close(struct window_set *s, uint64_t id);
/* Whether w covers the rule named name. */
bool	window_covers(const struct window *w, const char *rule);
/* The newest window open at now that covers rule, or NULL. */
struct window *window_covering(const struct window_set *s,
	    const char *rule, double now);
/* The first window expired at now, or NULL. */
struct window *window_expired(const struct window_set *s, double now);
/* Earliest expiry of any window, or 0 when none expires. */
double	window_next_expiry(const struct window_set *s);
/*
 * Count one tagged change of rule to path (any bytes; NULL: none) by
 * writer (NULL: unknown).
 */
void	window_count_change(struct window *w, const char *rule,
	    const char *writer, const char *path, size_t len);
/*
 * fimd.window as alerts carry it: {"id", "reason", "uid", "user",
 * "opened", "expires", "rules"}; a new reference.
 */
json_t	*window_tag_json(const struct window *w);
/* The tag with the counts: "changes", "by_rule", "by_writer". */
json_t	*window_summary_json(const struct window *w);

#endif
