/*
 * --tail: the alert file for humans (or raw with --json), filtered, and
 * with --follow kept open across rotation.  The reading is tail.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "buf.h"
#include "cmd.h"
#include "cmdutil.h"
#include "exitcode.h"
#include "log.h"
#include "tail.h"

struct tail_out {
	const struct fimd_config *c;
	struct buf line;
};

static int
print_alert(const char *raw, size_t len, const json_t *alert, void *arg)
{
	struct tail_out *o = arg;

	if (o->c->json)
		fwrite(raw, 1, len, stdout);
	else {
		buf_reset(&o->line);
		(void)alert_human(alert, (o->c->verbosity > 0 ?
		    ALERT_HUMAN_VERBOSE : 0) | (o->c->utc ? ALERT_HUMAN_UTC :
		    0), &o->line);
		fwrite(o->line.data, 1, o->line.len, stdout);
	}
	putchar('\n');
	if (o->c->follow)
		fflush(stdout);
	/* The reader went away (| head): stop quietly. */
	return ferror(stdout) ? 1 : 0;
}

int
cmd_tail(const struct fimd_config *c)
{
	struct tail_ops ops = { .line = print_alert };
	struct tail_filter f;
	struct tail_out o = { .c = c };
	const char *why = NULL;
	struct buf prefix;
	int r;

	/* Alerts carry absolute paths; a relative prefix is from here. */
	buf_init(&prefix, BUF_MAX_DEFAULT);
	if (c->tail_prefix != NULL && c->tail_prefix[0] != '\0' &&
	    (r = cmd_abspath(c->tail_prefix, &prefix)) < 0) {
		errno = -r;
		log_warn("--prefix %s", c->tail_prefix);
		buf_release(&prefix);
		return EXIT_USAGE;
	}
	r = tail_filter_init(&f, c->tail_rule, c->tail_severity,
	    c->tail_prefix != NULL && prefix.len > 0 ? prefix.data :
	    c->tail_prefix, c->tail_since, time(NULL), &why);
	buf_release(&prefix);
	if (r < 0) {
		log_warnx("%s", why);
		return EXIT_USAGE;
	}
	tail_filter_set_host(&f, c->tail_host);
	buf_init(&o.line, BUF_MAX_DEFAULT);
	ops.arg = &o;
	r = tail_run(c->alerts_path, &f, c->follow, TAIL_POLL_MS, &ops);
	buf_release(&o.line);
	tail_filter_release(&f);
	if (fflush(stdout) == EOF && errno != EPIPE) {
		log_err("standard output");
		return EXIT_IO_ERROR;
	}
	if (r < 0) {
		errno = -r;
		log_err("%s", c->alerts_path);
		return EXIT_IO_ERROR;
	}
	return EXIT_OK;
}
