/*
 * A baseline entry line straight into a record, for the lines fimd itself
 * writes.  Loading a million entries through generic JSON values cost
 * most of a start-up: a jansson object, a string and a hash-table slot
 * for every key, all freed again a moment later.  The lines baseline_save
 * writes have one simple shape, so this reads that shape in one pass with
 * no allocation beyond the record's own, and hands every other line
 * (escaped bytes, xattrs, notes, whitespace, a key it does not know) back
 * to the general reader.  It decodes each value with the same functions
 * the general reader uses (attr_int.h), in the same table order, so what
 * it accepts is a subset of what record_from_json accepts, decoded the
 * same way; fuzz_entry holds the two to that.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "attr_int.h"
#include "hash.h"
#include "record.h"
#include "xmalloc.h"

/* The longest scalar copied out to be parsed as a C string. */
#define SCALAR_MAX	47

enum value_kind { VAL_NONE, VAL_STRING, VAL_INTEGER, VAL_OBJECT };

struct slice {
	const char *s;		/* a string's bytes without the quotes */
	size_t	 n;
	enum value_kind kind;
};

struct line {
	const char *p;
	const char *end;
	struct slice attr[ATTR_COUNT];
	struct slice path;
	struct slice dev;
	/* "hash"'s members: algorithm names and their hex digests. */
	struct slice algo[HASH_COUNT], hex[HASH_COUNT];
	size_t	 ndigests;
	int	 next;		/* the table row to try first */
};

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/*
 * Whether any of the 8 bytes in x is outside 0x20..0x7e, or is '"' or
 * '\\' (the classic SWAR tests: a byte below n borrows into its high bit,
 * one above n carries into it; a zero byte of x ^ c is a byte equal to c).
 */
static bool
word_needs_care(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return (((x - ONES * 0x20) | ((x + ONES * (0x7f - 0x7e)) | x) |
	    ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS) != 0;
}

/* A string of printable ASCII without escapes: what needs no decoding. */
static bool
take_string(struct line *ln, struct slice *out)
{
	const char *p = ln->p + 1;
	uint64_t w;

	while (ln->end - p >= 8) {
		memcpy(&w, p, sizeof(w));
		if (word_needs_care(w))
			break;
		p += 8;
	}
	while (p < ln->end && *p != '"') {
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			return false;
		p++;
	}
	if (p == ln->end)
		return false;
	out->s = ln->p + 1;
	out->n = (size_t)(p - out->s);
	out->kind = VAL_STRING;
	ln->p = p + 1;
	return true;
}

/* A JSON integer that is not negative: "0", or no leading zero. */
static bool
take_integer(struct line *ln, struct slice *out)
{
	const char *p = ln->p;

	while (p < ln->end && *p >= '0' && *p <= '9')
		p++;
	if (p == ln->p || (*ln->p == '0' && p - ln->p > 1))
		return false;
	/* A fraction or an exponent is a number jansson would not call
	 * an integer: the general reader decides. */
	if (p < ln->end && (*p == '.' || *p == 'e' || *p == 'E'))
		return false;
	out->s = ln->p;
	out->n = (size_t)(p - ln->p);
	out->kind = VAL_INTEGER;
	ln->p = p;
	return true;
}

/*
 * "hash"'s object of algorithm names to hex strings: its members into
 * ln's digest slices, the object's bytes into out.
 */
static bool
take_digests(struct line *ln, struct slice *out)
{
	const char *start = ln->p;
	size_t i;

	ln->p++;
	while (ln->p < ln->end && *ln->p != '}') {
		if (ln->p > start + 1 && *ln->p++ != ',')
			return false;
		if ((i = ln->ndigests++) == HASH_COUNT)
			return false;	/* a duplicate, at least */
		if (ln->p >= ln->end || *ln->p != '"' ||
		    !take_string(ln, &ln->algo[i]) ||
		    ln->p >= ln->end || *ln->p++ != ':' ||
		    ln->p >= ln->end || *ln->p != '"' ||
		    !take_string(ln, &ln->hex[i]))
			return false;
	}
	if (ln->p == ln->end)
		return false;
	ln->p++;
	out->s = start;
	out->n = (size_t)(ln->p - start);
	out->kind = VAL_OBJECT;
	return true;
}

static bool
key_is(const struct slice *k, const char *name)
{
	return strncmp(name, k->s, k->n) == 0 && name[k->n] == '\0';
}

/*
 * Where key k's value goes; NULL for a key left to the general reader.
 * Lines list the attributes in table order, so the search starts after
 * the row matched last.
 */
static struct slice *
slot_for(struct line *ln, const struct slice *k)
{
	int a, i;

	if (key_is(k, "path"))
		return &ln->path;
	if (key_is(k, "dev"))
		return &ln->dev;
	for (i = 0; i < ATTR_COUNT; i++) {
		a = (ln->next + i) % ATTR_COUNT;
		if (attr_table[a].kind != ATTR_KIND_XATTRS &&
		    key_is(k, attr_table[a].key)) {
			ln->next = a + 1;
			return &ln->attr[a];
		}
	}
	return NULL;
}

static bool
take_member(struct line *ln)
{
	struct slice k, *slot;
	bool ok;

	if (ln->p >= ln->end || *ln->p != '"' || !take_string(ln, &k) ||
	    ln->p >= ln->end || *ln->p++ != ':' || ln->p >= ln->end)
		return false;
	/* Unknown, or seen before: a duplicate is the general reader's. */
	if ((slot = slot_for(ln, &k)) == NULL || slot->kind != VAL_NONE)
		return false;
	if (*ln->p == '"')
		ok = take_string(ln, slot);
	else if (*ln->p == '{')
		ok = slot == &ln->attr[ATTR_HASH] && take_digests(ln, slot);
	else
		ok = take_integer(ln, slot);
	return ok;
}

static bool
tokenize(struct line *ln)
{
	if (ln->p >= ln->end || *ln->p++ != '{')
		return false;
	while (ln->p < ln->end && *ln->p != '}') {
		if (ln->p[-1] != '{' && *ln->p++ != ',')
			return false;
		if (!take_member(ln))
			return false;
	}
	return ln->p + 1 == ln->end && *ln->p == '}';
}

/* A string slice as a C string in buf; false when too long. */
static bool
cstr(const struct slice *v, char buf[SCALAR_MAX + 1])
{
	if (v->kind != VAL_STRING || v->n > SCALAR_MAX)
		return false;
	memcpy(buf, v->s, v->n);
	buf[v->n] = '\0';
	return true;
}

static bool
integer(const struct slice *v, uint64_t max, uint64_t *ret)
{
	uint64_t n = 0;
	size_t i;

	/* 19 digits cannot overflow; more is past INT64_MAX anyway. */
	if (v->kind != VAL_INTEGER || v->n > 19)
		return false;
	for (i = 0; i < v->n; i++)
		n = n * 10 + (uint64_t)(v->s[i] - '0');
	if (n > max)
		return false;
	*ret = n;
	return true;
}

static bool
digests(const struct line *ln, struct record *r)
{
	char name[SCALAR_MAX + 1];
	size_t i;
	int a;

	if (ln->attr[ATTR_HASH].kind != VAL_OBJECT)
		return false;
	for (i = 0; i < ln->ndigests; i++) {
		if (!cstr(&ln->algo[i], name) ||
		    (a = hash_from_name(name)) < 0 ||
		    (r->algos & HASH_BIT(a)) || hash_unhex(ln->hex[i].s,
		    ln->hex[i].n, r->md[a], hash_size(a)) < 0)
			return false;
		r->algos |= HASH_BIT(a);
	}
	return true;
}

/* Row a's value into r, as attr_get_json would decode it. */
static bool
decode(const struct line *ln, enum attr_id a, struct record *r)
{
	const struct attr_info *ai = &attr_table[a];
	const struct slice *v = &ln->attr[a];
	char s[SCALAR_MAX + 1];
	uint32_t type;
	uint64_t n;

	switch (ai->kind) {
	case ATTR_KIND_TYPE:
		if (!cstr(v, s) || (type = record_type_from_name(s)) == 0)
			return false;
		r->mode = (r->mode & 07777) | type;
		return true;
	case ATTR_KIND_MODE:
		if (!cstr(v, s) || attr_mode_parse(s, &n) < 0)
			return false;
		r->mode = (r->mode & S_IFMT) | (uint32_t)n;
		return true;
	case ATTR_KIND_U32:
	case ATTR_KIND_U64:
		if (!integer(v, ai->kind == ATTR_KIND_U32 ? UINT32_MAX :
		    INT64_MAX, &n))
			return false;
		if (ai->kind == ATTR_KIND_U32)
			*u32_field(r, ai) = (uint32_t)n;
		else
			*u64_field(r, ai) = n;
		return true;
	case ATTR_KIND_TIME:
	case ATTR_KIND_BTIME:
		return cstr(v, s) && attr_time_parse(s, time_field(r, ai)) == 0;
	case ATTR_KIND_HASH:
		return digests(ln, r);
	case ATTR_KIND_TARGET:
		if (v->kind != VAL_STRING)
			return false;
		r->link_target = xstrndup(v->s, v->n);
		return true;
	case ATTR_KIND_XATTRS:
		break;
	}
	return false;
}

int
record_from_line(const char *s, size_t len, const char **ret_path,
    size_t *ret_path_len, struct record *ret)
{
	struct line ln;
	int a;

	memset(&ln, 0, sizeof(ln));
	ln.p = s;
	ln.end = s + len;
	if (!tokenize(&ln) || ln.path.kind != VAL_STRING || ln.path.n == 0)
		return 1;
	record_init(ret);
	for (a = 0; a < ATTR_COUNT; a++) {
		if (ln.attr[a].kind == VAL_NONE) {
			/* Missing statx attributes are errors there. */
			if (attr_table[a].kind != ATTR_KIND_BTIME &&
			    (RECORD_STAT_BITS & ATTR_BIT(a)))
				goto general;
			continue;
		}
		if (!decode(&ln, (enum attr_id)a, ret))
			goto general;
		ret->known |= ATTR_BIT(a);
	}
	if (!integer(&ln.dev, INT64_MAX, &ret->dev))
		goto general;
	ret->known |= RECORD_STAT_BITS;
	*ret_path = ln.path.s;
	*ret_path_len = ln.path.n;
	return 0;
general:
	record_release(ret);
	return 1;
}
