/*
 * confscan: one tokenizer for the three syntaxes of confscan.h.  A
 * statement is collected token by token (only the first two are kept:
 * the name and its first argument) and ends at ";", "{" or "}" for
 * nginx and at the end of a line not continued by a backslash for the
 * others.  Every loop advances at least one byte, so any input ends.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "confscan.h"

struct scanner {
	enum confscan_syntax syntax;
	const char *p;
	size_t	 len;
	size_t	 i;
	unsigned line;
	/* The statement being read. */
	unsigned ntok;
	unsigned name_line;
	bool	 skip;		/* a section header, a bad token */
	char	 tok[2][CONFSCAN_MAX];
	size_t	 toklen[2];
	/* Results. */
	confscan_fn *fn;
	void	*arg;
	size_t	 hits;
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool
line_based(const struct scanner *s)
{
	return s->syntax != CONFSCAN_NGINX;
}

/* The byte at i + k, or 0 past the end. */
static char
peek(const struct scanner *s, size_t k)
{
	return s->i + k < s->len ? s->p[s->i + k] : '\0';
}

static void
advance(struct scanner *s)
{
	if (s->p[s->i] == '\n')
		s->line++;
	s->i++;
}

static void
skip_line(struct scanner *s)
{
	while (s->i < s->len && s->p[s->i] != '\n')
		s->i++;
}

static void
emit(struct scanner *s)
{
	struct confscan_hit h;

	if (s->ntok >= 2 && !s->skip && s->toklen[0] > 0 && s->toklen[1] > 0) {
		h.name = s->tok[0];
		h.name_len = s->toklen[0];
		h.value = s->tok[1];
		h.value_len = s->toklen[1];
		h.line = s->name_line;
		s->fn(&h, s->arg);
		s->hits++;
	}
	s->ntok = 0;
	s->skip = false;
}

/* Keep byte c of the current token, unless it is past the first two. */
static void
keep(struct scanner *s, char c)
{
	unsigned t = s->ntok;

	if (t >= 2)
		return;
	if (s->toklen[t] >= CONFSCAN_MAX) {
		s->skip = true;
		return;
	}
	s->tok[t][s->toklen[t]++] = c;
}

/* A byte that ends an unquoted word. */
static bool
word_end(const struct scanner *s, char c)
{
	if (is_space(c) || c == '\n')
		return true;
	if (s->syntax == CONFSCAN_NGINX)
		return c == ';' || c == '{' || c == '}';
	return false;
}

/* A quoted token, the opening quote at i.  Unclosed: the rest is lost. */
static void
read_quoted(struct scanner *s)
{
	char q = s->p[s->i];

	advance(s);
	while (s->i < s->len && s->p[s->i] != q) {
		if (s->p[s->i] == '\\' && s->i + 1 < s->len)
			advance(s);
		keep(s, s->p[s->i]);
		advance(s);
	}
	if (s->i >= s->len)
		s->skip = true;
	else
		advance(s);
}

static void
read_word(struct scanner *s)
{
	while (s->i < s->len && !word_end(s, s->p[s->i])) {
		if (s->p[s->i] == '\\' && s->i + 1 < s->len) {
			if (peek(s, 1) == '\n')
				break;	/* a continued line */
			if (s->syntax == CONFSCAN_NGINX)
				advance(s);
		}
		keep(s, s->p[s->i]);
		advance(s);
	}
}

static void
read_token(struct scanner *s)
{
	if (s->ntok < 2)
		s->toklen[s->ntok] = 0;
	if (s->ntok == 0)
		s->name_line = s->line;
	if (s->p[s->i] == '"' || s->p[s->i] == '\'')
		read_quoted(s);
	else
		read_word(s);
	s->ntok++;
}

/* systemd's "Key=": the name as the first token, then the value. */
static void
read_key(struct scanner *s)
{
	s->toklen[0] = 0;
	s->name_line = s->line;
	while (s->i < s->len && s->p[s->i] != '=' && s->p[s->i] != '\n') {
		if (!is_space(s->p[s->i]))
			keep(s, s->p[s->i]);
		advance(s);
	}
	if (s->i >= s->len || s->p[s->i] != '=') {
		s->skip = true;
		return;
	}
	advance(s);
	s->ntok = 1;
	while (s->i < s->len && is_space(s->p[s->i]))
		advance(s);
	while (s->i < s->len && strchr("-@:+!", s->p[s->i]) != NULL &&
	    s->p[s->i] != '\0')
		advance(s);
}

/*
 * At the start of a statement: a comment, a section header or systemd's
 * key.  Returns whether it consumed the start.
 */
static bool
statement_start(struct scanner *s)
{
	char c = s->p[s->i];

	if (c == '#' || (s->syntax == CONFSCAN_KEYVALUE && c == ';')) {
		skip_line(s);
		return true;
	}
	if ((s->syntax == CONFSCAN_KEYVALUE && c == '[') ||
	    (s->syntax == CONFSCAN_APACHE && c == '<')) {
		s->skip = true;
		return true;
	}
	if (s->syntax == CONFSCAN_KEYVALUE) {
		read_key(s);
		return true;
	}
	return false;
}

static void
step(struct scanner *s)
{
	char c = s->p[s->i];

	if (c == '\n') {
		advance(s);
		if (line_based(s))
			emit(s);
	} else if (is_space(c))
		advance(s);
	else if (c == '\\' && peek(s, 1) == '\n' && line_based(s)) {
		advance(s);
		advance(s);
	} else if (s->syntax == CONFSCAN_NGINX &&
	    (c == ';' || c == '{' || c == '}')) {
		advance(s);
		emit(s);
	} else if (s->syntax == CONFSCAN_NGINX && c == '#')
		skip_line(s);
	else if (s->skip && line_based(s))
		skip_line(s);
	else if (s->ntok > 0 || s->skip || !statement_start(s))
		read_token(s);
}

size_t
confscan_parse(enum confscan_syntax syntax, const char *text, size_t len,
    confscan_fn *fn, void *arg)
{
	struct scanner s;

	memset(&s, 0, sizeof(s));
	s.syntax = syntax;
	s.p = text;
	s.len = len;
	s.line = 1;
	s.fn = fn;
	s.arg = arg;
	while (s.i < s.len) {
		size_t before = s.i;

		step(&s);
		if (s.i == before)
			advance(&s);	/* never stand still */
	}
	/* nginx needs its ";"; a last line needs no newline. */
	if (line_based(&s))
		emit(&s);
	return s.hits;
}

int
confscan_syntax_from_name(const char *name)
{
	static const char *const names[] = {
		[CONFSCAN_NGINX] = "nginx",
		[CONFSCAN_APACHE] = "apache",
		[CONFSCAN_KEYVALUE] = "keyvalue",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	}
	return -ENOENT;
}
