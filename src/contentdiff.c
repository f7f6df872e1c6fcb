/*
 * contentdiff: reading a covered text file for its copy, and the diff an
 * alert carries (contentdiff.h).
 *
 * The file is read after the scan or the realtime probe hashed it, so
 * it may have changed in between.  The bytes read are hashed with the
 * record's first algorithm: when they are not the bytes the record
 * describes, no diff is made and no copy kept ("changed while read"),
 * and the event the newer write raises gets its own.  A copy carries
 * that digest, which is how a later alert knows the copy is of the
 * state the baseline holds.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "contentdiff.h"
#include "fileio.h"
#include "hash.h"
#include "pathenc.h"
#include "probe.h"
#include "redact.h"
#include "textdiff.h"
#include "xmalloc.h"

void
content_note_init(struct content_note *n)
{
	memset(n, 0, sizeof(*n));
}

void
content_note_release(struct content_note *n)
{
	free(n->diff);
	free(n->text);
	content_note_init(n);
}

bool
content_wanted(const struct ruleset *rs)
{
	size_t i;

	for (i = 0; rs != NULL && i < ruleset_count(rs); i++)
		if (ruleset_rule(rs, i)->diff)
			return true;
	return false;
}

/* The first algorithm of a record's digests, or -1 when it has none. */
static int
record_algo(const struct record *r)
{
	int a;

	if (r == NULL || r->hash_too_large)
		return -1;
	for (a = 0; a < HASH_COUNT; a++)
		if (r->algos & HASH_BIT(a))
			return a;
	return -1;
}

/* "name:hex" of md under algorithm a into out, or "" for none. */
static void
digest_string(int a, const unsigned char *md, char *out)
{
	size_t n;

	out[0] = '\0';
	if (a < 0)
		return;
	n = strlen(hash_name((enum hash_algo)a));
	memcpy(out, hash_name((enum hash_algo)a), n);
	out[n] = ':';
	hash_hex(md, hash_size((enum hash_algo)a), out + n + 1);
}

/*
 * Read the regular file at path (NUL-terminated at len) into *ret (a new
 * buffer), at most max bytes.  Returns NULL or the reason it could not.
 */
static const char *
read_file(const char *path, size_t len, const struct rule *rule,
    const struct record *r, char **ret, size_t *ret_len)
{
	const char *name;
	struct stat st;
	int dirfd, fd, e;

	*ret = NULL;
	if (probe_open_parent(path, len, &dirfd, &name) < 0)
		return CONTENT_SKIP_UNREADABLE;
	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC | (rule->follow_symlinks ? 0 : O_NOFOLLOW));
	(void)close(dirfd);
	if (fd < 0)
		return errno == ELOOP ? CONTENT_SKIP_NOT_REGULAR :
		    CONTENT_SKIP_UNREADABLE;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return CONTENT_SKIP_NOT_REGULAR;
	}
	if ((uint64_t)st.st_ino != r->inode) {
		(void)close(fd);
		return CONTENT_SKIP_CHANGED;
	}
	if ((uint64_t)st.st_size > rule->diff_max) {
		(void)close(fd);
		return CONTENT_SKIP_TOO_LARGE;
	}
	e = fileio_read_fd(fd, (size_t)rule->diff_max, ret, ret_len);
	(void)close(fd);
	if (e == -EFBIG)
		return CONTENT_SKIP_TOO_LARGE;
	return e < 0 ? CONTENT_SKIP_UNREADABLE : NULL;
}

/*
 * The copy of the state r records at path: its redacted text and digest
 * into n.  Returns NULL or the reason there is none.
 */
static const char *
take_text(const char *path, size_t len, const struct rule *rule,
    const struct record *r, struct content_note *n)
{
	unsigned char md[HASH_MAX_SIZE];
	const char *why;
	struct buf p, red;
	char *raw;
	size_t rawlen;
	int a = record_algo(r);

	if (!S_ISREG(r->mode))
		return CONTENT_SKIP_NOT_REGULAR;
	if (r->size > rule->diff_max)
		return CONTENT_SKIP_TOO_LARGE;
	buf_init(&p, BUF_MAX_DEFAULT);
	(void)buf_add(&p, path, len);
	why = read_file(p.data, p.len, rule, r, &raw, &rawlen);
	buf_release(&p);
	if (why != NULL)
		return why;
	if (memchr(raw, '\0', rawlen) != NULL ||
	    !pathenc_is_utf8(raw, rawlen))
		why = CONTENT_SKIP_BINARY;
	else if (a >= 0 && (hash_buffer((enum hash_algo)a, raw, rawlen,
	    md) < 0 || memcmp(md, r->md[a], hash_size((enum hash_algo)a)) !=
	    0))
		why = CONTENT_SKIP_CHANGED;
	if (why == NULL) {
		buf_init(&red, CONTENTSTORE_TEXT_MAX);
		if (redact_text(raw, rawlen, &red) < 0)
			why = CONTENT_SKIP_TOO_LARGE;
		else {
			n->text = buf_detach(&red, &n->len);
			n->have_copy = true;
			digest_string(a, md, n->digest);
		}
		buf_release(&red);
	}
	free(raw);
	return why;
}

/* Whether cs holds a copy of the state rec records at path. */
static bool
has_copy(const struct contentstore *cs, const char *path, size_t len,
    const struct record *rec)
{
	char want[CONTENTSTORE_DIGEST_MAX + 1];
	const char *have;
	int a = record_algo(rec);

	digest_string(a, a >= 0 ? rec->md[a] : NULL, want);
	return contentstore_get(cs, path, len, NULL, &have) == 0 &&
	    strcmp(have, want) == 0;
}

/* The diff of the stored copy of c->old against n's new text. */
static const char *
diff_against(const struct contentstore *cs, const struct change *c,
    struct content_note *n)
{
	const char *have = NULL;
	struct buf old, d;

	if (cs == NULL || c->old == NULL ||
	    !has_copy(cs, c->path, c->len, c->old))
		return CONTENT_SKIP_NO_COPY;
	(void)contentstore_get(cs, c->path, c->len, NULL, &have);
	buf_init(&old, CONTENTSTORE_TEXT_MAX);
	buf_init(&d, BUF_MAX_DEFAULT);
	if (contentstore_get(cs, c->path, c->len, &old, NULL) < 0 ||
	    textdiff_unified(old.data, old.len, n->text, n->len,
	    CONTENT_CONTEXT, &d) < 0) {
		buf_release(&old);
		buf_release(&d);
		return CONTENT_SKIP_NO_COPY;
	}
	buf_release(&old);
	(void)textdiff_truncate(&d, CONTENT_DIFF_MAX);
	if (d.len == 0) {
		buf_release(&d);
		return strcmp(have, n->digest) != 0 || have[0] == '\0' ?
		    CONTENT_SKIP_REDACTED : NULL;
	}
	n->diff = buf_detach(&d, &n->difflen);
	return NULL;
}

void
content_examine(const struct contentstore *cs, const struct change *c,
    struct content_note *ret)
{
	const char *why;

	if (c->rule == NULL || !c->rule->diff || c->new == NULL ||
	    (c->action != ACTION_CREATED && c->action != ACTION_UPDATED))
		return;
	why = take_text(c->path, c->len, c->rule, c->new, ret);
	if (c->action == ACTION_CREATED)
		return;
	if (why == NULL)
		why = diff_against(cs, c, ret);
	ret->skipped = why;
}

void
content_to_alert(const struct content_note *n, struct alert *a)
{
	a->content_diff = n->diff;
	a->content_difflen = n->difflen;
	a->diff_skipped = n->skipped;
}

void
content_take(struct contentstore *cs, const struct change *c,
    struct content_note *n)
{
	if (cs == NULL)
		return;
	switch (c->action) {
	case ACTION_DELETED:
		(void)contentstore_remove(cs, c->path, c->len);
		return;
	case ACTION_MOVED:
		if (c->old_path != NULL)
			(void)contentstore_rename(cs, c->old_path, c->old_len,
			    c->path, c->len);
		return;
	case ACTION_CREATED:
	case ACTION_UPDATED:
		if (n->have_copy)
			contentstore_put(cs, c->path, c->len, n->digest,
			    n->text, n->len);
		else
			(void)contentstore_remove(cs, c->path, c->len);
		return;
	default:
		return;
	}
}

/* Whether path in b has a rule in rs that asks for diffs. */
static const struct rule *
diff_rule(const struct ruleset *rs, const char *path, size_t len)
{
	const struct rule *r = ruleset_match(rs, path, len, false, NULL);

	return r != NULL && r->diff ? r : NULL;
}

size_t
content_fill(struct contentstore *cs, const struct baseline *b,
    const struct ruleset *rs)
{
	struct baseline_iter it;
	struct content_note n;
	struct record rec;
	const struct rule *rule;
	const char *path;
	size_t len, taken = 0;

	if (!content_wanted(rs))
		return 0;
	baseline_iter_init(&it, b);
	while (baseline_iter_next(&it, &path, &len, NULL)) {
		if ((rule = diff_rule(rs, path, len)) == NULL ||
		    baseline_get(b, path, len, &rec) < 0)
			continue;
		content_note_init(&n);
		if (S_ISREG(rec.mode) && !has_copy(cs, path, len, &rec) &&
		    take_text(path, len, rule, &rec, &n) == NULL) {
			contentstore_put(cs, path, len, n.digest, n.text,
			    n.len);
			taken++;
		}
		content_note_release(&n);
		record_release(&rec);
	}
	return taken;
}

struct keep_arg {
	const struct baseline *b;
	const struct ruleset *rs;
};

static bool
keep_one(const char *path, size_t len, void *arg)
{
	const struct keep_arg *k = arg;

	return baseline_contains(k->b, path, len) &&
	    diff_rule(k->rs, path, len) != NULL;
}

size_t
content_keep(struct contentstore *cs, const struct baseline *b,
    const struct ruleset *rs)
{
	struct keep_arg k = { b, rs };

	return contentstore_prune(cs, keep_one, &k);
}
