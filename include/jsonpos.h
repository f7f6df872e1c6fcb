/*
 * jsonpos: where each value of a JSON text starts, for diagnostics.
 *
 * jansson reports positions only for syntax errors.  After jansson has
 * accepted a text, jsonpos_scan() walks the same text once more and
 * builds a tree of positions that parallels the jansson value: an array
 * node has one child per element, an object node one child per member in
 * source order (which is jansson's iteration order), each child also
 * carrying the position of its key.  Lines and columns are 1-based and
 * count UTF-8 characters, as jansson's own error positions do.
 */
#ifndef FIMD_JSONPOS_H
#define FIMD_JSONPOS_H

#include <stddef.h>

struct jsonpos {
	unsigned line;		/* the value's first character */
	unsigned column;
	unsigned key_line;	/* the member's key (objects only) */
	unsigned key_column;
	size_t	 n;		/* elements or members */
	struct jsonpos *kid;
};

/*
 * Scan text[0..len) (a JSON text jansson accepted) into *ret.  Returns 0,
 * or -EINVAL when the text is not well formed after all.
 */
int	jsonpos_scan(const char *text, size_t len, struct jsonpos *ret);
void	jsonpos_release(struct jsonpos *p);
/* Child i, or NULL when out of range (p may be NULL). */
const struct jsonpos *jsonpos_kid(const struct jsonpos *p, size_t i);

#endif
