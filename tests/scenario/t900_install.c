/*
 * 9xx: installation.  The group builds the tree once into its own object
 * directory and runs `make install DESTDIR=... PREFIX=/usr`, as a package
 * build does, then asserts on what landed there: the binary's compiled-in
 * paths (fimd --version), the man pages, the units, the configuration
 * file (kept when it exists), and that a change of prefix rebuilds the
 * binary while an unchanged one rebuilds nothing.
 * The source tree is $FIMD_SRCDIR (default "."); it is only read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

struct inst {
	char	*w;		/* scratch directory */
	char	*src;		/* the source tree */
	char	*obj;		/* w/build, the object directory */
	char	*dest;		/* w/dest, DESTDIR */
	char	*fimd;		/* the installed binary */
};

static struct inst in;

/*
 * make in the source tree with the scratch object directory.  The
 * parent's make variables are dropped: under `make check` they would
 * hand this make the outer jobserver and the outer command line.
 */
static int
make_out(char **ret_out, const char *args)
{
	return tlib_sh_out(ret_out, "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "
	    "-u MAKEOVERRIDES make --no-print-directory -C '%s' O='%s' %s "
	    "2>&1", in.src, in.obj, args);
}

static int
setup(void **state)
{
	const char *src = getenv("FIMD_SRCDIR");
	char *out = NULL, *args;
	int r;

	(void)state;
	in.w = tlib_mkdtemp("t900");
	in.src = realpath(src != NULL ? src : ".", NULL);
	in.obj = tlib_fmt("%s/build", in.w);
	in.dest = tlib_fmt("%s/dest", in.w);
	in.fimd = tlib_fmt("%s/usr/sbin/fimd", in.dest);
	if (in.src == NULL)
		return -1;
	/* A plain build first, then the install with another prefix. */
	if ((r = make_out(&out, "-j2")) == 0) {
		free(out);
		out = NULL;
		args = tlib_fmt("install DESTDIR='%s' PREFIX=/usr", in.dest);
		r = make_out(&out, args);
		free(args);
	}
	if (r != 0)
		fprintf(stderr, "make failed (%d):\n%s\n", r, out);
	free(out);
	return r == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	tlib_rmrf(in.w);
	free(in.w);
	free(in.src);
	free(in.obj);
	free(in.dest);
	free(in.fimd);
	return 0;
}

static char *
dest_file(const char *rel)
{
	char *p = tlib_fmt("%s%s", in.dest, rel), *text;

	text = tlib_read(p, NULL);
	if (text == NULL)
		fail_msg("%s was not installed", p);
	free(p);
	return text;
}

/* The binary installed after a plain make has the configured paths. */
static void
test_binary_paths(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(tlib_sh_out(&out, "'%s' --version", in.fimd), 0);
	assert_non_null(strstr(out, "fimd "));
	assert_non_null(strstr(out,
	    "shipped rules: /usr/share/fimd/rules.d\n"));
	assert_non_null(strstr(out, "config:        /etc/fimd/fimd.json\n"));
	assert_non_null(strstr(out, "rules:         /etc/fimd/rules.d\n"));
	assert_non_null(strstr(out,
	    "recommend:     /usr/share/fimd/recommend.json\n"));
	/* What it was built with: backends, digests, sinks. */
	assert_non_null(strstr(out, "backends:      auto fanotify inotify "
	    "none\n"));
	assert_non_null(strstr(out, "hashes:        sha256 "));
	assert_non_null(strstr(out, "sinks:         file syslog journald\n"));
	assert_null(strstr(out, "/usr/local"));
	free(out);
	/* Nowhere in the binary either. */
	assert_int_equal(tlib_sh("strings '%s' | grep -q /usr/local/share",
	    in.fimd), 1);
}

static void
test_man_pages(void **state)
{
	static const char *const pages[] = {
		"/usr/share/man/man8/fimd.8",
		"/usr/share/man/man5/fimd.conf.5",
		"/usr/share/man/man5/fimd.rules.5",
		"/usr/share/man/man5/fimd.alerts.5",
		"/usr/share/man/man5/fimd.baseline.5",
	};
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		text = dest_file(pages[i]);
		if (strstr(text, "/usr/local") != NULL)
			fail_msg("%s names /usr/local", pages[i]);
		if (strstr(text, "@SYSCONFDIR@") != NULL ||
		    strstr(text, "@DATADIR@") != NULL ||
		    strstr(text, "@SBINDIR@") != NULL ||
		    strstr(text, "@UNITDIR@") != NULL ||
		    strstr(text, "@DOCDIR@") != NULL)
			fail_msg("%s has a placeholder left", pages[i]);
		free(text);
	}
	text = dest_file("/usr/share/man/man8/fimd.8");
	assert_non_null(strstr(text, "/usr/share/fimd/rules.d"));
	assert_non_null(strstr(text, "/etc/fimd/fimd.json"));
	assert_non_null(strstr(text, "/usr/lib/systemd/system/fimd.service"));
	assert_non_null(strstr(text, "/usr/share/doc/fimd/examples"));
	free(text);
	assert_int_equal(tlib_sh("mandoc -Tlint -Wwarning %s/usr/share/man/"
	    "man8/fimd.8 %s/usr/share/man/man5/fimd.*.5", in.dest, in.dest),
	    0);
}

/* The units name the installed binary and create their directories. */
static void
test_units(void **state)
{
	char *text;

	(void)state;
	text = dest_file("/usr/lib/systemd/system/fimd.service");
	assert_non_null(strstr(text, "\nExecStart=/usr/sbin/fimd --daemon"));
	assert_non_null(strstr(text, "\nLogsDirectory=fimd\n"));
	assert_non_null(strstr(text, "\nStateDirectory=fimd\n"));
	assert_non_null(strstr(text, "\nRuntimeDirectory=fimd\n"));
	assert_null(strstr(text, "@SBINDIR@"));
	free(text);
	text = dest_file("/usr/lib/systemd/system/fimd-check.service");
	assert_non_null(strstr(text, "\nExecStart=/usr/sbin/fimd --check"));
	free(text);
	text = dest_file("/usr/lib/systemd/system/fimd-check.timer");
	assert_non_null(strstr(text, "\nOnCalendar=daily\n"));
	free(text);
	/* Installed, not enabled: nothing under the .wants directories. */
	assert_int_equal(tlib_sh("find '%s' -path '*.wants*' | grep -q .",
	    in.dest), 1);
	text = dest_file("/etc/logrotate.d/fimd");
	assert_non_null(strstr(text, "/usr/sbin/fimd --reopen"));
	free(text);
}

/*
 * The configuration file (a conffile in the package) names the
 * configured rules directory and is valid; an install over an edited one
 * leaves it as the administrator wrote it.
 */
static void
test_config_file(void **state)
{
	char *conf = tlib_fmt("%s/etc/fimd/fimd.json", in.dest);
	char *text, *out = NULL, *args;

	(void)state;
	text = dest_file("/etc/fimd/fimd.json");
	assert_non_null(strstr(text, "\"rules\": \"/etc/fimd/rules.d\""));
	assert_null(strstr(text, "@SYSCONFDIR@"));
	free(text);
	assert_int_equal(tlib_sh_out(&out, "'%s' --validate -q -c '%s' "
	    "-r '%s/etc/fimd/rules.d' --shipped-rules "
	    "'%s/usr/share/fimd/rules.d' 2>&1", in.fimd, conf, in.dest,
	    in.dest), 0);
	assert_string_equal(out, "");
	free(out);
	tlib_write(conf, "{\"workers\": 1}\n", (size_t)-1);
	args = tlib_fmt("install DESTDIR='%s' PREFIX=/usr", in.dest);
	assert_int_equal(make_out(&out, args), 0);
	free(out);
	free(args);
	text = dest_file("/etc/fimd/fimd.json");
	assert_string_equal(text, "{\"workers\": 1}\n");
	free(text);
	free(conf);
}

/*
 * What ExecStartPre runs, on the installed rules: silent with -q, one
 * summary line by default, the overlap notes with -v.
 */
static void
test_validate_installed(void **state)
{
	char *rules = tlib_fmt("%s/etc/fimd/rules.d", in.dest);
	char *shipped = tlib_fmt("%s/usr/share/fimd/rules.d", in.dest);
	char *out = NULL;

	(void)state;
	assert_int_equal(tlib_sh_out(&out, "'%s' --validate -q -r '%s' "
	    "--shipped-rules '%s' 2>&1", in.fimd, rules, shipped), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(tlib_sh_out(&out, "'%s' --validate -r '%s' "
	    "--shipped-rules '%s' 2>&1", in.fimd, rules, shipped), 0);
	assert_non_null(strstr(out, ": valid\n"));
	assert_null(strstr(out, "more specific"));
	assert_null(strstr(out, "warning:"));
	free(out);
	assert_int_equal(tlib_sh_out(&out, "'%s' --validate -v -r '%s' "
	    "--shipped-rules '%s' 2>&1", in.fimd, rules, shipped), 0);
	assert_non_null(strstr(out, ": note: rule identity path /etc/passwd "
	    "is more specific than rule system-config's /etc"));
	free(out);
	/* The installed recommendation file loads (0 or 1: proposals or
	 * none under the installed rules). */
	assert_int_equal(tlib_sh("printf '{\"recommendations\": "
	    "\"%s/usr/share/fimd/recommend.json\"}' > '%s/rec.json' && "
	    "'%s' --recommend -q -c '%s/rec.json' -r '%s' --shipped-rules "
	    "'%s' > /dev/null; test $? -le 1", in.dest, in.dest, in.fimd,
	    in.dest, rules, shipped), 0);
	free(rules);
	free(shipped);
}

/* The shippers' configurations, as documentation, each as in the tree. */
static void
test_examples(void **state)
{
	static const char *const names[] = {
		"README", "rsyslog-relp.conf", "rsyslog-tcp.conf",
		"rsyslog-collector.conf", "syslog-ng.conf", "filebeat.yml",
		"vector.yaml", "fluent-bit.conf", "fluent-bit-parsers.conf",
	};
	char *inst, *src;
	struct stat st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		inst = tlib_fmt("%s/usr/share/doc/fimd/examples/%s", in.dest,
		    names[i]);
		src = tlib_fmt("%s/examples/%s", in.src, names[i]);
		if (stat(inst, &st) != 0)
			fail_msg("%s was not installed", inst);
		assert_int_equal(st.st_mode & 07777, 0644);
		assert_int_equal(tlib_sh("cmp -s '%s' '%s'", src, inst), 0);
		free(inst);
		free(src);
	}
	/* Nothing else there: every file of examples/ is listed above. */
	assert_int_equal(tlib_sh("test $(ls '%s/usr/share/doc/fimd/examples' "
	    "| wc -l) -eq %zu", in.dest, sizeof(names) / sizeof(names[0])),
	    0);
}

/*
 * uninstall takes away what install put, the examples included, and
 * keeps the configuration.
 */
static void
test_uninstall(void **state)
{
	char *out = NULL, *args, *dest = tlib_fmt("%s/dest2", in.w);

	(void)state;
	args = tlib_fmt("install DESTDIR='%s' PREFIX=/usr", dest);
	assert_int_equal(make_out(&out, args), 0);
	free(out);
	free(args);
	args = tlib_fmt("uninstall DESTDIR='%s' PREFIX=/usr", dest);
	assert_int_equal(make_out(&out, args), 0);
	free(out);
	free(args);
	assert_int_equal(tlib_sh("test -e '%s/usr/share/doc/fimd'", dest), 1);
	assert_int_equal(tlib_sh("test -e '%s/usr/sbin/fimd'", dest), 1);
	/* Only directories are left, and the configuration. */
	assert_int_equal(tlib_sh("find '%s' ! -type d ! -path '*/etc/fimd/*' "
	    "| grep -q .", dest), 1);
	assert_int_equal(tlib_sh("test -f '%s/etc/fimd/fimd.json'", dest), 0);
	free(dest);
}

/*
 * Another prefix rebuilds the binary with it; the same prefix again
 * compiles nothing.
 */
static void
test_prefix_change(void **state)
{
	char *out = NULL, *bin = tlib_fmt("%s/fimd", in.obj);

	(void)state;
	assert_int_equal(make_out(&out, "PREFIX=/opt/fimd"), 0);
	assert_non_null(strstr(out, " -c -o "));
	free(out);
	assert_int_equal(tlib_sh_out(&out, "'%s' --version", bin), 0);
	assert_non_null(strstr(out,
	    "shipped rules: /opt/fimd/share/fimd/rules.d\n"));
	free(out);
	assert_int_equal(make_out(&out, "PREFIX=/opt/fimd"), 0);
	if (strstr(out, " -c -o ") != NULL || strstr(out, " -o ") != NULL)
		fail_msg("an unchanged prefix rebuilt:\n%s", out);
	free(out);
	free(bin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_paths),
		cmocka_unit_test(test_man_pages),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_validate_installed),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_uninstall),
		cmocka_unit_test(test_prefix_change),
	};

	return cmocka_run_group_tests_name("t900_install", tests, setup,
	    teardown);
}
