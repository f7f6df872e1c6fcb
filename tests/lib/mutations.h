/*
 * The mutations every detection path must catch, as data: one row per
 * change a user makes to a file.  Both the one-shot --check scenarios and
 * the daemon scenarios run every row on its own fresh tree.
 *
 * Shell snippets run with the working directory in the tree and with $T
 * (the tree) and $W (a scratch directory outside it) set.  Every tree
 * starts with files f ("hello\n"), a ("aaa\n"), b ("bbbbbb\n"), a
 * directory d, and whatever setup adds.
 */
#ifndef FIMD_MUTATIONS_H
#define FIMD_MUTATIONS_H

#include <stdbool.h>

struct mutation {
	const char *name;
	const char *attributes;	/* JSON value of the rule's "attributes" */
	const char *setup;	/* before the baseline, or NULL */
	const char *mutate;	/* the change */
	int	 exit_bits;	/* fimd --check status afterwards */
	const char *action;	/* event.action of the alert it must give */
	const char *path;	/* that alert's path, relative to the tree */
	const char *changed;	/* space-separated attributes that alert
				   must list in fimd.changed_attributes */
	unsigned nalerts;	/* alerts --check gives in all */
	bool	 needs_root;
	bool	 no_event;	/* no kernel event: rescans find it */
};

extern const struct mutation mutations[];
extern const unsigned mutations_count;

#endif
