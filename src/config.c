/*
 * config: built-in defaults and the configuration file (fimd.conf(5)).
 *
 * The file is one JSON object.  jansson parses it and gives a position
 * for syntax errors only, so jsonpos locates the keys of the top-level
 * object: keys are handled in the order they appear and each problem is
 * reported at its key's line and column.  Nothing is
 * applied unless the whole file is valid, so a bad file leaves the
 * defaults (and whatever an earlier file set) untouched.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "jsonpos.h"
#include "fileio.h"
#include "parse.h"
#include "xmalloc.h"

/* Larger files are certainly not configuration. */
#define CONFIG_MAX_BYTES	((size_t)1 << 20)
#define DEFAULT_SYSLOG_TARGET	"/dev/log"
#define DEFAULT_PACKAGE_DB	"/var/lib/dpkg"
#define DEFAULT_QUEUE_BUDGET	500000
#define DEFAULT_RESCAN_SLICE	2048
#define DEFAULT_DEBOUNCE_MS	200
#define DEFAULT_DEBOUNCE_MAX_MS	2000
#define DEFAULT_HEARTBEAT_S	3600
/* Bounds that catch a value given in the wrong unit. */
#define MAX_WORKERS		1024
#define MAX_DEBOUNCE_MS		3600000		/* one hour */
#define MAX_QUEUE_BUDGET	100000000
#define MAX_RESCAN_SLICE	100000000
#define MAX_HEARTBEAT_S		(7 * 86400)	/* a week */
#define MAX_HOST_NAME		255		/* as a DNS name */
/* Bytes of an unknown key quoted in a message. */
#define KEY_QUOTE_MAX		64

static const char *const backend_names[] = {
	[BACKEND_AUTO] = "auto",
	[BACKEND_FANOTIFY] = "fanotify",
	[BACKEND_INOTIFY] = "inotify",
	[BACKEND_NONE] = "none",
};
#define NBACKENDS (sizeof(backend_names) / sizeof(backend_names[0]))

static const char *const syslog_format_names[] = {
	[SYSLOG_FORMAT_LOCAL] = "local",
	[SYSLOG_FORMAT_RFC5424] = "rfc5424",
};

enum conf_kind {
	CONF_PATH,		/* char *: absolute path */
	CONF_NAME,		/* an enum: the index of a name of names */
	CONF_UNSIGNED,		/* unsigned, 0 to max */
	CONF_U64,		/* uint64_t, 0 to max */
	CONF_BOOL,		/* bool */
	CONF_DURATION,		/* uint64_t seconds, 1 to max: "1h" or 3600 */
	CONF_TEXT,		/* char *: printable UTF-8, 1 to max bytes;
				   null: none */
};

/* Per-key path allowances. */
#define PATH_NULL_OK	0x1	/* null: none */
#define PATH_DASH_OK	0x2	/* "-": standard output */

/* One row per key of fimd.conf(5); the man page lists the same. */
static const struct conf_key {
	const char *name;
	enum conf_kind kind;
	unsigned path_flags;
	size_t	 offset;	/* of the field in struct fimd_config */
	uint64_t max;		/* integers; CONF_NAME: how many names */
	const char *const *names;	/* CONF_NAME */
} conf_keys[] = {
#define KEY(name, kind, field, max, flags) \
	{ name, kind, flags, offsetof(struct fimd_config, field), max, NULL }
#define NAMES(name, field, table) \
	{ name, CONF_NAME, 0, offsetof(struct fimd_config, field), \
	    sizeof(table) / sizeof((table)[0]), table }
	KEY("rules", CONF_PATH, rules_path, 0, 0),
	KEY("shipped_rules", CONF_PATH, shipped_rules, 0, PATH_NULL_OK),
	KEY("baseline", CONF_PATH, baseline_path, 0, 0),
	KEY("alerts", CONF_PATH, alerts_path, 0, PATH_DASH_OK),
	KEY("socket", CONF_PATH, socket_path, 0, 0),
	NAMES("backend", backend, backend_names),
	KEY("workers", CONF_UNSIGNED, workers, MAX_WORKERS, 0),
	KEY("debounce_ms", CONF_U64, debounce_ms, MAX_DEBOUNCE_MS, 0),
	KEY("debounce_max_ms", CONF_U64, debounce_max_ms, MAX_DEBOUNCE_MS, 0),
	KEY("queue_budget", CONF_U64, queue_budget, MAX_QUEUE_BUDGET, 0),
	KEY("rescan_slice", CONF_U64, rescan_slice, MAX_RESCAN_SLICE, 0),
	KEY("paranoid", CONF_BOOL, paranoid, 0, 0),
	KEY("syslog", CONF_BOOL, syslog, 0, 0),
	KEY("syslog_target", CONF_PATH, syslog_target, 0, 0),
	NAMES("syslog_format", syslog_format, syslog_format_names),
	KEY("journald", CONF_BOOL, journald, 0, 0),
	KEY("heartbeat", CONF_DURATION, heartbeat, MAX_HEARTBEAT_S, 0),
	KEY("chain_key", CONF_PATH, chain_key, 0, PATH_NULL_OK),
	KEY("package_db", CONF_PATH, package_db, 0, PATH_NULL_OK),
	KEY("recommendations", CONF_PATH, recommend_path, 0, 0),
	KEY("host_name", CONF_TEXT, host_name, MAX_HOST_NAME, 0),
#undef KEY
#undef NAMES
};
_Static_assert(sizeof(enum backend_kind) == sizeof(int) &&
    sizeof(enum syslog_format) == sizeof(int), "CONF_NAME stores an int");
#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

/* A checked value, applied once the whole file is known to be valid. */
struct conf_value {
	const struct conf_key *key;
	const char *s;		/* CONF_PATH, borrowed from the JSON; NULL */
	uint64_t u;		/* integers, backend, bool */
};

/* Where we are in the file, for messages. */
struct conf_file {
	const char *path;
	const char *text;
	size_t	 len;
	struct diag *diag;
};

void
config_init(struct fimd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->rules_path = xstrdup(FIMD_DEFAULT_RULES);
	c->shipped_rules = xstrdup(FIMD_DEFAULT_SHIPPED);
	c->baseline_path = xstrdup(FIMD_DEFAULT_BASELINE);
	c->alerts_path = xstrdup(FIMD_DEFAULT_ALERTS);
	c->socket_path = xstrdup(FIMD_DEFAULT_SOCKET);
	c->backend = BACKEND_AUTO;
	c->workers = 0;
	c->verbosity = 0;
	c->debounce_ms = DEFAULT_DEBOUNCE_MS;
	c->debounce_max_ms = DEFAULT_DEBOUNCE_MAX_MS;
	c->queue_budget = DEFAULT_QUEUE_BUDGET;
	c->rescan_slice = DEFAULT_RESCAN_SLICE;
	c->heartbeat = DEFAULT_HEARTBEAT_S;
	c->syslog_target = xstrdup(DEFAULT_SYSLOG_TARGET);
	c->package_db = xstrdup(DEFAULT_PACKAGE_DB);
	c->recommend_path = xstrdup(FIMD_DEFAULT_RECOMMEND);
}

/* Operands are borrowed (argv), never freed here. */
void
config_release(struct fimd_config *c)
{
	char **owned[] = {
		&c->config_path, &c->rules_path, &c->shipped_rules,
		&c->baseline_path, &c->alerts_path, &c->socket_path,
		&c->syslog_target, &c->tail_rule, &c->tail_severity,
		&c->tail_prefix, &c->tail_since, &c->chain_key, &c->package_db,
		&c->recommend_path, &c->recommend_write, &c->host_root,
		&c->verify_key, &c->reason, &c->window_action, &c->host_name,
		&c->tail_host,
	};
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		free(*owned[i]);
		*owned[i] = NULL;
	}
	free(c->window_rules);
	c->window_rules = NULL;
}

int
config_backend_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return -ENOENT;
	for (i = 0; i < NBACKENDS; i++) {
		if (strcmp(name, backend_names[i]) == 0)
			return (int)i;
	}
	return -ENOENT;
}

const char *
config_backend_name(enum backend_kind b)
{
	if ((unsigned)b >= NBACKENDS)
		return "unknown";
	return backend_names[b];
}

/* A key for a message: printable ASCII as is, other bytes as \xNN. */
static void
quote_key(const char *key, size_t len, struct buf *b)
{
	size_t i;

	(void)buf_addc(b, '"');
	for (i = 0; i < len && i < KEY_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			(void)buf_addc(b, (char)c);
		else
			(void)buf_addf(b, "\\x%02x", c);
	}
	(void)buf_addc(b, '"');
	if (len > KEY_QUOTE_MAX)
		(void)buf_adds(b, "...");
}

static const char *
json_type_words(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a JSON value";
}

static const char *
kind_words(const struct conf_key *k)
{
	switch (k->kind) {
	case CONF_PATH:
		return (k->path_flags & PATH_NULL_OK) ?
		    "a path string or null" : "a path string";
	case CONF_NAME:
		return "a string";
	case CONF_UNSIGNED:
	case CONF_U64:
		return "an integer";
	case CONF_BOOL:
		return "true or false";
	case CONF_DURATION:
		return "a duration (\"30s\", \"15m\", \"1h\", \"1d\") or "
		    "seconds";
	case CONF_TEXT:
		return "a string or null";
	}
	return "?";
}

static bool
kind_accepts(const struct conf_key *k, const json_t *v)
{
	switch (k->kind) {
	case CONF_PATH:
		return json_is_string(v) ||
		    ((k->path_flags & PATH_NULL_OK) && json_is_null(v));
	case CONF_NAME:
		return json_is_string(v);
	case CONF_UNSIGNED:
	case CONF_U64:
		return json_is_integer(v);
	case CONF_BOOL:
		return json_is_boolean(v);
	case CONF_DURATION:
		return json_is_string(v) || json_is_integer(v);
	case CONF_TEXT:
		return json_is_string(v) || json_is_null(v);
	}
	return false;
}

/* One of k's names; the message lists them all. */
static int
check_name(const struct conf_file *f, unsigned line, unsigned column,
    const struct conf_key *k, const char *name, struct conf_value *ret)
{
	struct buf list;
	size_t i;

	for (i = 0; i < k->max; i++) {
		if (strcmp(name, k->names[i]) == 0) {
			ret->u = i;
			return 0;
		}
	}
	buf_init(&list, BUF_MAX_DEFAULT);
	for (i = 0; i < k->max; i++)
		(void)buf_addf(&list, "%s%s", i == 0 ? "" : i + 1 == k->max ?
		    " or " : ", ", k->names[i]);
	diag_add(f->diag, DIAG_ERROR, f->path, line, column,
	    "\"%s\" must be %s", k->name, list.data);
	buf_release(&list);
	return -EINVAL;
}

/* A duration as rules' "rescan" takes it: "1h", or seconds. */
static int
check_duration(const struct conf_file *f, unsigned line, unsigned column,
    const struct conf_key *k, const json_t *v, struct conf_value *ret)
{
	uint64_t u = 0;
	bool ok;

	if (json_is_integer(v))
		ok = json_integer_value(v) > 0 &&
		    (u = (uint64_t)json_integer_value(v)) <= k->max;
	else
		ok = parse_duration(json_string_value(v), &u) == 0 && u > 0 &&
		    u <= k->max;
	if (!ok) {
		diag_add(f->diag, DIAG_ERROR, f->path, line, column,
		    "\"%s\" must be a duration from 1 s to %" PRIu64 " s, "
		    "such as \"30s\", \"15m\", \"1h\" or \"1d\"", k->name,
		    k->max);
		return -EINVAL;
	}
	ret->u = u;
	return 0;
}

/*
 * A name that goes into every alert as is (host.name): shippers key
 * files and indexes on it, so no control characters and no spaces.
 * jansson has already refused invalid UTF-8.
 */
static int
check_text(const struct conf_file *f, unsigned line, unsigned column,
    const struct conf_key *k, const char *s, struct conf_value *ret)
{
	size_t i, len = strlen(s);

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			break;
	}
	if (len == 0 || len > k->max || i < len) {
		diag_add(f->diag, DIAG_ERROR, f->path, line, column,
		    "\"%s\" must be 1 to %" PRIu64 " bytes without spaces "
		    "or control characters", k->name, k->max);
		return -EINVAL;
	}
	ret->s = s;
	return 0;
}

/* Check one value and convert it into *ret.  Returns 0 or -EINVAL. */
static int
check_value(const struct conf_file *f, unsigned line, unsigned column,
    const struct conf_key *k, const json_t *v, struct conf_value *ret)
{
	const char *s;
	json_int_t i;

	ret->key = k;
	ret->s = NULL;
	ret->u = 0;
	if (!kind_accepts(k, v)) {
		diag_add(f->diag, DIAG_ERROR, f->path, line, column,
		    "\"%s\" must be %s, not %s", k->name, kind_words(k),
		    json_type_words(v));
		return -EINVAL;
	}
	switch (k->kind) {
	case CONF_PATH:
		if (json_is_null(v))
			return 0;
		s = json_string_value(v);
		if (*s == '\0') {
			diag_add(f->diag, DIAG_ERROR, f->path, line, column,
			    "\"%s\" must not be empty", k->name);
			return -EINVAL;
		}
		if (*s != '/' && !((k->path_flags & PATH_DASH_OK) &&
		    strcmp(s, "-") == 0)) {
			diag_add(f->diag, DIAG_ERROR, f->path, line, column,
			    "\"%s\" must be an absolute path%s", k->name,
			    (k->path_flags & PATH_DASH_OK) ?
			    " or \"-\"" : "");
			return -EINVAL;
		}
		ret->s = s;
		return 0;
	case CONF_NAME:
		return check_name(f, line, column, k, json_string_value(v),
		    ret);
	case CONF_UNSIGNED:
	case CONF_U64:
		i = json_integer_value(v);
		if (i < 0 || (uint64_t)i > k->max) {
			diag_add(f->diag, DIAG_ERROR, f->path, line, column,
			    "\"%s\" must be from 0 to %" PRIu64 ", not %"
			    JSON_INTEGER_FORMAT, k->name, k->max, i);
			return -EINVAL;
		}
		ret->u = (uint64_t)i;
		return 0;
	case CONF_BOOL:
		ret->u = json_is_true(v);
		return 0;
	case CONF_DURATION:
		return check_duration(f, line, column, k, v, ret);
	case CONF_TEXT:
		if (json_is_null(v))
			return 0;
		return check_text(f, line, column, k, json_string_value(v),
		    ret);
	}
	return -EINVAL;
}

static void
apply_value(struct fimd_config *c, const struct conf_value *cv)
{
	char *field = (char *)c + cv->key->offset;
	char **sp;

	switch (cv->key->kind) {
	case CONF_PATH:
	case CONF_TEXT:
		sp = (char **)(void *)field;
		free(*sp);
		*sp = cv->s != NULL ? xstrdup(cv->s) : NULL;
		break;
	case CONF_NAME:
		/* Every CONF_NAME field is an enum, stored as an int. */
		*(int *)(void *)field = (int)cv->u;
		break;
	case CONF_UNSIGNED:
		*(unsigned *)(void *)field = (unsigned)cv->u;
		break;
	case CONF_U64:
	case CONF_DURATION:
		*(uint64_t *)(void *)field = cv->u;
		break;
	case CONF_BOOL:
		*(bool *)(void *)field = cv->u != 0;
		break;
	}
}

static const struct conf_key *
find_key(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if (strlen(conf_keys[i].name) == len &&
		    memcmp(conf_keys[i].name, name, len) == 0)
			return &conf_keys[i];
	}
	return NULL;
}

/*
 * Check every key of the object, in the order of the text.  Fills
 * values[] (at most NKEYS: jansson refused duplicates) and returns how
 * many, or -EINVAL after reporting every problem.
 */
static int
check_keys(const struct conf_file *f, json_t *obj, const struct jsonpos *pos,
    struct conf_value values[NKEYS])
{
	const struct conf_key *k;
	const struct jsonpos *kp;
	const char *key;
	json_t *v;
	struct buf q;
	size_t i = 0, n = 0;
	unsigned line, column;
	int bad = 0;

	json_object_foreach(obj, key, v) {
		if ((kp = jsonpos_kid(pos, i++)) != NULL) {
			line = kp->key_line;
			column = kp->key_column;
		} else {
			line = pos->line;
			column = pos->column;
		}
		if ((k = find_key(key, strlen(key))) == NULL) {
			buf_init(&q, 4 * KEY_QUOTE_MAX + 16);
			quote_key(key, strlen(key), &q);
			diag_add(f->diag, DIAG_ERROR, f->path, line, column,
			    "unknown key %s", q.data);
			buf_release(&q);
			bad = 1;
		} else if (n >= NKEYS ||
		    check_value(f, line, column, k, v, &values[n]) < 0) {
			bad = 1;
		} else {
			n++;
		}
	}
	return bad ? -EINVAL : (int)n;
}

static int
load_text(struct fimd_config *c, const struct conf_file *f)
{
	struct conf_value values[NKEYS];
	struct jsonpos pos;
	json_error_t err;
	json_t *obj;
	int n, i;

	obj = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL) {
		diag_add(f->diag, DIAG_ERROR, f->path,
		    err.line > 0 ? (unsigned)err.line : 0,
		    err.column > 0 ? (unsigned)err.column : 0,
		    "invalid JSON: %s", err.text);
		return -EINVAL;
	}
	if (jsonpos_scan(f->text, f->len, &pos) < 0) {
		/* Cannot happen on text jansson parsed. */
		diag_add(f->diag, DIAG_ERROR, f->path, 0, 0,
		    "cannot locate the JSON values");
		json_decref(obj);
		return -EINVAL;
	}
	if (!json_is_object(obj)) {
		diag_add(f->diag, DIAG_ERROR, f->path, pos.line, pos.column,
		    "the configuration must be a JSON object, not %s",
		    json_type_words(obj));
		n = -EINVAL;
	} else if ((n = check_keys(f, obj, &pos, values)) >= 0) {
		for (i = 0; i < n; i++)
			apply_value(c, &values[i]);
	}
	jsonpos_release(&pos);
	json_decref(obj);
	return n < 0 ? n : 0;
}

int
config_load(struct fimd_config *c, const char *path, bool explicit,
    struct diag *diag)
{
	struct conf_file f;
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = fileio_read_path(path, CONFIG_MAX_BYTES, &text, &len)) < 0) {
		if (r == -ENOENT && !explicit)
			return 0;
		if (r == -EFBIG)
			diag_add(diag, DIAG_ERROR, path, 0, 0,
			    "configuration file larger than %zu bytes",
			    CONFIG_MAX_BYTES);
		else if (r == -EINVAL)
			diag_add(diag, DIAG_ERROR, path, 0, 0,
			    "not a regular file");
		else
			diag_add(diag, DIAG_ERROR, path, 0, 0,
			    "cannot read configuration: %s", strerror(-r));
		return r;
	}
	free(c->config_path);
	c->config_path = xstrdup(path);
	f.path = path;
	f.text = text;
	f.len = len;
	f.diag = diag;
	r = load_text(c, &f);
	free(text);
	return r;
}
