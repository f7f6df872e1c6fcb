/*
 * The file sink, and the operations every sink shares.
 *
 * Each line goes out in one write(2) on an O_APPEND descriptor, so lines
 * from one writer never interleave with another's and a reader never sees
 * half a line unless the disk filled up.  A write that the disk cut short
 * is taken back (file_untear), so the file ends at its last whole line
 * when the line is tried again.  Rotation is logrotate's
 * "create": the old file is renamed, a new one made, and fimd told to
 * reopen, which opens the path anew; nothing written before the reopen is
 * lost because it went to the renamed file.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "sink.h"
#include "xmalloc.h"

#define SINK_FILE_MODE	0640
#define SINK_FILE_GROUP	"adm"	/* Debian's group for reading logs */
#define SINK_OPEN_FLAGS	(O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | \
	O_NOFOLLOW | O_NONBLOCK)

struct file_sink {
	char	*path;		/* NULL: standard output */
	int	 fd;
	/* The file ends in part of a line: a newline goes before the next. */
	bool	 torn;
};

/* Whether fd, a file that is not empty, ends without a newline. */
static bool
file_ends_torn(int fd)
{
	struct stat st;
	char last;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return false;
	return pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n';
}

/*
 * A file fimd creates gets the mode and group fimd.alerts(5) promises
 * whatever the umask (systemd's UMask=0077 would make it 0600) and the
 * creator's group: 0640, group adm when there is one and fimd may give
 * it (else the group stays).  A file that exists keeps what it has.
 */
static int
file_set_owner(int fd)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (fchmod(fd, SINK_FILE_MODE) < 0)
		return -errno;
	if (getgrnam_r(SINK_FILE_GROUP, &gr, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && res->gr_gid != getegid())
		(void)!fchown(fd, (uid_t)-1, res->gr_gid);
	return 0;
}

/*
 * Open the existing file, else create it exclusively, so that only a file
 * made here has its mode and group set; a file another process creates
 * in between is opened as an existing one.
 */
static int
file_open_or_create(const char *path)
{
	int fd, r, tries;

	for (tries = 0; tries < 8; tries++) {
		if ((fd = open(path, SINK_OPEN_FLAGS)) >= 0 || errno != ENOENT)
			return fd;
		fd = open(path, SINK_OPEN_FLAGS | O_CREAT | O_EXCL,
		    SINK_FILE_MODE);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -1;
		if ((r = file_set_owner(fd)) < 0) {
			close(fd);
			errno = -r;
			return -1;
		}
		return fd;
	}
	errno = EEXIST;
	return -1;
}

/*
 * The alert file's directory may be writable by others than root: a
 * symlink planted at the path must not send alerts into its target, and
 * a FIFO must not hang the daemon.  So: never follow, never block, and
 * write only into a regular file.
 */
static int
file_open_path(const char *path)
{
	struct stat st;
	int fd, err;

	fd = file_open_or_create(path);
	if (fd < 0)
		return errno == ENXIO || errno == EWOULDBLOCK ? -ENXIO :
		    -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = errno;
		close(fd);
		return S_ISREG(st.st_mode) ? -err : -ENXIO;
	}
	if (fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

const char *
sink_strerror(int err)
{
	switch (-err) {
	case ELOOP:
		return "a symbolic link is there, and it is not followed";
	case ENXIO:
		return "it is not a regular file (a FIFO, socket or device is "
		    "there), refused";
	default:
		return strerror(-err);
	}
}

/*
 * A write that failed after the kernel took done bytes of the line (the
 * disk filled up part-way) left the start of the line at the end of the
 * file; the caller tries the line again later, whole.  Take the start
 * back: truncate to the size before the write, but only when the file
 * grew by exactly done bytes since, so that nothing another writer
 * appended is cut.  When that cannot be done (an append-only file,
 * another writer, a pipe, ftruncate failing), the torn start is ended
 * with a newline before the next line, so it stands as a line of its
 * own and the line after it parses; fimd --verify knows such a line by
 * the whole line that follows it.
 */
static void
file_untear(struct file_sink *fs, off_t before, size_t done)
{
	struct stat st;

	if (done == 0)
		return;
	if (before >= 0 && fstat(fs->fd, &st) == 0 &&
	    st.st_size == before + (off_t)done &&
	    ftruncate(fs->fd, before) == 0)
		return;
	fs->torn = true;
}

static int
file_write(struct sink *s, const char *line, size_t len)
{
	struct file_sink *fs = s->priv;
	struct stat st;
	off_t before = -1;
	size_t done;
	int r;

	if (fs->torn) {
		if ((r = fileio_write_all(fs->fd, "\n", 1)) < 0)
			return r;
		fs->torn = false;
	}
	if (fstat(fs->fd, &st) == 0 && S_ISREG(st.st_mode))
		before = st.st_size;
	/* One write(2) for the line, so readers never see half of it. */
	if ((r = fileio_write_counted(fs->fd, line, len, &done)) < 0)
		file_untear(fs, before, done);
	return r;
}

static int
file_reopen(struct sink *s)
{
	struct file_sink *fs = s->priv;
	int fd;

	if (fs->path == NULL)
		return 0;
	/* Keep writing the old file if the new one cannot be opened. */
	if ((fd = file_open_path(fs->path)) < 0)
		return fd;
	/* The old file's torn line ends there; the new one may have its own. */
	if (fs->torn)
		(void)fileio_write_all(fs->fd, "\n", 1);
	close(fs->fd);
	fs->fd = fd;
	fs->torn = file_ends_torn(fd);
	return 0;
}

static void
file_close(struct sink *s)
{
	struct file_sink *fs = s->priv;

	if (fs->path != NULL)
		close(fs->fd);
	free(fs->path);
	free(fs);
}

static const struct sink_ops file_ops = {
	.name = "file",
	.write_line = file_write,
	.reopen = file_reopen,
	.close = file_close,
};

int
sink_file_open(const char *path, struct sink **ret)
{
	struct file_sink *fs;
	struct sink *s;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDOUT_FILENO;
	else if ((fd = file_open_path(path)) < 0)
		return fd;
	fs = xcalloc(1, sizeof(*fs));
	fs->path = strcmp(path, "-") == 0 ? NULL : xstrdup(path);
	fs->fd = fd;
	/* A run before may have been stopped while a line was torn. */
	fs->torn = fs->path != NULL && file_ends_torn(fd);
	s = xcalloc(1, sizeof(*s));
	s->ops = &file_ops;
	s->priv = fs;
	*ret = s;
	return 0;
}

int
sink_file_identity(const struct sink *s, dev_t *ret_dev, ino_t *ret_ino)
{
	const struct file_sink *fs;
	struct stat st;

	if (s == NULL || s->ops != &file_ops)
		return -ENOENT;
	fs = s->priv;
	if (fs->path == NULL)
		return -ENOENT;
	if (fstat(fs->fd, &st) < 0)
		return -errno;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

int
sink_write(struct sink *s, const char *line, size_t len)
{
	return s->ops->write_line(s, line, len);
}

int
sink_reopen(struct sink *s)
{
	return s->ops->reopen(s);
}

void
sink_free(struct sink *s)
{
	if (s == NULL)
		return;
	s->ops->close(s);
	free(s);
}
