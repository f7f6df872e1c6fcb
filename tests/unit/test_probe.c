/*
 * probe: real files of every type in a temp dir on the root filesystem
 * (ext4 here): stat fields, link targets of any length, xattrs (user.*,
 * trusted.* on a symlink and a FIFO, POSIX ACLs, file capabilities),
 * chattr flags, special files never opened for reading (watched with
 * inotify), vanished and replaced files, and parents of long paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/magic.h>

#include "tlib.h"

#include "probe.h"

struct fixture {
	char	*dir;
	int	 dirfd;
	bool	 ext4;		/* birth times and extent flags expected */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct statfs sf;

	f->dir = tlib_mkdtemp("probe");
	f->dirfd = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0 || fstatfs(f->dirfd, &sf) < 0)
		return -1;
	f->ext4 = sf.f_type == EXT4_SUPER_MAGIC;
	if (!f->ext4)
		printf("NOTE: %s is not ext4: ext4-only checks skipped\n",
		    f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	close(f->dirfd);
	tlib_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static char *
path_in(const struct fixture *f, const char *name)
{
	return tlib_fmt("%s/%s", f->dir, name);
}

static void
write_in(const struct fixture *f, const char *name, const char *data)
{
	char *p = path_in(f, name);

	tlib_write(p, data, (size_t)-1);
	free(p);
}

/* What probe_stat filled agrees with lstat (or stat with PROBE_FOLLOW). */
static void
assert_stat_matches(const struct fixture *f, const char *name,
    unsigned flags, const struct record *r)
{
	struct stat st;

	assert_int_equal(fstatat(f->dirfd, name, &st,
	    (flags & PROBE_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(r->mode, st.st_mode);
	assert_int_equal(r->uid, st.st_uid);
	assert_int_equal(r->gid, st.st_gid);
	assert_int_equal(r->nlink, st.st_nlink);
	assert_int_equal(r->size, st.st_size);
	assert_int_equal(r->inode, st.st_ino);
	assert_int_equal(r->dev, st.st_dev);
	assert_int_equal(r->mtime.sec, st.st_mtim.tv_sec);
	assert_int_equal(r->mtime.nsec, st.st_mtim.tv_nsec);
	assert_int_equal(r->ctime.sec, st.st_ctim.tv_sec);
	assert_int_equal(r->ctime.nsec, st.st_ctim.tv_nsec);
	assert_int_equal(r->atime.sec, st.st_atim.tv_sec);
	assert_int_equal(r->atime.nsec, st.st_atim.tv_nsec);
	/* ext4 records birth times. */
	if (f->ext4) {
		assert_int_equal(r->known, RECORD_STAT_BITS);
		assert_true(r->btime.sec > 0);
	}
}

static const struct xattr *
find_xattr(const struct record *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nxattrs; i++) {
		if (strcmp(r->xattrs[i].name, name) == 0)
			return &r->xattrs[i];
	}
	return NULL;
}

/* The xattr is there with exactly the bytes the kernel returns. */
static void
assert_xattr_as_kernel(const struct record *r, const char *path,
    const char *name)
{
	const struct xattr *x = find_xattr(r, name);
	unsigned char want[4096];
	ssize_t n;

	if (x == NULL) {
		fail_msg("%s: no %s", path, name);
		return;
	}
	n = lgetxattr(path, name, want, sizeof(want));
	assert_true(n > 0);
	assert_int_equal(x->len, (size_t)n);
	assert_memory_equal(x->value, want, (size_t)n);
}

static void
assert_sorted(const struct record *r)
{
	size_t i;

	for (i = 1; i < r->nxattrs; i++)
		assert_true(strcmp(r->xattrs[i - 1].name, r->xattrs[i].name) <
		    0);
}

static void
test_regular(void **state)
{
	struct fixture *f = *state;
	struct record r;
	struct stat st, opened;
	char buf[64];
	attr_mask known;
	int fd, fl;

	write_in(f, "file", "contents\n");
	assert_int_equal(probe_stat(f->dirfd, "file", 0, &r), 0);
	assert_stat_matches(f, "file", 0, &r);
	assert_true(S_ISREG(r.mode));
	assert_int_equal(r.size, 9);
	assert_int_equal(r.known & ~ATTR_BIT(ATTR_BTIME),
	    RECORD_STAT_BITS & ~ATTR_BIT(ATTR_BTIME));

	/* Nothing beyond stat asked: nothing opened, nothing added. */
	assert_int_equal(probe_complete(f->dirfd, "file", 0,
	    ATTR_GROUP_STANDARD & ~ATTR_BIT(ATTR_HASH), &r, &fd, NULL), 0);
	assert_int_equal(fd, -1);
	known = r.known;

	/*
	 * Everything: an fd for hashing, O_NOATIME (root), still
	 * O_NONBLOCK (a regular file's reads ignore it), and its fstat.
	 */
	assert_int_equal(probe_complete(f->dirfd, "file", 0, ATTR_GROUP_ALL,
	    &r, &fd, &opened), 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_ino, r.inode);
	assert_int_equal(opened.st_ino, r.inode);
	assert_int_equal(opened.st_size, 9);
	fl = fcntl(fd, F_GETFL);
	assert_int_equal(fl & O_ACCMODE, O_RDONLY);
	assert_int_not_equal(fl & O_NONBLOCK, 0);
	assert_int_not_equal(fl & O_NOATIME, 0);
	assert_int_not_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 9);
	assert_memory_equal(buf, "contents\n", 9);
	close(fd);
	/* ALL leaves atime out, so it stays unknown. */
	assert_int_equal(r.known, known |
	    ATTR_BIT(ATTR_XATTRS) | ATTR_BIT(ATTR_FLAGS));
	assert_null(r.link_target);
	/* ext4 files use extents. */
	if (f->ext4)
		assert_int_not_equal(r.flags & FS_EXTENT_FL, 0);
	record_release(&r);
}

static void
test_modes(void **state)
{
	static const struct {
		const char *name;
		bool	 dir;
		mode_t	 mode;
	} cases[] = {
		{ "suid", false, 04755 },
		{ "sgid", false, 02711 },
		{ "none", false, 0 },
		{ "all", false, 07777 },
		{ "sticky", true, 01777 },
		{ "sgiddir", true, 02750 },
	};
	struct fixture *f = *state;
	struct record r;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].dir)
			assert_int_equal(mkdirat(f->dirfd, cases[i].name,
			    0700), 0);
		else
			write_in(f, cases[i].name, "x");
		assert_int_equal(fchmodat(f->dirfd, cases[i].name,
		    cases[i].mode, 0), 0);
		assert_int_equal(probe_stat(f->dirfd, cases[i].name, 0, &r),
		    0);
		assert_int_equal(r.mode & 07777, cases[i].mode);
		assert_int_equal(S_ISDIR(r.mode), cases[i].dir);
		/* Mode 0000 does not stop root from hashing; others get
		 * EACCES, which the caller reports as unreadable. */
		if (!tlib_is_root() && !(cases[i].mode & S_IRUSR)) {
			assert_int_equal(probe_complete(f->dirfd,
			    cases[i].name, 0, ATTR_GROUP_ALL, &r, &fd, NULL),
			    -EACCES);
			record_release(&r);
			continue;
		}
		assert_int_equal(probe_complete(f->dirfd, cases[i].name, 0,
		    ATTR_GROUP_ALL, &r, &fd, NULL), 0);
		assert_int_equal(fd >= 0, !cases[i].dir);
		if (fd >= 0)
			close(fd);
		record_release(&r);
	}
}

static void
test_symlink_long_target(void **state)
{
	static const size_t lens[] = { 1, 255, 256, 257, 1000, 4095 };
	struct fixture *f = *state;
	struct record r;
	char target[4096];
	size_t i, k;
	int fd;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (k = 0; k < lens[i]; k++)
			target[k] = "ab/\ncd\xff"[k % 7];
		target[lens[i]] = '\0';
		(void)unlinkat(f->dirfd, "link", 0);
		assert_int_equal(symlinkat(target, f->dirfd, "link"), 0);
		assert_int_equal(probe_stat(f->dirfd, "link", 0, &r), 0);
		assert_stat_matches(f, "link", 0, &r);
		assert_true(S_ISLNK(r.mode));
		assert_int_equal(r.size, lens[i]);
		assert_int_equal(probe_complete(f->dirfd, "link", 0,
		    ATTR_GROUP_ALL, &r, &fd, NULL), 0);
		assert_int_equal(fd, -1);	/* symlinks are not hashed */
		assert_non_null(r.link_target);
		assert_int_equal(strlen(r.link_target), lens[i]);
		assert_string_equal(r.link_target, target);
		assert_true(r.known & ATTR_BIT(ATTR_LINK_TARGET));
		assert_true(r.known & ATTR_BIT(ATTR_XATTRS));
		assert_true(r.known & ATTR_BIT(ATTR_FLAGS));
		record_release(&r);
	}
}

/* xattrs of the symlink itself, read through its O_PATH descriptor. */
static void
test_symlink_xattr(void **state)
{
	struct fixture *f = *state;
	struct record r;
	char *p;
	int fd;

	tlib_require_root("trusted.* xattr on a symlink");
	write_in(f, "target", "t");
	p = path_in(f, "target");
	assert_int_equal(setxattr(p, "user.t", "file", 4, 0), 0);
	free(p);
	assert_int_equal(symlinkat("target", f->dirfd, "slink"), 0);
	p = path_in(f, "slink");
	assert_int_equal(lsetxattr(p, "trusted.fimd", "\x00\x01", 2, 0), 0);
	assert_int_equal(probe_stat(f->dirfd, "slink", 0, &r), 0);
	assert_int_equal(probe_complete(f->dirfd, "slink", 0,
	    ATTR_BIT(ATTR_XATTRS), &r, &fd, NULL), 0);
	assert_int_equal(fd, -1);
	assert_non_null(find_xattr(&r, "trusted.fimd"));
	assert_xattr_as_kernel(&r, p, "trusted.fimd");
	assert_null(find_xattr(&r, "user.t"));	/* not the target's */
	record_release(&r);
	free(p);
}

/* PROBE_FOLLOW describes and opens the target. */
static void
test_follow(void **state)
{
	struct fixture *f = *state;
	struct record r;
	struct stat st;
	int fd;

	write_in(f, "ftarget", "followed");
	assert_int_equal(symlinkat("ftarget", f->dirfd, "flink"), 0);
	assert_int_equal(probe_stat(f->dirfd, "flink", PROBE_FOLLOW, &r), 0);
	assert_stat_matches(f, "flink", PROBE_FOLLOW, &r);
	assert_true(S_ISREG(r.mode));
	assert_int_equal(probe_complete(f->dirfd, "flink", PROBE_FOLLOW,
	    ATTR_GROUP_ALL, &r, &fd, NULL), 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_ino, r.inode);
	assert_null(r.link_target);
	close(fd);
	record_release(&r);

	/* Without PROBE_FOLLOW the same name is the link. */
	assert_int_equal(probe_stat(f->dirfd, "flink", 0, &r), 0);
	assert_true(S_ISLNK(r.mode));
	record_release(&r);

	assert_int_equal(symlinkat("nowhere", f->dirfd, "dangling"), 0);
	assert_int_equal(probe_stat(f->dirfd, "dangling", PROBE_FOLLOW, &r),
	    -ENOENT);
	assert_int_equal(probe_stat(f->dirfd, "dangling", 0, &r), 0);
	record_release(&r);
}

/*
 * Run probe_complete(want = everything, NULL) in a child that an alarm kills,
 * with inotify watching the file for any open that is not O_PATH.
 * Returns the number of inotify events seen.
 */
static int
probe_special_watched(const struct fixture *f, const char *name,
    attr_mask extra_known)
{
	char *p = path_in(f, name), buf[4096];
	struct record r;
	pid_t pid;
	ssize_t n;
	int in, st, fd, events = 0;
	double t0;

	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, p, IN_OPEN | IN_ACCESS |
	    IN_CLOSE_NOWRITE | IN_CLOSE_WRITE | IN_MODIFY) >= 0);
	t0 = tlib_now();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(5);
		if (probe_stat(f->dirfd, name, 0, &r) < 0)
			_exit(10);
		if (probe_complete(f->dirfd, name, 0, ATTR_GROUP_ALL, &r,
		    &fd, NULL) < 0)
			_exit(11);
		if (fd != -1)
			_exit(12);
		if ((r.known & extra_known) != extra_known)
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("%s: probe killed by signal %d (blocked?)", name,
		    WTERMSIG(st));
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("%s: child step %d failed", name, WEXITSTATUS(st));
	assert_true(tlib_now() - t0 < 2.0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		events++;
	close(in);
	free(p);
	return events;
}

static void
test_fifo_not_opened(void **state)
{
	struct fixture *f = *state;
	struct record r;
	char *p;
	int fd;

	assert_int_equal(mkfifoat(f->dirfd, "fifo", 0644), 0);
	p = path_in(f, "fifo");
	if (tlib_is_root())
		assert_int_equal(setxattr(p, "trusted.fifo", "v", 1, 0), 0);
	assert_int_equal(probe_special_watched(f, "fifo",
	    ATTR_BIT(ATTR_XATTRS) | ATTR_BIT(ATTR_FLAGS)), 0);
	/* The trusted xattr is read through the O_PATH fd. */
	assert_int_equal(probe_stat(f->dirfd, "fifo", 0, &r), 0);
	assert_true(S_ISFIFO(r.mode));
	assert_int_equal(probe_complete(f->dirfd, "fifo", 0, ATTR_GROUP_ALL,
	    &r, &fd, NULL), 0);
	if (tlib_is_root())
		assert_xattr_as_kernel(&r, p, "trusted.fifo");
	record_release(&r);
	free(p);
}

static void
test_chardev_not_opened(void **state)
{
	struct fixture *f = *state;
	struct record r;

	tlib_require_root("mknod");
	/* A private node for /dev/null, so no other process touches it. */
	assert_int_equal(mknodat(f->dirfd, "null", S_IFCHR | 0666,
	    makedev(1, 3)), 0);
	assert_int_equal(probe_special_watched(f, "null",
	    ATTR_BIT(ATTR_XATTRS) | ATTR_BIT(ATTR_FLAGS)), 0);
	assert_int_equal(probe_stat(f->dirfd, "null", 0, &r), 0);
	assert_true(S_ISCHR(r.mode));
	record_release(&r);
	/* And the real one. */
	assert_int_equal(probe_stat(AT_FDCWD, "/dev/null", 0, &r), 0);
	assert_true(S_ISCHR(r.mode));
	record_release(&r);
}

static void
test_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct record r;
	char *p = path_in(f, "sock");
	int s;

	if (strlen(p) >= sizeof(sa.sun_path))
		skip();
	memcpy(sa.sun_path, p, strlen(p) + 1);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(probe_special_watched(f, "sock",
	    ATTR_BIT(ATTR_XATTRS) | ATTR_BIT(ATTR_FLAGS)), 0);
	assert_int_equal(probe_stat(f->dirfd, "sock", 0, &r), 0);
	assert_true(S_ISSOCK(r.mode));
	assert_stat_matches(f, "sock", 0, &r);
	record_release(&r);
	close(s);
	free(p);
}

static void
test_directory(void **state)
{
	struct fixture *f = *state;
	struct record r;
	int fd;
	char *p;

	assert_int_equal(mkdirat(f->dirfd, "dir", 0755), 0);
	p = path_in(f, "dir");
	assert_int_equal(setxattr(p, "user.dir", "d", 1, 0), 0);
	assert_int_equal(probe_stat(f->dirfd, "dir", 0, &r), 0);
	assert_stat_matches(f, "dir", 0, &r);
	assert_true(S_ISDIR(r.mode));
	assert_int_equal(probe_complete(f->dirfd, "dir", 0, ATTR_GROUP_ALL,
	    &r, &fd, NULL), 0);
	assert_int_equal(fd, -1);	/* directories are never hashed */
	assert_xattr_as_kernel(&r, p, "user.dir");
	assert_true(r.known & ATTR_BIT(ATTR_FLAGS));
	if (f->ext4)
		assert_int_not_equal(r.flags & FS_EXTENT_FL, 0);
	record_release(&r);
	free(p);
}

static void
test_user_xattrs(void **state)
{
	static const struct {
		const char *name;
		const char *value;
		size_t	 len;
	} xs[] = {
		{ "user.z", "last", 4 },
		{ "user.bin", "\x00\xff\x00\n", 4 },
		{ "user.empty", "", 0 },
		{ "user.a", "first", 5 },
	};
	struct fixture *f = *state;
	struct record r;
	char big[3000];
	size_t i;
	int fd;
	char *p;

	write_in(f, "xf", "x");
	p = path_in(f, "xf");
	for (i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		assert_int_equal(setxattr(p, xs[i].name, xs[i].value,
		    xs[i].len, 0), 0);
	memset(big, 'v', sizeof(big));	/* over the first value buffer */
	assert_int_equal(setxattr(p, "user.big", big, sizeof(big), 0), 0);
	assert_int_equal(probe_stat(f->dirfd, "xf", 0, &r), 0);
	assert_int_equal(probe_complete(f->dirfd, "xf", 0,
	    ATTR_BIT(ATTR_XATTRS), &r, &fd, NULL), 0);
	assert_int_equal(fd, -1);	/* hash not asked */
	assert_sorted(&r);
	for (i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		const struct xattr *x = find_xattr(&r, xs[i].name);

		if (x == NULL) {
			fail_msg("no %s", xs[i].name);
			return;
		}
		assert_int_equal(x->len, xs[i].len);
		assert_memory_equal(x->value, xs[i].value, xs[i].len);
	}
	assert_xattr_as_kernel(&r, p, "user.big");
	assert_int_equal(r.nxattrs, 5);
	assert_false(r.known & ATTR_BIT(ATTR_FLAGS));
	record_release(&r);

	free(p);

	/* Many names: over the first list buffer (one ext4 block holds all). */
	write_in(f, "xmany", "x");
	p = path_in(f, "xmany");
	for (i = 0; i < 30; i++) {
		char name[64];

		snprintf(name, sizeof(name), "user.long_name_%030zu", i);
		assert_int_equal(setxattr(p, name, "1", 1, 0), 0);
	}
	assert_int_equal(probe_stat(f->dirfd, "xmany", 0, &r), 0);
	assert_int_equal(probe_complete(f->dirfd, "xmany", 0,
	    ATTR_BIT(ATTR_XATTRS), &r, &fd, NULL), 0);
	assert_int_equal(r.nxattrs, 30);
	assert_sorted(&r);
	record_release(&r);
	free(p);
}

static void
test_acl(void **state)
{
	struct fixture *f = *state;
	struct record r;
	char *p, *d;
	int fd;

	write_in(f, "aclf", "a");
	assert_int_equal(mkdirat(f->dirfd, "acld", 0755), 0);
	p = path_in(f, "aclf");
	d = path_in(f, "acld");
	assert_int_equal(tlib_sh("setfacl -m u:nobody:r '%s' && "
	    "setfacl -d -m g:nogroup:rx '%s' && setfacl -m u:nobody:rwx '%s'",
	    p, d, d), 0);
	assert_int_equal(probe_stat(f->dirfd, "aclf", 0, &r), 0);
	assert_int_equal(probe_complete(f->dirfd, "aclf", 0,
	    ATTR_GROUP_PERMISSIONS, &r, &fd, NULL), 0);
	assert_xattr_as_kernel(&r, p, "system.posix_acl_access");
	assert_null(find_xattr(&r, "system.posix_acl_default"));
	record_release(&r);
	assert_int_equal(probe_stat(f->dirfd, "acld", 0, &r), 0);
	assert_int_equal(probe_complete(f->dirfd, "acld", 0,
	    ATTR_GROUP_PERMISSIONS, &r, &fd, NULL), 0);
	assert_xattr_as_kernel(&r, d, "system.posix_acl_access");
	assert_xattr_as_kernel(&r, d, "system.posix_acl_default");
	assert_sorted(&r);
	record_release(&r);
	free(p);
	free(d);
}

static void
test_chattr(void **state)
{
	static const struct {
		const char *name;
		bool	 dir;
		const char *attr;
		uint32_t flag;
	} cases[] = {
		{ "immut", false, "+i", FS_IMMUTABLE_FL },
		{ "append", false, "+a", FS_APPEND_FL },
		{ "immutdir", true, "+i", FS_IMMUTABLE_FL },
		{ "nodump", false, "+d", FS_NODUMP_FL },
	};
	struct fixture *f = *state;
	struct record r;
	size_t i;
	int fd;
	char *p;

	tlib_require_root("chattr +i");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = path_in(f, cases[i].name);
		if (cases[i].dir)
			assert_int_equal(mkdirat(f->dirfd, cases[i].name,
			    0755), 0);
		else
			tlib_write(p, "c", 1);
		assert_int_equal(tlib_sh("chattr %s '%s'", cases[i].attr,
		    p), 0);
		/* statx alone gives the immutable and append-only bits. */
		assert_int_equal(probe_stat(f->dirfd, cases[i].name, 0, &r),
		    0);
		assert_false(r.known & ATTR_BIT(ATTR_FLAGS));
		if (cases[i].flag & (FS_IMMUTABLE_FL | FS_APPEND_FL))
			assert_int_equal(r.flags, cases[i].flag);
		else
			assert_int_equal(r.flags, 0);
		assert_int_equal(probe_complete(f->dirfd, cases[i].name, 0,
		    ATTR_BIT(ATTR_FLAGS) | ATTR_BIT(ATTR_HASH), &r, &fd, NULL), 0);
		assert_true(r.known & ATTR_BIT(ATTR_FLAGS));
		assert_int_equal(r.flags & cases[i].flag, cases[i].flag);
		if (f->ext4)
			assert_int_not_equal(r.flags & FS_EXTENT_FL, 0);
		assert_int_equal(fd >= 0, !cases[i].dir);
		if (fd >= 0)
			close(fd);
		record_release(&r);
		(void)tlib_sh("chattr -i -a -d '%s'", p);
		free(p);
	}
}

static void
test_capability(void **state)
{
	struct fixture *f = *state;
	struct record r;
	char *p;
	int fd;

	tlib_require_root("setcap");
	p = path_in(f, "true");
	assert_int_equal(tlib_sh("cp /bin/true '%s' && "
	    "setcap cap_net_raw,cap_net_bind_service+ep '%s'", p, p), 0);
	assert_int_equal(probe_stat(f->dirfd, "true", 0, &r), 0);
	assert_int_equal(probe_complete(f->dirfd, "true", 0, ATTR_GROUP_ALL,
	    &r, &fd, NULL), 0);
	assert_true(fd >= 0);
	close(fd);
	assert_xattr_as_kernel(&r, p, "security.capability");
	record_release(&r);
	free(p);
}

/* A file that vanishes, at either stage. */
static void
test_vanished(void **state)
{
	static const attr_mask wants[] = {
		ATTR_BIT(ATTR_HASH), ATTR_BIT(ATTR_XATTRS),
		ATTR_BIT(ATTR_FLAGS), ATTR_GROUP_ALL,
	};
	struct fixture *f = *state;
	struct record r;
	size_t i;
	int fd;

	assert_int_equal(probe_stat(f->dirfd, "nothing", 0, &r), -ENOENT);
	assert_int_equal(r.known, 0);
	assert_int_equal(probe_stat(f->dirfd, "nothing/below", 0, &r),
	    -ENOENT);
	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		write_in(f, "gone", "g");
		assert_int_equal(probe_stat(f->dirfd, "gone", 0, &r), 0);
		assert_int_equal(unlinkat(f->dirfd, "gone", 0), 0);
		fd = 42;
		assert_int_equal(probe_complete(f->dirfd, "gone", 0, wants[i],
		    &r, &fd, NULL), -ENOENT);
		assert_int_equal(fd, -1);
		record_release(&r);
	}
	assert_int_equal(symlinkat("t", f->dirfd, "gonelink"), 0);
	assert_int_equal(probe_stat(f->dirfd, "gonelink", 0, &r), 0);
	assert_int_equal(unlinkat(f->dirfd, "gonelink", 0), 0);
	assert_int_equal(probe_complete(f->dirfd, "gonelink", 0,
	    ATTR_BIT(ATTR_LINK_TARGET), &r, &fd, NULL), -ENOENT);
	record_release(&r);
}

/*
 * Replaced between the stages by something else: -ESTALE, no fd.  The
 * replacement is made before the original goes, so it cannot reuse the
 * original's inode number.
 */
static void
test_replaced(void **state)
{
	static const struct {
		const char *what;
		const char *start;	/* shell, in the temp dir */
		const char *replace;
		attr_mask want;
	} cases[] = {
		{ "file by file", "echo v > victim",
		    "echo y > new && mv new victim", ATTR_BIT(ATTR_HASH) },
		{ "file by file (xattrs)", "echo v > victim",
		    "echo y > new && mv new victim", ATTR_BIT(ATTR_XATTRS) },
		{ "file by symlink", "echo v > victim",
		    "ln -s /etc/passwd new && mv -T new victim",
		    ATTR_BIT(ATTR_HASH) },
		{ "file by fifo", "echo v > victim",
		    "mkfifo new && mv -T new victim", ATTR_BIT(ATTR_HASH) },
		{ "file by directory", "echo v > victim",
		    "mkdir new && rm victim && mv -T new victim",
		    ATTR_GROUP_ALL },
		{ "directory by file", "mkdir victim",
		    "echo > new && rmdir victim && mv -T new victim",
		    ATTR_BIT(ATTR_XATTRS) },
		{ "directory by directory", "mkdir victim",
		    "mkdir new && rmdir victim && mv -T new victim",
		    ATTR_BIT(ATTR_FLAGS) },
		{ "symlink by file", "ln -s t victim",
		    "echo > new && mv -T new victim",
		    ATTR_BIT(ATTR_LINK_TARGET) },
		{ "symlink by symlink", "ln -s t victim",
		    "ln -s t2 new && mv -T new victim",
		    ATTR_BIT(ATTR_LINK_TARGET) },
		{ "symlink by symlink (xattrs)", "ln -s t victim",
		    "ln -s t2 new && mv -T new victim",
		    ATTR_BIT(ATTR_XATTRS) },
		{ "fifo by fifo", "mkfifo victim",
		    "mkfifo new && mv -T new victim", ATTR_BIT(ATTR_XATTRS) },
		{ "fifo by file", "mkfifo victim",
		    "echo > new && mv -T new victim", ATTR_BIT(ATTR_FLAGS) },
	};
	struct fixture *f = *state;
	struct record r;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(tlib_sh("cd '%s' && rm -rf victim new && %s",
		    f->dir, cases[i].start), 0);
		assert_int_equal(probe_stat(f->dirfd, "victim", 0, &r), 0);
		assert_int_equal(tlib_sh("cd '%s' && %s", f->dir,
		    cases[i].replace), 0);
		fd = 42;
		if (probe_complete(f->dirfd, "victim", 0, cases[i].want, &r,
		    &fd, NULL) != -ESTALE)
			fail_msg("%s: not -ESTALE", cases[i].what);
		assert_int_equal(fd, -1);
		record_release(&r);
	}
}

/* Not the owner and not root: O_NOATIME is refused, the open retried. */
static void
test_noatime_fallback(void **state)
{
	struct fixture *f = *state;
	struct record r;
	pid_t pid;
	int st, fd;

	tlib_require_root("switching to another uid");
	write_in(f, "rootfile", "r");
	assert_int_equal(fchmodat(f->dirfd, "rootfile", 0644, 0), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		if (probe_stat(f->dirfd, "rootfile", 0, &r) < 0)
			_exit(11);
		if (probe_complete(f->dirfd, "rootfile", 0, ATTR_GROUP_ALL,
		    &r, &fd, NULL) < 0)
			_exit(12);
		if (fd < 0 || (fcntl(fd, F_GETFL) & O_NOATIME))
			_exit(13);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(chmod(f->dir, 0700), 0);
}

/* A filesystem without birth times: btime is not known. */
static void
test_no_btime(void **state)
{
	struct record r;

	(void)state;
	assert_int_equal(probe_stat(AT_FDCWD, "/proc/self/stat", 0, &r), 0);
	assert_false(r.known & ATTR_BIT(ATTR_BTIME));
	assert_int_equal(r.btime.sec, 0);
	assert_int_equal(r.btime.nsec, 0);
	assert_true(r.known & ATTR_BIT(ATTR_MTIME));
	record_release(&r);
}

static void
assert_same_inode(int fd, const char *path)
{
	struct stat a, b;

	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_dev, b.st_dev);
	assert_int_equal(a.st_ino, b.st_ino);
}

static void
test_open_parent_simple(void **state)
{
	static const struct {
		const char *path;
		const char *parent;	/* NULL: error */
		const char *name;
		int	 err;
	} cases[] = {
		{ "/", "/", ".", 0 },
		{ "//", "/", ".", 0 },
		{ "/etc", "/", "etc", 0 },
		{ "/etc/passwd", "/etc", "passwd", 0 },
		{ "//etc///passwd", "/etc", "passwd", 0 },
		{ "/etc/nonexistent", "/etc", "nonexistent", 0 },
		{ "/usr/./bin/../lib/x", "/usr/lib", "x", 0 },
		{ "", NULL, NULL, -EINVAL },
		{ "etc/passwd", NULL, NULL, -EINVAL },
		{ "/etc/", NULL, NULL, -EINVAL },
		{ "/etc/.", NULL, NULL, -EINVAL },
		{ "/etc/..", NULL, NULL, -EINVAL },
		{ "/nonexistent/x", NULL, NULL, -ENOENT },
		{ "/etc/passwd/x", NULL, NULL, -ENOTDIR },
	};
	const char *name;
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = 42;
		name = NULL;
		if (probe_open_parent(cases[i].path, strlen(cases[i].path),
		    &fd, &name) != cases[i].err)
			fail_msg("%s: not %d", cases[i].path, cases[i].err);
		if (cases[i].parent == NULL) {
			assert_int_equal(fd, -1);
			continue;
		}
		assert_same_inode(fd, cases[i].parent);
		assert_string_equal(name, cases[i].name);
		assert_int_not_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
		close(fd);
	}
	/* An embedded NUL is not a path. */
	assert_int_equal(probe_open_parent("/etc\0/passwd", 12, &fd, &name),
	    -EINVAL);
}

/* Symlinks among the parents are followed, the last one is not. */
static void
test_open_parent_symlinks(void **state)
{
	struct fixture *f = *state;
	struct record r;
	const char *name;
	char *p, *real;
	int fd;

	assert_int_equal(mkdirat(f->dirfd, "real", 0755), 0);
	assert_int_equal(mkdirat(f->dirfd, "real/sub", 0755), 0);
	write_in(f, "real/sub/file", "f");
	assert_int_equal(symlinkat("real", f->dirfd, "rel"), 0);
	real = path_in(f, "real");
	assert_int_equal(symlinkat(real, f->dirfd, "abs"), 0);
	assert_int_equal(symlinkat("sub/file", f->dirfd, "real/flink"), 0);
	assert_int_equal(symlinkat("../rel/sub", f->dirfd, "real/chain"), 0);

	p = tlib_fmt("%s/rel/sub/file", f->dir);
	assert_int_equal(probe_open_parent(p, strlen(p), &fd, &name), 0);
	assert_string_equal(name, "file");
	assert_int_equal(probe_stat(fd, name, 0, &r), 0);
	assert_true(S_ISREG(r.mode));
	close(fd);
	free(p);

	p = tlib_fmt("%s/abs/chain/file", f->dir);
	assert_int_equal(probe_open_parent(p, strlen(p), &fd, &name), 0);
	assert_int_equal(probe_stat(fd, name, 0, &r), 0);
	assert_true(S_ISREG(r.mode));
	close(fd);
	free(p);

	/* The last component, a symlink, stays one. */
	p = tlib_fmt("%s/rel/flink", f->dir);
	assert_int_equal(probe_open_parent(p, strlen(p), &fd, &name), 0);
	assert_string_equal(name, "flink");
	assert_same_inode(fd, real);
	assert_int_equal(probe_stat(fd, name, 0, &r), 0);
	assert_true(S_ISLNK(r.mode));
	close(fd);
	free(p);

	/* A loop among the parents. */
	assert_int_equal(symlinkat("loop", f->dirfd, "loop"), 0);
	p = tlib_fmt("%s/loop/x", f->dir);
	assert_int_equal(probe_open_parent(p, strlen(p), &fd, &name), -ELOOP);
	free(p);
	free(real);
	record_release(&r);
}

/* Paths far beyond PATH_MAX, built with mkdirat chains. */
#define MIDWAY	5	/* where a symlink's target still fits PATH_MAX */
static void
test_open_parent_deep(void **state)
{
	struct fixture *f = *state;
	struct record r;
	struct stat st;
	const char *name;
	char comp[201], *p, *q;
	int fd, nfd, depth, i;
	size_t len;

	memset(comp, 'd', 200);
	comp[200] = '\0';
	/* 70 components of 200 bytes: about 14 KiB. */
	depth = 70;
	fd = dup(f->dirfd);
	p = tlib_fmt("%s", f->dir);
	for (i = 0; i < depth; i++) {
		comp[0] = (char)('A' + i % 26);
		assert_int_equal(mkdirat(fd, comp, 0755), 0);
		nfd = openat(fd, comp, O_PATH | O_DIRECTORY);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
		q = tlib_fmt("%s/%s", p, comp);
		free(p);
		p = q;
		/* A symlink midway, absolute target, to follow on the way. */
		if (i == MIDWAY)
			assert_int_equal(symlinkat(p, fd, "back"), 0);
	}
	nfd = openat(fd, "deepfile", O_WRONLY | O_CREAT, 0600);
	assert_true(nfd >= 0);
	assert_int_equal(write(nfd, "deep", 4), 4);
	assert_int_equal(fstat(nfd, &st), 0);
	close(nfd);
	close(fd);
	q = tlib_fmt("%s/deepfile", p);
	len = strlen(q);
	assert_true(len > 3 * PATH_MAX);
	assert_int_equal(probe_open_parent(q, len, &fd, &name), 0);
	assert_string_equal(name, "deepfile");
	assert_int_equal(probe_stat(fd, name, 0, &r), 0);
	assert_int_equal(r.inode, st.st_ino);
	assert_int_equal(r.size, 4);
	close(fd);
	record_release(&r);
	free(q);
	free(p);

	/* Through the midway symlink ("back" points to its own dir). */
	q = tlib_fmt("%s", f->dir);
	for (i = 0; i < depth; i++) {
		char *t;

		comp[0] = (char)('A' + i % 26);
		t = tlib_fmt("%s/%s%s", q, comp, i == MIDWAY ?
		    "/back/." : "");
		free(q);
		q = t;
	}
	p = tlib_fmt("%s/deepfile", q);
	assert_int_equal(probe_open_parent(p, strlen(p), &fd, &name), 0);
	assert_int_equal(probe_stat(fd, name, 0, &r), 0);
	assert_int_equal(r.inode, st.st_ino);
	close(fd);
	record_release(&r);
	free(p);
	free(q);

	/* One component over NAME_MAX. */
	p = tlib_fmt("%s/%0300d/x", f->dir, 0);
	assert_int_equal(probe_open_parent(p, strlen(p), &fd, &name),
	    -ENAMETOOLONG);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_symlink_long_target),
		cmocka_unit_test(test_symlink_xattr),
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_fifo_not_opened),
		cmocka_unit_test(test_chardev_not_opened),
		cmocka_unit_test(test_socket),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_user_xattrs),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_chattr),
		cmocka_unit_test(test_capability),
		cmocka_unit_test(test_vanished),
		cmocka_unit_test(test_replaced),
		cmocka_unit_test(test_noatime_fallback),
		cmocka_unit_test(test_no_btime),
		cmocka_unit_test(test_open_parent_simple),
		cmocka_unit_test(test_open_parent_symlinks),
		cmocka_unit_test(test_open_parent_deep),
	};

	return cmocka_run_group_tests_name("probe", tests, setup, teardown);
}
