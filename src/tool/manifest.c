/*
 * manifest.c - strict YAML manifest loading.
 *
 * The text is read into a tree by core/yaml.c (no aliases or anchors,
 * line and column kept for messages, sizes capped while reading); the
 * tree is then checked key by key.
 */
#include "tool/manifest.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/parse.h"
#include "core/yaml.h"

#define MAX_NODES 20000
#define MAX_DEPTH 64

static const char *fail_at(ba_yaml_reader *p, const ba_yaml_node *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* ba_yaml_fail for this file's convention: the message is the result. */
static const char *fail_at(ba_yaml_reader *p, const ba_yaml_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ba_yaml_vfail(p, n, fmt, ap);
	va_end(ap);
	return p->err;
}

/* Checks a mapping's keys: text, no duplicates, all in allowed. */
static const char *check_keys(ba_yaml_reader *p, const ba_yaml_node *map, const char *what,
                              const char *const *allowed)
{
	const ba_yaml_node *key;
	switch (ba_yaml_check_keys(map, allowed, &key)) {
	case BA_YAML_KEYS_OK:
		break;
	case BA_YAML_KEY_NOT_TEXT:
		return fail_at(p, key, "%s: keys must be plain strings", what);
	case BA_YAML_KEY_UNKNOWN:
		return fail_at(p, key, "%s: unknown key \"%s\"", what, key->value);
	case BA_YAML_KEY_REPEATED:
		return fail_at(p, key, "%s: duplicate key \"%s\"", what, key->value);
	}
	return NULL;
}

static const char *want_scalar(ba_yaml_reader *p, const ba_yaml_node *n, const char *what)
{
	if (n->kind != BA_YAML_SCALAR)
		return fail_at(p, n, "%s must be a string", what);
	if (memchr(n->value, '\0', n->len))
		return fail_at(p, n, "%s contains a NUL byte", what);
	return NULL;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* YAML → JSON for input_schema. Plain scalars become numbers, booleans or
 * null where YAML 1.2's core schema says so; anything quoted is a string. */
static json_t *to_json(ba_yaml_reader *p, const ba_yaml_node *n, const char **error)
{
	if (n->kind == BA_YAML_SCALAR) {
		/* JSON text with \u0000 is refused by most readers, ours too. */
		if (memchr(n->value, '\0', n->len)) {
			*error = fail_at(p, n, "input_schema: a string contains a NUL byte");
			return NULL;
		}
		if (n->plain) {
			const char *v = n->value;
			bool b;
			if (ba_yaml_is_bool(n, &b))
				return json_boolean(b);
			if (ba_yaml_is_null(n))
				return json_null();
			char *end;
			errno = 0;
			long long ll = strtoll(v, &end, 10);
			if (*v && !*end && errno == 0)
				return json_integer(ll);
			double d = strtod(v, &end);
			if (*v && !*end &&
			    (v[0] == '-' || v[0] == '.' || (v[0] >= '0' && v[0] <= '9'))) {
				/* 1e999 overflows to infinity, which JSON cannot hold. */
				if (!isfinite(d)) {
					*error = fail_at(
					        p, n, "input_schema: %s is not a finite number", v);
					return NULL;
				}
				json_t *real = json_real(d);
				if (!real)
					*error = fail_at(p, n, "out of memory");
				return real;
			}
		}
		json_t *str = json_stringn(n->value, n->len);
		if (!str)
			*error = fail_at(p, n, "input_schema: a string is not valid UTF-8");
		return str;
	}
	json_t *out = n->kind == BA_YAML_MAP ? json_object() : json_array();
	if (!out) {
		*error = fail_at(p, n, "out of memory");
		return NULL;
	}
	if (n->kind == BA_YAML_MAP && check_keys(p, n, "input_schema", NULL)) {
		*error = p->err;
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n->count; i += (n->kind == BA_YAML_MAP ? 2 : 1)) {
		const ba_yaml_node *vn = n->kind == BA_YAML_MAP ? n->items[i + 1] : n->items[i];
		json_t *v = to_json(p, vn, error);
		if (!v) {
			json_decref(out);
			return NULL;
		}
		int rc = n->kind == BA_YAML_MAP ? json_object_set_new(out, n->items[i]->value, v)
		                                : json_array_append_new(out, v);
		if (rc != 0) {
			*error = fail_at(p, vn, "input_schema: invalid key or out of memory");
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d;
}

static const char *set_text(ba_yaml_reader *p, const ba_yaml_node *n, const char *what, char *dst,
                            size_t cap)
{
	const char *e = want_scalar(p, n, what);
	if (e)
		return e;
	if (n->len >= cap)
		return fail_at(p, n, "%s is longer than %zu bytes", what, cap - 1);
	memcpy(dst, n->value, n->len + 1);
	return NULL;
}

static const char *parse_limits(ba_yaml_reader *p, const ba_yaml_node *lim, ba_manifest *m)
{
	static const char *const keys[] = {"memory", "timeout", "fuel", "output", NULL};
	if (lim->kind != BA_YAML_MAP)
		return fail_at(p, lim, "limits must be a mapping");
	if (check_keys(p, lim, "limits", keys))
		return p->err;
	for (size_t i = 0; i + 1 < lim->count; i += 2) {
		const char *key = lim->items[i]->value;
		const ba_yaml_node *v = lim->items[i + 1];
		char what[32];
		snprintf(what, sizeof what, "limits.%s", key);
		if (want_scalar(p, v, what))
			return p->err;
		const char *e;
		if (!strcmp(key, "memory"))
			e = ba_parse_size(v->value, &m->memory_bytes);
		else if (!strcmp(key, "output"))
			e = ba_parse_size(v->value, &m->output_bytes);
		else if (!strcmp(key, "timeout"))
			e = ba_parse_duration(v->value, &m->timeout_ns);
		else
			e = ba_parse_u64(v->value, &m->fuel);
		if (e)
			return fail_at(p, v, "%s: %s", what, e);
	}
	return NULL;
}

static const char *parse_secrets(ba_yaml_reader *p, const ba_yaml_node *sec, ba_manifest *m)
{
	static const char *const keys[] = {"destinations", "header", NULL};
	if (sec->kind != BA_YAML_MAP)
		return fail_at(p, sec, "secrets must be a mapping of NAME: {destinations, header}");
	if (check_keys(p, sec, "secrets", NULL))
		return p->err;
	for (size_t i = 0; i + 1 < sec->count; i += 2) {
		const ba_yaml_node *key = sec->items[i], *v = sec->items[i + 1];
		if (m->secret_count == BA_MANIFEST_SECRETS_MAX)
			return fail_at(p, key, "more than %d secrets", BA_MANIFEST_SECRETS_MAX);
		ba_manifest_secret *s = &m->secrets[m->secret_count++];
		if (set_text(p, key, "secret name", s->name, sizeof s->name))
			return p->err;
		if (v->kind != BA_YAML_MAP)
			return fail_at(p, v,
			               "secrets.%s must be a mapping with destinations and header",
			               s->name);
		if (check_keys(p, v, "secrets entry", keys))
			return p->err;
		const ba_yaml_node *dests = ba_yaml_get(v, "destinations");
		const ba_yaml_node *header = ba_yaml_get(v, "header");
		if (!dests || dests->kind != BA_YAML_SEQ || dests->count == 0)
			return fail_at(p, v,
			               "secrets.%s.destinations must be a non-empty list of URLs",
			               s->name);
		if (dests->count > 8)
			return fail_at(p, dests, "secrets.%s: more than 8 destinations", s->name);
		for (size_t d = 0; d < dests->count; d++)
			if (set_text(p, dests->items[d], "a secret destination", s->dests[d],
			             sizeof s->dests[d]))
				return p->err;
		s->dest_count = dests->count;
		if (!header)
			return fail_at(p, v,
			               "secrets.%s.header is required (e.g. \"Authorization: "
			               "Bearer {}\")",
			               s->name);
		if (set_text(p, header, "a secret header", s->header, sizeof s->header))
			return p->err;
		const char *hole = strstr(s->header, "{}");
		if (!hole || strstr(hole + 2, "{}") || !strchr(s->header, ':') ||
		    strchr(s->header, ':') > hole)
			return fail_at(
			        p, header,
			        "secrets.%s.header must look like \"Name: ...{}...\" with one {}",
			        s->name);
	}
	return NULL;
}

static const char *parse_tool(ba_yaml_reader *p, const ba_yaml_node *tool, const char *base_dir,
                              ba_manifest *m)
{
	static const char *const keys[] = {"name",   "version",      "description",
	                                   "module", "input_schema", "permissions",
	                                   "limits", "secrets",      NULL};
	if (tool->kind != BA_YAML_MAP)
		return fail_at(p, tool, "\"tool\" must be a mapping");
	if (check_keys(p, tool, "tool", keys))
		return p->err;
	static const char *const required[] = {"name", "version", "description", "module"};
	for (size_t i = 0; i < 4; i++)
		if (!ba_yaml_get(tool, required[i]))
			return fail_at(p, tool, "tool.%s is required", required[i]);

	const ba_yaml_node *n = ba_yaml_get(tool, "name");
	if (set_text(p, n, "tool.name", m->name, sizeof m->name))
		return p->err;
	if (!valid_name(m->name))
		return fail_at(p, n,
		               "tool.name \"%s\" must be 1-64 characters of a-z, 0-9, _ and -",
		               m->name);
	if (set_text(p, ba_yaml_get(tool, "version"), "tool.version", m->version,
	             sizeof m->version))
		return p->err;
	n = ba_yaml_get(tool, "description");
	if (want_scalar(p, n, "tool.description"))
		return p->err;
	if (n->len > 4096)
		return fail_at(p, n, "tool.description is longer than 4096 bytes");
	if (!(m->description = dup_str(n->value)))
		return fail_at(p, NULL, "out of memory");

	n = ba_yaml_get(tool, "module");
	if (want_scalar(p, n, "tool.module"))
		return p->err;
	if (n->len == 0 || n->len > 1024)
		return fail_at(p, n, "tool.module must be a path of 1-1024 bytes");
	size_t need = strlen(base_dir) + n->len + 2;
	if (!(m->module_path = malloc(need)))
		return fail_at(p, NULL, "out of memory");
	if (n->value[0] == '/')
		snprintf(m->module_path, need, "%s", n->value);
	else
		snprintf(m->module_path, need, "%s/%s", base_dir, n->value);

	n = ba_yaml_get(tool, "input_schema");
	if (n) {
		if (n->kind != BA_YAML_MAP)
			return fail_at(p, n, "tool.input_schema must be a mapping (a JSON Schema)");
		const char *error = NULL;
		json_t *schema = to_json(p, n, &error);
		if (!schema)
			return error ? error : p->err;
		m->input_schema = json_dumps(schema, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(schema);
	} else {
		m->input_schema = dup_str("{}");
	}
	if (!m->input_schema)
		return fail_at(p, NULL, "out of memory");

	n = ba_yaml_get(tool, "permissions");
	if (n) {
		if (n->kind != BA_YAML_SEQ)
			return fail_at(p, n,
			               "tool.permissions must be a list of capability strings");
		for (size_t i = 0; i < n->count; i++) {
			char what[48], capmsg[BA_CAP_TEXT_MAX + 200];
			snprintf(what, sizeof what, "permissions[%zu]", i);
			if (want_scalar(p, n->items[i], what))
				return p->err;
			if (ba_capset_add(m->declared, n->items[i]->value, capmsg, sizeof capmsg))
				return fail_at(p, n->items[i], "%s: %s", what, capmsg);
		}
	}
	n = ba_yaml_get(tool, "limits");
	if (n && parse_limits(p, n, m))
		return p->err;
	n = ba_yaml_get(tool, "secrets");
	if (n && parse_secrets(p, n, m))
		return p->err;

	/* Every secret permission needs a binding and every binding a
	 * permission: an unbound secret could not be sent anywhere, and a
	 * binding without the permission is a typo waiting to surprise. */
	for (size_t i = 0; i < m->declared->count; i++) {
		const ba_cap *c = &m->declared->caps[i];
		if (c->kind != BA_CAP_SECRET)
			continue;
		bool bound = false;
		for (size_t s = 0; s < m->secret_count; s++)
			bound |= strcmp(m->secrets[s].name, c->name) == 0;
		if (!bound)
			return fail_at(
			        p, tool,
			        "permission secret:%s has no binding under tool.secrets (where it "
			        "may be sent, and in which header)",
			        c->name);
	}
	for (size_t s = 0; s < m->secret_count; s++)
		if (!ba_capset_has_name(m->declared, BA_CAP_SECRET, m->secrets[s].name))
			return fail_at(
			        p, tool,
			        "tool.secrets binds %s, but permissions does not declare secret:%s",
			        m->secrets[s].name, m->secrets[s].name);
	return NULL;
}

ba_manifest *ba_manifest_parse(const char *text, size_t len, const char *origin,
                               const char *base_dir, char *err, size_t err_len)
{
	ba_yaml_reader p = {.origin = origin,
	                    .in = "manifests",
	                    .max_depth = MAX_DEPTH,
	                    .max_nodes = MAX_NODES,
	                    .syntax_in_words = true,
	                    .err = err,
	                    .err_len = err_len};
	if (len > BA_MANIFEST_MAX_BYTES) {
		fail_at(&p, NULL, "the manifest is larger than %d bytes", BA_MANIFEST_MAX_BYTES);
		return NULL;
	}
	ba_manifest *m = calloc(1, sizeof *m);
	if (!m || !(m->declared = ba_capset_new())) {
		free(m);
		fail_at(&p, NULL, "out of memory");
		return NULL;
	}
	ba_yaml_node *root = NULL;
	const char *e = ba_yaml_read(&p, text, len, &root) != 0 ? err : NULL;
	if (!e && !root)
		e = fail_at(&p, NULL, "the manifest is empty");
	if (!e && root->kind != BA_YAML_MAP)
		e = fail_at(&p, root, "the manifest must be a mapping with a \"tool\" key");
	static const char *const top[] = {"tool", NULL};
	if (!e)
		e = check_keys(&p, root, "manifest", top);
	if (!e && !ba_yaml_get(root, "tool"))
		e = fail_at(&p, root, "the manifest has no \"tool\" key");
	if (!e)
		e = parse_tool(&p, ba_yaml_get(root, "tool"), base_dir, m);
	ba_yaml_free(root);
	if (e) {
		ba_manifest_free(m);
		return NULL;
	}
	return m;
}

ba_manifest *ba_manifest_load(const char *path, char *err, size_t err_len)
{
	uint8_t *text = NULL;
	size_t len = 0;
	if (ba_read_file(path, BA_MANIFEST_MAX_BYTES, &text, &len, err, err_len) != 0)
		return NULL;
	char base[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(base, sizeof base, ".");
	else if (slash == path)
		snprintf(base, sizeof base, "/");
	else
		snprintf(base, sizeof base, "%.*s", (int)(slash - path), path);
	ba_manifest *m = ba_manifest_parse((const char *)text, len, path, base, err, err_len);
	free(text);
	return m;
}

void ba_manifest_free(ba_manifest *m)
{
	if (!m)
		return;
	free(m->description);
	free(m->module_path);
	free(m->input_schema);
	ba_capset_free(m->declared);
	free(m);
}
