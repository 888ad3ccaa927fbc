/* Tool manifests: the happy path and every kind of refusal. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "tool/manifest.h"

static ba_manifest *parse(const char *text, char *err, size_t err_len)
{
	return ba_manifest_parse(text, strlen(text), "tool.yaml", "/tools/x", err, err_len);
}

/* Expects text to be refused with a message containing want. */
#define EXPECT_REFUSED(text, want)                                \
	do {                                                      \
		char err_[1024] = "";                             \
		ba_manifest *m_ = parse(text, err_, sizeof err_); \
		CHECK(m_ == NULL);                                \
		ba_manifest_free(m_);                             \
		CHECK_CONTAINS(err_, want);                       \
	} while (0)

static const char full[] = "tool:\n"
                           "  name: web_fetch\n"
                           "  version: 1.0.0\n"
                           "  description: Fetch a URL and return its text\n"
                           "  module: web_fetch.wasm\n"
                           "  input_schema:\n"
                           "    type: object\n"
                           "    properties:\n"
                           "      url: { type: string }\n"
                           "      max_bytes: { type: integer, minimum: 1 }\n"
                           "    required: [url]\n"
                           "  permissions:\n"
                           "    - network:https://api.example.com\n"
                           "    - fs.read:/workspace\n"
                           "    - secret:TOKEN\n"
                           "  limits: { memory: 64MiB, timeout: 10s, fuel: 5000000000, output: "
                           "1MiB }\n"
                           "  secrets:\n"
                           "    TOKEN:\n"
                           "      destinations: [ \"https://api.example.com\" ]\n"
                           "      header: \"Authorization: Bearer {}\"\n";

TEST(manifest_full)
{
	char err[1024] = "";
	ba_manifest *m = parse(full, err, sizeof err);
	CHECK_EQ_STR(err, "");
	CHECK(m != NULL);
	CHECK_EQ_STR(m->name, "web_fetch");
	CHECK_EQ_STR(m->version, "1.0.0");
	CHECK_EQ_STR(m->module_path, "/tools/x/web_fetch.wasm");
	CHECK_EQ_UINT(m->declared->count, 3);
	CHECK_EQ_STR(m->declared->caps[1].text, "fs.read:/workspace");
	CHECK_EQ_UINT(m->memory_bytes, 64u << 20);
	CHECK_EQ_UINT(m->timeout_ns, 10000000000ull);
	CHECK_EQ_UINT(m->fuel, 5000000000ull);
	CHECK_EQ_UINT(m->output_bytes, 1u << 20);
	CHECK_EQ_UINT(m->secret_count, 1);
	CHECK_EQ_STR(m->secrets[0].header, "Authorization: Bearer {}");
	/* Plain scalars become JSON numbers; keys are sorted. */
	CHECK_EQ_STR(m->input_schema, "{\"properties\":{\"max_bytes\":{\"minimum\":1,\"type\":"
	                              "\"integer\"},\"url\":{\"type\":\"string\"}},\"required\":["
	                              "\"url\"],\"type\":\"object\"}");
	ba_manifest_free(m);
}

TEST(manifest_minimal_defaults)
{
	char err[512] = "";
	ba_manifest *m = parse("tool: {name: t, version: '1', description: d, module: /abs/t.wasm}",
	                       err, sizeof err);
	CHECK_EQ_STR(err, "");
	CHECK(m != NULL);
	CHECK_EQ_STR(m->module_path, "/abs/t.wasm");
	CHECK_EQ_STR(m->input_schema, "{}");
	CHECK_EQ_UINT(m->declared->count, 0);
	CHECK_EQ_UINT(m->fuel, 0);
	ba_manifest_free(m);
}

TEST(manifest_bad_capability_names_it_with_line)
{
	EXPECT_REFUSED("tool:\n  name: t\n  version: '1'\n  description: d\n  module: t.wasm\n"
	               "  permissions:\n    - fs.read:/workspace\n    - shell:bash\n",
	               "tool.yaml:8:7: permissions[1]: capability \"shell:bash\"");
}

TEST(manifest_missing_and_unknown_keys)
{
	EXPECT_REFUSED("tool: {name: t, version: '1', module: t.wasm}",
	               "tool.description is required");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: t.wasm, shell: yes}",
	               "unknown key \"shell\"");
	EXPECT_REFUSED("tool: {name: t, name: u, version: '1', description: d, module: t.wasm}",
	               "duplicate key \"name\"");
	EXPECT_REFUSED("other: 1", "unknown key \"other\"");
	EXPECT_REFUSED("", "empty");
	EXPECT_REFUSED("- a\n- b\n", "must be a mapping");
}

TEST(manifest_bad_values)
{
	EXPECT_REFUSED("tool: {name: 'Bad Name', version: '1', description: d, module: t.wasm}",
	               "tool.name");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: t.wasm, "
	               "limits: {memory: lots}}",
	               "limits.memory");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: t.wasm, "
	               "limits: {timeout: 5 parsecs}}",
	               "limits.timeout");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: t.wasm, "
	               "permissions: fs.read:/x}",
	               "must be a list");
	EXPECT_REFUSED("tool: {name: t, version: [1], description: d, module: t.wasm}",
	               "tool.version must be a string");
}

TEST(manifest_secret_binding_rules)
{
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: t.wasm, "
	               "permissions: ['secret:K']}",
	               "has no binding");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: t.wasm, "
	               "secrets: {K: {destinations: ['https://a.example'], header: 'X-K: {}'}}}",
	               "does not declare secret:K");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: t.wasm, "
	               "permissions: ['secret:K'], "
	               "secrets: {K: {destinations: ['https://a.example'], header: 'no hole'}}}",
	               "with one {}");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: t.wasm, "
	               "permissions: ['secret:K'], secrets: {K: {header: 'X: {}'}}}",
	               "destinations must be a non-empty list");
}

TEST(manifest_refuses_aliases_and_syntax_errors)
{
	EXPECT_REFUSED("a: &x [1]\ntool: *x\n", "anchors are not allowed");
	EXPECT_REFUSED("tool: {name: t\n", "tool.yaml: line");
	EXPECT_REFUSED("tool: {}\n---\ntool: {}\n", "more than one YAML document");
}

TEST(manifest_caps_on_size_and_depth)
{
	size_t n = BA_MANIFEST_MAX_BYTES + 10;
	char *big = malloc(n + 1);
	memset(big, '#', n);
	big[n] = '\0';
	char err[256];
	CHECK(ba_manifest_parse(big, n, "big.yaml", ".", err, sizeof err) == NULL);
	CHECK_CONTAINS(err, "larger than");
	free(big);

	char deep[1024] = "tool: ";
	size_t len = strlen(deep);
	for (int i = 0; i < 200; i++)
		deep[len++] = '[';
	deep[len] = '\0';
	EXPECT_REFUSED(deep, "nesting deeper than");
}

TEST(manifest_load_from_file)
{
	char dir[] = "/tmp/ba-manifest-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	snprintf(path, sizeof path, "%s/tool.yaml", dir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(full, f);
	fclose(f);
	char err[512] = "";
	ba_manifest *m = ba_manifest_load(path, err, sizeof err);
	CHECK(m != NULL);
	char want[300];
	snprintf(want, sizeof want, "%s/web_fetch.wasm", dir);
	CHECK_EQ_STR(m->module_path, want);
	ba_manifest_free(m);
	unlink(path);
	rmdir(dir);

	CHECK(ba_manifest_load("/nonexistent/tool.yaml", err, sizeof err) == NULL);
	CHECK_CONTAINS(err, "/nonexistent/tool.yaml");
}

/* Regression (fuzz_manifest): a number that overflows to infinity made
 * the parse fail without writing any message, so the CLI printed an
 * uninitialised buffer. */
TEST(manifest_schema_numbers_must_be_finite)
{
	char err[256];
	memset(err, 'X', sizeof err);
	ba_manifest *m = parse("tool: {name: t, version: '1', description: d, module: m, "
	                       "input_schema: {a: 1e999}}",
	                       err, sizeof err);
	CHECK(m == NULL);
	CHECK(memchr(err, '\0', sizeof err) != NULL);
	CHECK_CONTAINS(err, "1e999 is not a finite number");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: m, "
	               "input_schema: {a: -1e999}}",
	               "not a finite number");
	EXPECT_REFUSED("tool: {name: t, version: '1', description: d, module: m, "
	               "input_schema: {a: \"x\\0y\"}}",
	               "NUL byte");
}
