/* parse: strict scalar parsers; see parse.h. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"

/* Leading decimal digits of s into *ret; *ret_end after them. */
static int
parse_digits(const char *s, uint64_t *ret, const char **ret_end)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	*ret_end = p;
	return 0;
}

static int
scale(uint64_t v, uint64_t unit, uint64_t *ret)
{
	if (unit != 0 && v > UINT64_MAX / unit)
		return -ERANGE;
	*ret = v * unit;
	return 0;
}

int
parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v;
	const char *end;
	int r;

	if ((r = parse_digits(s, &v, &end)) < 0)
		return r;
	if (*end != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* A unit suffix and what one of it is worth. */
struct unit {
	const char *suffix;
	uint64_t value;
};

/* Digits followed by exactly one of the n suffixes (possibly ""). */
static int
parse_with_unit(const char *s, const struct unit *units, size_t n,
    uint64_t *ret)
{
	uint64_t v;
	const char *end;
	size_t i;
	int r;

	if ((r = parse_digits(s, &v, &end)) < 0)
		return r;
	for (i = 0; i < n; i++)
		if (strcmp(end, units[i].suffix) == 0)
			return scale(v, units[i].value, ret);
	return -EINVAL;
}

int
parse_duration(const char *s, uint64_t *ret_seconds)
{
	static const struct unit units[] = {
		{ "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 },
	};

	return parse_with_unit(s, units, sizeof(units) / sizeof(units[0]),
	    ret_seconds);
}

int
parse_size(const char *s, uint64_t *ret_bytes)
{
	static const struct unit units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1000ULL }, { "KB", 1000ULL },
		{ "M", 1000000ULL }, { "MB", 1000000ULL },
		{ "G", 1000000000ULL }, { "GB", 1000000000ULL },
		{ "T", 1000000000000ULL }, { "TB", 1000000000000ULL },
		{ "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 },
		{ "GiB", 1ULL << 30 }, { "TiB", 1ULL << 40 },
	};

	return parse_with_unit(s, units, sizeof(units) / sizeof(units[0]),
	    ret_bytes);
}
