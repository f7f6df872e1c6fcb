/* Shared test helpers; see tlib.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tlib.h"

extern char **environ;

/* posix_spawn takes char *const argv[]; it does not write them. */
static char *
unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

bool
tlib_is_root(void)
{
	return geteuid() == 0;
}

bool
tlib_root_required(void)
{
	const char *v = getenv("FIMD_TEST_REQUIRE_ROOT");

	return v != NULL && strcmp(v, "1") == 0;
}

char *
tlib_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	assert_non_null(s);
	return s;
}

char *
tlib_mkdtemp(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char *path;

	path = tlib_fmt("%s/fimd-%s.XXXXXX", tmp != NULL ? tmp : "/tmp", tag);
	assert_non_null(mkdtemp(path));
	return path;
}

void
tlib_rmrf(const char *path)
{
	if (path == NULL)
		return;
	(void)tlib_sh("chattr -R -i -a '%s' >/dev/null 2>&1; rm -rf '%s'",
	    path, path);
}

static int
wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

static int
vsh(char **ret_out, const char *fmt, va_list ap)
{
	posix_spawn_file_actions_t fa;
	char *cmd, *argv[4];
	int p[2], status;
	pid_t pid;
	char chunk[4096];
	size_t len = 0;
	ssize_t n;

	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	argv[0] = unconst("sh");
	argv[1] = unconst("-c");
	argv[2] = cmd;
	argv[3] = NULL;
	posix_spawn_file_actions_init(&fa);
	if (ret_out != NULL) {
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	}
	assert_int_equal(posix_spawn(&pid, "/bin/sh", &fa, NULL, argv,
	    environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	if (ret_out != NULL) {
		close(p[1]);
		*ret_out = NULL;
		for (;;) {
			n = read(p[0], chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			*ret_out = realloc(*ret_out, len + (size_t)n + 1);
			assert_non_null(*ret_out);
			memcpy(*ret_out + len, chunk, (size_t)n);
			len += (size_t)n;
		}
		close(p[0]);
		if (*ret_out == NULL)
			*ret_out = strdup("");
		else
			(*ret_out)[len] = '\0';
	}
	status = wait_status(pid);
	free(cmd);
	return status;
}

int
tlib_sh(const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsh(NULL, fmt, ap);
	va_end(ap);
	return r;
}

int
tlib_sh_out(char **ret_out, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsh(ret_out, fmt, ap);
	va_end(ap);
	return r;
}

const char *
tlib_fimd(void)
{
	const char *p = getenv("FIMD");

	return p != NULL && *p != '\0' ? p : "build/fimd";
}

static void
append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

void
tlib_run_fimd(struct tlib_run *ret, int timeout_s, const char *const *args)
{
	posix_spawn_file_actions_t fa;
	int out[2], err[2], nargs = 0, i, open_fds = 2;
	struct pollfd pfd[2];
	char chunk[65536];
	char **argv;
	double deadline;
	ssize_t n;
	pid_t pid;

	memset(ret, 0, sizeof(*ret));
	while (args[nargs] != NULL)
		nargs++;
	argv = calloc((size_t)nargs + 2, sizeof(*argv));
	assert_non_null(argv);
	argv[0] = unconst(tlib_fimd());
	for (i = 0; i < nargs; i++)
		argv[i + 1] = unconst(args[i]);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ),
	    0);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	close(out[1]);
	close(err[1]);
	append(&ret->out, &ret->outlen, "", 0);
	append(&ret->err, &ret->errlen, "", 0);
	pfd[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	deadline = tlib_now() + timeout_s;
	while (open_fds > 0) {
		double left = deadline - tlib_now();

		if (left <= 0) {
			ret->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, 2, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n > 0) {
				if (i == 0)
					append(&ret->out, &ret->outlen, chunk, (size_t)n);
				else
					append(&ret->err, &ret->errlen, chunk, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	ret->status = wait_status(pid);
}

void
tlib_run_release(struct tlib_run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

void
tlib_write(const char *path, const char *data, size_t len)
{
	FILE *f;

	if (len == (size_t)-1)
		len = strlen(data);
	f = fopen(path, "wb");
	if (f == NULL)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

char *
tlib_read(const char *path, size_t *ret_len)
{
	FILE *f;
	char *buf = NULL, chunk[65536];
	size_t len = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	append(&buf, &len, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		append(&buf, &len, chunk, n);
	fclose(f);
	if (ret_len != NULL)
		*ret_len = len;
	return buf;
}

json_t *
tlib_json_lines(const char *text, size_t len)
{
	json_t *arr = json_array(), *v;
	json_error_t err;
	const char *p = text, *end = text + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl > p) {
			v = json_loadb(p, (size_t)(nl - p), 0, &err);
			if (v == NULL)
				fail_msg("bad JSON line: %s: %.*s", err.text,
				    (int)(nl - p), p);
			json_array_append_new(arr, v);
		}
		p = nl + 1;
	}
	return arr;
}

json_t *
tlib_json_get(const json_t *obj, const char *dotted)
{
	char key[256];
	const char *p = dotted, *dot;
	const json_t *cur = obj;
	size_t n;

	while (cur != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = json_object_get(cur, key);
		p += n + (dot != NULL);
	}
	return (json_t *)(uintptr_t)cur;
}

const char *
tlib_json_str(const json_t *obj, const char *dotted)
{
	return json_string_value(tlib_json_get(obj, dotted));
}

bool
tlib_json_has(const json_t *obj, const char *dotted, const char *s)
{
	const json_t *arr = tlib_json_get(obj, dotted), *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static bool
alert_matches(const json_t *a, const char *action, const char *path)
{
	const char *s;

	if (action != NULL) {
		s = tlib_json_str(a, "event.action");
		if (s == NULL || strcmp(s, action) != 0)
			return false;
	}
	if (path != NULL) {
		s = tlib_json_str(a, "file.path");
		if (s == NULL || strcmp(s, path) != 0)
			return false;
	}
	return true;
}

json_t *
tlib_find_alert(const json_t *lines, const char *action, const char *path)
{
	json_t *v;
	size_t i;

	json_array_foreach(lines, i, v) {
		if (alert_matches(v, action, path))
			return v;
	}
	return NULL;
}

size_t
tlib_count_alerts(const json_t *lines, const char *action, const char *path)
{
	json_t *v;
	size_t i, n = 0;

	json_array_foreach(lines, i, v) {
		if (alert_matches(v, action, path))
			n++;
	}
	return n;
}

double
tlib_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
tlib_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
