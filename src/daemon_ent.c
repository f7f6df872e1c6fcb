/*
 * The entities in the daemon (daemon_ent.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon_ent.h"
#include "daemon_out.h"
#include "log.h"
#include "xmalloc.h"

/* After a change of dpkg's directory, the status file is read this late:
 * dpkg writes it several times in a row (status-new, then a rename). */
#define POKE_MS		150

#define UNIT_DIR_EVENTS	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
	IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_ONLYDIR)

static void	poke_cb(evutil_socket_t fd, short what, void *arg);
static void	poke(struct ent_watch *w);

static void
log_diag(struct diag *dg)
{
	char *s;
	size_t i;

	for (i = 0; i < dg->n; i++) {
		s = diag_format(&dg->v[i]);
		log_warnx("%s", s);
		free(s);
	}
}

/* The loop thread's CPU time: the checks run on it alone. */
static double
cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool
status_stat(const struct daemon *d, struct stat *st)
{
	char *path;
	int r;

	memset(st, 0, sizeof(*st));
	if (d->cfg->package_db == NULL)
		return false;
	path = xasprintf("%s/status", d->cfg->package_db);
	r = stat(path, st);
	free(path);
	return r == 0;
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Take a snapshot of w's type into *ret; false when it failed. */
static bool
snapshot(struct daemon *d, struct ent_watch *w, struct entity_set *ret)
{
	struct entity_source src;
	struct entity_cost cost;
	struct diag dg;
	double t0 = cpu_ms();
	int r;

	if (w->rule->type == RULE_PACKAGES && d->cfg->package_db == NULL) {
		entity_set_init(ret, w->rule->type);
		return false;
	}
	entity_source_init(&src, w->rule, d->cfg->package_db);
	if (w->rule->type == RULE_PACKAGES)
		(void)status_stat(d, &w->status_st);
	diag_init(&dg);
	r = entity_snapshot(w->rule->type, &src, &w->cur, ret, &cost, &dg);
	log_diag(&dg);
	diag_release(&dg);
	w->checks++;
	w->last_check = clock_wall_s();
	w->last_cpu_ms = cpu_ms() - t0;
	w->cpu_ms += w->last_cpu_ms;
	if (cost.owners_looked_up) {
		w->owner_scans++;
		w->lookup_cpu_ms += w->last_cpu_ms;
	}
	return r == 0;
}

/* Record set (stolen) as the baseline's for w's type. */
static void
take(struct daemon *d, struct ent_watch *w, struct entity_set *set)
{
	entity_set_release(&w->cur);
	w->cur = *set;
	baseline_set_entities(d->b, rule_type_name(w->rule->type),
	    entity_set_to_json(&w->cur));
	daemon_mark_dirty(d);
}

/* Whether two sets hold the same items with the same attributes. */
static bool
same_set(const struct entity_set *a, const struct entity_set *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) != 0 ||
		    !json_equal(a->v[i].attrs, b->v[i].attrs))
			return false;
	return true;
}

struct emit_ctx {
	struct daemon *d;
	struct ent_watch *w;
	enum alert_source source;
	bool	 all_written;
};

static void
emit_change(const struct entity_change *c, void *arg)
{
	struct emit_ctx *e = arg;
	struct alert a;

	entity_alert(&a, e->source, e->w->rule, c);
	if (daemon_emit(e->d, &a, 0))
		e->w->changes++;
	else
		e->all_written = false;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/*
 * Watch every unit directory and the directories in it that say what
 * wants a unit or changes it; an existing watch is kept as it is.
 */
static void
watch_unit_dirs(struct ent_watch *w)
{
	char sub[PATH_MAX];
	struct dirent *de;
	size_t i;
	DIR *dir;

	if (w->ino_fd < 0)
		return;
	for (i = 0; i < w->rule->npaths; i++) {
		if (inotify_add_watch(w->ino_fd, w->rule->paths[i].path,
		    UNIT_DIR_EVENTS) < 0 ||
		    (dir = opendir(w->rule->paths[i].path)) == NULL)
			continue;	/* not there yet: the rescans look */
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.' ||
			    (!has_suffix(de->d_name, ".wants") &&
			    !has_suffix(de->d_name, ".requires") &&
			    !has_suffix(de->d_name, ".d")))
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s",
			    w->rule->paths[i].path, de->d_name) <
			    (int)sizeof(sub))
				(void)inotify_add_watch(w->ino_fd, sub,
				    UNIT_DIR_EVENTS);
		}
		closedir(dir);
	}
}

static void
ino_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ent_watch *w = arg;
	char buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (w->rule->realtime)
		poke(w);
}

static void
check(struct daemon *d, struct ent_watch *w, enum alert_source source)
{
	struct emit_ctx e = { d, w, source, true };
	struct entity_set next;
	size_t i;

	if (!snapshot(d, w, &next)) {
		entity_set_release(&next);
		return;
	}
	watch_unit_dirs(w);
	(void)entity_compare(&w->cur, &next, emit_change, &e);
	if (!e.all_written) {
		entity_set_release(&next);
		return;		/* reported again by the next check */
	}
	if (same_set(&w->cur, &next)) {
		/* Nothing to save; keep the inodes that spare lookups. */
		for (i = 0; i < next.n; i++)
			w->cur.v[i].inode = next.v[i].inode;
		entity_set_release(&next);
		return;
	}
	take(d, w, &next);
}

void
ent_check(struct daemon *d, const struct rule *rule,
    enum alert_source source)
{
	struct ent_watch *w;

	if (rule->type == RULE_FILES || rule->type >= RULE_TYPE_COUNT ||
	    (w = d->ent.by_type[rule->type]) == NULL)
		return;
	check(d, w, source);
}

static void
open_one(struct daemon *d, const struct rule *rule)
{
	const char *type = rule_type_name(rule->type);
	const json_t *saved = baseline_entities(d->b, type);
	struct ent_watch *w = xcalloc(1, sizeof(*w));
	struct entity_set first;
	const char *why;

	w->d = d;
	w->rule = rule;
	w->ino_fd = -1;
	entity_set_init(&w->cur, rule->type);
	d->ent.by_type[rule->type] = w;
	if (rule->type == RULE_SERVICES) {
		w->poke_ev = daemon_event(d, -1, 0, poke_cb, w, NULL);
		if ((w->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
			log_warn("rule %s: cannot watch the unit directories; "
			    "their changes are found by the rescans",
			    rule->name);
		else
			w->ino_ev = daemon_event(d, w->ino_fd, EV_READ |
			    EV_PERSIST, ino_cb, w, NULL);
		watch_unit_dirs(w);
	}
	if (rule->type == RULE_PACKAGES) {
		w->poke_ev = daemon_event(d, -1, 0, poke_cb, w, NULL);
		if (d->cfg->package_db == NULL)
			log_warnx("rule %s: no package database is configured "
			    "(package_db): no packages to watch", rule->name);
	}
	if (saved != NULL && entity_set_from_json(rule->type, saved,
	    &w->cur, &why) == 0) {
		check(d, w, SOURCE_RESCAN);	/* what changed while down */
		return;
	}
	/* New to the baseline: what there is now is its first state. */
	if (snapshot(d, w, &first))
		take(d, w, &first);
	else
		entity_set_release(&first);
	log_info("rule %s: %zu %s recorded", rule->name, w->cur.n, type);
}

void
ent_open(struct daemon *d)
{
	const struct rule *rule;
	int t;

	memset(&d->ent, 0, sizeof(d->ent));
	for (t = RULE_FILES + 1; t < RULE_TYPE_COUNT; t++) {
		if ((rule = ruleset_entity(d->rs, (enum rule_type)t)) != NULL)
			open_one(d, rule);
		else if (baseline_entities(d->b,
		    rule_type_name((enum rule_type)t)) != NULL) {
			baseline_set_entities(d->b,
			    rule_type_name((enum rule_type)t), NULL);
			daemon_mark_dirty(d);
		}
	}
}

void
ent_close(struct daemon *d)
{
	struct ent_watch *w;
	int t;

	for (t = 0; t < RULE_TYPE_COUNT; t++) {
		if ((w = d->ent.by_type[t]) == NULL)
			continue;
		daemon_event_free(&w->poke_ev);
		daemon_event_free(&w->ino_ev);
		if (w->ino_fd >= 0)
			close(w->ino_fd);
		entity_set_release(&w->cur);
		free(w);
		d->ent.by_type[t] = NULL;
	}
}

static void
poke_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ent_watch *w = arg;
	struct daemon *d = w->d;
	struct stat st;

	(void)fd;
	(void)what;
	if (w->rule->type == RULE_SERVICES) {
		check(d, w, SOURCE_REALTIME);
		return;
	}
	if (d->pk.db != NULL && pkgdb_busy(d->pk.db))
		return;		/* the transaction's end pokes again */
	if (status_stat(d, &st) && same_file(&st, &w->status_st))
		return;
	check(d, w, SOURCE_REALTIME);
}

/* Check w soon, once for a burst of changes. */
static void
poke(struct ent_watch *w)
{
	struct timeval tv = { 0, POKE_MS * 1000 };

	if (w == NULL || !w->rule->realtime || w->poke_ev == NULL ||
	    evtimer_pending(w->poke_ev, NULL))
		return;
	if (evtimer_add(w->poke_ev, &tv) < 0)
		log_warnx("cannot arm the %s timer",
		    rule_type_name(w->rule->type));
}

void
ent_packages_poke(struct daemon *d)
{
	poke(d->ent.by_type[RULE_PACKAGES]);
}
