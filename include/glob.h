/*
 * glob: pattern matching on byte strings, as fimd.rules(5) defines it.
 *
 * "?" matches one byte other than "/", "*" any run of bytes within one
 * name, "**" any run of whole names (zero or more), "[...]" a byte class
 * ("[!...]" negated, ranges "a-z"), "\" escapes the next byte.  "**" is
 * only special as a whole name.  A final "**" name also matches the
 * directory above it: "build" then "/" then "**" matches "build" itself,
 * so an exclude of that form prunes the directory.  Neither
 * path nor pattern need be valid UTF-8 or NUL-free in the middle.
 *
 * Pure module: no allocation, no I/O, no recursion.  A match costs time
 * proportional to pattern length x path length, however many stars the
 * pattern holds (patterns come from rule files, paths from any user).
 */
#ifndef FIMD_GLOB_H
#define FIMD_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* Whether path[0..len) matches pattern (NUL-terminated). */
bool	glob_match(const char *pattern, const char *path, size_t len);
/*
 * Check that a pattern is well formed (classes closed, no trailing
 * backslash).  Returns 0, or -EINVAL with *ret_offset set to the 0-based
 * byte offset of the problem.
 */
int	glob_validate(const char *pattern, size_t *ret_offset);

#endif
