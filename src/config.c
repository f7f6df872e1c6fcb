/*
 * config: built-in defaults and the configuration file (fimd.conf(5)).
 *
 * The file is one JSON object.  jansson parses it and gives a position
 * for syntax errors only, so a small scanner walks the text for the keys
 * of the top-level object: keys are handled in the order they appear and
 * each problem is reported at its key's line and column.  Nothing is
 * applied unless the whole file is valid, so a bad file leaves the
 * defaults (and whatever an earlier file set) untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "xmalloc.h"

/* Larger files are certainly not configuration. */
#define CONFIG_MAX_BYTES	((size_t)1 << 20)
#define DEFAULT_SYSLOG_TARGET	"/dev/log"
#define DEFAULT_QUEUE_BUDGET	500000
#define DEFAULT_DEBOUNCE_MS	200
#define DEFAULT_DEBOUNCE_MAX_MS	2000
/* Bounds that catch a value given in the wrong unit. */
#define MAX_WORKERS		1024
#define MAX_DEBOUNCE_MS		3600000		/* one hour */
#define MAX_QUEUE_BUDGET	100000000
/* Bytes of an unknown key quoted in a message. */
#define KEY_QUOTE_MAX		64

static const char *const backend_names[] = {
	[BACKEND_AUTO] = "auto",
	[BACKEND_FANOTIFY] = "fanotify",
	[BACKEND_INOTIFY] = "inotify",
	[BACKEND_NONE] = "none",
};
#define NBACKENDS (sizeof(backend_names) / sizeof(backend_names[0]))

enum conf_kind {
	CONF_PATH,		/* char *: absolute path */
	CONF_BACKEND,		/* enum backend_kind */
	CONF_UNSIGNED,		/* unsigned, 0 to max */
	CONF_U64,		/* uint64_t, 0 to max */
	CONF_BOOL,		/* bool */
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
	uint64_t max;		/* integers */
} conf_keys[] = {
#define KEY(name, kind, field, max, flags) \
	{ name, kind, flags, offsetof(struct fimd_config, field), max }
	KEY("rules", CONF_PATH, rules_path, 0, 0),
	KEY("shipped_rules", CONF_PATH, shipped_rules, 0, PATH_NULL_OK),
	KEY("baseline", CONF_PATH, baseline_path, 0, 0),
	KEY("alerts", CONF_PATH, alerts_path, 0, PATH_DASH_OK),
	KEY("socket", CONF_PATH, socket_path, 0, 0),
	KEY("backend", CONF_BACKEND, backend, 0, 0),
	KEY("workers", CONF_UNSIGNED, workers, MAX_WORKERS, 0),
	KEY("debounce_ms", CONF_U64, debounce_ms, MAX_DEBOUNCE_MS, 0),
	KEY("debounce_max_ms", CONF_U64, debounce_max_ms, MAX_DEBOUNCE_MS, 0),
	KEY("queue_budget", CONF_U64, queue_budget, MAX_QUEUE_BUDGET, 0),
	KEY("paranoid", CONF_BOOL, paranoid, 0, 0),
	KEY("syslog", CONF_BOOL, syslog, 0, 0),
	KEY("syslog_target", CONF_PATH, syslog_target, 0, 0),
	KEY("journald", CONF_BOOL, journald, 0, 0),
#undef KEY
};
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
	c->syslog_target = xstrdup(DEFAULT_SYSLOG_TARGET);
}

/* Operands are borrowed (argv), never freed here. */
void
config_release(struct fimd_config *c)
{
	char **owned[] = {
		&c->config_path, &c->rules_path, &c->shipped_rules,
		&c->baseline_path, &c->alerts_path, &c->socket_path,
		&c->syslog_target, &c->tail_rule, &c->tail_severity,
		&c->tail_prefix, &c->tail_since,
	};
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		free(*owned[i]);
		*owned[i] = NULL;
	}
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

/*
 * Read a whole regular file of at most CONFIG_MAX_BYTES.  Returns 0 with
 * a new NUL-terminated buffer, or -errno (-EFBIG when too large, -EINVAL
 * when not a regular file).
 */
static int
read_file(const char *path, char **ret, size_t *ret_len)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	/* O_NONBLOCK: a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	/* One byte past the cap tells a file that is too large. */
	text = xmalloc(CONFIG_MAX_BYTES + 2);
	while (len <= CONFIG_MAX_BYTES) {
		n = read(fd, text + len, CONFIG_MAX_BYTES + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONFIG_MAX_BYTES) {
		r = -EFBIG;
		goto out;
	}
	text[len] = '\0';
	*ret = text;
	*ret_len = len;
	text = NULL;
	r = 0;
out:
	free(text);
	close(fd);
	return r;
}

/*
 * The key scanner.  It runs only over text jansson has accepted, so it
 * need not validate anything.  Columns count characters, not bytes, as
 * jansson's do.
 */
struct key_scan {
	const char *text;
	size_t	 len;
	size_t	 i;
	unsigned line;
	unsigned column;	/* of text[i] */
	int	 depth;
	bool	 expect_key;
};

static void
scan_init(struct key_scan *s, const char *text, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->text = text;
	s->len = len;
	s->line = 1;
	s->column = 1;
}

static void
scan_advance(struct key_scan *s)
{
	if (s->i >= s->len)
		return;
	if (s->text[s->i++] == '\n') {
		s->line++;
		s->column = 1;
	} else if (s->i >= s->len ||
	    ((unsigned char)s->text[s->i] & 0xc0) != 0x80) {
		/* Past the last byte of a character. */
		s->column++;
	}
}

/* From an opening quote to just past the closing one. */
static void
scan_string(struct key_scan *s)
{
	scan_advance(s);
	while (s->i < s->len && s->text[s->i] != '"') {
		if (s->text[s->i] == '\\')
			scan_advance(s);
		scan_advance(s);
	}
	scan_advance(s);
}

static void
scan_skip_space(struct key_scan *s)
{
	while (s->i < s->len && strchr(" \t\r\n", s->text[s->i]) != NULL &&
	    s->text[s->i] != '\0')
		scan_advance(s);
}

/*
 * The next key of the top-level object: its literal (quotes included) in
 * text[*ret_start, *ret_end) and the position of its opening quote.
 */
static bool
scan_next_key(struct key_scan *s, size_t *ret_start, size_t *ret_end,
    unsigned *ret_line, unsigned *ret_column)
{
	bool is_key;
	char c;

	while (s->i < s->len) {
		c = s->text[s->i];
		if (c == '"') {
			is_key = s->depth == 1 && s->expect_key;
			*ret_start = s->i;
			*ret_line = s->line;
			*ret_column = s->column;
			scan_string(s);
			if (is_key) {
				s->expect_key = false;
				*ret_end = s->i;
				return true;
			}
			continue;
		}
		if (c == '{' || c == '[') {
			if (++s->depth == 1)
				s->expect_key = c == '{';
		} else if (c == '}' || c == ']') {
			s->depth--;
		} else if (c == ',' && s->depth == 1) {
			s->expect_key = true;
		}
		scan_advance(s);
	}
	return false;
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
	case CONF_BACKEND:
		return "a string";
	case CONF_UNSIGNED:
	case CONF_U64:
		return "an integer";
	case CONF_BOOL:
		return "true or false";
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
	case CONF_BACKEND:
		return json_is_string(v);
	case CONF_UNSIGNED:
	case CONF_U64:
		return json_is_integer(v);
	case CONF_BOOL:
		return json_is_boolean(v);
	}
	return false;
}

/* Check one value and convert it into *ret.  Returns 0 or -EINVAL. */
static int
check_value(const struct conf_file *f, unsigned line, unsigned column,
    const struct conf_key *k, const json_t *v, struct conf_value *ret)
{
	const char *s;
	json_int_t i;
	int b;

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
	case CONF_BACKEND:
		if ((b = config_backend_from_name(json_string_value(v))) < 0) {
			diag_add(f->diag, DIAG_ERROR, f->path, line, column,
			    "\"%s\" must be auto, fanotify, inotify or none",
			    k->name);
			return -EINVAL;
		}
		ret->u = (uint64_t)b;
		return 0;
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
		sp = (char **)(void *)field;
		free(*sp);
		*sp = cv->s != NULL ? xstrdup(cv->s) : NULL;
		break;
	case CONF_BACKEND:
		*(enum backend_kind *)(void *)field =
		    (enum backend_kind)cv->u;
		break;
	case CONF_UNSIGNED:
		*(unsigned *)(void *)field = (unsigned)cv->u;
		break;
	case CONF_U64:
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
check_keys(const struct conf_file *f, json_t *obj,
    struct conf_value values[NKEYS])
{
	struct key_scan s;
	const struct conf_key *k;
	json_t *literal;
	struct buf q;
	size_t start, end, n = 0;
	unsigned line, column;
	int bad = 0;

	scan_init(&s, f->text, f->len);
	while (scan_next_key(&s, &start, &end, &line, &column)) {
		literal = json_loadb(f->text + start, end - start,
		    JSON_DECODE_ANY, NULL);
		if (literal == NULL || !json_is_string(literal)) {
			/* Cannot happen on text jansson parsed. */
			json_decref(literal);
			diag_add(f->diag, DIAG_ERROR, f->path, line, column,
			    "cannot read this key");
			return -EINVAL;
		}
		k = find_key(json_string_value(literal),
		    json_string_length(literal));
		if (k == NULL) {
			buf_init(&q, 4 * KEY_QUOTE_MAX + 16);
			quote_key(json_string_value(literal),
			    json_string_length(literal), &q);
			diag_add(f->diag, DIAG_ERROR, f->path, line, column,
			    "unknown key %s", q.data);
			buf_release(&q);
			bad = 1;
		} else if (n >= NKEYS || check_value(f, line, column, k,
		    json_object_get(obj, k->name), &values[n]) < 0) {
			bad = 1;
		} else {
			n++;
		}
		json_decref(literal);
	}
	return bad ? -EINVAL : (int)n;
}

/* Line and column of the first character that is not white space. */
static void
first_token(const char *text, size_t len, unsigned *ret_line,
    unsigned *ret_column)
{
	struct key_scan s;

	scan_init(&s, text, len);
	scan_skip_space(&s);
	*ret_line = s.line;
	*ret_column = s.column;
}

static int
load_text(struct fimd_config *c, const struct conf_file *f)
{
	struct conf_value values[NKEYS];
	json_error_t err;
	json_t *obj;
	unsigned line, column;
	int n, i;

	obj = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &err);
	if (obj == NULL) {
		diag_add(f->diag, DIAG_ERROR, f->path,
		    err.line > 0 ? (unsigned)err.line : 0,
		    err.column > 0 ? (unsigned)err.column : 0,
		    "invalid JSON: %s", err.text);
		return -EINVAL;
	}
	if (!json_is_object(obj)) {
		first_token(f->text, f->len, &line, &column);
		diag_add(f->diag, DIAG_ERROR, f->path, line, column,
		    "the configuration must be a JSON object, not %s",
		    json_type_words(obj));
		json_decref(obj);
		return -EINVAL;
	}
	if ((n = check_keys(f, obj, values)) >= 0) {
		for (i = 0; i < n; i++)
			apply_value(c, &values[i]);
	}
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

	if ((r = read_file(path, &text, &len)) < 0) {
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
