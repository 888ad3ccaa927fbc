# boxagent tool run / inspect: manifests, grants, input, exit statuses,
# limits, and the audit records a run leaves.
. "$(dirname "$0")/lib/common.sh"

AUDIT=$WORK/audit.log
echo_wasm=$(wat tool_echo)
mkdir -p "$WORK/ws"

manifest() { # manifest FILE MODULE PERMISSIONS-YAML [EXTRA-YAML]
	cat >"$1" <<YAML
tool:
  name: echo
  version: 1.0.0
  description: Echoes its input
  module: $2
  input_schema: { type: object }
  permissions: $3
${4:-}
YAML
}
manifest "$WORK/echo.yaml" "$echo_wasm" "[ fs.read:/workspace, env:LANG ]"

# Help and usage errors.
check 0 tool --help
expect_stdout_contains "boxagent tool run TOOL"
check 2 tool
check 2 tool frobnicate
expect_stderr_contains "unknown subcommand"
check 2 tool run
expect_stderr_contains "no tool given"
check 2 tool run "$WORK/echo.yaml" --bogus
expect_stderr_contains "unknown option '--bogus'"
check 2 tool run "$WORK/missing.yaml"
expect_stderr_contains "missing.yaml"

# A run: the input is stdin, stdout is the result.
check 0 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --input '{"x":1}'
expect_stdout '{"x":1}'
check 0 tool run "$echo_wasm" --audit-log "$AUDIT"
expect_stdout '{}'
printf '{"from":"file"}' >"$WORK/in.json"
check 0 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --input-file "$WORK/in.json"
expect_stdout '{"from":"file"}'
check 2 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --input '{"x":'
expect_stderr_contains "not valid JSON"
check 2 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --input '{}' --input-file "$WORK/in.json"

# Exit statuses: tool failure 1, trap 3, limits 4.
check 1 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --input '"#7"'
expect_stderr_contains "exit code 7"
check 3 tool run "$(wat tool_trap)" --audit-log "$AUDIT"
expect_stderr_contains "out of bounds memory access"
spin=$(wat tool_spin)
check 4 tool run "$spin" --audit-log "$AUDIT" --fuel 100000
expect_stderr_contains "fuel"
check 4 tool run "$spin" --audit-log "$AUDIT" --timeout 200ms
expect_stderr_contains "timeout"
check 4 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --max-output 4 --input '{"long":true}'
expect_stderr_contains "output"

# Modules that are not tools.
check 2 tool run "$(wat tool_unknown_import)" --audit-log "$AUDIT"
expect_stderr_contains "env.system"
check 2 tool run "$(wat tool_nostart)" --audit-log "$AUDIT"
expect_stderr_contains "_start"
printf 'junk' >"$WORK/junk.wasm"
check 2 tool run "$WORK/junk.wasm" --audit-log "$AUDIT"
expect_stderr_contains "not a valid module"

# Grants: a bad capability string is an error naming it; a file grant
# without a mapped host folder is an error; --yes prints what it grants.
check 2 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --grant 'shell:rm -rf'
expect_stderr_contains 'shell:rm -rf'
check 2 tool run "$echo_wasm" --audit-log "$AUDIT" --grant fs.read:/data
expect_stderr_contains "fs.read:/data"
check 0 tool run "$echo_wasm" --audit-log "$AUDIT" --grant fs.read:/data --map "/data=$WORK/ws:ro"
check 0 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --workspace "$WORK/ws" --yes
expect_stderr_contains "fs.read:/workspace"
expect_stderr_contains "env:LANG"

# Broken manifests: file, line and column, nothing runs.
manifest "$WORK/bad.yaml" "$echo_wasm" "[ fs.read:/workspace, net:example.com ]"
check 2 tool run "$WORK/bad.yaml" --audit-log "$AUDIT"
expect_stderr_contains "bad.yaml:7:"
expect_stderr_contains "net:example.com"

# inspect prints what a tool declares.
check 0 tool inspect "$WORK/echo.yaml"
expect_stdout_contains "echo 1.0.0"
expect_stdout_contains "fs.read:/workspace"
check 0 tool inspect "$WORK/echo.yaml" --json
expect_stdout_contains '"permissions": ['
expect_stdout_contains '"input_schema": {'

# The audit log: declared-but-not-granted is a deny, granted is an allow,
# limit stops are recorded, and the chain verifies.
check 0 tool run "$WORK/echo.yaml" --audit-log "$AUDIT" --grant env:LANG
check 0 audit --audit-log "$AUDIT" --json --tool echo --decision deny --capability fs.read
expect_stdout_contains '"reason":"declared by the tool, not granted by the operator"'
check 0 audit --audit-log "$AUDIT" --json --decision allow --capability env
expect_stdout_contains '"target":"env:LANG"'
check 0 audit --audit-log "$AUDIT" --json --capability limit
expect_stdout_contains '"target":"fuel"'
expect_stdout_contains '"target":"timeout"'
check 0 audit verify --audit-log "$AUDIT"

# An audit log that cannot be written stops the run before it starts.
mkdir -p "$WORK/ro" && touch "$WORK/ro/audit.log" && chmod 000 "$WORK/ro/audit.log"
if [ "$(id -u)" != 0 ]; then
	check 2 tool run "$WORK/echo.yaml" --audit-log "$WORK/ro/audit.log"
	expect_stderr_contains "audit log"
fi
check 2 tool run "$WORK/echo.yaml" --audit-log "$WORK/echo.yaml/not-a-dir/audit.log"
expect_stderr_contains "audit log"
