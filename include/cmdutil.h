/*
 * cmdutil: what every cmd_* function does the same way: load the rules
 * and the baseline with their diagnostics printed once, map errors to the
 * exit statuses of fimd(8), make paths given on the command line
 * absolute, and print records for humans.  Used only by the cmd layer.
 */
#ifndef FIMD_CMDUTIL_H
#define FIMD_CMDUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "baseline.h"
#include "buf.h"
#include "chain.h"
#include "config.h"
#include "pkgdb.h"
#include "record.h"
#include "rules.h"

/*
 * Print d to stderr, each line with its priority under the journal:
 * errors always; warnings unless quiet where the user asked about the
 * input (show_warnings: --validate, the configuration), else only when
 * verbose; notes only when verbose.
 */
void	cmd_print_diag(const struct diag *d, bool show_warnings);
/*
 * Load the rules named by the configuration.  Prints errors to stderr;
 * warnings too when show_warnings (--validate) unless quiet, or when
 * verbose; notes (overlaps) only when verbose.  Returns 0 and a new
 * ruleset, or an exit status (EXIT_BAD_RULES, EXIT_IO_ERROR).
 */
int	cmd_load_rules(const struct fimd_config *c, bool show_warnings,
	    struct ruleset **ret);
/*
 * The key of chain_key, when the configuration names one: loaded as the
 * daemon uses it (owned by root, mode 0600 or stricter) and, when rs is
 * not NULL, outside every one of its rules' paths.  Returns 0 and a new
 * key, or NULL when none is configured; EXIT_BAD_RULES for a key kept
 * wrongly and EXIT_IO_ERROR for one that cannot be read, with the
 * reason printed.
 */
int	cmd_load_key(const struct fimd_config *c, const struct ruleset *rs,
	    struct chain_key **ret);
/*
 * The package database of package_db (fimd.conf(5)), read whole, its
 * bad lines printed as warnings with file and line.  Returns 0 and a
 * new pkgdb (free with pkgdb_free), or EXIT_IO_ERROR when none is
 * configured or it cannot be read (printed).
 */
int	cmd_load_packages(const struct fimd_config *c, struct pkgdb **ret,
	    struct diag *diag);
/*
 * Load the baseline, its digest checked under key (NULL: plain).
 * Returns 0 and a new baseline, or EXIT_BAD_BASELINE with the reason
 * printed (missing, foreign, truncated, tampered, not keyed) or
 * EXIT_IO_ERROR.
 */
int	cmd_load_baseline(const struct fimd_config *c,
	    const struct chain_key *key, struct baseline **ret);
/*
 * Save atomically, the digest under key (NULL: plain), creating the
 * directory (0700) when missing.
 */
int	cmd_save_baseline(const struct fimd_config *c,
	    const struct chain_key *key, struct baseline *b);
struct contentstore;
/*
 * The content copies beside the baseline (contentstore.h), when a rule
 * of rs asks for diffs: *ret gets the loaded store, or an empty one when
 * there is no file or it is refused (the reason printed: diffs then
 * start again from the files as they are).  *ret is NULL when no rule
 * asks.  Returns 0.
 */
int	cmd_load_copies(const struct fimd_config *c,
	    const struct chain_key *key, const struct ruleset *rs,
	    struct contentstore **ret);
/*
 * Drop the copies that b and rs no longer want, then write cs (NULL: no
 * rule asks, so none) beside the baseline, mode 0600; no copy left
 * removes the file.  Returns 0 or EXIT_IO_ERROR (printed).
 */
int	cmd_save_copies(const struct fimd_config *c,
	    const struct chain_key *key, struct contentstore *cs,
	    const struct baseline *b, const struct ruleset *rs);
/*
 * An absolute, normalised form of a path given by the user (relative to
 * the working directory; "." and ".." resolved lexically, symlinks not
 * followed).  Appends to out.  Returns 0 or -errno.
 */
int	cmd_abspath(const char *arg, struct buf *out);
/* "name: " + a human rendering of a record, one attribute per line. */
void	cmd_print_record(FILE *f, const char *path, size_t len,
	    const struct record *r);
/*
 * The notes beside a record (baseline.h): its acceptance and, when
 * history is not NULL, its earlier states; either may be NULL.
 */
void	cmd_print_notes(FILE *f, const json_t *accepted, const json_t *history);
struct scan;
/*
 * Keep fimd's own files (the baseline, the alert file) out of a scan:
 * they change because fimd runs, and are no finding.
 */
void	cmd_ignore_own_files(const struct fimd_config *c, struct scan *s);
/* A path for a terminal or log: control bytes and invalid UTF-8 escaped. */
void	cmd_path_display(const char *path, size_t len, struct buf *out);
/*
 * --query through the running daemon: when one answers on the control
 * socket, print its records and return the exit status with
 * *ret_answered true; when none does, return 0 with *ret_answered false
 * (the caller reads the baseline file).
 */
int	cmd_query_daemon(const struct fimd_config *c, bool *ret_answered);
/*
 * --type's names (the operands) as a new JSON array into *ret, NULL
 * when none is given.  Returns 0, or EXIT_USAGE (printed) for a name
 * that is not UTF-8.
 */
int	cmd_entity_names(const struct fimd_config *c, json_t **ret);
/*
 * Print a reply of entity_query (entity.h), the daemon's or one made
 * from the baseline file: each entity as a block, or a JSON line with
 * --json; each name no entity answers to, or a type the baseline does
 * not hold, named on standard error.  Returns the exit status: 0, or 1
 * for such a name or type.
 */
int	cmd_print_entities(const struct fimd_config *c, const json_t *reply);

#endif
