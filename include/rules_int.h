/*
 * rules_int: the ruleset's private layout, shared by rules.c (loading),
 * rules_keys.c (a rule's keys), rules_dir.c (files of a directory) and
 * rules_match.c (matching, roots, explain).  Not for other modules.
 */
#ifndef FIMD_RULES_INT_H
#define FIMD_RULES_INT_H

#include <jansson.h>

#include "diag.h"
#include "jsonpos.h"
#include "rules.h"

/* What a pattern is matched against (fimd.rules(5), "Pattern scope"). */
enum pat_scope {
	PAT_NAME,	/* no "/": the last name */
	PAT_ABS,	/* leading "/": the whole path */
	PAT_REL,	/* else: relative to the covering rule path */
};

struct pattern {
	const char *glob;	/* borrowed from the rule */
	enum pat_scope scope;
	bool	 prunes;	/* matching a directory matches all below it */
};

struct rule_pats {
	struct pattern *include;
	size_t	 ninclude;
	struct pattern *exclude;
	size_t	 nexclude;
};

/* One rule path, in match order. */
struct rs_entry {
	const struct rule *rule;
	const struct rule_path *rp;
};

struct ruleset {
	struct rule *rules;
	size_t	 nrules;
	struct rule_pats *pats;		/* per rule, by index */
	char	**files;
	size_t	 nfiles;
	struct rs_entry *entries;	/* longest first, then load order */
	size_t	 nentries;
	const char **roots;
	size_t	 nroots;
	hash_mask algos;
	char	 digest[8 + 2 * 32];
};

/* State while one ruleset is being built (rules.c, rules_dir.c). */
struct rules_loader {
	struct ruleset *rs;
	size_t	 rules_alloc;
	struct diag *diag;
	const char *file;	/* borrowed from rs->files */
	size_t	 errors;
};

/* rules.c: a problem at line:column of the file being loaded. */
void	rules_report(struct rules_loader *l, enum diag_severity sev,
	    unsigned line, unsigned column, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
#define ERR_AT(l, pos, ...) \
	rules_report((l), DIAG_ERROR, (pos)->line, (pos)->column, __VA_ARGS__)
#define ERR_KEY(l, pos, ...) \
	rules_report((l), DIAG_ERROR, (pos)->key_line, (pos)->key_column, \
	    __VA_ARGS__)

static inline void
srcpos_set(struct srcpos *sp, const char *file, const struct jsonpos *p)
{
	sp->file = file;
	sp->line = p->line;
	sp->column = p->column;
}

/* Where a rule's keys that are checked together were seen, or NULL. */
struct rule_seen {
	const struct jsonpos *name, *paths, *recursive, *depth, *attributes,
	    *hash, *type, *rescan;
	/* The first key that only a rule of files takes, and where. */
	const char *files_key;
	const struct jsonpos *files_pos;
};
/*
 * rules_keys.c: apply one key of a rule object to r, reporting a bad
 * value or an unknown key where it is.
 */
void	rules_set_key(struct rules_loader *l, struct rule *r,
	    struct rule_seen *seen, const char *key, json_t *v,
	    const struct jsonpos *p);

/* rules.c: record a file name in rs->files; returns the stored copy. */
const char *rules_add_file(struct ruleset *rs, const char *name);
/* rules.c: parse one file's text into l->rs, reporting into l->diag. */
void	rules_parse_text(struct rules_loader *l, const char *text,
	    size_t len);
/*
 * rules.c: after the last file: fail with -EINVAL (freeing l->rs) when
 * any error was reported, else note overlaps, index and digest.
 */
int	rules_finish(struct rules_loader *l, struct ruleset **ret);

/* rules_match.c: build entries, roots and patterns once loaded. */
void	ruleset_index(struct ruleset *rs);
/* Whether b[0..blen) is a or strictly below a. */
bool	rules_path_covers(const char *a, size_t alen, const char *b,
	    size_t blen);
/* Names in b below a (0 when equal); b must be covered by a. */
int	rules_rel_depth(const char *a, size_t alen, const char *b,
	    size_t blen);

#endif
