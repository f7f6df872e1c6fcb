/*
 * clock: the two clocks fimd reads, in the units its callers want.
 *
 * The monotonic clock measures intervals (debounce windows, timeouts,
 * durations in --status); it never jumps when an administrator sets the
 * time.  The real-time clock stamps what users read (@timestamp, the
 * baseline's creation time, a rescan's start).  Nothing here allocates or
 * fails: clock_gettime(2) on these two clocks cannot fail on Linux.
 */
#ifndef FIMD_CLOCK_H
#define FIMD_CLOCK_H

#include <stdint.h>

struct fimd_time;

/* Monotonic time in seconds, nanosecond resolution. */
double	 clock_mono_s(void);
/* Monotonic time in milliseconds. */
int64_t	 clock_mono_ms(void);
/* Monotonic time in nanoseconds. */
uint64_t clock_mono_ns(void);
/* Wall-clock time in seconds since the epoch. */
double	 clock_wall_s(void);
/* Wall-clock time as seconds and nanoseconds since the epoch. */
void	 clock_wall(struct fimd_time *out);

#endif
