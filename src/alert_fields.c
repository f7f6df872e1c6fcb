/*
 * The sections of an alert object that describe the file, the writer and
 * the changes.  Values whose bytes the system controls (paths, process and
 * user names, link targets) may not be UTF-8; they never reach jansson as
 * they are, which would refuse them, but in lossy or escaped form.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alert.h"
#include "alert_int.h"
#include "attr.h"
#include "hash.h"
#include "pathenc.h"
#include "xmalloc.h"

/*
 * The user or group name of id, cached (a direct-mapped table: NSS
 * lookups may go to the network, and a burst of alerts repeats ids).
 * Returns a borrowed name or NULL.
 */
static const char *
lookup_name(struct name_entry *table, uint32_t id, bool group)
{
	struct name_entry *e = &table[id % NAME_CACHE];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	size_t size = 1024;
	char *buf = NULL;
	const char *name = NULL;
	int r;

	if (e->used && e->id == id)
		return e->name;
	/* Groups with many members need more than the usual buffer. */
	do {
		size *= 4;
		free(buf);
		buf = xmalloc(size);
		if (group)
			r = getgrgid_r(id, &gr, buf, size, &grp);
		else
			r = getpwuid_r(id, &pw, buf, size, &pwp);
	} while (r == ERANGE && size < ((size_t)1 << 22));
	if (r == 0 && group && grp != NULL)
		name = grp->gr_name;
	else if (r == 0 && !group && pwp != NULL)
		name = pwp->pw_name;
	free(e->name);
	e->used = true;
	e->id = id;
	e->name = name != NULL && pathenc_is_utf8(name, strlen(name)) ?
	    xstrdup(name) : NULL;
	free(buf);
	return e->name;
}


/*
 * ECS file.name, file.directory and file.extension (the name's part
 * after its last dot, when the name neither starts nor ends with it).
 */
static void
path_parts(const char *path, size_t len, json_t *f)
{
	const char *slash = memrchr(path, '/', len), *name, *dot;
	size_t nlen;

	if (slash == NULL || (size_t)(slash - path) + 1 >= len)
		return;		/* "/" or not absolute: no name */
	name = slash + 1;
	nlen = len - (size_t)(name - path);
	json_object_set_new(f, "name", alert_json_bytes(name, nlen));
	json_object_set_new(f, "directory", slash == path ?
	    json_string("/") : alert_json_bytes(path, (size_t)(slash - path)));
	dot = memrchr(name, '.', nlen);
	if (dot != NULL && dot != name && dot + 1 < name + nlen)
		json_object_set_new(f, "extension", alert_json_bytes(dot + 1,
		    nlen - (size_t)(dot + 1 - name)));
}

/* A JSON string for bytes that may not be UTF-8 (lossy when not). */
json_t *
alert_json_bytes(const char *s, size_t len)
{
	struct buf b;
	json_t *v;

	if (pathenc_is_utf8(s, len))
		return json_stringn(s, len);
	buf_init(&b, BUF_MAX_DEFAULT);
	(void)pathenc_lossy(s, len, &b);
	v = json_stringn(b.data, b.len);
	buf_release(&b);
	return v != NULL ? v : json_string("");
}

json_t *
alert_json_escaped(const char *s, size_t len)
{
	struct buf b;
	json_t *v;

	buf_init(&b, BUF_MAX_DEFAULT);
	(void)pathenc_escape(s, len, &b);
	v = json_stringn(b.data, b.len);
	buf_release(&b);
	return v != NULL ? v : json_string("");
}

static json_t *
json_u64_string(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return json_string(s);
}

json_t *
alert_json_time(const struct fimd_time *t)
{
	char s[FIMD_TIME_RFC3339_LEN];

	fimd_time_rfc3339(t, s);
	return json_string(s);
}

static json_t *
build_hashes(const struct record *r)
{
	json_t *h = json_object();
	char hex[2 * HASH_MAX_SIZE + 1];
	int i;

	for (i = 0; i < HASH_COUNT; i++) {
		if (!(r->algos & HASH_BIT(i)))
			continue;
		hash_hex(r->md[i], hash_size((enum hash_algo)i), hex);
		json_object_set_new(h, hash_ecs_name((enum hash_algo)i),
		    json_string(hex));
	}
	return h;
}

/*
 * ECS file.attributes from the inode flags that have a word there, and
 * append_only, which ECS lacks and integrity monitoring needs.
 */
static json_t *
build_flags(uint32_t flags)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} words[] = {
		{ 0x00000010, "immutable" },	/* FS_IMMUTABLE_FL */
		{ 0x00000020, "append_only" },	/* FS_APPEND_FL */
		{ 0x00000004, "compressed" },	/* FS_COMPR_FL */
		{ 0x00000800, "encrypted" },	/* FS_ENCRYPT_FL */
		{ 0x00004000, "journaled" },	/* FS_JOURNAL_DATA_FL */
	};
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (flags & words[i].bit)
			json_array_append_new(a, json_string(words[i].name));
	}
	return a;
}

/* Each digest of r once into arr (ECS related.hash). */
static void
add_related_hashes(json_t *arr, const struct record *r)
{
	char hex[2 * HASH_MAX_SIZE + 1];
	const json_t *v;
	size_t j;
	int i;

	if (r == NULL || r->hash_too_large)
		return;
	for (i = 0; i < HASH_COUNT; i++) {
		if (!(r->algos & HASH_BIT(i)))
			continue;
		hash_hex(r->md[i], hash_size((enum hash_algo)i), hex);
		json_array_foreach(arr, j, v) {
			if (strcmp(json_string_value(v), hex) == 0)
				break;
		}
		if (j == json_array_size(arr))
			json_array_append_new(arr, json_string(hex));
	}
}

static void
add_related_user(json_t *arr, const char *name)
{
	const json_t *v;
	size_t j;

	if (name == NULL)
		return;
	json_array_foreach(arr, j, v) {
		if (strcmp(json_string_value(v), name) == 0)
			return;
	}
	json_array_append_new(arr, json_string(name));
}

json_t *
alert_related_json(struct alert_stream *s, const struct alert *a)
{
	json_t *o = json_object(), *h = json_array(), *u = json_array();
	const struct record *r[2] = { a->old, a->new };
	size_t i;

	for (i = 0; i < 2; i++) {
		add_related_hashes(h, r[i]);
		if (r[i] != NULL)
			add_related_user(u, lookup_name(s->users, r[i]->uid,
			    false));
	}
	if (a->proc != NULL && a->proc->pid > 0) {
		add_related_user(u, a->proc->user_name);
		add_related_user(u, a->proc->login_name);
	}
	if (json_array_size(h) > 0)
		json_object_set_new(o, "hash", h);
	else
		json_decref(h);
	if (json_array_size(u) > 0)
		json_object_set_new(o, "user", u);
	else
		json_decref(u);
	return o;
}

json_t *
alert_file_json(struct alert_stream *s, const struct alert *a, json_t *fimd)
{
	const struct record *r = a->new != NULL ? a->new : a->old;
	json_t *f = json_object();
	const char *name;
	char mode[8];

	json_object_set_new(f, "path", alert_json_bytes(a->path, a->pathlen));
	path_parts(a->path, a->pathlen, f);
	if (r == NULL)
		return f;
	json_object_set_new(f, "type",
	    json_string(record_type_name(r->mode)));
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(r->mode & 07777));
	json_object_set_new(f, "mode", json_string(mode));
	json_object_set_new(f, "uid", json_u64_string(r->uid));
	json_object_set_new(f, "gid", json_u64_string(r->gid));
	if ((name = lookup_name(s->users, r->uid, false)) != NULL)
		json_object_set_new(f, "owner", json_string(name));
	if ((name = lookup_name(s->groups, r->gid, true)) != NULL)
		json_object_set_new(f, "group", json_string(name));
	json_object_set_new(f, "size", json_integer((json_int_t)r->size));
	json_object_set_new(f, "inode", json_u64_string(r->inode));
	json_object_set_new(f, "mtime", alert_json_time(&r->mtime));
	json_object_set_new(f, "ctime", alert_json_time(&r->ctime));
	if ((r->known & ATTR_BIT(ATTR_BTIME)) &&
	    (r->btime.sec != 0 || r->btime.nsec != 0))
		json_object_set_new(f, "created", alert_json_time(&r->btime));
	if (r->known & ATTR_BIT(ATTR_FLAGS))
		json_object_set_new(f, "attributes", build_flags(r->flags));
	if (r->algos != 0 && !r->hash_too_large)
		json_object_set_new(f, "hash", build_hashes(r));
	if (S_ISLNK(r->mode) && r->link_target != NULL) {
		size_t tl = strlen(r->link_target);

		json_object_set_new(f, "target_path",
		    alert_json_bytes(r->link_target, tl));
		if (!pathenc_is_utf8(r->link_target, tl))
			json_object_set_new(fimd, "target_path_escaped",
			    alert_json_escaped(r->link_target, tl));
	}
	return f;
}

json_t *
alert_process_json(const struct procinfo *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "pid", json_integer(p->pid));
	if (p->name != NULL)
		json_object_set_new(o, "name",
		    alert_json_bytes(p->name, strlen(p->name)));
	if (p->executable != NULL)
		json_object_set_new(o, "executable",
		    alert_json_bytes(p->executable, strlen(p->executable)));
	if (p->ppid > 0)
		json_object_set_new(o, "parent",
		    json_pack("{s:I}", "pid", (json_int_t)p->ppid));
	return o;
}

json_t *
alert_user_json(const struct procinfo *p)
{
	json_t *u = json_object(), *audit;

	if (p->have_uid) {
		json_object_set_new(u, "id", json_u64_string(p->uid));
		if (p->user_name != NULL)
			json_object_set_new(u, "name", alert_json_bytes(
			    p->user_name, strlen(p->user_name)));
	}
	if (p->have_loginuid) {
		audit = json_object();
		json_object_set_new(audit, "id", json_u64_string(p->loginuid));
		if (p->login_name != NULL)
			json_object_set_new(audit, "name", alert_json_bytes(
			    p->login_name, strlen(p->login_name)));
		json_object_set_new(u, "audit", audit);
	}
	return u;
}

/* A value of fimd.changes, by its digest past ALERT_CHANGE_MAX. */
static json_t *
change_value(const struct buf *v)
{
	struct buf d;
	json_t *j;

	if (v->len <= ALERT_CHANGE_MAX)
		return alert_json_bytes(v->data, v->len);
	buf_init(&d, BUF_MAX_DEFAULT);
	(void)attr_format_digest(v->data, v->len, &d);
	j = json_stringn(d.data, d.len);
	buf_release(&d);
	return j != NULL ? j : json_string("");
}

static void
add_change(json_t *list, const char *attribute, struct buf *o,
    struct buf *n)
{
	json_t *c = json_object();

	json_object_set_new(c, "attribute", json_string(attribute));
	json_object_set_new(c, "old", change_value(o));
	json_object_set_new(c, "new", change_value(n));
	json_array_append_new(list, c);
}

/* changed_attributes and changes from the diff (both always arrays). */
void
alert_changes_json(const struct alert *a, json_t *fimd)
{
	json_t *names = json_array(), *changes = json_array();
	struct buf o, n;
	char key[64];
	int i, h;

	buf_init(&o, BUF_MAX_DEFAULT);
	buf_init(&n, BUF_MAX_DEFAULT);
	for (i = 0; a->diff != NULL && i < ATTR_COUNT; i++) {
		if (!(a->diff->changed & ATTR_BIT(i)))
			continue;
		json_array_append_new(names,
		    json_string(attr_name((enum attr_id)i)));
		if (a->old == NULL || a->new == NULL)
			continue;
		if (i != ATTR_HASH || (a->old->hash_too_large ||
		    a->new->hash_too_large || a->diff->algos == 0)) {
			buf_reset(&o);
			buf_reset(&n);
			(void)attr_format((enum attr_id)i, a->old, 0, &o);
			(void)attr_format((enum attr_id)i, a->new, 0, &n);
			add_change(changes, attr_name((enum attr_id)i), &o, &n);
			continue;
		}
		for (h = 0; h < HASH_COUNT; h++) {
			if (!(a->diff->algos & HASH_BIT(h)))
				continue;
			buf_reset(&o);
			buf_reset(&n);
			(void)attr_format(ATTR_HASH, a->old, h, &o);
			(void)attr_format(ATTR_HASH, a->new, h, &n);
			snprintf(key, sizeof(key), "hash.%s",
			    hash_ecs_name((enum hash_algo)h));
			add_change(changes, key, &o, &n);
		}
	}
	buf_release(&o);
	buf_release(&n);
	json_object_set_new(fimd, "changed_attributes", names);
	json_object_set_new(fimd, "changes", changes);
}


static void
set_text(json_t *o, const char *key, const char *v)
{
	if (v != NULL && v[0] != '\0')
		json_object_set_new(o, key, alert_json_bytes(v, strlen(v)));
}

json_t *
alert_package_json(const struct alert *a)
{
	json_t *p = json_object();

	if (a->summary != NULL) {
		set_text(p, "name", a->summary->name);
		/* A removed package is named at the version it had. */
		set_text(p, "version", a->summary->new_version[0] != '\0' ?
		    a->summary->new_version : a->summary->old_version);
		set_text(p, "architecture", a->summary->arch);
		set_text(p, "type", a->pkg_type);
		return p;
	}
	set_text(p, "name", a->verdict->owner.name);
	set_text(p, "version", a->verdict->owner.version);
	set_text(p, "architecture", a->verdict->owner.arch);
	set_text(p, "type", a->verdict->owner.type);
	return p;
}

void
alert_summary_json(const struct alert *a, json_t *fimd)
{
	const struct pkg_summary *p = a->summary;

	json_object_set_new(fimd, "package_change", json_string(p->change));
	if (p->old_version[0] != '\0')
		json_object_set_new(fimd, "previous_version",
		    alert_json_bytes(p->old_version, strlen(p->old_version)));
	json_object_set_new(fimd, "files", json_integer((json_int_t)p->files));
	json_object_set_new(fimd, "mismatched",
	    json_integer((json_int_t)p->mismatched));
}
