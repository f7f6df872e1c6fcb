/*
 * Decoding and applying the events of the fanotify backend
 * (watch_fanotify_int.h).
 *
 * A read buffer holds events of FAN_REPORT_DFID_NAME groups: metadata,
 * then records of a directory handle and a name (one, or the two sides
 * of a FAN_RENAME), then maybe a pidfd.  Each event's directory is named
 * through the handle maps, else once by open_by_handle_at (and then
 * remembered, inside or outside); what the event did to directories is
 * applied to the maps in event order (mkdir and move in: walk and learn;
 * rename: re-prefix; rmdir and move out: forget) before the event is
 * delivered, so later events of the same buffer resolve to the paths of
 * their time.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pathmap.h"
#include "watch_fanotify_int.h"
#include "xmalloc.h"

/* ---- naming directories ---- */

/*
 * Ask the kernel where the directory of rec is now; into out.  Returns
 * the directory, open (the caller closes it), or -errno: -ENOENT when
 * its filesystem is not reachable or it has no name any more.
 */
static int
open_by_handle(struct fan *f, const struct fan_rec *rec, struct buf *out)
{
	union {
		struct file_handle fh;
		char	 raw[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	char link[64], target[PATH_MAX];
	struct fan_fs *fs;
	ssize_t n;
	int mfd, fd;

	if ((fs = fan_find_fs(f, rec->key)) == NULL ||
	    (mfd = fan_mount_fd(fs)) < 0)
		return -ENOENT;
	h.fh.handle_bytes = rec->hbytes;
	h.fh.handle_type = rec->htype;
	memcpy(h.fh.f_handle, rec->handle, rec->hbytes);
	/* Not O_PATH: fanotify_mark refuses an O_PATH directory (EBADF). */
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target));
	buf_reset(out);
	if (n <= 0 || (size_t)n >= sizeof(target) || target[0] != '/' ||
	    ((size_t)n > 10 &&
	    memcmp(target + n - 10, " (deleted)", 10) == 0) ||
	    buf_add(out, target, (size_t)n) < 0) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/*
 * The full path of rec into out (the directory itself for "."), or
 * false when the directory lies outside every root or cannot be named.
 */
static bool
resolve(struct watch *w, const struct fan_rec *rec, struct buf *out)
{
	struct fan *f = w->be;
	struct fan_dir *d;
	char *dir;
	size_t dlen;
	int fd;
	bool self = rec->nlen == 1 && rec->name[0] == '.';

	if (!rec->ok || fan_outside_has(f, rec->key, rec->keylen))
		return false;
	if ((d = fan_dir_get(f, rec->key, rec->keylen)) != NULL) {
		if (watch_join(out, d->path, d->len, rec->name,
		    self ? 0 : rec->nlen) < 0)
			return false;
		return true;
	}
	if ((fd = open_by_handle(f, rec, out)) < 0)
		return false;
	if (!watch_in_root(w, out->data, out->len) &&
	    !watch_above_root(w, out->data, out->len)) {
		fan_ignore_dir(w, fd);
		close(fd);
		if (pathmap_count(f->outside) >= FAN_NEG_MAX)
			fan_outside_clear(f);
		fan_outside_add(f, rec->key, rec->keylen);
		return false;
	}
	close(fd);
	fan_dir_put(f, rec->key, rec->keylen, out->data, out->len);
	if (self)
		return true;
	dir = xstrndup(out->data, out->len);
	dlen = out->len;
	(void)watch_join(out, dir, dlen, rec->name, rec->nlen);
	free(dir);
	return true;
}

/* ---- decoding ---- */

static void
parse_fid(const char *p, size_t len, struct fan_rec *rec)
{
	uint32_t hbytes;
	int32_t htype;
	const char *name;

	memset(rec, 0, sizeof(*rec));
	/* header (4), fsid (8), handle_bytes (4), handle_type (4), bytes */
	if (len < 20)
		return;
	memcpy(&hbytes, p + 12, 4);
	memcpy(&htype, p + 16, 4);
	if (hbytes > MAX_HANDLE_SZ || 20 + (size_t)hbytes >= len)
		return;
	rec->hbytes = hbytes;
	rec->htype = htype;
	rec->handle = (const unsigned char *)p + 20;
	name = p + 20 + hbytes;
	rec->nlen = strnlen(name, len - 20 - hbytes);
	if (rec->nlen == len - 20 - hbytes)
		return;		/* not terminated: malformed */
	rec->name = name;
	rec->keylen = fan_make_key(rec->key, p + 4, htype, rec->handle, hbytes);
	rec->ok = true;
}

void
fan_parse_event(const char *raw, const struct fanotify_event_metadata *md,
    struct fan_event *e)
{
	const char *p = raw + md->metadata_len;
	const char *end = raw + md->event_len;
	uint16_t hlen;
	int32_t pidfd;

	memset(e, 0, sizeof(*e));
	e->mask = md->mask;
	e->pid = md->pid;
	e->pidfd = -1;
	while (p + 4 <= end) {
		memcpy(&hlen, p + 2, 2);
		if (hlen < 4 || hlen > end - p)
			break;
		switch ((unsigned char)p[0]) {
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
			parse_fid(p, hlen, &e->dfid);
			break;
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			parse_fid(p, hlen, &e->from);
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			parse_fid(p, hlen, &e->to);
			break;
		case FAN_EVENT_INFO_TYPE_PIDFD:
			if (hlen >= 8) {
				memcpy(&pidfd, p + 4, 4);
				e->pidfd = pidfd >= 0 ? pidfd : -1;
			}
			break;
		default:
			break;
		}
		p += hlen;
	}
}

static unsigned
wev_flags(uint64_t mask)
{
	unsigned fl = 0;

	if (mask & FAN_MODIFY)
		fl |= WEV_MODIFY;
	if (mask & FAN_CLOSE_WRITE)
		fl |= WEV_CLOSE_WRITE;
	if (mask & FAN_ATTRIB)
		fl |= WEV_ATTRIB;
	if (mask & FAN_CREATE)
		fl |= WEV_CREATE;
	if (mask & FAN_DELETE)
		fl |= WEV_DELETE;
	if (mask & FAN_MOVED_FROM)
		fl |= WEV_MOVED_FROM;
	if (mask & FAN_MOVED_TO)
		fl |= WEV_MOVED_TO;
	if (fl != 0 && (mask & FAN_ONDIR))
		fl |= WEV_ISDIR;
	return fl;
}

bool
fan_next_event(const char *buf, ssize_t n, ssize_t *off,
    struct fanotify_event_metadata *md, const char **ret_raw)
{
	if (n - *off < (ssize_t)FAN_EVENT_METADATA_LEN)
		return false;
	memcpy(md, buf + *off, sizeof(*md));
	if (md->event_len < FAN_EVENT_METADATA_LEN ||
	    md->metadata_len < FAN_EVENT_METADATA_LEN ||
	    md->metadata_len > md->event_len ||
	    (ssize_t)md->event_len > n - *off)
		return false;
	*ret_raw = buf + *off;
	*off += md->event_len;
	return true;
}

/* ---- applying events to the maps ---- */

static void
dir_appeared(struct watch *w, const char *path, size_t len)
{
	if (watch_in_root(w, path, len) && watch_want_dir(w, path, len))
		fan_walk(w, path, len);
	if (watch_above_root(w, path, len))
		watch_ancestor_changed(w, path, len);
}

static void
dir_went(struct watch *w, const char *path, size_t len, bool moved)
{
	/* Removed: it was empty.  Moved away: all below went with it. */
	if (moved)
		fan_forget_below(w->be, path, len);
	else
		fan_forget_one(w->be, path, len);
	if (watch_above_root(w, path, len))
		watch_ancestor_changed(w, path, len);
}

static void
dir_renamed(struct watch *w, const char *from, size_t flen, const char *to,
    size_t tlen)
{
	struct fan *f = w->be;

	if (watch_in_root(w, to, tlen) || watch_above_root(w, to, tlen)) {
		/* It may have been outside, and ignored, until now. */
		if (!watch_in_root(w, from, flen))
			fan_forget_outside(w);
		/* Known below the old name: re-prefix; new here: learn. */
		fan_reprefix(f, from, flen, to, tlen);
		if (!watch_in_root(w, from, flen) &&
		    watch_in_root(w, to, tlen) && watch_want_dir(w, to, tlen))
			fan_walk(w, to, tlen);
	} else
		fan_forget_below(f, from, flen);
	if (watch_above_root(w, from, flen))
		watch_ancestor_changed(w, from, flen);
	if (watch_above_root(w, to, tlen))
		watch_ancestor_changed(w, to, tlen);
}

static void
deliver(struct watch *w, unsigned flags, const struct fan_event *e,
    bool two, watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	struct watch_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.flags = flags;
	ev.path = f->a.data;
	ev.len = f->a.len;
	if (two) {
		ev.old_path = f->b.data;
		ev.old_len = f->b.len;
	}
	ev.pid = e->pid;
	ev.pidfd = e->pidfd;
	(void)watch_deliver(w, &ev, cb, arg);
}

void
fan_clear_sides(struct fan *f)
{
	size_t i;

	for (i = 0; i < f->nsides; i++)
		free(f->sides[i].name);
	f->nsides = 0;
}

static void
add_side(struct fan *f, const struct fan_rec *rec)
{
	struct fan_side *sd;

	if (f->nsides == f->sides_alloc) {
		f->sides_alloc = f->sides_alloc == 0 ? 16 : f->sides_alloc * 2;
		f->sides = xreallocarray(f->sides, f->sides_alloc,
		    sizeof(*f->sides));
	}
	sd = &f->sides[f->nsides++];
	memcpy(sd->key, rec->key, rec->keylen);
	sd->keylen = rec->keylen;
	sd->name = xstrndup(rec->name, rec->nlen);
	sd->nlen = rec->nlen;
	sd->used = false;
}

/*
 * FAN_RENAME comes with a MOVED_FROM and a MOVED_TO for the same move
 * (asked for because an ignore mark on either directory suppresses the
 * FAN_RENAME).  The renames of a read buffer are collected first, since
 * the kernel may have merged a MOVED_FROM into an earlier event of the
 * same name; each half is then taken out once.  which: 0 from, 1 to.
 */
void
fan_collect_renames(struct fan *f, const char *buf, ssize_t n)
{
	struct fanotify_event_metadata md;
	struct fan_event e;
	const char *raw;
	ssize_t off;

	fan_clear_sides(f);
	for (off = 0; fan_next_event(buf, n, &off, &md, &raw);) {
		if (md.vers != FANOTIFY_METADATA_VERSION ||
		    !(md.mask & FAN_RENAME) || md.pid == f->self)
			continue;
		fan_parse_event(raw, &md, &e);	/* the pidfd stays open */
		if (e.from.ok && e.to.ok) {
			add_side(f, &e.from);
			add_side(f, &e.to);
		}
	}
}

static bool
match_side(struct fan *f, const struct fan_rec *rec, size_t which)
{
	struct fan_side *sd;
	size_t i;

	if (!rec->ok)
		return false;
	for (i = which; i < f->nsides; i += 2) {
		sd = &f->sides[i];
		if (!sd->used && sd->keylen == rec->keylen &&
		    sd->nlen == rec->nlen &&
		    memcmp(sd->key, rec->key, rec->keylen) == 0 &&
		    memcmp(sd->name, rec->name, rec->nlen) == 0) {
			sd->used = true;
			return true;
		}
	}
	return false;
}

static void
handle_rename(struct watch *w, const struct fan_event *e,
    watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	bool isdir = e->mask & FAN_ONDIR;
	bool from, to;

	from = resolve(w, &e->from, &f->b);
	to = resolve(w, &e->to, &f->a);
	if (isdir && from && to)
		dir_renamed(w, f->b.data, f->b.len, f->a.data, f->a.len);
	else if (isdir && from)
		dir_went(w, f->b.data, f->b.len, true);
	else if (isdir && to) {
		fan_forget_outside(w);
		dir_appeared(w, f->a.data, f->a.len);
	}
	if (from && to)
		deliver(w, WEV_RENAME | (isdir ? WEV_ISDIR : 0), e, true, cb,
		    arg);
	else if (from) {
		buf_reset(&f->a);
		(void)buf_add(&f->a, f->b.data, f->b.len);
		deliver(w, WEV_MOVED_FROM | (isdir ? WEV_ISDIR : 0), e,
		    false, cb, arg);
	} else if (to)
		deliver(w, WEV_MOVED_TO | (isdir ? WEV_ISDIR : 0), e, false,
		    cb, arg);
}

void
fan_handle_event(struct watch *w, const struct fan_event *e,
    watch_event_fn *cb, void *arg)
{
	struct fan *f = w->be;
	uint64_t mask = e->mask;
	unsigned fl;

	if ((mask & FAN_RENAME) && e->from.ok && e->to.ok)
		handle_rename(w, e, cb, arg);
	/* The halves of a rename already delivered whole. */
	if ((mask & FAN_MOVED_FROM) && match_side(f, &e->dfid, 0))
		mask &= ~(uint64_t)FAN_MOVED_FROM;
	if ((mask & FAN_MOVED_TO) && match_side(f, &e->dfid, 1))
		mask &= ~(uint64_t)FAN_MOVED_TO;
	fl = wev_flags(mask);
	if ((fl == 0 && !(mask & FAN_OPEN_EXEC)) || !e->dfid.ok ||
	    !resolve(w, &e->dfid, &f->a))
		return;
	if ((mask & FAN_ONDIR) && !(e->dfid.nlen == 1 &&
	    e->dfid.name[0] == '.')) {
		if (mask & (FAN_CREATE | FAN_MOVED_TO)) {
			/* Moved in alone: its other side was ignored. */
			if (mask & FAN_MOVED_TO)
				fan_forget_outside(w);
			dir_appeared(w, f->a.data, f->a.len);
		}
		if (mask & (FAN_DELETE | FAN_MOVED_FROM))
			dir_went(w, f->a.data, f->a.len,
			    mask & FAN_MOVED_FROM);
	}
	if (fl != 0)
		deliver(w, fl, e, false, cb, arg);
	if (mask & FAN_OPEN_EXEC)
		deliver(w, WEV_EXEC, e, false, cb, arg);
}

