/*
 * cmd_tool.c - `boxagent tool run` and `boxagent tool inspect`: one tool,
 * run in the sandbox with exactly the capabilities the operator grants.
 */
#include "cli/cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "core/parse.h"
#include "sandbox/caps.h"
#include "tool/manifest.h"
#include "tool/run.h"

#define MAX_SECRET_FILE 4096

const char ba_cli_tool_help[] =
        "usage: boxagent tool run TOOL [OPTIONS]\n"
        "       boxagent tool inspect TOOL [--json]\n"
        "\n"
        "TOOL is a manifest (tool.yaml) or a bare .wasm module; a bare module\n"
        "declares nothing, so only --grant capabilities apply to it.\n"
        "\n"
        "run      runs the tool once: its input JSON is its stdin, its stdout\n"
        "         (the result) is printed, its stderr streamed. The tool gets\n"
        "         exactly declared ∩ granted capabilities (docs/capabilities.md).\n"
        "inspect  prints what the tool declares: capabilities, limits, input\n"
        "         schema, secret bindings.\n"
        "\n"
        "Options of run:\n"
        "  --workspace DIR       host folder seen as /workspace (default: none)\n"
        "  --grant CAP           grant a capability, e.g. fs.read:/workspace,\n"
        "                        network:https://api.example.com (repeatable)\n"
        "  --yes                 grant everything the manifest declares (printed\n"
        "                        to stderr first)\n"
        "  --input JSON          the tool's input (default {})\n"
        "  --input-file FILE     read the input from FILE (- for stdin)\n"
        "  --timeout D           wall-clock limit, e.g. 10s (default 30s)\n"
        "  --max-memory SIZE     linear memory cap (default 256MiB)\n"
        "  --fuel N              instruction budget (default unlimited)\n"
        "  --max-output SIZE     cap on stdout and on stderr (default 4MiB each)\n"
        "  --audit-log FILE      audit log (default $BOXAGENT_HOME/audit.log)\n"
        "A manifest's limits apply only where they are below these defaults;\n"
        "only the operator's options can raise a limit.\n"
        "  --map GUEST=HOST[:ro] make host folder HOST visible at guest path\n"
        "                        GUEST (still only where fs grants allow)\n"
        "  --resolve HOST=ADDR   resolve HOST to ADDR (still classified: a\n"
        "                        private ADDR stays refused)\n"
        "  --secret NAME=env:VAR | NAME=file:PATH\n"
        "                        the value of secret NAME (it also needs the\n"
        "                        grant secret:NAME); the tool never sees it\n"
        "  --env NAME=VALUE      value for a granted env:NAME (default: the\n"
        "                        variable from boxagent's own environment)\n"
        "\n"
        "Exit status: 0 the tool succeeded, 1 the tool failed, 2 usage or\n"
        "configuration error (nothing ran), 3 the tool crashed (trap), 4 a\n"
        "limit stopped it (fuel, memory, timeout, output, stack).\n";

static const char run_usage[] =
        "usage: boxagent tool run TOOL [OPTIONS] (see 'boxagent help tool')\n";

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Loads TOOL: a manifest, or NULL for a bare .wasm. */
static int load_tool(const char *path, ba_manifest **manifest)
{
	*manifest = NULL;
	if (has_suffix(path, ".wasm"))
		return access(path, R_OK) == 0
		               ? BA_EXIT_OK
		               : ba_cli_usage_error("%s: %s", path, strerror(errno));
	char err[2048] = "";
	*manifest = ba_manifest_load(path, err, sizeof err);
	if (!*manifest)
		return ba_cli_usage_error("%s", err);
	return BA_EXIT_OK;
}

static void print_caps(FILE *out, const char *title, const ba_capset *set)
{
	fprintf(out, "%s\n", title);
	if (set->count == 0)
		fprintf(out, "  (none)\n");
	for (size_t i = 0; i < set->count; i++)
		fprintf(out, "  %s\n", set->caps[i].text);
}

static void stream_stderr(const char *data, size_t len, void *user)
{
	(void)user;
	fwrite(data, 1, len, stderr);
	fflush(stderr);
}

#define MAX_LIST 128

typedef struct run_args {
	const char *tool;
	const char *grants[MAX_LIST];
	size_t grant_count;
	ba_tool_map maps[BA_TOOL_MAX_MAPS];
	char *map_text[BA_TOOL_MAX_MAPS];
	size_t map_count;
	ba_egress_static_host hosts[BA_EGRESS_STATIC_HOSTS_MAX];
	size_t host_count;
	ba_tool_secret_value secrets[BA_SECRET_MAX];
	size_t secret_count;
	const char *env[BA_TOOL_MAX_ENV];
	size_t env_count;
} run_args;

static void run_args_release(run_args *a)
{
	for (size_t i = 0; i < a->map_count; i++)
		free(a->map_text[i]);
	for (size_t i = 0; i < a->secret_count; i++) {
		/* values came from files or the environment; wipe our copies */
		char *v = (char *)(uintptr_t)a->secrets[i].value;
		explicit_bzero(v, a->secrets[i].value_len);
		free(v);
		free((char *)(uintptr_t)a->secrets[i].name);
	}
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int parse_map(run_args *a, const char *text)
{
	if (a->map_count == BA_TOOL_MAX_MAPS)
		return ba_cli_usage_error("more than %d --map options", BA_TOOL_MAX_MAPS);
	const char *eq = strchr(text, '=');
	if (!eq || eq == text || !eq[1])
		return ba_cli_usage_error("--map %s: expected GUEST=HOSTDIR[:ro]", text);
	char *copy = dup_n(text, strlen(text));
	if (!copy)
		return ba_cli_usage_error("out of memory");
	char *host = copy + (eq - text);
	*host++ = '\0';
	bool ro = false;
	if (has_suffix(host, ":ro")) {
		ro = true;
		host[strlen(host) - 3] = '\0';
	} else if (has_suffix(host, ":rw")) {
		host[strlen(host) - 3] = '\0';
	}
	char norm[BA_CAP_TEXT_MAX];
	const char *e = ba_guest_path_normalize(copy, norm, sizeof norm);
	if (e) {
		free(copy);
		return ba_cli_usage_error("--map %s: guest path: %s", text, e);
	}
	/* Keep the normalised guest path in the same allocation. */
	size_t glen = strlen(norm), hlen = strlen(host);
	char *joined = malloc(glen + hlen + 2);
	if (!joined) {
		free(copy);
		return ba_cli_usage_error("out of memory");
	}
	memcpy(joined, norm, glen + 1);
	memcpy(joined + glen + 1, host, hlen + 1);
	free(copy);
	a->map_text[a->map_count] = joined;
	a->maps[a->map_count++] = (ba_tool_map){
	        .guest_path = joined, .host_path = joined + glen + 1, .read_only = ro};
	return BA_EXIT_OK;
}

static int parse_secret(run_args *a, const char *text)
{
	if (a->secret_count == BA_SECRET_MAX)
		return ba_cli_usage_error("more than %d --secret options", BA_SECRET_MAX);
	const char *eq = strchr(text, '=');
	if (!eq || eq == text)
		return ba_cli_usage_error("--secret %s: expected NAME=env:VAR or NAME=file:PATH",
		                          text);
	char *value = NULL;
	size_t len = 0;
	if (strncmp(eq + 1, "env:", 4) == 0) {
		const char *v = getenv(eq + 5);
		if (!v)
			return ba_cli_usage_error(
			        "--secret %.*s: environment variable %s is not set",
			        (int)(eq - text), text, eq + 5);
		len = strlen(v);
		value = dup_n(v, len);
	} else if (strncmp(eq + 1, "file:", 5) == 0) {
		uint8_t *data;
		char err[512];
		if (ba_read_file(eq + 6, MAX_SECRET_FILE, &data, &len, err, sizeof err) != 0)
			return ba_cli_usage_error("--secret %.*s: %s", (int)(eq - text), text, err);
		/* A trailing newline in a key file is never part of the key. */
		while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
			len--;
		value = (char *)data;
		value[len] = '\0';
	} else {
		return ba_cli_usage_error("--secret %.*s: the value must come from env:VAR or "
		                          "file:PATH (never the command line, where ps shows it)",
		                          (int)(eq - text), text);
	}
	char *name = dup_n(text, (size_t)(eq - text));
	if (!value || !name) {
		free(value);
		free(name);
		return ba_cli_usage_error("out of memory");
	}
	a->secrets[a->secret_count++] =
	        (ba_tool_secret_value){.name = name, .value = value, .value_len = len};
	return BA_EXIT_OK;
}

static int cmd_run(int argc, char **argv)
{
	run_args *a = calloc(1, sizeof *a);
	ba_tool_run_options opt;
	memset(&opt, 0, sizeof opt);
	const char *input = NULL, *input_file = NULL, *value;
	ba_manifest *manifest = NULL;
	uint8_t *input_data = NULL;
	int status = BA_EXIT_OK;
	if (!a)
		return ba_cli_usage_error("out of memory");

	for (int i = 1; i < argc && status == BA_EXIT_OK; i++) {
		int m;
		const char *arg = argv[i];
		if (arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (a->tool) {
				status = ba_cli_usage_error("unexpected argument '%s'\n%s", arg,
				                            run_usage);
				break;
			}
			a->tool = arg;
			continue;
		}
		if (ba_cli_flag(arg, "yes")) {
			opt.grant_declared = true;
			continue;
		}
#define OPTION(name) ((m = ba_cli_option(argc, argv, &i, name, &value)) != 0)
		const char *e = NULL;
		if (OPTION("workspace"))
			opt.workspace = value;
		else if (OPTION("grant")) {
			if (m > 0 && a->grant_count == MAX_LIST)
				status = ba_cli_usage_error("more than %d --grant options",
				                            MAX_LIST);
			else if (m > 0)
				a->grants[a->grant_count++] = value;
		} else if (OPTION("input"))
			input = value;
		else if (OPTION("input-file"))
			input_file = value;
		else if (OPTION("timeout")) {
			if (m > 0 && (e = ba_parse_duration(value, &opt.timeout_ns)) == NULL &&
			    opt.timeout_ns == 0)
				e = "must be more than zero";
		} else if (OPTION("max-memory")) {
			if (m > 0)
				e = ba_parse_size(value, &opt.memory_bytes);
		} else if (OPTION("fuel")) {
			if (m > 0 && (e = ba_parse_u64(value, &opt.fuel)) == NULL && opt.fuel == 0)
				e = "must be more than zero";
		} else if (OPTION("max-output")) {
			if (m > 0)
				e = ba_parse_size(value, &opt.output_bytes);
		} else if (OPTION("audit-log"))
			opt.audit_log = value;
		else if (OPTION("map")) {
			if (m > 0)
				status = parse_map(a, value);
		} else if (OPTION("resolve")) {
			if (m > 0)
				status = ba_cli_parse_resolve(value, a->hosts, &a->host_count);
		} else if (OPTION("secret")) {
			if (m > 0)
				status = parse_secret(a, value);
		} else if (OPTION("env")) {
			if (m > 0 && (!strchr(value, '=') || value[0] == '='))
				status = ba_cli_usage_error("--env %s: expected NAME=VALUE", value);
			else if (m > 0 && a->env_count == BA_TOOL_MAX_ENV)
				status = ba_cli_usage_error("more than %d --env options",
				                            BA_TOOL_MAX_ENV);
			else if (m > 0)
				a->env[a->env_count++] = value;
		} else {
			status = ba_cli_usage_error("unknown option '%s'\n%s", arg, run_usage);
			break;
		}
#undef OPTION
		if (m < 0)
			status = BA_EXIT_USAGE;
		else if (e)
			status = ba_cli_usage_error("%s %s: %s", arg, value, e);
	}
	if (status != BA_EXIT_OK)
		goto out;
	if (!a->tool) {
		status = ba_cli_usage_error("no tool given\n%s", run_usage);
		goto out;
	}
	if (input && input_file) {
		status = ba_cli_usage_error("give --input or --input-file, not both");
		goto out;
	}
	size_t input_len = 0;
	if (input_file) {
		char err[512];
		const char *path = strcmp(input_file, "-") == 0 ? "/dev/stdin" : input_file;
		if (ba_read_file(path, BA_TOOL_MAX_INPUT, &input_data, &input_len, err,
		                 sizeof err)) {
			status = ba_cli_usage_error("%s", err);
			goto out;
		}
		input = (const char *)input_data;
	} else if (input) {
		input_len = strlen(input);
	}
	if (input) {
		/* The input is the tool's contract: refuse what is not JSON here,
		 * with a message people can act on, instead of in every tool. */
		json_error_t jerr;
		json_t *doc = json_loadb(input, input_len, JSON_DECODE_ANY, &jerr);
		if (!doc) {
			status = ba_cli_usage_error(
			        "the input is not valid JSON: %s (line %d, column %d)", jerr.text,
			        jerr.line, jerr.column);
			goto out;
		}
		json_decref(doc);
	}
	if ((status = load_tool(a->tool, &manifest)) != BA_EXIT_OK)
		goto out;
	if (opt.grant_declared && manifest) {
		fprintf(stderr, "boxagent: granting what %s declares (--yes):\n", manifest->name);
		for (size_t i = 0; i < manifest->declared->count; i++)
			fprintf(stderr, "  %s\n", manifest->declared->caps[i].text);
		if (manifest->declared->count == 0)
			fprintf(stderr, "  (nothing)\n");
	}

	opt.manifest = manifest;
	opt.module_path = a->tool;
	opt.grants = a->grants;
	opt.grant_count = a->grant_count;
	opt.input = input;
	opt.input_len = input_len;
	opt.maps = a->maps;
	opt.map_count = a->map_count;
	opt.static_hosts = a->hosts;
	opt.static_host_count = a->host_count;
	opt.secrets = a->secrets;
	opt.secret_count = a->secret_count;
	opt.env = a->env;
	opt.env_count = a->env_count;
	opt.on_stderr = stream_stderr;

	ba_tool_result res;
	ba_tool_status st = ba_tool_run(&opt, &res);
	if (res.output.len) {
		fwrite(res.output.data, 1, res.output.len, stdout);
		if (res.output.data[res.output.len - 1] != '\n')
			fputc('\n', stdout);
		fflush(stdout);
	}
	switch (st) {
	case BA_TOOL_OK:
		status = BA_EXIT_OK;
		break;
	case BA_TOOL_FAILED:
		ba_cli_error("%s", res.message);
		status = BA_EXIT_FAILED;
		break;
	case BA_TOOL_CONFIG_ERROR:
		ba_cli_error("%s", res.message);
		status = BA_EXIT_USAGE;
		break;
	case BA_TOOL_TRAP:
		ba_cli_error("%s", res.message);
		status = BA_EXIT_TRAP;
		break;
	case BA_TOOL_LIMIT:
		ba_cli_error("%s", res.message);
		status = BA_EXIT_LIMIT;
		break;
	}
	ba_tool_result_release(&res);
out:
	ba_manifest_free(manifest);
	free(input_data);
	run_args_release(a);
	free(a);
	return status;
}

static int cmd_inspect(int argc, char **argv)
{
	const char *tool = NULL;
	bool as_json = false;
	for (int i = 1; i < argc; i++) {
		if (ba_cli_flag(argv[i], "json"))
			as_json = true;
		else if (argv[i][0] == '-')
			return ba_cli_usage_error("unknown option '%s'", argv[i]);
		else if (tool)
			return ba_cli_usage_error("unexpected argument '%s'", argv[i]);
		else
			tool = argv[i];
	}
	if (!tool)
		return ba_cli_usage_error("usage: boxagent tool inspect TOOL [--json]");
	ba_manifest *m;
	int status = load_tool(tool, &m);
	if (status != BA_EXIT_OK)
		return status;
	if (!m) {
		printf("%s is a bare module: it declares nothing; only --grant capabilities apply.\n",
		       tool);
		return BA_EXIT_OK;
	}
	if (as_json) {
		json_t *o = json_object(), *perms = json_array(), *limits = json_object();
		json_t *secrets = json_object();
		json_error_t jerr;
		json_t *schema = json_loads(m->input_schema, 0, &jerr);
		for (size_t i = 0; i < m->declared->count; i++)
			json_array_append_new(perms, json_string(m->declared->caps[i].text));
		if (m->memory_bytes)
			json_object_set_new(limits, "memory",
			                    json_integer((json_int_t)m->memory_bytes));
		if (m->timeout_ns)
			json_object_set_new(limits, "timeout_ms",
			                    json_integer((json_int_t)(m->timeout_ns / 1000000)));
		if (m->fuel)
			json_object_set_new(limits, "fuel", json_integer((json_int_t)m->fuel));
		if (m->output_bytes)
			json_object_set_new(limits, "output",
			                    json_integer((json_int_t)m->output_bytes));
		for (size_t s = 0; s < m->secret_count; s++) {
			json_t *b = json_object(), *d = json_array();
			for (size_t k = 0; k < m->secrets[s].dest_count; k++)
				json_array_append_new(d, json_string(m->secrets[s].dests[k]));
			json_object_set_new(b, "destinations", d);
			json_object_set_new(b, "header", json_string(m->secrets[s].header));
			json_object_set_new(secrets, m->secrets[s].name, b);
		}
		json_object_set_new(o, "name", json_string(m->name));
		json_object_set_new(o, "version", json_string(m->version));
		json_object_set_new(o, "description", json_string(m->description));
		json_object_set_new(o, "module", json_string(m->module_path));
		json_object_set_new(o, "input_schema", schema ? schema : json_object());
		json_object_set_new(o, "permissions", perms);
		json_object_set_new(o, "limits", limits);
		json_object_set_new(o, "secrets", secrets);
		char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			puts(text);
		free(text);
		json_decref(o);
	} else {
		printf("%s %s\n%s\nmodule: %s\n", m->name, m->version, m->description,
		       m->module_path);
		print_caps(stdout, "permissions:", m->declared);
		printf("limits:");
		if (m->memory_bytes)
			printf(" memory=%llu", (unsigned long long)m->memory_bytes);
		if (m->timeout_ns)
			printf(" timeout=%llums", (unsigned long long)(m->timeout_ns / 1000000));
		if (m->fuel)
			printf(" fuel=%llu", (unsigned long long)m->fuel);
		if (m->output_bytes)
			printf(" output=%llu", (unsigned long long)m->output_bytes);
		if (!m->memory_bytes && !m->timeout_ns && !m->fuel && !m->output_bytes)
			printf(" (defaults)");
		printf("\n");
		for (size_t s = 0; s < m->secret_count; s++) {
			printf("secret %s: sent as \"%s\" to", m->secrets[s].name,
			       m->secrets[s].header);
			for (size_t k = 0; k < m->secrets[s].dest_count; k++)
				printf(" %s", m->secrets[s].dests[k]);
			printf("\n");
		}
		printf("input schema: %s\n", m->input_schema);
	}
	ba_manifest_free(m);
	return BA_EXIT_OK;
}

int ba_cli_cmd_tool(int argc, char **argv)
{
	if (argc < 2 || ba_cli_flag(argv[1], "help") || strcmp(argv[1], "-h") == 0) {
		fputs(ba_cli_tool_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? BA_EXIT_USAGE : BA_EXIT_OK;
	}
	for (int i = 2; i < argc; i++)
		if (ba_cli_flag(argv[i], "help")) {
			fputs(ba_cli_tool_help, stdout);
			return BA_EXIT_OK;
		}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "inspect") == 0)
		return cmd_inspect(argc - 1, argv + 1);
	return ba_cli_usage_error("unknown subcommand 'tool %s' (run or inspect)", argv[1]);
}
