# cli_agent.sh - helpers for the agent's end-to-end tests (sourced by
# tests/cli/cli_agent*.sh after common.sh's conventions).
#
# Each script gets a real workspace ($WS), its own BOXAGENT_HOME (store
# and audit log), a boxagent.yaml with quick retries (BOXAGENT_CONFIG), no
# provider variables from the outside, and the fake provider
# $BUILD/tests/fakellm replaying a script from tests/fixtures/llm/e2e/.
# The tools are the real core tools that `make tools` puts in
# $BUILD/tools, found next to the binary.
. "$(dirname "$0")/lib/common.sh"

BUILD=${BUILD:-build}
FIXTURES=$(cd "$(dirname "$0")/../fixtures/llm/e2e" && pwd)
FAKELLM=$BUILD/tests/fakellm
HTTPD=$BUILD/tests/httpd
[ -x "$FAKELLM" ] || fail "no $FAKELLM: build it first (make $FAKELLM)"
[ -f "$(dirname "$BOXAGENT")/tools/list_dir/tool.yaml" ] ||
	fail "no core tools next to $BOXAGENT: build them first (make tools)"

OPENAI_KEY=sk-test-123
ANTHROPIC_KEY=sk-ant-test-456

# Nothing from the caller's environment may pick a provider or a config.
unset OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY ANTHROPIC_BASE_URL OLLAMA_HOST \
	BOXAGENT_MODEL BOXAGENT_TOOL_PATH BOXAGENT_CONFIG XDG_DATA_HOME
export BOXAGENT_HOME="$WORK/home"
export XDG_CONFIG_HOME="$WORK/xdg"
mkdir -p "$XDG_CONFIG_HOME"

# One retry, quickly: the fault tests count attempts.
cat >"$WORK/boxagent.yaml" <<'YAML'
providers:
  openai:
    max_retries: 1
    retry_base_ms: 20
    retry_max_ms: 2000
  anthropic:
    max_retries: 1
    retry_base_ms: 20
    retry_max_ms: 2000
YAML
export BOXAGENT_CONFIG="$WORK/boxagent.yaml"

# The workspace the tools see as /workspace.
WS=$WORK/ws
mkdir -p "$WS/src"
printf 'Team meeting moved to Tuesday at 10.\nBring the Q3 numbers.\n' >"$WS/notes.txt"
printf 'int main(void) { return 0; }\n' >"$WS/src/main.c"

LLM_PID=""
HTTPD_PID=""
stop_fakellm() {
	if [ -n "$LLM_PID" ]; then
		exec 8>&-
		wait "$LLM_PID" 2>/dev/null || true
		LLM_PID=""
	fi
}
stop_all() {
	stop_fakellm
	if [ -n "$HTTPD_PID" ]; then
		exec 9>&-
		kill "$HTTPD_PID" 2>/dev/null || true
		HTTPD_PID=""
	fi
}
trap 'stop_all; rm -rf "$WORK"' EXIT

# wait_port FILE: the first line of FILE once the server wrote it.
wait_port() {
	i=0
	until [ -s "$1" ] || [ $i -ge 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	head -n 1 "$1"
}

# fakellm SCRIPT [LOGDIR]: (re)starts the fake provider on SCRIPT (a path,
# or a name in the fixtures), logging requests to LOGDIR (default
# $WORK/log-N, in $LLM_LOG), and points both providers' base URLs at it.
LLM_RUNS=0
fakellm() {
	stop_fakellm
	LLM_RUNS=$((LLM_RUNS + 1))
	script=$1
	case "$script" in */*) ;; *) script=$FIXTURES/$script ;; esac
	LLM_LOG=${2:-$WORK/log-$LLM_RUNS}
	rm -f "$WORK/llm.in" "$WORK/llm.port"
	mkfifo "$WORK/llm.in"
	# Neither server may hold the other's fifo open, or closing it would
	# not stop the other.
	"$FAKELLM" "$script" --log "$LLM_LOG" <"$WORK/llm.in" >"$WORK/llm.port" \
		2>>"$WORK/llm.err" 8>&- 9>&- &
	LLM_PID=$!
	exec 8>"$WORK/llm.in"
	LLM_PORT=$(wait_port "$WORK/llm.port")
	[ -n "$LLM_PORT" ] || fail "fakellm did not start: $(cat "$WORK/llm.err")"
	export OPENAI_BASE_URL="http://127.0.0.1:$LLM_PORT/v1"
	export ANTHROPIC_BASE_URL="http://127.0.0.1:$LLM_PORT"
}

# start_httpd: the loopback test server, as $HTTPD_PORT.
start_httpd() {
	mkfifo "$WORK/httpd.in"
	"$HTTPD" <"$WORK/httpd.in" >"$WORK/httpd.port" 8>&- 9>&- &
	HTTPD_PID=$!
	exec 9>"$WORK/httpd.in"
	HTTPD_PORT=$(wait_port "$WORK/httpd.port")
	[ -n "$HTTPD_PORT" ] || fail "httpd did not start"
}

# request N: the path of the Nth request fakellm logged.
request() {
	printf '%s/%03d.http' "$LLM_LOG" "$1"
}
# wait_for FILE TEXT: until FILE contains TEXT, at most 10 s.
wait_for() {
	i=0
	until grep -qF -- "$2" "$1" 2>/dev/null || [ $i -ge 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
# wait_request N: until fakellm has logged request N, at most 10 s.
wait_request() {
	i=0
	until [ -f "$(request "$1")" ] || [ $i -ge 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
expect_request_contains() { # N TEXT
	f=$(request "$1")
	[ -f "$f" ] || fail "fakellm got no request $1"
	grep -qF -- "$2" "$f" || fail "request $1 does not contain '$2': $(cat "$f")"
}
expect_requests() { # N: exactly N requests were made
	n=$(find "$LLM_LOG" -name '*.http' 2>/dev/null | wc -l)
	[ "$n" -eq "$1" ] || fail "expected $1 requests to the model, got $n"
}
expect_stderr_lacks() {
	if grep -qF -- "$1" "$ERR"; then fail "stderr contains '$1'"; fi
}
expect_stdout_lacks() {
	if grep -qF -- "$1" "$OUT"; then fail "stdout contains '$1'"; fi
}

# session_id: the session of the last run, from its summary line.
session_id() {
	sed -n 's/^\[done\] session \([0-9a-f]*\):.*/\1/p' "$ERR" | tail -n 1
}

# no_keys: no API key in the store, the audit log or any output so far.
no_keys() {
	for f in "$BOXAGENT_HOME"/* "$OUT" "$ERR"; do
		[ -f "$f" ] || continue
		if grep -qaF -e "$OPENAI_KEY" -e "$ANTHROPIC_KEY" "$f"; then
			fail "an API key is written in $f"
		fi
	done
}
