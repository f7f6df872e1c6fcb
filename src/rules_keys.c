/*
 * rules_keys: the keys of a rule object (fimd.rules(5)), one handler
 * each, and the table that names them; parse_rule (rules.c) hands every
 * key here.  A new key is a handler and one row of rule_keys.
 */
#include <errno.h>
#include <limits.h>
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
/* One handler per key a rule object may hold (rule_keys below). */
typedef void rule_key_fn(struct rules_loader *l, struct rule *r,
    struct rule_seen *seen, const char *key, json_t *v,
    const struct jsonpos *p);

static void
key_name(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
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
key_description(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	if (want_string(l, key, v, p)) {
		free(r->description);
		r->description = xstrdup(json_string_value(v));
	}
}

static void
key_paths(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	seen->paths = p;
	each_string(l, r, key, v, p, add_path);
}

static void
key_recursive(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	bool b;

	seen->recursive = p;
	if (want_bool(l, key, v, p, &b) && seen->depth == NULL)
		r->depth = b ? -1 : 1;
}

static void
key_depth(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
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
key_include(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	each_string(l, r, key, v, p, add_include);
}

static void
key_exclude(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	each_string(l, r, key, v, p, add_exclude);
}

static void
key_attributes(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	seen->attributes = p;
	r->attrs = 0;
	each_string(l, r, key, v, p, add_attribute);
}

static void
key_hash(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	seen->hash = p;
	r->algos = 0;
	each_string(l, r, key, v, p, add_algo);
}

static void
key_severity(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
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
key_realtime(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	key_switch(l, key, v, p, &r->realtime);
}

static void
key_follow_symlinks(struct rules_loader *l, struct rule *r,
    struct rule_seen *seen, const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	key_switch(l, key, v, p, &r->follow_symlinks);
}

static void
key_paranoid(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	key_switch(l, key, v, p, &r->paranoid);
}

static void
key_package_changes(struct rules_loader *l, struct rule *r,
    struct rule_seen *seen, const char *key, json_t *v, const struct jsonpos *p)
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
key_type(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	int t;

	seen->type = p;
	if (!want_string(l, key, v, p))
		return;
	if ((t = rule_type_from_name(json_string_value(v))) >= 0) {
		r->type = (enum rule_type)t;
		return;
	}
	ERR_AT(l, p, "unknown rule type \"%s\" (files, ports, packages, "
	    "services)",
	    json_string_value(v));
}

static void
key_rescan(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	uint64_t u;

	seen->rescan = p;
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
key_max_size(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
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
key_diff(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	key_switch(l, key, v, p, &r->diff);
}

static void
key_diff_max(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
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

static void
key_history(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	(void)seen;
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= RULE_HISTORY_LIMIT)
		r->history = (unsigned)json_integer_value(v);
	else
		ERR_AT(l, p, "\"%s\" must be a number of states from 0 to "
		    "%d", key, RULE_HISTORY_LIMIT);
}

static void
key_window_severity(struct rules_loader *l, struct rule *r,
    struct rule_seen *seen, const char *key, json_t *v, const struct jsonpos *p)
{
	int i;

	(void)seen;
	if (!want_string(l, key, v, p))
		return;
	if ((i = severity_from_name(json_string_value(v))) < 0) {
		ERR_AT(l, p, "unknown severity \"%s\" for \"%s\" (low, "
		    "medium, high, critical)", json_string_value(v), key);
		return;
	}
	r->window_severity = (enum severity)i;
	r->has_window_severity = true;
}

/*
 * Every key of a rule object (fimd.rules(5)); a new key is one row.
 * files: the key speaks of files, and a rule of an entity refuses it.
 */
static const struct {
	const char *key;
	rule_key_fn *set;
	bool	 files;
} rule_keys[] = {
	{ "name", key_name, false },
	{ "description", key_description, false },
	{ "type", key_type, false },
	{ "paths", key_paths, false },	/* checked by type */
	{ "recursive", key_recursive, true },
	{ "depth", key_depth, true },
	{ "include", key_include, true },
	{ "exclude", key_exclude, true },
	{ "attributes", key_attributes, true },
	{ "hash", key_hash, true },
	{ "severity", key_severity, false },
	{ "realtime", key_realtime, false },
	{ "follow_symlinks", key_follow_symlinks, true },
	{ "paranoid", key_paranoid, true },
	{ "rescan", key_rescan, false },
	{ "max_size", key_max_size, true },
	{ "package_changes", key_package_changes, true },
	{ "diff", key_diff, true },
	{ "diff_max", key_diff_max, true },
	{ "history", key_history, true },
	{ "window_severity", key_window_severity, false },
};

void
rules_set_key(struct rules_loader *l, struct rule *r, struct rule_seen *seen,
    const char *key, json_t *v, const struct jsonpos *p)
{
	size_t i;

	for (i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++) {
		if (strcmp(key, rule_keys[i].key) == 0) {
			if (rule_keys[i].files && seen->files_key == NULL) {
				seen->files_key = rule_keys[i].key;
				seen->files_pos = p;
			}
			rule_keys[i].set(l, r, seen, key, v, p);
			return;
		}
	}
	ERR_KEY(l, p, "unknown key \"%s\" in rule", key);
}
