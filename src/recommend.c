/*
 * recommend.c: loading and checking the recommendation file.  Every key
 * is known and checked, with the position jsonpos found for it; a rule
 * template's rule keys are handed to the rule loader (with a stand-in
 * path) so the file can hold no template whose rule would not pass
 * --validate, and the check stays in one place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "glob.h"
#include "jsonpos.h"
#include "recommend.h"
#include "xmalloc.h"

struct loader {
	const char *file;
	struct diag *diag;
	size_t	 errors;
};

/* Keys of a template that are the recommendation's, not the rule's. */
static const char *const template_keys[] = {
	"from", "relative_to", "conffiles", "paths", NULL,
};

static void
report(struct loader *l, const struct jsonpos *p, bool key,
    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(struct loader *l, const struct jsonpos *p, bool key,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(l->diag, DIAG_ERROR, l->file, key ? p->key_line : p->line,
	    key ? p->key_column : p->column, fmt, ap);
	va_end(ap);
	l->errors++;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
want_one(struct loader *l, const char *key, json_t *e,
    const struct jsonpos *ep, const char *(*check)(const char *),
    char ***ret, size_t *n)
{
	const char *why;

	if (!json_is_string(e)) {
		report(l, ep, false, "\"%s\" must hold strings", key);
		return;
	}
	if (check != NULL && (why = check(json_string_value(e))) != NULL) {
		report(l, ep, false, "\"%s\": \"%s\" %s", key,
		    json_string_value(e), why);
		return;
	}
	*ret = xreallocarray(*ret, *n + 1, sizeof(**ret));
	(*ret)[(*n)++] = xstrdup(json_string_value(e));
}

/*
 * A string or a list of strings into *ret (appended); check, when not
 * NULL, refuses an element with a reason.
 */
static void
want_strings(struct loader *l, const char *key, json_t *v,
    const struct jsonpos *p, const char *(*check)(const char *),
    char ***ret, size_t *n)
{
	const struct jsonpos *ep;
	json_t *e;
	size_t i;

	if (json_is_string(v)) {
		want_one(l, key, v, p, check, ret, n);
		return;
	}
	if (!json_is_array(v)) {
		report(l, p, false, "\"%s\" must be a string or a list of "
		    "strings", key);
		return;
	}
	json_array_foreach(v, i, e) {
		if ((ep = jsonpos_kid(p, i)) == NULL)
			ep = p;
		want_one(l, key, e, ep, check, ret, n);
	}
}

static const char *
check_absolute(const char *s)
{
	return s[0] == '/' ? NULL : "is not an absolute path";
}

static const char *
check_pattern(const char *s)
{
	size_t off;

	return glob_validate(s, &off) == 0 ? NULL : "is not a valid pattern";
}

static const char *
check_name(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return "must start with a lowercase letter or a digit";
	for (i = 1; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr("._-", s[i])))
			return "may hold only a-z, 0-9, \".\", \"_\" and \"-\"";
	}
	return i > 64 ? "is longer than 64 bytes" : NULL;
}

static bool
want_bool(struct loader *l, const char *key, json_t *v,
    const struct jsonpos *p, bool *ret)
{
	if (!json_is_boolean(v)) {
		report(l, p, false, "\"%s\" must be true or false", key);
		return false;
	}
	*ret = json_is_true(v);
	return true;
}

static void
source_release(struct rec_source *s)
{
	strv_free(s->files, s->nfiles);
}

static void
parse_source(struct loader *l, json_t *o, const struct jsonpos *p,
    struct rec_entry *e)
{
	struct rec_source s = { .syntax = CONFSCAN_NGINX };
	const struct jsonpos *kp;
	bool have_syntax = false;
	const char *key;
	size_t i = 0;
	json_t *v;
	int syn;

	if (!json_is_object(o)) {
		report(l, p, false, "a \"config\" element must be an object");
		return;
	}
	json_object_foreach(o, key, v) {
		if ((kp = jsonpos_kid(p, i++)) == NULL)
			kp = p;
		if (strcmp(key, "files") == 0)
			want_strings(l, key, v, kp, check_absolute, &s.files,
			    &s.nfiles);
		else if (strcmp(key, "enabled_units") == 0)
			(void)want_bool(l, key, v, kp, &s.enabled_units);
		else if (strcmp(key, "syntax") == 0) {
			have_syntax = true;
			if (!json_is_string(v) || (syn =
			    confscan_syntax_from_name(json_string_value(v))) <
			    0)
				report(l, kp, false, "\"syntax\" must be "
				    "\"nginx\", \"apache\" or \"keyvalue\"");
			else
				s.syntax = (enum confscan_syntax)syn;
		} else
			report(l, kp, true, "unknown key \"%s\" in a config "
			    "source", key);
	}
	if (!have_syntax)
		report(l, p, false, "a config source needs \"syntax\"");
	e->sources = xreallocarray(e->sources, e->nsources + 1,
	    sizeof(*e->sources));
	e->sources[e->nsources++] = s;
}

static bool
is_template_key(const char *key)
{
	size_t i;

	for (i = 0; template_keys[i] != NULL; i++) {
		if (strcmp(key, template_keys[i]) == 0)
			return true;
	}
	return false;
}

/*
 * The rule keys through the rule loader, with "/" standing in for the
 * paths: its messages are given at the template's position.
 */
static void
check_rule_keys(struct loader *l, const struct rec_template *t,
    const struct jsonpos *p)
{
	json_t *copy = json_deep_copy(t->rule), *file, *paths;
	struct ruleset *rs = NULL;
	struct diag d;
	char *text;
	size_t i;

	paths = json_array();
	json_array_append_new(paths, json_string("/"));
	json_object_set_new(copy, "paths", paths);
	file = json_pack("{s:[o]}", "rules", copy);
	text = json_dumps(file, JSON_COMPACT);
	json_decref(file);
	if (text == NULL)
		return;
	diag_init(&d);
	if (ruleset_load_buffer(l->file, text, strlen(text), &rs, &d) < 0) {
		for (i = 0; i < d.n; i++) {
			if (d.v[i].severity == DIAG_ERROR)
				report(l, p, false, "rule template \"%s\": %s",
				    t->name != NULL ? t->name : "?",
				    d.v[i].message);
		}
	}
	ruleset_free(rs);
	diag_release(&d);
	free(text);
}

static void
template_release(struct rec_template *t)
{
	free(t->name);
	json_decref(t->rule);
	strv_free(t->paths, t->npaths);
	strv_free(t->from, t->nfrom);
	free(t->relative_to);
}

static void
template_key(struct loader *l, struct rec_template *t, const char *key,
    json_t *v, const struct jsonpos *kp)
{
	if (strcmp(key, "paths") == 0)
		want_strings(l, key, v, kp, check_absolute, &t->paths,
		    &t->npaths);
	else if (strcmp(key, "from") == 0)
		want_strings(l, key, v, kp, NULL, &t->from, &t->nfrom);
	else if (strcmp(key, "conffiles") == 0)
		(void)want_bool(l, key, v, kp, &t->conffiles);
	else if (strcmp(key, "relative_to") == 0) {
		if (!json_is_string(v) ||
		    check_absolute(json_string_value(v)) != NULL)
			report(l, kp, false, "\"relative_to\" must be an "
			    "absolute path");
		else
			t->relative_to = xstrdup(json_string_value(v));
	}
}

static void
parse_template(struct loader *l, json_t *o, const struct jsonpos *p,
    struct rec_entry *e)
{
	struct rec_template t;
	const struct jsonpos *kp;
	size_t i = 0, errors = l->errors;
	const char *key;
	json_t *v;

	memset(&t, 0, sizeof(t));
	if (!json_is_object(o)) {
		report(l, p, false, "a rule template must be an object");
		return;
	}
	t.rule = json_object();
	json_object_foreach(o, key, v) {
		if ((kp = jsonpos_kid(p, i++)) == NULL)
			kp = p;
		if (is_template_key(key))
			template_key(l, &t, key, v, kp);
		else
			json_object_set(t.rule, key, v);
	}
	if (json_is_string(json_object_get(o, "name")))
		t.name = xstrdup(json_string_value(json_object_get(o, "name")));
	if (t.npaths == 0 && t.nfrom == 0 && !t.conffiles)
		report(l, p, false, "rule template \"%s\" names no path: give "
		    "\"paths\", \"from\" or \"conffiles\"",
		    t.name != NULL ? t.name : "?");
	if (t.nfrom > 0 && e->nsources == 0)
		report(l, p, false, "rule template \"%s\" takes paths \"from\" "
		    "directives, but the entry has no \"config\" (give it "
		    "before \"rules\")", t.name != NULL ? t.name : "?");
	check_rule_keys(l, &t, p);
	if (l->errors != errors) {
		template_release(&t);
		return;
	}
	e->rules = xreallocarray(e->rules, e->nrules + 1, sizeof(*e->rules));
	e->rules[e->nrules++] = t;
}

static void
each_object(struct loader *l, const char *key, json_t *v,
    const struct jsonpos *p, struct rec_entry *e,
    void (*fn)(struct loader *, json_t *, const struct jsonpos *,
    struct rec_entry *))
{
	const struct jsonpos *ep;
	json_t *o;
	size_t i;

	if (!json_is_array(v)) {
		report(l, p, false, "\"%s\" must be a list of objects", key);
		return;
	}
	json_array_foreach(v, i, o) {
		if ((ep = jsonpos_kid(p, i)) == NULL)
			ep = p;
		fn(l, o, ep, e);
	}
}

static void
entry_release(struct rec_entry *e)
{
	size_t i;

	free(e->name);
	strv_free(e->packages, e->npackages);
	strv_free(e->units, e->nunits);
	for (i = 0; i < e->nsources; i++)
		source_release(&e->sources[i]);
	free(e->sources);
	for (i = 0; i < e->nrules; i++)
		template_release(&e->rules[i]);
	free(e->rules);
}

static void
entry_name(struct loader *l, struct rec_entry *e, json_t *v,
    const struct jsonpos *kp)
{
	const char *why;

	if (!json_is_string(v))
		report(l, kp, false, "\"name\" must be a string");
	else if ((why = check_name(json_string_value(v))) != NULL)
		report(l, kp, false, "name \"%s\" %s", json_string_value(v),
		    why);
	else
		e->name = xstrdup(json_string_value(v));
}

static void
entry_key(struct loader *l, struct rec_entry *e, const char *key, json_t *v,
    const struct jsonpos *kp)
{
	if (strcmp(key, "name") == 0)
		entry_name(l, e, v, kp);
	else if (strcmp(key, "description") == 0) {
		if (!json_is_string(v))
			report(l, kp, false, "\"description\" must be a "
			    "string");
	} else if (strcmp(key, "packages") == 0)
		want_strings(l, key, v, kp, check_pattern, &e->packages,
		    &e->npackages);
	else if (strcmp(key, "units") == 0)
		want_strings(l, key, v, kp, check_pattern, &e->units,
		    &e->nunits);
	else if (strcmp(key, "config") == 0)
		each_object(l, key, v, kp, e, parse_source);
	else if (strcmp(key, "rules") == 0)
		each_object(l, key, v, kp, e, parse_template);
	else
		report(l, kp, true, "unknown key \"%s\" in an entry", key);
}

static void
parse_entry(struct loader *l, json_t *o, const struct jsonpos *p,
    struct recset *set)
{
	struct rec_entry e;
	const struct jsonpos *kp;
	size_t i = 0, errors = l->errors;
	const char *key;
	json_t *v;

	memset(&e, 0, sizeof(e));
	e.line = p->line;
	if (!json_is_object(o)) {
		report(l, p, false, "an entry must be an object");
		return;
	}
	json_object_foreach(o, key, v) {
		if ((kp = jsonpos_kid(p, i++)) == NULL)
			kp = p;
		entry_key(l, &e, key, v, kp);
	}
	if (e.name == NULL && l->errors == errors)
		report(l, p, false, "an entry needs a \"name\"");
	if (e.npackages == 0 && e.nunits == 0)
		report(l, p, false, "entry \"%s\" needs \"packages\" or "
		    "\"units\" that trigger it", e.name ? e.name : "?");
	if (e.nrules == 0 && l->errors == errors)
		report(l, p, false, "entry \"%s\" has no \"rules\"",
		    e.name ? e.name : "?");
	if (l->errors != errors) {
		entry_release(&e);
		return;
	}
	set->v = xreallocarray(set->v, set->n + 1, sizeof(*set->v));
	set->v[set->n++] = e;
}

/* Entry names become file names and rule names must be unique. */
static void
check_unique(struct loader *l, const struct recset *set)
{
	size_t i, j, a, b;

	for (i = 0; i < set->n; i++)
	for (j = i + 1; j < set->n; j++) {
		if (strcmp(set->v[i].name, set->v[j].name) == 0)
			diag_add(l->diag, DIAG_ERROR, l->file, set->v[j].line,
			    0, "entry \"%s\" is given twice", set->v[j].name);
		for (a = 0; a < set->v[i].nrules; a++)
		for (b = 0; b < set->v[j].nrules; b++) {
			if (strcmp(set->v[i].rules[a].name,
			    set->v[j].rules[b].name) == 0)
				diag_add(l->diag, DIAG_ERROR, l->file,
				    set->v[j].line, 0, "rule \"%s\" of entry "
				    "\"%s\" is also in \"%s\"",
				    set->v[j].rules[b].name, set->v[j].name,
				    set->v[i].name);
		}
	}
}

static void
parse_top(struct loader *l, json_t *root, const struct jsonpos *pos,
    struct recset *set)
{
	const struct jsonpos *kp, *ep;
	const char *key;
	size_t i = 0, j;
	json_t *v, *e;

	if (!json_is_object(root)) {
		report(l, pos, false, "a recommendation file must be an "
		    "object {\"recommendations\": [...]}");
		return;
	}
	if (json_object_get(root, "recommendations") == NULL)
		report(l, pos, false, "no \"recommendations\" list");
	json_object_foreach(root, key, v) {
		if ((kp = jsonpos_kid(pos, i++)) == NULL)
			kp = pos;
		if (strcmp(key, "recommendations") != 0) {
			report(l, kp, true, "unknown key \"%s\" at top level",
			    key);
			continue;
		}
		if (!json_is_array(v)) {
			report(l, kp, false, "\"recommendations\" must be a "
			    "list of entries");
			continue;
		}
		json_array_foreach(v, j, e) {
			if ((ep = jsonpos_kid(kp, j)) == NULL)
				ep = kp;
			parse_entry(l, e, ep, set);
		}
	}
}

int
recset_load_buffer(const char *filename, const char *text, size_t len,
    struct recset **ret, struct diag *diag)
{
	struct loader l = { .file = filename, .diag = diag };
	struct recset *set;
	struct jsonpos pos;
	json_error_t jerr;
	size_t errors = diag->errors;
	json_t *root;

	*ret = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		diag_add(diag, DIAG_ERROR, filename,
		    jerr.line > 0 ? (unsigned)jerr.line : 0,
		    jerr.column > 0 ? (unsigned)jerr.column : 0,
		    "JSON syntax error: %s", jerr.text);
		return -EINVAL;
	}
	if (jsonpos_scan(text, len, &pos) < 0) {
		diag_add(diag, DIAG_ERROR, filename, 0, 0,
		    "cannot locate JSON values");
		json_decref(root);
		return -EINVAL;
	}
	set = xcalloc(1, sizeof(*set));
	set->file = xstrdup(filename);
	parse_top(&l, root, &pos, set);
	if (l.errors == 0)
		check_unique(&l, set);
	jsonpos_release(&pos);
	json_decref(root);
	if (l.errors > 0 || diag->errors != errors) {
		recset_free(set);
		return -EINVAL;
	}
	*ret = set;
	return 0;
}

int
recset_load(const char *path, struct recset **ret, struct diag *diag)
{
	char *text;
	size_t len;
	int r;

	*ret = NULL;
	if ((r = fileio_read_path(path, RECSET_MAX_SIZE, &text, &len)) < 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot read the "
		    "recommendations: %s", strerror(-r));
		return r;
	}
	r = recset_load_buffer(path, text, len, ret, diag);
	free(text);
	return r;
}

void
recset_free(struct recset *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		entry_release(&set->v[i]);
	free(set->v);
	free(set->file);
	free(set);
}
