/*
 * Fuzz target: path escaping (pathenc.c) on any bytes.  The lossless
 * form gives back the exact bytes of any path (no NUL: paths hold none),
 * the lossy and escaped forms are valid UTF-8 for jansson, a valid UTF-8
 * path's lossy form is itself, and the terminal form holds no control,
 * C1 or bidi character.  Unescaping arbitrary text must not crash.
 */
#include <string.h>

#include "buf.h"
#include "fuzzlib.h"
#include "pathenc.h"

/* Whether the UTF-8 text s[0..len) holds a C0, DEL, C1 or bidi control. */
static bool
has_control(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return true;
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] <= 0x9f)
			return true;
		if (s[i] == 0xe2 && i + 2 < len &&
		    ((s[i + 1] == 0x80 && s[i + 2] >= 0xaa &&
		    s[i + 2] <= 0xae) || (s[i + 1] == 0x81 &&
		    s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)))
			return true;
	}
	return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf e, u;
	bool utf8 = pathenc_is_utf8(s, size);

	buf_init(&e, BUF_MAX_DEFAULT);
	buf_init(&u, BUF_MAX_DEFAULT);
	FUZZ_CHECK(pathenc_lossy(s, size, &e) == 0);
	FUZZ_CHECK(pathenc_is_utf8(e.data, e.len));
	if (utf8)
		FUZZ_CHECK(e.len == size && memcmp(e.data, s, size) == 0);

	buf_reset(&e);
	FUZZ_CHECK(pathenc_escape(s, size, &e) == 0);
	FUZZ_CHECK(pathenc_is_utf8(e.data, e.len));
	if (memchr(s, '\0', size) == NULL) {
		FUZZ_CHECK(pathenc_unescape(e.data, e.len, &u) == 0);
		FUZZ_CHECK(u.len == size && memcmp(u.data, s, size) == 0);
	}

	buf_reset(&e);
	FUZZ_CHECK(pathenc_visible(s, size, &e) == 0);
	FUZZ_CHECK(pathenc_is_utf8(e.data, e.len));
	FUZZ_CHECK(!has_control((const unsigned char *)e.data, e.len));

	buf_reset(&u);
	(void)pathenc_unescape(s, size, &u);
	buf_release(&e);
	buf_release(&u);
	return 0;
}
