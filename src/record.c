/*
 * A file's observed state, and its JSON form in the baseline.
 *
 * Baseline form (fimd.baseline(5)): stat fields always; "target",
 * "xattrs", "flags" and "hash" only when captured, so their presence is
 * what "known" means on the way back.  Times are exact "sec.nsec"
 * strings, not floats.  atime is stored only when captured explicitly
 * (a rule names it): it changes on every read and would only bloat the
 * file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "pathenc.h"
#include "record.h"
#include "xmalloc.h"

static const struct {
	uint32_t type;
	const char *name;
} record_types[] = {
	{ S_IFREG, "file" },
	{ S_IFDIR, "dir" },
	{ S_IFLNK, "symlink" },
	{ S_IFIFO, "fifo" },
	{ S_IFSOCK, "socket" },
	{ S_IFCHR, "chardev" },
	{ S_IFBLK, "blockdev" },
};

void
record_init(struct record *r)
{
	r->known = 0;
	r->mode = r->uid = r->gid = r->nlink = 0;
	r->size = r->inode = r->dev = 0;
	r->mtime = r->ctime = r->atime = r->btime = (struct fimd_time){ 0, 0 };
	r->flags = 0;
	r->link_target = NULL;
	r->xattrs = NULL;
	r->nxattrs = 0;
	r->algos = 0;
	r->hash_too_large = false;
	r->prefix_algos = 0;
}

static void
xattrs_free(struct xattr *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

void
record_release(struct record *r)
{
	free(r->link_target);
	xattrs_free(r->xattrs, r->nxattrs);
	record_init(r);
}

void
record_copy(struct record *dst, const struct record *src)
{
	size_t i;

	memcpy(dst, src, sizeof(*dst));
	if (src->link_target != NULL)
		dst->link_target = xstrdup(src->link_target);
	if (src->nxattrs > 0) {
		dst->xattrs = xcalloc(src->nxattrs, sizeof(*dst->xattrs));
		for (i = 0; i < src->nxattrs; i++) {
			dst->xattrs[i].name = xstrdup(src->xattrs[i].name);
			dst->xattrs[i].value = xmemdup(src->xattrs[i].value,
			    src->xattrs[i].len);
			dst->xattrs[i].len = src->xattrs[i].len;
		}
	} else
		dst->xattrs = NULL;
}

void
record_move(struct record *dst, struct record *src)
{
	if (dst == src)
		return;
	record_release(dst);
	memcpy(dst, src, sizeof(*dst));
	record_init(src);
}

const char *
record_type_name(uint32_t mode)
{
	size_t i;

	for (i = 0; i < sizeof(record_types) / sizeof(record_types[0]); i++) {
		if ((mode & S_IFMT) == record_types[i].type)
			return record_types[i].name;
	}
	return "unknown";
}

uint32_t
record_type_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(record_types) / sizeof(record_types[0]); i++) {
		if (strcmp(name, record_types[i].name) == 0)
			return record_types[i].type;
	}
	return 0;
}

void
fimd_time_rfc3339(const struct fimd_time *t, char out[FIMD_TIME_RFC3339_LEN])
{
	struct tm tm;
	time_t sec = (time_t)t->sec;
	size_t n;

	if (gmtime_r(&sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = strftime(out, FIMD_TIME_RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, FIMD_TIME_RFC3339_LEN - n, ".%06uZ",
	    (unsigned)(t->nsec / 1000) % 1000000);
}

/* ---- JSON form ---- */

static json_t *
time_to_json(const struct fimd_time *t)
{
	char s[40];

	snprintf(s, sizeof(s), "%" PRId64 ".%09" PRIu32, t->sec, t->nsec);
	return json_string(s);
}

static int
time_from_json(const json_t *v, struct fimd_time *ret)
{
	const char *s, *dot;
	char *end;
	long long sec;
	unsigned long ns;

	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if ((dot = strchr(s, '.')) == NULL || strlen(dot + 1) != 9)
		return -EINVAL;
	/* strtoll alone would take leading blanks and a plus sign. */
	if (!(s[0] >= '0' && s[0] <= '9') &&
	    !(s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
		return -EINVAL;
	errno = 0;
	sec = strtoll(s, &end, 10);
	if (errno != 0 || end != dot || end == s)
		return -EINVAL;
	ns = strtoul(dot + 1, &end, 10);
	if (*end != '\0' || ns >= 1000000000UL || dot[1] == '-' ||
	    dot[1] == '+')
		return -EINVAL;
	ret->sec = sec;
	ret->nsec = (uint32_t)ns;
	return 0;
}

/* A JSON string for arbitrary bytes: as is when UTF-8, else escaped. */
static void
set_bytes(json_t *obj, const char *key, const char *key_escaped,
    const char *s, size_t len)
{
	struct buf b;

	if (pathenc_is_utf8(s, len)) {
		json_object_set_new(obj, key, json_stringn(s, len));
		return;
	}
	buf_init(&b, BUF_MAX_DEFAULT);
	(void)pathenc_escape(s, len, &b);
	json_object_set_new(obj, key_escaped, json_stringn(b.data, b.len));
	buf_release(&b);
}

static json_t *
xattrs_to_json(const struct record *r)
{
	json_t *o = json_object();
	char *hex;
	size_t i;
	struct buf name;

	buf_init(&name, BUF_MAX_DEFAULT);
	for (i = 0; i < r->nxattrs; i++) {
		hex = xmalloc(2 * r->xattrs[i].len + 1);
		hash_hex(r->xattrs[i].value, r->xattrs[i].len, hex);
		buf_reset(&name);
		(void)pathenc_escape(r->xattrs[i].name,
		    strlen(r->xattrs[i].name), &name);
		json_object_set_new(o, name.data, json_string(hex));
		free(hex);
	}
	buf_release(&name);
	return o;
}

static json_t *
hashes_to_json(const struct record *r)
{
	char hex[2 * HASH_MAX_SIZE + 1];
	json_t *o = json_object();
	int a;

	for (a = 0; a < HASH_COUNT; a++) {
		if (!(r->algos & HASH_BIT(a)))
			continue;
		hash_hex(r->md[a], hash_size(a), hex);
		json_object_set_new(o, hash_name(a), json_string(hex));
	}
	return o;
}

json_t *
record_to_json(const struct record *r)
{
	json_t *o = json_object();
	char mode[16];

	json_object_set_new(o, "type", json_string(record_type_name(r->mode)));
	snprintf(mode, sizeof(mode), "%04o", r->mode & 07777);
	json_object_set_new(o, "mode", json_string(mode));
	json_object_set_new(o, "uid", json_integer(r->uid));
	json_object_set_new(o, "gid", json_integer(r->gid));
	json_object_set_new(o, "size", json_integer((json_int_t)r->size));
	json_object_set_new(o, "inode", json_integer((json_int_t)r->inode));
	json_object_set_new(o, "dev", json_integer((json_int_t)r->dev));
	json_object_set_new(o, "nlink", json_integer(r->nlink));
	json_object_set_new(o, "mtime", time_to_json(&r->mtime));
	json_object_set_new(o, "ctime", time_to_json(&r->ctime));
	if (r->btime.sec != 0 || r->btime.nsec != 0)
		json_object_set_new(o, "btime", time_to_json(&r->btime));
	if (r->known & ATTR_BIT(ATTR_ATIME))
		json_object_set_new(o, "atime", time_to_json(&r->atime));
	if ((r->known & ATTR_BIT(ATTR_LINK_TARGET)) && r->link_target != NULL)
		set_bytes(o, "target", "target_escaped", r->link_target,
		    strlen(r->link_target));
	if (r->known & ATTR_BIT(ATTR_FLAGS))
		json_object_set_new(o, "flags", json_integer(r->flags));
	if (r->known & ATTR_BIT(ATTR_XATTRS))
		json_object_set_new(o, "xattrs", xattrs_to_json(r));
	if (r->hash_too_large)
		json_object_set_new(o, "too_large", json_true());
	else if (r->known & ATTR_BIT(ATTR_HASH))
		json_object_set_new(o, "hash", hashes_to_json(r));
	return o;
}

static int
get_uint(const json_t *o, const char *key, uint64_t max, uint64_t *ret)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return -EINVAL;
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int
get_bytes(const json_t *o, const char *key, const char *key_escaped,
    char **ret)
{
	const json_t *v;
	struct buf b;

	if ((v = json_object_get(o, key)) != NULL) {
		if (!json_is_string(v) || memchr(json_string_value(v), '\0',
		    json_string_length(v)) != NULL)
			return -EINVAL;
		*ret = xstrndup(json_string_value(v), json_string_length(v));
		return 0;
	}
	if ((v = json_object_get(o, key_escaped)) == NULL)
		return -ENOENT;
	if (!json_is_string(v))
		return -EINVAL;
	buf_init(&b, BUF_MAX_DEFAULT);
	if (pathenc_unescape(json_string_value(v), json_string_length(v),
	    &b) < 0) {
		buf_release(&b);
		return -EINVAL;
	}
	*ret = buf_detach(&b, NULL);
	return 0;
}

static int
xattr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xattr *)a)->name,
	    ((const struct xattr *)b)->name);
}

static int
xattrs_from_json(const json_t *o, struct record *r)
{
	const char *key;
	json_t *v;
	struct buf name;
	size_t n, len, i;

	if (!json_is_object(o))
		return -EINVAL;
	if ((n = json_object_size(o)) == 0)
		return 0;	/* captured, and there are none */
	r->xattrs = xcalloc(n, sizeof(*r->xattrs));
	buf_init(&name, BUF_MAX_DEFAULT);
	json_object_foreach((json_t *)(uintptr_t)o, key, v) {
		buf_reset(&name);
		if (!json_is_string(v) || pathenc_unescape(key, strlen(key),
		    &name) < 0 || (json_string_length(v) & 1)) {
			buf_release(&name);
			return -EINVAL;
		}
		/* A name is a non-empty C string. */
		if (name.len == 0 ||
		    memchr(name.data, '\0', name.len) != NULL) {
			buf_release(&name);
			return -EINVAL;
		}
		len = json_string_length(v) / 2;
		r->xattrs[r->nxattrs].name = xstrndup(name.data, name.len);
		r->xattrs[r->nxattrs].value = xmalloc(len == 0 ? 1 : len);
		r->xattrs[r->nxattrs].len = len;
		r->nxattrs++;
		if (hash_unhex(json_string_value(v), 2 * len,
		    r->xattrs[r->nxattrs - 1].value, len) < 0) {
			buf_release(&name);
			return -EINVAL;
		}
	}
	buf_release(&name);
	if (r->nxattrs < 2)
		return 0;	/* qsort must not see the NULL of n == 0 */
	qsort(r->xattrs, r->nxattrs, sizeof(*r->xattrs), xattr_cmp);
	/* Two spellings of one name ("a" and "\\x61") would be a duplicate. */
	for (i = 1; i < r->nxattrs; i++) {
		if (strcmp(r->xattrs[i - 1].name, r->xattrs[i].name) == 0)
			return -EINVAL;
	}
	return 0;
}

static int
hashes_from_json(const json_t *o, struct record *r)
{
	const char *key;
	json_t *v;
	int a;

	if (!json_is_object(o))
		return -EINVAL;
	json_object_foreach((json_t *)(uintptr_t)o, key, v) {
		if ((a = hash_from_name(key)) < 0 || !json_is_string(v) ||
		    hash_unhex(json_string_value(v), json_string_length(v),
		    r->md[a], hash_size(a)) < 0)
			return -EINVAL;
		r->algos |= HASH_BIT(a);
	}
	return 0;
}

/* Octal permission bits: one to six octal digits, at most 07777. */
static int
parse_mode(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '7' || i == 6)
			return -EINVAL;
		v = v * 8 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || v > 07777)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
record_stat_from_json(const json_t *obj, struct record *r,
    const char **errmsg)
{
	const json_t *v;
	uint64_t mode, uid, gid, nlink;
	uint32_t type;

	v = json_object_get(obj, "type");
	if (!json_is_string(v) ||
	    (type = record_type_from_name(json_string_value(v))) == 0)
		return *errmsg = "bad or missing \"type\"", -EINVAL;
	v = json_object_get(obj, "mode");
	if (!json_is_string(v) || parse_mode(json_string_value(v), &mode) < 0)
		return *errmsg = "bad or missing \"mode\"", -EINVAL;
	r->mode = type | (uint32_t)mode;
	if (get_uint(obj, "uid", UINT32_MAX, &uid) < 0 ||
	    get_uint(obj, "gid", UINT32_MAX, &gid) < 0 ||
	    get_uint(obj, "nlink", UINT32_MAX, &nlink) < 0 ||
	    get_uint(obj, "size", INT64_MAX, &r->size) < 0 ||
	    get_uint(obj, "inode", INT64_MAX, &r->inode) < 0 ||
	    get_uint(obj, "dev", INT64_MAX, &r->dev) < 0)
		return *errmsg = "bad or missing number", -EINVAL;
	r->uid = (uint32_t)uid;
	r->gid = (uint32_t)gid;
	r->nlink = (uint32_t)nlink;
	if (time_from_json(json_object_get(obj, "mtime"), &r->mtime) < 0 ||
	    time_from_json(json_object_get(obj, "ctime"), &r->ctime) < 0)
		return *errmsg = "bad or missing time", -EINVAL;
	if ((v = json_object_get(obj, "btime")) != NULL &&
	    time_from_json(v, &r->btime) < 0)
		return *errmsg = "bad \"btime\"", -EINVAL;
	r->known = RECORD_STAT_BITS;
	if ((v = json_object_get(obj, "atime")) != NULL) {
		if (time_from_json(v, &r->atime) < 0)
			return *errmsg = "bad \"atime\"", -EINVAL;
		r->known |= ATTR_BIT(ATTR_ATIME);
	}
	return 0;
}

static int
record_extra_from_json(const json_t *obj, struct record *r,
    const char **errmsg)
{
	const json_t *v;
	uint64_t flags;
	int k;

	k = get_bytes(obj, "target", "target_escaped", &r->link_target);
	if (k == -EINVAL)
		return *errmsg = "bad \"target\"", -EINVAL;
	if (k == 0)
		r->known |= ATTR_BIT(ATTR_LINK_TARGET);
	if (json_object_get(obj, "flags") != NULL) {
		if (get_uint(obj, "flags", UINT32_MAX, &flags) < 0)
			return *errmsg = "bad \"flags\"", -EINVAL;
		r->flags = (uint32_t)flags;
		r->known |= ATTR_BIT(ATTR_FLAGS);
	}
	if ((v = json_object_get(obj, "xattrs")) != NULL) {
		if (xattrs_from_json(v, r) < 0)
			return *errmsg = "bad \"xattrs\"", -EINVAL;
		r->known |= ATTR_BIT(ATTR_XATTRS);
	}
	if ((v = json_object_get(obj, "too_large")) != NULL) {
		if (!json_is_true(v))
			return *errmsg = "bad \"too_large\"", -EINVAL;
		r->hash_too_large = true;
		r->known |= ATTR_BIT(ATTR_HASH);
	}
	if ((v = json_object_get(obj, "hash")) != NULL) {
		if (hashes_from_json(v, r) < 0)
			return *errmsg = "bad \"hash\"", -EINVAL;
		r->known |= ATTR_BIT(ATTR_HASH);
	}
	return 0;
}

int
record_from_json(const json_t *obj, struct record *ret, const char **errmsg)
{
	const char *dummy;
	int r;

	if (errmsg == NULL)
		errmsg = &dummy;
	record_init(ret);
	if (!json_is_object(obj)) {
		*errmsg = "entry is not an object";
		return -EINVAL;
	}
	if ((r = record_stat_from_json(obj, ret, errmsg)) < 0 ||
	    (r = record_extra_from_json(obj, ret, errmsg)) < 0) {
		record_release(ret);
		return r;
	}
	return 0;
}
