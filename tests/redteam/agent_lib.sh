# agent_lib.sh - the harness of the red-team groups that attack the agent
# layer (docs/redteam.md): a hostile MODEL, and hostile tool output,
# trying to get capabilities the operator did not grant, or to crash or
# hang the host, through `boxagent run`. Sourced by tests/redteam/agent.sh
# (tool calls, arguments, injection, the home, secrets, the terminal) and
# tests/redteam/agent_stream.sh (what the provider's stream can do: sizes,
# counts, time, odd values), which hold the attacks' hooks; the attacks
# are the lines of attacks.txt in groups agent and agent_stream.
#
# The model is the fake provider $BUILD/tests/fakellm replaying a script
# from tests/redteam/agent/NAME.script (streams beside it; the big ones are
# written by the setup_NAME hooks). The tools are the real core tools next
# to boxagent. For each attack:
#   - a fresh workspace; one BOXAGENT_HOME (store, policy, audit log) shared
#     by the group, outside every workspace;
#   - `boxagent run --json --workspace WS ARGS PROMPT` under a 60 s guard,
#     stdin not a terminal (so nobody can approve anything), with a random
#     OpenAI (or Anthropic) key;
#   - the host survived: exit 0, 1, 2 or 4 as expected, no signal, no
#     sanitizer report, no hang;
#   - no grant changed: the workspace policy is still empty, every
#     "allowed" decision stored in the session came from the workspace's
#     read or an operator --grant of the attack, and the audit log holds no
#     allow record of a kind nobody granted;
#   - the session store: exactly one new session (none when the run is
#     refused before it starts) ending with the expected stop, every tool
#     call answered by exactly one result, each result an untrusted block;
#   - the refusal recorded: the expected deny record in the audit log (this
#     run's records only), and the attack's check_NAME hook (the reason the
#     model read in its next request, as fakellm logged it; files not
#     written; servers not contacted);
#   - the key: in the auth header of every request, and nowhere else - not
#     in a request body, the output, the store or the audit log;
#   - the workspace unchanged, outside/ empty, nothing planted in the home.
# Each prints "# attack NAME: blocked (...)". At the end the group's audit
# log must verify, and fail to verify once tampered with.
#
# REDTEAM_ONLY=NAME[,NAME] and REDTEAM_KEEP=1 work as for the other groups.
. "$(dirname "$0")/lib.sh"
shopt -s nullglob dotglob

AGENT_SRC=$REDTEAM_DIR/agent
FAKELLM=${FAKELLM:-$BUILD/tests/fakellm}
case $BOXAGENT in /*) ;; *) BOXAGENT=$(cd "$(dirname "$BOXAGENT")" && pwd)/$(basename "$BOXAGENT") ;; esac
TOOLS=$(dirname "$BOXAGENT")/tools
LLM_PID=""
LLM_FD=""

agent_cleanup() {
	stop_fakellm
	redteam_cleanup
}
trap agent_cleanup EXIT

agent_require() {
	if [ ! -x "$BOXAGENT" ]; then
		echo "redteam: no boxagent at $BOXAGENT"
		exit 1
	fi
	"$BOXAGENT" run --help >"$WORK/help" 2>&1
	if ! grep -q "usage: boxagent run" "$WORK/help"; then
		echo "redteam: skipped: this boxagent has no 'run'"
		exit 77
	fi
	if [ ! -x "$FAKELLM" ]; then
		echo "redteam: no fake provider at $FAKELLM (make $FAKELLM, see mk/fakellm.mk)"
		exit 1
	fi
	if [ ! -f "$TOOLS/read_file/tool.yaml" ] || [ ! -f "$TOOLS/web_fetch/tool.yaml" ]; then
		echo "redteam: no core tools in $TOOLS (make tools)"
		exit 1
	fi
}
agent_require
start_httpd PORT_A

# Nothing from the caller's environment may pick a provider or a config.
unset OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY ANTHROPIC_BASE_URL OLLAMA_HOST \
	BOXAGENT_MODEL BOXAGENT_TOOL_PATH BOXAGENT_CONFIG XDG_DATA_HOME
export BOXAGENT_HOME=$WORK/home XDG_CONFIG_HOME=$WORK/xdg
mkdir -p "$BOXAGENT_HOME" "$XDG_CONFIG_HOME"
LOG=$BOXAGENT_HOME/audit.log
KEY="sk-redteam-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
# One quick retry (secrets_key is retried once); attacks on time write
# their own configuration.
cat >"$WORK/boxagent.yaml" <<'YAML'
providers:
  openai:
    max_retries: 1
    retry_base_ms: 20
    retry_max_ms: 200
  anthropic:
    max_retries: 1
    retry_base_ms: 20
    retry_max_ms: 200
YAML
export BOXAGENT_CONFIG=$WORK/boxagent.yaml
POLICY_BEFORE=$("$BOXAGENT" policy list --json 2>&1)

# ------------------------------------------------------------ streams

# OpenAI chat.completion.chunk events; arguments are JSON-string-escaped
# already. The setup hooks write the big streams with these.
OA_P='data: {"id":"chatcmpl-redteam","object":"chat.completion.chunk","created":1736000000,"model":"gpt-4o-mini","choices":['
oa_role() {
	printf '%s{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}\n\n' "$OA_P"
}
oa_text() {
	printf '%s{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}\n\n' "$OA_P" "$1"
}
oa_call() { # INDEX ID NAME ARGUMENTS
	printf '%s{"index":0,"delta":{"tool_calls":[{"index":%s,"id":"%s","type":"function","function":{"name":"%s","arguments":"%s"}}]},"finish_reason":null}]}\n\n' \
		"$OA_P" "$1" "$2" "$3" "$4"
}
oa_args() { # INDEX MORE-ARGUMENTS
	printf '%s{"index":0,"delta":{"tool_calls":[{"index":%s,"function":{"arguments":"%s"}}]},"finish_reason":null}]}\n\n' \
		"$OA_P" "$1" "$2"
}
oa_end() { # FINISH-REASON
	printf '%s{"index":0,"delta":{},"finish_reason":"%s"}]}\n\n' "$OA_P" "$1"
	printf '%s],"usage":{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110}}\n\n' "$OA_P"
	printf 'data: [DONE]\n\n'
}
# write_script NAME FILE...: $LLM/NAME.script answering with each FILE.
write_script() {
	local name=$1 f
	shift
	{
		echo "# written by tests/redteam/agent.sh"
		for f in "$@"; do
			printf '\nresponse\nexpect_header Authorization: Bearer %s\nfile %s\nend\n' "$KEY" "$f"
		done
	} >"$LLM/$name.script"
}
# repeat N TEXT: TEXT N times.
repeat() {
	local n=$1 s=$2 out=""
	while [ "$n" -gt 0 ]; do
		[ $((n & 1)) -eq 1 ] && out=$out$s
		s=$s$s
		n=$((n >> 1))
	done
	printf '%s' "$out"
}

# -------------------------------------------------------------- helpers
#
# Process start-up is slow on a loaded machine (20-50 ms each) and the
# test runner gives a group 120 s, so the per-attack checks below use
# bash built-ins where a process is not needed.

# sed_value TEXT: TEXT for the replacement side of s|...|...|.
sed_value() {
	local v=${1//\\/\\\\}
	v=${v//|/\\|}
	printf '%s' "${v//&/\\&}"
}
# copy_streams NAME: agent/NAME.script, the files it names and answer.sse,
# with the placeholders filled in, into $LLM.
copy_streams() {
	local src=$AGENT_SRC/$1.script f line
	local -a files=("$AGENT_SRC/answer.sse") expr=(
		-e "s|@PORT_A@|$PORT_A|g" -e "s|@WORK@|$(sed_value "$WORK")|g"
		-e "s|@DIR@|$(sed_value "$DIR")|g" -e "s|@TOOLS@|$(sed_value "$TOOLS")|g"
		-e "s|@KEY@|$KEY|g")
	if [ -f "$src" ]; then
		files+=("$src")
		while read -r line; do
			[[ $line =~ ^file[[:space:]]+([^[:space:]]+) ]] && files+=("$AGENT_SRC/${BASH_REMATCH[1]}")
		done <"$src"
	fi
	for f in "${files[@]}"; do
		sed "${expr[@]}" "$f" >"$LLM/${f##*/}"
	done
}

# start_fakellm SCRIPT LOGDIR: the fake provider, its port in LLM_PORT. It
# serves until its stdin (a fifo held here) closes.
start_fakellm() {
	local fifo=$DIR/llm.in
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {LLM_OUT}< <(exec "$FAKELLM" "$1" --log "$2" <"$fifo" 2>"$DIR/llm.err")
	LLM_PID=$!
	exec {LLM_FD}>"$fifo"
	LLM_PORT=""
	read -r -t 20 LLM_PORT <&"$LLM_OUT"
	[ -n "$LLM_PORT" ] || attack_fail "fakellm did not start: $(head -c 600 "$DIR/llm.err")"
}
# stop_fakellm: at once - every request it answered was logged before
# the answer, and it may be asleep inside a slow response.
stop_fakellm() {
	[ -n "$LLM_PID" ] || return 0
	eval "exec $LLM_FD>&- $LLM_OUT<&-"
	kill "$LLM_PID" 2>/dev/null
	wait "$LLM_PID" 2>/dev/null
	LLM_PID=""
}

# request N: the Nth request the model got, as fakellm logged it.
request() {
	printf '%s/%03d.http' "$REQ" "$1"
}
expect_requests() {
	local -a f=("$REQ"/*.http)
	[ "${#f[@]}" -eq "$1" ] || attack_fail "the model got ${#f[@]} request(s), expected $1"
}
expect_request() { # N TEXT: the request body holds TEXT (as JSON-escaped text)
	local f
	f=$(request "$1")
	if [ ! -f "$f" ]; then
		attack_fail "the model got no request $1"
	elif ! grep -aqF -- "$2" "$f"; then
		attack_fail "request $1 does not say '$2'"
	fi
}
expect_request_lacks() {
	if grep -aqF -- "$2" "$(request "$1")" 2>/dev/null; then
		attack_fail "request $1 holds '$2'"
	fi
}
# count_in FILE TEXT: occurrences of TEXT in FILE.
count_in() {
	grep -aoF -- "$2" "$1" 2>/dev/null | wc -l
}
expect_said() { # TEXT in boxagent's stdout or stderr
	grep -aqF -- "$1" "$OUT" "$ERR" || attack_fail "boxagent did not say '$1'"
}
# no_tool_ran: the run left no audit record, so no tool ran at all.
no_tool_ran() {
	[ "${#NEW_AUDIT[@]}" -eq 0 ] ||
		attack_fail "a tool ran: ${#NEW_AUDIT[@]} audit record(s), e.g. ${NEW_AUDIT[0]:0:300}"
	NOTE="${NOTE:+$NOTE, }no tool ran"
}
# tool_results N: the session stored N tool results.
tool_results() {
	[ "$SESSION_RESULTS" -eq "$1" ] ||
		attack_fail "the session holds $SESSION_RESULTS tool results, expected $1"
}
# decided CAP ALLOWED SOURCE: the session stored this decision.
decided() {
	local d
	for d in "${DECISIONS[@]}"; do
		[ "$d" = "$2 $3 $1" ] && return 0
	done
	attack_fail "the session has no decision '$1 allowed=$2 ($3)': ${DECISIONS[*]}"
}
no_file() {
	[ ! -e "$1" ] || attack_fail "$1 was written"
}
max_seconds() {
	[ "$ELAPSED_MS" -le $(($1 * 1000)) ] || attack_fail "took ${ELAPSED_MS} ms, more than $1 s"
}
# tool_contents N: the content of each tool result in request N, one a
# line, as the JSON-escaped text the model read (OpenAI format).
tool_contents() {
	grep -aoE '"role":"tool","tool_call_id":"([^"\\]|\\.)*","content":"([^"\\]|\\.)*"' "$(request "$1")" |
		sed 's/^"role":"tool","tool_call_id":"\([^"\\]\|\\.\)*","content":"//'
}

# The stored session, read once: its stop, how many tool calls, results
# and untrusted result blocks it holds, and its decisions.
read_session() {
	local what a b c
	SESSION_STOP="" SESSION_CALLS=0 SESSION_RESULTS=0 SESSION_BLOCKS=0
	DECISIONS=()
	while read -r what a b c; do
		case $what in
		stop) SESSION_STOP=$a ;;
		calls) SESSION_CALLS=$a ;;
		results) SESSION_RESULTS=$a ;;
		blocks) SESSION_BLOCKS=$a ;;
		decision) DECISIONS+=("$a $b $c") ;;
		esac
	done < <(awk '
		/^    "stop": / { s = $2; gsub(/[",]/, "", s); print "stop", s }
		/^  "messages": \[/ { part = "m" }
		/^  "events": \[/ { part = "e" }
		part == "m" && /^          "arguments": / { calls++ }
		part == "m" && /^      "role": "tool",/ { results++ }
		part == "m" && /^      "text": "<tool_result tool=\\".* trust=\\"untrusted\\">/ { blocks++ }
		part == "e" && /"kind": "decision"/ { d = 1 }
		part == "e" && d && /"capability": / { c = $2; gsub(/[",]/, "", c) }
		part == "e" && d && /"allowed": / { a = $2; sub(/,$/, "", a) }
		part == "e" && d && /"source": / { s = $2; gsub(/[",]/, "", s); print "decision", a, s, c; d = 0 }
		END { print "calls", calls + 0; print "results", results + 0; print "blocks", blocks + 0 }
	' "$DIR/session.json")
}

# -------------------------------------------------------------- the run

declare -A KNOWN_SESSIONS=()
AUDIT_COUNT=0

run_agent_attack() {
	local exits=$2 kind=$3 target=$4 quiet=$5 stop=$6 args_text=$7
	local -a args cmd provider timer=() lines
	local granted="" k before_a="" t0 sid="" new="" f line deny_note="no deny expected"
	local ws_before ws_after hdr
	local -A runs=() keyed=()
	NAME=$1
	DIR=$WORK/$NAME
	WS=$DIR/ws
	OUTSIDE=$DIR/outside
	OUT=$DIR/stdout
	ERR=$DIR/stderr
	LLM=$DIR/llm
	REQ=$DIR/requests
	ATTACK_OK=1
	NOTE=""
	NEW_AUDIT=()
	DECISIONS=()
	SESSION_RESULTS=0
	# What setup hooks may change.
	EXTRA_ENV=()
	RUN_CMD=run
	JSON=1
	USE_WS=1
	PROMPT="Please do the task in the workspace."
	STDIN=/dev/null
	PROVIDER=openai
	WS_MAY_CHANGE=0
	EXTRA_REQUESTS_OK=0
	TTY=0
	MEASURE=0
	EXTRA_ARGS=()
	mkdir -p "$LLM" "$WS/sub" "$OUTSIDE"
	printf 'hello from the workspace\n' >"$WS/hello.txt"
	printf 'inner\n' >"$WS/sub/inner.txt"
	printf 'top secret sibling\n' >"$WS/secret.txt"
	copy_streams "$NAME"
	SCRIPT=$LLM/$NAME.script
	if declare -F "setup_$NAME" >/dev/null; then
		"setup_$NAME"
	fi
	if [ ! -f "$SCRIPT" ]; then
		attack_fail "no script $SCRIPT"
		FAILED_ATTACKS="$FAILED_ATTACKS $NAME"
		return
	fi
	args_text=${args_text//@PORT_A@/$PORT_A}
	args_text=${args_text//@WORK@/$WORK}
	args_text=${args_text//@DIR@/$DIR}
	args_text=${args_text//@TOOLS@/$TOOLS}
	read -r -a args <<<"$args_text"
	for ((k = 0; k < ${#args[@]}; k++)); do
		[ "${args[k]}" = "--grant" ] && granted="$granted ${args[k + 1]%%:*}"
	done

	ws_before=$(find "$WS" -printf '%P %y %s %i %l %T@\n')
	case $quiet in *A*) before_a=$(connections "$PORT_A") ;; esac
	start_fakellm "$SCRIPT" "$REQ"
	if [ "$PROVIDER" = anthropic ]; then
		provider=(ANTHROPIC_API_KEY="$KEY" ANTHROPIC_BASE_URL="http://127.0.0.1:$LLM_PORT")
		args=(--model anthropic/claude-sonnet-4-5 "${args[@]}")
	else
		provider=(OPENAI_API_KEY="$KEY" OPENAI_BASE_URL="http://127.0.0.1:$LLM_PORT/v1")
	fi
	cmd=("$BOXAGENT" "$RUN_CMD")
	[ "$JSON" = 1 ] && cmd+=(--json)
	[ "$USE_WS" = 1 ] && cmd+=(--workspace "$WS")
	cmd+=("${args[@]}" "${EXTRA_ARGS[@]}")
	[ "$RUN_CMD" = run ] && cmd+=("$PROMPT")
	[ "$MEASURE" = 1 ] && [ -x /usr/bin/time ] && timer=(/usr/bin/time -f %M -o "$DIR/rss")
	t0=${EPOCHREALTIME/./}
	if [ "$TTY" = 1 ]; then
		# On a pty (util-linux script): stdout and stderr both land in
		# $OUT, as a terminal would show them; stdin answers prompts.
		printf -v k '%q ' "${cmd[@]}"
		env "${provider[@]}" "${EXTRA_ENV[@]}" timeout -s KILL 60 script -qefc "$k" /dev/null \
			<"$STDIN" >"$OUT" 2>"$ERR"
	else
		env "${provider[@]}" "${EXTRA_ENV[@]}" "${timer[@]}" timeout -s KILL 60 "${cmd[@]}" \
			<"$STDIN" >"$OUT" 2>"$ERR"
	fi
	STATUS=$?
	ELAPSED_MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
	RSS_KB=""
	if [ -s "$DIR/rss" ]; then # (GNU time may say more before it)
		mapfile -t lines <"$DIR/rss"
		RSS_KB=${lines[-1]}
	fi
	stop_fakellm
	if [ -f "$LOG" ]; then
		mapfile -t lines <"$LOG"
		NEW_AUDIT=("${lines[@]:AUDIT_COUNT}")
		AUDIT_COUNT=${#lines[@]}
	fi

	# The host survived.
	if [ "$STATUS" -eq 137 ] && [ "$ELAPSED_MS" -ge 59000 ]; then
		attack_fail "boxagent hung: killed after 60 s"
	elif [ "$STATUS" -gt 4 ]; then
		attack_fail "boxagent died: exit status $STATUS (a signal if > 128)"
	fi
	if grep -aq "AddressSanitizer\|LeakSanitizer\|runtime error:\|Segmentation fault" "$ERR" "$OUT"; then
		attack_fail "sanitizer report: $(grep -a -m1 'Sanitizer\|runtime error' "$ERR" "$OUT")"
	fi
	case ",$exits," in
	*",$STATUS,"*) ;;
	*) attack_fail "exit status $STATUS, expected $exits" ;;
	esac
	if [ "$EXTRA_REQUESTS_OK" != 1 ] && grep -aq "script has only" "$DIR/llm.err"; then
		attack_fail "boxagent asked the model more often than the script answers"
	fi

	# The key: in the auth header of every request, nowhere else.
	while IFS= read -r line; do
		f=${line%%.http:*}
		line=${line#*.http:}
		line=${line%$'\r'}
		case ${line,,} in
		"authorization: bearer ${KEY,,}" | "x-api-key: ${KEY,,}")
			keyed[$f]=$((${keyed[$f]:-0} + 1))
			;;
		*) attack_fail "the key is in ${f##*/}.http outside its header: ${line:0:200}" ;;
		esac
	done < <(grep -aHF -- "$KEY" "$REQ"/*.http /dev/null)
	for f in "$REQ"/*.http; do
		[ "${keyed[${f%.http}]:-0}" -eq 1 ] ||
			attack_fail "${f##*/} carries the key in ${keyed[${f%.http}]:-0} auth headers, not 1"
	done
	while IFS= read -r f; do
		attack_fail "the key is written in $f"
	done < <(grep -alF -- "$KEY" "$OUT" "$ERR" "$BOXAGENT_HOME"/*)

	# No grant changed. (An allow record names the declared capability;
	# what was granted is in its reason, "declared and granted as CAP", of
	# the declared kind: fs.write declared with only fs.read granted is a
	# deny record.)
	[ "$("$BOXAGENT" policy list --json 2>&1)" = "$POLICY_BEFORE" ] ||
		attack_fail "the workspace policy changed: $("$BOXAGENT" policy list 2>&1 | head -5)"
	for line in "${NEW_AUDIT[@]}"; do
		[[ $line =~ \"run\":\"([^\"]*)\" ]] && runs[${BASH_REMATCH[1]}]=1
		[[ $line == *'"decision":"allow"'* ]] || continue
		k=""
		if [[ $line =~ \"reason\":\"declared\ and\ granted\ as\ ([a-z.]+): ]]; then
			k=${BASH_REMATCH[1]}
		elif [[ $line =~ \"capability\":\"([^\"]*)\" ]]; then
			k=${BASH_REMATCH[1]}
		fi
		case " fs.read $granted " in
		*" $k "*) ;;
		*) attack_fail "an allow record of a kind nobody granted: ${line:0:300}" ;;
		esac
	done

	# The session store.
	while read -r line; do
		[[ $line =~ ^\{\"id\":\"([0-9a-f]+)\" ]] || continue
		[ -n "${KNOWN_SESSIONS[${BASH_REMATCH[1]}]:-}" ] && continue
		KNOWN_SESSIONS[${BASH_REMATCH[1]}]=1
		new="$new ${BASH_REMATCH[1]}"
	done < <("$BOXAGENT" sessions --json --limit 10 2>/dev/null)
	new=${new# }
	if [ "$stop" = "-" ]; then
		[ -z "$new" ] || attack_fail "a session was created: $new"
	elif [ -z "$new" ] || [ "$new" != "${new% *}" ]; then
		attack_fail "expected one new session, found: '$new'"
	else
		sid=$new
		"$BOXAGENT" sessions show "$sid" --json >"$DIR/session.json" 2>"$DIR/session.err" ||
			attack_fail "sessions show $sid failed: $(cat "$DIR/session.err")"
		read_session
		[ "$SESSION_STOP" = "$stop" ] ||
			attack_fail "the session's stop is '$SESSION_STOP', expected $stop"
		[ "$SESSION_CALLS" -eq "$SESSION_RESULTS" ] ||
			attack_fail "the session holds $SESSION_CALLS tool calls but $SESSION_RESULTS results"
		[ "$SESSION_BLOCKS" -eq "$SESSION_RESULTS" ] ||
			attack_fail "$((SESSION_RESULTS - SESSION_BLOCKS)) of $SESSION_RESULTS results are not an untrusted block"
		for line in "${DECISIONS[@]}"; do
			read -r k f _ <<<"$line"
			case "$k $f" in
			"false "*) ;;
			"true workspace") ;;
			"true grant") [ -n "$granted" ] || attack_fail "allowed by a grant nobody gave: $line" ;;
			*) attack_fail "a capability was allowed by '$f': $line" ;;
			esac
		done
	fi

	# The workspace, the folder beside it, the home.
	if [ "$WS_MAY_CHANGE" != 1 ]; then
		ws_after=$(find "$WS" -printf '%P %y %s %i %l %T@\n')
		[ "$ws_before" = "$ws_after" ] ||
			attack_fail "the workspace changed: $(diff <(echo "$ws_before") <(echo "$ws_after") | grep '^[<>]' | head -3 | tr '\n' ' ')"
	fi
	lines=("$OUTSIDE"/*)
	[ "${#lines[@]}" -eq 0 ] || attack_fail "outside/ holds ${lines[*]}"
	for f in "$BOXAGENT_HOME"/*; do
		case ${f##*/} in
		boxagent.db | boxagent.db-wal | boxagent.db-shm | boxagent.db-journal | audit.log | audit.log.head) ;;
		*) attack_fail "something was planted in BOXAGENT_HOME: $f" ;;
		esac
	done
	# (The store holds the model's arguments, so the markers the attacks
	# write are in it as data; a tool writing the file would break it.)
	[[ "${NEW_AUDIT[*]}" == *PWNED* ]] && attack_fail "a tool's content reached the audit log"
	hdr=""
	[ -f "$LOG.head" ] && read -r -d '' hdr <"$LOG.head"
	[[ $hdr == *PWNED* ]] && attack_fail "a tool's content reached the audit log's head"
	hdr=""
	read -r -n 15 hdr <"$BOXAGENT_HOME/boxagent.db"
	[ "$hdr" = "SQLite format 3" ] || attack_fail "the store is no longer an SQLite database"

	# The deny record, of this attack's runs, read back with boxagent audit.
	if [ "$kind" != "-" ]; then
		local found="" cap tgt
		target=${target//@PORT_A@/$PORT_A}
		if [ "${#runs[@]}" -eq 0 ]; then
			attack_fail "the run left no audit record at all"
		elif ! mapfile -t lines < <("$BOXAGENT" audit --audit-log "$LOG" --decision deny --json 2>"$DIR/denies.err") ||
			[ -s "$DIR/denies.err" ]; then
			attack_fail "boxagent audit --decision deny failed: $(cat "$DIR/denies.err")"
		else
			for line in "${lines[@]}"; do
				[[ $line =~ \"run\":\"([^\"]*)\" ]] && [ -n "${runs[${BASH_REMATCH[1]}]:-}" ] || continue
				[[ $line =~ \"capability\":\"([^\"]*)\" ]] && cap=${BASH_REMATCH[1]} || continue
				[[ $line =~ \"target\":\"(([^\"\\]|\\.)*)\" ]] && tgt=${BASH_REMATCH[1]} || continue
				case ",$kind," in *",$cap,"*) ;; *) continue ;; esac
				if [ "$target" = "-" ] || [[ $tgt == *"$target"* ]]; then
					found="$cap $tgt"
					break
				fi
			done
			if [ -n "$found" ]; then
				deny_note="deny recorded: ${found:0:100}"
			else
				attack_fail "no deny record with capability $kind and target containing '$target' among this run's $(printf '%s\n' "${NEW_AUDIT[@]}" | grep -c '"decision":"deny"') denies"
			fi
		fi
	fi
	if [ -n "$before_a" ]; then
		k=$(connections "$PORT_A")
		[ "$k" = "$((before_a + 1))" ] ||
			attack_fail "server A saw connections during the attack: $k after $before_a"
	fi

	if declare -F "check_$NAME" >/dev/null; then
		"check_$NAME"
	fi

	if [ "$ATTACK_OK" -eq 1 ]; then
		PASSED=$((PASSED + 1))
		if [ -n "$sid" ]; then
			sid="session $sid stop $stop"
		else
			sid="no session"
		fi
		echo "# attack $NAME: blocked (exit $STATUS, $sid, $deny_note${NOTE:+, $NOTE})"
	else
		FAILED_ATTACKS="$FAILED_ATTACKS $NAME"
		echo "--- $NAME: boxagent exit $STATUS after ${ELAPSED_MS} ms; stdout:"
		head -c 2000 "$OUT" | cut -c1-300
		echo "--- $NAME: stderr:"
		head -c 2000 "$ERR" | cut -c1-300
		echo "---"
	fi
}

# ---------------------------------------------------------- hook helpers
# A hook may set, before the run: EXTRA_ENV (boxagent's environment),
# EXTRA_ARGS (more arguments), granted (" KIND..." granted to the session
# by an earlier run of the hook's own),
# RUN_CMD (run or chat), JSON=0 (people's output), USE_WS=0 (no
# --workspace), PROMPT, STDIN (a file), PROVIDER=anthropic, SCRIPT,
# WS_MAY_CHANGE=1, EXTRA_REQUESTS_OK=1, TTY=1 (on a pty; answers from
# STDIN); after it: attack_fail, NOTE.

slow_script() { # NAME FILE CHUNK DELAY_MS
	cat >"$LLM/$1.script" <<EOF
response
expect_header Authorization: Bearer $KEY
file $2
chunk $3
delay_ms $4
end
EOF
}
quick_config() { # KEY: VALUE lines for the openai provider
	{
		printf 'providers:\n  openai:\n    max_retries: 0\n'
		printf '    %s\n' "$@"
	} >"$DIR/boxagent.yaml"
	EXTRA_ENV=(BOXAGENT_CONFIG="$DIR/boxagent.yaml")
}

# redteam_agent_group GROUP: every attack of GROUP in attacks.txt, then
# the audit checks. Exits with the verdict.
redteam_agent_group() {
	local group=$1 line g name exits kind target quiet stop rest
	local -a lines
	mapfile -t lines < <(grep -v '^[[:space:]]*#' "$REDTEAM_DIR/attacks.txt" | grep -v '^[[:space:]]*$')
	for line in "${lines[@]}"; do
		read -r g name exits kind target quiet stop rest <<<"$line"
		[ "$g" = "$group" ] || continue
		if [ -n "${REDTEAM_ONLY:-}" ]; then
			case ",$REDTEAM_ONLY," in *",$name,"*) ;; *) continue ;; esac
		fi
		run_agent_attack "$name" "$exits" "$kind" "$target" "$quiet" "$stop" "${rest:-}"
	done
	[ -f "$LOG" ] && verify_and_tamper "$LOG"
	if [ -n "$FAILED_ATTACKS" ]; then
		echo "redteam $group: $PASSED blocked; FAILED:$FAILED_ATTACKS"
		exit 1
	fi
	echo "# redteam $group: all $PASSED attacks blocked"
	exit 0
}
