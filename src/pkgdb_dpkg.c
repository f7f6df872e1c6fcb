/*
 * dpkg's database (pkgdb_dpkg.h): the parsers and the backend.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "hex.h"
#include "pkgdb_dpkg.h"
#include "xmalloc.h"

/* Bounds on what one file of the database may hold. */
#define DPKG_FILE_MAX	((size_t)256 << 20)
#define DPKG_LINE_MAX	((size_t)1 << 16)

static const char *const dpkg_managers[] = {
	"dpkg", "apt", "apt-get", "aptitude", "unattended-upgrades",
	"unattended-upgr",	/* its comm, cut to 15 bytes */
	"dpkg-deb", "dpkg-divert", "dpkg-trigger", "dpkg-maintscript-helper",
	NULL
};

struct lines {
	const char *text;
	size_t	 len;
	size_t	 off;
	unsigned lineno;
};

/* The next line (without its newline); false at the end. */
static bool
next_line(struct lines *l, const char **ret, size_t *ret_len)
{
	const char *nl;

	if (l->off >= l->len)
		return false;
	*ret = l->text + l->off;
	nl = memchr(*ret, '\n', l->len - l->off);
	*ret_len = nl != NULL ? (size_t)(nl - *ret) : l->len - l->off;
	l->off += *ret_len + (nl != NULL ? 1 : 0);
	l->lineno++;
	return true;
}

/* A line nothing may hold: a NUL byte, or more than DPKG_LINE_MAX. */
static bool
line_ok(const char *file, const struct lines *l, const char *s, size_t len,
    struct diag *diag)
{
	if (len > DPKG_LINE_MAX) {
		diag_add(diag, DIAG_ERROR, file, l->lineno, 0,
		    "line longer than %zu bytes", DPKG_LINE_MAX);
		return false;
	}
	if (memchr(s, '\0', len) != NULL) {
		diag_add(diag, DIAG_ERROR, file, l->lineno, 0,
		    "line holds a NUL byte");
		return false;
	}
	return true;
}

static bool
is_hex32(const char *s, size_t len)
{
	size_t i;

	if (len != 2 * PKG_MD5_SIZE)
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return true;
}

int
dpkg_parse_list(const char *file, const char *text, size_t len,
    void (*fn)(const char *path, size_t len, void *arg), void *arg,
    struct diag *diag)
{
	struct lines l = { .text = text, .len = len };
	const char *s;
	size_t n;
	int ret = 0;

	while (next_line(&l, &s, &n)) {
		if (!line_ok(file, &l, s, n, diag)) {
			ret = -EINVAL;
			continue;
		}
		if (n == 0 || s[0] != '/') {
			diag_add(diag, DIAG_ERROR, file, l.lineno, 1,
			    "expected an absolute path");
			ret = -EINVAL;
			continue;
		}
		while (n > 1 && s[n - 1] == '/')
			n--;
		if (n == 2 && s[1] == '.')
			continue;	/* "/.": the root every package lists */
		fn(s, n, arg);
	}
	return ret;
}

int
dpkg_parse_md5sums(const char *file, const char *text, size_t len,
    void (*fn)(const char *path, size_t len,
    const unsigned char md5[PKG_MD5_SIZE], void *arg), void *arg,
    struct diag *diag)
{
	struct lines l = { .text = text, .len = len };
	unsigned char md5[PKG_MD5_SIZE];
	struct buf path;
	const char *s, *p;
	size_t n, plen;
	int ret = 0;

	buf_init(&path, DPKG_LINE_MAX + 2);
	while (next_line(&l, &s, &n)) {
		if (!line_ok(file, &l, s, n, diag)) {
			ret = -EINVAL;
			continue;
		}
		/* md5sum(1)'s form: 32 hex digits, "  " or " *", a path. */
		if (n < 2 * PKG_MD5_SIZE + 3 ||
		    !is_hex32(s, 2 * PKG_MD5_SIZE) ||
		    s[2 * PKG_MD5_SIZE] != ' ' ||
		    (s[2 * PKG_MD5_SIZE + 1] != ' ' &&
		    s[2 * PKG_MD5_SIZE + 1] != '*')) {
			diag_add(diag, DIAG_ERROR, file, l.lineno, 1,
			    "expected an MD5 digest (32 hex digits), two "
			    "spaces and a path");
			ret = -EINVAL;
			continue;
		}
		(void)hex_decode(s, 2 * PKG_MD5_SIZE, md5, sizeof(md5));
		p = s + 2 * PKG_MD5_SIZE + 2;
		plen = n - (2 * PKG_MD5_SIZE + 2);
		while (plen >= 2 && p[0] == '.' && p[1] == '/') {
			p += 2;
			plen -= 2;
		}
		while (plen > 0 && p[0] == '/') {
			p++;
			plen--;
		}
		if (plen == 0) {
			diag_add(diag, DIAG_ERROR, file, l.lineno,
			    2 * PKG_MD5_SIZE + 3, "no path after the digest");
			ret = -EINVAL;
			continue;
		}
		buf_reset(&path);
		(void)buf_addc(&path, '/');
		(void)buf_add(&path, p, plen);
		fn(path.data, path.len, md5, arg);
	}
	buf_release(&path);
	return ret;
}

int
dpkg_parse_diversions(const char *file, const char *text, size_t len,
    void (*fn)(const char *from, const char *to, const char *by, void *arg),
    void *arg, struct diag *diag)
{
	static const char *const what[3] = {
		"expected the diverted path (absolute)",
		"expected the path it was diverted to (absolute)",
		"expected the diverting package's name, or \":\" (local)",
	};
	struct lines l = { .text = text, .len = len };
	char *v[3] = { NULL, NULL, NULL };
	unsigned first = 0;
	const char *s;
	size_t n, k = 0;
	bool bad = false;
	int ret = 0;

	while (next_line(&l, &s, &n)) {
		if (k == 0) {
			first = l.lineno;
			bad = false;
		}
		if (!line_ok(file, &l, s, n, diag))
			bad = true;
		else if (n == 0 || (k < 2 && s[0] != '/')) {
			diag_add(diag, DIAG_ERROR, file, l.lineno, 1, "%s",
			    what[k]);
			bad = true;
		}
		v[k++] = xstrndup(s, n);
		if (k < 3)
			continue;
		if (bad)
			ret = -EINVAL;
		else
			fn(v[0], v[1], strcmp(v[2], ":") == 0 ? NULL : v[2],
			    arg);
		for (k = 0; k < 3; k++) {
			free(v[k]);
			v[k] = NULL;
		}
		k = 0;
	}
	if (k != 0) {
		diag_add(diag, DIAG_ERROR, file, first, 1,
		    "a diversion needs three lines (from, to, package); "
		    "the file ends after %zu", k);
		ret = -EINVAL;
	}
	for (n = 0; n < 3; n++)
		free(v[n]);
	return ret;
}

/* The stanza being read, with copies of its values. */
struct stanza_state {
	struct dpkg_stanza st;
	struct buf package, arch, version, state;
	struct dpkg_conffile *conf;
	char	**conf_paths;
	size_t	 nconf, alloc;
	bool	 in_conffiles;
	bool	 any;		/* a field was seen */
};

static void
stanza_reset(struct stanza_state *ss)
{
	size_t i;

	buf_reset(&ss->package);
	buf_reset(&ss->arch);
	buf_reset(&ss->version);
	buf_reset(&ss->state);
	for (i = 0; i < ss->nconf; i++)
		free(ss->conf_paths[i]);
	ss->nconf = 0;
	ss->in_conffiles = false;
	ss->any = false;
}

static void
stanza_emit(struct stanza_state *ss, const char *file,
    void (*fn)(const struct dpkg_stanza *, void *), void *arg,
    struct diag *diag, int *ret)
{
	if (!ss->any)
		return;
	if (ss->package.len == 0) {
		diag_add(diag, DIAG_ERROR, file, ss->st.line, 1,
		    "stanza without a Package field");
		*ret = -EINVAL;
	} else {
		ss->st.package = ss->package.data;
		ss->st.arch = ss->arch.len > 0 ? ss->arch.data : "";
		ss->st.version = ss->version.len > 0 ? ss->version.data : "";
		ss->st.state = ss->state.len > 0 ? ss->state.data : "";
		ss->st.conffiles = ss->conf;
		ss->st.nconffiles = ss->nconf;
		fn(&ss->st, arg);
	}
	stanza_reset(ss);
}

/* " PATH MD5 [obsolete] [remove-on-upgrade]": split from the end. */
static bool
conffile_line(struct stanza_state *ss, const char *s, size_t n)
{
	struct dpkg_conffile c;
	const char *sp;
	size_t end = n, wl;
	bool obsolete = false;

	while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		n--;
		end--;
	}
	for (;;) {
		while (end > 0 && s[end - 1] == ' ')
			end--;
		sp = memrchr(s, ' ', end);
		if (sp == NULL)
			return false;
		wl = end - (size_t)(sp + 1 - s);
		if (wl == 8 && memcmp(sp + 1, "obsolete", 8) == 0)
			obsolete = true;
		else if (!(wl == 17 &&
		    memcmp(sp + 1, "remove-on-upgrade", 17) == 0))
			break;
		end = (size_t)(sp - s);
	}
	memset(&c, 0, sizeof(c));
	c.obsolete = obsolete;
	if (wl == 11 && memcmp(sp + 1, "newconffile", 11) == 0)
		c.have_md5 = false;
	else if (is_hex32(sp + 1, wl)) {
		(void)hex_decode(sp + 1, wl, c.md5, sizeof(c.md5));
		c.have_md5 = true;
	} else
		return false;
	end = (size_t)(sp - s);
	while (end > 0 && s[end - 1] == ' ')
		end--;
	if (end == 0 || s[0] != '/')
		return false;
	if (ss->nconf == ss->alloc) {
		ss->alloc = ss->alloc == 0 ? 8 : ss->alloc * 2;
		ss->conf = xreallocarray(ss->conf, ss->alloc,
		    sizeof(*ss->conf));
		ss->conf_paths = xreallocarray(ss->conf_paths, ss->alloc,
		    sizeof(*ss->conf_paths));
	}
	ss->conf_paths[ss->nconf] = xstrndup(s, end);
	c.path = ss->conf_paths[ss->nconf];
	c.len = end;
	ss->conf[ss->nconf++] = c;
	return true;
}

static void
field_value(struct buf *b, const char *v, size_t n)
{
	while (n > 0 && (v[0] == ' ' || v[0] == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	buf_reset(b);
	(void)buf_add(b, v, n);
}

static bool
field_is(const char *s, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n == k && strncasecmp(s, name, k) == 0;
}

int
dpkg_parse_status(const char *file, const char *text, size_t len,
    void (*fn)(const struct dpkg_stanza *st, void *arg), void *arg,
    struct diag *diag)
{
	struct lines l = { .text = text, .len = len };
	struct stanza_state ss;
	const char *s, *colon, *w;
	size_t n, k;
	int ret = 0;

	memset(&ss, 0, sizeof(ss));
	buf_init(&ss.package, DPKG_LINE_MAX);
	buf_init(&ss.arch, DPKG_LINE_MAX);
	buf_init(&ss.version, DPKG_LINE_MAX);
	buf_init(&ss.state, DPKG_LINE_MAX);
	while (next_line(&l, &s, &n)) {
		if (n == 0) {
			stanza_emit(&ss, file, fn, arg, diag, &ret);
			continue;
		}
		if (!line_ok(file, &l, s, n, diag)) {
			ret = -EINVAL;
			continue;
		}
		if (!ss.any)
			ss.st.line = l.lineno;
		if (s[0] == ' ' || s[0] == '\t') {
			if (!ss.any) {
				diag_add(diag, DIAG_ERROR, file, l.lineno, 1,
				    "continuation line outside a field");
				ret = -EINVAL;
			} else if (ss.in_conffiles &&
			    !conffile_line(&ss, s, n)) {
				diag_add(diag, DIAG_ERROR, file, l.lineno, 2,
				    "expected a conffile: an absolute path, "
				    "its MD5 digest or \"newconffile\", and "
				    "optionally \"obsolete\"");
				ret = -EINVAL;
			}
			continue;
		}
		ss.any = true;
		ss.in_conffiles = false;
		if ((colon = memchr(s, ':', n)) == NULL || colon == s) {
			diag_add(diag, DIAG_ERROR, file, l.lineno, 1,
			    "expected \"Field: value\"");
			ret = -EINVAL;
			continue;
		}
		k = (size_t)(colon - s);
		w = colon + 1;
		if (field_is(s, k, "Package"))
			field_value(&ss.package, w, n - k - 1);
		else if (field_is(s, k, "Architecture"))
			field_value(&ss.arch, w, n - k - 1);
		else if (field_is(s, k, "Version"))
			field_value(&ss.version, w, n - k - 1);
		else if (field_is(s, k, "Conffiles"))
			ss.in_conffiles = true;
		else if (field_is(s, k, "Status")) {
			/* "want flag state": the state is the third word */
			field_value(&ss.state, w, n - k - 1);
			w = memrchr(ss.state.data, ' ', ss.state.len);
			if (w == NULL) {
				diag_add(diag, DIAG_ERROR, file, l.lineno,
				    (unsigned)k + 2, "expected \"Status: want "
				    "flag state\"");
				ret = -EINVAL;
				buf_reset(&ss.state);
			} else {
				size_t off = (size_t)(w + 1 - ss.state.data);

				memmove(ss.state.data, w + 1,
				    ss.state.len - off + 1);
				ss.state.len -= off;
			}
		}
	}
	stanza_emit(&ss, file, fn, arg, diag, &ret);
	stanza_reset(&ss);
	buf_release(&ss.package);
	buf_release(&ss.arch);
	buf_release(&ss.version);
	buf_release(&ss.state);
	free(ss.conf);
	free(ss.conf_paths);
	return ret;
}

/* The backend. */

static char *
info_path(const struct pkgdb *db, const char *stem, const char *ext)
{
	return xasprintf("%s/info/%s.%s", pkgdb_root(db), stem, ext);
}

static int
read_file(struct pkgdb *db, const char *path, char **ret, size_t *ret_len)
{
	int r;

	if ((r = fileio_read_path(path, DPKG_FILE_MAX, ret, ret_len)) < 0 &&
	    r != -ENOENT)
		diag_add(pkgdb_diag(db), DIAG_ERROR, path, 0, 0,
		    "cannot read: %s", strerror(-r));
	return r;
}

struct status_ctx {
	struct pkgdb *db;
};

static void
on_stanza(const struct dpkg_stanza *st, void *arg)
{
	struct status_ctx *sc = arg;
	char *stem, *list;
	uint32_t pkg;
	size_t i;

	if (strcmp(st->state, "not-installed") == 0)
		return;
	/* Multi-Arch: same packages keep their files as NAME:ARCH. */
	stem = xasprintf("%s:%s", st->package, st->arch);
	list = info_path(sc->db, stem, "list");
	if (st->arch[0] == '\0' || (!pkgdb_has_package(sc->db, stem) &&
	    access(list, F_OK) != 0)) {
		free(stem);
		stem = xstrdup(st->package);
	}
	free(list);
	pkg = pkgdb_package(sc->db, stem);
	pkgdb_package_set(sc->db, pkg, st->package, st->arch, st->version);
	/* Removed with its conffiles left is not installed. */
	if (strcmp(st->state, "config-files") != 0)
		pkgdb_package_installed(sc->db, pkg);
	for (i = 0; i < st->nconffiles; i++) {
		if (st->conffiles[i].obsolete)
			continue;
		pkgdb_add_conffile(sc->db, pkg, st->conffiles[i].path,
		    st->conffiles[i].len, st->conffiles[i].have_md5 ?
		    st->conffiles[i].md5 : NULL);
	}
	free(stem);
}

static int
read_status(struct pkgdb *db)
{
	struct status_ctx sc = { .db = db };
	char *path, *text;
	size_t len;
	int r;

	path = xasprintf("%s/status", pkgdb_root(db));
	if ((r = read_file(db, path, &text, &len)) == 0) {
		pkgdb_conffiles_clear(db);
		pkgdb_installed_clear(db);
		r = dpkg_parse_status(path, text, len, on_stanza, &sc,
		    pkgdb_diag(db));
		free(text);
	}
	free(path);
	return r;
}

static void
on_diversion(const char *from, const char *to, const char *by, void *arg)
{
	pkgdb_add_diversion(arg, from, to, by);
}

static int
read_diversions(struct pkgdb *db)
{
	char *path, *text;
	size_t len;
	int r;

	path = xasprintf("%s/diversions", pkgdb_root(db));
	pkgdb_diversions_clear(db);
	if ((r = read_file(db, path, &text, &len)) == 0) {
		r = dpkg_parse_diversions(path, text, len, on_diversion, db,
		    pkgdb_diag(db));
		free(text);
	}
	free(path);
	return r == -ENOENT ? 0 : r;
}

struct files_ctx {
	struct pkgdb *db;
	uint32_t pkg;
};

static void
on_list_path(const char *path, size_t len, void *arg)
{
	struct files_ctx *fc = arg;

	pkgdb_add_file(fc->db, fc->pkg, path, len);
}

static void
on_md5(const char *path, size_t len, const unsigned char md5[PKG_MD5_SIZE],
    void *arg)
{
	struct files_ctx *fc = arg;

	pkgdb_set_digest(fc->db, fc->pkg, path, len, md5);
}

/* A package's .list and .md5sums; a package gone leaves no paths. */
static int
read_package(struct pkgdb *db, const char *stem)
{
	struct files_ctx fc = { .db = db };
	char *path, *text;
	const char *colon;
	size_t len;
	int r, ret = 0;

	fc.pkg = pkgdb_package(db, stem);
	if ((colon = strchr(stem, ':')) != NULL) {
		char *name = xstrndup(stem, (size_t)(colon - stem));

		pkgdb_package_set(db, fc.pkg, name, NULL, NULL);
		free(name);
	}
	pkgdb_files_begin(db, fc.pkg);
	path = info_path(db, stem, "list");
	if ((r = read_file(db, path, &text, &len)) == 0) {
		ret = dpkg_parse_list(path, text, len, on_list_path, &fc,
		    pkgdb_diag(db));
		free(text);
	} else if (r != -ENOENT)
		ret = r;
	free(path);
	path = info_path(db, stem, "md5sums");
	if (read_file(db, path, &text, &len) == 0) {
		r = dpkg_parse_md5sums(path, text, len, on_md5, &fc,
		    pkgdb_diag(db));
		free(text);
		if (r < 0 && ret == 0)
			ret = r;
	}
	free(path);
	pkgdb_files_end(db, fc.pkg);
	return ret;
}

static bool
has_suffix(const char *name, const char *suffix, size_t *ret_stem)
{
	size_t n = strlen(name), k = strlen(suffix);

	if (n <= k || strcmp(name + n - k, suffix) != 0)
		return false;
	*ret_stem = n - k;
	return true;
}

static int
dpkg_begin(struct pkgdb *db)
{
	struct dirent *de;
	char *path, *stem;
	size_t n;
	DIR *dir;
	int r;

	pkgdb_queue(db, ":diversions");
	pkgdb_queue(db, ":status");
	path = xasprintf("%s/info", pkgdb_root(db));
	if ((dir = opendir(path)) == NULL) {
		r = -errno;
		diag_add(pkgdb_diag(db), DIAG_ERROR, path, 0, 0,
		    "cannot list: %s", strerror(-r));
		free(path);
		return r;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!has_suffix(de->d_name, ".list", &n))
			continue;
		stem = xstrndup(de->d_name, n);
		pkgdb_queue(db, stem);
		free(stem);
	}
	closedir(dir);
	free(path);
	return 0;
}

static int
dpkg_read_unit(struct pkgdb *db, const char *unit)
{
	if (strcmp(unit, ":status") == 0)
		return read_status(db);
	if (strcmp(unit, ":diversions") == 0)
		return read_diversions(db);
	return read_package(db, unit);
}

static int
dpkg_watch(struct pkgdb *db)
{
	int r;

	if ((r = pkgdb_watch_add(db, "info", IN_CLOSE_WRITE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)) < 0)
		return r;
	return pkgdb_watch_add(db, ".", IN_CLOSE_WRITE | IN_CLOSE_NOWRITE |
	    IN_OPEN | IN_MOVED_TO | IN_ONLYDIR);
}

static void
dpkg_event(struct pkgdb *db, const char *dir, uint32_t mask,
    const char *name)
{
	char *stem;
	size_t n;

	if (strcmp(dir, "info") == 0) {
		if (has_suffix(name, ".list", &n) ||
		    has_suffix(name, ".md5sums", &n)) {
			stem = xstrndup(name, n);
			pkgdb_queue(db, stem);
			free(stem);
		}
		return;
	}
	if (strcmp(name, "lock") == 0 || strcmp(name, "lock-frontend") == 0) {
		if (mask & IN_OPEN)
			pkgdb_txn(db, true);
		if (mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE))
			pkgdb_txn(db, false);
		return;
	}
	if (!(mask & (IN_CLOSE_WRITE | IN_MOVED_TO)))
		return;
	if (strcmp(name, "status") == 0)
		pkgdb_queue(db, ":status");
	else if (strcmp(name, "diversions") == 0)
		(void)pkgdb_begin(db);
}

const struct pkgdb_backend pkgdb_dpkg_backend = {
	.type = "deb",
	.managers = dpkg_managers,
	.begin = dpkg_begin,
	.read_unit = dpkg_read_unit,
	.watch = dpkg_watch,
	.event = dpkg_event,
};
