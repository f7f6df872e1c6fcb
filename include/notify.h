/*
 * notify: the service manager's readiness protocol, spoken directly.
 *
 * When $NOTIFY_SOCKET names a Unix datagram socket (a leading "@" is the
 * abstract namespace), notify_send() sends it one datagram of
 * newline-separated assignments ("READY=1", "STATUS=...", "WATCHDOG=1",
 * "STOPPING=1", "RELOADING=1").  Without the variable nothing is sent.
 * notify_watchdog_usec() reads $WATCHDOG_USEC (and checks $WATCHDOG_PID)
 * so the daemon can ping at half the interval.
 */
#ifndef FIMD_NOTIFY_H
#define FIMD_NOTIFY_H

#include <stdint.h>

/* Returns 1 when sent, 0 when no manager listens, or -errno. */
int	notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The watchdog interval in microseconds, or 0 when none is asked for. */
uint64_t notify_watchdog_usec(void);
/* Whether a service manager expects notifications ($NOTIFY_SOCKET set). */
int	notify_enabled(void);

#endif
