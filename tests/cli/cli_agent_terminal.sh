# boxagent run on a terminal: the approval prompt (deny, once, always -
# "always" saved as a policy entry that a later run without a terminal
# uses), and Ctrl-C cancelling a run (exit 130, the session kept as
# cancelled). The terminal is a pty from util-linux script(1); without
# it (or without ptys) the terminal cases are skipped, the rest still runs.
. "$(dirname "$0")/lib/cli_agent.sh"

export OPENAI_API_KEY=$OPENAI_KEY

# Ctrl-C: SIGINT while the answer trickles in.
fakellm slow.script
set +e
"$BOXAGENT" run --workspace "$WS" "take your time" >"$OUT" 2>"$ERR" &
pid=$!
wait_request 1
sleep 0.3
kill -INT "$pid"
wait "$pid"
STATUS=$?
set -e
LAST_ARGS="run (interrupted)"
expect_status 130
expect_stderr_contains "cancelling"
expect_stderr_contains "stop: cancelled"
ID=$(session_id)
check 0 sessions --json
expect_stdout_contains "{\"id\":\"$ID\""
grep -F "\"id\":\"$ID\"" "$OUT" | grep -qF '"status":"cancelled"' ||
	fail "the interrupted session is not marked cancelled"

if ! command -v script >/dev/null 2>&1 || ! script -qec true /dev/null </dev/null >/dev/null 2>&1; then
	echo "# no script(1) or no pty: the terminal cases are not tested"
	exit 0
fi

# on_tty ANSWERS ARGS...: boxagent with stdin, stdout and stderr on a pty
# fed ANSWERS; everything it printed lands in $OUT.
on_tty() {
	answers=$1
	shift
	LAST_ARGS="$* (on a terminal)"
	set +e
	printf '%b' "$answers" | script -qefc "$BOXAGENT $*" /dev/null >"$OUT" 2>"$ERR"
	STATUS=$?
	set -e
}

# Deny: the tool runs without the capability; nothing is written.
fakellm write.script
on_tty 'd\n' run --workspace "$WS" --tool write_file write-it
expect_status 0
expect_stdout_contains "write_file wants fs.write:/workspace: allow [o]nce, [a]lways, [d]eny?"
expect_stdout_contains "deny  fs.write:/workspace (denied by operator)"
[ ! -e "$WS/out.txt" ] || fail "a denied write happened"
expect_request_contains 2 "call_e2eWrite14"

# Once: written; nothing is saved.
fakellm write.script
on_tty 'o\n' run --workspace "$WS" --tool write_file write-it
expect_status 0
expect_stdout_contains "allow fs.write:/workspace (approved once)"
[ "$(cat "$WS/out.txt")" = "written by the agent" ] || fail "the approved write did not happen"
rm -f "$WS/out.txt"
check 0 policy list --workspace "$WS"
expect_stderr_contains "no policy entries"

# Always: written and saved for this workspace and tool...
fakellm write.script
on_tty 'a\n' run --workspace "$WS" --tool write_file write-it
expect_status 0
expect_stdout_contains "allow fs.write:/workspace (approved always)"
[ -f "$WS/out.txt" ] || fail "the approved write did not happen"
rm -f "$WS/out.txt"
check 0 policy list --workspace "$WS" --tool write_file
expect_stdout_contains "fs.write:/workspace"

# chat on a terminal: Ctrl-C cancels the turn and the chat goes on; at the
# prompt it ends the chat with 130. The feeder waits for each step.
fakellm slow.script
set +e
{
	wait_for "$WORK/chat.out" "you> "
	printf 'tell me slowly\n'
	wait_request 1
	sleep 0.3
	printf '\003'
	wait_for "$WORK/chat.out" "stop: cancelled"
	printf '/session\n'
	sleep 0.3
	printf '\003'
	sleep 0.5
} | script -qefc "$BOXAGENT chat --workspace $WS" /dev/null >"$WORK/chat.out" 2>&1
STATUS=$?
set -e
cp "$WORK/chat.out" "$OUT"
LAST_ARGS="chat (interrupted twice)"
expect_status 130
expect_stdout_contains "boxagent chat with openai/gpt-4o-mini"
expect_stdout_contains "cancelling"
expect_stdout_contains "stop: cancelled"
expect_stdout_contains "(resume with: boxagent chat --session"
# /session answered after the cancelled turn: the chat went on.
grep -q '^[0-9a-f]\{16\}' "$OUT" || fail "no session id printed after the cancelled turn"

# ... so a run with no terminal gets it from the policy.
fakellm write.script
check 0 run --workspace "$WS" --tool write_file write-it
expect_stderr_contains "allow fs.write:/workspace (policy)"
[ -f "$WS/out.txt" ] || fail "the write allowed by the policy did not happen"

no_keys
