/* procinfo: who made a change; see procinfo.h. */
#include <stdlib.h>

#include "procinfo.h"
#include "xmalloc.h"

void
procinfo_init(struct procinfo *p)
{
	p->pid = 0;
	p->name = NULL;
	p->executable = NULL;
	p->ppid = 0;
	p->have_uid = false;
	p->uid = 0;
	p->user_name = NULL;
	p->have_loginuid = false;
	p->loginuid = 0;
	p->login_name = NULL;
}

/* Leaves p initialised, so releasing twice is harmless. */
void
procinfo_release(struct procinfo *p)
{
	free(p->name);
	free(p->executable);
	free(p->user_name);
	free(p->login_name);
	procinfo_init(p);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* dst is overwritten, not released (as record_copy). */
void
procinfo_copy(struct procinfo *dst, const struct procinfo *src)
{
	if (dst == src)
		return;
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->executable = dup_or_null(src->executable);
	dst->user_name = dup_or_null(src->user_name);
	dst->login_name = dup_or_null(src->login_name);
}
