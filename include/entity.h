/*
 * entity: things of the host other than files that a rule watches
 * (fimd.rules(5) "type"): the listening ports (entity_ports.c), the
 * installed packages (entity_pkgs.c) and the systemd units
 * (entity_units.c), one module each behind the same interface.
 *
 * A snapshot is a struct entity_set: its items sorted by key (bytes),
 * each key naming one item ("tcp 127.0.0.1:22", "hello:amd64",
 * "ssh.service") and its attributes a JSON object (fimd.baseline(5)
 * "entities" holds the same objects).  entity_compare() walks two
 * sets and names each difference as an alert action: opened and closed
 * for ports; installed, removed, upgraded and downgraded (a newer or
 * an older version, in dpkg's order) and changed (only the status) for
 * packages; added, removed, masked,
 * unmasked, enabled, disabled and edited (the unit file or its
 * drop-ins) for services.  A port whose owning process changed is no
 * alert; the new set, taken as the baseline, records it.
 *
 * Memory: a set owns its keys and attribute objects; entity_set_release
 * frees them.  The changes given to the callback borrow from both sets
 * for the call.  Single thread; no state outside the sets.
 */
#ifndef FIMD_ENTITY_H
#define FIMD_ENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alert.h"
#include "diag.h"
#include "rules.h"

struct entity_item {
	char	*key;		/* owned */
	json_t	*attrs;		/* owned: one reference */
	/* Ports: the socket's inode (not saved; 0 after a load). */
	uint64_t inode;
};

struct entity_set {
	enum rule_type type;
	struct entity_item *v;
	size_t	 n;
	size_t	 alloc;
};

/*
 * Where a snapshot reads from: "/proc" and "/var/lib/dpkg" normally,
 * and the unit directories of a services rule, the first winning.
 */
struct entity_source {
	const char *proc_root;
	const char *dpkg_root;
	const struct rule_path *unit_dirs;	/* a rule's paths */
	size_t	 nunit_dirs;
};

/* A source for rule: /proc, dpkg_root (may be NULL), rule's paths. */
void	entity_source_init(struct entity_source *src, const struct rule *rule,
	    const char *dpkg_root);

/* What a snapshot cost: for --status and the benchmark. */
struct entity_cost {
	bool	 owners_looked_up;	/* /proc/PID/fd was scanned */
	uint64_t processes;		/* ... this many processes */
};

/* One difference between two sets; borrowed for the callback. */
struct entity_change {
	enum rule_type type;
	enum alert_action action;	/* ACTION_OPENED ... */
	const char *key;
	const json_t *old;	/* NULL when opened / installed */
	const json_t *new;	/* NULL when closed / removed */
};

void	entity_set_init(struct entity_set *s, enum rule_type type);
void	entity_set_release(struct entity_set *s);
/* Add an item (key copied, attrs stolen); entity_set_sort() after. */
void	entity_set_add(struct entity_set *s, const char *key, json_t *attrs,
	    uint64_t inode);
/* Sort by key and drop later duplicates. */
void	entity_set_sort(struct entity_set *s);
/* The item with key, or NULL (the set is sorted). */
const struct entity_item *entity_set_find(const struct entity_set *s,
	    const char *key);

/*
 * Take a snapshot of the host for type.  prev (may be NULL) is the last
 * snapshot: ports whose sockets it already knew keep its owners, and
 * /proc/PID/fd is scanned only for sockets it did not hold.  Returns 0,
 * or -errno when the source could not be read (diag names it; *ret is
 * then empty).  cost (may be NULL) says what it took.
 */
int	entity_snapshot(enum rule_type type, const struct entity_source *src,
	    const struct entity_set *prev, struct entity_set *ret,
	    struct entity_cost *cost, struct diag *diag);

/*
 * Call fn for each difference from old to new, in key order.  Returns
 * how many there were.
 */
size_t	entity_compare(const struct entity_set *old,
	    const struct entity_set *new,
	    void (*fn)(const struct entity_change *c, void *arg), void *arg);

/* The set as a JSON array of its attribute objects (new reference). */
json_t	*entity_set_to_json(const struct entity_set *s);
/*
 * A set from such an array.  Returns 0, or -EINVAL with *why set when
 * an item is not an object of the type's attributes.
 */
int	entity_set_from_json(enum rule_type type, const json_t *a,
	    struct entity_set *ret, const char **why);

/* The key an item of type has by its attributes, into buf; false: bad. */
bool	entity_key(enum rule_type type, const json_t *attrs, char *buf,
	    size_t size);

/*
 * What an item of type records, for --explain: "name, version, ...".
 */
const char *entity_attr_names(enum rule_type type);

/*
 * A query of the entities (fimd(8) --query --type, the control
 * socket's "query" verb with "type"), answered the same way by the
 * daemon and, when none runs, from the baseline file.
 *
 * entity_query_type: the request's "type": RULE_FILES when absent, the
 * type it names, or -EINVAL with *why when it is no string naming one.
 *
 * entity_query: the items of list (a baseline's JSON list of type,
 * borrowed; NULL: none recorded) that names name (NULL: every item;
 * else an array of at most ENTITY_QUERY_MAX_NAMES strings), into
 * reply: "type", "held" (false when list is NULL), "entities" (each
 * item's attributes, copied, with "type" and "key" added) and
 * "missing" (the names no item answers to).  A name is an item's key;
 * a port's may have "/" for the space ("tcp/127.0.0.1:22") or be a
 * port number alone (every socket on it); a package's may leave out
 * ":ARCH" (every architecture).  Returns 0, or -EINVAL with *why and
 * reply untouched when names is malformed.
 */
#define ENTITY_QUERY_MAX_NAMES	1024
int	entity_query_type(const json_t *req, enum rule_type *ret,
	    const char **why);
int	entity_query(enum rule_type type, const json_t *list,
	    const json_t *names, json_t *reply, const char **why);

/*
 * The alert about c: *a is zeroed and filled (rule, source, the change);
 * borrows c.
 */
void	entity_alert(struct alert *a, enum alert_source source,
	    const struct rule *rule, const struct entity_change *c);

#endif
