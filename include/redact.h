/*
 * redact: hide the lines of a text file that look like secrets, before
 * fimd keeps a copy of it or shows a diff of it (fimd.rules(5), "diff").
 *
 * The input is one text, line by line ('\n' ends a line; the last line
 * may have none).  A line is redacted in one of two ways, each driven
 * by a table in redact.c:
 *
 *  - an assignment whose key names a secret: optional blanks, an
 *    optional "export ", an optional quote, a key, an optional quote,
 *    then "=", ":" or (for a key that is a secret word as a whole, such
 *    as "bindpw secret") blanks, then a value.  The key is split into
 *    words at '_', '-', '.' and lower-to-upper case changes ("apiKey");
 *    it names a secret when a word, compared without case, is one of the
 *    table's (password, passwd, secret, token, key, ...).  The key, the
 *    separator and the blanks after it stay; the value becomes
 *    REDACT_MARK.  An empty value is left alone (it hides nothing).
 *  - a private key block: a line holding "-----BEGIN ", a label ending
 *    in "PRIVATE KEY" and "-----" keeps its text up to that marker; the
 *    rest of it (up to an end marker on the same line), and every line
 *    up to the one holding "-----END " (kept from that marker on), each
 *    become REDACT_MARK.  A block that never ends runs to the end of the
 *    text.
 *
 * Also a URL's password ("scheme://user:password@host") becomes
 * REDACT_MARK wherever it appears.  Redaction errs towards hiding: a
 * value that only looks like a secret is hidden too.  The output never
 * holds a redacted value's bytes; it keeps the line structure (one
 * output line per input line, the final newline or its absence), so a
 * diff of redacted texts still lines up with the files.
 *
 * Pure module: no I/O.  Memory: the output is appended to a caller's
 * struct buf.
 */
#ifndef FIMD_REDACT_H
#define FIMD_REDACT_H

#include <stddef.h>

#include "buf.h"

#define REDACT_MARK	"[redacted]"

/*
 * Append the redacted form of text[0..len) to out.  Returns the number
 * of lines that were changed (0: out got the text as it is), or -ENOSPC
 * when out's cap was reached (out is then cut back to its old length).
 */
long	redact_text(const char *text, size_t len, struct buf *out);

#endif
