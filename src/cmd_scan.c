/*
 * The scanning modes: --init, --check, --update.
 *
 * All three run the same engine (scan) with every core hashing
 * (hashpool).  --init records everything; --check and --update judge the
 * walk against the baseline (compare) and report in path order, for
 * humans or as the same ECS alert lines the daemon writes (--json).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "alert.h"
#include "baseline.h"
#include "buf.h"
#include "cmd.h"
#include "cmdutil.h"
#include "compare.h"
#include "contentdiff.h"
#include "contentstore.h"
#include "entity.h"
#include "exitcode.h"
#include "hashpool.h"
#include "judge.h"
#include "log.h"
#include "pkgdb.h"
#include "progress.h"
#include "rules.h"
#include "scan.h"
#include "xmalloc.h"

struct scan_run {
	const struct fimd_config *cfg;
	struct ruleset *rs;
	struct chain_key *key;		/* chain_key's, or NULL */
	struct baseline *b;
	struct hashpool *pool;
	struct scan *scan;
	struct compare *cmp;
	struct alert_stream *alerts;
	struct pkgdb *pkgs;		/* --packages, or NULL */
	struct diag pkg_diag;
	struct contentstore *copies;	/* rules with diff; else NULL */
	bool	 update;
	struct progress progress;
	struct buf line;
	uint64_t unreadable;
	uint64_t entries;
	int	 status;
};

/* Name a covered file that could not be read (exit bit 8). */
static void
report_unreadable(struct scan_run *sr, const struct scan_item *it)
{
	struct buf p;

	buf_init(&p, BUF_MAX_DEFAULT);
	cmd_path_display(it->path, it->len, &p);
	progress_end(&sr->progress);
	fprintf(stderr, "fimd: cannot %s %s: %s\n", it->err_op, p.data,
	    strerror(-it->err));
	buf_release(&p);
	sr->unreadable++;
}

static void
tick(struct scan_run *sr)
{
	const struct scan_stats *st = scan_stats(sr->scan);

	progress_update(&sr->progress, st->files, st->bytes_hashed);
}

static void
init_item_done(struct scan_item *it, void *arg)
{
	struct scan_run *sr = arg;

	if (it->err != 0)
		report_unreadable(sr, it);
	else if (it->rule != NULL) {
		baseline_put(sr->b, it->path, it->len, &it->rec);
		sr->entries++;
	}
	tick(sr);
}

static int
run_setup(struct scan_run *sr, const struct fimd_config *c)
{
	int r;

	memset(sr, 0, sizeof(*sr));
	diag_init(&sr->pkg_diag);
	sr->cfg = c;
	buf_init(&sr->line, 1 << 20);
	if ((r = cmd_load_rules(c, false, &sr->rs)) != 0 ||
	    (r = cmd_load_key(c, sr->rs, &sr->key)) != 0)
		return r;
	if ((sr->pool = hashpool_new(c->workers)) == NULL) {
		log_err("cannot start hashing threads");
		return EXIT_IO_ERROR;
	}
	return 0;
}

static void
run_teardown(struct scan_run *sr)
{
	scan_free(sr->scan);
	compare_free(sr->cmp);
	hashpool_free(sr->pool);
	baseline_free(sr->b);
	ruleset_free(sr->rs);
	chain_key_free(sr->key);
	alert_stream_free(sr->alerts);
	pkgdb_free(sr->pkgs);
	diag_release(&sr->pkg_diag);
	contentstore_free(sr->copies);
	buf_release(&sr->line);
}

/* ---- entities (entity.h) ---- */

static int
entity_take(const struct scan_run *sr, const struct rule *rule,
    const struct entity_set *prev, struct entity_set *ret)
{
	struct entity_source src;
	struct diag dg;
	int r;

	entity_source_init(&src, rule, sr->cfg->package_db);
	entity_set_init(ret, rule->type);
	if (rule->type == RULE_PACKAGES && src.dpkg_root == NULL) {
		log_warnx("rule %s: no package database is configured "
		    "(package_db): no packages to read", rule->name);
		return -ENOENT;
	}
	diag_init(&dg);
	r = entity_snapshot(rule->type, &src, prev, ret, NULL, &dg);
	diag_print(&dg, stderr);
	diag_release(&dg);
	if (r < 0)
		log_warnx("rule %s: cannot read the %s", rule->name,
		    rule_type_name(rule->type));
	return r;
}

/* --init, and --update of a baseline that has none: record them. */
static void
entities_record(struct scan_run *sr, const struct rule *rule)
{
	struct entity_set set;

	if (entity_take(sr, rule, NULL, &set) == 0)
		baseline_set_entities(sr->b, rule_type_name(rule->type),
		    entity_set_to_json(&set));
	entity_set_release(&set);
}

static void
init_entities(struct scan_run *sr)
{
	const struct rule *rule;
	int t;

	for (t = RULE_FILES + 1; t < RULE_TYPE_COUNT; t++)
		if ((rule = ruleset_entity(sr->rs, (enum rule_type)t)) != NULL)
			entities_record(sr, rule);
}

/* One change on stdout: an alert line (--json) or a human entry. */
static void
print_alert(struct scan_run *sr, const struct alert *a)
{
	json_t *obj;

	buf_reset(&sr->line);
	if (sr->cfg->json) {
		(void)alert_line(sr->alerts, a, NULL, &sr->line);
		fwrite(sr->line.data, 1, sr->line.len, stdout);
		return;
	}
	obj = alert_build(sr->alerts, a);
	(void)alert_human(obj, ALERT_HUMAN_VERBOSE |
	    (sr->cfg->utc ? ALERT_HUMAN_UTC : 0), &sr->line);
	json_decref(obj);
	printf("%s\n", sr->line.data);
}

struct entity_report {
	struct scan_run *sr;
	const struct rule *rule;
	struct compare_counts *counts;
};

static void
entity_change_cb(const struct entity_change *c, void *arg)
{
	struct entity_report *er = arg;
	struct scan_run *sr = er->sr;
	struct alert a;

	if (c->old == NULL)
		er->counts->added++;
	else if (c->new == NULL)
		er->counts->removed++;
	else
		er->counts->changed++;
	if (sr->cfg->verbosity < 0)
		return;
	entity_alert(&a, SOURCE_CHECK, er->rule, c);
	print_alert(sr, &a);
}

/* --check and --update: each entity against the baseline's set. */
static void
check_entities(struct scan_run *sr, struct compare_counts *counts)
{
	struct entity_report er = { sr, NULL, counts };
	struct entity_set old, now;
	const json_t *saved;
	const char *why;
	int t;

	for (t = RULE_FILES + 1; t < RULE_TYPE_COUNT; t++) {
		er.rule = ruleset_entity(sr->rs, (enum rule_type)t);
		saved = baseline_entities(sr->b,
		    rule_type_name((enum rule_type)t));
		if (er.rule == NULL) {
			if (sr->update)	/* no rule watches it now */
				baseline_set_entities(sr->b,
				    rule_type_name((enum rule_type)t), NULL);
			continue;
		}
		if (saved == NULL || entity_set_from_json((enum rule_type)t,
		    saved, &old, &why) < 0) {
			if (sr->update)
				entities_record(sr, er.rule);
			else if (sr->cfg->verbosity >= 0)
				log_warnx("the baseline holds no %s (rule %s): "
				    "fimd --update records them",
				    rule_type_name(er.rule->type),
				    er.rule->name);
			continue;
		}
		if (entity_take(sr, er.rule, &old, &now) == 0) {
			(void)entity_compare(&old, &now, entity_change_cb,
			    &er);
			if (sr->update)
				baseline_set_entities(sr->b,
				    rule_type_name(er.rule->type),
				    entity_set_to_json(&now));
		}
		entity_set_release(&now);
		entity_set_release(&old);
	}
}

int
cmd_init(const struct fimd_config *c)
{
	static const struct scan_ops ops = { .done = init_item_done };
	struct scan_run sr;
	double t0 = clock_mono_s();
	int r;

	if ((r = run_setup(&sr, c)) != 0)
		goto out;
	sr.b = baseline_new();
	baseline_set_rules_digest(sr.b, ruleset_digest(sr.rs));
	sr.scan = scan_new(sr.rs, sr.pool, &ops, &sr);
	cmd_ignore_own_files(c, sr.scan);
	progress_begin(&sr.progress, "fimd --init", c->verbosity < 0, 0, 0);
	(void)scan_walk(sr.scan, NULL);
	scan_finish(sr.scan);
	progress_end(&sr.progress);
	init_entities(&sr);
	if (content_wanted(sr.rs)) {
		sr.copies = contentstore_new();
		(void)content_fill(sr.copies, sr.b, sr.rs);
	}
	if ((r = cmd_save_baseline(c, sr.key, sr.b)) != 0 ||
	    (r = cmd_save_copies(c, sr.key, sr.copies, sr.b, sr.rs)) != 0)
		goto out;
	if (c->verbosity >= 0)
		fprintf(stderr, "fimd: baseline of %llu entries written to %s "
		    "in %.2f s\n", (unsigned long long)sr.entries,
		    c->baseline_path, clock_mono_s() - t0);
	r = sr.unreadable > 0 ? EXIT_UNREADABLE : EXIT_OK;
out:
	run_teardown(&sr);
	return r;
}

/* One change: an alert line (--json) or a human entry. */
static void
report_change(struct scan_run *sr, const struct change *cc,
    const struct content_note *note)
{
	struct alert a;

	alert_from_change(&a, SOURCE_CHECK, cc);
	content_to_alert(note, &a);
	progress_end(&sr->progress);
	print_alert(sr, &a);
}

static void
check_change(const struct change *cc, void *arg)
{
	struct scan_run *sr = arg;
	struct content_note note;

	content_note_init(&note);
	if (sr->copies != NULL)
		content_examine(sr->copies, cc, &note);
	if (sr->cfg->verbosity >= 0)
		report_change(sr, cc, &note);
	if (sr->update)
		content_take(sr->copies, cc, &note);
	content_note_release(&note);
}

static void
check_unreadable(const struct scan_item *it, void *arg)
{
	report_unreadable(arg, it);
}

static void
check_item_done(struct scan_item *it, void *arg)
{
	struct scan_run *sr = arg;

	compare_scan_ops.done(it, sr->cmp);
	tick(sr);
}

static enum scan_decision
check_stat_done(const struct scan_item *it, uint64_t *prefix_len, void *arg)
{
	struct scan_run *sr = arg;

	return compare_scan_ops.stat_done(it, prefix_len, sr->cmp);
}

static hash_mask
package_algos(const char *path, size_t len, void *arg)
{
	return judge_package_algos(arg, path, len);
}

static int
exit_bits(const struct compare_counts *n, uint64_t unreadable)
{
	int bits = 0;

	if (n->added > 0)
		bits |= EXIT_ADDED;
	if (n->removed > 0)
		bits |= EXIT_REMOVED;
	if (n->changed > 0)
		bits |= EXIT_CHANGED;
	/* AIDE's scripts read a rename as a path added and one removed. */
	if (n->moved > 0)
		bits |= EXIT_ADDED | EXIT_REMOVED;
	if (unreadable > 0)
		bits |= EXIT_UNREADABLE;
	return bits;
}

static void
print_summary(const struct scan_run *sr, const struct compare_counts *n,
    double secs, bool update)
{
	if (sr->cfg->verbosity < 0 || sr->cfg->json)
		return;
	printf("%s: %llu entries checked in %.2f s: %llu added, %llu removed, "
	    "%llu changed, %llu moved, %llu unreadable%s\n", update ?
	    "fimd --update" : "fimd --check", (unsigned long long)n->files,
	    secs, (unsigned long long)n->added, (unsigned long long)n->removed,
	    (unsigned long long)n->changed, (unsigned long long)n->moved,
	    (unsigned long long)sr->unreadable,
	    update ? "; baseline updated" : "");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether b is a, or below it ("/" holds everything). */
static bool
path_within(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/' ||
	    (n == 1 && a[0] == '/'));
}

/*
 * The PATH operands, absolute, sorted, each not below another (AIDE's
 * --limit): *ret_n scopes in a new array of new strings.  EXIT_USAGE
 * for a path that cannot be made absolute.
 */
static int
limit_scopes(const struct fimd_config *c, char ***ret, size_t *ret_n)
{
	char **v = xcalloc((size_t)c->noperands, sizeof(*v));
	struct buf path;
	size_t n = 0, i, k;

	buf_init(&path, BUF_MAX_DEFAULT);
	for (i = 0; i < (size_t)c->noperands; i++) {
		buf_reset(&path);
		if (cmd_abspath(c->operands[i], &path) < 0) {
			log_warnx("%s: cannot make the path absolute",
			    c->operands[i]);
			while (n > 0)
				free(v[--n]);
			free(v);
			buf_release(&path);
			return EXIT_USAGE;
		}
		v[n++] = xstrndup(path.data, path.len);
	}
	buf_release(&path);
	qsort(v, n, sizeof(*v), cmp_str);
	/* Sorted, a path below another follows it, or one below it. */
	for (i = 0, k = 0; i < n; i++) {
		if (k > 0 && path_within(v[k - 1], v[i]))
			free(v[i]);
		else
			v[k++] = v[i];
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

/*
 * One comparison per scope: only entries at or below it are walked, and
 * only baseline entries there can be found deleted.  A move between two
 * scopes shows as a deletion and a creation.
 */
static int
walk_limited(struct scan_run *sr, const struct fimd_config *c,
    struct compare_counts *total)
{
	struct compare_counts n;
	char **scopes;
	size_t nscopes, i;
	int r;

	if ((r = limit_scopes(c, &scopes, &nscopes)) != 0)
		return r;
	memset(total, 0, sizeof(*total));
	for (i = 0; i < nscopes; i++) {
		compare_begin(sr->cmp, scopes[i], strlen(scopes[i]));
		(void)scan_path(sr->scan, scopes[i], strlen(scopes[i]), NULL);
		scan_finish(sr->scan);
		compare_finish(sr->cmp, &n);
		total->files += n.files;
		total->added += n.added;
		total->removed += n.removed;
		total->changed += n.changed;
		total->moved += n.moved;
		total->unreadable += n.unreadable;
		free(scopes[i]);
	}
	free(scopes);
	return 0;
}

static int
check_or_update(const struct fimd_config *c, bool update)
{
	static const struct compare_ops cops = {
		.change = check_change,
		.unreadable = check_unreadable,
	};
	static const struct scan_ops ops = {
		.stat_done = check_stat_done,
		.done = check_item_done,
	};
	struct compare_counts counts;
	struct scan_run sr;
	double t0 = clock_mono_s();
	int r;

	if ((r = run_setup(&sr, c)) != 0 ||
	    (r = cmd_load_baseline(c, sr.key, &sr.b)) != 0 ||
	    (r = cmd_load_copies(c, sr.key, sr.rs, &sr.copies)) != 0)
		goto out;
	sr.update = update;
	if (strcmp(baseline_rules_digest(sr.b), ruleset_digest(sr.rs)) != 0 &&
	    c->verbosity >= 0)
		log_warnx("the rules changed since the baseline was written; "
		    "%s", update ? "the new rules are recorded" :
		    "fimd --update records them");
	if (c->packages &&
	    (r = cmd_load_packages(c, &sr.pkgs, &sr.pkg_diag)) != 0)
		goto out;
	sr.alerts = alert_stream_new("check", 1);
	alert_stream_set_host(sr.alerts, c->host_name);
	sr.cmp = compare_new(sr.b, sr.rs, update, &cops, &sr);
	sr.scan = scan_new(sr.rs, sr.pool, &ops, &sr);
	if (sr.pkgs != NULL) {
		compare_set_packages(sr.cmp, sr.pkgs, true);
		scan_set_extra_algos(sr.scan, package_algos, sr.pkgs);
	}
	cmd_ignore_own_files(c, sr.scan);
	scan_set_paranoid(sr.scan, c->paranoid);
	progress_begin(&sr.progress, update ? "fimd --update" : "fimd --check",
	    c->verbosity < 0 || c->noperands > 0, baseline_count(sr.b), 0);
	if (c->noperands > 0) {
		if ((r = walk_limited(&sr, c, &counts)) != 0)
			goto out;
	} else {
		compare_begin(sr.cmp, NULL, 0);
		(void)scan_walk(sr.scan, NULL);
		scan_finish(sr.scan);
		compare_finish(sr.cmp, &counts);
	}
	progress_end(&sr.progress);
	/* Entities have no paths: a limited check leaves them alone. */
	if (c->noperands == 0)
		check_entities(&sr, &counts);
	fflush(stdout);
	if (update) {
		/* A limited update has not seen everything the rules say. */
		if (c->noperands == 0)
			baseline_set_rules_digest(sr.b,
			    ruleset_digest(sr.rs));
		if (sr.copies != NULL)
			(void)content_fill(sr.copies, sr.b, sr.rs);
		if ((r = cmd_save_baseline(c, sr.key, sr.b)) != 0 ||
		    (r = cmd_save_copies(c, sr.key, sr.copies, sr.b,
		    sr.rs)) != 0)
			goto out;
	}
	print_summary(&sr, &counts, clock_mono_s() - t0, update);
	r = exit_bits(&counts, sr.unreadable);
out:
	run_teardown(&sr);
	return r;
}

int
cmd_check(const struct fimd_config *c)
{
	return check_or_update(c, false);
}

int
cmd_update(const struct fimd_config *c)
{
	return check_or_update(c, true);
}
