/*
 * Exit records for proctrack (proctrack_int.h).
 *
 * A record names its sender by pid only and arrives on a socket of its
 * own, so it is given to a lifetime only on what the order of sending
 * proves.  The sender's fork went out before the record, its exit event
 * after it.  proctrack_read reads records before draining the connector,
 * so when a record is matched the sender's fork has been seen (unless the
 * sender is older than the tracker: then it held the pid before anything
 * in the history did).  The record was sent after after_ns (the socket
 * was seen empty then) and had arrived by before_ns, so the sender began
 * before before_ns and had not ended by after_ns.
 *
 * The record goes to the one lifetime of its pid that fits and has no
 * record yet.  Another lifetime that fits either ended after after_ns,
 * before the sender began, so the sender's fork came after after_ns; or
 * it began after the sender ended, so the sender's exit event came before
 * its fork.  Either way it is in the history only if the sender is too,
 * unless something hid the sender after after_ns: a connector overrun, a
 * pid the full history left out, a lifetime pushed out of its ring or
 * expired.  Then the record is dropped, as it is when two lifetimes fit.
 * A record that fits none yet (its sender older than the tracker, its
 * exit event still on the way) waits a little.
 *
 * A matched record is the truth about how the process ended: its comm
 * replaces what /proc said, an executable whose identity disagrees is
 * dropped, and one seen before under the record's identity, and still
 * there with it, is filled in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "clock.h"
#include "pathmap.h"
#include "proctrack_int.h"
#include "xmalloc.h"

#define RECORD_WAIT_NS	(2ULL * 1000000000ULL)
#define EXES_MAX	4096

struct exe_entry {
	uint64_t id[2];		/* device, inode: the map key */
	char	*path;
};

void
pt_exits_open(struct proctrack *p)
{
	uint64_t t = clock_mono_ns();
	int fd;

	if ((fd = taskstats_open()) < 0)
		return;
	p->ts = fd;
	/* Every record read from now on is sent after registering. */
	p->ts_empty_ns = t;
	p->exes = pathmap_new();
	p->stats.exit_records = true;
}

static bool
free_exe(const char *key, size_t len, void *value, void *arg)
{
	struct exe_entry *e = value;

	(void)key;
	(void)len;
	(void)arg;
	free(e->path);
	free(e);
	return true;
}

static void
exes_free(struct proctrack *p)
{
	if (p->exes == NULL)
		return;
	pathmap_foreach(p->exes, free_exe, NULL);
	pathmap_free(p->exes);
	p->exes = NULL;
}

void
pt_exits_close(struct proctrack *p)
{
	if (p->ts >= 0)
		close(p->ts);
	p->ts = -1;
	p->npend = 0;
	exes_free(p);
}

void
pt_exe_learn(struct proctrack *p, const struct lifetime *lt)
{
	uint64_t id[2] = { lt->exe_dev, lt->exe_ino };
	struct exe_entry *e;

	if (p->exes == NULL || lt->exe == NULL || !lt->have_exe_id)
		return;
	e = pathmap_get(p->exes, (const char *)id, sizeof(id));
	if (e != NULL) {
		if (strcmp(e->path, lt->exe) != 0) {
			free(e->path);
			e->path = xstrdup(lt->exe);
		}
		return;
	}
	/* Forget all rather than track age: the busy ones come back. */
	if (pathmap_count(p->exes) >= EXES_MAX) {
		exes_free(p);
		p->exes = pathmap_new();
	}
	e = xcalloc(1, sizeof(*e));
	e->id[0] = id[0];
	e->id[1] = id[1];
	e->path = xstrdup(lt->exe);
	pathmap_put(p->exes, (const char *)e->id, sizeof(e->id), e);
}

/* lt's executable from the record's identity, when known and still so. */
static void
exe_from_identity(struct proctrack *p, struct lifetime *lt,
    const struct taskstats_exit *x)
{
	uint64_t id[2] = { x->exe_dev, x->exe_ino };
	const struct exe_entry *e;
	struct stat st;

	e = pathmap_get(p->exes, (const char *)id, sizeof(id));
	if (e == NULL || stat(e->path, &st) < 0 ||
	    (uint64_t)st.st_dev != x->exe_dev ||
	    (uint64_t)st.st_ino != x->exe_ino)
		return;
	lt->exe = xstrdup(e->path);
	lt->have_exe_id = true;
	lt->exe_dev = x->exe_dev;
	lt->exe_ino = x->exe_ino;
}

static void
record_apply(struct proctrack *p, struct lifetime *lt,
    const struct taskstats_exit *x)
{
	bool same;

	lt->recorded = true;
	memcpy(lt->comm, x->comm, sizeof(lt->comm));
	same = x->have_exe && lt->have_exe_id && lt->exe_dev == x->exe_dev &&
	    lt->exe_ino == x->exe_ino;
	if (!same) {
		free(lt->exe);
		lt->exe = NULL;
		lt->have_exe_id = false;
		if (x->have_exe)
			exe_from_identity(p, lt, x);
	}
	/*
	 * The record gives the real uid only: an effective uid that differs
	 * (set-user-ID, or an image read too late) is no longer known.
	 */
	if (lt->have_uid && lt->uid != x->uid)
		lt->have_uid = false;
	p->stats.records++;
}

static void
pending_add(struct proctrack *p, const struct taskstats_exit *x,
    uint64_t before_ns)
{
	struct exit_record *r;

	if (p->npend == PENDING_RECORDS) {
		/* The oldest goes unmatched, which is as safe as lost. */
		memmove(&p->pend[0], &p->pend[1],
		    sizeof(p->pend[0]) * (p->npend - 1));
		p->npend--;
		p->stats.records_lost++;
	}
	r = &p->pend[p->npend++];
	r->x = *x;
	r->after_ns = p->ts_empty_ns;
	r->before_ns = before_ns;
}

void
pt_exits_read(struct proctrack *p)
{
	struct taskstats_exit x;
	uint64_t t;
	int r;

	if (p->ts < 0)
		return;
	for (;;) {
		/* Taken before the call: an empty answer holds from then. */
		t = clock_mono_ns();
		r = taskstats_recv(p->ts, &x);
		if (r == 1)
			pending_add(p, &x, clock_mono_ns());
		else if (r == -ENOBUFS)
			p->stats.records_lost++;
		else if (r == -EAGAIN) {
			p->ts_empty_ns = t;
			return;
		} else if (r < 0 && r != -EINTR)
			return;
	}
}

enum verdict { WAIT, MATCHED, DROP };

static enum verdict
match_one(struct proctrack *p, const struct exit_record *r)
{
	struct pid_history *h = pt_history_get(p, r->x.pid, false);
	struct lifetime *lt, *found = NULL;
	size_t i, n = 0;

	/*
	 * The sender may be hidden: lost with the connector's overrun, left
	 * out by the full history when this pid had none (so the pid's
	 * history is younger), pushed out of the ring or expired.
	 */
	if (p->lost_ns > r->after_ns || p->expired_ns > r->after_ns ||
	    (h != NULL && (h->dropped_ns > r->after_ns ||
	    (p->untracked_ns > r->after_ns && h->created_ns > r->after_ns))))
		return DROP;
	for (i = 0; h != NULL && i < h->n; i++) {
		lt = &h->v[i];
		if (lt->recorded || lt->start_ns >= r->before_ns ||
		    (lt->exit_ns != 0 && lt->exit_ns <= r->after_ns))
			continue;
		found = lt;
		n++;
	}
	if (n > 1)
		return DROP;	/* never guess */
	if (n == 0)
		return r->before_ns + RECORD_WAIT_NS < clock_mono_ns() ?
		    DROP : WAIT;
	record_apply(p, found, &r->x);
	return MATCHED;
}

void
pt_exits_match(struct proctrack *p)
{
	size_t i, kept = 0;

	for (i = 0; i < p->npend; i++) {
		switch (match_one(p, &p->pend[i])) {
		case WAIT:
			p->pend[kept++] = p->pend[i];
			break;
		case DROP:
			p->stats.records_dropped++;
			break;
		case MATCHED:
			break;
		}
	}
	p->npend = kept;
}
