/*
 * watch_fanotify_int: what the rooms of the fanotify backend share.  Not
 * for anything outside the backend (tests of its rooms aside).
 *
 * The backend (design in watch_fanotify.c) is four files, one job each:
 *  - watch_fanotify.c: the ops (open, free, clear, read, stats), the
 *    queue budget and overflows;
 *  - watch_fanotify_map.c: the handle maps (directory handle to path,
 *    path to the same entry, handles known to be outside every root);
 *  - watch_fanotify_mark.c: filesystems and marks, the walk that maps a
 *    tree and marks the filesystems mounted in it, ignore marks, exec;
 *  - watch_fanotify_event.c: decoding a read buffer, pairing renames,
 *    naming each event's directory, applying the event to the maps and
 *    delivering it.
 *
 * Ownership: struct fan is the backend state behind struct watch's be
 * and owns everything it points to.  Each struct fan_dir is owned by the
 * map it was put in: dirs (shared with by_path, which borrows) or
 * outside; whoever takes one out of its map frees it.  Records and
 * events point into the read buffer and live until the next read.
 * Single-threaded, like the watch.
 */
#ifndef FIMD_WATCH_FANOTIFY_INT_H
#define FIMD_WATCH_FANOTIFY_INT_H

/*
 * Evictable ignore marks on directories outside the rules that sit on a
 * marked filesystem (their events are noise); flushed when this many
 * were added, so a storm across many directories cannot grow them.
 */
#define FAN_IGNORE_MAX	65536

#include <sys/types.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fanotify_compat.h"
#include "watch_int.h"

#define FAN_READ_BUF	(64 * 1024)
#define FAN_READS	4		/* reads per watch_read() */
#define FAN_NEG_MAX	65536		/* remembered outside handles */
#define FAN_KEY_MAX	(8 + 4 + MAX_HANDLE_SZ)
#define FAN_WALK_MAX	1000000		/* directories learned per walk */

#define FAN_BASE_MASK	(FAN_MODIFY | FAN_CLOSE_WRITE | FAN_ATTRIB | \
	    FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_ONDIR)

struct pathmap;
struct walk;

struct fan_fs {
	char	 fsid[8];
	char	*path;		/* a path on it, to open a mount fd */
	int	 mount_fd;	/* open during one watch_read() only */
};

struct fan_dir {
	char	 key[FAN_KEY_MAX];
	size_t	 keylen;
	char	*path;		/* NULL in the outside map */
	size_t	 len;
};

/* One DFID_NAME record, pointing into the read buffer. */
struct fan_rec {
	bool	 ok;
	char	 key[FAN_KEY_MAX];
	size_t	 keylen;
	int	 htype;
	unsigned hbytes;
	const unsigned char *handle;
	const char *name;
	size_t	 nlen;
};

/* One event of the read buffer, decoded. */
struct fan_event {
	uint64_t mask;
	pid_t	 pid;
	int	 pidfd;
	struct fan_rec dfid, from, to;
};

/* One side of a FAN_RENAME seen in the current read buffer. */
struct fan_side {
	char	 key[FAN_KEY_MAX];
	size_t	 keylen;
	char	*name;
	size_t	 nlen;
	bool	 used;		/* its MOVED_FROM or MOVED_TO was matched */
};

struct fan {
	struct fan_fs *fs;
	size_t	 nfs;
	struct fan_side *sides;	/* pairs: from, to */
	size_t	 nsides, sides_alloc;
	bool	 ignore_ok;	/* the kernel takes FAN_MARK_IGNORE */
	uint64_t ignored;	/* ignore marks added, <= FAN_IGNORE_MAX */
	struct pathmap *dirs;	/* key -> struct fan_dir, inside */
	struct pathmap *by_path; /* path -> the same struct fan_dir */
	struct pathmap *outside; /* key -> struct fan_dir, path NULL */
	uint64_t mask;
	bool	 exec;
	pid_t	 self;
	struct buf a, b;	/* scratch paths of one event */
	char	*rbuf;
	struct walk *walk;	/* of fan_walk */
};

/* ---- watch_fanotify_map.c ---- */

/* Empty maps for f; fan_maps_release frees them and every entry. */
void	fan_maps_init(struct fan *f);
void	fan_maps_release(struct fan *f);
/* Forget every entry of every map (and fan_outside_clear's). */
void	fan_maps_clear(struct fan *f);
/* Forget the handles known to be outside (the map only). */
void	fan_outside_clear(struct fan *f);
/* Whether the handle key is known to be outside every root. */
bool	fan_outside_has(const struct fan *f, const char *key, size_t keylen);
/* Remember the handle key as outside every root. */
void	fan_outside_add(struct fan *f, const char *key, size_t keylen);
/* The directory known under the handle key (borrowed), or NULL. */
struct fan_dir *fan_dir_get(const struct fan *f, const char *key,
	    size_t keylen);
/*
 * Map the handle key to path (copied).  Another directory known under
 * the same key or path is gone (events come in order: its removal or
 * move came first) and is dropped; the key is no longer outside.
 */
void	fan_dir_put(struct fan *f, const char *key, size_t keylen,
	    const char *path, size_t len);
/* The key of a handle: fsid (8 bytes), type (4), the handle bytes. */
size_t	fan_make_key(char *key, const char *fsid, int htype,
	    const void *handle, unsigned hbytes);
/* The handle key of the open directory dfd; 0 or -errno. */
int	fan_key_of_fd(int dfd, char *key, size_t *ret_len);
/* Map the open directory dfd, known as path (not when it has no handle). */
void	fan_learn_fd(struct fan *f, int dfd, const char *path, size_t len);
/* Map the directory at path (nothing when it cannot be opened). */
void	fan_learn(struct fan *f, const char *path, size_t len);
/* Forget the directories at or below path. */
void	fan_forget_below(struct fan *f, const char *path, size_t len);
/* Forget the directory at path alone. */
void	fan_forget_one(struct fan *f, const char *path, size_t len);
/* Directories at or below from are now at or below to. */
void	fan_reprefix(struct fan *f, const char *from, size_t flen,
	    const char *to, size_t tlen);

/* ---- watch_fanotify_mark.c ---- */

/* The filesystem with this fsid (8 bytes) among the marked, or NULL. */
struct fan_fs *fan_find_fs(struct fan *f, const char *fsid);
/*
 * Mark the filesystem of the open directory dfd, known as path (once per
 * fsid).  Returns 0, or -errno from the kernel after queueing a gap for
 * scope.
 */
int	fan_mark_fs(struct watch *w, int dfd, const char *path,
	    const char *scope, size_t slen);
/*
 * Map the directories of the tree at root (and mark the filesystems
 * mounted in it); what cannot be read or marked becomes a gap.
 */
void	fan_walk(struct watch *w, const char *root, size_t rlen);
/* The ops' add_root: mark root i's filesystem, map it and its parents. */
int	fan_add_root(struct watch *w, size_t i);
/* A descriptor on fs for open_by_handle_at, kept until the batch ends. */
int	fan_mount_fd(struct fan_fs *fs);
void	fan_close_mount_fds(struct fan *f);
/* Forget the marked filesystems (the kernel's marks are the caller's). */
void	fan_free_fs(struct fan *f);
/* Silence a directory outside every root in the kernel (best effort). */
void	fan_ignore_dir(struct watch *w, int dirfd);
/*
 * A directory may have come inside: forget what was known to be outside,
 * in the map and in the kernel (the ignore marks).
 */
void	fan_forget_outside(struct watch *w);
/* The ops' enable_exec; f->exec and the mask change only on success. */
int	fan_enable_exec(struct watch *w);

/* ---- watch_fanotify_event.c ---- */

/*
 * The event at *off of the n bytes read, its metadata copied out
 * (records need not be aligned, the metadata's mask is); *off moves past
 * it.  False at the end or at a malformed event.
 */
bool	fan_next_event(const char *buf, ssize_t n, ssize_t *off,
	    struct fanotify_event_metadata *md, const char **ret_raw);
/* Decode the records of the event at raw (pointers into raw). */
void	fan_parse_event(const char *raw,
	    const struct fanotify_event_metadata *md, struct fan_event *e);
/* Note the renames of a read buffer, to take their halves out. */
void	fan_collect_renames(struct fan *f, const char *buf, ssize_t n);
void	fan_clear_sides(struct fan *f);
/* Apply one event to the maps and deliver what it means through cb. */
void	fan_handle_event(struct watch *w, const struct fan_event *e,
	    watch_event_fn *cb, void *arg);

#endif
