/*
 * diff: every attribute on its own, the rule mask, attributes one record
 * lacks, type changes, directories, GROWING files and the digests that
 * differ; procinfo's copy and release.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tlib.h"

#include "diff.h"
#include "procinfo.h"
#include "record.h"
#include "xmalloc.h"

#define B(a)		ATTR_BIT(ATTR_##a)
#define H(a)		HASH_BIT(HASH_##a)
#define STD		ATTR_GROUP_STANDARD
#define ALL_NO_ATIME	(ATTR_GROUP_ALL & ~B(ATIME))

static void
set_xattr(struct record *r, const char *name, const char *value)
{
	r->xattrs = xreallocarray(r->xattrs, r->nxattrs + 1,
	    sizeof(*r->xattrs));
	r->xattrs[r->nxattrs].name = xstrdup(name);
	r->xattrs[r->nxattrs].len = strlen(value);
	r->xattrs[r->nxattrs].value = xmemdup(value, strlen(value));
	r->nxattrs++;
}

/* A regular file with every attribute captured and two digests. */
static void
base_file(struct record *r)
{
	record_init(r);
	r->known = ATTR_ALL_BITS;
	r->mode = S_IFREG | 0644;
	r->uid = 1000;
	r->gid = 100;
	r->nlink = 1;
	r->size = 4096;
	r->inode = 1234;
	r->dev = 0x801;
	r->mtime = (struct fimd_time){ 1700000000, 5 };
	r->ctime = (struct fimd_time){ 1700000001, 6 };
	r->atime = (struct fimd_time){ 1700000002, 7 };
	r->btime = (struct fimd_time){ 1600000000, 8 };
	r->flags = 0;
	set_xattr(r, "security.selinux", "system_u:object_r:etc_t:s0");
	set_xattr(r, "user.k", "v");
	r->algos = H(SHA256) | H(SHA512);
	memset(r->md[HASH_SHA256], 0x11, HASH_MAX_SIZE);
	memset(r->md[HASH_SHA512], 0x22, HASH_MAX_SIZE);
}

/* Each mutation changes new (and sometimes old) in one way. */
typedef void mutate_fn(struct record *old, struct record *new);

static void m_none(struct record *o, struct record *n) { (void)o; (void)n; }
static void m_mode(struct record *o, struct record *n)
{ (void)o; n->mode = S_IFREG | 04755; }
static void m_uid(struct record *o, struct record *n) { (void)o; n->uid = 0; }
static void m_gid(struct record *o, struct record *n) { (void)o; n->gid = 0; }
static void m_size(struct record *o, struct record *n)
{ (void)o; n->size = 1; }
static void m_mtime(struct record *o, struct record *n)
{ (void)o; n->mtime.nsec++; }
static void m_ctime(struct record *o, struct record *n)
{ (void)o; n->ctime.sec++; }
static void m_atime(struct record *o, struct record *n)
{ (void)o; n->atime.sec += 60; }
static void m_btime(struct record *o, struct record *n)
{ (void)o; n->btime.nsec = 0; }
static void m_inode(struct record *o, struct record *n)
{ (void)o; n->inode = 99; }
static void m_nlink(struct record *o, struct record *n)
{ (void)o; n->nlink = 2; }
static void m_sha256(struct record *o, struct record *n)
{ (void)o; n->md[HASH_SHA256][31] ^= 1; }
static void m_sha512(struct record *o, struct record *n)
{ (void)o; n->md[HASH_SHA512][0] ^= 0x80; }
static void m_both_digests(struct record *o, struct record *n)
{ m_sha256(o, n); m_sha512(o, n); }
static void m_flags(struct record *o, struct record *n)
{ (void)o; n->flags = 0x10; /* FS_IMMUTABLE_FL */ }
static void m_xattr_value(struct record *o, struct record *n)
{ (void)o; n->xattrs[1].value[0] = 'w'; }
static void m_xattr_added(struct record *o, struct record *n)
{ (void)o; set_xattr(n, "user.z", ""); }
static void m_xattr_name(struct record *o, struct record *n)
{ (void)o; n->xattrs[1].name[5] = 'j'; }
static void m_xattr_len(struct record *o, struct record *n)
{ (void)o; n->xattrs[1].len = 0; }

static void
m_symlink_target(struct record *o, struct record *n)
{
	o->mode = n->mode = S_IFLNK | 0777;
	o->algos = n->algos = 0;
	o->known &= ~B(HASH);
	n->known &= ~B(HASH);
	o->link_target = xstrdup("/etc/a");
	n->link_target = xstrdup("/etc/b");
}

static void
m_symlink_same(struct record *o, struct record *n)
{
	m_symlink_target(o, n);
	n->link_target[5] = 'a';
}

/* Metadata of every kind changes; only what both carry may count. */
static void
m_everything(struct record *o, struct record *n)
{
	m_mode(o, n); m_uid(o, n); m_gid(o, n); m_size(o, n);
	m_mtime(o, n); m_ctime(o, n); m_atime(o, n); m_btime(o, n);
	m_inode(o, n); m_nlink(o, n); m_sha256(o, n); m_flags(o, n);
	m_xattr_value(o, n);
}

static void
m_new_lacks_xattrs_flags(struct record *o, struct record *n)
{
	m_flags(o, n);
	m_xattr_value(o, n);
	m_uid(o, n);
	n->known &= ~(B(XATTRS) | B(FLAGS));
}

static void
m_old_lacks_hash(struct record *o, struct record *n)
{
	m_sha256(o, n);
	o->known &= ~B(HASH);
	o->algos = 0;
}

static void
m_old_lacks_atime(struct record *o, struct record *n)
{
	m_atime(o, n);
	o->known &= ~B(ATIME);
}

static void
m_no_common_algo(struct record *o, struct record *n)
{
	o->algos = H(SHA256);
	n->algos = H(SHA3_256);
	memset(n->md[HASH_SHA3_256], 0x33, HASH_MAX_SIZE);
}

static void
m_new_adds_algo(struct record *o, struct record *n)
{
	o->algos = H(SHA256);
	n->algos |= H(MD5);
	memset(n->md[HASH_MD5], 0x44, HASH_MAX_SIZE);
}

static void
m_too_large(struct record *o, struct record *n)
{
	(void)o;
	n->hash_too_large = true;
	n->algos = 0;
}

static void
m_both_too_large(struct record *o, struct record *n)
{
	o->hash_too_large = n->hash_too_large = true;
	o->algos = n->algos = 0;
	n->size = 1 << 30;
}

static void
m_to_dir(struct record *o, struct record *n)
{
	(void)o;
	n->mode = S_IFDIR | 0644;
	n->known &= ~B(HASH);
	n->algos = 0;
}

static void
m_symlink_to_file(struct record *o, struct record *n)
{
	o->mode = S_IFLNK | 0777;
	o->link_target = xstrdup("x");
	o->known &= ~B(HASH);
	o->algos = 0;
	n->known &= ~B(LINK_TARGET);
}

/* A directory whose entries changed: nothing the rule can see. */
static void
m_dir_entries(struct record *o, struct record *n)
{
	o->mode = n->mode = S_IFDIR | 0755;
	o->known &= ~B(HASH);
	n->known &= ~B(HASH);
	n->size = 8192;
	m_mtime(o, n); m_ctime(o, n); m_atime(o, n); m_nlink(o, n);
}

static void
m_dir_chmod(struct record *o, struct record *n)
{
	m_dir_entries(o, n);
	n->mode = S_IFDIR | 0700;
}

/* GROWING: new grew by appending; its prefix digests are old's. */
static void
m_grow(struct record *o, struct record *n)
{
	n->size = o->size + 100;
	m_mtime(o, n);
	m_ctime(o, n);
	m_both_digests(o, n);
	n->prefix_algos = o->algos;
	memcpy(n->prefix_md, o->md, sizeof(o->md));
}

static void
m_grow_prefix_changed(struct record *o, struct record *n)
{
	m_grow(o, n);
	n->prefix_md[HASH_SHA512][7] ^= 1;
}

static void
m_grow_no_prefix(struct record *o, struct record *n)
{
	m_grow(o, n);
	n->prefix_algos = 0;
}

static void
m_grow_new_inode(struct record *o, struct record *n)
{
	m_grow(o, n);
	m_inode(o, n);
}

static void
m_grow_and_chmod(struct record *o, struct record *n)
{
	m_grow(o, n);
	m_mode(o, n);
}

static void
m_grow_too_large(struct record *o, struct record *n)
{
	m_both_too_large(o, n);
	m_mtime(o, n);
	n->size = (uint64_t)1 << 31;
	o->size = (uint64_t)1 << 30;
}

static void
m_shrink(struct record *o, struct record *n)
{
	n->size = o->size - 1;
	m_mtime(o, n);
	m_sha256(o, n);
	m_sha512(o, n);
}

/* Truncated to zero and rewritten to the same size and digests. */
static void
m_same_size_touched(struct record *o, struct record *n)
{
	m_mtime(o, n);
	m_ctime(o, n);
}

static const struct diff_case {
	const char *name;
	mutate_fn *mutate;
	attr_mask rule;
	attr_mask changed;
	hash_mask algos;
	bool	 type_changed;
	bool	 grew;
	bool	 content;
} diff_cases[] = {
	{ "identical", m_none, ATTR_GROUP_ALL, 0, 0, false, false, false },
	{ "mode", m_mode, STD, B(MODE), 0, false, false, false },
	{ "uid", m_uid, STD, B(UID), 0, false, false, false },
	{ "gid", m_gid, STD, B(GID), 0, false, false, false },
	{ "size", m_size, STD, B(SIZE), 0, false, false, true },
	{ "mtime", m_mtime, STD, B(MTIME), 0, false, false, false },
	{ "ctime", m_ctime, ALL_NO_ATIME, B(CTIME), 0, false, false, false },
	{ "atime named", m_atime, B(ATIME), B(ATIME), 0, false, false,
	    false },
	{ "btime", m_btime, STD, B(BTIME), 0, false, false, false },
	{ "inode", m_inode, ALL_NO_ATIME, B(INODE), 0, false, false, false },
	{ "nlink", m_nlink, ALL_NO_ATIME, B(NLINK), 0, false, false, false },
	{ "hash sha256", m_sha256, STD, B(HASH), H(SHA256), false, false,
	    true },
	{ "hash sha512", m_sha512, B(HASH), B(HASH), H(SHA512), false, false,
	    true },
	{ "hash both", m_both_digests, B(HASH), B(HASH), H(SHA256) |
	    H(SHA512), false, false, true },
	{ "link_target", m_symlink_target, STD, B(LINK_TARGET), 0, false,
	    false, true },
	{ "link_target same", m_symlink_same, STD, 0, 0, false, false,
	    false },
	{ "xattrs value", m_xattr_value, ATTR_GROUP_PERMISSIONS, B(XATTRS),
	    0, false, false, false },
	{ "xattrs added", m_xattr_added, B(XATTRS), B(XATTRS), 0, false,
	    false, false },
	{ "xattrs renamed", m_xattr_name, B(XATTRS), B(XATTRS), 0, false,
	    false, false },
	{ "xattrs emptied", m_xattr_len, B(XATTRS), B(XATTRS), 0, false,
	    false, false },
	{ "flags", m_flags, ATTR_GROUP_PERMISSIONS, B(FLAGS), 0, false,
	    false, false },

	/* The rule mask decides. */
	{ "ctime not in STANDARD", m_ctime, STD, 0, 0, false, false, false },
	{ "inode not in STANDARD", m_inode, STD, 0, 0, false, false, false },
	{ "atime not named", m_atime, ALL_NO_ATIME, 0, 0, false, false,
	    false },
	{ "flags not in STANDARD", m_flags, STD, 0, 0, false, false, false },
	{ "xattrs not in STANDARD", m_xattr_value, STD, 0, 0, false, false,
	    false },
	{ "hash not in PERMISSIONS", m_sha256, ATTR_GROUP_PERMISSIONS, 0, 0,
	    false, false, false },
	{ "everything, CONTENTS", m_everything, ATTR_GROUP_CONTENTS,
	    B(SIZE) | B(HASH), H(SHA256), false, false, true },
	{ "everything, PERMISSIONS", m_everything, ATTR_GROUP_PERMISSIONS,
	    B(MODE) | B(UID) | B(GID) | B(XATTRS) | B(FLAGS), 0, false, false,
	    false },
	{ "everything, ALL", m_everything, ATTR_GROUP_ALL, ATTR_ALL_BITS &
	    ~(B(TYPE) | B(LINK_TARGET) | B(ATIME)), H(SHA256), false, false,
	    true },
	{ "empty rule", m_everything, 0, 0, 0, false, false, false },

	/* Attributes one record lacks are not compared. */
	{ "new lacks xattrs, flags", m_new_lacks_xattrs_flags,
	    ATTR_GROUP_ALL, B(UID), 0, false, false, false },
	{ "old lacks hash", m_old_lacks_hash, STD, 0, 0, false, false,
	    false },
	{ "old lacks atime", m_old_lacks_atime, ATTR_GROUP_ALL, 0, 0, false,
	    false, false },
	{ "no algorithm in common", m_no_common_algo, STD, 0, 0, false,
	    false, false },
	{ "new adds an algorithm", m_new_adds_algo, STD, 0, 0, false, false,
	    false },
	{ "became too large", m_too_large, STD, B(HASH), 0, false, false,
	    true },
	{ "both too large", m_both_too_large, STD, B(SIZE), 0, false, false,
	    true },

	/* Type changes are reported whatever the rule. */
	{ "file to dir", m_to_dir, 0, B(TYPE), 0, true, false, true },
	{ "file to dir, STANDARD", m_to_dir, STD, B(TYPE), 0, true, false,
	    true },
	{ "symlink to file", m_symlink_to_file, STD, B(TYPE) | B(MODE), 0,
	    true, false, true },

	/* Directories. */
	{ "dir entries", m_dir_entries, ATTR_GROUP_ALL, 0, 0, false, false,
	    false },
	{ "dir chmod", m_dir_chmod, ATTR_GROUP_ALL, B(MODE), 0, false, false,
	    false },

	/* GROWING. */
	{ "grow", m_grow, ATTR_GROUP_GROWING, 0, 0, false, true, false },
	{ "grow, ctime named", m_grow, ATTR_GROUP_GROWING | B(CTIME), 0, 0,
	    false, true, false },
	{ "grow without GROWING", m_grow, STD, B(SIZE) | B(HASH) | B(MTIME),
	    H(SHA256) | H(SHA512), false, false, true },
	{ "grow, prefix changed", m_grow_prefix_changed, ATTR_GROUP_GROWING,
	    B(SIZE) | B(HASH) | B(MTIME), H(SHA256) | H(SHA512), false, false,
	    true },
	{ "grow, no prefix digests", m_grow_no_prefix, ATTR_GROUP_GROWING,
	    B(SIZE) | B(HASH) | B(MTIME), H(SHA256) | H(SHA512), false, false,
	    true },
	{ "grow, new inode", m_grow_new_inode, ATTR_GROUP_GROWING,
	    B(SIZE) | B(HASH) | B(MTIME), H(SHA256) | H(SHA512), false, false,
	    true },
	{ "grow and chmod", m_grow_and_chmod, ATTR_GROUP_GROWING, B(MODE), 0,
	    false, true, false },
	{ "grow, too large", m_grow_too_large, ATTR_GROUP_GROWING, 0, 0,
	    false, true, false },
	{ "grow, no hash asked", m_grow_no_prefix, ATTR_F_GROWING | B(SIZE) |
	    B(MTIME), 0, 0, false, true, false },
	{ "shrink", m_shrink, ATTR_GROUP_GROWING, B(SIZE) | B(HASH) |
	    B(MTIME), H(SHA256) | H(SHA512), false, false, true },
	{ "same size, touched", m_same_size_touched, ATTR_GROUP_GROWING,
	    B(MTIME), 0, false, false, false },
};

static void
test_diff_cases(void **state)
{
	const struct diff_case *tc;
	struct record old, new;
	struct diff d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(diff_cases) / sizeof(diff_cases[0]); i++) {
		tc = &diff_cases[i];
		base_file(&old);
		base_file(&new);
		tc->mutate(&old, &new);
		memset(&d, 0xa5, sizeof(d));
		diff_records(&old, &new, tc->rule, &d);
		if (d.changed != tc->changed || d.algos != tc->algos ||
		    d.type_changed != tc->type_changed ||
		    d.grew != tc->grew ||
		    diff_is_content(&d) != tc->content ||
		    diff_any(&d) != (tc->changed != 0))
			fail_msg("%s: changed %#x (want %#x) algos %#x "
			    "(want %#x) type %d grew %d content %d", tc->name,
			    (unsigned)d.changed, (unsigned)tc->changed,
			    (unsigned)d.algos, (unsigned)tc->algos,
			    d.type_changed, d.grew, diff_is_content(&d));
		record_release(&old);
		record_release(&new);
	}
}

/* The comparison does not depend on which record is which. */
static void
test_diff_symmetric(void **state)
{
	const struct diff_case *tc;
	struct record old, new;
	struct diff d1, d2;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(diff_cases) / sizeof(diff_cases[0]); i++) {
		tc = &diff_cases[i];
		if (tc->rule & ATTR_F_GROWING)
			continue;	/* growth has a direction */
		base_file(&old);
		base_file(&new);
		tc->mutate(&old, &new);
		diff_records(&old, &new, tc->rule, &d1);
		diff_records(&new, &old, tc->rule, &d2);
		if (d1.changed != d2.changed || d1.algos != d2.algos)
			fail_msg("%s: not symmetric", tc->name);
		record_release(&old);
		record_release(&new);
	}
}

static void
test_diff_predicates(void **state)
{
	static const struct {
		struct diff d;
		bool	 any;
		bool	 content;
	} cases[] = {
		{ { 0, 0, false, false }, false, false },
		{ { 0, 0, true, false }, false, false },	/* grew */
		{ { 0, 0, false, true }, true, true },
		{ { B(MODE) | B(UID), 0, false, false }, true, false },
		{ { B(XATTRS) | B(FLAGS), 0, false, false }, true, false },
		{ { B(MTIME) | B(CTIME), 0, false, false }, true, false },
		{ { B(HASH), H(MD5), false, false }, true, true },
		{ { B(SIZE), 0, false, false }, true, true },
		{ { B(LINK_TARGET), 0, false, false }, true, true },
		{ { B(TYPE), 0, false, false }, true, true },
		{ { B(MODE) | B(HASH), 0, false, false }, true, true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(diff_any(&cases[i].d), cases[i].any);
		assert_int_equal(diff_is_content(&cases[i].d),
		    cases[i].content);
	}
}

static void
test_procinfo(void **state)
{
	struct procinfo a, b, empty;

	(void)state;
	procinfo_init(&a);
	assert_int_equal(a.pid, 0);
	assert_null(a.name);
	assert_null(a.executable);
	assert_null(a.user_name);
	assert_null(a.login_name);
	assert_false(a.have_uid);
	assert_false(a.have_loginuid);

	a.pid = 4242;
	a.ppid = 1;
	a.name = xstrdup("vi");
	a.executable = xstrdup("/usr/bin/vi\nx");
	a.have_uid = true;
	a.uid = 1000;
	a.user_name = xstrdup("alice");
	a.have_loginuid = true;
	a.loginuid = 0;

	procinfo_copy(&b, &a);
	assert_int_equal(b.pid, 4242);
	assert_int_equal(b.ppid, 1);
	assert_true(b.have_uid);
	assert_int_equal(b.uid, 1000);
	assert_true(b.have_loginuid);
	assert_int_equal(b.loginuid, 0);
	assert_null(b.login_name);
	assert_string_equal(b.name, "vi");
	assert_string_equal(b.executable, "/usr/bin/vi\nx");
	assert_string_equal(b.user_name, "alice");
	/* A deep copy: releasing the source leaves the copy intact. */
	assert_ptr_not_equal(b.name, a.name);
	procinfo_release(&a);
	assert_null(a.name);
	assert_int_equal(a.pid, 0);
	assert_false(a.have_uid);
	procinfo_release(&a);		/* twice is harmless */
	assert_string_equal(b.name, "vi");

	/* Copy over a released struct, as the daemon's memo does. */
	procinfo_release(&b);
	procinfo_init(&empty);
	procinfo_copy(&b, &empty);
	assert_null(b.name);
	assert_int_equal(b.pid, 0);
	procinfo_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_cases),
		cmocka_unit_test(test_diff_symmetric),
		cmocka_unit_test(test_diff_predicates),
		cmocka_unit_test(test_procinfo),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
