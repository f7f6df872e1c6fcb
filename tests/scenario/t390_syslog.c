/*
 * 390: the syslog sink read by a real rsyslogd as a stock Debian host
 * reads /dev/log: imuxsock with its default parser, on a socket of the
 * test's own.  Every line of the daemon's alert file arrives as one
 * message whose program name is fimd, whose pid is the daemon's, whose
 * facility is authpriv and severity the alert's, and whose text is the
 * alert's JSON line, byte for byte.  The RFC 5424 form, on the same
 * input, is what such a host misparses (program name "1"): the reason
 * the local form is the default.
 *
 * Needs root (rsyslogd).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"
#include "tdaemon.h"

/* Fields of one message, as the template writes them. */
struct msg {
	char	*program, *pid, *facility, *severity, *text;
};

struct rsys {
	char	*w, *sock, *out, *pidfile;
};

static void
rsys_start(struct rsys *rs)
{
	char *conf, *text;

	rs->w = tlib_mkdtemp("t390r");
	rs->sock = tlib_fmt("%s/log", rs->w);
	rs->out = tlib_fmt("%s/messages", rs->w);
	rs->pidfile = tlib_fmt("%s/rsyslogd.pid", rs->w);
	conf = tlib_fmt("%s/rsyslog.conf", rs->w);
	/*
	 * Debian's rsyslog.conf loads imuxsock with its defaults; only the
	 * socket's path differs here.  The template separates the parsed
	 * fields with "|": only the last, the text, can hold one.
	 */
	text = tlib_fmt(
	    "global(workDirectory=\"%s\")\n"
	    "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
	    "input(type=\"imuxsock\" Socket=\"%s\")\n"
	    "template(name=\"fields\" type=\"string\" string=\"%%programname%%"
	    "|%%procid%%|%%syslogfacility-text%%|"
	    "%%syslogseverity-text%%|%%msg%%\\n\")\n"
	    "*.* action(type=\"omfile\" file=\"%s\" template=\"fields\")\n"
	    /* fimd.conf(5)'s example, as documented. */
	    "template(name=\"fimd_json\" type=\"string\" "
	    "string=\"%%msg:2:$%%\\n\")\n"
	    "if $programname == \"fimd\" then {\n"
	    "  action(type=\"omfile\" file=\"%s/syslog.json\" "
	    "template=\"fimd_json\")\n"
	    "  stop\n"
	    "}\n",
	    rs->w, rs->sock, rs->out, rs->w);
	tlib_write(conf, text, (size_t)-1);
	free(text);
	assert_int_equal(tlib_sh("rsyslogd -f '%s' -i '%s' 2>&1",
	    conf, rs->pidfile), 0);
	free(conf);
	for (int i = 0; i < 200 && access(rs->sock, F_OK) != 0; i++)
		tlib_sleep_ms(25);
	assert_int_equal(access(rs->sock, F_OK), 0);
}

static void
rsys_stop(struct rsys *rs)
{
	/*
	 * The daemon writes its pid file after it forked: wait for it, then
	 * for the process to end, so none outlives the test.
	 */
	(void)tlib_sh("i=0; while [ ! -s '%s' ] && [ $i -lt 40 ]; do "
	    "sleep 0.05; i=$((i+1)); done; p=$(cat '%s' 2>/dev/null); "
	    "[ -n \"$p\" ] || exit 0; kill $p 2>/dev/null; i=0; "
	    "while [ $i -lt 100 ] && [ -d /proc/$p ] && "
	    "! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null; "
	    "do sleep 0.02; i=$((i+1)); done", rs->pidfile, rs->pidfile);
	tlib_rmrf(rs->w);
	free(rs->w);
	free(rs->sock);
	free(rs->out);
	free(rs->pidfile);
}

/* The messages written so far; returns how many (at most max). */
static size_t
read_msgs(const struct rsys *rs, struct msg *m, size_t max)
{
	char *text = tlib_read(rs->out, NULL), *line, *next, *f[5];
	size_t n = 0;
	int i;

	for (line = text; line != NULL && *line != '\0' && n < max;
	    line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (i = 0; i < 5; i++) {
			f[i] = line;
			if (i < 4 && (line = strchr(line, '|')) != NULL)
				*line++ = '\0';
			if (line == NULL)
				break;
		}
		if (i < 5)
			fail_msg("unparsed message line in %s", rs->out);
		/* rsyslog keeps the space after the tag's colon. */
		if (f[4][0] == ' ')
			f[4]++;
		m[n] = (struct msg){ strdup(f[0]), strdup(f[1]), strdup(f[2]),
		    strdup(f[3]), strdup(f[4]) };
		n++;
	}
	free(text);
	return n;
}

static void
msgs_free(struct msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].program);
		free(m[i].pid);
		free(m[i].facility);
		free(m[i].severity);
		free(m[i].text);
	}
}

/* The alert file's lines, newline-split (a new array of strings). */
static size_t
alert_lines(const char *path, char **lines, size_t max)
{
	char *text = tlib_read(path, NULL), *p, *nl;
	size_t n = 0;

	for (p = text; p != NULL && *p != '\0' && n < max; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		lines[n++] = strndup(p, (size_t)(nl - p));
	}
	free(text);
	return n;
}

static const char *
syslog_severity(const char *line)
{
	json_t *o = json_loads(line, 0, NULL);
	const char *sev = o != NULL ? tlib_json_str(o, "fimd.severity") :
	    NULL;
	const char *r = "info";

	if (sev == NULL)
		r = "info";
	else if (strcmp(sev, "critical") == 0)
		r = "crit";
	else if (strcmp(sev, "high") == 0)
		r = "err";
	else if (strcmp(sev, "medium") == 0)
		r = "warning";
	else if (strcmp(sev, "low") == 0)
		r = "notice";
	json_decref(o);
	return r;
}

static void
test_stock_rsyslog(void **state)
{
	struct rsys rs;
	struct tdaemon d;
	struct msg m[64];
	char *lines[64], *conf, *pid, *json_path, *want, *got;
	size_t n = 0, nl = 0, i;
	double t0;

	(void)state;
	tlib_require_root("rsyslogd on a socket of its own");
	rsys_start(&rs);
	tdaemon_init(&d, "t390", "inotify", NULL);
	conf = tlib_fmt("{\"syslog\":true,\"syslog_target\":\"%s\"}\n",
	    rs.sock);
	tlib_write(d.conf, conf, (size_t)-1);
	free(conf);
	tdaemon_start(&d, NULL);
	assert_int_equal(tlib_sh("echo changed >> '%s/f' && "
	    "printf 'x\\ny' > '%s/new\tname'", d.t, d.t), 0);
	assert_non_null(tdaemon_wait(&d, "updated", NULL, 5000));
	assert_non_null(tdaemon_wait(&d, "created", NULL, 5000));
	pid = tlib_fmt("%ld", (long)d.pid);
	tdaemon_stop(&d);
	nl = alert_lines(d.alerts, lines, 64);
	assert_true(nl >= 4);	/* started, updated, created, stopped */
	for (t0 = tlib_now(); tlib_now() - t0 < 10; tlib_sleep_ms(50)) {
		msgs_free(m, n);
		if ((n = read_msgs(&rs, m, 64)) >= nl)
			break;
	}
	if (n != nl)
		fail_msg("%zu alert lines, %zu syslog messages", nl, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(m[i].program, "fimd");
		assert_string_equal(m[i].pid, pid);
		assert_string_equal(m[i].facility, "authpriv");
		assert_string_equal(m[i].severity, syslog_severity(lines[i]));
		if (strcmp(m[i].text, lines[i]) != 0)
			fail_msg("message %zu is not the alert line:\n%s\n%s",
			    i, m[i].text, lines[i]);
	}
	/* The documented rsyslog rule writes the alert file's lines. */
	json_path = tlib_fmt("%s/syslog.json", rs.w);
	want = tlib_read(d.alerts, NULL);
	got = tlib_read(json_path, NULL);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(json_path);
	free(want);
	free(got);
	printf("stock rsyslog: %zu alert lines, %zu messages, all fimd[%s], "
	    "text identical\n", nl, n, pid);
	free(pid);
	msgs_free(m, n);
	for (i = 0; i < nl; i++)
		free(lines[i]);
	tdaemon_free(&d);
	rsys_stop(&rs);
}

/*
 * The RFC 5424 form on the same stock input: the program name is the
 * version digit, as the issue was reported; with syslog_format rfc5424
 * users must configure rsyslog for it.
 */
static void
test_rfc5424_needs_configuration(void **state)
{
	struct rsys rs;
	struct tdaemon d;
	struct msg m[16];
	char *conf;
	size_t n = 0;
	double t0;

	(void)state;
	tlib_require_root("rsyslogd on a socket of its own");
	rsys_start(&rs);
	tdaemon_init(&d, "t390b", "inotify", NULL);
	conf = tlib_fmt("{\"syslog\":true,\"syslog_target\":\"%s\","
	    "\"syslog_format\":\"rfc5424\"}\n", rs.sock);
	tlib_write(d.conf, conf, (size_t)-1);
	free(conf);
	tdaemon_start(&d, NULL);
	tdaemon_stop(&d);
	for (t0 = tlib_now(); tlib_now() - t0 < 10; tlib_sleep_ms(50)) {
		msgs_free(m, n);
		if ((n = read_msgs(&rs, m, 16)) >= 2)
			break;
	}
	assert_true(n >= 2);
	assert_string_not_equal(m[0].program, "fimd");
	msgs_free(m, n);
	tdaemon_free(&d);
	rsys_stop(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stock_rsyslog),
		cmocka_unit_test(test_rfc5424_needs_configuration),
	};

	return cmocka_run_group_tests_name("t390_syslog", tests, NULL, NULL);
}
