/*
 * severity: the four severities of fimd.rules(5) and their spellings in
 * alerts (word, ECS number) and syslog.  Pure module.
 */
#ifndef FIMD_SEVERITY_H
#define FIMD_SEVERITY_H

enum severity {
	SEVERITY_LOW,
	SEVERITY_MEDIUM,
	SEVERITY_HIGH,
	SEVERITY_CRITICAL,
	SEVERITY_COUNT
};

/* "low", "medium", "high", "critical". */
const char *severity_name(enum severity s);
/* ECS event.severity: 21, 47, 73, 99. */
int	severity_ecs(enum severity s);
/* syslog priority: notice, warning, err, crit (5, 4, 3, 2). */
int	severity_syslog(enum severity s);
/* The severity for a word, or -ENOENT. */
int	severity_from_name(const char *name);

#endif
