/*
 * rules: loading and checking fimd.rules(5) files; see rules.h.
 *
 * jansson parses the text (and reports syntax errors with their
 * position); jsonpos then gives every key and value its line and column,
 * so each problem is reported where it is.  Every problem of every file
 * is collected before the load fails, so one run of --validate shows
 * them all.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "glob.h"
#include "jsonpos.h"
#include "parse.h"
#include "rules_int.h"
#include "xmalloc.h"

#define RULE_NAME_MAX		128
#define RULE_DEPTH_MAX		4096
#define RULE_DEFAULT_RESCAN	3600
#define RULE_DEFAULT_MAX_SIZE	((uint64_t)1 << 30)

static void
report(struct rules_loader *l, enum diag_severity sev, unsigned line,
    unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
report(struct rules_loader *l, enum diag_severity sev, unsigned line,
    unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(l->diag, sev, l->file, line, column, fmt, ap);
	va_end(ap);
	if (sev == DIAG_ERROR)
		l->errors++;
}

#define ERR_AT(l, pos, ...) \
	report((l), DIAG_ERROR, (pos)->line, (pos)->column, __VA_ARGS__)
#define ERR_KEY(l, pos, ...) \
	report((l), DIAG_ERROR, (pos)->key_line, (pos)->key_column, \
	    __VA_ARGS__)

static void
srcpos_set(struct srcpos *sp, const char *file, const struct jsonpos *p)
{
	sp->file = file;
	sp->line = p->line;
	sp->column = p->column;
}

static void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
rule_release(struct rule *r)
{
	size_t i;

	free(r->name);
	free(r->description);
	for (i = 0; i < r->npaths; i++)
		free(r->paths[i].path);
	free(r->paths);
	strv_free(r->include);
	strv_free(r->exclude);
}

void
ruleset_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->nrules; i++) {
		rule_release(&rs->rules[i]);
		if (rs->pats != NULL) {
			free(rs->pats[i].include);
			free(rs->pats[i].exclude);
		}
	}
	free(rs->rules);
	free(rs->pats);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->entries);
	free(rs->roots);
	free(rs);
}

/*
 * A value that may be one string or a list of strings: call fn for each
 * string with its position.  Reports wrong types.
 */
typedef void string_fn(struct rules_loader *, struct rule *, const char *,
    const struct jsonpos *);

static void
each_string(struct rules_loader *l, struct rule *r, const char *key, json_t *v,
    const struct jsonpos *p, string_fn *fn)
{
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		fn(l, r, json_string_value(v), p);
		return;
	}
	if (!json_is_array(v)) {
		ERR_AT(l, p, "\"%s\" must be a string or a list of strings",
		    key);
		return;
	}
	if (json_array_size(v) == 0) {
		ERR_AT(l, p, "\"%s\" is an empty list", key);
		return;
	}
	json_array_foreach(v, i, e) {
		const struct jsonpos *ep = jsonpos_kid(p, i);

		if (ep == NULL)
			ep = p;
		if (!json_is_string(e)) {
			ERR_AT(l, ep, "\"%s\" must hold only strings", key);
			continue;
		}
		fn(l, r, json_string_value(e), ep);
	}
}

/*
 * Normalise an absolute path: collapse "//", drop a trailing "/", refuse
 * "." and "..".  Returns a new string or NULL with *why set.
 */
static char *
normalise_path(const char *in, const char **why)
{
	size_t n = strlen(in), i, o = 0;
	char *out;

	if (n == 0 || in[0] != '/') {
		*why = "is not absolute";
		return NULL;
	}
	if (n >= PATH_MAX) {
		*why = "is longer than PATH_MAX";
		return NULL;
	}
	out = xmalloc(n + 1);
	for (i = 0; i < n;) {
		size_t start, len;

		while (i < n && in[i] == '/')
			i++;
		start = i;
		while (i < n && in[i] != '/')
			i++;
		len = i - start;
		if (len == 0)
			break;
		if ((len == 1 && in[start] == '.') ||
		    (len == 2 && in[start] == '.' && in[start + 1] == '.')) {
			*why = "has a \".\" or \"..\" component";
			free(out);
			return NULL;
		}
		out[o++] = '/';
		memcpy(out + o, in + start, len);
		o += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

static void
add_path(struct rules_loader *l, struct rule *r, const char *s,
    const struct jsonpos *p)
{
	const char *why = NULL;
	char *norm;
	size_t i;

	if ((norm = normalise_path(s, &why)) == NULL) {
		ERR_AT(l, p, "path \"%s\" %s", s, why);
		return;
	}
	for (i = 0; i < r->npaths; i++) {
		if (strcmp(r->paths[i].path, norm) == 0) {
			ERR_AT(l, p, "path \"%s\" is listed twice", norm);
			free(norm);
			return;
		}
	}
	r->paths = xreallocarray(r->paths, r->npaths + 1, sizeof(*r->paths));
	r->paths[r->npaths].path = norm;
	r->paths[r->npaths].len = strlen(norm);
	srcpos_set(&r->paths[r->npaths].pos, l->file, p);
	r->npaths++;
}

static void
strv_push(char ***v, const char *s)
{
	size_t n = 0;

	if (*v != NULL)
		while ((*v)[n] != NULL)
			n++;
	*v = xreallocarray(*v, n + 2, sizeof(**v));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

static bool
check_glob(struct rules_loader *l, const char *s, const struct jsonpos *p)
{
	size_t off = 0;

	if (*s == '\0') {
		ERR_AT(l, p, "invalid glob: empty pattern");
		return false;
	}
	if (glob_validate(s, &off) < 0) {
		ERR_AT(l, p, "invalid glob \"%s\": %s at offset %zu", s,
		    s[off] == '[' ? "unclosed [" : "trailing backslash", off);
		return false;
	}
	return true;
}

static void
add_include(struct rules_loader *l, struct rule *r, const char *s,
    const struct jsonpos *p)
{
	if (check_glob(l, s, p))
		strv_push(&r->include, s);
}

static void
add_exclude(struct rules_loader *l, struct rule *r, const char *s,
    const struct jsonpos *p)
{
	if (check_glob(l, s, p))
		strv_push(&r->exclude, s);
}

static void
add_attribute(struct rules_loader *l, struct rule *r, const char *s,
    const struct jsonpos *p)
{
	if (attr_parse(s, &r->attrs) < 0)
		ERR_AT(l, p, "unknown attribute or group \"%s\"", s);
}

static void
add_algo(struct rules_loader *l, struct rule *r, const char *s,
    const struct jsonpos *p)
{
	int a = hash_from_name(s);

	if (a < 0)
		ERR_AT(l, p, "unknown hash algorithm \"%s\"", s);
	else
		r->algos |= HASH_BIT(a);
}

static bool
want_bool(struct rules_loader *l, const char *key, json_t *v,
    const struct jsonpos *p, bool *ret)
{
	if (!json_is_boolean(v)) {
		ERR_AT(l, p, "\"%s\" must be true or false", key);
		return false;
	}
	*ret = json_is_true(v);
	return true;
}

static bool
want_string(struct rules_loader *l, const char *key, json_t *v,
    const struct jsonpos *p)
{
	if (!json_is_string(v)) {
		ERR_AT(l, p, "\"%s\" must be a string", key);
		return false;
	}
	return true;
}

/* Which optional keys a rule set, to catch depth with recursive. */
struct seen {
	const struct jsonpos *name, *paths, *recursive, *depth, *attributes,
	    *hash;
};

/* One handler per key a rule object may hold (rule_keys below). */
typedef void rule_key_fn(struct rules_loader *l, struct rule *r,
    struct seen *seen, const char *key, json_t *v, const struct jsonpos *p);

static void
key_name(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	const char *s;

	seen->name = p;
	if (!want_string(l, key, v, p))
		return;
	s = json_string_value(v);
	if (*s == '\0' || strlen(s) > RULE_NAME_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(s)) {
		ERR_AT(l, p, "invalid rule name \"%s\": use 1 to %d of "
		    "A-Z a-z 0-9 _ . -", s, RULE_NAME_MAX);
		return;
	}
	r->name = xstrdup(s);
}

static void
key_description(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	if (want_string(l, key, v, p)) {
		free(r->description);
		r->description = xstrdup(json_string_value(v));
	}
}

static void
key_paths(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	seen->paths = p;
	each_string(l, r, key, v, p, add_path);
}

static void
key_recursive(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	bool b;

	seen->recursive = p;
	if (want_bool(l, key, v, p, &b) && seen->depth == NULL)
		r->depth = b ? -1 : 1;
}

static void
key_depth(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)key;
	seen->depth = p;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > RULE_DEPTH_MAX) {
		ERR_AT(l, p, "\"depth\" must be an integer from 0 to %d",
		    RULE_DEPTH_MAX);
		return;
	}
	r->depth = (int)json_integer_value(v);
}

static void
key_include(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	each_string(l, r, key, v, p, add_include);
}

static void
key_exclude(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	each_string(l, r, key, v, p, add_exclude);
}

static void
key_attributes(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	seen->attributes = p;
	r->attrs = 0;
	each_string(l, r, key, v, p, add_attribute);
}

static void
key_hash(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	seen->hash = p;
	r->algos = 0;
	each_string(l, r, key, v, p, add_algo);
}

static void
key_severity(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	int i;

	(void)seen;
	if (!want_string(l, key, v, p))
		return;
	if ((i = severity_from_name(json_string_value(v))) < 0)
		ERR_AT(l, p, "unknown severity \"%s\" (low, medium, high, "
		    "critical)", json_string_value(v));
	else
		r->severity = (enum severity)i;
}

/* The three boolean switches of a rule. */
static void
key_switch(struct rules_loader *l, const char *key, json_t *v,
    const struct jsonpos *p, bool *field)
{
	bool b;

	if (want_bool(l, key, v, p, &b))
		*field = b;
}

static void
key_realtime(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	key_switch(l, key, v, p, &r->realtime);
}

static void
key_follow_symlinks(struct rules_loader *l, struct rule *r,
    struct seen *seen, const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	key_switch(l, key, v, p, &r->follow_symlinks);
}

static void
key_paranoid(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	key_switch(l, key, v, p, &r->paranoid);
}

static void
key_package_changes(struct rules_loader *l, struct rule *r,
    struct seen *seen, const char *key, json_t *v, const struct jsonpos *p)
{
	const char *s;

	(void)seen;
	if (!want_string(l, key, v, p))
		return;
	s = json_string_value(v);
	if (strcmp(s, "alert") == 0)
		r->summarize_packages = false;
	else if (strcmp(s, "summarize") == 0)
		r->summarize_packages = true;
	else
		ERR_AT(l, p, "unknown value \"%s\" for \"package_changes\" "
		    "(alert, summarize)", s);
}

static void
key_rescan(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	uint64_t u;

	(void)seen;
	(void)key;
	if (json_is_integer(v) && json_integer_value(v) > 0)
		r->rescan = (uint64_t)json_integer_value(v);
	else if (json_is_string(v) &&
	    parse_duration(json_string_value(v), &u) == 0 && u > 0)
		r->rescan = u;
	else if (json_is_string(v))
		ERR_AT(l, p, "invalid duration \"%s\" for \"rescan\": use "
		    "seconds or 30s, 15m, 1h, 1d", json_string_value(v));
	else
		ERR_AT(l, p, "\"rescan\" must be a positive number of "
		    "seconds or a duration string");
}

static void
key_max_size(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	uint64_t u;

	(void)seen;
	(void)key;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		r->max_size = (uint64_t)json_integer_value(v);
	else if (json_is_string(v) &&
	    parse_size(json_string_value(v), &u) == 0)
		r->max_size = u;
	else if (json_is_string(v))
		ERR_AT(l, p, "invalid size \"%s\" for \"max_size\": use "
		    "bytes or 512M, 1GiB...", json_string_value(v));
	else
		ERR_AT(l, p, "\"max_size\" must be a number of bytes or a "
		    "size string");
}

static void
key_diff(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	key_switch(l, key, v, p, &r->diff);
}

static void
key_diff_max(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	uint64_t u = 0;

	(void)seen;
	if (json_is_integer(v) && json_integer_value(v) > 0)
		u = (uint64_t)json_integer_value(v);
	else if (json_is_string(v) && parse_size(json_string_value(v), &u) < 0)
		u = 0;
	if (u > 0 && u <= RULE_DIFF_MAX_LIMIT)
		r->diff_max = u;
	else
		ERR_AT(l, p, "\"%s\" must be a size from 1 byte to 1MiB: a "
		    "number of bytes or a string such as \"64KiB\"", key);
}

/* Every key of a rule object (fimd.rules(5)); a new key is one row. */
static const struct {
	const char *key;
	rule_key_fn *set;
} rule_keys[] = {
	{ "name", key_name },
	{ "description", key_description },
	{ "paths", key_paths },
	{ "recursive", key_recursive },
	{ "depth", key_depth },
	{ "include", key_include },
	{ "exclude", key_exclude },
	{ "attributes", key_attributes },
	{ "hash", key_hash },
	{ "severity", key_severity },
	{ "realtime", key_realtime },
	{ "follow_symlinks", key_follow_symlinks },
	{ "paranoid", key_paranoid },
	{ "rescan", key_rescan },
	{ "max_size", key_max_size },
	{ "package_changes", key_package_changes },
	{ "diff", key_diff },
	{ "diff_max", key_diff_max },
};

static void
set_key(struct rules_loader *l, struct rule *r, struct seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	size_t i;

	for (i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++) {
		if (strcmp(key, rule_keys[i].key) == 0) {
			rule_keys[i].set(l, r, seen, key, v, p);
			return;
		}
	}
	ERR_KEY(l, p, "unknown key \"%s\" in rule", key);
}

static const struct rule *
find_rule(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return &rs->rules[i];
	return NULL;
}

static void
parse_rule(struct rules_loader *l, json_t *o, const struct jsonpos *p)
{
	struct ruleset *rs = l->rs;
	struct rule r;
	struct seen seen;
	const struct rule *dup;
	size_t errors = l->errors, i = 0;
	const char *key;
	json_t *v;

	memset(&r, 0, sizeof(r));
	memset(&seen, 0, sizeof(seen));
	r.description = xstrdup("");
	r.depth = -1;
	r.attrs = ATTR_GROUP_STANDARD;
	r.algos = HASH_DEFAULT_MASK;
	r.severity = SEVERITY_MEDIUM;
	r.realtime = true;
	r.rescan = RULE_DEFAULT_RESCAN;
	r.max_size = RULE_DEFAULT_MAX_SIZE;
	r.diff_max = RULE_DEFAULT_DIFF_MAX;
	srcpos_set(&r.pos, l->file, p);

	if (!json_is_object(o)) {
		ERR_AT(l, p, "a rule must be an object");
		rule_release(&r);
		return;
	}
	json_object_foreach(o, key, v) {
		const struct jsonpos *kp = jsonpos_kid(p, i++);

		if (kp == NULL)
			kp = p;
		set_key(l, &r, &seen, key, v, kp);
	}
	if (seen.depth != NULL && seen.recursive != NULL)
		ERR_KEY(l, seen.depth > seen.recursive ? seen.depth :
		    seen.recursive, "\"depth\" and \"recursive\" cannot both "
		    "be set");
	if (seen.name == NULL)
		ERR_AT(l, p, "rule has no \"name\"");
	if (seen.paths == NULL)
		ERR_AT(l, p, "rule%s%s has no \"paths\"",
		    r.name != NULL ? " " : "", r.name != NULL ? r.name : "");
	if (r.name != NULL && seen.name != NULL &&
	    (dup = find_rule(rs, r.name)) != NULL)
		ERR_AT(l, seen.name, "duplicate rule name \"%s\" (first "
		    "defined at %s:%u:%u)", r.name, dup->pos.file,
		    dup->pos.line, dup->pos.column);
	if (seen.hash != NULL && !(r.attrs & ATTR_BIT(ATTR_HASH)))
		report(l, DIAG_WARNING, seen.hash->key_line,
		    seen.hash->key_column, "\"hash\" has no effect: the "
		    "attributes do not include hash");
	if (!(r.attrs & ATTR_BIT(ATTR_HASH)))
		r.algos = 0;
	if (l->errors != errors) {
		rule_release(&r);
		return;
	}
	if (rs->nrules == l->rules_alloc) {
		l->rules_alloc = l->rules_alloc == 0 ? 16 : l->rules_alloc * 2;
		rs->rules = xreallocarray(rs->rules, l->rules_alloc,
		    sizeof(*rs->rules));
	}
	r.index = (unsigned)rs->nrules;
	rs->rules[rs->nrules++] = r;
}

void
rules_parse_text(struct rules_loader *l, const char *text, size_t len)
{
	struct jsonpos pos;
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	size_t i = 0, j;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		report(l, DIAG_ERROR, jerr.line > 0 ? (unsigned)jerr.line : 0,
		    jerr.column > 0 ? (unsigned)jerr.column : 0,
		    "JSON syntax error: %s", jerr.text);
		return;
	}
	if (jsonpos_scan(text, len, &pos) < 0) {
		report(l, DIAG_ERROR, 0, 0, "cannot locate JSON values");
		json_decref(root);
		return;
	}
	if (!json_is_object(root)) {
		ERR_AT(l, &pos, "a rule file must be an object "
		    "{\"rules\": [...]}");
		goto out;
	}
	if (json_object_get(root, "rules") == NULL)
		ERR_AT(l, &pos, "no \"rules\" list in the file");
	json_object_foreach(root, key, v) {
		const struct jsonpos *kp = jsonpos_kid(&pos, i++);
		const struct jsonpos *ep;
		json_t *e;

		if (kp == NULL)
			kp = &pos;
		if (strcmp(key, "rules") != 0) {
			ERR_KEY(l, kp, "unknown key \"%s\" at top level", key);
			continue;
		}
		if (!json_is_array(v)) {
			ERR_AT(l, kp, "\"rules\" must be a list of rules");
			continue;
		}
		json_array_foreach(v, j, e) {
			ep = jsonpos_kid(kp, j);
			parse_rule(l, e, ep != NULL ? ep : kp);
		}
	}
out:
	jsonpos_release(&pos);
	json_decref(root);
}

const char *
rules_add_file(struct ruleset *rs, const char *name)
{
	rs->files = xreallocarray(rs->files, rs->nfiles + 1,
	    sizeof(*rs->files));
	rs->files[rs->nfiles] = xstrdup(name);
	return rs->files[rs->nfiles++];
}

static void
warn_overlaps(struct rules_loader *l)
{
	struct ruleset *rs = l->rs;
	size_t i, j, a, b;

	for (i = 0; i < rs->nrules; i++)
	for (a = 0; a < rs->rules[i].npaths; a++) {
		const struct rule *x = &rs->rules[i];
		const struct rule_path *px = &x->paths[a];

		for (j = 0; j < rs->nrules; j++)
		for (b = 0; b < rs->rules[j].npaths; b++) {
			const struct rule *y = &rs->rules[j];
			const struct rule_path *py = &y->paths[b];
			int d;

			if (px == py || !rules_path_covers(py->path, py->len,
			    px->path, px->len))
				continue;
			d = rules_rel_depth(py->path, py->len, px->path,
			    px->len);
			l->file = px->pos.file;
			if (d == 0 && j > i)
				continue;	/* reported on the later */
			if (d == 0)
				report(l, DIAG_WARNING, px->pos.line,
				    px->pos.column, "rule %s and rule %s both "
				    "list %s: %s wins (loaded first)", x->name,
				    y->name, px->path, y->name);
			else if (x == y)
				report(l, DIAG_WARNING, px->pos.line,
				    px->pos.column, "path %s is already "
				    "covered by %s in the same rule",
				    px->path, py->path);
			else if (y->depth < 0 || d <= y->depth)
				report(l, DIAG_WARNING, px->pos.line,
				    px->pos.column, "rule %s path %s is more "
				    "specific than rule %s's %s: %s wins there",
				    x->name, px->path, y->name, py->path,
				    x->name);
		}
	}
}

/* Canonical JSON of the rules, hashed for ruleset_digest(). */
static void
compute_digest(struct ruleset *rs)
{
	unsigned char md[32];
	json_t *all = json_array();
	char *text;
	size_t i, j;

	for (i = 0; i < rs->nrules; i++) {
		const struct rule *r = &rs->rules[i];
		json_t *o = json_object(), *paths = json_array();
		json_t *inc = json_array(), *exc = json_array();

		for (j = 0; j < r->npaths; j++)
			json_array_append_new(paths,
			    json_string(r->paths[j].path));
		for (j = 0; r->include != NULL && r->include[j] != NULL; j++)
			json_array_append_new(inc, json_string(r->include[j]));
		for (j = 0; r->exclude != NULL && r->exclude[j] != NULL; j++)
			json_array_append_new(exc, json_string(r->exclude[j]));
		json_object_set_new(o, "name", json_string(r->name));
		json_object_set_new(o, "paths", paths);
		json_object_set_new(o, "depth", json_integer(r->depth));
		json_object_set_new(o, "include", inc);
		json_object_set_new(o, "exclude", exc);
		json_object_set_new(o, "attributes",
		    json_integer((json_int_t)r->attrs));
		json_object_set_new(o, "hash", json_integer(r->algos));
		json_object_set_new(o, "severity",
		    json_string(severity_name(r->severity)));
		json_object_set_new(o, "realtime", json_boolean(r->realtime));
		json_object_set_new(o, "rescan",
		    json_integer((json_int_t)r->rescan));
		json_object_set_new(o, "follow_symlinks",
		    json_boolean(r->follow_symlinks));
		json_object_set_new(o, "max_size",
		    json_integer((json_int_t)r->max_size));
		json_object_set_new(o, "paranoid", json_boolean(r->paranoid));
		if (r->summarize_packages)
			json_object_set_new(o, "package_changes",
			    json_string("summarize"));
		if (r->diff)	/* only then, so older digests stay */
			json_object_set_new(o, "diff", json_integer(
			    (json_int_t)r->diff_max));
		json_array_append_new(all, o);
	}
	text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII);
	json_decref(all);
	if (text == NULL || hash_buffer(HASH_SHA256, text, strlen(text),
	    md) < 0)
		memset(md, 0, sizeof(md));
	free(text);
	memcpy(rs->digest, "sha256:", 7);
	hash_hex(md, sizeof(md), rs->digest + 7);
}

/* Checks and indexes done once every file has been read. */
int
rules_finish(struct rules_loader *l, struct ruleset **ret)
{
	struct ruleset *rs = l->rs;
	size_t i;

	if (l->errors > 0) {
		ruleset_free(rs);
		return -EINVAL;
	}
	warn_overlaps(l);
	for (i = 0; i < rs->nrules; i++)
		rs->algos |= rs->rules[i].algos;
	ruleset_index(rs);
	compute_digest(rs);
	*ret = rs;
	return 0;
}

int
ruleset_load_buffer(const char *filename, const char *text, size_t len,
    struct ruleset **ret, struct diag *diag)
{
	struct rules_loader l;

	memset(&l, 0, sizeof(l));
	l.rs = xcalloc(1, sizeof(*l.rs));
	l.diag = diag;
	l.file = rules_add_file(l.rs, filename);
	rules_parse_text(&l, text, len);
	return rules_finish(&l, ret);
}

size_t
ruleset_count(const struct ruleset *rs)
{
	return rs->nrules;
}

const struct rule *
ruleset_rule(const struct ruleset *rs, size_t i)
{
	return i < rs->nrules ? &rs->rules[i] : NULL;
}

const struct rule *
ruleset_find(const struct ruleset *rs, const char *name)
{
	return find_rule(rs, name);
}

size_t
ruleset_nfiles(const struct ruleset *rs)
{
	return rs->nfiles;
}

const char *
ruleset_file(const struct ruleset *rs, size_t i)
{
	return i < rs->nfiles ? rs->files[i] : NULL;
}

const char *
ruleset_digest(const struct ruleset *rs)
{
	return rs->digest;
}

hash_mask
ruleset_algos(const struct ruleset *rs)
{
	return rs->algos;
}
