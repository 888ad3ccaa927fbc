/*
 * fuzz_manifest.c - libFuzzer target: tool manifests (tool/manifest.h).
 *
 * A manifest is written by whoever wrote the tool, and it is read before
 * anything else about the tool is trusted. The input is the YAML text,
 * passed in an exact-size copy without a terminating NUL (the parser takes
 * a length, so any read past it is a heap overflow ASan reports). Besides
 * crashes, leaks and sanitizer reports this target aborts when:
 *
 *   - a refusal leaves no message: err must be a NUL-terminated,
 *     non-empty line starting with the origin ("fuzz.yaml"), whatever the
 *     buffer held before;
 *   - an accepted manifest breaks manifest.h: a name outside
 *     [a-z0-9_-]{1,64}; a missing description, module path (not under the
 *     base folder, or not the absolute path given) or input schema; an
 *     input schema that is not a JSON object; a declared capability whose
 *     text does not parse back to itself; a set with duplicates; more than
 *     BA_MANIFEST_SECRETS_MAX secrets, a secret without a destination or
 *     with more than 8, a header without exactly one "{}" after its ':';
 *     a secret permission without a binding or a binding without the
 *     permission;
 *   - a smaller error buffer is overrun (ASan) or left unterminated.
 */
#include "check.h"
#include "tool/manifest.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ORIGIN "fuzz.yaml"
#define BASE   "/base/dir"

static bool valid_name(const char *s)
{
	size_t n = strnlen(s, 66);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

static void check_manifest(const ba_manifest *m)
{
	char err[BA_CAP_TEXT_MAX + 256];
	ba_cap *again = malloc(sizeof(*again));

	if (!again)
		return;
	if (!valid_name(m->name))
		ba_fuzz_fail("accepted name \"%.70s\"", m->name);
	if (!memchr(m->version, '\0', sizeof(m->version)))
		ba_fuzz_fail("version not terminated");
	if (!m->description || !m->module_path || !m->input_schema || !m->declared)
		ba_fuzz_fail("accepted manifest with a NULL field");
	if (strncmp(m->module_path, BASE "/", strlen(BASE) + 1) != 0 && m->module_path[0] != '/')
		ba_fuzz_fail("module path \"%.200s\" is relative", m->module_path);

	json_error_t jerr;
	json_t *schema = json_loads(m->input_schema, JSON_ALLOW_NUL, &jerr);
	if (!schema || !json_is_object(schema))
		ba_fuzz_fail("input_schema \"%.200s\" is not a JSON object: %s", m->input_schema,
		             jerr.text);
	json_decref(schema);

	const ba_capset *set = m->declared;
	if (set->count > BA_CAPSET_MAX)
		ba_fuzz_fail("%zu declared capabilities", set->count);
	for (size_t i = 0; i < set->count; i++) {
		const ba_cap *c = &set->caps[i];
		if (ba_cap_parse(c->text, again, err, sizeof(err)) != NULL ||
		    strcmp(again->text, c->text) != 0 || again->kind != c->kind)
			ba_fuzz_fail("declared \"%s\" does not parse back to itself", c->text);
		for (size_t j = 0; j < i; j++)
			if (set->caps[j].kind == c->kind && strcmp(set->caps[j].text, c->text) == 0)
				ba_fuzz_fail("declared \"%s\" twice", c->text);
	}

	if (m->secret_count > BA_MANIFEST_SECRETS_MAX)
		ba_fuzz_fail("%zu secrets", m->secret_count);
	for (size_t s = 0; s < m->secret_count; s++) {
		const ba_manifest_secret *sec = &m->secrets[s];
		if (sec->dest_count == 0 || sec->dest_count > 8)
			ba_fuzz_fail("secret %s with %zu destinations", sec->name, sec->dest_count);
		const char *colon = strchr(sec->header, ':');
		const char *hole = strstr(sec->header, "{}");
		if (!colon || !hole || colon > hole || strstr(hole + 2, "{}"))
			ba_fuzz_fail("secret %s with header \"%s\"", sec->name, sec->header);
		if (!ba_capset_has_name(set, BA_CAP_SECRET, sec->name))
			ba_fuzz_fail("secret %s bound but not declared", sec->name);
	}
	for (size_t i = 0; i < set->count; i++) {
		const ba_cap *c = &set->caps[i];
		bool bound = c->kind != BA_CAP_SECRET;
		for (size_t s = 0; s < m->secret_count && !bound; s++)
			bound = strcmp(m->secrets[s].name, c->name) == 0;
		if (!bound)
			ba_fuzz_fail("%s declared but not bound", c->text);
	}
	free(again);
}

/* A refusal left a message: terminated, one line, naming the origin. */
static void check_message(const char *err, size_t err_len)
{
	const char *end = memchr(err, '\0', err_len);
	if (!end)
		ba_fuzz_fail("refused without a terminated message (%zu-byte buffer)", err_len);
	if (err_len > sizeof(ORIGIN) && strncmp(err, ORIGIN, strlen(ORIGIN)) != 0)
		ba_fuzz_fail("refused with message \"%.300s\", which does not name the origin",
		             err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[2048];
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);

	/* The buffer starts with junk and no NUL, as an uninitialised local
	 * in a caller would. */
	memset(err, 0xa5, sizeof(err));
	ba_manifest *m = ba_manifest_parse(text, size, ORIGIN, BASE, err, sizeof(err));
	if (m) {
		check_manifest(m);
		ba_manifest_free(m);
	} else {
		check_message(err, sizeof(err));
		/* A short exact-size buffer takes the message cut, never
		 * overrun. */
		char *small = malloc(24);
		if (small) {
			memset(small, 0xa5, 24);
			ba_manifest *m2 = ba_manifest_parse(text, size, ORIGIN, BASE, small, 24);
			if (m2)
				ba_fuzz_fail("accepted with a small error buffer only");
			check_message(small, 24);
			free(small);
		}
	}
	free(text);
	return 0;
}
