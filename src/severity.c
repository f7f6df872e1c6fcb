/* Severity words and numbers; one row per severity. */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "severity.h"

static const struct {
	const char *name;
	int	 ecs;
	int	 syslog;
} severity_table[SEVERITY_COUNT] = {
	[SEVERITY_LOW] = { "low", 21, LOG_NOTICE },
	[SEVERITY_MEDIUM] = { "medium", 47, LOG_WARNING },
	[SEVERITY_HIGH] = { "high", 73, LOG_ERR },
	[SEVERITY_CRITICAL] = { "critical", 99, LOG_CRIT },
};

const char *
severity_name(enum severity s)
{
	return (unsigned)s < SEVERITY_COUNT ?
	    severity_table[s].name : "unknown";
}

int
severity_ecs(enum severity s)
{
	return (unsigned)s < SEVERITY_COUNT ? severity_table[s].ecs : 0;
}

int
severity_syslog(enum severity s)
{
	return (unsigned)s < SEVERITY_COUNT ? severity_table[s].syslog :
	    LOG_WARNING;
}

int
severity_from_name(const char *name)
{
	int s;

	for (s = 0; s < SEVERITY_COUNT; s++) {
		if (strcmp(name, severity_table[s].name) == 0)
			return s;
	}
	return -ENOENT;
}
