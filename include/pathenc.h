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
 * Append a form safe to show on a terminal and in one-line text: each
 * byte of a C0 control, DEL, a C1 control (U+0080-U+009F), a bidi
 * embedding, override or isolate (U+202A-U+202E, U+2066-U+2069) and each
 * byte that is not part of valid UTF-8 (so also a raw 0x80-0x9f, which
 * 8-bit terminals take as C1) becomes "\xHH"; everything else is copied.
 * Any user can choose a file name, and such a name must neither drive the
 * terminal (CSI) nor reorder what is shown around it.  Not reversible: a
 * backslash stays as it is.  Returns 0 or -ENOSPC.
 */
int	pathenc_visible(const char *s, size_t len, struct buf *out);
/*
 * Append the bytes an escaped form stands for.  Returns 0, -EINVAL for a
 * malformed escape, or -ENOSPC.
 */
int	pathenc_unescape(const char *s, size_t len, struct buf *out);

#endif
