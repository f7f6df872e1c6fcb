/*
 * daemon_accept: who asks over the control socket, and taking a state
 * into the baseline as accepted (private to the daemon).
 *
 * Shared by the control verbs (daemon_ctl.h: --accept) and the change
 * windows (daemon_window.h: --window close --accept); acts through the
 * output room (daemon_out.h) only.
 */
#ifndef FIMD_DAEMON_ACCEPT_H
#define FIMD_DAEMON_ACCEPT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon_state.h"
#include "procinfo.h"
#include "scan.h"

/* Who sent a request: the kernel's word (control.h's "peer"). */
struct daemon_peer {
	uint32_t uid;
	pid_t	 pid;
	char	 user[64];	/* "" when the uid has no name */
};
void	daemon_peer(const json_t *req, struct daemon_peer *ret);

#define DAEMON_REASON_MAX	1024
/*
 * req's "reason" into *ret (borrowed from req; NULL when absent).
 * Returns 0, or -EINVAL with reply's "error" set.
 */
int	daemon_reason(const json_t *req, json_t *reply, const char **ret);
/*
 * A run of acceptances by who, for reason (may be NULL) within window
 * (0: none): each path is probed at once on a private engine and, when
 * a rule covers it (or it is gone from a recorded state), taken into
 * the baseline with an "accepted" note and, when alert, the "accepted"
 * alert (a window's acceptance is summed up by its window_closed
 * record instead).  Saving is the caller's.  Borrows who and reason.
 */
struct daemon_acceptance {
	struct daemon *d;
	const struct daemon_peer *who;
	const char *reason;
	uint64_t window;
	bool	 alert;
	struct procinfo proc;	/* who's process, for the alerts */
	struct scan *scan;
	bool	 taken;		/* by the last daemon_accept_path */
	uint64_t count;		/* paths taken in */
};
void	daemon_accept_begin(struct daemon_acceptance *acc, struct daemon *d,
	    const struct daemon_peer *who, const char *reason,
	    uint64_t window, bool alert);
/* Whether path was taken in. */
bool	daemon_accept_path(struct daemon_acceptance *acc, const char *path,
	    size_t len);
void	daemon_accept_end(struct daemon_acceptance *acc);

#endif
