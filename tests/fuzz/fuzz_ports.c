/*
 * Fuzz target: /proc/net/{tcp,tcp6,udp,udp6} as the ports check parses
 * them.  The first byte picks the table (bit 0: UDP, bit 1: IPv6); the
 * rest is an exact-size copy of its text.  Properties: every socket
 * handed over has an address inet_pton takes back, a port that fits 16
 * bits and, for UDP, is not 0; each item makes a key (entity.h) that
 * names it; a refusal names a line; an accepted table adds no
 * diagnostic.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "entity_int.h"
#include "fuzzlib.h"

static void
on_sock(const struct port_sock *s, void *arg)
{
	struct entity_set *set = arg;
	unsigned char addr[16];
	char key[ENTITY_KEY_MAX];
	json_t *o;

	FUZZ_CHECK(inet_pton(s->v6 ? AF_INET6 : AF_INET, s->ip, addr) == 1);
	FUZZ_CHECK(s->port <= 0xffff);
	FUZZ_CHECK(strcmp(s->transport, "udp") != 0 || s->port != 0);
	o = json_pack("{s:s,s:s,s:i}", "transport", s->transport, "ip", s->ip,
	    "port", (int)s->port);
	FUZZ_CHECK(o != NULL && entity_key(RULE_PORTS, o, key, sizeof(key)));
	FUZZ_CHECK(strstr(key, s->ip) != NULL);
	entity_set_add(set, key, o, s->inode);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entity_set set;
	struct diag d;
	char *text;
	size_t i, len = size > 0 ? size - 1 : 0;
	unsigned sel = size > 0 ? data[0] : 0;
	int r;

	text = malloc(len > 0 ? len : 1);
	FUZZ_CHECK(text != NULL);
	if (len > 0)
		memcpy(text, data + 1, len);
	diag_init(&d);
	entity_set_init(&set, RULE_PORTS);
	r = ports_parse("table", text, len, sel & 1, (sel & 2) != 0, on_sock,
	    &set, &d);
	FUZZ_CHECK(r == 0 ? d.n == 0 : d.errors > 0);
	for (i = 0; i < d.n; i++)
		FUZZ_CHECK(d.v[i].file != NULL && d.v[i].line > 1);
	entity_set_sort(&set);
	for (i = 0; i + 1 < set.n; i++)
		FUZZ_CHECK(strcmp(set.v[i].key, set.v[i + 1].key) < 0);
	entity_set_release(&set);
	diag_release(&d);
	free(text);
	return 0;
}
