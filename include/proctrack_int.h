/*
 * proctrack_int: what the two rooms of proctrack share.  Not for anything
 * outside proctrack (the design is in proctrack.h).
 *
 *  - proctrack.c: the process connector, the lifetime history, /proc
 *    reads and the lookups;
 *  - proctrack_exit.c: the taskstats exit records, the matching of each
 *    to the lifetime that sent it, and executables known by identity.
 *
 * Ownership: struct proctrack owns both sockets, the history (each
 * struct pid_history and the exe strings in it), the pending exit
 * records and the user and executable caches with their strings.
 * Single-threaded: the daemon's loop.
 */
#ifndef FIMD_PROCTRACK_INT_H
#define FIMD_PROCTRACK_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proctrack.h"
#include "taskstats.h"

#define LIFETIMES_PER_PID	4
#define PENDING_RECORDS		256

struct lifetime {
	uint64_t start_ns;	/* 0: began before we watched */
	uint64_t exit_ns;	/* 0: alive */
	char	*exe;		/* NULL: unknown */
	char	 comm[16];	/* "": unknown */
	pid_t	 ppid;
	bool	 have_uid;
	uint32_t uid;		/* effective */
	bool	 have_exe_id;	/* exe_dev and exe_ino identify exe */
	uint64_t exe_dev;
	uint64_t exe_ino;
	bool	 recorded;	/* its exit record was matched to it */
};

struct pid_history {
	pid_t	 pid;		/* the map key */
	struct lifetime v[LIFETIMES_PER_PID];	/* oldest first */
	size_t	 n;
	uint64_t created_ns;	/* when the map took the pid */
	/* Latest end of a lifetime pushed out of v; UINT64_MAX: unended. */
	uint64_t dropped_ns;
};

/* An exit record waiting for its lifetime. */
struct exit_record {
	struct taskstats_exit x;
	uint64_t after_ns;	/* sent after this: the socket was empty */
	uint64_t before_ns;	/* received by then */
};

struct proctrack {
	int	 nl;		/* connector socket, -1 when not used */
	int	 ts;		/* taskstats socket, -1 when not used */
	bool	 eperm_alive;	/* EPERM from pidfd_send_signal: it exists */
	uint64_t lost_ns;	/* last connector overrun */
	uint64_t untracked_ns;	/* last pid left out of a full history */
	uint64_t expired_ns;	/* latest end of an expired lifetime */
	uint64_t ts_empty_ns;	/* the taskstats socket was last seen empty */
	uint64_t last_expiry;
	struct pathmap *hist;	/* pid -> struct pid_history */
	struct pathmap *users;	/* uid -> struct user_entry */
	struct pathmap *exes;	/* (dev, ino) -> struct exe_entry */
	struct exit_record pend[PENDING_RECORDS];	/* oldest first */
	size_t	 npend;
	struct proctrack_stats stats;
};

/* proctrack.c */

/* pid's history, created when asked and the map has room, or NULL. */
struct pid_history *pt_history_get(struct proctrack *p, pid_t pid,
	    bool create);

/* proctrack_exit.c */

/* Subscribe to exit records (after the connector: see proctrack.h). */
void	pt_exits_open(struct proctrack *p);
/* Close the socket, drop the pending records and the executables. */
void	pt_exits_close(struct proctrack *p);
/* Read every waiting exit record into the pending list. */
void	pt_exits_read(struct proctrack *p);
/* Give each pending record to its lifetime when that is certain. */
void	pt_exits_match(struct proctrack *p);
/* Remember lt's executable by its identity, for exit records. */
void	pt_exe_learn(struct proctrack *p, const struct lifetime *lt);

#endif
