/*
 * daemon: the real-time monitor of fimd(8).
 *
 * One libevent loop owns everything: the baseline, the rules, the pending
 * set, the alert stream and its sinks, the kernel watch, the rescan
 * queue and the control socket.  Only hashing runs elsewhere (hashpool
 * workers), and its results come back through the pool's eventfd as
 * events on the same loop, so no state is shared between threads.
 *
 * The daemon is split by concern into daemon.c (start-up, signals,
 * timers, control verbs, status), daemon_rt.c (kernel events to alerts)
 * and daemon_rescan.c (the rescan queue); struct daemon, defined in
 * daemon_int.h, is private to those three files.
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
