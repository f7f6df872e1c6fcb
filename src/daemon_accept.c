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
daemon_peer(struct daemon *d, const json_t *req, struct daemon_peer *ret)
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
	proctrack_lookup(d->procs, ret->pid, -1, 0, &ret->proc);
	/* The peer waits for the reply: its pid is its own meanwhile. */
	ret->proc.pid = ret->pid;
	if (ret->proc.name == NULL)
		ret->proc.name = peer_comm(ret->pid);
	if (!ret->proc.have_uid) {
		ret->proc.have_uid = true;
		ret->proc.uid = ret->uid;
	}
	if (ret->proc.user_name == NULL && ret->user[0] != '\0')
		ret->proc.user_name = xstrdup(ret->user);
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

void
daemon_take_accepted(struct daemon *d, const struct scan_item *it,
    const struct daemon_peer *who, const char *reason, uint64_t window,
    bool alert)
{
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
	    who->user : NULL, reason, window);
	extra = json_pack("{s:O}", "accepted", note);
	if (gone)
		(void)baseline_remove(d->b, it->path, it->len);
	else {
		if (c.diff != NULL)
			baseline_put_changed(d->b, it->path, it->len, &old,
			    &it->rec, it->rule->history);
		else
			baseline_put(d->b, it->path, it->len, &it->rec);
		baseline_set_accepted(d->b, it->path, it->len, note);
		note = NULL;
	}
	c.action = ACTION_ACCEPTED;
	alert_from_change(&a, SOURCE_CONTROL, &c);
	a.proc = &who->proc;
	a.reason = reason;
	a.fimd_extra = extra;
	if (alert)
		(void)daemon_emit(d, &a, 0);
	json_decref(extra);
	json_decref(note);
	if (had)
		record_release(&old);
	daemon_mark_dirty(d);
}
