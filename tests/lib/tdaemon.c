/* Running the real daemon for scenario tests; see tdaemon.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tdaemon.h"

extern char **environ;

void
tdaemon_init(struct tdaemon *d, const char *tag, const char *backend,
    const char *rule_json)
{
	char *json;

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	d->notify_fd = -1;
	d->backend = backend;
	d->w = tlib_mkdtemp(tag);
	d->t = tlib_fmt("%s/tree", d->w);
	d->rules = tlib_fmt("%s/rules.json", d->w);
	d->conf = tlib_fmt("%s/fimd.json", d->w);
	d->baseline = tlib_fmt("%s/state/baseline.json", d->w);
	d->alerts = tlib_fmt("%s/log/alerts.json", d->w);
	d->sock = tlib_fmt("%s/fimd.sock", d->w);
	d->notify = tlib_fmt("%s/notify.sock", d->w);
	d->log = tlib_fmt("%s/daemon.log", d->w);
	d->alerts_seen = json_array();
	d->records_seen = json_array();
	assert_int_equal(mkdir(d->t, 0755), 0);
	assert_int_equal(tlib_sh("cd '%s' && printf 'hello\\n' > f && "
	    "printf 'aaa\\n' > a && printf 'bbbbbb\\n' > b && mkdir d",
	    d->t), 0);
	json = tlib_fmt("{\"rules\":[{\"name\":\"t\",\"paths\":[\"%s\"],"
	    "\"severity\":\"high\"%s}]}\n", d->t,
	    rule_json != NULL ? rule_json : "");
	tlib_write(d->rules, json, (size_t)-1);
	free(json);
	tlib_write(d->conf, "{}\n", (size_t)-1);
	setenv("T", d->t, 1);
	setenv("W", d->w, 1);
}

static int
notify_bind(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path));
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Wait for a datagram holding READY=1, failing on timeout or death. */
static void
wait_ready(struct tdaemon *d, unsigned ms)
{
	struct pollfd pfd = { .fd = d->notify_fd, .events = POLLIN };
	double deadline = tlib_now() + ms / 1000.0;
	char buf[1024], *log;
	ssize_t n;
	int st;

	while (tlib_now() < deadline) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = -1;
			log = tlib_read(d->log, NULL);
			fail_msg("fimd exited before READY (status %d):\n%s",
			    st, log != NULL ? log : "");
		}
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = recv(d->notify_fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strstr(buf, "READY=1") != NULL)
			return;
	}
	fail_msg("fimd sent no READY=1 within %u ms", ms);
}

int
tdaemon_enter_netns(const char *name)
{
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

void
tdaemon_start(struct tdaemon *d, const char *const *extra)
{
	const char *args[32];
	char *env_notify;
	char **envp;
	size_t nenv, i;
	int n = 0;

	d->notify_fd = notify_bind(d->notify);
	args[n++] = tlib_fimd();
	args[n++] = "--foreground";
	args[n++] = "-c";
	args[n++] = d->conf;
	args[n++] = "-r";
	args[n++] = d->rules;
	args[n++] = "-b";
	args[n++] = d->baseline;
	args[n++] = "-a";
	args[n++] = d->alerts;
	args[n++] = "-s";
	args[n++] = d->sock;
	args[n++] = "--backend";
	args[n++] = d->backend;
	for (i = 0; extra != NULL && extra[i] != NULL && n < 30; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	for (nenv = 0; environ[nenv] != NULL; nenv++)
		;
	envp = calloc(nenv + 2, sizeof(*envp));
	assert_non_null(envp);
	for (i = 0; i < nenv; i++)
		envp[i] = environ[i];
	env_notify = tlib_fmt("NOTIFY_SOCKET=%s", d->notify);
	envp[nenv] = env_notify;
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		int fd;

		/*
		 * A failed assertion leaves the test without stopping its
		 * daemon: the daemon goes with the test process.
		 */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (d->netns != NULL && tdaemon_enter_netns(d->netns) < 0)
			_exit(126);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			(void)dup2(fd, 0);
		if ((fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) >= 0) {
			(void)dup2(fd, 1);
			(void)dup2(fd, 2);
		}
		execve(args[0], (char *const *)(uintptr_t)args, envp);
		_exit(127);
	}
	free(env_notify);
	free(envp);
	wait_ready(d, 60000);
}

void
tdaemon_stop(struct tdaemon *d)
{
	char *log;
	int st;

	if (d->pid <= 0)
		return;
	assert_int_equal(kill(d->pid, SIGTERM), 0);
	assert_int_equal(waitpid(d->pid, &st, 0), d->pid);
	d->pid = -1;
	if (d->notify_fd >= 0) {
		close(d->notify_fd);
		d->notify_fd = -1;
	}
	tdaemon_poll(d);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		log = tlib_read(d->log, NULL);
		fail_msg("fimd stopped with status %d:\n%s", st,
		    log != NULL ? log : "");
	}
}

void
tdaemon_free(struct tdaemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
	}
	if (d->notify_fd >= 0)
		close(d->notify_fd);
	tlib_rmrf(d->w);
	free(d->w);
	free(d->t);
	free(d->rules);
	free(d->conf);
	free(d->baseline);
	free(d->alerts);
	free(d->sock);
	free(d->notify);
	free(d->log);
	free(d->partial);
	json_decref(d->alerts_seen);
	json_decref(d->records_seen);
	memset(d, 0, sizeof(*d));
}

static void
take_line(struct tdaemon *d, const char *line, size_t len)
{
	json_error_t err;
	const char *action;
	json_t *v;

	if (len == 0)
		return;
	v = json_loadb(line, len, 0, &err);
	if (v == NULL)
		fail_msg("bad alert line: %s: %.*s", err.text, (int)len, line);
	action = tlib_json_str(v, "event.action");
	if (action != NULL && (strcmp(action, "started") == 0 ||
	    strcmp(action, "stopped") == 0 ||
	    strcmp(action, "checkpoint") == 0))
		json_array_append_new(d->records_seen, v);
	else
		json_array_append_new(d->alerts_seen, v);
}

void
tdaemon_poll(struct tdaemon *d)
{
	char buf[65536], *nl, *all;
	size_t plen = d->partial != NULL ? strlen(d->partial) : 0;
	ssize_t n;
	int fd;

	/* Whatever a test put at the path, never block on it. */
	if ((fd = open(d->alerts, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) < 0)
		return;
	while ((n = pread(fd, buf, sizeof(buf), (off_t)d->off)) > 0) {
		d->off += (size_t)n;
		all = malloc(plen + (size_t)n + 1);
		assert_non_null(all);
		if (plen > 0)
			memcpy(all, d->partial, plen);
		memcpy(all + plen, buf, (size_t)n);
		all[plen + (size_t)n] = '\0';
		free(d->partial);
		d->partial = NULL;
		char *p = all;

		while ((nl = strchr(p, '\n')) != NULL) {
			take_line(d, p, (size_t)(nl - p));
			p = nl + 1;
		}
		plen = strlen(p);
		d->partial = plen > 0 ? strdup(p) : NULL;
		free(all);
	}
	close(fd);
}

json_t *
tdaemon_wait(struct tdaemon *d, const char *action, const char *path,
    unsigned ms)
{
	double deadline = tlib_now() + ms / 1000.0;
	json_t *a;

	for (;;) {
		tdaemon_poll(d);
		if ((a = tlib_find_alert(d->alerts_seen, action, path)) != NULL)
			return a;
		if (tlib_now() >= deadline)
			return NULL;
		tlib_sleep_ms(2);
	}
}

json_t *
tdaemon_wait_record(struct tdaemon *d, const char *action, size_t n,
    unsigned ms)
{
	double deadline = tlib_now() + ms / 1000.0;
	json_t *r;
	size_t i, seen;

	for (;;) {
		tdaemon_poll(d);
		seen = 0;
		json_array_foreach(d->records_seen, i, r) {
			if (strcmp(tlib_json_str(r, "event.action"),
			    action) == 0 && ++seen == n)
				return r;
		}
		if (tlib_now() >= deadline)
			return NULL;
		tlib_sleep_ms(5);
	}
}

void
tdaemon_settle(struct tdaemon *d, unsigned quiet_ms, unsigned max_ms)
{
	double end = tlib_now() + max_ms / 1000.0, last = tlib_now();
	size_t n = json_array_size(d->alerts_seen);

	while (tlib_now() < end && tlib_now() - last < quiet_ms / 1000.0) {
		tlib_sleep_ms(10);
		tdaemon_poll(d);
		if (json_array_size(d->alerts_seen) != n) {
			n = json_array_size(d->alerts_seen);
			last = tlib_now();
		}
	}
}

void
tdaemon_fimd(struct tdaemon *d, struct tlib_run *r, const char *mode,
    const char *arg1, const char *arg2)
{
	const char *argv[4];
	int n = 0;

	argv[n++] = mode;
	if (arg1 != NULL)
		argv[n++] = arg1;
	if (arg2 != NULL)
		argv[n++] = arg2;
	argv[n] = NULL;
	tdaemon_fimdv(d, r, argv);
}

void
tdaemon_fimdv(struct tdaemon *d, struct tlib_run *r, const char *const *argv)
{
	const char *args[64];
	int n = 0, i;

	args[n++] = "-c";
	args[n++] = d->conf;
	args[n++] = "-r";
	args[n++] = d->rules;
	args[n++] = "-b";
	args[n++] = d->baseline;
	args[n++] = "-a";
	args[n++] = d->alerts;
	args[n++] = "-s";
	args[n++] = d->sock;
	for (i = 0; argv[i] != NULL && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	tlib_run_fimd(r, 120, args);
	assert_false(r->timed_out);
}
