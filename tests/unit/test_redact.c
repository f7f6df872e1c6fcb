/*
 * redact: a row per kind of secret line and per line that must stay,
 * private key blocks, URLs, line structure, and the cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tlib.h"

#include "buf.h"
#include "redact.h"

#define R	REDACT_MARK

static const struct {
	const char *in, *want;
} rows[] = {
	/* Assignments to secret keys, in the forms config files use. */
	{ "password=hunter2", "password=" R },
	{ "PASSWORD = hunter2", "PASSWORD = " R },
	{ "db_password: hunter2", "db_password: " R },
	{ "  passwd=x", "  passwd=" R },
	{ "export API_KEY=\"abc\"", "export API_KEY=" R },
	{ "\"client_secret\": \"abc\",", "\"client_secret\": " R },
	{ "'token' => 'abc',", "'token' => " R },
	{ "auth-token = abc", "auth-token = " R },
	{ "apiKey: abc", "apiKey: " R },
	{ "clientSecret=abc", "clientSecret=" R },
	{ "secret_key_base = abc", "secret_key_base = " R },
	{ "aws.credentials=abc", "aws.credentials=" R },
	{ "psk=\"wifi pass\"", "psk=" R },
	{ "key: abc", "key: " R },
	{ "passphrase=abc\r", "passphrase=" R "\r" },
	/* A secret word as the whole key, the value after blanks. */
	{ "bindpw s3cret", "bindpw " R },
	{ "password\tabc", "password\t" R },
	{ "rootpw {SSHA}abc", "rootpw " R },
	/* URLs with a password. */
	{ "url = postgres://app:s3cret@db/x",
	    "url = postgres://app:" R "@db/x" },
	{ "a http://u:p@h b ftp://v:q@i", "a http://u:" R "@h b ftp://v:" R
	    "@i" },
	/* Lines that stay. */
	{ "password=", "password=" },
	{ "password:   ", "password:   " },
	{ "PasswordAuthentication no", "PasswordAuthentication no" },
	{ "HostKey /etc/ssh/ssh_host_ed25519_key",
	    "HostKey /etc/ssh/ssh_host_ed25519_key" },
	{ "PubkeyAuthentication yes", "PubkeyAuthentication yes" },
	{ "keyboard=us", "keyboard=us" },
	{ "monkey: 1", "monkey: 1" },
	{ "bypass = true", "bypass = true" },
	{ "auth required pam_unix.so", "auth required pam_unix.so" },
	{ "http://host/path", "http://host/path" },
	{ "http://user@host/", "http://user@host/" },
	{ "# no secrets here", "# no secrets here" },
	{ "", "" },
};

static void
test_rows(void **state)
{
	struct buf out;
	size_t i;
	long n;

	(void)state;
	buf_init(&out, BUF_MAX_DEFAULT);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_reset(&out);
		n = redact_text(rows[i].in, strlen(rows[i].in), &out);
		if (strcmp(out.data, rows[i].want) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", rows[i].in,
			    out.data, rows[i].want);
		assert_int_equal(n, strcmp(rows[i].in, rows[i].want) != 0);
	}
	buf_release(&out);
}

static void
check(const char *in, const char *want, long changed)
{
	struct buf out;

	buf_init(&out, BUF_MAX_DEFAULT);
	assert_int_equal(redact_text(in, strlen(in), &out), changed);
	assert_string_equal(out.data, want);
	buf_release(&out);
}

static void
test_blocks(void **state)
{
	(void)state;
	check("a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n"
	    "-----END RSA PRIVATE KEY-----\nb\n",
	    "a\n-----BEGIN RSA PRIVATE KEY-----\n" R "\n" R "\n"
	    "-----END RSA PRIVATE KEY-----\nb\n", 2);
	check("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n",
	    "-----BEGIN OPENSSH PRIVATE KEY-----\n" R "\n", 1);
	/* Never ended: hidden to the end. */
	check("-----BEGIN PRIVATE KEY-----\nx\ny\npassword=z",
	    "-----BEGIN PRIVATE KEY-----\n" R "\n" R "\n" R, 3);
	/* One line, as inside a JSON string. */
	check("{\"k\": \"-----BEGIN EC PRIVATE KEY-----\\nMHc\\n-----END EC "
	    "PRIVATE KEY-----\"}\nafter\n",
	    "{\"k\": \"-----BEGIN EC PRIVATE KEY-----" R "-----END EC "
	    "PRIVATE KEY-----\"}\nafter\n", 1);
	/* Public keys and certificates stay. */
	check("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
	    0);
	check("-----BEGIN PUBLIC KEY-----\nMIIB\n", "-----BEGIN PUBLIC KEY-----"
	    "\nMIIB\n", 0);
}

static void
test_structure(void **state)
{
	(void)state;
	check("a\npassword=x\nb", "a\npassword=" R "\nb", 1);
	check("password=x\n\n\ntoken=y\n", "password=" R "\n\n\ntoken=" R "\n",
	    2);
	check("\n", "\n", 0);
}

static void
test_cap(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 8);
	(void)buf_adds(&out, "ab");
	assert_int_equal(redact_text("password=x\n", 11, &out), -ENOSPC);
	assert_string_equal(out.data, "ab");
	buf_release(&out);
}

/* The value of a secret never survives, whatever surrounds it. */
static void
test_value_gone(void **state)
{
	static const char *const pre[] = { "", " ", "export ", "\"", "'" };
	static const char *const key[] = { "password", "Db_Pass", "apiToken",
	    "x.secret", "SSH_KEY" };
	static const char *const sep[] = { "=", " = ", ":", ": ", "=>" };
	struct buf out;
	char *line;
	size_t i, j, k;

	(void)state;
	buf_init(&out, BUF_MAX_DEFAULT);
	for (i = 0; i < 5; i++)
		for (j = 0; j < 5; j++)
			for (k = 0; k < 5; k++) {
				line = tlib_fmt("%s%s%s%sVALUE42\n", pre[i],
				    key[j], pre[i][0] == '"' ? "\"" :
				    pre[i][0] == '\'' ? "'" : "", sep[k]);
				buf_reset(&out);
				assert_int_equal(redact_text(line,
				    strlen(line), &out), 1);
				if (strstr(out.data, "VALUE42") != NULL)
					fail_msg("kept: %s", out.data);
				free(line);
			}
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_value_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
