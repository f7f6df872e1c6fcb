/*
 * baseline: the file form (fimd.baseline(5)).
 *
 * Saving walks the entries in path order and writes one compact JSON
 * object per line through a large buffer into an atomicfile, feeding the
 * same bytes to SHA-256; the trailer line carries that digest.  Loading
 * reads the file in one go, checks the header, the trailer and the
 * digest before looking at any entry, then parses one line at a time
 * into a fresh baseline that is only handed out once everything checked.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "atomicfile.h"
#include "baseline_int.h"
#include "buf.h"
#include "hash.h"
#include "pathenc.h"
#include "xmalloc.h"

#define WBUF_SIZE	(1024 * 1024)
#define ENTRIES_KEY	",\"entries\":["
#define TRAILER_HEAD	"],\"digest\":\"sha256:"
#define TRAILER_TAIL	"\"}"
#define DIGEST_HEX	(2 * 32)

/* ---- save ---- */

struct writer {
	int	 fd;
	EVP_MD_CTX *md;
	struct buf out;
	int	 error;		/* first -errno */
};

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write out the buffer; hashed unless it is the trailer. */
static void
writer_flush(struct writer *w, bool hashed)
{
	int r;

	if (w->error == 0 && w->out.len > 0) {
		if (hashed && EVP_DigestUpdate(w->md, w->out.data,
		    w->out.len) != 1)
			w->error = -EIO;
		else if ((r = write_all(w->fd, w->out.data, w->out.len)) < 0)
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
	/* No closing brace: the entries array continues the object. */
	writer_add(w, "{", 1);
	bjson_dump_members(&w->out, h);
	json_decref(h);
	writer_add(w, ENTRIES_KEY "\n", sizeof(ENTRIES_KEY));
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
write_trailer(struct writer *w)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned mdlen = 0;

	writer_flush(w, true);
	if (w->error != 0)
		return w->error;
	if (EVP_DigestFinal_ex(w->md, md, &mdlen) != 1 || mdlen != 32)
		return -EIO;
	hash_hex(md, mdlen, hex);
	writer_add(w, TRAILER_HEAD, sizeof(TRAILER_HEAD) - 1);
	writer_add(w, hex, DIGEST_HEX);
	writer_add(w, TRAILER_TAIL "\n", sizeof(TRAILER_TAIL));
	writer_flush(w, false);
	return w->error;
}

int
baseline_save(const struct baseline *b, const char *path, struct diag *diag)
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
	if ((w.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(w.md, EVP_sha256(), NULL) != 1) {
		r = -ENOMEM;
		goto fail;
	}
	write_header(&w, b);
	write_entries(&w, b);
	if ((r = write_trailer(&w)) < 0)
		goto fail;
	EVP_MD_CTX_free(w.md);
	buf_release(&w.out);
	if ((r = atomicfile_commit(&af)) < 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0,
		    "cannot replace the baseline: %s", strerror(-r));
		return r;
	}
	return 0;

fail:
	EVP_MD_CTX_free(w.md);
	buf_release(&w.out);
	atomicfile_rollback(&af);
	diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot write the baseline: %s",
	    strerror(-r));
	return r;
}

/* ---- load ---- */

struct reader {
	const char *file;	/* for diagnostics */
	const char *data;
	size_t	 size;
	struct diag *diag;
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

/* Parse the header line [0, len) into b; sets *count. */
static int
read_header(struct reader *rd, size_t len, struct baseline *b,
    uint64_t *count)
{
	const size_t klen = sizeof(ENTRIES_KEY) - 1;
	json_error_t err;
	struct buf hb;
	json_t *h;
	const json_t *v;
	const char *created, *host, *digest;
	bool ok = true;
	int r = 0;

	if (len < klen || memcmp(rd->data + len - klen, ENTRIES_KEY,
	    klen) != 0)
		return refuse_foreign(rd);
	buf_init(&hb, BUF_MAX_DEFAULT);
	(void)buf_add(&hb, rd->data, len - klen);
	(void)buf_addc(&hb, '}');
	h = json_loadb(hb.data, hb.len, 0, &err);
	buf_release(&hb);
	if (h == NULL || !json_is_object(h)) {
		json_decref(h);
		return refuse_foreign(rd);
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
 * Find the trailer (the last line) and check the digest of everything
 * before it.  *ret_start gets the trailer's offset.
 */
static int
check_trailer(struct reader *rd, unsigned lines, size_t *ret_start)
{
	const size_t hlen = sizeof(TRAILER_HEAD) - 1;
	const size_t tlen = hlen + DIGEST_HEX + sizeof(TRAILER_TAIL) - 1;
	unsigned char md[32], want[32];
	const char *t;
	size_t start, end;

	if (rd->data[rd->size - 1] != '\n')
		return bad(rd, lines, 0, "truncated: the file ends in the "
		    "middle of a line, without the digest trailer");
	end = rd->size - 1;
	start = end;
	while (start > 0 && rd->data[start - 1] != '\n')
		start--;
	t = rd->data + start;
	if (end - start != tlen || memcmp(t, TRAILER_HEAD, hlen) != 0 ||
	    !is_hex(t + hlen, DIGEST_HEX) ||
	    memcmp(t + hlen + DIGEST_HEX, TRAILER_TAIL,
	    sizeof(TRAILER_TAIL) - 1) != 0 || start == 0)
		return bad(rd, lines, 0, "truncated: the last line is not the "
		    "digest trailer");
	if (hash_unhex(t + hlen, DIGEST_HEX, want, sizeof(want)) < 0 ||
	    hash_buffer(HASH_SHA256, rd->data, start, md) < 0)
		return bad(rd, lines, 0, "cannot check the digest");
	if (memcmp(md, want, sizeof(md)) != 0)
		return bad(rd, lines, 0, "digest mismatch: the baseline was "
		    "changed after fimd wrote it (tampered or corrupted)");
	*ret_start = start;
	return 0;
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

/* Parse the entry lines in [from, to); *ret_n gets how many. */
static int
read_entries(struct reader *rd, size_t from, size_t to, struct baseline *b,
    uint64_t *ret_n)
{
	struct buf path[2];
	struct record rec;
	json_t *o;
	const char *line, *nl, *msg;
	size_t len, col;
	unsigned lineno = 2;
	uint64_t n = 0;
	int cur = 0, r = 0;

	buf_init(&path[0], BUF_MAX_DEFAULT);
	buf_init(&path[1], BUF_MAX_DEFAULT);
	for (; from < to; from += len + 1, lineno++) {
		line = rd->data + from;
		nl = memchr(line, '\n', to - from);
		len = (size_t)(nl - line);
		/* Every entry but the last ends in a comma. */
		if (from + len + 1 < to) {
			if (len == 0 || line[len - 1] != ',') {
				r = bad(rd, lineno, 0, "entry does not end "
				    "in ','");
				break;
			}
			r = bjson_parse(line, len - 1, &o, &col, &msg);
		} else
			r = bjson_parse(line, len, &o, &col, &msg);
		if (r < 0) {
			r = bad(rd, lineno, (unsigned)col, "entry is not "
			    "JSON: %s", msg);
			break;
		}
		if (!json_is_object(o) || entry_path(o, &path[cur]) < 0) {
			json_decref(o);
			r = bad(rd, lineno, 0, "bad entry: bad or missing "
			    "\"path\"");
			break;
		}
		if (record_from_json(o, &rec, &msg) < 0) {
			json_decref(o);
			r = bad(rd, lineno, 0, "bad entry: %s", msg);
			break;
		}
		json_decref(o);
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
	return r;
}

static int
load_buffer(struct reader *rd, struct baseline *b)
{
	const char *nl;
	size_t trailer = 0, hlen, p;
	uint64_t count = 0, n;
	unsigned lines = 0;
	int r;

	if (rd->size == 0)
		return bad(rd, 1, 0, "empty file, not a fimd baseline");
	for (p = 0; p < rd->size; lines++) {
		nl = memchr(rd->data + p, '\n', rd->size - p);
		if (nl == NULL) {
			lines++;
			break;
		}
		p = (size_t)(nl - rd->data) + 1;
	}
	nl = memchr(rd->data, '\n', rd->size);
	hlen = nl != NULL ? (size_t)(nl - rd->data) : rd->size;
	if ((r = read_header(rd, hlen, b, &count)) < 0)
		return r;
	if ((r = check_trailer(rd, lines, &trailer)) < 0)
		return r;
	/*
	 * Packed entries take about half their JSON size; an entry line is
	 * at least 100 bytes, which bounds what a lying count can reserve.
	 */
	baseline_reserve(b, (trailer - hlen) / 2);
	if (count <= (trailer - hlen) / 100)
		baseline_presize(b, (size_t)count);
	if ((r = read_entries(rd, hlen + 1, trailer, b, &n)) < 0)
		return r;
	if (n != count)
		return bad(rd, 1, 0, "count mismatch: the header says %"
		    PRIu64 " entries, the file holds %" PRIu64, count, n);
	return 0;
}

/* Read all of fd (size bytes expected) into a new buffer. */
static int
read_all(int fd, size_t size, char **ret, size_t *ret_len)
{
	char *data = xmalloc(size + 1);
	size_t len = 0;
	ssize_t n;

	/* Read until EOF: the file may have grown since fstat. */
	for (;;) {
		if (len == size) {
			size = size + size / 2 + 4096;
			data = xreallocarray(data, size + 1, 1);
		}
		n = read(fd, data + len, size - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			free(data);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = data;
	*ret_len = len;
	return 0;
}

int
baseline_load(const char *path, struct baseline **ret, struct diag *diag)
{
	struct reader rd = { .file = path, .diag = diag };
	struct baseline *b;
	struct stat st;
	char *data = NULL;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot open: %s",
		    strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot stat: %s",
		    strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return bad(&rd, 0, 0, "not a regular file");
	}
	/*
	 * One read into a buffer rather than mmap: a file cut short under
	 * us must give a diagnostic, not SIGBUS.
	 */
	r = read_all(fd, (size_t)st.st_size, &data, &rd.size);
	close(fd);
	if (r < 0) {
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot read: %s",
		    strerror(-r));
		return r;
	}
	rd.data = data;
	b = baseline_new();
	r = load_buffer(&rd, b);
	free(data);
	if (r < 0) {
		baseline_free(b);
		return r;
	}
	baseline_shrink(b);
	*ret = b;
	return 0;
}
