/*
 * daemon_ent: the entities in the daemon (private to the daemon).
 *
 * Owns struct daemon_entities: for each rule of an entity (entity.h)
 * the set the baseline holds.  A ports rule is checked on its rescan
 * timer (daemon_rescan.c calls ent_check when it fires); the packages
 * rule on its timer too, and at once when dpkg's status file changed:
 * daemon_pkg.c pokes it from the package database's watch, and the
 * status file is read again a moment after the package manager's
 * transaction ended; the services rule when its unit directories
 * change (an inotify descriptor of its own on each of them and on their
 * NAME.wants, NAME.requires and NAME.d directories, renewed after every
 * check).  Each difference is one alert; the baseline takes
 * the new set once every alert about it was written (daemon_emit),
 * else keeps the old one so the next check reports them again.
 *
 * Calls daemon_out.h only.
 */
#ifndef FIMD_DAEMON_ENT_H
#define FIMD_DAEMON_ENT_H

#include "alert.h"
#include "daemon_state.h"

/*
 * Take up the rules of entities: each set from the baseline, or a first
 * snapshot recorded without alerts when the baseline holds none; the
 * sets of types no rule watches any longer leave the baseline.
 */
void	ent_open(struct daemon *d);
/* Free what struct daemon_entities holds (a reload calls both). */
void	ent_close(struct daemon *d);
/* Check rule's entity now and report what changed. */
void	ent_check(struct daemon *d, const struct rule *rule,
	    enum alert_source source);
/* dpkg's database changed: read the packages again soon. */
void	ent_packages_poke(struct daemon *d);

#endif
