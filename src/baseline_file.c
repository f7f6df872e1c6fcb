/*
 * baseline: the file form (fimd.baseline(5)).
 *
 * Saving walks the entries in path order and writes one compact JSON
 * object per line through a large buffer into an atomicfile, feeding the
 * same bytes to SHA-256, or to HMAC-SHA-256 under chain_key's key
 * (chain.h); the trailer line carries that digest and its algorithm.  Loading
 * streams the file: it checks the header, the trailer and the digest
 * before looking at any entry, then parses one line at a time into a
 * fresh baseline that is only handed out once everything checked.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "atomicfile.h"
#include "baseline_int.h"
#include "buf.h"
#include "chain.h"
#include "entity.h"
#include "hash.h"
#include "pathenc.h"
#include "fileio.h"
#include "xmalloc.h"

#define WBUF_SIZE	(256 * 1024)
#define ENTRIES_KEY	",\"entries\":["
/* The trailer: TRAILER_HEAD, the algorithm (chain.h), ':', hex, TAIL. */
#define TRAILER_HEAD	"],\"digest\":\""
#define TRAILER_TAIL	"\"}"
#define DIGEST_HEX	(2 * 32)
/* A foreign file is read whole only this far to say what it is. */
#define FOREIGN_READ_MAX	((size_t)16 << 20)
/* The end of the file read to find the trailer line. */
#define TAIL_READ		4096

/* ---- save ---- */

struct writer {
	int	 fd;
	struct chain_mac *md;	/* keyed when chain_key is configured */
	struct buf out;
	int	 error;		/* first -errno */
};

/* Write out the buffer; hashed unless it is the trailer. */
static void
writer_flush(struct writer *w, bool hashed)
{
	int r;

	if (w->error == 0 && w->out.len > 0) {
		if (hashed)
			chain_mac_update(w->md, w->out.data, w->out.len);
		if ((r = fileio_write_all(w->fd, w->out.data,
		    w->out.len)) < 0)
			w->error = r;
	}
	buf_reset(&w->out);
}

static void
writer_add(struct writer *w, const char *s, size_t n)
{
	(void)buf_add(&w->out, s, n);
}

/* Path under "path", or "path_escaped" when it is not UTF-8. */
static void
write_path(struct writer *w, const char *path, size_t len, struct buf *tmp)
{
	if (pathenc_is_utf8(path, len)) {
		writer_add(w, "{\"path\":", 8);
		bjson_dump_string(&w->out, path, len);
		return;
	}
	buf_reset(tmp);
	(void)pathenc_escape(path, len, tmp);
	writer_add(w, "{\"path_escaped\":", 16);
	bjson_dump_string(&w->out, tmp->data, tmp->len);
}

static void
write_header(struct writer *w, const struct baseline *b)
{
	json_t *h = json_object();

	json_object_set_new(h, "fimd_baseline",
	    json_integer(BASELINE_FORMAT_VERSION));
	json_object_set_new(h, "created", json_string(b->created));
	json_object_set_new(h, "host", json_string(b->host));
	json_object_set_new(h, "rules_digest", json_string(b->rules_digest));
	json_object_set_new(h, "count", json_integer((json_int_t)b->count));
	if (b->entities != NULL && json_object_size(b->entities) > 0)
		json_object_set(h, "entities", b->entities);
	/* No closing brace: the entries array continues the object. */
	writer_add(w, "{", 1);
	bjson_dump_members(&w->out, h);
	json_decref(h);
	writer_add(w, ENTRIES_KEY "\n", sizeof(ENTRIES_KEY));
}

/* ,"accepted":{...},"history":[...] of the entry, when it has notes. */
static void
write_notes(struct writer *w, const struct baseline *b, const char *path,
    size_t len)
{
	const struct baseline_note *n = baseline_note_get(b, path, len);

	if (n == NULL)
		return;
	if (n->accepted != NULL) {
		writer_add(w, ",\"accepted\":", 12);
		bjson_dump(&w->out, n->accepted);
	}
	if (n->history != NULL) {
		writer_add(w, ",\"history\":", 11);
		bjson_dump(&w->out, n->history);
	}
}

static void
write_entries(struct writer *w, const struct baseline *b)
{
	uint32_t *refs = baseline_sorted(b);
	struct record rec;
	struct buf tmp;
	const char *path;
	json_t *rj;
	size_t i, len;

	buf_init(&tmp, BUF_MAX_DEFAULT);
	for (i = 0; i < b->count && w->error == 0; i++) {
		path = baseline_entry_path(b, refs[i], &len);
		baseline_entry_record(b, refs[i], &rec);
		rj = record_to_json(&rec);
		record_release(&rec);
		write_path(w, path, len, &tmp);
		if (json_object_size(rj) > 0)
			writer_add(w, ",", 1);
		bjson_dump_members(&w->out, rj);
		json_decref(rj);
		write_notes(w, b, path, len);
		if (i + 1 < b->count)
			writer_add(w, "},\n", 3);
		else
			writer_add(w, "}\n", 2);
		if (w->out.len >= WBUF_SIZE)
			writer_flush(w, true);
	}
	buf_release(&tmp);
	free(refs);
}

static int
write_trailer(struct writer *w, const struct chain_key *key)
{
	unsigned char md[CHAIN_MD_LEN];
	char hex[DIGEST_HEX + 1];

	writer_flush(w, true);
	if (w->error != 0)
		return w->error;
	chain_mac_final(w->md, md);
	hash_hex(md, sizeof(md), hex);
	writer_add(w, TRAILER_HEAD, sizeof(TRAILER_HEAD) - 1);
	writer_add(w, chain_algorithm(key), strlen(chain_algorithm(key)));
	writer_add(w, ":", 1);
	writer_add(w, hex, DIGEST_HEX);
	writer_add(w, TRAILER_TAIL "\n", sizeof(TRAILER_TAIL));
	writer_flush(w, false);
	return w->error;
}

int
baseline_save(const struct baseline *b, const char *path, struct diag *diag)
{
	return baseline_save_keyed(b, path, NULL, diag);
}

int
baseline_save_keyed(const struct baseline *b, const char *path,
    const struct chain_key *key, struct diag *diag)
{
	struct atomicfile af;
	struct writer w;
	int r;

	if ((r = atomicfile_open(&af, path, 0600)) < 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0,
		    "cannot create a temporary next to the baseline: %s",
		    strerror(-r));
		return r;
	}
	memset(&w, 0, sizeof(w));
	w.fd = af.fd;
	buf_init(&w.out, BUF_MAX_DEFAULT);
	(void)buf_reserve(&w.out, WBUF_SIZE + 64 * 1024);
	w.md = chain_mac_new(key);
	write_header(&w, b);
	write_entries(&w, b);
	if ((r = write_trailer(&w, key)) < 0)
		goto fail;
	chain_mac_free(w.md);
	buf_release(&w.out);
	if ((r = atomicfile_commit(&af)) < 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0,
		    "cannot replace the baseline: %s", strerror(-r));
		return r;
	}
	return 0;

fail:
	chain_mac_free(w.md);
	buf_release(&w.out);
	atomicfile_rollback(&af);
	diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot write the baseline: %s",
	    strerror(-r));
	return r;
}

/* ---- load ---- */

/*
 * Loading streams the file twice through one stdio buffer, so memory is
 * the index plus a line, never the file: the first pass checks the
 * header, finds the trailer (the last line) and checks the digest of
 * everything before it; the second parses the entries.  A file written
 * in place meanwhile is refused by its ctime (changed_since), without
 * hashing it twice.  Nothing is handed out before both passes succeeded.
 */
struct reader {
	const char *file;	/* for diagnostics */
	const struct chain_key *key;	/* the digest's, or NULL: plain */
	FILE	*f;
	struct diag *diag;
	char	*line;		/* getline's buffer */
	size_t	 cap;
	struct stat st;		/* at open, to notice writes meanwhile */
	/* The whole file, read only to explain a foreign one. */
	const char *data;
	size_t	 size;
};

struct file_shape {
	unsigned lines;		/* header, entries and trailer; 0: not
				   counted yet (the digest thread does) */
	off_t	 entries_off;	/* offset of the first entry line */
	uint64_t entry_bytes;	/* bytes of the entry lines */
	uint64_t count;		/* the header's */
	unsigned char digest[CHAIN_MD_LEN]; /* the trailer's */
};

static int
bad(struct reader *rd, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
bad(struct reader *rd, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(rd->diag, DIAG_ERROR, rd->file, line, col, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Why a file with no valid header is not ours. */
static int
refuse_foreign(struct reader *rd)
{
	json_error_t err;
	json_t *j;
	const json_t *v;
	int r;

	j = json_loadb(rd->data, rd->size, 0, &err);
	if (j == NULL)
		return bad(rd, (unsigned)err.line, (unsigned)err.column,
		    "not a fimd baseline: not JSON (%s)", err.text);
	v = json_is_object(j) ? json_object_get(j, "fimd_baseline") : NULL;
	if (v == NULL)
		r = bad(rd, 1, 0, "not a fimd baseline: no \"fimd_baseline\" "
		    "key");
	else if (!json_is_integer(v) ||
	    json_integer_value(v) != BASELINE_FORMAT_VERSION)
		r = bad(rd, 1, 0, "unsupported baseline format version "
		    "(this fimd reads version %d)", BASELINE_FORMAT_VERSION);
	else
		r = bad(rd, 1, 0, "baseline is not in the line layout fimd "
		    "writes (header line expected to end in "
		    "'\"entries\":[')");
	json_decref(j);
	return r;
}

/* Read the whole file to say why it is not a fimd baseline. */
static int
refuse_foreign_file(struct reader *rd)
{
	char *data = NULL;
	int r;

	if (fseeko(rd->f, 0, SEEK_SET) < 0 || fileio_read_fd(fileno(rd->f),
	    FOREIGN_READ_MAX, &data, &rd->size) < 0)
		return bad(rd, 1, 0, "not a fimd baseline");
	rd->data = data;
	r = rd->size == 0 ? bad(rd, 1, 0, "empty file, not a fimd baseline") :
	    refuse_foreign(rd);
	free(data);
	rd->data = NULL;
	return r;
}

static const char *
opt_string(const json_t *h, const char *key, bool *ok)
{
	const json_t *v = json_object_get(h, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v))
		*ok = false;
	return json_string_value(v);
}

/* The header's "entities", each list as entity.h reads it. */
static int
read_entities(struct reader *rd, json_t *h, struct baseline *b)
{
	json_t *e = json_object_get(h, "entities"), *list;
	struct entity_set set;
	const char *type, *why;
	int t;

	if (e == NULL)
		return 0;	/* written before entities, or none */
	if (!json_is_object(e))
		return bad(rd, 1, 0, "\"entities\" in the header is not an "
		    "object");
	json_object_foreach(e, type, list) {
		for (t = RULE_FILES + 1; t < RULE_TYPE_COUNT; t++)
			if (strcmp(type, rule_type_name((enum rule_type)t)) ==
			    0)
				break;
		if (t == RULE_TYPE_COUNT)
			return bad(rd, 1, 0, "unknown entity type \"%s\" in "
			    "the header", type);
		if (entity_set_from_json((enum rule_type)t, list, &set,
		    &why) < 0)
			return bad(rd, 1, 0, "bad \"entities\" \"%s\": %s",
			    type, why);
		entity_set_release(&set);
		baseline_set_entities(b, type, json_deep_copy(list));
	}
	return 0;
}

/* Parse the header line hd[0, len) into b; sets *count. */
static int
read_header(struct reader *rd, const char *hd, size_t len,
    struct baseline *b, uint64_t *count)
{
	const size_t klen = sizeof(ENTRIES_KEY) - 1;
	json_error_t err;
	struct buf hb;
	json_t *h;
	const json_t *v;
	const char *created, *host, *digest;
	bool ok = true;
	int r = 0;

	if (len < klen || memcmp(hd + len - klen, ENTRIES_KEY,
	    klen) != 0)
		return refuse_foreign_file(rd);
	buf_init(&hb, BUF_MAX_DEFAULT);
	(void)buf_add(&hb, hd, len - klen);
	(void)buf_addc(&hb, '}');
	h = json_loadb(hb.data, hb.len, 0, &err);
	buf_release(&hb);
	if (h == NULL || !json_is_object(h)) {
		json_decref(h);
		return refuse_foreign_file(rd);
	}
	v = json_object_get(h, "fimd_baseline");
	if (v == NULL)
		r = bad(rd, 1, 0, "not a fimd baseline: no \"fimd_baseline\" "
		    "key");
	else if (!json_is_integer(v) ||
	    json_integer_value(v) != BASELINE_FORMAT_VERSION)
		r = bad(rd, 1, 0, "unsupported baseline format version %s%"
		    JSON_INTEGER_FORMAT " (this fimd reads version %d)",
		    json_is_integer(v) ? "" : "(not a number) ",
		    json_is_integer(v) ? json_integer_value(v) : 0,
		    BASELINE_FORMAT_VERSION);
	if (r < 0)
		goto out;
	v = json_object_get(h, "count");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		r = bad(rd, 1, 0, "bad or missing \"count\" in the header");
		goto out;
	}
	*count = (uint64_t)json_integer_value(v);
	created = opt_string(h, "created", &ok);
	host = opt_string(h, "host", &ok);
	digest = opt_string(h, "rules_digest", &ok);
	if (!ok) {
		r = bad(rd, 1, 0, "header field \"created\", \"host\" or "
		    "\"rules_digest\" is not a string");
		goto out;
	}
	baseline_set_header(b, created, host, digest);
	r = read_entities(rd, h, b);
out:
	json_decref(h);
	return r;
}

static bool
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/*
 * The algorithm of a trailer whose text after TRAILER_HEAD is t[0, len),
 * when it is "<algorithm>:<hex>" TRAILER_TAIL, else NULL.
 */
static const char *
trailer_algorithm(const char *t, size_t len)
{
	static const char *const algos[] = { "sha256", "hmac-sha256" };
	const size_t tail = sizeof(TRAILER_TAIL) - 1;
	size_t i, n;

	for (i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
		n = strlen(algos[i]);
		if (len == n + 1 + DIGEST_HEX + tail &&
		    memcmp(t, algos[i], n) == 0 && t[n] == ':' &&
		    is_hex(t + n + 1, DIGEST_HEX) &&
		    memcmp(t + n + 1 + DIGEST_HEX, TRAILER_TAIL, tail) == 0)
			return algos[i];
	}
	return NULL;
}

/*
 * Check the trailer line t[0, len) (no newline); its digest to want.  A
 * keyed digest is checked only with the key: with chain_key configured,
 * a plain digest is refused, since anyone can recompute one.
 */
static int
check_trailer(struct reader *rd, unsigned lines, const char *t, size_t len,
    unsigned char *want)
{
	const size_t hlen = sizeof(TRAILER_HEAD) - 1;
	const char *algo;

	if (len < hlen || memcmp(t, TRAILER_HEAD, hlen) != 0 ||
	    (algo = trailer_algorithm(t + hlen, len - hlen)) == NULL)
		return bad(rd, lines, 0, "truncated: the last line is not the "
		    "digest trailer");
	if (strcmp(algo, chain_algorithm(rd->key)) != 0 && rd->key != NULL)
		return bad(rd, lines, 0, "digest not keyed: with chain_key "
		    "configured fimd writes an hmac-sha256 digest, and this "
		    "baseline has a plain sha256 one (replaced, or edited and "
		    "digested again; one written before chain_key was set "
		    "needs fimd --init)");
	if (strcmp(algo, chain_algorithm(rd->key)) != 0)
		return bad(rd, lines, 0, "the digest is keyed (hmac-sha256): "
		    "configure the chain_key it was written with to check it");
	if (hash_unhex(t + hlen + strlen(algo) + 1, DIGEST_HEX, want,
	    CHAIN_MD_LEN) < 0)
		return bad(rd, lines, 0, "cannot check the digest");
	return 0;
}

static int
read_error(struct reader *rd)
{
	int r = errno != 0 ? -errno : -EIO;

	diag_add(rd->diag, DIAG_ERROR, rd->file, 0, 0, "cannot read: %s",
	    strerror(-r));
	return r;
}

static int
digest_mismatch(struct reader *rd, unsigned line)
{
	return bad(rd, line, 0, "digest mismatch: the baseline was changed "
	    "after fimd wrote it (tampered or corrupted)");
}

/*
 * The first pass of a file quick_shape() cannot vouch for: header,
 * trailer, digest and the file's shape, each error at its line.
 */
static int
scan_shape(struct reader *rd, struct baseline *b, struct file_shape *sh)
{
	unsigned char md[CHAIN_MD_LEN];
	struct chain_mac *ctx;
	struct buf held;	/* the last line read, newline included */
	ssize_t n;
	int r = 0;

	memset(sh, 0, sizeof(*sh));
	errno = 0;
	if ((n = getline(&rd->line, &rd->cap, rd->f)) <= 0)
		return ferror(rd->f) ? read_error(rd) :
		    bad(rd, 1, 0, "empty file, not a fimd baseline");
	if ((r = read_header(rd, rd->line, (size_t)n -
	    (rd->line[n - 1] == '\n'), b, &sh->count)) < 0)
		return r;
	if ((sh->entries_off = ftello(rd->f)) < 0)
		return read_error(rd);
	ctx = chain_mac_new(rd->key);
	chain_mac_update(ctx, rd->line, (size_t)n);
	sh->lines = 1;
	buf_init(&held, SIZE_MAX);
	while ((n = getline(&rd->line, &rd->cap, rd->f)) > 0) {
		sh->lines++;
		if (held.len > 0) {
			chain_mac_update(ctx, held.data, held.len);
			sh->entry_bytes += held.len;
		}
		buf_reset(&held);
		(void)buf_add(&held, rd->line, (size_t)n);
	}
	if (ferror(rd->f))
		r = read_error(rd);
	else if (sh->lines == 1 || held.data[held.len - 1] != '\n')
		r = bad(rd, sh->lines, 0, sh->lines == 1 ?
		    "truncated: the last line is not the digest trailer" :
		    "truncated: the file ends in the middle of a line, "
		    "without the digest trailer");
	else
		r = check_trailer(rd, sh->lines, held.data, held.len - 1,
		    sh->digest);
	if (r == 0) {
		chain_mac_final(ctx, md);
		if (memcmp(md, sh->digest, sizeof(md)) != 0)
			r = digest_mismatch(rd, sh->lines);
	}
	chain_mac_free(ctx);
	buf_release(&held);
	return r;
}

/*
 * The shape of a well-formed file without reading it through: the
 * header, then the trailer as the file's last line, read from its end.
 * Returns 1 when both are good (the digest is then checked beside the
 * parse, load_file), 0 when scan_shape() must find what is wrong and say
 * where, or a header error.
 */
static int
quick_shape(struct reader *rd, struct baseline *b, struct file_shape *sh)
{
	char tail[TAIL_READ];
	struct diag quiet, *loud = rd->diag;
	size_t n;
	ssize_t got;
	off_t from;
	const char *nl;
	int r;

	memset(sh, 0, sizeof(*sh));
	errno = 0;
	if ((got = getline(&rd->line, &rd->cap, rd->f)) <= 0)
		return ferror(rd->f) ? read_error(rd) :
		    bad(rd, 1, 0, "empty file, not a fimd baseline");
	if ((r = read_header(rd, rd->line, (size_t)got -
	    (rd->line[got - 1] == '\n'), b, &sh->count)) < 0)
		return r;
	if ((sh->entries_off = ftello(rd->f)) < 0)
		return read_error(rd);
	from = rd->st.st_size - (off_t)sizeof(tail);
	if (from < sh->entries_off)
		from = sh->entries_off;
	if ((got = pread(fileno(rd->f), tail, (size_t)(rd->st.st_size -
	    from), from)) != rd->st.st_size - from || got < 2 ||
	    tail[got - 1] != '\n')
		return 0;
	n = (size_t)got - 1;
	/* The last line starts past the newline before it. */
	if ((nl = memrchr(tail, '\n', n)) != NULL)
		nl++;
	else if (from == sh->entries_off)
		nl = tail;	/* no entries */
	else
		return 0;
	sh->entry_bytes = (uint64_t)(from + (nl - tail) - sh->entries_off);
	diag_init(&quiet);
	rd->diag = &quiet;
	r = check_trailer(rd, 0, nl, n - (size_t)(nl - tail), sh->digest);
	rd->diag = loud;
	diag_release(&quiet);
	return r == 0;
}

/* Path of an entry object into out. */
static int
entry_path(const json_t *o, struct buf *out)
{
	const json_t *v;

	buf_reset(out);
	if ((v = json_object_get(o, "path")) != NULL) {
		if (!json_is_string(v) || buf_add(out, json_string_value(v),
		    json_string_length(v)) < 0)
			return -EINVAL;
	} else if ((v = json_object_get(o, "path_escaped")) != NULL) {
		if (!json_is_string(v) || pathenc_unescape(
		    json_string_value(v), json_string_length(v), out) < 0)
			return -EINVAL;
	} else
		return -EINVAL;
	if (out->len == 0 || memchr(out->data, '\0', out->len) != NULL)
		return -EINVAL;
	return 0;
}

static int
path_order(const struct buf *prev, const struct buf *cur)
{
	size_t n = prev->len < cur->len ? prev->len : cur->len;
	int c = memcmp(prev->data, cur->data, n);

	if (c != 0)
		return c;
	return prev->len < cur->len ? -1 : prev->len > cur->len;
}

/*
 * One entry line (without its comma) into rec and path: the shape fimd
 * writes is read directly, anything else through JSON values.
 */
static int
read_entry(struct reader *rd, struct baseline *b, unsigned lineno,
    size_t len, struct buf *path, struct record *rec)
{
	const char *msg, *p;
	size_t col, plen;
	json_t *o;

	if (record_from_line(rd->line, len, &p, &plen, rec) == 0) {
		buf_reset(path);
		if (buf_add(path, p, plen) == 0)
			return 0;
		record_release(rec);
	}
	if (bjson_parse(rd->line, len, &o, &col, &msg) < 0)
		return bad(rd, lineno, (unsigned)col, "entry is not JSON: %s",
		    msg);
	if (!json_is_object(o) || entry_path(o, path) < 0) {
		json_decref(o);
		return bad(rd, lineno, 0, "bad entry: bad or missing "
		    "\"path\"");
	}
	if (record_from_json(o, rec, &msg) < 0) {
		json_decref(o);
		return bad(rd, lineno, 0, "bad entry: %s", msg);
	}
	if (baseline_note_read(b, path->data, path->len, o, &msg) < 0) {
		json_decref(o);
		record_release(rec);
		return bad(rd, lineno, 0, "bad entry: %s", msg);
	}
	json_decref(o);
	return 0;
}

/*
 * Second pass: parse the entry lines, from line 2 up to the trailer.
 * Returns the number of lines read in *ret_lines, the trailer's too.
 */
static int
read_entries(struct reader *rd, const struct file_shape *sh,
    struct baseline *b, uint64_t *ret_n, unsigned *ret_lines)
{
	uint64_t left = sh->entry_bytes, n = 0;
	struct buf path[2];
	struct record rec;
	size_t len;
	ssize_t got;
	unsigned lineno;
	int cur = 0, r = 0;

	if (fseeko(rd->f, sh->entries_off, SEEK_SET) < 0)
		return read_error(rd);
	buf_init(&path[0], BUF_MAX_DEFAULT);
	buf_init(&path[1], BUF_MAX_DEFAULT);
	for (lineno = 2; left > 0; lineno++) {
		errno = 0;
		if ((got = getline(&rd->line, &rd->cap, rd->f)) <= 0 ||
		    rd->line[got - 1] != '\n' || (uint64_t)got > left) {
			r = bad(rd, lineno, 0, "the file changed while it "
			    "was read");
			break;
		}
		left -= (uint64_t)got;
		len = (size_t)got - 1;
		/* Every entry but the last ends in a comma. */
		if (left > 0) {
			if (len == 0 || rd->line[len - 1] != ',') {
				r = bad(rd, lineno, 0, "entry does not end "
				    "in ','");
				break;
			}
			len--;
		}
		if ((r = read_entry(rd, b, lineno, len, &path[cur], &rec)) < 0)
			break;
		if (n > 0 && (r = path_order(&path[!cur], &path[cur])) >= 0) {
			record_release(&rec);
			r = bad(rd, lineno, 0, r == 0 ? "duplicate path" :
			    "entries are not sorted by path");
			break;
		}
		r = 0;
		baseline_append(b, path[cur].data, path[cur].len, &rec);
		record_release(&rec);
		cur = !cur;
		n++;
	}
	buf_release(&path[0]);
	buf_release(&path[1]);
	*ret_n = n;
	*ret_lines = lineno;	/* the trailer's number */
	return r;
}

/*
 * Whether the file was written since it was opened: any write moves its
 * ctime, which no process can set back (the trust --check places in it
 * too), so the entries parsed are the bytes the digest covered.
 */
static bool
changed_since(const struct reader *rd)
{
	struct stat now;

	if (fstat(fileno(rd->f), &now) < 0)
		return true;
	return now.st_size != rd->st.st_size ||
	    now.st_ctim.tv_sec != rd->st.st_ctim.tv_sec ||
	    now.st_ctim.tv_nsec != rd->st.st_ctim.tv_nsec;
}

/*
 * The parse of a file quick_shape() vouched for, beside its digest on a
 * second core: the diagnostics of the parse count only when the digest
 * matches (an edited file is "tampered", wherever the edit broke it).
 */
static int
parse_digested(struct reader *rd, struct baseline *b,
    const struct file_shape *sh, uint64_t *ret_n, unsigned *ret_lines)
{
	struct chain_file_digest *job;
	unsigned char md[CHAIN_MD_LEN];
	struct diag parse, *loud = rd->diag;
	const struct diag_entry *e;
	uint64_t newlines;
	size_t i;
	int r, err;

	job = chain_file_digest_start(fileno(rd->f), (uint64_t)sh->entries_off +
	    sh->entry_bytes, rd->key);
	diag_init(&parse);
	rd->diag = &parse;
	r = read_entries(rd, sh, b, ret_n, ret_lines);
	rd->diag = loud;
	if ((err = chain_file_digest_join(job, md, &newlines)) < 0) {
		errno = -err;
		r = read_error(rd);
	} else if (memcmp(md, sh->digest, sizeof(md)) != 0)
		r = digest_mismatch(rd, (unsigned)newlines + 1);
	else {
		for (i = 0; i < parse.n; i++) {
			e = &parse.v[i];
			diag_add(loud, e->severity, e->file, e->line,
			    e->column, "%s", e->message);
		}
	}
	diag_release(&parse);
	return r;
}

static int
load_file(struct reader *rd, struct baseline *b)
{
	struct file_shape sh;
	uint64_t n = 0;
	unsigned lines = 0;
	int r, quick;

	if ((quick = quick_shape(rd, b, &sh)) < 0)
		return quick;
	if (!quick) {
		if (fseeko(rd->f, 0, SEEK_SET) < 0)
			return read_error(rd);
		if ((r = scan_shape(rd, b, &sh)) < 0)
			return r;
	}
	/*
	 * Packed entries take about half their JSON size; an entry line is
	 * at least 100 bytes, which bounds what a lying count can reserve.
	 */
	baseline_reserve(b, (size_t)(sh.entry_bytes / 2));
	if (sh.count <= sh.entry_bytes / 100)
		baseline_presize(b, (size_t)sh.count);
	r = quick ? parse_digested(rd, b, &sh, &n, &lines) :
	    read_entries(rd, &sh, b, &n, &lines);
	if (r < 0)
		return r;
	if (changed_since(rd))
		return bad(rd, lines, 0, "the file changed while it was "
		    "read");
	if (n != sh.count)
		return bad(rd, 1, 0, "count mismatch: the header says %"
		    PRIu64 " entries, the file holds %" PRIu64, sh.count, n);
	return 0;
}

int
baseline_load(const char *path, struct baseline **ret, struct diag *diag)
{
	return baseline_load_keyed(path, NULL, ret, diag);
}

int
baseline_load_keyed(const char *path, const struct chain_key *key,
    struct baseline **ret, struct diag *diag)
{
	struct reader rd = { .file = path, .key = key, .diag = diag };
	struct baseline *b;
	int fd, r;

	/* O_NONBLOCK: a FIFO in its place must not hang the caller. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		r = -errno;
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot open: %s",
		    strerror(-r));
		return r;
	}
	if (fstat(fd, &rd.st) < 0) {
		r = -errno;
		close(fd);
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot stat: %s",
		    strerror(-r));
		return r;
	}
	if (!S_ISREG(rd.st.st_mode)) {
		close(fd);
		return bad(&rd, 0, 0, "not a regular file");
	}
	if ((rd.f = fdopen(fd, "r")) == NULL) {
		r = -errno;
		close(fd);
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot read: %s",
		    strerror(-r));
		return r;
	}
	(void)setvbuf(rd.f, NULL, _IOFBF, 1 << 20);
	b = baseline_new();
	r = load_file(&rd, b);
	free(rd.line);
	fclose(rd.f);
	if (r < 0) {
		baseline_free(b);
		return r;
	}
	baseline_shrink(b);
	*ret = b;
	return 0;
}
