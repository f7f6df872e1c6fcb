/*
 * sink: where alert lines go.
 *
 * A sink takes complete lines (newline included) and writes each with one
 * write(2), so readers never see half a line.  The file sink appends
 * through O_APPEND (created 0640, group adm when it exists, whatever the
 * umask; an existing file is left as it is) to a regular file only (a
 * symlink, FIFO, socket or device at the path is refused, without
 * blocking) and reopens on request,
 * which with logrotate's "create" is all rotation needs; "-" means
 * standard output.  A write that fails part-way (a full disk) is taken
 * back by truncating the file to its size before it, so a line tried
 * again is written whole after the last whole line; when the file
 * cannot be truncated, a newline ends the torn part before the next.
 * Further sinks (syslog RFC 5424, journald) implement the same
 * operations.
 */
#ifndef FIMD_SINK_H
#define FIMD_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sink;

struct sink_ops {
	const char *name;
	int	(*write_line)(struct sink *s, const char *line, size_t len);
	int	(*reopen)(struct sink *s);
	void	(*close)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	void	*priv;
};

/*
 * The file sink for path ("-": stdout).  Returns 0 and a new sink, or
 * -errno when the file cannot be opened: -ELOOP for a symlink, -ENXIO
 * for anything but a regular file.
 */
int	sink_file_open(const char *path, struct sink **ret);
/*
 * Identity of the file a file sink writes (for ignoring the daemon's own
 * writes).  Returns 0, or -ENOENT for other sinks and stdout.
 */
int	sink_file_identity(const struct sink *s, dev_t *ret_dev,
	    ino_t *ret_ino);

/*
 * Syslog: each alert as one message whose MSG is the JSON line, PRI from
 * the alert's severity (facility authpriv), sent to the Unix socket at
 * path.  The header is syslog(3)'s local form ("<PRI>Mmm dd hh:mm:ss
 * fimd[PID]: "), which journald and a stock rsyslog parse on /dev/log,
 * or with rfc5424 RFC 5424's, MSGID the action.  A datagram socket takes
 * each message as is; on a stream socket RFC 5424 is octet-counted (RFC
 * 6587) and the local form ends in a newline.  Returns 0 and a new
 * sink, or -errno.
 */
int	sink_syslog_open(const char *path, bool rfc5424, struct sink **ret);
/*
 * The HOSTNAME of its RFC 5424 messages from here on (host_name of
 * fimd.conf(5)), instead of the system's host name; RFC 5424 allows
 * printable ASCII only, so another name (or NULL) keeps the system's.
 * The local header has no host name.
 */
void	sink_syslog_set_host(struct sink *s, const char *name);
/*
 * journald's native protocol: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=fimd,
 * MESSAGE_ID (one per action), FIMD_ACTION, FIMD_RULE, FIMD_PATH,
 * FIMD_SEQ, FIMD_SEVERITY and FIMD_JSON, binary-safe; entries too large
 * for a datagram go through a sealed memfd.  path NULL means
 * /run/systemd/journal/socket.  Returns 0 and a new sink, or -errno.
 */
int	sink_journal_open(const char *path, struct sink **ret);

/* Why a sink could not be opened or reopened, in words (static). */
const char *sink_strerror(int err);

/* Returns 0 or -errno (the line is lost only if every retry failed). */
int	sink_write(struct sink *s, const char *line, size_t len);
int	sink_reopen(struct sink *s);
/* Close and free; accepts NULL. */
void	sink_free(struct sink *s);

#endif
