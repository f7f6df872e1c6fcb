/*
 * recommend_host: what a host has, read below its root: the packages
 * dpkg's status file says are installed (with their conffiles), the
 * units enabled through /etc/systemd/system's wants and requires links,
 * and the files that patterns of the recommendation file name.  The
 * host's files are not trusted to be well formed: names are bytes, and a
 * file that cannot be read is passed over.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "glob.h"
#include "pkgdb_dpkg.h"
#include "recommend_int.h"
#include "xmalloc.h"

/* dpkg's status can be large: some MiB on a full desktop. */
#define DPKG_STATUS_MAX	((size_t)256 << 20)

static const char *const unit_dirs[] = {
	"/etc/systemd/system", "/run/systemd/system",
	"/usr/local/lib/systemd/system", "/usr/lib/systemd/system", NULL,
};

struct rec_host *
rec_host_new(const char *root)
{
	struct rec_host *h = xcalloc(1, sizeof(*h));
	size_t n = root != NULL ? strlen(root) : 0;

	while (n > 0 && root[n - 1] == '/')
		n--;
	h->root = xstrndup(n > 0 ? root : "", n);
	return h;
}

void
rec_host_free(struct rec_host *h)
{
	size_t i, j;

	if (h == NULL)
		return;
	for (i = 0; i < h->npkgs; i++) {
		for (j = 0; j < h->pkgs[i].nconffiles; j++)
			free(h->pkgs[i].conffiles[j]);
		free(h->pkgs[i].conffiles);
		free(h->pkgs[i].name);
	}
	free(h->pkgs);
	for (i = 0; i < h->nunits; i++)
		free(h->units[i]);
	free(h->units);
	free(h->root);
	free(h);
}

const char *
rec_host_root(const struct rec_host *h)
{
	return h->root;
}

size_t
rec_host_npackages(const struct rec_host *h)
{
	return h->npkgs;
}

size_t
rec_host_nunits(const struct rec_host *h)
{
	return h->nunits;
}

char *
rec_host_path(const struct rec_host *h, const char *path)
{
	return xasprintf("%s%s", h->root, path);
}

bool
rec_host_exists(const struct rec_host *h, const char *path, bool *ret_dir)
{
	char *p = rec_host_path(h, path);
	struct stat st;
	bool ok;

	ok = lstat(p, &st) == 0;
	if (ok && S_ISLNK(st.st_mode) && stat(p, &st) < 0)
		st.st_mode = S_IFLNK;
	free(p);
	if (ok && ret_dir != NULL)
		*ret_dir = S_ISDIR(st.st_mode);
	return ok;
}

static struct rec_pkg *
find_package(struct rec_host *h, const char *name)
{
	size_t i;

	for (i = h->npkgs; i-- > 0;) {
		if (strcmp(h->pkgs[i].name, name) == 0)
			return &h->pkgs[i];
	}
	return NULL;
}

static void
add_conffile(struct rec_pkg *p, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < p->nconffiles; i++) {
		if (strlen(p->conffiles[i]) == len &&
		    memcmp(p->conffiles[i], path, len) == 0)
			return;
	}
	p->conffiles = xreallocarray(p->conffiles, p->nconffiles + 1,
	    sizeof(*p->conffiles));
	p->conffiles[p->nconffiles++] = xstrndup(path, len);
}

void
rec_host_add_package(struct rec_host *h, const char *name,
    const char *conffile)
{
	struct rec_pkg *p;

	if ((p = find_package(h, name)) == NULL) {
		h->pkgs = xreallocarray(h->pkgs, h->npkgs + 1,
		    sizeof(*h->pkgs));
		p = &h->pkgs[h->npkgs++];
		memset(p, 0, sizeof(*p));
		p->name = xstrdup(name);
	}
	if (conffile != NULL)
		add_conffile(p, conffile, strlen(conffile));
}

/* Installed: unpacked at least, and not only its conffiles left. */
static bool
installed_state(const char *state)
{
	return strcmp(state, "not-installed") != 0 &&
	    strcmp(state, "config-files") != 0 && state[0] != '\0';
}

static void
on_stanza(const struct dpkg_stanza *st, void *arg)
{
	struct rec_host *h = arg;
	struct rec_pkg *p;
	size_t i;

	if (!installed_state(st->state))
		return;
	rec_host_add_package(h, st->package, NULL);
	p = find_package(h, st->package);
	for (i = 0; i < st->nconffiles; i++) {
		if (!st->conffiles[i].obsolete &&
		    memchr(st->conffiles[i].path, '\0',
		    st->conffiles[i].len) == NULL)
			add_conffile(p, st->conffiles[i].path,
			    st->conffiles[i].len);
	}
}

int
rec_host_read_dpkg(struct rec_host *h, const char *status,
    struct diag *diag)
{
	char *path = rec_host_path(h, status), *text;
	struct diag bad;
	size_t len, i;
	int r;

	if ((r = fileio_read_path(path, DPKG_STATUS_MAX, &text, &len)) < 0) {
		free(path);
		return r;
	}
	/* A bad stanza is a warning here: the others still count. */
	diag_init(&bad);
	(void)dpkg_parse_status(path, text, len, on_stanza, h, &bad);
	for (i = 0; i < bad.n; i++)
		diag_add(diag, DIAG_WARNING, bad.v[i].file, bad.v[i].line,
		    bad.v[i].column, "%s", bad.v[i].message);
	diag_release(&bad);
	free(text);
	free(path);
	return 0;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static void
add_unit(struct rec_host *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nunits; i++) {
		if (strcmp(h->units[i], name) == 0)
			return;
	}
	h->units = xreallocarray(h->units, h->nunits + 1, sizeof(*h->units));
	h->units[h->nunits++] = xstrdup(name);
}

static void
read_wants(struct rec_host *h, const char *dir)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			add_unit(h, de->d_name);
	}
	closedir(d);
}

void
rec_host_read_units(struct rec_host *h)
{
	char *dir = rec_host_path(h, "/etc/systemd/system"), *sub;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!has_suffix(de->d_name, ".wants") &&
		    !has_suffix(de->d_name, ".requires"))
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		read_wants(h, sub);
		free(sub);
	}
	closedir(d);
	free(dir);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that pattern matches, sorted: a new vector. */
static size_t
match_names(const char *dir, const char *pat, size_t patlen, char ***ret)
{
	char *p = xstrndup(pat, patlen), **v = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir[0] != '\0' ? dir : "/")) != NULL) {
		while ((de = readdir(d)) != NULL && n < REC_EXPAND_MAX) {
			if ((de->d_name[0] == '.' && p[0] != '.') ||
			    strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    !glob_match(p, de->d_name, strlen(de->d_name)))
				continue;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = xstrdup(de->d_name);
		}
		closedir(d);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	free(p);
	*ret = v;
	return n;
}

struct expand {
	const struct rec_host *h;
	rec_path_fn *fn;
	void	*arg;
	size_t	 count;
};

/* done: the host path so far ("" for "/"); rest: what follows a "/". */
static void
expand_from(struct expand *x, struct buf *done, const char *rest)
{
	const char *slash = strchr(rest, '/');
	size_t clen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	size_t keep = done->len, i, n;
	char **names, *dir;

	if (x->count >= REC_EXPAND_MAX)
		return;
	if (clen == 0) {
		if (slash != NULL)
			expand_from(x, done, slash + 1);
		else if (done->len > 0) {
			x->fn(done->data, x->arg);
			x->count++;
		}
		return;
	}
	if (strcspn(rest, "*?[") >= clen) {
		(void)buf_addc(done, '/');
		(void)buf_add(done, rest, clen);
		expand_from(x, done, rest + clen);
		buf_truncate(done, keep);
		return;
	}
	dir = rec_host_path(x->h, done->data);
	n = match_names(dir, rest, clen, &names);
	free(dir);
	for (i = 0; i < n; i++) {
		(void)buf_addc(done, '/');
		(void)buf_adds(done, names[i]);
		expand_from(x, done, rest + clen);
		buf_truncate(done, keep);
		free(names[i]);
	}
	free(names);
}

void
rec_host_expand(const struct rec_host *h, const char *pattern,
    rec_path_fn *fn, void *arg)
{
	struct expand x = { .h = h, .fn = fn, .arg = arg };
	struct buf done;
	bool is_dir;

	if (pattern[0] != '/')
		return;
	buf_init(&done, BUF_MAX_DEFAULT);
	if (strcspn(pattern, "*?[") == strlen(pattern)) {
		if (rec_host_exists(h, pattern, &is_dir))
			fn(pattern, arg);
	} else
		expand_from(&x, &done, pattern + 1);
	buf_release(&done);
}

/* A unit linked to /dev/null, as systemctl mask leaves it. */
static bool
masked(const char *p)
{
	char target[16];
	ssize_t n;

	n = readlink(p, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "/dev/null") == 0;
}

/* Where systemd would load name from; false when absent or masked. */
static bool
unit_file(const struct rec_host *h, const char *name, struct buf *out)
{
	struct stat st;
	bool found, off;
	size_t i;
	char *p;

	for (i = 0; unit_dirs[i] != NULL; i++) {
		buf_reset(out);
		(void)buf_addf(out, "%s/%s", unit_dirs[i], name);
		p = rec_host_path(h, out->data);
		found = lstat(p, &st) == 0;
		off = found && S_ISLNK(st.st_mode) && masked(p);
		free(p);
		if (found)
			return !off;
	}
	return false;
}

/* foo@bar.service is read from foo@.service when it has no file. */
static void
one_unit(const struct rec_host *h, const char *name, struct buf *b,
    rec_path_fn *fn, void *arg)
{
	const char *at = strchr(name, '@'), *dot = strrchr(name, '.');
	char *tmpl;

	if (unit_file(h, name, b)) {
		fn(b->data, arg);
		return;
	}
	if (at == NULL || dot == NULL || dot < at)
		return;
	tmpl = xasprintf("%.*s%s", (int)(at - name + 1), name, dot);
	if (unit_file(h, tmpl, b))
		fn(b->data, arg);
	free(tmpl);
}

void
rec_host_unit_files(const struct rec_host *h, rec_path_fn *fn, void *arg)
{
	struct buf b;
	char *svc;
	size_t i;

	buf_init(&b, BUF_MAX_DEFAULT);
	for (i = 0; i < h->nunits; i++) {
		one_unit(h, h->units[i], &b, fn, arg);
		if (!has_suffix(h->units[i], ".timer"))
			continue;
		svc = xasprintf("%.*s.service",
		    (int)(strlen(h->units[i]) - strlen(".timer")),
		    h->units[i]);
		one_unit(h, svc, &b, fn, arg);
		free(svc);
	}
	buf_release(&b);
}

/* Take the next name of *rest into name; false at the end. */
static bool
next_name(const char **rest, const char **name, size_t *len)
{
	const char *p = *rest;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return false;
	*name = p;
	while (*p != '\0' && *p != '/')
		p++;
	*len = (size_t)(p - *name);
	*rest = p;
	return true;
}

/* A symlink's target below the root, or NULL. */
static char *
link_target(const struct rec_host *h, const char *path)
{
	char *p = rec_host_path(h, path), buf[PATH_MAX];
	struct stat st;
	ssize_t n = -1;

	if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
		n = readlink(p, buf, sizeof(buf) - 1);
	free(p);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

int
rec_host_resolve_dirs(const struct rec_host *h, const char *path,
    struct buf *out)
{
	const char *last = strrchr(path, '/'), *rest, *name;
	char *todo, *target, *next, *up;
	unsigned links = 0;
	size_t len, keep;

	if (path[0] != '/' || last == NULL)
		return -EINVAL;
	buf_reset(out);
	todo = xstrndup(path, (size_t)(last - path));
	rest = todo;
	while (next_name(&rest, &name, &len)) {
		keep = out->len;
		if (len == 1 && name[0] == '.')
			continue;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			up = memrchr(out->data, '/', out->len);
			buf_truncate(out, up != NULL ?
			    (size_t)(up - out->data) : 0);
			continue;
		}
		(void)buf_addc(out, '/');
		(void)buf_add(out, name, len);
		if ((target = link_target(h, out->data)) == NULL)
			continue;
		if (++links > 40) {
			free(target);
			free(todo);
			return -ELOOP;
		}
		buf_truncate(out, target[0] == '/' ? 0 : keep);
		next = xasprintf("%s/%s", target, rest);
		free(target);
		free(todo);
		todo = next;
		rest = todo;
	}
	free(todo);
	return buf_adds(out, last);
}
