/*
 * pkgdb and its dpkg backend on fixture databases in a temporary
 * directory: status with Conffiles (obsolete, newconffile), .list and
 * .md5sums, a Multi-Arch: same package, diversions; malformed lines
 * named by file and line; a re-read of one package drops what it no
 * longer lists; the inotify watch queues what dpkg rewrites and tells a
 * transaction by the lock file; and judge_package's verdicts, row by
 * row.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

#include "hash.h"
#include "hex.h"
#include "judge.h"
#include "pkgdb_dpkg.h"

#define MD5_A	"0123456789abcdef0123456789abcdef"
#define MD5_B	"fedcba9876543210fedcba9876543210"
#define MD5_C	"00112233445566778899aabbccddeeff"

static const char status_text[] =
    "Package: tool\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Version: 1.2-3\n"
    "Conffiles:\n"
    " /etc/tool.conf " MD5_C "\n"
    " /etc/tool.old " MD5_A " obsolete\n"
    " /etc/tool.d/new file newconffile\n"
    "Description: a tool\n"
    " with a long description\n"
    "\n"
    "Package: libx\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Multi-Arch: same\n"
    "Version: 2.0\n"
    "\n"
    "Package: gone\n"
    "Status: purge ok not-installed\n"
    "Architecture: amd64\n";

static const char tool_list[] =
    "/.\n/usr\n/usr/bin\n/usr/bin/tool\n/usr/bin/other\n/etc/tool.conf\n"
    "/usr/share/tool/\n";

static const char tool_md5[] =
    MD5_A "  usr/bin/tool\n"
    MD5_B "  ./usr/bin/other\n";

static char *
fixture(void)
{
	char *root = tlib_mkdtemp("pkgdb"), *p;

	p = tlib_fmt("%s/info", root);
	if (mkdir(p, 0755) < 0)
		fail_msg("mkdir %s", p);
	free(p);
#define PUT(name, text) do {						\
	p = tlib_fmt("%s/%s", root, name);				\
	tlib_write(p, text, (size_t)-1);				\
	free(p);							\
} while (0)
	PUT("status", status_text);
	PUT("info/tool.list", tool_list);
	PUT("info/tool.md5sums", tool_md5);
	PUT("info/libx:amd64.list", "/usr/lib/libx.so.2\n/usr/bin/shared\n");
	PUT("info/libx:amd64.md5sums", MD5_C "  usr/lib/libx.so.2\n");
	PUT("diversions", "/usr/bin/shared\n/usr/bin/shared.distrib\ntool\n");
#undef PUT
	return root;
}

static struct pkgdb *
load(const char *root, struct diag *d)
{
	struct pkgdb *db = pkgdb_new(&pkgdb_dpkg_backend, root, d);

	assert_int_equal(pkgdb_begin(db), 0);
	(void)pkgdb_load(db);
	assert_true(pkgdb_ready(db));
	return db;
}

static void
dump(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);

		fprintf(stderr, "  diag: %s\n", s);
		free(s);
	}
}

static void
check_owner(const struct pkgdb *db, const char *path, const char *name,
    const char *version, bool conffile, const char *md5hex)
{
	unsigned char md5[PKG_MD5_SIZE];
	struct pkg_owner o;

	if (!pkgdb_lookup(db, path, strlen(path), &o)) {
		if (name != NULL)
			fail_msg("%s: no owner, want %s", path, name);
		return;
	}
	if (name == NULL)
		fail_msg("%s: owned by %s, want none", path, o.name);
	assert_string_equal(o.name, name);
	assert_string_equal(o.version, version);
	assert_string_equal(o.type, "deb");
	assert_int_equal(o.conffile, conffile);
	assert_int_equal(o.have_digest, md5hex != NULL);
	if (md5hex != NULL) {
		assert_int_equal(hex_decode(md5hex, 32, md5, sizeof(md5)), 0);
		assert_memory_equal(o.md5, md5, sizeof(md5));
	}
}

static void
test_load(void **state)
{
	struct pkgdb_stats st;
	struct diag d;
	struct pkgdb *db;
	char *root = fixture();

	(void)state;
	diag_init(&d);
	db = load(root, &d);
	if (d.n > 0)
		dump(&d);
	assert_int_equal(d.n, 0);
	check_owner(db, "/usr/bin/tool", "tool", "1.2-3", false, MD5_A);
	check_owner(db, "/usr/bin/other", "tool", "1.2-3", false, MD5_B);
	check_owner(db, "/usr/bin", "tool", "1.2-3", false, NULL);
	check_owner(db, "/usr/share/tool", "tool", "1.2-3", false, NULL);
	check_owner(db, "/etc/tool.conf", "tool", "1.2-3", true, MD5_C);
	check_owner(db, "/etc/tool.d/new file", "tool", "1.2-3", true, NULL);
	check_owner(db, "/etc/tool.old", NULL, NULL, false, NULL);
	check_owner(db, "/usr/lib/libx.so.2", "libx", "2.0", false, MD5_C);
	/* libx's /usr/bin/shared was diverted by tool: it lives aside. */
	check_owner(db, "/usr/bin/shared.distrib", "libx", "2.0", false, NULL);
	check_owner(db, "/usr/bin/shared", NULL, NULL, false, NULL);
	check_owner(db, "/", NULL, NULL, false, NULL);
	check_owner(db, "/usr/bin/nothing", NULL, NULL, false, NULL);
	pkgdb_stats(db, &st);
	assert_int_equal(st.paths, 8);
	assert_int_equal(st.conffiles, 2);
	assert_true(pkgdb_is_manager(db, "dpkg"));
	assert_true(pkgdb_is_manager(db, "/usr/bin/apt-get"));
	assert_true(pkgdb_is_manager(db, "unattended-upgr"));
	assert_false(pkgdb_is_manager(db, "dpkgx"));
	assert_false(pkgdb_is_manager(db, "/tmp/dpkg/sh"));
	pkgdb_free(db);
	diag_release(&d);
	tlib_rmrf(root);
	free(root);
}

/* The package a read dropped path from, or none (name NULL). */
static void
check_departed(const struct pkgdb *db, const char *path, const char *name)
{
	struct pkg_owner o;

	if (!pkgdb_departed(db, path, strlen(path), &o)) {
		if (name != NULL)
			fail_msg("%s: not departed, want %s", path, name);
		return;
	}
	if (name == NULL)
		fail_msg("%s: departed from %s, want none", path, o.name);
	assert_string_equal(o.name, name);
}

/*
 * Re-reading one package drops its paths that went, keeps the rest, and
 * remembers what it dropped as departed; installed follows the status.
 */
static void
test_reread(void **state)
{
	struct diag d;
	struct pkgdb *db;
	char *root = fixture(), *p;
	const char *v;

	(void)state;
	diag_init(&d);
	db = load(root, &d);
	p = tlib_fmt("%s/info/tool.list", root);
	tlib_write(p, "/usr/bin/tool\n/usr/bin/added\n", (size_t)-1);
	free(p);
	p = tlib_fmt("%s/status", root);
	tlib_write(p, "Package: tool\nStatus: install ok installed\n"
	    "Architecture: amd64\nVersion: 1.2-4\n", (size_t)-1);
	free(p);
	pkgdb_queue(db, "tool");
	pkgdb_queue(db, ":status");
	assert_int_equal(pkgdb_queued(db), 2);
	while (pkgdb_step(db, 1))
		;
	check_owner(db, "/usr/bin/tool", "tool", "1.2-4", false, MD5_A);
	check_owner(db, "/usr/bin/added", "tool", "1.2-4", false, NULL);
	check_owner(db, "/usr/bin/other", NULL, NULL, false, NULL);
	check_owner(db, "/usr/bin", NULL, NULL, false, NULL);
	check_owner(db, "/etc/tool.conf", NULL, NULL, false, NULL);
	/* A package whose .list went leaves nothing behind. */
	p = tlib_fmt("%s/info/libx:amd64.list", root);
	assert_int_equal(unlink(p), 0);
	free(p);
	pkgdb_queue(db, "libx:amd64");
	assert_int_equal(pkgdb_load(db), 0);
	check_owner(db, "/usr/lib/libx.so.2", NULL, NULL, false, NULL);
	assert_int_equal(d.n, 0);
	check_departed(db, "/usr/bin/other", "tool");
	check_departed(db, "/etc/tool.conf", "tool");	/* a conffile */
	check_departed(db, "/usr/lib/libx.so.2", "libx");
	check_departed(db, "/usr/bin/nothing", NULL);
	assert_true(pkgdb_installed(db, "tool", "amd64", &v));
	assert_string_equal(v, "1.2-4");
	assert_false(pkgdb_installed(db, "libx", "amd64", &v));
	assert_null(v);
	assert_false(pkgdb_installed(db, "gone", "amd64", &v));
	pkgdb_departed_clear(db);
	check_departed(db, "/usr/bin/other", NULL);
	/* Removed, its conffiles left: not installed. */
	p = tlib_fmt("%s/status", root);
	tlib_write(p, "Package: tool\nStatus: deinstall ok config-files\n"
	    "Architecture: amd64\nVersion: 1.2-4\n", (size_t)-1);
	free(p);
	pkgdb_queue(db, ":status");
	assert_int_equal(pkgdb_load(db), 0);
	assert_false(pkgdb_installed(db, "tool", "amd64", &v));
	pkgdb_free(db);
	diag_release(&d);
	tlib_rmrf(root);
	free(root);
}

/* inotify: dpkg's renames queue units; the lock file is a transaction. */
static void
test_watch(void **state)
{
	struct diag d;
	struct pkgdb *db;
	char *root = fixture(), *p, *q;
	int fd;

	(void)state;
	diag_init(&d);
	db = load(root, &d);
	assert_int_equal(pkgdb_watch(db), 0);
	assert_true(pkgdb_fd(db) >= 0);
	p = tlib_fmt("%s/info/tool.list-new", root);
	q = tlib_fmt("%s/info/tool.list", root);
	tlib_write(p, "/usr/bin/tool\n", (size_t)-1);
	assert_int_equal(rename(p, q), 0);
	free(p);
	free(q);
	p = tlib_fmt("%s/lock", root);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	pkgdb_watch_read(db);
	assert_true(pkgdb_busy(db));
	assert_int_equal(pkgdb_queued(db), 1);
	assert_int_equal(pkgdb_take_ended(db), 0);
	close(fd);
	pkgdb_watch_read(db);
	assert_false(pkgdb_busy(db));
	assert_int_equal(pkgdb_take_ended(db), 1);
	(void)pkgdb_load(db);
	check_owner(db, "/usr/bin/other", NULL, NULL, false, NULL);
	free(p);
	pkgdb_free(db);
	diag_release(&d);
	tlib_rmrf(root);
	free(root);
}

struct bad_case {
	int	 kind;		/* 0 status, 1 list, 2 md5sums, 3 diversions */
	const char *text;
	unsigned line;
	const char *message;
};

static void
count_path(const char *path, size_t len, void *arg)
{
	(void)path;
	(void)len;
	(*(int *)arg)++;
}

static void
count_md5(const char *path, size_t len, const unsigned char *md5, void *arg)
{
	(void)md5;
	count_path(path, len, arg);
}

static void
count_div(const char *from, const char *to, const char *by, void *arg)
{
	(void)from;
	(void)to;
	(void)by;
	(*(int *)arg)++;
}

static void
count_stanza(const struct dpkg_stanza *st, void *arg)
{
	(void)st;
	(*(int *)arg)++;
}

/* Each malformed line: a clear message with file and line; good lines
 * around it still count. */
static void
test_malformed(void **state)
{
	static const struct bad_case cases[] = {
		{ 0, "Package: a\nno colon here\n", 2, "expected \"Field: value\"" },
		{ 0, " stray\nPackage: a\n", 1, "continuation line outside" },
		{ 0, "Package: a\nConffiles:\n /etc/x notahash\n", 3,
		    "expected a conffile" },
		{ 0, "Package: a\nConffiles:\n relative " MD5_A "\n", 3,
		    "expected a conffile" },
		{ 0, "Version: 1\n\nPackage: b\n", 1, "without a Package" },
		{ 0, "Package: a\nStatus: installed\n", 2, "want flag state" },
		{ 0, "Package: a\nDescription: x\0y\n", 2, "NUL byte" },
		{ 1, "/ok\nrelative/path\n/ok2\n", 2, "absolute path" },
		{ 1, "/ok\n\n", 2, "absolute path" },
		{ 2, MD5_A "  ok\nxyz  bad\n", 2, "MD5 digest" },
		{ 2, MD5_A "\n", 1, "MD5 digest" },
		{ 2, MD5_A "  /\n", 1, "no path after" },
		{ 3, "/a\n/b\npkg\n/c\n", 4, "needs three lines" },
		{ 3, "/a\nb\npkg\n", 2, "diverted to" },
	};
	static const char *const files[] = {
		"/var/lib/dpkg/status", "/var/lib/dpkg/info/a.list",
		"/var/lib/dpkg/info/a.md5sums", "/var/lib/dpkg/diversions",
	};
	struct diag d;
	size_t i, len;
	int r, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];

		diag_init(&d);
		n = 0;
		len = strlen(c->text);
		if (c->kind == 0 && strstr(c->message, "NUL") != NULL)
			len = 28;	/* the text holds a NUL */
		switch (c->kind) {
		case 0:
			r = dpkg_parse_status(files[0], c->text, len,
			    count_stanza, &n, &d);
			break;
		case 1:
			r = dpkg_parse_list(files[1], c->text, len,
			    count_path, &n, &d);
			assert_int_equal(n, strncmp(c->text, "/ok\n/", 5) == 0 ||
			    strncmp(c->text, "/ok\nrel", 7) == 0 ? 2 : 1);
			break;
		case 2:
			r = dpkg_parse_md5sums(files[2], c->text, len,
			    count_md5, &n, &d);
			break;
		default:
			r = dpkg_parse_diversions(files[3], c->text, len,
			    count_div, &n, &d);
			break;
		}
		if (r != -EINVAL || d.n == 0) {
			dump(&d);
			fail_msg("case %zu: accepted", i);
		}
		assert_string_equal(d.v[0].file, files[c->kind]);
		if (d.v[0].line != c->line ||
		    strstr(d.v[0].message, c->message) == NULL) {
			dump(&d);
			fail_msg("case %zu: want line %u \"%s\"", i, c->line,
			    c->message);
		}
		diag_release(&d);
	}
}

/* A record whose contents have md5 md5hex (NULL: none taken). */
static void
record_with(struct record *r, mode_t type, const char *md5hex)
{
	record_init(r);
	r->mode = type | 0644;
	if (md5hex != NULL) {
		r->extra_algos = HASH_BIT(HASH_MD5);
		(void)hex_decode(md5hex, 32, r->md[HASH_MD5], 16);
	}
}

static void
test_verdicts(void **state)
{
	static const struct {
		const char *path;
		mode_t	 type;
		const char *md5;	/* NULL: none; "-": deleted */
		bool	 manager;
		enum verdict_kind want;
	} rows[] = {
		{ "/usr/bin/tool", S_IFREG, MD5_A, true, VERDICT_PACKAGE },
		{ "/usr/bin/tool", S_IFREG, MD5_A, false, VERDICT_PACKAGE },
		{ "/usr/bin/tool", S_IFREG, MD5_B, true, VERDICT_MISMATCH },
		{ "/usr/bin/tool", S_IFREG, MD5_B, false, VERDICT_MISMATCH },
		{ "/usr/bin/tool", S_IFREG, NULL, false, VERDICT_MISMATCH },
		{ "/usr/bin/tool", S_IFREG, NULL, true, VERDICT_PACKAGE },
		{ "/usr/bin/tool", 0, "-", true, VERDICT_PACKAGE },
		{ "/usr/bin/tool", 0, "-", false, VERDICT_MISMATCH },
		{ "/etc/tool.conf", S_IFREG, MD5_C, false, VERDICT_PACKAGE },
		{ "/etc/tool.conf", S_IFREG, MD5_A, false,
		    VERDICT_CONFFILE_EDITED },
		{ "/etc/tool.conf", S_IFREG, MD5_A, true, VERDICT_MISMATCH },
		{ "/etc/tool.d/new file", S_IFREG, MD5_A, false,
		    VERDICT_CONFFILE_EDITED },
		{ "/usr/bin", S_IFDIR, NULL, true, VERDICT_PACKAGE },
		{ "/usr/bin", S_IFDIR, NULL, false, VERDICT_MISMATCH },
		{ "/home/x", S_IFREG, MD5_A, true, VERDICT_UNOWNED },
	};
	struct diag d;
	struct pkgdb *db;
	struct change c;
	struct verdict v;
	struct record r;
	char *root = fixture();
	size_t i;

	(void)state;
	diag_init(&d);
	memset(&c, 0, sizeof(c));
	c.path = "/usr/bin/tool";
	c.len = strlen(c.path);
	judge_package(NULL, &c, true, &v);
	assert_int_equal(v.kind, VERDICT_NONE);
	db = load(root, &d);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool gone = rows[i].md5 != NULL && rows[i].md5[0] == '-';

		record_with(&r, rows[i].type, gone ? NULL : rows[i].md5);
		memset(&c, 0, sizeof(c));
		c.path = rows[i].path;
		c.len = strlen(c.path);
		c.new = gone ? NULL : &r;
		judge_package(db, &c, rows[i].manager, &v);
		if (v.kind != rows[i].want)
			fail_msg("row %zu (%s): %s, want %s", i, rows[i].path,
			    verdict_name(v.kind), verdict_name(rows[i].want));
		assert_int_equal(v.by_manager, rows[i].manager);
		record_release(&r);
	}
	assert_int_equal(judge_package_algos(db, "/usr/bin/tool", 13),
	    HASH_BIT(HASH_MD5));
	assert_int_equal(judge_package_algos(db, "/usr/bin", 8), 0);
	assert_int_equal(judge_package_algos(db, "/nope", 5), 0);
	pkgdb_free(db);
	diag_release(&d);
	tlib_rmrf(root);
	free(root);
}

/* A writer is the package manager through any ancestor. */
static void
test_by_manager(void **state)
{
	char sh[] = "sh", dash[] = "/usr/bin/dash", dpkg[] = "/usr/bin/dpkg";
	char cp[] = "cp", dpkg_comm[] = "dpkg";
	struct procinfo_ancestor up[2] = {
		{ 10, sh, dash },
		{ 9, NULL, dpkg },
	};
	struct procinfo p;
	struct diag d;
	struct pkgdb *db;
	char *root = fixture();

	(void)state;
	diag_init(&d);
	db = load(root, &d);
	procinfo_init(&p);
	assert_false(judge_by_manager(db, NULL));
	assert_false(judge_by_manager(db, &p));
	p.pid = 11;
	p.name = cp;
	assert_false(judge_by_manager(db, &p));
	p.ancestors = up;
	p.nancestors = 1;
	assert_false(judge_by_manager(db, &p));
	p.nancestors = 2;
	assert_true(judge_by_manager(db, &p));
	assert_false(judge_by_manager(NULL, &p));
	p.nancestors = 0;
	p.name = dpkg_comm;
	assert_true(judge_by_manager(db, &p));
	pkgdb_free(db);
	diag_release(&d);
	tlib_rmrf(root);
	free(root);
}

/* ---- pkgdb_version_cmp ---- */

/* a against b: -1 older, 0 the same, 1 newer (as dpkg says). */
static const struct {
	const char *a, *b;
	int	 want;
} version_cases[] = {
	/* Plain numbers, digit runs as numbers. */
	{ "1.0", "1.0", 0 },
	{ "1.0", "1.1", -1 },
	{ "1.10", "1.9", 1 },
	{ "1.001", "1.1", 0 },
	{ "10", "9", 1 },
	{ "1.0.0", "1.0", 1 },
	{ "2", "10", -1 },
	{ "123456789012345678901234567890", "123456789012345678901234567889",
	    1 },
	{ "007", "7", 0 },
	/* Epochs first, as numbers; none is 0. */
	{ "1:1.0", "2.0", 1 },
	{ "0:1.0", "1.0", 0 },
	{ "1:0.1", "0:9.9", 1 },
	{ "10:1", "9:1", 1 },
	{ "00:1.0", "1.0", 0 },
	{ "2:1.0-1", "10:1.0-1", -1 },
	/* The revision: after the last hyphen; none orders as "0". */
	{ "1.0-1", "1.0-2", -1 },
	{ "1.0-10", "1.0-9", 1 },
	{ "1.0", "1.0-0", 0 },
	{ "1.0", "1.0-1", -1 },
	{ "1.0-1-2", "1.0-1-10", -1 },
	{ "1.0-2", "1.0-1-1", -1 },
	{ "590-1", "590-2", -1 },
	{ "2.10-3", "2.10-2", 1 },
	/* '~' before everything, even the end. */
	{ "1.0~rc1", "1.0", -1 },
	{ "1.0~rc1", "1.0~rc2", -1 },
	{ "1.0~~", "1.0~", -1 },
	{ "1.0~~a", "1.0~", -1 },
	{ "1.0~", "1.0", -1 },
	{ "1.0-1~bpo1", "1.0-1", -1 },
	{ "1.0~beta", "1.0~alpha", 1 },
	{ "~", "", -1 },
	/* The end before letters, letters before the rest. */
	{ "1.0a", "1.0", 1 },
	{ "1.0a", "1.0+", -1 },
	{ "1.0+b1", "1.0", 1 },
	{ "1.0a", "1.0.", -1 },
	{ "1.0.", "1.0+", 1 },
	{ "1.0+dfsg", "1.0.1", -1 },
	{ "a", "B", 1 },
	{ "1.0Z", "1.0a", -1 },
	{ "1.2.3+really1.2.2", "1.2.3", 1 },
	{ "2024a-0", "2024b-0", -1 },
	{ "2.36-9+deb12u4", "2.36-9+deb12u10", -1 },
	{ "2.36-9+deb12u4", "2.36-9", 1 },
	{ "1:9.0.1378-2", "2:9.0.1378-2", -1 },
	{ "5.2.15-2+b2", "5.2.15-2+b10", -1 },
	{ "3.0.11-1~deb12u2", "3.0.11-1", -1 },
	{ "252.22-1~deb12u1", "252.19-1~deb12u1", 1 },
	/* Letters and digits alternate. */
	{ "1a2", "1a10", -1 },
	{ "1.0a1", "1.0b", -1 },
	{ "r10", "r9", 1 },
	{ "", "0", 0 },
	{ "", "1", -1 },
};

static int
sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

/*
 * Each pair both ways, and against itself; where dpkg is installed, the
 * table is dpkg's own answer too.
 */
static void
test_version_cmp(void **state)
{
	static const char *const ops[] = { "lt", "eq", "gt" };
	bool have_dpkg = access("/usr/bin/dpkg", X_OK) == 0;
	size_t i;
	int got;

	(void)state;
	for (i = 0; i < sizeof(version_cases) / sizeof(version_cases[0]);
	    i++) {
		const char *a = version_cases[i].a, *b = version_cases[i].b;
		int want = version_cases[i].want;

		if ((got = sign(pkgdb_version_cmp(a, b))) != want)
			fail_msg("'%s' vs '%s': %d, not %d", a, b, got, want);
		if ((got = sign(pkgdb_version_cmp(b, a))) != -want)
			fail_msg("'%s' vs '%s': %d, not %d", b, a, got, -want);
		assert_int_equal(pkgdb_version_cmp(a, a), 0);
		/* dpkg refuses an empty version: those pairs are ours. */
		if (!have_dpkg || a[0] == '\0' || b[0] == '\0')
			continue;
		if (tlib_sh("dpkg --compare-versions '%s' %s '%s' 2>/dev/null", a,
		    ops[want + 1], b) != 0)
			fail_msg("dpkg disagrees: '%s' %s '%s'", a,
			    ops[want + 1], b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_reread),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_by_manager),
		cmocka_unit_test(test_version_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
