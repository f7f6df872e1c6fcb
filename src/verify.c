/*
 * Checking an alert stream's chain (verify.h).
 *
 * The verifier keeps a window of four lines: pp and p before the line c
 * being judged, and n after it.  c is linked when its fimd.chain is the
 * digest of p.  When it is not, the neighbours say what happened, in
 * this order (the first that fits is reported):
 *
 *   c starts a new chain (CHAIN_GENESIS) as a started record, seq 1, at
 *     the top of a file: the daemon began on an empty alert file (a
 *     warning, not a break);
 *   c's link is p's plain SHA-256 while a key is used: forged;
 *   c is p again: inserted;
 *   c links to n and n to p: c and n are swapped;
 *   c links to pp: p was inserted;
 *   n links to p: c was inserted;
 *   c's seq follows p's (or pp's past p): p was edited;
 *   c's seq jumps ahead: lines were removed before c;
 *   c's seq goes back: lines were reordered.
 *
 * A line that is not JSON and is the start of the line after it is a
 * write the disk cut short, which the daemon could not take back and
 * wrote again whole: a warning, and the line is passed over (it holds
 * nothing the line after it does not).
 *
 * An edit of a line is seen at the line after it, whose link no longer
 * fits; an edit of a link is reported the same way, as the line before.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "verify.h"
#include "xmalloc.h"

/* What the verifier keeps of one line. */
struct vline {
	char	*file;
	unsigned lineno;
	bool	 complete;	/* it ends in a newline */
	bool	 parsed;	/* a JSON object with a fimd.chain link */
	bool	 torn;		/* the start of the line after it */
	char	*text;		/* a complete line not parsed, no newline */
	size_t	 textlen;
	char	 link[CHAIN_HEX_LEN + 1];	/* its fimd.chain */
	char	 digest[CHAIN_HEX_LEN + 1];	/* what the next must carry */
	char	 plain[CHAIN_HEX_LEN + 1];	/* its plain SHA-256 (keyed) */
	uint64_t seq;		/* fimd.seq, or 0 */
	char	 action[16];	/* event.action, or "" */
	char	 time[40];	/* @timestamp, or "" */
};

struct verifier {
	const struct chain_key *key;
	struct vline *pp, *p, *c;	/* c: waits for the line after it */
	bool	 linked;	/* a link was checked and fitted */
	bool	 broken;
	struct verify_stats stats;
};

static void
vline_free(struct vline *l)
{
	if (l == NULL)
		return;
	free(l->file);
	free(l->text);
	free(l);
}

struct verifier *
verifier_new(const struct chain_key *key)
{
	struct verifier *v = xcalloc(1, sizeof(*v));

	v->key = key;
	return v;
}

void
verifier_free(struct verifier *v)
{
	if (v == NULL)
		return;
	vline_free(v->pp);
	vline_free(v->p);
	vline_free(v->c);
	free(v);
}

/* The fields of a line that are fimd's: chain, seq, action. */
static void
vline_parse(struct vline *l, const char *line, size_t len)
{
	const json_t *fimd, *chain, *seq, *action, *ts;
	json_t *o;

	if ((o = json_loadb(line, len, 0, NULL)) == NULL)
		return;
	fimd = json_object_get(o, "fimd");
	chain = json_object_get(fimd, "chain");
	seq = json_object_get(fimd, "seq");
	action = json_object_get(json_object_get(o, "event"), "action");
	ts = json_object_get(o, "@timestamp");
	if (json_is_string(chain) && chain_is_link(json_string_value(chain),
	    json_string_length(chain))) {
		memcpy(l->link, json_string_value(chain), CHAIN_HEX_LEN);
		l->parsed = true;
	}
	if (json_is_integer(seq) && json_integer_value(seq) > 0)
		l->seq = (uint64_t)json_integer_value(seq);
	if (json_is_string(action))
		snprintf(l->action, sizeof(l->action), "%s",
		    json_string_value(action));
	if (json_is_string(ts))
		snprintf(l->time, sizeof(l->time), "%s",
		    json_string_value(ts));
	json_decref(o);
}

static struct vline *
vline_new(const struct verifier *v, const char *file, unsigned lineno,
    const char *line, size_t len)
{
	struct vline *l = xcalloc(1, sizeof(*l));

	l->file = xstrdup(file);
	l->lineno = lineno;
	l->complete = len > 0 && line[len - 1] == '\n';
	if (!l->complete)
		return l;
	vline_parse(l, line, len - 1);
	if (!l->parsed && len > 1) {
		l->text = xmalloc(len - 1);
		memcpy(l->text, line, len - 1);
		l->textlen = len - 1;
	}
	chain_digest_hex(v->key, line, len, l->digest);
	if (v->key != NULL)
		chain_digest_hex(NULL, line, len, l->plain);
	return l;
}

static int
brk(struct verifier *v, const struct vline *at, struct diag *diag,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A break at line at: reported, and the end of the verification. */
static int
brk(struct verifier *v, const struct vline *at, struct diag *diag,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(diag, DIAG_ERROR, at->file, at->lineno, 0, fmt, ap);
	va_end(ap);
	v->broken = true;
	return 1;
}

static bool
links_to(const struct vline *l, const struct vline *before)
{
	return l != NULL && before != NULL && l->parsed &&
	    strcmp(l->link, before->digest) == 0;
}

/* "FILE:LINE" of l, for messages about another line. */
static const char *
where(const struct vline *l, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%u", l->file, l->lineno);
	return buf;
}

/* A linked started record whose line before is not a stopped record. */
static void
check_stop(struct verifier *v, const struct vline *c, const struct vline *p,
    bool fresh, struct diag *diag)
{
	char at[4096];

	if (strcmp(c->action, "started") != 0 ||
	    strcmp(p->action, "stopped") == 0)
		return;
	v->stats.unclean++;
	diag_add(diag, DIAG_WARNING, c->file, c->lineno, 0, "unclean stop: "
	    "the run before%s ended at %s (seq %" PRIu64 ") without a "
	    "stopped record: the daemon was killed or crashed, not the "
	    "stream changed", fresh ? ", in the file before," : "",
	    where(p, at, sizeof(at)), p->seq);
}

/* c links to p: the daemon's own story, told by seq and actions. */
static int
judge_linked(struct verifier *v, const struct vline *c,
    const struct vline *p, struct diag *diag)
{
	v->linked = true;
	if (c->seq > p->seq + 1)
		diag_add(diag, DIAG_WARNING, c->file, c->lineno, 0, "seq %"
		    PRIu64 " to %" PRIu64 " are missing, but the chain is "
		    "whole: the daemon could not write them (a gap alert "
		    "names them)", p->seq + 1, c->seq - 1);
	else if (c->seq <= p->seq)
		diag_add(diag, DIAG_WARNING, c->file, c->lineno, 0, "seq %"
		    PRIu64 " after %" PRIu64 ", but the chain is whole: the "
		    "daemon did not find its last seq when it started",
		    c->seq, p->seq);
	check_stop(v, c, p, false, diag);
	return 0;
}

/* The first line of the stream: nothing before it to check it with. */
static int
judge_first(const struct vline *c, struct diag *diag)
{
	if (strcmp(c->link, CHAIN_GENESIS) != 0)
		diag_add(diag, DIAG_NOTE, c->file, c->lineno, 0, "the line "
		    "before this one is not given (an older rotation?), so "
		    "its link is not checked");
	return 0;
}

/* What a line that breaks the chain by its seq alone tells. */
static int
judge_seq(struct verifier *v, const struct vline *c, const struct vline *p,
    const struct vline *pp, struct diag *diag)
{
	char at[4096];

	if (c->seq == p->seq + 1 || (pp != NULL && c->seq == pp->seq + 2))
		return brk(v, p, diag, "edited: the line does not match the "
		    "fimd.chain of the line after it (%s)%s",
		    where(c, at, sizeof(at)), v->linked ? "" : "; if the "
		    "stream is keyed, give its key with --key");
	if (c->seq > p->seq + 1)
		return brk(v, c, diag, "removed: %" PRIu64 " line%s (seq %"
		    PRIu64 " to %" PRIu64 ") missing before this line%s",
		    c->seq - 1 - p->seq, c->seq - 1 - p->seq == 1 ? "" : "s",
		    p->seq + 1, c->seq - 1, c->lineno == 1 &&
		    strcmp(c->file, p->file) != 0 ? ": the end of the file "
		    "before was cut" : "");
	return brk(v, c, diag, "reordered: seq %" PRIu64 " comes after seq %"
	    PRIu64, c->seq, p->seq);
}

/*
 * Whether c starts a chain of its own as the daemon does on an empty
 * alert file: the first line of a file, a started record with seq 1
 * and the genesis link, made after the line before it (RFC 3339 times
 * in one format compare as strings), so files given out of order are
 * not taken for one.
 */
static bool
fresh_start(const struct vline *c, const struct vline *p)
{
	return c->lineno == 1 && c->seq == 1 &&
	    strcmp(c->link, CHAIN_GENESIS) == 0 &&
	    strcmp(c->action, "started") == 0 &&
	    strcmp(c->time, p->time) >= 0;
}

/* c does not link to p: say what happened. */
static int
judge_break(struct verifier *v, const struct vline *c, const struct vline *n,
    struct diag *diag)
{
	const struct vline *p = v->p, *pp = v->pp;
	char at[4096];

	if (fresh_start(c, p)) {
		v->stats.restarts++;
		diag_add(diag, DIAG_WARNING, c->file, c->lineno, 0, "a new "
		    "chain starts here: the daemon started on an empty alert "
		    "file, so nothing links this line to %s",
		    where(p, at, sizeof(at)));
		check_stop(v, c, p, true, diag);
		return 0;
	}
	if (v->key != NULL && strcmp(c->link, p->plain) == 0)
		return brk(v, c, diag, "forged: fimd.chain is the plain "
		    "SHA-256 of the line before, not its HMAC with the key: "
		    "%s", v->linked ? "the line before was changed, or this "
		    "one inserted, without the key" : "the stream was "
		    "written without a key, or this line was forged");
	if (strcmp(c->digest, p->digest) == 0)
		return brk(v, c, diag, "inserted: the line repeats the line "
		    "before it");
	if (links_to(n, p) && strcmp(c->link, n->digest) == 0)
		return brk(v, c, diag, "reordered: this line and the next "
		    "(%s) are swapped", where(n, at, sizeof(at)));
	if (links_to(c, pp))
		return brk(v, p, diag, "inserted: the line is not part of the "
		    "chain (the line after it links to the line before it)");
	if (links_to(n, p))
		return brk(v, c, diag, "inserted: the line is not part of the "
		    "chain (the line after it links to the line before it)");
	return judge_seq(v, c, p, pp, diag);
}

/* Judge v->c, now that n (NULL at the end) follows it. */
static int
judge(struct verifier *v, const struct vline *n, struct diag *diag)
{
	const struct vline *c = v->c;

	v->stats.lines++;
	if (v->stats.first_seq == 0)
		v->stats.first_seq = c->seq;
	if (c->seq != 0)
		v->stats.last_seq = c->seq;
	if (!c->complete)
		return brk(v, c, diag, "truncated: the line ends without a "
		    "newline (the file was cut, or a write was torn)");
	if (!c->parsed)
		return brk(v, c, diag, "%s: not an alert line of fimd (it does "
		    "not parse as JSON, or has no fimd.chain)",
		    links_to(n, v->p) ? "inserted" : "edited");
	if (v->p == NULL)
		return judge_first(c, diag);
	if (links_to(c, v->p))
		return judge_linked(v, c, v->p, diag);
	return judge_break(v, c, n, diag);
}

/*
 * Whether l, a line that does not parse, is the start of the line after
 * it, line[0..len), or that one the start of l: a torn write and the
 * line written again (whole, or torn again, shorter).
 */
static bool
torn_before(const struct vline *l, const char *line, size_t len)
{
	if (l == NULL || l->text == NULL || len <= 1 ||
	    line[len - 1] != '\n')
		return false;
	len--;
	return len != l->textlen && memcmp(l->text, line,
	    len < l->textlen ? len : l->textlen) == 0;
}

/* c is torn (torn_before): a warning, and c leaves the window. */
static void
pass_torn(struct verifier *v, const struct vline *n, struct diag *diag)
{
	char at[4096];

	v->stats.torn++;
	diag_add(diag, DIAG_WARNING, v->c->file, v->c->lineno, 0, "torn "
	    "write: the line is the start of %s, cut short when a write "
	    "failed (the disk was full) and written again there; the line "
	    "is passed over", where(n, at, sizeof(at)));
	vline_free(v->c);
	v->c = NULL;
}

/* Judge the waiting line, then let n wait in its place. */
static int
advance(struct verifier *v, struct vline *n, struct diag *diag)
{
	int r = 0;

	if (v->c != NULL && v->c->torn && n != NULL) {
		pass_torn(v, n, diag);
		v->c = n;
		return 0;
	}
	if (v->c != NULL)
		r = judge(v, n, diag);
	vline_free(v->pp);
	v->pp = v->p;
	v->p = v->c;
	v->c = n;
	return r;
}

int
verifier_line(struct verifier *v, const char *file, unsigned lineno,
    const char *line, size_t len, struct diag *diag)
{
	if (v->broken)
		return 1;
	if (torn_before(v->c, line, len))
		v->c->torn = true;
	return advance(v, vline_new(v, file, lineno, line, len), diag);
}

int
verifier_end(struct verifier *v, struct diag *diag)
{
	if (v->broken)
		return 1;
	return v->c != NULL ? advance(v, NULL, diag) : 0;
}

void
verifier_stats(const struct verifier *v, struct verify_stats *ret)
{
	*ret = v->stats;
}
