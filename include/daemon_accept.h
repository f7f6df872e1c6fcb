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
	struct procinfo proc;	/* release with procinfo_release */
};
void	daemon_peer(struct daemon *d, const json_t *req,
	    struct daemon_peer *ret);

#define DAEMON_REASON_MAX	1024
/*
 * req's "reason" into *ret (borrowed from req; NULL when absent).
 * Returns 0, or -EINVAL with reply's "error" set.
 */
int	daemon_reason(const json_t *req, json_t *reply, const char **ret);
/*
 * Take it, a probed covered entry (it->err -ENOENT or -ENOTDIR: gone),
 * into the baseline as accepted by who for reason (may be NULL) within
 * window (0: none), and, when alert, write the "accepted" alert (a
 * window's acceptance is summed up by its window_closed record).
 * Saving is the caller's.
 */
void	daemon_take_accepted(struct daemon *d, const struct scan_item *it,
	    const struct daemon_peer *who, const char *reason,
	    uint64_t window, bool alert);

#endif
