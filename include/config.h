/*
 * config: fimd's settings, from built-in defaults, then the configuration
 * file (fimd.conf(5), JSON), then command-line flags, each overriding the
 * one before.  The struct is owned by main() and borrowed by everything
 * else; config_release() frees its strings.
 */
#ifndef FIMD_CONFIG_H
#define FIMD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

#define FIMD_DEFAULT_CONFIG	FIMD_SYSCONFDIR "/fimd/fimd.json"
#define FIMD_DEFAULT_RULES	FIMD_SYSCONFDIR "/fimd/rules.d"
#define FIMD_DEFAULT_SHIPPED	FIMD_DATADIR "/fimd/rules.d"
#define FIMD_DEFAULT_BASELINE	"/var/lib/fimd/baseline.json"
#define FIMD_DEFAULT_ALERTS	"/var/log/fimd/alerts.json"
#define FIMD_DEFAULT_SOCKET	"/run/fimd/fimd.sock"

enum backend_kind {
	BACKEND_AUTO,
	BACKEND_FANOTIFY,
	BACKEND_INOTIFY,
	BACKEND_NONE,
};

struct fimd_config {
	char	*config_path;	/* the file read, or NULL when none */
	char	*rules_path;	/* directory or file */
	char	*shipped_rules;	/* directory of shipped defaults, or NULL */
	char	*baseline_path;
	char	*alerts_path;	/* "-" for stdout */
	char	*socket_path;
	enum backend_kind backend;
	unsigned workers;	/* hashing threads; 0 = one per CPU */
	bool	 json;		/* --json */
	bool	 paranoid;	/* --paranoid: re-hash everything */
	bool	 foreground;
	int	 verbosity;	/* -1 quiet, 0 normal, 1 verbose, 2 debug */
	uint64_t debounce_ms;	/* quiet time before hashing a written file */
	uint64_t debounce_max_ms; /* cap on the delay of a continuous writer */
	uint64_t queue_budget;	/* kernel events queued before resetting */
	bool	 syslog;	/* RFC 5424 sink on */
	char	*syslog_target;	/* unix socket path */
	bool	 journald;	/* journald sink on */
	uint64_t heartbeat;	/* seconds between checkpoint records */
	char	*chain_key;	/* key file of the chain and the baseline's
				   digest, or NULL: plain SHA-256 */
	char	*package_db;	/* dpkg's state directory, or NULL: no
				   package verdicts */
	bool	 packages;	/* --packages: check against the packages */
	/* --tail filters */
	char	*tail_rule;
	char	*tail_severity;
	char	*tail_prefix;
	char	*tail_since;
	bool	 follow;
	char	*verify_key;	/* --verify --key FILE, or NULL */
	/* --accept, --window, --query --history */
	char	*reason;	/* --reason, or NULL */
	bool	 history;	/* --query --history */
	char	*window_action;	/* --window open|close|list, or NULL */
	bool	 window_accept;	/* --window close --accept */
	uint64_t window_ttl;	/* --ttl seconds, 0: none */
	uint64_t window_id;	/* --id, 0: none */
	const char **window_rules;	/* --rule ... (borrowed argv) */
	size_t	 nwindow_rules;
	/* operands (PATH... of --query, --accept, --explain) */
	char	**operands;
	int	 noperands;
};

/* Fill the built-in defaults. */
void	config_init(struct fimd_config *c);
/*
 * Read a configuration file over the current values.  explicit says the
 * user named it (-c): then a missing file is an error; the default path
 * may be absent.  Returns 0, or -errno with diag (file:line:column).
 */
int	config_load(struct fimd_config *c, const char *path, bool explicit,
	    struct diag *diag);
void	config_release(struct fimd_config *c);
/* "auto", "fanotify", "inotify", "none"; -ENOENT for anything else. */
int	config_backend_from_name(const char *name);
const char *config_backend_name(enum backend_kind b);

#endif
