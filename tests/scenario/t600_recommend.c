/*
 * 6xx: --recommend end to end with the shipped recommendation file.  On
 * this machine (rsyslog and systemd are installed by scripts/deps.sh):
 * the files written with --write pass --validate, a second run leaves
 * them as they were and says so; standard output is one valid rule file
 * and --json one document.  On a tree given with --root: a dpkg status
 * with nginx and its configuration naming a web root and a key makes
 * those paths proposals, the rules in force take away what they cover,
 * and a host with none of the software says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

struct env {
	char	*w;		/* scratch directory */
	char	*conf;		/* w/fimd.json naming the shipped file */
	char	*none;		/* w/none: no rules in force */
};

static struct env env;

static int
setup(void **state)
{
	const char *src = getenv("FIMD_SRCDIR");
	char *json;

	(void)state;
	env.w = tlib_mkdtemp("t600");
	env.conf = tlib_fmt("%s/fimd.json", env.w);
	env.none = tlib_fmt("%s/none", env.w);
	json = tlib_fmt("{\"recommendations\": \"%s/share/recommend.json\"}\n",
	    src != NULL ? src : ".");
	tlib_write(env.conf, json, (size_t)-1);
	free(json);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tlib_rmrf(env.w);
	free(env.w);
	free(env.conf);
	free(env.none);
	return 0;
}

/* fimd --recommend -c conf -r rules, then up to four more arguments. */
static void
recommend(struct tlib_run *r, const char *rules, const char *a1,
    const char *a2, const char *a3, const char *a4)
{
	const char *args[12];
	int n = 0;

	args[n++] = "--recommend";
	args[n++] = "-c";
	args[n++] = env.conf;
	args[n++] = "-r";
	args[n++] = rules;
	args[n++] = a1;
	args[n++] = a2;
	args[n++] = a3;
	args[n++] = a4;
	args[n] = NULL;
	tlib_run_fimd(r, 60, args);
	assert_false(r->timed_out);
}

static int
validate(const char *rules, char **ret_out)
{
	return tlib_sh_out(ret_out, "'%s' --validate -r '%s' 2>&1",
	    tlib_fimd(), rules);
}

static void
require_installed(const char *pkg)
{
	if (tlib_sh("dpkg-query -W -f='${Status}' %s 2>/dev/null | "
	    "grep -q 'ok installed'", pkg) != 0)
		fail_msg("%s is not installed (scripts/deps.sh installs it)",
		    pkg);
}

static void
test_this_machine_write(void **state)
{
	char *dir = tlib_fmt("%s/out", env.w), *out = NULL, *before, *after;
	char *rsys = tlib_fmt("%s/50-recommend-rsyslog.json", dir);
	char *sysd = tlib_fmt("%s/50-recommend-systemd.json", dir);
	struct tlib_run r;

	(void)state;
	require_installed("rsyslog");
	require_installed("systemd");
	recommend(&r, env.none, "--write", dir, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "wrote "));
	assert_non_null(strstr(r.err, "rsyslog (rsyslog"));
	tlib_run_release(&r);
	before = tlib_read(rsys, NULL);
	assert_non_null(before);
	assert_non_null(strstr(before, "\"/etc/rsyslog.conf\""));
	assert_non_null(strstr(before, "\"severity\": \"high\""));
	after = tlib_read(sysd, NULL);
	assert_non_null(after);
	assert_non_null(strstr(after, "\"/etc/systemd\""));
	/* The programs the enabled units start: rsyslog's among them. */
	assert_non_null(strstr(after, "\"/usr/sbin/rsyslogd\""));
	free(after);
	assert_int_equal(validate(dir, &out), 0);
	assert_non_null(strstr(out, ": valid\n"));
	free(out);

	/* Again: nothing overwritten, exit status 2, each file named. */
	tlib_write(rsys, "{\"rules\": []}\n", (size_t)-1);
	recommend(&r, env.none, "--write", dir, NULL, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "50-recommend-rsyslog.json exists: "
	    "left as it was"));
	assert_non_null(strstr(r.err, "50-recommend-systemd.json exists"));
	tlib_run_release(&r);
	after = tlib_read(rsys, NULL);
	assert_string_equal(after, "{\"rules\": []}\n");
	free(before);
	free(after);
	free(rsys);
	free(sysd);
	free(dir);
}

/* Without --write: one rule file on stdout; --json: one document. */
static void
test_this_machine_stdout(void **state)
{
	char *file = tlib_fmt("%s/stdout.json", env.w), *out = NULL;
	struct tlib_run r;
	json_t *doc;

	(void)state;
	recommend(&r, env.none, NULL, NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_write(file, r.out, r.outlen);
	tlib_run_release(&r);
	assert_int_equal(validate(file, &out), 0);
	assert_non_null(strstr(out, ": valid\n"));
	free(out);
	recommend(&r, env.none, "--json", NULL, NULL, NULL);
	assert_int_equal(r.status, 0);
	doc = json_loads(r.out, 0, NULL);
	assert_non_null(doc);
	assert_true(json_array_size(json_object_get(doc, "proposals")) >= 2);
	assert_true(json_integer_value(json_object_get(doc, "packages")) > 0);
	json_decref(doc);
	tlib_run_release(&r);
	free(file);
}

/* A host tree: dpkg's status with nginx, its config naming two paths. */
static char *
nginx_root(void)
{
	char *root = tlib_fmt("%s/nginx-root", env.w);

	assert_int_equal(tlib_sh("cd '%s' 2>/dev/null || mkdir '%s' && "
	    "cd '%s' && mkdir -p var/lib/dpkg etc/nginx/sites-enabled "
	    "etc/ssl/private srv/site && echo hi > srv/site/index.html && "
	    "echo key > etc/ssl/private/site.key && "
	    "printf 'Package: nginx\\nStatus: install ok installed\\n"
	    "Architecture: amd64\\nVersion: 1.22.1-9\\nConffiles:\\n"
	    " /etc/nginx/nginx.conf 0123456789abcdef0123456789abcdef\\n\\n"
	    "Package: gone\\nStatus: deinstall ok config-files\\n"
	    "Version: 1\\n' > var/lib/dpkg/status && "
	    "printf 'http {\\n  include sites-enabled/*;\\n}\\n' "
	    "> etc/nginx/nginx.conf && "
	    "printf 'server {\\n  listen 443 ssl;\\n  root /srv/site/;\\n"
	    "  ssl_certificate_key /etc/ssl/private/site.key;\\n}\\n' "
	    "> etc/nginx/sites-enabled/site", root, root, root), 0);
	return root;
}

static json_t *
proposal_rule(json_t *doc, const char *name)
{
	json_t *p, *r;
	size_t i, j;

	json_array_foreach(json_object_get(doc, "proposals"), i, p) {
		json_array_foreach(json_object_get(p, "rules"), j, r) {
			if (strcmp(tlib_json_str(r, "name"), name) == 0)
				return r;
		}
	}
	return NULL;
}

static void
test_nginx_root(void **state)
{
	char *root = nginx_root(), *rules = tlib_fmt("%s/etc.json", env.w);
	char *file = tlib_fmt("%s/nginx.json", env.w), *out = NULL;
	struct tlib_run r;
	json_t *doc, *rule;

	(void)state;
	recommend(&r, env.none, "--root", root, "--json", NULL);
	assert_int_equal(r.status, 0);
	doc = json_loads(r.out, 0, NULL);
	assert_non_null(doc);
	tlib_run_release(&r);
	assert_int_equal(json_array_size(json_object_get(doc, "proposals")),
	    1);
	rule = proposal_rule(doc, "nginx-web-roots");
	assert_non_null(rule);
	assert_true(tlib_json_has(rule, "paths", "/srv/site"));
	assert_true(tlib_json_has(rule, "exclude", "**/*.log"));
	rule = proposal_rule(doc, "nginx-tls-keys");
	assert_non_null(rule);
	assert_true(tlib_json_has(rule, "paths", "/etc/ssl/private/site.key"));
	assert_string_equal(tlib_json_str(rule, "severity"), "critical");
	rule = proposal_rule(doc, "nginx-config");
	assert_true(tlib_json_has(rule, "paths", "/etc/nginx"));
	json_decref(doc);

	/* The same as a rule file passes --validate. */
	recommend(&r, env.none, "--root", root, NULL, NULL);
	assert_int_equal(r.status, 0);
	tlib_write(file, r.out, r.outlen);
	tlib_run_release(&r);
	assert_int_equal(validate(file, &out), 0);
	free(out);

	/* /etc in force: the config rule goes, named as covered. */
	tlib_write(rules, "{\"rules\": [{\"name\": \"etc\", \"paths\": "
	    "\"/etc\"}]}\n", (size_t)-1);
	recommend(&r, rules, "--root", root, "--json", NULL);
	assert_int_equal(r.status, 0);
	doc = json_loads(r.out, 0, NULL);
	assert_non_null(doc);
	assert_null(proposal_rule(doc, "nginx-config"));
	assert_null(proposal_rule(doc, "nginx-tls-keys"));
	assert_non_null(proposal_rule(doc, "nginx-web-roots"));
	assert_true(tlib_json_has(json_array_get(json_object_get(doc,
	    "proposals"), 0), "covered", "/etc/nginx"));
	json_decref(doc);
	tlib_run_release(&r);
	free(root);
	free(rules);
	free(file);
}

/* None of the software: said so, exit status 1, nothing on stdout. */
static void
test_none_installed(void **state)
{
	char *root = tlib_fmt("%s/bare-root", env.w);
	char *dir = tlib_fmt("%s/bare-out", env.w);
	struct tlib_run r;

	(void)state;
	assert_int_equal(tlib_sh("mkdir -p '%s/var/lib/dpkg' && printf "
	    "'Package: bash\\nStatus: install ok installed\\nVersion: 5\\n' "
	    "> '%s/var/lib/dpkg/status'", root, root), 0);
	recommend(&r, env.none, "--root", root, "--write", dir);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no recommendations: none of the "
	    "software"));
	assert_non_null(strstr(r.err, "(1 packages, 0 enabled units"));
	assert_string_equal(r.out, "");
	tlib_run_release(&r);
	free(root);
	free(dir);
}

static void
test_bad_file_and_usage(void **state)
{
	char *bad = tlib_fmt("%s/bad.json", env.w);
	char *conf = tlib_fmt("%s/bad-conf.json", env.w), *json;
	const char *args[] = { "--validate", "--write", "/tmp", NULL };
	struct tlib_run r;

	(void)state;
	tlib_write(bad, "{\"recommendations\": [\n  {\"name\": \"x\", "
	    "\"packages\": 3}]}\n", (size_t)-1);
	json = tlib_fmt("{\"recommendations\": \"%s\"}", bad);
	tlib_write(conf, json, (size_t)-1);
	free(json);
	args[0] = "--recommend";
	args[1] = "-c";
	args[2] = conf;
	tlib_run_fimd(&r, 30, args);
	assert_int_equal(r.status, 17);
	json = tlib_fmt("%s:2:29: error: \"packages\" must be a string or "
	    "a list", bad);
	assert_non_null(strstr(r.err, json));
	free(json);
	tlib_run_release(&r);
	args[0] = "--validate";
	args[1] = "--write";
	args[2] = "/tmp";
	tlib_run_fimd(&r, 30, args);
	assert_int_equal(r.status, 16);
	assert_non_null(strstr(r.err, "--write and --root go with "
	    "--recommend"));
	tlib_run_release(&r);
	free(bad);
	free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_this_machine_write),
		cmocka_unit_test(test_this_machine_stdout),
		cmocka_unit_test(test_nginx_root),
		cmocka_unit_test(test_none_installed),
		cmocka_unit_test(test_bad_file_and_usage),
	};

	return cmocka_run_group_tests_name("t600_recommend", tests, setup,
	    teardown);
}
