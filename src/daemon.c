/*
 * The daemon's loop: start-up, the events it waits on, signals, reload,
 * and the orderly exit (daemon.h; the rooms are listed in daemon_state.h).
 *
 * Start-up order matters for losing nothing: the kernel marks are placed
 * before the baseline is compared with the disk, so a change made during
 * the start-up rescan is either seen by that rescan or queued as an
 * event.  READY=1 goes to the service manager once the marks are in place
 * and the baseline is loaded (or built); the rescan that reports changes
 * made while the daemon was down then runs on the loop.
 *
 * Start-up steps return an enum exit_status, which daemon_run returns;
 * everything below them returns 0 or -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/thread.h>

#include "clock.h"
#include "cmdutil.h"
#include "contentdiff.h"
#include "daemon.h"
#include "daemon_ctl.h"
#include "daemon_ent.h"
#include "daemon_gone.h"
#include "daemon_out.h"
#include "daemon_pkg.h"
#include "daemon_rescan.h"
#include "daemon_rt.h"
#include "daemon_window.h"
#include "log.h"
#include "notify.h"
#include "xmalloc.h"

#define PENDING_MAX		(1u << 20)

static void	daemon_reload(struct daemon *d);

/* Top level: subtree walks, then the rescan queue. */
static void
deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct deferred *w;

	(void)fd;
	(void)what;
	while ((w = daemon_next_deferred(d)) != NULL) {
		if (!d->stopping)
			rt_run_subtree(d, w);
		daemon_deferred_free(w);
	}
	rescan_run_next(d);
}

static void
pool_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	scan_reap(d->scan, false);
}

static void
hold_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	watch_flush(d->watch, rt_watch_event, d);
}

static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv;
	int r, ms;

	(void)fd;
	(void)what;
	d->rt.window_next = clock_mono_ns();
	proctrack_read(d->procs);
	r = watch_read(d->watch, rt_watch_event, d);
	d->rt.memo_pid = 0;
	procinfo_release(&d->rt.memo_proc);
	if (r == 0)
		d->rt.window_start = d->rt.window_next;
	else if (r < 0) {
		errno = -r;
		log_warn("reading kernel events");
	}
	if ((ms = watch_hold_ms(d->watch)) >= 0) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		if (evtimer_add(d->hold_ev, &tv) < 0)
			log_warnx("cannot arm the event hold timer");
	}
}

static void
proc_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	proctrack_read(d->procs);
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	(void)notify_send("WATCHDOG=1");
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: saving the baseline and exiting",
		    (int)sig);
		d->stopping = true;
		d->stop_signal = (int)sig;
		/*
		 * A file being hashed may be huge: stop reading it, so the
		 * baseline is saved now; the next start-up rescan judges
		 * what was left unread.
		 */
		scan_cancel(d->scan);
		event_base_loopexit(d->base, NULL);
		break;
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGUSR1:
		(void)daemon_reopen_sinks(d);
		break;
	}
}

/* ---- the daemon's own records ---- */

/* What started, stopped and checkpoint records say about the daemon. */
static void
state_now(const struct daemon *d, struct alert_state *st)
{
	memset(st, 0, sizeof(*st));
	st->files = d->b != NULL ? baseline_count(d->b) : 0;
	st->rules = ruleset_count(d->rs);
	st->rules_digest = ruleset_digest(d->rs);
	st->open_gaps = rescan_open_gaps(d);
	st->heartbeat = d->cfg->heartbeat;
}

static void
heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct alert_state st;

	(void)fd;
	(void)what;
	state_now(d, &st);
	(void)daemon_record(d, ACTION_CHECKPOINT, &st, NULL);
}

/*
 * The first line of a run, before any gap the start-up may report, so
 * that --verify can tell where a run begins and whether the one before
 * ended with "stopped".
 */
static void
announce(struct daemon *d)
{
	struct alert_state st;

	state_now(d, &st);
	(void)daemon_record(d, ACTION_STARTED, &st, NULL);
	d->announced = true;
}

/* The last line of a run that was announced. */
static void
farewell(struct daemon *d, const char *why)
{
	struct alert_state st;
	char reason[64];

	if (!d->announced)
		return;
	if (why == NULL && d->stop_signal != 0)
		snprintf(reason, sizeof(reason), "%s", d->stop_signal ==
		    SIGTERM ? "SIGTERM" : d->stop_signal == SIGINT ?
		    "SIGINT" : "signal");
	else
		snprintf(reason, sizeof(reason), "%s", why != NULL ? why :
		    "the event loop ended");
	state_now(d, &st);
	(void)daemon_record(d, ACTION_STOPPED, &st, reason);
	d->announced = false;
}

/* ---- rules and watches ---- */

static int
watch_roots(struct daemon *d)
{
	const char *const *roots;
	size_t n, i;
	int r;

	n = ruleset_roots(d->rs, &roots);
	for (i = 0; i < n; i++) {
		if ((r = watch_add_root(d->watch, roots[i],
		    strlen(roots[i]))) < 0)
			return r;
	}
	/* Deliver the gaps of roots that cannot be watched now. */
	return watch_read(d->watch, rt_watch_event, d) < 0 ? -EIO : 0;
}

/* New rules must not cover the key file either (logged when they do). */
static bool
key_outside(const struct daemon *d, const struct ruleset *rs)
{
	const char *const *roots;
	struct diag dg;
	size_t n;
	int r;

	if (d->key == NULL)
		return true;
	n = ruleset_roots(rs, &roots);
	diag_init(&dg);
	r = chain_key_outside(d->key, roots, n, &dg);
	diag_print(&dg, stderr);
	diag_release(&dg);
	return r == 0;
}

static void
daemon_reload(struct daemon *d)
{
	struct ruleset *rs;
	unsigned dropped;

	log_notice("reloading rules from %s", d->cfg->rules_path);
	if (cmd_load_rules(d->cfg, false, &rs) != EXIT_OK) {
		log_warnx("keeping the current rules");
		(void)daemon_reopen_sinks(d);
		return;
	}
	if (!key_outside(d, rs)) {
		ruleset_free(rs);
		log_warnx("keeping the current rules");
		(void)daemon_reopen_sinks(d);
		return;
	}
	(void)notify_send("RELOADING=1");
	/*
	 * Every job refers to the current rules: end them all (a long file
	 * would hold the loop: the reload's rescan judges what they left
	 * unread), and start no queued rescan under rules about to go away.
	 */
	scan_cancel(d->scan);
	scan_finish(d->scan);
	scan_uncancel(d->scan);
	dropped = rescan_drain(d);
	watch_clear(d->watch);
	rescan_unschedule(d);
	ent_close(d);
	ruleset_free(d->old_rs);
	d->old_rs = d->rs;
	d->rs = rs;
	if (d->copies == NULL)	/* filled when the rescan below ends */
		(void)cmd_load_copies(d->cfg, d->key, rs, &d->copies);
	scan_set_ruleset(d->scan, rs);
	rescan_schedule(d);
	ent_open(d);
	if (watch_roots(d) < 0)
		log_warnx("cannot watch the new rules' paths");
	rescan_enqueue(d, NULL, 0, NULL, RESCAN_ADOPT | (dropped & RESCAN_GAP),
	    "rules reloaded");
	(void)daemon_reopen_sinks(d);
	(void)notify_send("READY=1\nSTATUS=rules reloaded");
}

/* ---- start-up ---- */

/* Build the baseline the daemon starts without, before going live. */
static enum exit_status
build_baseline(struct daemon *d)
{
	struct baseline *saved;
	enum exit_status st;
	struct diag dg;

	log_notice("no baseline at %s: building it", d->cfg->baseline_path);
	d->b = baseline_new();
	baseline_set_rules_digest(d->b, ruleset_digest(d->rs));
	d->building = true;
	rescan_enqueue(d, NULL, 0, NULL, RESCAN_ADOPT, "initial baseline");
	rescan_run_next(d);		/* starts it: walks */
	scan_finish(d->scan);		/* every hash is back */
	rescan_run_next(d);		/* finishes it */
	d->building = false;
	if ((st = daemon_save(d)) != EXIT_OK)
		return st;
	/*
	 * Go on from the file just written, as a restart would: it proves
	 * the file loads, and the walk's working memory, scattered between
	 * the entries it built, is returned instead of held for the
	 * daemon's lifetime (about 7% of its resident size).
	 */
	diag_init(&dg);
	if (baseline_load_keyed(d->cfg->baseline_path, d->key, &saved,
	    &dg) == 0) {
		baseline_free(d->b);
		d->b = saved;
		daemon_trim(d);
	} else {
		diag_print(&dg, stderr);
		log_warnx("the baseline just written does not load back; "
		    "going on with the one in memory");
	}
	diag_release(&dg);
	return EXIT_OK;
}

/*
 * The content copies, when rules ask for diffs; those the baseline's
 * entries lack are taken now, and saved at once.
 */
static enum exit_status
load_copies(struct daemon *d)
{
	(void)cmd_load_copies(d->cfg, d->key, d->rs, &d->copies);
	if (d->copies != NULL && content_fill(d->copies, d->b, d->rs) > 0)
		return cmd_save_copies(d->cfg, d->key, d->copies, d->b, d->rs);
	return EXIT_OK;
}

static enum exit_status
load_state(struct daemon *d)
{
	enum exit_status st;
	struct diag dg;
	int r;

	diag_init(&dg);
	r = baseline_load_keyed(d->cfg->baseline_path, d->key, &d->b, &dg);
	if (r == -ENOENT) {
		diag_release(&dg);
		if ((st = build_baseline(d)) != EXIT_OK)
			return st;
		return load_copies(d);
	}
	diag_print(&dg, stderr);
	diag_release(&dg);
	if (r < 0)
		return r == -EBADMSG ? EXIT_BAD_BASELINE : EXIT_IO_ERROR;
	if (strcmp(baseline_rules_digest(d->b), ruleset_digest(d->rs)) != 0)
		log_notice("the rules changed since the baseline was written: "
		    "newly covered files will be reported as created");
	if ((st = load_copies(d)) != EXIT_OK)
		return st;
	rescan_enqueue(d, NULL, 0, NULL, 0, "start-up");
	return EXIT_OK;
}

static void
setup_events(struct daemon *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct timeval tv;
	uint64_t usec;
	size_t i;

	for (i = 0; i < 4; i++)
		d->sig_ev[i] = daemon_event(d, sigs[i], EV_SIGNAL | EV_PERSIST,
		    signal_cb, d, NULL);
	d->pool_ev = daemon_event(d, hashpool_fd(d->pool),
	    EV_READ | EV_PERSIST, pool_cb, d, NULL);
	d->deferred_ev = daemon_event(d, -1, 0, deferred_cb, d, NULL);
	d->hold_ev = daemon_event(d, -1, 0, hold_cb, d, NULL);
	tv.tv_sec = (time_t)d->cfg->heartbeat;
	tv.tv_usec = 0;
	d->heartbeat_ev = daemon_event(d, -1, EV_PERSIST, heartbeat_cb, d,
	    &tv);
	if ((usec = notify_watchdog_usec()) > 0) {
		tv.tv_sec = (time_t)(usec / 2000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		d->watchdog_ev = daemon_event(d, -1, EV_PERSIST, watchdog_cb,
		    d, &tv);
	}
}

static enum exit_status
setup_watch(struct daemon *d)
{
	struct watch_filter f = {
		.want_dir = rt_want_dir,
		.want_path = rt_want_path,
		.arg = d,
	};
	struct diag dg;
	char *copies;
	int r;

	diag_init(&dg);
	r = watch_open(d->cfg->backend, &f, d->cfg->queue_budget, &d->watch,
	    &dg);
	diag_print(&dg, stderr);
	diag_release(&dg);
	if (r < 0) {
		errno = -r;
		log_err("cannot open the %s backend",
		    config_backend_name(d->cfg->backend));
		return EXIT_IO_ERROR;
	}
	watch_ignore_path(d->watch, d->cfg->baseline_path,
	    strlen(d->cfg->baseline_path));
	copies = contentstore_path(d->cfg->baseline_path);
	watch_ignore_path(d->watch, copies, strlen(copies));
	free(copies);
	if (strcmp(d->cfg->alerts_path, "-") != 0)
		watch_ignore_path(d->watch, d->cfg->alerts_path,
		    strlen(d->cfg->alerts_path));
	alert_stream_set_backend(d->out.alerts, watch_backend(d->watch));
	announce(d);
	d->procs = proctrack_new(strcmp(watch_backend(d->watch),
	    "fanotify") == 0);
	if (proctrack_fd(d->procs) >= 0)
		d->proc_ev = daemon_event(d, proctrack_fd(d->procs),
		    EV_READ | EV_PERSIST, proc_cb, d, NULL);
	d->rt.window_start = clock_mono_ns();
	if ((r = watch_roots(d)) < 0) {
		errno = -r;
		log_err("cannot watch the rules' paths");
		return EXIT_IO_ERROR;
	}
	if (watch_fd(d->watch) >= 0)
		d->watch_ev = daemon_event(d, watch_fd(d->watch),
		    EV_READ | EV_PERSIST, watch_cb, d, NULL);
	return EXIT_OK;
}

/* ---- life cycle ---- */

static enum exit_status
daemon_setup(struct daemon *d, const struct fimd_config *c)
{
	enum exit_status st;

	d->cfg = c;
	d->started = clock_wall_s();
	procinfo_init(&d->rt.memo_proc);
	if (evthread_use_pthreads() < 0 || (d->base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	if ((st = cmd_load_rules(c, false, &d->rs)) != EXIT_OK ||
	    (st = cmd_load_key(c, d->rs, &d->key)) != EXIT_OK ||
	    (st = daemon_out_open(d)) != EXIT_OK ||
	    (st = daemon_window_open(d)) != EXIT_OK)
		return st;
	if ((d->pool = hashpool_new(c->workers)) == NULL)
		fatal("cannot start hashing threads");
	d->scan = scan_new(d->rs, d->pool, NULL, NULL);
	scan_set_lanes(d->scan, true);
	cmd_ignore_own_files(c, d->scan);
	d->pending = pending_new(d->base, c->debounce_ms, c->debounce_max_ms,
	    PENDING_MAX, rt_pending_fire, d);
	pkg_open(d);
	setup_events(d);
	/* Before the first walk, which counts as every rule's rescan. */
	rescan_schedule(d);
	if ((st = setup_watch(d)) != EXIT_OK || (st = load_state(d)) != EXIT_OK)
		return st;
	ent_open(d);
	daemon_window_start(d);
	return daemon_ctl_open(d);
}

static void
daemon_teardown(struct daemon *d)
{
	size_t i;

	if (d->scan != NULL)
		scan_finish(d->scan);
	rescan_close(d);
	rescan_unschedule(d);
	control_free(d->control);
	for (i = 0; i < 4; i++)
		daemon_event_free(&d->sig_ev[i]);
	daemon_event_free(&d->pool_ev);
	daemon_event_free(&d->watch_ev);
	daemon_event_free(&d->hold_ev);
	daemon_event_free(&d->deferred_ev);
	daemon_event_free(&d->proc_ev);
	daemon_event_free(&d->watchdog_ev);
	daemon_event_free(&d->heartbeat_ev);
	ent_close(d);
	pkg_close(d);
	daemon_window_close(d);
	daemon_out_close(d);
	pending_free(d->pending);
	scan_free(d->scan);
	hashpool_free(d->pool);
	watch_free(d->watch);
	proctrack_free(d->procs);
	rt_close(d);
	baseline_free(d->b);
	contentstore_free(d->copies);
	ruleset_free(d->rs);
	ruleset_free(d->old_rs);
	chain_key_free(d->key);
	if (d->base != NULL)
		event_base_free(d->base);
}

/*
 * Fork into the background; the parent waits for the child to report
 * readiness (or its exit status) through a pipe, so "fimd --daemon"
 * returns only once the daemon watches, or with the reason it could not.
 */
static int
detach(int *ret_fd)
{
	int p[2], fd;
	unsigned char st = EXIT_IO_ERROR;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if ((pid = fork()) < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = EXIT_IO_ERROR;
		_exit(st);
	}
	close(p[0]);
	(void)setsid();
	if (chdir("/") < 0)
		return -errno;
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		close(fd);
	}
	*ret_fd = p[1];
	return 0;
}

static void
report_ready(int fd, enum exit_status status)
{
	unsigned char byte = (unsigned char)status;

	if (fd >= 0) {
		(void)!write(fd, &byte, 1);
		close(fd);
	}
}

int
daemon_run(const struct fimd_config *c, bool detach_asked)
{
	struct daemon d;
	enum exit_status st;
	int r, ready_fd = -1;

	memset(&d, 0, sizeof(d));
	if (detach_asked && !notify_enabled()) {
		if ((r = detach(&ready_fd)) < 0) {
			errno = -r;
			log_err("cannot detach");
			return EXIT_IO_ERROR;
		}
		log_init(log_get_level(), true);
	}
	if ((st = daemon_setup(&d, c)) != EXIT_OK) {
		report_ready(ready_fd, st);
		farewell(&d, "start-up failed");
		daemon_teardown(&d);
		return st;
	}
	(void)notify_send("READY=1\nSTATUS=watching %zu files with %s",
	    baseline_count(d.b), watch_backend(d.watch));
	log_info("watching %zu files with %s", baseline_count(d.b),
	    watch_backend(d.watch));
	report_ready(ready_fd, EXIT_OK);
	daemon_kick(&d);
	event_base_dispatch(d.base);
	(void)notify_send("STOPPING=1");
	d.stopping = true;
	scan_finish(d.scan);
	gone_flush(&d);
	rescan_run_next(&d);
	pkg_flush(&d);
	st = d.out.dirty ? daemon_save(&d) : EXIT_OK;
	farewell(&d, NULL);
	daemon_teardown(&d);
	return st;
}
