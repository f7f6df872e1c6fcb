/*
 * baseline: the notes beside records (baseline.h): acceptances and
 * earlier states.
 *
 * Few paths have notes (those accepted by hand or changed since the
 * baseline was taken), so they live in a side map keyed by path rather
 * than in the packed entries, which stay as small as they were for the
 * millions of files that never change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "baseline_int.h"
#include "clock.h"
#include "pathmap.h"
#include "xmalloc.h"

static struct baseline_note *
note_find(const struct baseline *b, const char *path, size_t len)
{
	return b->notes != NULL ? pathmap_get(b->notes, path, len) : NULL;
}

static struct baseline_note *
note_make(struct baseline *b, const char *path, size_t len)
{
	struct baseline_note *n = note_find(b, path, len);

	if (n != NULL)
		return n;
	if (b->notes == NULL)
		b->notes = pathmap_new();
	n = xcalloc(1, sizeof(*n) + len + 1);
	memcpy(n->path, path, len);
	n->len = len;
	(void)pathmap_put(b->notes, n->path, n->len, n);
	return n;
}

static void
note_free(struct baseline_note *n)
{
	json_decref(n->accepted);
	json_decref(n->history);
	free(n);
}

/* Forget a note that holds nothing any more. */
static void
note_tidy(struct baseline *b, struct baseline_note *n)
{
	if (n->accepted != NULL || n->history != NULL)
		return;
	(void)pathmap_remove(b->notes, n->path, n->len);
	note_free(n);
}

const struct baseline_note *
baseline_note_get(const struct baseline *b, const char *path, size_t len)
{
	return note_find(b, path, len);
}

void
baseline_note_drop(struct baseline *b, const char *path, size_t len)
{
	struct baseline_note *n;

	if (b->notes == NULL ||
	    (n = pathmap_remove(b->notes, path, len)) == NULL)
		return;
	note_free(n);
}

static bool
free_one(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	note_free(value);
	return true;
}

void
baseline_note_free_all(struct baseline *b)
{
	if (b->notes == NULL)
		return;
	pathmap_foreach(b->notes, free_one, NULL);
	pathmap_free(b->notes);
	b->notes = NULL;
}

static json_t *
now_json(void)
{
	struct fimd_time now;
	char t[FIMD_TIME_RFC3339_LEN];

	clock_wall(&now);
	fimd_time_rfc3339(&now, t);
	return json_string(t);
}

json_t *
baseline_accept_note(uint32_t uid, const char *user, const char *reason,
    uint64_t window)
{
	json_t *o = json_object();

	json_object_set_new(o, "at", now_json());
	json_object_set_new(o, "uid", json_integer((json_int_t)uid));
	if (user != NULL)
		json_object_set_new(o, "user", json_string(user));
	if (reason != NULL)
		json_object_set_new(o, "reason", json_string(reason));
	if (window > 0)
		json_object_set_new(o, "window",
		    json_integer((json_int_t)window));
	return o;
}

/* Bytes of v in the baseline's compact form. */
static size_t
json_bytes(const json_t *v)
{
	struct buf b;
	size_t n;

	buf_init(&b, BUF_MAX_DEFAULT);
	bjson_dump(&b, v);
	n = b.len;
	buf_release(&b);
	return n;
}

/* Cut h to keep states and BASELINE_HISTORY_BYTES, oldest first. */
static void
history_trim(json_t *h, unsigned keep)
{
	size_t i, total = 0;

	while (json_array_size(h) > keep)
		json_array_remove(h, json_array_size(h) - 1);
	for (i = 0; i < json_array_size(h); i++) {
		total += json_bytes(json_array_get(h, i));
		if (total > BASELINE_HISTORY_BYTES) {
			while (json_array_size(h) > i)
				json_array_remove(h, json_array_size(h) - 1);
			break;
		}
	}
}

void
baseline_put_changed(struct baseline *b, const char *path, size_t len,
    const struct record *old, const struct record *r, unsigned keep)
{
	struct baseline_note *n;
	json_t *state;

	n = note_find(b, path, len);
	if (old != NULL && keep > 0) {
		n = note_make(b, path, len);
		state = record_to_json(old);
		json_object_set_new(state, "replaced", now_json());
		if (n->accepted != NULL)
			json_object_set(state, "accepted", n->accepted);
		if (n->history == NULL)
			n->history = json_array();
		json_array_insert_new(n->history, 0, state);
		history_trim(n->history, keep);
		if (json_array_size(n->history) == 0) {
			json_decref(n->history);
			n->history = NULL;
		}
	} else if (n != NULL && keep == 0 && n->history != NULL) {
		json_decref(n->history);
		n->history = NULL;
	}
	if (n != NULL) {
		json_decref(n->accepted);
		n->accepted = NULL;
		note_tidy(b, n);
	}
	/* Notes live in their own map: the put cannot move them. */
	baseline_put(b, path, len, r);
}

void
baseline_set_accepted(struct baseline *b, const char *path, size_t len,
    json_t *note)
{
	struct baseline_note *n = note_make(b, path, len);

	json_decref(n->accepted);
	n->accepted = note;
}

const json_t *
baseline_accepted(const struct baseline *b, const char *path, size_t len)
{
	const struct baseline_note *n = note_find(b, path, len);

	return n != NULL ? n->accepted : NULL;
}

const json_t *
baseline_history(const struct baseline *b, const char *path, size_t len)
{
	const struct baseline_note *n = note_find(b, path, len);

	return n != NULL ? n->history : NULL;
}

void
baseline_notes_json(const struct baseline *b, const char *path, size_t len,
    bool history, json_t *into)
{
	const struct baseline_note *n = note_find(b, path, len);

	if (n == NULL)
		return;
	if (n->accepted != NULL)
		json_object_set(into, "accepted", n->accepted);
	if (history && n->history != NULL)
		json_object_set(into, "history", n->history);
}

/* ---- reading ---- */

static bool
accept_ok(const json_t *a)
{
	const json_t *v;

	if (!json_is_object(a) || !json_is_string(json_object_get(a, "at")))
		return false;
	v = json_object_get(a, "uid");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > UINT32_MAX)
		return false;
	if ((v = json_object_get(a, "user")) != NULL && !json_is_string(v))
		return false;
	if ((v = json_object_get(a, "reason")) != NULL && !json_is_string(v))
		return false;
	v = json_object_get(a, "window");
	return v == NULL || (json_is_integer(v) && json_integer_value(v) > 0);
}

static bool
history_ok(const json_t *h)
{
	const json_t *s, *a;
	struct record rec;
	size_t i;

	if (!json_is_array(h) || json_array_size(h) == 0 ||
	    json_array_size(h) > BASELINE_HISTORY_MAX)
		return false;
	json_array_foreach(h, i, s) {
		if (!json_is_object(s) ||
		    !json_is_string(json_object_get(s, "replaced")))
			return false;
		if ((a = json_object_get(s, "accepted")) != NULL &&
		    !accept_ok(a))
			return false;
		if (record_from_json(s, &rec, NULL) < 0)
			return false;
		record_release(&rec);
	}
	return true;
}

int
baseline_note_read(struct baseline *b, const char *path, size_t len,
    const json_t *entry, const char **ret_msg)
{
	json_t *a = json_object_get(entry, "accepted");
	json_t *h = json_object_get(entry, "history");
	struct baseline_note *n;

	if (a == NULL && h == NULL)
		return 0;
	if (a != NULL && !accept_ok(a)) {
		*ret_msg = "bad \"accepted\": an object with \"at\" and "
		    "\"uid\"";
		return -EINVAL;
	}
	if (h != NULL && !history_ok(h)) {
		*ret_msg = "bad \"history\": a list of earlier states, each "
		    "with \"replaced\"";
		return -EINVAL;
	}
	n = note_make(b, path, len);
	n->accepted = json_incref(a);
	n->history = json_incref(h);
	return 0;
}
