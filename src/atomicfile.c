/*
 * Atomic replacement of a file: temporary in the same directory, fsync,
 * rename over the target, fsync of the directory.
 *
 * The temporary's name carries the writer's pid so that a later open can
 * tell a live writer's temporary (left alone) from a dead one's (removed).
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xmalloc.h"

#define TMP_TRIES	16

/* Split path into a directory (new string, "." when none) and a base. */
static char *
split_dir(const char *path, const char **ret_base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*ret_base = path;
		return xstrdup(".");
	}
	*ret_base = slash + 1;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static uint64_t
random_u64(void)
{
	static uint64_t counter;
	uint64_t v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
	    ((uint64_t)getpid() << 40) ^ ++counter;
}

/*
 * If name is ".<base>.tmp.<pid>.<hex>", return the pid, else 0.
 */
static pid_t
tmp_owner(const char *name, const char *base)
{
	size_t blen = strlen(base);
	const char *p;
	char *end;
	long pid;

	if (name[0] != '.' || strncmp(name + 1, base, blen) != 0 ||
	    strncmp(name + 1 + blen, ".tmp.", 5) != 0)
		return 0;
	p = name + 1 + blen + 5;
	if (*p < '1' || *p > '9')
		return 0;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno != 0 || *end != '.' || pid <= 0 || pid > INT32_MAX ||
	    end[1] == '\0')
		return 0;
	for (p = end + 1; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	}
	return (pid_t)pid;
}

/*
 * Whether pid still runs.  A killed writer whose parent has not reaped it
 * yet is a zombie: kill(2) still finds it, but it will never write again.
 */
static bool
pid_alive(pid_t pid)
{
	char path[64], buf[512];
	const char *state;
	ssize_t n;
	int fd;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, the state follows
	 * the last parenthesis. */
	if ((state = strrchr(buf, ')')) == NULL || state[1] != ' ')
		return true;
	return state[2] != 'Z' && state[2] != 'X';
}

/* Remove temporaries for base in dir whose writer is gone. */
static void
remove_stale(const char *dir, const char *base)
{
	DIR *d;
	struct dirent *de;
	pid_t pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = tmp_owner(de->d_name, base)) == 0)
			continue;
		if (pid == getpid())
			continue;	/* another atomicfile of ours */
		if (pid_alive(pid))
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

int
atomicfile_open(struct atomicfile *af, const char *path, mode_t mode)
{
	const char *base;
	char *dir;
	int i, fd = -1, r = -EEXIST;

	af->path = NULL;
	af->tmppath = NULL;
	af->fd = -1;
	dir = split_dir(path, &base);
	if (*base == '\0') {
		free(dir);
		return -EISDIR;
	}
	remove_stale(dir, base);
	for (i = 0; i < TMP_TRIES; i++) {
		free(af->tmppath);
		af->tmppath = xasprintf("%s/.%s.tmp.%ld.%016" PRIx64, dir,
		    base, (long)getpid(), random_u64());
		fd = open(af->tmppath, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0)
			break;
		r = -errno;
		if (r != -EEXIST)
			break;
	}
	free(dir);
	if (fd < 0) {
		free(af->tmppath);
		af->tmppath = NULL;
		return r;
	}
	/* The umask must not loosen or tighten what the caller asked. */
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		close(fd);
		(void)unlink(af->tmppath);
		free(af->tmppath);
		af->tmppath = NULL;
		return r;
	}
	af->fd = fd;
	af->path = xstrdup(path);
	return 0;
}

static int
fsync_dir(const char *path)
{
	const char *base;
	char *dir = split_dir(path, &base);
	int fd, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		r = -errno;
	close(fd);
	return r;
}

int
atomicfile_commit(struct atomicfile *af)
{
	int r = 0;

	if (af->tmppath == NULL || af->fd < 0)
		return -EBADF;
	if (fsync(af->fd) < 0)
		r = -errno;
	if (close(af->fd) < 0 && r == 0)
		r = -errno;
	af->fd = -1;
	if (r == 0 && rename(af->tmppath, af->path) < 0)
		r = -errno;
	if (r < 0) {
		atomicfile_rollback(af);
		return r;
	}
	free(af->tmppath);
	af->tmppath = NULL;
	/* The rename is done; a failed directory fsync is still reported. */
	r = fsync_dir(af->path);
	free(af->path);
	af->path = NULL;
	return r;
}

void
atomicfile_rollback(struct atomicfile *af)
{
	/* A zeroed, never opened struct has fd 0: only close what we made. */
	if (af->tmppath != NULL) {
		if (af->fd >= 0)
			close(af->fd);
		(void)unlink(af->tmppath);
	}
	af->fd = -1;
	free(af->tmppath);
	af->tmppath = NULL;
	free(af->path);
	af->path = NULL;
}
