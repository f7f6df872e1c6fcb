/*
 * Reading and writing times for people; see timefmt.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

/* n digits at *sp into *ret; advances *sp. */
static bool
digits(const char **sp, int n, int *ret)
{
	const char *s = *sp;
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*ret = v;
	return true;
}

static bool
expect(const char **sp, char c)
{
	if (**sp != c)
		return false;
	(*sp)++;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

int
timefmt_parse(const char *s, int64_t *ret_us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign;
	int64_t us = 0, scale = 100000, t;

	if (!digits(&s, 4, &y) || !expect(&s, '-') || !digits(&s, 2, &mo) ||
	    !expect(&s, '-') || !digits(&s, 2, &d))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -EINVAL;
	t = days_from_civil(y, mo, d) * 86400;
	if (*s == '\0') {
		*ret_us = t * 1000000;
		return 0;
	}
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -EINVAL;
	s++;
	if (!digits(&s, 2, &h) || !expect(&s, ':') || !digits(&s, 2, &mi) ||
	    !expect(&s, ':') || !digits(&s, 2, &sec))
		return -EINVAL;
	/* 60: a leap second, counted as the next second's start. */
	if (h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++) {
			us += (*s - '0') * scale;
			scale /= 10;
		}
	}
	t += h * 3600 + mi * 60 + sec;
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s == '+' ? 1 : -1;
		s++;
		if (!digits(&s, 2, &oh) || !expect(&s, ':') ||
		    !digits(&s, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		t -= sign * (oh * 3600 + om * 60);
	} else
		return -EINVAL;
	if (*s != '\0')
		return -EINVAL;
	*ret_us = t * 1000000 + us;
	return 0;
}

void
timefmt_human(int64_t us, bool utc, char out[TIMEFMT_HUMAN_LEN])
{
	time_t t = (time_t)(us >= 0 ? us / 1000000 : -((-us + 999999) /
	    1000000));
	struct tm tm;

	if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL ||
	    strftime(out, TIMEFMT_HUMAN_LEN, utc ? "%Y-%m-%d %H:%M:%S UTC" :
	    "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(out, TIMEFMT_HUMAN_LEN, "-");
}
