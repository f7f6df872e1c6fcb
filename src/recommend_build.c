/*
 * recommend_build: the proposals of recommend.h.  Per triggered entry,
 * each template gathers candidate paths (its own, expanded on the host;
 * the triggering packages' conffiles; the values of the directives it
 * names, from the entry's configuration files, each read once), keeps
 * those that exist on the host, drops one that lies below another of
 * the same rule, and sets aside those the rules in force cover.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fileio.h"
#include "glob.h"
#include "pathenc.h"
#include "recommend_int.h"
#include "xmalloc.h"

struct cands {
	char	**v;
	size_t	 n;
};

/* One entry being built. */
struct build {
	const struct rec_entry *e;
	struct rec_host *h;
	const struct ruleset *rs;
	struct diag *diag;
	struct cands *per;	/* one per template */
	const struct rec_source *src;	/* the source being read */
	const char *file;	/* the config file being read, root and all */
	size_t	 files_read;
};

static void
cands_add(struct cands *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->v[i], path) == 0)
			return;
	}
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = xstrdup(path);
}

static void
cands_release(struct cands *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
}

static void
add_expanded(const char *path, void *arg)
{
	cands_add(arg, path);
}

/* Whether b is a or below it. */
static bool
path_covers(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strncmp(a, b, n) != 0)
		return false;
	return b[n] == '\0' || b[n] == '/' || (n == 1 && a[0] == '/');
}

/*
 * A lexically normal absolute path into out: no "//", no "." names, no
 * trailing "/".  NULL, or why it cannot be one.
 */
static const char *
normalise(const char *base, const char *v, size_t n, struct buf *out)
{
	size_t i = 0, start;
	struct buf in;
	const char *why = NULL;

	buf_init(&in, BUF_MAX_DEFAULT);
	if (v[0] != '/' && base != NULL)
		(void)buf_addf(&in, "%s/", base);
	(void)buf_add(&in, v, n);
	buf_reset(out);
	if (in.data[0] != '/')
		why = "is not an absolute path";
	while (why == NULL && i < in.len) {
		while (i < in.len && in.data[i] == '/')
			i++;
		for (start = i; i < in.len && in.data[i] != '/'; i++)
			;
		if (i - start == 1 && in.data[start] == '.')
			continue;
		if (i - start == 2 && memcmp(in.data + start, "..", 2) == 0)
			why = "has a \"..\" name";
		else if (i > start) {
			(void)buf_addc(out, '/');
			(void)buf_add(out, in.data + start, i - start);
		}
	}
	if (why == NULL && out->len == 0)
		(void)buf_addc(out, '/');
	buf_release(&in);
	return why;
}

static const char *
value_path(const struct build *b, const struct rec_template *t,
    const struct confscan_hit *hit, struct buf *out)
{
	struct buf norm;
	const char *why;

	if (memchr(hit->value, '\0', hit->value_len) != NULL)
		return "holds a NUL byte";
	if (memchr(hit->value, '$', hit->value_len) != NULL ||
	    memchr(hit->value, '%', hit->value_len) != NULL)
		return "names a variable, which only the server expands";
	if (!pathenc_is_utf8(hit->value, hit->value_len))
		return "is not UTF-8, which a rule file cannot hold";
	buf_init(&norm, BUF_MAX_DEFAULT);
	why = normalise(t->relative_to, hit->value, hit->value_len, &norm);
	if (why == NULL && rec_host_resolve_dirs(b->h, norm.data, out) < 0)
		why = "lies below a loop of symlinks";
	if (why == NULL && !rec_host_exists(b->h, out->data, NULL))
		why = "does not exist here";
	buf_release(&norm);
	return why;
}

static bool
names_directive(const struct rec_template *t, const struct confscan_hit *hit)
{
	size_t i;

	for (i = 0; i < t->nfrom; i++) {
		if (strlen(t->from[i]) == hit->name_len &&
		    strncasecmp(t->from[i], hit->name, hit->name_len) == 0)
			return true;
	}
	return false;
}

static void
on_directive(const struct confscan_hit *hit, void *arg)
{
	struct build *b = arg;
	const struct rec_template *t;
	struct buf path, shown;
	const char *why;
	size_t i;

	buf_init(&path, BUF_MAX_DEFAULT);
	buf_init(&shown, BUF_MAX_DEFAULT);
	for (i = 0; i < b->e->nrules; i++) {
		t = &b->e->rules[i];
		if (!names_directive(t, hit))
			continue;
		if ((why = value_path(b, t, hit, &path)) == NULL) {
			cands_add(&b->per[i], path.data);
			continue;
		}
		buf_reset(&shown);
		(void)pathenc_escape(hit->value, hit->value_len, &shown);
		diag_add(b->diag, DIAG_NOTE, b->file, hit->line, 0,
		    "%.*s \"%s\" %s: not proposed", (int)hit->name_len,
		    hit->name, shown.data, why);
	}
	buf_release(&path);
	buf_release(&shown);
}

static void
read_config(const char *file, void *arg)
{
	struct build *b = arg;
	char *p, *text;
	size_t len;

	if (b->files_read >= REC_EXPAND_MAX)
		return;
	b->files_read++;
	p = rec_host_path(b->h, file);
	if (fileio_read_path(p, REC_CONFIG_MAX_SIZE, &text, &len) == 0) {
		b->file = p;	/* notes name the file as read */
		(void)confscan_parse(b->src->syntax, text, len, on_directive,
		    b);
		free(text);
	}
	free(p);
}

/* The directive values of every config source, to their templates. */
static void
read_sources(struct build *b)
{
	const struct rec_entry *e = b->e;
	size_t i, j;

	for (i = 0; i < e->nsources; i++) {
		b->src = &e->sources[i];
		for (j = 0; j < b->src->nfiles; j++)
			rec_host_expand(b->h, b->src->files[j], read_config, b);
		if (b->src->enabled_units)
			rec_host_unit_files(b->h, read_config, b);
	}
}

static bool
pattern_any(char *const *pats, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (glob_match(pats[i], name, strlen(name)))
			return true;
	}
	return false;
}

/* What triggers e here: packages and units into two arrays. */
static bool
triggered(const struct rec_entry *e, const struct rec_host *h,
    json_t *pkgs, json_t *units)
{
	size_t i;

	for (i = 0; i < h->npkgs; i++) {
		if (pattern_any(e->packages, e->npackages, h->pkgs[i].name))
			json_array_append_new(pkgs,
			    json_string(h->pkgs[i].name));
	}
	for (i = 0; i < h->nunits; i++) {
		if (pattern_any(e->units, e->nunits, h->units[i]) &&
		    pathenc_is_utf8(h->units[i], strlen(h->units[i])))
			json_array_append_new(units, json_string(h->units[i]));
	}
	return json_array_size(pkgs) > 0 || json_array_size(units) > 0;
}

static void
add_conffiles(const struct rec_entry *e, const struct rec_host *h,
    struct cands *c)
{
	size_t i, j;

	for (i = 0; i < h->npkgs; i++) {
		if (!pattern_any(e->packages, e->npackages, h->pkgs[i].name))
			continue;
		for (j = 0; j < h->pkgs[i].nconffiles; j++)
			cands_add(c, h->pkgs[i].conffiles[j]);
	}
}

/* Candidate i lies below (or repeats) another one kept before it. */
static bool
redundant(const struct cands *c, const bool *gone, size_t i)
{
	size_t j;

	for (j = 0; j < c->n; j++) {
		if (j == i || gone[j] || !path_covers(c->v[j], c->v[i]))
			continue;
		if (strcmp(c->v[j], c->v[i]) != 0 || j < i)
			return true;
	}
	return false;
}

static void
array_add_unique(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return;
	}
	json_array_append_new(a, json_string(s));
}

/*
 * Whether the rules in force cover path, as --explain says.  A directory
 * that a rule with include patterns names itself counts as covered too:
 * its files are, as far as the patterns take them.
 */
static bool
covered_here(const struct ruleset *rs, const char *path, bool is_dir)
{
	const struct rule_path *root = NULL;
	size_t len = strlen(path);

	if (rs == NULL)
		return false;
	if (ruleset_match(rs, path, len, is_dir, NULL) != NULL)
		return true;
	return is_dir && ruleset_match(rs, path, len, false, &root) != NULL &&
	    root != NULL && root->len == len;
}

/* The paths of one template that a rule should cover: a new array. */
static json_t *
keep_paths(struct build *b, struct cands *c, json_t *covered)
{
	json_t *paths = json_array();
	bool *gone = xcalloc(c->n + 1, sizeof(*gone));
	bool is_dir;
	size_t i;

	for (i = 0; i < c->n; i++)
		gone[i] = !pathenc_is_utf8(c->v[i], strlen(c->v[i])) ||
		    !rec_host_exists(b->h, c->v[i], NULL);
	for (i = 0; i < c->n; i++) {
		if (gone[i] || redundant(c, gone, i)) {
			gone[i] = true;
			continue;
		}
		(void)rec_host_exists(b->h, c->v[i], &is_dir);
		if (covered_here(b->rs, c->v[i], is_dir))
			array_add_unique(covered, c->v[i]);
		else
			json_array_append_new(paths, json_string(c->v[i]));
	}
	free(gone);
	return paths;
}

/* The rule: name, description, paths, then the template's other keys. */
static json_t *
make_rule(const struct build *b, const struct rec_template *t, json_t *paths)
{
	json_t *rule = json_object(), *v;
	const char *key;
	char *name;

	if (b->rs != NULL && ruleset_find(b->rs, t->name) != NULL)
		name = xasprintf("%s-recommended", t->name);
	else
		name = xstrdup(t->name);
	json_object_set_new(rule, "name", json_string(name));
	free(name);
	if ((v = json_object_get(t->rule, "description")) != NULL)
		json_object_set(rule, "description", v);
	json_object_set_new(rule, "paths", paths);
	json_object_foreach(t->rule, key, v) {
		if (strcmp(key, "name") != 0 && strcmp(key, "description") != 0)
			json_object_set(rule, key, v);
	}
	return rule;
}

static json_t *
build_entry(struct build *b, json_t *pkgs, json_t *units)
{
	const struct rec_entry *e = b->e;
	json_t *out, *rules = json_array(), *covered = json_array(), *paths;
	size_t i, j;
	char *file;

	b->per = xcalloc(e->nrules, sizeof(*b->per));
	for (i = 0; i < e->nrules; i++) {
		for (j = 0; j < e->rules[i].npaths; j++)
			rec_host_expand(b->h, e->rules[i].paths[j],
			    add_expanded, &b->per[i]);
		if (e->rules[i].conffiles)
			add_conffiles(e, b->h, &b->per[i]);
	}
	read_sources(b);
	for (i = 0; i < e->nrules; i++) {
		paths = keep_paths(b, &b->per[i], covered);
		if (json_array_size(paths) > 0)
			json_array_append_new(rules,
			    make_rule(b, &e->rules[i], paths));
		else
			json_decref(paths);
		cands_release(&b->per[i]);
	}
	free(b->per);
	file = recommend_file_name(e);
	out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "name", e->name,
	    "file", file, "packages", pkgs, "units", units, "rules", rules,
	    "covered", covered);
	free(file);
	return out;
}

char *
recommend_file_name(const struct rec_entry *e)
{
	return xasprintf("50-recommend-%s.json", e->name);
}

json_t *
recommend_build(const struct recset *set, struct rec_host *host,
    const struct ruleset *rs, struct diag *diag)
{
	json_t *all = json_array(), *pkgs, *units;
	struct build b;
	size_t i;

	for (i = 0; i < set->n; i++) {
		pkgs = json_array();
		units = json_array();
		if (!triggered(&set->v[i], host, pkgs, units)) {
			json_decref(pkgs);
			json_decref(units);
			continue;
		}
		memset(&b, 0, sizeof(b));
		b.e = &set->v[i];
		b.h = host;
		b.rs = rs;
		b.diag = diag;
		json_array_append_new(all, build_entry(&b, pkgs, units));
	}
	return all;
}
