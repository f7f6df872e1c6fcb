/*
 * confscan: the directives of a server's configuration file, for
 * --recommend, which proposes rules for the web roots and key files the
 * servers name.
 *
 * Three syntaxes, each read by the same small tokenizer:
 *  - nginx: "name arg ...;" statements, which may span lines and share
 *    one, "{" and "}" around blocks, "#" comments;
 *  - apache: one directive per line ("Name arg ..."), a backslash at the
 *    end of a line joins the next, "#" comments at the start of a line,
 *    "<Section ...>" lines passed over;
 *  - keyvalue: "Key=value" lines (systemd's unit files, postgresql.conf,
 *    MariaDB's my.cnf), spaces around "=" allowed, "#" and ";"
 *    comments, "[Section]" headers passed over, a backslash joins lines.
 * Arguments may be quoted with '"' or '\''; a backslash escapes the next
 * byte.  Only the first argument of each directive is reported: every
 * directive --recommend reads (root, DocumentRoot, ssl_certificate_key,
 * ExecStart ...) names its path there.  For keyvalue the value's leading
 * prefixes ("-", "@", ":", "+", "!" of systemd's Exec lines) are dropped.
 *
 * Pure module: no I/O, nothing kept.  The text is bytes (neither UTF-8
 * nor NUL-free is assumed); anything malformed (an unclosed quote, a
 * stray brace) ends the directive it is in and is never an error,
 * because the server, not fimd, decides what its configuration means.
 * A name or value longer than CONFSCAN_MAX bytes is passed over.
 */
#ifndef FIMD_CONFSCAN_H
#define FIMD_CONFSCAN_H

#include <stddef.h>

#define CONFSCAN_MAX	4096

enum confscan_syntax {
	CONFSCAN_NGINX,
	CONFSCAN_APACHE,
	CONFSCAN_KEYVALUE,
};

/* One directive: borrowed for the call, not NUL-terminated. */
struct confscan_hit {
	const char *name;
	size_t	 name_len;
	const char *value;	/* its first argument, unquoted */
	size_t	 value_len;
	unsigned line;		/* 1-based, where the name starts */
};

typedef void confscan_fn(const struct confscan_hit *hit, void *arg);

/*
 * Call fn once per directive of text[0..len) that has a first argument,
 * in order.  Returns the number of calls.
 */
size_t	confscan_parse(enum confscan_syntax syntax, const char *text,
	    size_t len, confscan_fn *fn, void *arg);
/* "nginx", "apache", "keyvalue"; -ENOENT for anything else. */
int	confscan_syntax_from_name(const char *name);

#endif
