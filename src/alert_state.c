/*
 * The daemon's records of its own life (fimd.alerts(5)): started when a
 * run begins, stopped when it ends in order, a checkpoint every
 * heartbeat.  A SIEM that sees neither alerts nor checkpoints knows the
 * monitor is dead, not the host quiet; --verify tells a run that ended
 * without "stopped" (killed, crashed) from tampering.  They describe no
 * file, so they have no file section, no rule and no severity.
 */
#include <inttypes.h>
#include <string.h>

#include "alert.h"
#include "alert_int.h"

bool
alert_is_state(enum alert_action a)
{
	return a == ACTION_STARTED || a == ACTION_STOPPED ||
	    a == ACTION_CHECKPOINT;
}

void
alert_for_state(struct alert *a, enum alert_action action,
    const struct alert_state *st, const char *reason)
{
	memset(a, 0, sizeof(*a));
	a->action = action;
	a->source = SOURCE_REALTIME;
	a->state = st;
	a->reason = reason;
}

static const char *
plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

void
alert_state_message(const struct alert_stream *s, const struct alert *a,
    struct buf *m)
{
	const struct alert_state *st = a->state;

	switch (a->action) {
	case ACTION_STARTED:
		(void)buf_addf(m, "fimd %s started with %s: %" PRIu64
		    " rule%s, a checkpoint every %" PRIu64 " s", FIMD_VERSION,
		    s->backend, st->rules, plural(st->rules), st->heartbeat);
		break;
	case ACTION_CHECKPOINT:
		(void)buf_addf(m, "checkpoint: %" PRIu64 " file%s, %" PRIu64
		    " rule%s, %s, %" PRIu64 " open gap%s, %" PRIu64
		    " alert%s since the last checkpoint", st->files,
		    plural(st->files), st->rules, plural(st->rules),
		    s->backend, st->open_gaps, plural(st->open_gaps),
		    st->alerts, plural(st->alerts));
		break;
	default:
		(void)buf_addf(m, "fimd stopped (%s): %" PRIu64 " alert%s "
		    "in this run, %" PRIu64 " file%s", a->reason != NULL ?
		    a->reason : "unknown", st->alerts, plural(st->alerts),
		    st->files, plural(st->files));
		break;
	}
}

static void
set_u64(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

void
alert_state_json(const struct alert *a, json_t *fimd)
{
	const struct alert_state *st = a->state;

	if (a->action == ACTION_STOPPED) {
		json_object_set_new(fimd, "reason", json_string(
		    a->reason != NULL ? a->reason : "unknown"));
		set_u64(fimd, "files", st->files);
		set_u64(fimd, "alerts", st->alerts);
		return;
	}
	if (a->action == ACTION_STARTED)
		json_object_set_new(fimd, "version", json_string(FIMD_VERSION));
	else
		set_u64(fimd, "files", st->files);
	set_u64(fimd, "rules", st->rules);
	if (st->rules_digest != NULL)
		json_object_set_new(fimd, "rules_digest",
		    json_string(st->rules_digest));
	if (a->action == ACTION_CHECKPOINT) {
		set_u64(fimd, "open_gaps", st->open_gaps);
		set_u64(fimd, "alerts", st->alerts);
	}
	set_u64(fimd, "heartbeat", st->heartbeat);
}
