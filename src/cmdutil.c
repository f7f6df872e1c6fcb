/* Shared chores of the cmd layer; see cmdutil.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdutil.h"
#include "pkgdb_dpkg.h"
#include "contentdiff.h"
#include "contentstore.h"
#include "diag.h"
#include "exitcode.h"
#include "log.h"
#include "pathenc.h"
#include "scan.h"

/*
 * Errors always.  Warnings unless -q where the user asked about the input
 * (show_warnings: --validate), else only with -v; notes (such as rules
 * that overlap on purpose) only with -v.
 */
void
cmd_print_diag(const struct diag *d, bool show_warnings)
{
	enum log_level level = log_get_level();
	enum diag_severity sev;
	size_t i;
	char *s;

	for (i = 0; i < d->n; i++) {
		sev = d->v[i].severity;
		if (level < LOG_LEVEL_VERBOSE && (sev == DIAG_NOTE ||
		    (sev == DIAG_WARNING && (!show_warnings ||
		    level < LOG_LEVEL_NORMAL))))
			continue;
		s = diag_format(&d->v[i]);
		log_stderr(diag_syslog_prio(sev), "%s", s);
		free(s);
	}
}

int
cmd_load_rules(const struct fimd_config *c, bool show_warnings,
    struct ruleset **ret)
{
	struct diag d;
	int r;

	diag_init(&d);
	r = ruleset_load(c->rules_path, c->shipped_rules, ret, &d);
	cmd_print_diag(&d, show_warnings);
	diag_release(&d);
	if (r == 0)
		return 0;
	if (r == -EINVAL || r == -ENOENT)
		return EXIT_BAD_RULES;
	errno = -r;
	log_err("cannot read rules %s", c->rules_path);
	return EXIT_IO_ERROR;
}

int
cmd_load_key(const struct fimd_config *c, const struct ruleset *rs,
    struct chain_key **ret)
{
	const char *const *roots;
	struct chain_key *k = NULL;
	struct diag d;
	size_t n;
	int r;

	*ret = NULL;
	if (c->chain_key == NULL)
		return 0;
	diag_init(&d);
	if ((r = chain_key_load(c->chain_key, true, &k, &d)) == 0 &&
	    rs != NULL) {
		n = ruleset_roots(rs, &roots);
		r = chain_key_outside(k, roots, n, &d);
	}
	cmd_print_diag(&d, false);
	diag_release(&d);
	if (r == 0) {
		*ret = k;
		return 0;
	}
	chain_key_free(k);
	return r == -EPERM || r == -EINVAL || r == -ELOOP ? EXIT_BAD_RULES :
	    EXIT_IO_ERROR;
}

int
cmd_load_packages(const struct fimd_config *c, struct pkgdb **ret,
    struct diag *diag)
{
	struct pkgdb *db;
	int r;

	*ret = NULL;
	if (c->package_db == NULL) {
		fprintf(stderr, "fimd: --packages: no package database "
		    "(package_db is null in the configuration)\n");
		return EXIT_IO_ERROR;
	}
	db = pkgdb_new(&pkgdb_dpkg_backend, c->package_db, diag);
	/* Bad lines are reported and passed over; a missing status is not. */
	if ((r = pkgdb_begin(db)) == 0)
		r = pkgdb_load(db);
	diag_print(diag, stderr);
	if (r < 0 && r != -EINVAL) {
		fprintf(stderr, "fimd: cannot read the package database at "
		    "%s: %s\n", c->package_db, strerror(-r));
		pkgdb_free(db);
		return EXIT_IO_ERROR;
	}
	*ret = db;
	return 0;
}

int
cmd_load_baseline(const struct fimd_config *c, const struct chain_key *key,
    struct baseline **ret)
{
	struct diag d;
	int r;

	diag_init(&d);
	r = baseline_load_keyed(c->baseline_path, key, ret, &d);
	cmd_print_diag(&d, false);
	diag_release(&d);
	if (r == 0)
		return 0;
	if (r == -ENOENT) {
		log_errx("baseline %s does not exist; run fimd --init first",
		    c->baseline_path);
		return EXIT_BAD_BASELINE;
	}
	if (r == -EBADMSG || r == -EINVAL)
		return EXIT_BAD_BASELINE;
	errno = -r;
	log_err("cannot read baseline %s", c->baseline_path);
	return EXIT_IO_ERROR;
}

/* mkdir -p for the parent directory of path, new levels mode 0700. */
static int
make_parent(const char *path)
{
	char *dir, *p;
	int r = 0;

	dir = strdup(path);
	if (dir == NULL)
		return -ENOMEM;
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	for (p = dir + 1; r == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char save = *p;

		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			r = -errno;
		*p = save;
		if (save == '\0')
			break;
	}
	free(dir);
	return r;
}

int
cmd_save_baseline(const struct fimd_config *c, const struct chain_key *key,
    struct baseline *b)
{
	struct diag d;
	int r;

	if ((r = make_parent(c->baseline_path)) < 0) {
		errno = -r;
		log_err("cannot create the directory of %s", c->baseline_path);
		return EXIT_IO_ERROR;
	}
	diag_init(&d);
	r = baseline_save_keyed(b, c->baseline_path, key, &d);
	cmd_print_diag(&d, false);
	diag_release(&d);
	if (r < 0) {
		errno = -r;
		log_err("cannot write baseline %s", c->baseline_path);
		return EXIT_IO_ERROR;
	}
	return 0;
}

int
cmd_load_copies(const struct fimd_config *c, const struct chain_key *key,
    const struct ruleset *rs, struct contentstore **ret)
{
	char *path;
	struct diag d;
	int r;

	*ret = NULL;
	if (!content_wanted(rs))
		return 0;
	path = contentstore_path(c->baseline_path);
	diag_init(&d);
	r = contentstore_load(path, key, ret, &d);
	cmd_print_diag(&d, false);
	diag_release(&d);
	if (r < 0 && r != -ENOENT)
		log_warnx("ignoring the content copies in %s: diffs start "
		    "again from the files as they are now", path);
	if (r < 0)
		*ret = contentstore_new();
	free(path);
	return 0;
}

int
cmd_save_copies(const struct fimd_config *c, const struct chain_key *key,
    struct contentstore *cs, const struct baseline *b,
    const struct ruleset *rs)
{
	struct contentstore *none = NULL;
	char *path = contentstore_path(c->baseline_path);
	struct diag d;
	int r;

	if (cs != NULL)
		(void)content_keep(cs, b, rs);
	else
		cs = none = contentstore_new();
	diag_init(&d);
	r = contentstore_save(cs, path, key, &d);
	cmd_print_diag(&d, false);
	diag_release(&d);
	contentstore_free(none);
	if (r < 0) {
		errno = -r;
		log_warn("cannot write the content copies %s", path);
	}
	free(path);
	return r < 0 ? EXIT_IO_ERROR : 0;
}

int
cmd_abspath(const char *arg, struct buf *out)
{
	struct buf in;
	char *cwd;
	const char *p, *seg;
	size_t n, base;
	int r = 0;

	buf_init(&in, BUF_MAX_DEFAULT);
	if (arg[0] != '/') {
		if ((cwd = getcwd(NULL, 0)) == NULL)
			return -errno;
		(void)buf_addf(&in, "%s/", cwd);
		free(cwd);
	}
	(void)buf_adds(&in, arg);
	base = out->len;
	for (p = in.data; *p != '\0'; p += n) {
		while (*p == '/')
			p++;
		seg = p;
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out->len > base &&
			    out->data[out->len - 1] != '/')
				buf_truncate(out, out->len - 1);
			if (out->len > base)
				buf_truncate(out, out->len - 1);
			continue;
		}
		if ((r = buf_addc(out, '/')) < 0 ||
		    (r = buf_add(out, seg, n)) < 0)
			break;
	}
	if (r == 0 && out->len == base)
		r = buf_addc(out, '/');
	buf_release(&in);
	return r;
}

void
cmd_path_display(const char *path, size_t len, struct buf *out)
{
	struct buf esc;
	size_t i;

	buf_init(&esc, BUF_MAX_DEFAULT);
	(void)pathenc_escape(path, len, &esc);
	for (i = 0; i < esc.len; i++) {
		unsigned char ch = (unsigned char)esc.data[i];

		if (ch < 0x20 || ch == 0x7f)
			(void)buf_addf(out, "\\x%02x", ch);
		else
			(void)buf_addc(out, (char)ch);
	}
	buf_release(&esc);
}

/* r's attributes, one per line after indent. */
static void
print_attrs(FILE *f, const char *indent, const struct record *r)
{
	struct buf b;
	int a, h;

	buf_init(&b, BUF_MAX_DEFAULT);
	for (a = 0; a < ATTR_COUNT; a++) {
		if (!(r->known & ATTR_BIT(a)))
			continue;
		if (a == ATTR_HASH) {
			if (r->hash_too_large)
				fprintf(f, "%s%-12s (not hashed: over "
				    "max_size)\n", indent, "hash");
			for (h = 0; h < HASH_COUNT; h++) {
				if (!(r->algos & HASH_BIT(h)))
					continue;
				buf_reset(&b);
				(void)attr_format(ATTR_HASH, r, h, &b);
				fprintf(f, "%s%-12s %s\n", indent,
				    hash_name(h), b.data);
			}
			continue;
		}
		if (a == ATTR_LINK_TARGET && r->link_target == NULL)
			continue;
		buf_reset(&b);
		(void)attr_format(a, r, 0, &b);
		fprintf(f, "%s%-12s %s\n", indent, attr_name(a), b.data);
	}
	buf_release(&b);
}

void
cmd_print_record(FILE *f, const char *path, size_t len, const struct record *r)
{
	struct buf b;

	buf_init(&b, BUF_MAX_DEFAULT);
	cmd_path_display(path, len, &b);
	fprintf(f, "%s\n", b.data);
	buf_release(&b);
	print_attrs(f, "  ", r);
}

/* A text of a note, for a terminal (C0, C1 and bidi controls escaped). */
static const char *
note_text(const json_t *o, const char *key, struct buf *b)
{
	const json_t *v = json_object_get(o, key);

	buf_reset(b);
	if (!json_is_string(v))
		return NULL;
	(void)pathenc_visible(json_string_value(v), json_string_length(v), b);
	return b->data;
}

/* "2026-... by root (uid 0), window 3: reason" */
static void
print_accept(FILE *f, const char *label, const json_t *a)
{
	struct buf b;
	const json_t *w = json_object_get(a, "window");

	buf_init(&b, BUF_MAX_DEFAULT);
	fprintf(f, "%s%s", label, note_text(a, "at", &b) != NULL ? b.data :
	    "?");
	fprintf(f, " by %s", note_text(a, "user", &b) != NULL ? b.data : "");
	fprintf(f, "%suid %" JSON_INTEGER_FORMAT ")", note_text(a, "user",
	    &b) != NULL ? " (" : "(", json_integer_value(json_object_get(a,
	    "uid")));
	if (json_is_integer(w))
		fprintf(f, ", window %" JSON_INTEGER_FORMAT,
		    json_integer_value(w));
	if (note_text(a, "reason", &b) != NULL)
		fprintf(f, ": %s", b.data);
	fputc('\n', f);
	buf_release(&b);
}

void
cmd_print_notes(FILE *f, const json_t *accepted, const json_t *history)
{
	const json_t *st, *a;
	struct record rec;
	struct buf b;
	size_t i;

	if (json_is_object(accepted))
		print_accept(f, "  accepted     ", accepted);
	buf_init(&b, BUF_MAX_DEFAULT);
	json_array_foreach(history, i, st) {
		fprintf(f, "  earlier state %zu, until %s\n", i + 1,
		    note_text(st, "replaced", &b) != NULL ? b.data : "?");
		if (record_from_json(st, &rec, NULL) == 0) {
			print_attrs(f, "    ", &rec);
			record_release(&rec);
		}
		if (json_is_object(a = json_object_get(st, "accepted")))
			print_accept(f, "    accepted   ", a);
	}
	buf_release(&b);
}

void
cmd_ignore_own_files(const struct fimd_config *c, struct scan *s)
{
	char *copies = contentstore_path(c->baseline_path);

	scan_ignore_path(s, c->baseline_path, strlen(c->baseline_path));
	scan_ignore_path(s, copies, strlen(copies));
	free(copies);
	if (strcmp(c->alerts_path, "-") != 0)
		scan_ignore_path(s, c->alerts_path, strlen(c->alerts_path));
}
