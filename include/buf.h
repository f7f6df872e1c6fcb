/*
 * buf: a growable byte buffer with a hard cap.
 *
 * Every buffer whose size a user or the kernel controls (paths, JSON lines,
 * control requests) is a struct buf with a maximum set at buf_init().  The
 * data is always NUL-terminated (the terminator is not counted in len), so
 * a buf holding a path can be passed to system calls directly, but it may
 * also hold NUL bytes in the middle.  The struct is embedded by its owner;
 * buf_release() frees the storage and leaves an empty, reusable buffer.
 *
 * Functions that add return 0, or -ENOSPC when the result would exceed the
 * cap (the buffer is then unchanged).
 */
#ifndef FIMD_BUF_H
#define FIMD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* NUL-terminated; never NULL after buf_init */
	size_t	 len;		/* bytes used, terminator excluded */
	size_t	 alloc;		/* bytes allocated */
	size_t	 max;		/* cap on len */
};

#define BUF_MAX_DEFAULT	((size_t)1 << 30)

void	buf_init(struct buf *b, size_t max);
void	buf_release(struct buf *b);
/* Empty the buffer, keeping its storage. */
void	buf_reset(struct buf *b);
/* Cut the buffer to len bytes (len <= b->len). */
void	buf_truncate(struct buf *b, size_t len);
int	buf_add(struct buf *b, const void *data, size_t len);
int	buf_addc(struct buf *b, char c);
int	buf_adds(struct buf *b, const char *s);
int	buf_addf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Make room for len more bytes without changing the contents. */
int	buf_reserve(struct buf *b, size_t len);
/*
 * Returns the data as a new heap string (free with free()) and leaves the
 * buffer empty; ret_len, when not NULL, receives the length.
 */
char	*buf_detach(struct buf *b, size_t *ret_len);

#endif
