/*
 * The file sink: appending, creation mode, rotation by rename plus
 * reopen without losing a line, a failed reopen that keeps writing,
 * file identity, standard output, and whole lines from concurrent
 * writers.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlib.h"

#include "sink.h"

static void
write_str(struct sink *s, const char *line)
{
	assert_int_equal(sink_write(s, line, strlen(line)), 0);
}

static void
assert_file(const char *path, const char *want)
{
	char *got = tlib_read(path, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* Appends after what is there; a new file is made 0640. */
static void
test_append(void **state)
{
	char *dir = tlib_mkdtemp("sink"), *path, *fresh;
	struct sink *s;
	struct stat st;
	mode_t old = umask(022);

	(void)state;
	path = tlib_fmt("%s/alerts.json", dir);
	tlib_write(path, "old\n", (size_t)-1);
	assert_int_equal(sink_file_open(path, &s), 0);
	assert_string_equal(s->ops->name, "file");
	write_str(s, "{\"a\":1}\n");
	write_str(s, "{\"a\":2}\n");
	assert_file(path, "old\n{\"a\":1}\n{\"a\":2}\n");
	sink_free(s);

	fresh = tlib_fmt("%s/new.json", dir);
	assert_int_equal(sink_file_open(fresh, &s), 0);
	assert_int_equal(stat(fresh, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 0);
	sink_free(s);

	/* Nowhere to write: an error, no sink. */
	s = NULL;
	assert_int_equal(sink_file_open("/nonexistent/dir/alerts.json", &s),
	    -ENOENT);
	assert_null(s);
	sink_free(NULL);
	umask(old);
	tlib_rmrf(dir);
	free(fresh);
	free(path);
	free(dir);
}

/* Whether this process may give a file group gid (root, or a member). */
static bool
may_chgrp(gid_t gid)
{
	gid_t groups[256];
	int i, n;

	if (geteuid() == 0 || getegid() == gid)
		return true;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++) {
		if (groups[i] == gid)
			return true;
	}
	return false;
}

/*
 * Under systemd's UMask=0077 a new alert file is still 0640, and group
 * adm when the group exists and the test may give it (root); at a reopen
 * too.  A file already there keeps its mode and group.
 */
static void
test_create_mode_group(void **state)
{
	char *dir = tlib_mkdtemp("sinkmode"), *path, *kept, *rot;
	struct group *adm = getgrnam("adm");
	struct sink *s;
	struct stat st;
	mode_t old = umask(077);
	gid_t want;

	(void)state;
	want = adm != NULL && may_chgrp(adm->gr_gid) ? adm->gr_gid : getegid();
	path = tlib_fmt("%s/alerts.json", dir);
	rot = tlib_fmt("%s/alerts.json.1", dir);
	assert_int_equal(sink_file_open(path, &s), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_gid, want);
	assert_int_equal(rename(path, rot), 0);
	assert_int_equal(sink_reopen(s), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_gid, want);
	sink_free(s);

	kept = tlib_fmt("%s/kept.json", dir);
	tlib_write(kept, "x\n", (size_t)-1);
	assert_int_equal(chmod(kept, 0600), 0);
	assert_int_equal(sink_file_open(kept, &s), 0);
	assert_int_equal(stat(kept, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_gid, getegid());
	sink_free(s);
	umask(old);
	tlib_rmrf(dir);
	free(kept);
	free(rot);
	free(path);
	free(dir);
}

/*
 * logrotate "create": rename, then reopen.  Lines written between the
 * two land in the rotated file; none is lost or doubled.
 */
static void
test_rotation(void **state)
{
	char *dir = tlib_mkdtemp("sink"), *path, *rotated;
	struct sink *s;
	struct stat st;
	dev_t dev, dev2;
	ino_t ino, ino2;

	(void)state;
	path = tlib_fmt("%s/alerts.json", dir);
	rotated = tlib_fmt("%s/alerts.json.1", dir);
	assert_int_equal(sink_file_open(path, &s), 0);
	assert_int_equal(sink_file_identity(s, &dev, &ino), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(dev, st.st_dev);
	assert_int_equal(ino, st.st_ino);

	write_str(s, "1\n");
	assert_int_equal(rename(path, rotated), 0);
	write_str(s, "2\n");
	assert_int_equal(sink_reopen(s), 0);
	write_str(s, "3\n");
	assert_file(rotated, "1\n2\n");
	assert_file(path, "3\n");
	/* The identity follows the reopened file. */
	assert_int_equal(sink_file_identity(s, &dev2, &ino2), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(ino2, st.st_ino);
	assert_true(ino2 != ino);
	/* A reopen with nothing rotated appends to the same file. */
	assert_int_equal(sink_reopen(s), 0);
	write_str(s, "4\n");
	assert_file(path, "3\n4\n");
	sink_free(s);
	tlib_rmrf(dir);
	free(rotated);
	free(path);
	free(dir);
}

/* A reopen that fails keeps the old file open: nothing is dropped. */
static void
test_reopen_failure(void **state)
{
	char *dir = tlib_mkdtemp("sink"), *sub, *path, *moved;
	struct sink *s;

	(void)state;
	sub = tlib_fmt("%s/log", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	path = tlib_fmt("%s/alerts.json", sub);
	moved = tlib_fmt("%s/gone", dir);
	assert_int_equal(sink_file_open(path, &s), 0);
	write_str(s, "a\n");
	assert_int_equal(rename(sub, moved), 0);
	assert_int_equal(sink_reopen(s), -ENOENT);
	write_str(s, "b\n");
	free(path);
	path = tlib_fmt("%s/alerts.json", moved);
	assert_file(path, "a\nb\n");
	sink_free(s);
	tlib_rmrf(dir);
	free(moved);
	free(path);
	free(sub);
	free(dir);
}

/* "-" writes to standard output, has no identity, never closes it. */
static void
test_stdout(void **state)
{
	char *dir = tlib_mkdtemp("sink"), *path;
	struct sink *s;
	dev_t dev;
	ino_t ino;
	int saved, fd;

	(void)state;
	path = tlib_fmt("%s/out", dir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	assert_int_equal(sink_file_open("-", &s), 0);
	assert_int_equal(sink_file_identity(s, &dev, &ino), -ENOENT);
	write_str(s, "x\n");
	assert_int_equal(sink_reopen(s), 0);
	write_str(s, "y\n");
	sink_free(s);
	assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	assert_file(path, "x\ny\n");
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

/* Other sinks have no file identity. */
static void
test_identity_other_sinks(void **state)
{
	char *dir = tlib_mkdtemp("sink"), *path;
	struct sockaddr_un sa;
	struct sink *s;
	dev_t dev;
	ino_t ino;
	int fd;

	(void)state;
	path = tlib_fmt("%s/log", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(sink_syslog_open(path, false, &s), 0);
	assert_int_equal(sink_file_identity(s, &dev, &ino), -ENOENT);
	sink_free(s);
	assert_int_equal(sink_file_identity(NULL, &dev, &ino), -ENOENT);
	close(fd);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

/*
 * Two processes appending 1 MiB lines through their own sinks: every
 * line in the file is whole (one write per line, O_APPEND).
 */
static void
test_concurrent_whole_lines(void **state)
{
	char *dir = tlib_mkdtemp("sink"), *path, *line, *data, *p, *nl;
	size_t len = 1 << 20, dlen, nlines = 0;
	int i, k, status;
	pid_t pid[2];

	(void)state;
	path = tlib_fmt("%s/alerts.json", dir);
	line = malloc(len);
	assert_non_null(line);
	for (k = 0; k < 2; k++) {
		if ((pid[k] = fork()) == 0) {
			struct sink *s;

			memset(line, 'a' + k, len - 1);
			line[len - 1] = '\n';
			if (sink_file_open(path, &s) < 0)
				_exit(1);
			for (i = 0; i < 20; i++)
				if (sink_write(s, line, len) < 0)
					_exit(2);
			sink_free(s);
			_exit(0);
		}
		assert_true(pid[k] > 0);
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pid[k], &status, 0), pid[k]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	data = tlib_read(path, &dlen);
	assert_non_null(data);
	assert_int_equal(dlen, 40 * len);
	for (p = data; p < data + dlen; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(data + dlen - p));
		assert_non_null(nl);
		assert_int_equal((size_t)(nl - p), len - 1);
		assert_true(*p == 'a' || *p == 'b');
		for (i = 0; i < (int)len - 1; i++)
			if (p[i] != *p)
				fail_msg("line %zu mixes writers", nlines);
		nlines++;
	}
	assert_int_equal(nlines, 40);
	free(data);
	free(line);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}


/*
 * A symlink planted at the alert path is never followed, and a FIFO,
 * with or without a reader, is refused at once instead of hanging.
 */
static void
test_not_regular_refused(void **state)
{
	char *w = tlib_mkdtemp("sinkfifo");
	char *target = tlib_fmt("%s/target", w);
	char *link = tlib_fmt("%s/link", w);
	char *fifo = tlib_fmt("%s/fifo", w);
	struct sink *s = NULL;
	double t0;
	int rd;

	(void)state;
	alarm(30);	/* a FIFO that blocks fails the test, not the run */
	tlib_write(target, "precious\n", (size_t)-1);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(sink_file_open(link, &s), -ELOOP);
	assert_null(s);
	assert_file(target, "precious\n");
	assert_non_null(strstr(sink_strerror(-ELOOP), "symbolic link"));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	t0 = tlib_now();
	assert_int_equal(sink_file_open(fifo, &s), -ENXIO);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(sink_file_open(fifo, &s), -ENXIO);
	assert_null(s);
	assert_true(tlib_now() - t0 < 1.0);
	assert_non_null(strstr(sink_strerror(-ENXIO), "not a regular file"));
	close(rd);
	alarm(0);
	tlib_rmrf(w);
	free(target);
	free(link);
	free(fifo);
	free(w);
}

/* A FIFO swapped in before a reopen: refused, the old file still used. */
static void
test_reopen_onto_fifo(void **state)
{
	char *w = tlib_mkdtemp("sinkswap");
	char *path = tlib_fmt("%s/alerts", w);
	char *old = tlib_fmt("%s/alerts.1", w);
	struct sink *s;
	double t0;

	(void)state;
	alarm(30);
	assert_int_equal(sink_file_open(path, &s), 0);
	write_str(s, "one\n");
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	t0 = tlib_now();
	assert_int_equal(sink_reopen(s), -ENXIO);
	assert_true(tlib_now() - t0 < 1.0);
	write_str(s, "two\n");
	assert_file(old, "one\ntwo\n");
	alarm(0);
	sink_free(s);
	tlib_rmrf(w);
	free(path);
	free(old);
	free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_create_mode_group),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_reopen_failure),
		cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_not_regular_refused),
		cmocka_unit_test(test_reopen_onto_fifo),
		cmocka_unit_test(test_identity_other_sinks),
		cmocka_unit_test(test_concurrent_whole_lines),
	};

	return cmocka_run_group_tests_name("sink", tests, NULL, NULL);
}
