/*
 * run.c - one tool run, from grants to result (see run.h).
 */
#include "tool/run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/file.h"
#include "sandbox/audit.h"
#include "sandbox/linker.h"
#include "sandbox/secrets.h"
#include "sandbox/wasi.h"
#include "tool/abi.h"
#include "wasm/wasm.h"

#define DEFAULT_TIMEOUT_NS (30ull * 1000000000ull)
#define DEFAULT_MEMORY     (256ull << 20)
#define DEFAULT_OUTPUT     (4ull << 20)
#define MAX_MODULE_BYTES   (64u << 20)
#define WORKSPACE          "/workspace"

const char *ba_tool_status_name(ba_tool_status status)
{
	switch (status) {
	case BA_TOOL_OK:
		return "ok";
	case BA_TOOL_FAILED:
		return "failed";
	case BA_TOOL_CONFIG_ERROR:
		return "config-error";
	case BA_TOOL_TRAP:
		return "trap";
	case BA_TOOL_LIMIT:
		return "limit";
	}
	return "?";
}

/* The effective value of one limit: the operator's if given, else the
 * manifest's if it is below the default, else the default. 0 = unset (for
 * the default: unlimited). */
static uint64_t limit_of(uint64_t operator_value, uint64_t manifest_value, uint64_t fallback)
{
	if (operator_value)
		return operator_value;
	if (manifest_value && (fallback == 0 || manifest_value < fallback))
		return manifest_value;
	return fallback;
}

static ba_tool_status set_status(ba_tool_result *res, ba_tool_status status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static ba_tool_status set_status(ba_tool_result *res, ba_tool_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof res->message, fmt, ap);
	va_end(ap);
	res->status = status;
	return status;
}

const char *ba_tool_effective_caps(const ba_manifest *manifest, const char *const *grants,
                                   size_t grant_count, bool grant_declared, ba_capset *out,
                                   char *err, size_t err_len)
{
	ba_capset *granted = ba_capset_new();
	if (!granted) {
		snprintf(err, err_len, "out of memory");
		return err;
	}
	const char *e = NULL;
	if (grant_count > BA_TOOL_MAX_GRANTS) {
		snprintf(err, err_len, "more than %d --grant capabilities", BA_TOOL_MAX_GRANTS);
		e = err;
	}
	for (size_t i = 0; !e && i < grant_count; i++)
		e = ba_capset_add(granted, grants[i], err, err_len);
	if (!e && grant_declared && manifest)
		for (size_t i = 0; !e && i < manifest->declared->count; i++)
			e = ba_capset_add(granted, manifest->declared->caps[i].text, err, err_len);
	if (!e) {
		if (manifest)
			ba_capset_intersect(manifest->declared, granted, out);
		else if (ba_capset_copy(out, granted) != 0) {
			snprintf(err, err_len, "out of memory");
			e = err;
		}
	}
	ba_capset_free(granted);
	return e;
}

/* Records, for every declared capability, whether the operator granted it
 * (and as what): the first lines of every run in the audit log. */
static int record_declared(ba_audit *audit, const char *tool, const ba_manifest *manifest,
                           const ba_capset *effective)
{
	ba_capset *one = ba_capset_new(), *meet = ba_capset_new();
	int rc = (one && meet) ? 0 : -1;
	const ba_capset *source = manifest ? manifest->declared : effective;
	for (size_t i = 0; rc == 0 && i < source->count; i++) {
		const ba_cap *cap = &source->caps[i];
		one->count = 0;
		if (ba_capset_push(one, cap) != 0) {
			rc = -1;
			break;
		}
		size_t n = ba_capset_intersect(one, effective, meet);
		/* Allowed only when the grant gives this kind: fs.write declared
		 * and only fs.read granted is a refused write (reading comes
		 * with it), and the record must say so - an operator reading the
		 * log learns from it what a tool was allowed. */
		size_t same_kind = 0;
		while (same_kind < n && meet->caps[same_kind].kind != cap->kind)
			same_kind++;
		bool allowed = same_kind < n;
		char reason[BA_CAP_TEXT_MAX + 96];
		if (!manifest)
			snprintf(reason, sizeof reason, "granted by the operator");
		else if (allowed)
			snprintf(reason, sizeof reason, "declared and granted as %s",
			         meet->caps[same_kind].text);
		else if (n > 0)
			snprintf(reason, sizeof reason,
			         "declared by the tool, granted by the operator only as %s",
			         meet->caps[0].text);
		else
			snprintf(reason, sizeof reason,
			         "declared by the tool, not granted by the operator");
		ba_audit_event ev = {.tool = tool,
		                     .allowed = allowed,
		                     .capability = ba_cap_kind_name(cap->kind),
		                     .target = cap->text,
		                     .bytes = -1,
		                     .reason = reason};
		rc = ba_audit_record(audit, &ev);
	}
	ba_capset_free(one);
	ba_capset_free(meet);
	return rc;
}

/* Host path for a guest path under /workspace or an operator map. */
static const char *host_path_for(const ba_tool_run_options *opt, const char *guest, char *out,
                                 size_t out_len, bool *read_only)
{
	const char *best_guest = NULL, *best_host = NULL;
	bool best_ro = false;
	if (opt->workspace && ba_guest_path_within(WORKSPACE, guest)) {
		best_guest = WORKSPACE;
		best_host = opt->workspace;
	}
	for (size_t i = 0; i < opt->map_count; i++) {
		const ba_tool_map *m = &opt->maps[i];
		if (ba_guest_path_within(m->guest_path, guest) &&
		    (!best_guest || strlen(m->guest_path) > strlen(best_guest))) {
			best_guest = m->guest_path;
			best_host = m->host_path;
			best_ro = m->read_only;
		}
	}
	if (!best_guest)
		return "no host directory is mapped there (use --workspace for /workspace or --map "
		       "GUEST=HOSTDIR)";
	const char *rest = guest + strlen(best_guest);
	if (strcmp(best_guest, "/") == 0)
		rest = guest;
	int n = snprintf(out, out_len, "%s%s", best_host, rest);
	if (n < 0 || (size_t)n >= out_len)
		return "the host path is too long";
	*read_only = best_ro;
	return NULL;
}

typedef struct run_state {
	ba_audit *audit;
	ba_capset *effective;
	ba_wasi_preopen preopens[BA_WASI_MAX_PREOPENS];
	char *preopen_guest[BA_WASI_MAX_PREOPENS];
	char *preopen_host[BA_WASI_MAX_PREOPENS];
	size_t preopen_count;
	char *env[BA_TOOL_MAX_ENV];
	size_t env_count;
	ba_secrets *secrets;
	uint8_t *module_bytes;
	size_t module_len;
	ba_wasm_module *module;
	ba_wasm_store *store;
	ba_wasi *wasi;
	ba_egress *egress;
	ba_abi *abi;
	ba_linker *linker;
} run_state;

static void state_release(run_state *st)
{
	ba_linker_free(st->linker);
	ba_abi_free(st->abi);
	ba_egress_free(st->egress);
	ba_wasi_free(st->wasi);
	ba_wasm_store_free(st->store);
	ba_wasm_module_release(st->module);
	free(st->module_bytes);
	if (st->secrets)
		ba_secrets_free(st->secrets);
	for (size_t i = 0; i < st->env_count; i++)
		free(st->env[i]);
	for (size_t i = 0; i < st->preopen_count; i++) {
		free(st->preopen_guest[i]);
		free(st->preopen_host[i]);
	}
	ba_capset_free(st->effective);
	ba_audit_close(st->audit);
}

static char *dup_text(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static ba_tool_status build_preopens(const ba_tool_run_options *opt, run_state *st,
                                     ba_tool_result *res)
{
	for (size_t i = 0; i < st->effective->count; i++) {
		const ba_cap *cap = &st->effective->caps[i];
		if (cap->kind != BA_CAP_FS_READ && cap->kind != BA_CAP_FS_WRITE)
			continue;
		/* fs.read:X and fs.write:X together are one folder: a second
		 * preopen of the same guest path would shadow the first, and the
		 * guest would see it read-only or writable depending on order. */
		size_t same = 0;
		while (same < st->preopen_count && strcmp(st->preopen_guest[same], cap->path) != 0)
			same++;
		if (same == BA_WASI_MAX_PREOPENS)
			return set_status(res, BA_TOOL_CONFIG_ERROR, "more than %d file grants",
			                  BA_WASI_MAX_PREOPENS);
		char host[4096];
		bool read_only = false;
		const char *e = host_path_for(opt, cap->path, host, sizeof host, &read_only);
		if (e)
			return set_status(res, BA_TOOL_CONFIG_ERROR, "%s: %s", cap->text, e);
		bool writable = cap->kind == BA_CAP_FS_WRITE && !read_only;
		if (same < st->preopen_count) {
			st->preopens[same].writable |= writable;
			continue;
		}
		struct stat sb;
		if (stat(host, &sb) != 0)
			return set_status(res, BA_TOOL_CONFIG_ERROR, "%s: host path %s: %s",
			                  cap->text, host, strerror(errno));
		size_t k = st->preopen_count;
		st->preopen_guest[k] = dup_text(cap->path);
		st->preopen_host[k] = dup_text(host);
		if (!st->preopen_guest[k] || !st->preopen_host[k]) {
			free(st->preopen_guest[k]);
			free(st->preopen_host[k]);
			return set_status(res, BA_TOOL_CONFIG_ERROR, "out of memory");
		}
		st->preopens[k] = (ba_wasi_preopen){.guest_path = st->preopen_guest[k],
		                                    .host_path = st->preopen_host[k],
		                                    .writable = writable};
		st->preopen_count++;
	}
	return BA_TOOL_OK;
}

static ba_tool_status build_env(const ba_tool_run_options *opt, run_state *st, ba_tool_result *res)
{
	for (size_t i = 0; i < st->effective->count; i++) {
		const ba_cap *cap = &st->effective->caps[i];
		if (cap->kind != BA_CAP_ENV)
			continue;
		const char *value = NULL;
		size_t name_len = strlen(cap->name);
		for (size_t j = 0; j < opt->env_count; j++)
			if (strncmp(opt->env[j], cap->name, name_len) == 0 &&
			    opt->env[j][name_len] == '=')
				value = opt->env[j] + name_len + 1;
		if (!value)
			value = getenv(cap->name);
		if (!value)
			continue; /* granted but unset: the tool sees it unset */
		if (st->env_count == BA_TOOL_MAX_ENV)
			return set_status(res, BA_TOOL_CONFIG_ERROR,
			                  "more than %d environment variables", BA_TOOL_MAX_ENV);
		size_t len = name_len + strlen(value) + 2;
		char *kv = malloc(len);
		if (!kv)
			return set_status(res, BA_TOOL_CONFIG_ERROR, "out of memory");
		snprintf(kv, len, "%s=%s", cap->name, value);
		st->env[st->env_count++] = kv;
	}
	return BA_TOOL_OK;
}

static ba_tool_status build_secrets(const ba_tool_run_options *opt, run_state *st,
                                    ba_tool_result *res)
{
	for (size_t i = 0; i < st->effective->count; i++) {
		const ba_cap *cap = &st->effective->caps[i];
		if (cap->kind != BA_CAP_SECRET)
			continue;
		/* The table is large; only runs that hold secrets make one. */
		if (!st->secrets && !(st->secrets = ba_secrets_new()))
			return set_status(res, BA_TOOL_CONFIG_ERROR, "out of memory");
		const ba_manifest_secret *binding = NULL;
		for (size_t s = 0; opt->manifest && s < opt->manifest->secret_count; s++)
			if (strcmp(opt->manifest->secrets[s].name, cap->name) == 0)
				binding = &opt->manifest->secrets[s];
		if (!binding)
			return set_status(
			        res, BA_TOOL_CONFIG_ERROR,
			        "secret:%s is granted, but no manifest binds it to a destination",
			        cap->name);
		const ba_tool_secret_value *value = NULL;
		for (size_t v = 0; v < opt->secret_count; v++)
			if (strcmp(opt->secrets[v].name, cap->name) == 0)
				value = &opt->secrets[v];
		if (!value)
			return set_status(
			        res, BA_TOOL_CONFIG_ERROR,
			        "secret:%s is granted but has no value (give one with --secret "
			        "%s=env:VAR or --secret %s=file:PATH)",
			        cap->name, cap->name, cap->name);
		const char *dests[8];
		for (size_t d = 0; d < binding->dest_count; d++)
			dests[d] = binding->dests[d];
		char err[512];
		if (ba_secrets_add(st->secrets, cap->name, value->value, value->value_len,
		                   binding->header, dests, binding->dest_count, err, sizeof err))
			return set_status(res, BA_TOOL_CONFIG_ERROR, "secret:%s: %s", cap->name,
			                  err);
	}
	return BA_TOOL_OK;
}

/* Maps how the guest stopped to a status and message. */
static ba_tool_status classify(run_state *st, const char *tool, ba_wasm_err err,
                               const ba_wasm_diag *diag, uint64_t timeout_ns, bool cancelled,
                               ba_tool_result *res)
{
	uint32_t code = 0;
	if (ba_wasi_exited(st->wasi, &code) || err == BA_WASM_OK) {
		res->exit_code = code;
		if (code == 0)
			return set_status(res, BA_TOOL_OK, "%s succeeded", tool);
		return set_status(res, BA_TOOL_FAILED, "%s failed with exit code %u", tool, code);
	}
	const char *limit = NULL;
	char detail[600];
	if (ba_wasi_output_exceeded(st->wasi)) {
		limit = "output";
		snprintf(detail, sizeof detail, "%s", diag->message);
	} else if (err == BA_WASM_ERR_TRAP && diag->trap == BA_WASM_TRAP_FUEL_EXHAUSTED) {
		limit = "fuel";
		snprintf(detail, sizeof detail, "fuel exhausted");
	} else if (err == BA_WASM_ERR_TRAP && diag->trap == BA_WASM_TRAP_INTERRUPTED && cancelled) {
		limit = "cancel";
		snprintf(detail, sizeof detail, "cancelled by the operator");
	} else if (err == BA_WASM_ERR_TRAP && diag->trap == BA_WASM_TRAP_INTERRUPTED) {
		limit = "timeout";
		snprintf(detail, sizeof detail, "timed out after %.3g s", (double)timeout_ns / 1e9);
	} else if (err == BA_WASM_ERR_TRAP && diag->trap == BA_WASM_TRAP_STACK_EXHAUSTED) {
		limit = "stack";
		snprintf(detail, sizeof detail, "%s", diag->message);
	} else if (err == BA_WASM_ERR_LIMIT || err == BA_WASM_ERR_NOMEM) {
		limit = "memory";
		snprintf(detail, sizeof detail, "%s", diag->message);
	}
	if (limit) {
		ba_audit_event ev = {.tool = tool,
		                     .allowed = false,
		                     .capability = "limit",
		                     .target = limit,
		                     .bytes = -1,
		                     .reason = detail};
		if (ba_audit_record(st->audit, &ev) != 0)
			return set_status(res, BA_TOOL_LIMIT,
			                  "%s stopped: %s (and the audit log failed: %s)", tool,
			                  detail, ba_audit_error(st->audit));
		if (cancelled)
			return set_status(res, BA_TOOL_LIMIT, "%s stopped: %s", tool, detail);
		return set_status(res, BA_TOOL_LIMIT, "%s stopped: %s limit exceeded: %s", tool,
		                  limit, detail);
	}
	return set_status(res, BA_TOOL_TRAP, "%s crashed: %s", tool, diag->message);
}

static void tool_stderr(const char *data, size_t len, void *user)
{
	const ba_tool_run_options *opt = user;
	if (opt->on_stderr)
		opt->on_stderr(data, len, opt->on_stderr_user);
}

void ba_tool_interrupt_request(ba_tool_interrupt *intr)
{
	if (!intr)
		return;
	atomic_store(&intr->requested, true);
	/* The store cannot be freed under us: it is unpublished by the thread
	 * running the tool, which is either this one (in a signal handler,
	 * stopped) or synchronised with the caller by the caller. */
	void *store = atomic_load(&intr->store);
	if (store)
		ba_wasm_store_interrupt(store);
}

ba_tool_status ba_tool_run(const ba_tool_run_options *opt, ba_tool_result *res)
{
	memset(res, 0, sizeof *res);
	uint64_t started = ba_mono_ns();
	const ba_manifest *manifest = opt->manifest;
	const char *module_path = manifest ? manifest->module_path : opt->module_path;
	char tool[128];
	if (manifest) {
		snprintf(tool, sizeof tool, "%s", manifest->name);
	} else {
		const char *base = module_path ? strrchr(module_path, '/') : NULL;
		snprintf(tool, sizeof tool, "%s",
		         base          ? base + 1
		         : module_path ? module_path
		                       : "?");
	}

	/* A manifest is written by the tool's author, the party the sandbox
	 * defends against: it may ask for less than the defaults, never more.
	 * Only the operator's values may go above them. */
	uint64_t timeout =
	        limit_of(opt->timeout_ns, manifest ? manifest->timeout_ns : 0, DEFAULT_TIMEOUT_NS);
	uint64_t memory =
	        limit_of(opt->memory_bytes, manifest ? manifest->memory_bytes : 0, DEFAULT_MEMORY);
	uint64_t fuel = limit_of(opt->fuel, manifest ? manifest->fuel : 0, 0);
	uint64_t output =
	        limit_of(opt->output_bytes, manifest ? manifest->output_bytes : 0, DEFAULT_OUTPUT);
	ba_buf_init(&res->output, (size_t)output);
	ba_buf_init(&res->errors, (size_t)output);
	if (!module_path)
		return set_status(res, BA_TOOL_CONFIG_ERROR, "no module to run");
	if (opt->input_len > BA_TOOL_MAX_INPUT)
		return set_status(res, BA_TOOL_CONFIG_ERROR, "the input is larger than %u bytes",
		                  BA_TOOL_MAX_INPUT);

	run_state st;
	memset(&st, 0, sizeof st);
	char err[2048];
	ba_tool_status status = BA_TOOL_OK;

	st.effective = ba_capset_new();
	if (!st.effective) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "out of memory");
		goto out;
	}
	if (ba_tool_effective_caps(manifest, opt->grants, opt->grant_count, opt->grant_declared,
	                           st.effective, err, sizeof err)) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "%s", err);
		goto out;
	}

	char audit_path[4096];
	if (opt->audit_log)
		snprintf(audit_path, sizeof audit_path, "%s", opt->audit_log);
	else if (ba_audit_default_path(audit_path, sizeof audit_path) != 0) {
		status = set_status(
		        res, BA_TOOL_CONFIG_ERROR,
		        "no audit log path: set BOXAGENT_HOME or HOME, or pass --audit-log");
		goto out;
	}
	st.audit = ba_audit_open(audit_path, err, sizeof err);
	if (!st.audit) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "audit log: %s", err);
		goto out;
	}
	if (opt->run_id && opt->run_id[0])
		ba_audit_set_run_id(st.audit, opt->run_id);
	if (opt->on_audit)
		ba_audit_set_observer(st.audit, opt->on_audit, opt->on_audit_user);
	if (record_declared(st.audit, tool, manifest, st.effective) != 0) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "audit log: %s",
		                    ba_audit_error(st.audit));
		goto out;
	}
	if ((status = build_preopens(opt, &st, res)) != BA_TOOL_OK ||
	    (status = build_env(opt, &st, res)) != BA_TOOL_OK ||
	    (status = build_secrets(opt, &st, res)) != BA_TOOL_OK)
		goto out;

	if (ba_read_file(module_path, MAX_MODULE_BYTES, &st.module_bytes, &st.module_len, err,
	                 sizeof err) != 0) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "%s", err);
		goto out;
	}
	ba_wasm_diag diag;
	memset(&diag, 0, sizeof diag);
	if (ba_wasm_module_load(st.module_bytes, st.module_len, NULL, &st.module, &diag) !=
	    BA_WASM_OK) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "%s: not a valid module: %s",
		                    module_path, diag.message);
		goto out;
	}
	/* The module keeps what it needs; giving the bytes back now lets the
	 * allocations below reuse pages already faulted in (a fault costs
	 * ~10 us on a VM, a measurable part of a tool's start-up). */
	free(st.module_bytes);
	st.module_bytes = NULL;

	uint64_t deadline = started + timeout;
	ba_wasm_limits limits = {.max_memory_bytes = memory,
	                         .max_call_depth = opt->max_call_depth,
	                         .fuel = fuel,
	                         .deadline_ns = deadline};
	st.store = ba_wasm_store_new(&limits);

	const char *argv[] = {tool};
	static const char empty_input[] = "{}";
	ba_wasi_config wcfg = {.tool_name = tool,
	                       .audit = st.audit,
	                       .argv = argv,
	                       .argc = 1,
	                       .environ = (const char *const *)st.env,
	                       .environ_count = st.env_count,
	                       .preopens = st.preopens,
	                       .preopen_count = st.preopen_count,
	                       .stdin_data = opt->input ? opt->input : empty_input,
	                       .stdin_len = opt->input ? opt->input_len : 2,
	                       .max_stdout = (size_t)output,
	                       .max_stderr = (size_t)output,
	                       .deadline_ns = deadline,
	                       .on_stderr = tool_stderr,
	                       .on_stderr_user = (void *)(uintptr_t)opt};
	if (!st.store) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "out of memory");
		goto out;
	}
	st.wasi = ba_wasi_new(&wcfg, err, sizeof err);
	if (!st.wasi) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "%s", err);
		goto out;
	}
	ba_egress_config ecfg = {.tool_name = tool,
	                         .caps = st.effective,
	                         .secrets = st.secrets,
	                         .audit = st.audit,
	                         .static_hosts = opt->static_hosts,
	                         .static_host_count = opt->static_host_count,
	                         .deadline_ns = deadline};
	st.egress = ba_egress_new(&ecfg);
	st.abi = ba_abi_new(st.egress, 0);
	st.linker = ba_linker_new();
	if (!st.egress || !st.abi || !st.linker || ba_wasi_link(st.wasi, st.linker) != 0 ||
	    ba_abi_link(st.abi, st.linker) != 0) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "out of memory");
		goto out;
	}

	ba_wasm_instance *inst = NULL;
	ba_wasm_err werr = ba_linker_instantiate(st.linker, st.store, st.module, &inst, &diag);
	if (werr == BA_WASM_ERR_LINK || werr == BA_WASM_ERR_ARGS) {
		status = set_status(res, BA_TOOL_CONFIG_ERROR, "%s: %s", module_path, diag.message);
		goto out;
	}
	if (werr == BA_WASM_OK) {
		ba_wasm_extern start;
		if (!ba_wasm_instance_export(inst, "_start", &start) ||
		    start.kind != BA_WASM_EXTERN_FUNC) {
			status = set_status(
			        res, BA_TOOL_CONFIG_ERROR,
			        "%s is not a WASI command: it exports no _start function",
			        module_path);
			goto out;
		}
		const ba_wasm_functype *ft = ba_wasm_func_type(start.of.func);
		if (ft->param_count != 0 || ft->result_count != 0) {
			status = set_status(res, BA_TOOL_CONFIG_ERROR,
			                    "%s: _start must take and return nothing", module_path);
			goto out;
		}
		if (opt->interrupt) {
			atomic_store(&opt->interrupt->store, (void *)st.store);
			/* A request that came before the store was published. */
			if (atomic_load(&opt->interrupt->requested))
				ba_wasm_store_interrupt(st.store);
		}
		werr = ba_wasm_call(start.of.func, NULL, 0, NULL, 0, &diag);
		if (opt->interrupt)
			atomic_store(&opt->interrupt->store, NULL);
	}
	status = classify(&st, tool, werr, &diag, timeout,
	                  opt->interrupt && atomic_load(&opt->interrupt->requested), res);
	res->fuel_used = ba_wasm_store_fuel_consumed(st.store);
	ba_abi_stats(st.abi, &res->net_requests, &res->net_denied);

	/* Hand the captured streams to the caller. */
	const ba_buf *out_buf = ba_wasi_stdout(st.wasi), *err_buf = ba_wasi_stderr(st.wasi);
	if ((out_buf->len && ba_buf_append(&res->output, out_buf->data, out_buf->len) != 0) ||
	    (err_buf->len && ba_buf_append(&res->errors, err_buf->data, err_buf->len) != 0))
		status = set_status(res, BA_TOOL_LIMIT, "%s: output too large", tool);
out:
	res->elapsed_ns = ba_mono_ns() - started;
	state_release(&st);
	res->status = status;
	return status;
}

void ba_tool_result_release(ba_tool_result *result)
{
	ba_buf_release(&result->output);
	ba_buf_release(&result->errors);
}
