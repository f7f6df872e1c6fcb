/*
 * fimd: parse the command line, load the configuration, dispatch to one
 * cmd_* function and return its exit status.  Nothing else happens here.
 *
 * Precedence: built-in defaults, then the configuration file, then flags.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "buf.h"
#include "cmd.h"
#include "cmdutil.h"
#include "config.h"
#include "diag.h"
#include "exitcode.h"
#include "hash.h"
#include "log.h"
#include "parse.h"
#include "rules.h"
#include "xmalloc.h"

enum mode {
	MODE_NONE,
	MODE_INIT,
	MODE_CHECK,
	MODE_UPDATE,
	MODE_QUERY,
	MODE_VALIDATE,
	MODE_EXPLAIN,
	MODE_DAEMON,
	MODE_STATUS,
	MODE_TAIL,
	MODE_ACCEPT,
	MODE_RESCAN,
	MODE_REOPEN,
	MODE_VERIFY,
	MODE_WINDOW,
	MODE_RECOMMEND,
	MODE_VERSION,
	MODE_HELP,
};

static const struct mode_entry {
	const char *flag;
	int	(*fn)(const struct fimd_config *);
	enum mode mode;
	bool	 operands;	/* takes PATH operands */
	bool	 needs_operands;
} mode_table[] = {
	{ "--init", cmd_init, MODE_INIT, false, false },
	{ "--check", cmd_check, MODE_CHECK, true, false },
	{ "--update", cmd_update, MODE_UPDATE, true, false },
	{ "--query", cmd_query, MODE_QUERY, true, true },
	{ "--validate", cmd_validate, MODE_VALIDATE, false, false },
	{ "--explain", cmd_explain, MODE_EXPLAIN, true, true },
	{ "--daemon", cmd_daemon, MODE_DAEMON, false, false },
	{ "--status", cmd_status, MODE_STATUS, false, false },
	{ "--tail", cmd_tail, MODE_TAIL, false, false },
	{ "--accept", cmd_accept, MODE_ACCEPT, true, true },
	{ "--rescan", cmd_rescan, MODE_RESCAN, false, false },
	{ "--reopen", cmd_reopen, MODE_REOPEN, false, false },
	{ "--verify", cmd_verify, MODE_VERIFY, true, true },
	{ "--window", cmd_window, MODE_WINDOW, false, false },
	{ "--recommend", cmd_recommend, MODE_RECOMMEND, false, false },
};

enum {
	OPT_QUERY = 256,
	OPT_VALIDATE,
	OPT_EXPLAIN,
	OPT_BACKEND,
	OPT_JSON,
	OPT_PARANOID,
	OPT_PACKAGES,
	OPT_WORKERS,
	OPT_SHIPPED,
	OPT_DAEMON,
	OPT_FOREGROUND,
	OPT_STATUS,
	OPT_TAIL,
	OPT_ACCEPT,
	OPT_RESCAN,
	OPT_REOPEN,
	OPT_RULE,
	OPT_SEVERITY,
	OPT_PREFIX,
	OPT_SINCE,
	OPT_UTC,
	OPT_VERIFY,
	OPT_KEY,
	OPT_WINDOW,
	OPT_REASON,
	OPT_TTL,
	OPT_HISTORY,
	OPT_ID,
	OPT_RECOMMEND,
	OPT_WRITE,
	OPT_ROOT,
	OPT_HOST,
	OPT_TYPE,
};

static const struct option longopts[] = {
	{ "init", no_argument, NULL, 'i' },
	{ "check", no_argument, NULL, 'C' },
	{ "update", no_argument, NULL, 'u' },
	{ "query", no_argument, NULL, OPT_QUERY },
	{ "validate", no_argument, NULL, OPT_VALIDATE },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "daemon", no_argument, NULL, OPT_DAEMON },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "tail", no_argument, NULL, OPT_TAIL },
	{ "accept", no_argument, NULL, OPT_ACCEPT },
	{ "rescan", no_argument, NULL, OPT_RESCAN },
	{ "reopen", no_argument, NULL, OPT_REOPEN },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "history", no_argument, NULL, OPT_HISTORY },
	{ "id", required_argument, NULL, OPT_ID },
	{ "recommend", no_argument, NULL, OPT_RECOMMEND },
	{ "write", required_argument, NULL, OPT_WRITE },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "follow", no_argument, NULL, 'f' },
	{ "rule", required_argument, NULL, OPT_RULE },
	{ "severity", required_argument, NULL, OPT_SEVERITY },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "utc", no_argument, NULL, OPT_UTC },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "config", required_argument, NULL, 'c' },
	{ "rules", required_argument, NULL, 'r' },
	{ "shipped-rules", required_argument, NULL, OPT_SHIPPED },
	{ "baseline", required_argument, NULL, 'b' },
	{ "alerts", required_argument, NULL, 'a' },
	{ "socket", required_argument, NULL, 's' },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "paranoid", no_argument, NULL, OPT_PARANOID },
	{ "packages", no_argument, NULL, OPT_PACKAGES },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

/* Values given as flags, applied over the configuration file. */
struct flags {
	enum mode mode;
	const char *config;
	const char *rules;
	const char *shipped;
	const char *baseline;
	const char *alerts;
	const char *socket;
	int	 backend;	/* -1: not given */
	int	 workers;	/* -1: not given */
	int	 type;		/* --type: an enum rule_type, -1: not given */
	bool	 json;
	bool	 paranoid;
	bool	 packages;
	int	 verbosity;
	bool	 quiet;
	bool	 foreground;
	bool	 follow;
	const char *rule;
	const char *severity;
	const char *prefix;
	const char *since;
	bool	 utc;
	const char *host;
	const char *key;
	const char *window;	/* --window's action */
	bool	 window_accept;	/* --accept beside --window */
	const char *reason;
	uint64_t ttl;
	uint64_t id;
	bool	 history;
	const char *write;	/* --recommend --write DIR */
	const char *root;	/* --recommend --root DIR */
	const char **rules_named;	/* every --rule, for --window */
	size_t	 nrules_named;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: fimd --init | --check | --update [-q | -v] [--json] "
	    "[--paranoid] [--packages]\n"
	    "                   [options] [PATH ...]\n"
	    "       fimd --query PATH ... [--history] [--json] [options]\n"
	    "       fimd --query --type ports|packages|services [NAME ...] "
	    "[--json]\n"
	    "                   [options]\n"
	    "       fimd --explain PATH ... | --explain --type TYPE [NAME ...]"
	    " [options]\n"
	    "       fimd --validate [options]\n"
	    "       fimd --daemon [--foreground] [options]\n"
	    "       fimd --status | --rescan [--rule name] | --reopen "
	    "[--json] [options]\n"
	    "       fimd --accept PATH ... [--reason text] [options]\n"
	    "       fimd --window open --reason text [--ttl time] "
	    "[--rule name]... [options]\n"
	    "       fimd --window close [--id n] [--accept] | --window list "
	    "[--json] [options]\n"
	    "       fimd --tail [-f] [--json] [--rule name] "
	    "[--severity level]\n"
	    "                   [--prefix path] [--since time] [--utc] "
	    "[--host name]\n"
	    "                   [options]\n"
	    "       fimd --verify [--key file] file ... [options]\n"
	    "       fimd --recommend [--write dir] [--root dir] [--json] "
	    "[options]\n"
	    "       fimd --version | --help\n"
	    "options: [-c config] [-r rules] [--shipped-rules dir] "
	    "[-b baseline] [-a alerts]\n"
	    "         [-s socket] [--backend auto|fanotify|inotify|none] "
	    "[--workers n]\n"
	    "See fimd(8).\n");
}

/* The version, then the compiled-in defaults (fimd.conf(5) overrides). */
static void
version(void)
{
	enum backend_kind b;
	int h;

	printf("fimd %s\n"
	    "config:        %s\n"
	    "rules:         %s\n"
	    "shipped rules: %s\n"
	    "baseline:      %s\n"
	    "alerts:        %s\n"
	    "socket:        %s\n"
	    "recommend:     %s\n", FIMD_VERSION, FIMD_DEFAULT_CONFIG,
	    FIMD_DEFAULT_RULES, FIMD_DEFAULT_SHIPPED, FIMD_DEFAULT_BASELINE,
	    FIMD_DEFAULT_ALERTS, FIMD_DEFAULT_SOCKET, FIMD_DEFAULT_RECOMMEND);
	printf("backends:     ");
	for (b = BACKEND_AUTO; b <= BACKEND_NONE; b++)
		printf(" %s", config_backend_name(b));
	printf("\nhashes:       ");
	for (h = 0; h < HASH_COUNT; h++)
		printf(" %s", hash_name(h));
	printf("\nsinks:         file syslog journald\n"
	    "packages:      dpkg\n");
}

static int
set_mode(struct flags *fl, enum mode m)
{
	if (fl->mode != MODE_NONE && fl->mode != m) {
		fprintf(stderr, "fimd: only one mode may be given\n");
		return -1;
	}
	fl->mode = m;
	return 0;
}

static int
parse_workers(const char *arg)
{
	uint64_t v;

	if (parse_uint(arg, 1024, &v) < 0) {
		fprintf(stderr, "fimd: --workers: not a number from 0 to 1024: "
		    "%s\n", arg);
		return -1;
	}
	return (int)v;
}

/*
 * --accept is a mode of its own, and a switch of --window close: the
 * two together mean the switch, in either order.
 */
static int
set_window(struct flags *fl, const char *action)
{
	if (strcmp(action, "open") != 0 && strcmp(action, "close") != 0 &&
	    strcmp(action, "list") != 0) {
		fprintf(stderr, "fimd: --window: use open, close or list, "
		    "not %s\n", action);
		return -1;
	}
	fl->window = action;
	if (fl->mode == MODE_ACCEPT) {
		fl->mode = MODE_NONE;
		fl->window_accept = true;
	}
	return set_mode(fl, MODE_WINDOW);
}

static int
set_accept(struct flags *fl)
{
	if (fl->mode == MODE_WINDOW) {
		fl->window_accept = true;
		return 0;
	}
	return set_mode(fl, MODE_ACCEPT);
}

static int
parse_ttl(struct flags *fl, const char *arg)
{
	if (parse_duration(arg, &fl->ttl) < 0 || fl->ttl == 0) {
		fprintf(stderr, "fimd: --ttl: not a duration such as 90s, "
		    "30m, 2h or 1d: %s\n", arg);
		return -1;
	}
	return 0;
}

static int
parse_id(struct flags *fl, const char *arg)
{
	if (parse_uint(arg, INT64_MAX, &fl->id) < 0 || fl->id == 0) {
		fprintf(stderr, "fimd: --id: not a window number: %s\n", arg);
		return -1;
	}
	return 0;
}

/* "file" is what a --query or --explain without --type is about. */
static int
parse_type(struct flags *fl, const char *arg)
{
	int t;

	if (strcmp(arg, "file") == 0)
		t = RULE_FILES;
	else if ((t = rule_type_from_name(arg)) < 0) {
		fprintf(stderr, "fimd: --type: unknown type %s (use file, "
		    "ports, packages or services)\n", arg);
		return -1;
	}
	fl->type = t;
	return 0;
}

static int
add_rule(struct flags *fl, const char *arg)
{
	fl->rule = arg;
	fl->rules_named = xreallocarray(fl->rules_named,
	    fl->nrules_named + 1, sizeof(*fl->rules_named));
	fl->rules_named[fl->nrules_named++] = arg;
	return 0;
}

static int
parse_option(struct flags *fl, int ch, const char *arg)
{
	switch (ch) {
	case 'i': return set_mode(fl, MODE_INIT);
	case 'C': return set_mode(fl, MODE_CHECK);
	case 'u': return set_mode(fl, MODE_UPDATE);
	case OPT_QUERY: return set_mode(fl, MODE_QUERY);
	case OPT_VALIDATE: return set_mode(fl, MODE_VALIDATE);
	case OPT_EXPLAIN: return set_mode(fl, MODE_EXPLAIN);
	case OPT_DAEMON: return set_mode(fl, MODE_DAEMON);
	case OPT_FOREGROUND:
		fl->foreground = true;
		return set_mode(fl, MODE_DAEMON);
	case OPT_STATUS: return set_mode(fl, MODE_STATUS);
	case OPT_TAIL: return set_mode(fl, MODE_TAIL);
	case OPT_ACCEPT: return set_accept(fl);
	case OPT_WINDOW: return set_window(fl, arg);
	case OPT_REASON: fl->reason = arg; return 0;
	case OPT_TTL: return parse_ttl(fl, arg);
	case OPT_ID: return parse_id(fl, arg);
	case OPT_HISTORY: fl->history = true; return 0;
	case OPT_RECOMMEND: return set_mode(fl, MODE_RECOMMEND);
	case OPT_WRITE: fl->write = arg; return 0;
	case OPT_ROOT: fl->root = arg; return 0;
	case OPT_RESCAN: return set_mode(fl, MODE_RESCAN);
	case OPT_REOPEN: return set_mode(fl, MODE_REOPEN);
	case OPT_VERIFY: return set_mode(fl, MODE_VERIFY);
	case OPT_KEY: fl->key = arg; return 0;
	case 'f': fl->follow = true; return 0;
	case OPT_RULE: return add_rule(fl, arg);
	case OPT_SEVERITY: fl->severity = arg; return 0;
	case OPT_PREFIX: fl->prefix = arg; return 0;
	case OPT_SINCE: fl->since = arg; return 0;
	case OPT_UTC: fl->utc = true; return 0;
	case OPT_HOST: fl->host = arg; return 0;
	case OPT_TYPE: return parse_type(fl, arg);
	case 'V': return set_mode(fl, MODE_VERSION);
	case 'h': return set_mode(fl, MODE_HELP);
	case 'c': fl->config = arg; return 0;
	case 'r': fl->rules = arg; return 0;
	case OPT_SHIPPED: fl->shipped = arg; return 0;
	case 'b': fl->baseline = arg; return 0;
	case 'a': fl->alerts = arg; return 0;
	case 's': fl->socket = arg; return 0;
	case OPT_JSON: fl->json = true; return 0;
	case OPT_PARANOID: fl->paranoid = true; return 0;
	case OPT_PACKAGES: fl->packages = true; return 0;
	case 'q': fl->quiet = true; return 0;
	case 'v': fl->verbosity++; return 0;
	case OPT_BACKEND:
		if ((fl->backend = config_backend_from_name(arg)) < 0) {
			fprintf(stderr, "fimd: --backend: unknown backend %s\n",
			    arg);
			return -1;
		}
		return 0;
	case OPT_WORKERS:
		return (fl->workers = parse_workers(arg)) < 0 ? -1 : 0;
	default:
		return -1;
	}
}

static void
replace(char **dst, const char *src)
{
	if (src == NULL)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

/*
 * Make a configured path absolute, so it means the same after the daemon
 * changed to "/" and compares equal to the paths a walk produces.
 */
static int
absolutize(char **path)
{
	struct buf b;
	int r;

	if (*path == NULL || strcmp(*path, "-") == 0)
		return 0;
	buf_init(&b, BUF_MAX_DEFAULT);
	if ((r = cmd_abspath(*path, &b)) == 0) {
		free(*path);
		*path = xstrndup(b.data, b.len);
	} else
		fprintf(stderr, "fimd: %s: %s\n", *path, strerror(-r));
	buf_release(&b);
	return r;
}

/* Defaults, the configuration file, then the flags. */
static int
load_config(struct fimd_config *c, const struct flags *fl)
{
	struct diag d;
	bool default_rules;
	int r;

	config_init(c);
	diag_init(&d);
	r = config_load(c, fl->config != NULL ? fl->config :
	    FIMD_DEFAULT_CONFIG, fl->config != NULL, &d);
	cmd_print_diag(&d, true);
	diag_release(&d);
	if (r < 0)
		return EXIT_BAD_RULES;
	/* Shipped rules merge only under the default rules directory. */
	default_rules = fl->rules == NULL &&
	    strcmp(c->rules_path, FIMD_DEFAULT_RULES) == 0;
	if (!default_rules && fl->shipped == NULL) {
		free(c->shipped_rules);
		c->shipped_rules = NULL;
	}
	replace(&c->rules_path, fl->rules);
	replace(&c->shipped_rules, fl->shipped);
	replace(&c->baseline_path, fl->baseline);
	replace(&c->alerts_path, fl->alerts);
	replace(&c->socket_path, fl->socket);
	if (fl->backend >= 0)
		c->backend = (enum backend_kind)fl->backend;
	if (fl->workers >= 0)
		c->workers = (unsigned)fl->workers;
	c->json = c->json || fl->json;
	c->foreground = c->foreground || fl->foreground;
	c->follow = fl->follow;
	replace(&c->tail_rule, fl->rule);
	replace(&c->tail_severity, fl->severity);
	replace(&c->tail_prefix, fl->prefix);
	replace(&c->tail_since, fl->since);
	c->utc = fl->utc;
	replace(&c->tail_host, fl->host);
	replace(&c->verify_key, fl->key);
	replace(&c->reason, fl->reason);
	replace(&c->window_action, fl->window);
	c->window_accept = fl->window_accept;
	c->window_ttl = fl->ttl;
	c->window_id = fl->id;
	c->history = fl->history;
	c->query_type = fl->type > 0 ? fl->type : RULE_FILES;
	c->window_rules = fl->rules_named;
	c->nwindow_rules = fl->nrules_named;
	replace(&c->recommend_write, fl->write);
	replace(&c->host_root, fl->root);
	c->paranoid = c->paranoid || fl->paranoid;
	c->packages = fl->packages;
	c->verbosity = fl->quiet ? -1 : fl->verbosity;
	if (absolutize(&c->rules_path) < 0 ||
	    absolutize(&c->shipped_rules) < 0 ||
	    absolutize(&c->baseline_path) < 0 ||
	    absolutize(&c->alerts_path) < 0 ||
	    absolutize(&c->socket_path) < 0 ||
	    absolutize(&c->chain_key) < 0 ||
	    absolutize(&c->package_db) < 0 ||
	    absolutize(&c->verify_key) < 0 ||
	    absolutize(&c->recommend_path) < 0 ||
	    absolutize(&c->recommend_write) < 0 ||
	    absolutize(&c->host_root) < 0)
		return EXIT_IO_ERROR;
	return 0;
}

/* Deep trees hold one fd per level and hash jobs one each. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static const struct mode_entry *
find_mode(enum mode m)
{
	size_t i;

	for (i = 0; i < sizeof(mode_table) / sizeof(mode_table[0]); i++) {
		if (mode_table[i].mode == m)
			return &mode_table[i];
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct flags fl = { .backend = -1, .workers = -1, .type = -1 };
	bool needs_operands;
	const struct mode_entry *me;
	struct fimd_config c;
	int ch, r;

	log_set_fatal_status(EXIT_IO_ERROR);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * A file size limit (RLIMIT_FSIZE) reached must fail the write
	 * with EFBIG, which the alert file's spool and the baseline's save
	 * handle, not kill the daemon.
	 */
	signal(SIGXFSZ, SIG_IGN);
	/*
	 * A fixed mmap threshold: glibc otherwise raises it each time a
	 * large buffer (the baseline's read and write buffers, the hash
	 * buffers) is freed, and later large blocks then stay in the heap
	 * for good, about 10% of the resident size of a scan.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	while ((ch = getopt_long(argc, argv, "iCuVhfc:r:b:a:s:qv", longopts,
	    NULL)) != -1) {
		if (parse_option(&fl, ch, optarg) < 0) {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (fl.mode == MODE_VERSION) {
		version();
		return EXIT_OK;
	}
	if (fl.mode == MODE_HELP) {
		usage(stdout);
		return EXIT_OK;
	}
	if ((me = find_mode(fl.mode)) == NULL) {
		fprintf(stderr, "fimd: no mode given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((fl.write != NULL || fl.root != NULL) &&
	    fl.mode != MODE_RECOMMEND) {
		fprintf(stderr, "fimd: --write and --root go with "
		    "--recommend\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (fl.type >= 0 && fl.mode != MODE_QUERY &&
	    fl.mode != MODE_EXPLAIN) {
		fprintf(stderr, "fimd: --type goes with --query and "
		    "--explain\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Without a name, --type asks about every entity of the type. */
	needs_operands = me->needs_operands && fl.type <= RULE_FILES;
	if ((optind < argc && !me->operands) ||
	    (optind == argc && needs_operands)) {
		fprintf(stderr, "fimd: %s %s\n", me->flag, me->operands ?
		    "needs at least one PATH" : "takes no operands");
		usage(stderr);
		return EXIT_USAGE;
	}
	log_init(fl.quiet ? LOG_LEVEL_QUIET :
	    (enum log_level)(fl.verbosity > 2 ? 2 : fl.verbosity), false);
	if ((r = load_config(&c, &fl)) != 0)
		return r;
	c.operands = argv + optind;
	c.noperands = argc - optind;
	raise_fd_limit();
	r = me->fn(&c);
	c.operands = NULL;
	c.noperands = 0;
	config_release(&c);
	return r;
}
