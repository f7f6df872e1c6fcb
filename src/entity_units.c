/*
 * The systemd units (entity.h) of a services rule's unit directories,
 * read as systemd reads them: the first directory that holds a unit's
 * name wins (so /etc/systemd/system overrides /usr/lib/systemd/system),
 * a name linked to /dev/null is masked, a link to it in a NAME.wants or
 * NAME.requires directory enables it for NAME, and the .conf files of
 * NAME.d (drop-ins) change it.  What a unit file says is compared by its
 * SHA-256 digest, not parsed.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "entity_int.h"
#include "fileio.h"
#include "hash.h"
#include "pathenc.h"
#include "xmalloc.h"

/* A unit file is small; one past this is compared by its size. */
#define UNIT_FILE_MAX	((size_t)1 << 20)

static const char *const unit_kinds[] = {
	".service", ".socket", ".timer", ".target", ".path", ".mount",
	".automount", ".swap", ".slice", ".scope", ".device", NULL
};

/* Whether name (a directory entry) is a unit's name. */
static bool
is_unit_name(const char *name)
{
	size_t n = strlen(name), k, i;

	if (name[0] == '.' || !pathenc_is_utf8(name, n))
		return false;
	for (i = 0; unit_kinds[i] != NULL; i++) {
		k = strlen(unit_kinds[i]);
		if (n > k && strcmp(name + n - k, unit_kinds[i]) == 0)
			return true;
	}
	return false;
}

/* A name with this suffix, cut off, into out; false: no such suffix. */
static bool
strip(const char *name, const char *suffix, char *out, size_t size)
{
	size_t n = strlen(name), k = strlen(suffix);

	if (n <= k || n - k >= size || strcmp(name + n - k, suffix) != 0)
		return false;
	memcpy(out, name, n - k);
	out[n - k] = '\0';
	return is_unit_name(out);
}

static void
digest_text(const char *text, size_t len, char *out)
{
	unsigned char md[32];

	if (hash_buffer(HASH_SHA256, text, len, md) < 0)
		memset(md, 0, sizeof(md));
	/* out holds 8 + 64 + 1 bytes: "sha256:", the hex and its NUL. */
	snprintf(out, 8, "sha256:");
	hash_hex(md, sizeof(md), out + 7);
}

/* "sha256:<hex>" of the file at path (followed), or false. */
static bool
digest_file(const char *path, char *out)
{
	char *text;
	size_t len;

	if (fileio_read_path(path, UNIT_FILE_MAX, &text, &len) < 0)
		return false;
	digest_text(text, len, out);
	free(text);
	return true;
}

static json_t *
unit_get(struct entity_set *set, const char *name)
{
	size_t i;

	/* Unsorted while it is built; a host has some hundreds. */
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].key, name) == 0)
			return set->v[i].attrs;
	return NULL;
}

/* A unit file or link of a directory, unless a first one won. */
static void
add_unit(struct entity_set *set, const char *dir, const char *name)
{
	char path[PATH_MAX], target[PATH_MAX], digest[8 + 64 + 1];
	struct stat st;
	ssize_t n;
	json_t *o;

	if (unit_get(set, name) != NULL)
		return;		/* overridden by an earlier directory */
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path) || lstat(path, &st) < 0)
		return;
	o = json_pack("{s:s,s:s}", "name", name, "path", path);
	if (S_ISLNK(st.st_mode) && (n = readlink(path, target,
	    sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		if (strcmp(target, "/dev/null") == 0) {
			json_object_set_new(o, "state", json_string("masked"));
			entity_set_add(set, name, o, 0);
			return;
		}
		if (pathenc_is_utf8(target, (size_t)n))
			json_object_set_new(o, "link", json_string(target));
	} else if (!S_ISREG(st.st_mode)) {
		json_decref(o);
		return;
	}
	if (digest_file(path, digest))
		json_object_set_new(o, "digest", json_string(digest));
	entity_set_add(set, name, o, 0);
}

/* dir/NAME.wants/UNIT: UNIT is wanted by NAME. */
static void
add_wants(struct entity_set *set, const char *dir, const char *sub,
    const char *by)
{
	char path[PATH_MAX];
	struct dirent *de;
	json_t *o, *list;
	DIR *d;

	if (snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    (int)sizeof(path) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!is_unit_name(de->d_name))
			continue;
		if ((o = unit_get(set, de->d_name)) == NULL) {
			/* An instance, or a unit of another directory. */
			o = json_pack("{s:s}", "name", de->d_name);
			entity_set_add(set, de->d_name, o, 0);
		}
		if ((list = json_object_get(o, "wanted_by")) == NULL) {
			list = json_array();
			json_object_set_new(o, "wanted_by", list);
		}
		json_array_append_new(list, json_string(by));
	}
	closedir(d);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir/NAME.d/ *.conf: one digest over their names and contents. */
static void
add_dropins(struct entity_set *set, const char *dir, const char *sub,
    const char *unit)
{
	char path[PATH_MAX], file[PATH_MAX + 256], digest[8 + 64 + 1];
	char **names = NULL, *text;
	size_t n = 0, i, len, nlen;
	struct dirent *de;
	struct buf all;
	json_t *o;
	DIR *d;

	if ((o = unit_get(set, unit)) == NULL ||
	    json_object_get(o, "dropins") != NULL ||
	    snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    (int)sizeof(path) || (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		nlen = strlen(de->d_name);
		if (nlen > 5 && strcmp(de->d_name + nlen - 5, ".conf") == 0) {
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (n == 0)
		return;
	qsort(names, n, sizeof(*names), name_cmp);
	buf_init(&all, BUF_MAX_DEFAULT);
	for (i = 0; i < n; i++) {
		(void)buf_addf(&all, "%s\n", names[i]);
		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		if (fileio_read_path(file, UNIT_FILE_MAX, &text, &len) == 0) {
			(void)buf_add(&all, text, len);
			free(text);
		}
		free(names[i]);
	}
	free(names);
	digest_text(all.data, all.len, digest);
	buf_release(&all);
	json_object_set_new(o, "dropins", json_string(digest));
}

/* One pass over dir; units first, then what refers to them. */
static void
read_dir(struct entity_set *set, const char *dir, bool refs)
{
	char unit[NAME_MAX + 1];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;		/* not there: it holds no unit */
	while ((de = readdir(d)) != NULL) {
		if (!refs) {
			if (is_unit_name(de->d_name))
				add_unit(set, dir, de->d_name);
		} else if (strip(de->d_name, ".wants", unit, sizeof(unit)) ||
		    strip(de->d_name, ".requires", unit, sizeof(unit)))
			add_wants(set, dir, de->d_name, unit);
		else if (strip(de->d_name, ".d", unit, sizeof(unit)))
			add_dropins(set, dir, de->d_name, unit);
	}
	closedir(d);
}

/* Sorted, each once: the targets that want a unit. */
static json_t *
sorted_strings(const json_t *a)
{
	const char **v = xcalloc(json_array_size(a) + 1, sizeof(*v));
	json_t *out = json_array();
	const json_t *e;
	size_t i, n = 0;

	json_array_foreach(a, i, e)
		v[n++] = json_string_value(e);
	qsort(v, n, sizeof(*v), name_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			json_array_append_new(out, json_string(v[i]));
	free(v);
	return out;
}

int
units_snapshot(const struct rule_path *dirs, size_t ndirs,
    struct entity_set *ret, struct diag *diag)
{
	json_t *o, *list;
	size_t i;

	(void)diag;
	for (i = 0; i < ndirs; i++)
		read_dir(ret, dirs[i].path, false);
	for (i = 0; i < ndirs; i++)
		read_dir(ret, dirs[i].path, true);
	for (i = 0; i < ret->n; i++) {
		o = ret->v[i].attrs;
		if ((list = json_object_get(o, "wanted_by")) != NULL) {
			list = sorted_strings(list);
			json_object_set_new(o, "wanted_by", list);
		}
		if (json_object_get(o, "state") == NULL)
			json_object_set_new(o, "state", json_string(
			    list != NULL ? "enabled" : "disabled"));
	}
	entity_set_sort(ret);
	return 0;
}
