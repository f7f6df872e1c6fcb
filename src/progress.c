/*
 * A status line for long scans, redrawn at most five times a second.
 * Only when stderr is a terminal: logs and CI output stay clean.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "progress.h"

static void
human_bytes(double v, char *out, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

void
progress_begin(struct progress *p, const char *what, bool quiet,
    uint64_t total_files, uint64_t total_bytes)
{
	memset(p, 0, sizeof(*p));
	p->enabled = !quiet && isatty(STDERR_FILENO);
	p->what = what;
	p->total_files = total_files;
	p->total_bytes = total_bytes;
	p->start = p->last_draw = clock_mono_s();
}

static void
progress_draw(struct progress *p, double t)
{
	char line[256], bytes[32], rate[32], eta[48] = "";
	double el = t - p->start, frac = 0;
	int n;

	human_bytes((double)p->bytes, bytes, sizeof(bytes));
	human_bytes(el > 0 ? (double)p->bytes / el : 0, rate, sizeof(rate));
	if (p->total_bytes > 0)
		frac = (double)p->bytes / (double)p->total_bytes;
	else if (p->total_files > 0)
		frac = (double)p->files / (double)p->total_files;
	if (frac > 0.01 && frac < 1 && el > 1)
		snprintf(eta, sizeof(eta), ", ETA %.0fs", el / frac - el);
	n = snprintf(line, sizeof(line), "%s: %" PRIu64 " files, %s, %s/s%s",
	    p->what, p->files, bytes, rate, eta);
	if (n < 0)
		return;
	fprintf(stderr, "\r%s%*s", line, p->width > n ? p->width - n : 0, "");
	p->width = n;
	p->last_draw = t;
}

void
progress_update(struct progress *p, uint64_t files, uint64_t bytes)
{
	double t;

	if (!p->enabled)
		return;
	p->files = files;
	p->bytes = bytes;
	if (((files & 255) != 0 && files != 1) ||
	    (t = clock_mono_s()) - p->last_draw < 0.2)
		return;
	progress_draw(p, t);
}

void
progress_end(struct progress *p)
{
	if (!p->enabled || p->width == 0)
		return;
	fprintf(stderr, "\r%*s\r", p->width, "");
	p->width = 0;
}
