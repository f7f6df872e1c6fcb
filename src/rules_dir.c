/*
 * rules_dir: finding and reading rule files; see rules.h.
 *
 * The shipped directory is read first and the admin directory (or file)
 * second, so a same-named admin file replaces a shipped one; the merged
 * list is then loaded in byte order of the names.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "rules_int.h"
#include "xmalloc.h"

#define RULES_FILE_MAX		((size_t)16 << 20)

/* Load one file into l->rs.  Returns 0 or a negative errno for I/O. */
static int
load_file(struct rules_loader *l, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	l->file = rules_add_file(l->rs, path);
	if ((r = fileio_read_path(path, RULES_FILE_MAX, &text, &len)) < 0) {
		diag_add(l->diag, DIAG_ERROR, l->file, 0, 0, "cannot read: %s",
		    r == -EINVAL ? "not a regular file" : strerror(-r));
		l->errors++;
		return r;
	}
	rules_parse_text(l, text, len);
	free(text);
	return 0;
}

/* A rule file name: "*.json", not hidden. */
static bool
is_rule_file(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

struct rulefile {
	char	*name;
	char	*path;
};

static int
rulefile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rulefile *)a)->name,
	    ((const struct rulefile *)b)->name);
}

/*
 * Add the rule files of dir to *v, replacing same-named entries.
 * Returns 0, -ENOENT when dir does not exist, or another negative errno.
 */
static int
collect_dir(const char *dir, struct rulefile **v, size_t *n)
{
	struct dirent *de;
	DIR *d;
	size_t i;

	if ((d = opendir(dir)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		char *path;

		if (!is_rule_file(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		for (i = 0; i < *n; i++)
			if (strcmp((*v)[i].name, de->d_name) == 0)
				break;
		if (i < *n) {
			free((*v)[i].path);
			(*v)[i].path = path;
			continue;
		}
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[*n].name = xstrdup(de->d_name);
		(*v)[*n].path = path;
		(*n)++;
	}
	closedir(d);
	return 0;
}

/* A symlink to /dev/null disables a rule file of the same name. */
static bool
is_disabled(const char *path)
{
	char target[16];
	ssize_t n;

	n = readlink(path, target, sizeof(target));
	return n == 9 && memcmp(target, "/dev/null", 9) == 0;
}

int
ruleset_load(const char *dir_or_file, const char *shipped_dir,
    struct ruleset **ret, struct diag *diag)
{
	struct rulefile *files = NULL;
	struct rules_loader l;
	struct stat st;
	size_t nfiles = 0, i, loaded = 0;
	int r = 0, ioerr = 0;

	memset(&l, 0, sizeof(l));
	l.diag = diag;
	if (shipped_dir != NULL &&
	    (r = collect_dir(shipped_dir, &files, &nfiles)) < 0 &&
	    r != -ENOENT) {
		diag_add(diag, DIAG_ERROR, shipped_dir, 0, 0,
		    "cannot read directory: %s", strerror(-r));
		ioerr = r;
	}
	if (stat(dir_or_file, &st) == 0 && !S_ISDIR(st.st_mode)) {
		const char *base = strrchr(dir_or_file, '/');

		base = base != NULL ? base + 1 : dir_or_file;
		for (i = 0; i < nfiles; i++)
			if (strcmp(files[i].name, base) == 0)
				break;
		if (i == nfiles) {
			files = xreallocarray(files, nfiles + 1,
			    sizeof(*files));
			files[nfiles++].name = xstrdup(base);
		} else
			free(files[i].path);
		files[i].path = xstrdup(dir_or_file);
	} else if ((r = collect_dir(dir_or_file, &files, &nfiles)) < 0 &&
	    (r != -ENOENT || nfiles == 0)) {
		diag_add(diag, DIAG_ERROR, dir_or_file, 0, 0,
		    "cannot read rules: %s", strerror(-r));
		if (r != -ENOENT)
			ioerr = r;
	}
	if (nfiles > 1)
		qsort(files, nfiles, sizeof(*files), rulefile_cmp);

	l.rs = xcalloc(1, sizeof(*l.rs));
	for (i = 0; i < nfiles; i++) {
		if (is_disabled(files[i].path)) {
			diag_add(diag, DIAG_NOTE, files[i].path, 0, 0,
			    "disabled (symlink to /dev/null)");
			continue;
		}
		if ((r = load_file(&l, files[i].path)) < 0 && ioerr == 0)
			ioerr = r;
		loaded++;
	}
	for (i = 0; i < nfiles; i++) {
		free(files[i].name);
		free(files[i].path);
	}
	free(files);
	if (ioerr != 0 || loaded == 0) {
		if (loaded == 0 && ioerr == 0)
			diag_add(diag, DIAG_ERROR, dir_or_file, 0, 0,
			    "no rule files (*.json) found");
		ruleset_free(l.rs);
		return ioerr != 0 ? ioerr : -ENOENT;
	}
	return rules_finish(&l, ret);
}
