/*
 * tdaemon: run the real fimd daemon for a scenario test.
 *
 * tdaemon_start() writes a config and rules for a fresh tree, starts
 * "fimd --foreground" with NOTIFY_SOCKET pointing at a datagram socket
 * of the test's own, and returns once the daemon sent READY=1 (so every
 * test also checks the readiness protocol).  Alerts are read from the
 * alert file as they arrive; waits are bounded and fail the test when
 * they expire.  The daemon's records of its own life (started, stopped,
 * checkpoint) are kept apart from the alerts, so tests count alerts.
 */
#ifndef FIMD_TDAEMON_H
#define FIMD_TDAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tlib.h"

struct tdaemon {
	char	*w;		/* scratch directory */
	char	*t;		/* the watched tree, w/tree */
	char	*rules;
	char	*conf;
	char	*baseline;
	char	*alerts;
	char	*sock;		/* control socket */
	char	*notify;	/* NOTIFY_SOCKET path */
	char	*log;		/* the daemon's stderr */
	const char *backend;
	/* A network namespace (ip netns NAME) to start in, or NULL. */
	const char *netns;
	int	 notify_fd;
	pid_t	 pid;
	size_t	 off;		/* alert file read offset */
	char	*partial;	/* an incomplete last line */
	json_t	*alerts_seen;	/* every alert read, in order */
	/* The daemon's started, stopped and checkpoint records, in order. */
	json_t	*records_seen;
};

/*
 * A tree with files f, a, b and directory d, and a rule covering it
 * (rule_json: extra members of the rule object, e.g.
 * ",\"attributes\":[\"ALL\"]").  Does not start the daemon.
 */
void	tdaemon_init(struct tdaemon *d, const char *tag, const char *backend,
	    const char *rule_json);
/*
 * Move the calling process into the network namespace that `ip netns
 * add NAME` made.  0, or -1 with errno.
 */
int	tdaemon_enter_netns(const char *name);
/* Start and wait for READY=1 (timeout 60 s).  extra: NULL-terminated. */
void	tdaemon_start(struct tdaemon *d, const char *const *extra);
/* SIGTERM and wait; asserts exit status 0. */
void	tdaemon_stop(struct tdaemon *d);
/* Stop if running and remove everything. */
void	tdaemon_free(struct tdaemon *d);
/* Read any new alert lines. */
void	tdaemon_poll(struct tdaemon *d);
/*
 * Wait up to ms for an alert with this action and path (either may be
 * NULL), returning it (borrowed from alerts_seen) or NULL on timeout.
 */
json_t	*tdaemon_wait(struct tdaemon *d, const char *action, const char *path,
	    unsigned ms);
/*
 * Wait up to ms for a record of the daemon's (started, stopped,
 * checkpoint) with this action, the n-th (from 1) of that action;
 * borrowed from records_seen, or NULL on timeout.
 */
json_t	*tdaemon_wait_record(struct tdaemon *d, const char *action, size_t n,
	    unsigned ms);
/* Keep reading alerts until none arrived for quiet_ms (bounded by max). */
void	tdaemon_settle(struct tdaemon *d, unsigned quiet_ms, unsigned max_ms);
/* Run "fimd MODE" against this daemon's files (control socket etc.). */
void	tdaemon_fimd(struct tdaemon *d, struct tlib_run *r, const char *mode,
	    const char *arg1, const char *arg2);
/* The same with any arguments (NULL-terminated, at most 50). */
void	tdaemon_fimdv(struct tdaemon *d, struct tlib_run *r,
	    const char *const *argv);

#endif
