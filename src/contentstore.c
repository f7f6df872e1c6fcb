/*
 * contentstore: copies of redacted texts, in memory and in their own
 * file beside the baseline (contentstore.h).
 *
 * In memory each copy stays compressed (zlib's deflate, default level):
 * configuration files shrink to a third or less, and a copy is only
 * inflated when an alert needs it.  The file is one JSON object per
 * line with the compressed bytes in base64 (OpenSSL's EVP_EncodeBlock),
 * read whole and checked (header, count, trailer digest) before any copy
 * is taken into the new store.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "atomicfile.h"
#include "contentstore.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "pathenc.h"
#include "pathmap.h"
#include "xmalloc.h"

#define FORMAT_VERSION	1
/* A store file is read whole; copies are bounded, so is the file. */
#define FILE_MAX	((size_t)1 << 30)

struct copy {
	char	*path;		/* key bytes, NUL-terminated; owned */
	size_t	 pathlen;
	char	*digest;	/* owned */
	unsigned char *z;	/* deflated text; owned */
	size_t	 zlen;
	size_t	 size;		/* inflated length */
};

struct contentstore {
	struct pathmap *map;	/* path -> struct copy */
};

static void
copy_free(struct copy *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->digest);
	free(c->z);
	free(c);
}

struct contentstore *
contentstore_new(void)
{
	struct contentstore *cs = xcalloc(1, sizeof(*cs));

	cs->map = pathmap_new();
	return cs;
}

static bool
free_one(const char *key, size_t len, void *value, void *arg)
{
	(void)key;
	(void)len;
	(void)arg;
	copy_free(value);
	return true;
}

void
contentstore_free(struct contentstore *cs)
{
	if (cs == NULL)
		return;
	pathmap_foreach(cs->map, free_one, NULL);
	pathmap_free(cs->map);
	free(cs);
}

char *
contentstore_path(const char *baseline_path)
{
	return xasprintf("%s%s", baseline_path, CONTENTSTORE_SUFFIX);
}

size_t
contentstore_count(const struct contentstore *cs)
{
	return pathmap_count(cs->map);
}

/* Take c into the store, replacing what path had. */
static void
store_take(struct contentstore *cs, struct copy *c)
{
	copy_free(pathmap_remove(cs->map, c->path, c->pathlen));
	(void)pathmap_put(cs->map, c->path, c->pathlen, c);
}

void
contentstore_put(struct contentstore *cs, const char *path, size_t pathlen,
    const char *digest, const char *text, size_t len)
{
	struct copy *c = xcalloc(1, sizeof(*c));
	uLongf zlen = compressBound((uLong)len);

	c->path = xstrndup(path, pathlen);
	c->pathlen = pathlen;
	c->digest = xstrdup(strlen(digest) <= CONTENTSTORE_DIGEST_MAX ?
	    digest : "");
	c->z = xmalloc(zlen);
	if (compress2(c->z, &zlen, (const Bytef *)text, (uLong)len,
	    Z_DEFAULT_COMPRESSION) != Z_OK)
		fatalx("out of memory");
	c->zlen = zlen;
	c->size = len;
	store_take(cs, c);
}

int
contentstore_get(const struct contentstore *cs, const char *path,
    size_t pathlen, struct buf *text, const char **ret_digest)
{
	const struct copy *c = pathmap_get(cs->map, path, pathlen);
	uLongf n;
	size_t old;
	int r;

	if (c == NULL)
		return -ENOENT;
	if (text != NULL) {
		old = text->len;
		if ((r = buf_reserve(text, c->size)) < 0)
			return r;
		n = (uLongf)c->size;
		if (c->size > 0 && (uncompress((Bytef *)text->data + old, &n,
		    c->z, (uLong)c->zlen) != Z_OK || n != c->size)) {
			text->data[old] = '\0';
			return -EBADMSG;
		}
		text->len = old + c->size;
		text->data[text->len] = '\0';
	}
	if (ret_digest != NULL)
		*ret_digest = c->digest;
	return 0;
}

bool
contentstore_remove(struct contentstore *cs, const char *path,
    size_t pathlen)
{
	struct copy *c = pathmap_remove(cs->map, path, pathlen);

	copy_free(c);
	return c != NULL;
}

bool
contentstore_rename(struct contentstore *cs, const char *from,
    size_t fromlen, const char *to, size_t tolen)
{
	struct copy *c = pathmap_remove(cs->map, from, fromlen);

	if (c == NULL)
		return false;
	free(c->path);
	c->path = xstrndup(to, tolen);
	c->pathlen = tolen;
	store_take(cs, c);
	return true;
}

struct collect {
	struct copy **v;
	size_t	 n;
};

static bool
collect_one(const char *key, size_t len, void *value, void *arg)
{
	struct collect *cl = arg;

	(void)key;
	(void)len;
	cl->v[cl->n++] = value;
	return true;
}

static int
by_path(const void *x, const void *y)
{
	const struct copy *a = *(struct copy *const *)x;
	const struct copy *b = *(struct copy *const *)y;
	size_t n = a->pathlen < b->pathlen ? a->pathlen : b->pathlen;
	int c = memcmp(a->path, b->path, n);

	if (c != 0)
		return c;
	return a->pathlen < b->pathlen ? -1 : a->pathlen > b->pathlen;
}

/* Every copy, sorted by path: a new array (free()) of borrowed copies. */
static struct copy **
sorted(const struct contentstore *cs, size_t *ret_n)
{
	struct collect cl;

	cl.v = xreallocarray(NULL, pathmap_count(cs->map) + 1,
	    sizeof(*cl.v));
	cl.n = 0;
	pathmap_foreach(cs->map, collect_one, &cl);
	qsort(cl.v, cl.n, sizeof(*cl.v), by_path);
	*ret_n = cl.n;
	return cl.v;
}

size_t
contentstore_prune(struct contentstore *cs,
    bool (*keep)(const char *path, size_t len, void *arg), void *arg)
{
	struct copy **v;
	size_t n, i, dropped = 0;

	v = sorted(cs, &n);
	for (i = 0; i < n; i++)
		if (!keep(v[i]->path, v[i]->pathlen, arg)) {
			(void)contentstore_remove(cs, v[i]->path,
			    v[i]->pathlen);
			dropped++;
		}
	free(v);
	return dropped;
}

/* ---- the file ---- */

static void
add_line(struct buf *out, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (s == NULL)
		fatalx("out of memory");
	(void)buf_adds(out, s);
	(void)buf_addc(out, '\n');
	free(s);
	json_decref(o);
}

static json_t *
copy_json(const struct copy *c)
{
	json_t *o = json_object();
	struct buf p;
	char *b64 = xmalloc(4 * ((c->zlen + 2) / 3) + 1);

	buf_init(&p, BUF_MAX_DEFAULT);
	if (pathenc_is_utf8(c->path, c->pathlen))
		json_object_set_new(o, "path", json_stringn(c->path,
		    c->pathlen));
	else {
		(void)pathenc_escape(c->path, c->pathlen, &p);
		json_object_set_new(o, "path_escaped", json_stringn(p.data,
		    p.len));
	}
	json_object_set_new(o, "digest", json_string(c->digest));
	json_object_set_new(o, "size", json_integer((json_int_t)c->size));
	(void)EVP_EncodeBlock((unsigned char *)b64, c->z, (int)c->zlen);
	json_object_set_new(o, "zlib", json_string(b64));
	free(b64);
	buf_release(&p);
	return o;
}

/* The whole file's text for cs: a new string in out. */
static void
render(const struct contentstore *cs, const struct chain_key *key,
    struct buf *out)
{
	unsigned char md[CHAIN_MD_LEN];
	char hex[CHAIN_HEX_LEN + 1];
	struct chain_mac *m;
	struct copy **v;
	size_t n, i;
	char *trailer;

	v = sorted(cs, &n);
	add_line(out, json_pack("{s:i,s:I}", "fimd_copies", FORMAT_VERSION,
	    "count", (json_int_t)n));
	for (i = 0; i < n; i++)
		add_line(out, copy_json(v[i]));
	free(v);
	m = chain_mac_new(key);
	chain_mac_update(m, out->data, out->len);
	chain_mac_final(m, md);
	chain_mac_free(m);
	hash_hex(md, sizeof(md), hex);
	trailer = xasprintf("{\"digest\":\"%s:%s\"}\n", chain_algorithm(key),
	    hex);
	(void)buf_adds(out, trailer);
	free(trailer);
}

int
contentstore_save(const struct contentstore *cs, const char *path,
    const struct chain_key *key, struct diag *diag)
{
	struct atomicfile af;
	struct buf out;
	int r;

	if (contentstore_count(cs) == 0) {
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot remove: "
			    "%s", strerror(-r));
			return r;
		}
		return 0;
	}
	buf_init(&out, BUF_MAX_DEFAULT);
	render(cs, key, &out);
	if (out.len >= BUF_MAX_DEFAULT)
		r = -EFBIG;
	else if ((r = atomicfile_open(&af, path, 0600)) == 0) {
		if ((r = fileio_write_all(af.fd, out.data, out.len)) < 0)
			atomicfile_rollback(&af);
		else
			r = atomicfile_commit(&af);
	}
	buf_release(&out);
	if (r < 0)
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot write: %s",
		    strerror(-r));
	return r;
}

/* ---- loading ---- */

struct reader {
	const char *path;
	struct diag *diag;
	unsigned line;
};

static int
bad(struct reader *rd, const char *what)
{
	diag_add(rd->diag, DIAG_ERROR, rd->path, rd->line, 0,
	    "not a valid fimd content store: %s", what);
	return -EBADMSG;
}

/* The bytes of one copy's base64 "zlib" value; false when malformed. */
static bool
decode_z(const char *b64, size_t len, struct copy *c)
{
	int n;
	size_t pad = 0;

	if (len % 4 != 0 || len > FILE_MAX)
		return false;
	c->z = xmalloc(len / 4 * 3 + 1);
	if ((n = EVP_DecodeBlock(c->z, (const unsigned char *)b64,
	    (int)len)) < 0)
		return false;
	while (pad < 2 && len > pad && b64[len - 1 - pad] == '=')
		pad++;
	c->zlen = (size_t)n - pad;
	return true;
}

static bool
entry_path(const json_t *o, struct copy *c)
{
	const json_t *p = json_object_get(o, "path");
	const json_t *e = json_object_get(o, "path_escaped");
	struct buf b;
	bool ok;

	buf_init(&b, BUF_MAX_DEFAULT);
	if (json_is_string(p) && e == NULL)
		ok = buf_add(&b, json_string_value(p),
		    json_string_length(p)) == 0;
	else if (json_is_string(e) && p == NULL)
		ok = pathenc_unescape(json_string_value(e),
		    json_string_length(e), &b) == 0;
	else
		ok = false;
	ok = ok && b.len > 0 && b.data[0] == '/' &&
	    memchr(b.data, '\0', b.len) == NULL;
	if (ok)
		c->path = buf_detach(&b, &c->pathlen);
	buf_release(&b);
	return ok;
}

/* One copy's line into a new copy, or NULL when it is malformed. */
static struct copy *
parse_copy(const char *s, size_t len)
{
	json_t *o = json_loadb(s, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *d, *n, *z;
	struct copy *c = xcalloc(1, sizeof(*c));
	bool ok;

	d = json_object_get(o, "digest");
	n = json_object_get(o, "size");
	z = json_object_get(o, "zlib");
	ok = json_is_object(o) && json_object_size(o) == 4 &&
	    json_is_string(d) && json_string_length(d) <=
	    CONTENTSTORE_DIGEST_MAX && json_is_integer(n) &&
	    json_integer_value(n) >= 0 &&
	    (uint64_t)json_integer_value(n) <= CONTENTSTORE_TEXT_MAX &&
	    json_is_string(z) && entry_path(o, c) &&
	    decode_z(json_string_value(z), json_string_length(z), c);
	if (ok) {
		c->digest = xstrdup(json_string_value(d));
		c->size = (size_t)json_integer_value(n);
	}
	json_decref(o);
	if (!ok) {
		copy_free(c);
		return NULL;
	}
	return c;
}

/* Check the header line; its count into *ret_count. */
static int
read_header(struct reader *rd, const char *s, size_t len, size_t *ret_count)
{
	json_t *o = json_loadb(s, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *v = json_object_get(o, "fimd_copies");
	const json_t *n = json_object_get(o, "count");
	int r = 0;

	if (!json_is_integer(v) || json_object_size(o) != 2)
		r = bad(rd, "no fimd_copies header");
	else if (json_integer_value(v) != FORMAT_VERSION)
		r = bad(rd, "unknown format version");
	else if (!json_is_integer(n) || json_integer_value(n) < 0)
		r = bad(rd, "no count");
	else
		*ret_count = (size_t)json_integer_value(n);
	json_decref(o);
	return r;
}

/* Check the trailer t (the last line) against the bytes before it. */
static int
check_trailer(struct reader *rd, const char *t, size_t tlen,
    const char *body, size_t blen, const struct chain_key *key)
{
	unsigned char md[CHAIN_MD_LEN];
	char hex[CHAIN_HEX_LEN + 1];
	struct chain_mac *m;
	char *want;
	int r = 0;

	m = chain_mac_new(key);
	chain_mac_update(m, body, blen);
	chain_mac_final(m, md);
	chain_mac_free(m);
	hash_hex(md, sizeof(md), hex);
	want = xasprintf("{\"digest\":\"%s:%s\"}", chain_algorithm(key), hex);
	if (tlen != strlen(want) || memcmp(t, want, tlen) != 0)
		r = bad(rd, tlen > 12 && memcmp(t, "{\"digest\":\"", 11) ==
		    0 ? "its digest does not match (changed, or written "
		    "under another chain_key)" : "no digest trailer");
	free(want);
	return r;
}

static int
read_copies(struct reader *rd, const char *s, size_t len, size_t count,
    struct contentstore *cs)
{
	size_t pos = 0, n;
	const char *nl;
	struct copy *c;

	while (pos < len) {
		nl = memchr(s + pos, '\n', len - pos);
		n = (size_t)(nl - (s + pos));
		rd->line++;
		if ((c = parse_copy(s + pos, n)) == NULL)
			return bad(rd, "a malformed copy");
		if (pathmap_get(cs->map, c->path, c->pathlen) != NULL) {
			copy_free(c);
			return bad(rd, "a path given twice");
		}
		store_take(cs, c);
		pos += n + 1;
	}
	if (contentstore_count(cs) != count)
		return bad(rd, "the count does not match its copies");
	return 0;
}

/* Parse text[0..len) into cs. */
static int
parse_file(struct reader *rd, const char *text, size_t len,
    const struct chain_key *key, struct contentstore *cs)
{
	const char *hnl, *tl;
	size_t count = 0, blen;
	int r;

	rd->line = 1;
	if (len == 0 || text[len - 1] != '\n' ||
	    (hnl = memchr(text, '\n', len)) == NULL)
		return bad(rd, "truncated");
	if ((r = read_header(rd, text, (size_t)(hnl - text), &count)) < 0)
		return r;
	/* The trailer: the last line. */
	tl = text + len - 1;
	while (tl > text && tl[-1] != '\n')
		tl--;
	if (tl <= hnl)
		return bad(rd, "truncated");
	blen = (size_t)(tl - text);
	if ((r = check_trailer(rd, tl, len - 1 - blen, text, blen, key)) < 0)
		return r;
	return read_copies(rd, hnl + 1, blen - (size_t)(hnl + 1 - text),
	    count, cs);
}

int
contentstore_load(const char *path, const struct chain_key *key,
    struct contentstore **ret, struct diag *diag)
{
	struct reader rd = { path, diag, 0 };
	struct contentstore *cs;
	char *text;
	size_t len;
	int r;

	if ((r = fileio_read_path(path, FILE_MAX, &text, &len)) < 0) {
		if (r != -ENOENT)
			diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot read: "
			    "%s", strerror(-r));
		return r;
	}
	cs = contentstore_new();
	if ((r = parse_file(&rd, text, len, key, cs)) < 0) {
		contentstore_free(cs);
		cs = NULL;
	}
	free(text);
	if (r == 0)
		*ret = cs;
	return r;
}
