/*
 * fileio: whole reads and writes that the bare system calls leave to
 * their caller.
 *
 * Reading: a small regular file, whole, into memory, for configuration
 * and rule files and for explaining a foreign baseline.  The file is
 * opened O_NONBLOCK and checked to be regular before any read, so a FIFO
 * or device given by mistake never blocks.  The caller owns the returned
 * buffer, which is NUL-terminated (the NUL is not counted in *ret_len).
 *
 * Writing: all of a buffer, across short writes and EINTR.
 */
#ifndef FIMD_FILEIO_H
#define FIMD_FILEIO_H

#include <stddef.h>

/*
 * Read path, at most max bytes.  Returns 0, or -errno: -EISDIR for a
 * directory, -EINVAL for another file that is not regular, -EFBIG when
 * it holds more than max bytes.
 */
int	fileio_read_path(const char *path, size_t max, char **ret,
	    size_t *ret_len);
/* The same from an open fd, read from its current offset. */
int	fileio_read_fd(int fd, size_t max, char **ret, size_t *ret_len);
/*
 * Write all len bytes of p to fd: one write(2) when the kernel takes it
 * all, further writes for the rest only after a partial one.  Returns 0
 * or -errno (-EIO when the kernel keeps taking nothing).
 */
int	fileio_write_all(int fd, const void *p, size_t len);
/*
 * The same, and *ret_done: the bytes the kernel took, all len on
 * success, after an error the part written before it (a full disk may
 * take the start of a buffer and refuse the rest).
 */
int	fileio_write_counted(int fd, const void *p, size_t len,
	    size_t *ret_done);

#endif
