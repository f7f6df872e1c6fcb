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
#include "exitcode.h"
#include "log.h"
#include "pathenc.h"
#include "record.h"
#include "rules.h"
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
	for (i = 0; i < c->noperands; i++)
		explain_one(c, &run, rs, b, c->operands[i]);
	free(run.backend);
	baseline_free(b);
	ruleset_free(rs);
	return EXIT_OK;
}
