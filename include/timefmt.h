/*
 * timefmt: the times users type (--since, --ttl's absolute form) and the
 * times they read in human output.  Alerts themselves carry RFC 3339 UTC
 * (record.h's fimd_time_rfc3339); people read their own zone, named, so a
 * line pasted into a ticket is unambiguous.  Nothing here allocates.
 */
#ifndef FIMD_TIMEFMT_H
#define FIMD_TIMEFMT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * RFC 3339 ("2026-11-24T11:24:06.123456Z", "...+02:00") or a bare date
 * (midnight UTC) to microseconds since the epoch.  0 or -EINVAL.
 */
int	timefmt_parse(const char *s, int64_t *ret_us);

/*
 * us (since the epoch) for a terminal, to the second: in local time with
 * its UTC offset, "2026-11-24 13:24:06 +0200" (the zone is TZ's, read by
 * localtime_r), or with utc "2026-11-24 11:24:06 UTC".  Always a
 * terminated string; a time localtime cannot represent gives "-".
 */
#define TIMEFMT_HUMAN_LEN	48
void	timefmt_human(int64_t us, bool utc, char out[TIMEFMT_HUMAN_LEN]);

#endif
