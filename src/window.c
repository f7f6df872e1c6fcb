/*
 * Change windows and their file (window.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "buf.h"
#include "fileio.h"
#include "jsonpos.h"
#include "pathenc.h"
#include "record.h"
#include "window.h"
#include "xmalloc.h"

struct window_set {
	struct window *w[WINDOW_OPEN_MAX];
	size_t	 n;
	uint64_t next_id;
};

struct window_set *
window_set_new(void)
{
	struct window_set *s = xcalloc(1, sizeof(*s));

	s->next_id = 1;
	return s;
}

static void
window_free(struct window *w)
{
	size_t i;

	free(w->reason);
	free(w->user);
	for (i = 0; i < w->nrules; i++)
		free(w->rules[i]);
	free(w->rules);
	json_decref(w->by_rule);
	json_decref(w->by_writer);
	json_decref(w->paths);
	free(w);
}

void
window_set_free(struct window_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		window_free(s->w[i]);
	free(s);
}

size_t
window_count(const struct window_set *s)
{
	return s->n;
}

struct window *
window_at(const struct window_set *s, size_t i)
{
	return i < s->n ? s->w[i] : NULL;
}

struct window *
window_find(const struct window_set *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->w[i]->id == id)
			return s->w[i];
	}
	return NULL;
}

static struct window *
window_alloc(uint64_t id, const char *reason, uint32_t uid, const char *user)
{
	struct window *w = xcalloc(1, sizeof(*w));

	w->id = id;
	w->reason = xstrdup(reason);
	w->uid = uid;
	w->user = user != NULL ? xstrdup(user) : NULL;
	w->by_rule = json_object();
	w->by_writer = json_object();
	w->paths = json_object();
	return w;
}

struct window *
window_open(struct window_set *s, const char *reason, uint32_t uid,
    const char *user, double now, uint64_t ttl, const char *const *rules,
    size_t nrules)
{
	struct window *w;
	size_t i;

	if (s->n >= WINDOW_OPEN_MAX)
		return NULL;
	w = window_alloc(s->next_id++, reason, uid, user);
	w->opened = now;
	w->expires = ttl > 0 ? now + (double)ttl : 0;
	w->rules = xcalloc(nrules + 1, sizeof(*w->rules));
	for (i = 0; i < nrules; i++)
		w->rules[i] = xstrdup(rules[i]);
	w->nrules = nrules;
	s->w[s->n++] = w;
	return w;
}

bool
window_close(struct window_set *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->w[i]->id != id)
			continue;
		window_free(s->w[i]);
		memmove(&s->w[i], &s->w[i + 1],
		    (s->n - i - 1) * sizeof(s->w[0]));
		s->n--;
		return true;
	}
	return false;
}

bool
window_covers(const struct window *w, const char *rule)
{
	size_t i;

	if (w->nrules == 0)
		return true;
	for (i = 0; i < w->nrules; i++) {
		if (strcmp(w->rules[i], rule) == 0)
			return true;
	}
	return false;
}

struct window *
window_covering(const struct window_set *s, const char *rule, double now)
{
	size_t i;

	for (i = s->n; i-- > 0;) {
		if (s->w[i]->expires > 0 && s->w[i]->expires <= now)
			continue;
		if (window_covers(s->w[i], rule))
			return s->w[i];
	}
	return NULL;
}

struct window *
window_expired(const struct window_set *s, double now)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->w[i]->expires > 0 && s->w[i]->expires <= now)
			return s->w[i];
	}
	return NULL;
}

double
window_next_expiry(const struct window_set *s)
{
	double next = 0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->w[i]->expires > 0 &&
		    (next == 0 || s->w[i]->expires < next))
			next = s->w[i]->expires;
	}
	return next;
}

static void
count_in(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	json_object_set_new(o, key, json_integer(
	    (v != NULL ? json_integer_value(v) : 0) + 1));
}

void
window_count_change(struct window *w, const char *rule, const char *writer,
    const char *path, size_t len)
{
	struct buf e;

	w->changes++;
	count_in(w->by_rule, rule);
	count_in(w->by_writer, writer != NULL ? writer : "unknown");
	if (path == NULL || len == 0)
		return;		/* a package's summary: its files were not */
	buf_init(&e, BUF_MAX_DEFAULT);
	if (pathenc_escape(path, len, &e) < 0 || (json_object_size(w->paths) >=
	    WINDOW_PATHS_MAX && json_object_get(w->paths, e.data) == NULL))
		w->paths_dropped++;
	else
		json_object_set_new(w->paths, e.data, json_integer(1));
	buf_release(&e);
}

static json_t *
time_json(double wall)
{
	char s[FIMD_TIME_RFC3339_LEN];

	fimd_time_rfc3339_s(wall, s);
	return json_string(s);
}

static json_t *
rules_json(const struct window *w)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < w->nrules; i++)
		json_array_append_new(a, json_string(w->rules[i]));
	return a;
}

/* The members the tag and the file share: which window, why, whose. */
static json_t *
who_json(const struct window *w)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer((json_int_t)w->id));
	json_object_set_new(o, "reason", json_string(w->reason));
	json_object_set_new(o, "uid", json_integer((json_int_t)w->uid));
	if (w->user != NULL)
		json_object_set_new(o, "user", json_string(w->user));
	return o;
}

json_t *
window_tag_json(const struct window *w)
{
	json_t *o = who_json(w);

	json_object_set_new(o, "opened", time_json(w->opened));
	if (w->expires > 0)
		json_object_set_new(o, "expires", time_json(w->expires));
	json_object_set_new(o, "rules", rules_json(w));
	return o;
}

json_t *
window_summary_json(const struct window *w)
{
	json_t *o = window_tag_json(w);

	json_object_set_new(o, "changes", json_integer((json_int_t)w->changes));
	json_object_set(o, "by_rule", w->by_rule);
	json_object_set(o, "by_writer", w->by_writer);
	if (w->paths_dropped > 0)
		json_object_set_new(o, "paths_dropped",
		    json_integer((json_int_t)w->paths_dropped));
	return o;
}

/* ---- the file ---- */

static json_t *
window_file_json(const struct window *w)
{
	json_t *o = who_json(w);

	json_object_set_new(o, "opened_s", json_real(w->opened));
	json_object_set_new(o, "expires_s", json_real(w->expires));
	json_object_set_new(o, "rules", rules_json(w));
	json_object_set_new(o, "changes", json_integer((json_int_t)w->changes));
	json_object_set(o, "by_rule", w->by_rule);
	json_object_set(o, "by_writer", w->by_writer);
	json_object_set(o, "paths", w->paths);
	json_object_set_new(o, "paths_dropped",
	    json_integer((json_int_t)w->paths_dropped));
	return o;
}

int
window_set_save(const struct window_set *s, const char *path)
{
	struct atomicfile af;
	json_t *doc, *arr = json_array();
	char *text;
	size_t i;
	int r;

	for (i = 0; i < s->n; i++)
		json_array_append_new(arr, window_file_json(s->w[i]));
	doc = json_pack("{s:i,s:I,s:o}", "fimd_windows", WINDOW_FORMAT_VERSION,
	    "next_id", (json_int_t)s->next_id, "windows", arr);
	text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text == NULL)
		return -ENOMEM;
	if ((r = atomicfile_open(&af, path, 0600)) == 0) {
		if ((r = fileio_write_all(af.fd, text, strlen(text))) == 0 &&
		    (r = fileio_write_all(af.fd, "\n", 1)) == 0)
			r = atomicfile_commit(&af);
		else
			atomicfile_rollback(&af);
	}
	free(text);
	return r;
}

/* Loading state: where to say what is wrong. */
struct loader {
	const char *name;
	struct diag *diag;
	const struct jsonpos *pos;	/* the window object, or NULL */
	const char *msg;
};

static bool
get_count(const json_t *o, const char *key, uint64_t max, uint64_t *ret)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return false;
	*ret = (uint64_t)json_integer_value(v);
	return true;
}

static bool
get_time(const json_t *o, const char *key, double *ret)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
	    json_number_value(v) < 0 || json_number_value(v) > 1e12)
		return false;
	*ret = json_number_value(v);
	return true;
}

static bool
counts_ok(json_t *o, size_t max)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o) || json_object_size(o) > max)
		return false;
	json_object_foreach(o, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return false;
	}
	return true;
}

static bool
rules_ok(const json_t *a)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > WINDOW_RULES_MAX)
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return false;
	}
	return true;
}

static bool
paths_ok(json_t *o)
{
	const char *k;
	json_t *v;
	struct buf b;
	bool ok = true;

	if (!counts_ok(o, WINDOW_PATHS_MAX))
		return false;
	buf_init(&b, BUF_MAX_DEFAULT);
	json_object_foreach(o, k, v) {
		buf_reset(&b);
		if (pathenc_unescape(k, strlen(k), &b) < 0 || b.len == 0) {
			ok = false;
			break;
		}
	}
	buf_release(&b);
	return ok;
}

/* One window object into a new window, or NULL with ld->msg set. */
static struct window *
window_from_json(struct loader *ld, const json_t *o)
{
	const json_t *reason = json_object_get(o, "reason");
	const json_t *user = json_object_get(o, "user");
	const json_t *rules = json_object_get(o, "rules");
	uint64_t id, uid;
	struct window *w;
	size_t i;

	ld->msg = NULL;
	if (!json_is_object(o))
		ld->msg = "a window must be an object";
	else if (!get_count(o, "id", INT64_MAX, &id) || id == 0)
		ld->msg = "bad or missing \"id\"";
	else if (!json_is_string(reason) ||
	    strlen(json_string_value(reason)) != json_string_length(reason))
		ld->msg = "bad or missing \"reason\"";
	else if (!get_count(o, "uid", UINT32_MAX, &uid))
		ld->msg = "bad or missing \"uid\"";
	else if (user != NULL && !json_is_string(user))
		ld->msg = "bad \"user\"";
	else if (!rules_ok(rules))
		ld->msg = "bad or missing \"rules\": a list of rule names";
	else if (!counts_ok(json_object_get(o, "by_rule"), WINDOW_RULES_MAX +
	    1024) || !counts_ok(json_object_get(o, "by_writer"), 1 << 20))
		ld->msg = "bad \"by_rule\" or \"by_writer\": objects of counts";
	else if (!paths_ok(json_object_get(o, "paths")))
		ld->msg = "bad \"paths\": an object of escaped paths";
	if (ld->msg != NULL)
		return NULL;
	w = window_alloc(id, json_string_value(reason), (uint32_t)uid,
	    user != NULL ? json_string_value(user) : NULL);
	if (!get_time(o, "opened_s", &w->opened) ||
	    !get_time(o, "expires_s", &w->expires))
		ld->msg = "bad or missing \"opened_s\" or \"expires_s\"";
	else if (!get_count(o, "changes", INT64_MAX, &w->changes) ||
	    !get_count(o, "paths_dropped", INT64_MAX, &w->paths_dropped))
		ld->msg = "bad or missing \"changes\" or \"paths_dropped\"";
	if (ld->msg != NULL) {
		window_free(w);
		return NULL;
	}
	w->nrules = json_array_size(rules);
	w->rules = xcalloc(w->nrules + 1, sizeof(*w->rules));
	for (i = 0; i < w->nrules; i++)
		w->rules[i] = xstrdup(json_string_value(json_array_get(rules,
		    i)));
	json_object_update(w->by_rule, json_object_get(o, "by_rule"));
	json_object_update(w->by_writer, json_object_get(o, "by_writer"));
	json_object_update(w->paths, json_object_get(o, "paths"));
	return w;
}

static int
refuse(struct loader *ld, const struct jsonpos *p, const char *msg)
{
	diag_add(ld->diag, DIAG_ERROR, ld->name, p != NULL ? p->line : 1,
	    p != NULL ? p->column : 1, "%s", msg);
	return -EBADMSG;
}

/* Index of member key in o's source order (jansson keeps it). */
static size_t
member_index(json_t *o, const char *key)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	json_object_foreach(o, k, v) {
		if (strcmp(k, key) == 0)
			break;
		i++;
	}
	return i;
}

static int
set_from_json(struct loader *ld, json_t *doc, const struct jsonpos *top,
    struct window_set *s)
{
	const json_t *arr = json_object_get(doc, "windows"), *o;
	const struct jsonpos *ap;
	struct window *w;
	uint64_t next, version;
	size_t i;

	if (!json_is_object(doc) || !get_count(doc, "fimd_windows", 1000,
	    &version))
		return refuse(ld, top, "not a fimd windows file (no "
		    "\"fimd_windows\")");
	if (version != WINDOW_FORMAT_VERSION)
		return refuse(ld, top, "unsupported \"fimd_windows\" version");
	if (!get_count(doc, "next_id", INT64_MAX, &next) || next == 0)
		return refuse(ld, top, "bad or missing \"next_id\"");
	if (!json_is_array(arr) || json_array_size(arr) > WINDOW_OPEN_MAX)
		return refuse(ld, top, "\"windows\" must be a list of at most "
		    "64 windows");
	ap = jsonpos_kid(top, member_index(doc, "windows"));
	s->next_id = next;
	json_array_foreach(arr, i, o) {
		if ((w = window_from_json(ld, o)) == NULL)
			return refuse(ld, jsonpos_kid(ap, i), ld->msg);
		if (window_find(s, w->id) != NULL || w->id >= next) {
			window_free(w);
			return refuse(ld, jsonpos_kid(ap, i), "duplicate "
			    "\"id\", or one not below \"next_id\"");
		}
		s->w[s->n++] = w;
	}
	return 0;
}

int
window_set_parse(const char *name, const char *text, size_t len,
    struct window_set **ret, struct diag *diag)
{
	struct loader ld = { .name = name, .diag = diag };
	struct window_set *s;
	struct jsonpos pos;
	json_error_t jerr;
	json_t *doc;
	int r;

	*ret = NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		diag_add(diag, DIAG_ERROR, name, (unsigned)(jerr.line > 0 ?
		    jerr.line : 1), (unsigned)(jerr.column > 0 ? jerr.column :
		    1), "not JSON: %s", jerr.text);
		return -EBADMSG;
	}
	memset(&pos, 0, sizeof(pos));
	(void)jsonpos_scan(text, len, &pos);
	s = window_set_new();
	r = set_from_json(&ld, doc, pos.line > 0 ? &pos : NULL, s);
	jsonpos_release(&pos);
	json_decref(doc);
	if (r < 0) {
		window_set_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int
window_set_load(const char *path, struct window_set **ret, struct diag *diag)
{
	char *text;
	size_t len;
	int r;

	*ret = NULL;
	r = fileio_read_path(path, WINDOW_FILE_MAX, &text, &len);
	if (r == -ENOENT) {
		*ret = window_set_new();
		return 0;
	}
	if (r < 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot read: %s%s",
		    strerror(-r), r == -EINVAL ? " (not a regular file)" : "");
		return r == -EINVAL || r == -EFBIG ? -EBADMSG : r;
	}
	r = window_set_parse(path, text, len, ret, diag);
	free(text);
	return r;
}
