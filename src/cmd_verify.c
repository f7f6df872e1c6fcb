/*
 * --verify FILE...: the alert stream's chain across rotations, oldest
 * file first (fimd.alerts(5)).  The judging is verify.c's; this reads the
 * files, plain or gzip-compressed (zlib reads both: a file that is not
 * gzip passes through as it is), one line at a time, and reports.
 *
 * Exit status: 0 when the chain is whole (warnings, such as an unclean
 * stop, may be printed), 1 at the first break, 17 for a key that cannot
 * be used, 18 when a file cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "buf.h"
#include "chain.h"
#include "cmd.h"
#include "exitcode.h"
#include "log.h"
#include "verify.h"

/* A line longer than this is not fimd's (alert lines are at most 4 MiB). */
#define VERIFY_LINE_MAX	((size_t)16 << 20)
#define READ_CHUNK	(64 * 1024)
#define EXIT_BROKEN	1

struct vfile {
	const char *name;
	gzFile	 gz;
	unsigned lineno;
	struct buf line;
	bool	 overlong;
};

/* One complete or final line of f to the verifier. */
static int
feed(struct verifier *v, struct vfile *f, struct diag *diag)
{
	f->lineno++;
	if (f->overlong) {
		diag_add(diag, DIAG_ERROR, f->name, f->lineno, 0, "edited: a "
		    "line longer than %zu bytes is not an alert line of fimd",
		    VERIFY_LINE_MAX);
		return 1;
	}
	return verifier_line(v, f->name, f->lineno, f->line.data, f->line.len,
	    diag);
}

/* Split data[0..len) into lines; 1 at a break. */
static int
take(struct verifier *v, struct vfile *f, const char *data, size_t len,
    struct diag *diag)
{
	const char *nl;
	size_t n;
	int r;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) + 1 : len;
		if (buf_add(&f->line, data, n) < 0)
			f->overlong = true;
		data += n;
		len -= n;
		if (nl == NULL)
			break;
		if ((r = feed(v, f, diag)) != 0)
			return r;
		buf_reset(&f->line);
		f->overlong = false;
	}
	return 0;
}

/* Why zlib stopped, or NULL when it reached the end cleanly. */
static const char *
gz_failure(gzFile gz)
{
	int err;
	const char *msg = gzerror(gz, &err);

	return err == Z_OK || err == Z_STREAM_END ? NULL : msg;
}

/* Read f to its end through the verifier: 0, 1 at a break, or -EIO. */
static int
read_file(struct verifier *v, struct vfile *f, struct diag *diag)
{
	char chunk[READ_CHUNK];
	const char *why;
	int n, r = 0;

	while (r == 0 && (n = gzread(f->gz, chunk, sizeof(chunk))) > 0)
		r = take(v, f, chunk, (size_t)n, diag);
	if (r != 0)
		return r;
	if ((why = gz_failure(f->gz)) != NULL) {
		/* Cut compressed data is a truncation of the stream. */
		diag_add(diag, DIAG_ERROR, f->name, f->lineno + 1, 0,
		    "truncated: the compressed data is damaged or cut (%s)",
		    why);
		return 1;
	}
	/* A last line without its newline: the verifier names it. */
	return f->line.len > 0 ? feed(v, f, diag) : 0;
}

static int
verify_file(struct verifier *v, const char *name, struct diag *diag)
{
	struct vfile f = { .name = name };
	int fd, r;

	fd = strcmp(name, "-") == 0 ? dup(0) :
	    open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || (f.gz = gzdopen(fd, "rb")) == NULL) {
		log_warn("%s", name);
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	(void)gzbuffer(f.gz, READ_CHUNK);
	buf_init(&f.line, VERIFY_LINE_MAX);
	r = read_file(v, &f, diag);
	buf_release(&f.line);
	gzclose(f.gz);
	if (r == 0)
		printf("%s: %u lines\n", name, f.lineno);
	return r;
}

/* --key, else the configuration's chain_key, else none. */
static int
load_key(const struct fimd_config *c, struct chain_key **ret)
{
	const char *path = c->verify_key != NULL ? c->verify_key :
	    c->chain_key;
	struct diag d;
	int r;

	*ret = NULL;
	if (path == NULL)
		return 0;
	diag_init(&d);
	r = chain_key_load(path, false, ret, &d);
	diag_print(&d, stderr);
	diag_release(&d);
	return r < 0 ? EXIT_BAD_RULES : 0;
}

static void
print_summary(const struct verifier *v, const struct chain_key *key,
    int nfiles)
{
	struct verify_stats st;

	verifier_stats(v, &st);
	printf("chain whole: %" PRIu64 " lines in %d file%s, seq %" PRIu64
	    " to %" PRIu64 ", %s", st.lines, nfiles, nfiles == 1 ? "" : "s",
	    st.first_seq, st.last_seq, chain_algorithm(key));
	if (st.unclean > 0)
		printf(", %u unclean stop%s", st.unclean,
		    st.unclean == 1 ? "" : "s");
	if (st.restarts > 0)
		printf(", %u new chain%s", st.restarts,
		    st.restarts == 1 ? "" : "s");
	if (st.torn > 0)
		printf(", %u torn write%s", st.torn, st.torn == 1 ? "" : "s");
	printf("\n");
}

/* Where the chain broke: the one error the verification ended with. */
static void
print_break(const struct diag *d)
{
	size_t i;

	for (i = d->n; i > 0; i--) {
		if (d->v[i - 1].severity == DIAG_ERROR) {
			printf("chain broken at %s:%u\n", d->v[i - 1].file,
			    d->v[i - 1].line);
			return;
		}
	}
}

int
cmd_verify(const struct fimd_config *c)
{
	struct chain_key *key;
	struct verifier *v;
	struct diag d;
	int i, r = 0;

	if ((r = load_key(c, &key)) != 0)
		return r;
	v = verifier_new(key);
	diag_init(&d);
	for (i = 0; i < c->noperands && r == 0; i++)
		r = verify_file(v, c->operands[i], &d);
	if (r == 0)
		r = verifier_end(v, &d);
	fflush(stdout);
	diag_print(&d, stderr);
	if (r == 0)
		print_summary(v, key, c->noperands);
	else if (r > 0)
		print_break(&d);
	diag_release(&d);
	verifier_free(v);
	chain_key_free(key);
	if (r < 0)
		return EXIT_IO_ERROR;
	return r > 0 ? EXIT_BROKEN : EXIT_OK;
}
