/*
 * alert: the ECS alert objects of fimd.alerts(5).
 *
 * An alert_stream numbers alerts (fimd.seq, no gaps, per stream) and knows
 * the constant context (host name and id, backend).  alert_build() turns a
 * struct alert, which only borrows, into one JSON object in the documented
 * field order, "@timestamp" first; alert_line() into the newline-ended
 * compact line the sinks append.  alert_human() renders either form for a
 * terminal (--check, --tail).  Paths that are not valid UTF-8 appear as
 * file.path (lossy), fimd.path_escaped (lossless) and
 * fimd.path_encoding "escaped".  Every field has one JSON type whatever
 * the alert: numbers stay numbers, ids and modes stay strings.
 */
#ifndef FIMD_ALERT_H
#define FIMD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "diff.h"
#include "pkgdb.h"
#include "procinfo.h"
#include "record.h"
#include "rules.h"

struct entity_change;

enum alert_action {
	ACTION_CREATED,
	ACTION_UPDATED,
	ACTION_DELETED,
	ACTION_MOVED,
	ACTION_ATTRIBUTES_MODIFIED,
	ACTION_GAP,		/* coverage lost: events may be missing */
	ACTION_RECONCILED,	/* the rescan after a gap completed */
	ACTION_STARTED,		/* the daemon began a run */
	ACTION_STOPPED,		/* ... and ended it in order */
	ACTION_CHECKPOINT,	/* ... and its state, every heartbeat */
	/*
	 * --check --packages: an entry as the baseline has it, but not as
	 * its package recorded it.
	 */
	ACTION_PACKAGE_DIFFERS,
	/* One package's transaction, summarized (package_changes). */
	ACTION_PACKAGE_CHANGED,
	ACTION_ACCEPTED,	/* an administrator took a state in */
	ACTION_WINDOW_OPENED,	/* a change window began */
	ACTION_WINDOW_CLOSED,	/* ... and ended, with its summary */
	/* Entities (entity.h): a port, a package, a unit (removed). */
	ACTION_OPENED,		/* a port began to listen */
	ACTION_CLOSED,		/* ... and stopped */
	ACTION_INSTALLED,	/* a package is installed */
	ACTION_REMOVED,		/* ... removed */
	ACTION_UPGRADED,	/* ... at a newer version */
	ACTION_DOWNGRADED,	/* ... at an older one */
	ACTION_CHANGED,		/* ... in another dpkg status */
	ACTION_ADDED,		/* a systemd unit appeared */
	ACTION_ENABLED,		/* ... is wanted by another target */
	ACTION_DISABLED,	/* ... by fewer */
	ACTION_MASKED,		/* ... linked to /dev/null */
	ACTION_UNMASKED,
	ACTION_EDITED,		/* its file or drop-ins changed */
	ACTION_COUNT
};

enum alert_source {
	SOURCE_REALTIME,
	SOURCE_RESCAN,
	SOURCE_CHECK,
	SOURCE_CONTROL,		/* a request on the control socket */
};

/* What a package_changes "summarize" alert says about one package. */
struct pkg_summary {
	const char *name;
	const char *arch;
	const char *change;	/* installed, upgraded, downgraded,
				   reinstalled, removed, changed */
	const char *old_version;	/* "" when none */
	const char *new_version;	/* "" when none */
	uint64_t files;		/* its changes the transaction made */
	uint64_t mismatched;	/* of which not as the package recorded */
};

/*
 * The daemon's own state, as its started, stopped and checkpoint records
 * carry it (fimd.alerts(5)); each record takes the fields it documents.
 */
struct alert_state {
	uint64_t files;		/* entries the baseline covers */
	uint64_t rules;		/* rules loaded */
	const char *rules_digest;	/* their digest, or NULL */
	uint64_t open_gaps;	/* gaps whose rescan has not ended */
	uint64_t alerts;	/* checkpoint: alert lines since the last
				   one (or the start); stopped: in the run */
	uint64_t heartbeat;	/* seconds between checkpoints */
};

struct alert {
	enum alert_action action;
	enum alert_source source;
	const struct rule *rule;	/* NULL only for gap / reconciled */
	const char *path;		/* file, or the scope of a gap;
					   NULL: every watched path */
	size_t	 pathlen;
	const char *old_path;		/* moved: where it was; else the
					   name it was written under */
	size_t	 old_pathlen;
	const struct record *old;	/* baseline state; NULL when created */
	const struct record *new;	/* current state; NULL when deleted */
	const struct diff *diff; /* updated, attributes_modified, moved */
	const struct procinfo *proc;	/* the writer, or NULL */
	const char *reason;		/* gap / reconciled: why; else NULL */
	uint64_t count;			/* reconciled: changes found */
	bool	 has_entries;		/* a directory moved or moved out */
	uint64_t entries;		/* ... with this many entries */
	bool	 still_open;		/* hashed while open for writing */
	bool	 rescan_follows;	/* gap: a rescan of it is queued */
	const struct alert_state *state; /* started, stopped, checkpoint */
	const struct verdict *verdict;	/* package.*, fimd.verdict; NULL
					   or VERDICT_NONE: none */
	const struct pkg_summary *summary; /* ACTION_PACKAGE_CHANGED */
	const char *pkg_type;		/* ... its package.type */
	const char *content_diff;	/* fimd.diff (contentdiff.h), or NULL */
	size_t	 content_difflen;
	const char *diff_skipped;	/* fimd.diff_skipped, or NULL */
	/* A severity other than the rule's (a change window's). */
	bool	 has_severity;
	enum severity severity;
	/*
	 * Accepted and window records: the message, made by their owner
	 * (NULL: built here), and members added to the fimd object
	 * (fimd.window, fimd.accepted, a window's summary); borrowed.
	 */
	const char *message;
	json_t	*fimd_extra;
	/*
	 * event.created: wall-clock seconds at which the change was first
	 * seen (the kernel event read), before debounce and hashing; 0:
	 * when the line is made, as for scans.
	 */
	double	 observed;
	/* A port or package: its sections instead of a file's. */
	const struct entity_change *entity;
};

/*
 * One judged difference of one entry, as judge_change() names it: the
 * common currency of --check, rescans and realtime.  Borrows everything.
 */
struct change {
	enum alert_action action;
	const struct rule *rule;	/* NULL: no rule covers it now */
	const char *path;
	size_t	 len;
	const char *old_path;		/* moved: where it was; replaced by
					   rename: the name it was written
					   under; else NULL */
	size_t	 old_len;
	const struct record *old;	/* NULL when created */
	const struct record *new;	/* NULL when deleted */
	const struct diff *diff;	/* NULL when created or deleted */
	const struct verdict *verdict;	/* judge_package's, or NULL */
};

/*
 * The one way to make an alert about an entry: *a is zeroed, then takes
 * c's fields and source.  The writer and still_open are the caller's to
 * add.  Borrows c's pointers.
 */
void	alert_from_change(struct alert *a, enum alert_source source,
	    const struct change *c);
/*
 * An alert about a scope rather than an entry (ACTION_GAP or
 * ACTION_RECONCILED): *a is zeroed and filled.  scope NULL (len 0) means
 * every watched path: the line then has no file section, rather than a
 * made-up file.path.  count: the changes a reconciling rescan found.
 * rescan_follows is the caller's to set.
 */
void	alert_for_scope(struct alert *a, enum alert_action action,
	    enum alert_source source, const char *scope, size_t len,
	    const char *reason, uint64_t count);

/*
 * A record of the daemon's own life (ACTION_STARTED, ACTION_STOPPED or
 * ACTION_CHECKPOINT): *a is zeroed and filled.  It is about no file and
 * no rule, so the line has neither.  reason: why a run stopped, or NULL.
 * Borrows st and reason.
 */
void	alert_for_state(struct alert *a, enum alert_action action,
	    const struct alert_state *st, const char *reason);

/*
 * The longest line alert_line() makes, newline included; the daemon
 * writes lines up to this size.  Only paths, which are given whole, can
 * make a line that long: the values that could are bounded (below, and
 * ATTR_XATTR_VALUE_MAX in attr.h).
 */
#define ALERT_LINE_MAX		((size_t)1 << 22)
/*
 * The longest value of fimd.changes given as it is; a longer one (the
 * extended attributes of a file that has very many) becomes
 * "sha256:<hex> (N bytes)", the digest and length of the text it
 * replaces (attr_format_digest).
 */
#define ALERT_CHANGE_MAX	((size_t)1 << 16)

struct alert_stream;

/*
 * A stream whose first alert gets seq first_seq.  backend is the word for
 * fimd.backend ("fanotify", "inotify", "none", or "check").
 */
struct alert_stream *alert_stream_new(const char *backend,
	    uint64_t first_seq);
void	alert_stream_free(struct alert_stream *s);
void	alert_stream_set_backend(struct alert_stream *s, const char *backend);
/*
 * host.name from here on: name (copied; at most 255 bytes of UTF-8, as
 * config.c checks host_name), or NULL to keep the system's host name.
 */
void	alert_stream_set_host(struct alert_stream *s, const char *name);
uint64_t alert_stream_next_seq(const struct alert_stream *s);

/* A new JSON object for a (takes the next seq).  Never NULL. */
json_t	*alert_build(struct alert_stream *s, const struct alert *a);
/*
 * alert_build + one compact line ending in "\n", appended to out.
 * chain, when not NULL, is the line's fimd.chain (chain.h: the link to
 * the line before it in the stream); NULL leaves the field out (--check).
 * Returns 0, -ENOSPC when the line would pass ALERT_LINE_MAX or out's
 * cap, or -ENOMEM; out and the next seq are unchanged on error.
 */
int	alert_line(struct alert_stream *s, const struct alert *a,
	    const char *chain, struct buf *out);
/*
 * A human line (no newline) for an alert object as alert_build makes it:
 * "2026-11-24 11:24:06 +0000 high updated /etc/passwd (hash, size) by
 * vi[42]", the time in local time with its offset (timefmt.h), in UTC
 * with ALERT_HUMAN_UTC.  With ALERT_HUMAN_VERBOSE, one extra indented
 * line per change ("  size: 1 -> 2").  Appends to out; returns 0 or
 * -ENOSPC.
 */
#define ALERT_HUMAN_VERBOSE	0x1u
#define ALERT_HUMAN_UTC		0x2u
int	alert_human(const json_t *alert, unsigned flags, struct buf *out);

const char *alert_action_name(enum alert_action a);
/* Whether a is about an entity (opened ... changed). */
bool	alert_is_entity(enum alert_action a);
/* Whether a is a record of the daemon's life (started, stopped, ...). */
bool	alert_is_state(enum alert_action a);

/*
 * The seq to continue from after the last line of an existing alert file
 * (its fimd.seq + 1), or 1 when the file is absent, empty or holds no
 * alert near its end.  Only the end is read (64 KiB, more only while no
 * complete alert line was found, at most 8 MiB); a torn last line and
 * lines that are not alerts are passed over.
 */
uint64_t alert_file_next_seq(const char *path);
/*
 * alert_file_next_seq, and the bytes of the file's last complete line
 * (newline included; whatever it holds) appended to last_line, which is
 * left alone when the file is absent or empty, or when no complete line
 * ends within the part read: the daemon's chain continues from it.
 */
uint64_t alert_file_tail(const char *path, struct buf *last_line);
/*
 * A file's n-th rotation as logrotate leaves it: path.n, else path.n.gz
 * (delaycompress keeps .1 plain and compresses the older), into name;
 * whether either exists, its stat(2) in st.
 */
struct stat;
bool	alert_rotation_name(const char *path, unsigned n, struct buf *name,
	    struct stat *st);
/*
 * alert_file_tail of path, or, when path is missing or empty, of its
 * newest rotation (alert_rotation_name 1): a stream whose file was
 * rotated, or removed, while no daemon wrote it goes on from where it
 * ended.  A gzip file (zlib reads it) is read through to its end.
 */
uint64_t alert_stream_tail(const char *path, struct buf *last_line);

#endif
