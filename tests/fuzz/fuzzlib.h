/*
 * fuzzlib: what fimd's libFuzzer harnesses share.
 *
 * Each harness (tests/fuzz/fuzz_<target>.c) defines
 * LLVMFuzzerTestOneInput and is built twice: with clang and libFuzzer by
 * `make fuzz`, and with the project's compiler and replay.c by `make
 * check`, which feeds it every seed of tests/fuzz/corpus/<target>/.  A
 * harness may read no file but its input and write none outside a
 * temporary directory it removes; it frees all it allocates, so the
 * fuzzer's leak check means something.
 */
#ifndef FIMD_FUZZLIB_H
#define FIMD_FUZZLIB_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A property of the code under test that failed: print it and abort, so
 * libFuzzer records the input as a crash and the replay fails.
 */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

void	fuzz_fail(const char *file, int line, const char *what)
	    __attribute__((noreturn));

/*
 * The input as a file for parsers that take a path: a memfd holding
 * data, named by *path ("/proc/self/fd/N", in a buffer of at least
 * FUZZ_PATH_MAX bytes).  Returns the descriptor; the caller closes it.
 * Nothing is written to any file system.
 */
#define FUZZ_PATH_MAX	32
int	fuzz_memfd(const uint8_t *data, size_t size, char *path);

/* A copy of data with a NUL after it (caller frees). */
char	*fuzz_strndup(const uint8_t *data, size_t size);

#endif
