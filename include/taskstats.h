/*
 * taskstats: the kernel's record of every process that exits.
 *
 * When a task exits, the kernel's taskstats interface (generic netlink
 * family "TASKSTATS") sends each registered listener one message with
 * the task's final command name, its thread group, its parent and the
 * device and inode of its executable.  It is sent from the exiting task
 * itself, before its parent can reap it, so, unlike /proc/PID, it cannot
 * be missed by a reader that comes late; it carries no path and no time
 * of its own.  proctrack uses it to name writers that exited before the
 * daemon could read /proc.
 *
 * Registering needs CAP_NET_ADMIN in the initial user and pid
 * namespaces (pids are reported as the initial namespace sees them).
 * Records older than taskstats version 12 identify neither the thread
 * group nor the executable; they are ignored, so that a thread's record
 * is never taken for its process's.
 *
 * Nothing here allocates beyond the socket, which the caller owns and
 * closes.  No logging.
 */
#ifndef FIMD_TASKSTATS_H
#define FIMD_TASKSTATS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct taskstats_exit {
	pid_t	 pid;		/* the process (thread group leader) */
	pid_t	 ppid;		/* its parent at exit */
	uint32_t uid;		/* its real uid */
	char	 comm[16];	/* final command name, NUL-terminated */
	bool	 have_exe;	/* exe_dev and exe_ino are set */
	uint64_t exe_dev;	/* as st_dev from stat(2) */
	uint64_t exe_ino;
};

/*
 * A new non-blocking socket registered for the exit records of every
 * CPU, with a large receive buffer.  Returns the socket, or a negative
 * errno (-EPERM without CAP_NET_ADMIN, -ENOENT without the family,
 * -EINVAL outside the initial namespaces, -EPROTONOSUPPORT when the
 * records are too old to be used).
 */
int	taskstats_open(void);
/*
 * Receive one message.  Returns 1 and fills *ret for the exit of a
 * thread group leader; 0 for any other message (a thread's exit, a
 * message of no interest); -EAGAIN when none is waiting; -ENOBUFS when
 * the kernel dropped messages because the buffer was full; another
 * negative errno on error.  *ret is written only when 1 is returned.
 */
int	taskstats_recv(int fd, struct taskstats_exit *ret);

#endif
