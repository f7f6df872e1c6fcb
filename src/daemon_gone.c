/*
 * Deletions of directories held for their entries' probes (daemon_gone.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon_gone.h"
#include "daemon_out.h"
#include "daemon_rescan.h"
#include "xmalloc.h"

struct rt_gone_dir {
	char	*path;
	size_t	 len;
	struct procinfo proc;
	double	 first;
	bool	 still_open;
};

static void
gone_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	gone_flush(arg);
}

bool
gone_defer(struct daemon *d, const char *path, size_t len,
    const struct procinfo *proc, double first, bool still_open,
    gone_report_fn *report)
{
	struct daemon_realtime *rt = &d->rt;
	struct timeval tv = { .tv_sec = GONE_WAIT_MS / 1000,
	    .tv_usec = (GONE_WAIT_MS % 1000) * 1000 };
	struct rt_gone_dir *g;

	if (d->stopping || rt->ngone >= GONE_MAX ||
	    pending_count(d->pending) <= 1)
		return false;
	if (rt->gone_ev == NULL)
		rt->gone_ev = daemon_event(d, -1, 0, gone_wait_cb, d, NULL);
	if (rt->ngone == 0 && evtimer_add(rt->gone_ev, &tv) < 0)
		return false;
	if (rt->ngone % 64 == 0)
		rt->gone = xreallocarray(rt->gone, rt->ngone + 64,
		    sizeof(*rt->gone));
	g = &rt->gone[rt->ngone++];
	g->path = xstrndup(path, len);
	g->len = len;
	procinfo_init(&g->proc);
	if (proc != NULL)
		procinfo_copy(&g->proc, proc);
	g->first = first;
	g->still_open = still_open;
	rt->gone_report = report;
	return true;
}

void
gone_flush(struct daemon *d)
{
	struct rt_gone_dir *v = d->rt.gone;
	size_t n = d->rt.ngone, i;
	gone_report_fn *report = d->rt.gone_report;
	struct stat st;

	/* Taken first: a report may hold new directories meanwhile. */
	d->rt.gone = NULL;
	d->rt.ngone = 0;
	if (d->rt.gone_ev != NULL)
		evtimer_del(d->rt.gone_ev);
	for (i = 0; i < n; i++) {
		/*
		 * Made again meanwhile, or too long a name for lstat to
		 * tell: a rescan judges the name.
		 */
		if (lstat(v[i].path, &st) == 0 ||
		    (errno != ENOENT && errno != ENOTDIR))
			rescan_enqueue(d, v[i].path, v[i].len, NULL, 0,
			    "a deleted directory came back");
		else
			report(d, v[i].path, v[i].len,
			    v[i].proc.pid != 0 ? &v[i].proc : NULL,
			    v[i].first, v[i].still_open);
		procinfo_release(&v[i].proc);
		free(v[i].path);
	}
	free(v);
}

bool
gone_held(const struct daemon *d)
{
	return d->rt.ngone > 0;
}

void
gone_close(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->rt.ngone; i++) {
		procinfo_release(&d->rt.gone[i].proc);
		free(d->rt.gone[i].path);
	}
	free(d->rt.gone);
	d->rt.gone = NULL;
	d->rt.ngone = 0;
	daemon_event_free(&d->rt.gone_ev);
}
