/*
 * Fuzz target: dpkg's database files as fimd reads them (anyone allowed
 * to run dpkg can write them).  The first byte picks the parser ('s'
 * status, 'l' a .list, 'm' a .md5sums, anything else diversions); the
 * rest is an exact-size copy of the file.  What a parser hands over goes
 * into a package index (pkgdb.h) and is looked up again.  Properties:
 * every path given is absolute, NUL-free and at least one byte; a
 * refusal names a line; an accepted file adds no diagnostic; whatever
 * was indexed is found.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fuzzlib.h"
#include "pkgdb_dpkg.h"

struct sink {
	struct pkgdb *db;
	uint32_t pkg;
};

static void
check_path(const char *path, size_t len)
{
	FUZZ_CHECK(len > 0 && path[0] == '/');
	FUZZ_CHECK(memchr(path, '\0', len) == NULL);
}

static void
found(const struct pkgdb *db, const char *path, size_t len)
{
	struct pkg_owner o;

	FUZZ_CHECK(pkgdb_lookup(db, path, len, &o));
	FUZZ_CHECK(o.name != NULL && o.version != NULL && o.arch != NULL);
}

static void
on_path(const char *path, size_t len, void *arg)
{
	struct sink *s = arg;

	check_path(path, len);
	pkgdb_add_file(s->db, s->pkg, path, len);
	found(s->db, path, len);
}

static void
on_md5(const char *path, size_t len, const unsigned char *md5, void *arg)
{
	struct sink *s = arg;
	struct pkg_owner o;

	check_path(path, len);
	pkgdb_add_file(s->db, s->pkg, path, len);
	pkgdb_set_digest(s->db, s->pkg, path, len, md5);
	FUZZ_CHECK(pkgdb_lookup(s->db, path, len, &o));
}

static void
on_stanza(const struct dpkg_stanza *st, void *arg)
{
	struct sink *s = arg;
	uint32_t pkg;
	size_t i;

	FUZZ_CHECK(st->package[0] != '\0' && st->line > 0);
	pkg = pkgdb_package(s->db, st->package);
	pkgdb_package_set(s->db, pkg, st->package, st->arch, st->version);
	for (i = 0; i < st->nconffiles; i++) {
		check_path(st->conffiles[i].path, st->conffiles[i].len);
		pkgdb_add_conffile(s->db, pkg, st->conffiles[i].path,
		    st->conffiles[i].len, st->conffiles[i].have_md5 ?
		    st->conffiles[i].md5 : NULL);
		found(s->db, st->conffiles[i].path, st->conffiles[i].len);
	}
}

static void
on_diversion(const char *from, const char *to, const char *by, void *arg)
{
	struct sink *s = arg;

	check_path(from, strlen(from));
	check_path(to, strlen(to));
	FUZZ_CHECK(by == NULL || by[0] != '\0');
	pkgdb_add_diversion(s->db, from, to, by);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink s;
	struct diag d;
	char *text;
	size_t i, len = size > 0 ? size - 1 : 0;
	int r;

	text = malloc(len > 0 ? len : 1);
	FUZZ_CHECK(text != NULL);
	if (len > 0)
		memcpy(text, data + 1, len);
	diag_init(&d);
	s.db = pkgdb_new(&pkgdb_dpkg_backend, "/nonexistent", &d);
	s.pkg = pkgdb_package(s.db, "fuzz");
	pkgdb_files_begin(s.db, s.pkg);
	switch (size > 0 ? data[0] : 0) {
	case 's':
		r = dpkg_parse_status("status", text, len, on_stanza, &s, &d);
		break;
	case 'l':
		r = dpkg_parse_list("fuzz.list", text, len, on_path, &s, &d);
		break;
	case 'm':
		r = dpkg_parse_md5sums("fuzz.md5sums", text, len, on_md5, &s,
		    &d);
		break;
	default:
		r = dpkg_parse_diversions("diversions", text, len,
		    on_diversion, &s, &d);
		break;
	}
	pkgdb_files_end(s.db, s.pkg);
	FUZZ_CHECK(r == 0 ? d.n == 0 : d.errors > 0);
	for (i = 0; i < d.n; i++) {
		char *m = diag_format(&d.v[i]);

		FUZZ_CHECK(d.v[i].file != NULL && d.v[i].line > 0);
		free(m);
	}
	pkgdb_free(s.db);
	diag_release(&d);
	free(text);
	return 0;
}
