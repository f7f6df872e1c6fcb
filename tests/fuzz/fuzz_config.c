/*
 * Fuzz target: the configuration file (fimd.conf(5)) through
 * config_load, from a memfd, over the built-in defaults.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "fuzzlib.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[FUZZ_PATH_MAX], *s;
	struct fimd_config c;
	struct diag d;
	size_t i;
	int fd, r;

	fd = fuzz_memfd(data, size, path);
	config_init(&c);
	diag_init(&d);
	r = config_load(&c, path, true, &d);
	if (r < 0)
		FUZZ_CHECK(d.errors > 0);
	else {
		/* Whatever was accepted is a complete configuration. */
		FUZZ_CHECK(c.rules_path != NULL && c.baseline_path != NULL &&
		    c.alerts_path != NULL && c.socket_path != NULL);
		FUZZ_CHECK(strcmp(config_backend_name(c.backend),
		    "unknown") != 0);
	}
	for (i = 0; i < d.n; i++) {
		s = diag_format(&d.v[i]);
		free(s);
	}
	diag_release(&d);
	config_release(&c);
	close(fd);
	return 0;
}
