/*
 * 92x: a fleet, with the shippers' examples of examples/ as installed.
 *
 * Three hosts and a collector, each in a network namespace of its own
 * (a bridge in the collector's; 10.92.0.0/24, nothing outside the
 * namespaces this test makes).  Each host runs a fimd daemon with its
 * own host_name and an rsyslogd with examples/rsyslog-relp.conf
 * forwarding its alert file by RELP; the collector runs an rsyslogd
 * with examples/rsyslog-collector.conf.  Every host makes changes, the
 * collector is stopped, more changes queue up on the hosts (one host's
 * rsyslog restarts meanwhile, with alerts in its disk queue), it starts
 * again, and more changes follow.  At the end the collector's merged
 * file holds every line of every host's alert file exactly once, with
 * fimd.seq without holes per host; each per-host file is that host's
 * stream (in fimd.seq order: the restarted host's lines may arrive out
 * of order, as examples/rsyslog-relp.conf says), so --verify passes on
 * it; and --tail --host picks one host's lines out of the merged file.
 * Needs root (network namespaces); the syntax check of all the examples
 * does not.
 * T920_KEEP=1 keeps the work directory for a look after a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"

#define NHOSTS		3
#define CHANGES		8	/* per host and phase */
#define COLLECTOR_IP	"10.92.0.254"
#define RSYSLOGD	"/usr/sbin/rsyslogd"

struct rsyslog {
	char	*conf;		/* the main file, which includes the example */
	char	*pidfile;
	char	*log;		/* its stdout and stderr */
	pid_t	 pid;
};

struct host {
	char	 name[16];	/* host_name, "h1" */
	char	*netns;
	struct tdaemon d;
	struct rsyslog rs;
	bool	 started;	/* d was initialized */
};

struct fleet {
	char	*w;
	char	*src;		/* the source tree (FIMD_SRCDIR) */
	char	*col_netns;
	char	*fleet_dir;	/* the collector's /var/log/fleet */
	struct rsyslog col;
	struct host h[NHOSTS];
	int	 nnetns;	/* namespaces made, collector first */
};

static struct fleet fl;

/* The example's text with every from replaced by to (one pair). */
static char *
subst(const char *text, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0, len;
	const char *p, *q;
	char *out, *o;

	for (p = text; (p = strstr(p, from)) != NULL; p += nf)
		n++;
	len = strlen(text) + n * nt + 1;
	out = o = malloc(len);
	assert_non_null(out);
	for (p = text; (q = strstr(p, from)) != NULL; p = q + nf) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, nt);
		o += nt;
	}
	memcpy(o, p, strlen(p) + 1);
	return out;
}

static char *
example(const char *name)
{
	char *path = tlib_fmt("%s/examples/%s", fl.src, name), *text;

	text = tlib_read(path, NULL);
	if (text == NULL)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

/*
 * An rsyslogd's files under dir: the example (already adapted) as
 * dir/example.conf, included by a main file that gives the instance its
 * own work directory (queues, imfile's state) and, for a host, its
 * name.
 */
static void
rsyslog_init(struct rsyslog *rs, const char *dir, const char *text,
    const char *hostname)
{
	char *inc = tlib_fmt("%s/example.conf", dir), *main_text;

	assert_int_equal(tlib_sh("mkdir -p '%s/spool'", dir), 0);
	tlib_write(inc, text, (size_t)-1);
	main_text = tlib_fmt("global(workDirectory=\"%s/spool\"%s%s%s)\n"
	    "include(file=\"%s\")\n", dir,
	    hostname != NULL ? " localHostname=\"" : "",
	    hostname != NULL ? hostname : "", hostname != NULL ? "\"" : "",
	    inc);
	rs->conf = tlib_fmt("%s/rsyslog.conf", dir);
	rs->pidfile = tlib_fmt("%s/rsyslogd.pid", dir);
	rs->log = tlib_fmt("%s/rsyslogd.log", dir);
	rs->pid = -1;
	tlib_write(rs->conf, main_text, (size_t)-1);
	free(main_text);
	free(inc);
	assert_int_equal(tlib_sh(RSYSLOGD " -N1 -f '%s' >/dev/null 2>&1",
	    rs->conf), 0);
}

/* rsyslogd -n (no fork, so the pid is its own) in netns. */
static void
rsyslog_start(struct rsyslog *rs, const char *netns)
{
	int fd;

	rs->pid = fork();
	assert_true(rs->pid >= 0);
	if (rs->pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (tdaemon_enter_netns(netns) < 0)
			_exit(126);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			(void)dup2(fd, 0);
		if ((fd = open(rs->log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) >= 0) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
		}
		execl(RSYSLOGD, "rsyslogd", "-n", "-f", rs->conf, "-i",
		    rs->pidfile, (char *)NULL);
		_exit(127);
	}
}

/*
 * SIGTERM, as systemctl restart does, and wait: rsyslog then saves its
 * queues.  SIGKILL only when it hangs.  Returns the wait status.
 */
static int
rsyslog_stop(struct rsyslog *rs)
{
	double end = tlib_now() + 15;
	int st = -1;

	if (rs->pid <= 0)
		return 0;
	(void)kill(rs->pid, SIGTERM);
	while (waitpid(rs->pid, &st, WNOHANG) == 0) {
		if (tlib_now() > end) {
			(void)kill(rs->pid, SIGKILL);
			(void)waitpid(rs->pid, &st, 0);
			break;
		}
		tlib_sleep_ms(20);
	}
	rs->pid = -1;
	(void)unlink(rs->pidfile);
	return st;
}

static void
rsyslog_free(struct rsyslog *rs)
{
	if (rs->pid > 0) {
		(void)kill(rs->pid, SIGKILL);
		(void)waitpid(rs->pid, NULL, 0);
	}
	free(rs->conf);
	free(rs->pidfile);
	free(rs->log);
	memset(rs, 0, sizeof(*rs));
}

/* Until the collector listens on RELP's port (10 s at most). */
static void
wait_listening(void)
{
	double end = tlib_now() + 10;

	while (tlib_sh("ip netns exec '%s' ss -Hltn 'sport = :2514' | "
	    "grep -q .", fl.col_netns) != 0) {
		if (tlib_now() > end)
			fail_msg("the collector does not listen on 2514");
		tlib_sleep_ms(50);
	}
}

static void
make_network(void)
{
	int i;

	assert_int_equal(tlib_sh("ip netns add '%s'", fl.col_netns), 0);
	fl.nnetns = 1;
	assert_int_equal(tlib_sh("ip -n '%s' link set lo up && "
	    "ip -n '%s' link add br0 type bridge && "
	    "ip -n '%s' addr add " COLLECTOR_IP "/24 dev br0 && "
	    "ip -n '%s' link set br0 up", fl.col_netns, fl.col_netns,
	    fl.col_netns, fl.col_netns), 0);
	for (i = 0; i < NHOSTS; i++) {
		assert_int_equal(tlib_sh("ip netns add '%s'", fl.h[i].netns),
		    0);
		fl.nnetns++;
		assert_int_equal(tlib_sh("ip -n '%s' link set lo up && "
		    "ip -n '%s' link add v%d type veth peer name eth0 netns "
		    "'%s' && ip -n '%s' link set v%d master br0 up && "
		    "ip -n '%s' addr add 10.92.0.%d/24 dev eth0 && "
		    "ip -n '%s' link set eth0 up", fl.h[i].netns,
		    fl.col_netns, i + 1, fl.h[i].netns, fl.col_netns, i + 1,
		    fl.h[i].netns, i + 1, fl.h[i].netns), 0);
	}
}

static int
fleet_teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NHOSTS; i++) {
		if (fl.h[i].started)
			tdaemon_free(&fl.h[i].d);
		rsyslog_free(&fl.h[i].rs);
	}
	rsyslog_free(&fl.col);
	for (i = 0; i < fl.nnetns; i++)
		(void)tlib_sh("ip netns del '%s'", i == 0 ? fl.col_netns :
		    fl.h[i - 1].netns);
	if (fl.w != NULL && getenv("T920_KEEP") == NULL)
		tlib_rmrf(fl.w);
	free(fl.w);
	free(fl.src);
	free(fl.col_netns);
	free(fl.fleet_dir);
	for (i = 0; i < NHOSTS; i++)
		free(fl.h[i].netns);
	memset(&fl, 0, sizeof(fl));
	return 0;
}

/* CHANGES new files on every host, then each host's alerts for them. */
static void
change_all(const char *phase)
{
	char *p;
	int i, k;

	for (i = 0; i < NHOSTS; i++)
		assert_int_equal(tlib_sh("cd '%s' && for k in $(seq %d); do "
		    "echo \"$k\" > %s-$k; done && echo %s >> f",
		    fl.h[i].d.t, CHANGES, phase, phase), 0);
	for (i = 0; i < NHOSTS; i++) {
		for (k = 1; k <= CHANGES; k++) {
			p = tlib_fmt("%s/%s-%d", fl.h[i].d.t, phase, k);
			if (tdaemon_wait(&fl.h[i].d, "created", p, 10000) ==
			    NULL)
				fail_msg("%s: no alert for %s", fl.h[i].name,
				    p);
			free(p);
		}
	}
}

static char *
host_file(int i)
{
	return tlib_fmt("%s/%s/fimd.json", fl.fleet_dir, fl.h[i].name);
}

/* Until every host's stream is in its collector file (30 s at most). */
static void
wait_delivered(void)
{
	double end = tlib_now() + 30;
	char *mine, *there, *path;
	bool all;
	int i;

	do {
		all = true;
		for (i = 0; i < NHOSTS && all; i++) {
			mine = tlib_read(fl.h[i].d.alerts, NULL);
			path = host_file(i);
			there = tlib_read(path, NULL);
			all = there != NULL && strlen(there) >= strlen(mine);
			free(mine);
			free(there);
			free(path);
		}
		if (!all)
			tlib_sleep_ms(200);
	} while (!all && tlib_now() < end);
}

/*
 * The merged file against each host's own: every line once, none
 * foreign, seq 1..n.  Prints the counts.
 */
static void
assert_merged(void)
{
	char *path = tlib_fmt("%s/fimd.json", fl.fleet_dir), *text, *mine;
	json_t *merged, *own, *line, *o;
	size_t n, i, j, k, dups, holes, found, nlines[NHOSTS] = { 0 };
	const char *name;
	json_int_t seq;
	char *s;

	text = tlib_read(path, NULL);
	assert_non_null(text);
	merged = tlib_json_lines(text, strlen(text));
	for (k = 0; k < NHOSTS; k++) {
		mine = tlib_read(fl.h[k].d.alerts, NULL);
		own = tlib_json_lines(mine, strlen(mine));
		n = json_array_size(own);
		dups = holes = 0;
		/* Each of the host's lines, by its seq, found how often. */
		for (i = 0; i < n; i++) {
			o = json_array_get(own, i);
			seq = json_integer_value(tlib_json_get(o, "fimd.seq"));
			if (seq != (json_int_t)i + 1)
				fail_msg("%s: line %zu has seq %lld",
				    fl.h[k].name, i + 1, (long long)seq);
			found = 0;
			json_array_foreach(merged, j, line) {
				name = tlib_json_str(line, "host.name");
				if (name != NULL && strcmp(name,
				    fl.h[k].name) == 0 && json_equal(line, o))
					found++;
			}
			if (found == 0)
				holes++;
			else
				dups += found - 1;
		}
		json_array_foreach(merged, j, line) {
			name = tlib_json_str(line, "host.name");
			if (name != NULL && strcmp(name, fl.h[k].name) == 0)
				nlines[k]++;
		}
		printf("t920: %s: %zu lines in its alert file, %zu in the "
		    "collector's, %zu duplicates, %zu holes, seq 1..%zu\n",
		    fl.h[k].name, n, nlines[k], dups, holes, n);
		if (dups != 0 || holes != 0 || nlines[k] != n)
			fail_msg("%s: %zu duplicates, %zu holes, %zu lines "
			    "for %zu", fl.h[k].name, dups, holes, nlines[k], n);
		json_decref(own);
		free(mine);
	}
	/* Nothing but the three hosts' lines. */
	assert_int_equal(json_array_size(merged),
	    nlines[0] + nlines[1] + nlines[2]);
	s = tlib_fmt("%s/not-fimd.log", fl.fleet_dir);
	assert_int_equal(access(s, F_OK), -1);
	free(s);
	json_decref(merged);
	free(text);
	free(path);
}

/*
 * A file's lines in fimd.seq order, bytes untouched.  The pattern only
 * matches the member itself: a quote inside a JSON string is escaped.
 */
static void
sort_by_seq(const char *in, const char *out)
{
	assert_int_equal(tlib_sh("sed -E 's/^(.*\"fimd\":\\{\"seq\":"
	    "([0-9]+).*)$/\\2\\t\\1/' '%s' | sort -s -n -k1,1 | cut -f2- "
	    "> '%s'", in, out), 0);
}

/* How many lines of path come after a line of a higher fimd.seq. */
static size_t
out_of_order(const char *path)
{
	char *out = NULL;
	size_t n;

	assert_int_equal(tlib_sh_out(&out, "grep -o '\"fimd\":{\"seq\":"
	    "[0-9]*' '%s' | cut -d: -f3 | awk '$1 < max { n++ } $1 > max "
	    "{ max = $1 } END { print n + 0 }'", path), 0);
	n = strtoul(out, NULL, 10);
	free(out);
	return n;
}

/*
 * Per host: its collector file is its stream whole (in fimd.seq order
 * --verify passes), and --tail --host picks the same lines out of the
 * merged file.
 */
static void
assert_per_host(void)
{
	struct tlib_run r;
	char *path, *tail, *sorted;
	char *merged = tlib_fmt("%s/fimd.json", fl.fleet_dir);
	int i;

	for (i = 0; i < NHOSTS; i++) {
		path = host_file(i);
		sorted = tlib_fmt("%s/sorted-%s", fl.w, fl.h[i].name);
		printf("t920: %s: %zu lines arrived after a later one\n",
		    fl.h[i].name, out_of_order(path));
		sort_by_seq(path, sorted);
		if (tlib_sh("cmp -s '%s' '%s'", sorted, fl.h[i].d.alerts) != 0)
			fail_msg("%s: the collector's file is not its stream",
			    fl.h[i].name);
		tlib_run_fimd(&r, 60, (const char *const[]){ "--verify",
		    sorted, NULL });
		if (r.status != 0)
			fail_msg("--verify %s: %d\n%s", sorted, r.status,
			    r.err);
		tlib_run_release(&r);
		tlib_run_fimd(&r, 60, (const char *const[]){ "--tail",
		    "--json", "-a", merged, "--host", fl.h[i].name, NULL });
		assert_int_equal(r.status, 0);
		tail = tlib_fmt("%s/tail-%s", fl.w, fl.h[i].name);
		tlib_write(tail, r.out, r.outlen);
		if (tlib_sh("cmp -s '%s' '%s'", tail, path) != 0)
			fail_msg("--tail --host %s: not the lines of its file",
			    fl.h[i].name);
		tlib_run_release(&r);
		free(tail);
		free(sorted);
		free(path);
	}
	free(merged);
}

static void
test_fleet(void **state)
{
	const char *srcdir = getenv("FIMD_SRCDIR");
	char *relp, *colconf, *t, *u, *dir, *conf;
	double t0 = tlib_now();
	int i;

	(void)state;
	tlib_require_root("t920 fleet (network namespaces)");
	if (access(RSYSLOGD, X_OK) != 0 ||
	    tlib_sh("ls /usr/lib/*/rsyslog/omrelp.so >/dev/null 2>&1") != 0)
		fail_msg("needs rsyslog and rsyslog-relp (make deps)");
	fl.w = tlib_mkdtemp("t920");
	fl.src = realpath(srcdir != NULL ? srcdir : ".", NULL);
	assert_non_null(fl.src);
	fl.col_netns = tlib_fmt("fimd920-%d-col", (int)getpid());
	fl.fleet_dir = tlib_fmt("%s/col/fleet", fl.w);
	for (i = 0; i < NHOSTS; i++) {
		snprintf(fl.h[i].name, sizeof(fl.h[i].name), "h%d", i + 1);
		fl.h[i].netns = tlib_fmt("fimd920-%d-%s", (int)getpid(),
		    fl.h[i].name);
		fl.h[i].rs.pid = -1;
	}
	fl.col.pid = -1;
	make_network();

	/* The collector: the example with its directory moved. */
	colconf = example("rsyslog-collector.conf");
	t = subst(colconf, "/var/log/fleet", fl.fleet_dir);
	dir = tlib_fmt("%s/col", fl.w);
	rsyslog_init(&fl.col, dir, t, NULL);
	free(dir);
	free(t);
	free(colconf);
	rsyslog_start(&fl.col, fl.col_netns);
	wait_listening();

	/* Each host: fimd under its name, rsyslog with the RELP example. */
	relp = example("rsyslog-relp.conf");
	for (i = 0; i < NHOSTS; i++) {
		struct host *h = &fl.h[i];

		tdaemon_init(&h->d, h->name, "inotify", NULL);
		h->started = true;
		h->d.netns = h->netns;
		conf = tlib_fmt("{\"host_name\": \"%s\"}\n", h->name);
		tlib_write(h->d.conf, conf, (size_t)-1);
		free(conf);
		tdaemon_start(&h->d, NULL);
		t = subst(relp, "/var/log/fimd/alerts.json", h->d.alerts);
		u = subst(t, "collector.example.net", COLLECTOR_IP);
		dir = tlib_fmt("%s/rs", h->d.w);
		rsyslog_init(&h->rs, dir, u, h->name);
		free(dir);
		free(u);
		free(t);
		rsyslog_start(&h->rs, h->netns);
	}
	free(relp);

	change_all("before");
	/* The collector goes away; the hosts queue. */
	(void)rsyslog_stop(&fl.col);
	change_all("during");
	tlib_sleep_ms(1500);	/* imfile polls every second */
	/*
	 * h1's rsyslog restarts too, meanwhile: what it could not send
	 * waits in its disk queue, and imfile goes on where it was.
	 */
	(void)rsyslog_stop(&fl.h[0].rs);
	t = tlib_fmt("%s/rs/spool/fimd-relp.qi", fl.h[0].d.w);
	if (access(t, F_OK) != 0)
		fail_msg("h1's rsyslog saved no queue (%s)", t);
	free(t);
	rsyslog_start(&fl.h[0].rs, fl.h[0].netns);
	change_all("queued");
	tlib_sleep_ms(1500);
	rsyslog_start(&fl.col, fl.col_netns);
	wait_listening();
	change_all("after");
	for (i = 0; i < NHOSTS; i++)
		tdaemon_stop(&fl.h[i].d);	/* the stopped records */
	wait_delivered();
	for (i = 0; i < NHOSTS; i++)
		(void)rsyslog_stop(&fl.h[i].rs);
	assert_int_equal(WEXITSTATUS(rsyslog_stop(&fl.col)), 0);
	/* They did find the collector gone. */
	for (i = 0; i < NHOSTS; i++)
		assert_int_equal(tlib_sh("grep -q '" COLLECTOR_IP ":2514' "
		    "'%s'", fl.h[i].rs.log), 0);
	assert_merged();
	assert_per_host();
	printf("t920: fleet of %d hosts in %.1f s\n", NHOSTS,
	    tlib_now() - t0);
}

/*
 * Every example, rsyslog's by rsyslogd -N1, the others (not in Debian)
 * by scripts/check-examples.
 */
static void
test_examples_syntax(void **state)
{
	const char *srcdir = getenv("FIMD_SRCDIR");
	char *out = NULL;
	int r;

	(void)state;
	if (srcdir == NULL)
		srcdir = ".";
	r = tlib_sh_out(&out, "cd '%s' && scripts/check-examples examples "
	    "2>&1", srcdir);
	if (r != 0)
		fail_msg("check-examples (%d):\n%s", r, out);
	assert_non_null(strstr(out, "examples: ok"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_syntax),
		cmocka_unit_test_teardown(test_fleet, fleet_teardown),
	};

	return cmocka_run_group_tests_name("t920_fleet", tests, NULL, NULL);
}
