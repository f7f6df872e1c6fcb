/*
 * The control socket; see control.h.
 *
 * Server: a listening socket on the daemon's loop, one small state per
 * connected client (request buffer, reply buffer, a deadline timer).
 * The client reads one line, the server answers one line, then closes.
 * Client: a blocking-style exchange built on poll(2) with one deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "buf.h"
#include "control.h"
#include "xmalloc.h"

#define CONTROL_BACKLOG		16
/* Replies (a status with many rules, a query of many paths) may be big. */
#define CONTROL_MAX_REPLY	((size_t)64 << 20)

struct client {
	struct control *ctl;
	int	 fd;
	struct event *ev;	/* readable, then writable */
	struct event *timer;	/* the deadline */
	struct ucred peer;	/* SO_PEERCRED at accept */
	struct buf in;
	struct buf out;
	size_t	 sent;
	bool	 writing;	/* the reply is going out */
	bool	 lingering;	/* reply sent; discarding input until EOF */
	struct client *prev, *next;
};

struct control {
	struct event_base *base;
	struct control_ops ops;
	char	*path;
	int	 fd;
	struct event *ev;
	struct event *resume;	/* re-enables accepting after EMFILE */
	struct client *clients;
	unsigned nclients;
	unsigned deadline_ms;
};

typedef int (*verb_fn)(const json_t *, json_t *, void *);

static const struct verb {
	const char *name;
	size_t	 off;		/* of the handler in struct control_ops */
} verbs[] = {
	{ "status", offsetof(struct control_ops, status) },
	{ "query", offsetof(struct control_ops, query) },
	{ "accept", offsetof(struct control_ops, accept) },
	{ "rescan", offsetof(struct control_ops, rescan) },
	{ "reopen", offsetof(struct control_ops, reopen) },
	{ "window", offsetof(struct control_ops, window) },
};

static int
fill_addr(const char *path, struct sockaddr_un *sun)
{
	size_t len = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, len + 1);
	return 0;
}

/* ---- server ---- */

static void
client_destroy(struct client *cl)
{
	if (cl->ev != NULL)
		event_free(cl->ev);
	event_free(cl->timer);
	close(cl->fd);
	buf_release(&cl->in);
	buf_release(&cl->out);
	free(cl);
}

static void
client_free(struct client *cl)
{
	struct control *c = cl->ctl;

	if (cl->prev != NULL)
		cl->prev->next = cl->next;
	else
		c->clients = cl->next;
	if (cl->next != NULL)
		cl->next->prev = cl->prev;
	c->nclients--;
	client_destroy(cl);
}

static void
arm_timer(struct client *cl)
{
	struct timeval tv;

	tv.tv_sec = cl->ctl->deadline_ms / 1000;
	tv.tv_usec = (cl->ctl->deadline_ms % 1000) * 1000;
	evtimer_add(cl->timer, &tv);
}

/* Write what the socket takes; true when the reply is all out. */
static bool
client_flush(struct client *cl)
{
	ssize_t n;

	while (cl->sent < cl->out.len) {
		n = send(cl->fd, cl->out.data + cl->sent,
		    cl->out.len - cl->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0)
			return true;	/* the peer is gone: nothing to do */
		cl->sent += (size_t)n;
	}
	return true;
}

static void
client_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;
	char scratch[4096];
	ssize_t n;

	(void)what;
	for (;;) {
		n = recv(fd, scratch, sizeof(scratch), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_free(cl);
			return;
		}
	}
}

/* Switch the client's event to a new callback; false on failure. */
static bool
client_rearm(struct client *cl, short what, event_callback_fn cb)
{
	event_free(cl->ev);
	cl->ev = event_new(cl->ctl->base, cl->fd, what | EV_PERSIST, cb, cl);
	if (cl->ev == NULL || event_add(cl->ev, NULL) < 0)
		return false;
	/* A fresh deadline for each phase. */
	arm_timer(cl);
	return true;
}

/*
 * The reply is out.  Closing a Unix socket with unread input resets the
 * peer, which may then lose the reply (a refused or oversized request
 * still being sent): so end our side and read to the peer's EOF, within
 * the deadline, before closing.
 */
static void
client_linger(struct client *cl)
{
	cl->writing = false;
	cl->lingering = true;
	(void)shutdown(cl->fd, SHUT_WR);
	if (!client_rearm(cl, EV_READ, client_linger_cb))
		client_free(cl);
}

static void
client_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	(void)fd;
	(void)what;
	if (client_flush(cl))
		client_linger(cl);
}

/* Queue the reply line and switch the client to writing. */
static void
client_reply(struct client *cl, json_t *reply)
{
	char *s;

	s = json_dumps(reply, JSON_COMPACT);
	buf_reset(&cl->out);
	if (s == NULL || buf_adds(&cl->out, s) < 0)
		(void)buf_adds(&cl->out,
		    "{\"ok\":false,\"error\":\"reply too large\"}");
	(void)buf_addc(&cl->out, '\n');
	free(s);
	json_decref(reply);
	cl->writing = true;
	if (client_flush(cl))
		client_linger(cl);
	else if (!client_rearm(cl, EV_WRITE, client_write_cb))
		client_free(cl);
}

static json_t *
error_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
error_reply(const char *fmt, ...)
{
	json_t *o = json_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", json_string(msg));
	return o;
}

/* One request line (without its newline) to a new reply object. */
static json_t *
serve(struct control *c, const struct ucred *peer, const char *line,
    size_t len)
{
	const struct verb *v = NULL;
	json_error_t jerr;
	json_t *req, *reply;
	const char *name;
	verb_fn fn;
	size_t i;
	int r;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL)
		return error_reply("invalid JSON request: %s", jerr.text);
	if (!json_is_object(req)) {
		json_decref(req);
		return error_reply("the request is not a JSON object");
	}
	name = json_string_value(json_object_get(req, "verb"));
	if (name == NULL) {
		json_decref(req);
		return error_reply("the request has no \"verb\" string");
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].name, name) == 0)
			v = &verbs[i];
	}
	if (v == NULL || strlen(name) != json_string_length(
	    json_object_get(req, "verb"))) {
		reply = error_reply("unknown verb \"%.64s\"", name);
		json_decref(req);
		return reply;
	}
	memcpy(&fn, (const char *)&c->ops + v->off, sizeof(fn));
	if (fn == NULL) {
		reply = error_reply("verb \"%s\" is not served", name);
		json_decref(req);
		return reply;
	}
	/* Who asks, as the kernel says: never what the client claims. */
	json_object_set_new(req, "peer", json_pack("{s:I,s:I}", "uid",
	    (json_int_t)peer->uid, "pid", (json_int_t)peer->pid));
	reply = json_object();
	/* "ok" first: jansson keeps insertion order. */
	json_object_set_new(reply, "ok", json_true());
	r = fn(req, reply, c->ops.arg);
	json_decref(req);
	if (r < 0) {
		json_object_set_new(reply, "ok", json_false());
		if (!json_is_string(json_object_get(reply, "error")))
			json_object_set_new(reply, "error",
			    json_string(strerror(-r)));
	}
	return reply;
}

static void
client_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	(void)fd;
	(void)what;
	if (cl->writing || cl->lingering) {
		client_free(cl);
		return;
	}
	client_reply(cl, error_reply("request not received within %u ms",
	    cl->ctl->deadline_ms));
}

static void
client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;
	char chunk[4096], *nl;
	size_t room;
	ssize_t n;

	(void)what;
	for (;;) {
		room = CONTROL_MAX_REQUEST + 1 - cl->in.len;
		n = recv(fd, chunk, room < sizeof(chunk) ? room :
		    sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			client_free(cl);
			return;
		}
		if (n == 0) {
			/* Half-closed without a newline: take what came. */
			if (cl->in.len == 0) {
				client_free(cl);
				return;
			}
			evtimer_del(cl->timer);
			client_reply(cl, serve(cl->ctl, &cl->peer,
			    cl->in.data, cl->in.len));
			return;
		}
		(void)buf_add(&cl->in, chunk, (size_t)n);
		if ((nl = memchr(cl->in.data, '\n', cl->in.len)) != NULL) {
			evtimer_del(cl->timer);
			client_reply(cl, serve(cl->ctl, &cl->peer,
			    cl->in.data, (size_t)(nl - cl->in.data)));
			return;
		}
		if (cl->in.len > CONTROL_MAX_REQUEST) {
			evtimer_del(cl->timer);
			client_reply(cl, error_reply("request longer than %d "
			    "bytes", CONTROL_MAX_REQUEST));
			return;
		}
	}
}

/*
 * Over the client limit: no state is kept, so tell the peer why if its
 * socket takes it, drop what it already sent (see client_linger) and
 * hang up.
 */
static void
refuse(int fd, const char *why)
{
	char line[256], scratch[4096];
	int len;

	len = snprintf(line, sizeof(line),
	    "{\"ok\":false,\"error\":\"%s\"}\n", why);
	if (len > 0)
		(void)send(fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)shutdown(fd, SHUT_WR);
	while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static bool
peer_allowed(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0 ||
	    len != sizeof(*cred))
		return false;
	return cred->uid == 0 || cred->uid == geteuid();
}

static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct control *c = arg;
	struct client *cl;
	int fd;

	(void)what;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0 && (errno == EMFILE || errno == ENFILE ||
		    errno == ENOBUFS || errno == ENOMEM)) {
			/*
			 * The listener stays readable: pause instead of
			 * spinning on the loop until descriptors free up.
			 */
			struct timeval tv = { 0, 100 * 1000 };

			event_del(c->ev);
			evtimer_add(c->resume, &tv);
			return;
		}
		if (fd < 0)
			return;		/* EAGAIN, or the peer left */
		if (c->nclients >= CONTROL_MAX_CLIENTS) {
			refuse(fd, "too many clients");
			continue;
		}
		cl = xcalloc(1, sizeof(*cl));
		cl->ctl = c;
		cl->fd = fd;
		buf_init(&cl->in, CONTROL_MAX_REQUEST + 1);
		buf_init(&cl->out, CONTROL_MAX_REPLY);
		cl->ev = event_new(c->base, fd, EV_READ | EV_PERSIST,
		    client_read_cb, cl);
		cl->timer = evtimer_new(c->base, client_timeout_cb, cl);
		if (cl->ev == NULL || cl->timer == NULL) {
			if (cl->ev != NULL)
				event_free(cl->ev);
			if (cl->timer != NULL)
				event_free(cl->timer);
			buf_release(&cl->in);
			buf_release(&cl->out);
			free(cl);
			close(fd);
			continue;
		}
		cl->next = c->clients;
		if (c->clients != NULL)
			c->clients->prev = cl;
		c->clients = cl;
		c->nclients++;
		event_add(cl->ev, NULL);
		arm_timer(cl);
		/* Refused like a bad request, so the peer reads why. */
		if (!peer_allowed(fd, &cl->peer))
			client_reply(cl, error_reply("permission denied"));
	}
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;

	(void)fd;
	(void)what;
	event_add(c->ev, NULL);
}

/*
 * Whether a daemon answers on path: 1 yes, 0 no (stale or absent), or
 * -errno when it cannot be told.
 */
static int
socket_alive(const struct sockaddr_un *sun)
{
	int fd, r;

	/* Non-blocking: a live daemon with a full backlog says EAGAIN. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (r < 0)
		r = errno == ECONNREFUSED || errno == ENOENT ? 0 :
		    errno == EAGAIN ? 1 : -errno;
	else
		r = 1;
	close(fd);
	return r;
}

static int
bind_socket(int fd, const struct sockaddr_un *sun)
{
	mode_t old;
	int r;

	/* 0600 from birth: no window where others may connect. */
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	umask(old);
	return r < 0 ? -errno : 0;
}

static int
listen_on(const char *path, int *ret_fd)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r, tries;

	if ((r = fill_addr(path, &sun)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (tries = 0; (r = bind_socket(fd, &sun)) == -EADDRINUSE &&
	    tries < 3; tries++) {
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			r = -errno;
			break;
		}
		if (!S_ISSOCK(st.st_mode)) {
			r = -EEXIST;	/* never remove someone's file */
			break;
		}
		if ((r = socket_alive(&sun)) != 0) {
			r = r > 0 ? -EADDRINUSE : r;
			break;
		}
		/* A dead daemon's socket: replace it. */
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			break;
		}
	}
	if (r == 0 && listen(fd, CONTROL_BACKLOG) < 0) {
		r = -errno;
		(void)unlink(path);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* A missing directory for the socket is made private (0700, root's). */
static void
make_socket_dir(const char *path)
{
	char *dir = xstrdup(path), *slash;

	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0700);
	}
	free(dir);
}

int
control_open(struct event_base *base, const char *path,
    const struct control_ops *ops, struct control **ret)
{
	struct control *c;
	int fd = -1, r;

	make_socket_dir(path);
	if ((r = listen_on(path, &fd)) < 0)
		return r;
	c = xcalloc(1, sizeof(*c));
	c->base = base;
	c->ops = *ops;
	c->path = xstrdup(path);
	c->fd = fd;
	c->deadline_ms = CONTROL_DEADLINE_MS;
	c->ev = event_new(base, fd, EV_READ | EV_PERSIST, accept_cb, c);
	c->resume = evtimer_new(base, resume_cb, c);
	if (c->ev == NULL || c->resume == NULL || event_add(c->ev, NULL) < 0) {
		control_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void
control_set_deadline(struct control *c, unsigned ms)
{
	c->deadline_ms = ms > 0 ? ms : 1;
}

void
control_free(struct control *c)
{
	struct client *cl, *next;
	struct stat st;

	if (c == NULL)
		return;
	for (cl = c->clients; cl != NULL; cl = next) {
		next = cl->next;
		client_destroy(cl);
	}
	c->clients = NULL;
	c->nclients = 0;
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->resume != NULL)
		event_free(c->resume);
	/* Never remove a file that is not a socket. */
	if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(c->path);
	close(c->fd);
	free(c->path);
	free(c);
}

/* ---- client ---- */

/* Wait for events on fd until the deadline; 0, or -ETIMEDOUT/-errno. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - clock_mono_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int
client_connect(const char *path, int64_t deadline, int *ret_fd)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd, r, err;

	if ((r = fill_addr(path, &sun)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
				goto fail;
			len = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) < 0)
				err = errno;
			if (err != 0) {
				r = -err;
				goto fail;
			}
			break;
		}
		if (errno == EAGAIN) {
			/* The backlog is full: the daemon is busy. */
			if (clock_mono_ms() >= deadline) {
				r = -ETIMEDOUT;
				goto fail;
			}
			(void)poll(NULL, 0, 10);
			continue;
		}
		r = -errno;
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

static int
client_send(int fd, const char *data, size_t len, int64_t deadline)
{
	ssize_t n;
	int r;

	while (len > 0) {
		n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until a newline or the end; the line (no newline) into out. */
static int
client_recv(int fd, struct buf *out, int64_t deadline)
{
	char chunk[8192], *nl;
	ssize_t n;
	int r;

	for (;;) {
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if ((r = wait_fd(fd, POLLIN, deadline)) < 0)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return out->len > 0 ? 0 : -ECONNRESET;
		if (buf_add(out, chunk, (size_t)n) < 0)
			return -EMSGSIZE;
		if ((nl = memchr(out->data, '\n', out->len)) != NULL) {
			buf_truncate(out, (size_t)(nl - out->data));
			return 0;
		}
	}
}

int
control_request(const char *path, const json_t *req, int timeout_ms,
    json_t **ret_reply)
{
	int64_t deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	json_error_t jerr;
	struct buf in;
	json_t *reply;
	char *line;
	int fd = -1, r;

	line = json_dumps(req, JSON_COMPACT);
	if (line == NULL)
		return -EINVAL;
	if ((r = client_connect(path, deadline, &fd)) < 0) {
		free(line);
		return r;
	}
	buf_init(&in, CONTROL_MAX_REPLY);
	if ((r = client_send(fd, line, strlen(line), deadline)) == 0 &&
	    (r = client_send(fd, "\n", 1, deadline)) == 0)
		r = client_recv(fd, &in, deadline);
	free(line);
	close(fd);
	if (r == 0) {
		reply = json_loadb(in.data, in.len, 0, &jerr);
		if (reply == NULL || !json_is_object(reply)) {
			json_decref(reply);
			r = -EBADMSG;
		} else
			*ret_reply = reply;
	}
	buf_release(&in);
	return r;
}
