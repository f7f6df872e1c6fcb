/*
 * watch_none: no kernel notification at all (--backend none).  The
 * daemon relies on its scheduled rescans; only the gaps it is told about
 * are ever delivered.
 */
#include <errno.h>

#include "watch.h"
#include "watch_int.h"

static int
none_open(struct watch *w, struct diag *diag)
{
	(void)diag;
	w->fd = -1;
	return 0;
}

static void
none_free(struct watch *w)
{
	(void)w;
}

static int
none_add_root(struct watch *w, size_t i)
{
	(void)w;
	(void)i;
	return 0;
}

static void
none_clear(struct watch *w)
{
	(void)w;
}

static int
none_enable_exec(struct watch *w)
{
	(void)w;
	return -EOPNOTSUPP;
}

static int
none_read(struct watch *w, watch_event_fn *cb, void *arg)
{
	(void)w;
	(void)cb;
	(void)arg;
	return 0;
}

static int
none_hold_ms(const struct watch *w)
{
	(void)w;
	return -1;
}

static void
none_flush(struct watch *w, watch_event_fn *cb, void *arg)
{
	(void)w;
	(void)cb;
	(void)arg;
}

static void
none_stats(const struct watch *w, struct watch_stats *ret)
{
	(void)w;
	(void)ret;
}

const struct watch_ops watch_none_ops = {
	.name = "none",
	.open = none_open,
	.free = none_free,
	.add_root = none_add_root,
	.clear = none_clear,
	.enable_exec = none_enable_exec,
	.read = none_read,
	.hold_ms = none_hold_ms,
	.flush = none_flush,
	.stats = none_stats,
};
