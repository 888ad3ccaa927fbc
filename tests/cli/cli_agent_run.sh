# boxagent run end to end with OpenAI's format: list_dir -> read_file ->
# a streamed answer from the fake provider, with the real core tools on a
# real workspace; the session stored, listed, shown, resumed (the resumed
# request carries the earlier conversation) and deleted; --json lines; no
# key anywhere.
. "$(dirname "$0")/lib/cli_agent.sh"

export OPENAI_API_KEY=$OPENAI_KEY

# Help and usage errors: nothing runs, nothing is asked of a model.
check 0 run --help
expect_stdout_contains "usage: boxagent run"
check 0 help run
expect_stdout_contains "--max-steps N"
check 2 run
expect_stderr_contains "no prompt given"
check 2 run --bogus hi
expect_stderr_contains "unknown option '--bogus'"
check 2 run --max-steps 0 hi
expect_stderr_contains "--max-steps 0"
check 2 run --timeout soon hi
check 2 run --max-cost -1 hi
check 2 run --resolve nothing hi
check 2 run --
expect_stderr_contains "no prompt given"
fakellm openai_ls_read.script
check 2 run --workspace "$WORK/missing" hi
expect_stderr_contains "$WORK/missing"
check 2 run --tool no_such_tool hi
expect_stderr_contains "no_such_tool"
check 2 run --tool "$WORK/nothing.yaml" hi
expect_stderr_contains "nothing.yaml"
check 2 run --model nosuch/model hi
expect_stderr_contains "nosuch"
# A workspace holding BOXAGENT_HOME would let tools write the policy.
check 2 run --workspace "$WORK" hi
expect_stderr_contains "$BOXAGENT_HOME"
expect_requests 0

# The run: tools by name (BOXAGENT_TOOL_PATH first, then next to the
# binary); the answer alone on stdout, the tool events on stderr.
check 0 run --model openai/gpt-4o-mini --workspace "$WS" --tool list_dir --tool read_file \
	"What do my notes say?"
expect_stdout "The workspace holds notes.txt; it says the meeting moved to Tuesday at 10."
expect_stderr_contains '[tool] list_dir {"path":"."}'
expect_stderr_contains '  allow fs.read:/workspace (workspace)'
expect_stderr_contains '[tool] read_file {"path":"notes.txt"}'
expect_stderr_contains '  ok '
expect_stderr_contains 'stop: end'
expect_stderr_contains '3 steps, 2 tool calls'
expect_requests 3
ID=$(session_id)
[ -n "$ID" ] || fail "no session id in the summary line"

# BOXAGENT_TOOL_PATH comes before the tools next to the binary: a copy of
# list_dir with its own description stands in for the core one.
mkdir -p "$WORK/mytools/list_dir"
cp "$(dirname "$BOXAGENT")/tools/list_dir/list_dir.wasm" "$WORK/mytools/list_dir/"
sed 's/List the files/MY-OWN-LIST_DIR: List the files/' \
	"$(dirname "$BOXAGENT")/tools/list_dir/tool.yaml" >"$WORK/mytools/list_dir/tool.yaml"
fakellm openai_ls_read.script "$WORK/log-toolpath"
export BOXAGENT_TOOL_PATH="$WORK/empty:$WORK/mytools"
check 0 run --workspace "$WS" --tool list_dir --tool read_file "What do my notes say?"
expect_request_contains 1 "MY-OWN-LIST_DIR"
unset BOXAGENT_TOOL_PATH
fakellm openai_ls_read.script
check 0 run --model openai/gpt-4.1-mini --workspace "$WS" --tool list_dir --tool read_file \
	"What do my notes say?"
ID=$(session_id)

# What the model was sent: the prompt, the tools, then the results marked
# as untrusted data.
expect_request_contains 1 "What do my notes say?"
expect_request_contains 1 '"name":"list_dir"'
expect_request_contains 1 '"name":"read_file"'
expect_request_contains 1 'Authorization: Bearer sk-test-123'
expect_request_contains 2 'call_e2eList01'
expect_request_contains 2 'notes.txt'
expect_request_contains 2 'untrusted'
expect_request_contains 3 'Bring the Q3 numbers.'
expect_request_contains 3 'call_e2eRead02'

# The session is stored: listed, shown readable and as JSON.
check 0 sessions
expect_stdout_contains "$ID"
expect_stdout_contains "openai/gpt-4.1-mini"
expect_stdout_contains "What do my notes say?"
check 0 sessions list --json
expect_stdout_contains "{\"id\":\"$ID\""
expect_stdout_contains '"status":"idle"'
check 0 sessions show "$ID"
expect_stdout_contains "session $ID"
expect_stdout_contains "--- user"
expect_stdout_contains "What do my notes say?"
expect_stdout_contains '-> list_dir {"path":"."}'
expect_stdout_contains "--- tool read_file"
expect_stdout_contains "Bring the Q3 numbers."
expect_stdout_contains "meeting moved to Tuesday at 10."
expect_stdout_contains "decision"
expect_stdout_contains "fs.read:/workspace"
check 0 sessions show "$(printf %.6s "$ID")" --json
expect_stdout_contains '"messages": ['
expect_stdout_contains '"events": ['
expect_stdout_contains "\"id\": \"$ID\""
check 1 sessions show ffffffffffff
check 2 sessions frobnicate
expect_stderr_contains "unknown subcommand"

# Resumed: the request holds the earlier conversation, then the new
# prompt; the model and workspace come from the session.
fakellm openai_resume.script
check 0 run --session "$ID" "And when again?"
expect_stdout "You asked about notes.txt: Tuesday at 10."
expect_stderr_contains "resumed"
expect_stderr_contains "workspace $(cd "$WS" && pwd -P)"
[ "$(session_id)" = "$ID" ] || fail "the resumed run is in session $(session_id), not $ID"
expect_request_contains 1 "What do my notes say?"
expect_request_contains 1 "call_e2eList01"
expect_request_contains 1 "Bring the Q3 numbers."
expect_request_contains 1 "meeting moved to Tuesday at 10."
expect_request_contains 1 "And when again?"
expect_request_contains 1 '"model":"gpt-4.1-mini"'
check 0 sessions show "$ID"
expect_stdout_contains "And when again?"
expect_stdout_contains "You asked about notes.txt"

# --json: every event one JSON line on stdout, nothing else there; the
# default tools are every tool next to the binary.
fakellm openai_ls_read.script
check 0 run --json --workspace "$WS" "What do my notes say?"
lines=$(wc -l <"$OUT")
json_lines=$(grep -c '^{"type":"[a-z_]*".*}$' "$OUT")
[ "$lines" -ge 10 ] || fail "only $lines JSON lines"
[ "$lines" -eq "$json_lines" ] || fail "stdout has lines that are not JSON events"
for type in session step text tool_call decision tool_result usage done; do
	grep -q "^{\"type\":\"$type\"" "$OUT" || fail "no $type event in the --json output"
done
expect_stdout_contains '"tool":"list_dir"'
expect_stdout_contains '"capability":"fs.read:/workspace"'
expect_request_contains 1 '"name":"write_file"'
[ ! -s "$ERR" ] || fail "--json wrote to stderr: $(cat "$ERR")"

# Deleting a session removes it from the list.
check 0 sessions delete "$ID"
expect_stdout_contains "deleted session $ID"
check 0 sessions --json
expect_stdout_lacks "$ID"
check 1 sessions delete "$ID"

no_keys
