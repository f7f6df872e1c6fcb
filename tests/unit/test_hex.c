/*
 * hex: encoding and decoding, every byte value through the decoder's
 * table (digits of both cases decode, everything else is refused).
 */
#include <errno.h>
#include <string.h>

#include "tlib.h"

#include "hex.h"

static void
test_round_trip(void **state)
{
	unsigned char in[256], out[256];
	char text[513];
	int i;

	(void)state;
	for (i = 0; i < 256; i++)
		in[i] = (unsigned char)i;
	hex_encode(in, sizeof(in), text);
	assert_int_equal(strlen(text), 512);
	assert_memory_equal(text, "000102", 6);
	assert_int_equal(hex_decode(text, 512, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(hex_decode("ABcdEF09", 8, out, 4), 0);
	assert_memory_equal(out, "\xab\xcd\xef\x09", 4);
}

static void
test_every_byte(void **state)
{
	unsigned char out[1];
	char hex[2];
	int c, want;

	(void)state;
	for (c = 0; c < 256; c++) {
		want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F') ? 0 : -EINVAL;
		hex[0] = '0';
		hex[1] = (char)c;
		if (hex_decode(hex, 2, out, 1) != want)
			fail_msg("byte 0x%02x as the low digit", c);
		hex[0] = (char)c;
		hex[1] = '0';
		if (hex_decode(hex, 2, out, 1) != want)
			fail_msg("byte 0x%02x as the high digit", c);
		assert_int_equal(hex_digit((char)c) >= 0, want == 0);
	}
	/* The length must be exactly twice the bytes. */
	assert_int_equal(hex_decode("abc", 3, out, 1), -EINVAL);
	assert_int_equal(hex_decode("", 0, out, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_byte),
	};

	return cmocka_run_group_tests_name("hex", tests, NULL, NULL);
}
