/* fileio: whole reads and writes; see fileio.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "xmalloc.h"

/* Writes in a row that take nothing before giving up. */
#define WRITE_MAX_STALLS	8

int
fileio_read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	char *text;
	size_t len = 0, cap;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	/* Sized by fstat, grown when the file grew; one byte past max
	 * tells a file that is too large. */
	cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	text = xmalloc(cap + 1);
	while (len <= max) {
		if (len == cap) {
			cap += cap / 2 + 4096;
			if (cap > max + 1)
				cap = max + 1;
			text = xreallocarray(text, cap + 1, 1);
		}
		n = read(fd, text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			free(text);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(text);
		return -EFBIG;
	}
	text[len] = '\0';
	*ret = text;
	*ret_len = len;
	return 0;
}

int
fileio_read_path(const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd, r;

	/* O_NONBLOCK: a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = fileio_read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int
fileio_write_counted(int fd, const void *buf, size_t len, size_t *ret_done)
{
	const char *p = buf;
	ssize_t n;
	int stalls = 0;

	*ret_done = 0;
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			if (++stalls >= WRITE_MAX_STALLS)
				return -EIO;
			continue;
		}
		stalls = 0;
		p += n;
		len -= (size_t)n;
		*ret_done += (size_t)n;
	}
	return 0;
}

int
fileio_write_all(int fd, const void *buf, size_t len)
{
	size_t done;

	return fileio_write_counted(fd, buf, len, &done);
}
