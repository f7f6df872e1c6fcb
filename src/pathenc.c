/*
 * Path bytes to JSON-safe text and back.  A UTF-8 decoder that accepts
 * exactly the well-formed sequences of RFC 3629 (no overlongs, no
 * surrogates, nothing above U+10FFFF) decides which bytes are "valid".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "hex.h"
#include "pathenc.h"

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when
 * the byte at s does not start one.  NUL is treated as invalid.
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		if (n >= 2 && (s[1] & 0xc0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;	/* above U+10FFFF */
		return 4;
	}
	return 0;
}

bool
pathenc_is_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		if (p[i] < 0x80 && p[i] != 0) {
			i++;
			continue;
		}
		if ((k = utf8_seq_len(p + i, len - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

int
pathenc_lossy(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	int r;

	while (i < len) {
		k = utf8_seq_len(p + i, len - i);
		if (k == 0) {
			r = buf_add(out, "\xef\xbf\xbd", 3);	/* U+FFFD */
			k = 1;
		} else
			r = buf_add(out, s + i, k);
		if (r < 0)
			return r;
		i += k;
	}
	return 0;
}

int
pathenc_escape(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[5] = { '\\', 'x', 0, 0, 0 };
	size_t i = 0, k;
	int r;

	while (i < len) {
		k = utf8_seq_len(p + i, len - i);
		if (k == 0) {
			hex_encode(p + i, 1, esc + 2);
			r = buf_add(out, esc, 4);
			k = 1;
		} else if (p[i] == '\\')
			r = buf_add(out, "\\\\", 2);
		else
			r = buf_add(out, s + i, k);
		if (r < 0)
			return r;
		i += k;
	}
	return 0;
}

/*
 * Whether the valid sequence s[0..k) encodes a character that changes
 * what a terminal does or shows instead of being shown.
 */
static bool
is_unsafe(const unsigned char *s, size_t k)
{
	uint32_t cp;

	switch (k) {
	case 1:
		return s[0] < 0x20 || s[0] == 0x7f;
	case 2:
		cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return cp <= 0x9f;		/* C1 */
	case 3:
		cp = (uint32_t)(s[0] & 0x0f) << 12 |
		    (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069);
	default:
		return false;
	}
}

int
pathenc_visible(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[5] = { '\\', 'x', 0, 0, 0 };
	size_t i = 0, j, k;
	int r = 0;

	while (i < len && r == 0) {
		k = utf8_seq_len(p + i, len - i);
		if (k > 0 && !is_unsafe(p + i, k)) {
			r = buf_add(out, s + i, k);
			i += k;
			continue;
		}
		/* Every byte of it, so nothing of it is lost from view. */
		for (j = 0; j < (k > 0 ? k : 1) && r == 0; j++) {
			hex_encode(p + i + j, 1, esc + 2);
			r = buf_add(out, esc, 4);
		}
		i += k > 0 ? k : 1;
	}
	return r;
}

int
pathenc_unescape(const char *s, size_t len, struct buf *out)
{
	unsigned char byte;
	size_t i = 0;
	int r;
	char c;

	while (i < len) {
		if (s[i] != '\\') {
			if (s[i] == '\0')
				return -EINVAL;
			if ((r = buf_addc(out, s[i++])) < 0)
				return r;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\\') {
			c = '\\';
			i += 2;
		} else if (i + 3 < len && s[i + 1] == 'x' &&
		    hex_decode(s + i + 2, 2, &byte, 1) == 0 && byte != 0) {
			c = (char)byte;
			i += 4;
		} else
			return -EINVAL;
		if ((r = buf_addc(out, c)) < 0)
			return r;
	}
	return 0;
}
