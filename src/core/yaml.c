/*
 * yaml.c - strict YAML: libyaml's events into a small tree (see yaml.h).
 */
#include "core/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void ba_yaml_free(ba_yaml_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->count; i++)
		ba_yaml_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

int ba_yaml_vfail(ba_yaml_reader *r, const ba_yaml_node *n, const char *fmt, va_list ap)
{
	if (!r->err || r->err_len == 0)
		return -1;
	const char *origin = r->origin ? r->origin : "YAML";
	int off = n ? snprintf(r->err, r->err_len, "%s:%u:%u: ", origin, n->line, n->column)
	            : snprintf(r->err, r->err_len, "%s: ", origin);
	if (off < 0 || (size_t)off >= r->err_len)
		return -1;
	vsnprintf(r->err + off, r->err_len - (size_t)off, fmt, ap);
	return -1;
}

int ba_yaml_fail(ba_yaml_reader *r, const ba_yaml_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ba_yaml_vfail(r, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* libyaml refused the text: its problem, where it found it. */
static int syntax_error(ba_yaml_reader *r, const yaml_parser_t *yp)
{
	if (yp->error == YAML_MEMORY_ERROR)
		return ba_yaml_fail(r, NULL, "out of memory");
	const char *what = yp->problem ? yp->problem : "YAML syntax error";
	size_t line = yp->problem_mark.line + 1, column = yp->problem_mark.column + 1;
	if (r->syntax_in_words)
		return ba_yaml_fail(r, NULL, "line %zu, column %zu: %s", line, column, what);
	/* The position has no node; written like ba_yaml_fail's. */
	if (r->err && r->err_len)
		snprintf(r->err, r->err_len, "%s:%zu:%zu: %s", r->origin ? r->origin : "YAML", line,
		         column, what);
	return -1;
}

static int node_push(ba_yaml_node *parent, ba_yaml_node *child)
{
	if (parent->count == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		ba_yaml_node **items = realloc(parent->items, cap * sizeof(*items));
		if (!items)
			return -1;
		parent->items = items;
		parent->cap = cap;
	}
	parent->items[parent->count++] = child;
	return 0;
}

/* Reads one node (whose first event is ev) and everything below it. */
static ba_yaml_node *read_node(ba_yaml_reader *r, yaml_parser_t *yp, const yaml_event_t *ev,
                               unsigned depth)
{
	if (depth > r->max_depth) {
		ba_yaml_fail(r, NULL, "nesting deeper than %u levels", r->max_depth);
		return NULL;
	}
	if (++r->nodes > r->max_nodes) {
		ba_yaml_fail(r, NULL, "more than %zu YAML nodes", r->max_nodes);
		return NULL;
	}
	ba_yaml_node *n = calloc(1, sizeof(*n));
	if (!n) {
		ba_yaml_fail(r, NULL, "out of memory");
		return NULL;
	}
	n->line = (unsigned)ev->start_mark.line + 1;
	n->column = (unsigned)ev->start_mark.column + 1;
	const char *in = r->in ? r->in : "this file";
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		ba_yaml_fail(r, n, "YAML aliases are not allowed in %s", in);
		ba_yaml_free(n);
		return NULL;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			ba_yaml_fail(r, n, "YAML anchors are not allowed in %s", in);
			ba_yaml_free(n);
			return NULL;
		}
		n->kind = BA_YAML_SCALAR;
		n->len = ev->data.scalar.length;
		n->value = malloc(n->len + 1);
		if (!n->value) {
			ba_yaml_free(n);
			ba_yaml_fail(r, NULL, "out of memory");
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
			ba_yaml_fail(r, n, "YAML anchors are not allowed in %s", in);
			ba_yaml_free(n);
			return NULL;
		}
		n->kind = is_map ? BA_YAML_MAP : BA_YAML_SEQ;
		yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
		for (;;) {
			yaml_event_t child_ev;
			if (!yaml_parser_parse(yp, &child_ev)) {
				syntax_error(r, yp);
				ba_yaml_free(n);
				return NULL;
			}
			if (child_ev.type == end) {
				yaml_event_delete(&child_ev);
				return n;
			}
			ba_yaml_node *child = read_node(r, yp, &child_ev, depth + 1);
			yaml_event_delete(&child_ev);
			if (!child || node_push(n, child) != 0) {
				if (child)
					ba_yaml_fail(r, NULL, "out of memory");
				ba_yaml_free(child);
				ba_yaml_free(n);
				return NULL;
			}
		}
	}
	default:
		ba_yaml_fail(r, n, "unexpected YAML event");
		ba_yaml_free(n);
		return NULL;
	}
}

int ba_yaml_read(ba_yaml_reader *r, const char *text, size_t len, ba_yaml_node **root)
{
	*root = NULL;
	r->nodes = 0;
	yaml_parser_t yp;
	if (!yaml_parser_initialize(&yp))
		return ba_yaml_fail(r, NULL, "out of memory");
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	bool in_doc = false, seen_doc = false, failed = false;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&yp, &ev)) {
			syntax_error(r, &yp);
			failed = true;
			break;
		}
		yaml_event_type_t type = ev.type;
		if (type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (type == YAML_DOCUMENT_START_EVENT) {
			if (seen_doc) {
				ba_yaml_fail(r, NULL, "more than one YAML document");
				failed = true;
				yaml_event_delete(&ev);
				break;
			}
			seen_doc = in_doc = true;
		} else if (type == YAML_DOCUMENT_END_EVENT) {
			in_doc = false;
		} else if (in_doc && type != YAML_STREAM_START_EVENT) {
			*root = read_node(r, &yp, &ev, 0);
			if (!*root) {
				failed = true;
				yaml_event_delete(&ev);
				break;
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	if (failed) {
		ba_yaml_free(*root);
		*root = NULL;
		return -1;
	}
	return 0;
}

const ba_yaml_node *ba_yaml_get(const ba_yaml_node *map, const char *key)
{
	if (!map || map->kind != BA_YAML_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const ba_yaml_node *k = map->items[i];
		if (k->kind == BA_YAML_SCALAR && strcmp(k->value, key) == 0)
			return map->items[i + 1];
	}
	return NULL;
}

ba_yaml_key_problem ba_yaml_check_keys(const ba_yaml_node *map, const char *const *allowed,
                                       const ba_yaml_node **key)
{
	for (size_t i = 0; i + 1 < map->count; i += 2) {
		const ba_yaml_node *k = map->items[i];
		*key = k;
		/* A NUL would make the key compare equal to its first part. */
		if (k->kind != BA_YAML_SCALAR || memchr(k->value, '\0', k->len))
			return BA_YAML_KEY_NOT_TEXT;
		bool known = allowed == NULL;
		for (size_t a = 0; allowed && allowed[a]; a++)
			known |= strcmp(allowed[a], k->value) == 0;
		if (!known)
			return BA_YAML_KEY_UNKNOWN;
		for (size_t j = 0; j < i; j += 2)
			if (strcmp(map->items[j]->value, k->value) == 0)
				return BA_YAML_KEY_REPEATED;
	}
	*key = NULL;
	return BA_YAML_KEYS_OK;
}

bool ba_yaml_is_null(const ba_yaml_node *n)
{
	if (n->kind != BA_YAML_SCALAR || !n->plain)
		return false;
	const char *v = n->value;
	return n->len == 0 || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

bool ba_yaml_is_bool(const ba_yaml_node *n, bool *out)
{
	/* "true\0x" (quoted) is not true. */
	if (n->kind != BA_YAML_SCALAR || memchr(n->value, '\0', n->len))
		return false;
	const char *v = n->value;
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		*out = false;
	else
		return false;
	return true;
}
