/*
 * The installed packages (entity.h), from dpkg's status file through its
 * parser (pkgdb_dpkg.h).  A package is in the set from the time dpkg
 * unpacks it until it is removed: "not-installed" and "config-files"
 * (removed, its conffiles left) are out of it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity_int.h"
#include "fileio.h"
#include "pkgdb_dpkg.h"

/* As pkgdb_dpkg.c bounds the files of the database. */
#define STATUS_FILE_MAX	((size_t)256 << 20)

static void
on_stanza(const struct dpkg_stanza *st, void *arg)
{
	struct entity_set *set = arg;
	char key[ENTITY_KEY_MAX];
	json_t *o;

	if (strcmp(st->state, "not-installed") == 0 ||
	    strcmp(st->state, "config-files") == 0)
		return;
	o = json_object();
	json_object_set_new(o, "name", json_string(st->package));
	json_object_set_new(o, "version", json_string(st->version));
	json_object_set_new(o, "architecture", json_string(st->arch));
	json_object_set_new(o, "status", json_string(st->state));
	/* Bytes that are not UTF-8 make no string: no such package. */
	if (json_object_size(o) != 4 ||
	    !entity_key(RULE_PACKAGES, o, key, sizeof(key))) {
		json_decref(o);
		return;
	}
	entity_set_add(set, key, o, 0);
}

int
pkgs_snapshot(const char *dpkg_root, struct entity_set *ret,
    struct diag *diag)
{
	char path[PATH_MAX], *text;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/status", dpkg_root);
	if ((r = fileio_read_path(path, STATUS_FILE_MAX, &text, &len)) < 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot read: %s",
		    strerror(-r));
		return r;
	}
	(void)dpkg_parse_status(path, text, len, on_stanza, ret, diag);
	free(text);
	entity_set_sort(ret);
	return 0;
}
