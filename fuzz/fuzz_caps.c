/*
 * fuzz_caps.c - libFuzzer target: the permission grammar (sandbox/caps.h).
 *
 * Capability strings come from tool manifests (written by whoever wrote
 * the tool) and from the operator's grants; the effective set is their
 * intersection. Input: lines; those before the first empty line are the
 * declared set, those after it the granted set. Every line is also parsed
 * on its own, and lines that are URLs join the URLs the sets are asked
 * about. Besides crashes, leaks and sanitizer reports this target aborts
 * when:
 *
 *   - a capability's canonical text does not parse back to the same
 *     capability (same text, same fields), or the fields break caps.h
 *     (host not lower-case or not canonical, path not normalised, a path
 *     prefix ending in '/', a method set outside BA_METHOD_*);
 *   - a set holds a duplicate or more than BA_CAPSET_MAX entries;
 *   - the intersection allows something one of the inputs does not: for
 *     URLs derived from every network capability (wildcards filled in,
 *     ports, sub-paths, sibling paths, queries) and several methods; for
 *     guest paths derived from every fs capability (read and write); for
 *     env and secret names;
 *   - the intersection misses something both inputs allow (it is exact
 *     component-wise); checked only when nothing could have been dropped
 *     for room (out not full, every text short enough for any combination
 *     to fit in BA_CAP_TEXT_MAX).
 */
#include "check.h"
#include "sandbox/caps.h"
#include "sandbox/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_URLS  96
#define MAX_EXTRA 16
#define MAX_PATHS 96
/* Longer texts could combine into one that does not fit in BA_CAP_TEXT_MAX
 * (and would then rightly be dropped from an intersection). */
#define SHORT_TEXT 400

static const char *const test_methods[] = {"GET", "POST", "DELETE", "TRACE"};

typedef struct corpus {
	ba_url *urls;
	size_t n_urls;
	char (*paths)[BA_CAP_TEXT_MAX + 8];
	size_t n_paths;
} corpus;

static void check_cap(const ba_cap *cap, const char *what);

static bool same_cap(const ba_cap *a, const ba_cap *b)
{
	if (a->kind != b->kind || strcmp(a->text, b->text) != 0)
		return false;
	switch (a->kind) {
	case BA_CAP_FS_READ:
	case BA_CAP_FS_WRITE:
		return strcmp(a->path, b->path) == 0;
	case BA_CAP_NETWORK:
		return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
		       a->host_is_ip == b->host_is_ip && a->port == b->port &&
		       strcmp(a->path_prefix, b->path_prefix) == 0 && a->methods == b->methods;
	case BA_CAP_ENV:
	case BA_CAP_SECRET:
		return strcmp(a->name, b->name) == 0;
	}
	return false;
}

static void check_network(const ba_cap *cap, const char *what)
{
	char canon[BA_URL_HOST_MAX], bracketed[BA_URL_HOST_MAX + 2];
	bool is_ip;
	int family;
	const char *h = cap->host;

	if (strcmp(cap->scheme, "http") != 0 && strcmp(cap->scheme, "https") != 0)
		ba_fuzz_fail("%s: \"%s\" has scheme \"%.8s\"", what, cap->text, cap->scheme);
	if (cap->methods == 0 || (cap->methods & ~(unsigned)BA_METHOD_ALL))
		ba_fuzz_fail("%s: \"%s\" has methods 0x%x", what, cap->text, cap->methods);
	if (strcmp(h, "*") == 0) {
		if (cap->host_is_ip)
			ba_fuzz_fail("%s: \"%s\": \"*\" is an IP", what, cap->text);
	} else {
		bool wild = h[0] == '*' && h[1] == '.';
		if (wild)
			h += 2;
		size_t n = strlen(h);
		bool v6 = cap->host_is_ip && strchr(h, ':');
		if (v6)
			snprintf(bracketed, sizeof(bracketed), "[%s]", h);
		else
			snprintf(bracketed, sizeof(bracketed), "%s", h);
		if (v6)
			n += 2;
		/* The host is its own canonical form, as the URL parser makes it. */
		if (ba_url_canon_host(bracketed, n, canon, &is_ip, &family) != NULL ||
		    strcmp(canon, h) != 0 || is_ip != cap->host_is_ip || (wild && is_ip) ||
		    strchr(h, '*'))
			ba_fuzz_fail("%s: \"%s\" has a host that is not canonical (\"%s\")", what,
			             cap->text, cap->host);
	}
	size_t pn = strlen(cap->path_prefix);
	if (pn > 0 && (cap->path_prefix[0] != '/' || cap->path_prefix[pn - 1] == '/' ||
	               strpbrk(cap->path_prefix, "?#")))
		ba_fuzz_fail("%s: \"%s\" has path prefix \"%s\"", what, cap->text,
		             cap->path_prefix);
	if (strncmp(cap->text, "network:", 8) != 0)
		ba_fuzz_fail("%s: network capability spelled \"%s\"", what, cap->text);
}

/* The canonical text is a fixed point, and the fields are what caps.h
 * says they are. */
static void check_cap(const ba_cap *cap, const char *what)
{
	char err[BA_CAP_TEXT_MAX + 256], norm[BA_CAP_TEXT_MAX];
	ba_cap *again = malloc(sizeof(*again));
	const char *e;

	if (!again)
		return;
	if (strnlen(cap->text, sizeof(cap->text)) == sizeof(cap->text))
		ba_fuzz_fail("%s: text not terminated", what);
	if ((e = ba_cap_parse(cap->text, again, err, sizeof(err))) != NULL)
		ba_fuzz_fail("%s: canonical text does not parse: %s", what, e);
	if (!same_cap(cap, again))
		ba_fuzz_fail("%s: \"%s\" parses to a different capability \"%s\"", what, cap->text,
		             again->text);
	free(again);
	switch (cap->kind) {
	case BA_CAP_FS_READ:
	case BA_CAP_FS_WRITE:
		if (ba_guest_path_normalize(cap->path, norm, sizeof(norm)) != NULL ||
		    strcmp(norm, cap->path) != 0)
			ba_fuzz_fail("%s: \"%s\" has a path that is not normalised", what,
			             cap->text);
		break;
	case BA_CAP_NETWORK:
		check_network(cap, what);
		break;
	case BA_CAP_ENV:
	case BA_CAP_SECRET:
		if (!cap->name[0])
			ba_fuzz_fail("%s: \"%s\" has an empty name", what, cap->text);
		break;
	}
}

static void check_set(const ba_capset *set, const char *what)
{
	if (set->count > BA_CAPSET_MAX || set->count > set->capacity)
		ba_fuzz_fail("%s: %zu capabilities, capacity %zu", what, set->count, set->capacity);
	for (size_t i = 0; i < set->count; i++)
		for (size_t j = 0; j < i; j++)
			if (set->caps[i].kind == set->caps[j].kind &&
			    strcmp(set->caps[i].text, set->caps[j].text) == 0)
				ba_fuzz_fail("%s: \"%s\" twice", what, set->caps[i].text);
}

static void add_url(corpus *c, const char *scheme, const char *host, bool v6, unsigned port,
                    const char *path)
{
	char text[BA_URL_HOST_MAX + BA_CAP_TEXT_MAX + 64];

	if (c->n_urls == MAX_URLS)
		return;
	int n = snprintf(text, sizeof(text), "%s://%s%s%s:%u%s", scheme, v6 ? "[" : "", host,
	                 v6 ? "]" : "", port, path);
	if (n < 0 || (size_t)n >= sizeof(text))
		return;
	if (ba_url_parse(text, &c->urls[c->n_urls]) == NULL)
		c->n_urls++;
}

/* URLs around one network capability: its host (wildcards filled in with a
 * subdomain, the bare suffix, and the other capabilities' hosts), its port
 * or another, its path prefix, below it, beside it and with a query. */
static void urls_for(corpus *c, const ba_cap *cap, const ba_capset *const sets[2])
{
	const char *p = cap->path_prefix;
	char paths[5][BA_CAP_TEXT_MAX + 8];
	char hosts[3][BA_URL_HOST_MAX + 8];
	size_t n_hosts = 0;
	unsigned ports[2] = {cap->port ? cap->port : 8443u, ba_url_default_port(cap->scheme)};

	snprintf(paths[0], sizeof(paths[0]), "%s", p[0] ? p : "/");
	snprintf(paths[1], sizeof(paths[1]), "%s/x", p);
	snprintf(paths[2], sizeof(paths[2]), "%sx", p[0] ? p : "/");
	snprintf(paths[3], sizeof(paths[3]), "%s?q=1", p[0] ? p : "/");
	snprintf(paths[4], sizeof(paths[4]), "/");

	if (strcmp(cap->host, "*") == 0) {
		snprintf(hosts[n_hosts++], sizeof(hosts[0]), "any.example");
	} else if (cap->host[0] == '*') {
		snprintf(hosts[n_hosts++], sizeof(hosts[0]), "a%s", cap->host + 1);
		snprintf(hosts[n_hosts++], sizeof(hosts[0]), "%s", cap->host + 2);
	} else {
		snprintf(hosts[n_hosts++], sizeof(hosts[0]), "%s", cap->host);
	}
	for (size_t h = 0; h < n_hosts; h++) {
		bool v6 = strchr(hosts[h], ':') != NULL;
		for (size_t k = 0; k < 2; k++)
			for (size_t i = 0; i < 5; i++)
				add_url(c, cap->scheme, hosts[h], v6, ports[k], paths[i]);
	}
	/* This capability's path on every other capability's host. */
	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < sets[s]->count; i++) {
			const ba_cap *o = &sets[s]->caps[i];
			if (o->kind != BA_CAP_NETWORK || o->host[0] == '*')
				continue;
			add_url(c, cap->scheme, o->host, strchr(o->host, ':') != NULL, ports[0],
			        paths[1]);
		}
}

/* Adds path + suffix, normalised, to the guest paths asked about. */
static void add_path(corpus *c, const char *path, const char *suffix)
{
	char raw[BA_CAP_TEXT_MAX + 8];

	if (c->n_paths == MAX_PATHS)
		return;
	snprintf(raw, sizeof(raw), "%s%s", path, suffix);
	if (ba_guest_path_normalize(raw, c->paths[c->n_paths], sizeof(c->paths[0])) == NULL)
		c->n_paths++;
}

/* What a set allows a guest path: 0 nothing, 1 read, 2 read and write. */
static int fs_access(const ba_capset *set, const char *path)
{
	int best = 0;
	for (size_t i = 0; i < set->count; i++) {
		const ba_cap *cap = &set->caps[i];
		if ((cap->kind == BA_CAP_FS_READ || cap->kind == BA_CAP_FS_WRITE) &&
		    ba_guest_path_within(cap->path, path)) {
			int a = cap->kind == BA_CAP_FS_WRITE ? 2 : 1;
			if (a > best)
				best = a;
		}
	}
	return best;
}

static bool all_short(const ba_capset *set)
{
	for (size_t i = 0; i < set->count; i++)
		if (strlen(set->caps[i].text) >= SHORT_TEXT)
			return false;
	return true;
}

static void check_intersection(const ba_capset *decl, const ba_capset *gran, const ba_capset *out,
                               const ba_url *extra, size_t n_extra)
{
	const ba_capset *const sets[2] = {decl, gran};
	corpus c = {0};
	bool exact = out->count < BA_CAPSET_MAX && all_short(decl) && all_short(gran);

	check_set(out, "intersection");
	for (size_t i = 0; i < out->count; i++)
		check_cap(&out->caps[i], "intersection");

	/* Allocated once: a fresh 1.6 MB per input (a ba_url is ~17 KB) cost
	 * more than everything else the target does. */
	static ba_url *urls;
	static char(*paths)[BA_CAP_TEXT_MAX + 8];
	if (!urls)
		urls = malloc(MAX_URLS * sizeof(*urls));
	if (!paths)
		paths = malloc(MAX_PATHS * sizeof(*paths));
	if (!urls || !paths)
		return;
	c.urls = urls;
	c.paths = paths;
	memcpy(c.urls, extra, n_extra * sizeof(*extra));
	c.n_urls = n_extra;
	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < sets[s]->count; i++) {
			const ba_cap *cap = &sets[s]->caps[i];
			if (cap->kind == BA_CAP_NETWORK) {
				urls_for(&c, cap, sets);
			} else if (cap->kind == BA_CAP_FS_READ || cap->kind == BA_CAP_FS_WRITE) {
				add_path(&c, cap->path, "");
				add_path(&c, cap->path, "/x");
				add_path(&c, cap->path, "/..");
				add_path(&c, cap->path, "x");
			}
		}

	for (size_t u = 0; u < c.n_urls; u++)
		for (size_t m = 0; m < sizeof(test_methods) / sizeof(test_methods[0]); m++) {
			const ba_url *url = &c.urls[u];
			const char *method = test_methods[m];
			const ba_cap *e = ba_capset_find_network(out, url, method);
			const ba_cap *d = ba_capset_find_network(decl, url, method);
			const ba_cap *g = ba_capset_find_network(gran, url, method);
			if (e && (!d || !g))
				ba_fuzz_fail("%s %s: the intersection allows it (\"%s\") but %s "
				             "does not",
				             method, url->canonical, e->text,
				             d ? "the granted set" : "the declared set");
			if (exact && d && g && !e)
				ba_fuzz_fail("%s %s: declared \"%s\" and granted \"%s\" allow it, "
				             "the intersection does not",
				             method, url->canonical, d->text, g->text);
		}

	for (size_t p = 0; p < c.n_paths; p++) {
		int a_out = fs_access(out, c.paths[p]);
		int a_decl = fs_access(decl, c.paths[p]);
		int a_gran = fs_access(gran, c.paths[p]);
		int both = a_decl < a_gran ? a_decl : a_gran;
		if (a_out > both || (exact && a_out < both))
			ba_fuzz_fail("guest path %s: access %d in the intersection, %d declared, "
			             "%d granted",
			             c.paths[p], a_out, a_decl, a_gran);
	}

	/* env and secret: a name is in the intersection iff in both. */
	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < sets[s]->count; i++) {
			const ba_cap *cap = &sets[s]->caps[i];
			if (cap->kind != BA_CAP_ENV && cap->kind != BA_CAP_SECRET)
				continue;
			bool in_out = ba_capset_has_name(out, cap->kind, cap->name);
			bool in_both = ba_capset_has_name(decl, cap->kind, cap->name) &&
			               ba_capset_has_name(gran, cap->kind, cap->name);
			if (in_out != in_both && (in_out || exact))
				ba_fuzz_fail("%s: %s the intersection, %s both inputs", cap->text,
				             in_out ? "in" : "not in", in_both ? "in" : "not in");
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[BA_CAP_TEXT_MAX + 256];
	ba_capset *sets[2] = {ba_capset_new(), ba_capset_new()};
	ba_capset *out = ba_capset_new(), *copy = ba_capset_new();
	ba_cap *cap = malloc(sizeof(*cap));
	ba_url *url = malloc(sizeof(*url)), *extra = malloc(MAX_EXTRA * sizeof(*extra));
	size_t which = 0, n_extra = 0;

	if (!sets[0] || !sets[1] || !out || !copy || !cap || !url || !extra)
		goto done;
	for (size_t start = 0; start < size;) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (data + start)) : size - start;
		/* Each line in an exact-size copy, so over-reads are reported. */
		char *line = malloc(len + 1);
		if (!line)
			goto done;
		memcpy(line, data + start, len);
		line[len] = '\0';
		start += len + 1;
		if (len == 0) {
			which = 1;
			free(line);
			continue;
		}
		const char *e = ba_cap_parse(line, cap, err, sizeof(err));
		if (e) {
			if (e != err || !memchr(err, '\0', sizeof(err)) || !err[0])
				ba_fuzz_fail("parse failed without a message");
		} else {
			check_cap(cap, "parsed");
			if (ba_cap_allows_url(cap, NULL, "GET"))
				ba_fuzz_fail("a NULL URL is allowed");
		}
		size_t before = sets[which]->count;
		const char *e2 = ba_capset_add(sets[which], line, err, sizeof(err));
		if (!e && !e2 && sets[which]->count != before &&
		    !same_cap(cap, &sets[which]->caps[sets[which]->count - 1]))
			ba_fuzz_fail("capset_add stored another capability than parse made");
		if ((e == NULL) != (e2 == NULL) && sets[which]->count < BA_CAPSET_MAX)
			ba_fuzz_fail("parse and capset_add disagree about \"%.100s\"", line);
		/* Lines that are URLs are asked about too: here whether a
		 * non-network capability allows them (never), below in the
		 * intersection checks. */
		if (ba_url_parse(line, url) == NULL) {
			if (!e && cap->kind != BA_CAP_NETWORK && ba_cap_allows_url(cap, url, "GET"))
				ba_fuzz_fail("\"%s\" allows URL %s", cap->text, url->canonical);
			if (n_extra < MAX_EXTRA)
				extra[n_extra++] = *url;
		}
		free(line);
	}
	check_set(sets[0], "declared");
	check_set(sets[1], "granted");
	if (ba_capset_copy(copy, sets[0]) != 0 || copy->count != sets[0]->count)
		ba_fuzz_fail("capset_copy lost capabilities");
	for (size_t i = 0; i < copy->count; i++)
		if (!same_cap(&copy->caps[i], &sets[0]->caps[i]))
			ba_fuzz_fail("capset_copy changed \"%s\"", sets[0]->caps[i].text);

	ba_capset_intersect(sets[0], sets[1], out);
	check_intersection(sets[0], sets[1], out, extra, n_extra);
done:
	ba_capset_free(sets[0]);
	ba_capset_free(sets[1]);
	ba_capset_free(out);
	ba_capset_free(copy);
	free(cap);
	free(url);
	free(extra);
	return 0;
}
