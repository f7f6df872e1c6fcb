/*
 * log: the "<N>" syslog priority on stderr lines when stderr is the
 * journal's stream (JOURNAL_STREAM naming its device and inode), plain
 * lines otherwise, and the same through the real binary's diagnostics.
 * Each case points stderr at a scratch file and reads back what landed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "tlib.h"

#include "diag.h"
#include "log.h"

struct capture {
	char	*dir;
	char	*path;
	int	 saved;		/* the test's own stderr */
};

/* stderr into a new file; JOURNAL_STREAM as asked (see below). */
static void
capture_begin(struct capture *c, const char *journal)
{
	struct stat st;
	char *v;
	int fd;

	c->dir = tlib_mkdtemp("log");
	c->path = tlib_fmt("%s/stderr", c->dir);
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	if (journal == NULL)
		unsetenv("JOURNAL_STREAM");
	else if (strcmp(journal, "self") == 0) {
		v = tlib_fmt("%llu:%llu", (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", v, 1);
		free(v);
	} else
		setenv("JOURNAL_STREAM", journal, 1);
}

/* Restore stderr; returns what was written (caller frees). */
static char *
capture_end(struct capture *c)
{
	char *text;

	assert_int_equal(dup2(c->saved, STDERR_FILENO), STDERR_FILENO);
	close(c->saved);
	unsetenv("JOURNAL_STREAM");
	text = tlib_read(c->path, NULL);
	assert_non_null(text);
	tlib_rmrf(c->dir);
	free(c->dir);
	free(c->path);
	return text;
}

static void
log_all(void)
{
	errno = ENOENT;
	log_err("cannot read %s", "x");
	log_errx("bad %d", 1);
	log_warnx("careful");
	log_notice("started");
	log_info("detail");
	log_debug("more");
	log_stderr(LOG_ERR, "f.json:1:2: error: %s", "no");
}

/* Under the journal: every line carries its priority. */
static void
test_journal_prefix(void **state)
{
	struct capture c;
	char *got;

	(void)state;
	capture_begin(&c, "self");
	log_init(LOG_LEVEL_DEBUG, false);
	log_all();
	got = capture_end(&c);
	log_init(LOG_LEVEL_NORMAL, false);
	assert_string_equal(got,
	    "<3>fimd: cannot read x: No such file or directory\n"
	    "<3>fimd: bad 1\n"
	    "<4>fimd: careful\n"
	    "<5>fimd: started\n"
	    "<6>fimd: detail\n"
	    "<7>fimd: more\n"
	    "<3>f.json:1:2: error: no\n");
	free(got);
}

/*
 * No JOURNAL_STREAM, a malformed one, or one naming another file (stderr
 * redirected under a unit): plain lines.
 */
static void
test_plain(void **state)
{
	static const char *const envs[] = {
		NULL, "", "12", "x:y", "1:", "0:0",
	};
	struct capture c;
	char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		capture_begin(&c, envs[i]);
		log_init(LOG_LEVEL_NORMAL, false);
		log_warnx("careful");
		log_info("hidden");
		log_stderr(LOG_NOTICE, "as is");
		got = capture_end(&c);
		log_init(LOG_LEVEL_NORMAL, false);
		if (strcmp(got, "fimd: careful\nas is\n") != 0)
			fail_msg("JOURNAL_STREAM=%s: got %s", envs[i] != NULL ?
			    envs[i] : "(unset)", got);
		free(got);
	}
}

/*
 * diag_print() on stderr: each entry with the priority of its severity
 * under the journal, plain otherwise; to another stream always plain.
 */
static void
test_diag_print(void **state)
{
	struct capture c;
	struct diag d;
	char *got;

	(void)state;
	diag_init(&d);
	diag_add(&d, DIAG_ERROR, "r.json", 3, 7, "bad %s", "key");
	diag_add(&d, DIAG_WARNING, "r.json", 4, 0, "odd");
	diag_add(&d, DIAG_NOTE, NULL, 0, 0, "overlap");
	capture_begin(&c, "self");
	log_init(LOG_LEVEL_NORMAL, false);
	diag_print(&d, stderr);
	got = capture_end(&c);
	assert_string_equal(got,
	    "<3>r.json:3:7: error: bad key\n"
	    "<4>r.json:4: warning: odd\n"
	    "<5>note: overlap\n");
	free(got);
	capture_begin(&c, NULL);
	log_init(LOG_LEVEL_NORMAL, false);
	diag_print(&d, stderr);
	got = capture_end(&c);
	log_init(LOG_LEVEL_NORMAL, false);
	assert_string_equal(got,
	    "r.json:3:7: error: bad key\n"
	    "r.json:4: warning: odd\n"
	    "note: overlap\n");
	free(got);
	diag_release(&d);
}

/* A line too long for the buffer is cut, and still ends the line. */
static void
test_long_line(void **state)
{
	struct capture c;
	char *big, *got;
	size_t len;

	(void)state;
	big = malloc(5000);
	assert_non_null(big);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	capture_begin(&c, "self");
	log_init(LOG_LEVEL_NORMAL, false);
	log_stderr(LOG_WARNING, "%s", big);
	log_warnx("next");
	got = capture_end(&c);
	log_init(LOG_LEVEL_NORMAL, false);
	assert_true(strncmp(got, "<4>aaa", 6) == 0);
	len = strcspn(got, "\n");
	assert_true(len > 2000 && len < 4999);
	assert_string_equal(got + len + 1, "<4>fimd: next\n");
	free(got);
	free(big);
}

/* fatalx: priority 2, then the exit status chosen. */
static void
test_fatal(void **state)
{
	struct capture c;
	char *got;
	pid_t pid;
	int st;

	(void)state;
	capture_begin(&c, "self");
	if ((pid = fork()) == 0) {
		log_init(LOG_LEVEL_NORMAL, false);
		log_set_fatal_status(17);
		fatalx("giving up");
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	got = capture_end(&c);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 17);
	assert_string_equal(got, "<2>fimd: giving up\n");
	free(got);
}

/*
 * The binary, as ExecStartPre runs it: a rules error and the usage line
 * under the journal.  stderr is a file whose device and inode the shell
 * puts in JOURNAL_STREAM.
 */
static void
test_binary(void **state)
{
	char *dir = tlib_mkdtemp("logbin"), *out = NULL;

	(void)state;
	assert_int_equal(tlib_sh("cd '%s' && : > err && JOURNAL_STREAM=$(stat "
	    "-c %%d:%%i err) '%s' --validate -q -r '%s/none' 2>>err", dir,
	    tlib_fimd(), dir), 17);
	assert_int_equal(tlib_sh_out(&out, "cat '%s/err'", dir), 0);
	if (strncmp(out, "<3>", 3) != 0 || strstr(out, ": error: ") == NULL)
		fail_msg("not an error line: %s", out);
	free(out);
	assert_int_equal(tlib_sh("cd '%s' && env -u JOURNAL_STREAM '%s' "
	    "--validate -q -r '%s/none' 2>plain", dir, tlib_fimd(), dir), 17);
	assert_int_equal(tlib_sh_out(&out, "cat '%s/plain'", dir), 0);
	assert_true(strncmp(out, "<", 1) != 0);
	free(out);
	tlib_rmrf(dir);
	free(dir);
}

/*
 * The binary's file:line diagnostics under the journal: a broken rule
 * (--validate) and an edited alert file (--verify) carry "<3>"; the
 * same without JOURNAL_STREAM do not.
 */
static void
test_binary_diag(void **state)
{
	static const char *const cmds[] = {
		"--validate -r r.json", "--verify a.json",
	};
	char *dir = tlib_mkdtemp("logdiag"), *out = NULL;
	size_t i;

	(void)state;
	assert_int_equal(tlib_sh("cd '%s' && printf '{\"rules\": [{\"name\": "
	    "\"x\", \"paths\": [\"/etc\"], \"bogus\": 1}]}\\n' > r.json "
	    "&& printf '{\"seq\": 1}\\n' > a.json", dir), 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_true(tlib_sh("cd '%s' && : > err && JOURNAL_STREAM="
		    "$(stat -c %%d:%%i err) '%s' %s 2>>err >/dev/null", dir,
		    tlib_fimd(), cmds[i]) != 0);
		assert_int_equal(tlib_sh_out(&out, "cat '%s/err'", dir), 0);
		if (strncmp(out, "<3>", 3) != 0 ||
		    strstr(out, ".json:1:") == NULL ||
		    strstr(out, ": error: ") == NULL)
			fail_msg("%s: not an error line: %s", cmds[i], out);
		free(out);
		assert_true(tlib_sh("cd '%s' && env -u JOURNAL_STREAM '%s' %s "
		    "2>plain >/dev/null", dir, tlib_fimd(), cmds[i]) != 0);
		assert_int_equal(tlib_sh_out(&out, "cat '%s/plain'", dir), 0);
		if (out[0] == '<' || strstr(out, "\n<") != NULL ||
		    strstr(out, ": error: ") == NULL)
			fail_msg("%s: not a plain error line: %s", cmds[i],
			    out);
		free(out);
	}
	tlib_rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_prefix),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_diag_print),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_fatal),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_binary_diag),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
