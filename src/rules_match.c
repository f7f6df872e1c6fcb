/*
 * rules_match: which rule covers a path, whether a walk descends, the walk
 * roots and --explain; see rules.h.
 *
 * ruleset_match() runs for every file of a walk and every kernel event,
 * so everything it needs is prepared at load time: the rule paths sorted
 * longest first (the first covering entry is the most specific) and each
 * pattern's scope.  It allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "rules_int.h"
#include "xmalloc.h"

bool
rules_path_covers(const char *a, size_t alen, const char *b, size_t blen)
{
	if (blen < alen || memcmp(a, b, alen) != 0)
		return false;
	if (blen == alen)
		return true;
	return (alen == 1 && a[0] == '/') || b[alen] == '/';
}

/* The part of b below a ("" for a itself); b covered by a. */
static const char *
rel_part(const char *a, size_t alen, const char *b, size_t blen,
    size_t *ret_len)
{
	size_t skip;

	(void)a;
	if (blen == alen) {
		*ret_len = 0;
		return b + blen;
	}
	skip = alen == 1 ? 1 : alen + 1;
	*ret_len = blen - skip;
	return b + skip;
}

int
rules_rel_depth(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *rel, *p, *end;
	size_t n;
	int d;

	rel = rel_part(a, alen, b, blen, &n);
	if (n == 0)
		return 0;
	end = rel + n;
	for (d = 1, p = rel; (p = memchr(p, '/', (size_t)(end - p))) != NULL;
	    p++)
		d++;
	return d;
}

static void
compile_patterns(char **globs, struct pattern **ret, size_t *ret_n)
{
	size_t n = 0, i;

	*ret = NULL;
	*ret_n = 0;
	if (globs == NULL)
		return;
	while (globs[n] != NULL)
		n++;
	*ret = xcalloc(n, sizeof(**ret));
	for (i = 0; i < n; i++) {
		const char *g = globs[i];
		size_t len = strlen(g);
		struct pattern *p = &(*ret)[i];

		p->glob = g;
		if (g[0] == '/')
			p->scope = PAT_ABS;
		else if (strchr(g, '/') != NULL)
			p->scope = PAT_REL;
		else
			p->scope = PAT_NAME;
		/* A final "**" name, or "**" alone: all below matches too. */
		p->prunes = strcmp(g, "**") == 0 ||
		    (len >= 3 && strcmp(g + len - 3, "/**") == 0 &&
		    (len == 3 || g[len - 4] != '\\'));
	}
	*ret_n = n;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct rs_entry *x = a, *y = b;

	if (x->rp->len != y->rp->len)
		return x->rp->len > y->rp->len ? -1 : 1;
	if (x->rule->index != y->rule->index)
		return x->rule->index < y->rule->index ? -1 : 1;
	return x->rp < y->rp ? -1 : x->rp > y->rp;
}

static int
root_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
ruleset_index(struct ruleset *rs)
{
	size_t i, j, n = 0;

	rs->pats = xcalloc(rs->nrules > 0 ? rs->nrules : 1,
	    sizeof(*rs->pats));
	for (i = 0; i < rs->nrules; i++) {
		compile_patterns(rs->rules[i].include, &rs->pats[i].include,
		    &rs->pats[i].ninclude);
		compile_patterns(rs->rules[i].exclude, &rs->pats[i].exclude,
		    &rs->pats[i].nexclude);
		n += rs->rules[i].npaths;
	}
	rs->entries = xcalloc(n > 0 ? n : 1, sizeof(*rs->entries));
	for (i = 0; i < rs->nrules; i++)
		/* A services rule's paths are its unit directories only. */
		for (j = 0; rs->rules[i].type == RULE_FILES &&
		    j < rs->rules[i].npaths; j++) {
			rs->entries[rs->nentries].rule = &rs->rules[i];
			rs->entries[rs->nentries].rp = &rs->rules[i].paths[j];
			rs->nentries++;
		}
	if (rs->nentries > 1)
		qsort(rs->entries, rs->nentries, sizeof(*rs->entries),
		    entry_cmp);

	/* Roots: rule paths not below another rule path, no duplicates. */
	rs->roots = xcalloc(n > 0 ? n : 1, sizeof(*rs->roots));
	for (i = 0; i < rs->nentries; i++) {
		const struct rule_path *p = rs->entries[i].rp;
		bool below = false;

		for (j = 0; j < rs->nentries && !below; j++) {
			const struct rule_path *q = rs->entries[j].rp;

			if (q->len < p->len &&
			    rules_path_covers(q->path, q->len, p->path, p->len))
				below = true;
		}
		if (!below)
			rs->roots[rs->nroots++] = p->path;
	}
	if (rs->nroots > 1)
		qsort(rs->roots, rs->nroots, sizeof(*rs->roots), root_cmp);
	for (i = j = 0; i < rs->nroots; i++)
		if (j == 0 || strcmp(rs->roots[j - 1], rs->roots[i]) != 0)
			rs->roots[j++] = rs->roots[i];
	rs->nroots = j;
}

/* The subject a pattern of the given scope is matched against. */
static const char *
subject(const struct pattern *pat, const char *path, size_t len,
    const struct rule_path *rp, size_t *ret_len)
{
	const char *slash;

	switch (pat->scope) {
	case PAT_ABS:
		*ret_len = len;
		return path;
	case PAT_REL:
		return rel_part(rp->path, rp->len, path, len, ret_len);
	case PAT_NAME:
	default:
		slash = memrchr(path, '/', len);
		if (slash == NULL) {
			*ret_len = len;
			return path;
		}
		*ret_len = len - (size_t)(slash + 1 - path);
		return slash + 1;
	}
}

static const struct pattern *
first_match(const struct pattern *v, size_t n, const char *path, size_t len,
    const struct rule_path *rp)
{
	const char *s;
	size_t i, slen;

	for (i = 0; i < n; i++) {
		s = subject(&v[i], path, len, rp, &slen);
		if (glob_match(v[i].glob, s, slen))
			return &v[i];
	}
	return NULL;
}

/* Why an entry does not take a path it contains. */
enum verdict {
	V_COVERED,
	V_DEPTH,
	V_EXCLUDED,
	V_NOT_INCLUDED,
	V_DIR_WITH_INCLUDE,
};

static enum verdict
judge(const struct ruleset *rs, const struct rs_entry *e, const char *path,
    size_t len, bool is_dir, const struct pattern **ret_pat)
{
	const struct rule_pats *pp = &rs->pats[e->rule->index];
	const struct pattern *pat;

	*ret_pat = NULL;
	if (e->rule->depth >= 0 && rules_rel_depth(e->rp->path, e->rp->len,
	    path, len) > e->rule->depth)
		return V_DEPTH;
	if ((pat = first_match(pp->exclude, pp->nexclude, path, len,
	    e->rp)) != NULL) {
		*ret_pat = pat;
		return V_EXCLUDED;
	}
	if (pp->ninclude == 0)
		return V_COVERED;
	if (is_dir)
		return V_DIR_WITH_INCLUDE;
	/* A path the rule names itself needs no include. */
	if (len == e->rp->len)
		return V_COVERED;
	if (first_match(pp->include, pp->ninclude, path, len, e->rp) == NULL)
		return V_NOT_INCLUDED;
	return V_COVERED;
}

const struct rule *
ruleset_match(const struct ruleset *rs, const char *path, size_t len,
    bool is_dir, const struct rule_path **ret_root)
{
	const struct pattern *pat;
	size_t i;

	for (i = 0; i < rs->nentries; i++) {
		const struct rs_entry *e = &rs->entries[i];

		if (e->rp->len > len || !rules_path_covers(e->rp->path,
		    e->rp->len, path, len))
			continue;
		if (judge(rs, e, path, len, is_dir, &pat) != V_COVERED)
			continue;
		if (ret_root != NULL)
			*ret_root = e->rp;
		return e->rule;
	}
	return NULL;
}

/* Whether an exclude of the entry's rule prunes everything below path. */
static bool
pruned(const struct ruleset *rs, const struct rs_entry *e, const char *path,
    size_t len)
{
	const struct rule_pats *pp = &rs->pats[e->rule->index];
	const char *s;
	size_t i, slen;

	for (i = 0; i < pp->nexclude; i++) {
		if (!pp->exclude[i].prunes)
			continue;
		s = subject(&pp->exclude[i], path, len, e->rp, &slen);
		if (glob_match(pp->exclude[i].glob, s, slen))
			return true;
	}
	return false;
}

bool
ruleset_should_descend(const struct ruleset *rs, const char *path,
    size_t len)
{
	size_t i;

	for (i = 0; i < rs->nentries; i++) {
		const struct rs_entry *e = &rs->entries[i];
		const struct rule_path *rp = e->rp;

		if (rp->len > len) {
			if (rules_path_covers(path, len, rp->path, rp->len))
				return true;	/* a rule path lies below */
			continue;
		}
		if (!rules_path_covers(rp->path, rp->len, path, len))
			continue;
		if (e->rule->depth >= 0 && rules_rel_depth(rp->path, rp->len,
		    path, len) >= e->rule->depth)
			continue;
		if (!pruned(rs, e, path, len))
			return true;
	}
	return false;
}

size_t
ruleset_roots(const struct ruleset *rs, const char *const **ret)
{
	*ret = rs->roots;
	return rs->nroots;
}

int
ruleset_explain(const struct ruleset *rs, const char *path, size_t len,
    bool is_dir, struct buf *b)
{
	const struct rule *winner = NULL;
	const struct rule_path *wroot = NULL;
	const struct pattern *pat;
	size_t i, seen = 0;
	int r = 0;

	for (i = 0; i < rs->nentries && r == 0; i++) {
		const struct rs_entry *e = &rs->entries[i];
		const struct rule *ru = e->rule;
		enum verdict v;

		if (e->rp->len > len || !rules_path_covers(e->rp->path,
		    e->rp->len, path, len))
			continue;
		seen++;
		v = judge(rs, e, path, len, is_dir, &pat);
		r = buf_addf(b, "rule %s (%s:%u:%u), path %s: ", ru->name,
		    ru->pos.file, ru->pos.line, ru->pos.column, e->rp->path);
		if (r < 0)
			break;
		switch (v) {
		case V_COVERED:
			if (winner == NULL) {
				winner = ru;
				wroot = e->rp;
				r = buf_adds(b, "covers it (most specific)\n");
			} else
				r = buf_addf(b, "covers it, but %s is more "
				    "specific\n", winner->name);
			break;
		case V_DEPTH:
			r = buf_addf(b, "beyond depth %d\n", ru->depth);
			break;
		case V_EXCLUDED:
			r = buf_addf(b, "excluded by \"%s\"\n", pat->glob);
			break;
		case V_NOT_INCLUDED:
			r = buf_adds(b, "matches no include pattern\n");
			break;
		case V_DIR_WITH_INCLUDE:
			r = buf_adds(b, "a directory, walked but not recorded "
			    "(the rule has include patterns)\n");
			break;
		}
	}
	if (r < 0)
		return -ENOSPC;
	if (winner != NULL)
		r = buf_addf(b, "=> rule %s (path %s, severity %s)\n",
		    winner->name, wroot->path, severity_name(winner->severity));
	else if (seen == 0)
		r = buf_adds(b, "=> not covered: no rule path contains it\n");
	else
		r = buf_adds(b, "=> not covered\n");
	return r < 0 ? -ENOSPC : 0;
}
