/* The bounded FIFO of unwritten alert lines (spool.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spool.h"
#include "xmalloc.h"

struct spooled {
	struct spooled *next;
	uint64_t seq;
	size_t	 len;
	char	 line[];
};

struct spool {
	struct spooled *head, *tail;
	size_t	 count, bytes, max_bytes;
};

struct spool *
spool_new(size_t max_bytes)
{
	struct spool *s = xcalloc(1, sizeof(*s));

	s->max_bytes = max_bytes;
	return s;
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	while (s->head != NULL)
		spool_pop(s);
	free(s);
}

int
spool_push(struct spool *s, uint64_t seq, const char *line, size_t len)
{
	struct spooled *e;

	if (len > s->max_bytes || s->bytes > s->max_bytes - len)
		return -ENOSPC;
	e = xmalloc(sizeof(*e) + len);
	e->next = NULL;
	e->seq = seq;
	e->len = len;
	memcpy(e->line, line, len);
	if (s->tail != NULL)
		s->tail->next = e;
	else
		s->head = e;
	s->tail = e;
	s->count++;
	s->bytes += len;
	return 0;
}

const char *
spool_peek(const struct spool *s, size_t *ret_len, uint64_t *ret_seq)
{
	if (s->head == NULL)
		return NULL;
	*ret_len = s->head->len;
	*ret_seq = s->head->seq;
	return s->head->line;
}

void
spool_pop(struct spool *s)
{
	struct spooled *e = s->head;

	if (e == NULL)
		return;
	s->head = e->next;
	if (s->head == NULL)
		s->tail = NULL;
	s->count--;
	s->bytes -= e->len;
	free(e);
}

size_t
spool_count(const struct spool *s)
{
	return s->count;
}

size_t
spool_bytes(const struct spool *s)
{
	return s->bytes;
}
