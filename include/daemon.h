/*
 * daemon: the real-time monitor of fimd(8).
 *
 * One libevent loop owns everything: the baseline, the rules, the pending
 * set, the alert stream and its sinks, the kernel watch, the rescan
 * queue and the control socket.  Only hashing runs elsewhere (hashpool
 * workers), and its results come back through the pool's eventfd as
 * events on the same loop, so no state is shared between threads.
 *
 * The daemon is split into rooms with one job each: the loop
 * (daemon.c), the control verbs (daemon_ctl.c), realtime (daemon_rt.c),
 * the rescan queue (daemon_rescan.c) and output (daemon_out.c); struct
 * daemon and the direction of the calls between them are in
 * daemon_state.h, private to those files.
 */
#ifndef FIMD_DAEMON_H
#define FIMD_DAEMON_H

#include "config.h"

/*
 * Run the daemon until SIGTERM or SIGINT.  With detach, fork into the
 * background first (unless a service manager is in charge).  Returns the
 * process exit status.
 */
int	daemon_run(const struct fimd_config *c, bool detach);

#endif
