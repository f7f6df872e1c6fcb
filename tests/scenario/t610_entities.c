/*
 * t610: ports and packages as entities (fimd.rules(5) "type"), with
 * real components.  Ports: a Python process listens on a loopback TCP
 * port and binds a UDP one on ::1; the daemon, checking every second,
 * alerts each opened with the process's pid and closed after it ends.
 * Packages: the small "hello" from Debian's archive (deps.sh keeps its
 * .deb in /var/cache/fimd-tests) is installed with dpkg -i and removed
 * with dpkg -r under the daemon, which alerts installed and removed
 * with its name and version within 2 s; then --check, --update and
 * --check again judge the same changes without the daemon.  Every test
 * removes the package again.  Needs root for dpkg.  Services: a unit
 * file added to a unit directory of the test's, given to the rule, then
 * enabled (a wants link), edited, masked and removed, each alerted as
 * it happens.  Queries: --query --type ports names the listening port,
 * from the daemon and from the baseline file once it stopped, with
 * --json too, and names an absent one as absent (exit 1); --status
 * counts each entity rule; --query --type packages shows dpkg's own
 * version, --explain --type services names its rule and unit
 * directory, and --type bogus is a usage error naming it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tdaemon.h"
#include "tlib.h"

#define PKG	"hello"
#define DEBS	"/var/cache/fimd-tests"
/* dpkg waits for nobody: another package manager's lock is retried. */
#define DPKG(args) "n=0; until dpkg " args " >/dev/null 2>&1; do " \
	"n=$((n+1)); [ $n -lt 300 ] || exit 1; sleep 1; done"
/* An interval of one second, and what a check may take past it. */
#define PORT_WAIT_MS	2500
#define PKG_WAIT_MS	2000

/* ---- ports ---- */

struct listener {
	pid_t	 pid;
	int	 tcp;
	int	 udp;	/* 0: no IPv6 here */
};

/* A Python process that listens; it prints its ports and waits. */
static void
listen_start(struct listener *l)
{
	static const char prog[] =
	    "import socket, sys, time\n"
	    "t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen()\n"
	    "try:\n"
	    "    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
	    "    u.bind(('::1', 0)); up = u.getsockname()[1]\n"
	    "except OSError:\n"
	    "    up = 0\n"
	    "print(t.getsockname()[1], up, flush=True)\n"
	    "time.sleep(120)\n";
	char line[64];
	int p[2];
	FILE *f;

	assert_int_equal(pipe(p), 0);
	l->pid = fork();
	assert_true(l->pid >= 0);
	if (l->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execlp("python3", "python3", "-c", prog, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(sscanf(line, "%d %d", &l->tcp, &l->udp), 2);
	assert_true(l->tcp > 0);
}

static void
listen_stop(struct listener *l)
{
	if (l->pid <= 0)
		return;
	kill(l->pid, SIGTERM);
	waitpid(l->pid, NULL, 0);
	l->pid = 0;
}

/*
 * Wait up to ms for an alert with this action about port of transport
 * (other programs of the host may open ports meanwhile); borrowed.
 */
static json_t *
wait_port(struct tdaemon *d, const char *action, const char *transport,
    int port, unsigned ms)
{
	double t0 = tlib_now();
	size_t i;
	json_t *a;

	for (;;) {
		tdaemon_poll(d);
		json_array_foreach(d->alerts_seen, i, a) {
			if (strcmp(tlib_json_str(a, "event.action"), action) ==
			    0 && json_integer_value(tlib_json_get(a,
			    "server.port")) == port && strcmp(tlib_json_str(a,
			    "network.transport"), transport) == 0)
				return a;
		}
		if ((tlib_now() - t0) * 1000 > ms)
			return NULL;
		tlib_sleep_ms(50);
	}
}

static void
start_with(struct tdaemon *d, const char *tag, const char *entity_rule)
{
	char *rules;

	tdaemon_init(d, tag, "inotify", NULL);
	rules = tlib_fmt("{\"rules\":[{\"name\":\"t\",\"paths\":[\"%s\"]},"
	    "%s]}\n", d->t, entity_rule);
	tlib_write(d->rules, rules, (size_t)-1);
	free(rules);
	tdaemon_start(d, NULL);
}

static void
expect_owner(const json_t *a, pid_t pid)
{
	assert_non_null(a);
	assert_int_equal(json_integer_value(tlib_json_get(a, "process.pid")),
	    pid);
	assert_string_equal(tlib_json_str(a, "process.name"), "python3");
	assert_non_null(tlib_json_str(a, "process.executable"));
	assert_string_equal(tlib_json_str(a, "user.id"), "0");
	assert_true(tlib_json_has(a, "event.category", "network"));
	assert_string_equal(tlib_json_str(a, "rule.name"), "ports");
	assert_string_equal(tlib_json_str(a, "fimd.entity"), "ports");
	assert_null(tlib_json_get(a, "file"));
}

static void
test_ports(void **state)
{
	struct listener l = { 0, 0, 0 };
	struct tdaemon d;
	pid_t pid;
	double t0;
	json_t *a;

	(void)state;
	tlib_require_root("t610 ports (the owners of every process)");
	start_with(&d, "t610p", "{\"name\":\"ports\",\"type\":\"ports\","
	    "\"rescan\":1,\"severity\":\"high\"}");
	listen_start(&l);
	t0 = tlib_now();
	pid = l.pid;
	a = wait_port(&d, "opened", "tcp", l.tcp, PORT_WAIT_MS);
	printf("opened after %.0f ms\n", (tlib_now() - t0) * 1000);
	expect_owner(a, l.pid);
	assert_string_equal(tlib_json_str(a, "server.ip"), "127.0.0.1");
	assert_string_equal(tlib_json_str(a, "network.type"), "ipv4");
	assert_true(tlib_json_has(a, "event.type", "start"));
	assert_string_equal(tlib_json_str(a, "fimd.source"), "rescan");
	assert_string_equal(tlib_json_str(a, "fimd.severity"), "high");
	if (l.udp > 0) {
		a = wait_port(&d, "opened", "udp", l.udp, PORT_WAIT_MS);
		expect_owner(a, l.pid);
		assert_string_equal(tlib_json_str(a, "server.ip"), "::1");
		assert_string_equal(tlib_json_str(a, "network.type"), "ipv6");
	} else
		printf("SKIP: the UDP part (no IPv6 here)\n");
	t0 = tlib_now();
	listen_stop(&l);
	a = wait_port(&d, "closed", "tcp", l.tcp, PORT_WAIT_MS);
	printf("closed after %.0f ms\n", (tlib_now() - t0) * 1000);
	/* The last state it was seen in: who had it open. */
	expect_owner(a, pid);
	assert_true(tlib_json_has(a, "event.type", "end"));
	if (l.udp > 0)
		assert_non_null(wait_port(&d, "closed", "udp", l.udp,
		    PORT_WAIT_MS));
	tdaemon_stop(&d);
	/* The baseline keeps the ports, not the one that closed. */
	assert_int_equal(tlib_sh("grep -q '\"entities\":{\"ports\":\\[' '%s'"
	    " && ! grep -q '\"port\":%d,' '%s'", d.baseline, l.tcp,
	    d.baseline), 0);
	tdaemon_free(&d);
}

/* ---- packages ---- */

/* A visible skip where the package cannot be had; never in CI. */
#define skip_no_deb(what) do {						\
	if (tlib_root_required())					\
		fail_msg("%s: no " PKG " .deb in " DEBS " (make deps)",	\
		    (what));						\
	printf("SKIP: %s (no " PKG " .deb in " DEBS "; make deps)\n",	\
	    (what));							\
	skip();								\
} while (0)

static bool
installed(void)
{
	return tlib_sh("dpkg-query -W -f='${Status}' " PKG " 2>/dev/null | "
	    "grep -q 'ok installed'") == 0;
}

static void
remove_package(void)
{
	if (installed())
		assert_int_equal(tlib_sh(DPKG("-r " PKG)), 0);
	assert_false(installed());
}

/* The .deb's version; the test skips when there is none. */
static char *
need_deb(const char *what)
{
	char *out = NULL;

	tlib_require_root(what);
	if (tlib_sh("ls " DEBS "/" PKG "_*.deb >/dev/null 2>&1") != 0)
		skip_no_deb(what);
	assert_int_equal(tlib_sh_out(&out, "dpkg-deb -f " DEBS "/" PKG
	    "_*.deb Version"), 0);
	out[strcspn(out, "\n")] = '\0';
	remove_package();
	return out;
}

static double
install(void)
{
	assert_int_equal(tlib_sh(DPKG("-i " DEBS "/" PKG "_*.deb")), 0);
	assert_true(installed());
	return tlib_now();
}

static double
uninstall(void)
{
	assert_int_equal(tlib_sh(DPKG("-r " PKG)), 0);
	return tlib_now();
}

/* Wait up to ms for action about the package; borrowed. */
static json_t *
wait_package(struct tdaemon *d, const char *action, unsigned ms)
{
	double t0 = tlib_now();
	size_t i;
	json_t *a;

	for (;;) {
		tdaemon_poll(d);
		json_array_foreach(d->alerts_seen, i, a) {
			if (strcmp(tlib_json_str(a, "event.action"), action) ==
			    0 && tlib_json_str(a, "package.name") != NULL &&
			    strcmp(tlib_json_str(a, "package.name"), PKG) == 0)
				return a;
		}
		if ((tlib_now() - t0) * 1000 > ms)
			return NULL;
		tlib_sleep_ms(20);
	}
}

static void
expect_package(const json_t *a, const char *type, const char *version)
{
	assert_non_null(a);
	assert_string_equal(tlib_json_str(a, "package.version"), version);
	assert_string_equal(tlib_json_str(a, "package.type"), "deb");
	assert_non_null(tlib_json_str(a, "package.architecture"));
	assert_true(tlib_json_has(a, "event.category", "package"));
	assert_true(tlib_json_has(a, "event.type", type));
	assert_string_equal(tlib_json_str(a, "rule.name"), "pkgs");
	assert_null(tlib_json_get(a, "file"));
}

static void
test_packages_realtime(void **state)
{
	struct tdaemon d;
	char *ver;
	double t;
	json_t *a;

	(void)state;
	ver = need_deb("t610 packages under the daemon");
	start_with(&d, "t610k", "{\"name\":\"pkgs\",\"type\":\"packages\"}");
	t = install();
	a = wait_package(&d, "installed", PKG_WAIT_MS);
	printf("installed alerted %.0f ms after dpkg -i\n",
	    (tlib_now() - t) * 1000);
	expect_package(a, "installation", ver);
	assert_string_equal(tlib_json_str(a, "fimd.source"), "realtime");
	assert_string_equal(tlib_json_str(a, "fimd.package_status"),
	    "installed");
	assert_non_null(strstr(tlib_json_str(a, "message"), "package " PKG));
	t = uninstall();
	a = wait_package(&d, "removed", PKG_WAIT_MS);
	printf("removed alerted %.0f ms after dpkg -r\n",
	    (tlib_now() - t) * 1000);
	expect_package(a, "deletion", ver);
	/* One alert each: dpkg's several writes of its status are one. */
	assert_int_equal(tlib_count_alerts(d.alerts_seen, "installed", NULL),
	    1);
	assert_int_equal(tlib_count_alerts(d.alerts_seen, "removed", NULL),
	    1);
	tdaemon_stop(&d);
	tdaemon_free(&d);
	free(ver);
}

static void
check_json(struct tdaemon *d, const char *mode, int status,
    const char *action, const char *ver)
{
	struct tlib_run r;
	json_t *lines;

	tdaemon_fimd(d, &r, mode, "--json", NULL);
	lines = tlib_json_lines(r.out, r.outlen);
	if (r.status != status)
		fail_msg("%s: exit %d, want %d: %s", mode, r.status, status,
		    r.out);
	if (action != NULL) {
		assert_int_equal(tlib_count_alerts(lines, action, NULL), 1);
		expect_package(tlib_find_alert(lines, action, NULL),
		    strcmp(action, "installed") == 0 ? "installation" :
		    "deletion", ver);
		assert_string_equal(tlib_json_str(tlib_find_alert(lines,
		    action, NULL), "fimd.source"), "check");
	} else
		assert_int_equal(json_array_size(lines), 0);
	json_decref(lines);
	tlib_run_release(&r);
}

/* Without the daemon: --check and --update compare them as records. */
static void
test_packages_check(void **state)
{
	struct tdaemon d;
	struct tlib_run r;
	char *ver;

	(void)state;
	ver = need_deb("t610 packages and --check");
	tdaemon_init(&d, "t610c", "none", NULL);
	tlib_write(d.rules, "{\"rules\":[{\"name\":\"pkgs\","
	    "\"type\":\"packages\"}]}\n", (size_t)-1);
	tdaemon_fimd(&d, &r, "--init", NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	check_json(&d, "--check", 0, NULL, ver);
	(void)install();
	check_json(&d, "--check", 1, "installed", ver);	/* added */
	check_json(&d, "--check", 1, "installed", ver);	/* still */
	check_json(&d, "--update", 1, "installed", ver);
	check_json(&d, "--check", 0, NULL, ver);
	(void)uninstall();
	check_json(&d, "--check", 2, "removed", ver);	/* removed */
	tdaemon_free(&d);
	free(ver);
}

/* ---- services ---- */

/* Wait up to ms for the n-th alert with action about unit; borrowed. */
static json_t *
wait_unit(struct tdaemon *d, const char *action, const char *unit,
    unsigned ms)
{
	double t0 = tlib_now();
	size_t i;
	json_t *a;

	for (;;) {
		tdaemon_poll(d);
		json_array_foreach(d->alerts_seen, i, a) {
			if (strcmp(tlib_json_str(a, "event.action"), action) ==
			    0 && tlib_json_str(a, "service.name") != NULL &&
			    strcmp(tlib_json_str(a, "service.name"), unit) == 0)
				return a;
		}
		if ((tlib_now() - t0) * 1000 > ms)
			return NULL;
		tlib_sleep_ms(20);
	}
}

static void
expect_unit(struct tdaemon *d, const char *action, const char *state,
    const char *cmd)
{
	double t = tlib_now();
	json_t *a;

	assert_int_equal(tlib_sh("cd '%s/units' && %s", d->w, cmd), 0);
	a = wait_unit(d, action, "t610.service", PKG_WAIT_MS);
	if (a == NULL)
		fail_msg("no %s alert within %d ms after: %s", action,
		    PKG_WAIT_MS, cmd);
	printf("%s alerted after %.0f ms\n", action, (tlib_now() - t) * 1000);
	assert_true(tlib_json_has(a, "event.category", "configuration"));
	assert_string_equal(tlib_json_str(a, "rule.name"), "units");
	assert_string_equal(tlib_json_str(a, "fimd.source"), "realtime");
	assert_string_equal(tlib_json_str(a, "fimd.unit_state"), state);
	assert_null(tlib_json_get(a, "file"));
}

static void
test_services(void **state)
{
	struct tdaemon d;
	struct tlib_run r;
	char *rule;

	(void)state;
	tdaemon_init(&d, "t610s", "inotify", NULL);
	assert_int_equal(tlib_sh("mkdir '%s/units'", d.w), 0);
	rule = tlib_fmt("{\"rules\":[{\"name\":\"t\",\"paths\":[\"%s\"]},"
	    "{\"name\":\"units\",\"type\":\"services\",\"paths\":"
	    "[\"%s/units\"]}]}\n", d.t, d.w);
	tlib_write(d.rules, rule, (size_t)-1);
	free(rule);
	tdaemon_start(&d, NULL);
	expect_unit(&d, "added", "disabled", "printf '[Service]\\n"
	    "ExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target"
	    "\\n' > t610.service");
	expect_unit(&d, "enabled", "enabled", "mkdir multi-user.target.wants "
	    "&& ln -s ../t610.service multi-user.target.wants/");
	assert_string_equal(tlib_json_str(wait_unit(&d, "enabled",
	    "t610.service", 0), "fimd.previous_state"), "disabled");
	expect_unit(&d, "edited", "enabled", "echo Nice=5 >> t610.service");
	expect_unit(&d, "masked", "masked", "ln -sf /dev/null t610.service");
	expect_unit(&d, "removed", "masked", "rm t610.service "
	    "multi-user.target.wants/t610.service");
	tdaemon_stop(&d);
	/* Nothing changed since: --check agrees with the daemon's baseline. */
	tdaemon_fimd(&d, &r, "--check", "--json", NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	tdaemon_free(&d);
}

/* ---- --query, --explain and --status of entities ---- */

/* fimd ARGS... against d's files; the result in *r (release it). */
static void
run(struct tdaemon *d, struct tlib_run *r, const char *a1, const char *a2,
    const char *a3, const char *a4)
{
	const char *argv[] = { a1, a2, a3, a4, NULL };

	tdaemon_fimdv(d, r, argv);
}

static void
expect_out(const struct tlib_run *r, int status, const char *text)
{
	if (r->status != status || strstr(r->out, text) == NULL)
		fail_msg("exit %d (want %d), no \"%s\" in: %s%s", r->status,
		    status, text, r->out, r->err);
}

/* The port of l, asked for by name, as --query --type ports shows it. */
static void
query_port(struct tdaemon *d, const struct listener *l, const char *from)
{
	struct tlib_run r;
	char *name, *head, *port, *key;
	json_t *lines;

	name = tlib_fmt("tcp/127.0.0.1:%d", l->tcp);
	key = tlib_fmt("tcp 127.0.0.1:%d", l->tcp);
	head = tlib_fmt("port %s\n", key);
	port = tlib_fmt("%d", l->tcp);
	run(d, &r, "--query", "--type", "ports", name);
	expect_out(&r, 0, head);
	assert_non_null(strstr(r.out, "python3"));
	printf("%s: %s", from, r.out);
	tlib_run_release(&r);
	/* The port number alone, in JSON: one line, its key and owner. */
	run(d, &r, "--query", "--type", "ports", port);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	run(d, &r, "--query", "--json", "--type=ports", port);
	assert_int_equal(r.status, 0);
	lines = tlib_json_lines(r.out, r.outlen);
	assert_true(json_array_size(lines) >= 1);
	assert_string_equal(tlib_json_str(json_array_get(lines, 0), "key"),
	    key);
	assert_string_equal(tlib_json_str(json_array_get(lines, 0),
	    "process"), "python3");
	json_decref(lines);
	tlib_run_release(&r);
	/* Every port: this one among them. */
	run(d, &r, "--query", "--type", "ports", NULL);
	expect_out(&r, 0, head);
	tlib_run_release(&r);
	/* One that nothing listens on. */
	run(d, &r, "--query", "--type", "ports", "tcp/127.0.0.1:1");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "tcp/127.0.0.1:1: no such entity"));
	tlib_run_release(&r);
	free(name);
	free(key);
	free(head);
	free(port);
}

static void
test_query_ports(void **state)
{
	struct listener l = { 0, 0, 0 };
	struct tdaemon d;
	struct tlib_run r;

	(void)state;
	tlib_require_root("t610 --query --type ports (the owners)");
	start_with(&d, "t610q", "{\"name\":\"ports\",\"type\":\"ports\","
	    "\"rescan\":1}");
	listen_start(&l);
	assert_non_null(wait_port(&d, "opened", "tcp", l.tcp, PORT_WAIT_MS));
	query_port(&d, &l, "from the daemon");
	tdaemon_fimd(&d, &r, "--status", NULL, NULL);
	expect_out(&r, 0, "ports (rule ports): ");
	assert_non_null(strstr(r.out, "last checked 20"));
	tlib_run_release(&r);
	run(&d, &r, "--explain", "--type", "ports", NULL);
	expect_out(&r, 0, "type ports: rule ports (");
	assert_non_null(strstr(r.out, "every 1 s"));
	assert_non_null(strstr(r.out, "daemon: pid "));
	tlib_run_release(&r);
	/* Stopped, the daemon saved the port: the file answers alike. */
	tdaemon_stop(&d);
	query_port(&d, &l, "from the baseline file");
	listen_stop(&l);
	tdaemon_free(&d);
}

static void
test_query_packages(void **state)
{
	struct tdaemon d;
	struct tlib_run r;
	char *ver = NULL, *line, *rules;

	(void)state;
	tdaemon_init(&d, "t610v", "none", NULL);
	assert_int_equal(tlib_sh("mkdir '%s/units' && printf '[Service]\\n"
	    "ExecStart=/bin/true\\n' > '%s/units/t610.service'", d.w, d.w),
	    0);
	rules = tlib_fmt("{\"rules\":[{\"name\":\"pkgs\",\"type\":"
	    "\"packages\"},{\"name\":\"units\",\"type\":\"services\","
	    "\"paths\":[\"%s/units\"]}]}\n", d.w);
	tlib_write(d.rules, rules, (size_t)-1);
	free(rules);
	tdaemon_fimd(&d, &r, "--init", NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	/* dpkg is on every Debian host, its version known to dpkg-query. */
	assert_int_equal(tlib_sh_out(&ver, "dpkg-query -W -f='${Version}' "
	    "dpkg"), 0);
	line = tlib_fmt("  version      %s\n", ver);
	run(&d, &r, "--query", "--type", "packages", "dpkg");
	expect_out(&r, 0, line);
	assert_non_null(strstr(r.out, "package dpkg:"));
	tlib_run_release(&r);
	run(&d, &r, "--query", "--type", "services", "t610.service");
	expect_out(&r, 0, "service t610.service\n");
	assert_non_null(strstr(r.out, "state        disabled\n"));
	tlib_run_release(&r);
	run(&d, &r, "--explain", "--type", "services", NULL);
	expect_out(&r, 0, "type services: rule units (");
	assert_non_null(strstr(r.out, "/units"));
	assert_non_null(strstr(r.out, "in the baseline: 1 services"));
	tlib_run_release(&r);
	/* No rule of type ports: said so, and nothing held. */
	run(&d, &r, "--query", "--type", "ports", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "holds no ports"));
	tlib_run_release(&r);
	run(&d, &r, "--query", "--type", "bogus", NULL);
	assert_int_equal(r.status, 16);
	assert_non_null(strstr(r.err, "unknown type bogus"));
	tlib_run_release(&r);
	run(&d, &r, "--status", "--type", "ports", NULL);
	assert_int_equal(r.status, 16);
	assert_non_null(strstr(r.err, "--type goes with --query"));
	tlib_run_release(&r);
	free(line);
	free(ver);
	tdaemon_free(&d);
}

/* Whatever a test left: the package is not installed afterwards. */
static int
teardown(void **state)
{
	(void)state;
	if (tlib_is_root() && installed())
		(void)tlib_sh(DPKG("-r " PKG));
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_query_ports),
		cmocka_unit_test(test_query_packages),
		cmocka_unit_test_teardown(test_packages_realtime, teardown),
		cmocka_unit_test_teardown(test_packages_check, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
