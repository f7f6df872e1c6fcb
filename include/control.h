/*
 * control: the daemon's Unix control socket, server and client.
 *
 * Protocol: the client connects, sends one JSON object on one line
 * ({"verb":"status"}, {"verb":"query","paths":[...]}, ...), and reads one
 * JSON object on one line: {"ok":true,...} or {"ok":false,"error":"..."}.
 * Paths that are not valid UTF-8 travel in the pathenc escaped form under
 * "paths_escaped" / "path_escaped".  One request per connection.
 *
 * Server: bound with a 0177 umask so the socket is mode 0600 from birth,
 * owned by the daemon's user; every peer is checked with SO_PEERCRED and
 * must be root or the daemon's own uid; requests are capped (64 KiB) and
 * must arrive within a few seconds; only verbs in the table are served,
 * anything else is refused.  The server lives on the daemon's libevent
 * loop and calls back into the daemon through struct control_ops; each
 * handler fills a reply object.  A stale socket file from a dead daemon is
 * replaced; a live one (it answers) makes control_open fail with
 * -EADDRINUSE.
 */
#ifndef FIMD_CONTROL_H
#define FIMD_CONTROL_H

#include <stdbool.h>

#include <event2/event.h>
#include <jansson.h>

#define CONTROL_MAX_REQUEST	(64 * 1024)

/*
 * Handlers.  Each gets the request object (borrowed) and a reply object
 * to fill (borrowed; "ok" is set by the server from the return value).
 * Return 0, or -errno with reply "error" set by the handler (the server
 * adds a generic message when the handler did not).  The server sets
 * the request's "peer" member to the caller's SO_PEERCRED ({"uid",
 * "pid"}), replacing whatever the client sent under that name.
 */
struct control_ops {
	int	(*status)(const json_t *req, json_t *reply, void *arg);
	int	(*query)(const json_t *req, json_t *reply, void *arg);
	int	(*accept)(const json_t *req, json_t *reply, void *arg);
	int	(*rescan)(const json_t *req, json_t *reply, void *arg);
	int	(*reopen)(const json_t *req, json_t *reply, void *arg);
	int	(*window)(const json_t *req, json_t *reply, void *arg);
	void	*arg;
};

struct control;

/*
 * Listen on path.  Returns 0 and a new server (free with control_free,
 * which also unlinks the socket), or -errno.
 */
int	control_open(struct event_base *base, const char *path,
	    const struct control_ops *ops, struct control **ret);
void	control_free(struct control *c);
/*
 * How long a client may take to send its request, and again to read the
 * reply (default CONTROL_DEADLINE_MS).  For tests.
 */
#define CONTROL_DEADLINE_MS	5000
void	control_set_deadline(struct control *c, unsigned ms);
/* At most this many clients at once; more are refused at accept. */
#define CONTROL_MAX_CLIENTS	32

/*
 * Client: send req to the daemon at path and wait up to timeout_ms for
 * the reply.  Returns 0 and a new reply object, -ECONNREFUSED or -ENOENT
 * when no daemon listens, -ETIMEDOUT, or another -errno.
 */
int	control_request(const char *path, const json_t *req, int timeout_ms,
	    json_t **ret_reply);

#endif
