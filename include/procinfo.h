/*
 * procinfo: who made a change, as far as the kernel can prove it.
 *
 * Filled by the daemon from a fanotify event (pid, pidfd) and /proc; the
 * alert module only prints it.  Fields that could not be established are
 * left unset (NULL, or the have_ flag false), never guessed.
 */
#ifndef FIMD_PROCINFO_H
#define FIMD_PROCINFO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* One process above the writer: its parent, the parent's parent, ... */
struct procinfo_ancestor {
	pid_t	 pid;
	char	*name;		/* comm, owned, or NULL */
	char	*executable;	/* owned, or NULL */
};

#define PROCINFO_MAX_ANCESTORS	16

struct procinfo {
	pid_t	 pid;		/* 0: unknown writer */
	char	*name;		/* comm, owned, or NULL */
	char	*executable;	/* /proc/PID/exe target, owned, or NULL */
	pid_t	 ppid;		/* 0: unknown */
	bool	 have_uid;
	uint32_t uid;		/* effective uid */
	char	*user_name;	/* owned, or NULL */
	bool	 have_loginuid;
	uint32_t loginuid;	/* audit login uid */
	char	*login_name;	/* owned, or NULL */
	/*
	 * The writer's ancestors, nearest first, as far as they could be
	 * named (pid 1 and what is above it are left out); owned.
	 */
	struct procinfo_ancestor *ancestors;
	size_t	 nancestors;
};

void	procinfo_init(struct procinfo *p);
void	procinfo_release(struct procinfo *p);
void	procinfo_copy(struct procinfo *dst, const struct procinfo *src);

#endif
