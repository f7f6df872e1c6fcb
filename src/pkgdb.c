/*
 * The package database in memory (pkgdb.h): owned paths, conffiles,
 * diversions, the queue of units to read, the inotify watch.
 *
 * Each owned path is one allocation holding its key, so the index costs
 * one pathmap slot and one small block per path.  Re-reading a package
 * marks every path it adds with a new generation; at the end, the paths
 * it had before and did not add again are swept out.  A first read has
 * nothing to sweep, so a full read is linear in the size of the
 * database.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "pathmap.h"
#include "pkgdb.h"
#include "xmalloc.h"

#define PKGDB_WATCHES	4

struct pkg {
	char	*stem;		/* the map key: the backend's unit name */
	char	*name;
	char	*arch;
	char	*version;
	uint32_t id;		/* index in pkgs */
	uint32_t gen;		/* generation of its current files */
	uint64_t nfiles;	/* paths indexed for it */
	bool	 installed;	/* by the last read of the status */
};

struct pkg_file {
	uint32_t pkg;
	uint32_t gen;
	bool	 have_md5;
	unsigned char md5[PKG_MD5_SIZE];
	size_t	 len;
	char	 path[];	/* the map key */
};

struct pkg_divert {
	char	*to;
	size_t	 to_len;
	char	*by;		/* NULL: local */
	size_t	 len;
	char	 from[];	/* the map key */
};

struct unit {
	struct unit *next;
	char	 name[];
};

struct pkgdb {
	const struct pkgdb_backend *be;
	char	*root;
	struct diag *diag;
	struct pkg **pkgs;
	size_t	 npkgs;
	size_t	 alloc;
	struct pathmap *by_stem;	/* stem -> struct pkg */
	struct pathmap *files;		/* path -> struct pkg_file */
	struct pathmap *conffiles;	/* path -> struct pkg_file */
	struct pathmap *diverted;	/* from -> struct pkg_divert */
	/* path -> struct pkg_file a read dropped, until departed_clear */
	struct pathmap *departed;
	struct unit *head, *tail;
	struct pathmap *queued;		/* unit name -> struct unit */
	bool	 ready;
	bool	 loading;	/* the first full read is running */
	uint64_t load_started;	/* monotonic ns */
	uint64_t load_cpu_ns;
	uint64_t load_ms;
	uint64_t units_read;
	int	 ifd;		/* inotify, or -1 */
	int	 wd[PKGDB_WATCHES];	/* watches and their directories */
	const char *wd_dir[PKGDB_WATCHES];
	size_t	 nwd;
	unsigned txn_open;	/* opens of the manager's lock files */
	uint64_t txn_ended;
};

struct pkgdb *
pkgdb_new(const struct pkgdb_backend *backend, const char *root,
    struct diag *diag)
{
	struct pkgdb *db = xcalloc(1, sizeof(*db));

	db->be = backend;
	db->root = xstrdup(root);
	db->diag = diag;
	db->by_stem = pathmap_new();
	db->files = pathmap_new();
	db->conffiles = pathmap_new();
	db->diverted = pathmap_new();
	db->departed = pathmap_new();
	db->queued = pathmap_new();
	db->ifd = -1;
	return db;
}

static bool
free_value(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	free(value);
	return true;
}

static bool
free_divert(const char *key, size_t len, void *value, void *arg)
{
	struct pkg_divert *dv = value;

	(void)key;
	(void)len;
	(void)arg;
	free(dv->to);
	free(dv->by);
	free(dv);
	return true;
}

void
pkgdb_free(struct pkgdb *db)
{
	struct unit *u, *next;
	size_t i;

	if (db == NULL)
		return;
	pathmap_foreach(db->files, free_value, NULL);
	pathmap_foreach(db->conffiles, free_value, NULL);
	pathmap_foreach(db->diverted, free_divert, NULL);
	pathmap_foreach(db->departed, free_value, NULL);
	pathmap_free(db->departed);
	pathmap_free(db->files);
	pathmap_free(db->conffiles);
	pathmap_free(db->diverted);
	for (u = db->head; u != NULL; u = next) {
		next = u->next;
		free(u);
	}
	pathmap_free(db->queued);
	for (i = 0; i < db->npkgs; i++) {
		free(db->pkgs[i]->stem);
		free(db->pkgs[i]->name);
		free(db->pkgs[i]->arch);
		free(db->pkgs[i]->version);
		free(db->pkgs[i]);
	}
	free(db->pkgs);
	pathmap_free(db->by_stem);
	if (db->ifd >= 0)
		close(db->ifd);
	free(db->root);
	free(db);
}

const char *
pkgdb_root(const struct pkgdb *db)
{
	return db->root;
}

struct diag *
pkgdb_diag(struct pkgdb *db)
{
	return db->diag;
}

const char *
pkgdb_type(const struct pkgdb *db)
{
	return db->be->type;
}

void
pkgdb_queue(struct pkgdb *db, const char *unit)
{
	size_t len = strlen(unit);
	struct unit *u;

	if (pathmap_get(db->queued, unit, len) != NULL)
		return;
	u = xmalloc(sizeof(*u) + len + 1);
	memcpy(u->name, unit, len + 1);
	u->next = NULL;
	if (db->tail != NULL)
		db->tail->next = u;
	else
		db->head = u;
	db->tail = u;
	pathmap_put(db->queued, u->name, len, u);
}

size_t
pkgdb_queued(const struct pkgdb *db)
{
	return pathmap_count(db->queued);
}

int
pkgdb_begin(struct pkgdb *db)
{
	db->loading = !db->ready;
	db->load_started = clock_mono_ns();
	return db->be->begin(db);
}

static uint64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Read the first queued unit; false when none waits. */
static bool
read_one(struct pkgdb *db, int *err)
{
	struct unit *u = db->head;
	int r;

	if (u == NULL)
		return false;
	db->head = u->next;
	if (db->head == NULL)
		db->tail = NULL;
	(void)pathmap_remove(db->queued, u->name, strlen(u->name));
	if ((r = db->be->read_unit(db, u->name)) < 0 && *err == 0)
		*err = r;
	db->units_read++;
	free(u);
	return true;
}

static void
check_loaded(struct pkgdb *db)
{
	if (db->head != NULL || !db->loading)
		return;
	db->loading = false;
	db->ready = true;
	db->load_ms = (clock_mono_ns() - db->load_started) / 1000000;
}

int
pkgdb_load(struct pkgdb *db)
{
	uint64_t c0 = cpu_ns();
	int err = 0;

	while (read_one(db, &err))
		;
	db->load_cpu_ns += cpu_ns() - c0;
	check_loaded(db);
	return err;
}

bool
pkgdb_step(struct pkgdb *db, uint64_t budget_ns)
{
	uint64_t t0 = clock_mono_ns(), c0 = cpu_ns();
	int err = 0;

	while (read_one(db, &err) && clock_mono_ns() - t0 < budget_ns)
		;
	if (db->loading)
		db->load_cpu_ns += cpu_ns() - c0;
	check_loaded(db);
	return db->head != NULL;
}

bool
pkgdb_ready(const struct pkgdb *db)
{
	return db->ready;
}

uint32_t
pkgdb_package(struct pkgdb *db, const char *stem)
{
	struct pkg *p;
	size_t len = strlen(stem);

	if ((p = pathmap_get(db->by_stem, stem, len)) != NULL)
		return p->id;
	if (db->npkgs == db->alloc) {
		db->alloc = db->alloc == 0 ? 256 : db->alloc * 2;
		db->pkgs = xreallocarray(db->pkgs, db->alloc,
		    sizeof(*db->pkgs));
	}
	p = xcalloc(1, sizeof(*p));
	p->id = (uint32_t)db->npkgs;
	p->stem = xstrdup(stem);
	p->name = xstrdup(stem);
	p->arch = xstrdup("");
	p->version = xstrdup("");
	db->pkgs[db->npkgs++] = p;
	pathmap_put(db->by_stem, p->stem, len, p);
	return p->id;
}

bool
pkgdb_has_package(const struct pkgdb *db, const char *stem)
{
	return pathmap_get(db->by_stem, stem, strlen(stem)) != NULL;
}

void
pkgdb_installed_clear(struct pkgdb *db)
{
	size_t i;

	for (i = 0; i < db->npkgs; i++)
		db->pkgs[i]->installed = false;
}

void
pkgdb_package_installed(struct pkgdb *db, uint32_t pkg)
{
	db->pkgs[pkg]->installed = true;
}

bool
pkgdb_installed(const struct pkgdb *db, const char *name, const char *arch,
    const char **ret_version)
{
	const struct pkg *p;
	size_t i;

	for (i = 0; i < db->npkgs; i++) {
		p = db->pkgs[i];
		if (p->installed && strcmp(p->name, name) == 0 &&
		    strcmp(p->arch, arch) == 0) {
			*ret_version = p->version;
			return true;
		}
	}
	*ret_version = NULL;
	return false;
}

static void
set_string(char **dst, const char *src)
{
	if (src == NULL || strcmp(*dst, src) == 0)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

void
pkgdb_package_set(struct pkgdb *db, uint32_t pkg, const char *name,
    const char *arch, const char *version)
{
	struct pkg *p = db->pkgs[pkg];

	set_string(&p->name, name);
	set_string(&p->arch, arch);
	set_string(&p->version, version);
}

void
pkgdb_files_begin(struct pkgdb *db, uint32_t pkg)
{
	db->pkgs[pkg]->gen++;
}

/*
 * Where a path of pkg is indexed: a path diverted by another package
 * (or locally) holds the diverter's file, so pkg's is found where the
 * diversion put it.
 */
static void
divert(const struct pkgdb *db, uint32_t pkg, const char **path, size_t *len)
{
	const struct pkg_divert *dv;

	dv = pathmap_get(db->diverted, *path, *len);
	if (dv == NULL)
		return;
	if (dv->by != NULL && strcmp(dv->by, db->pkgs[pkg]->name) == 0)
		return;
	*path = dv->to;
	*len = dv->to_len;
}

static struct pkg_file *
file_new(uint32_t pkg, const char *path, size_t len)
{
	struct pkg_file *f = xcalloc(1, sizeof(*f) + len + 1);

	f->pkg = pkg;
	f->len = len;
	memcpy(f->path, path, len);
	return f;
}

void
pkgdb_add_file(struct pkgdb *db, uint32_t pkg, const char *path, size_t len)
{
	struct pkg *p = db->pkgs[pkg];
	struct pkg_file *f;

	divert(db, pkg, &path, &len);
	if ((f = pathmap_get(db->files, path, len)) != NULL) {
		/* Shared paths (directories) stay with their first owner. */
		if (f->pkg == pkg)
			f->gen = p->gen;
		return;
	}
	f = file_new(pkg, path, len);
	f->gen = p->gen;
	pathmap_put(db->files, f->path, len, f);
	p->nfiles++;
}

void
pkgdb_set_digest(struct pkgdb *db, uint32_t pkg, const char *path,
    size_t len, const unsigned char md5[PKG_MD5_SIZE])
{
	struct pkg_file *f;

	divert(db, pkg, &path, &len);
	if ((f = pathmap_get(db->files, path, len)) == NULL || f->pkg != pkg)
		return;
	f->have_md5 = true;
	memcpy(f->md5, md5, PKG_MD5_SIZE);
}

struct sweep {
	const struct pkg *p;
	struct pkg_file **v;
	size_t	 n;
	size_t	 alloc;
};

static bool
find_stale(const char *key, size_t len, void *value, void *arg)
{
	struct pkg_file *f = value;
	struct sweep *s = arg;

	(void)key;
	(void)len;
	if (f->pkg != s->p->id || f->gen == s->p->gen)
		return true;
	if (s->n == s->alloc) {
		s->alloc = s->alloc == 0 ? 64 : s->alloc * 2;
		s->v = xreallocarray(s->v, s->alloc, sizeof(*s->v));
	}
	s->v[s->n++] = f;
	return true;
}

/* f, out of the index, is remembered as departed (replacing). */
static void
depart(struct pkgdb *db, struct pkg_file *f)
{
	free(pathmap_put(db->departed, f->path, f->len, f));
}

static bool
depart_each(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	depart(arg, value);
	return true;
}

void
pkgdb_departed_clear(struct pkgdb *db)
{
	pathmap_foreach(db->departed, free_value, NULL);
	pathmap_free(db->departed);
	db->departed = pathmap_new();
}

void
pkgdb_files_end(struct pkgdb *db, uint32_t pkg)
{
	struct sweep s = { .p = db->pkgs[pkg] };
	size_t i;

	if (s.p->gen <= 1)
		return;		/* a first read: nothing was there before */
	pathmap_foreach(db->files, find_stale, &s);
	for (i = 0; i < s.n; i++) {
		(void)pathmap_remove(db->files, s.v[i]->path, s.v[i]->len);
		depart(db, s.v[i]);
	}
	db->pkgs[pkg]->nfiles -= s.n;
	free(s.v);
}

void
pkgdb_conffiles_clear(struct pkgdb *db)
{
	/* Those added again are found in conffiles first. */
	pathmap_foreach(db->conffiles, depart_each, db);
	pathmap_free(db->conffiles);
	db->conffiles = pathmap_new();
}

void
pkgdb_add_conffile(struct pkgdb *db, uint32_t pkg, const char *path,
    size_t len, const unsigned char *md5)
{
	struct pkg_file *f;

	divert(db, pkg, &path, &len);
	if (pathmap_get(db->conffiles, path, len) != NULL)
		return;
	f = file_new(pkg, path, len);
	if (md5 != NULL) {
		f->have_md5 = true;
		memcpy(f->md5, md5, PKG_MD5_SIZE);
	}
	pathmap_put(db->conffiles, f->path, len, f);
}

void
pkgdb_diversions_clear(struct pkgdb *db)
{
	pathmap_foreach(db->diverted, free_divert, NULL);
	pathmap_free(db->diverted);
	db->diverted = pathmap_new();
}

void
pkgdb_add_diversion(struct pkgdb *db, const char *from, const char *to,
    const char *by)
{
	size_t len = strlen(from);
	struct pkg_divert *dv = xcalloc(1, sizeof(*dv) + len + 1), *old;

	memcpy(dv->from, from, len);
	dv->len = len;
	dv->to = xstrdup(to);
	dv->to_len = strlen(to);
	dv->by = by != NULL ? xstrdup(by) : NULL;
	if ((old = pathmap_put(db->diverted, dv->from, len, dv)) != NULL)
		(void)free_divert(NULL, 0, old, NULL);
}

static void
owner_fill(const struct pkgdb *db, const struct pkg_file *f, bool conf,
    struct pkg_owner *ret)
{
	const struct pkg *p = db->pkgs[f->pkg];

	ret->type = db->be->type;
	ret->name = p->name;
	ret->arch = p->arch;
	ret->version = p->version;
	ret->conffile = conf;
	ret->have_digest = f->have_md5;
	memcpy(ret->md5, f->md5, PKG_MD5_SIZE);
}

bool
pkgdb_lookup(const struct pkgdb *db, const char *path, size_t len,
    struct pkg_owner *ret)
{
	const struct pkg_file *f;
	bool conf = true;

	memset(ret, 0, sizeof(*ret));
	if ((f = pathmap_get(db->conffiles, path, len)) == NULL) {
		conf = false;
		if ((f = pathmap_get(db->files, path, len)) == NULL)
			return false;
	}
	owner_fill(db, f, conf, ret);
	return true;
}

bool
pkgdb_departed(const struct pkgdb *db, const char *path, size_t len,
    struct pkg_owner *ret)
{
	const struct pkg_file *f;

	memset(ret, 0, sizeof(*ret));
	if ((f = pathmap_get(db->departed, path, len)) == NULL)
		return false;
	owner_fill(db, f, false, ret);
	return true;
}

bool
pkgdb_is_manager(const struct pkgdb *db, const char *name)
{
	const char *base = strrchr(name, '/');
	size_t i;

	base = base != NULL ? base + 1 : name;
	for (i = 0; db->be->managers[i] != NULL; i++) {
		if (strcmp(base, db->be->managers[i]) == 0)
			return true;
	}
	return false;
}

void
pkgdb_stats(const struct pkgdb *db, struct pkgdb_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->packages = db->npkgs;
	ret->paths = pathmap_count(db->files);
	ret->conffiles = pathmap_count(db->conffiles);
	ret->units_read = db->units_read;
	ret->load_ms = db->load_ms;
	ret->load_cpu_ms = db->load_cpu_ns / 1000000;
	ret->busy = db->txn_open > 0;
}

int
pkgdb_watch(struct pkgdb *db)
{
	if (db->ifd >= 0)
		return 0;
	db->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (db->ifd < 0)
		return -errno;
	return db->be->watch(db);
}

int
pkgdb_fd(const struct pkgdb *db)
{
	return db->ifd;
}

int
pkgdb_watch_add(struct pkgdb *db, const char *rel, uint32_t mask)
{
	char *path;
	int wd;

	if (db->nwd == PKGDB_WATCHES)
		return -ENOSPC;
	path = xasprintf("%s/%s", db->root, rel);
	wd = inotify_add_watch(db->ifd, path, mask);
	free(path);
	if (wd < 0)
		return -errno;
	db->wd[db->nwd] = wd;
	db->wd_dir[db->nwd++] = rel;
	return 0;
}

void
pkgdb_watch_read(struct pkgdb *db)
{
	char buf[16384] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	ssize_t n;
	size_t off, i;

	if (db->ifd < 0)
		return;
	while ((n = read(db->ifd, buf, sizeof(buf))) > 0) {
		for (off = 0; off + sizeof(*ev) <= (size_t)n;
		    off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(void *)(buf + off);
			if (ev->mask & IN_Q_OVERFLOW) {
				pkgdb_txn_reset(db);
				(void)pkgdb_begin(db);
				continue;
			}
			for (i = 0; i < db->nwd; i++) {
				if (db->wd[i] == ev->wd)
					db->be->event(db, db->wd_dir[i],
					    ev->mask, ev->len > 0 ?
					    ev->name : "");
			}
		}
	}
}

bool
pkgdb_busy(const struct pkgdb *db)
{
	return db->txn_open > 0;
}

uint64_t
pkgdb_take_ended(struct pkgdb *db)
{
	uint64_t n = db->txn_ended;

	db->txn_ended = 0;
	return n;
}

void
pkgdb_txn(struct pkgdb *db, bool begin)
{
	if (begin) {
		db->txn_open++;
		return;
	}
	if (db->txn_open == 0)
		return;
	if (--db->txn_open == 0)
		db->txn_ended++;
}

void
pkgdb_txn_reset(struct pkgdb *db)
{
	if (db->txn_open > 0)
		db->txn_ended++;
	db->txn_open = 0;
}

const char *
verdict_name(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_PACKAGE:
		return "package";
	case VERDICT_MISMATCH:
		return "package-mismatch";
	case VERDICT_CONFFILE_EDITED:
		return "conffile-edited";
	case VERDICT_UNOWNED:
		return "unowned";
	default:
		return NULL;
	}
}

/* ---- version order (deb-version(7)) ---- */

/*
 * The weight of one character in a run of non-digits; the string's end
 * (and a digit, where the run ends) weighs 0, so "1.0~rc1" < "1.0" <
 * "1.0a" < "1.0+b1".
 */
static int
ver_weight(const char *p, const char *end)
{
	unsigned char c = p < end ? (unsigned char)*p : '\0';

	if (c == '\0' || isdigit(c))
		return 0;
	if (c == '~')
		return -1;
	if (isalpha(c))
		return c;
	return c + 256;
}

/* Two runs of digits as numbers, however long: leading zeros dropped. */
static int
ver_number(const char **pa, const char *ea, const char **pb, const char *eb)
{
	const char *a = *pa, *b = *pb, *sa, *sb;
	int first = 0;

	while (a < ea && *a == '0')
		a++;
	while (b < eb && *b == '0')
		b++;
	for (sa = a; a < ea && isdigit((unsigned char)*a); a++)
		;
	for (sb = b; b < eb && isdigit((unsigned char)*b); b++)
		;
	*pa = a;
	*pb = b;
	if (a - sa != b - sb)		/* more digits: the larger number */
		return a - sa > b - sb ? 1 : -1;
	for (; sa < a && first == 0; sa++, sb++)
		first = *sa - *sb;
	return first;
}

/* One part (epoch, upstream or revision) against another. */
static int
ver_part(const char *a, const char *ea, const char *b, const char *eb)
{
	int wa, wb, r;

	while (a < ea || b < eb) {
		while ((a < ea && !isdigit((unsigned char)*a)) ||
		    (b < eb && !isdigit((unsigned char)*b))) {
			wa = ver_weight(a, ea);
			wb = ver_weight(b, eb);
			if (wa != wb)
				return wa < wb ? -1 : 1;
			a++;
			b++;
		}
		if ((r = ver_number(&a, ea, &b, eb)) != 0)
			return r < 0 ? -1 : 1;
	}
	return 0;
}

struct ver_parts {
	const char *epoch, *epoch_end;
	const char *up, *up_end;
	const char *rev, *rev_end;
};

/*
 * Split at the first ':' (when all before it are digits) and the last
 * '-'; no epoch is 0 and no revision is empty, which orders as "0".
 */
static void
ver_split(const char *v, struct ver_parts *p)
{
	const char *colon = strchr(v, ':'), *end = v + strlen(v), *dash, *q;

	p->epoch = p->epoch_end = v;
	p->up = v;
	if (colon != NULL) {
		for (q = v; q < colon && isdigit((unsigned char)*q); q++)
			;
		if (q == colon) {
			p->epoch_end = colon;
			p->up = colon + 1;
		}
	}
	dash = strrchr(p->up, '-');
	p->up_end = dash != NULL ? dash : end;
	p->rev = dash != NULL ? dash + 1 : end;
	p->rev_end = end;
}

int
pkgdb_version_cmp(const char *a, const char *b)
{
	struct ver_parts pa, pb;
	int r;

	ver_split(a, &pa);
	ver_split(b, &pb);
	if ((r = ver_part(pa.epoch, pa.epoch_end, pb.epoch,
	    pb.epoch_end)) != 0)
		return r;
	if ((r = ver_part(pa.up, pa.up_end, pb.up, pb.up_end)) != 0)
		return r;
	return ver_part(pa.rev, pa.rev_end, pb.rev, pb.rev_end);
}
