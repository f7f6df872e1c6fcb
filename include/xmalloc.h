/*
 * xmalloc: allocation that cannot fail.
 *
 * A monitor that cannot allocate cannot report honestly either, so every
 * allocation in fimd goes through these wrappers, which call fatalx() on
 * exhaustion.  None of them ever returns NULL.  Memory is freed with free().
 */
#ifndef FIMD_XMALLOC_H
#define FIMD_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
/* Resize to nmemb * size bytes; fatal on overflow of the product. */
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
/* A new NUL-terminated copy of s. */
char	*xstrdup(const char *s);
/* A new copy of len bytes of s, NUL-terminated (s need not be). */
char	*xstrndup(const char *s, size_t len);
/* A new copy of len bytes. */
void	*xmemdup(const void *p, size_t len);
/* A new formatted string, as asprintf(3). */
char	*xasprintf(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
