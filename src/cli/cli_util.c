/*
 * cli_util.c - option values more than one command parses the same way.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "sandbox/addr.h"
#include "sandbox/egress.h"

int ba_cli_parse_resolve(const char *text, struct ba_egress_static_host *hosts, size_t *count)
{
	if (*count == BA_EGRESS_STATIC_HOSTS_MAX)
		return ba_cli_usage_error("more than %d --resolve options",
		                          BA_EGRESS_STATIC_HOSTS_MAX);
	const char *eq = strchr(text, '=');
	ba_egress_static_host *h = &hosts[*count];
	if (!eq || eq == text || !eq[1] || (size_t)(eq - text) >= sizeof h->host ||
	    strlen(eq + 1) >= sizeof h->address)
		return ba_cli_usage_error("--resolve %s: expected HOST=ADDRESS", text);
	/* A name would need DNS, which is what --resolve stands in for. */
	ba_addr_class cls;
	if (!ba_addr_classify_text(eq + 1, &cls))
		return ba_cli_usage_error("--resolve %s: %s is not an IP address", text, eq + 1);
	/* Host names compare lower-case in the egress layer. */
	for (size_t i = 0; i < (size_t)(eq - text); i++) {
		char c = text[i];
		h->host[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	h->host[eq - text] = '\0';
	snprintf(h->address, sizeof h->address, "%s", eq + 1);
	(*count)++;
	return BA_EXIT_OK;
}
