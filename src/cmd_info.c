/*
 * The informational modes: --validate, --query, --explain.  None of them
 * changes anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <linux/magic.h>

#include "baseline.h"
#include "buf.h"
#include "cmd.h"
#include "cmdutil.h"
#include "control.h"
#include "entity.h"
#include "exitcode.h"
#include "log.h"
#include "pathenc.h"
#include "record.h"
#include "rules.h"
#include "severity.h"
#include "xmalloc.h"

/* A running daemon answers status at once; do not wait long for one. */
#define EXPLAIN_TIMEOUT_MS	2000

int
cmd_validate(const struct fimd_config *c)
{
	struct ruleset *rs;
	size_t i, npaths = 0;
	int r;

	if ((r = cmd_load_rules(c, true, &rs)) != 0)
		return r;
	for (i = 0; i < ruleset_count(rs); i++)
		npaths += ruleset_rule(rs, i)->npaths;
	if (c->verbosity >= 0)
		printf("%s: %zu rules, %zu paths in %zu files: valid\n",
		    c->rules_path, ruleset_count(rs), npaths,
		    ruleset_nfiles(rs));
	if (c->verbosity > 0) {
		for (i = 0; i < ruleset_nfiles(rs); i++)
			printf("  %s\n", ruleset_file(rs, i));
	}
	ruleset_free(rs);
	return EXIT_OK;
}

/* One record as a JSON line: {"path": ..., attributes of the baseline}. */
static void
print_record_json(const struct baseline *b, bool history, const char *path,
    size_t len, const struct record *r)
{
	json_t *obj = record_to_json(r), *line = json_object();
	const char *key;
	json_t *v;
	struct buf esc;
	char *s;

	buf_init(&esc, BUF_MAX_DEFAULT);
	if (pathenc_is_utf8(path, len))
		json_object_set_new(line, "path", json_stringn(path, len));
	else {
		(void)pathenc_escape(path, len, &esc);
		json_object_set_new(line, "path_escaped",
		    json_stringn(esc.data, esc.len));
	}
	json_object_foreach(obj, key, v)
		json_object_set(line, key, v);
	baseline_notes_json(b, path, len, history, line);
	s = json_dumps(line, JSON_COMPACT);
	if (s != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(obj);
	json_decref(line);
	buf_release(&esc);
}

/*
 * The reply a daemon would give to a query of entities, from b: the
 * same entity_query, so both print alike.  Returns 0 and a new reply,
 * or an exit status (printed).
 */
static int
entities_reply(const struct fimd_config *c, const struct baseline *b,
    json_t **ret)
{
	enum rule_type type = (enum rule_type)c->query_type;
	json_t *names, *reply;
	const char *why;
	int r;

	if ((r = cmd_entity_names(c, &names)) != 0)
		return r;
	reply = json_object();
	r = entity_query(type, b != NULL ? baseline_entities(b,
	    rule_type_name(type)) : NULL, names, reply, &why);
	json_decref(names);
	if (r < 0) {
		log_warnx("%s", why);
		json_decref(reply);
		return EXIT_USAGE;
	}
	*ret = reply;
	return 0;
}

static int
query_entities(const struct fimd_config *c, const struct baseline *b)
{
	json_t *reply;
	int r;

	if ((r = entities_reply(c, b, &reply)) != 0)
		return r;
	r = cmd_print_entities(c, reply);
	json_decref(reply);
	return r;
}

int
cmd_query(const struct fimd_config *c)
{
	struct chain_key *key;
	struct baseline *b;
	struct record rec;
	struct buf path;
	bool answered;
	int i, r, missing = 0;

	r = cmd_query_daemon(c, &answered);
	if (answered || r != 0)
		return r;
	/* Only read here: where the key lies is checked by the writers. */
	if ((r = cmd_load_key(c, NULL, &key)) != 0)
		return r;
	r = cmd_load_baseline(c, key, &b);
	chain_key_free(key);
	if (r != 0)
		return r;
	if (c->query_type != RULE_FILES) {
		r = query_entities(c, b);
		baseline_free(b);
		return r;
	}
	buf_init(&path, BUF_MAX_DEFAULT);
	for (i = 0; i < c->noperands; i++) {
		buf_reset(&path);
		if (cmd_abspath(c->operands[i], &path) < 0 ||
		    baseline_get(b, path.data, path.len, &rec) < 0) {
			log_warnx("%s: not in the baseline (fimd --explain "
			    "says whether a rule covers it)", c->operands[i]);
			missing++;
			continue;
		}
		if (c->json)
			print_record_json(b, c->history, path.data, path.len,
			    &rec);
		else {
			cmd_print_record(stdout, path.data, path.len, &rec);
			cmd_print_notes(stdout, baseline_accepted(b,
			    path.data, path.len), c->history ?
			    baseline_history(b, path.data, path.len) : NULL);
		}
		record_release(&rec);
	}
	buf_release(&path);
	baseline_free(b);
	return missing > 0 ? 1 : EXIT_OK;
}

/* Filesystems whose changes the kernel cannot report. */
static const char *
fs_realtime_note(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return NULL;
	switch ((unsigned long)sf.f_type) {
	case NFS_SUPER_MAGIC:
	case SMB_SUPER_MAGIC:
	case 0xfe534d42UL:	/* SMB2 */
	case 0xff534d42UL:	/* CIFS */
		return "a network filesystem: changes made by other hosts "
		    "are only found by rescans";
	case FUSE_SUPER_MAGIC:
		return "a FUSE filesystem: changes below it are only found "
		    "by rescans";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs: watched through inode marks; changes to "
		    "its lower layers are only found by rescans";
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
		return "a pseudo filesystem: never scanned";
	default:
		return NULL;
	}
}

/*
 * What the running daemon says about itself: with backend auto its
 * choice depends on the kernel, the filesystem and its privileges, so its
 * word beats a guess.  backend NULL when no daemon answers.
 */
struct running {
	char	*backend;
	long long pid;
	json_t	*entities;	/* its "entities", a new reference */
};

static void
running_ask(const struct fimd_config *c, struct running *run)
{
	json_t *req = json_object(), *reply = NULL;
	const char *backend;

	memset(run, 0, sizeof(*run));
	json_object_set_new(req, "verb", json_string("status"));
	if (control_request(c->socket_path, req, EXPLAIN_TIMEOUT_MS,
	    &reply) == 0 && (backend = json_string_value(json_object_get(
	    reply, "backend"))) != NULL) {
		run->backend = xstrdup(backend);
		run->pid = json_integer_value(json_object_get(reply, "pid"));
		run->entities = json_incref(json_object_get(reply,
		    "entities"));
	}
	json_decref(reply);
	json_decref(req);
}

static void
explain_watch(const struct fimd_config *c, const struct running *run,
    const struct rule *rule, const char *path)
{
	const char *note;

	if (rule == NULL)
		return;
	if (!rule->realtime)
		printf("  watched: no (realtime false); rescanned every "
		    "%llu s\n", (unsigned long long)rule->rescan);
	else if (run->backend != NULL)
		printf("  watched: by the %s backend (of the running daemon, "
		    "pid %lld); also rescanned every %llu s\n", run->backend,
		    run->pid, (unsigned long long)rule->rescan);
	else if (c->backend == BACKEND_NONE)
		printf("  watched: no (backend none); rescanned every %llu s\n",
		    (unsigned long long)rule->rescan);
	else
		printf("  watched: by the %s backend%s; also rescanned every "
		    "%llu s (no daemon answers on %s)\n",
		    config_backend_name(c->backend),
		    c->backend == BACKEND_AUTO ? " (fanotify as root on a "
		    "filesystem with file handles, else inotify)" : "",
		    (unsigned long long)rule->rescan, c->socket_path);
	if ((note = fs_realtime_note(path)) != NULL)
		printf("  note: %s\n", note);
}

static void
explain_one(const struct fimd_config *c, const struct running *run,
    const struct ruleset *rs, const struct baseline *b, const char *arg)
{
	const struct rule *rule;
	struct record rec;
	struct buf path, out;
	struct stat st;
	bool is_dir;

	buf_init(&path, BUF_MAX_DEFAULT);
	buf_init(&out, BUF_MAX_DEFAULT);
	if (cmd_abspath(arg, &path) < 0) {
		log_warnx("%s: cannot make the path absolute", arg);
		goto out;
	}
	is_dir = lstat(path.data, &st) == 0 && S_ISDIR(st.st_mode);
	(void)ruleset_explain(rs, path.data, path.len, is_dir, &out);
	fputs(out.data, stdout);
	if (out.len > 0 && out.data[out.len - 1] != '\n')
		putchar('\n');
	rule = ruleset_match(rs, path.data, path.len, is_dir, NULL);
	explain_watch(c, run, rule, path.data);
	if (b != NULL && baseline_get(b, path.data, path.len, &rec) == 0) {
		printf("  in the baseline:\n");
		cmd_print_record(stdout, path.data, path.len, &rec);
		record_release(&rec);
	} else if (rule != NULL)
		printf("  in the baseline: no\n");
out:
	buf_release(&path);
	buf_release(&out);
}

/* ---- --explain --type ---- */

/* When and from where the entity of rule is read. */
static void
explain_checks(const struct fimd_config *c, const struct rule *rule)
{
	unsigned long long every = (unsigned long long)rule->rescan;
	struct buf b;
	size_t i;

	switch (rule->type) {
	case RULE_PORTS:
		printf("  checked: every %llu s (its rescan), from /proc/net/"
		    "tcp, tcp6, udp and udp6: no kernel event tells of a "
		    "port\n", every);
		return;
	case RULE_PACKAGES:
		if (c->package_db == NULL)
			printf("  checked: never: no package database is "
			    "configured (package_db, fimd.conf(5))\n");
		else if (rule->realtime)
			printf("  checked: when dpkg's status file %s/status "
			    "changes (once the package manager's transaction "
			    "ended), and every %llu s\n", c->package_db,
			    every);
		else
			printf("  checked: every %llu s (realtime false), "
			    "from %s/status\n", every, c->package_db);
		return;
	default:
		break;
	}
	buf_init(&b, BUF_MAX_DEFAULT);
	printf("  unit directories:");
	for (i = 0; i < rule->npaths; i++) {
		buf_reset(&b);
		cmd_path_display(rule->paths[i].path, rule->paths[i].len, &b);
		printf(" %s", b.data);
	}
	buf_release(&b);
	if (rule->realtime)
		printf("\n  checked: when one of them, or a .wants, .requires "
		    "or .d directory in one, changes (inotify), and every "
		    "%llu s\n", every);
	else
		printf("\n  checked: every %llu s (realtime false)\n", every);
}

/* What the running daemon says of the type, if one answers. */
static void
explain_daemon(const struct fimd_config *c, const struct running *run,
    const char *type)
{
	const json_t *e = json_object_get(run->entities, type);
	const char *last;

	if (run->backend == NULL) {
		printf("  daemon: none answers on %s\n", c->socket_path);
		return;
	}
	if (e == NULL) {
		printf("  daemon: pid %lld has no rule of this type (it was "
		    "started with other rules?)\n", run->pid);
		return;
	}
	last = json_string_value(json_object_get(e, "last_check"));
	printf("  daemon: pid %lld watches it: %" JSON_INTEGER_FORMAT " held, "
	    "%" JSON_INTEGER_FORMAT " checks, last %s\n", run->pid,
	    json_integer_value(json_object_get(e, "items")),
	    json_integer_value(json_object_get(e, "checks")),
	    last != NULL ? last : "never");
}

static int
explain_entities(const struct fimd_config *c, const struct running *run,
    const struct ruleset *rs, const struct baseline *b)
{
	enum rule_type t = (enum rule_type)c->query_type;
	const struct rule *rule = ruleset_entity(rs, t);
	const char *type = rule_type_name(t);
	const json_t *held;
	struct buf name;

	if (rule == NULL)
		printf("type %s: no rule of this type (fimd.rules(5) "
		    "\"type\"): not watched\n", type);
	else {
		buf_init(&name, BUF_MAX_DEFAULT);
		cmd_path_display(rule->name, strlen(rule->name), &name);
		printf("type %s: rule %s (%s:%u:%u), severity %s\n", type,
		    name.data, rule->pos.file, rule->pos.line,
		    rule->pos.column, severity_name(rule->severity));
		buf_release(&name);
		printf("  records: %s\n", entity_attr_names(t));
		explain_checks(c, rule);
	}
	explain_daemon(c, run, type);
	held = b != NULL ? baseline_entities(b, type) : NULL;
	if (b == NULL)
		printf("  in the baseline: no baseline at %s\n",
		    c->baseline_path);
	else if (held == NULL)
		printf("  in the baseline: no %s recorded\n", type);
	else
		printf("  in the baseline: %zu %s\n", json_array_size(held),
		    type);
	return c->noperands > 0 ? query_entities(c, b) : EXIT_OK;
}

int
cmd_explain(const struct fimd_config *c)
{
	struct running run;
	struct ruleset *rs;
	struct chain_key *key;
	struct baseline *b = NULL;
	struct diag d;
	int i, r;

	if ((r = cmd_load_rules(c, false, &rs)) != 0)
		return r;
	if ((r = cmd_load_key(c, rs, &key)) != 0) {
		ruleset_free(rs);
		return r;
	}
	diag_init(&d);
	if (baseline_load_keyed(c->baseline_path, key, &b, &d) < 0)
		b = NULL;	/* --explain works without a baseline */
	diag_release(&d);
	chain_key_free(key);
	running_ask(c, &run);
	r = c->query_type != RULE_FILES ? explain_entities(c, &run, rs, b) :
	    EXIT_OK;
	for (i = 0; c->query_type == RULE_FILES && i < c->noperands; i++)
		explain_one(c, &run, rs, b, c->operands[i]);
	free(run.backend);
	json_decref(run.entities);
	baseline_free(b);
	ruleset_free(rs);
	return r;
}
