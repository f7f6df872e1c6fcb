/*
 * verify: streams made as the daemon makes them (alert_line, each line
 * linked to the one before), then changed as an intruder or a crash
 * would change them; each change is caught at its line, with what it
 * was, and what the daemon explains itself is a warning, not a break.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"

#include "alert.h"
#include "chain.h"
#include "verify.h"

#define NLINES	8

/* One line as the daemon writes it: the files of a rule, or a record. */
struct mline {
	char	*text;
	size_t	 len;
};

static char *dir;
static struct chain_key *key;

static int
setup(void **state)
{
	struct diag d;
	char *path;

	(void)state;
	dir = tlib_mkdtemp("verify");
	path = tlib_fmt("%s/key", dir);
	tlib_write(path, "a key of thirty-two bytes or more", 33);
	diag_init(&d);
	assert_int_equal(chain_key_load(path, false, &key, &d), 0);
	diag_release(&d);
	free(path);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	chain_key_free(key);
	tlib_rmrf(dir);
	free(dir);
	return 0;
}

/*
 * n lines from seq first chained from link under k: a started record,
 * created alerts, and (last) a stopped record when stopped.
 */
static void
make_lines(struct mline *out, size_t n, uint64_t first, struct chain *c,
    bool stopped)
{
	struct alert_stream *s = alert_stream_new("inotify", first);
	struct alert_state st = { .files = 3, .rules = 1, .heartbeat = 60 };
	struct alert a;
	struct buf b;
	char path[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/srv/f%zu", i);
		if (i == 0)
			alert_for_state(&a, ACTION_STARTED, &st, NULL);
		else if (i == n - 1 && stopped)
			alert_for_state(&a, ACTION_STOPPED, &st, "SIGTERM");
		else
			alert_for_scope(&a, ACTION_CREATED, SOURCE_REALTIME,
			    path, strlen(path), NULL, 0);
		buf_init(&b, BUF_MAX_DEFAULT);
		assert_int_equal(alert_line(s, &a, c->link, &b), 0);
		chain_follow(c, b.data, b.len);
		out[i].len = b.len;
		out[i].text = buf_detach(&b, NULL);
	}
	alert_stream_free(s);
}

static void
free_lines(struct mline *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i].text);
}

struct outcome {
	int	 r;		/* 0 whole, 1 broken */
	struct diag d;
};

/* Feed lines (len (size_t)-1: strlen) of one file, then end. */
static void
run(const struct chain_key *k, const char *file, const struct mline *l,
    size_t n, struct outcome *o)
{
	struct verifier *v = verifier_new(k);
	size_t i;

	diag_init(&o->d);
	o->r = 0;
	for (i = 0; i < n && o->r == 0; i++)
		o->r = verifier_line(v, file, (unsigned)i + 1, l[i].text,
		    l[i].len, &o->d);
	if (o->r == 0)
		o->r = verifier_end(v, &o->d);
	verifier_free(v);
}

/* The one error: at line, its message holding want. */
static void
assert_break(const struct outcome *o, unsigned line, const char *want)
{
	size_t i, errors = 0;

	assert_int_equal(o->r, 1);
	for (i = 0; i < o->d.n; i++) {
		if (o->d.v[i].severity != DIAG_ERROR)
			continue;
		errors++;
		if (o->d.v[i].line != line ||
		    strstr(o->d.v[i].message, want) == NULL)
			fail_msg("line %u: \"%s\", want line %u: \"%s\"",
			    o->d.v[i].line, o->d.v[i].message, line, want);
	}
	assert_int_equal(errors, 1);
}

/* No break, and exactly the warnings (and notes) want, "" for none. */
static void
assert_whole(const struct outcome *o, const char *want)
{
	size_t i;

	if (o->r != 0)
		fail_msg("broken: %s", o->d.n > 0 ? o->d.v[0].message : "?");
	if (want[0] == '\0') {
		assert_int_equal(o->d.n, 0);
		return;
	}
	assert_int_equal(o->d.n, 1);
	for (i = 0; i < o->d.n; i++) {
		assert_int_not_equal(o->d.v[i].severity, DIAG_ERROR);
		if (strstr(o->d.v[i].message, want) == NULL)
			fail_msg("\"%s\" does not say \"%s\"",
			    o->d.v[i].message, want);
	}
}

static void
assert_release(struct outcome *o)
{
	diag_release(&o->d);
}

/* A stream fresh from the daemon, plain and keyed, verifies. */
static void
test_whole(void **state)
{
	struct mline l[NLINES];
	struct outcome o;
	struct chain c;

	(void)state;
	chain_init(&c, NULL);
	make_lines(l, NLINES, 1, &c, true);
	run(NULL, "a", l, NLINES, &o);
	assert_whole(&o, "");
	assert_release(&o);
	/* Without its key a keyed stream does not verify, and says why. */
	run(key, "a", l, NLINES, &o);
	assert_break(&o, 2, "stream was written without a key");
	assert_release(&o);
	free_lines(l, NLINES);

	chain_init(&c, key);
	make_lines(l, NLINES, 1, &c, true);
	run(key, "a", l, NLINES, &o);
	assert_whole(&o, "");
	assert_release(&o);
	run(NULL, "a", l, NLINES, &o);
	assert_break(&o, 1, "give its key with --key");
	assert_release(&o);
	free_lines(l, NLINES);
}

enum edit {
	EDIT_BYTE,	/* one byte of line 4 */
	DELETE,		/* line 4 */
	SWAP,		/* lines 4 and 5 */
	TRUNCATE,	/* the last line loses its end */
	INSERT_JUNK,	/* a line that is not fimd's before line 4 */
	DUPLICATE,	/* line 4 again after it */
	FORGE_PLAIN,	/* line 4 edited, line 5 relinked with SHA-256 */
	FORGE_INSERT,	/* a new line 4, linked by plain SHA-256 */
	EDIT_LINK,	/* line 5's fimd.chain changed */
};

static const struct change_case {
	const char *name;
	enum edit change;
	bool	 keyed;
	unsigned line;		/* where the break is reported */
	const char *why;
} change_cases[] = {
	{ "edited byte", EDIT_BYTE, false, 4, "edited: the line does not "
	    "match the fimd.chain of the line after it (a:5)" },
	{ "edited byte, keyed", EDIT_BYTE, true, 4, "edited" },
	{ "deleted line", DELETE, false, 4, "removed: 1 line (seq 4 to 4) "
	    "missing before this line" },
	{ "swapped lines", SWAP, false, 4, "reordered: this line and the "
	    "next (a:5) are swapped" },
	{ "truncated tail", TRUNCATE, false, NLINES, "truncated: the line "
	    "ends without a newline" },
	{ "inserted junk", INSERT_JUNK, false, 4, "inserted: not an alert "
	    "line of fimd" },
	{ "duplicated line", DUPLICATE, false, 5, "inserted: the line repeats "
	    "the line before it" },
	{ "forged, keyed", FORGE_PLAIN, true, 5, "forged: fimd.chain is the "
	    "plain SHA-256 of the line before, not its HMAC with the key: "
	    "the line before was changed" },
	{ "forged insert, plain", FORGE_INSERT, false, 4, "inserted" },
	{ "forged insert, keyed", FORGE_INSERT, true, 4, "forged" },
	{ "edited link", EDIT_LINK, false, 4, "edited" },
};

/* Set line i's fimd.chain to link (64 hex digits). */
static void
set_link(struct mline *l, const char *link)
{
	char *at = strstr(l->text, "\"chain\":\"");

	assert_non_null(at);
	memcpy(at + 9, link, CHAIN_HEX_LEN);
}

/* Apply one change to the 8 lines in l, into out; returns the count. */
static size_t
apply(const struct change_case *tc, struct mline *l, struct mline *out)
{
	static char junk[] = "not json\n";
	char hex[CHAIN_HEX_LEN + 1];
	size_t n = 0, i;

	for (i = 0; i < NLINES; i++) {
		if (tc->change == DELETE && i == 3)
			continue;
		if (tc->change == INSERT_JUNK && i == 3)
			out[n++] = (struct mline){ junk, 9 };
		if (tc->change == FORGE_INSERT && i == 3) {
			out[n] = l[2];
			out[n].text = strdup(l[2].text);
			chain_digest_hex(NULL, l[2].text, l[2].len, hex);
			set_link(&out[n++], hex);
		}
		out[n++] = l[i];
		if (tc->change == DUPLICATE && i == 3)
			out[n++] = l[i];
	}
	if (tc->change == SWAP) {
		struct mline t = out[3];

		out[3] = out[4];
		out[4] = t;
	}
	if (tc->change == TRUNCATE)
		out[n - 1].len -= 10;
	if (tc->change == EDIT_BYTE || tc->change == FORGE_PLAIN)
		strstr(out[3].text, "/srv/f3")[5] = 'g';
	if (tc->change == FORGE_PLAIN) {
		chain_digest_hex(NULL, out[3].text, out[3].len, hex);
		set_link(&out[4], hex);
	}
	if (tc->change == EDIT_LINK)
		set_link(&out[4], CHAIN_GENESIS);
	return n;
}

static void
test_change(void **state)
{
	const struct change_case *tc =
	    &change_cases[(size_t)(uintptr_t)*state];
	const struct chain_key *k = tc->keyed ? key : NULL;
	struct mline l[NLINES], changed[NLINES + 1];
	struct outcome o;
	struct chain c;
	size_t n;

	chain_init(&c, k);
	make_lines(l, NLINES, 1, &c, true);
	n = apply(tc, l, changed);
	run(k, "a", changed, n, &o);
	assert_break(&o, tc->line, tc->why);
	assert_release(&o);
	if (tc->change == FORGE_INSERT)
		free(changed[3].text);
	free_lines(l, NLINES);
}

/*
 * Two runs in one file, the first killed (no stopped record): the chain
 * is whole and the stop is a warning.  So are seq numbers the daemon
 * skipped with the chain whole, and a first line whose link points to a
 * file not given.
 */
static void
test_daemon_explains(void **state)
{
	struct mline l[2 * NLINES];
	struct outcome o;
	struct chain c;

	(void)state;
	chain_init(&c, NULL);
	make_lines(l, NLINES, 1, &c, false);
	make_lines(l + NLINES, NLINES, NLINES + 1, &c, true);
	run(NULL, "a", l, 2 * NLINES, &o);
	assert_whole(&o, "unclean stop: the run before ended at a:8 (seq 8) "
	    "without a stopped record");
	assert_int_equal(o.d.v[0].line, NLINES + 1);
	assert_release(&o);
	free_lines(l, 2 * NLINES);

	/* The daemon left seq 4 out (its spool was full): linked around. */
	chain_init(&c, NULL);
	make_lines(l, 3, 1, &c, false);
	make_lines(l + 3, NLINES, 5, &c, true);
	run(NULL, "a", l, 3 + NLINES, &o);
	assert_int_equal(o.r, 0);
	assert_int_equal(o.d.n, 2);	/* the missing seq, a started */
	assert_non_null(strstr(o.d.v[0].message, "seq 4 to 4 are missing, "
	    "but the chain is whole"));
	assert_release(&o);
	free_lines(l, 3 + NLINES);

	/* A rotation whose predecessor is not given. */
	chain_init(&c, NULL);
	make_lines(l, NLINES, 1, &c, true);
	run(NULL, "a.1", l + 2, NLINES - 2, &o);
	assert_whole(&o, "the line before this one is not given");
	assert_int_equal(o.d.v[0].line, 1);
	assert_release(&o);
	free_lines(l, NLINES);
}

/* The start of l, cut after len bytes, ended by a newline. */
static struct mline
torn_line(const struct mline *l, size_t len)
{
	struct mline t;

	t.text = malloc(len + 2);
	assert_non_null(t.text);
	memcpy(t.text, l->text, len);
	t.text[len] = '\n';
	t.text[len + 1] = '\0';
	t.len = len + 1;
	return t;
}

/*
 * A write the disk cut short and the daemon could not take back: the
 * torn start of a line as a line of its own, then the line whole (torn
 * twice: the second time shorter) is a warning, passed over, and not
 * counted as a line.  The torn start of a line that does not follow,
 * or an empty line, is a break.
 */
static void
test_torn_write(void **state)
{
	struct mline l[NLINES + 2], w[NLINES];
	struct verifier *v;
	struct verify_stats st;
	struct outcome o;
	struct chain c;
	struct diag d;
	size_t i, n;
	int r = 0;

	(void)state;
	chain_init(&c, NULL);
	make_lines(w, NLINES, 1, &c, true);
	for (i = n = 0; i < NLINES; i++) {
		if (i == 3) {
			l[n++] = torn_line(&w[i], 90);
			l[n++] = torn_line(&w[i], 17);
		}
		l[n] = w[i];
		l[n++].text = strdup(w[i].text);
	}
	v = verifier_new(NULL);
	diag_init(&d);
	for (i = 0; i < n && r == 0; i++)
		r = verifier_line(v, "a", (unsigned)i + 1, l[i].text,
		    l[i].len, &d);
	assert_int_equal(r, 0);
	assert_int_equal(verifier_end(v, &d), 0);
	assert_int_equal(d.n, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(d.v[i].severity, DIAG_WARNING);
		assert_int_equal(d.v[i].line, 4 + i);
		assert_non_null(strstr(d.v[i].message, "torn write"));
	}
	verifier_stats(v, &st);
	assert_int_equal(st.lines, NLINES);
	assert_int_equal(st.torn, 2);
	verifier_free(v);
	diag_release(&d);

	/* The torn start of line 4 where line 5 follows: not a torn write. */
	free(l[5].text);
	l[5] = torn_line(&w[3], 90);
	run(NULL, "a", l + 3, n - 3, &o);
	assert_int_equal(o.r, 1);
	assert_release(&o);

	/* An empty line is the start of every line, and no torn write. */
	free(l[5].text);
	l[5].text = strdup("\n");
	l[5].len = 1;
	run(NULL, "a", l + 5, n - 5, &o);
	assert_int_equal(o.r, 1);
	assert_release(&o);
	free_lines(l, n);
	free_lines(w, NLINES);
}

/* Across files: linked on, a fresh chain, and files out of order. */
static void
test_files(void **state)
{
	struct mline l[2 * NLINES];
	struct verifier *v;
	struct verify_stats st;
	struct diag d;
	struct chain c;
	size_t i;
	int r = 0;

	(void)state;
	chain_init(&c, NULL);
	make_lines(l, NLINES, 1, &c, true);
	chain_init(&c, NULL);	/* the daemon met an empty file */
	make_lines(l + NLINES, NLINES, 1, &c, true);
	v = verifier_new(NULL);
	diag_init(&d);
	for (i = 0; i < 2 * NLINES && r == 0; i++)
		r = verifier_line(v, i < NLINES ? "a.1" : "a",
		    (unsigned)(i % NLINES) + 1, l[i].text, l[i].len, &d);
	assert_int_equal(r, 0);
	assert_int_equal(verifier_end(v, &d), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].severity, DIAG_WARNING);
	assert_non_null(strstr(d.v[0].message, "a new chain starts here"));
	verifier_stats(v, &st);
	assert_int_equal(st.lines, 2 * NLINES);
	assert_int_equal(st.restarts, 1);
	assert_int_equal(st.unclean, 0);
	verifier_free(v);
	diag_release(&d);

	/* The newer file first: its chain starts after the older ended. */
	v = verifier_new(NULL);
	diag_init(&d);
	r = 0;
	for (i = 0; i < 2 * NLINES && r == 0; i++)
		r = verifier_line(v, i < NLINES ? "a" : "a.1",
		    (unsigned)(i % NLINES) + 1, l[(i + NLINES) % (2 * NLINES)]
		    .text, l[(i + NLINES) % (2 * NLINES)].len, &d);
	if (r == 0)
		r = verifier_end(v, &d);
	assert_int_equal(r, 1);
	assert_string_equal(d.v[d.n - 1].file, "a.1");
	assert_int_equal(d.v[d.n - 1].line, 1);
	verifier_free(v);
	diag_release(&d);
	free_lines(l, 2 * NLINES);
}

int
main(void)
{
	struct CMUnitTest tests[32];
	size_t n = 0, i;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_whole);
	for (i = 0; i < sizeof(change_cases) / sizeof(change_cases[0]); i++)
		tests[n++] = (struct CMUnitTest){ change_cases[i].name,
		    test_change, NULL, NULL, (void *)(uintptr_t)i };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_daemon_explains);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_files);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_torn_write);
	return _cmocka_run_group_tests("verify", tests, n, setup, teardown);
}
