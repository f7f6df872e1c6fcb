/*
 * pathenc: paths are bytes; JSON strings are UTF-8.
 *
 * A path that is valid UTF-8 goes into JSON as it is (jansson escapes
 * control characters such as a newline).  Any other path is carried in two
 * forms: a lossy display form where each invalid byte becomes U+FFFD, and
 * a lossless escaped form where each byte that is not part of valid UTF-8
 * becomes "\xHH" and each backslash becomes "\\".  pathenc_unescape()
 * restores the exact bytes.  Pure module; output goes to a struct buf.
 */
#ifndef FIMD_PATHENC_H
#define FIMD_PATHENC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Whether s[0..len) is valid UTF-8 without NUL bytes. */
bool	pathenc_is_utf8(const char *s, size_t len);
/* Append the lossy display form.  Returns 0 or -ENOSPC. */
int	pathenc_lossy(const char *s, size_t len, struct buf *out);
/* Append the lossless escaped form.  Returns 0 or -ENOSPC. */
int	pathenc_escape(const char *s, size_t len, struct buf *out);
/*
 * Append the bytes an escaped form stands for.  Returns 0, -EINVAL for a
 * malformed escape, or -ENOSPC.
 */
int	pathenc_unescape(const char *s, size_t len, struct buf *out);

#endif
