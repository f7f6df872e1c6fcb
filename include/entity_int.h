/*
 * entity_int: the modules behind entity.h, one per type, and the
 * parser of /proc/net for the unit tests and the fuzz target.  Not for
 * other modules.
 */
#ifndef FIMD_ENTITY_INT_H
#define FIMD_ENTITY_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diag.h"
#include "entity.h"

/* The longest key of an item, NUL included. */
#define ENTITY_KEY_MAX	512

/* One listening TCP or bound UDP socket of /proc/net/{tcp,udp}[6]. */
struct port_sock {
	const char *transport;		/* "tcp" or "udp" */
	bool	 v6;
	char	 ip[INET6_ADDRSTRLEN];	/* inet_ntop's form */
	unsigned port;
	uint32_t uid;
	uint64_t inode;
};

/*
 * Parse the text of /proc/net/tcp (udp: false, v6: false), tcp6, udp
 * or udp6: call fn for each socket that listens (TCP state 0A) or is
 * bound without a peer (UDP state 07, local port not 0).  The first
 * line (the column names) is skipped; a line that does not parse adds
 * a diag naming file and line.  Returns 0, or -EINVAL when a line was
 * bad.  Pure: no I/O, nothing kept.
 */
int	ports_parse(const char *file, const char *text, size_t len, bool udp,
	    bool v6, void (*fn)(const struct port_sock *s, void *arg),
	    void *arg, struct diag *diag);

/* entity_ports.c: the snapshot of entity_snapshot() for ports. */
int	ports_snapshot(const char *proc_root, const struct entity_set *prev,
	    struct entity_set *ret, struct entity_cost *cost,
	    struct diag *diag);
bool	ports_key(const json_t *attrs, char *buf, size_t size);

/* entity_units.c: the units of the unit directories, first wins. */
int	units_snapshot(const struct rule_path *dirs, size_t ndirs,
	    struct entity_set *ret, struct diag *diag);

/* entity_pkgs.c: the same for the packages of dpkg's status file. */
int	pkgs_snapshot(const char *dpkg_root, struct entity_set *ret,
	    struct diag *diag);

#endif
