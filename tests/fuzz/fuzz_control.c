/*
 * Fuzz target: a control-socket request (control.c), as a peer sends it.
 * One server runs for the whole process on its own event base, on a
 * socket in a temporary directory removed at exit.  Each input is sent
 * on a fresh connection, in as many pieces as the socket takes, then the
 * write side is shut; the loop runs until the reply has come and the
 * server has let the connection go.  The reply must be one line holding
 * a JSON object with a boolean "ok".  A query with "type" is answered by
 * entity.h's request parser over a small set of each type, as the daemon
 * answers it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "buf.h"
#include "control.h"
#include "entity.h"
#include "fuzzlib.h"

/* Loop turns one exchange may take before the server is called stuck. */
#define MAX_TURNS	1000000

static struct {
	struct event_base *base;
	struct control *ctl;
	char	 dir[64];
	char	 sock[96];
	int	 idle_events;	/* events of the server with no client */
} srv;

/* Handlers that read the request the way the daemon's do. */
static int
h_status(const json_t *req, json_t *reply, void *arg)
{
	(void)req;
	(void)arg;
	json_object_set_new(reply, "rules", json_integer(0));
	return 0;
}

static int
h_paths(const json_t *req, json_t *reply, void *arg)
{
	const json_t *paths = json_object_get(req, "paths"), *v;
	size_t i, n = 0;

	(void)arg;
	json_array_foreach(paths, i, v)
		n += json_is_string(v);
	json_object_set_new(reply, "count", json_integer((json_int_t)n));
	return n > 0 ? 0 : -ENOENT;
}

/* What a baseline may hold of each entity type. */
static const char *const entity_lists[RULE_TYPE_COUNT] = {
	[RULE_PORTS] = "[{\"transport\":\"tcp\",\"ip\":\"127.0.0.1\","
	    "\"port\":22},{\"transport\":\"udp\",\"ip\":\"::1\","
	    "\"port\":53,\"pid\":1}]",
	[RULE_PACKAGES] = "[{\"name\":\"less\",\"version\":\"590-2\","
	    "\"architecture\":\"amd64\",\"status\":\"installed\"}]",
	[RULE_SERVICES] = "[{\"name\":\"ssh.service\",\"state\":"
	    "\"enabled\",\"wanted_by\":[\"multi-user.target\"]}]",
};

/* The daemon's query: entities by "type" and "names", else paths. */
static int
h_query(const json_t *req, json_t *reply, void *arg)
{
	enum rule_type type;
	const char *why;
	json_t *list;
	int r;

	if (entity_query_type(req, &type, &why) < 0) {
		json_object_set_new(reply, "error", json_string(why));
		return -EINVAL;
	}
	if (type == RULE_FILES)
		return h_paths(req, reply, arg);
	list = json_loads(entity_lists[type], 0, NULL);
	FUZZ_CHECK(json_is_array(list));
	r = entity_query(type, list, json_object_get(req, "names"), reply,
	    &why);
	json_decref(list);
	if (r < 0) {
		json_object_set_new(reply, "error", json_string(why));
		return r;
	}
	FUZZ_CHECK(json_is_array(json_object_get(reply, "entities")));
	FUZZ_CHECK(json_is_array(json_object_get(reply, "missing")));
	return 0;
}

static int
h_refuse(const json_t *req, json_t *reply, void *arg)
{
	(void)req;
	(void)arg;
	json_object_set_new(reply, "error", json_string("refused"));
	return -EPERM;
}

static void
stop_server(void)
{
	control_free(srv.ctl);
	event_base_free(srv.base);
	(void)rmdir(srv.dir);
}

static void
start_server(void)
{
	static const struct control_ops ops = {
		.status = h_status,
		.query = h_query,
		.accept = h_paths,
		.rescan = h_refuse,
		/* reopen: not served */
	};
	const char *tmp = getenv("TMPDIR");

	snprintf(srv.dir, sizeof(srv.dir), "%s/fimd-fuzz.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(srv.dir) != NULL);
	snprintf(srv.sock, sizeof(srv.sock), "%s/ctl.sock", srv.dir);
	srv.base = event_base_new();
	FUZZ_CHECK(srv.base != NULL);
	FUZZ_CHECK(control_open(srv.base, srv.sock, &ops, &srv.ctl) == 0);
	srv.idle_events = event_base_get_num_events(srv.base,
	    EVENT_BASE_COUNT_ADDED);
	atexit(stop_server);
}

static int
connect_server(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(fd >= 0);
	memcpy(sun.sun_path, srv.sock, strlen(srv.sock) + 1);
	FUZZ_CHECK(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	return fd;
}

/* Send data, read the reply to EOF, serving the loop in between. */
static void
exchange(int fd, const uint8_t *data, size_t size, struct buf *reply)
{
	size_t sent = 0;
	bool shut = false, eof = false;
	char chunk[4096];
	ssize_t n;
	long turns;

	for (turns = 0; !eof; turns++) {
		FUZZ_CHECK(turns < MAX_TURNS);
		if (sent < size) {
			n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = size;	/* the server hung up */
		}
		if (sent == size && !shut) {
			(void)shutdown(fd, SHUT_WR);
			shut = true;
		}
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n > 0)
			FUZZ_CHECK(buf_add(reply, chunk, (size_t)n) == 0);
		else if (n == 0 || errno != EAGAIN)
			eof = true;
	}
	/* The server lets the connection go once it reads our EOF. */
	for (turns = 0; event_base_get_num_events(srv.base,
	    EVENT_BASE_COUNT_ADDED) > srv.idle_events; turns++) {
		FUZZ_CHECK(turns < MAX_TURNS);
		event_base_loop(srv.base, EVLOOP_NONBLOCK);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf reply;
	json_t *o;
	int fd;

	if (srv.base == NULL)
		start_server();
	buf_init(&reply, (size_t)1 << 20);
	fd = connect_server();
	exchange(fd, data, size, &reply);
	close(fd);
	if (size == 0) {
		/* Nothing sent: the server hangs up without a word. */
		FUZZ_CHECK(reply.len == 0);
		buf_release(&reply);
		return 0;
	}
	FUZZ_CHECK(reply.len > 0 && reply.data[reply.len - 1] == '\n');
	FUZZ_CHECK(memchr(reply.data, '\n', reply.len - 1) == NULL);
	o = json_loadb(reply.data, reply.len - 1, 0, NULL);
	FUZZ_CHECK(json_is_object(o));
	FUZZ_CHECK(json_is_boolean(json_object_get(o, "ok")));
	json_decref(o);
	buf_release(&reply);
	return 0;
}
