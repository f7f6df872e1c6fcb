/*
 * The attribute table's codecs: a record to and from its baseline JSON
 * form, and to and from the packed form the in-memory baseline keeps.
 * Both walk the table (attr_int.h) and act by each row's kind, so a new
 * attribute of an existing kind needs no code here.
 *
 * Baseline form (fimd.baseline(5)): the statx attributes always (btime
 * only when the filesystem has one), the others only when captured, so
 * their presence is what "known" means on the way back.  Times are exact
 * "sec.nsec" strings, not floats.  atime is stored only when captured
 * explicitly (a rule names it): it changes on every read and would only
 * bloat the file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attr_int.h"
#include "buf.h"
#include "pathenc.h"
#include "varint.h"
#include "xmalloc.h"

/* ---- JSON ---- */

static json_t *
time_to_json(const struct fimd_time *t)
{
	char s[40];

	snprintf(s, sizeof(s), "%" PRId64 ".%09" PRIu32, t->sec, t->nsec);
	return json_string(s);
}

int
attr_time_parse(const char *s, struct fimd_time *ret)
{
	const char *dot;
	char *end;
	long long sec;
	unsigned long ns;

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

static int
time_from_json(const json_t *v, struct fimd_time *ret)
{
	if (!json_is_string(v))
		return -EINVAL;
	return attr_time_parse(json_string_value(v), ret);
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
int
attr_mode_parse(const char *s, uint64_t *ret)
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

static const void *
cfield(const struct record *r, const struct attr_info *ai)
{
	return (const char *)r + ai->offset;
}

/* Whether attribute a of r belongs in the baseline form. */
static bool
attr_stored(enum attr_id a, const struct record *r)
{
	const struct attr_info *ai = &attr_table[a];

	switch (ai->kind) {
	case ATTR_KIND_BTIME:
		return r->btime.sec != 0 || r->btime.nsec != 0;
	case ATTR_KIND_TARGET:
		return (r->known & ATTR_BIT(a)) && r->link_target != NULL;
	case ATTR_KIND_HASH:
		return (r->known & ATTR_BIT(a)) || r->hash_too_large;
	default:
		return (RECORD_STAT_BITS & ATTR_BIT(a)) ||
		    (r->known & ATTR_BIT(a));
	}
}

static void
attr_put_json(enum attr_id a, const struct record *r, json_t *o)
{
	const struct attr_info *ai = &attr_table[a];
	char mode[16];

	switch (ai->kind) {
	case ATTR_KIND_TYPE:
		json_object_set_new(o, ai->key,
		    json_string(record_type_name(r->mode)));
		break;
	case ATTR_KIND_MODE:
		snprintf(mode, sizeof(mode), "%04o", r->mode & 07777);
		json_object_set_new(o, ai->key, json_string(mode));
		break;
	case ATTR_KIND_U32:
		json_object_set_new(o, ai->key, json_integer(
		    *(const uint32_t *)cfield(r, ai)));
		break;
	case ATTR_KIND_U64:
		json_object_set_new(o, ai->key, json_integer((json_int_t)
		    *(const uint64_t *)cfield(r, ai)));
		break;
	case ATTR_KIND_TIME:
	case ATTR_KIND_BTIME:
		json_object_set_new(o, ai->key, time_to_json(cfield(r, ai)));
		break;
	case ATTR_KIND_HASH:
		if (r->hash_too_large)
			json_object_set_new(o, "too_large", json_true());
		else
			json_object_set_new(o, ai->key, hashes_to_json(r));
		break;
	case ATTR_KIND_TARGET:
		set_bytes(o, ai->key, "target_escaped", r->link_target,
		    strlen(r->link_target));
		break;
	case ATTR_KIND_XATTRS:
		json_object_set_new(o, ai->key, xattrs_to_json(r));
		break;
	}
}

json_t *
record_to_json(const struct record *r)
{
	json_t *o = json_object();
	int a;

	for (a = 0; a < ATTR_COUNT; a++) {
		if (attr_stored(a, r))
			attr_put_json(a, r, o);
	}
	json_object_set_new(o, "dev", json_integer((json_int_t)r->dev));
	return o;
}

/* The row's value from obj into r; 0, -ENOENT (absent) or -EINVAL. */
static int
attr_get_json(enum attr_id a, const json_t *obj, struct record *r)
{
	const struct attr_info *ai = &attr_table[a];
	const json_t *v = json_object_get(obj, ai->key);
	uint64_t n;
	uint32_t type;
	int k;

	switch (ai->kind) {
	case ATTR_KIND_TYPE:
		if (v == NULL)
			return -ENOENT;
		if (!json_is_string(v) || (type = record_type_from_name(
		    json_string_value(v))) == 0)
			return -EINVAL;
		r->mode = (r->mode & 07777) | type;
		return 0;
	case ATTR_KIND_MODE:
		if (v == NULL)
			return -ENOENT;
		if (!json_is_string(v) ||
		    attr_mode_parse(json_string_value(v), &n) < 0)
			return -EINVAL;
		r->mode = (r->mode & S_IFMT) | (uint32_t)n;
		return 0;
	case ATTR_KIND_U32:
	case ATTR_KIND_U64:
		if (v == NULL)
			return -ENOENT;
		if (get_uint(obj, ai->key, ai->kind == ATTR_KIND_U32 ?
		    UINT32_MAX : INT64_MAX, &n) < 0)
			return -EINVAL;
		if (ai->kind == ATTR_KIND_U32)
			*u32_field(r, ai) = (uint32_t)n;
		else
			*u64_field(r, ai) = n;
		return 0;
	case ATTR_KIND_TIME:
	case ATTR_KIND_BTIME:
		if (v == NULL)
			return -ENOENT;
		return time_from_json(v, time_field(r, ai));
	case ATTR_KIND_HASH:
		if ((v = json_object_get(obj, "too_large")) != NULL) {
			if (!json_is_true(v))
				return -EINVAL;
			r->hash_too_large = true;
		}
		if ((v = json_object_get(obj, ai->key)) == NULL)
			return r->hash_too_large ? 0 : -ENOENT;
		return hashes_from_json(v, r);
	case ATTR_KIND_TARGET:
		k = get_bytes(obj, ai->key, "target_escaped", &r->link_target);
		return k;
	case ATTR_KIND_XATTRS:
		if (v == NULL)
			return -ENOENT;
		return xattrs_from_json(v, r);
	}
	return -EINVAL;
}

int
record_from_json(const json_t *obj, struct record *ret, const char **errmsg)
{
	const char *dummy;
	int a, k;

	if (errmsg == NULL)
		errmsg = &dummy;
	record_init(ret);
	if (!json_is_object(obj)) {
		*errmsg = "entry is not an object";
		return -EINVAL;
	}
	for (a = 0; a < ATTR_COUNT; a++) {
		k = attr_get_json(a, obj, ret);
		if (k == 0)
			ret->known |= ATTR_BIT(a);
		else if (k == -EINVAL || (k == -ENOENT &&
		    attr_table[a].kind != ATTR_KIND_BTIME &&
		    (RECORD_STAT_BITS & ATTR_BIT(a)))) {
			*errmsg = attr_table[a].bad;
			record_release(ret);
			return -EINVAL;
		}
	}
	if (get_uint(obj, "dev", INT64_MAX, &ret->dev) < 0) {
		*errmsg = "bad or missing number \"dev\"";
		record_release(ret);
		return -EINVAL;
	}
	/* The statx attributes are always captured, btime or not. */
	ret->known |= RECORD_STAT_BITS;
	return 0;
}

/* ---- packed form ---- */

static unsigned char *
put_time(unsigned char *p, const struct fimd_time *t)
{
	/* Zigzag: small negative times stay short too. */
	uint64_t zz = t->sec < 0 ? ~((uint64_t)t->sec << 1) :
	    (uint64_t)t->sec << 1;

	p = varint_put(p, zz);
	return varint_put(p, t->nsec);
}

static void
get_time(const unsigned char **pp, struct fimd_time *t)
{
	uint64_t zz = varint_get(pp);

	t->sec = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
	t->nsec = (uint32_t)varint_get(pp);
}

/* Whether row a has bytes in the packed form of a record knowing known. */
static bool
attr_packed(enum attr_id a, attr_mask known)
{
	switch (attr_table[a].kind) {
	case ATTR_KIND_MODE:
		return false;		/* packed with the type */
	case ATTR_KIND_HASH:
		return true;		/* algos and too_large, at least */
	default:
		return ((RECORD_STAT_BITS | known) & ATTR_BIT(a)) != 0;
	}
}

size_t
attr_pack_bound(const struct record *r)
{
	size_t n = 2 * VARINT_MAX, i;
	int a;

	for (a = 0; a < ATTR_COUNT; a++) {
		if (!attr_packed(a, r->known))
			continue;
		switch (attr_table[a].kind) {
		case ATTR_KIND_HASH:
			n += 2 + HASH_COUNT * HASH_MAX_SIZE;
			break;
		case ATTR_KIND_TARGET:
			n += VARINT_MAX + (r->link_target != NULL ?
			    strlen(r->link_target) : 0);
			break;
		case ATTR_KIND_XATTRS:
			n += VARINT_MAX;
			for (i = 0; i < r->nxattrs; i++)
				n += 2 * VARINT_MAX +
				    strlen(r->xattrs[i].name) +
				    r->xattrs[i].len;
			break;
		default:
			n += 2 * VARINT_MAX;
			break;
		}
	}
	return n;
}

static unsigned char *
pack_row(unsigned char *p, enum attr_id a, const struct record *r)
{
	const struct attr_info *ai = &attr_table[a];
	size_t i, n;
	int h;

	switch (ai->kind) {
	case ATTR_KIND_TYPE:
		return varint_put(p, r->mode);
	case ATTR_KIND_MODE:
		return p;
	case ATTR_KIND_U32:
		return varint_put(p, *(const uint32_t *)cfield(r, ai));
	case ATTR_KIND_U64:
		return varint_put(p, *(const uint64_t *)cfield(r, ai));
	case ATTR_KIND_TIME:
	case ATTR_KIND_BTIME:
		return put_time(p, cfield(r, ai));
	case ATTR_KIND_HASH:
		*p++ = r->hash_too_large;
		*p++ = r->algos;
		for (h = 0; h < HASH_COUNT; h++) {
			if (r->algos & HASH_BIT(h)) {
				memcpy(p, r->md[h], hash_size(h));
				p += hash_size(h);
			}
		}
		return p;
	case ATTR_KIND_TARGET:
		if (r->link_target == NULL)
			return varint_put(p, 0);
		n = strlen(r->link_target);
		p = varint_put(p, n + 1);
		memcpy(p, r->link_target, n);
		return p + n;
	case ATTR_KIND_XATTRS:
		p = varint_put(p, r->nxattrs);
		for (i = 0; i < r->nxattrs; i++) {
			n = strlen(r->xattrs[i].name);
			p = varint_put(p, n);
			memcpy(p, r->xattrs[i].name, n);
			p += n;
			p = varint_put(p, r->xattrs[i].len);
			memcpy(p, r->xattrs[i].value, r->xattrs[i].len);
			p += r->xattrs[i].len;
		}
		return p;
	}
	return p;
}

unsigned char *
attr_pack(unsigned char *p, const struct record *r)
{
	int a;

	p = varint_put(p, r->known);
	p = varint_put(p, r->dev);
	for (a = 0; a < ATTR_COUNT; a++) {
		if (attr_packed(a, r->known))
			p = pack_row(p, a, r);
	}
	return p;
}

static void
unpack_row(const unsigned char **pp, enum attr_id a, struct record *r)
{
	const struct attr_info *ai = &attr_table[a];
	const unsigned char *p;
	size_t i, n;
	int h;

	switch (ai->kind) {
	case ATTR_KIND_TYPE:
		r->mode = (uint32_t)varint_get(pp);
		return;
	case ATTR_KIND_MODE:
		return;
	case ATTR_KIND_U32:
		*u32_field(r, ai) = (uint32_t)varint_get(pp);
		return;
	case ATTR_KIND_U64:
		*u64_field(r, ai) = varint_get(pp);
		return;
	case ATTR_KIND_TIME:
	case ATTR_KIND_BTIME:
		get_time(pp, time_field(r, ai));
		return;
	case ATTR_KIND_HASH:
		p = *pp;
		r->hash_too_large = *p++ != 0;
		r->algos = *p++;
		for (h = 0; h < HASH_COUNT; h++) {
			if (r->algos & HASH_BIT(h)) {
				memcpy(r->md[h], p, hash_size(h));
				p += hash_size(h);
			}
		}
		*pp = p;
		return;
	case ATTR_KIND_TARGET:
		if ((n = (size_t)varint_get(pp)) == 0)
			return;
		r->link_target = xstrndup((const char *)*pp, n - 1);
		*pp += n - 1;
		return;
	case ATTR_KIND_XATTRS:
		r->nxattrs = (size_t)varint_get(pp);
		r->xattrs = r->nxattrs > 0 ?
		    xcalloc(r->nxattrs, sizeof(*r->xattrs)) : NULL;
		for (i = 0; i < r->nxattrs; i++) {
			n = (size_t)varint_get(pp);
			r->xattrs[i].name = xstrndup((const char *)*pp, n);
			*pp += n;
			n = (size_t)varint_get(pp);
			r->xattrs[i].value = xmalloc(n == 0 ? 1 : n);
			memcpy(r->xattrs[i].value, *pp, n);
			r->xattrs[i].len = n;
			*pp += n;
		}
		return;
	}
}

void
attr_unpack(const unsigned char **pp, struct record *r, enum attr_id last)
{
	int a;

	record_init(r);
	r->known = (attr_mask)varint_get(pp);
	r->dev = varint_get(pp);
	for (a = 0; a < ATTR_COUNT && a <= (int)last; a++) {
		if (attr_packed(a, r->known))
			unpack_row(pp, a, r);
	}
}
