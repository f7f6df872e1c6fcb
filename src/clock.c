/* clock: monotonic and wall-clock readings (see include/clock.h). */
#include <time.h>

#include "clock.h"
#include "record.h"

static struct timespec
read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts;
}

double
clock_mono_s(void)
{
	struct timespec ts = read_clock(CLOCK_MONOTONIC);

	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t
clock_mono_ms(void)
{
	struct timespec ts = read_clock(CLOCK_MONOTONIC);

	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
clock_mono_ns(void)
{
	struct timespec ts = read_clock(CLOCK_MONOTONIC);

	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double
clock_wall_s(void)
{
	struct timespec ts = read_clock(CLOCK_REALTIME);

	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
clock_wall(struct fimd_time *out)
{
	struct timespec ts = read_clock(CLOCK_REALTIME);

	out->sec = ts.tv_sec;
	out->nsec = (uint32_t)ts.tv_nsec;
}
