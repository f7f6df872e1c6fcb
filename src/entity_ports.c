/*
 * The listening ports (entity.h): /proc/net/{tcp,tcp6,udp,udp6} and the
 * processes that hold their sockets.
 *
 * A check reads the four tables, which is cheap.  Finding a socket's
 * owner means reading the link of every descriptor of every process
 * (/proc/PID/fd/N -> "socket:[INODE]"), which is not: it is done only
 * for sockets the previous snapshot did not hold, so a host whose ports
 * stay as they are costs four reads per check.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "entity_int.h"
#include "fileio.h"
#include "pathenc.h"
#include "xmalloc.h"

/* A table is some 150 bytes a socket; this is far past any host's. */
#define NET_FILE_MAX	((size_t)64 << 20)
#define TCP_LISTEN	0x0A
#define UDP_UNCONNECTED	0x07
#define FIELDS		10

/* The next whitespace-separated field of s[*off, len). */
static bool
next_field(const char *s, size_t len, size_t *off, const char **ret,
    size_t *ret_len)
{
	size_t i = *off;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return false;
	*ret = s + i;
	while (i < len && s[i] != ' ' && s[i] != '\t')
		i++;
	*ret_len = (size_t)(s + i - *ret);
	*off = i;
	return true;
}

static bool
hex_u32(const char *s, size_t len, uint32_t *ret)
{
	uint32_t v = 0;
	size_t i;
	int d;

	if (len == 0 || len > 8)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return true;
}

static bool
dec_u64(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/*
 * "HEX:PORT": the kernel prints each 32-bit word of the address as the
 * number it is in memory (%08X), so the bytes of a word are in the
 * host's order; the port is a plain number.
 */
static bool
parse_local(const char *s, size_t len, bool v6, struct port_sock *ps)
{
	const size_t words = v6 ? 4 : 1;
	unsigned char addr[16];
	uint32_t w, port;
	size_t i;

	if (len != 8 * words + 5 || s[8 * words] != ':')
		return false;
	for (i = 0; i < words; i++) {
		if (!hex_u32(s + 8 * i, 8, &w))
			return false;
		memcpy(addr + 4 * i, &w, 4);
	}
	if (!hex_u32(s + 8 * words + 1, 4, &port))
		return false;
	ps->port = port;
	return inet_ntop(v6 ? AF_INET6 : AF_INET, addr, ps->ip,
	    sizeof(ps->ip)) != NULL;
}

/* One line: 0 (a socket or not one we want), or -EINVAL. */
static int
parse_line(const char *s, size_t len, bool udp, bool v6,
    struct port_sock *ps, bool *want)
{
	const char *f[FIELDS];
	size_t fl[FIELDS], off = 0, i;
	uint32_t st;
	uint64_t uid;

	*want = false;
	for (i = 0; i < FIELDS; i++)
		if (!next_field(s, len, &off, &f[i], &fl[i]))
			return -EINVAL;
	if (fl[0] < 2 || f[0][fl[0] - 1] != ':' || fl[3] != 2 ||
	    !hex_u32(f[3], 2, &st))
		return -EINVAL;
	memset(ps, 0, sizeof(*ps));
	ps->transport = udp ? "udp" : "tcp";
	ps->v6 = v6;
	if (!parse_local(f[1], fl[1], v6, ps) ||
	    !dec_u64(f[7], fl[7], &uid) || uid > UINT32_MAX ||
	    !dec_u64(f[9], fl[9], &ps->inode))
		return -EINVAL;
	ps->uid = (uint32_t)uid;
	*want = udp ? st == UDP_UNCONNECTED && ps->port != 0 :
	    st == TCP_LISTEN;
	return 0;
}

int
ports_parse(const char *file, const char *text, size_t len, bool udp,
    bool v6, void (*fn)(const struct port_sock *s, void *arg), void *arg,
    struct diag *diag)
{
	struct port_sock ps;
	const char *s, *nl;
	size_t off = 0, n;
	unsigned lineno = 0;
	bool want;
	int ret = 0;

	while (off < len) {
		s = text + off;
		nl = memchr(s, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - s) : len - off;
		off += n + (nl != NULL);
		if (++lineno == 1)
			continue;	/* the column names */
		if (parse_line(s, n, udp, v6, &ps, &want) < 0) {
			diag_add(diag, DIAG_ERROR, file, lineno, 0,
			    "not a socket line of /proc/net/%s%s", udp ?
			    "udp" : "tcp", v6 ? "6" : "");
			ret = -EINVAL;
			continue;
		}
		if (want)
			fn(&ps, arg);
	}
	return ret;
}

bool
ports_key(const json_t *attrs, char *buf, size_t size)
{
	const char *t = json_string_value(json_object_get(attrs, "transport"));
	const char *ip = json_string_value(json_object_get(attrs, "ip"));
	const json_t *port = json_object_get(attrs, "port");
	int n;

	if (t == NULL || ip == NULL || !json_is_integer(port))
		return false;
	n = snprintf(buf, size, strchr(ip, ':') != NULL ? "%s [%s]:%" PRId64 :
	    "%s %s:%" PRId64, t, ip, (int64_t)json_integer_value(port));
	return n > 0 && (size_t)n < size;
}

/* ---- the owners ---- */

struct owner {
	uint64_t inode;
	pid_t	 pid;		/* 0: not found */
};

static int
owner_cmp(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

struct owners {
	struct owner *v;
	size_t	 n;
};

static struct owner *
owner_find(const struct owners *o, uint64_t inode)
{
	struct owner k = { .inode = inode };

	return o->n == 0 ? NULL : bsearch(&k, o->v, o->n, sizeof(*o->v),
	    owner_cmp);
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* "socket:[N]": N, or 0. */
static uint64_t
socket_inode(const char *link, size_t len)
{
	uint64_t v;

	if (len < 10 || memcmp(link, "socket:[", 8) != 0 ||
	    link[len - 1] != ']' || !dec_u64(link + 8, len - 9, &v))
		return 0;
	return v;
}

/* The descriptors of pid that are wanted sockets take pid. */
static void
scan_fds(const char *proc_root, pid_t pid, struct owners *o)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], link[64];
	struct owner *w;
	struct dirent *de;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%d/fd", proc_root, (int)pid);
	if ((d = opendir(dir)) == NULL)
		return;		/* gone, or not ours to read */
	while ((de = readdir(d)) != NULL) {
		if (!all_digits(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((n = readlink(path, link, sizeof(link))) <= 0 ||
		    (size_t)n >= sizeof(link))
			continue;
		/* The lowest pid holding it: the parent of its workers. */
		if ((w = owner_find(o, socket_inode(link, (size_t)n))) !=
		    NULL && (w->pid == 0 || pid < w->pid))
			w->pid = pid;
	}
	closedir(d);
}

static uint64_t
scan_processes(const char *proc_root, struct owners *o)
{
	struct dirent *de;
	uint64_t n = 0, pid;
	DIR *d;

	if ((d = opendir(proc_root)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!all_digits(de->d_name) || strlen(de->d_name) > 9 ||
		    !dec_u64(de->d_name, strlen(de->d_name), &pid))
			continue;
		scan_fds(proc_root, (pid_t)pid, o);
		n++;
	}
	closedir(d);
	return n;
}

/* A string member from bytes that may not be UTF-8 (lossy then). */
static void
set_bytes(json_t *o, const char *key, const char *s, size_t len)
{
	struct buf b;

	if (pathenc_is_utf8(s, len)) {
		json_object_set_new(o, key, json_stringn(s, len));
		return;
	}
	buf_init(&b, BUF_MAX_DEFAULT);
	(void)pathenc_lossy(s, len, &b);
	json_object_set_new(o, key, json_stringn(b.data, b.len));
	buf_release(&b);
}

/* pid, process and executable of the owner, as /proc shows them. */
static void
describe_owner(const char *proc_root, pid_t pid, json_t *attrs)
{
	char path[PATH_MAX], exe[PATH_MAX], *comm = NULL;
	size_t len;
	ssize_t n;

	json_object_set_new(attrs, "pid", json_integer(pid));
	snprintf(path, sizeof(path), "%s/%d/comm", proc_root, (int)pid);
	if (fileio_read_path(path, 64, &comm, &len) == 0) {
		while (len > 0 && comm[len - 1] == '\n')
			len--;
		if (len > 0)
			set_bytes(attrs, "process", comm, len);
	}
	free(comm);
	snprintf(path, sizeof(path), "%s/%d/exe", proc_root, (int)pid);
	if ((n = readlink(path, exe, sizeof(exe))) > 0 &&
	    (size_t)n < sizeof(exe))
		set_bytes(attrs, "executable", exe, (size_t)n);
}

/* ---- the snapshot ---- */

struct collect {
	struct entity_set *set;
};

static void
on_sock(const struct port_sock *s, void *arg)
{
	struct collect *c = arg;
	char key[ENTITY_KEY_MAX];
	json_t *o;

	o = json_pack("{s:s,s:s,s:i,s:s,s:I}", "transport", s->transport,
	    "ip", s->ip, "port", (int)s->port, "family", s->v6 ? "ipv6" :
	    "ipv4", "uid", (json_int_t)s->uid);
	if (!ports_key(o, key, sizeof(key))) {
		json_decref(o);
		return;
	}
	entity_set_add(c->set, key, o, s->inode);
}

static int
read_table(const char *proc_root, const char *name, bool udp, bool v6,
    struct collect *c, struct diag *diag)
{
	char path[PATH_MAX], *text;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/net/%s", proc_root, name);
	if ((r = fileio_read_path(path, NET_FILE_MAX, &text, &len)) < 0) {
		if (r == -ENOENT && v6)
			return 0;	/* no IPv6 on this host */
		diag_add(diag, DIAG_ERROR, path, 0, 0, "cannot read: %s",
		    strerror(-r));
		return r;
	}
	(void)ports_parse(path, text, len, udp, v6, on_sock, c, diag);
	free(text);
	return 0;
}

static void
user_name(json_t *attrs)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];
	uid_t uid = (uid_t)json_integer_value(json_object_get(attrs, "uid"));

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) == 0 &&
	    pwp != NULL && pathenc_is_utf8(pwp->pw_name,
	    strlen(pwp->pw_name)))
		json_object_set_new(attrs, "user", json_string(pwp->pw_name));
}

/* The owners prev knew for the same socket, or the ones looked up. */
static void
add_owners(const char *proc_root, const struct entity_set *prev,
    struct entity_set *set, struct entity_cost *cost)
{
	static const char *const kept[] = { "pid", "process", "executable",
	    "user" };
	const struct entity_item *p;
	struct owners o = { NULL, 0 };
	struct owner *w;
	size_t i, k;

	o.v = xcalloc(set->n + 1, sizeof(*o.v));
	for (i = 0; i < set->n; i++) {
		p = prev != NULL ? entity_set_find(prev, set->v[i].key) : NULL;
		if (p != NULL && p->inode == set->v[i].inode &&
		    p->inode != 0) {
			for (k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
				if (json_object_get(p->attrs, kept[k]) != NULL)
					json_object_set(set->v[i].attrs,
					    kept[k], json_object_get(p->attrs,
					    kept[k]));
			continue;
		}
		user_name(set->v[i].attrs);
		if (set->v[i].inode != 0)
			o.v[o.n++].inode = set->v[i].inode;
	}
	if (o.n > 0) {
		qsort(o.v, o.n, sizeof(*o.v), owner_cmp);
		cost->owners_looked_up = true;
		cost->processes = scan_processes(proc_root, &o);
		for (i = 0; i < set->n; i++)
			if ((w = owner_find(&o, set->v[i].inode)) != NULL &&
			    w->pid > 0 && json_object_get(set->v[i].attrs,
			    "pid") == NULL)
				describe_owner(proc_root, w->pid,
				    set->v[i].attrs);
	}
	free(o.v);
}

int
ports_snapshot(const char *proc_root, const struct entity_set *prev,
    struct entity_set *ret, struct entity_cost *cost, struct diag *diag)
{
	static const struct {
		const char *name;
		bool	 udp, v6;
	} tables[] = {
		{ "tcp", false, false }, { "tcp6", false, true },
		{ "udp", true, false }, { "udp6", true, true },
	};
	struct collect c = { .set = ret };
	size_t i;
	int r;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if ((r = read_table(proc_root, tables[i].name, tables[i].udp,
		    tables[i].v6, &c, diag)) < 0) {
			entity_set_release(ret);
			return r;
		}
	}
	entity_set_sort(ret);
	add_owners(proc_root, prev, ret, cost);
	return 0;
}
