/*
 * recommend: the directive parser on each syntax and on broken input,
 * the recommendation file's checks with their exact line and column,
 * the shipped file, and proposals for a small host built in a temporary
 * directory (packages, conffiles, a web server's configuration naming a
 * root and a key, the rules in force covering part of it, symlinked
 * directories resolved below the root).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

#include "confscan.h"
#include "diag.h"
#include "recommend.h"
#include "recommend_int.h"
#include "rules.h"

static char *tmpdir;

static int
setup(void **state)
{
	(void)state;
	tmpdir = tlib_mkdtemp("recommend");
	return tmpdir == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	tlib_rmrf(tmpdir);
	free(tmpdir);
	return 0;
}

/* Hits as "line:name=value\n" lines. */
static void
collect(const struct confscan_hit *h, void *arg)
{
	char line[64];

	snprintf(line, sizeof(line), "%u:", h->line);
	strcat(arg, line);
	strncat(arg, h->name, h->name_len);
	strcat(arg, "=");
	strncat(arg, h->value, h->value_len);
	strcat(arg, "\n");
}

static void
test_confscan(void **state)
{
	static const struct {
		enum confscan_syntax syntax;
		const char *text;
		const char *want;
	} cases[] = {
		{ CONFSCAN_NGINX, "root /a;", "1:root=/a\n" },
		{ CONFSCAN_NGINX, "server { listen 80; root \"/srv/x y\"; }\n"
		    "  # root /commented;\n\tssl_certificate_key\n /k.pem ;",
		    "1:listen=80\n1:root=/srv/x y\n3:ssl_certificate_key=/k.pem\n" },
		{ CONFSCAN_NGINX, "root '/q\\'s'; alias /b/ # c\n;",
		    "1:root=/q's\n1:alias=/b/\n" },
		{ CONFSCAN_NGINX, "root \"/unclosed;\nroot /after;", "" },
		{ CONFSCAN_NGINX, "}}};;{ root", "" },
		{ CONFSCAN_APACHE, "DocumentRoot \"/var/www/a b\"\n"
		    "<VirtualHost *:443>\n  # SSLCertificateFile /no\n"
		    "  SSLCertificateKeyFile \\\n   /etc/k.key\n",
		    "1:DocumentRoot=/var/www/a b\n4:SSLCertificateKeyFile=/etc/k.key\n" },
		{ CONFSCAN_APACHE, "Listen 80", "1:Listen=80\n" },
		{ CONFSCAN_KEYVALUE, "[Service]\nExecStart=-/usr/bin/x -a\n"
		    "; ExecStart=/no\n#x=/no\nExecStartPre = @!/bin/y z\n"
		    "ExecStop=\nssl_key_file = '/etc/p k' # c\n",
		    "2:ExecStart=/usr/bin/x\n5:ExecStartPre=/bin/y\n"
		    "7:ssl_key_file=/etc/p k\n" },
		{ CONFSCAN_KEYVALUE, "no equals here\n=/v\n", "" },
	};
	char out[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out[0] = '\0';
		(void)confscan_parse(cases[i].syntax, cases[i].text,
		    strlen(cases[i].text), collect, out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got\n%swant\n%s", i, out,
			    cases[i].want);
	}
	assert_int_equal(confscan_syntax_from_name("apache"), CONFSCAN_APACHE);
	assert_int_equal(confscan_syntax_from_name("systemd"), -ENOENT);
}

static void
count_hit(const struct confscan_hit *h, void *arg)
{
	assert_true(h->value_len <= CONFSCAN_MAX);
	(*(size_t *)arg)++;
}

/* A value past the limit is passed over; NUL bytes are only bytes. */
static void
test_confscan_limits(void **state)
{
	size_t n = CONFSCAN_MAX + 64, hits = 0;
	char *text = malloc(n + 32);
	int s;

	(void)state;
	memcpy(text, "root ", 5);
	memset(text + 5, 'x', n);
	memcpy(text + 5 + n, ";\nroot /ok;", 12);
	(void)confscan_parse(CONFSCAN_NGINX, text, n + 16, count_hit, &hits);
	assert_int_equal(hits, 1);
	for (s = CONFSCAN_NGINX; s <= CONFSCAN_KEYVALUE; s++) {
		hits = 0;
		(void)confscan_parse((enum confscan_syntax)s,
		    "a \0b;\nc\0=\"\\", 12, count_hit, &hits);
	}
	free(text);
}

static int
load(const char *text, struct recset **ret, struct diag *d)
{
	diag_init(d);
	return recset_load_buffer("rec.json", text, strlen(text), ret, d);
}

#define ENTRY_HEAD "{\"recommendations\": [{\"name\": \"x\", "

static void
test_load_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line, column;
		const char *msg;
	} cases[] = {
		{ "{\"recommendations\": [}", 1, 22, "JSON syntax error" },
		{ "{\"recommendation\": []}", 1, 2, "unknown key" },
		{ ENTRY_HEAD "\"packages\": \"p\",\n \"bogus\": 1, "
		    "\"rules\": []}]}", 2, 2, "unknown key \"bogus\"" },
		{ "{\"recommendations\": [{\"name\": \"bad/name\", "
		    "\"packages\": \"p\", \"rules\": []}]}", 1, 31,
		    "may hold only" },
		{ ENTRY_HEAD "\"rules\": [{\"name\": \"r\", \"paths\": "
		    "\"/a\"}]}]}", 1, 22, "needs \"packages\" or \"units\"" },
		{ ENTRY_HEAD "\"packages\": \"p\", \"rules\": [\n  {\"name\": "
		    "\"r\", \"paths\": \"/a\", \"severity\": \"huge\"}]}]}", 2, 3,
		    "rule template \"r\": unknown severity" },
		{ ENTRY_HEAD "\"packages\": \"p\", \"rules\": [{\"name\": \"r\", "
		    "\"paths\": [\"relative\"]}]}]}", 1, 87,
		    "is not an absolute path" },
		{ ENTRY_HEAD "\"packages\": \"p\", \"rules\": [{\"name\": \"r\", "
		    "\"from\": [\"root\"]}]}]}", 1, 63,
		    "has no \"config\"" },
		{ ENTRY_HEAD "\"packages\": \"p\", \"config\": [{\"files\": "
		    "\"/f\", \"syntax\": \"ini\"}], \"rules\": []}]}", 1, 90,
		    "\"syntax\" must be" },
		{ ENTRY_HEAD "\"packages\": \"p\", \"rules\": [{\"name\": \"r\"}]"
		    "}]}", 1, 63, "names no path" },
		{ ENTRY_HEAD "\"packages\": \"[p\", \"rules\": []}]}", 1, 48,
		    "not a valid pattern" },
		{ "{\"recommendations\": [\n{\"name\": \"x\", \"packages\": \"p\", "
		    "\"rules\": [{\"name\": \"r\", \"paths\": \"/a\"}]},\n"
		    "{\"name\": \"x\", \"packages\": \"p\", \"rules\": [{\"name\": "
		    "\"r2\", \"paths\": \"/a\"}]}]}", 3, 0, "given twice" },
	};
	struct recset *set;
	struct diag d;
	size_t i, j;
	size_t bad = 0;
	bool found;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(cases[i].text, &set, &d), -EINVAL);
		assert_null(set);
		found = false;
		for (j = 0; j < d.n && !found; j++)
			found = d.v[j].line == cases[i].line &&
			    d.v[j].column == cases[i].column &&
			    strstr(d.v[j].message, cases[i].msg) != NULL &&
			    strcmp(d.v[j].file, "rec.json") == 0;
		if (!found) {
			printf("case %zu: no %u:%u: %s; got:\n", i,
			    cases[i].line, cases[i].column, cases[i].msg);
			diag_print(&d, stdout);
			bad++;
		}
		diag_release(&d);
	}
	assert_int_equal(bad, 0);
}

static const char *
srcdir(void)
{
	const char *s = getenv("FIMD_SRCDIR");

	return s != NULL ? s : ".";
}

/* The shipped file loads and covers what fimd(8) promises. */
static void
test_shipped(void **state)
{
	static const char *const want[] = {
		"openssh-server", "sudo", "cron", "systemd", "pam", "nginx",
		"apache2", "postgresql", "mysql", "containers", "rsyslog",
		"auditd", "kernel", "boot-loader",
	};
	char *path = tlib_fmt("%s/share/recommend.json", srcdir());
	struct recset *set;
	struct diag d;
	size_t i, j;
	bool found;

	(void)state;
	diag_init(&d);
	if (recset_load(path, &set, &d) < 0) {
		diag_print(&d, stdout);
		fail_msg("%s does not load", path);
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		found = false;
		for (j = 0; j < set->n; j++)
			found = found || strcmp(set->v[j].name, want[i]) == 0;
		if (!found)
			fail_msg("no entry %s", want[i]);
	}
	recset_free(set);
	diag_release(&d);
	free(path);
}

static const char nginx_rec[] =
	"{\"recommendations\": [{\"name\": \"nginx\", \"packages\": "
	"[\"nginx*\"], \"config\": [{\"syntax\": \"nginx\", \"files\": "
	"[\"/etc/nginx/nginx.conf\", \"/etc/nginx/sites-*/*\"]}],\n"
	"\"rules\": [\n"
	"{\"name\": \"ngx-conf\", \"paths\": [\"/etc/nginx\"], \"conffiles\": "
	"true, \"severity\": \"high\"},\n"
	"{\"name\": \"ngx-roots\", \"paths\": [\"/var/www/html\"], \"from\": "
	"[\"root\"], \"relative_to\": \"/usr/share/nginx\", \"exclude\": "
	"[\"**/*.log\"]},\n"
	"{\"name\": \"ngx-keys\", \"from\": [\"ssl_certificate_key\"], "
	"\"relative_to\": \"/etc/nginx\", \"severity\": \"critical\"}]},\n"
	"{\"name\": \"absent\", \"packages\": [\"apache2\"], \"rules\": "
	"[{\"name\": \"a\", \"paths\": \"/etc/apache2\"}]}]}";

/* The host: nginx's configuration, a root, a key, a symlinked dir. */
static void
make_host(const char *root)
{
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p etc/nginx/sites-enabled "
	    "srv/real/site usr/share/nginx/html etc/ssl/private etc/default "
	    "&& ln -s real srv/link && echo k > etc/ssl/private/a.key && "
	    "echo x > etc/default/nginx", root), 0);
	tlib_sh("printf 'http {\\n  root html;\\n  include sites-enabled/*;\\n"
	    "}\\n' > '%s/etc/nginx/nginx.conf'", root);
	tlib_sh("printf 'server {\\n root /srv/link/site/;\\n"
	    " root /missing;\\n root $document_root;\\n"
	    " ssl_certificate_key ../nginx/../ssl/private/a.key;\\n"
	    " ssl_certificate_key /etc/ssl/private/a.key;\\n}\\n'"
	    " > '%s/etc/nginx/sites-enabled/default'", root);
}

static json_t *
rule_named(json_t *props, const char *name)
{
	json_t *p, *r;
	size_t i, j;

	json_array_foreach(props, i, p) {
		json_array_foreach(json_object_get(p, "rules"), j, r) {
			if (strcmp(json_string_value(json_object_get(r,
			    "name")), name) == 0)
				return r;
		}
	}
	return NULL;
}

static bool
has_path(json_t *rule, const char *path)
{
	return rule != NULL && tlib_json_has(rule, "paths", path);
}

static void
test_build(void **state)
{
	struct rec_host *h;
	struct recset *set;
	struct ruleset *rs;
	struct diag d;
	json_t *props, *r;
	const char *inforce = "{\"rules\": [{\"name\": \"etc\", \"paths\": "
	    "\"/etc/nginx\"}]}";

	(void)state;
	make_host(tmpdir);
	assert_int_equal(load(nginx_rec, &set, &d), 0);
	h = rec_host_new(tmpdir);
	rec_host_add_package(h, "nginx-common", "/etc/default/nginx");
	rec_host_add_package(h, "nginx-common", "/etc/nginx/nginx.conf");
	rec_host_add_package(h, "bash", NULL);
	props = recommend_build(set, h, NULL, &d);
	assert_int_equal(json_array_size(props), 1);
	assert_true(tlib_json_has(json_array_get(props, 0), "packages",
	    "nginx-common"));
	assert_string_equal(tlib_json_str(json_array_get(props, 0), "file"),
	    "50-recommend-nginx.json");
	/* conffile below /etc/nginx folded in; the other kept */
	r = rule_named(props, "ngx-conf");
	assert_int_equal(json_array_size(json_object_get(r, "paths")), 2);
	assert_true(has_path(r, "/etc/nginx"));
	assert_true(has_path(r, "/etc/default/nginx"));
	/* relative root, symlinked directory resolved, template's absent */
	r = rule_named(props, "ngx-roots");
	assert_int_equal(json_array_size(json_object_get(r, "paths")), 2);
	assert_true(has_path(r, "/usr/share/nginx/html"));
	assert_true(has_path(r, "/srv/real/site"));
	assert_true(tlib_json_has(r, "exclude", "**/*.log"));
	r = rule_named(props, "ngx-keys");
	assert_int_equal(json_array_size(json_object_get(r, "paths")), 1);
	assert_true(has_path(r, "/etc/ssl/private/a.key"));
	assert_string_equal(tlib_json_str(r, "severity"), "critical");
	assert_null(json_object_get(r, "from"));
	assert_null(json_object_get(r, "relative_to"));
	json_decref(props);
	/* Notes name the config file and line of what was passed over. */
	assert_true(d.n >= 3);
	diag_release(&d);

	/* In force: /etc/nginx.  The config rule keeps only the rest. */
	diag_init(&d);
	assert_int_equal(ruleset_load_buffer("f.json", inforce,
	    strlen(inforce), &rs, &d), 0);
	props = recommend_build(set, h, rs, &d);
	r = rule_named(props, "ngx-conf");
	assert_int_equal(json_array_size(json_object_get(r, "paths")), 1);
	assert_true(has_path(r, "/etc/default/nginx"));
	assert_true(tlib_json_has(json_array_get(props, 0), "covered",
	    "/etc/nginx"));
	json_decref(props);
	ruleset_free(rs);
	diag_release(&d);
	rec_host_free(h);
	recset_free(set);
}

static void
test_resolve(void **state)
{
	struct rec_host *h = rec_host_new(tmpdir);
	struct buf out;

	(void)state;
	buf_init(&out, BUF_MAX_DEFAULT);
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p usr/sbin a && "
	    "ln -sfn usr/sbin sbin && ln -sfn /a/b a/b && ln -sfn ../sbin "
	    "a/up", tmpdir), 0);
	assert_int_equal(rec_host_resolve_dirs(h, "/sbin/x", &out), 0);
	assert_string_equal(out.data, "/usr/sbin/x");
	assert_int_equal(rec_host_resolve_dirs(h, "/a/up/y", &out), 0);
	assert_string_equal(out.data, "/usr/sbin/y");
	assert_int_equal(rec_host_resolve_dirs(h, "/a/b/z", &out), -ELOOP);
	assert_int_equal(rec_host_resolve_dirs(h, "rel", &out), -EINVAL);
	buf_release(&out);
	rec_host_free(h);
}

static void
strcat_path(const char *path, void *arg)
{
	strcat(arg, path);
	strcat(arg, "\n");
}

/* Units enabled through wants links; masked ones have no file. */
static void
test_units(void **state)
{
	struct rec_host *h;
	char *seen = calloc(1, 4096);

	(void)state;
	assert_int_equal(tlib_sh("cd '%s' && d=etc/systemd/system && "
	    "mkdir -p $d/multi-user.target.wants $d/timers.target.wants "
	    "usr/lib/systemd/system && "
	    "touch usr/lib/systemd/system/a.service "
	    "usr/lib/systemd/system/t.timer usr/lib/systemd/system/t.service "
	    "usr/lib/systemd/system/i@.service && "
	    "ln -s /usr/lib/systemd/system/a.service "
	    "$d/multi-user.target.wants/a.service && "
	    "ln -s x $d/multi-user.target.wants/i@one.service && "
	    "ln -s x $d/multi-user.target.wants/m.service && "
	    "ln -s /dev/null $d/m.service && "
	    "ln -s x $d/timers.target.wants/t.timer", tmpdir), 0);
	h = rec_host_new(tmpdir);
	rec_host_read_units(h);
	assert_int_equal(rec_host_nunits(h), 4);
	rec_host_unit_files(h, strcat_path, seen);
	assert_non_null(strstr(seen, "/usr/lib/systemd/system/a.service\n"));
	assert_non_null(strstr(seen, "/usr/lib/systemd/system/i@.service\n"));
	assert_non_null(strstr(seen, "/usr/lib/systemd/system/t.timer\n"));
	assert_non_null(strstr(seen, "/usr/lib/systemd/system/t.service\n"));
	assert_null(strstr(seen, "m.service"));
	free(seen);
	rec_host_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confscan),
		cmocka_unit_test(test_confscan_limits),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_shipped),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_units),
	};

	return cmocka_run_group_tests_name("recommend", tests, setup,
	    teardown);
}
