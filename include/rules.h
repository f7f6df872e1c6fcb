/*
 * rules: the rule set of fimd.rules(5).
 *
 * ruleset_load() reads every "*.json" file of a directory in byte order of
 * their names (or one file), checks every key, value, attribute, algorithm
 * and glob, and reports each problem in a struct diag as file:line:column
 * (the position of the offending key or value in the source text).  A rule
 * file that fails leaves no partial rules behind: the call returns
 * -EINVAL and no ruleset.  Shipped rules live in a second directory
 * (FIMD_DATADIR/fimd/rules.d); a file of the same name in the admin
 * directory replaces the shipped one, and a symlink to /dev/null disables
 * it (ruleset_load_dirs).
 *
 * Matching.  A rule covers a path when the path is one of the rule's paths
 * or below one (within depth when the rule is not fully recursive), the
 * include patterns (if any) accept it (directories are never subject to
 * include: they are walked, not recorded, when a rule has includes), and
 * no exclude pattern matches it.  When several rules cover a path the one
 * whose matching path is longest (most specific) wins; ties go to the rule
 * loaded first.  A path excluded by the most specific rule falls through
 * to the next rule that covers it.
 *
 * Pattern scope: a pattern without "/" is matched against the last name
 * of the path; one starting with "/" against the whole path; any other
 * against the path relative to the rule path that covers it.
 *
 * The struct ruleset and its rules are immutable once loaded; pointers to
 * rules stay valid until ruleset_free().
 */
#ifndef FIMD_RULES_H
#define FIMD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "buf.h"
#include "diag.h"
#include "hash.h"
#include "severity.h"

/* Where a rule or value came from, for diagnostics and --explain. */
struct srcpos {
	const char *file;	/* borrowed from the ruleset */
	unsigned line;
	unsigned column;
};

struct rule_path {
	char	*path;		/* absolute; no "//", no trailing "/" */
	size_t	 len;
	struct srcpos pos;
};

/*
 * What a rule watches: files (its paths), or an entity of the host
 * (entity.h): the listening ports, the installed packages, the systemd
 * units of its paths (the unit directories).
 */
enum rule_type {
	RULE_FILES,
	RULE_PORTS,
	RULE_PACKAGES,
	RULE_SERVICES,
	RULE_TYPE_COUNT
};

/* "files", "ports", "packages", "services". */
const char *rule_type_name(enum rule_type t);
/* The type of such a name (bytes compared), or -ENOENT. */
int	rule_type_from_name(const char *name);

struct rule {
	char	*name;
	enum rule_type type;
	char	*description;
	struct rule_path *paths;
	size_t	 npaths;
	int	 depth;		/* -1: unlimited; 0: the paths only */
	char	**include;	/* NULL-terminated list, or NULL */
	char	**exclude;	/* NULL-terminated list, or NULL */
	attr_mask attrs;	/* may carry ATTR_F_GROWING */
	hash_mask algos;	/* at least one when attrs has ATTR_HASH */
	enum severity severity;
	bool	 realtime;
	bool	 follow_symlinks;
	bool	 paranoid;	/* re-hash on every rescan, not stat-first */
	/*
	 * package_changes "summarize": the package manager's changes that
	 * match their package are one alert per package and transaction.
	 */
	bool	 summarize_packages;
	uint64_t rescan;	/* seconds */
	uint64_t max_size;	/* bytes; 0 = no limit */
	bool	 diff;		/* keep copies of text files, diff them */
	uint64_t diff_max;	/* bytes: larger files get no copy */
	unsigned history;	/* earlier states kept per record; 0: none */
	/* Severity of its alerts inside a change window, if set. */
	bool	 has_window_severity;
	enum severity window_severity;
	unsigned index;		/* position in the ruleset */
	struct srcpos pos;	/* the rule object */
};

/* "rescan" of a ports rule when it sets none: its check interval. */
#define RULE_DEFAULT_PORTS_RESCAN	60
/* The unit directories of a services rule that names none. */
#define RULE_DEFAULT_UNIT_DIRS	{ "/etc/systemd/system", \
	"/usr/lib/systemd/system" }
/* "diff_max": its default and the most it may be. */
#define RULE_DEFAULT_DIFF_MAX	((uint64_t)64 << 10)
#define RULE_DIFF_MAX_LIMIT	((uint64_t)1 << 20)
/* "history": its default and the most it may be. */
#define RULE_DEFAULT_HISTORY	3
#define RULE_HISTORY_LIMIT	100	/* BASELINE_HISTORY_MAX */

struct ruleset;

/*
 * Load rules.  dir_or_file is a directory of *.json files or one file.
 * shipped_dir (may be NULL) holds default files that same-named files in
 * dir_or_file override.  Returns 0 and a new ruleset (free with
 * ruleset_free), or a negative errno with every problem in diag (-EINVAL
 * for invalid rules, -ENOENT when nothing could be read, other errno for
 * I/O).  Warnings and notes (overlaps) are added to diag even on success.
 */
int	ruleset_load(const char *dir_or_file, const char *shipped_dir,
	    struct ruleset **ret, struct diag *diag);
/* Parse one rule file from memory (tests).  Same contract. */
int	ruleset_load_buffer(const char *filename, const char *text, size_t len,
	    struct ruleset **ret, struct diag *diag);
void	ruleset_free(struct ruleset *rs);

size_t	ruleset_count(const struct ruleset *rs);
/* Borrowed, valid until ruleset_free. */
const struct rule *ruleset_rule(const struct ruleset *rs, size_t i);
const struct rule *ruleset_find(const struct ruleset *rs, const char *name);
/* The files the rules were read from, in load order; borrowed. */
size_t	ruleset_nfiles(const struct ruleset *rs);
const char *ruleset_file(const struct ruleset *rs, size_t i);
/*
 * SHA-256 over the rules in their canonical form (independent of
 * whitespace and key order), as "sha256:<hex>"; borrowed.
 */
const char *ruleset_digest(const struct ruleset *rs);
/* The rule of this entity type, or NULL (at most one per type). */
const struct rule *ruleset_entity(const struct ruleset *rs,
	    enum rule_type t);
/* Union of every rule's algorithms. */
hash_mask ruleset_algos(const struct ruleset *rs);

/*
 * The rule covering path (len bytes; absolute, normalised), or NULL.
 * is_dir tells whether the object is a directory (include patterns do
 * not apply to directories).  ret_root (may be NULL) receives the rule
 * path that matched.
 */
const struct rule *ruleset_match(const struct ruleset *rs, const char *path,
	    size_t len, bool is_dir, const struct rule_path **ret_root);

/*
 * Whether a walk should descend into the directory at path: some rule
 * covers something below it (within depth, not excluded), or a rule path
 * lies below it.
 */
bool	ruleset_should_descend(const struct ruleset *rs, const char *path,
	    size_t len);
/*
 * The walk roots: the rule paths not below another rule path, sorted,
 * without duplicates.  Borrowed array of borrowed strings.
 */
size_t	ruleset_roots(const struct ruleset *rs, const char *const **ret);

/*
 * Human explanation of how path is covered, for --explain: every rule
 * whose paths contain it, which one wins and why (depth, include,
 * exclude, specificity).  Appends to b.  Returns 0 or -ENOSPC.
 */
int	ruleset_explain(const struct ruleset *rs, const char *path,
	    size_t len, bool is_dir, struct buf *b);

#endif
