/*
 * Entities: the /proc/net parser on canned tables, the owners found
 * through a made-up /proc (and looked up only for new sockets), dpkg's
 * status as a set of packages, comparing two sets, the JSON form, and
 * the query of --query --type and the control socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

#include "entity.h"
#include "entity_int.h"

#define HEAD_TCP "  sl  local_address rem_address   st tx_queue rx_queue " \
	"tr tm->when retrnsmt   uid  timeout inode\n"
/* 127.0.0.1:8080 listening, 0.0.0.0:22 listening, one established. */
#define TCP HEAD_TCP \
	"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 " \
	"00:00000000 00000000  1000        0 4001 1 0000000000000000 100 0 " \
	"0 10 0\n" \
	"   1: 00000000:0016 00000000:0000 0A 00000000:00000000 " \
	"00:00000000 00000000     0        0 4002 1 0000000000000000 100 0 " \
	"0 10 0\n" \
	"   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 " \
	"00:00000000 00000000  1000        0 4003 1 0000000000000000 20 4 " \
	"30 10 -1\n"
/* [::1]:631 listening, [::]:80 in TIME_WAIT. */
#define TCP6 HEAD_TCP \
	"   0: 00000000000000000000000001000000:0277 " \
	"00000000000000000000000000000000:0000 0A 00000000:00000000 " \
	"00:00000000 00000000     0        0 4004 1 0000000000000000 100 0 " \
	"0 10 0\n" \
	"   1: 00000000000000000000000000000000:0050 " \
	"00000000000000000000000000000000:0000 06 00000000:00000000 " \
	"00:00000000 00000000     0        0 0 1 0000000000000000 100 0 " \
	"0 10 0\n"
/* 0.0.0.0:53 bound, a client's port 0, one connected. */
#define UDP "   sl  local_address rem_address   st tx_queue rx_queue tr " \
	"tm->when retrnsmt   uid  timeout inode ref pointer drops\n" \
	"  100: 00000000:0035 00000000:0000 07 00000000:00000000 " \
	"00:00000000 00000000   101        0 4005 2 0000000000000000 0\n" \
	"  101: 00000000:0000 00000000:0000 07 00000000:00000000 " \
	"00:00000000 00000000     0        0 4006 2 0000000000000000 0\n" \
	"  102: 0F02000A:D431 08080808:0035 01 00000000:00000000 " \
	"00:00000000 00000000     0        0 4007 2 0000000000000000 0\n"
#define UDP6 "   sl  local_address rem_address   st tx_queue rx_queue " \
	"tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"

struct got {
	char	 lines[8][80];
	size_t	 n;
};

static void
on_sock(const struct port_sock *s, void *arg)
{
	struct got *g = arg;

	assert_true(g->n < 8);
	snprintf(g->lines[g->n++], sizeof(g->lines[0]), "%s%s %s %u uid %u "
	    "inode %llu", s->transport, s->v6 ? "6" : "", s->ip, s->port,
	    s->uid, (unsigned long long)s->inode);
}

static void
test_parse_tables(void **state)
{
	struct diag dg;
	struct got g;

	(void)state;
	diag_init(&dg);
	memset(&g, 0, sizeof(g));
	assert_int_equal(ports_parse("tcp", TCP, strlen(TCP), false, false,
	    on_sock, &g, &dg), 0);
	assert_int_equal(ports_parse("tcp6", TCP6, strlen(TCP6), false, true,
	    on_sock, &g, &dg), 0);
	assert_int_equal(ports_parse("udp", UDP, strlen(UDP), true, false,
	    on_sock, &g, &dg), 0);
	assert_int_equal(ports_parse("udp6", UDP6, strlen(UDP6), true, true,
	    on_sock, &g, &dg), 0);
	assert_int_equal(dg.n, 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.lines[0], "tcp 127.0.0.1 8080 uid 1000 inode "
	    "4001");
	assert_string_equal(g.lines[1], "tcp 0.0.0.0 22 uid 0 inode 4002");
	assert_string_equal(g.lines[2], "tcp6 ::1 631 uid 0 inode 4004");
	assert_string_equal(g.lines[3], "udp 0.0.0.0 53 uid 101 inode 4005");
	diag_release(&dg);
}

/* A bad line is named with its file and line; the good ones count. */
static void
test_parse_bad_lines(void **state)
{
	static const char text[] = HEAD_TCP
	    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
	    "00:00000000 00000000  1000        0 4001 1 0 100 0 0 10 0\n"
	    "   1: 0100007G:1F90 00000000:0000 0A 0 0 0 0 0 4002\n"
	    "   2: 0100007F:1F90 00000000:0000 0A\n"
	    "   3: 0100007F:1F9000 00000000:0000 0A 0 0 0 0 0 4003\n";
	struct diag dg;
	struct got g;
	char *s;

	(void)state;
	diag_init(&dg);
	memset(&g, 0, sizeof(g));
	assert_int_equal(ports_parse("/proc/net/tcp", text, strlen(text),
	    false, false, on_sock, &g, &dg), -EINVAL);
	assert_int_equal(g.n, 1);
	assert_int_equal(dg.n, 3);
	s = diag_format(&dg.v[0]);
	assert_non_null(strstr(s, "/proc/net/tcp:3"));
	assert_non_null(strstr(s, "not a socket line of /proc/net/tcp"));
	free(s);
	diag_release(&dg);
}

/* ---- a made-up /proc ---- */

static void
write_at(const char *dir, const char *rel, const char *text)
{
	char *p = tlib_fmt("%s/%s", dir, rel);

	assert_int_equal(tlib_sh("mkdir -p \"$(dirname '%s')\"", p), 0);
	tlib_write(p, text, (size_t)-1);
	free(p);
}

static char *
fake_proc(void)
{
	char *d = tlib_mkdtemp("entproc");

	write_at(d, "net/tcp", TCP);
	write_at(d, "net/tcp6", TCP6);
	write_at(d, "net/udp", UDP);
	write_at(d, "net/udp6", UDP6);
	/* pid 300 holds 8080 (and so does its worker 301); 77 holds 53. */
	write_at(d, "300/comm", "web\n");
	write_at(d, "301/comm", "web-worker\n");
	write_at(d, "77/comm", "dnsd\n");
	assert_int_equal(tlib_sh("cd '%s' && mkdir -p 300/fd 301/fd 77/fd && "
	    "ln -s 'socket:[4001]' 300/fd/3 && ln -s /dev/null 300/fd/0 && "
	    "ln -s 'socket:[4001]' 301/fd/3 && ln -s /usr/sbin/web 300/exe "
	    "&& ln -s 'socket:[4005]' 77/fd/5 && mkdir self", d), 0);
	return d;
}

static const json_t *
item_attrs(const struct entity_set *s, const char *key)
{
	const struct entity_item *it = entity_set_find(s, key);

	if (it == NULL)
		fail_msg("no item %s", key);
	return it->attrs;
}

static void
test_ports_snapshot(void **state)
{
	char *proc = fake_proc();
	struct entity_source src = { proc, "/nonexistent", NULL, 0 };
	struct entity_set a, b;
	struct entity_cost cost;
	struct diag dg;
	const json_t *o;

	(void)state;
	diag_init(&dg);
	assert_int_equal(entity_snapshot(RULE_PORTS, &src, NULL, &a, &cost,
	    &dg), 0);
	assert_int_equal(dg.n, 0);
	assert_int_equal(a.n, 4);
	assert_true(cost.owners_looked_up);
	assert_int_equal(cost.processes, 3);
	o = item_attrs(&a, "tcp 127.0.0.1:8080");
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), 300);
	assert_string_equal(json_string_value(json_object_get(o, "process")),
	    "web");
	assert_string_equal(json_string_value(json_object_get(o,
	    "executable")), "/usr/sbin/web");
	assert_int_equal(json_integer_value(json_object_get(o, "uid")), 1000);
	o = item_attrs(&a, "udp 0.0.0.0:53");
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), 77);
	o = item_attrs(&a, "tcp [::1]:631");
	assert_string_equal(json_string_value(json_object_get(o, "family")),
	    "ipv6");
	assert_null(json_object_get(o, "pid"));	/* no process shows it */
	/* Nothing new: no process is looked at, the owners stay. */
	assert_int_equal(entity_snapshot(RULE_PORTS, &src, &a, &b, &cost,
	    &dg), 0);
	assert_false(cost.owners_looked_up);
	assert_int_equal(entity_compare(&a, &b, NULL, NULL), 0);
	o = item_attrs(&b, "tcp 127.0.0.1:8080");
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), 300);
	entity_set_release(&b);
	/* The same port on a new socket: its owner is looked up again. */
	assert_int_equal(tlib_sh("cd '%s' && sed -i 's/ 4005 / 4105 /' "
	    "net/udp && ln -s 'socket:[4105]' 301/fd/9", proc), 0);
	assert_int_equal(entity_snapshot(RULE_PORTS, &src, &a, &b, &cost,
	    &dg), 0);
	assert_true(cost.owners_looked_up);
	assert_int_equal(json_integer_value(json_object_get(item_attrs(&b,
	    "udp 0.0.0.0:53"), "pid")), 301);
	/* A new owner is no alert: the port is its address. */
	assert_int_equal(entity_compare(&a, &b, NULL, NULL), 0);
	entity_set_release(&b);
	entity_set_release(&a);
	diag_release(&dg);
	tlib_rmrf(proc);
	free(proc);
}

/* A table that cannot be read fails the snapshot, and says which. */
static void
test_ports_unreadable(void **state)
{
	char *proc = tlib_mkdtemp("entnoproc");
	struct entity_source src = { proc, NULL, NULL, 0 };
	struct entity_set a;
	struct diag dg;
	char *s;

	(void)state;
	diag_init(&dg);
	assert_int_equal(entity_snapshot(RULE_PORTS, &src, NULL, &a, NULL,
	    &dg), -ENOENT);
	assert_int_equal(a.n, 0);
	assert_int_equal(dg.n, 1);
	s = diag_format(&dg.v[0]);
	assert_non_null(strstr(s, "/net/tcp"));
	free(s);
	diag_release(&dg);
	tlib_rmrf(proc);
	free(proc);
}

/* ---- packages ---- */

#define STANZA(n, a, v, st) "Package: " n "\nStatus: install ok " st \
	"\nPriority: optional\nArchitecture: " a "\nVersion: " v \
	"\nDescription: x\n more\n\n"

static char *
fake_dpkg(const char *status)
{
	char *d = tlib_mkdtemp("entdpkg");

	write_at(d, "status", status);
	return d;
}

struct seen {
	char	 lines[8][96];
	size_t	 n;
};

static void
on_change(const struct entity_change *c, void *arg)
{
	struct seen *s = arg;
	const json_t *o = c->new != NULL ? c->new : c->old;

	assert_true(s->n < 8);
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %s %s",
	    alert_action_name(c->action), c->key,
	    json_string_value(json_object_get(o, "version")));
}

static void
test_packages(void **state)
{
	char *d = fake_dpkg(STANZA("hello", "amd64", "2.10-2", "installed")
	    STANZA("less", "amd64", "590-1", "installed")
	    STANZA("gone", "amd64", "1.0", "not-installed")
	    STANZA("purged-not", "all", "3", "config-files")
	    STANZA("tzdata", "all", "2024a-0", "installed")
	    STANZA("zsh", "amd64", "5.9-4", "installed"));
	struct entity_source src = { "/proc", d, NULL, 0 };
	struct entity_set a, b;
	struct diag dg;
	struct seen s;
	char *text;

	(void)state;
	diag_init(&dg);
	assert_int_equal(entity_snapshot(RULE_PACKAGES, &src, NULL, &a, NULL,
	    &dg), 0);
	assert_int_equal(dg.n, 0);
	assert_int_equal(a.n, 4);
	assert_non_null(entity_set_find(&a, "hello:amd64"));
	assert_null(entity_set_find(&a, "gone:amd64"));
	assert_null(entity_set_find(&a, "purged-not:all"));
	assert_string_equal(json_string_value(json_object_get(item_attrs(&a,
	    "tzdata:all"), "status")), "installed");
	/*
	 * hello upgraded, less removed, nano installed, tzdata downgraded
	 * (in dpkg's order, not the strings'), zsh broken.
	 */
	text = tlib_fmt("%s/status", d);
	tlib_write(text, STANZA("hello", "amd64", "2.10-3", "installed")
	    STANZA("nano", "amd64", "7.2-1", "installed")
	    STANZA("tzdata", "all", "2024a-0~deb12u1", "installed")
	    STANZA("zsh", "amd64", "5.9-4", "half-configured"), (size_t)-1);
	free(text);
	assert_int_equal(entity_snapshot(RULE_PACKAGES, &src, &a, &b, NULL,
	    &dg), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(entity_compare(&a, &b, on_change, &s), 5);
	assert_string_equal(s.lines[0], "upgraded hello:amd64 2.10-3");
	assert_string_equal(s.lines[1], "removed less:amd64 590-1");
	assert_string_equal(s.lines[2], "installed nano:amd64 7.2-1");
	assert_string_equal(s.lines[3],
	    "downgraded tzdata:all 2024a-0~deb12u1");
	assert_string_equal(s.lines[4], "changed zsh:amd64 5.9-4");
	entity_set_release(&a);
	entity_set_release(&b);
	diag_release(&dg);
	tlib_rmrf(d);
	free(d);
}

/* ---- services ---- */

static const char *
attr_str(const struct entity_set *s, const char *key, const char *name)
{
	return json_string_value(json_object_get(item_attrs(s, key), name));
}

/*
 * Two unit directories, the first winning: an override, a masked unit,
 * a wants link, a requires link and drop-ins; then each change.
 */
static void
test_units(void **state)
{
	char *etc = tlib_mkdtemp("entetc"), *lib = tlib_mkdtemp("entlib");
	struct rule_path dirs[2] = { { etc, strlen(etc), { NULL, 0, 0 } },
	    { lib, strlen(lib), { NULL, 0, 0 } } };
	struct entity_source src = { "/proc", NULL, dirs, 2 };
	struct entity_set a, b;
	struct diag dg;
	struct seen s;
	char *p;

	(void)state;
	diag_init(&dg);
	write_at(lib, "a.service", "[Service]\nExecStart=/bin/a\n");
	write_at(lib, "b.service", "[Service]\nExecStart=/bin/b\n");
	write_at(lib, "c.timer", "[Timer]\n");
	write_at(lib, "README", "not a unit\n");
	write_at(etc, "a.service", "[Service]\nExecStart=/bin/a2\n");
	write_at(etc, "c.timer.d/x.conf", "[Timer]\nOnCalendar=daily\n");
	assert_int_equal(tlib_sh("cd '%s' && ln -s /dev/null b.service && "
	    "mkdir multi-user.target.wants timers.target.requires && "
	    "ln -s '%s/a.service' multi-user.target.wants/a.service && "
	    "ln -s '%s/c.timer' timers.target.requires/c.timer", etc, lib,
	    lib), 0);
	assert_int_equal(entity_snapshot(RULE_SERVICES, &src, NULL, &a, NULL,
	    &dg), 0);
	assert_int_equal(a.n, 3);
	p = tlib_fmt("%s/a.service", etc);
	assert_string_equal(attr_str(&a, "a.service", "path"), p);
	free(p);
	assert_string_equal(attr_str(&a, "a.service", "state"), "enabled");
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    item_attrs(&a, "a.service"), "wanted_by"), 0)),
	    "multi-user.target");
	assert_non_null(strstr(attr_str(&a, "a.service", "digest"),
	    "sha256:"));
	assert_string_equal(attr_str(&a, "b.service", "state"), "masked");
	assert_null(attr_str(&a, "b.service", "digest"));
	assert_string_equal(attr_str(&a, "c.timer", "state"), "enabled");
	assert_non_null(attr_str(&a, "c.timer", "dropins"));
	/* Unmask b, disable a, edit c's drop-in, add d. */
	assert_int_equal(tlib_sh("cd '%s' && rm b.service "
	    "multi-user.target.wants/a.service && echo '#' >> "
	    "c.timer.d/x.conf && printf '[Unit]\n' > d.target", etc), 0);
	assert_int_equal(entity_snapshot(RULE_SERVICES, &src, &a, &b, NULL,
	    &dg), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(entity_compare(&a, &b, on_change, &s), 4);
	assert_string_equal(s.lines[0], "disabled a.service (null)");
	assert_string_equal(s.lines[1], "unmasked b.service (null)");
	assert_string_equal(s.lines[2], "edited c.timer (null)");
	assert_string_equal(s.lines[3], "added d.target (null)");
	entity_set_release(&a);
	/* Mask d, remove c. */
	assert_int_equal(tlib_sh("cd '%s' && rm d.target && ln -s "
	    "/dev/null d.target && rm -r '%s'/timers.target.requires '%s'/"
	    "c.timer.d", etc, etc, etc), 0);
	assert_int_equal(tlib_sh("rm '%s/c.timer'", lib), 0);
	assert_int_equal(entity_snapshot(RULE_SERVICES, &src, &b, &a, NULL,
	    &dg), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(entity_compare(&b, &a, on_change, &s), 2);
	assert_string_equal(s.lines[0], "removed c.timer (null)");
	assert_string_equal(s.lines[1], "masked d.target (null)");
	assert_int_equal(dg.n, 0);
	entity_set_release(&a);
	entity_set_release(&b);
	diag_release(&dg);
	tlib_rmrf(etc);
	tlib_rmrf(lib);
	free(etc);
	free(lib);
}

/* ---- the JSON form ---- */

static void
test_json_round_trip(void **state)
{
	char *proc = fake_proc();
	struct entity_source src = { proc, NULL, NULL, 0 };
	struct entity_set a, b;
	const char *why = NULL;
	json_t *j, *bad;
	struct diag dg;

	(void)state;
	diag_init(&dg);
	assert_int_equal(entity_snapshot(RULE_PORTS, &src, NULL, &a, NULL,
	    &dg), 0);
	j = entity_set_to_json(&a);
	assert_int_equal(json_array_size(j), 4);
	assert_int_equal(entity_set_from_json(RULE_PORTS, j, &b, &why), 0);
	assert_int_equal(b.n, a.n);
	assert_int_equal(entity_compare(&a, &b, NULL, NULL), 0);
	assert_int_equal(b.v[0].inode, 0);	/* not kept */
	entity_set_release(&b);
	bad = json_loads("[{\"transport\":\"tcp\",\"ip\":\"::\"}]", 0, NULL);
	assert_int_equal(entity_set_from_json(RULE_PORTS, bad, &b, &why),
	    -EINVAL);
	assert_non_null(strstr(why, "port"));
	json_decref(bad);
	bad = json_loads("[{\"name\":\"x\"}]", 0, NULL);
	assert_int_equal(entity_set_from_json(RULE_PACKAGES, bad, &b, &why),
	    -EINVAL);
	json_decref(bad);
	bad = json_loads("{}", 0, NULL);
	assert_int_equal(entity_set_from_json(RULE_PACKAGES, bad, &b, &why),
	    -EINVAL);
	json_decref(bad);
	json_decref(j);
	entity_set_release(&a);
	diag_release(&dg);
	tlib_rmrf(proc);
	free(proc);
}

/* ---- the query ---- */

/* The keys of a query's reply, space-separated, and its missing names. */
static void
expect_query(enum rule_type type, const char *list, const char *names,
    const char *keys, const char *missing)
{
	json_t *l = json_loads(list, 0, NULL), *n = NULL, *reply, *v;
	const char *why = NULL;
	char got[256] = "", miss[256] = "";
	size_t i;

	assert_non_null(l);
	if (names != NULL)
		assert_non_null(n = json_loads(names, 0, NULL));
	reply = json_object();
	assert_int_equal(entity_query(type, l, n, reply, &why), 0);
	assert_true(json_is_true(json_object_get(reply, "held")));
	assert_string_equal(json_string_value(json_object_get(reply,
	    "type")), rule_type_name(type));
	json_array_foreach(json_object_get(reply, "entities"), i, v) {
		assert_string_equal(json_string_value(json_object_get(v,
		    "type")), rule_type_name(type));
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
		    "%s%s", i > 0 ? "," : "", json_string_value(
		    json_object_get(v, "key")));
	}
	json_array_foreach(json_object_get(reply, "missing"), i, v)
		snprintf(miss + strlen(miss), sizeof(miss) - strlen(miss),
		    "%s%s", i > 0 ? "," : "", json_string_value(v));
	assert_string_equal(got, keys);
	assert_string_equal(miss, missing);
	json_decref(reply);
	json_decref(n);
	json_decref(l);
}

#define PORTS "[{\"transport\":\"tcp\",\"ip\":\"127.0.0.1\"," \
	"\"port\":22,\"pid\":7},{\"transport\":\"tcp\",\"ip\":\"::1\"," \
	"\"port\":22},{\"transport\":\"udp\",\"ip\":\"0.0.0.0\"," \
	"\"port\":53}]"
#define PKGS "[{\"name\":\"less\",\"version\":\"590-2\"," \
	"\"architecture\":\"amd64\",\"status\":\"installed\"}," \
	"{\"name\":\"less\",\"version\":\"590-2\",\"architecture\":" \
	"\"i386\",\"status\":\"installed\"}]"

static void
test_query(void **state)
{
	json_t *req, *reply;
	enum rule_type t;
	const char *why = NULL;

	(void)state;
	expect_query(RULE_PORTS, PORTS, NULL, "tcp 127.0.0.1:22,tcp [::1]:22,"
	    "udp 0.0.0.0:53", "");
	/* The key, "/" for its space, or the port number alone. */
	expect_query(RULE_PORTS, PORTS, "[\"tcp/127.0.0.1:22\"]",
	    "tcp 127.0.0.1:22", "");
	expect_query(RULE_PORTS, PORTS, "[\"udp 0.0.0.0:53\",\"tcp/[::1]:22\"]",
	    "tcp [::1]:22,udp 0.0.0.0:53", "");
	expect_query(RULE_PORTS, PORTS, "[\"22\",\"23\",\"tcp/22\"]",
	    "tcp 127.0.0.1:22,tcp [::1]:22", "23,tcp/22");
	/* A package by name is every architecture of it. */
	expect_query(RULE_PACKAGES, PKGS, "[\"less\"]",
	    "less:amd64,less:i386", "");
	expect_query(RULE_PACKAGES, PKGS, "[\"less:i386\",\"more\"]",
	    "less:i386", "more");
	expect_query(RULE_SERVICES, "[{\"name\":\"ssh.service\","
	    "\"state\":\"enabled\"}]", "[\"ssh.service\",\"ssh\"]",
	    "ssh.service", "ssh");
	/* None recorded; names that are not a list of strings. */
	reply = json_object();
	assert_int_equal(entity_query(RULE_PORTS, NULL, NULL, reply, &why),
	    0);
	assert_true(json_is_false(json_object_get(reply, "held")));
	json_decref(reply);
	reply = json_object();
	req = json_loads("[\"a\",1]", 0, NULL);
	assert_int_equal(entity_query(RULE_PORTS, NULL, req, reply, &why),
	    -EINVAL);
	assert_non_null(strstr(why, "names"));
	assert_int_equal(json_object_size(reply), 0);
	json_decref(req);
	json_decref(reply);
	/* The request's "type". */
	req = json_loads("{\"type\":\"packages\"}", 0, NULL);
	assert_int_equal(entity_query_type(req, &t, &why), 0);
	assert_int_equal(t, RULE_PACKAGES);
	json_decref(req);
	req = json_loads("{}", 0, NULL);
	assert_int_equal(entity_query_type(req, &t, &why), 0);
	assert_int_equal(t, RULE_FILES);
	json_decref(req);
	req = json_loads("{\"type\":\"port\"}", 0, NULL);
	assert_int_equal(entity_query_type(req, &t, &why), -EINVAL);
	assert_non_null(strstr(why, "type"));
	json_decref(req);
	req = json_loads("{\"type\":\"ports\\u0000x\"}", JSON_ALLOW_NUL,
	    NULL);
	assert_non_null(req);
	assert_int_equal(entity_query_type(req, &t, &why), -EINVAL);
	json_decref(req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tables),
		cmocka_unit_test(test_parse_bad_lines),
		cmocka_unit_test(test_ports_snapshot),
		cmocka_unit_test(test_ports_unreadable),
		cmocka_unit_test(test_packages),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
