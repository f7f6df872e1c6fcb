/*
 * tlib: shared helpers for fimd's cmocka tests.
 *
 * Temporary directories, running the real fimd binary (path from $FIMD,
 * default build/fimd) with captured output and a time limit, shell
 * commands for mutations, small file helpers, and JSON-lines helpers for
 * asserting on alerts.  Include after the cmocka headers.
 */
#ifndef FIMD_TLIB_H
#define FIMD_TLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

/*
 * Skip the calling test visibly ("SKIP: what (needs root)") unless the
 * process is root; when FIMD_TEST_REQUIRE_ROOT=1 (CI) fail instead.
 * Returns only when root.
 */
#define tlib_require_root(what) do {					\
	if (!tlib_is_root()) {						\
		if (tlib_root_required())				\
			fail_msg("%s needs root and FIMD_TEST_REQUIRE_ROOT=1", \
			    (what));					\
		printf("SKIP: %s (needs root)\n", (what));		\
		skip();							\
	}								\
} while (0)

bool	tlib_is_root(void);
bool	tlib_root_required(void);

/* A new empty directory under $TMPDIR; returns a malloc'd path. */
char	*tlib_mkdtemp(const char *tag);
/* Remove a tree, clearing chattr +i/+a first.  Ignores errors. */
void	tlib_rmrf(const char *path);

/* Run "/bin/sh -c CMD"; returns the exit status (128+sig when killed). */
int	tlib_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, capturing stdout into a new string (*ret_out, caller frees). */
int	tlib_sh_out(char **ret_out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

struct tlib_run {
	int	 status;	/* exit status, 128+sig when killed, -1 */
	char	*out;		/* stdout, NUL-terminated */
	size_t	 outlen;
	char	*err;		/* stderr, NUL-terminated */
	size_t	 errlen;
	bool	 timed_out;
};

/* The fimd binary under test. */
const char *tlib_fimd(void);
/*
 * Run fimd with the NULL-terminated arguments (argv[0] excluded), stdin
 * from /dev/null, killing it after timeout_s seconds.  Fills *ret.
 */
void	tlib_run_fimd(struct tlib_run *ret, int timeout_s,
	    const char *const *args);
void	tlib_run_release(struct tlib_run *r);

/* Write len bytes (or strlen when len is (size_t)-1) to path. */
void	tlib_write(const char *path, const char *data, size_t len);
/* Read a whole file into a new NUL-terminated string, or NULL. */
char	*tlib_read(const char *path, size_t *ret_len);
/* Format into a new string. */
char	*tlib_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parse JSON lines into a new array (one element per non-empty line);
 * a line that does not parse fails the test.
 */
json_t	*tlib_json_lines(const char *text, size_t len);
/* Value at a dotted path ("file.hash.sha256"), borrowed, or NULL. */
json_t	*tlib_json_get(const json_t *obj, const char *dotted);
/* String at a dotted path, or NULL when absent or not a string. */
const char *tlib_json_str(const json_t *obj, const char *dotted);
/* Whether the array at dotted holds the string s. */
bool	tlib_json_has(const json_t *obj, const char *dotted, const char *s);
/*
 * The first alert in lines with event.action == action (NULL: any) and
 * file.path == path (NULL: any), borrowed, or NULL.
 */
json_t	*tlib_find_alert(const json_t *lines, const char *action,
	    const char *path);
/* How many alerts match action and path (NULL: any). */
size_t	tlib_count_alerts(const json_t *lines, const char *action,
	    const char *path);

/* Monotonic time in seconds. */
double	tlib_now(void);
void	tlib_sleep_ms(unsigned ms);

#endif
