/*
 * daemon_ctl: the daemon's control verbs (private to the daemon).
 *
 * The handlers behind control.h's socket: --status, --query, --accept,
 * --rescan, the reopen of the sinks, and --window (daemon_window.h).
 * Each reads the daemon's state and fills a reply; --accept and
 * --rescan act through the accept, rescan and output rooms
 * (daemon_accept.h, daemon_rescan.h, daemon_out.h), never on their
 * state.
 */
#ifndef FIMD_DAEMON_CTL_H
#define FIMD_DAEMON_CTL_H

#include "daemon_state.h"
#include "exitcode.h"

/*
 * Listen on the configured socket with these verbs.  Returns EXIT_OK,
 * or EXIT_IO_ERROR (logged, naming another running fimd if one answers).
 */
enum exit_status daemon_ctl_open(struct daemon *d);

#endif
