/*
 * rules: every error class with its exact line and column, matching
 * precedence, depth, include/exclude, walk pruning, roots, the digest,
 * and directory loading (shipped override, /dev/null disable) on real
 * temporary directories; finally the shipped rules/ set itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlib.h"

#include "rules.h"

/* Find the first diagnostic of sev whose message contains text. */
static const struct diag_entry *
find_diag(const struct diag *d, enum diag_severity sev, const char *text)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].severity == sev &&
		    strstr(d->v[i].message, text) != NULL)
			return &d->v[i];
	return NULL;
}

static void dump_diag(const struct diag *);

/* Like find_diag, failing the test when there is none. */
static const struct diag_entry *
need_diag(const struct diag *d, enum diag_severity sev, const char *text)
{
	static const struct diag_entry none = { DIAG_NOTE, NULL, 0, 0, NULL };
	const struct diag_entry *e = find_diag(d, sev, text);

	if (e == NULL) {
		dump_diag(d);
		fail_msg("no diagnostic \"%s\"", text);
		return &none;
	}
	return e;
}

static void
dump_diag(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);

		fprintf(stderr, "  diag: %s\n", s);
		free(s);
	}
}

/* Line 4 of a rule whose earlier lines hold escaped quotes and braces. */
#define RULE(line4)							\
	"{\"rules\": [\n"						\
	"  {\"name\": \"a\", \"paths\": \"/x\",\n"			\
	"   \"description\": \"has \\\"quotes\\\", {braces}, [x] \\\\\",\n" \
	"   " line4 "}\n"						\
	"]}\n"

struct error_case {
	const char *text;
	unsigned line;
	unsigned column;
	const char *message;
};

static const struct error_case error_cases[] = {
	{ RULE("\"pathz\": 1"), 4, 4, "unknown key \"pathz\"" },
	{ RULE("\"recursive\": 1"), 4, 17, "\"recursive\" must be true or false" },
	{ RULE("\"realtime\": \"yes\""), 4, 16, "\"realtime\" must be true" },
	{ RULE("\"description\": 3"), 0, 0, NULL },	/* duplicate key */
	{ RULE("\"rescan\": \"5x\""), 4, 14, "invalid duration \"5x\"" },
	{ RULE("\"rescan\": 0"), 4, 14, "\"rescan\" must be a positive" },
	{ RULE("\"rescan\": \"0s\""), 4, 14, "invalid duration \"0s\"" },
	{ RULE("\"max_size\": \"1QB\""), 4, 16, "invalid size \"1QB\"" },
	{ RULE("\"max_size\": -1"), 4, 16, "\"max_size\" must be" },
	{ RULE("\"attributes\": [\"mode\", \"modee\"]"), 4, 27,
	    "unknown attribute or group \"modee\"" },
	{ RULE("\"attributes\": []"), 4, 18, "\"attributes\" is an empty list" },
	{ RULE("\"attributes\": [\"mode\", 7]"), 4, 27,
	    "\"attributes\" must hold only strings" },
	{ RULE("\"hash\": \"sha257\""), 4, 12,
	    "unknown hash algorithm \"sha257\"" },
	{ RULE("\"severity\": \"urgent\""), 4, 16,
	    "unknown severity \"urgent\"" },
	{ RULE("\"depth\": 2, \"recursive\": true"), 4, 16,
	    "\"depth\" and \"recursive\" cannot both be set" },
	{ RULE("\"depth\": -1"), 4, 13, "\"depth\" must be an integer" },
	{ RULE("\"exclude\": [\"ok\", \"abc[de\"]"), 4, 22,
	    "unclosed [ at offset 3" },
	{ RULE("\"include\": \"x\\\\\""), 4, 15, "trailing backslash at offset 1" },
	{ RULE("\"include\": \"\""), 4, 15, "invalid glob: empty pattern" },
	{ "{\"rules\": [{\"name\": \"a\", \"paths\": [\"/ok\", \"rel/x\"]}]}",
	    1, 43, "path \"rel/x\" is not absolute" },
	{ "{\"rules\": [{\"name\": \"a\", \"paths\": \"/etc/../x\"}]}",
	    1, 35, "has a \".\" or \"..\" component" },
	{ "{\"rules\": [{\"name\": \"a\", \"paths\": [\"/a\", \"/a/\"]}]}",
	    1, 42, "path \"/a\" is listed twice" },
	{ "{\"rules\": [{\"name\": \"a\", \"paths\": 5}]}",
	    1, 35, "\"paths\" must be a string or a list of strings" },
	{ "{\"rules\": [{\"name\": \"a b\", \"paths\": \"/x\"}]}",
	    1, 21, "invalid rule name \"a b\"" },
	{ "{\"rules\": [\n  {\"paths\": \"/x\"}\n]}",
	    2, 3, "rule has no \"name\"" },
	{ "{\"rules\": [\n  {\"name\": \"n\"}\n]}",
	    2, 3, "rule n has no \"paths\"" },
	{ "{\"rules\": [\n  {\"name\": \"a\", \"paths\": \"/x\"},\n"
	    "  {\"name\": \"a\", \"paths\": \"/y\"}\n]}",
	    3, 12, "duplicate rule name \"a\" (first defined at t.json:2:3)" },
	{ "{\"rules\": [], \"version\": 2}", 1, 15,
	    "unknown key \"version\" at top level" },
	{ "{\"rules\": {}}", 1, 11, "\"rules\" must be a list" },
	{ "[1]", 1, 1, "a rule file must be an object" },
	{ "{\"rules\": [3]}", 1, 12, "a rule must be an object" },
	{ "{}", 1, 1, "no \"rules\" list" },
	/* columns count characters: "\xc3\xa9" is one */
	{ "{\"rules\": [{\"description\": \"\xc3\xa9\xc3\xa9\", \"name\": \"a\", "
	    "\"paths\": \"/x\", \"bad\": 1}]}", 1, 62, "unknown key \"bad\"" },
	/* JSON syntax, positions as jansson reports them */
	{ "{\"rules\": [\n  {\"name\": \"a\",, \"paths\": \"/x\"}\n]}",
	    2, 16, "JSON syntax error" },
	{ "{\"rules\": [\n  {\"name\": \"a\"", 2, 14, "JSON syntax error" },
	{ "", 1, 0, "JSON syntax error" },
	/* rules of entities */
	{ "{\"rules\": [{\"name\": \"p\", \"type\": \"sockets\"}]}",
	    1, 34, "unknown rule type \"sockets\" (files, ports, packages, "
	    "services)" },
	{ "{\"rules\": [{\"name\": \"p\", \"type\": 3}]}",
	    1, 34, "\"type\" must be a string" },
	{ "{\"rules\": [\n  {\"name\": \"p\", \"type\": \"ports\",\n"
	    "   \"paths\": \"/etc\"}\n]}",
	    3, 4, "\"paths\" does not apply to a rule of type \"ports\"" },
	{ "{\"rules\": [{\"name\": \"p\", \"paths\": \"/x\", "
	    "\"type\": \"packages\"}]}",
	    1, 26, "\"paths\" does not apply to a rule of type \"packages\"" },
	{ "{\"rules\": [{\"name\": \"p\", \"hash\": \"md5\", "
	    "\"type\": \"packages\"}]}",
	    1, 26, "\"hash\" does not apply to a rule of type \"packages\"" },
	{ "{\"rules\": [\n  {\"name\": \"p\", \"type\": \"ports\"},\n"
	    "  {\"name\": \"q\", \"type\": \"ports\"}\n]}",
	    3, 25, "a second rule of type \"ports\" (the first, p, at "
	    "t.json:2:3)" },
};

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct ruleset *rs = (struct ruleset *)&rs;	/* poison */
		const struct diag_entry *e;
		struct diag d;
		int r;

		diag_init(&d);
		r = ruleset_load_buffer("t.json", c->text, strlen(c->text),
		    &rs, &d);
		if (r != -EINVAL || d.errors == 0) {
			dump_diag(&d);
			fail_msg("case %zu: returned %d with %zu errors", i, r,
			    d.errors);
		}
		assert_ptr_equal(rs, (struct ruleset *)&rs);
		if (c->message == NULL) {
			e = find_diag(&d, DIAG_ERROR, "duplicate");
			assert_non_null(e);
			diag_release(&d);
			continue;
		}
		e = find_diag(&d, DIAG_ERROR, c->message);
		if (e == NULL || e->line != c->line ||
		    e->column != c->column ||
		    strcmp(e->file, "t.json") != 0) {
			dump_diag(&d);
			fail_msg("case %zu: want %u:%u: %s", i, c->line,
			    c->column, c->message);
		}
		diag_release(&d);
	}
}

/* Every problem of a file is reported, not only the first. */
static void
test_all_errors(void **state)
{
	static const char text[] =
	    "{\"rules\": [\n"
	    "  {\"name\": \"a\", \"paths\": \"rel\", \"severity\": \"x\"},\n"
	    "  {\"name\": \"b\", \"paths\": \"/b\", \"hash\": [\"md4\"],\n"
	    "   \"attributes\": [\"nope\"], \"extra\": true}\n"
	    "]}\n";
	struct ruleset *rs = NULL;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(ruleset_load_buffer("t.json", text, strlen(text),
	    &rs, &d), -EINVAL);
	assert_null(rs);
	assert_int_equal(d.errors, 5);
	assert_non_null(find_diag(&d, DIAG_ERROR, "not absolute"));
	assert_non_null(find_diag(&d, DIAG_ERROR, "unknown severity"));
	assert_non_null(find_diag(&d, DIAG_ERROR, "\"md4\""));
	assert_non_null(find_diag(&d, DIAG_ERROR, "\"nope\""));
	assert_non_null(find_diag(&d, DIAG_ERROR, "\"extra\""));
	diag_release(&d);
}

static struct ruleset *
load_text(const char *text, struct diag *d)
{
	struct ruleset *rs = NULL;
	int r;

	r = ruleset_load_buffer("m.json", text, strlen(text), &rs, d);
	if (r != 0) {
		dump_diag(d);
		fail_msg("load failed: %d", r);
	}
	return rs;
}

static char	*digest_of(const char *text);

/* Rules of entities: no paths, their defaults, and files' own keys. */
static void
test_entity_rules(void **state)
{
	static const char text[] =
	    "{\"rules\": [{\"name\": \"f\", \"paths\": \"/etc\"},"
	    " {\"name\": \"p\", \"type\": \"ports\", \"severity\": \"high\"},"
	    " {\"name\": \"k\", \"type\": \"packages\", \"rescan\": \"1h\","
	    " \"realtime\": false, \"description\": \"d\"}]}";
	const char *const *roots;
	const struct rule *r;
	struct ruleset *rs;
	struct diag d;
	char *plain, *typed;

	(void)state;
	diag_init(&d);
	rs = load_text(text, &d);
	assert_int_equal(ruleset_rule(rs, 0)->type, RULE_FILES);
	r = ruleset_entity(rs, RULE_PORTS);
	assert_non_null(r);
	assert_string_equal(r->name, "p");
	assert_int_equal(r->npaths, 0);
	assert_int_equal(r->rescan, RULE_DEFAULT_PORTS_RESCAN);
	assert_int_equal(r->severity, SEVERITY_HIGH);
	r = ruleset_entity(rs, RULE_PACKAGES);
	assert_string_equal(r->name, "k");
	assert_int_equal(r->rescan, 3600);
	assert_false(r->realtime);
	assert_null(ruleset_entity(rs, RULE_FILES));
	/* They cover no path. */
	assert_null(ruleset_match(rs, "/", 1, true, NULL));
	assert_string_equal(ruleset_match(rs, "/etc/x", 6, false,
	    NULL)->name, "f");
	assert_string_equal(rule_type_name(RULE_PORTS), "ports");
	ruleset_free(rs);
	/* Services: the unit directories are its paths, and cover nothing. */
	rs = load_text("{\"rules\": [{\"name\": \"s\", \"type\": "
	    "\"services\"}]}", &d);
	r = ruleset_entity(rs, RULE_SERVICES);
	assert_int_equal(r->npaths, 2);
	assert_string_equal(r->paths[0].path, "/etc/systemd/system");
	assert_string_equal(r->paths[1].path, "/usr/lib/systemd/system");
	assert_null(ruleset_match(rs, "/etc/systemd/system/a.service", 29,
	    false, NULL));
	assert_int_equal(ruleset_roots(rs, &roots), 0);
	ruleset_free(rs);
	rs = load_text("{\"rules\": [{\"name\": \"s\", \"type\": "
	    "\"services\", \"paths\": [\"/tmp/u//\"]}]}", &d);
	r = ruleset_entity(rs, RULE_SERVICES);
	assert_int_equal(r->npaths, 1);
	assert_string_equal(r->paths[0].path, "/tmp/u");
	ruleset_free(rs);
	diag_release(&d);
	/* "type": "files" is the default: the digest does not change. */
	plain = digest_of("{\"rules\": [{\"name\": \"a\", \"paths\": \"/x\"}]}");
	typed = digest_of("{\"rules\": [{\"name\": \"a\", \"paths\": \"/x\","
	    " \"type\": \"files\"}]}");
	assert_string_equal(plain, typed);
	free(plain);
	free(typed);
}

static void
test_defaults(void **state)
{
	static const char text[] =
	    "{\"rules\": [{\"name\": \"d\", \"paths\": \"//etc//x/\"},"
	    " {\"name\": \"e\", \"paths\": \"/\", \"attributes\": [\"GROWING\"],"
	    " \"hash\": [\"sha512\", \"blake2b512\"], \"rescan\": \"15m\","
	    " \"max_size\": \"512M\", \"paranoid\": true, \"severity\": \"low\","
	    " \"realtime\": false, \"follow_symlinks\": true,"
	    " \"recursive\": false},"
	    " {\"name\": \"f\", \"paths\": \"/f\", \"attributes\": [\"mode\"],"
	    " \"rescan\": 90, \"max_size\": 0, \"depth\": 0}]}";
	const struct rule *r;
	struct ruleset *rs;
	struct diag d;

	(void)state;
	diag_init(&d);
	rs = load_text(text, &d);
	assert_int_equal(ruleset_count(rs), 3);
	r = ruleset_find(rs, "d");
	assert_non_null(r);
	assert_string_equal(r->paths[0].path, "/etc/x");
	assert_int_equal(r->paths[0].len, 6);
	assert_int_equal(r->depth, -1);
	assert_null(r->include);
	assert_null(r->exclude);
	assert_int_equal(r->attrs, ATTR_GROUP_STANDARD);
	assert_int_equal(r->algos, HASH_BIT(HASH_SHA256));
	assert_int_equal(r->severity, SEVERITY_MEDIUM);
	assert_true(r->realtime);
	assert_false(r->follow_symlinks);
	assert_false(r->paranoid);
	assert_int_equal(r->rescan, 3600);
	assert_int_equal(r->max_size, 1ULL << 30);
	assert_string_equal(r->description, "");
	assert_int_equal(r->index, 0);
	assert_int_equal(r->pos.line, 1);
	assert_int_equal(r->pos.column, 12);

	r = ruleset_find(rs, "e");
	assert_non_null(r);
	assert_string_equal(r->paths[0].path, "/");
	assert_int_equal(r->attrs, ATTR_GROUP_GROWING);
	assert_int_equal(r->algos,
	    HASH_BIT(HASH_SHA512) | HASH_BIT(HASH_BLAKE2B512));
	assert_int_equal(r->rescan, 900);
	assert_int_equal(r->max_size, 512000000);
	assert_true(r->paranoid);
	assert_false(r->realtime);
	assert_true(r->follow_symlinks);
	assert_int_equal(r->severity, SEVERITY_LOW);
	assert_int_equal(r->depth, 1);

	r = ruleset_find(rs, "f");
	assert_non_null(r);
	assert_int_equal(r->attrs, ATTR_BIT(ATTR_MODE));
	assert_int_equal(r->algos, 0);	/* no hash attribute */
	assert_int_equal(r->rescan, 90);
	assert_int_equal(r->max_size, 0);
	assert_int_equal(r->depth, 0);
	assert_null(ruleset_find(rs, "g"));
	assert_int_equal(ruleset_algos(rs), HASH_BIT(HASH_SHA256) |
	    HASH_BIT(HASH_SHA512) | HASH_BIT(HASH_BLAKE2B512));
	assert_int_equal(ruleset_nfiles(rs), 1);
	assert_string_equal(ruleset_file(rs, 0), "m.json");
	ruleset_free(rs);
	diag_release(&d);
}

static const char match_rules[] =
    "{\"rules\": [\n"
    " {\"name\": \"etc\", \"paths\": \"/etc\",\n"
    "  \"exclude\": [\"/etc/mtab\", \"**/*.dpkg-new\", \"cache/**\"]},\n"
    " {\"name\": \"ssh\", \"paths\": \"/etc/ssh\",\n"
    "  \"include\": [\"*_config\", \"*.pub\"], \"exclude\": \"moduli\"},\n"
    " {\"name\": \"shallow\", \"paths\": \"/srv\", \"depth\": 1},\n"
    " {\"name\": \"flat\", \"paths\": \"/opt\", \"recursive\": false},\n"
    " {\"name\": \"dup1\", \"paths\": \"/var/x\"},\n"
    " {\"name\": \"dup2\", \"paths\": \"/var/x/\"},\n"
    " {\"name\": \"lib\", \"paths\": \"/usr/lib/libfoo\",\n"
    "  \"include\": \"*.so\"}\n"
    "]}\n";

struct match_case {
	const char *path;
	size_t	 len;
	bool	 is_dir;
	const char *rule;	/* NULL: not covered */
	const char *root;
};

#define S(x) x, sizeof(x) - 1

static const struct match_case match_cases[] = {
	{ S("/etc/passwd"), false, "etc", "/etc" },
	{ S("/etc"), true, "etc", "/etc" },
	{ S("/etcetera"), false, NULL, NULL },
	{ S("/et"), true, NULL, NULL },
	{ S("/etc/mtab"), false, NULL, NULL },
	{ S("/etc/ssh/sshd_config"), false, "ssh", "/etc/ssh" },
	{ S("/etc/ssh/key.pub"), false, "ssh", "/etc/ssh" },
	{ S("/etc/ssh/sub/x.pub"), false, "ssh", "/etc/ssh" },
	/* excluded or not included by ssh: falls through to etc */
	{ S("/etc/ssh/moduli"), false, "etc", "/etc" },
	{ S("/etc/ssh/ssh_host_rsa_key"), false, "etc", "/etc" },
	/* directories are walked, not recorded, by a rule with includes */
	{ S("/etc/ssh"), true, "etc", "/etc" },
	{ S("/etc/ssh/sub"), true, "etc", "/etc" },
	{ S("/etc/apt/x.dpkg-new"), false, NULL, NULL },
	{ S("/etc/ssh/x.dpkg-new"), false, NULL, NULL },
	{ S("/etc/cache"), true, NULL, NULL },
	{ S("/etc/cache/a"), false, NULL, NULL },
	{ S("/etc/x/cache/a"), false, "etc", "/etc" },
	{ S("/srv"), true, "shallow", "/srv" },
	{ S("/srv/a"), true, "shallow", "/srv" },
	{ S("/srv/a/b"), false, NULL, NULL },
	{ S("/opt/a"), false, "flat", "/opt" },
	{ S("/opt/a/b"), false, NULL, NULL },
	{ S("/var/x/y"), false, "dup1", "/var/x" },
	{ S("/var/x"), true, "dup1", "/var/x" },
	/* a path the rule names needs no include */
	{ S("/usr/lib/libfoo"), false, "lib", "/usr/lib/libfoo" },
	{ S("/usr/lib/libfoo/x.so"), false, "lib", "/usr/lib/libfoo" },
	{ S("/usr/lib/libfoo/x.a"), false, NULL, NULL },
	/* bytes */
	{ S("/etc/new\nline"), false, "etc", "/etc" },
	{ S("/etc/\xff\xfe"), false, "etc", "/etc" },
	{ S("/etc/\xff.dpkg-new"), false, NULL, NULL },
	{ S("/etc/nul\0byte"), false, "etc", "/etc" },
	{ S("/etc/ssh/nul\0x.pub"), false, "ssh", "/etc/ssh" },
};

static void
test_match(void **state)
{
	const struct rule_path *root;
	const struct rule *r;
	struct ruleset *rs;
	struct diag d;
	size_t i;

	(void)state;
	diag_init(&d);
	rs = load_text(match_rules, &d);
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];

		root = NULL;
		r = ruleset_match(rs, c->path, c->len, c->is_dir, &root);
		if (c->rule == NULL) {
			if (r != NULL)
				fail_msg("case %zu (%s): matched %s", i,
				    c->path, r->name);
			continue;
		}
		if (r == NULL || strcmp(r->name, c->rule) != 0)
			fail_msg("case %zu (%s): matched %s, want %s", i,
			    c->path, r != NULL ? r->name : "nothing",
			    c->rule);
		assert_non_null(root);
		assert_string_equal(root->path, c->root);
	}
	ruleset_free(rs);
	diag_release(&d);
}

struct descend_case {
	const char *path;
	bool	 descend;
};

static const struct descend_case descend_cases[] = {
	{ "/", true },			/* rule paths lie below */
	{ "/usr", true },
	{ "/usr/lib", true },
	{ "/usr/share", false },
	{ "/etc", true },
	{ "/etc/ssh", true },
	{ "/etc/x", true },
	{ "/etc/cache", false },	/* "cache/" + "**" prunes it */
	{ "/etc/x/cache", true },
	{ "/srv", true },
	{ "/srv/a", false },		/* depth 1 reached */
	{ "/opt", true },
	{ "/opt/a", false },		/* recursive false */
	{ "/var", true },
	{ "/var/x/y", true },
	{ "/home", false },
	{ "/usr/lib/libfoo/d", true },
};

static void
test_should_descend(void **state)
{
	struct ruleset *rs;
	struct diag d;
	size_t i;

	(void)state;
	diag_init(&d);
	rs = load_text(match_rules, &d);
	for (i = 0; i < sizeof(descend_cases) / sizeof(descend_cases[0]);
	    i++) {
		const struct descend_case *c = &descend_cases[i];

		if (ruleset_should_descend(rs, c->path, strlen(c->path)) !=
		    c->descend)
			fail_msg("case %zu (%s): want %d", i, c->path,
			    c->descend);
	}
	ruleset_free(rs);
	diag_release(&d);
}

static void
test_roots_and_overlaps(void **state)
{
	static const char *const want[] = {
		"/etc", "/opt", "/srv", "/usr/lib/libfoo", "/var/x",
	};
	const char *const *roots;
	const struct diag_entry *e;
	struct ruleset *rs;
	struct diag d;
	size_t n, i;

	(void)state;
	diag_init(&d);
	rs = load_text(match_rules, &d);
	n = ruleset_roots(rs, &roots);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n; i++)
		assert_string_equal(roots[i], want[i]);
	assert_int_equal(d.errors, 0);
	e = need_diag(&d, DIAG_NOTE, "rule ssh path /etc/ssh is more "
	    "specific than rule etc's /etc: ssh wins there");
	assert_non_null(e);
	assert_string_equal(e->file, "m.json");
	assert_int_equal(e->line, 4);
	assert_int_equal(e->column, 27);
	e = need_diag(&d, DIAG_NOTE, "rule dup2 and rule dup1 both list "
	    "/var/x: dup1 wins (loaded first)");
	assert_non_null(e);
	assert_int_equal(e->line, 9);
	ruleset_free(rs);
	diag_release(&d);
}

static void
test_explain(void **state)
{
	struct ruleset *rs;
	struct diag d;
	struct buf b;

	(void)state;
	diag_init(&d);
	buf_init(&b, 1 << 20);
	rs = load_text(match_rules, &d);
	assert_int_equal(ruleset_explain(rs, S("/etc/ssh/moduli"), false, &b),
	    0);
	assert_non_null(strstr(b.data, "rule ssh (m.json:4:2), path "
	    "/etc/ssh: excluded by \"moduli\"\n"));
	assert_non_null(strstr(b.data, "rule etc (m.json:2:2), path /etc: "
	    "covers it (most specific)\n"));
	assert_non_null(strstr(b.data, "=> rule etc (path /etc, severity "
	    "medium)\n"));
	buf_reset(&b);
	assert_int_equal(ruleset_explain(rs, S("/srv/a/b"), false, &b), 0);
	assert_non_null(strstr(b.data, "beyond depth 1"));
	assert_non_null(strstr(b.data, "=> not covered\n"));
	buf_reset(&b);
	assert_int_equal(ruleset_explain(rs, S("/home/x"), false, &b), 0);
	assert_string_equal(b.data,
	    "=> not covered: no rule path contains it\n");
	ruleset_free(rs);
	buf_release(&b);
	diag_release(&d);
}

static char *
digest_of(const char *text)
{
	struct ruleset *rs;
	struct diag d;
	char *s;

	diag_init(&d);
	rs = load_text(text, &d);
	s = strdup(ruleset_digest(rs));
	ruleset_free(rs);
	diag_release(&d);
	return s;
}

static void
test_digest(void **state)
{
	char *a, *b, *c, *e;

	(void)state;
	a = digest_of("{\"rules\":[{\"name\":\"a\",\"paths\":\"/x\","
	    "\"severity\":\"high\",\"exclude\":[\"*.tmp\"]}]}");
	b = digest_of("{ \"rules\" : [\n\t{ \"exclude\": \"*.tmp\",\n"
	    "  \"severity\": \"high\",\n  \"paths\": [\"/x/\"],\n"
	    "  \"name\": \"a\", \"rescan\": \"1h\",\n"
	    "  \"description\": \"only words\" } ] }\n");
	c = digest_of("{\"rules\":[{\"name\":\"a\",\"paths\":\"/x\","
	    "\"severity\":\"low\",\"exclude\":[\"*.tmp\"]}]}");
	e = digest_of("{\"rules\":[{\"name\":\"a\",\"paths\":\"/x\","
	    "\"severity\":\"high\",\"exclude\":[\"*.tmp\"],"
	    "\"hash\":\"sha512\"}]}");
	assert_int_equal(strlen(a), 7 + 64);
	assert_memory_equal(a, "sha256:", 7);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, e);
	free(a);
	free(b);
	free(c);
	free(e);
}

static void
write_rule(const char *dir, const char *file, const char *name,
    const char *path)
{
	char *p = tlib_fmt("%s/%s", dir, file);
	char *t = tlib_fmt("{\"rules\": [{\"name\": \"%s\", \"paths\": "
	    "\"%s\"}]}\n", name, path);

	tlib_write(p, t, (size_t)-1);
	free(p);
	free(t);
}

static void
test_dirs(void **state)
{
	char *top = tlib_mkdtemp("rules");
	char *shipped = tlib_fmt("%s/shipped", top);
	char *admin = tlib_fmt("%s/admin", top);
	char *missing = tlib_fmt("%s/missing", top);
	char *p;
	struct ruleset *rs = NULL;
	struct diag d;

	(void)state;
	assert_int_equal(tlib_sh("mkdir %s %s", shipped, admin), 0);
	write_rule(shipped, "10-a.json", "a", "/a");
	write_rule(shipped, "20-b.json", "b", "/b");
	write_rule(shipped, "30-c.json", "c", "/c");
	write_rule(shipped, "README", "x", "/x");	/* not *.json */
	write_rule(admin, "20-b.json", "b2", "/b2");
	write_rule(admin, "05-z.json", "z", "/z");
	write_rule(admin, ".hidden.json", "h", "/h");
	p = tlib_fmt("%s/30-c.json", admin);
	assert_int_equal(symlink("/dev/null", p), 0);
	free(p);

	diag_init(&d);
	assert_int_equal(ruleset_load(admin, shipped, &rs, &d), 0);
	assert_int_equal(ruleset_count(rs), 3);
	assert_string_equal(ruleset_rule(rs, 0)->name, "z");
	assert_string_equal(ruleset_rule(rs, 1)->name, "a");
	assert_string_equal(ruleset_rule(rs, 2)->name, "b2");
	assert_null(ruleset_find(rs, "b"));
	assert_null(ruleset_find(rs, "c"));
	assert_int_equal(ruleset_nfiles(rs), 3);
	p = tlib_fmt("%s/20-b.json", admin);
	assert_string_equal(ruleset_file(rs, 2), p);
	assert_string_equal(ruleset_rule(rs, 2)->pos.file, p);
	free(p);
	assert_non_null(find_diag(&d, DIAG_NOTE, "disabled"));
	ruleset_free(rs);
	diag_release(&d);

	/* No admin directory: the shipped rules alone. */
	diag_init(&d);
	assert_int_equal(ruleset_load(missing, shipped, &rs, &d), 0);
	assert_int_equal(ruleset_count(rs), 3);
	assert_string_equal(ruleset_rule(rs, 2)->name, "c");
	ruleset_free(rs);
	diag_release(&d);

	/* One file, with the shipped directory around it. */
	diag_init(&d);
	p = tlib_fmt("%s/20-b.json", admin);
	assert_int_equal(ruleset_load(p, NULL, &rs, &d), 0);
	assert_int_equal(ruleset_count(rs), 1);
	assert_string_equal(ruleset_rule(rs, 0)->name, "b2");
	ruleset_free(rs);
	assert_int_equal(ruleset_load(p, shipped, &rs, &d), 0);
	assert_int_equal(ruleset_count(rs), 3);
	assert_string_equal(ruleset_rule(rs, 1)->name, "b2");
	ruleset_free(rs);
	free(p);
	diag_release(&d);

	/* Nothing at all. */
	diag_init(&d);
	rs = NULL;
	assert_int_equal(ruleset_load(missing, NULL, &rs, &d), -ENOENT);
	assert_null(rs);
	assert_true(d.errors > 0);
	diag_release(&d);

	/* Errors in two files are all reported, with their files. */
	write_rule(admin, "40-bad.json", "bad name", "/q");
	write_rule(admin, "50-bad.json", "q", "rel");
	write_rule(admin, "60-dup.json", "a", "/q2");
	diag_init(&d);
	assert_int_equal(ruleset_load(admin, shipped, &rs, &d), -EINVAL);
	assert_null(rs);
	assert_int_equal(d.errors, 3);
	p = tlib_fmt("%s/40-bad.json", admin);
	assert_string_equal(need_diag(&d, DIAG_ERROR,
	    "invalid rule name")->file, p);
	free(p);
	p = tlib_fmt("%s/50-bad.json", admin);
	assert_string_equal(need_diag(&d, DIAG_ERROR, "not absolute")->file,
	    p);
	free(p);
	assert_non_null(find_diag(&d, DIAG_ERROR, "duplicate rule name \"a\""));
	diag_release(&d);

	tlib_rmrf(top);
	free(top);
	free(shipped);
	free(admin);
	free(missing);
}

/* The rules/ directory of the source tree loads cleanly. */
static void
test_shipped_rules(void **state)
{
	static const struct {
		const char *path;
		const char *rule;
	} want[] = {
		{ "/etc/shadow", "identity" },
		{ "/etc/sudoers.d/admins", "sudo" },
		{ "/etc/ssh/sshd_config", "sshd-config" },
		{ "/usr/lib/x86_64-linux-gnu/libc.so.6", "libraries" },
		{ "/usr/lib/x86_64-linux-gnu/libc.a", NULL },
		{ "/usr/bin/ls", "binaries" },
		{ "/etc/ld.so.preload", "loader-config" },
		{ "/etc/crontab", "cron" },
		{ "/etc/apt/sources.list.d/debian.sources", "apt-trust" },
		{ "/etc/hostname", "system-config" },
		{ "/etc/mtab", NULL },
		{ "/etc/apt/sources.list.d/x.list.dpkg-new", NULL },
		{ "/boot/vmlinuz-6.1.0-13-amd64", "boot" },
		{ "/usr/lib/modules/6.1.0-13-amd64/modules.dep", NULL },
	};
	const char *src = getenv("FIMD_SRCDIR");
	struct ruleset *rs = NULL;
	struct diag d;
	char *dir;
	size_t i;
	int r;

	(void)state;
	dir = tlib_fmt("%s/rules", src != NULL ? src : ".");
	diag_init(&d);
	r = ruleset_load(dir, NULL, &rs, &d);
	if (r != 0 || d.errors != 0) {
		dump_diag(&d);
		fail_msg("loading %s: %d", dir, r);
	}
	assert_true(ruleset_count(rs) >= 9);
	assert_int_equal(ruleset_nfiles(rs), 7);
	/* One rule of each entity type, on by default. */
	assert_non_null(ruleset_entity(rs, RULE_PORTS));
	assert_non_null(ruleset_entity(rs, RULE_PACKAGES));
	assert_non_null(ruleset_entity(rs, RULE_SERVICES));
	assert_int_equal(ruleset_entity(rs, RULE_PORTS)->rescan, 60);
	/* Their overlaps are on purpose: notes, never warnings. */
	for (i = 0; i < d.n; i++) {
		if (d.v[i].severity != DIAG_NOTE)
			fail_msg("the shipped rules warn: %s", d.v[i].message);
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct rule *m = ruleset_match(rs, want[i].path,
		    strlen(want[i].path), false, NULL);

		if (want[i].rule == NULL ? m != NULL :
		    m == NULL || strcmp(m->name, want[i].rule) != 0)
			fail_msg("%s: matched %s, want %s", want[i].path,
			    m != NULL ? m->name : "nothing",
			    want[i].rule != NULL ? want[i].rule : "nothing");
	}
	ruleset_free(rs);
	diag_release(&d);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_entity_rules),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_should_descend),
		cmocka_unit_test(test_roots_and_overlaps),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_shipped_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
