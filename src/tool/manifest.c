/*
 * manifest.c - strict YAML manifest loading.
 *
 * libyaml's event stream is turned into a small tree of our own (rather
 * than libyaml's document API) so that aliases can be refused outright,
 * every node keeps its line and column for messages, and sizes are capped
 * while reading. The tree is then checked key by key.
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
#include <yaml.h>

#include "core/file.h"
#include "core/parse.h"

#define MAX_NODES 20000
#define MAX_DEPTH 64

typedef enum { NODE_SCALAR, NODE_MAP, NODE_SEQ } node_kind;

typedef struct node {
	node_kind kind;
	unsigned line, column; /* 1-based */
	char *value;           /* scalars: owned */
	size_t len;
	bool plain; /* an unquoted scalar: may be a number, bool or null */
	/* children: maps alternate key, value */
	struct node **items;
	size_t count, cap;
} node;

typedef struct parser {
	const char *origin;
	char *err;
	size_t err_len;
	size_t nodes;
} parser;

static void node_free(node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->count; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

static const char *fail_at(parser *p, const node *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static const char *fail_at(parser *p, const node *n, const char *fmt, ...)
{
	int off = n ? snprintf(p->err, p->err_len, "%s:%u:%u: ", p->origin, n->line, n->column)
	            : snprintf(p->err, p->err_len, "%s: ", p->origin);
	if (off < 0 || (size_t)off >= p->err_len)
		return p->err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->err_len - (size_t)off, fmt, ap);
	va_end(ap);
	return p->err;
}

static int node_push(node *parent, node *child)
{
	if (parent->count == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		node **items = realloc(parent->items, cap * sizeof *items);
		if (!items)
			return -1;
		parent->items = items;
		parent->cap = cap;
	}
	parent->items[parent->count++] = child;
	return 0;
}

/* Reads one node (whose first event is ev) and everything below it. */
static node *read_node(parser *p, yaml_parser_t *yp, yaml_event_t *ev, unsigned depth)
{
	if (depth > MAX_DEPTH) {
		fail_at(p, NULL, "nesting deeper than %d levels", MAX_DEPTH);
		return NULL;
	}
	if (++p->nodes > MAX_NODES) {
		fail_at(p, NULL, "more than %d YAML nodes", MAX_NODES);
		return NULL;
	}
	node *n = calloc(1, sizeof *n);
	if (!n) {
		fail_at(p, NULL, "out of memory");
		return NULL;
	}
	n->line = (unsigned)ev->start_mark.line + 1;
	n->column = (unsigned)ev->start_mark.column + 1;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		fail_at(p, n, "YAML aliases are not allowed in manifests");
		node_free(n);
		return NULL;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			fail_at(p, n, "YAML anchors are not allowed in manifests");
			node_free(n);
			return NULL;
		}
		n->kind = NODE_SCALAR;
		n->len = ev->data.scalar.length;
		n->value = malloc(n->len + 1);
		if (!n->value) {
			node_free(n);
			fail_at(p, NULL, "out of memory");
			return NULL;
		}
		memcpy(n->value, ev->data.scalar.value, n->len);
		n->value[n->len] = '\0';
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return n;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT: {
		bool is_map = ev->type == YAML_MAPPING_START_EVENT;
		const yaml_char_t *anchor =
		        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
		if (anchor) {
			fail_at(p, n, "YAML anchors are not allowed in manifests");
			node_free(n);
			return NULL;
		}
		n->kind = is_map ? NODE_MAP : NODE_SEQ;
		yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
		for (;;) {
			yaml_event_t child_ev;
			if (!yaml_parser_parse(yp, &child_ev)) {
				fail_at(p, NULL, "line %zu: %s", yp->problem_mark.line + 1,
				        yp->problem ? yp->problem : "YAML syntax error");
				node_free(n);
				return NULL;
			}
			if (child_ev.type == end) {
				yaml_event_delete(&child_ev);
				return n;
			}
			node *child = read_node(p, yp, &child_ev, depth + 1);
			yaml_event_delete(&child_ev);
			if (!child || node_push(n, child) != 0) {
				if (child)
					fail_at(p, NULL, "out of memory");
				node_free(child);
				node_free(n);
				return NULL;
			}
		}
	}
	default:
		fail_at(p, n, "unexpected YAML event");
		node_free(n);
		return NULL;
	}
}

/* Parses text into a tree; exactly one document is allowed. */
static node *read_document(parser *p, const char *text, size_t len)
{
	yaml_parser_t yp;
	if (!yaml_parser_initialize(&yp)) {
		fail_at(p, NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	node *root = NULL;
	bool in_doc = false, failed = false;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&yp, &ev)) {
			fail_at(p, NULL, "line %zu, column %zu: %s", yp.problem_mark.line + 1,
			        yp.problem_mark.column + 1,
			        yp.problem ? yp.problem : "YAML syntax error");
			failed = true;
			break;
		}
		yaml_event_type_t type = ev.type;
		if (type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (type == YAML_DOCUMENT_START_EVENT) {
			if (root) {
				fail_at(p, NULL, "more than one YAML document");
				failed = true;
				yaml_event_delete(&ev);
				break;
			}
			in_doc = true;
		} else if (type == YAML_DOCUMENT_END_EVENT) {
			in_doc = false;
		} else if (in_doc && type != YAML_STREAM_START_EVENT) {
			root = read_node(p, &yp, &ev, 0);
			if (!root) {
				failed = true;
				yaml_event_delete(&ev);
				break;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	if (failed) {
		node_free(root);
		return NULL;
	}
	if (!root)
		fail_at(p, NULL, "the manifest is empty");
	return root;
}

static const node *map_get(const node *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->count; i += 2)
		if (map->items[i]->kind == NODE_SCALAR && strcmp(map->items[i]->value, key) == 0)
			return map->items[i + 1];
	return NULL;
}

/* Checks a mapping's keys: scalars, no duplicates, all in allowed. */
static const char *check_keys(parser *p, const node *map, const char *what,
                              const char *const *allowed)
{
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const node *key = map->items[i];
		if (key->kind != NODE_SCALAR)
			return fail_at(p, key, "%s: keys must be plain strings", what);
		bool known = allowed == NULL;
		for (size_t a = 0; allowed && allowed[a]; a++)
			known |= strcmp(allowed[a], key->value) == 0;
		if (!known)
			return fail_at(p, key, "%s: unknown key \"%s\"", what, key->value);
		for (size_t j = 0; j < i; j += 2)
			if (strcmp(map->items[j]->value, key->value) == 0)
				return fail_at(p, key, "%s: duplicate key \"%s\"", what,
				               key->value);
	}
	return NULL;
}

static const char *want_scalar(parser *p, const node *n, const char *what)
{
	if (n->kind != NODE_SCALAR)
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
static json_t *to_json(parser *p, const node *n, const char **error)
{
	if (n->kind == NODE_SCALAR) {
		/* JSON text with \u0000 is refused by most readers, ours too. */
		if (memchr(n->value, '\0', n->len)) {
			*error = fail_at(p, n, "input_schema: a string contains a NUL byte");
			return NULL;
		}
		if (n->plain) {
			const char *v = n->value;
			if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
				return json_true();
			if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
				return json_false();
			if (!strcmp(v, "null") || !strcmp(v, "~") || !strcmp(v, "Null") || !*v)
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
	json_t *out = n->kind == NODE_MAP ? json_object() : json_array();
	if (!out) {
		*error = fail_at(p, n, "out of memory");
		return NULL;
	}
	if (n->kind == NODE_MAP && check_keys(p, n, "input_schema", NULL)) {
		*error = p->err;
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n->count; i += (n->kind == NODE_MAP ? 2 : 1)) {
		const node *vn = n->kind == NODE_MAP ? n->items[i + 1] : n->items[i];
		json_t *v = to_json(p, vn, error);
		if (!v) {
			json_decref(out);
			return NULL;
		}
		int rc = n->kind == NODE_MAP ? json_object_set_new(out, n->items[i]->value, v)
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

static const char *set_text(parser *p, const node *n, const char *what, char *dst, size_t cap)
{
	const char *e = want_scalar(p, n, what);
	if (e)
		return e;
	if (n->len >= cap)
		return fail_at(p, n, "%s is longer than %zu bytes", what, cap - 1);
	memcpy(dst, n->value, n->len + 1);
	return NULL;
}

static const char *parse_limits(parser *p, const node *lim, ba_manifest *m)
{
	static const char *const keys[] = {"memory", "timeout", "fuel", "output", NULL};
	if (lim->kind != NODE_MAP)
		return fail_at(p, lim, "limits must be a mapping");
	if (check_keys(p, lim, "limits", keys))
		return p->err;
	for (size_t i = 0; i + 1 < lim->count; i += 2) {
		const char *key = lim->items[i]->value;
		const node *v = lim->items[i + 1];
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

static const char *parse_secrets(parser *p, const node *sec, ba_manifest *m)
{
	static const char *const keys[] = {"destinations", "header", NULL};
	if (sec->kind != NODE_MAP)
		return fail_at(p, sec, "secrets must be a mapping of NAME: {destinations, header}");
	if (check_keys(p, sec, "secrets", NULL))
		return p->err;
	for (size_t i = 0; i + 1 < sec->count; i += 2) {
		const node *key = sec->items[i], *v = sec->items[i + 1];
		if (m->secret_count == BA_MANIFEST_SECRETS_MAX)
			return fail_at(p, key, "more than %d secrets", BA_MANIFEST_SECRETS_MAX);
		ba_manifest_secret *s = &m->secrets[m->secret_count++];
		if (set_text(p, key, "secret name", s->name, sizeof s->name))
			return p->err;
		if (v->kind != NODE_MAP)
			return fail_at(p, v,
			               "secrets.%s must be a mapping with destinations and header",
			               s->name);
		if (check_keys(p, v, "secrets entry", keys))
			return p->err;
		const node *dests = map_get(v, "destinations");
		const node *header = map_get(v, "header");
		if (!dests || dests->kind != NODE_SEQ || dests->count == 0)
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

static const char *parse_tool(parser *p, const node *tool, const char *base_dir, ba_manifest *m)
{
	static const char *const keys[] = {"name",   "version",      "description",
	                                   "module", "input_schema", "permissions",
	                                   "limits", "secrets",      NULL};
	if (tool->kind != NODE_MAP)
		return fail_at(p, tool, "\"tool\" must be a mapping");
	if (check_keys(p, tool, "tool", keys))
		return p->err;
	static const char *const required[] = {"name", "version", "description", "module"};
	for (size_t i = 0; i < 4; i++)
		if (!map_get(tool, required[i]))
			return fail_at(p, tool, "tool.%s is required", required[i]);

	const node *n = map_get(tool, "name");
	if (set_text(p, n, "tool.name", m->name, sizeof m->name))
		return p->err;
	if (!valid_name(m->name))
		return fail_at(p, n,
		               "tool.name \"%s\" must be 1-64 characters of a-z, 0-9, _ and -",
		               m->name);
	if (set_text(p, map_get(tool, "version"), "tool.version", m->version, sizeof m->version))
		return p->err;
	n = map_get(tool, "description");
	if (want_scalar(p, n, "tool.description"))
		return p->err;
	if (n->len > 4096)
		return fail_at(p, n, "tool.description is longer than 4096 bytes");
	if (!(m->description = dup_str(n->value)))
		return fail_at(p, NULL, "out of memory");

	n = map_get(tool, "module");
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

	n = map_get(tool, "input_schema");
	if (n) {
		if (n->kind != NODE_MAP)
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

	n = map_get(tool, "permissions");
	if (n) {
		if (n->kind != NODE_SEQ)
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
	n = map_get(tool, "limits");
	if (n && parse_limits(p, n, m))
		return p->err;
	n = map_get(tool, "secrets");
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
	parser p = {.origin = origin, .err = err, .err_len = err_len};
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
	node *root = read_document(&p, text, len);
	const char *e = root ? NULL : err;
	if (!e && root->kind != NODE_MAP)
		e = fail_at(&p, root, "the manifest must be a mapping with a \"tool\" key");
	static const char *const top[] = {"tool", NULL};
	if (!e)
		e = check_keys(&p, root, "manifest", top);
	if (!e && !map_get(root, "tool"))
		e = fail_at(&p, root, "the manifest has no \"tool\" key");
	if (!e)
		e = parse_tool(&p, map_get(root, "tool"), base_dir, m);
	node_free(root);
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
