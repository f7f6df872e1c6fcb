/*
 * varint: little-endian base-128 integers (7 bits per byte, high bit set
 * on every byte but the last), the packed baseline's number format.
 * Small values take one byte.  The caller provides room: at most
 * VARINT_MAX bytes per value.  Header only, no state.
 */
#ifndef FIMD_VARINT_H
#define FIMD_VARINT_H

#include <stdint.h>

#define VARINT_MAX	10

static inline unsigned char *
varint_put(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* Read one value at *pp and advance *pp past it; the input is trusted. */
static inline uint64_t
varint_get(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	uint64_t v = 0;
	unsigned shift = 0;

	while (*p & 0x80) {
		v |= (uint64_t)(*p++ & 0x7f) << shift;
		shift += 7;
	}
	v |= (uint64_t)*p++ << shift;
	*pp = p;
	return v;
}

#endif
