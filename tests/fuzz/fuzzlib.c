/* Helpers for the libFuzzer harnesses; see fuzzlib.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzzlib.h"

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
	abort();
}

int
fuzz_memfd(const uint8_t *data, size_t size, char *path)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = memfd_create("fimd-fuzz", MFD_CLOEXEC);
	if (fd < 0)
		fuzz_fail(__FILE__, __LINE__, "memfd_create");
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0)
			fuzz_fail(__FILE__, __LINE__, "write to the memfd");
		off += (size_t)n;
	}
	snprintf(path, FUZZ_PATH_MAX, "/proc/self/fd/%d", fd);
	return fd;
}

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		fuzz_fail(__FILE__, __LINE__, "malloc");
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
