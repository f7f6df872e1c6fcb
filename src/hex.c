/* Hexadecimal encoding and decoding (hex.h). */
#include <errno.h>

#include "hex.h"

void
hex_encode(const void *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Each byte's value as a hex digit, or -1: one load per digit. */
static const short hex_values[256] = {
#define R16 -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
	R16, R16, R16,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	R16,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	R16, R16, R16, R16, R16, R16, R16, R16, R16,
#undef R16
};

int
hex_decode(const char *hex, size_t hexlen, unsigned char *out, size_t len)
{
	const unsigned char *h = (const unsigned char *)hex;
	size_t i;
	int hi, lo, bad = 0;

	if (hexlen != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		hi = hex_values[h[2 * i]];
		lo = hex_values[h[2 * i + 1]];
		bad |= hi | lo;		/* negative once any digit is bad */
		out[i] = (unsigned char)((unsigned)hi << 4 | (unsigned)lo);
	}
	return bad < 0 ? -EINVAL : 0;
}
