/*
 * sd_notify-compatible datagrams without libsystemd: the protocol is a
 * documented, stable interface, and linking the library would pull in
 * compression and crypto libraries the daemon never uses.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "parse.h"

int
notify_enabled(void)
{
	const char *p = getenv("NOTIFY_SOCKET");

	return p != NULL && (p[0] == '/' || p[0] == '@');
}

int
notify_send(const char *fmt, ...)
{
	struct sockaddr_un sa;
	const char *path = getenv("NOTIFY_SOCKET");
	char msg[1024];
	va_list ap;
	socklen_t salen;
	size_t plen;
	int fd, r;

	if (!notify_enabled())
		return 0;
	plen = strlen(path);
	if (plen >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, plen);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	r = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, salen) < 0 ? -errno : 1;
	close(fd);
	return r;
}

uint64_t
notify_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	if (usec == NULL || parse_uint(usec, UINT64_MAX, &v) < 0)
		return 0;
	if (pid != NULL && (parse_uint(pid, UINT32_MAX, &p) < 0 ||
	    (pid_t)p != getpid()))
		return 0;
	return v;
}
