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
	p->ancestors = NULL;
	p->nancestors = 0;
}

/* Leaves p initialised, so releasing twice is harmless. */
void
procinfo_release(struct procinfo *p)
{
	size_t i;

	free(p->name);
	free(p->executable);
	free(p->user_name);
	free(p->login_name);
	for (i = 0; i < p->nancestors; i++) {
		free(p->ancestors[i].name);
		free(p->ancestors[i].executable);
	}
	free(p->ancestors);
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
	size_t i;

	if (dst == src)
		return;
	*dst = *src;
	dst->name = dup_or_null(src->name);
	dst->executable = dup_or_null(src->executable);
	dst->user_name = dup_or_null(src->user_name);
	dst->login_name = dup_or_null(src->login_name);
	dst->ancestors = NULL;
	if (src->nancestors > 0)
		dst->ancestors = xcalloc(src->nancestors,
		    sizeof(*dst->ancestors));
	for (i = 0; i < src->nancestors; i++) {
		dst->ancestors[i].pid = src->ancestors[i].pid;
		dst->ancestors[i].name = dup_or_null(src->ancestors[i].name);
		dst->ancestors[i].executable =
		    dup_or_null(src->ancestors[i].executable);
	}
}
