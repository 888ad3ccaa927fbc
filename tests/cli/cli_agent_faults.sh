# boxagent run against a misbehaving provider: a wrong key, rate limits,
# server errors, a cut stream, malformed JSON, an unknown tool, arguments
# that are not JSON, no provider at all, and a step limit. Each is a clear
# message and the right exit status, or a retry that succeeds.
. "$(dirname "$0")/lib/cli_agent.sh"

export OPENAI_API_KEY=$OPENAI_KEY

# No provider configured: the message says what to set; exit 2.
set +e
env -i PATH="$PATH" HOME="$WORK/nohome" BOXAGENT_HOME="$BOXAGENT_HOME" \
	XDG_CONFIG_HOME="$WORK/xdg" "$BOXAGENT" run --workspace "$WS" hello >"$OUT" 2>"$ERR"
STATUS=$?
set -e
LAST_ARGS="run (no provider)"
expect_status 2
expect_stderr_contains "OPENAI_API_KEY"
expect_stderr_contains "ANTHROPIC_API_KEY"
expect_stderr_contains "OLLAMA_HOST"
[ ! -e "$BOXAGENT_HOME/boxagent.db" ] || fail "a run refused before it began created the store"
# A provider named without its key says which variable.
set +e
env -i PATH="$PATH" HOME="$WORK/nohome" BOXAGENT_HOME="$BOXAGENT_HOME" \
	XDG_CONFIG_HOME="$WORK/xdg" OPENAI_API_KEY=x "$BOXAGENT" run --model anthropic/claude-sonnet-4-5 \
	hello >"$OUT" 2>"$ERR"
STATUS=$?
set -e
expect_status 2
expect_stderr_contains "ANTHROPIC_API_KEY"

# 401: no retry, the variable to check is named, the key (quoted back by
# the server) is not repeated; exit 1.
fakellm fault_401.script
check 1 run --workspace "$WS" hello
expect_stderr_contains "401"
expect_stderr_contains "OPENAI_API_KEY"
expect_stderr_contains "stop: error"
expect_stderr_lacks "[retry]"
expect_requests 1
no_keys

# 429 with Retry-After: 1 - waited for, then the answer.
fakellm fault_429.script
check 0 run --workspace "$WS" hello
expect_stdout "Hello from the first turn."
expect_stderr_contains "[retry] attempt 1 in 1000 ms"
expect_stderr_contains "429"
expect_requests 2

# 500, then the answer.
fakellm fault_500.script
check 0 run --workspace "$WS" hello
expect_stdout "Hello from the first turn."
expect_stderr_contains "[retry] attempt 1"
expect_stderr_contains "500"
expect_requests 2

# A stream cut mid-way on both attempts: what was streamed is marked void
# at the retry, and the run fails saying the stream was cut.
fakellm fault_cut.script
check 1 run --workspace "$WS" hello
expect_stderr_contains "[retry]"
expect_stderr_contains "cut off"
expect_stderr_contains "stop: error"
grep -qiE 'ended|cut|truncat' "$ERR" || fail "no clear message about the cut stream"
expect_requests 2

# Malformed JSON in the stream: a protocol error, not retried.
fakellm fault_malformed.script
check 1 run --workspace "$WS" hello
expect_stderr_contains "JSON"
expect_stderr_lacks "[retry]"
expect_requests 1

# An unknown tool: the model gets an error result and goes on.
fakellm fault_unknown_tool.script
check 0 run --workspace "$WS" hello
expect_stdout "Sorry, that call failed."
expect_stderr_contains "[tool] frobnicate"
expect_stderr_contains "  error: "
expect_requests 2
expect_request_contains 2 "call_e2eUnkn07"
expect_request_contains 2 "frobnicate"

# Arguments that are not JSON: the same, the tool never runs.
fakellm fault_bad_args.script
check 0 run --workspace "$WS" hello
expect_stdout "Sorry, that call failed."
expect_stderr_contains "  error: "
expect_requests 2
expect_request_contains 2 "call_e2eBadA08"
grep -qi 'json' "$(request 2)" || fail "the model was not told its arguments are not JSON"

# --max-steps 1: the model asks for a tool after its one call; the run
# stops there, exit 4, and the session says why.
fakellm max_steps.script
check 4 run --workspace "$WS" --max-steps 1 "list it"
expect_stderr_contains "limit of 1 model call"
expect_stderr_contains "stop: max_steps"
expect_requests 1
ID=$(session_id)
check 0 sessions show "$ID"
expect_stdout_contains "max_steps"

# The fallback chain: gpt-4o-mini fails for good, gpt-4o answers.
cat "$BOXAGENT_CONFIG" >"$WORK/fallback.yaml"
echo 'fallback: [openai/gpt-4o]' >>"$WORK/fallback.yaml"
fakellm fallback.script
check 0 run --config "$WORK/fallback.yaml" --model openai/gpt-4o-mini "hello"
expect_stdout "Hello from the first turn."
expect_stderr_contains "[fallback] openai/gpt-4o-mini failed"
expect_stderr_contains "trying openai/gpt-4o"
expect_request_contains 1 '"model":"gpt-4o-mini"'
expect_request_contains 3 '"model":"gpt-4o"'
check 2 run --config "$WORK/nosuch.yaml" "hello"
expect_stderr_contains "nosuch.yaml"

# --max-tokens: the first answer's 612+14 tokens are over 100.
fakellm openai_ls_read.script
check 4 run --workspace "$WS" --max-tokens 100 "list it"
expect_stderr_contains "stop: max_tokens"

# --timeout: the answer trickles in for longer than the run may take.
fakellm slow.script
check 4 run --workspace "$WS" --timeout 700ms "take your time"
expect_stderr_contains "stop: timeout"

# A tool call's arguments are shown cut at 300 bytes, and the cut never
# splits a character: byte 300 of these is the first of the two of "é"
# (9 bytes of {"path":", 290 A's, then é).
long=$(printf 'A%.0s' $(seq 290))
{
	printf 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_long1","type":"function","function":{"name":"list_dir","arguments":"{\\"path\\":\\"%s\\u00e9\\"}"}}]},"finish_reason":null}]}\n\n' "$long"
	printf 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
	printf 'data: [DONE]\n\n'
} >"$WORK/long_args.sse"
printf 'response\nfile long_args.sse\nend\n\nresponse\nfile %s/openai_recovered.sse\nend\n' \
	"$FIXTURES" >"$WORK/long_args.script"
fakellm "$WORK/long_args.script"
check 0 run --workspace "$WS" hello
expect_stderr_contains "AAAAAAAAAAAAAAAAAAAA..."
if grep -qa "$(printf 'A\303')" "$ERR"; then
	fail "the shown arguments end inside a character"
fi

# A call id is the model's text too: `sessions show` escapes it.
{
	printf 'data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_\\u001b[2Jx","type":"function","function":{"name":"list_dir","arguments":"{}"}}]},"finish_reason":null}]}\n\n'
	printf 'data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n'
	printf 'data: [DONE]\n\n'
} >"$WORK/esc_id.sse"
printf 'response\nfile esc_id.sse\nend\n\nresponse\nfile %s/openai_recovered.sse\nend\n' \
	"$FIXTURES" >"$WORK/esc_id.script"
fakellm "$WORK/esc_id.script"
check 0 run --workspace "$WS" hello
ID=$(session_id)
check 0 sessions show "$ID"
expect_stdout_contains 'call_\x1b[2Jx'
if grep -qa "$(printf '\033')" "$OUT"; then
	fail "sessions show wrote the model's escape character to the terminal"
fi

# A long message is shown cut at 4000 bytes, never inside a character:
# this prompt's byte 4000 is the first of the two of "é".
prompt="$(printf 'A%.0s' $(seq 3999))é"
printf 'response\nfile %s/openai_hello.sse\nend\n' "$FIXTURES" >"$WORK/hello.script"
fakellm "$WORK/hello.script"
check 0 run "$prompt"
ID=$(session_id)
check 0 sessions show "$ID"
expect_stdout_contains "more bytes"
if grep -qa "$(printf 'A\303')" "$OUT"; then
	fail "sessions show cut a message inside a character"
fi

no_keys
