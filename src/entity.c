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

/* What a package's change is, or ACTION_COUNT: none. */
static enum alert_action
package_change(const json_t *old, const json_t *new)
{
	if (strcmp(json_str(old, "version"), json_str(new, "version")) != 0)
		return ACTION_UPGRADED;
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
