/*
 * t500: package verdicts on this machine's real dpkg, with a small
 * package from Debian's archive (sysfsutils: a binary, /usr/bin/systool,
 * and two conffiles).  Under the daemon: `apt-get install --reinstall`
 * gives alerts with fimd.verdict "package" naming the package and its
 * version, and, with package_changes "summarize", one package_changed
 * summary and no line about a *.dpkg-new name; the binary overwritten
 * with another program's bytes is package-mismatch; an edited conffile
 * is conffile-edited.  A repacked newer build and back is "upgraded"
 * then "downgraded"; dpkg -r and -P are one "removed" summary each,
 * not a deleted alert per file.  `fimd --check --packages` finds the
 * binary changed before --init.  Every test puts the package back as dpkg
 * installed it (dpkg --verify is clean again).  Needs root; apt must
 * reach the archive where the package is not installed or cached (a
 * visible skip otherwise, a failure under FIMD_TEST_REQUIRE_ROOT=1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdaemon.h"
#include "tlib.h"

#define PKG	"sysfsutils"
#define BIN	"/usr/bin/systool"
#define CONF	"/etc/sysfs.conf"
#define APT	"DEBIAN_FRONTEND=noninteractive apt-get -q -y " \
		"-o DPkg::Lock::Timeout=300 "

/* A visible skip where apt cannot help; never in CI. */
#define skip_no_archive(what) do {					\
	if (tlib_root_required())					\
		fail_msg("%s: apt cannot reach the archive", (what));	\
	printf("SKIP: %s (apt cannot reach Debian's archive)\n", (what)); \
	skip();								\
} while (0)

static bool
installed(void)
{
	char *out = NULL;
	bool ok;

	(void)tlib_sh_out(&out, "dpkg-query -W -f='${Status}' " PKG
	    " 2>/dev/null");
	ok = out != NULL && strcmp(out, "install ok installed") == 0;
	free(out);
	return ok;
}

/* The package installed and as dpkg recorded it, or the test skips. */
static void
need_package(const char *what)
{
	tlib_require_root(what);
	if (!installed() &&
	    tlib_sh(APT "install " PKG " >/dev/null 2>&1") != 0)
		skip_no_archive(what);
	assert_true(installed());
	if (tlib_sh("dpkg --verify " PKG " | grep -q .") == 0 &&
	    tlib_sh(APT "install --reinstall " PKG " >/dev/null 2>&1") != 0)
		skip_no_archive(what);
}

/* Reinstall (dpkg puts back what a test changed); false: apt failed. */
static bool
reinstall(void)
{
	return tlib_sh(APT "install --reinstall " PKG " >/dev/null 2>&1") == 0;
}

static char *
version(void)
{
	char *out = NULL;

	assert_int_equal(tlib_sh_out(&out, "dpkg-query -W -f='${Version}' "
	    PKG), 0);
	return out;
}

/* Back as installed, whatever the test did; then dpkg agrees. */
static void
restore(const char *saved_bin, const char *saved_conf)
{
	if (saved_bin != NULL)
		(void)tlib_sh("cat '%s' > " BIN, saved_bin);
	if (saved_conf != NULL)
		(void)tlib_sh("cat '%s' > " CONF, saved_conf);
	if (tlib_sh("dpkg --verify " PKG " | grep -q .") == 0)
		(void)reinstall();
	assert_int_not_equal(tlib_sh("dpkg --verify " PKG " | grep -q ."), 0);
}

/* A daemon whose one rule covers the package's binary and conffiles. */
static void	wait_ready(struct tdaemon *d);

static void
start(struct tdaemon *d, const char *tag, const char *extra_rule)
{
	char *rules;

	tdaemon_init(d, tag, "fanotify", NULL);
	rules = tlib_fmt("{\"rules\":[{\"name\":\"pkg\",\"paths\":"
	    "[\"/usr/bin\",\"/etc/sysfs.conf\",\"/etc/init.d\"],"
	    "\"include\":[\"systool*\",\"sysfs*\"],\"severity\":\"high\""
	    "%s}]}\n", extra_rule != NULL ? extra_rule : "");
	tlib_write(d->rules, rules, (size_t)-1);
	free(rules);
	tdaemon_start(d, NULL);
	wait_ready(d);
}

/* The database is read in slices after start-up: wait for it. */
static void
wait_ready(struct tdaemon *d)
{
	json_t *st;
	double t0;

	for (t0 = tlib_now(); tlib_now() - t0 < 60; tlib_sleep_ms(100)) {
		struct tlib_run r;

		tdaemon_fimd(d, &r, "--status", "--json", NULL);
		st = r.status == 0 ? json_loads(r.out, 0, NULL) : NULL;
		tlib_run_release(&r);
		if (st != NULL && json_is_true(tlib_json_get(st,
		    "packages.ready"))) {
			assert_true(json_integer_value(tlib_json_get(st,
			    "packages.paths")) > 1000);
			json_decref(st);
			return;
		}
		json_decref(st);
	}
	fail_msg("the package database was not read within 60 s");
}

static void
expect_package(const json_t *a, const char *verdict, const char *ver)
{
	assert_non_null(a);
	assert_string_equal(tlib_json_str(a, "fimd.verdict"), verdict);
	assert_string_equal(tlib_json_str(a, "package.name"), PKG);
	assert_string_equal(tlib_json_str(a, "package.type"), "deb");
	assert_string_equal(tlib_json_str(a, "package.version"), ver);
}

static size_t
dpkg_new_lines(const struct tdaemon *d)
{
	const json_t *a;
	const char *p;
	size_t i, n = 0;

	json_array_foreach(d->alerts_seen, i, a) {
		p = tlib_json_str(a, "file.path");
		if (p != NULL && strstr(p, ".dpkg-new") != NULL)
			n++;
	}
	return n;
}

/* Realtime: reinstall, then a binary overwritten and a conffile edited. */
static void
test_realtime_verdicts(void **state)
{
	struct tdaemon d;
	json_t *a;
	char *ver, *saved_bin, *saved_conf;

	(void)state;
	need_package("t500 realtime verdicts");
	ver = version();
	start(&d, "t500rt", NULL);
	saved_bin = tlib_fmt("%s/systool.saved", d.w);
	saved_conf = tlib_fmt("%s/sysfs.conf.saved", d.w);
	assert_int_equal(tlib_sh("cp -p " BIN " '%s' && cp -p " CONF " '%s'",
	    saved_bin, saved_conf), 0);

	if (!reinstall())
		skip_no_archive("t500 reinstall");
	a = tdaemon_wait(&d, NULL, BIN, 20000);
	expect_package(a, "package", ver);
	assert_true(strstr(tlib_json_str(a, "message"), "package ("
	    PKG) != NULL);

	/* Another program's bytes over the binary, by cat (not dpkg). */
	assert_int_equal(tlib_sh("cat /usr/bin/true > " BIN), 0);
	a = tdaemon_wait(&d, "updated", BIN, 10000);
	while (a != NULL && strcmp(tlib_json_str(a, "fimd.verdict"),
	    "package") == 0)
		a = tdaemon_wait(&d, "updated", BIN, 10000);
	expect_package(a, "package-mismatch", ver);

	assert_int_equal(tlib_sh("echo '# edited by t500' >> " CONF), 0);
	a = tdaemon_wait(&d, "updated", CONF, 10000);
	expect_package(a, "conffile-edited", ver);

	/* The same bytes put back by hand: the package's again. */
	assert_int_equal(tlib_sh("cat '%s' > " BIN, saved_bin), 0);
	tdaemon_settle(&d, 1500, 10000);
	a = json_array_get(d.alerts_seen, json_array_size(d.alerts_seen) - 1);
	assert_string_equal(tlib_json_str(a, "file.path"), BIN);
	expect_package(a, "package", ver);
	assert_int_equal(dpkg_new_lines(&d), 0);
	tdaemon_stop(&d);
	restore(saved_bin, saved_conf);
	free(saved_bin);
	free(saved_conf);
	free(ver);
	tdaemon_free(&d);
}

/* Exactly n alerts seen; else each one's message goes to stderr. */
static void
expect_count(const struct tdaemon *d, size_t n)
{
	json_t *a;
	size_t i;

	if (json_array_size(d->alerts_seen) == n)
		return;
	json_array_foreach(d->alerts_seen, i, a)
		fprintf(stderr, "alert %zu: %s\n", i, tlib_json_str(a,
		    "message"));
	fail_msg("%zu alerts, want %zu", json_array_size(d->alerts_seen), n);
}

/* package_changes "summarize": one line for the whole reinstall. */
static void
test_summarize(void **state)
{
	struct tdaemon d;
	struct tlib_run r;
	json_t *a;
	char *ver, *msg;

	(void)state;
	need_package("t500 summarize");
	ver = version();
	start(&d, "t500sum", ",\"package_changes\":\"summarize\"");
	if (!reinstall())
		skip_no_archive("t500 summarize reinstall");
	a = tdaemon_wait(&d, "package_changed", NULL, 30000);
	expect_package(a, "package", ver);
	msg = tlib_fmt("package reinstalled " PKG " %s, ", ver);
	assert_true(strncmp(tlib_json_str(a, "message"), msg,
	    strlen(msg)) == 0);
	assert_true(strstr(tlib_json_str(a, "message"), "all match") != NULL);
	free(msg);
	assert_true(json_integer_value(tlib_json_get(a, "fimd.files")) >= 1);
	assert_int_equal(json_integer_value(tlib_json_get(a,
	    "fimd.mismatched")), 0);
	assert_string_equal(tlib_json_str(a, "fimd.package_change"),
	    "reinstalled");
	assert_true(tlib_json_has(a, "event.category", "package"));
	assert_null(tlib_json_get(a, "file"));
	assert_string_equal(tlib_json_str(a, "rule.name"), "pkg");
	tdaemon_settle(&d, 1500, 10000);
	assert_int_equal(tlib_count_alerts(d.alerts_seen, "package_changed",
	    NULL), 1);
	assert_int_equal(tlib_count_alerts(d.alerts_seen, NULL, BIN), 0);
	assert_int_equal(dpkg_new_lines(&d), 0);
	expect_count(&d, 1);
	tdaemon_stop(&d);
	/* The baseline took the new state: a check finds nothing. */
	tdaemon_fimd(&d, &r, "--check", NULL, NULL);
	if (r.status != 0)
		fprintf(stderr, "%s%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	restore(NULL, NULL);
	free(ver);
	tdaemon_free(&d);
}

/*
 * The package's .deb at the installed version into dir/orig.deb: apt's
 * cache, else the archive; false when neither has it.
 */
static bool
fetch_deb(const char *dir, const char *ver)
{
	return tlib_sh("cd '%s' && for f in /var/cache/apt/archives/" PKG
	    "_*.deb; do [ \"$(dpkg-deb -f \"$f\" Version 2>/dev/null)\" = "
	    "'%s' ] && cp \"$f\" orig.deb && exit 0; done; "
	    "apt-get -q download " PKG "='%s' >/dev/null 2>&1 && "
	    "mv " PKG "_*.deb orig.deb", dir, ver, ver) == 0;
}

/* The summary line of the n-th package_changed (from 1), or NULL. */
static json_t *
wait_summary(struct tdaemon *d, size_t n)
{
	double t0 = tlib_now();
	json_t *a;
	size_t i, k;

	do {
		tdaemon_poll(d);
		k = 0;
		json_array_foreach(d->alerts_seen, i, a) {
			if (strcmp(tlib_json_str(a, "event.action"),
			    "package_changed") == 0 && ++k == n)
				return a;
		}
		tlib_sleep_ms(50);
	} while (tlib_now() - t0 < 30);
	return NULL;
}

/* The summary's message starts with want. */
static void
expect_summary(const json_t *a, const char *change, const char *want)
{
	const char *msg;

	assert_non_null(a);
	msg = tlib_json_str(a, "message");
	if (strncmp(msg, want, strlen(want)) != 0)
		fail_msg("summary \"%s\", want \"%s...\"", msg, want);
	assert_string_equal(tlib_json_str(a, "fimd.package_change"), change);
	assert_string_equal(tlib_json_str(a, "package.name"), PKG);
}

/*
 * An upgrade to a newer build of the same files (the .deb repacked at
 * VERSION+t500), then back with dpkg -i of the archive's: "upgraded",
 * then "downgraded", in dpkg's order of versions.
 */
static void
test_summarize_downgrade(void **state)
{
	struct tdaemon d;
	json_t *a;
	char *ver, *want;

	(void)state;
	need_package("t500 downgrade");
	ver = version();
	start(&d, "t500dn", ",\"package_changes\":\"summarize\"");
	if (!fetch_deb(d.w, ver))
		skip_no_archive("t500 downgrade: the .deb");
	assert_int_equal(tlib_sh("cd '%s' && dpkg-deb -R orig.deb x && "
	    "sed -i 's/^Version: .*/Version: %s+t500/' x/DEBIAN/control && "
	    "dpkg-deb -b x newer.deb >/dev/null && dpkg -i newer.deb "
	    ">/dev/null 2>&1", d.w, ver), 0);
	a = wait_summary(&d, 1);
	want = tlib_fmt("package upgraded " PKG " %s -> %s+t500, ", ver, ver);
	expect_summary(a, "upgraded", want);
	free(want);
	assert_int_equal(tlib_sh("dpkg -i '%s/orig.deb' >/dev/null 2>&1",
	    d.w), 0);
	a = wait_summary(&d, 2);
	want = tlib_fmt("package downgraded " PKG " %s+t500 -> %s, ", ver,
	    ver);
	expect_summary(a, "downgraded", want);
	free(want);
	want = tlib_fmt("%s+t500", ver);
	assert_string_equal(tlib_json_str(a, "fimd.previous_version"), want);
	free(want);
	assert_string_equal(tlib_json_str(a, "package.version"), ver);
	tdaemon_settle(&d, 1500, 10000);
	assert_int_equal(tlib_count_alerts(d.alerts_seen, NULL, BIN), 0);
	tdaemon_stop(&d);
	restore(NULL, NULL);
	free(ver);
	tdaemon_free(&d);
}

/*
 * dpkg -r, then dpkg -P: the files the package manager deletes (the
 * binary; with the purge, the conffiles) are one "removed" summary each
 * time, at the version removed, not a deleted alert per file; the
 * baseline takes the deletions.  dpkg -i puts it back.
 */
static void
test_summarize_remove(void **state)
{
	struct tdaemon d;
	struct tlib_run r;
	json_t *a;
	char *ver, *want;

	(void)state;
	need_package("t500 summarize removal");
	ver = version();
	start(&d, "t500rm", ",\"package_changes\":\"summarize\"");
	if (!fetch_deb(d.w, ver))
		skip_no_archive("t500 removal: the .deb");
	want = tlib_fmt("package removed " PKG " %s, ", ver);
	assert_int_equal(tlib_sh("dpkg -r " PKG " >/dev/null 2>&1"), 0);
	a = wait_summary(&d, 1);
	expect_summary(a, "removed", want);
	assert_string_equal(tlib_json_str(a, "package.version"), ver);
	assert_string_equal(tlib_json_str(a, "fimd.verdict"), "package");
	assert_true(strstr(tlib_json_str(a, "message"), "all match") != NULL);
	assert_true(json_integer_value(tlib_json_get(a, "fimd.files")) >= 1);
	/* dpkg itself, not the postrm's chmod of the init script. */
	assert_string_equal(tlib_json_str(a, "process.name"), "dpkg");
	tdaemon_settle(&d, 1500, 10000);
	assert_int_equal(tlib_count_alerts(d.alerts_seen, NULL, BIN), 0);
	expect_count(&d, 1);

	assert_int_equal(tlib_sh("dpkg -P " PKG " >/dev/null 2>&1"), 0);
	a = wait_summary(&d, 2);
	expect_summary(a, "removed", want);
	assert_int_equal(json_integer_value(tlib_json_get(a, "fimd.files")),
	    2);				/* /etc/sysfs.conf, its init script */
	tdaemon_settle(&d, 1500, 10000);
	assert_int_equal(tlib_count_alerts(d.alerts_seen, NULL, CONF), 0);
	expect_count(&d, 2);
	free(want);
	/* The baseline took the deletions: a check finds nothing. */
	tdaemon_stop(&d);
	tdaemon_fimd(&d, &r, "--check", NULL, NULL);
	if (r.status != 0)
		fprintf(stderr, "%s%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	tdaemon_start(&d, NULL);
	wait_ready(&d);

	assert_int_equal(tlib_sh("dpkg -i '%s/orig.deb' >/dev/null 2>&1",
	    d.w), 0);
	a = wait_summary(&d, 3);
	assert_non_null(a);
	tdaemon_settle(&d, 1500, 10000);
	expect_count(&d, 3);
	tdaemon_stop(&d);
	restore(NULL, NULL);
	free(ver);
	tdaemon_free(&d);
}

/* A binary altered before the baseline was taken. */
static void
test_check_packages(void **state)
{
	struct tdaemon d;
	struct tlib_run r;
	json_t *lines, *a;
	char *ver, *saved_bin;

	(void)state;
	need_package("t500 --check --packages");
	ver = version();
	tdaemon_init(&d, "t500chk", "none", NULL);
	tlib_write(d.rules, "{\"rules\":[{\"name\":\"pkg\",\"paths\":"
	    "[\"" BIN "\",\"" CONF "\",\"/etc/init.d/sysfsutils\"]}]}\n",
	    (size_t)-1);
	saved_bin = tlib_fmt("%s/systool.saved", d.w);
	assert_int_equal(tlib_sh("cp -p " BIN " '%s'", saved_bin), 0);
	assert_int_equal(tlib_sh("cat /usr/bin/true > " BIN), 0);
	tdaemon_fimd(&d, &r, "--init", NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_run_release(&r);
	tdaemon_fimd(&d, &r, "--check", NULL, NULL);
	assert_int_equal(r.status, 0);		/* the baseline agrees */
	tlib_run_release(&r);
	tdaemon_fimd(&d, &r, "--check", "--packages", "--json");
	assert_int_equal(r.status, 4);
	lines = tlib_json_lines(r.out, r.outlen);
	assert_int_equal(json_array_size(lines), 1);
	a = tlib_find_alert(lines, "package_differs", BIN);
	expect_package(a, "package-mismatch", ver);
	assert_true(strstr(tlib_json_str(a, "message"),
	    "differs from its package") != NULL);
	json_decref(lines);
	tlib_run_release(&r);
	/* Put back: the change is the package's own bytes. */
	assert_int_equal(tlib_sh("cat '%s' > " BIN, saved_bin), 0);
	tdaemon_fimd(&d, &r, "--check", "--packages", "--json");
	assert_int_equal(r.status, 4);
	lines = tlib_json_lines(r.out, r.outlen);
	expect_package(tlib_find_alert(lines, "updated", BIN), "package",
	    ver);
	assert_int_equal(json_array_size(lines), 1);
	json_decref(lines);
	tlib_run_release(&r);
	restore(saved_bin, NULL);
	free(saved_bin);
	free(ver);
	tdaemon_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realtime_verdicts),
		cmocka_unit_test(test_summarize),
		cmocka_unit_test(test_summarize_downgrade),
		cmocka_unit_test(test_summarize_remove),
		cmocka_unit_test(test_check_packages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
