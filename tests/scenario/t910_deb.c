/*
 * t910: the Debian package.  The group runs `make deb` (dpkg-buildpackage
 * and debhelper in a copy of the tree, then lintian, which must report no
 * error or warning) into its own object directory, installs the package
 * with `dpkg -i` on this machine, and asserts what an administrator
 * would: where the files are and which are conffiles, that the daemon's
 * unit is enabled (deb-systemd-helper, with no systemd running) and the
 * check's timer is not, that tmpfiles made /var/log/fimd, that the
 * installed binary validates its installed rules and writes its baseline
 * at the installed path, that installing again keeps an edited conffile
 * and a unit the administrator disabled, and that a purge removes the
 * package and what fimd made at run time.  The package is purged before (a leftover of an
 * earlier run) and after, also when a test failed.  Files of a fimd that
 * dpkg did not install stop the group instead: the purge would take
 * them.  Needs root.  The source tree is $FIMD_SRCDIR (default "."); it
 * is only read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

/* What the package owns or makes, and what must be gone after a purge. */
static const char *const run_dirs[] = {
	"/var/lib/fimd", "/var/log/fimd", "/etc/fimd", "/usr/share/fimd",
	"/usr/sbin/fimd",
};
#define NRUN_DIRS (sizeof(run_dirs) / sizeof(run_dirs[0]))

#define WANTS	"/etc/systemd/system/multi-user.target.wants/fimd.service"
#define TIMER_WANTS "/etc/systemd/system/timers.target.wants/" \
		"fimd-check.timer"

struct deb {
	char	*w;		/* scratch directory */
	char	*src;		/* the source tree */
	char	*obj;		/* w/build, the object directory */
	char	*deb;		/* the package built */
	char	*build_out;	/* what make deb printed */
	char	*install_out;	/* what dpkg -i printed */
	bool	 root;
};

static struct deb d;

/*
 * dpkg with its output (stdout and stderr) in *ret_out.  dpkg does not
 * wait for its lock, and other programs on the machine (apt, a test
 * reinstalling a package) may hold it for a while: retry while it says
 * so, up to five minutes.
 */
static int
dpkg_out(char **ret_out, const char *args)
{
	double t0 = tlib_now();
	int r;

	for (;;) {
		*ret_out = NULL;
		r = tlib_sh_out(ret_out, "DEBIAN_FRONTEND=noninteractive "
		    "dpkg %s 2>&1 </dev/null", args);
		if (r == 0 || *ret_out == NULL ||
		    strstr(*ret_out, " lock ") == NULL ||
		    tlib_now() - t0 > 300)
			return r;
		free(*ret_out);
		tlib_sleep_ms(1000);
	}
}

/* The package's dpkg state ("installed", "config-files", ...), or "". */
static char *
pkg_state(void)
{
	char *out = NULL;

	if (tlib_sh_out(&out, "dpkg-query -W -f='${db:Status-Status}' fimd "
	    "2>/dev/null") != 0) {
		free(out);
		out = tlib_fmt("%s", "");
	}
	return out;
}

/* Purge the package when dpkg knows it in any state; 0 when gone. */
static int
purge(char **ret_out)
{
	char *st = pkg_state();
	int r = 0;

	*ret_out = NULL;
	if (strcmp(st, "") != 0 && strcmp(st, "not-installed") != 0)
		r = dpkg_out(ret_out, "--purge fimd");
	free(st);
	return r;
}

/* Paths of a fimd dpkg does not know about; NULL when there are none. */
static const char *
foreign_files(void)
{
	struct stat st;
	char *state = pkg_state();
	bool known = strcmp(state, "") != 0 &&
	    strcmp(state, "not-installed") != 0;
	size_t i;

	free(state);
	if (known)
		return NULL;
	for (i = 0; i < NRUN_DIRS; i++)
		if (lstat(run_dirs[i], &st) == 0)
			return run_dirs[i];
	return NULL;
}

static int
setup(void **state)
{
	const char *src = getenv("FIMD_SRCDIR"), *foreign;
	char *out = NULL, *args;
	int r;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.root = tlib_is_root();
	if (!d.root)
		return 0;	/* each test skips visibly */
	d.w = tlib_mkdtemp("t910");
	d.src = realpath(src != NULL ? src : ".", NULL);
	d.obj = tlib_fmt("%s/build", d.w);
	if (d.src == NULL)
		return -1;
	if (purge(&out) != 0) {
		fprintf(stderr, "dpkg --purge fimd failed:\n%s\n", out);
		free(out);
		return -1;
	}
	free(out);
	if ((foreign = foreign_files()) != NULL) {
		fprintf(stderr, "%s exists but dpkg has no fimd package: "
		    "a purge would remove it; move it away first\n", foreign);
		return -1;
	}
	/*
	 * The parent's make variables are dropped: under `make check`
	 * they would hand this make the outer jobserver and command line.
	 */
	r = tlib_sh_out(&d.build_out, "env -u MAKEFLAGS -u MFLAGS "
	    "-u MAKELEVEL -u MAKEOVERRIDES make --no-print-directory -C '%s' "
	    "O='%s' DEB_JOBS=2 deb 2>&1", d.src, d.obj);
	if (r != 0) {
		fprintf(stderr, "make deb failed (%d):\n%s\n", r, d.build_out);
		return -1;
	}
	if (tlib_sh_out(&out, "ls '%s'/deb/fimd_*.deb", d.obj) != 0) {
		fprintf(stderr, "make deb wrote no package:\n%s\n",
		    d.build_out);
		free(out);
		return -1;
	}
	out[strcspn(out, "\n")] = '\0';
	d.deb = out;
	args = tlib_fmt("-i '%s'", d.deb);
	r = dpkg_out(&d.install_out, args);
	free(args);
	if (r != 0) {
		fprintf(stderr, "dpkg -i failed (%d):\n%s\n", r,
		    d.install_out);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char *out = NULL;

	(void)state;
	if (d.root && purge(&out) != 0)
		fprintf(stderr, "teardown: dpkg --purge fimd failed:\n%s\n",
		    out);
	free(out);
	tlib_rmrf(d.w);
	free(d.w);
	free(d.src);
	free(d.obj);
	free(d.deb);
	free(d.build_out);
	free(d.install_out);
	return 0;
}

/* Whether a line of text starts with prefix. */
static bool
has_line(const char *text, const char *prefix)
{
	const char *p;

	for (p = text; p != NULL; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* Built by Debian's tools, and lintian had nothing to say. */
static void
test_built(void **state)
{
	char *out = NULL;

	(void)state;
	tlib_require_root("t910 installs a package");
	assert_non_null(strstr(d.build_out, "dpkg-buildpackage -b -us -uc"));
	assert_non_null(strstr(d.build_out, "dh_installsystemd"));
	assert_non_null(strstr(d.build_out, "\nlintian "));
	if (has_line(d.build_out, "E: ") || has_line(d.build_out, "W: "))
		fail_msg("lintian reported:\n%s", d.build_out);
	/* The tree's own version, in the package's name and control. */
	assert_int_equal(tlib_sh_out(&out, "dpkg-deb -f '%s' Version",
	    d.deb), 0);
	assert_string_equal(out, "0.1.0\n");
	free(out);
	/* Nothing written into the source tree. */
	assert_int_equal(tlib_sh("cd '%s' && test ! -e debian/fimd && "
	    "test ! -e debian/files && test ! -e debian/.debhelper && "
	    "test ! -e debian/debhelper-build-stamp", d.src), 0);
}

/* Where the files are, which are conffiles; the pages' paths. */
static void
test_files(void **state)
{
	static const char *const owned[] = {
		"/usr/sbin/fimd",
		"/usr/share/fimd/rules.d/10-identity.json",
		"/usr/share/fimd/rules.d/20-system-binaries.json",
		"/etc/fimd/fimd.json",
		"/etc/fimd/rules.d",
		"/etc/logrotate.d/fimd",
		"/lib/systemd/system/fimd.service",
		"/lib/systemd/system/fimd-check.service",
		"/lib/systemd/system/fimd-check.timer",
		"/usr/lib/tmpfiles.d/fimd.conf",
		"/usr/share/man/man8/fimd.8.gz",
		"/usr/share/man/man5/fimd.conf.5.gz",
		"/usr/share/man/man5/fimd.rules.5.gz",
		"/usr/share/man/man5/fimd.alerts.5.gz",
		"/usr/share/man/man5/fimd.baseline.5.gz",
		"/usr/share/doc/fimd/copyright",
		"/usr/share/doc/fimd/examples/README",
		"/usr/share/doc/fimd/examples/rsyslog-relp.conf",
		"/usr/share/doc/fimd/examples/rsyslog-collector.conf",
	};
	char *list = NULL, *line, *out = NULL;
	struct stat st;
	size_t i;

	(void)state;
	tlib_require_root("t910 installs a package");
	assert_int_equal(tlib_sh_out(&list, "dpkg -L fimd"), 0);
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		line = tlib_fmt("\n%s\n", owned[i]);
		if (strstr(list, line) == NULL)
			fail_msg("dpkg -L fimd does not list %s:\n%s",
			    owned[i], list);
		free(line);
		assert_int_equal(lstat(owned[i], &st), 0);
	}
	/* Nothing under /usr/local, and no unit in /usr/lib on Debian 12. */
	assert_null(strstr(list, "/usr/local"));
	assert_null(strstr(list, "/usr/lib/systemd"));
	free(list);
	assert_int_equal(stat("/usr/sbin/fimd", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* Every file as the package's md5sums say. */
	assert_int_equal(tlib_sh_out(&out, "dpkg --verify fimd 2>&1"), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(tlib_sh_out(&out, "dpkg-query -W "
	    "-f='${Conffiles}' fimd"), 0);
	assert_non_null(strstr(out, " /etc/fimd/fimd.json "));
	assert_non_null(strstr(out, " /etc/logrotate.d/fimd "));
	free(out);
	/* The installed pages name the installed paths. */
	assert_int_equal(tlib_sh("zcat /usr/share/man/man8/fimd.8.gz | "
	    "grep -q '/lib/systemd/system/fimd.service' && "
	    "! zgrep -q -e /usr/local -e @SYSCONFDIR@ "
	    "/usr/share/man/man8/fimd.8.gz /usr/share/man/man5/fimd.*.5.gz"),
	    0);
	out = tlib_read("/lib/systemd/system/fimd.service", NULL);
	assert_non_null(out);
	assert_non_null(strstr(out, "\nExecStart=/usr/sbin/fimd --daemon"));
	free(out);
}

/*
 * Enabled the Debian way: deb-systemd-helper made the symlink without a
 * running systemd, the install did not fail for want of one, and the
 * timer is not enabled.  tmpfiles made the log directory.
 */
static void
test_unit_enabled(void **state)
{
	char buf[256];
	struct stat st;
	ssize_t n;

	(void)state;
	tlib_require_root("t910 installs a package");
	n = readlink(WANTS, buf, sizeof(buf) - 1);
	if (n < 0)
		fail_msg("%s: not enabled; dpkg -i said:\n%s", WANTS,
		    d.install_out);
	buf[n] = '\0';
	assert_string_equal(buf, "/lib/systemd/system/fimd.service");
	assert_int_not_equal(lstat(TIMER_WANTS, &st), 0);
	if (access("/run/systemd/system", F_OK) == 0) {
		/* Under a running systemd the package started it. */
		assert_int_equal(tlib_sh("systemctl is-active --quiet "
		    "fimd.service"), 0);
	} else {
		/* Nothing to start, and nothing failed for want of it. */
		assert_null(strstr(d.install_out, "error"));
		assert_null(strstr(d.install_out, "fail"));
	}
	assert_int_equal(stat("/var/log/fimd", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(tlib_sh("test \"$(stat -c %%U:%%G /var/log/fimd)\" = "
	    "root:adm"), 0);
}

/* The installed binary on its installed rules, config and baseline. */
static void
test_validate_init(void **state)
{
	char *out = NULL;
	struct stat st;

	(void)state;
	tlib_require_root("t910 installs a package");
	assert_int_equal(tlib_sh_out(&out, "/usr/sbin/fimd --version"), 0);
	assert_non_null(strstr(out, "fimd 0.1.0\n"));
	assert_non_null(strstr(out, "config:        /etc/fimd/fimd.json\n"));
	assert_non_null(strstr(out,
	    "shipped rules: /usr/share/fimd/rules.d\n"));
	free(out);
	assert_int_equal(tlib_sh_out(&out, "/usr/sbin/fimd --validate 2>&1"),
	    0);
	assert_non_null(strstr(out, "/etc/fimd/rules.d: "));
	assert_non_null(strstr(out, ": valid\n"));
	free(out);
	assert_int_equal(tlib_sh_out(&out, "/usr/sbin/fimd --validate -q "
	    "2>&1"), 0);
	assert_string_equal(out, "");
	free(out);
	/* The shipped rules cover /etc, /usr/bin, ...: a few seconds. */
	assert_int_equal(tlib_sh_out(&out, "/usr/sbin/fimd --init 2>&1"), 0);
	assert_non_null(strstr(out, "written to /var/lib/fimd/baseline.json"));
	free(out);
	assert_int_equal(stat("/var/lib/fimd/baseline.json", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(st.st_size > 0);
	assert_int_equal(stat("/var/lib/fimd", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* The package's own conffile is in the baseline it wrote. */
	assert_int_equal(tlib_sh_out(&out, "/usr/sbin/fimd --query "
	    "/etc/fimd/fimd.json 2>&1"), 0);
	assert_non_null(strstr(out, "/etc/fimd/fimd.json"));
	free(out);
}

/*
 * Installed again over an edited conffile and a unit the administrator
 * disabled: dpkg keeps the file as edited (the package's is unchanged,
 * so it does not ask), deb-systemd-helper leaves the unit disabled
 * (systemctl disable works without a running systemd), and the baseline
 * stays.
 */
static void
test_reinstall(void **state)
{
	static const char conf[] = "{\n\t\"workers\": 1\n}\n";
	char *out = NULL, *args, *text;
	struct stat st;

	(void)state;
	tlib_require_root("t910 installs a package");
	tlib_write("/etc/fimd/fimd.json", conf, (size_t)-1);
	assert_int_equal(tlib_sh("systemctl disable fimd.service "
	    ">/dev/null 2>&1"), 0);
	assert_int_not_equal(lstat(WANTS, &st), 0);
	args = tlib_fmt("-i '%s'", d.deb);
	if (dpkg_out(&out, args) != 0)
		fail_msg("dpkg -i again failed:\n%s", out);
	free(args);
	free(out);
	text = tlib_read("/etc/fimd/fimd.json", NULL);
	assert_non_null(text);
	assert_string_equal(text, conf);
	free(text);
	assert_int_not_equal(lstat(WANTS, &st), 0);
	assert_int_equal(stat("/var/lib/fimd/baseline.json", &st), 0);
	assert_int_equal(tlib_sh_out(&out, "/usr/sbin/fimd --validate -q "
	    "2>&1"), 0);
	assert_string_equal(out, "");
	free(out);
	/*
	 * dpkg sees an edited conffile, nothing else (Debian 12's dpkg
	 * exits 0 on differences; the output is the verdict).
	 */
	assert_int_equal(tlib_sh_out(&out, "dpkg --verify fimd 2>&1"), 0);
	assert_string_equal(out, "??5?????? c /etc/fimd/fimd.json\n");
	free(out);
}

/* A purge takes the package, its conffiles and what fimd made. */
static void
test_purge(void **state)
{
	char *out = NULL, *st;
	struct stat sb;
	size_t i;

	(void)state;
	tlib_require_root("t910 installs a package");
	tlib_write("/var/log/fimd/alerts.json", "{}\n", (size_t)-1);
	assert_int_equal(dpkg_out(&out, "--purge fimd"), 0);
	free(out);
	st = pkg_state();
	if (strcmp(st, "") != 0 && strcmp(st, "not-installed") != 0)
		fail_msg("fimd is still known to dpkg as %s", st);
	free(st);
	for (i = 0; i < NRUN_DIRS; i++)
		if (lstat(run_dirs[i], &sb) == 0)
			fail_msg("%s is left after the purge", run_dirs[i]);
	assert_int_not_equal(lstat(WANTS, &sb), 0);
	assert_int_not_equal(lstat("/lib/systemd/system/fimd.service", &sb),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_built),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_unit_enabled),
		cmocka_unit_test(test_validate_init),
		cmocka_unit_test(test_reinstall),
		cmocka_unit_test(test_purge),
	};

	return cmocka_run_group_tests_name("t910_deb", tests, setup,
	    teardown);
}
