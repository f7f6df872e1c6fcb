/*
 * The modes that talk to the running daemon over its control socket:
 * --status, --accept, --rescan, --reopen, and --query when a daemon
 * answers.  Human output by default; --json prints the reply as it came.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cmd.h"
#include "cmdutil.h"
#include "control.h"
#include "exitcode.h"
#include "log.h"
#include "pathenc.h"
#include "record.h"
#include "rules.h"

/* Most verbs answer at once; accept hashes its files inline. */
#define CTL_TIMEOUT_MS		10000
#define CTL_ACCEPT_TIMEOUT_MS	120000

static bool
no_daemon(int r)
{
	return r == -ECONNREFUSED || r == -ENOENT || r == -ENOTSOCK;
}

/*
 * Send req (consumed) and return the reply in *ret, or an exit status
 * with the reason logged.
 */
static int
ctl_call(const struct fimd_config *c, json_t *req, int timeout_ms,
    json_t **ret)
{
	int r;

	r = control_request(c->socket_path, req, timeout_ms, ret);
	json_decref(req);
	if (r == 0)
		return 0;
	if (no_daemon(r))
		log_warnx("no daemon answers on %s", c->socket_path);
	else if (r == -ETIMEDOUT)
		log_warnx("the daemon on %s did not answer in time",
		    c->socket_path);
	else if (r == -EBADMSG)
		log_warnx("the daemon on %s sent a malformed reply",
		    c->socket_path);
	else {
		errno = -r;
		log_warn("cannot talk to the daemon on %s", c->socket_path);
	}
	return EXIT_IO_ERROR;
}

static void
print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/*
 * --json prints the reply; either way a refusal is logged.  Returns 0
 * when the daemon said ok, else EXIT_IO_ERROR.
 */
static int
check_ok(const struct fimd_config *c, const json_t *reply)
{
	const char *err;

	if (c->json)
		print_json(reply);
	if (json_is_true(json_object_get(reply, "ok")))
		return 0;
	err = json_string_value(json_object_get(reply, "error"));
	log_warnx("the daemon refused: %s", err != NULL ? err :
	    "no reason given");
	return EXIT_IO_ERROR;
}

static json_t *
verb(const char *name)
{
	json_t *req = json_object();

	json_object_set_new(req, "verb", json_string(name));
	return req;
}

/* The operands, absolute, into "paths" / "paths_escaped" of req. */
static int
add_paths(const struct fimd_config *c, json_t *req)
{
	json_t *plain = json_array(), *escaped = json_array();
	struct buf p, e;
	int i, r = 0;

	buf_init(&p, BUF_MAX_DEFAULT);
	buf_init(&e, BUF_MAX_DEFAULT);
	for (i = 0; i < c->noperands && r == 0; i++) {
		buf_reset(&p);
		if ((r = cmd_abspath(c->operands[i], &p)) < 0) {
			errno = -r;
			log_warn("%s", c->operands[i]);
			break;
		}
		if (pathenc_is_utf8(p.data, p.len)) {
			json_array_append_new(plain, json_stringn(p.data,
			    p.len));
			continue;
		}
		buf_reset(&e);
		(void)pathenc_escape(p.data, p.len, &e);
		json_array_append_new(escaped, json_stringn(e.data, e.len));
	}
	buf_release(&p);
	buf_release(&e);
	json_object_set_new(req, "paths", plain);
	if (json_array_size(escaped) > 0)
		json_object_set_new(req, "paths_escaped", escaped);
	else
		json_decref(escaped);
	return r;
}

/* A string of a reply for a terminal: C0, C1 and bidi controls escaped. */
static void
display(const json_t *v, struct buf *out)
{
	buf_reset(out);
	if (!json_is_string(v))
		(void)buf_adds(out, "?");
	else
		(void)pathenc_visible(json_string_value(v),
		    json_string_length(v), out);
}

static void
print_str(const char *label, const json_t *v)
{
	struct buf b;

	buf_init(&b, BUF_MAX_DEFAULT);
	display(v, &b);
	printf("%s%s\n", label, b.data);
	buf_release(&b);
}

/* ---- --status ---- */

static long long
num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return 0;
}

static const char *
str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

/* "2d 3h", "1h", "5m 30s": the two largest units, zeros left out. */
static void
print_duration(long long s)
{
	static const struct {
		long long secs;
		char	 unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i;
	int shown = 0;

	for (i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
		if (s < units[i].secs && shown == 0 && units[i].secs > 1)
			continue;
		if (s / units[i].secs > 0 || (shown == 0 && units[i].secs == 1))
			printf("%s%lld%c", shown > 0 ? " " : "",
			    s / units[i].secs, units[i].unit);
		shown++;
		s %= units[i].secs;
	}
}

static void
print_rules(const json_t *rules)
{
	const json_t *r;
	size_t i;

	if (json_array_size(rules) == 0)
		return;
	printf("rules:\n");
	json_array_foreach(rules, i, r) {
		print_str("  ", json_object_get(r, "name"));
		printf("    realtime %s, rescan every ",
		    json_is_true(json_object_get(r, "realtime")) ? "yes" :
		    "no");
		print_duration(num(r, "rescan_s"));
		printf(", changes %lld\n", num(r, "changes"));
		printf("    last rescan %s", str(r, "last_rescan", "never"));
		if (json_object_get(r, "last_rescan_ms") != NULL &&
		    json_is_string(json_object_get(r, "last_rescan")))
			printf(" (%.0f ms)", json_number_value(
			    json_object_get(r, "last_rescan_ms")));
		printf(", next %s\n", str(r, "next_rescan", "not scheduled"));
	}
}

/* Each rule of an entity: what it holds, when it was last checked. */
static void
print_entities(json_t *ents)
{
	const json_t *e;
	const char *type;
	struct buf b;

	if (json_object_size(ents) == 0)
		return;
	buf_init(&b, BUF_MAX_DEFAULT);
	printf("entities:\n");
	json_object_foreach(ents, type, e) {
		display(json_object_get(e, "rule"), &b);
		printf("  %s (rule %s): %lld held, %lld checks, %lld changes\n",
		    type, b.data, num(e, "items"), num(e, "checks"),
		    num(e, "changes"));
		printf("    last checked %s", str(e, "last_check", "never"));
		if (json_is_number(json_object_get(e, "last_cpu_ms")) &&
		    json_is_string(json_object_get(e, "last_check")))
			printf(" (%.1f ms of CPU)", json_number_value(
			    json_object_get(e, "last_cpu_ms")));
		printf("\n");
	}
	buf_release(&b);
}

static void
print_status(const json_t *st)
{
	const json_t *lat = json_object_get(st, "latency_ms");
	const json_t *mem = json_object_get(st, "memory");
	const json_t *at = json_object_get(st, "attribution");

	printf("fimd %s, pid %lld, up ", str(st, "version", "?"),
	    num(st, "pid"));
	print_duration(num(st, "uptime_s"));
	printf(" (since %s)\n", str(st, "started", "?"));
	printf("backend:      %s\n", str(st, "backend", "?"));
	printf("files:        %lld\n", num(st, "files"));
	printf("marks:        %lld (directories watched %lld; %lld of the "
	    "marks ignore directories outside the rules)\n",
	    num(st, "marks"), num(st, "dirs"), num(st, "ignore_marks"));
	printf("events:       %lld (%lld probes redone after a rename "
	    "overtook them)\n", num(st, "events"), num(st, "stale_probes"));
	printf("alerts:       %lld (next seq %lld), %lld not written\n",
	    num(st, "alerts"), num(st, "seq"), num(st, "unwritten"));
	printf("overflows:    %lld, gaps %lld\n", num(st, "overflows"),
	    num(st, "gaps"));
	printf("alert file:   %lld write errors, %lld alerts waiting in "
	    "memory (%lld so far), %lld dropped\n", num(st, "sink_errors"),
	    num(st, "spooled"), num(st, "spooled_total"), num(st, "dropped"));
	printf("work:         %lld queued events, %lld pending, "
	    "%lld hashing, %lld long files waiting, %lld rescans queued\n",
	    num(st, "queued"), num(st, "pending"), num(st, "hashing"),
	    num(st, "hashing_waiting"), num(st, "rescans_queued"));
	printf("unreadable:   %lld\n", num(st, "unreadable"));
	if (lat != NULL && json_is_number(json_object_get(lat, "p50")))
		printf("latency:      p50 %.1f ms, p99 %.1f ms "
		    "(%lld alerts)\n",
		    json_number_value(json_object_get(lat, "p50")),
		    json_number_value(json_object_get(lat, "p99")),
		    num(lat, "samples"));
	else
		printf("latency:      no alerts yet\n");
	if (mem != NULL)
		printf("memory:       %lld KiB resident, baseline %lld KiB\n",
		    num(mem, "rss_kb"), num(mem, "baseline_bytes") / 1024);
	if (at != NULL)
		printf("attribution:  connector %s (%lld lost), exit records "
		    "%s (%lld matched), proven %lld, cached %lld, "
		    "unnamed %lld\n",
		    json_is_true(json_object_get(at, "connector")) ? "on" :
		    "off", num(at, "connector_lost"),
		    json_is_true(json_object_get(at, "exit_records")) ? "on" :
		    "off", num(at, "records"), num(at, "proven"),
		    num(at, "cached"), num(at, "unnamed"));
	print_str("alert file:   ", json_object_get(st, "alert_file"));
	print_entities(json_object_get(st, "entities"));
	print_rules(json_object_get(st, "rules"));
}

int
cmd_status(const struct fimd_config *c)
{
	json_t *reply;
	int r;

	if ((r = ctl_call(c, verb("status"), CTL_TIMEOUT_MS, &reply)) != 0)
		return r;
	if ((r = check_ok(c, reply)) == 0 && !c->json)
		print_status(reply);
	json_decref(reply);
	return r;
}

/* ---- --accept ---- */

int
cmd_accept(const struct fimd_config *c)
{
	json_t *req = verb("accept"), *reply, *v;
	struct buf b;
	size_t i, nmissing;
	int r;

	if (add_paths(c, req) < 0) {
		json_decref(req);
		return EXIT_IO_ERROR;
	}
	if (c->reason != NULL)
		json_object_set_new(req, "reason", json_string(c->reason));
	if ((r = ctl_call(c, req, CTL_ACCEPT_TIMEOUT_MS, &reply)) != 0)
		return r;
	r = check_ok(c, reply);
	nmissing = json_array_size(json_object_get(reply, "missing"));
	if (!c->json) {
		json_array_foreach(json_object_get(reply, "accepted"), i, v)
			print_str("accepted: ", v);
	}
	/* Not covered by any rule, or unreadable. */
	buf_init(&b, BUF_MAX_DEFAULT);
	json_array_foreach(json_object_get(reply, "missing"), i, v) {
		display(v, &b);
		log_warnx("%s: not accepted (no rule covers it, or it "
		    "cannot be read)", b.data);
	}
	buf_release(&b);
	json_decref(reply);
	return r != 0 ? r : nmissing > 0 ? 1 : EXIT_OK;
}

/* ---- --window ---- */

static void
print_window(const json_t *w)
{
	const json_t *rules = json_object_get(w, "rules"), *v;
	const char *k;
	struct buf b;
	size_t i;

	buf_init(&b, BUF_MAX_DEFAULT);
	printf("window %lld", num(w, "id"));
	display(json_object_get(w, "reason"), &b);
	printf(": %s\n", b.data);
	display(json_object_get(w, "user"), &b);
	printf("  opened   %s by %s (uid %lld)\n",
	    json_string_value(json_object_get(w, "opened")), b.data,
	    num(w, "uid"));
	if (json_is_string(json_object_get(w, "expires")))
		printf("  expires  %s\n",
		    json_string_value(json_object_get(w, "expires")));
	printf("  rules    ");
	if (json_array_size(rules) == 0)
		printf("every rule");
	json_array_foreach(rules, i, v) {
		display(v, &b);
		printf("%s%s", i > 0 ? ", " : "", b.data);
	}
	printf("\n  changes  %lld\n", num(w, "changes"));
	json_object_foreach(json_object_get(w, "by_rule"), k, v) {
		buf_reset(&b);
		(void)pathenc_visible(k, strlen(k), &b);
		printf("    rule %s: %lld\n", b.data, (long long)
		    json_integer_value(v));
	}
	json_object_foreach(json_object_get(w, "by_writer"), k, v) {
		buf_reset(&b);
		(void)pathenc_visible(k, strlen(k), &b);
		printf("    by %s: %lld\n", b.data, (long long)
		    json_integer_value(v));
	}
	if (json_is_string(json_object_get(w, "closed")))
		printf("  %s\n", json_string_value(json_object_get(w,
		    "closed")));
	buf_release(&b);
}

static json_t *
window_request(const struct fimd_config *c)
{
	json_t *req = verb("window"), *rules;
	size_t i;

	json_object_set_new(req, "action", json_string(c->window_action));
	if (c->reason != NULL)
		json_object_set_new(req, "reason", json_string(c->reason));
	if (c->window_ttl > 0)
		json_object_set_new(req, "ttl",
		    json_integer((json_int_t)c->window_ttl));
	if (c->window_id > 0)
		json_object_set_new(req, "id",
		    json_integer((json_int_t)c->window_id));
	if (c->window_accept)
		json_object_set_new(req, "accept", json_true());
	if (c->nwindow_rules > 0) {
		rules = json_array();
		for (i = 0; i < c->nwindow_rules; i++)
			json_array_append_new(rules,
			    json_string(c->window_rules[i]));
		json_object_set_new(req, "rules", rules);
	}
	return req;
}

int
cmd_window(const struct fimd_config *c)
{
	const char *action = c->window_action;
	json_t *reply, *v;
	size_t i;
	int r;

	if (strcmp(action, "open") == 0 && c->reason == NULL) {
		log_warnx("--window open needs --reason TEXT");
		return EXIT_USAGE;
	}
	if (c->window_accept && strcmp(action, "close") != 0) {
		log_warnx("--accept goes with --window close only");
		return EXIT_USAGE;
	}
	if ((r = ctl_call(c, window_request(c), CTL_ACCEPT_TIMEOUT_MS,
	    &reply)) != 0)
		return r;
	if ((r = check_ok(c, reply)) == 0 && !c->json) {
		if (strcmp(action, "list") == 0) {
			if (json_array_size(json_object_get(reply,
			    "windows")) == 0)
				printf("no window is open\n");
			json_array_foreach(json_object_get(reply, "windows"),
			    i, v)
				print_window(v);
		} else {
			printf("%s ", strcmp(action, "open") == 0 ?
			    "opened" : "closed");
			print_window(json_object_get(reply, "window"));
			if (json_is_integer(json_object_get(reply,
			    "accepted")))
				printf("  accepted %lld paths\n",
				    num(reply, "accepted"));
		}
	}
	json_decref(reply);
	return r;
}

/* ---- --rescan, --reopen ---- */

int
cmd_rescan(const struct fimd_config *c)
{
	json_t *req = verb("rescan"), *reply;
	int r;

	if (c->tail_rule != NULL)
		json_object_set_new(req, "rule", json_string(c->tail_rule));
	if ((r = ctl_call(c, req, CTL_TIMEOUT_MS, &reply)) != 0)
		return r;
	if ((r = check_ok(c, reply)) == 0 && !c->json && c->verbosity >= 0) {
		if (c->tail_rule != NULL)
			printf("rescan of rule %s queued (%lld paths)\n",
			    c->tail_rule, num(reply, "queued"));
		else
			printf("rescan of every rule queued\n");
	}
	json_decref(reply);
	return r;
}

int
cmd_reopen(const struct fimd_config *c)
{
	json_t *reply;
	int r;

	if ((r = ctl_call(c, verb("reopen"), CTL_TIMEOUT_MS, &reply)) != 0)
		return r;
	if ((r = check_ok(c, reply)) == 0 && !c->json && c->verbosity >= 0)
		printf("alert file reopened\n");
	json_decref(reply);
	return r;
}

/* ---- --query through the daemon ---- */

static int
print_entry(const struct fimd_config *c, const json_t *e)
{
	const json_t *plain = json_object_get(e, "path");
	const json_t *esc = json_object_get(e, "path_escaped");
	struct record rec;
	const char *why;
	struct buf p;
	json_t *attrs;
	int r;

	if (c->json) {
		print_json(e);
		return 0;
	}
	buf_init(&p, BUF_MAX_DEFAULT);
	if (json_is_string(plain))
		(void)buf_add(&p, json_string_value(plain),
		    json_string_length(plain));
	else if (!json_is_string(esc) || pathenc_unescape(
	    json_string_value(esc), json_string_length(esc), &p) < 0) {
		buf_release(&p);
		log_warnx("the daemon sent an entry without a path");
		return -EBADMSG;
	}
	attrs = json_deep_copy(e);
	json_object_del(attrs, "path");
	json_object_del(attrs, "path_escaped");
	if ((r = record_from_json(attrs, &rec, &why)) < 0)
		log_warnx("the daemon sent a malformed entry: %s", why);
	else {
		cmd_print_record(stdout, p.data, p.len, &rec);
		cmd_print_notes(stdout, json_object_get(e, "accepted"),
		    json_object_get(e, "history"));
		record_release(&rec);
	}
	json_decref(attrs);
	buf_release(&p);
	return r;
}

/* ---- --query --type: the entities ---- */

int
cmd_entity_names(const struct fimd_config *c, json_t **ret)
{
	json_t *names;
	int i;

	*ret = NULL;
	if (c->noperands == 0)
		return 0;
	names = json_array();
	for (i = 0; i < c->noperands; i++) {
		if (!pathenc_is_utf8(c->operands[i],
		    strlen(c->operands[i]))) {
			struct buf b;

			buf_init(&b, BUF_MAX_DEFAULT);
			cmd_path_display(c->operands[i],
			    strlen(c->operands[i]), &b);
			log_warnx("%s: not UTF-8, which every entity's name "
			    "is", b.data);
			buf_release(&b);
			json_decref(names);
			return EXIT_USAGE;
		}
		json_array_append_new(names, json_string(c->operands[i]));
	}
	*ret = names;
	return 0;
}

/* An attribute's value for people: strings made visible, lists joined. */
static void
value_text(const json_t *v, struct buf *out)
{
	const json_t *x;
	char *s;
	size_t i;

	buf_reset(out);
	if (json_is_string(v)) {
		(void)pathenc_visible(json_string_value(v),
		    json_string_length(v), out);
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (i > 0)
				(void)buf_adds(out, ", ");
			if (json_is_string(x))
				(void)pathenc_visible(json_string_value(x),
				    json_string_length(x), out);
		}
		return;
	}
	if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) != NULL)
		(void)pathenc_visible(s, strlen(s), out);
	free(s);
}

/* "port tcp 127.0.0.1:22", then one attribute a line. */
static void
print_entity(json_t *e)
{
	const char *type = str(e, "type", "?"), *k;
	const json_t *v;
	struct buf b;

	buf_init(&b, BUF_MAX_DEFAULT);
	display(json_object_get(e, "key"), &b);
	printf("%s %s\n", strcmp(type, "ports") == 0 ? "port" :
	    strcmp(type, "packages") == 0 ? "package" : "service", b.data);
	json_object_foreach(e, k, v) {
		if (strcmp(k, "type") == 0 || strcmp(k, "key") == 0)
			continue;
		value_text(v, &b);
		printf("  %-12s %s\n", k, b.data);
	}
	buf_release(&b);
}

int
cmd_print_entities(const struct fimd_config *c, const json_t *reply)
{
	const char *type = str(reply, "type", "entities");
	json_t *v;
	struct buf b;
	size_t i;

	if (!json_is_true(json_object_get(reply, "held"))) {
		log_warnx("the baseline holds no %s: no rule of type %s has "
		    "recorded them (fimd --explain --type %s)", type, type,
		    type);
		return 1;
	}
	json_array_foreach(json_object_get(reply, "entities"), i, v) {
		if (c->json)
			print_json(v);
		else
			print_entity(v);
	}
	buf_init(&b, BUF_MAX_DEFAULT);
	json_array_foreach(json_object_get(reply, "missing"), i, v) {
		display(v, &b);
		log_warnx("%s %s: no such entity in the baseline", type,
		    b.data);
	}
	buf_release(&b);
	return json_array_size(json_object_get(reply, "missing")) > 0 ? 1 :
	    EXIT_OK;
}

/* The request of --query: paths, or with --type the entity's names. */
static int
query_request(const struct fimd_config *c, json_t **ret)
{
	json_t *req = verb("query"), *names;
	int r;

	*ret = NULL;
	if (c->query_type != RULE_FILES) {
		if ((r = cmd_entity_names(c, &names)) != 0) {
			json_decref(req);
			return r;
		}
		json_object_set_new(req, "type", json_string(rule_type_name(
		    (enum rule_type)c->query_type)));
		if (names != NULL)
			json_object_set_new(req, "names", names);
	} else if (add_paths(c, req) < 0) {
		json_decref(req);
		return EXIT_IO_ERROR;
	}
	*ret = req;
	return 0;
}

int
cmd_query_daemon(const struct fimd_config *c, bool *ret_answered)
{
	json_t *req, *reply, *v;
	struct buf b;
	size_t i;
	int r, bad = 0;

	*ret_answered = false;
	if ((r = query_request(c, &req)) != 0)
		return r;
	if (c->history)
		json_object_set_new(req, "history", json_true());
	r = control_request(c->socket_path, req, CTL_TIMEOUT_MS, &reply);
	json_decref(req);
	if (r < 0) {
		/* No daemon we may talk to: the baseline file answers. */
		if (!no_daemon(r))
			log_debug("control socket %s: %s; reading the "
			    "baseline file", c->socket_path, strerror(-r));
		return 0;
	}
	*ret_answered = true;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		r = check_ok(c, reply);
		json_decref(reply);
		return r;
	}
	if (c->query_type != RULE_FILES) {
		r = cmd_print_entities(c, reply);
		json_decref(reply);
		return r;
	}
	json_array_foreach(json_object_get(reply, "entries"), i, v) {
		if (print_entry(c, v) < 0)
			bad++;
	}
	buf_init(&b, BUF_MAX_DEFAULT);
	json_array_foreach(json_object_get(reply, "missing"), i, v) {
		display(v, &b);
		log_warnx("%s: not in the baseline (fimd --explain says "
		    "whether a rule covers it)", b.data);
	}
	buf_release(&b);
	r = bad > 0 ? EXIT_IO_ERROR :
	    json_array_size(json_object_get(reply, "missing")) > 0 ? 1 :
	    EXIT_OK;
	json_decref(reply);
	return r;
}
