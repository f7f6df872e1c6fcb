/*
 * --recommend: rules proposed for the software installed here
 * (recommend.h), printed as one rule file on standard output, written
 * one file per proposal with --write, or described in one JSON document
 * with --json.  Every file is checked by the rule loader before it is
 * shown or written, so what --recommend gives passes --validate.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdutil.h"
#include "exitcode.h"
#include "fileio.h"
#include "log.h"
#include "recommend.h"
#include "xmalloc.h"

/* Exit status: nothing to propose; a file of --write left as it was. */
#define EXIT_NOTHING	1
#define EXIT_KEPT	2

struct outcome {
	json_t	*written;	/* paths */
	json_t	*kept;		/* paths that existed */
};

/* The rules in force; none at all is no error here. */
static int
load_in_force(const struct fimd_config *c, struct ruleset **ret)
{
	struct diag d;
	int r;

	*ret = NULL;
	diag_init(&d);
	r = ruleset_load(c->rules_path, c->shipped_rules, ret, &d);
	if (r == -ENOENT) {
		if (c->verbosity > 0)
			log_info("no rules in %s: every path is uncovered",
			    c->rules_path);
		diag_release(&d);
		return 0;
	}
	cmd_print_diag(&d, false);
	diag_release(&d);
	if (r == -EINVAL) {
		log_warnx("the rules in force (%s) are not valid: fix them "
		    "first (fimd --validate)", c->rules_path);
		return EXIT_BAD_RULES;
	}
	if (r < 0) {
		errno = -r;
		log_err("cannot read rules %s", c->rules_path);
		return EXIT_IO_ERROR;
	}
	return 0;
}

static int
load_host(const struct fimd_config *c, struct rec_host **ret)
{
	struct rec_host *h = rec_host_new(c->host_root);
	struct diag d;
	char *status;
	int r = 0;

	diag_init(&d);
	if (c->package_db != NULL) {
		status = xasprintf("%s/status", c->package_db);
		r = rec_host_read_dpkg(h, status, &d);
		if (r < 0)
			log_warnx("%s%s: %s: installed packages not known",
			    rec_host_root(h), status, strerror(-r));
		free(status);
	}
	cmd_print_diag(&d, true);
	diag_release(&d);
	rec_host_read_units(h);
	*ret = h;
	return 0;
}

/* One rule file's text, checked by the rule loader; NULL when refused. */
static char *
file_text(const char *name, json_t *rules)
{
	json_t *file = json_pack("{s:O}", "rules", rules);
	struct ruleset *rs = NULL;
	struct diag d;
	char *text, *out;

	text = json_dumps(file, JSON_INDENT(2));
	json_decref(file);
	if (text == NULL)
		return NULL;
	out = xasprintf("%s\n", text);
	free(text);
	diag_init(&d);
	if (ruleset_load_buffer(name, out, strlen(out), &rs, &d) < 0) {
		cmd_print_diag(&d, true);
		log_warnx("%s: the recommendation file proposes rules that "
		    "are not valid", name);
		free(out);
		out = NULL;
	}
	ruleset_free(rs);
	diag_release(&d);
	return out;
}

static int
write_new(const char *path, const char *text)
{
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0)
		return -errno;
	r = fileio_write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		(void)unlink(path);
	return r;
}

static int
write_one(const struct fimd_config *c, json_t *p, const char *text,
    struct outcome *o)
{
	const char *file = json_string_value(json_object_get(p, "file"));
	char *path = xasprintf("%s/%s", c->recommend_write, file);
	int r;

	if ((r = write_new(path, text)) == -EEXIST) {
		log_warnx("%s exists: left as it was", path);
		json_array_append_new(o->kept, json_string(path));
		r = 0;
	} else if (r < 0) {
		errno = -r;
		log_err("cannot write %s", path);
	} else {
		if (!c->json && c->verbosity >= 0)
			printf("wrote %s\n", path);
		json_array_append_new(o->written, json_string(path));
	}
	free(path);
	return r < 0 ? EXIT_IO_ERROR : 0;
}

static int
make_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_err("cannot create %s", dir);
		return EXIT_IO_ERROR;
	}
	return 0;
}

/* "a, b" from a JSON array of strings. */
static void
join(FILE *f, json_t *a)
{
	const char *sep = "";
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		fprintf(f, "%s%s", sep, json_string_value(v));
		sep = ", ";
	}
}

/* What was found and what it yields, one line per entry. */
static void
summarise(FILE *f, json_t *p)
{
	json_t *rules = json_object_get(p, "rules"), *r;
	size_t i, npaths = 0;

	fprintf(f, "%s (", json_string_value(json_object_get(p, "name")));
	join(f, json_object_get(p, "packages"));
	if (json_array_size(json_object_get(p, "packages")) > 0 &&
	    json_array_size(json_object_get(p, "units")) > 0)
		fprintf(f, "; ");
	join(f, json_object_get(p, "units"));
	json_array_foreach(rules, i, r)
		npaths += json_array_size(json_object_get(r, "paths"));
	if (json_array_size(rules) == 0)
		fprintf(f, "): covered by the rules in force\n");
	else
		fprintf(f, "): %zu rule%s, %zu path%s%s\n",
		    json_array_size(rules), json_array_size(rules) == 1 ?
		    "" : "s", npaths, npaths == 1 ? "" : "s",
		    json_array_size(json_object_get(p, "covered")) > 0 ?
		    " (others covered already)" : "");
}

/* The proposals' texts, and the files of --write. */
static int
emit(const struct fimd_config *c, json_t *props, json_t *all,
    struct outcome *o)
{
	json_t *p, *rules;
	char *text;
	size_t i, j;
	int r = 0;

	json_array_foreach(props, i, p) {
		rules = json_object_get(p, "rules");
		if (json_array_size(rules) == 0)
			continue;
		text = file_text(json_string_value(json_object_get(p,
		    "file")), rules);
		if (text == NULL)
			return EXIT_BAD_RULES;
		if (c->recommend_write != NULL)
			r = write_one(c, p, text, o);
		free(text);
		if (r != 0)
			return r;
		for (j = 0; j < json_array_size(rules); j++)
			json_array_append(all, json_array_get(rules, j));
	}
	return 0;
}

static void
print_json(const struct fimd_config *c, const struct rec_host *h,
    json_t *props, const struct outcome *o)
{
	json_t *doc;
	char *s;

	doc = json_pack("{s:s, s:s, s:I, s:I, s:O}", "recommendations",
	    c->recommend_path, "root", rec_host_root(h)[0] != '\0' ?
	    rec_host_root(h) : "/", "packages",
	    (json_int_t)rec_host_npackages(h), "units",
	    (json_int_t)rec_host_nunits(h), "proposals", props);
	json_object_set(doc, "written", o->written);
	json_object_set(doc, "kept", o->kept);
	if ((s = json_dumps(doc, JSON_INDENT(2))) != NULL)
		printf("%s\n", s);
	free(s);
	json_decref(doc);
}

/* Everything but the rules themselves goes to stderr, unless -q. */
static void
report(const struct fimd_config *c, const struct rec_host *h, json_t *props,
    size_t nrules)
{
	json_t *p;
	size_t i;

	if (c->verbosity < 0)
		return;
	if (json_array_size(props) == 0) {
		fprintf(stderr, "fimd: no recommendations: none of the "
		    "software %s knows is installed here (%zu packages, %zu "
		    "enabled units below %s)\n", c->recommend_path,
		    rec_host_npackages(h), rec_host_nunits(h),
		    rec_host_root(h)[0] != '\0' ? rec_host_root(h) : "/");
		return;
	}
	json_array_foreach(props, i, p) {
		fprintf(stderr, "fimd: recommend: ");
		summarise(stderr, p);
	}
	if (nrules == 0)
		fprintf(stderr, "fimd: no recommendations: the rules in "
		    "force (%s) cover all of it\n", c->rules_path);
}

/* Every proposed rule as one rule file on stdout. */
static int
print_file(json_t *all)
{
	char *text = file_text("(standard output)", all);

	if (text == NULL)
		return EXIT_BAD_RULES;
	fputs(text, stdout);
	free(text);
	return 0;
}

static int
recommend(const struct fimd_config *c, const struct recset *set,
    const struct ruleset *rs, struct rec_host *h)
{
	struct outcome o = { json_array(), json_array() };
	json_t *props, *all = json_array();
	struct diag d;
	int r;

	diag_init(&d);
	props = recommend_build(set, h, rs, &d);
	cmd_print_diag(&d, false);
	diag_release(&d);
	if (c->recommend_write != NULL &&
	    (r = make_dir(c->recommend_write)) != 0)
		goto out;
	if ((r = emit(c, props, all, &o)) != 0)
		goto out;
	if (c->json)
		print_json(c, h, props, &o);
	else {
		report(c, h, props, json_array_size(all));
		if (c->recommend_write == NULL && json_array_size(all) > 0 &&
		    (r = print_file(all)) != 0)
			goto out;
	}
	if (json_array_size(all) == 0)
		r = EXIT_NOTHING;
	else if (json_array_size(o.kept) > 0)
		r = EXIT_KEPT;
out:
	json_decref(props);
	json_decref(all);
	json_decref(o.written);
	json_decref(o.kept);
	return r;
}

int
cmd_recommend(const struct fimd_config *c)
{
	struct ruleset *rs = NULL;
	struct rec_host *h = NULL;
	struct recset *set;
	struct diag d;
	int r;

	diag_init(&d);
	r = recset_load(c->recommend_path, &set, &d);
	cmd_print_diag(&d, true);
	diag_release(&d);
	if (r < 0)
		return r == -EINVAL ? EXIT_BAD_RULES : EXIT_IO_ERROR;
	if ((r = load_in_force(c, &rs)) == 0 && (r = load_host(c, &h)) == 0)
		r = recommend(c, set, rs, h);
	rec_host_free(h);
	ruleset_free(rs);
	recset_free(set);
	return r;
}
