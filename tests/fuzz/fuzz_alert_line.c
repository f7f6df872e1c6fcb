/*
 * Fuzz target: alert lines as --tail reads them (tail.c, alert_read.c).
 * The input is an alert file: tail_run reads it, once through no filter
 * and once through every filter, and each kept line is rendered the way
 * --tail prints it; alert_file_next_seq reads its end as the daemon does
 * at start-up.  Whatever a line holds, the human form must carry no byte
 * that drives a terminal.
 */
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "buf.h"
#include "fuzzlib.h"
#include "tail.h"

/* Whether s[0..len) holds a C0 (but the newlines of -v), DEL, C1 or bidi. */
static bool
drives_terminal(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7f)
			return true;
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f)
			return true;
		if (s[i] == 0xe2 && i + 2 < len &&
		    ((s[i + 1] == 0x80 && s[i + 2] >= 0xaa &&
		    s[i + 2] <= 0xae) || (s[i + 1] == 0x81 &&
		    s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)))
			return true;
	}
	return false;
}

static int
show(const char *raw, size_t len, const json_t *alert, void *arg)
{
	struct buf *b = arg;
	unsigned flags;

	(void)raw;
	(void)len;
	for (flags = 0; flags < 4; flags++) {
		buf_reset(b);
		if (alert_human(alert, flags, b) == 0)
			FUZZ_CHECK(!drives_terminal(
			    (const unsigned char *)b->data, b->len));
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tail_filter none, every;
	struct buf b;
	struct tail_ops ops = { .line = show, .arg = &b };
	char path[FUZZ_PATH_MAX];
	const char *why;
	int fd;

	fd = fuzz_memfd(data, size, path);
	buf_init(&b, BUF_MAX_DEFAULT);
	FUZZ_CHECK(tail_filter_init(&none, NULL, NULL, NULL, NULL, 0,
	    &why) == 0);
	FUZZ_CHECK(tail_filter_init(&every, "etc", "medium", "/etc",
	    "2026-01-01T00:00:00Z", 0, &why) == 0);
	FUZZ_CHECK(tail_run(path, &none, false, 0, &ops) == 0);
	FUZZ_CHECK(tail_run(path, &every, false, 0, &ops) == 0);
	FUZZ_CHECK(alert_file_next_seq(path) >= 1);
	tail_filter_release(&every);
	tail_filter_release(&none);
	buf_release(&b);
	close(fd);
	return 0;
}
