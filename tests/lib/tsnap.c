/* The test's own snapshot of a tree; see tsnap.h. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tlib.h"
#include "tsnap.h"

static json_t *snap_building;

/* SHA-256 of a file as lowercase hex, or "unreadable". */
static json_t *
file_sha256(const char *path)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned mdlen = 0, i;
	ssize_t n;
	int fd;

	if (ctx == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) < 0) {
		EVP_MD_CTX_free(ctx);
		return json_string("unreadable");
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	close(fd);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	return json_string(hex);
}

/* Every extended attribute, name -> value length and first bytes. */
static json_t *
entry_xattrs(const char *path)
{
	char names[4096], value[256];
	json_t *o = json_object();
	ssize_t len, vlen, off;

	len = llistxattr(path, names, sizeof(names));
	for (off = 0; len > 0 && off < len; off += (ssize_t)strlen(names +
	    off) + 1) {
		vlen = lgetxattr(path, names + off, value, sizeof(value));
		json_object_set_new(o, names + off, vlen < 0 ?
		    json_string("?") : json_stringn(value, (size_t)vlen));
	}
	return o;
}

static const char *
type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISLNK(m))
		return "symlink";
	return "other";
}

static int
visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char target[4096];
	json_t *e = json_object();
	ssize_t n;

	(void)flag;
	(void)ftw;
	json_object_set_new(e, "type", json_string(type_name(st->st_mode)));
	json_object_set_new(e, "mode", json_integer(st->st_mode & 07777));
	json_object_set_new(e, "uid", json_integer(st->st_uid));
	json_object_set_new(e, "gid", json_integer(st->st_gid));
	json_object_set_new(e, "inode", json_integer((json_int_t)st->st_ino));
	json_object_set_new(e, "xattrs", entry_xattrs(path));
	if (!S_ISDIR(st->st_mode))
		json_object_set_new(e, "nlink", json_integer(
		    (json_int_t)st->st_nlink));
	if (S_ISREG(st->st_mode)) {
		json_object_set_new(e, "size", json_integer(st->st_size));
		json_object_set_new(e, "mtime", json_integer(
		    (json_int_t)st->st_mtim.tv_sec * 1000000000 +
		    st->st_mtim.tv_nsec));
		json_object_set_new(e, "sha256", file_sha256(path));
	} else if (S_ISLNK(st->st_mode) &&
	    (n = readlink(path, target, sizeof(target))) >= 0)
		json_object_set_new(e, "target", json_stringn(target,
		    (size_t)n));
	json_object_set_new(snap_building, path, e);
	return 0;
}

json_t *
tsnap_take(const char *root)
{
	json_t *s = json_object();

	snap_building = s;
	assert_int_equal(nftw(root, visit, 64, FTW_PHYS), 0);
	snap_building = NULL;
	return s;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *
tsnap_diff(json_t *before, json_t *after)
{
	const char *path, **v;
	json_t *val, *out = json_array();
	size_t n = 0, i;

	v = calloc(json_object_size(before) + json_object_size(after) + 1,
	    sizeof(*v));
	assert_non_null(v);
	json_object_foreach(before, path, val) {
		if (!json_equal(val, json_object_get(after, path)))
			v[n++] = path;
	}
	json_object_foreach(after, path, val) {
		if (json_object_get(before, path) == NULL)
			v[n++] = path;
	}
	qsort(v, n, sizeof(*v), str_cmp);
	for (i = 0; i < n; i++)
		json_array_append_new(out, json_string(v[i]));
	free(v);
	return out;
}

bool
tsnap_content_changed(const json_t *before, const json_t *after,
    const char *path)
{
	const json_t *b = json_object_get(before, path);
	const json_t *a = json_object_get(after, path);
	const char *hb, *ha;

	if (b == NULL || a == NULL)
		return false;
	hb = json_string_value(json_object_get(b, "sha256"));
	ha = json_string_value(json_object_get(a, "sha256"));
	return hb != NULL && ha != NULL && strcmp(hb, ha) != 0;
}

size_t
tsnap_count_below(json_t *snap, const char *dir)
{
	const char *path;
	json_t *val;
	size_t n = 0, len = strlen(dir);

	json_object_foreach(snap, path, val) {
		if (strncmp(path, dir, len) == 0 && path[len] == '/')
			n++;
	}
	return n;
}
