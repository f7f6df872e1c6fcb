/*
 * Package verdicts in the daemon (daemon_pkg.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_ent.h"
#include "daemon_out.h"
#include "daemon_pkg.h"
#include "judge.h"
#include "log.h"
#include "pathmap.h"
#include "pkgdb_dpkg.h"
#include "xmalloc.h"

/* Loop time one slice of the database read may take. */
#define PKG_SLICE_NS	(4ULL * 1000000ULL)
/* Changes held at most; past that they are reported as they come. */
#define PKG_HELD_MAX	65536
/* A flush waits this long for probes still pending, at most. */
#define PKG_FLUSH_TRIES	50
#define PKG_FLUSH_RETRY_MS	100

/* One path the package manager changed during its transaction. */
struct pkg_held {
	bool	 has_old;	/* the state before the first change */
	struct record old;
	bool	 has_new;	/* the state after the last */
	struct record new;
	char	*old_path;	/* the last change's written-under name */
	size_t	 old_len;
	struct procinfo proc;	/* the first change's writer */
	char	*old_version;	/* the owner's version then, or NULL */
	double	 first;
	size_t	 len;
	char	 path[];	/* the map key */
};

/* One package's summary, built at a flush. */
struct pkg_sum {
	char	*name;
	char	*arch;
	char	*old_version;
	char	*new_version;	/* "" when it is no longer installed */
	const struct rule *rule;	/* of its first file */
	const struct procinfo *proc;	/* borrowed from a held change */
	double	 first;
	uint64_t files;
	uint64_t mismatched;
};

static void	pkg_flush_cb(evutil_socket_t fd, short what, void *arg);

static void
log_new_diag(struct daemon *d)
{
	struct diag *dg = &d->pk.diag;
	char *s;
	size_t i;

	for (i = 0; i < dg->n; i++) {
		s = diag_format(&dg->v[i]);
		log_warnx("package database: %s", s);
		free(s);
	}
	diag_release(dg);
	diag_init(dg);
}

static void
arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
	    .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	if (evtimer_add(ev, &tv) < 0)
		log_warnx("cannot arm a package database timer");
}

static void
pkg_step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct pkgdb_stats st;

	(void)fd;
	(void)what;
	if (pkgdb_step(d->pk.db, PKG_SLICE_NS))
		arm(d->pk.step_ev, 0);
	log_new_diag(d);
	if (pkgdb_ready(d->pk.db) && !d->pk.announced) {
		d->pk.announced = true;
		pkgdb_stats(d->pk.db, &st);
		log_info("package database read: %llu packages, %llu paths, "
		    "%llu conffiles in %llu ms (%llu ms of it reading)",
		    (unsigned long long)st.packages,
		    (unsigned long long)st.paths,
		    (unsigned long long)st.conffiles,
		    (unsigned long long)st.load_ms,
		    (unsigned long long)st.load_cpu_ms);
	}
}

static void
pkg_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	pkgdb_watch_read(d->pk.db);
	ent_packages_poke(d);
	if (pkgdb_queued(d->pk.db) > 0 && !evtimer_pending(d->pk.step_ev,
	    NULL))
		arm(d->pk.step_ev, 0);
	if (pkgdb_take_ended(d->pk.db) > 0 && !pkgdb_busy(d->pk.db)) {
		d->pk.flush_tries = 0;
		/* The last renames may still wait out their debounce. */
		arm(d->pk.flush_ev, d->cfg->debounce_ms + 300);
	}
}

static hash_mask
package_algos(const char *path, size_t len, void *arg)
{
	return judge_package_algos(arg, path, len);
}

void
pkg_open(struct daemon *d)
{
	struct daemon_packages *pk = &d->pk;
	char *status;
	int r;

	diag_init(&pk->diag);
	pk->held = pathmap_new();
	if (d->cfg->package_db == NULL)
		return;
	status = xasprintf("%s/status", d->cfg->package_db);
	r = access(status, R_OK);
	free(status);
	if (r < 0)
		return;		/* no dpkg here */
	pk->db = pkgdb_new(&pkgdb_dpkg_backend, d->cfg->package_db,
	    &pk->diag);
	/* Watch first: nothing written while it is read is missed. */
	if ((r = pkgdb_watch(pk->db)) < 0) {
		errno = -r;
		log_warn("cannot watch the package database at %s; its "
		    "changes are not followed", d->cfg->package_db);
	} else
		pk->ev = daemon_event(d, pkgdb_fd(pk->db), EV_READ |
		    EV_PERSIST, pkg_watch_cb, d, NULL);
	(void)pkgdb_begin(pk->db);
	pk->step_ev = daemon_event(d, -1, 0, pkg_step_cb, d, NULL);
	pk->flush_ev = daemon_event(d, -1, 0, pkg_flush_cb, d, NULL);
	arm(pk->step_ev, 0);
	scan_set_extra_algos(d->scan, package_algos, pk->db);
}

static void
held_free(struct pkg_held *h)
{
	record_release(&h->old);
	record_release(&h->new);
	procinfo_release(&h->proc);
	free(h->old_path);
	free(h->old_version);
	free(h);
}

static bool
free_held(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	held_free(value);
	return true;
}

void
pkg_close(struct daemon *d)
{
	struct daemon_packages *pk = &d->pk;

	if (pk->held != NULL) {
		pathmap_foreach(pk->held, free_held, NULL);
		pathmap_free(pk->held);
		pk->held = NULL;
	}
	daemon_event_free(&pk->ev);
	daemon_event_free(&pk->step_ev);
	daemon_event_free(&pk->flush_ev);
	if (d->scan != NULL)
		scan_set_extra_algos(d->scan, NULL, NULL);
	pkgdb_free(pk->db);
	pk->db = NULL;
	diag_release(&pk->diag);
}

bool
pkg_judge(struct daemon *d, const struct change *c,
    const struct procinfo *writer, struct verdict *ret)
{
	if (d->pk.db == NULL || !pkgdb_ready(d->pk.db)) {
		memset(ret, 0, sizeof(*ret));
		return false;
	}
	judge_package(d->pk.db, c, judge_by_manager(d->pk.db, writer), ret);
	return true;
}

bool
pkg_hold(struct daemon *d, const struct change *c, const struct verdict *v,
    const struct procinfo *writer, double first)
{
	struct daemon_packages *pk = &d->pk;
	struct pkg_held *h;

	/*
	 * The flush waits for the transaction's last changes (debounced,
	 * or still probed) after the lock closed: they are its own too.
	 */
	if (pk->db == NULL || (!pkgdb_busy(pk->db) &&
	    !evtimer_pending(pk->flush_ev, NULL)) || !v->by_manager ||
	    c->rule == NULL ||
	    (!c->rule->summarize_packages && v->kind == VERDICT_PACKAGE))
		return false;
	if ((h = pathmap_get(pk->held, c->path, c->len)) == NULL) {
		if (pathmap_count(pk->held) >= PKG_HELD_MAX)
			return false;
		h = xcalloc(1, sizeof(*h) + c->len + 1);
		memcpy(h->path, c->path, c->len);
		h->len = c->len;
		record_init(&h->old);
		record_init(&h->new);
		procinfo_init(&h->proc);
		if (c->old != NULL) {
			record_copy(&h->old, c->old);
			h->has_old = true;
		}
		if (writer != NULL)
			procinfo_copy(&h->proc, writer);
		if (v->owner.version != NULL)
			h->old_version = xstrdup(v->owner.version);
		h->first = first;
		pathmap_put(pk->held, h->path, h->len, h);
	}
	record_release(&h->new);
	h->has_new = c->new != NULL;
	if (c->new != NULL)
		record_copy(&h->new, c->new);
	free(h->old_path);
	h->old_path = c->old_path != NULL ? xstrndup(c->old_path,
	    c->old_len) : NULL;
	h->old_len = c->old_len;
	return true;
}

struct collect {
	struct pkg_held **v;
	size_t	 n;
};

static bool
collect_held(const char *key, size_t len, void *value, void *arg)
{
	struct collect *c = arg;

	(void)key;
	(void)len;
	c->v[c->n++] = value;
	return true;
}

static int
held_cmp(const void *a, const void *b)
{
	const struct pkg_held *x = *(const struct pkg_held *const *)a;
	const struct pkg_held *y = *(const struct pkg_held *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int r;

	if ((r = memcmp(x->path, y->path, n)) != 0)
		return r;
	return (x->len > y->len) - (x->len < y->len);
}

/*
 * The summary of package name:arch, new when none is yet; its version
 * now, or "" when the transaction removed it.
 */
static struct pkg_sum *
sum_get(struct daemon *d, struct pkg_sum **v, size_t *n, const char *name,
    const char *arch)
{
	const char *version;
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*v)[i].name, name) == 0 &&
		    strcmp((*v)[i].arch, arch) == 0)
			return &(*v)[i];
	}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].name = xstrdup(name);
	(*v)[*n].arch = xstrdup(arch);
	(*v)[*n].new_version = xstrdup(pkgdb_installed(d->pk.db, name, arch,
	    &version) ? version : "");
	return &(*v)[(*n)++];
}

/*
 * The summary names the package manager itself as its writer when one
 * of its files was written by it, not a maintainer script's chmod.
 */
static void
sum_writer(struct daemon *d, struct pkg_sum *s, const struct pkg_held *h)
{
	if (h->first < s->first)
		s->first = h->first;
	if (!judge_is_manager(d->pk.db, s->proc) &&
	    judge_is_manager(d->pk.db, &h->proc))
		s->proc = &h->proc;
}

/* The net change of one held path, reported or counted. */
static void
flush_one(struct daemon *d, struct pkg_held *h, struct pkg_sum **sums,
    size_t *nsums)
{
	const struct record *new = h->has_new &&
	    baseline_contains(d->b, h->path, h->len) ? &h->new : NULL;
	const struct record *old = h->has_old ? &h->old : NULL;
	const struct record *any = new != NULL ? new : old;
	struct change c;
	struct pkg_owner was;
	struct verdict v;
	struct diff df;
	struct alert a;
	struct pkg_sum *s;

	memset(&c, 0, sizeof(c));
	if (any == NULL)
		return;		/* came and went: a temporary */
	c.rule = ruleset_match(d->rs, h->path, h->len, S_ISDIR(any->mode),
	    NULL);
	if (c.rule == NULL ||
	    !judge_change(old, new, c.rule, false, &c.action, &df))
		return;
	c.path = h->path;
	c.len = h->len;
	c.old = old;
	c.new = new;
	c.diff = c.action == ACTION_CREATED || c.action == ACTION_DELETED ?
	    NULL : &df;
	if (new != NULL && h->old_path != NULL) {
		c.old_path = h->old_path;
		c.old_len = h->old_len;
	}
	judge_package(d->pk.db, &c, true, &v);
	c.verdict = &v;
	/*
	 * A file its package owned before the transaction, deleted by the
	 * package manager and owned by none after it: the package's part
	 * of the transaction (a removal, or a file a new version dropped),
	 * counted with the package's other files.
	 */
	if (c.rule->summarize_packages && v.kind == VERDICT_UNOWNED &&
	    c.action == ACTION_DELETED && pkgdb_departed(d->pk.db, h->path,
	    h->len, &was)) {
		s = sum_get(d, sums, nsums, was.name, was.arch);
		if (s->rule == NULL) {
			s->rule = c.rule;
			s->proc = &h->proc;
			s->first = h->first;
			s->old_version = xstrdup(h->old_version != NULL ?
			    h->old_version : was.version);
		}
		sum_writer(d, s, h);
		s->files++;
		return;
	}
	if (c.rule->summarize_packages && v.kind != VERDICT_UNOWNED) {
		s = sum_get(d, sums, nsums, v.owner.name, v.owner.arch);
		if (s->rule == NULL) {
			s->rule = c.rule;
			s->proc = &h->proc;
			s->first = h->first;
			s->old_version = xstrdup(h->old_version != NULL ?
			    h->old_version : "");
		}
		sum_writer(d, s, h);
		if (v.kind == VERDICT_PACKAGE) {
			s->files++;
			return;
		}
		s->mismatched++;
	}
	alert_from_change(&a, SOURCE_REALTIME, &c);
	a.proc = h->proc.pid != 0 ? &h->proc : NULL;
	(void)daemon_emit(d, &a, h->first);
}

static const char *
change_word(const struct pkg_sum *s)
{
	if (s->new_version[0] == '\0')
		return "removed";
	if (s->old_version[0] == '\0')
		return "installed";
	if (strcmp(s->old_version, s->new_version) == 0)
		return "reinstalled";
	return pkgdb_version_cmp(s->new_version, s->old_version) < 0 ?
	    "downgraded" : "upgraded";
}

static void
emit_summary(struct daemon *d, const struct pkg_sum *s)
{
	struct pkg_summary ps = {
		.name = s->name,
		.arch = s->arch,
		.change = change_word(s),
		.old_version = s->old_version,
		.new_version = s->new_version,
		.files = s->files + s->mismatched,
		.mismatched = s->mismatched,
	};
	struct verdict v;
	struct alert a;

	memset(&v, 0, sizeof(v));
	v.kind = s->mismatched == 0 ? VERDICT_PACKAGE : VERDICT_MISMATCH;
	v.by_manager = true;
	v.owner.type = pkgdb_type(d->pk.db);
	v.owner.name = s->name;
	v.owner.arch = s->arch;
	v.owner.version = s->new_version[0] != '\0' ? s->new_version :
	    s->old_version;
	memset(&a, 0, sizeof(a));
	a.action = ACTION_PACKAGE_CHANGED;
	a.source = SOURCE_REALTIME;
	a.rule = s->rule;
	a.summary = &ps;
	a.pkg_type = pkgdb_type(d->pk.db);
	a.verdict = &v;
	a.proc = s->proc != NULL && s->proc->pid != 0 ? s->proc : NULL;
	if (daemon_emit(d, &a, s->first))
		d->pk.summaries++;
}

void
pkg_flush(struct daemon *d)
{
	struct collect col;
	struct pkg_sum *sums = NULL;
	size_t i, nsums = 0;

	if (d->pk.held == NULL || pathmap_count(d->pk.held) == 0) {
		if (d->pk.db != NULL)
			pkgdb_departed_clear(d->pk.db);
		return;
	}
	/* What the database says now: the transaction's own records. */
	if (d->pk.db != NULL)
		(void)pkgdb_load(d->pk.db);
	log_new_diag(d);
	col.v = xcalloc(pathmap_count(d->pk.held), sizeof(*col.v));
	col.n = 0;
	pathmap_foreach(d->pk.held, collect_held, &col);
	pathmap_free(d->pk.held);
	d->pk.held = pathmap_new();
	qsort(col.v, col.n, sizeof(*col.v), held_cmp);
	for (i = 0; i < col.n; i++)
		flush_one(d, col.v[i], &sums, &nsums);
	if (d->pk.db != NULL)
		pkgdb_departed_clear(d->pk.db);
	for (i = 0; i < nsums; i++) {
		if (sums[i].files > 0)
			emit_summary(d, &sums[i]);
		free(sums[i].name);
		free(sums[i].arch);
		free(sums[i].old_version);
		free(sums[i].new_version);
	}
	free(sums);
	for (i = 0; i < col.n; i++)
		held_free(col.v[i]);
	free(col.v);
}

static void
pkg_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (pkgdb_busy(d->pk.db))
		return;		/* another began: its end reports both */
	if ((pending_count(d->pending) > 0 || scan_inflight(d->scan) > 0 ||
	    pkgdb_queued(d->pk.db) > 0) &&
	    ++d->pk.flush_tries < PKG_FLUSH_TRIES) {
		arm(d->pk.flush_ev, PKG_FLUSH_RETRY_MS);
		return;
	}
	pkg_flush(d);
}
