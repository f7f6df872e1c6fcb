/*
 * The system log sinks against real Unix sockets: syslog(3)'s local form
 * and RFC 5424 over a datagram and a stream socket (newline and octet
 * counting), journald's native
 * fields including the binary form and the memfd path for huge entries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tlib.h"

#include "sink.h"

static const char line[] =
    "{\"@timestamp\":\"2026-11-24T11:24:06.123456Z\","
    "\"message\":\"/etc/passwd updated (hash)\","
    "\"event\":{\"action\":\"updated\"},"
    "\"rule\":{\"name\":\"identity\"},"
    "\"file\":{\"path\":\"/etc/pass\\nwd\"},"
    "\"fimd\":{\"seq\":42,\"severity\":\"high\"}}\n";

static int
listen_unix(const char *path, int type)
{
	struct sockaddr_un sa;
	int fd;

	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void
test_syslog_datagram(void **state)
{
	char *dir = tlib_mkdtemp("syslog"), *path, buf[8192];
	struct sink *s;
	ssize_t n;
	int fd;

	(void)state;
	path = tlib_fmt("%s/log", dir);
	fd = listen_unix(path, SOCK_DGRAM);
	assert_int_equal(sink_syslog_open(path, true, &s), 0);
	assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	/* authpriv (10) * 8 + err (3, high) = 83 */
	assert_memory_equal(buf, "<83>1 2026-11-24T11:24:06.123456Z ", 34);
	assert_non_null(strstr(buf, " fimd "));
	assert_non_null(strstr(buf, " updated - {\"@timestamp\""));
	assert_int_equal(buf[n - 1], '}');	/* no newline in MSG */
	sink_free(s);
	close(fd);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

/* host_name: the HOSTNAME too, when RFC 5424 allows it (ASCII). */
static void
test_syslog_host_name(void **state)
{
	char *dir = tlib_mkdtemp("syslog"), *path, buf[8192];
	struct sink *s;
	ssize_t n;
	int fd;

	(void)state;
	path = tlib_fmt("%s/log", dir);
	fd = listen_unix(path, SOCK_DGRAM);
	assert_int_equal(sink_syslog_open(path, true, &s), 0);
	sink_syslog_set_host(s, "web-01.example.net");
	sink_syslog_set_host(s, "h\xc3\xa9");	/* not ASCII: kept */
	sink_syslog_set_host(s, NULL);
	assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_memory_equal(buf, "<83>1 2026-11-24T11:24:06.123456Z "
	    "web-01.example.net fimd ", 58);
	sink_free(s);
	close(fd);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

static void
test_syslog_stream_octet_counting(void **state)
{
	char *dir = tlib_mkdtemp("syslog"), *path, buf[8192], *sp;
	struct sink *s;
	ssize_t n;
	int lfd, cfd;
	long count;

	(void)state;
	path = tlib_fmt("%s/log", dir);
	lfd = listen_unix(path, SOCK_STREAM);
	assert_int_equal(sink_syslog_open(path, true, &s), 0);
	assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	n = recv(cfd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	count = strtol(buf, &sp, 10);
	assert_int_equal(*sp, ' ');
	assert_int_equal(count, n - (sp + 1 - buf));
	assert_memory_equal(sp + 1, "<83>1 ", 6);
	sink_free(s);
	close(cfd);
	close(lfd);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

/*
 * The default, local form: syslog(3)'s header with the alert's time in
 * local time (TZ in POSIX form needs no zone files), "fimd[PID]: " and
 * the JSON line; over a stream socket each message ends in a newline.
 */
static void
test_syslog_local(void **state)
{
	char *dir = tlib_mkdtemp("syslog"), *path, buf[8192], *want;
	struct sink *s;
	ssize_t n;
	int fd, lfd, cfd;

	(void)state;
	assert_int_equal(setenv("TZ", "XYZ-2", 1), 0);
	tzset();
	path = tlib_fmt("%s/log", dir);
	fd = listen_unix(path, SOCK_DGRAM);
	assert_int_equal(sink_syslog_open(path, false, &s), 0);
	assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	want = tlib_fmt("<83>Nov 24 13:24:06 fimd[%d]: {\"@timestamp\"",
	    (int)getpid());
	assert_memory_equal(buf, want, strlen(want));
	assert_int_equal(buf[n - 1], '}');
	sink_free(s);
	close(fd);
	unlink(path);
	lfd = listen_unix(path, SOCK_STREAM);
	assert_int_equal(sink_syslog_open(path, false, &s), 0);
	assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	n = recv(cfd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_memory_equal(buf, want, strlen(want));
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', (size_t)n - 1));
	sink_free(s);
	close(cfd);
	close(lfd);
	unsetenv("TZ");
	tzset();
	free(want);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

/* Find "KEY=value\n" or the binary "KEY\n<le64><bytes>\n" in a datagram. */
static char *
journal_get(const char *buf, size_t len, const char *key)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t klen = strlen(key);
	uint64_t vlen;
	int i;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		if (memchr(p, '=', (size_t)(nl - p)) != NULL) {
			if ((size_t)(nl - p) > klen && memcmp(p, key, klen) == 0 &&
			    p[klen] == '=')
				return strndup(p + klen + 1, (size_t)(nl - p) -
				    klen - 1);
			p = nl + 1;
			continue;
		}
		for (vlen = 0, i = 7; i >= 0; i--)
			vlen = vlen << 8 | (unsigned char)nl[1 + i];
		if ((size_t)(nl - p) == klen && memcmp(p, key, klen) == 0)
			return strndup(nl + 9, (size_t)vlen);
		p = nl + 9 + vlen + 1;
	}
	return NULL;
}

static void
test_journal_fields(void **state)
{
	char *dir = tlib_mkdtemp("journal"), *path, buf[65536], *v;
	struct sink *s;
	ssize_t n;
	int fd;

	(void)state;
	path = tlib_fmt("%s/socket", dir);
	fd = listen_unix(path, SOCK_DGRAM);
	assert_int_equal(sink_journal_open(path, &s), 0);
	assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	v = journal_get(buf, (size_t)n, "PRIORITY");
	assert_string_equal(v, "3");
	free(v);
	v = journal_get(buf, (size_t)n, "FIMD_PATH");
	assert_string_equal(v, "/etc/pass\nwd");	/* binary form */
	free(v);
	v = journal_get(buf, (size_t)n, "FIMD_SEQ");
	assert_string_equal(v, "42");
	free(v);
	v = journal_get(buf, (size_t)n, "SYSLOG_IDENTIFIER");
	assert_string_equal(v, "fimd");
	free(v);
	v = journal_get(buf, (size_t)n, "FIMD_JSON");
	assert_memory_equal(v, line, sizeof(line) - 2);
	free(v);
	sink_free(s);
	close(fd);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

/* An entry larger than a datagram travels as a sealed memfd. */
static void
test_journal_memfd(void **state)
{
	char *dir = tlib_mkdtemp("journal"), *path, *big, *data;
	char cbuf[CMSG_SPACE(sizeof(int))], dummy[1];
	struct msghdr mh;
	struct iovec iov = { dummy, sizeof(dummy) };
	struct cmsghdr *cm;
	struct stat st;
	struct sink *s;
	size_t len = 4 << 20;
	int fd, mfd;

	(void)state;
	path = tlib_fmt("%s/socket", dir);
	fd = listen_unix(path, SOCK_DGRAM);
	if ((big = malloc(len + 64)) == NULL)
		return;
	memset(big, 'x', len);
	memcpy(big, "{\"message\":\"", 12);
	memcpy(big + len - 3, "\"}\n", 3);
	assert_int_equal(sink_journal_open(path, &s), 0);
	assert_int_equal(sink_write(s, big, len), 0);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	assert_true(recvmsg(fd, &mh, 0) >= 0);
	if ((cm = CMSG_FIRSTHDR(&mh)) == NULL) {
		fail_msg("no descriptor passed");
		return;
	}
	assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
	memcpy(&mfd, CMSG_DATA(cm), sizeof(int));
	assert_int_equal(fstat(mfd, &st), 0);
	assert_true((size_t)st.st_size > len);
	if ((data = malloc((size_t)st.st_size)) == NULL)
		return;
	assert_int_equal(pread(mfd, data, (size_t)st.st_size, 0), st.st_size);
	assert_non_null(memmem(data, (size_t)st.st_size, "FIMD_JSON\n", 10));
	free(data);
	close(mfd);
	sink_free(s);
	free(big);
	close(fd);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

/*
 * A line too long for a syslog message is refused whole, never sent as a
 * header without its JSON body.
 */
static void
test_syslog_oversize(void **state)
{
	char *dir = tlib_mkdtemp("syslog"), *path, *big, buf[64];
	size_t len = 8 << 20;
	struct sink *s;
	int fd;

	(void)state;
	path = tlib_fmt("%s/log", dir);
	fd = listen_unix(path, SOCK_DGRAM);
	if ((big = malloc(len)) == NULL)
		return;
	memset(big, 'x', len);
	memcpy(big, "{\"message\":\"", 12);
	memcpy(big + len - 3, "\"}\n", 3);
	assert_int_equal(sink_syslog_open(path, false, &s), 0);
	assert_int_equal(sink_write(s, big, len), -EMSGSIZE);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	/* The sink still works for lines that fit. */
	assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	sink_free(s);
	free(big);
	close(fd);
	tlib_rmrf(dir);
	free(path);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog_local),
		cmocka_unit_test(test_syslog_datagram),
		cmocka_unit_test(test_syslog_host_name),
		cmocka_unit_test(test_syslog_stream_octet_counting),
		cmocka_unit_test(test_syslog_oversize),
		cmocka_unit_test(test_journal_fields),
		cmocka_unit_test(test_journal_memfd),
	};

	return cmocka_run_group_tests_name("sink_syslog", tests, NULL, NULL);
}
