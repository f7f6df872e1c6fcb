/*
 * parse: strict parsers for the scalar values of rules and config.
 *
 * Each parser accepts the whole string or nothing: trailing garbage,
 * overflow and empty input are errors (-EINVAL or -ERANGE).  Results are
 * written only on success.  Pure module.
 */
#ifndef FIMD_PARSE_H
#define FIMD_PARSE_H

#include <stdint.h>

/*
 * Duration: a non-negative integer number of seconds, or an integer with
 * one unit suffix s, m, h, d ("30s", "15m", "1h", "1d").
 */
int	parse_duration(const char *s, uint64_t *ret_seconds);
/*
 * Size in bytes: an integer with an optional suffix K, M, G, T (powers of
 * 1000: KB, MB...) or KiB, MiB, GiB, TiB (powers of 1024); "B" alone and
 * no suffix mean bytes.  "1GiB", "512M", "4096".
 */
int	parse_size(const char *s, uint64_t *ret_bytes);
/* Unsigned decimal integer no larger than max. */
int	parse_uint(const char *s, uint64_t max, uint64_t *ret);

#endif
