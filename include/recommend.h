/*
 * recommend: rules proposed for the software installed on a host
 * (fimd --recommend).
 *
 * What to propose is data, not code: a recommendation file (by default
 * FIMD_DATADIR/fimd/recommend.json, fimd.conf(5)'s "recommendations")
 * lists entries, each with the packages and systemd units that trigger
 * it, the configuration files whose directives name further paths, and
 * rule templates in the form of fimd.rules(5) plus three keys of their
 * own ("from", "relative_to", "conffiles").  recset_load() checks the
 * whole file, every template through the rule loader itself, and reports
 * each problem as file:line:column.
 *
 * What a host has is a struct rec_host: its installed packages and their
 * conffiles (dpkg's status file), the systemd units enabled below
 * /etc/systemd/system, and the configuration files, all read below a
 * root directory ("" for the running system), so an image or a test's
 * tree can be inspected as well.  Paths in proposals are the host's own
 * (without the root).
 *
 * recommend_build() turns both, and the rules in force, into proposals:
 * for each triggered entry one rule file's worth of rules, each rule
 * holding only the paths that exist on the host and that no rule in
 * force covers (ruleset_match, as --explain answers).  A rule left with
 * no path is dropped; an entry left with no rule says which paths were
 * covered already.
 *
 * Memory: a recset and a rec_host own all they hold; JSON returned is a
 * new reference.  Diagnostics about the host's files (a directive naming
 * a path that is not absolute, not UTF-8, or missing) are notes with the
 * config file and line.
 */
#ifndef FIMD_RECOMMEND_H
#define FIMD_RECOMMEND_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "confscan.h"
#include "diag.h"
#include "rules.h"

/* Largest recommendation file read. */
#define RECSET_MAX_SIZE		((size_t)4 << 20)

/* Files whose directives name paths. */
struct rec_source {
	enum confscan_syntax syntax;
	char	**files;	/* absolute; wildcards in any name */
	size_t	 nfiles;
	bool	 enabled_units;	/* also the unit files of enabled units */
};

struct rec_template {
	char	*name;
	json_t	*rule;		/* the rule keys, "paths" left out */
	char	**paths;
	size_t	 npaths;
	char	**from;		/* directive names whose values are paths */
	size_t	 nfrom;
	char	*relative_to;	/* base of relative values, or NULL */
	bool	 conffiles;	/* add the triggering packages' conffiles */
};

struct rec_entry {
	char	*name;		/* [a-z0-9][a-z0-9._-]*: part of a file name */
	char	**packages;	/* package names, glob patterns */
	size_t	 npackages;
	char	**units;	/* unit names, glob patterns */
	size_t	 nunits;
	struct rec_source *sources;
	size_t	 nsources;
	struct rec_template *rules;
	size_t	 nrules;
	unsigned line;		/* of the entry in the file */
};

struct recset {
	char	*file;
	struct rec_entry *v;
	size_t	 n;
};

/*
 * Load a recommendation file.  Returns 0 and a new recset (free with
 * recset_free), or -errno: -EINVAL with every problem in diag, other
 * errno when it cannot be read (also in diag).
 */
int	recset_load(const char *path, struct recset **ret, struct diag *diag);
/* The same from memory; filename names it in diagnostics. */
int	recset_load_buffer(const char *filename, const char *text, size_t len,
	    struct recset **ret, struct diag *diag);
void	recset_free(struct recset *set);

struct rec_host;

/* A host whose files lie below root ("" or NULL: "/"; copied). */
struct rec_host *rec_host_new(const char *root);
void	rec_host_free(struct rec_host *h);
/* The root as given ("" for "/"); borrowed. */
const char *rec_host_root(const struct rec_host *h);
/*
 * Read dpkg's status file (a path on the host: the root is prefixed).
 * Returns 0, or -errno when it cannot be read; bad stanzas go to diag
 * as warnings and the good ones count.
 */
int	rec_host_read_dpkg(struct rec_host *h, const char *status,
	    struct diag *diag);
/* Note a package installed, with one conffile (may be NULL). */
void	rec_host_add_package(struct rec_host *h, const char *name,
	    const char *conffile);
/* Read the units enabled below /etc/systemd/system (wants, requires). */
void	rec_host_read_units(struct rec_host *h);
size_t	rec_host_npackages(const struct rec_host *h);
size_t	rec_host_nunits(const struct rec_host *h);

/* The file name a proposal is written to: "50-recommend-NAME.json". */
char	*recommend_file_name(const struct rec_entry *e);

/*
 * The proposals for host under the rules in force rs: a new JSON array
 * with one object per triggered entry:
 *   {"name", "file", "packages": [...], "units": [...],
 *    "rules": [rule objects of fimd.rules(5)], "covered": [paths]}
 * "rules" is empty when everything is covered already.  Never fails.
 */
json_t	*recommend_build(const struct recset *set, struct rec_host *host,
	    const struct ruleset *rs, struct diag *diag);

#endif
