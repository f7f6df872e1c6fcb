/* parse: strict durations, sizes and integers; whole string or nothing. */
#include <errno.h>
#include <stdint.h>

#include "tlib.h"

#include "parse.h"

enum parser { P_DURATION, P_SIZE, P_UINT };

struct parse_case {
	enum parser which;
	const char *in;
	int	 ret;
	uint64_t value;		/* when ret == 0 */
	uint64_t max;		/* P_UINT only */
};

static const struct parse_case cases[] = {
	{ P_DURATION, "0", 0, 0, 0 },
	{ P_DURATION, "30", 0, 30, 0 },
	{ P_DURATION, "30s", 0, 30, 0 },
	{ P_DURATION, "15m", 0, 900, 0 },
	{ P_DURATION, "1h", 0, 3600, 0 },
	{ P_DURATION, "2d", 0, 172800, 0 },
	{ P_DURATION, "", -EINVAL, 0, 0 },
	{ P_DURATION, "h", -EINVAL, 0, 0 },
	{ P_DURATION, "1x", -EINVAL, 0, 0 },
	{ P_DURATION, "1h ", -EINVAL, 0, 0 },
	{ P_DURATION, " 1h", -EINVAL, 0, 0 },
	{ P_DURATION, "1hh", -EINVAL, 0, 0 },
	{ P_DURATION, "1H", -EINVAL, 0, 0 },
	{ P_DURATION, "-1", -EINVAL, 0, 0 },
	{ P_DURATION, "+1", -EINVAL, 0, 0 },
	{ P_DURATION, "1.5h", -EINVAL, 0, 0 },
	{ P_DURATION, "18446744073709551615", 0, UINT64_MAX, 0 },
	{ P_DURATION, "18446744073709551616", -ERANGE, 0, 0 },
	{ P_DURATION, "213503982334602d", -ERANGE, 0, 0 },
	{ P_SIZE, "4096", 0, 4096, 0 },
	{ P_SIZE, "0", 0, 0, 0 },
	{ P_SIZE, "10B", 0, 10, 0 },
	{ P_SIZE, "512K", 0, 512000, 0 },
	{ P_SIZE, "512KB", 0, 512000, 0 },
	{ P_SIZE, "512M", 0, 512000000, 0 },
	{ P_SIZE, "2G", 0, 2000000000, 0 },
	{ P_SIZE, "1T", 0, 1000000000000ULL, 0 },
	{ P_SIZE, "1KiB", 0, 1024, 0 },
	{ P_SIZE, "3MiB", 0, 3ULL << 20, 0 },
	{ P_SIZE, "1GiB", 0, 1ULL << 30, 0 },
	{ P_SIZE, "2TiB", 0, 2ULL << 40, 0 },
	{ P_SIZE, "", -EINVAL, 0, 0 },
	{ P_SIZE, "GiB", -EINVAL, 0, 0 },
	{ P_SIZE, "1gib", -EINVAL, 0, 0 },
	{ P_SIZE, "1 GiB", -EINVAL, 0, 0 },
	{ P_SIZE, "1GiBx", -EINVAL, 0, 0 },
	{ P_SIZE, "1Ki", -EINVAL, 0, 0 },
	{ P_SIZE, "-1", -EINVAL, 0, 0 },
	{ P_SIZE, "16777216TiB", -ERANGE, 0, 0 },
	{ P_SIZE, "99999999999999999999", -ERANGE, 0, 0 },
	{ P_UINT, "0", 0, 0, 10 },
	{ P_UINT, "10", 0, 10, 10 },
	{ P_UINT, "11", -ERANGE, 0, 10 },
	{ P_UINT, "007", 0, 7, 10 },
	{ P_UINT, "", -EINVAL, 0, 10 },
	{ P_UINT, "1s", -EINVAL, 0, 10 },
	{ P_UINT, "1 ", -EINVAL, 0, 10 },
	{ P_UINT, "0x10", -EINVAL, 0, 100 },
	{ P_UINT, "-0", -EINVAL, 0, 10 },
	{ P_UINT, "18446744073709551615", 0, UINT64_MAX, UINT64_MAX },
	{ P_UINT, "18446744073709551616", -ERANGE, 0, UINT64_MAX },
};

static void
test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		uint64_t v = 12345;	/* must stay untouched on error */
		int r = 0;

		switch (c->which) {
		case P_DURATION:
			r = parse_duration(c->in, &v);
			break;
		case P_SIZE:
			r = parse_size(c->in, &v);
			break;
		case P_UINT:
			r = parse_uint(c->in, c->max, &v);
			break;
		}
		if (r != c->ret)
			fail_msg("case %zu (\"%s\"): returned %d, want %d", i,
			    c->in, r, c->ret);
		if (r == 0 && v != c->value)
			fail_msg("case %zu (\"%s\"): value %ju, want %ju", i,
			    c->in, (uintmax_t)v, (uintmax_t)c->value);
		if (r != 0 && v != 12345)
			fail_msg("case %zu (\"%s\"): result written on error",
			    i, c->in);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
