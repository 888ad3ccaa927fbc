# boxagent chat with piped lines: two turns of one conversation (the
# second request holds the first turn), /session, /exit; and boxagent run
# reading its prompt from stdin.
. "$(dirname "$0")/lib/cli_agent.sh"

export OPENAI_API_KEY=$OPENAI_KEY

# run_in INPUT ARGS...: run with INPUT on stdin.
run_in() {
	input=$1
	shift
	LAST_ARGS="$*"
	set +e
	printf '%b' "$input" | "$BOXAGENT" "$@" >"$OUT" 2>"$ERR"
	STATUS=$?
	set -e
}

check 0 chat --help
expect_stdout_contains "usage: boxagent chat"
check 2 chat "a prompt"
expect_stderr_contains "reads its prompts from stdin"

fakellm chat.script
run_in 'first question\n\n/session\nsecond question\n/exit\nnever sent\n' chat --workspace "$WS"
expect_status 0
expect_stdout_contains "Hello from the first turn."
expect_stdout_contains "And hello again."
expect_requests 2
expect_request_contains 1 "first question"
expect_request_contains 2 "first question"
expect_request_contains 2 "Hello from the first turn."
expect_request_contains 2 "second question"
if grep -qF "never sent" "$(request 2)"; then fail "a line after /exit was sent"; fi
# /session printed the id between the answers; it is the stored session.
ID=$(sed -n '2p' "$OUT")
case "$ID" in
[0-9a-f][0-9a-f][0-9a-f][0-9a-f]*) ;;
*) fail "the second line of stdout is not a session id: '$ID'" ;;
esac
check 0 sessions
expect_stdout_contains "$ID"
expect_stdout_contains "first question"
check 0 sessions show "$ID"
expect_stdout_contains "second question"
expect_stdout_contains "And hello again."

# End of input ends the chat too; a line of blanks is not a turn.
fakellm chat.script
run_in 'only one\n   \n' chat
expect_status 0
expect_stdout "Hello from the first turn."
expect_requests 1

# run - reads the prompt from stdin.
fakellm chat.script
run_in 'what is new?\n' run --workspace "$WS" -
expect_status 0
expect_stdout "Hello from the first turn."
expect_request_contains 1 "what is new?"
run_in '' run -
expect_status 2
expect_stderr_contains "empty"

no_keys
