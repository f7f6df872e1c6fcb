/*
 * Fuzz target: a rule file (fimd.rules(5)) as ruleset_load reads one,
 * then the loaded rules asked about a few paths the way the walk, the
 * daemon and --explain ask.  The text is an exact-size copy, so a read
 * past its end is an ASan report rather than luck.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fuzzlib.h"
#include "rules.h"

static const char *const probes[] = {
	"/", "/etc", "/etc/passwd", "/etc/ssh/sshd_config",
	"/usr/lib/x.so.1", "/tmp/a/b/c/d.tmp", "/var/log/\xff.log",
};

/* Every question a loaded ruleset answers, on a few paths. */
static void
ask(const struct ruleset *rs)
{
	const struct rule_path *root;
	const char *const *roots;
	struct buf b;
	size_t i, n;

	FUZZ_CHECK(strncmp(ruleset_digest(rs), "sha256:", 7) == 0);
	(void)ruleset_algos(rs);
	n = ruleset_roots(rs, &roots);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(roots[i][0] == '/');
	for (i = 0; i < ruleset_count(rs); i++)
		FUZZ_CHECK(ruleset_find(rs, ruleset_rule(rs, i)->name) != NULL);
	buf_init(&b, BUF_MAX_DEFAULT);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		size_t len = strlen(probes[i]);

		(void)ruleset_match(rs, probes[i], len, false, &root);
		(void)ruleset_match(rs, probes[i], len, true, NULL);
		(void)ruleset_should_descend(rs, probes[i], len);
		buf_reset(&b);
		(void)ruleset_explain(rs, probes[i], len, false, &b);
	}
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset *rs = NULL;
	struct diag d;
	char *text, *s;
	size_t i;

	text = malloc(size > 0 ? size : 1);
	FUZZ_CHECK(text != NULL);
	if (size > 0)
		memcpy(text, data, size);
	diag_init(&d);
	if (ruleset_load_buffer("fuzz.json", text, size, &rs, &d) == 0) {
		ask(rs);
		ruleset_free(rs);
	} else
		FUZZ_CHECK(d.errors > 0);	/* a refusal says why */
	for (i = 0; i < d.n; i++) {
		s = diag_format(&d.v[i]);
		free(s);
	}
	diag_release(&d);
	free(text);
	return 0;
}
