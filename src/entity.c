/*
 * Entity sets (entity.h): sorting, comparing, the JSON form, and the
 * dispatch to each type's module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "entity_int.h"
#include "xmalloc.h"

void
entity_set_init(struct entity_set *s, enum rule_type type)
{
	memset(s, 0, sizeof(*s));
	s->type = type;
}

void
entity_set_release(struct entity_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].key);
		json_decref(s->v[i].attrs);
	}
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

void
entity_set_add(struct entity_set *s, const char *key, json_t *attrs,
    uint64_t inode)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc == 0 ? 64 : s->alloc * 2;
		s->v = xreallocarray(s->v, s->alloc, sizeof(*s->v));
	}
	s->v[s->n].key = xstrdup(key);
	s->v[s->n].attrs = attrs;
	s->v[s->n].inode = inode;
	s->n++;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct entity_item *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	/* Stable for equal keys: the first added is kept. */
	if (r != 0)
		return r;
	return x < y ? -1 : x > y;
}

void
entity_set_sort(struct entity_set *s)
{
	size_t i, o = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), item_cmp);
	for (i = 1; i < s->n; i++) {
		if (strcmp(s->v[i].key, s->v[o].key) == 0) {
			free(s->v[i].key);
			json_decref(s->v[i].attrs);
			continue;
		}
		s->v[++o] = s->v[i];
	}
	s->n = o + 1;
}

const struct entity_item *
entity_set_find(const struct entity_set *s, const char *key)
{
	size_t lo = 0, hi = s->n, mid;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = strcmp(key, s->v[mid].key)) == 0)
			return &s->v[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void
entity_source_init(struct entity_source *src, const struct rule *rule,
    const char *dpkg_root)
{
	src->proc_root = "/proc";
	src->dpkg_root = dpkg_root;
	src->unit_dirs = rule->paths;
	src->nunit_dirs = rule->type == RULE_SERVICES ? rule->npaths : 0;
}

int
entity_snapshot(enum rule_type type, const struct entity_source *src,
    const struct entity_set *prev, struct entity_set *ret,
    struct entity_cost *cost, struct diag *diag)
{
	struct entity_cost unused;

	entity_set_init(ret, type);
	memset(cost != NULL ? cost : &unused, 0, sizeof(unused));
	switch (type) {
	case RULE_PORTS:
		return ports_snapshot(src->proc_root, prev, ret,
		    cost != NULL ? cost : &unused, diag);
	case RULE_PACKAGES:
		return pkgs_snapshot(src->dpkg_root, ret, diag);
	case RULE_SERVICES:
		return units_snapshot(src->unit_dirs, src->nunit_dirs, ret,
		    diag);
	default:
		return -EINVAL;
	}
}

static const char *
json_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/*
 * What a package's change is, or ACTION_COUNT: none.  Another version is
 * a downgrade when dpkg orders it before the one it replaces.
 */
static enum alert_action
package_change(const json_t *old, const json_t *new)
{
	const char *ov = json_str(old, "version"), *nv = json_str(new,
	    "version");

	if (strcmp(ov, nv) != 0)
		return pkgdb_version_cmp(nv, ov) < 0 ? ACTION_DOWNGRADED :
		    ACTION_UPGRADED;
	if (strcmp(json_str(old, "status"), json_str(new, "status")) != 0)
		return ACTION_CHANGED;
	return ACTION_COUNT;
}

static bool
same_str(const json_t *a, const json_t *b, const char *key)
{
	return json_equal(json_object_get(a, key), json_object_get(b, key)) ||
	    (json_object_get(a, key) == NULL && json_object_get(b, key) ==
	    NULL);
}

/*
 * What a unit's change is, or ACTION_COUNT: masking first, then the
 * targets that want it, then its text.
 */
static enum alert_action
unit_change(const json_t *old, const json_t *new)
{
	const json_t *ow = json_object_get(old, "wanted_by");
	const json_t *nw = json_object_get(new, "wanted_by");
	bool om = strcmp(json_str(old, "state"), "masked") == 0;
	bool nm = strcmp(json_str(new, "state"), "masked") == 0;

	if (om != nm)
		return nm ? ACTION_MASKED : ACTION_UNMASKED;
	if (!same_str(old, new, "wanted_by"))
		return json_array_size(nw) >= json_array_size(ow) ?
		    ACTION_ENABLED : ACTION_DISABLED;
	if (!same_str(old, new, "digest") || !same_str(old, new, "dropins") ||
	    !same_str(old, new, "path") || !same_str(old, new, "link"))
		return ACTION_EDITED;
	return ACTION_COUNT;
}

static enum alert_action
appeared(enum rule_type t)
{
	return t == RULE_PORTS ? ACTION_OPENED : t == RULE_SERVICES ?
	    ACTION_ADDED : ACTION_INSTALLED;
}

static enum alert_action
went(enum rule_type t)
{
	return t == RULE_PORTS ? ACTION_CLOSED : ACTION_REMOVED;
}

size_t
entity_compare(const struct entity_set *old, const struct entity_set *new,
    void (*fn)(const struct entity_change *c, void *arg), void *arg)
{
	struct entity_change c;
	size_t i = 0, j = 0, n = 0;
	int r;

	while (i < old->n || j < new->n) {
		memset(&c, 0, sizeof(c));
		c.type = new->type;
		if (i == old->n)
			r = 1;
		else if (j == new->n)
			r = -1;
		else
			r = strcmp(old->v[i].key, new->v[j].key);
		if (r < 0) {
			c.action = went(c.type);
			c.key = old->v[i].key;
			c.old = old->v[i++].attrs;
		} else if (r > 0) {
			c.action = appeared(c.type);
			c.key = new->v[j].key;
			c.new = new->v[j++].attrs;
		} else {
			c.key = new->v[j].key;
			c.old = old->v[i++].attrs;
			c.new = new->v[j++].attrs;
			/* A port is its address: a new owner is no alert. */
			c.action = c.type == RULE_PACKAGES ?
			    package_change(c.old, c.new) :
			    c.type == RULE_SERVICES ?
			    unit_change(c.old, c.new) : ACTION_COUNT;
			if (c.action == ACTION_COUNT)
				continue;
		}
		n++;
		if (fn != NULL)
			fn(&c, arg);
	}
	return n;
}

json_t *
entity_set_to_json(const struct entity_set *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->n; i++)
		json_array_append(a, s->v[i].attrs);
	return a;
}

bool
entity_key(enum rule_type type, const json_t *attrs, char *buf, size_t size)
{
	int n;

	if (!json_is_object(attrs))
		return false;
	if (type == RULE_PORTS)
		return ports_key(attrs, buf, size);
	if (type == RULE_SERVICES) {
		n = snprintf(buf, size, "%s", json_str(attrs, "name"));
		return n > 0 && (size_t)n < size &&
		    json_is_string(json_object_get(attrs, "state"));
	}
	if (type != RULE_PACKAGES || !json_is_string(json_object_get(attrs,
	    "name")) || !json_is_string(json_object_get(attrs, "version")) ||
	    json_str(attrs, "name")[0] == '\0')
		return false;
	n = json_str(attrs, "architecture")[0] != '\0' ?
	    snprintf(buf, size, "%s:%s", json_str(attrs, "name"),
	    json_str(attrs, "architecture")) :
	    snprintf(buf, size, "%s", json_str(attrs, "name"));
	return n > 0 && (size_t)n < size;
}

int
entity_set_from_json(enum rule_type type, const json_t *a,
    struct entity_set *ret, const char **why)
{
	char key[ENTITY_KEY_MAX];
	const json_t *o;
	size_t i;

	entity_set_init(ret, type);
	if (!json_is_array(a)) {
		*why = "an entity set is not a list";
		return -EINVAL;
	}
	json_array_foreach(a, i, o) {
		if (!entity_key(type, o, key, sizeof(key))) {
			entity_set_release(ret);
			*why = type == RULE_PORTS ? "a port without transport, "
			    "ip and port" : type == RULE_SERVICES ? "a unit "
			    "without name and state" : "a package without "
			    "name and version";
			return -EINVAL;
		}
		entity_set_add(ret, key, json_deep_copy(o), 0);
	}
	entity_set_sort(ret);
	return 0;
}

const char *
entity_attr_names(enum rule_type type)
{
	switch (type) {
	case RULE_PORTS:
		return "transport, ip, port, family, uid, user, and the "
		    "owner's pid, process and executable";
	case RULE_PACKAGES:
		return "name, version, architecture, status";
	case RULE_SERVICES:
		return "name, state, path, link, digest, dropins, wanted_by";
	default:
		return "";
	}
}

int
entity_query_type(const json_t *req, enum rule_type *ret, const char **why)
{
	const json_t *v = json_object_get(req, "type");
	int t;

	*ret = RULE_FILES;
	if (v == NULL)
		return 0;
	/* A NUL inside the string would hide what follows it. */
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v) ||
	    (t = rule_type_from_name(json_string_value(v))) < 0) {
		*why = "\"type\" must be one of \"files\", \"ports\", "
		    "\"packages\", \"services\"";
		return -EINVAL;
	}
	*ret = (enum rule_type)t;
	return 0;
}

static bool
all_digits(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return i > 0 && i <= 5;
}

/* Whether name names the item of type with key and attrs. */
static bool
name_matches(enum rule_type type, const char *key, const json_t *attrs,
    const char *name)
{
	const char *slash = strchr(name, '/');
	size_t n;

	if (strcmp(key, name) == 0)
		return true;
	if (type == RULE_PACKAGES)
		return strchr(name, ':') == NULL &&
		    strcmp(json_str(attrs, "name"), name) == 0;
	if (type != RULE_PORTS)
		return false;
	if (all_digits(name))
		return json_integer_value(json_object_get(attrs, "port")) ==
		    strtol(name, NULL, 10);
	/* "tcp/127.0.0.1:22" for "tcp 127.0.0.1:22", quoting spared. */
	if (slash == NULL)
		return false;
	n = (size_t)(slash - name);
	return strncmp(key, name, n) == 0 && key[n] == ' ' &&
	    strcmp(key + n + 1, slash + 1) == 0;
}

/* names: NULL, or an array of at most the limit of plain strings. */
static bool
names_valid(const json_t *names)
{
	const json_t *v;
	size_t i;

	if (names == NULL)
		return true;
	if (!json_is_array(names) ||
	    json_array_size(names) > ENTITY_QUERY_MAX_NAMES)
		return false;
	json_array_foreach(names, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) !=
		    json_string_length(v))
			return false;
	}
	return true;
}

/* Whether a name of names (NULL: all) names the item; marks which. */
static bool
wanted(enum rule_type type, const char *key, const json_t *attrs,
    const json_t *names, bool *found)
{
	const json_t *v;
	bool any = names == NULL;
	size_t i;

	json_array_foreach(names, i, v) {
		if (name_matches(type, key, attrs, json_string_value(v))) {
			found[i] = true;
			any = true;
		}
	}
	return any;
}

int
entity_query(enum rule_type type, const json_t *list, const json_t *names,
    json_t *reply, const char **why)
{
	char key[ENTITY_KEY_MAX];
	json_t *entities, *missing, *e;
	const json_t *o;
	bool *found;
	size_t i;

	if (!names_valid(names)) {
		*why = "\"names\" must be an array of at most 1024 strings";
		return -EINVAL;
	}
	found = xcalloc(json_array_size(names) + 1, sizeof(*found));
	entities = json_array();
	missing = json_array();
	json_array_foreach(list, i, o) {
		if (!entity_key(type, o, key, sizeof(key)) ||
		    !wanted(type, key, o, names, found))
			continue;
		e = json_object();
		json_object_set_new(e, "type", json_string(
		    rule_type_name(type)));
		json_object_set_new(e, "key", json_string(key));
		json_object_update_missing_new(e, json_deep_copy(o));
		json_array_append_new(entities, e);
	}
	json_array_foreach(names, i, o) {
		if (!found[i])
			json_array_append_new(missing,
			    json_string(json_string_value(o)));
	}
	free(found);
	json_object_set_new(reply, "type", json_string(rule_type_name(type)));
	json_object_set_new(reply, "held", json_boolean(list != NULL));
	json_object_set_new(reply, "entities", entities);
	json_object_set_new(reply, "missing", missing);
	return 0;
}

void
entity_alert(struct alert *a, enum alert_source source,
    const struct rule *rule, const struct entity_change *c)
{
	memset(a, 0, sizeof(*a));
	a->action = c->action;
	a->source = source;
	a->rule = rule;
	a->entity = c;
}
