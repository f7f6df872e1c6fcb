/*
 * The daemon's change windows (daemon_window.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "daemon_accept.h"
#include "daemon_out.h"
#include "daemon_window.h"
#include "log.h"
#include "pathenc.h"
#include "xmalloc.h"

static void arm_expiry(struct daemon *d);

enum exit_status
daemon_window_open(struct daemon *d)
{
	struct daemon_windows *w = &d->win;
	struct diag diag;
	size_t len = strlen(d->cfg->baseline_path);
	int r;

	w->path = xmalloc(len + sizeof(".windows"));
	memcpy(w->path, d->cfg->baseline_path, len);
	memcpy(w->path + len, ".windows", sizeof(".windows"));
	diag_init(&diag);
	r = window_set_load(w->path, &w->set, &diag);
	diag_print(&diag, stderr);
	diag_release(&diag);
	if (r < 0) {
		log_warnx("%s: the change windows cannot be read; fix or "
		    "remove the file", w->path);
		return r == -EBADMSG ? EXIT_BAD_BASELINE : EXIT_IO_ERROR;
	}
	return EXIT_OK;
}

void
daemon_window_save(struct daemon *d)
{
	struct daemon_windows *w = &d->win;
	int r;

	if (w->set == NULL)
		return;
	if ((r = window_set_save(w->set, w->path)) < 0) {
		errno = -r;
		log_warn("cannot save the change windows to %s", w->path);
		return;
	}
	w->dirty = false;
}

void
daemon_window_close(struct daemon *d)
{
	struct daemon_windows *w = &d->win;

	if (w->dirty)
		daemon_window_save(d);
	daemon_event_free(&w->expiry_ev);
	window_set_free(w->set);
	w->set = NULL;
	free(w->path);
	w->path = NULL;
}

/* ---- the records ---- */

static void
add_visible(struct buf *m, const char *s)
{
	(void)pathenc_visible(s, strlen(s), m);
}

static void
add_duration(struct buf *m, uint64_t s)
{
	if (s % 86400 == 0)
		(void)buf_addf(m, "%" PRIu64 "d", s / 86400);
	else if (s % 3600 == 0)
		(void)buf_addf(m, "%" PRIu64 "h", s / 3600);
	else if (s % 60 == 0)
		(void)buf_addf(m, "%" PRIu64 "m", s / 60);
	else
		(void)buf_addf(m, "%" PRIu64 "s", s);
}

static void
add_rules(struct buf *m, const struct window *win)
{
	size_t i;

	if (win->nrules == 0) {
		(void)buf_adds(m, "every rule");
		return;
	}
	(void)buf_adds(m, win->nrules == 1 ? "rule " : "rules ");
	for (i = 0; i < win->nrules; i++) {
		if (i > 0)
			(void)buf_adds(m, ", ");
		add_visible(m, win->rules[i]);
	}
}

static void
emit_window(struct daemon *d, enum alert_action action, const char *message,
    json_t *tag)
{
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.action = action;
	a.source = SOURCE_CONTROL;
	a.message = message;
	a.fimd_extra = json_pack("{s:o}", "window", tag);
	(void)daemon_emit(d, &a, 0);
	json_decref(a.fimd_extra);
}

/* "change window 3 opened by root for 30m (rule etc): REASON" */
static void
record_opened(struct daemon *d, const struct window *win, uint64_t ttl)
{
	struct buf m;

	buf_init(&m, BUF_MAX_DEFAULT);
	(void)buf_addf(&m, "change window %" PRIu64 " opened by ", win->id);
	if (win->user != NULL)
		add_visible(&m, win->user);
	else
		(void)buf_addf(&m, "uid %u", (unsigned)win->uid);
	if (ttl > 0) {
		(void)buf_adds(&m, " for ");
		add_duration(&m, ttl);
	}
	(void)buf_adds(&m, " (");
	add_rules(&m, win);
	(void)buf_adds(&m, "): ");
	add_visible(&m, win->reason);
	emit_window(d, ACTION_WINDOW_OPENED, m.data, window_tag_json(win));
	buf_release(&m);
}

/*
 * "change window 3 closed by root: 12 changes (etc: 12; by sed: 12),
 * 12 accepted: REASON"; how: "closed" or "expired".
 */
static void
record_closed(struct daemon *d, const struct window *win, const char *how,
    const struct daemon_peer *who, long long accepted)
{
	json_t *tag = window_summary_json(win), *v;
	const char *k;
	struct buf m;
	bool first = true;

	buf_init(&m, BUF_MAX_DEFAULT);
	(void)buf_addf(&m, "change window %" PRIu64 " %s", win->id, how);
	if (who != NULL) {
		(void)buf_adds(&m, " by ");
		if (who->user[0] != '\0')
			add_visible(&m, who->user);
		else
			(void)buf_addf(&m, "uid %u", (unsigned)who->uid);
	}
	(void)buf_addf(&m, ": %" PRIu64 " change%s", win->changes,
	    win->changes == 1 ? "" : "s");
	json_object_foreach(win->by_rule, k, v) {
		(void)buf_adds(&m, first ? " (" : ", ");
		add_visible(&m, k);
		(void)buf_addf(&m, ": %lld", (long long)json_integer_value(v));
		first = false;
	}
	first = true;
	json_object_foreach(win->by_writer, k, v) {
		(void)buf_adds(&m, first ? "; by " : ", ");
		add_visible(&m, k);
		(void)buf_addf(&m, ": %lld", (long long)json_integer_value(v));
		first = false;
	}
	if (json_object_size(win->by_rule) > 0)
		(void)buf_addc(&m, ')');
	if (accepted >= 0)
		(void)buf_addf(&m, ", %lld accepted", accepted);
	(void)buf_adds(&m, ": ");
	add_visible(&m, win->reason);
	json_object_set_new(tag, "closed", json_string(how));
	if (who != NULL)
		json_object_set_new(tag, "closed_by", json_pack("{s:I,s:s?}",
		    "uid", (json_int_t)who->uid, "user", who->user[0] !=
		    '\0' ? who->user : NULL));
	if (accepted >= 0)
		json_object_set_new(tag, "accepted", json_integer(accepted));
	emit_window(d, ACTION_WINDOW_CLOSED, m.data, tag);
	buf_release(&m);
}

/* ---- expiry ---- */

static void
close_expired(struct daemon *d)
{
	struct window *win;
	double now = clock_wall_s();
	bool any = false;

	while ((win = window_expired(d->win.set, now)) != NULL) {
		record_closed(d, win, "expired", NULL, -1);
		(void)window_close(d->win.set, win->id);
		any = true;
	}
	if (any)
		daemon_window_save(d);
}

static void
expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	close_expired(d);
	arm_expiry(d);
}

static void
arm_expiry(struct daemon *d)
{
	double next = window_next_expiry(d->win.set), in;
	struct timeval tv;

	if (d->win.expiry_ev == NULL)
		d->win.expiry_ev = daemon_event(d, -1, 0, expiry_cb, d, NULL);
	evtimer_del(d->win.expiry_ev);
	if (next == 0)
		return;
	in = next - clock_wall_s();
	if (in < 0)
		in = 0;
	/* A little late rather than early: the window is then over. */
	tv.tv_sec = (time_t)in;
	tv.tv_usec = (suseconds_t)((in - (double)tv.tv_sec) * 1e6) + 1000;
	if (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	if (evtimer_add(d->win.expiry_ev, &tv) < 0)
		log_warnx("cannot arm the change windows' expiry timer");
}

void
daemon_window_start(struct daemon *d)
{
	close_expired(d);
	arm_expiry(d);
}

/* ---- the verb ---- */

static int
refuse(json_t *reply, int err, const char *msg)
{
	json_object_set_new(reply, "error", json_string(msg));
	return err;
}

static int
verb_open(struct daemon *d, const json_t *req, json_t *reply)
{
	const json_t *rules = json_object_get(req, "rules"), *ttl, *v;
	const char *names[WINDOW_RULES_MAX], *reason;
	struct daemon_peer who;
	struct window *win;
	uint64_t secs = 0;
	size_t i, n = 0;
	int r;

	if ((r = daemon_reason(req, reply, &reason)) < 0)
		return r;
	if (reason == NULL)
		return refuse(reply, -EINVAL, "a window needs a \"reason\"");
	ttl = json_object_get(req, "ttl");
	if (ttl != NULL && (!json_is_integer(ttl) ||
	    json_integer_value(ttl) <= 0 ||
	    json_integer_value(ttl) > 366 * 86400))
		return refuse(reply, -EINVAL, "\"ttl\" must be a number of "
		    "seconds from 1 to a year");
	if (ttl != NULL)
		secs = (uint64_t)json_integer_value(ttl);
	if (rules != NULL && (!json_is_array(rules) ||
	    json_array_size(rules) > WINDOW_RULES_MAX))
		return refuse(reply, -EINVAL, "\"rules\" must be a list of "
		    "rule names");
	json_array_foreach(rules, i, v) {
		if (!json_is_string(v) ||
		    ruleset_find(d->rs, json_string_value(v)) == NULL) {
			json_object_set_new(reply, "error", json_sprintf(
			    "no rule named %s", json_is_string(v) ?
			    json_string_value(v) : "(not a string)"));
			return -ENOENT;
		}
		names[n++] = json_string_value(v);
	}
	daemon_peer(req, &who);
	win = window_open(d->win.set, reason, who.uid, who.user[0] != '\0' ?
	    who.user : NULL, clock_wall_s(), secs, names, n);
	if (win == NULL)
		return refuse(reply, -EBUSY, "too many open windows (64)");
	record_opened(d, win, secs);
	daemon_window_save(d);
	arm_expiry(d);
	json_object_set_new(reply, "window", window_tag_json(win));
	return 0;
}

/* The window a close names: "id", else the only one open. */
static struct window *
close_target(struct daemon *d, const json_t *req, json_t *reply, int *err)
{
	const json_t *id = json_object_get(req, "id");
	struct window *win;

	*err = -ENOENT;
	if (id != NULL) {
		if (!json_is_integer(id) || json_integer_value(id) <= 0) {
			*err = refuse(reply, -EINVAL, "\"id\" must be a "
			    "window's number");
			return NULL;
		}
		if ((win = window_find(d->win.set,
		    (uint64_t)json_integer_value(id))) == NULL)
			json_object_set_new(reply, "error", json_sprintf(
			    "no open window %lld",
			    (long long)json_integer_value(id)));
		return win;
	}
	if (window_count(d->win.set) == 1)
		return window_at(d->win.set, 0);
	json_object_set_new(reply, "error", json_string(
	    window_count(d->win.set) == 0 ? "no window is open" :
	    "several windows are open: name one with --id"));
	return NULL;
}

/* Take the window's changed paths in as accepted; how many were. */
static long long
accept_window(struct daemon *d, const struct window *win,
    const struct daemon_peer *who)
{
	struct daemon_acceptance acc;
	const char *k;
	json_t *v;
	struct buf p;

	daemon_accept_begin(&acc, d, who, win->reason, win->id, false);
	buf_init(&p, BUF_MAX_DEFAULT);
	json_object_foreach(win->paths, k, v) {
		buf_reset(&p);
		if (pathenc_unescape(k, strlen(k), &p) == 0)
			(void)daemon_accept_path(&acc, p.data, p.len);
	}
	buf_release(&p);
	daemon_accept_end(&acc);
	if (acc.count > 0 && daemon_save(d) != EXIT_OK)
		log_warnx("cannot save the baseline after accepting window "
		    "%" PRIu64, win->id);
	return (long long)acc.count;
}

static int
verb_close(struct daemon *d, const json_t *req, json_t *reply)
{
	const json_t *acc = json_object_get(req, "accept");
	struct daemon_peer who;
	struct window *win;
	long long accepted = -1;
	int r;

	if (acc != NULL && !json_is_boolean(acc))
		return refuse(reply, -EINVAL, "\"accept\" must be true or "
		    "false");
	if ((win = close_target(d, req, reply, &r)) == NULL)
		return r;
	daemon_peer(req, &who);
	if (json_is_true(acc))
		accepted = accept_window(d, win, &who);
	record_closed(d, win, "closed", &who, accepted);
	json_object_set_new(reply, "window", window_summary_json(win));
	if (accepted >= 0)
		json_object_set_new(reply, "accepted", json_integer(accepted));
	(void)window_close(d->win.set, win->id);
	daemon_window_save(d);
	arm_expiry(d);
	return 0;
}

static int
verb_list(struct daemon *d, json_t *reply)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < window_count(d->win.set); i++)
		json_array_append_new(arr,
		    window_summary_json(window_at(d->win.set, i)));
	json_object_set_new(reply, "windows", arr);
	return 0;
}

int
daemon_window_verb(const json_t *req, json_t *reply, void *arg)
{
	struct daemon *d = arg;
	const char *action = json_string_value(json_object_get(req, "action"));

	if (action == NULL)
		return refuse(reply, -EINVAL, "the window verb needs an "
		    "\"action\": open, close or list");
	if (strcmp(action, "open") == 0)
		return verb_open(d, req, reply);
	if (strcmp(action, "close") == 0)
		return verb_close(d, req, reply);
	if (strcmp(action, "list") == 0)
		return verb_list(d, reply);
	return refuse(reply, -EINVAL, "unknown window action: use open, "
	    "close or list");
}
