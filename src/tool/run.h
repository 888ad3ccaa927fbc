/*
 * run.h - running one tool: manifest + operator grants -> a sandbox ->
 * one call of the tool's _start -> a result.
 *
 * The only place where what a tool declares meets what the operator
 * grants. Effective capabilities = declared ∩ granted (caps.h); a bare
 * .wasm declares nothing, so only grants apply to it. Every declared
 * capability is recorded in the audit log at start, as allow (granted) or
 * deny (declared, not granted); everything the tool then does is recorded
 * by the sandbox layers. If the audit log cannot be written, nothing runs.
 *
 * Used by `boxagent tool run` and, later, by the agent loop - which can
 * only pass grants that came from the operator; nothing a tool or a model
 * says reaches this struct.
 */
#ifndef BA_TOOL_RUN_H
#define BA_TOOL_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "sandbox/audit.h"
#include "sandbox/egress.h"
#include "tool/manifest.h"

#define BA_TOOL_MAX_GRANTS 128
#define BA_TOOL_MAX_MAPS   32
#define BA_TOOL_MAX_ENV    64
#define BA_TOOL_MAX_INPUT  (16u << 20)

/* A guest directory the operator maps to a host directory. */
typedef struct ba_tool_map {
	const char *guest_path; /* absolute guest path, e.g. "/data"    */
	const char *host_path;
	bool read_only; /* caps fs.write grants under it to read  */
} ba_tool_map;

/* A secret value supplied by the operator (borrowed). */
typedef struct ba_tool_secret_value {
	const char *name;
	const char *value;
	size_t value_len;
} ba_tool_secret_value;

/*
 * Cancelling a run from outside: the caller owns one of these (zeroed),
 * passes it in options, and calls ba_tool_interrupt_request() - from
 * another thread, or from a signal handler of the thread running the tool
 * (it only stores atomics, so it is async-signal-safe). A request made
 * before the guest starts stops it at once; the result is BA_TOOL_LIMIT
 * with a message saying the run was cancelled. requested stays set; zero
 * the struct to reuse it.
 */
typedef struct ba_tool_interrupt {
	atomic_bool requested;
	_Atomic(void *) store; /* the running ba_wasm_store, internal        */
} ba_tool_interrupt;
void ba_tool_interrupt_request(ba_tool_interrupt *intr);

typedef struct ba_tool_run_options {
	/* What to run: a manifest (borrowed) or, when NULL, the bare module
	 * at module_path. */
	const ba_manifest *manifest;
	const char *module_path;
	const char *workspace;     /* host dir for /workspace; NULL = none     */
	const char *const *grants; /* capability strings, borrowed          */
	size_t grant_count;
	bool grant_declared; /* --yes: grant everything declared           */
	const void *input;   /* stdin bytes; NULL = "{}"                   */
	size_t input_len;
	/* Limits: 0 = the manifest's value, else the default. Operator values
	 * win over the manifest's. */
	uint64_t timeout_ns;     /* default 30 s                           */
	uint64_t memory_bytes;   /* default 256 MiB                        */
	uint64_t fuel;           /* default 0 = unlimited (timeout bounds)  */
	uint64_t output_bytes;   /* default 1 MiB per stream               */
	uint32_t max_call_depth; /* default 10,000                       */
	const char *audit_log;   /* path; NULL = ba_audit_default_path()     */
	const ba_tool_map *maps;
	size_t map_count;
	const ba_egress_static_host *static_hosts;
	size_t static_host_count;
	const ba_tool_secret_value *secrets;
	size_t secret_count;
	/* Environment values for granted env:NAME ("NAME=VALUE"); names not
	 * listed here are taken from the host environment. */
	const char *const *env;
	size_t env_count;
	/* Streams the tool's stderr as it is written; NULL = capture only. */
	void (*on_stderr)(const char *data, size_t len, void *user);
	void *on_stderr_user;
	/* Hears every audit record of this run as it is written (the
	 * declared allow/deny list first, then what the tool did); NULL =
	 * none. See ba_audit_set_observer(). */
	ba_audit_observer_fn on_audit;
	void *on_audit_user;
	const char *run_id;           /* audit run id; NULL = a random one    */
	ba_tool_interrupt *interrupt; /* NULL = not cancellable             */
} ba_tool_run_options;

typedef enum ba_tool_status {
	BA_TOOL_OK = 0,       /* exit code 0                              */
	BA_TOOL_FAILED,       /* non-zero exit code                        */
	BA_TOOL_CONFIG_ERROR, /* nothing ran: manifest, grant, map, audit  */
	BA_TOOL_TRAP,         /* the tool crashed                          */
	BA_TOOL_LIMIT,        /* fuel, memory, timeout, output, stack      */
} ba_tool_status;

typedef struct ba_tool_result {
	ba_tool_status status;
	uint32_t exit_code;
	ba_buf output;      /* the tool's stdout (owned)                  */
	ba_buf errors;      /* the tool's stderr (owned)                  */
	char message[1024]; /* what happened, for people and models       */
	uint64_t fuel_used;
	uint64_t elapsed_ns; /* load to exit                              */
	unsigned net_requests, net_denied;
} ba_tool_result;

/* Runs the tool. result is initialised here; release it with
 * ba_tool_result_release() whatever the status. */
ba_tool_status ba_tool_run(const ba_tool_run_options *options, ba_tool_result *result);
void ba_tool_result_release(ba_tool_result *result);

/* Computes what a run would grant, without running: effective = declared
 * ∩ granted (or granted alone when manifest is NULL). NULL or an error
 * message (a grant that does not parse) in err. */
const char *ba_tool_effective_caps(const ba_manifest *manifest, const char *const *grants,
                                   size_t grant_count, bool grant_declared, ba_capset *out,
                                   char *err, size_t err_len);

const char *ba_tool_status_name(ba_tool_status status);

#endif
