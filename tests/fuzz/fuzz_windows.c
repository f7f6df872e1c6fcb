/*
 * Fuzz target: the change windows file (window.h) through
 * window_set_parse; whatever it accepts must save and parse back to
 * the same windows.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fileio.h"
#include "fuzzlib.h"
#include "window.h"

static void
check_round_trip(const struct window_set *s)
{
	char dir[] = "/tmp/fuzz_windows.XXXXXX", path[64], *text;
	struct window_set *back;
	struct diag d;
	size_t i, len;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/w", dir);
	diag_init(&d);
	FUZZ_CHECK(window_set_save(s, path) == 0);
	FUZZ_CHECK(fileio_read_path(path, WINDOW_FILE_MAX, &text, &len) == 0);
	FUZZ_CHECK(window_set_parse("w", text, len, &back, &d) == 0);
	FUZZ_CHECK(window_count(back) == window_count(s));
	for (i = 0; i < window_count(s); i++) {
		FUZZ_CHECK(window_at(back, i)->id == window_at(s, i)->id);
		FUZZ_CHECK(strcmp(window_at(back, i)->reason,
		    window_at(s, i)->reason) == 0);
		FUZZ_CHECK(window_at(back, i)->changes ==
		    window_at(s, i)->changes);
	}
	window_set_free(back);
	free(text);
	diag_release(&d);
	(void)unlink(path);
	(void)rmdir(dir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct window_set *s;
	struct diag d;
	size_t i;
	char *msg;
	int r;

	diag_init(&d);
	r = window_set_parse("fuzz", (const char *)data, size, &s, &d);
	if (r < 0)
		FUZZ_CHECK(d.errors > 0 && s == NULL);
	else {
		FUZZ_CHECK(window_count(s) <= WINDOW_OPEN_MAX);
		(void)window_next_expiry(s);
		(void)window_covering(s, "t", 1e9);
		check_round_trip(s);
		window_set_free(s);
	}
	for (i = 0; i < d.n; i++) {
		msg = diag_format(&d.v[i]);
		free(msg);
	}
	diag_release(&d);
	return 0;
}
