/*
 * chain: plain and keyed digests against published vectors, the chain's
 * links, and the checks on a key file (owner, mode, type, size, place).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlib.h"

#include "chain.h"

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = tlib_mkdtemp("chain");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tlib_rmrf(dir);
	free(dir);
	return 0;
}

/* A key file of len bytes of c with this mode; returns its path. */
static char *
key_file(const char *name, size_t len, int c, mode_t mode)
{
	char *path = tlib_fmt("%s/%s", dir, name);
	char *bytes = malloc(len);

	assert_non_null(bytes);
	memset(bytes, c, len);
	unlink(path);
	tlib_write(path, bytes, len);
	assert_int_equal(chmod(path, mode), 0);
	free(bytes);
	return path;
}

static struct chain_key *
load_ok(const char *path, bool strict)
{
	struct chain_key *k = NULL;
	struct diag d;

	diag_init(&d);
	if (chain_key_load(path, strict, &k, &d) != 0)
		fail_msg("%s: %s", path, d.n > 0 ? d.v[0].message : "?");
	diag_release(&d);
	return k;
}

/* The message of a refused key, which must name why. */
static void
load_refused(const char *path, bool strict, int want, const char *why)
{
	struct chain_key *k = NULL;
	struct diag d;

	diag_init(&d);
	assert_int_equal(chain_key_load(path, strict, &k, &d), want);
	assert_null(k);
	assert_int_equal(d.n, 1);
	if (strstr(d.v[0].message, why) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", d.v[0].message, why);
	diag_release(&d);
}

/* FIPS 180-2's "abc", and RFC 4231 test case 6 (a 131-byte key). */
static void
test_vectors(void **state)
{
	static const char data6[] =
	    "Test Using Larger Than Block-Size Key - Hash Key First";
	struct chain_key *k;
	char hex[CHAIN_HEX_LEN + 1], *path;

	(void)state;
	chain_digest_hex(NULL, "abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	path = key_file("rfc4231", 131, 0xaa, 0600);
	k = load_ok(path, false);
	chain_digest_hex(k, data6, strlen(data6), hex);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
	assert_string_equal(chain_algorithm(k), "hmac-sha256");
	assert_string_equal(chain_algorithm(NULL), "sha256");
	chain_key_free(k);
	free(path);
}

/* Incremental digests equal one-shot ones, however the bytes are cut. */
static void
test_incremental(void **state)
{
	static const char text[] = "{\"a\":1}\n{\"b\":2}\n";
	unsigned char md[CHAIN_MD_LEN];
	char hex[CHAIN_HEX_LEN + 1], want[CHAIN_HEX_LEN + 1];
	struct chain_mac *m;
	size_t cut;

	(void)state;
	chain_digest_hex(NULL, text, strlen(text), want);
	for (cut = 0; cut <= strlen(text); cut++) {
		m = chain_mac_new(NULL);
		chain_mac_update(m, text, cut);
		chain_mac_update(m, text + cut, strlen(text) - cut);
		chain_mac_final(m, md);
		chain_mac_free(m);
		for (size_t i = 0; i < sizeof(md); i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		assert_string_equal(hex, want);
	}
}

/* A fresh chain starts from the genesis value; each line moves it. */
static void
test_links(void **state)
{
	struct chain_key *k;
	struct chain c;
	char want[CHAIN_HEX_LEN + 1], plain[CHAIN_HEX_LEN + 1], *path;

	(void)state;
	chain_init(&c, NULL);
	assert_string_equal(c.link, CHAIN_GENESIS);
	assert_true(chain_is_link(c.link, strlen(c.link)));
	chain_follow(&c, "one\n", 4);
	chain_digest_hex(NULL, "one\n", 4, want);
	assert_string_equal(c.link, want);
	memcpy(plain, want, sizeof(plain));
	chain_follow(&c, "one", 3);	/* the newline is part of the line */
	assert_string_not_equal(c.link, plain);

	path = key_file("key", 32, 'k', 0600);
	k = load_ok(path, false);
	chain_init(&c, k);
	assert_string_equal(c.link, CHAIN_GENESIS);
	chain_follow(&c, "one\n", 4);
	assert_string_not_equal(c.link, plain);
	chain_digest_hex(k, "one\n", 4, want);
	assert_string_equal(c.link, want);
	chain_key_free(k);
	free(path);

	assert_false(chain_is_link("ABCDEF", 6));
	assert_false(chain_is_link(CHAIN_GENESIS, 63));
}

/* What a key file must be, with the reason given when it is not. */
static void
test_key_checks(void **state)
{
	char *path, *link;

	(void)state;
	path = key_file("short", CHAIN_KEY_MIN - 1, 'k', 0600);
	load_refused(path, false, -EINVAL, "32 to 4096 bytes");
	free(path);
	path = key_file("long", CHAIN_KEY_MAX + 1, 'k', 0600);
	load_refused(path, false, -EINVAL, "32 to 4096 bytes");
	free(path);
	path = key_file("open", 32, 'k', 0640);
	chain_key_free(load_ok(path, false));	/* --verify reads it */
	if (tlib_is_root()) {
		load_refused(path, true, -EPERM, "0600 or stricter, not 0640");
		assert_int_equal(chmod(path, 0400), 0);
		chain_key_free(load_ok(path, true));
		assert_int_equal(chown(path, 65534, 0), 0);
		assert_int_equal(chmod(path, 0600), 0);
		load_refused(path, true, -EPERM, "owned by root, not uid 65534");
	}
	link = tlib_fmt("%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	load_refused(link, false, -ELOOP, "symbolic link");
	free(path);
	path = tlib_fmt("%s/missing", dir);
	load_refused(path, false, -ENOENT, "No such file");
	free(path);
	load_refused(dir, false, -EINVAL, "not a regular file");
	free(link);
}

/* A key inside a watched tree, by its path or through a symlink. */
static void
test_key_outside(void **state)
{
	struct chain_key *k;
	struct diag d;
	char *path, *tree, *via, *inside;
	const char *roots[2];

	(void)state;
	tree = tlib_fmt("%s/tree", dir);
	assert_int_equal(mkdir(tree, 0755), 0);
	path = key_file("outside", 32, 'k', 0600);
	inside = tlib_fmt("%s/tree/key", dir);
	tlib_write(inside, "0123456789abcdef0123456789abcdef", 32);
	roots[0] = "/nonexistent";
	roots[1] = tree;
	diag_init(&d);
	k = load_ok(path, false);
	assert_int_equal(chain_key_outside(k, roots, 2, &d), 0);
	chain_key_free(k);
	k = load_ok(inside, false);
	assert_int_equal(chain_key_outside(k, roots, 2, &d), -EPERM);
	assert_non_null(strstr(d.v[0].message, "lies in the watched tree"));
	chain_key_free(k);
	/* The path says outside, the file it names is inside. */
	via = tlib_fmt("%s/via", dir);
	assert_int_equal(symlink(tree, via), 0);
	free(inside);
	inside = tlib_fmt("%s/via/key", dir);
	k = load_ok(inside, false);
	assert_int_equal(chain_key_outside(k, roots, 2, &d), -EPERM);
	chain_key_free(k);
	roots[0] = "/";
	k = load_ok(path, false);
	assert_int_equal(chain_key_outside(k, roots, 1, &d), -EPERM);
	chain_key_free(k);
	diag_release(&d);
	free(via);
	free(inside);
	free(path);
	free(tree);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_key_checks),
		cmocka_unit_test(test_key_outside),
	};

	return cmocka_run_group_tests_name("chain", tests, setup, teardown);
}
