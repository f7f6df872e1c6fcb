/*
 * hex: bytes to hexadecimal text and back, the one codec behind digests
 * (hash_hex) and the "\xHH" escapes of paths (pathenc).
 *
 * Encoding writes lowercase digits; decoding accepts either case and
 * nothing else (no "0x", no spaces).  Pure: no allocation, callers own
 * every buffer.
 */
#ifndef FIMD_HEX_H
#define FIMD_HEX_H

#include <stddef.h>

/* Lowercase hex of len bytes into out: 2 * len digits, then a NUL. */
void	hex_encode(const void *data, size_t len, char *out);
/* The value (0 to 15) of one hex digit of either case, or -1. */
int	hex_digit(char c);
/*
 * Decode exactly 2 * len digits of hex (hexlen must be 2 * len) into out.
 * Returns 0 or -EINVAL (wrong length, a character that is not a digit);
 * out may be partly written on error.
 */
int	hex_decode(const char *hex, size_t hexlen, unsigned char *out,
	    size_t len);

#endif
