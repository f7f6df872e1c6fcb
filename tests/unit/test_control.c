/*
 * control: a real server on a real libevent loop in a forked child, a
 * real socket in a temporary directory, and clients both through
 * control_request and raw sockets (for what control_request never sends).
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"

#include <event2/event.h>

#include "control.h"

/* ---- the server's handlers (they run in the child) ---- */

static int
h_status(const json_t *req, json_t *reply, void *arg)
{
	json_int_t big = json_integer_value(json_object_get(req, "big"));
	char *pad;

	(void)arg;
	if (big > 0) {
		/* Larger than any socket buffer: written in pieces. */
		pad = malloc((size_t)big);
		assert_non_null(pad);
		memset(pad, 'x', (size_t)big);
		json_object_set_new(reply, "pad", json_stringn(pad,
		    (size_t)big));
		free(pad);
		return 0;
	}
	json_object_set_new(reply, "pid", json_integer(getpid()));
	json_object_set_new(reply, "files", json_integer(42));
	json_object_set_new(reply, "echo", json_deep_copy(req));
	return 0;
}

static int
h_query(const json_t *req, json_t *reply, void *arg)
{
	(void)arg;
	json_object_set(reply, "entries", json_object_get(req, "paths"));
	return 0;
}

static int
h_rescan(const json_t *req, json_t *reply, void *arg)
{
	const char *rule = json_string_value(json_object_get(req, "rule"));

	(void)arg;
	if (rule != NULL && strcmp(rule, "nope") == 0) {
		json_object_set_new(reply, "error",
		    json_string("no rule named nope"));
		return -ENOENT;
	}
	json_object_set_new(reply, "queued", json_integer(1));
	return 0;
}

static int
h_reopen(const json_t *req, json_t *reply, void *arg)
{
	(void)req;
	(void)reply;
	(void)arg;
	return -EIO;	/* no message: the server adds one */
}

static const struct control_ops test_ops = {
	.status = h_status,
	.query = h_query,
	.rescan = h_rescan,
	.reopen = h_reopen,
	/* accept left out: known but not served */
};

/* ---- harness ---- */

struct server {
	char	*dir;
	char	*path;
	pid_t	 pid;
	int	 open_result;
};

/* Start a server in a child; returns control_open's result. */
static int
server_start(struct server *s, unsigned deadline_ms)
{
	struct control *ctl;
	struct event_base *base;
	int pfd[2], r;

	assert_int_equal(pipe(pfd), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		/* A failed assertion skips the teardown: do not linger. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[0]);
		base = event_base_new();
		r = control_open(base, s->path, &test_ops, &ctl);
		if (r == 0 && deadline_ms > 0)
			control_set_deadline(ctl, deadline_ms);
		if (write(pfd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		close(pfd[1]);
		if (r == 0)
			event_base_dispatch(base);
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(pfd[0]);
	s->open_result = r;
	return r;
}

static void
server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

static void
setup_dir(struct server *s)
{
	memset(s, 0, sizeof(*s));
	s->dir = tlib_mkdtemp("control");
	s->path = tlib_fmt("%s/fimd.sock", s->dir);
}

static void
teardown_dir(struct server *s)
{
	server_stop(s);
	tlib_rmrf(s->dir);
	free(s->dir);
	free(s->path);
}

static int
raw_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	return fd;
}

/* Read until EOF (the server closes after its one line). */
static char *
read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *s = malloc(cap);
	ssize_t n;

	assert_non_null(s);
	for (;;) {
		n = recv(fd, s + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len + 1 == cap) {
			cap *= 2;
			s = realloc(s, cap);
			assert_non_null(s);
		}
	}
	s[len] = '\0';
	return s;
}

/* Send bytes, then read the whole answer. */
static char *
raw_exchange(const char *path, const char *data, size_t len)
{
	char *reply;
	ssize_t n;
	size_t off = 0;
	int fd;

	fd = raw_connect(path);
	while (off < len) {
		n = send(fd, data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;	/* the server may refuse before the end */
		off += (size_t)n;
	}
	reply = read_all(fd);
	close(fd);
	return reply;
}

static json_t *
request(const char *path, const char *json_text, int *ret)
{
	json_t *req = json_loads(json_text, 0, NULL), *reply = NULL;

	assert_non_null(req);
	*ret = control_request(path, req, 3000, &reply);
	json_decref(req);
	return reply;
}

/* ---- tests ---- */

static void
test_mode_0600_and_unlink(void **state)
{
	struct server s;
	struct event_base *base = event_base_new();
	struct control *ctl;
	struct stat st;
	mode_t old;

	(void)state;
	setup_dir(&s);
	/* A permissive umask must not leak into the socket's mode. */
	old = umask(0);
	assert_int_equal(control_open(base, s.path, &test_ops, &ctl), 0);
	assert_int_equal(umask(old), 0);	/* restored */
	assert_int_equal(lstat(s.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	/* Nothing else was created. */
	assert_int_equal(tlib_sh("test $(ls -A '%s' | wc -l) -eq 1", s.dir),
	    0);
	control_free(ctl);
	assert_int_equal(lstat(s.path, &st), -1);
	assert_int_equal(errno, ENOENT);
	event_base_free(base);
	teardown_dir(&s);
}

static void
test_round_trips(void **state)
{
	static const struct {
		const char *req;
		bool	 ok;
		const char *field;	/* present in the reply */
		const char *error;	/* substring of "error" */
	} cases[] = {
		{ "{\"verb\":\"status\",\"x\":1}", true, "files", NULL },
		{ "{\"verb\":\"query\",\"paths\":[\"/a\",\"/b\\n\"]}", true,
		    "entries", NULL },
		{ "{\"verb\":\"rescan\"}", true, "queued", NULL },
		{ "{\"verb\":\"rescan\",\"rule\":\"nope\"}", false, NULL,
		    "no rule named nope" },
		{ "{\"verb\":\"reopen\"}", false, NULL, "Input/output" },
		{ "{\"verb\":\"accept\",\"paths\":[]}", false, NULL,
		    "not served" },
		{ "{\"verb\":\"x\"}", false, NULL, "unknown verb \"x\"" },
		{ "{\"verb\":\"STATUS\"}", false, NULL, "unknown verb" },
		{ "{\"verb\":7}", false, NULL, "no \"verb\"" },
		{ "{}", false, NULL, "no \"verb\"" },
		{ "[\"status\"]", false, NULL, "not a JSON object" },
	};
	struct server s;
	json_t *reply;
	const char *err;
	size_t i;
	int r;

	(void)state;
	setup_dir(&s);
	assert_int_equal(server_start(&s, 0), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reply = request(s.path, cases[i].req, &r);
		assert_int_equal(r, 0);
		assert_non_null(reply);
		assert_int_equal(json_is_true(json_object_get(reply, "ok")),
		    cases[i].ok);
		if (cases[i].field != NULL)
			assert_non_null(json_object_get(reply,
			    cases[i].field));
		err = json_string_value(json_object_get(reply, "error"));
		if (cases[i].error != NULL) {
			assert_non_null(err);
			if (strstr(err, cases[i].error) == NULL)
				fail_msg("case %zu: error \"%s\"", i, err);
		} else
			assert_null(err);
		json_decref(reply);
	}
	/* The request reached the handler intact. */
	reply = request(s.path, "{\"verb\":\"status\",\"x\":\"\\u00e9\\n\"}",
	    &r);
	assert_int_equal(r, 0);
	assert_int_equal(json_integer_value(json_object_get(reply, "pid")),
	    s.pid);
	assert_string_equal(tlib_json_str(reply, "echo.x"), "\xc3\xa9\n");
	json_decref(reply);
	reply = request(s.path, "{\"verb\":\"status\",\"big\":3000000}", &r);
	assert_int_equal(r, 0);
	assert_int_equal(json_string_length(json_object_get(reply, "pad")),
	    3000000);
	json_decref(reply);
	teardown_dir(&s);
}

static void
test_raw_requests_refused(void **state)
{
	static const struct {
		const char *data;
		const char *error;
	} cases[] = {
		{ "not json\n", "invalid JSON" },
		{ "{\"verb\":\"status\"\n", "invalid JSON" },
		{ "{\"verb\":\"status\",\"verb\":\"x\"}\n", "invalid JSON" },
		{ "\n", "invalid JSON" },
		{ "{\"verb\":\"stat\\u0000us\"}\n", "invalid JSON" },
		/* Half-closed without a newline: served as it is. */
		{ "{\"verb\":\"status\"}", NULL },
	};
	struct server s;
	json_t *reply;
	char *raw, *big;
	size_t i;

	(void)state;
	setup_dir(&s);
	assert_int_equal(server_start(&s, 0), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = raw_connect(s.path);

		assert_true(send(fd, cases[i].data, strlen(cases[i].data),
		    0) > 0);
		shutdown(fd, SHUT_WR);
		raw = read_all(fd);
		close(fd);
		/* One line, newline-terminated, one JSON object. */
		assert_true(strlen(raw) > 1);
		assert_int_equal(raw[strlen(raw) - 1], '\n');
		assert_ptr_equal(strchr(raw, '\n'), raw + strlen(raw) - 1);
		reply = json_loads(raw, 0, NULL);
		assert_non_null(reply);
		if (cases[i].error == NULL)
			assert_true(json_is_true(json_object_get(reply, "ok")));
		else {
			assert_true(json_is_false(json_object_get(reply,
			    "ok")));
			assert_non_null(strstr(tlib_json_str(reply, "error"),
			    cases[i].error));
		}
		json_decref(reply);
		free(raw);
	}
	/* Oversized: refused once the cap is passed, without a newline. */
	big = malloc(CONTROL_MAX_REQUEST + 4096);
	assert_non_null(big);
	memset(big, ' ', CONTROL_MAX_REQUEST + 4096);
	memcpy(big, "{\"verb\":\"status\",\"pad\":\"", 24);
	raw = raw_exchange(s.path, big, CONTROL_MAX_REQUEST + 4096);
	reply = json_loads(raw, 0, NULL);
	assert_non_null(reply);
	assert_true(json_is_false(json_object_get(reply, "ok")));
	assert_non_null(strstr(tlib_json_str(reply, "error"), "longer"));
	json_decref(reply);
	free(raw);
	/* Exactly at the cap with its newline: accepted. */
	memcpy(big, "{\"verb\":\"status\"}", 17);
	memset(big + 17, ' ', CONTROL_MAX_REQUEST - 17);
	big[CONTROL_MAX_REQUEST] = '\n';
	raw = raw_exchange(s.path, big, CONTROL_MAX_REQUEST + 1);
	reply = json_loads(raw, 0, NULL);
	assert_non_null(reply);
	assert_true(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	free(raw);
	free(big);
	teardown_dir(&s);
}

static void
test_slow_client_deadline(void **state)
{
	struct server s;
	json_t *reply;
	double t0, dt;
	char *raw;
	int fd, idle, r;

	(void)state;
	setup_dir(&s);
	assert_int_equal(server_start(&s, 400), 0);
	idle = raw_connect(s.path);	/* says nothing at all */
	fd = raw_connect(s.path);
	t0 = tlib_now();
	assert_int_equal(send(fd, "{\"verb\":", 8, 0), 8);
	/* Others are served meanwhile: the loop is not blocked. */
	reply = request(s.path, "{\"verb\":\"status\"}", &r);
	assert_int_equal(r, 0);
	assert_true(json_is_true(json_object_get(reply, "ok")));
	assert_true(tlib_now() - t0 < 0.3);
	json_decref(reply);
	raw = read_all(fd);
	dt = tlib_now() - t0;
	assert_true(dt >= 0.35);
	assert_true(dt < 3.0);
	reply = json_loads(raw, 0, NULL);
	assert_non_null(reply);
	assert_true(json_is_false(json_object_get(reply, "ok")));
	assert_non_null(strstr(tlib_json_str(reply, "error"), "within"));
	json_decref(reply);
	free(raw);
	close(fd);
	/* The silent one was dropped too, with the same answer. */
	raw = read_all(idle);
	assert_non_null(strstr(raw, "within"));
	free(raw);
	close(idle);
	teardown_dir(&s);
}

static void
test_client_limit(void **state)
{
	struct server s;
	int fds[CONTROL_MAX_CLIENTS], extra, i, r;
	json_t *reply;
	char *raw;

	(void)state;
	setup_dir(&s);
	assert_int_equal(server_start(&s, 3000), 0);
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		fds[i] = raw_connect(s.path);
	tlib_sleep_ms(200);	/* let the server accept them all */
	extra = raw_connect(s.path);
	raw = read_all(extra);
	assert_non_null(strstr(raw, "too many clients"));
	free(raw);
	close(extra);
	/* One leaves: room again. */
	close(fds[0]);
	tlib_sleep_ms(200);
	reply = request(s.path, "{\"verb\":\"status\"}", &r);
	assert_int_equal(r, 0);
	assert_true(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	for (i = 1; i < CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	teardown_dir(&s);
}

/* A socket file left by a dead process. */
static void
make_stale(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
}

static void
test_stale_and_live(void **state)
{
	struct server s;
	struct event_base *base = event_base_new();
	struct control *ctl;
	struct stat st;
	json_t *reply;
	char *file;
	int r;

	(void)state;
	setup_dir(&s);
	/* No daemon: ENOENT, then ECONNREFUSED on the stale socket. */
	reply = request(s.path, "{\"verb\":\"status\"}", &r);
	assert_int_equal(r, -ENOENT);
	make_stale(s.path);
	reply = request(s.path, "{\"verb\":\"status\"}", &r);
	assert_int_equal(r, -ECONNREFUSED);
	assert_null(reply);
	/* The stale socket is replaced and the new server answers. */
	assert_int_equal(server_start(&s, 0), 0);
	reply = request(s.path, "{\"verb\":\"status\"}", &r);
	assert_int_equal(r, 0);
	assert_true(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	/* A live one is not taken over, nor removed. */
	assert_int_equal(control_open(base, s.path, &test_ops, &ctl),
	    -EADDRINUSE);
	reply = request(s.path, "{\"verb\":\"status\"}", &r);
	assert_int_equal(r, 0);
	json_decref(reply);
	server_stop(&s);
	/* A file that is not a socket is never removed. */
	file = tlib_fmt("%s/plain", s.dir);
	tlib_write(file, "keep", 4);
	assert_int_equal(control_open(base, file, &test_ops, &ctl), -EEXIST);
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	free(file);
	event_base_free(base);
	teardown_dir(&s);
}

static void
test_client_timeout(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct server s;
	json_t *req, *reply = NULL;
	double t0;
	int fd, r;

	(void)state;
	setup_dir(&s);
	/* Listening but never answering. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	t0 = tlib_now();
	req = json_pack("{s:s}", "verb", "status");
	r = control_request(s.path, req, 300, &reply);
	assert_int_equal(r, -ETIMEDOUT);
	assert_null(reply);
	assert_true(tlib_now() - t0 >= 0.25);
	assert_true(tlib_now() - t0 < 2.0);
	json_decref(req);
	close(fd);
	teardown_dir(&s);
}

/* In a child as uid 65534: 0 refused by the server, 1 served, 2 EACCES. */
static int
request_as_nobody(const char *path)
{
	json_t *req, *reply = NULL;
	pid_t pid;
	int st, r;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(9);
		req = json_pack("{s:s}", "verb", "status");
		r = control_request(path, req, 2000, &reply);
		if (r == -EACCES)
			_exit(2);
		if (r != 0)
			_exit(3);
		if (json_is_true(json_object_get(reply, "ok")))
			_exit(1);
		_exit(strcmp(json_string_value(json_object_get(reply,
		    "error")), "permission denied") == 0 ? 0 : 4);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_peer_other_uid(void **state)
{
	struct server s;

	(void)state;
	tlib_require_root("connecting as another uid");
	setup_dir(&s);
	assert_int_equal(chmod(s.dir, 0755), 0);
	assert_int_equal(server_start(&s, 0), 0);
	/* Mode 0600 already keeps it out. */
	assert_int_equal(request_as_nobody(s.path), 2);
	/* Even when the mode lets it connect, SO_PEERCRED refuses it. */
	assert_int_equal(chmod(s.path, 0666), 0);
	assert_int_equal(request_as_nobody(s.path), 0);
	teardown_dir(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_0600_and_unlink),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_raw_requests_refused),
		cmocka_unit_test(test_slow_client_deadline),
		cmocka_unit_test(test_client_limit),
		cmocka_unit_test(test_stale_and_live),
		cmocka_unit_test(test_client_timeout),
		cmocka_unit_test(test_peer_other_uid),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
