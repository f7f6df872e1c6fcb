/*
 * replay: the regression half of fuzzing, run by `make check`.  Built
 * with a harness as build/tests/fuzz_<target>, it feeds every file of
 * tests/fuzz/corpus/<target>/ (under $FIMD_SRCDIR, or the directory
 * given as the one argument) to LLVMFuzzerTestOneInput, one cmocka test
 * per file.  A property that fails aborts the binary, which the test
 * runner reports; a corpus without seeds fails too.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fuzzlib.h"

#define MAX_SEEDS	256
#define MAX_SEED_BYTES	((size_t)1 << 20)

static char *seed_dir;

static void
replay_one(void **state)
{
	const char *name = *state;
	char *path, *data;
	size_t size;
	FILE *f;

	if (asprintf(&path, "%s/%s", seed_dir, name) < 0)
		fail_msg("out of memory");
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: cannot open", path);
	data = malloc(MAX_SEED_BYTES);
	assert_non_null(data);
	size = fread(data, 1, MAX_SEED_BYTES, f);
	assert_true(size < MAX_SEED_BYTES);
	fclose(f);
	(void)LLVMFuzzerTestOneInput((const uint8_t *)data, size);
	free(data);
	free(path);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The seed names of dir, sorted; returns how many. */
static size_t
list_seeds(const char *dir, char **names)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < MAX_SEEDS) {
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	return n;
}

int
main(int argc, char **argv)
{
	static struct CMUnitTest tests[MAX_SEEDS];
	static char *names[MAX_SEEDS];
	const char *base, *target, *srcdir = getenv("FIMD_SRCDIR");
	size_t i, n;
	int r;

	base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	target = strncmp(base, "fuzz_", 5) == 0 ? base + 5 : base;
	if (argc > 1)
		seed_dir = strdup(argv[1]);
	else if (asprintf(&seed_dir, "%s/tests/fuzz/corpus/%s",
	    srcdir != NULL ? srcdir : ".", target) < 0)
		return 1;
	n = list_seeds(seed_dir, names);
	if (n == 0) {
		fprintf(stderr, "%s: no seeds in %s\n", base, seed_dir);
		return 1;
	}
	for (i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){ names[i], replay_one, NULL,
		    NULL, names[i] };
	r = _cmocka_run_group_tests(base, tests, n, NULL, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(seed_dir);
	return r;
}
