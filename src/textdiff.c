/*
 * textdiff: Myers' diff on lines, printed as unified hunks (textdiff.h).
 *
 * The texts are cut into lines (with their newline) and each line gets
 * a hash, so the search compares numbers first.  Common first and last
 * lines are set aside; the middle is searched by the greedy algorithm of
 * Myers' "An O(ND) Difference Algorithm and Its Variations" (1986),
 * keeping the furthest-reaching x of every diagonal for each edit count
 * d, so the path can be walked back.  That trace is (d + 1)^2 entries,
 * which is what TEXTDIFF_MAX_EDITS bounds (about 4 MiB at 1024).  The
 * edit script is one byte per step: EQ, DEL, INS.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathmap.h"
#include "textdiff.h"
#include "xmalloc.h"

enum { OP_EQ = 'e', OP_DEL = 'd', OP_INS = 'i' };

struct line {
	const char *p;		/* borrowed from the text */
	size_t	 len;		/* with its newline, if it has one */
	uint64_t hash;
};

struct lines {
	struct line *v;
	size_t	 n;
};

struct script {
	char	*ops;
	size_t	 n;
};

static void
split_lines(const char *t, size_t len, struct lines *ret)
{
	size_t pos = 0, n = 0, cap = 16, l;
	const char *nl;

	ret->v = xreallocarray(NULL, cap, sizeof(*ret->v));
	while (pos < len) {
		nl = memchr(t + pos, '\n', len - pos);
		l = nl != NULL ? (size_t)(nl - (t + pos)) + 1 : len - pos;
		if (n == cap) {
			cap *= 2;
			ret->v = xreallocarray(ret->v, cap, sizeof(*ret->v));
		}
		ret->v[n].p = t + pos;
		ret->v[n].len = l;
		ret->v[n].hash = pathmap_hash(t + pos, l);
		n++;
		pos += l;
	}
	ret->n = n;
}

static bool
line_eq(const struct line *x, const struct line *y)
{
	return x->hash == y->hash && x->len == y->len &&
	    memcmp(x->p, y->p, x->len) == 0;
}

static void
script_add(struct script *s, char op, size_t count)
{
	memset(s->ops + s->n, op, count);
	s->n += count;
}

/* The furthest x of diagonal k after d edits, from the trace. */
static int
trace_x(int *const *trace, int d, int k)
{
	return trace[d][k + d];
}

/*
 * Walk the trace back from (n, m) after dmax edits and append the
 * script of a[0..n) -> b[0..m) to s (which has room for n + m).
 */
static void
backtrack(int *const *trace, int dmax, int n, int m, struct script *s)
{
	char *rev = xmalloc((size_t)(n + m) + 1);
	size_t nrev = 0;
	int d, x = n, y = m, k, pk, px, py;
	bool down;

	for (d = dmax; d > 0; d--) {
		k = x - y;
		down = k == -d || (k != d && trace_x(trace, d - 1, k - 1) <
		    trace_x(trace, d - 1, k + 1));
		pk = down ? k + 1 : k - 1;
		px = trace_x(trace, d - 1, pk);
		py = px - pk;
		/* The diagonal after the edit. */
		while (x > (down ? px : px + 1) && y > (down ? py + 1 : py)) {
			rev[nrev++] = OP_EQ;
			x--;
			y--;
		}
		rev[nrev++] = down ? OP_INS : OP_DEL;
		x = px;
		y = py;
	}
	while (x > 0 && y > 0) {
		rev[nrev++] = OP_EQ;
		x--;
		y--;
	}
	while (nrev > 0)
		s->ops[s->n++] = rev[--nrev];
	free(rev);
}

/*
 * Myers' greedy search over a[0..n) and b[0..m).  Appends the shortest
 * script to s and returns true, or returns false (s unchanged) when it
 * takes more than TEXTDIFF_MAX_EDITS edits.
 */
static bool
myers(const struct line *a, int n, const struct line *b, int m,
    struct script *s)
{
	int max = n + m, d, k, x, y, found = -1;
	int lim = max < TEXTDIFF_MAX_EDITS ? max : TEXTDIFF_MAX_EDITS;
	int *v = xcalloc(2 * (size_t)lim + 3, sizeof(*v));
	int **trace = xcalloc((size_t)lim + 1, sizeof(*trace));
	int *vk = v + lim + 1;		/* vk[k] for k in -lim-1 .. lim+1 */

	for (d = 0; d <= lim && found < 0; d++) {
		for (k = -d; k <= d; k += 2) {
			if (k == -d || (k != d && vk[k - 1] < vk[k + 1]))
				x = vk[k + 1];
			else
				x = vk[k - 1] + 1;
			y = x - k;
			while (x < n && y < m && line_eq(&a[x], &b[y])) {
				x++;
				y++;
			}
			vk[k] = x;
			if (x >= n && y >= m)
				found = d;
		}
		trace[d] = xmemdup(vk - d, (2 * (size_t)d + 1) *
		    sizeof(*vk));
	}
	if (found >= 0)
		backtrack(trace, found, n, m, s);
	for (k = 0; k < d; k++)
		free(trace[k]);
	free(trace);
	free(v);
	return found >= 0;
}

/* The whole script of a -> b: common ends, then the middle. */
static void
make_script(const struct lines *a, const struct lines *b, struct script *s)
{
	size_t pre = 0, suf = 0, an, bn;

	while (pre < a->n && pre < b->n && line_eq(&a->v[pre], &b->v[pre]))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	    line_eq(&a->v[a->n - 1 - suf], &b->v[b->n - 1 - suf]))
		suf++;
	an = a->n - pre - suf;
	bn = b->n - pre - suf;
	s->ops = xmalloc(a->n + b->n + 1);
	s->n = 0;
	script_add(s, OP_EQ, pre);
	if (!myers(a->v + pre, (int)an, b->v + pre, (int)bn, s)) {
		script_add(s, OP_DEL, an);
		script_add(s, OP_INS, bn);
	}
	script_add(s, OP_EQ, suf);
}

/* The output, with the first failure kept. */
struct out {
	struct buf *b;
	int	 err;
};

static void
emit_line(struct out *o, char prefix, const struct line *l)
{
	int r = 0;

	if (o->err != 0)
		return;
	if ((r = buf_addc(o->b, prefix)) == 0 &&
	    (r = buf_add(o->b, l->p, l->len)) == 0 &&
	    l->p[l->len - 1] != '\n' &&
	    (r = buf_addc(o->b, '\n')) == 0)
		r = buf_adds(o->b, TEXTDIFF_NO_NEWLINE);
	o->err = r;
}

/* "start,count" of a hunk's side (1-based lines; count 1 alone). */
static void
emit_range(struct out *o, size_t first, size_t count)
{
	int r;

	if (o->err != 0)
		return;
	if (count == 1)
		r = buf_addf(o->b, "%zu", first + 1);
	else
		r = buf_addf(o->b, "%zu,%zu", count == 0 ? first : first + 1,
		    count);
	o->err = r < 0 ? r : 0;
}

struct walk {
	const struct lines *a, *b;
	const struct script *s;
	size_t	 ai, bi;	/* lines of a and b before op i */
};

/*
 * Print the hunk of ops [from, to) (a and b positions ai, bi at from).
 * Within each change, deletions first.
 */
static void
emit_hunk(struct out *o, const struct walk *w, size_t from, size_t to)
{
	size_t i, j, ai = w->ai, bi = w->bi, na = 0, nb = 0;

	for (i = from; i < to; i++) {
		na += w->s->ops[i] != OP_INS;
		nb += w->s->ops[i] != OP_DEL;
	}
	if (o->err == 0)
		o->err = buf_adds(o->b, "@@ -");
	emit_range(o, ai, na);
	if (o->err == 0)
		o->err = buf_adds(o->b, " +");
	emit_range(o, bi, nb);
	if (o->err == 0)
		o->err = buf_adds(o->b, " @@\n");
	for (i = from; i < to; i = j) {
		if (w->s->ops[i] == OP_EQ) {
			emit_line(o, ' ', &w->a->v[ai++]);
			bi++;
			j = i + 1;
			continue;
		}
		for (j = i; j < to && w->s->ops[j] != OP_EQ; j++)
			if (w->s->ops[j] == OP_DEL)
				emit_line(o, '-', &w->a->v[ai++]);
		for (j = i; j < to && w->s->ops[j] != OP_EQ; j++)
			if (w->s->ops[j] == OP_INS)
				emit_line(o, '+', &w->b->v[bi++]);
	}
}

/* Advance the walk's line positions over ops [from, to). */
static void
walk_over(struct walk *w, size_t from, size_t to)
{
	for (; from < to; from++) {
		w->ai += w->s->ops[from] != OP_INS;
		w->bi += w->s->ops[from] != OP_DEL;
	}
}

/*
 * Group the script into hunks: a change and `context` equal steps on
 * each side; two changes closer than 2 * context share a hunk.
 */
static void
emit_hunks(struct out *o, struct walk *w, size_t context)
{
	const struct script *s = w->s;
	size_t i = 0, start, end, eq, done = 0;

	while (i < s->n) {
		while (i < s->n && s->ops[i] == OP_EQ)
			i++;
		if (i == s->n)
			break;
		start = i > context ? i - context : 0;
		if (start < done)
			start = done;
		end = i;
		for (;;) {
			while (end < s->n && s->ops[end] != OP_EQ)
				end++;
			for (eq = end; eq < s->n && s->ops[eq] == OP_EQ; eq++)
				;
			if (eq == s->n || eq - end > 2 * context)
				break;
			end = eq;
		}
		end = end + context < s->n ? end + context : s->n;
		walk_over(w, done, start);
		emit_hunk(o, w, start, end);
		walk_over(w, start, end);
		done = i = end;
	}
}

int
textdiff_unified(const char *a, size_t alen, const char *b, size_t blen,
    unsigned context, struct buf *out)
{
	struct lines la, lb;
	struct script s;
	struct walk w;
	struct out o = { out, 0 };
	size_t old = out->len;

	split_lines(a, alen, &la);
	split_lines(b, blen, &lb);
	make_script(&la, &lb, &s);
	memset(&w, 0, sizeof(w));
	w.a = &la;
	w.b = &lb;
	w.s = &s;
	emit_hunks(&o, &w, context);
	free(s.ops);
	free(la.v);
	free(lb.v);
	if (o.err != 0) {
		buf_truncate(out, old);
		return o.err;
	}
	return 0;
}

int
textdiff_truncate(struct buf *d, size_t max)
{
	char marker[64];
	size_t cut, lines = 0, i;
	int n;

	if (d->len <= max)
		return 0;
	/* The marker's length depends on the count: allow for 20 digits. */
	cut = max > sizeof(marker) ? max - sizeof(marker) : 0;
	while (cut > 0 && d->data[cut - 1] != '\n')
		cut--;
	for (i = cut; i < d->len; i++)
		lines += d->data[i] == '\n';
	n = snprintf(marker, sizeof(marker),
	    "\\ fimd: diff truncated, %zu more lines\n", lines);
	buf_truncate(d, cut);
	(void)buf_add(d, marker, (size_t)n);
	return 1;
}
