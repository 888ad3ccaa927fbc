/*
 * yaml.h - strict YAML: libyaml's event stream read into a small tree.
 *
 * Tool manifests (tool/manifest.c) and the provider configuration
 * (llm/config.c) are read with this. libyaml's events are turned into a
 * tree of our own rather than libyaml's document API so that aliases and
 * anchors can be refused outright (a file means what it says, and no
 * "billion laughs"), every node keeps its line and column for messages,
 * and the number of nodes and the depth are capped while reading, before
 * anything is built. What the tree means is the caller's business: these
 * functions only read it and help name what is wrong in it.
 *
 * (libyaml's own header is <yaml.h>; this one is "core/yaml.h".)
 */
#ifndef BA_CORE_YAML_H
#define BA_CORE_YAML_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { BA_YAML_SCALAR, BA_YAML_MAP, BA_YAML_SEQ } ba_yaml_kind;

typedef struct ba_yaml_node {
	ba_yaml_kind kind;
	unsigned line, column;       /* 1-based, where the node starts */
	char *value;                 /* scalars: owned, NUL-terminated; it may hold
	                                NUL bytes too (quoted "\0"), see len */
	size_t len;                  /* scalars: bytes in value */
	bool plain;                  /* an unquoted scalar: may be null, a bool or a
	                                number (quoted ones are always text) */
	struct ba_yaml_node **items; /* owned; maps: key, value, key, value... */
	size_t count, cap;
} ba_yaml_node;

/*
 * One reading: where the text came from, what it is called, the caps,
 * and where messages go. The caller fills the fields above `nodes` (a
 * designated initialiser), and uses the reader afterwards to report what
 * it finds wrong in the tree (ba_yaml_fail), so every message has the
 * same shape: "ORIGIN:LINE:COLUMN: what is wrong".
 */
typedef struct ba_yaml_reader {
	const char *origin;   /* borrowed: starts every message ("tool.yaml")   */
	const char *in;       /* borrowed: what the text is, for "YAML aliases are
	                         not allowed in IN" ("manifests")               */
	unsigned max_depth;   /* deeper nesting is refused                      */
	size_t max_nodes;     /* more nodes in all are refused                  */
	bool syntax_in_words; /* libyaml's syntax errors read "ORIGIN: line L,
	                         column C: problem" (as tool manifests always
	                         have) instead of "ORIGIN:L:C: problem"       */
	char *err;            /* borrowed: messages, always NUL-terminated; may be
	                         NULL (then nothing is written)                     */
	size_t err_len;       /* bytes at err                                        */
	size_t nodes;         /* set by ba_yaml_read: nodes read so far             */
} ba_yaml_reader;

/*
 * Reads text (len bytes, borrowed; need not be NUL-terminated): one YAML
 * document at most. Returns 0 with *root set to the document's root
 * (taken by the caller: ba_yaml_free), or to NULL when the text holds no
 * document at all (empty, or comments only). Returns -1 with a message in
 * r->err for a syntax error, an alias or anchor, more than one document,
 * nesting deeper than r->max_depth, more than r->max_nodes nodes or a
 * failed allocation; *root is NULL then.
 */
int ba_yaml_read(ba_yaml_reader *r, const char *text, size_t len, ba_yaml_node **root)
        __attribute__((warn_unused_result));

/* Frees n and everything below it; NULL is allowed. */
void ba_yaml_free(ba_yaml_node *n);

/*
 * Writes "ORIGIN:LINE:COLUMN: MESSAGE" for node n (borrowed; NULL gives
 * "ORIGIN: MESSAGE") into r->err, cut to fit. Returns -1, so a caller can
 * `return ba_yaml_fail(...)`.
 */
int ba_yaml_fail(ba_yaml_reader *r, const ba_yaml_node *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int ba_yaml_vfail(ba_yaml_reader *r, const ba_yaml_node *n, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/* The value under key in map (a BA_YAML_MAP; borrowed), or NULL. */
const ba_yaml_node *ba_yaml_get(const ba_yaml_node *map, const char *key);

/* What is wrong with a mapping's keys (see ba_yaml_check_keys). */
typedef enum {
	BA_YAML_KEYS_OK,
	BA_YAML_KEY_NOT_TEXT, /* a mapping or list as a key, or a NUL byte in it */
	BA_YAML_KEY_UNKNOWN,  /* not one of those allowed */
	BA_YAML_KEY_REPEATED, /* the same key twice */
} ba_yaml_key_problem;

/*
 * Checks the keys of map (a BA_YAML_MAP) in order: each must be text
 * without NUL bytes, one of allowed (a NULL-terminated list; NULL allows
 * any) and not repeated. Returns the first problem, with *key (borrowed
 * from map) the key it is about; the caller words the message, because
 * what to say about an unknown key depends on the file.
 */
ba_yaml_key_problem ba_yaml_check_keys(const ba_yaml_node *map, const char *const *allowed,
                                       const ba_yaml_node **key);

/* YAML 1.2's core schema: a plain scalar that is empty, ~, null, Null or
 * NULL is null. */
bool ba_yaml_is_null(const ba_yaml_node *n);

/* YAML 1.2's core schema: true, True, TRUE, false, False and FALSE are
 * booleans (*out). Only the scalar's text is looked at: the caller says
 * whether a quoted "true" counts. */
bool ba_yaml_is_bool(const ba_yaml_node *n, bool *out);

#endif /* BA_CORE_YAML_H */
