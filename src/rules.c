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

#define RULE_DEFAULT_RESCAN	3600
#define RULE_DEFAULT_MAX_SIZE	((uint64_t)1 << 30)

void
rules_report(struct rules_loader *l, enum diag_severity sev, unsigned line,
    unsigned column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(l->diag, sev, l->file, line, column, fmt, ap);
	va_end(ap);
	if (sev == DIAG_ERROR)
		l->errors++;
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


static const struct rule *
find_rule(const struct ruleset *rs, const char *name)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return &rs->rules[i];
	return NULL;
}

static const char *const rule_type_names[RULE_TYPE_COUNT] = {
	[RULE_FILES] = "files",
	[RULE_PORTS] = "ports",
	[RULE_PACKAGES] = "packages",
	[RULE_SERVICES] = "services",
};

const char *
rule_type_name(enum rule_type t)
{
	return (unsigned)t < RULE_TYPE_COUNT ? rule_type_names[t] : "unknown";
}

int
rule_type_from_name(const char *name)
{
	int t;

	for (t = 0; t < RULE_TYPE_COUNT; t++) {
		if (strcmp(name, rule_type_names[t]) == 0)
			return t;
	}
	return -ENOENT;
}

const struct rule *
ruleset_entity(const struct ruleset *rs, enum rule_type t)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].type == t && t != RULE_FILES)
			return &rs->rules[i];
	return NULL;
}

/*
 * The checks of a rule of an entity (entity.h): it has no paths and
 * none of the keys about files, and it is the only one of its type.
 */
static void
check_entity_rule(struct rules_loader *l, struct rule *r,
    const struct rule_seen *seen)
{
	const struct rule *dup;

	static const char *const unit_dirs[] = RULE_DEFAULT_UNIT_DIRS;
	size_t i;

	if (seen->files_key != NULL)
		ERR_KEY(l, seen->files_pos, "\"%s\" does not apply to a "
		    "rule of type \"%s\"", seen->files_key,
		    rule_type_name(r->type));
	/* The unit directories, for services; nothing for the others. */
	if (seen->paths != NULL && r->type != RULE_SERVICES)
		ERR_KEY(l, seen->paths, "\"paths\" does not apply to a "
		    "rule of type \"%s\"", rule_type_name(r->type));
	if (seen->paths == NULL && r->type == RULE_SERVICES) {
		r->paths = xcalloc(2, sizeof(*r->paths));
		for (i = 0; i < 2; i++) {
			r->paths[i].path = xstrdup(unit_dirs[i]);
			r->paths[i].len = strlen(unit_dirs[i]);
			r->paths[i].pos = r->pos;
		}
		r->npaths = 2;
	}
	if ((dup = ruleset_entity(l->rs, r->type)) != NULL)
		ERR_AT(l, seen->type, "a second rule of type \"%s\" (the "
		    "first, %s, at %s:%u:%u)", rule_type_name(r->type),
		    dup->name, dup->pos.file, dup->pos.line, dup->pos.column);
	if (r->type == RULE_PORTS && seen->rescan == NULL)
		r->rescan = RULE_DEFAULT_PORTS_RESCAN;
	r->attrs = 0;
	r->algos = 0;
}

static void
parse_rule(struct rules_loader *l, json_t *o, const struct jsonpos *p)
{
	struct ruleset *rs = l->rs;
	struct rule r;
	struct rule_seen seen;
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
	r.history = RULE_DEFAULT_HISTORY;
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
		rules_set_key(l, &r, &seen, key, v, kp);
	}
	if (seen.depth != NULL && seen.recursive != NULL)
		ERR_KEY(l, seen.depth > seen.recursive ? seen.depth :
		    seen.recursive, "\"depth\" and \"recursive\" cannot both "
		    "be set");
	if (seen.name == NULL)
		ERR_AT(l, p, "rule has no \"name\"");
	if (r.type != RULE_FILES)
		check_entity_rule(l, &r, &seen);
	else if (seen.paths == NULL)
		ERR_AT(l, p, "rule%s%s has no \"paths\"",
		    r.name != NULL ? " " : "", r.name != NULL ? r.name : "");
	if (r.name != NULL && seen.name != NULL &&
	    (dup = find_rule(rs, r.name)) != NULL)
		ERR_AT(l, seen.name, "duplicate rule name \"%s\" (first "
		    "defined at %s:%u:%u)", r.name, dup->pos.file,
		    dup->pos.line, dup->pos.column);
	if (seen.hash != NULL && !(r.attrs & ATTR_BIT(ATTR_HASH)))
		rules_report(l, DIAG_WARNING, seen.hash->key_line,
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
		rules_report(l, DIAG_ERROR,
		    jerr.line > 0 ? (unsigned)jerr.line : 0,
		    jerr.column > 0 ? (unsigned)jerr.column : 0,
		    "JSON syntax error: %s", jerr.text);
		return;
	}
	if (jsonpos_scan(text, len, &pos) < 0) {
		rules_report(l, DIAG_ERROR, 0, 0, "cannot locate JSON values");
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

/*
 * Overlaps are notes, not warnings: the shipped rules overlap on purpose
 * (identity's /etc/passwd inside system-config's /etc), and a note is
 * printed only with -v.
 */
static void
note_overlaps(struct rules_loader *l)
{
	struct ruleset *rs = l->rs;
	size_t i, j, a, b;

	for (i = 0; i < rs->nrules; i++)
	for (a = 0; rs->rules[i].type == RULE_FILES &&
	    a < rs->rules[i].npaths; a++) {
		const struct rule *x = &rs->rules[i];
		const struct rule_path *px = &x->paths[a];

		for (j = 0; j < rs->nrules; j++)
		for (b = 0; rs->rules[j].type == RULE_FILES &&
		    b < rs->rules[j].npaths; b++) {
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
				rules_report(l, DIAG_NOTE, px->pos.line,
				    px->pos.column, "rule %s and rule %s both "
				    "list %s: %s wins (loaded first)", x->name,
				    y->name, px->path, y->name);
			else if (x == y)
				rules_report(l, DIAG_NOTE, px->pos.line,
				    px->pos.column, "path %s is already "
				    "covered by %s in the same rule",
				    px->path, py->path);
			else if (y->depth < 0 || d <= y->depth)
				rules_report(l, DIAG_NOTE, px->pos.line,
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
		if (r->type != RULE_FILES)	/* older digests stay */
			json_object_set_new(o, "type",
			    json_string(rule_type_name(r->type)));
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
	note_overlaps(l);
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
