/* Tests for src/core/yaml.c: the strict YAML reader behind manifests and
 * the provider configuration. */
#include <stdio.h>
#include <string.h>

#include "test.h"

#include "core/yaml.h"

static char err[512];

static ba_yaml_reader reader(void)
{
	err[0] = '\0';
	return (ba_yaml_reader){.origin = "t.yaml",
	                        .in = "tests",
	                        .max_depth = 8,
	                        .max_nodes = 100,
	                        .err = err,
	                        .err_len = sizeof(err)};
}

/* Reads text that must be accepted. */
static ba_yaml_node *read_ok(const char *text)
{
	ba_yaml_reader r = reader();
	ba_yaml_node *root = NULL;
	if (ba_yaml_read(&r, text, strlen(text), &root) != 0) {
		fprintf(stderr, "refused: %s\n", err);
		return NULL;
	}
	return root;
}

/* Reads text that must be refused; returns the message. */
static const char *read_fails(ba_yaml_reader r, const char *text)
{
	ba_yaml_node *root = (ba_yaml_node *)&root; /* must be reset */
	if (ba_yaml_read(&r, text, strlen(text), &root) == 0) {
		ba_yaml_free(root);
		return "(accepted)";
	}
	return root == NULL ? err : "(root left set)";
}

TEST(tree_with_positions)
{
	ba_yaml_node *root = read_ok("a: 1\nb:\n  - x\n  - 'y'\nc: {d: e}\n");
	CHECK(root != NULL);
	CHECK_EQ_INT(root->kind, BA_YAML_MAP);
	CHECK_EQ_UINT(root->count, 6);
	const ba_yaml_node *b = ba_yaml_get(root, "b");
	CHECK(b != NULL);
	CHECK_EQ_INT(b->kind, BA_YAML_SEQ);
	CHECK_EQ_UINT(b->count, 2);
	CHECK_EQ_STR(b->items[0]->value, "x");
	CHECK(b->items[0]->plain);
	CHECK_EQ_STR(b->items[1]->value, "y");
	CHECK(!b->items[1]->plain);
	CHECK_EQ_UINT(b->items[1]->line, 4);
	CHECK_EQ_UINT(b->items[1]->column, 5);
	const ba_yaml_node *d = ba_yaml_get(ba_yaml_get(root, "c"), "d");
	CHECK(d != NULL);
	CHECK_EQ_STR(d->value, "e");
	CHECK_EQ_UINT(d->line, 5);
	CHECK_EQ_UINT(d->column, 8);
	CHECK(ba_yaml_get(root, "zz") == NULL);
	CHECK(ba_yaml_get(b, "x") == NULL); /* not a mapping */
	ba_yaml_free(root);
}

TEST(nul_bytes_are_kept_with_their_length)
{
	ba_yaml_node *root = read_ok("\"a\\0b\"\n");
	CHECK(root != NULL);
	CHECK_EQ_UINT(root->len, 3);
	CHECK(memcmp(root->value, "a\0b", 4) == 0);
	ba_yaml_free(root);
}

TEST(no_document_is_no_root)
{
	static const char *const empty[] = {"", "# only a comment\n", "\n\n"};
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		ba_yaml_reader r = reader();
		ba_yaml_node *root = (ba_yaml_node *)&root;
		CHECK_EQ_INT(ba_yaml_read(&r, empty[i], strlen(empty[i]), &root), 0);
		CHECK(root == NULL);
	}
	/* "---" alone is a document holding an empty (null) scalar. */
	ba_yaml_node *root = read_ok("---\n");
	CHECK(root != NULL);
	CHECK(ba_yaml_is_null(root));
	ba_yaml_free(root);
}

TEST(refusals_name_the_place)
{
	CHECK_EQ_STR(read_fails(reader(), "a: &x 1\nb: 2\n"),
	             "t.yaml:1:4: YAML anchors are not allowed in tests");
	CHECK_EQ_STR(read_fails(reader(), "a: [1]\nb: *x\n"),
	             "t.yaml:2:4: YAML aliases are not allowed in tests");
	CHECK_EQ_STR(read_fails(reader(), "- &s [1]\n"),
	             "t.yaml:1:3: YAML anchors are not allowed in tests");
	CHECK_EQ_STR(read_fails(reader(), "a: 1\n---\nb: 2\n"),
	             "t.yaml: more than one YAML document");
	CHECK_EQ_STR(read_fails(reader(), "[[[[[[[[[[1]]]]]]]]]]"),
	             "t.yaml: nesting deeper than 8 levels");
	char many[512] = "[";
	size_t n = 1;
	for (int i = 0; i < 120; i++, n += 2)
		memcpy(many + n, "1,", 2);
	memcpy(many + n, "1]", 3);
	CHECK_EQ_STR(read_fails(reader(), many), "t.yaml: more than 100 YAML nodes");
}

TEST(syntax_errors_with_line_and_column)
{
	const char *e = read_fails(reader(), "a: 1\n  b: 2\n");
	CHECK(strncmp(e, "t.yaml:2:4: ", 12) == 0);
	e = read_fails(reader(), "a: [1, 2\n");
	CHECK(strncmp(e, "t.yaml:2:1: ", 12) == 0);
	/* The words manifests have always used, for errors at any depth. */
	ba_yaml_reader r = reader();
	r.syntax_in_words = true;
	e = read_fails(r, "a: 1\n  b: 2\n");
	CHECK(strncmp(e, "t.yaml: line 2, column 4: ", 26) == 0);
	e = read_fails(r, "a: [1, 2\n");
	CHECK(strncmp(e, "t.yaml: line 2, column 1: ", 26) == 0);
}

TEST(messages_fit_any_buffer)
{
	ba_yaml_reader r = reader();
	char small[8];
	memset(small, 'X', sizeof(small));
	r.err = small;
	r.err_len = sizeof(small);
	ba_yaml_node *root;
	CHECK_EQ_INT(ba_yaml_read(&r, "a: *x\n", 6, &root), -1);
	CHECK_EQ_STR(small, "t.yaml:");
	/* No buffer at all: still refused, nothing written. */
	r.err = NULL;
	r.err_len = 0;
	CHECK_EQ_INT(ba_yaml_read(&r, "a: *x\n", 6, &root), -1);
	CHECK(root == NULL);
	CHECK_EQ_INT(ba_yaml_fail(&r, NULL, "x"), -1);
}

TEST(fail_prefixes_the_node_position)
{
	ba_yaml_node *root = read_ok("a:\n  b: c\n");
	CHECK(root != NULL);
	ba_yaml_reader r = reader();
	const ba_yaml_node *c = ba_yaml_get(ba_yaml_get(root, "a"), "b");
	CHECK_EQ_INT(ba_yaml_fail(&r, c, "%s is wrong (%d)", "a.b", 7), -1);
	CHECK_EQ_STR(err, "t.yaml:2:6: a.b is wrong (7)");
	CHECK_EQ_INT(ba_yaml_fail(&r, NULL, "whole file"), -1);
	CHECK_EQ_STR(err, "t.yaml: whole file");
	ba_yaml_free(root);
}

TEST(key_checks_in_order)
{
	static const char *const allowed[] = {"a", "b", NULL};
	const ba_yaml_node *key;
	struct {
		const char *text;
		ba_yaml_key_problem want;
		const char *key; /* NULL: a key that is not text */
	} cases[] = {
	        {"a: 1\nb: 2\n", BA_YAML_KEYS_OK, NULL},
	        {"a: 1\nc: 2\nc: 3\n", BA_YAML_KEY_UNKNOWN, "c"},
	        {"a: 1\nb: 2\na: 3\n", BA_YAML_KEY_REPEATED, "a"},
	        {"? [a]\n: 1\n", BA_YAML_KEY_NOT_TEXT, NULL},
	        {"\"a\\0b\": 1\n", BA_YAML_KEY_NOT_TEXT, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ba_yaml_node *root = read_ok(cases[i].text);
		CHECK(root != NULL);
		CHECK_EQ_INT(ba_yaml_check_keys(root, allowed, &key), cases[i].want);
		if (cases[i].want == BA_YAML_KEYS_OK)
			CHECK(key == NULL);
		else if (cases[i].key)
			CHECK_EQ_STR(key->value, cases[i].key);
		else
			CHECK(key == root->items[0]);
		ba_yaml_free(root);
	}
	/* NULL allows any name, but not twice. */
	ba_yaml_node *root = read_ok("x: 1\ny: 2\nx: 3\n");
	CHECK(root != NULL);
	CHECK_EQ_INT(ba_yaml_check_keys(root, NULL, &key), BA_YAML_KEY_REPEATED);
	CHECK_EQ_UINT(key->line, 3);
	ba_yaml_free(root);
}

TEST(core_schema_nulls_and_booleans)
{
	/* Block style: a flow list cannot hold an empty entry. */
	ba_yaml_node *root = read_ok("- ~\n- null\n- Null\n- NULL\n-\n- 'null'\n- nul\n"
	                             "- true\n- True\n- TRUE\n- false\n- False\n- FALSE\n"
	                             "- 'true'\n- yes\n- tRUE\n- \"true\\0\"\n");
	CHECK(root != NULL);
	CHECK_EQ_UINT(root->count, 17);
	for (size_t i = 0; i < 5; i++)
		CHECK(ba_yaml_is_null(root->items[i]));
	for (size_t i = 5; i < 17; i++)
		CHECK(!ba_yaml_is_null(root->items[i]));
	bool b = false;
	for (size_t i = 7; i < 10; i++) {
		b = false;
		CHECK(ba_yaml_is_bool(root->items[i], &b) && b);
	}
	for (size_t i = 10; i < 13; i++) {
		b = true;
		CHECK(ba_yaml_is_bool(root->items[i], &b) && !b);
	}
	/* Quoted text counts (the caller decides); yes and tRUE do not. */
	CHECK(ba_yaml_is_bool(root->items[13], &b) && b);
	CHECK(!ba_yaml_is_bool(root->items[14], &b));
	CHECK(!ba_yaml_is_bool(root->items[15], &b));
	CHECK(!ba_yaml_is_bool(root->items[16], &b));
	CHECK(!ba_yaml_is_bool(root, &b));
	ba_yaml_free(root);
}
