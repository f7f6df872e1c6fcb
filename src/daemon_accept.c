/*
 * Who asks over the control socket, and taking states in as accepted
 * (daemon_accept.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_accept.h"
#include "daemon_out.h"
#include "judge.h"
#include "xmalloc.h"

/* /proc/PID/comm, or NULL. */
static char *
peer_comm(pid_t pid)
{
	char path[64], name[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (pid <= 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	n = read(fd, name, sizeof(name) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return xstrdup(name);
}

void
daemon_peer(const json_t *req, struct daemon_peer *ret)
{
	const json_t *p = json_object_get(req, "peer");
	struct passwd pw, *res = NULL;
	char pwbuf[1024];

	memset(ret, 0, sizeof(*ret));
	ret->uid = (uint32_t)json_integer_value(json_object_get(p, "uid"));
	ret->pid = (pid_t)json_integer_value(json_object_get(p, "pid"));
	if (getpwuid_r(ret->uid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 &&
	    res != NULL)
		snprintf(ret->user, sizeof(ret->user), "%s", pw.pw_name);
}

/*
 * A request's "reason": absent (NULL), or a string without NUL of at
 * most DAEMON_REASON_MAX bytes.  Returns 0 or -EINVAL with the reply's
 * error set.
 */
int
daemon_reason(const json_t *req, json_t *reply, const char **ret)
{
	const json_t *v = json_object_get(req, "reason");

	*ret = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > DAEMON_REASON_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		json_object_set_new(reply, "error", json_sprintf("\"reason\" "
		    "must be a text of 1 to %d bytes", DAEMON_REASON_MAX));
		return -EINVAL;
	}
	*ret = json_string_value(v);
	return 0;
}

/*
 * Take it, a probed covered entry (it->err -ENOENT or -ENOTDIR: gone),
 * into the baseline as accepted, and, when asked, write its alert.
 */
static void
take_accepted(struct daemon_acceptance *acc, const struct scan_item *it)
{
	const struct daemon_peer *who = acc->who;
	struct daemon *d = acc->d;
	struct record old;
	struct alert a;
	struct change c;
	struct diff df;
	json_t *note, *extra;
	bool had = baseline_get(d->b, it->path, it->len, &old) == 0;
	bool gone = it->err != 0;

	memset(&c, 0, sizeof(c));
	c.rule = it->rule;
	c.path = it->path;
	c.len = it->len;
	c.old = had ? &old : NULL;
	c.new = gone ? NULL : &it->rec;
	if (!gone && judge_change(c.old, c.new, c.rule, false, &c.action,
	    &df) && had)
		c.diff = &df;
	note = baseline_accept_note(who->uid, who->user[0] != '\0' ?
	    who->user : NULL, acc->reason, acc->window);
	if (acc->alert) {
		c.action = ACTION_ACCEPTED;
		alert_from_change(&a, SOURCE_CONTROL, &c);
		a.proc = &acc->proc;
		a.reason = acc->reason;
		a.fimd_extra = extra = json_pack("{s:O}", "accepted", note);
		(void)daemon_emit(d, &a, 0);
		json_decref(extra);
	}
	if (gone) {
		(void)baseline_remove(d->b, it->path, it->len);
		json_decref(note);
	} else {
		if (c.diff != NULL)
			baseline_put_changed(d->b, it->path, it->len, &old,
			    &it->rec, it->rule->history);
		else
			baseline_put(d->b, it->path, it->len, &it->rec);
		baseline_set_accepted(d->b, it->path, it->len, note);
	}
	if (had)
		record_release(&old);
	daemon_mark_dirty(d);
}

static void
accept_done(struct scan_item *it, void *arg)
{
	struct daemon_acceptance *acc = arg;
	bool gone = it->err == -ENOENT || it->err == -ENOTDIR;

	if (gone && !baseline_contains(acc->d->b, it->path, it->len))
		return;
	if (gone || (it->err == 0 && it->rule != NULL)) {
		take_accepted(acc, it);
		acc->taken = true;
	}
}

void
daemon_accept_begin(struct daemon_acceptance *acc, struct daemon *d,
    const struct daemon_peer *who, const char *reason, uint64_t window,
    bool alert)
{
	static const struct scan_ops ops = { .done = accept_done };

	memset(acc, 0, sizeof(*acc));
	acc->d = d;
	acc->who = who;
	acc->reason = reason;
	acc->window = window;
	acc->alert = alert;
	procinfo_init(&acc->proc);
	if (alert) {
		proctrack_lookup(d->procs, who->pid, -1, 0, &acc->proc);
		/* The peer waits for the reply: its pid is its own. */
		acc->proc.pid = who->pid;
		if (acc->proc.name == NULL)
			acc->proc.name = peer_comm(who->pid);
		if (!acc->proc.have_uid) {
			acc->proc.have_uid = true;
			acc->proc.uid = who->uid;
		}
		if (acc->proc.user_name == NULL && who->user[0] != '\0')
			acc->proc.user_name = xstrdup(who->user);
	}
	/* Inline hashing on a private engine: an admin's request, rare. */
	acc->scan = scan_new(d->rs, NULL, &ops, acc);
}

bool
daemon_accept_path(struct daemon_acceptance *acc, const char *path,
    size_t len)
{
	acc->taken = false;
	(void)scan_one(acc->scan, path, len, NULL);
	if (acc->taken)
		acc->count++;
	return acc->taken;
}

void
daemon_accept_end(struct daemon_acceptance *acc)
{
	scan_free(acc->scan);
	acc->scan = NULL;
	procinfo_release(&acc->proc);
}
