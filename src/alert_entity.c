/*
 * The alerts about entities (entity.h): a port opened or closed, a
 * package installed, removed, upgraded, downgraded or changed.  Their
 * ECS sections come from the item's attributes (the baseline's own
 * form): server, network, process and user for a port; package for a
 * package.  The attributes are the daemon's own JSON, strings already
 * UTF-8.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "alert_int.h"
#include "entity.h"
#include "pathenc.h"

/* The state the alert speaks of: the new one, or the last one seen. */
static const json_t *
item(const struct alert *a)
{
	return a->entity->new != NULL ? a->entity->new : a->entity->old;
}

static const char *
str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void
copy(json_t *to, const char *to_key, const json_t *from, const char *key)
{
	const json_t *v = json_object_get(from, key);

	if (v != NULL)
		json_object_set_new(to, to_key, json_deep_copy(v));
}

static void
add_text(struct buf *m, const char *s)
{
	if (s != NULL)
		(void)pathenc_visible(s, strlen(s), m);
}

const char *
alert_entity_category(const struct alert *a)
{
	return a->entity->type == RULE_PORTS ? "network" :
	    a->entity->type == RULE_SERVICES ? "configuration" : "package";
}

/*
 * "port tcp 127.0.0.1:8080 opened by python3[42] as root",
 * "package hello 2.10-3 installed", "package less upgraded 590-1 ->
 * 590-2".
 */
void
alert_entity_message(const struct alert *a, struct buf *m)
{
	const struct entity_change *c = a->entity;
	const json_t *it = item(a);
	const json_t *pid = json_object_get(it, "pid");

	if (c->type == RULE_PORTS) {
		(void)buf_adds(m, "port ");
		add_text(m, c->key);
		(void)buf_addf(m, " %s", alert_action_name(a->action));
		if (json_is_integer(pid)) {
			(void)buf_adds(m, " by ");
			add_text(m, str(it, "process"));
			(void)buf_addf(m, "[%" JSON_INTEGER_FORMAT "]",
			    json_integer_value(pid));
		}
		if (str(it, "user") != NULL) {
			(void)buf_adds(m, " as ");
			add_text(m, str(it, "user"));
		}
		return;
	}
	if (c->type == RULE_SERVICES) {
		/* "service nginx.service enabled (multi-user.target)" */
		(void)buf_adds(m, "service ");
		add_text(m, c->key);
		(void)buf_addf(m, " %s", alert_action_name(a->action));
		if (a->action == ACTION_ENABLED ||
		    a->action == ACTION_DISABLED) {
			const json_t *w = json_object_get(it, "wanted_by");
			size_t i;

			(void)buf_adds(m, " (wanted by ");
			for (i = 0; i < json_array_size(w); i++) {
				if (i > 0)
					(void)buf_adds(m, ", ");
				add_text(m, json_string_value(
				    json_array_get(w, i)));
			}
			if (json_array_size(w) == 0)
				(void)buf_adds(m, "nothing");
			(void)buf_addc(m, ')');
		}
		return;
	}
	(void)buf_adds(m, "package ");
	add_text(m, str(it, "name"));
	if (a->action == ACTION_UPGRADED || a->action == ACTION_DOWNGRADED) {
		(void)buf_addf(m, " %s ", alert_action_name(a->action));
		add_text(m, str(c->old, "version"));
		(void)buf_adds(m, " -> ");
		add_text(m, str(c->new, "version"));
		return;
	}
	(void)buf_addc(m, ' ');
	add_text(m, str(it, "version"));
	(void)buf_addf(m, " %s", alert_action_name(a->action));
	if (a->action == ACTION_CHANGED) {
		(void)buf_adds(m, ": ");
		add_text(m, str(c->old, "status"));
		(void)buf_adds(m, " -> ");
		add_text(m, str(c->new, "status"));
	}
}

static void
port_sections(const json_t *it, json_t *o)
{
	json_t *server = json_object(), *net = json_object(), *p, *u;
	char uid[24];

	if (json_is_integer(json_object_get(it, "pid"))) {
		p = json_object();
		copy(p, "pid", it, "pid");
		copy(p, "name", it, "process");
		copy(p, "executable", it, "executable");
		json_object_set_new(o, "process", p);
	}
	if (json_is_integer(json_object_get(it, "uid"))) {
		u = json_object();
		/* ECS ids are strings, as on every other alert. */
		snprintf(uid, sizeof(uid), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(json_object_get(it, "uid")));
		json_object_set_new(u, "id", json_string(uid));
		copy(u, "name", it, "user");
		json_object_set_new(o, "user", u);
	}
	copy(server, "ip", it, "ip");
	copy(server, "port", it, "port");
	json_object_set_new(o, "server", server);
	copy(net, "transport", it, "transport");
	copy(net, "type", it, "family");
	json_object_set_new(o, "network", net);
}

void
alert_entity_sections(const struct alert *a, json_t *o)
{
	const json_t *it = item(a);
	json_t *p;

	if (a->entity->type == RULE_PORTS) {
		port_sections(it, o);
		return;
	}
	if (a->entity->type == RULE_SERVICES) {
		p = json_object();
		copy(p, "name", it, "name");
		json_object_set_new(o, "service", p);
		return;
	}
	p = json_object();
	copy(p, "name", it, "name");
	copy(p, "version", it, "version");
	copy(p, "architecture", it, "architecture");
	json_object_set_new(p, "type", json_string("deb"));
	json_object_set_new(o, "package", p);
}

void
alert_entity_fimd(const struct alert *a, json_t *fimd)
{
	const struct entity_change *c = a->entity;

	json_object_set_new(fimd, "entity",
	    json_string(rule_type_name(c->type)));
	json_object_set_new(fimd, "entity_key", json_string(c->key));
	if (c->type == RULE_SERVICES) {
		copy(fimd, "unit_path", item(a), "path");
		copy(fimd, "unit_state", item(a), "state");
		copy(fimd, "unit_digest", item(a), "digest");
		copy(fimd, "unit_dropins", item(a), "dropins");
		copy(fimd, "wanted_by", item(a), "wanted_by");
		if (c->old != NULL && c->new != NULL)
			copy(fimd, "previous_state", c->old, "state");
		return;
	}
	if (c->type != RULE_PACKAGES)
		return;
	copy(fimd, "package_status", item(a), "status");
	if (a->action == ACTION_UPGRADED || a->action == ACTION_DOWNGRADED)
		copy(fimd, "previous_version", c->old, "version");
	if (a->action == ACTION_CHANGED)
		copy(fimd, "previous_status", c->old, "status");
}
