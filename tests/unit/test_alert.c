/*
 * Alert objects: the fields and JSON types of every action, field order,
 * seq numbering, paths that are not UTF-8 or hold newlines, the human
 * rendering, and finding the seq to continue an alert file from.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tlib.h"

#include "alert.h"
#include "attr.h"
#include "chain.h"
#include "diff.h"
#include "entity.h"
#include "hash.h"
#include "procinfo.h"
#include "record.h"
#include "rules.h"

/* ---- fixtures ---- */

static struct rule test_rule;
static char rule_name[] = "identity";

static void
fill_record(struct record *r, uint32_t mode, uint64_t size, unsigned char md)
{
	record_init(r);
	r->known = RECORD_STAT_BITS | ATTR_BIT(ATTR_HASH);
	r->mode = mode;
	r->uid = 0;
	r->gid = 0;
	r->nlink = 1;
	r->size = size;
	r->inode = 4242;
	r->mtime.sec = 1700000000;
	r->mtime.nsec = 123456789;
	r->ctime = r->mtime;
	if (S_ISREG(mode)) {
		r->algos = HASH_BIT(HASH_SHA256);
		memset(r->md[HASH_SHA256], md, hash_size(HASH_SHA256));
	}
}

/* By hand: procinfo.c belongs to the daemon side. */
static void
fill_proc(struct procinfo *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = 42;
	p->name = strdup("vi");
	p->executable = strdup("/usr/bin/vi");
	p->ppid = 7;
	p->have_uid = true;
	p->uid = 0;
	p->user_name = strdup("root");
	p->have_loginuid = true;
	p->loginuid = 1000;
	p->login_name = strdup("alice");
}

static void
free_proc(struct procinfo *p)
{
	free(p->name);
	free(p->executable);
	free(p->user_name);
	free(p->login_name);
}

/* Parse one line made by alert_line; checks it is exactly one line. */
static json_t *
one_line(struct alert_stream *s, const struct alert *a)
{
	struct buf b;
	json_t *o;
	json_error_t err;

	buf_init(&b, BUF_MAX_DEFAULT);
	assert_int_equal(alert_line(s, a, NULL, &b), 0);
	assert_true(b.len > 0);
	assert_int_equal(b.data[b.len - 1], '\n');
	assert_null(memchr(b.data, '\n', b.len - 1));
	o = json_loadb(b.data, b.len, 0, &err);
	if (o == NULL)
		fail_msg("bad line: %s: %s", err.text, b.data);
	buf_release(&b);
	return o;
}

/* ---- one JSON type per field ---- */

static const struct {
	const char *path;	/* "x.y"; "a[]" for array elements */
	json_type type;
} field_types[] = {
	{ "@timestamp", JSON_STRING },
	{ "message", JSON_STRING },
	{ "ecs", JSON_OBJECT },
	{ "ecs.version", JSON_STRING },
	{ "event", JSON_OBJECT },
	{ "event.id", JSON_STRING },
	{ "event.kind", JSON_STRING },
	{ "event.category", JSON_ARRAY },
	{ "event.category[]", JSON_STRING },
	{ "event.type", JSON_ARRAY },
	{ "event.type[]", JSON_STRING },
	{ "event.action", JSON_STRING },
	{ "event.module", JSON_STRING },
	{ "event.dataset", JSON_STRING },
	{ "event.severity", JSON_INTEGER },
	{ "event.sequence", JSON_INTEGER },
	{ "event.created", JSON_STRING },
	{ "host", JSON_OBJECT },
	{ "host.name", JSON_STRING },
	{ "host.id", JSON_STRING },
	{ "agent", JSON_OBJECT },
	{ "agent.type", JSON_STRING },
	{ "agent.version", JSON_STRING },
	{ "agent.id", JSON_STRING },
	{ "rule", JSON_OBJECT },
	{ "rule.name", JSON_STRING },
	{ "rule.description", JSON_STRING },
	{ "rule.ruleset", JSON_STRING },
	{ "file", JSON_OBJECT },
	{ "file.path", JSON_STRING },
	{ "file.name", JSON_STRING },
	{ "file.directory", JSON_STRING },
	{ "file.extension", JSON_STRING },
	{ "file.created", JSON_STRING },
	{ "file.attributes", JSON_ARRAY },
	{ "file.attributes[]", JSON_STRING },
	{ "related", JSON_OBJECT },
	{ "related.hash", JSON_ARRAY },
	{ "related.hash[]", JSON_STRING },
	{ "related.user", JSON_ARRAY },
	{ "related.user[]", JSON_STRING },
	{ "file.type", JSON_STRING },
	{ "file.mode", JSON_STRING },
	{ "file.uid", JSON_STRING },
	{ "file.gid", JSON_STRING },
	{ "file.owner", JSON_STRING },
	{ "file.group", JSON_STRING },
	{ "file.size", JSON_INTEGER },
	{ "file.inode", JSON_STRING },
	{ "file.mtime", JSON_STRING },
	{ "file.ctime", JSON_STRING },
	{ "file.hash", JSON_OBJECT },
	{ "file.hash.sha256", JSON_STRING },
	{ "file.target_path", JSON_STRING },
	{ "process", JSON_OBJECT },
	{ "process.pid", JSON_INTEGER },
	{ "process.name", JSON_STRING },
	{ "process.executable", JSON_STRING },
	{ "process.parent", JSON_OBJECT },
	{ "process.parent.pid", JSON_INTEGER },
	{ "user", JSON_OBJECT },
	{ "user.id", JSON_STRING },
	{ "user.name", JSON_STRING },
	{ "user.audit", JSON_OBJECT },
	{ "user.audit.id", JSON_STRING },
	{ "user.audit.name", JSON_STRING },
	{ "fimd", JSON_OBJECT },
	{ "fimd.seq", JSON_INTEGER },
	{ "fimd.source", JSON_STRING },
	{ "fimd.backend", JSON_STRING },
	{ "fimd.severity", JSON_STRING },
	{ "fimd.changed_attributes", JSON_ARRAY },
	{ "fimd.changed_attributes[]", JSON_STRING },
	{ "fimd.changes", JSON_ARRAY },
	{ "fimd.changes[]", JSON_OBJECT },
	{ "fimd.changes[].attribute", JSON_STRING },
	{ "fimd.changes[].old", JSON_STRING },
	{ "fimd.changes[].new", JSON_STRING },
	{ "fimd.previous", JSON_OBJECT },
	{ "fimd.previous.path", JSON_STRING },
	{ "fimd.previous.path_escaped", JSON_STRING },
	{ "fimd.path_encoding", JSON_STRING },
	{ "fimd.path_escaped", JSON_STRING },
	{ "fimd.target_path_escaped", JSON_STRING },
	{ "fimd.still_open", JSON_TRUE },
	{ "fimd.hash_skipped", JSON_TRUE },
	{ "fimd.reason", JSON_STRING },
	{ "fimd.scope", JSON_STRING },
	{ "fimd.scope_escaped", JSON_STRING },
	{ "fimd.count", JSON_INTEGER },
	{ "fimd.version", JSON_STRING },
	{ "fimd.files", JSON_INTEGER },
	{ "fimd.rules", JSON_INTEGER },
	{ "fimd.rules_digest", JSON_STRING },
	{ "fimd.open_gaps", JSON_INTEGER },
	{ "fimd.alerts", JSON_INTEGER },
	{ "fimd.heartbeat", JSON_INTEGER },
	{ "fimd.chain", JSON_STRING },
	{ "server", JSON_OBJECT },
	{ "server.ip", JSON_STRING },
	{ "server.port", JSON_INTEGER },
	{ "network", JSON_OBJECT },
	{ "network.transport", JSON_STRING },
	{ "network.type", JSON_STRING },
	{ "package", JSON_OBJECT },
	{ "package.name", JSON_STRING },
	{ "package.version", JSON_STRING },
	{ "package.architecture", JSON_STRING },
	{ "package.type", JSON_STRING },
	{ "fimd.entity", JSON_STRING },
	{ "fimd.entity_key", JSON_STRING },
	{ "fimd.package_status", JSON_STRING },
	{ "fimd.previous_version", JSON_STRING },
	{ "fimd.previous_status", JSON_STRING },
	{ "service", JSON_OBJECT },
	{ "service.name", JSON_STRING },
	{ "fimd.unit_path", JSON_STRING },
	{ "fimd.unit_state", JSON_STRING },
	{ "fimd.unit_digest", JSON_STRING },
	{ "fimd.unit_dropins", JSON_STRING },
	{ "fimd.wanted_by", JSON_ARRAY },
	{ "fimd.wanted_by[]", JSON_STRING },
	{ "fimd.previous_state", JSON_STRING },
};

/* Every field of v is documented above with the type it has. */
static void
check_types(const char *path, json_t *v)
{
	const char *key;
	json_t *child;
	char *sub;
	size_t i;
	bool found = false;

	for (i = 0; i < sizeof(field_types) / sizeof(field_types[0]); i++) {
		if (strcmp(field_types[i].path, path) != 0)
			continue;
		found = true;
		if (json_typeof(v) != field_types[i].type)
			fail_msg("%s has JSON type %d, want %d", path,
			    json_typeof(v), field_types[i].type);
	}
	if (!found)
		fail_msg("undocumented field %s", path);
	if (json_is_object(v)) {
		json_object_foreach(v, key, child) {
			sub = path[0] == '\0' ? strdup(key) :
			    tlib_fmt("%s.%s", path, key);
			check_types(sub, child);
			free(sub);
		}
	} else if (json_is_array(v)) {
		sub = tlib_fmt("%s[]", path);
		json_array_foreach(v, i, child)
			check_types(sub, child);
		free(sub);
	}
}

static void
check_all_types(json_t *o)
{
	const char *key;
	json_t *child;

	json_object_foreach(o, key, child)
		check_types(key, child);
}

/* Top-level keys in the documented order, skipping absent ones. */
static void
check_order(json_t *o)
{
	static const char *const order[] = { "@timestamp", "message", "ecs",
	    "event", "host", "agent", "rule", "file", "process", "user",
	    "related", "fimd" };
	const char *key;
	json_t *child;
	size_t at = 0, first = 1;

	json_object_foreach(o, key, child) {
		(void)child;
		if (first) {
			assert_string_equal(key, "@timestamp");
			first = 0;
		}
		while (at < sizeof(order) / sizeof(order[0]) &&
		    strcmp(order[at], key) != 0)
			at++;
		if (at == sizeof(order) / sizeof(order[0]))
			fail_msg("key %s out of order", key);
	}
}

/* ---- the actions ---- */

struct action_case {
	const char *name;
	enum alert_action action;
	bool	 old, new, proc;
	attr_mask changed;
	uint32_t new_mode;
	const char *type;	/* event.type[0] */
	const char *kind;
	const char *change;	/* an attribute expected in fimd.changes */
	const char *change_old, *change_new;
};

static const struct action_case action_cases[] = {
	{ "created", ACTION_CREATED, false, true, false, 0,
	    S_IFREG | 0644, "creation", "alert", NULL, NULL, NULL },
	{ "updated", ACTION_UPDATED, true, true, true,
	    ATTR_BIT(ATTR_HASH) | ATTR_BIT(ATTR_SIZE), S_IFREG | 0644,
	    "change", "alert", "size", "10", "20" },
	{ "updated-hash", ACTION_UPDATED, true, true, false,
	    ATTR_BIT(ATTR_HASH), S_IFREG | 0644, "change", "alert",
	    "hash.sha256",
	    "0101010101010101010101010101010101010101010101010101010101010101",
	    "02020202020202020202020202020202"
	    "02020202020202020202020202020202" },
	{ "deleted", ACTION_DELETED, true, false, false, 0, 0,
	    "deletion", "alert", NULL, NULL, NULL },
	{ "moved", ACTION_MOVED, true, true, true, 0, S_IFREG | 0644,
	    "change", "alert", NULL, NULL, NULL },
	{ "attributes_modified", ACTION_ATTRIBUTES_MODIFIED, true, true, true,
	    ATTR_BIT(ATTR_MODE), S_IFREG | 0600, "change", "alert", "mode",
	    "0644", "0600" },
	{ "symlink", ACTION_CREATED, false, true, false, 0, S_IFLNK | 0777,
	    "creation", "alert", NULL, NULL, NULL },
	{ "gap", ACTION_GAP, false, false, false, 0, 0, "info", "event",
	    NULL, NULL, NULL },
	{ "reconciled", ACTION_RECONCILED, false, false, false, 0, 0, "info",
	    "event", NULL, NULL, NULL },
};

static bool
has_change(const json_t *o, const char *attr, const char *old,
    const char *new)
{
	json_t *c;
	size_t i;

	json_array_foreach(tlib_json_get(o, "fimd.changes"), i, c) {
		if (strcmp(tlib_json_str(c, "attribute"), attr) == 0)
			return strcmp(tlib_json_str(c, "old"), old) == 0 &&
			    strcmp(tlib_json_str(c, "new"), new) == 0;
	}
	return false;
}

static void
test_action(void **state)
{
	const struct action_case *tc =
	    &action_cases[(size_t)(uintptr_t)*state];
	struct alert_stream *s = alert_stream_new("fanotify", 1);
	struct record old, new;
	struct procinfo proc;
	struct diff d;
	struct alert a;
	json_t *o;
	const char *name = tc->name;

	fill_record(&old, S_IFREG | 0644, 10, 1);
	fill_record(&new, tc->new_mode, 20, tc->changed &
	    ATTR_BIT(ATTR_HASH) ? 2 : 1);
	if (S_ISLNK(tc->new_mode)) {
		new.known |= ATTR_BIT(ATTR_LINK_TARGET);
		new.link_target = strdup("../target");
	}
	fill_proc(&proc);
	memset(&d, 0, sizeof(d));
	d.changed = tc->changed;
	if (tc->changed & ATTR_BIT(ATTR_HASH))
		d.algos = HASH_BIT(HASH_SHA256);

	memset(&a, 0, sizeof(a));
	a.action = tc->action;
	a.source = SOURCE_REALTIME;
	a.path = "/etc/passwd";
	a.pathlen = strlen(a.path);
	if (tc->action == ACTION_GAP || tc->action == ACTION_RECONCILED) {
		a.reason = "queue overflow";
		a.count = 3;
	} else
		a.rule = &test_rule;
	if (tc->action == ACTION_MOVED) {
		a.old_path = "/etc/passwd-";
		a.old_pathlen = strlen(a.old_path);
	}
	a.old = tc->old ? &old : NULL;
	a.new = tc->new ? &new : NULL;
	a.diff = tc->old && tc->new ? &d : NULL;
	a.proc = tc->proc ? &proc : NULL;

	o = one_line(s, &a);
	check_all_types(o);
	check_order(o);
	assert_string_equal(tlib_json_str(o, "event.action"), name[0] == 'u' ?
	    "updated" : name[0] == 's' ? "created" : name);
	assert_string_equal(json_string_value(json_array_get(
	    tlib_json_get(o, "event.type"), 0)), tc->type);
	assert_string_equal(tlib_json_str(o, "event.kind"), tc->kind);
	assert_string_equal(tlib_json_str(o, "event.module"), "fimd");
	assert_string_equal(tlib_json_str(o, "ecs.version"), "8.11.0");
	if (tc->action == ACTION_GAP || tc->action == ACTION_RECONCILED) {
		/* A scope is not a file event: no file section. */
		assert_string_equal(tlib_json_str(o, "fimd.scope"),
		    "/etc/passwd");
		assert_null(tlib_json_get(o, "file"));
		assert_null(tlib_json_get(o, "related"));
	} else {
		assert_string_equal(tlib_json_str(o, "file.path"),
		    "/etc/passwd");
		assert_null(tlib_json_get(o, "fimd.scope"));
	}
	/* When the line was made, unless the change was seen earlier. */
	assert_string_equal(tlib_json_str(o, "event.created"),
	    tlib_json_str(o, "@timestamp"));
	assert_string_equal(tlib_json_str(o, "fimd.source"), "realtime");
	assert_string_equal(tlib_json_str(o, "fimd.backend"), "fanotify");
	assert_int_equal(json_integer_value(tlib_json_get(o, "fimd.seq")), 1);
	assert_non_null(tlib_json_str(o, "message"));
	if (a.rule != NULL) {
		assert_string_equal(tlib_json_str(o, "rule.name"), "identity");
		assert_int_equal(json_integer_value(tlib_json_get(o,
		    "event.severity")), 73);
		assert_string_equal(tlib_json_str(o, "fimd.severity"),
		    "high");
		assert_non_null(tlib_json_get(o, "fimd.changed_attributes"));
		assert_string_equal(tlib_json_str(o, "file.type"),
		    S_ISLNK(tc->new_mode) ? "symlink" : "file");
		assert_string_equal(tlib_json_str(o, "file.uid"), "0");
		assert_string_equal(tlib_json_str(o, "file.owner"), "root");
		assert_string_equal(tlib_json_str(o, "file.inode"), "4242");
		assert_string_equal(tlib_json_str(o, "file.mtime"),
		    "2023-11-14T22:13:20.123456Z");
	} else {
		assert_null(tlib_json_get(o, "rule"));
		assert_null(tlib_json_get(o, "event.severity"));
		assert_string_equal(tlib_json_str(o, "fimd.reason"),
		    "queue overflow");
		assert_null(tlib_json_get(o, "file.type"));
	}
	if (tc->action == ACTION_RECONCILED)
		assert_int_equal(json_integer_value(tlib_json_get(o,
		    "fimd.count")), 3);
	if (tc->change != NULL) {
		assert_true(tlib_json_has(o, "fimd.changed_attributes",
		    strncmp(tc->change, "hash", 4) == 0 ? "hash" : tc->change));
		if (!has_change(o, tc->change, tc->change_old, tc->change_new))
			fail_msg("%s: no change %s %s -> %s in %s", name,
			    tc->change, tc->change_old, tc->change_new,
			    json_dumps(o, 0));
	}
	if (tc->action == ACTION_MOVED)
		assert_string_equal(tlib_json_str(o, "fimd.previous.path"),
		    "/etc/passwd-");
	else
		assert_null(tlib_json_get(o, "fimd.previous"));
	if (tc->action == ACTION_DELETED)
		assert_string_equal(tlib_json_str(o, "file.mode"), "0644");
	if (S_ISLNK(tc->new_mode)) {
		assert_string_equal(tlib_json_str(o, "file.target_path"),
		    "../target");
		assert_null(tlib_json_get(o, "file.hash"));
	} else
		assert_null(tlib_json_get(o, "file.target_path"));
	if (tc->proc) {
		assert_int_equal(json_integer_value(tlib_json_get(o,
		    "process.pid")), 42);
		assert_string_equal(tlib_json_str(o, "process.name"), "vi");
		assert_string_equal(tlib_json_str(o, "process.executable"),
		    "/usr/bin/vi");
		assert_int_equal(json_integer_value(tlib_json_get(o,
		    "process.parent.pid")), 7);
		assert_string_equal(tlib_json_str(o, "user.id"), "0");
		assert_string_equal(tlib_json_str(o, "user.name"), "root");
		assert_string_equal(tlib_json_str(o, "user.audit.id"),
		    "1000");
		assert_string_equal(tlib_json_str(o, "user.audit.name"),
		    "alice");
		assert_non_null(strstr(tlib_json_str(o, "message"),
		    "by vi[42]"));
	} else {
		assert_null(tlib_json_get(o, "process"));
		assert_null(tlib_json_get(o, "user"));
	}
	json_decref(o);
	record_release(&old);
	record_release(&new);
	free_proc(&proc);
	alert_stream_free(s);
}

/* ---- numbering ---- */

static void
fill_simple(struct alert *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->action = ACTION_DELETED;
	a->source = SOURCE_CHECK;
	a->rule = &test_rule;
	a->path = path;
	a->pathlen = strlen(path);
}

/* ---- ECS file parts, agent, rule ---- */

static void
test_ecs_parts(void **state)
{
	static const struct {
		const char *path, *name, *dir, *ext;
	} cases[] = {
		{ "/etc/ssh/sshd_config", "sshd_config", "/etc/ssh", NULL },
		{ "/var/backups/a.tar.gz", "a.tar.gz", "/var/backups", "gz" },
		{ "/root/.bashrc", ".bashrc", "/root", NULL },
		{ "/vmlinuz", "vmlinuz", "/", NULL },
		{ "/tmp/x.", "x.", "/tmp", NULL },
		{ "/", NULL, NULL, NULL },
	};
	static char description[] = "who may log in";
	struct alert_stream *s = alert_stream_new("check", 1);
	struct rule r = test_rule;
	struct record rec;
	struct alert a;
	json_t *o;
	size_t i;

	(void)state;
	r.description = description;
	r.pos.file = "/etc/fimd/rules.d/10-identity.json";
	fill_record(&rec, S_IFREG | 0644, 1, 1);
	rec.known |= ATTR_BIT(ATTR_BTIME) | ATTR_BIT(ATTR_FLAGS);
	rec.btime.sec = 1700000000;
	rec.flags = 0x10 | 0x20 | 0x80000;	/* immutable, append, extents */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill_simple(&a, cases[i].path);
		a.action = ACTION_CREATED;
		a.rule = &r;
		a.new = &rec;
		o = one_line(s, &a);
		check_all_types(o);
		check_order(o);
		if (cases[i].name == NULL) {
			assert_null(tlib_json_get(o, "file.name"));
			assert_null(tlib_json_get(o, "file.directory"));
		} else {
			assert_string_equal(tlib_json_str(o, "file.name"),
			    cases[i].name);
			assert_string_equal(tlib_json_str(o,
			    "file.directory"), cases[i].dir);
		}
		if (cases[i].ext == NULL)
			assert_null(tlib_json_get(o, "file.extension"));
		else
			assert_string_equal(tlib_json_str(o,
			    "file.extension"), cases[i].ext);
		assert_string_equal(tlib_json_str(o, "file.created"),
		    "2023-11-14T22:13:20.000000Z");
		assert_int_equal(json_array_size(tlib_json_get(o,
		    "file.attributes")), 2);
		assert_string_equal(json_string_value(json_array_get(
		    tlib_json_get(o, "file.attributes"), 0)), "immutable");
		assert_string_equal(json_string_value(json_array_get(
		    tlib_json_get(o, "file.attributes"), 1)), "append_only");
		assert_string_equal(json_string_value(json_array_get(
		    tlib_json_get(o, "related.hash"), 0)),
		    tlib_json_str(o, "file.hash.sha256"));
		assert_string_equal(json_string_value(json_array_get(
		    tlib_json_get(o, "related.user"), 0)), "root");
		assert_string_equal(tlib_json_str(o, "agent.type"), "fimd");
		assert_string_equal(tlib_json_str(o, "agent.version"),
		    FIMD_VERSION);
		assert_string_equal(tlib_json_str(o, "rule.description"),
		    "who may log in");
		assert_string_equal(tlib_json_str(o, "rule.ruleset"),
		    "/etc/fimd/rules.d/10-identity.json");
		json_decref(o);
	}
	record_release(&rec);
	alert_stream_free(s);
}

static void
test_seq_without_gaps(void **state)
{
	struct alert_stream *s = alert_stream_new("check", 5);
	struct alert a;
	struct buf small;
	json_t *o, *ids = json_object();
	const char *id;
	int i;

	(void)state;
	fill_simple(&a, "/x");
	for (i = 0; i < 10; i++) {
		assert_int_equal(alert_stream_next_seq(s), 5 + i);
		o = one_line(s, &a);
		assert_int_equal(json_integer_value(tlib_json_get(o,
		    "fimd.seq")), 5 + i);
		id = tlib_json_str(o, "event.id");
		assert_null(json_object_get(ids, id));
		json_object_set_new(ids, id, json_true());
		json_decref(o);
		if (i == 4) {
			/* A line that cannot be made takes no seq. */
			buf_init(&small, 16);
			assert_int_equal(alert_line(s, &a, NULL, &small),
			    -ENOSPC);
			assert_int_equal(small.len, 0);
			buf_release(&small);
		}
	}
	/* alert_build takes one too. */
	o = alert_build(s, &a);
	assert_int_equal(json_integer_value(tlib_json_get(o, "fimd.seq")), 15);
	json_decref(o);
	assert_int_equal(alert_stream_next_seq(s), 16);
	alert_stream_set_backend(s, "inotify");
	o = one_line(s, &a);
	assert_string_equal(tlib_json_str(o, "fimd.backend"), "inotify");
	json_decref(o);
	json_decref(ids);
	alert_stream_free(s);
}

/* ---- awkward paths ---- */

static const struct {
	const char *name;
	const char *path;
	size_t	 len;
	const char *escaped;	/* NULL: valid UTF-8 */
	const char *old_path;	/* moved from */
	const char *old_escaped;
} path_cases[] = {
	{ "newline", "/tmp/a\nb", 8, NULL, NULL, NULL },
	{ "control", "/tmp/\x01\x1b[31m\t", 12, NULL, NULL, NULL },
	{ "invalid", "/tmp/x\xfe\n", 8, "/tmp/x\\xfe\n", NULL, NULL },
	{ "backslash-invalid", "/t\\\xff", 4, "/t\\\\\\xff", NULL, NULL },
	{ "moved-invalid", "/tmp/new", 8, NULL, "/tmp/\xc3(", "/tmp/\\xc3(" },
	{ "moved-newline", "/tmp/n\n", 7, NULL, "/tmp/o\n", NULL },
};

static void
test_path_case(void **state)
{
	size_t i = (size_t)(uintptr_t)*state;
	struct alert_stream *s = alert_stream_new("check", 1);
	struct record r;
	struct alert a;
	json_t *o;
	const char *msg;

	fill_record(&r, S_IFREG | 0644, 1, 1);
	fill_simple(&a, "");
	a.path = path_cases[i].path;
	a.pathlen = path_cases[i].len;
	a.old = &r;
	if (path_cases[i].old_path != NULL) {
		a.action = ACTION_MOVED;
		a.old_path = path_cases[i].old_path;
		a.old_pathlen = strlen(a.old_path);
		a.new = &r;
	}
	o = one_line(s, &a);
	check_all_types(o);
	msg = tlib_json_str(o, "message");
	assert_null(strchr(msg, '\n'));
	if (path_cases[i].escaped == NULL) {
		assert_string_equal(tlib_json_str(o, "file.path"),
		    path_cases[i].path);
		assert_null(tlib_json_get(o, "fimd.path_escaped"));
		assert_null(tlib_json_get(o, "fimd.path_encoding"));
	} else {
		assert_string_equal(tlib_json_str(o, "fimd.path_escaped"),
		    path_cases[i].escaped);
		assert_string_equal(tlib_json_str(o, "fimd.path_encoding"),
		    "escaped");
		/* The display form replaces the bad byte with U+FFFD. */
		assert_non_null(strstr(tlib_json_str(o, "file.path"),
		    "\xef\xbf\xbd"));
	}
	if (path_cases[i].old_path != NULL) {
		if (path_cases[i].old_escaped != NULL)
			assert_string_equal(tlib_json_str(o,
			    "fimd.previous.path_escaped"),
			    path_cases[i].old_escaped);
		else {
			assert_string_equal(tlib_json_str(o,
			    "fimd.previous.path"), path_cases[i].old_path);
			assert_null(tlib_json_get(o,
			    "fimd.previous.path_escaped"));
		}
	}
	json_decref(o);
	record_release(&r);
	alert_stream_free(s);
}

/* A 4 KiB path and a 64 KiB one still make one line each. */
static void
test_long_path(void **state)
{
	struct alert_stream *s = alert_stream_new("check", 1);
	size_t lens[] = { 4096, 65536 }, i;
	struct alert a;
	char *p;
	json_t *o;

	(void)state;
	for (i = 0; i < 2; i++) {
		p = malloc(lens[i] + 1);
		assert_non_null(p);
		memset(p, 'a', lens[i]);
		p[0] = '/';
		p[lens[i] / 2] = '\n';
		p[lens[i]] = '\0';
		fill_simple(&a, p);
		o = one_line(s, &a);
		assert_int_equal(strlen(tlib_json_str(o, "file.path")),
		    lens[i]);
		json_decref(o);
		free(p);
	}
	alert_stream_free(s);
}

/* host_name (fimd.conf(5)) replaces the system's name; NULL keeps it. */
static void
test_host_name(void **state)
{
	struct alert_stream *s = alert_stream_new("check", 1);
	char sys[256] = "";
	struct alert a;
	json_t *o;

	(void)state;
	(void)gethostname(sys, sizeof(sys) - 1);
	fill_simple(&a, "/etc/passwd");
	o = one_line(s, &a);
	assert_string_equal(tlib_json_str(o, "host.name"), sys);
	json_decref(o);
	alert_stream_set_host(s, "web-01.example.net");
	o = one_line(s, &a);
	assert_string_equal(tlib_json_str(o, "host.name"),
	    "web-01.example.net");
	json_decref(o);
	alert_stream_set_host(s, NULL);
	o = one_line(s, &a);
	assert_string_equal(tlib_json_str(o, "host.name"),
	    "web-01.example.net");
	json_decref(o);
	alert_stream_free(s);
}

/* still_open and hash_skipped appear only when true. */
static void
test_flags(void **state)
{
	struct alert_stream *s = alert_stream_new("fanotify", 1);
	struct record r;
	struct alert a;
	json_t *o;

	(void)state;
	fill_record(&r, S_IFREG | 0644, 1, 1);
	fill_simple(&a, "/f");
	a.action = ACTION_CREATED;
	a.new = &r;
	o = one_line(s, &a);
	assert_null(tlib_json_get(o, "fimd.still_open"));
	assert_null(tlib_json_get(o, "fimd.hash_skipped"));
	assert_non_null(tlib_json_str(o, "file.hash.sha256"));
	json_decref(o);
	a.still_open = true;
	r.hash_too_large = true;
	r.algos = 0;
	o = one_line(s, &a);
	check_all_types(o);
	assert_true(json_is_true(tlib_json_get(o, "fimd.still_open")));
	assert_true(json_is_true(tlib_json_get(o, "fimd.hash_skipped")));
	assert_null(tlib_json_get(o, "file.hash"));
	json_decref(o);
	record_release(&r);
	alert_stream_free(s);
}

/*
 * A gap's message says "rescanning" only when a rescan follows, and
 * stays one line whatever its reason holds.
 */
static void
test_gap_message(void **state)
{
	struct alert_stream *s = alert_stream_new("fanotify", 1);
	struct alert a;
	json_t *o;

	(void)state;
	alert_for_scope(&a, ACTION_GAP, SOURCE_RESCAN, "/srv", 4,
	    "queue overflow: could not read /srv/a\nb", 0);
	o = one_line(s, &a);
	assert_string_equal(tlib_json_str(o, "message"), "coverage gap for "
	    "/srv: queue overflow: could not read /srv/a\\x0ab");
	assert_string_equal(tlib_json_str(o, "fimd.reason"),
	    "queue overflow: could not read /srv/a\nb");
	json_decref(o);
	a.rescan_follows = true;
	a.reason = "queue overflow";
	o = one_line(s, &a);
	assert_string_equal(tlib_json_str(o, "message"),
	    "coverage gap for /srv: queue overflow; rescanning");
	json_decref(o);
	alert_stream_free(s);
}

/*
 * event.created is when the change was seen, before debounce and
 * hashing; never later than @timestamp.  A gap's scope that is not UTF-8
 * has its bytes in fimd.scope_escaped.
 */
static void
test_created_and_scope(void **state)
{
	struct alert_stream *s = alert_stream_new("fanotify", 1);
	struct alert a;
	json_t *o;

	(void)state;
	fill_simple(&a, "/etc/passwd");
	a.action = ACTION_CREATED;
	a.observed = 1795519446.25;	/* 2026-11-24T11:24:06.25Z */
	o = one_line(s, &a);
	assert_string_equal(tlib_json_str(o, "event.created"),
	    "2026-11-24T11:24:06.250000Z");
	assert_true(strcmp(tlib_json_str(o, "@timestamp"),
	    "2026-11-24T11:24:06.250000Z") > 0);
	json_decref(o);
	a.observed = 1e12;		/* "later" than now: the clock moved */
	o = one_line(s, &a);
	assert_string_equal(tlib_json_str(o, "event.created"),
	    tlib_json_str(o, "@timestamp"));
	json_decref(o);
	alert_for_scope(&a, ACTION_GAP, SOURCE_RESCAN, "/srv/\xff", 6,
	    "queue overflow", 0);
	o = one_line(s, &a);
	check_all_types(o);
	assert_null(tlib_json_get(o, "file"));
	assert_string_equal(tlib_json_str(o, "fimd.scope_escaped"),
	    "/srv/\\xff");
	assert_null(tlib_json_get(o, "fimd.path_escaped"));
	json_decref(o);
	alert_stream_free(s);
}

/*
 * A gap or reconciled alert of every watched path has no file section:
 * no made-up file.path, and its message says what it covers.
 */
static void
test_whole_tree_scope(void **state)
{
	struct alert_stream *s = alert_stream_new("fanotify", 1);
	struct alert a;
	struct buf b;
	json_t *o;

	(void)state;
	alert_for_scope(&a, ACTION_GAP, SOURCE_REALTIME, NULL, 0,
	    "queue overflow", 0);
	a.rescan_follows = true;
	o = one_line(s, &a);
	check_all_types(o);
	assert_null(tlib_json_get(o, "file"));
	assert_string_equal(tlib_json_str(o, "message"), "coverage gap for "
	    "every watched path: queue overflow; rescanning");
	buf_init(&b, BUF_MAX_DEFAULT);
	assert_int_equal(alert_human(o, 0, &b), 0);
	assert_non_null(strstr(b.data, " gap every watched path: queue "
	    "overflow"));
	buf_release(&b);
	json_decref(o);
	alert_for_scope(&a, ACTION_RECONCILED, SOURCE_RESCAN, NULL, 0,
	    "queue overflow", 2);
	o = one_line(s, &a);
	assert_null(tlib_json_get(o, "file"));
	assert_string_equal(tlib_json_str(o, "message"), "every watched path "
	    "reconciled after a gap: 2 changes (queue overflow)");
	json_decref(o);
	alert_stream_free(s);
}

/* ---- the daemon's own records ---- */

static const struct state_case {
	enum alert_action action;
	const char *name, *kind, *type;
	const char *fields;	/* under fimd, in order, after seq, backend */
	const char *message, *human;
} state_cases[] = {
	{ ACTION_STARTED, "started", "event", "start",
	    "version rules rules_digest heartbeat",
	    "fimd " FIMD_VERSION " started with fanotify: 2 rules, a "
	    "checkpoint every 3600 s",
	    "info started with fanotify, 2 rules, a checkpoint every 3600 s" },
	{ ACTION_CHECKPOINT, "checkpoint", "state", "info",
	    "files rules rules_digest open_gaps alerts heartbeat",
	    "checkpoint: 12 files, 2 rules, fanotify, 1 open gap, 5 alerts "
	    "since the last checkpoint",
	    "info checkpoint: 12 files, fanotify, 2 rules, 1 open gaps, 5 "
	    "alerts since the last" },
	{ ACTION_STOPPED, "stopped", "event", "end", "reason files alerts",
	    "fimd stopped (SIGTERM): 5 alerts in this run, 12 files",
	    "info stopped (SIGTERM): 5 alerts, 12 files" },
};

/*
 * started, checkpoint and stopped: event.kind "event" or "state", the
 * process category, no file, rule or severity, and the fields
 * fimd.alerts(5) lists, each with its one type.
 */
static void
test_state_records(void **state)
{
	struct alert_state st = { .files = 12, .rules = 2,
	    .rules_digest = "abc", .open_gaps = 1, .alerts = 5,
	    .heartbeat = 3600 };
	struct alert_stream *s = alert_stream_new("fanotify", 7);
	const struct state_case *tc;
	struct alert a;
	struct buf b, keys;
	const char *key;
	json_t *o, *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(state_cases) / sizeof(state_cases[0]); i++) {
		tc = &state_cases[i];
		alert_for_state(&a, tc->action, &st, "SIGTERM");
		assert_true(alert_is_state(tc->action));
		o = one_line(s, &a);
		check_all_types(o);
		check_order(o);
		assert_string_equal(tlib_json_str(o, "event.action"), tc->name);
		assert_string_equal(tlib_json_str(o, "event.kind"), tc->kind);
		assert_true(tlib_json_has(o, "event.category", "process"));
		assert_true(tlib_json_has(o, "event.type", tc->type));
		assert_null(tlib_json_get(o, "file"));
		assert_null(tlib_json_get(o, "rule"));
		assert_null(tlib_json_get(o, "event.severity"));
		assert_null(tlib_json_get(o, "fimd.source"));
		assert_int_equal(json_integer_value(tlib_json_get(o,
		    "fimd.seq")), 7 + i);
		assert_string_equal(tlib_json_str(o, "message"), tc->message);
		buf_init(&keys, BUF_MAX_DEFAULT);
		json_object_foreach(json_object_get(o, "fimd"), key, v) {
			(void)v;
			(void)buf_addf(&keys, "%s%s", keys.len > 0 ? " " : "",
			    key);
		}
		(void)buf_addc(&keys, '\0');
		key = tlib_fmt("seq backend %s", tc->fields);
		assert_string_equal(keys.data, key);
		free((char *)(uintptr_t)key);
		buf_release(&keys);
		buf_init(&b, BUF_MAX_DEFAULT);
		assert_int_equal(alert_human(o, ALERT_HUMAN_UTC, &b), 0);
		/* After "2026-11-24 11:24:06 UTC ". */
		assert_string_equal(b.data + 24, tc->human);
		buf_release(&b);
		json_decref(o);
	}
	alert_stream_free(s);
	assert_false(alert_is_state(ACTION_GAP));
}

/* ---- bounded values ---- */

/* Give r one more xattr: name, len bytes of fill (kept sorted by caller). */
static void
add_xattr(struct record *r, const char *name, unsigned char fill, size_t len)
{
	struct xattr *x;

	r->known |= ATTR_BIT(ATTR_XATTRS);
	r->xattrs = realloc(r->xattrs, (r->nxattrs + 1) * sizeof(*r->xattrs));
	assert_non_null(r->xattrs);
	x = &r->xattrs[r->nxattrs++];
	x->name = strdup(name);
	x->value = malloc(len);
	assert_non_null(x->name);
	assert_non_null(x->value);
	memset(x->value, fill, len);
	x->len = len;
}

/* An xattrs change between old and new as one line, parsed. */
static json_t *
xattrs_line(struct alert_stream *s, const struct record *old,
    const struct record *new, size_t *ret_len)
{
	struct diff d;
	struct alert a;
	struct buf b;
	json_t *o;

	memset(&d, 0, sizeof(d));
	d.changed = ATTR_BIT(ATTR_XATTRS);
	fill_simple(&a, "/etc/shadow");
	a.action = ACTION_ATTRIBUTES_MODIFIED;
	a.old = old;
	a.new = new;
	a.diff = &d;
	/* The cap the daemon writes with, not the test's default. */
	buf_init(&b, ALERT_LINE_MAX);
	assert_int_equal(alert_line(s, &a, NULL, &b), 0);
	*ret_len = b.len;
	o = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(o);
	buf_release(&b);
	return o;
}

/*
 * A 1 MiB xattr value is given by its SHA-256 and length, in the form
 * fimd.alerts(5) documents, so the line stays small; a value of exactly
 * ATTR_XATTR_VALUE_MAX bytes is still given whole.  (Whole, the two
 * megabyte values would make a line past ALERT_LINE_MAX: no line.)
 */
static void
test_long_xattr_value(void **state)
{
	struct alert_stream *s = alert_stream_new("check", 1);
	struct record old, new;
	char edge[2 * ATTR_XATTR_VALUE_MAX + 1], *want;
	size_t len, i;
	json_t *o;

	(void)state;
	fill_record(&old, S_IFREG | 0640, 1, 1);
	fill_record(&new, S_IFREG | 0640, 1, 1);
	add_xattr(&old, "user.big", 0xab, (size_t)1 << 20);
	add_xattr(&new, "user.big", 0xcd, (size_t)1 << 20);
	add_xattr(&new, "user.edge", 0x01, ATTR_XATTR_VALUE_MAX);
	o = xattrs_line(s, &old, &new, &len);
	assert_true(len < 4096);
	check_all_types(o);
	for (i = 0; i < ATTR_XATTR_VALUE_MAX; i++)
		memcpy(edge + 2 * i, "01", 2);
	edge[2 * ATTR_XATTR_VALUE_MAX] = '\0';
	want = tlib_fmt("user.big=sha256:"
	    "7976fe636b0c7a9194c0483e2cd7d7fee229de973aac0edd90f17cd3e77378ed"
	    " (1048576 bytes), user.edge=0x%s", edge);
	if (!has_change(o, "xattrs", "user.big=sha256:"
	    "074c29674e21baa420ee0eca0d85b9283b0cfb3ac912da2098f6b3a7f8d6678f"
	    " (1048576 bytes)", want))
		fail_msg("xattrs change not as documented: %s",
		    json_dumps(tlib_json_get(o, "fimd.changes"), 0));
	free(want);
	json_decref(o);
	record_release(&old);
	record_release(&new);
	alert_stream_free(s);
}

/*
 * So many xattrs that their text passes ALERT_CHANGE_MAX: the value is
 * the SHA-256 and length of the text it stands for.
 */
static void
test_long_change_value(void **state)
{
	struct alert_stream *s = alert_stream_new("check", 1);
	unsigned char md[HASH_MAX_SIZE];
	char name[32], hex[2 * HASH_MAX_SIZE + 1], *want;
	struct record old, new;
	struct buf text;
	size_t len, i, j;
	json_t *o;

	(void)state;
	fill_record(&old, S_IFREG | 0640, 1, 1);
	fill_record(&new, S_IFREG | 0640, 1, 1);
	buf_init(&text, BUF_MAX_DEFAULT);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "user.k%04zu", i);
		add_xattr(&new, name, 0x02, 200);
		(void)buf_addf(&text, "%s%s=0x", i > 0 ? ", " : "", name);
		for (j = 0; j < 200; j++)
			(void)buf_adds(&text, "02");
	}
	assert_true(text.len > ALERT_CHANGE_MAX);
	assert_int_equal(hash_buffer(HASH_SHA256, text.data, text.len, md), 0);
	hash_hex(md, hash_size(HASH_SHA256), hex);
	want = tlib_fmt("sha256:%s (%zu bytes)", hex, text.len);
	o = xattrs_line(s, &old, &new, &len);
	assert_true(len < 4096);
	if (!has_change(o, "xattrs", "", want))
		fail_msg("want %s in %s", want,
		    json_dumps(tlib_json_get(o, "fimd.changes"), 0));
	free(want);
	buf_release(&text);
	json_decref(o);
	record_release(&old);
	record_release(&new);
	alert_stream_free(s);
}

/*
 * A name with a C1 CSI (as UTF-8 and as a raw byte) and a right-to-left
 * override, written by a process whose name holds a CSI too: the message
 * and the human line show them as \xHH and never carry the raw bytes, so
 * printing either cannot drive a terminal or reorder what it shows.
 */
static void
test_terminal_controls(void **state)
{
	static const char path[] = "/tmp/\xc2\x9b" "2J\xe2\x80\xae" "fdp.exe";
	static const char *const raw[] = {
		"\xc2\x9b", "\xe2\x80\xae", "\x9b", "\x1b",
	};
	struct alert_stream *s = alert_stream_new("check", 1);
	struct procinfo proc;
	struct record r;
	struct alert a;
	struct buf b;
	const char *msg;
	json_t *o;
	size_t i;

	(void)state;
	fill_record(&r, S_IFREG | 0644, 1, 1);
	fill_proc(&proc);
	free(proc.name);
	proc.name = strdup("x\xc2\x9b" "31m\x9b");
	fill_simple(&a, path);
	a.action = ACTION_MOVED;
	a.old_path = "/tmp/\xe2\x81\xa7old";
	a.old_pathlen = strlen(a.old_path);
	a.old = &r;
	a.new = &r;
	a.proc = &proc;
	o = one_line(s, &a);
	msg = tlib_json_str(o, "message");
	assert_non_null(strstr(msg, "/tmp/\\xe2\\x81\\xa7old moved to "
	    "/tmp/\\xc2\\x9b2J\\xe2\\x80\\xaefdp.exe"));
	assert_non_null(strstr(msg, " by x\\xc2\\x9b31m\\x9b[42]"));
	/* The paths themselves stay exact. */
	assert_string_equal(tlib_json_str(o, "file.path"), path);
	buf_init(&b, BUF_MAX_DEFAULT);
	assert_int_equal(alert_human(o, ALERT_HUMAN_VERBOSE, &b), 0);
	assert_non_null(strstr(b.data, " moved /tmp/\\xe2\\x81\\xa7old -> "
	    "/tmp/\\xc2\\x9b2J\\xe2\\x80\\xaefdp.exe"));
	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		if (strstr(msg, raw[i]) != NULL)
			fail_msg("message holds raw \"%s\": %s", raw[i], msg);
		if (strstr(b.data, raw[i]) != NULL)
			fail_msg("human line holds raw bytes: %s", b.data);
	}
	buf_release(&b);
	json_decref(o);
	free_proc(&proc);
	record_release(&r);
	alert_stream_free(s);
}

/* ---- human rendering ---- */

static const struct {
	const char *name;
	const char *json;
	unsigned flags;
	const char *want;
} human_cases[] = {
	{ "updated",
	    "{\"@timestamp\":\"2026-11-24T11:24:06.123456Z\","
	    "\"event\":{\"action\":\"updated\"},"
	    "\"file\":{\"path\":\"/etc/passwd\"},"
	    "\"process\":{\"pid\":42,\"name\":\"vi\"},"
	    "\"fimd\":{\"severity\":\"high\","
	    "\"changed_attributes\":[\"hash\",\"size\"],"
	    "\"changes\":[{\"attribute\":\"size\",\"old\":\"1\","
	    "\"new\":\"2\"}]}}", ALERT_HUMAN_UTC,
	    "2026-11-24 11:24:06 UTC high updated /etc/passwd (hash, size) "
	    "by vi[42]" },
	{ "verbose",
	    "{\"@timestamp\":\"2026-11-24T11:24:06.123456Z\","
	    "\"event\":{\"action\":\"updated\"},"
	    "\"file\":{\"path\":\"/etc/passwd\"},"
	    "\"fimd\":{\"severity\":\"high\","
	    "\"changed_attributes\":[\"size\"],"
	    "\"changes\":[{\"attribute\":\"size\",\"old\":\"1\","
	    "\"new\":\"2\"}]}}",
	    ALERT_HUMAN_UTC | ALERT_HUMAN_VERBOSE,
	    "2026-11-24 11:24:06 UTC high updated /etc/passwd (size)\n"
	    "  size: 1 -> 2" },
	{ "moved",
	    "{\"@timestamp\":\"2026-11-24T11:24:06.123456Z\","
	    "\"event\":{\"action\":\"moved\"},"
	    "\"file\":{\"path\":\"/b\"},"
	    "\"fimd\":{\"severity\":\"low\",\"changed_attributes\":[],"
	    "\"previous\":{\"path\":\"/a\"}}}",
	    ALERT_HUMAN_UTC | ALERT_HUMAN_VERBOSE,
	    "2026-11-24 11:24:06 UTC low moved /a -> /b" },
	{ "gap",
	    "{\"@timestamp\":\"2026-11-24T11:24:06.123456Z\","
	    "\"event\":{\"action\":\"gap\"},"
	    "\"fimd\":{\"scope\":\"/data\","
	    "\"reason\":\"queue overflow\"}}", ALERT_HUMAN_UTC,
	    "2026-11-24 11:24:06 UTC info gap /data: queue overflow" },
	{ "reconciled",
	    "{\"@timestamp\":\"2026-11-24T11:24:06.123456Z\","
	    "\"event\":{\"action\":\"reconciled\"},"
	    "\"fimd\":{\"scope\":\"/data\","
	    "\"reason\":\"queue overflow\",\"count\":3}}", ALERT_HUMAN_UTC,
	    "2026-11-24 11:24:06 UTC info reconciled /data: 3 changes "
	    "(queue overflow)" },
	{ "newline-path",
	    "{\"@timestamp\":\"2026-11-24T11:24:06.123456Z\","
	    "\"event\":{\"action\":\"created\"},"
	    "\"file\":{\"path\":\"/a\\nb\"},"
	    "\"fimd\":{\"severity\":\"medium\","
	    "\"changed_attributes\":[]}}", ALERT_HUMAN_UTC,
	    "2026-11-24 11:24:06 UTC medium created /a\\x0ab" },
	{ "garbage", "{\"x\":1}", 0, "- info ? ?" },
};

static void
test_human_case(void **state)
{
	size_t i = (size_t)(uintptr_t)*state;
	struct buf b;
	json_t *o;

	o = json_loads(human_cases[i].json, 0, NULL);
	assert_non_null(o);
	buf_init(&b, BUF_MAX_DEFAULT);
	(void)buf_adds(&b, "kept:");
	assert_int_equal(alert_human(o, human_cases[i].flags, &b), 0);
	assert_string_equal(b.data + 5, human_cases[i].want);
	assert_memory_equal(b.data, "kept:", 5);
	buf_release(&b);
	buf_init(&b, 8);
	assert_int_equal(alert_human(o, human_cases[i].flags, &b),
	    -ENOSPC);
	assert_int_equal(b.len, 0);
	buf_release(&b);
	json_decref(o);
}

/*
 * Without ALERT_HUMAN_UTC the time is local, with its offset: TZ in the
 * POSIX form needs no zone database ("XYZ-2" is two hours east).
 */
static void
test_human_local(void **state)
{
	static const struct {
		const char *tz, *want;
	} zones[] = {
		{ "XYZ-2", "2026-11-24 13:24:06 +0200 info created /a" },
		{ "ABC+5:30", "2026-11-24 05:54:06 -0530 info created /a" },
		{ "UTC0", "2026-11-24 11:24:06 +0000 info created /a" },
	};
	char *saved = getenv("TZ") != NULL ? strdup(getenv("TZ")) : NULL;
	struct buf b;
	json_t *o;
	size_t i;

	(void)state;
	o = json_loads("{\"@timestamp\":\"2026-11-24T11:24:06.9Z\","
	    "\"event\":{\"action\":\"created\"},"
	    "\"file\":{\"path\":\"/a\"}}", 0, NULL);
	assert_non_null(o);
	buf_init(&b, BUF_MAX_DEFAULT);
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		assert_int_equal(setenv("TZ", zones[i].tz, 1), 0);
		tzset();
		buf_reset(&b);
		assert_int_equal(alert_human(o, 0, &b), 0);
		assert_string_equal(b.data, zones[i].want);
	}
	/* --utc whatever the zone. */
	buf_reset(&b);
	assert_int_equal(alert_human(o, ALERT_HUMAN_UTC, &b), 0);
	assert_string_equal(b.data, "2026-11-24 11:24:06 UTC info created /a");
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	buf_release(&b);
	json_decref(o);
}

/* What alert_build makes renders as documented. */
static void
test_human_built(void **state)
{
	struct alert_stream *s = alert_stream_new("check", 1);
	struct record old, new;
	struct procinfo proc;
	struct diff d;
	struct alert a;
	struct buf b;
	json_t *o;

	(void)state;
	fill_record(&old, S_IFREG | 0644, 1, 1);
	fill_record(&new, S_IFREG | 0644, 2, 2);
	fill_proc(&proc);
	memset(&d, 0, sizeof(d));
	d.changed = ATTR_BIT(ATTR_HASH) | ATTR_BIT(ATTR_SIZE);
	d.algos = HASH_BIT(HASH_SHA256);
	fill_simple(&a, "/etc/passwd");
	a.action = ACTION_UPDATED;
	a.old = &old;
	a.new = &new;
	a.diff = &d;
	a.proc = &proc;
	o = alert_build(s, &a);
	buf_init(&b, BUF_MAX_DEFAULT);
	assert_int_equal(alert_human(o, ALERT_HUMAN_VERBOSE, &b), 0);
	assert_int_equal(b.data[4], '-');
	assert_int_equal(b.data[10], ' ');
	assert_non_null(strstr(b.data, " high updated /etc/passwd "
	    "(size, hash) by vi[42] as root\n"));
	assert_non_null(strstr(b.data, "\n  size: 1 -> 2"));
	assert_non_null(strstr(b.data, "\n  hash.sha256: 0101"));
	buf_release(&b);
	json_decref(o);
	record_release(&old);
	record_release(&new);
	free_proc(&proc);
	alert_stream_free(s);
}

/* ---- alert_file_next_seq ---- */

static char *
alert_lines(uint64_t first, int n, size_t pathlen)
{
	struct alert_stream *s = alert_stream_new("check", first);
	struct alert a;
	struct buf b;
	char *p;
	int i;

	p = malloc(pathlen + 1);
	assert_non_null(p);
	memset(p, 'p', pathlen);
	p[0] = '/';
	p[pathlen] = '\0';
	buf_init(&b, BUF_MAX_DEFAULT);
	fill_simple(&a, p);
	for (i = 0; i < n; i++)
		assert_int_equal(alert_line(s, &a, NULL, &b), 0);
	alert_stream_free(s);
	free(p);
	return buf_detach(&b, NULL);
}

static void
test_next_seq(void **state)
{
	char *dir = tlib_mkdtemp("alertseq"), *path, *lines, *more;
	int fd;

	(void)state;
	path = tlib_fmt("%s/alerts.json", dir);
	assert_int_equal(alert_file_next_seq(path), 1);		/* missing */
	tlib_write(path, "", 0);
	assert_int_equal(alert_file_next_seq(path), 1);		/* empty */
	tlib_write(path, "garbage\n{\"not\":\"an alert\"}\n\x01\x02", 28);
	assert_int_equal(alert_file_next_seq(path), 1);		/* garbled */
	lines = alert_lines(7, 3, 8);				/* 7, 8, 9 */
	tlib_write(path, lines, (size_t)-1);
	assert_int_equal(alert_file_next_seq(path), 10);
	/* A torn last line (disk full mid-write) is passed over. */
	more = tlib_fmt("%s{\"fimd\":{\"seq\":1", lines);
	tlib_write(path, more, (size_t)-1);
	assert_int_equal(alert_file_next_seq(path), 10);
	free(more);
	/* So is junk after the last alert. */
	more = tlib_fmt("%snot json\n", lines);
	tlib_write(path, more, (size_t)-1);
	assert_int_equal(alert_file_next_seq(path), 10);
	free(more);
	free(lines);
	/* Thousands of lines: the last one counts. */
	lines = alert_lines(1, 3000, 20);
	tlib_write(path, lines, (size_t)-1);
	assert_int_equal(alert_file_next_seq(path), 3001);
	free(lines);
	/* A last line longer than the first window read. */
	lines = alert_lines(41, 2, 200000);
	tlib_write(path, lines, (size_t)-1);
	assert_int_equal(alert_file_next_seq(path), 43);
	free(lines);
	/* A directory is not an alert file. */
	assert_int_equal(alert_file_next_seq(dir), 1);
	tlib_rmrf(dir);
	free(path);
	free(dir);
	(void)fd;
}

/* The bytes of the file's last complete line, whatever it holds. */
static void
assert_last_line(const char *path, uint64_t seq, const char *want)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	assert_int_equal(alert_file_tail(path, &b), seq);
	if (want == NULL)
		assert_int_equal(b.len, 0);
	else {
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.data, want, b.len);
	}
	buf_release(&b);
}

/* alert_stream_tail of path: the seq, and the last line's first bytes. */
static void
assert_stream_tail(const char *path, uint64_t seq, const char *want)
{
	struct buf b;

	buf_init(&b, SIZE_MAX);
	assert_int_equal(alert_stream_tail(path, &b), seq);
	if (want == NULL)
		assert_int_equal(b.len, 0);
	else {
		assert_true(b.len >= strlen(want));
		assert_memory_equal(b.data, want, strlen(want));
		assert_int_equal(b.data[b.len - 1], '\n');
	}
	buf_release(&b);
}

/*
 * A missing or empty alert file goes on from its newest rotation: .1,
 * else .1.gz, read through to its end however long; a file with lines
 * is its own end, whatever the rotations hold.
 */
static void
test_stream_tail(void **state)
{
	char *dir = tlib_mkdtemp("alertrot"), *path, *one, *lines, *last;

	(void)state;
	path = tlib_fmt("%s/alerts.json", dir);
	one = tlib_fmt("%s.1", path);
	assert_stream_tail(path, 1, NULL);			/* nothing */
	lines = alert_lines(7, 3, 8);				/* 7, 8, 9 */
	tlib_write(one, lines, (size_t)-1);
	assert_stream_tail(path, 10, "{");			/* missing */
	tlib_write(path, "", 0);
	assert_stream_tail(path, 10, "{");			/* empty */
	free(lines);
	/* Over 8 MiB compressed: the window slides to the end. */
	lines = alert_lines(100, 3000, 4000);
	tlib_write(one, lines, (size_t)-1);
	assert_int_equal(tlib_sh("gzip '%s'", one), 0);
	last = lines + strlen(lines) - 1;
	while (last > lines && last[-1] != '\n')
		last--;
	assert_stream_tail(path, 3100, last);
	free(lines);
	/* The current file's own lines win. */
	lines = alert_lines(50, 1, 8);
	tlib_write(path, lines, (size_t)-1);
	assert_stream_tail(path, 51, lines);
	free(lines);
	tlib_rmrf(dir);
	free(one);
	free(path);
	free(dir);
}

static void
test_last_line(void **state)
{
	char *dir = tlib_mkdtemp("alerttail"), *path, *lines, *more;
	const char *last;

	(void)state;
	path = tlib_fmt("%s/alerts.json", dir);
	assert_last_line(path, 1, NULL);			/* missing */
	tlib_write(path, "", 0);
	assert_last_line(path, 1, NULL);			/* empty */
	lines = alert_lines(7, 3, 8);
	tlib_write(path, lines, (size_t)-1);
	last = strrchr(lines, '{');
	while (last > lines && last[-1] != '\n')
		last--;
	assert_last_line(path, 10, last);
	/* A torn tail is not a line; junk after the last alert is. */
	more = tlib_fmt("%s{\"fimd\":{\"seq\":1", lines);
	tlib_write(path, more, (size_t)-1);
	assert_last_line(path, 10, last);
	free(more);
	more = tlib_fmt("%snot json\n", lines);
	tlib_write(path, more, (size_t)-1);
	assert_last_line(path, 10, "not json\n");
	free(more);
	free(lines);
	/* Longer than the first window read. */
	lines = alert_lines(41, 2, 200000);
	tlib_write(path, lines, (size_t)-1);
	assert_last_line(path, 43, strchr(lines, '\n') + 1);
	free(lines);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

/* ---- entities ---- */

static json_t *
entity_line(struct alert_stream *s, enum rule_type type,
    enum alert_action action, const char *key, const char *old,
    const char *new)
{
	struct entity_change c;
	struct alert a;
	json_t *o, *jo = old != NULL ? json_loads(old, 0, NULL) : NULL;
	json_t *jn = new != NULL ? json_loads(new, 0, NULL) : NULL;

	memset(&c, 0, sizeof(c));
	c.type = type;
	c.action = action;
	c.key = key;
	c.old = jo;
	c.new = jn;
	entity_alert(&a, SOURCE_REALTIME, &test_rule, &c);
	o = one_line(s, &a);
	check_all_types(o);
	assert_null(tlib_json_get(o, "file"));
	json_decref(jo);
	json_decref(jn);
	return o;
}

#define PORT "{\"transport\":\"tcp\",\"ip\":\"127.0.0.1\"," \
	"\"port\":8080,\"family\":\"ipv4\",\"uid\":0,\"user\":\"root\"," \
	"\"pid\":42,\"process\":\"python3\"," \
	"\"executable\":\"/usr/bin/python3\"}"
#define HELLO(v, st) "{\"name\":\"hello\",\"version\":\"" v "\"," \
	"\"architecture\":\"amd64\",\"status\":\"" st "\"}"

/* A port: server, network, process and user; category network. */
static void
test_entity_port(void **state)
{
	struct alert_stream *s = alert_stream_new("fanotify", 1);
	json_t *o;

	(void)state;
	o = entity_line(s, RULE_PORTS, ACTION_OPENED, "tcp 127.0.0.1:8080",
	    NULL, PORT);
	assert_true(tlib_json_has(o, "event.category", "network"));
	assert_true(tlib_json_has(o, "event.type", "start"));
	assert_string_equal(tlib_json_str(o, "event.action"), "opened");
	assert_string_equal(tlib_json_str(o, "server.ip"), "127.0.0.1");
	assert_int_equal(json_integer_value(tlib_json_get(o, "server.port")),
	    8080);
	assert_string_equal(tlib_json_str(o, "network.transport"), "tcp");
	assert_string_equal(tlib_json_str(o, "network.type"), "ipv4");
	assert_int_equal(json_integer_value(tlib_json_get(o, "process.pid")),
	    42);
	assert_string_equal(tlib_json_str(o, "process.name"), "python3");
	assert_string_equal(tlib_json_str(o, "user.id"), "0");
	assert_string_equal(tlib_json_str(o, "user.name"), "root");
	assert_string_equal(tlib_json_str(o, "fimd.entity"), "ports");
	assert_string_equal(tlib_json_str(o, "message"),
	    "port tcp 127.0.0.1:8080 opened by python3[42] as root");
	json_decref(o);
	o = entity_line(s, RULE_PORTS, ACTION_CLOSED, "tcp 127.0.0.1:8080",
	    PORT, NULL);
	assert_true(tlib_json_has(o, "event.type", "end"));
	assert_int_equal(json_integer_value(tlib_json_get(o, "server.port")),
	    8080);
	json_decref(o);
	alert_stream_free(s);
}

/* A package: package.*, category package, the version it had. */
static void
test_entity_package(void **state)
{
	struct alert_stream *s = alert_stream_new("fanotify", 1);
	struct buf b;
	json_t *o;

	(void)state;
	o = entity_line(s, RULE_PACKAGES, ACTION_INSTALLED, "hello:amd64",
	    NULL, HELLO("2.10-3", "installed"));
	assert_true(tlib_json_has(o, "event.category", "package"));
	assert_true(tlib_json_has(o, "event.type", "installation"));
	assert_string_equal(tlib_json_str(o, "package.name"), "hello");
	assert_string_equal(tlib_json_str(o, "package.version"), "2.10-3");
	assert_string_equal(tlib_json_str(o, "package.architecture"),
	    "amd64");
	assert_string_equal(tlib_json_str(o, "package.type"), "deb");
	assert_string_equal(tlib_json_str(o, "message"),
	    "package hello 2.10-3 installed");
	buf_init(&b, BUF_MAX_DEFAULT);
	assert_int_equal(alert_human(o, false, &b), 0);
	assert_non_null(strstr(b.data, "installed package hello 2.10-3"));
	buf_release(&b);
	json_decref(o);
	o = entity_line(s, RULE_PACKAGES, ACTION_UPGRADED, "hello:amd64",
	    HELLO("2.10-2", "installed"), HELLO("2.10-3", "installed"));
	assert_true(tlib_json_has(o, "event.type", "change"));
	assert_string_equal(tlib_json_str(o, "fimd.previous_version"),
	    "2.10-2");
	assert_string_equal(tlib_json_str(o, "message"),
	    "package hello upgraded 2.10-2 -> 2.10-3");
	json_decref(o);
	o = entity_line(s, RULE_PACKAGES, ACTION_DOWNGRADED, "hello:amd64",
	    HELLO("2.10-3", "installed"), HELLO("2.10-2", "installed"));
	assert_true(tlib_json_has(o, "event.category", "package"));
	assert_true(tlib_json_has(o, "event.type", "change"));
	assert_string_equal(tlib_json_str(o, "event.action"), "downgraded");
	assert_string_equal(tlib_json_str(o, "package.version"), "2.10-2");
	assert_string_equal(tlib_json_str(o, "fimd.previous_version"),
	    "2.10-3");
	assert_string_equal(tlib_json_str(o, "message"),
	    "package hello downgraded 2.10-3 -> 2.10-2");
	json_decref(o);
	o = entity_line(s, RULE_PACKAGES, ACTION_CHANGED, "hello:amd64",
	    HELLO("2.10-3", "installed"), HELLO("2.10-3", "half-configured"));
	assert_string_equal(tlib_json_str(o, "fimd.previous_status"),
	    "installed");
	assert_string_equal(tlib_json_str(o, "fimd.package_status"),
	    "half-configured");
	json_decref(o);
	o = entity_line(s, RULE_PACKAGES, ACTION_REMOVED, "hello:amd64",
	    HELLO("2.10-3", "installed"), NULL);
	assert_true(tlib_json_has(o, "event.type", "deletion"));
	assert_string_equal(tlib_json_str(o, "package.version"), "2.10-3");
	json_decref(o);
	alert_stream_free(s);
}

#define UNIT(st, w) "{\"name\":\"a.service\",\"path\":" \
	"\"/etc/systemd/system/a.service\",\"state\":\"" st "\"," \
	"\"digest\":\"sha256:00\",\"dropins\":\"sha256:11\"" w "}"

/* A unit: service.name, category configuration, its state before. */
static void
test_entity_service(void **state)
{
	struct alert_stream *s = alert_stream_new("fanotify", 1);
	json_t *o;

	(void)state;
	o = entity_line(s, RULE_SERVICES, ACTION_ADDED, "a.service", NULL,
	    UNIT("disabled", ""));
	assert_true(tlib_json_has(o, "event.category", "configuration"));
	assert_true(tlib_json_has(o, "event.type", "creation"));
	assert_string_equal(tlib_json_str(o, "service.name"), "a.service");
	assert_string_equal(tlib_json_str(o, "fimd.unit_path"),
	    "/etc/systemd/system/a.service");
	assert_string_equal(tlib_json_str(o, "message"),
	    "service a.service added");
	json_decref(o);
	o = entity_line(s, RULE_SERVICES, ACTION_ENABLED, "a.service",
	    UNIT("disabled", ""), UNIT("enabled",
	    ",\"wanted_by\":[\"multi-user.target\"]"));
	assert_string_equal(tlib_json_str(o, "fimd.previous_state"),
	    "disabled");
	assert_string_equal(tlib_json_str(o, "fimd.unit_state"), "enabled");
	assert_string_equal(tlib_json_str(o, "message"),
	    "service a.service enabled (wanted by multi-user.target)");
	json_decref(o);
	o = entity_line(s, RULE_SERVICES, ACTION_MASKED, "a.service",
	    UNIT("enabled", ""), UNIT("masked", ""));
	assert_string_equal(tlib_json_str(o, "event.action"), "masked");
	json_decref(o);
	o = entity_line(s, RULE_SERVICES, ACTION_REMOVED, "a.service",
	    UNIT("masked", ""), NULL);
	assert_true(tlib_json_has(o, "event.type", "deletion"));
	assert_null(tlib_json_get(o, "fimd.previous_state"));
	json_decref(o);
	alert_stream_free(s);
}

/* fimd.chain, when given, is the last field of fimd; else absent. */
static void
test_chain_field(void **state)
{
	struct alert_stream *s = alert_stream_new("inotify", 1);
	const char *key = NULL;
	struct alert a;
	struct buf b;
	json_t *o, *v;
	size_t n = 0;

	(void)state;
	fill_simple(&a, "/etc/passwd");
	o = one_line(s, &a);
	assert_null(tlib_json_get(o, "fimd.chain"));
	json_decref(o);
	buf_init(&b, BUF_MAX_DEFAULT);
	assert_int_equal(alert_line(s, &a, CHAIN_GENESIS, &b), 0);
	o = json_loadb(b.data, b.len, 0, NULL);
	assert_non_null(o);
	assert_string_equal(tlib_json_str(o, "fimd.chain"), CHAIN_GENESIS);
	json_object_foreach(json_object_get(o, "fimd"), key, v) {
		(void)v;
		n++;
		if (n == json_object_size(json_object_get(o, "fimd")))
			assert_string_equal(key, "chain");
	}
	json_decref(o);
	buf_release(&b);
	alert_stream_free(s);
}

/*
 * Only the tail is read: a 64 GiB sparse file (zeros, then one alert)
 * answers at once and without 64 GiB of memory.
 */
static void
test_next_seq_tail_only(void **state)
{
	char *dir = tlib_mkdtemp("alertseq"), *path, *line;
	int fd;
	double t0;

	(void)state;
	path = tlib_fmt("%s/alerts.json", dir);
	line = alert_lines(99, 1, 8);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	if (ftruncate(fd, (off_t)64 << 30) < 0) {
		close(fd);
		skip();
	}
	assert_true(lseek(fd, 0, SEEK_END) > 0);
	assert_int_equal(write(fd, "\n", 1), 1);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	t0 = tlib_now();
	assert_int_equal(alert_file_next_seq(path), 100);
	assert_true(tlib_now() - t0 < 2.0);
	free(line);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

int
main(void)
{
	struct CMUnitTest tests[64];
	size_t n = 0, i;

	test_rule.name = rule_name;
	test_rule.severity = SEVERITY_HIGH;
	for (i = 0; i < sizeof(action_cases) / sizeof(action_cases[0]); i++)
		tests[n++] = (struct CMUnitTest){ action_cases[i].name,
		    test_action, NULL, NULL, (void *)(uintptr_t)i };
	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++)
		tests[n++] = (struct CMUnitTest){ path_cases[i].name,
		    test_path_case, NULL, NULL, (void *)(uintptr_t)i };
	for (i = 0; i < sizeof(human_cases) / sizeof(human_cases[0]); i++)
		tests[n++] = (struct CMUnitTest){ human_cases[i].name,
		    test_human_case, NULL, NULL, (void *)(uintptr_t)i };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_seq_without_gaps);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_entity_port);
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test(test_entity_package);
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test(test_entity_service);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_long_path);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_flags);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_host_name);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ecs_parts);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_gap_message);
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test(test_whole_tree_scope);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_state_records);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_long_xattr_value);
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test(test_long_change_value);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_human_built);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_human_local);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
	    test_created_and_scope);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
	    test_terminal_controls);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_next_seq);
	tests[n++] =
	    (struct CMUnitTest)cmocka_unit_test(test_next_seq_tail_only);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_last_line);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_stream_tail);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_chain_field);
	return _cmocka_run_group_tests("alert", tests, n, NULL, NULL);
}
