/*
 * manifest.h - a tool's manifest: what it is, what module it runs, what
 * input it takes, what it may ask for, and its limits.
 *
 *   tool:
 *     name: web_fetch            # [a-z0-9_-]{1,64}, required
 *     version: 1.0.0             # required
 *     description: ...           # required
 *     module: web_fetch.wasm     # relative to the manifest's folder
 *     input_schema: {...}        # any mapping; kept as JSON text
 *     permissions: [ CAP, ... ]  # capability strings (caps.h)
 *     limits: { memory: 64MiB, timeout: 10s, fuel: 5000000000, output: 1MiB }
 *     secrets:                   # bindings for secret:NAME permissions
 *       NAME: { destinations: [ URL, ... ], header: "Authorization: Bearer {}" }
 *
 * Parsing is strict: unknown keys, wrong types, duplicate keys, a
 * capability that does not parse, a secret permission without a binding
 * (or a binding without the permission) are errors with the file, line
 * and column ("tool.yaml:7:5: permissions[1]: capability \"net:x\" is not
 * valid: ..."). YAML anchors and aliases are refused (billion-laughs).
 * The file is capped at BA_MANIFEST_MAX_BYTES.
 */
#ifndef BA_TOOL_MANIFEST_H
#define BA_TOOL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "sandbox/caps.h"

#define BA_MANIFEST_MAX_BYTES   (256 * 1024)
#define BA_MANIFEST_SECRETS_MAX 16

typedef struct ba_manifest_secret {
	char name[256];
	char header[512];
	size_t dest_count;
	char dests[8][BA_CAP_TEXT_MAX];
} ba_manifest_secret;

typedef struct ba_manifest {
	char name[65];
	char version[65];
	char *description;   /* owned */
	char *module_path;   /* owned; resolved against the manifest folder */
	char *input_schema;  /* owned JSON text; "{}" when absent            */
	ba_capset *declared; /* owned                                     */
	/* Limits; 0 = not set (the runner's defaults apply). */
	uint64_t memory_bytes;
	uint64_t timeout_ns;
	uint64_t fuel;
	uint64_t output_bytes;
	size_t secret_count;
	ba_manifest_secret secrets[BA_MANIFEST_SECRETS_MAX];
} ba_manifest;

/* Loads path (borrowed). NULL with a message in err on any error. */
ba_manifest *ba_manifest_load(const char *path, char *err, size_t err_len);
/* Parses YAML text; origin names it in messages, base_dir resolves the
 * module path. */
ba_manifest *ba_manifest_parse(const char *text, size_t len, const char *origin,
                               const char *base_dir, char *err, size_t err_len);
void ba_manifest_free(ba_manifest *manifest);

#endif
