/*
 * tail: read the alert file of fimd.alerts(5), line by line, filtered.
 *
 * tail_filter says which alerts to keep (rule name, minimum severity,
 * path prefix, a start time); tail_run() reads every existing line and,
 * with follow, keeps reading new ones across rotation: each poll compares
 * the path's device, inode and size with the open descriptor, and the
 * last bytes read with what the file now holds before the read offset,
 * so a rename (logrotate's create) or a truncation (copytruncate, even
 * when the file grew past the old size again) is noticed; after a
 * rename the old descriptor is read to its end before the new file is
 * taken, so no line is lost or read twice.  With a start time, the
 * rotations before the file (path.N ... path.1, each plain or .gz, oldest
 * first; those last written before the start are not opened) are read
 * first, so --since spans logrotate's rotations.  Lines that are not JSON
 * objects are skipped with a note on stderr.  What to do with a kept line
 * is the caller's callback, so this module prints nothing itself.
 */
#ifndef FIMD_TAIL_H
#define FIMD_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

struct tail_filter {
	char	*rule;		/* exact rule.name, or NULL */
	int	 min_severity;	/* enum severity, or -1 */
	char	*prefix;	/* path or below, or NULL */
	size_t	 prefixlen;
	bool	 has_since;
	int64_t	 since_us;	/* keep @timestamp >= this (µs since epoch) */
	char	*host;		/* host.name, ASCII case ignored, or NULL */
};

/*
 * Fill f from the --tail options (each may be NULL).  since is an RFC 3339
 * time (timefmt.h) or a duration before now; with it, tail_run reads the
 * file's rotations first.  Returns 0, or -EINVAL with *errmsg set to a
 * static description of what is wrong.
 */
int	tail_filter_init(struct tail_filter *f, const char *rule,
	    const char *severity, const char *prefix, const char *since,
	    time_t now, const char **errmsg);
/*
 * --host: keep only the lines of this host.name (a collector's file
 * merges many hosts' streams).  NULL or "" keeps every host.
 */
void	tail_filter_set_host(struct tail_filter *f, const char *host);
void	tail_filter_release(struct tail_filter *f);
/* Whether the alert object passes the filter. */
bool	tail_filter_match(const struct tail_filter *f, const json_t *alert);

struct tail_ops {
	/*
	 * A kept line: its raw bytes (no newline) and the parsed alert
	 * (borrowed).  Return 0 to go on, non-zero to stop tail_run.
	 */
	int	(*line)(const char *raw, size_t len, const json_t *alert,
		    void *arg);
	/*
	 * Called at each poll while following (at least every poll_ms);
	 * non-zero stops tail_run.  May be NULL.
	 */
	int	(*idle)(void *arg);
	void	*arg;
};

#define TAIL_POLL_MS	200

/*
 * Read path ("-": standard input, never rotated) through the filter.
 * Without follow, stop at the end.  Returns 0 at the end or when a
 * callback stopped it, or -errno (cannot open path; without follow, a
 * missing file is -ENOENT, with follow it is waited for).
 */
int	tail_run(const char *path, const struct tail_filter *f, bool follow,
	    unsigned poll_ms, const struct tail_ops *ops);

#endif
