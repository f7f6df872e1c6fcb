/*
 * Building alert objects (fimd.alerts(5)).
 *
 * Fields are added in the documented order (jansson keeps insertion
 * order), "@timestamp" first.  Each field has one JSON type whatever the
 * alert: counts and sizes are numbers, ids, modes and every value under
 * fimd.changes are strings, and a field that does not apply is left out
 * rather than set to null.  Bytes that are not UTF-8 (paths, process
 * names, link targets) never reach jansson, which would refuse them: they
 * go in lossy for display, and paths also losslessly escaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "alert.h"
#include "alert_int.h"
#include "attr.h"
#include "pathenc.h"
#include "severity.h"
#include "xmalloc.h"

#define ECS_VERSION	"8.11.0"

static const char *const action_names[ACTION_COUNT] = {
	[ACTION_CREATED] = "created",
	[ACTION_UPDATED] = "updated",
	[ACTION_DELETED] = "deleted",
	[ACTION_MOVED] = "moved",
	[ACTION_ATTRIBUTES_MODIFIED] = "attributes_modified",
	[ACTION_GAP] = "gap",
	[ACTION_RECONCILED] = "reconciled",
	[ACTION_STARTED] = "started",
	[ACTION_STOPPED] = "stopped",
	[ACTION_CHECKPOINT] = "checkpoint",
	[ACTION_PACKAGE_DIFFERS] = "package_differs",
	[ACTION_PACKAGE_CHANGED] = "package_changed",
	[ACTION_ACCEPTED] = "accepted",
	[ACTION_WINDOW_OPENED] = "window_opened",
	[ACTION_WINDOW_CLOSED] = "window_closed",
	[ACTION_OPENED] = "opened",
	[ACTION_CLOSED] = "closed",
	[ACTION_INSTALLED] = "installed",
	[ACTION_REMOVED] = "removed",
	[ACTION_UPGRADED] = "upgraded",
	[ACTION_DOWNGRADED] = "downgraded",
	[ACTION_CHANGED] = "changed",
	[ACTION_ADDED] = "added",
	[ACTION_ENABLED] = "enabled",
	[ACTION_DISABLED] = "disabled",
	[ACTION_MASKED] = "masked",
	[ACTION_UNMASKED] = "unmasked",
	[ACTION_EDITED] = "edited",
};

/* ECS event.type for each action. */
static const char *const action_types[ACTION_COUNT] = {
	[ACTION_CREATED] = "creation",
	[ACTION_UPDATED] = "change",
	[ACTION_DELETED] = "deletion",
	[ACTION_MOVED] = "change",
	[ACTION_ATTRIBUTES_MODIFIED] = "change",
	[ACTION_GAP] = "info",
	[ACTION_RECONCILED] = "info",
	[ACTION_STARTED] = "start",
	[ACTION_STOPPED] = "end",
	[ACTION_CHECKPOINT] = "info",
	[ACTION_PACKAGE_DIFFERS] = "change",
	[ACTION_PACKAGE_CHANGED] = "change",
	[ACTION_ACCEPTED] = "change",
	[ACTION_WINDOW_OPENED] = "start",
	[ACTION_WINDOW_CLOSED] = "end",
	[ACTION_OPENED] = "start",
	[ACTION_CLOSED] = "end",
	[ACTION_INSTALLED] = "installation",
	[ACTION_REMOVED] = "deletion",
	[ACTION_UPGRADED] = "change",
	[ACTION_DOWNGRADED] = "change",
	[ACTION_CHANGED] = "change",
	[ACTION_ADDED] = "creation",
	[ACTION_ENABLED] = "change",
	[ACTION_DISABLED] = "change",
	[ACTION_MASKED] = "change",
	[ACTION_UNMASKED] = "change",
	[ACTION_EDITED] = "change",
};

static const char *const source_names[] = {
	[SOURCE_REALTIME] = "realtime",
	[SOURCE_RESCAN] = "rescan",
	[SOURCE_CHECK] = "check",
	[SOURCE_CONTROL] = "control",
};

const char *
alert_action_name(enum alert_action a)
{
	return (unsigned)a < ACTION_COUNT ? action_names[a] : "unknown";
}

bool
alert_is_entity(enum alert_action a)
{
	return a >= ACTION_OPENED && a <= ACTION_EDITED;
}

void
alert_from_change(struct alert *a, enum alert_source source,
    const struct change *c)
{
	memset(a, 0, sizeof(*a));
	a->action = c->action;
	a->source = source;
	a->rule = c->rule;
	a->path = c->path;
	a->pathlen = c->len;
	a->old_path = c->old_path;
	a->old_pathlen = c->old_len;
	a->old = c->old;
	a->new = c->new;
	a->diff = c->diff;
	a->verdict = c->verdict;
}

void
alert_for_scope(struct alert *a, enum alert_action action,
    enum alert_source source, const char *scope, size_t len,
    const char *reason, uint64_t count)
{
	memset(a, 0, sizeof(*a));
	a->action = action;
	a->source = source;
	a->path = scope;
	a->pathlen = scope != NULL ? len : 0;
	a->reason = reason;
	a->count = count;
}

static bool
is_coverage(enum alert_action a)
{
	return a == ACTION_GAP || a == ACTION_RECONCILED;
}

static bool
is_window(enum alert_action a)
{
	return a == ACTION_WINDOW_OPENED || a == ACTION_WINDOW_CLOSED;
}

/* The severity of a's line: a window's, else its rule's. */
static enum severity
alert_severity(const struct alert *a)
{
	return a->has_severity ? a->severity : a->rule->severity;
}

static void
read_machine_id(char *out, size_t size)
{
	ssize_t n;
	int fd;

	out[0] = '\0';
	if ((fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (!pathenc_is_utf8(out, strlen(out)))
		out[0] = '\0';
}

static void
random_prefix(char out[33])
{
	unsigned char r[16];
	struct timespec ts;
	size_t i, got = 0;
	ssize_t n;

	while (got < sizeof(r)) {
		n = getrandom(r + got, sizeof(r) - got, GRND_NONBLOCK);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof(r)) {
		/* No entropy yet (early boot): unique enough per host. */
		clock_gettime(CLOCK_REALTIME, &ts);
		memset(r, 0, sizeof(r));
		memcpy(r, &ts.tv_sec, sizeof(ts.tv_sec));
		memcpy(r + 8, &ts.tv_nsec, sizeof(ts.tv_nsec) < 4 ?
		    sizeof(ts.tv_nsec) : 4);
		r[12] = (unsigned char)getpid();
		r[13] = (unsigned char)(getpid() >> 8);
		r[14] = (unsigned char)(getpid() >> 16);
	}
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

struct alert_stream *
alert_stream_new(const char *backend, uint64_t first_seq)
{
	struct alert_stream *s;

	s = xcalloc(1, sizeof(*s));
	s->backend = xstrdup(backend != NULL ? backend : "none");
	s->next_seq = first_seq > 0 ? first_seq : 1;
	if (gethostname(s->host, sizeof(s->host) - 1) < 0 ||
	    !pathenc_is_utf8(s->host, strlen(s->host)))
		s->host[0] = '\0';
	read_machine_id(s->host_id, sizeof(s->host_id));
	random_prefix(s->id_prefix);
	return s;
}

static void
names_free(struct name_entry *t)
{
	size_t i;

	for (i = 0; i < NAME_CACHE; i++)
		free(t[i].name);
}

void
alert_stream_free(struct alert_stream *s)
{
	if (s == NULL)
		return;
	names_free(s->users);
	names_free(s->groups);
	free(s->backend);
	free(s);
}

void
alert_stream_set_backend(struct alert_stream *s, const char *backend)
{
	free(s->backend);
	s->backend = xstrdup(backend != NULL ? backend : "none");
}

void
alert_stream_set_host(struct alert_stream *s, const char *name)
{
	size_t len;

	if (name == NULL || (len = strlen(name)) >= sizeof(s->host) ||
	    !pathenc_is_utf8(name, len))
		return;
	memcpy(s->host, name, len + 1);
}

uint64_t
alert_stream_next_seq(const struct alert_stream *s)
{
	return s->next_seq;
}

/* ---- message ---- */

static void
message_path(struct buf *m, const char *p, size_t len)
{
	/*
	 * The message is one line even when the path is not, and is shown
	 * on terminals: no control or bidi character of a name reaches it.
	 */
	(void)pathenc_visible(p, len, m);
}

static void
message_changes(struct buf *m, const struct alert *a)
{
	if (a->diff == NULL || a->diff->changed == 0)
		return;
	(void)buf_adds(m, " (");
	(void)attr_mask_format(a->diff->changed & ATTR_ALL_BITS, ", ", m);
	(void)buf_addc(m, ')');
}

/* A directory's move or removal counts what went with it. */
static void
message_entries(struct buf *m, const struct alert *a)
{
	if (a->has_entries)
		(void)buf_addf(m, " with %" PRIu64 " entr%s below", a->entries,
		    a->entries == 1 ? "y" : "ies");
}

/* The scope of a gap or reconciled alert. */
static void
message_scope(struct buf *m, const struct alert *a)
{
	if (a->path == NULL)
		(void)buf_adds(m, "every watched path");
	else
		message_path(m, a->path, a->pathlen);
}

/* The message of a gap or reconciled alert. */
static void
message_coverage(struct buf *m, const struct alert *a)
{
	if (a->action == ACTION_GAP) {
		(void)buf_adds(m, "coverage gap for ");
		message_scope(m, a);
		if (a->reason != NULL) {
			(void)buf_adds(m, ": ");
			message_path(m, a->reason, strlen(a->reason));
		}
		if (a->rescan_follows)
			(void)buf_adds(m, "; rescanning");
		return;
	}
	message_scope(m, a);
	(void)buf_addf(m, " reconciled after a gap: %" PRIu64 " change%s",
	    a->count, a->count == 1 ? "" : "s");
	if (a->reason != NULL) {
		(void)buf_adds(m, " (");
		message_path(m, a->reason, strlen(a->reason));
		(void)buf_addc(m, ')');
	}
}

/*
 * "package upgraded less 590-1 -> 590-2, 12 files, all match"; a removed
 * package (no new version) at the version it had.
 */
static void
message_summary(struct buf *m, const struct alert *a)
{
	const struct pkg_summary *p = a->summary;

	(void)buf_addf(m, "package %s ", p->change);
	message_path(m, p->name, strlen(p->name));
	(void)buf_addc(m, ' ');
	if (p->new_version[0] == '\0') {
		message_path(m, p->old_version, strlen(p->old_version));
	} else if (p->old_version[0] != '\0' &&
	    strcmp(p->old_version, p->new_version) != 0) {
		message_path(m, p->old_version, strlen(p->old_version));
		(void)buf_adds(m, " -> ");
	}
	message_path(m, p->new_version, strlen(p->new_version));
	(void)buf_addf(m, ", %" PRIu64 " file%s, ", p->files,
	    p->files == 1 ? "" : "s");
	if (p->mismatched == 0)
		(void)buf_adds(m, "all match");
	else
		(void)buf_addf(m, "%" PRIu64 " do not match", p->mismatched);
}

/* ", package-mismatch (less 590-2)": what the package says of it. */
static void
message_verdict(struct buf *m, const struct alert *a)
{
	const struct verdict *v = a->verdict;

	if (v == NULL || v->kind == VERDICT_NONE ||
	    v->kind == VERDICT_UNOWNED || a->action == ACTION_PACKAGE_CHANGED)
		return;
	(void)buf_addf(m, ", %s (", verdict_name(v->kind));
	message_path(m, v->owner.name, strlen(v->owner.name));
	if (v->owner.version[0] != '\0') {
		(void)buf_addc(m, ' ');
		message_path(m, v->owner.version, strlen(v->owner.version));
	}
	(void)buf_addc(m, ')');
}

static json_t *
build_message(const struct alert_stream *s, const struct alert *a)
{
	struct buf m, lossy;
	json_t *v;

	buf_init(&m, BUF_MAX_DEFAULT);
	if (a->message != NULL)
		(void)buf_adds(&m, a->message);
	else if (a->entity != NULL)
		alert_entity_message(a, &m);
	else switch (a->action) {
	case ACTION_STARTED:
	case ACTION_STOPPED:
	case ACTION_CHECKPOINT:
		alert_state_message(s, a, &m);
		break;
	case ACTION_GAP:
	case ACTION_RECONCILED:
		message_coverage(&m, a);
		break;
	case ACTION_PACKAGE_CHANGED:
		message_summary(&m, a);
		break;
	case ACTION_PACKAGE_DIFFERS:
		message_path(&m, a->path, a->pathlen);
		(void)buf_adds(&m, " differs from its package");
		break;
	case ACTION_MOVED:
		if (a->old_path != NULL)
			message_path(&m, a->old_path, a->old_pathlen);
		(void)buf_adds(&m, " moved to ");
		message_path(&m, a->path, a->pathlen);
		message_entries(&m, a);
		message_changes(&m, a);
		break;
	default:
		message_path(&m, a->path, a->pathlen);
		(void)buf_addf(&m, " %s", alert_action_name(a->action));
		if (a->old_path != NULL) {
			/* Written under another name and renamed over it. */
			(void)buf_adds(&m, " by a rename from ");
			message_path(&m, a->old_path, a->old_pathlen);
		}
		message_entries(&m, a);
		message_changes(&m, a);
		break;
	}
	message_verdict(&m, a);
	if (a->proc != NULL && a->proc->pid > 0) {
		(void)buf_adds(&m, " by ");
		if (a->proc->name != NULL)
			message_path(&m, a->proc->name, strlen(a->proc->name));
		(void)buf_addf(&m, "[%d]", (int)a->proc->pid);
		if (a->proc->user_name != NULL)
			(void)buf_addf(&m, " as %s", a->proc->user_name);
		if (a->proc->login_name != NULL && (a->proc->user_name ==
		    NULL || strcmp(a->proc->login_name,
		    a->proc->user_name) != 0))
			(void)buf_addf(&m, ", login user %s",
			    a->proc->login_name);
	}
	if (a->action == ACTION_ACCEPTED && a->reason != NULL) {
		(void)buf_adds(&m, ": ");
		message_path(&m, a->reason, strlen(a->reason));
	}
	buf_init(&lossy, BUF_MAX_DEFAULT);
	(void)pathenc_lossy(m.data, m.len, &lossy);
	v = json_stringn(lossy.data, lossy.len);
	buf_release(&lossy);
	buf_release(&m);
	return v != NULL ? v : json_string("");
}

/* ---- sections ---- */

/* ECS event.kind: "state" is ECS's word for a periodic snapshot. */
static const char *
event_kind(enum alert_action a)
{
	if (a == ACTION_CHECKPOINT)
		return "state";
	if (is_coverage(a) || alert_is_state(a) || is_window(a) ||
	    a == ACTION_ACCEPTED)
		return "event";
	return "alert";
}

static json_t *
build_event(struct alert_stream *s, const struct alert *a, uint64_t seq,
    const struct fimd_time *now)
{
	json_t *e = json_object();
	struct fimd_time seen = *now;
	char id[64];

	snprintf(id, sizeof(id), "%s-%" PRIu64, s->id_prefix, seq);
	json_object_set_new(e, "id", json_string(id));
	json_object_set_new(e, "kind", json_string(event_kind(a->action)));
	/* The daemon's own records are about its process, not a file. */
	json_object_set_new(e, "category", json_pack("[s]",
	    a->entity != NULL ? alert_entity_category(a) :
	    alert_is_state(a->action) ? "process" :
	    is_window(a->action) ? "configuration" :
	    a->action == ACTION_PACKAGE_CHANGED ? "package" : "file"));
	json_object_set_new(e, "type", json_pack("[s]",
	    (unsigned)a->action < ACTION_COUNT ? action_types[a->action] :
	    "info"));
	json_object_set_new(e, "action",
	    json_string(alert_action_name(a->action)));
	json_object_set_new(e, "module", json_string("fimd"));
	json_object_set_new(e, "dataset", json_string("fimd.alerts"));
	if (a->rule != NULL || a->has_severity)
		json_object_set_new(e, "severity",
		    json_integer(severity_ecs(alert_severity(a))));
	json_object_set_new(e, "sequence", json_integer((json_int_t)seq));
	/* Never after @timestamp: a clock stepped back meanwhile. */
	if (a->observed > 0 && a->observed < (double)now->sec +
	    now->nsec / 1e9) {
		seen.sec = (int64_t)a->observed;
		seen.nsec = (uint32_t)((a->observed - (double)seen.sec) * 1e9);
	}
	json_object_set_new(e, "created", alert_json_time(&seen));
	return e;
}

static json_t *
build_host(const struct alert_stream *s)
{
	json_t *h = json_object();

	json_object_set_new(h, "name", json_string(s->host));
	if (s->host_id[0] != '\0')
		json_object_set_new(h, "id", json_string(s->host_id));
	return h;
}

static void
build_fimd(struct alert_stream *s, const struct alert *a, uint64_t seq,
    json_t *fimd)
{
	const struct record *r = a->new != NULL ? a->new : a->old;
	json_t *prev;

	json_object_set_new(fimd, "seq", json_integer((json_int_t)seq));
	if (alert_is_state(a->action)) {
		json_object_set_new(fimd, "backend", json_string(s->backend));
		alert_state_json(a, fimd);
		return;
	}
	json_object_set_new(fimd, "source", json_string(
	    (unsigned)a->source < sizeof(source_names) /
	    sizeof(source_names[0]) ? source_names[a->source] : "unknown"));
	json_object_set_new(fimd, "backend", json_string(s->backend));
	if (a->rule != NULL || a->has_severity)
		json_object_set_new(fimd, "severity",
		    json_string(severity_name(alert_severity(a))));
	if (a->fimd_extra != NULL)
		json_object_update(fimd, a->fimd_extra);
	if (a->entity != NULL)
		alert_entity_fimd(a, fimd);
	if (is_window(a->action) || a->entity != NULL)
		return;
	if (is_coverage(a->action)) {
		/* What the gap covers is no file event: not file.path. */
		if (a->path != NULL)
			json_object_set_new(fimd, "scope",
			    alert_json_bytes(a->path, a->pathlen));
		if (a->path != NULL && !pathenc_is_utf8(a->path, a->pathlen))
			json_object_set_new(fimd, "scope_escaped",
			    alert_json_escaped(a->path, a->pathlen));
		json_object_set_new(fimd, "reason", json_string(
		    a->reason != NULL ? a->reason : "unknown"));
		if (a->action == ACTION_RECONCILED)
			json_object_set_new(fimd, "count",
			    json_integer((json_int_t)a->count));
	} else if (a->action == ACTION_PACKAGE_CHANGED)
		alert_summary_json(a, fimd);
	else
		alert_changes_json(a, fimd);
	if (a->verdict != NULL && a->verdict->kind != VERDICT_NONE)
		json_object_set_new(fimd, "verdict",
		    json_string(verdict_name(a->verdict->kind)));
	if (a->has_entries)
		json_object_set_new(fimd, "entries",
		    json_integer((json_int_t)a->entries));
	if (a->old_path != NULL && !is_coverage(a->action)) {
		prev = json_object();
		json_object_set_new(prev, "path",
		    alert_json_bytes(a->old_path, a->old_pathlen));
		if (!pathenc_is_utf8(a->old_path, a->old_pathlen))
			json_object_set_new(prev, "path_escaped",
			    alert_json_escaped(a->old_path, a->old_pathlen));
		json_object_set_new(fimd, "previous", prev);
	}
	if (a->path != NULL && !is_coverage(a->action) &&
	    !pathenc_is_utf8(a->path, a->pathlen)) {
		json_object_set_new(fimd, "path_encoding",
		    json_string("escaped"));
		json_object_set_new(fimd, "path_escaped",
		    alert_json_escaped(a->path, a->pathlen));
	}
	if (a->still_open)
		json_object_set_new(fimd, "still_open", json_true());
	if (r != NULL && r->hash_too_large)
		json_object_set_new(fimd, "hash_skipped", json_true());
	if (a->new != NULL && a->new->changed_while_hashed)
		json_object_set_new(fimd, "changed_while_hashed", json_true());
	if (a->content_diff != NULL)
		json_object_set_new(fimd, "diff", alert_json_bytes(
		    a->content_diff, a->content_difflen));
	if (a->diff_skipped != NULL)
		json_object_set_new(fimd, "diff_skipped",
		    json_string(a->diff_skipped));
}

/* ECS agent: what wrote the line; its id is the host's machine id. */
static json_t *
build_agent(const struct alert_stream *s)
{
	json_t *g = json_pack("{s:s,s:s}", "type", "fimd", "version",
	    FIMD_VERSION);

	if (s->host_id[0] != '\0')
		json_object_set_new(g, "id", json_string(s->host_id));
	return g;
}

/* ECS rule: name, and the description and file it came from. */
static json_t *
build_rule(const struct rule *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", alert_json_bytes(r->name,
	    strlen(r->name)));
	if (r->description != NULL && r->description[0] != '\0')
		json_object_set_new(o, "description", alert_json_bytes(
		    r->description, strlen(r->description)));
	if (r->pos.file != NULL)
		json_object_set_new(o, "ruleset", alert_json_bytes(r->pos.file,
		    strlen(r->pos.file)));
	return o;
}

/* chain: fimd.chain, the link to the line before, or NULL for none. */
static json_t *
build_at(struct alert_stream *s, const struct alert *a, uint64_t seq,
    const char *chain)
{
	json_t *o = json_object(), *fimd = json_object(), *related;
	struct fimd_time now;

	clock_wall(&now);
	json_object_set_new(o, "@timestamp", alert_json_time(&now));
	json_object_set_new(o, "message", build_message(s, a));
	json_object_set_new(o, "ecs", json_pack("{s:s}", "version",
	    ECS_VERSION));
	json_object_set_new(o, "event", build_event(s, a, seq, &now));
	json_object_set_new(o, "host", build_host(s));
	json_object_set_new(o, "agent", build_agent(s));
	if (a->rule != NULL && a->rule->name != NULL)
		json_object_set_new(o, "rule", build_rule(a->rule));
	/* file first, so a link target's escaped form can go to fimd. */
	if (a->path != NULL && !is_coverage(a->action))
		json_object_set_new(o, "file", alert_file_json(s, a, fimd));
	if ((a->verdict != NULL && a->verdict->kind != VERDICT_NONE &&
	    a->verdict->kind != VERDICT_UNOWNED) || a->summary != NULL)
		json_object_set_new(o, "package", alert_package_json(a));
	if (a->proc != NULL && a->proc->pid > 0) {
		json_object_set_new(o, "process", alert_process_json(a->proc));
		if (a->proc->have_uid || a->proc->have_loginuid)
			json_object_set_new(o, "user",
			    alert_user_json(a->proc));
	}
	/* In the documented order: process and user, then server. */
	if (a->entity != NULL)
		alert_entity_sections(a, o);
	if (a->path != NULL && !is_coverage(a->action)) {
		related = alert_related_json(s, a);
		if (json_object_size(related) > 0)
			json_object_set_new(o, "related", related);
		else
			json_decref(related);
	}
	build_fimd(s, a, seq, fimd);
	/* Last, so a reader sees the line's own fields first. */
	if (chain != NULL)
		json_object_set_new(fimd, "chain", json_string(chain));
	json_object_set_new(o, "fimd", fimd);
	return o;
}

json_t *
alert_build(struct alert_stream *s, const struct alert *a)
{
	return build_at(s, a, s->next_seq++, NULL);
}

int
alert_line(struct alert_stream *s, const struct alert *a, const char *chain,
    struct buf *out)
{
	json_t *o;
	char *text;
	size_t len, old = out->len;
	int r;

	o = build_at(s, a, s->next_seq, chain);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	/* The seq is taken only by a line that is actually produced. */
	if (len + 1 > ALERT_LINE_MAX)
		r = -ENOSPC;
	else if ((r = buf_add(out, text, len)) == 0 &&
	    (r = buf_addc(out, '\n')) < 0)
		buf_truncate(out, old);
	free(text);
	if (r == 0)
		s->next_seq++;
	return r;
}
