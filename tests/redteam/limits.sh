# Red team, resource limits: fuel, deadline, memory, call depth, output,
# sleeps, host-call storms and hostile responses (attacks.txt, group
# limits).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
redteam_require
start_servers

check_limit_timeout() {
	max_seconds 10
}
check_limit_sleep() {
	max_seconds 10
}
check_limit_recursion() {
	echo "# limit_recursion ended with exit $STATUS: $(grep -a -m1 'boxagent:' "$ERR" | cut -c1-160)"
}
check_limit_stdout_flood() {
	local size
	size=$(stat -c %s "$OUT")
	[ "$size" -le $((512 * 1024)) ] || attack_fail "$size bytes reached stdout under a 256 KiB cap"
}
check_limit_stderr_flood() {
	local size
	size=$(stat -c %s "$ERR")
	[ "$size" -le $((512 * 1024 + 8192)) ] || attack_fail "$size bytes reached stderr under a 256 KiB cap"
}
check_limit_hostcall_storm() {
	max_seconds 30
	echo "# limit_hostcall_storm: $(wc -l <"$WORK/storm.log") audit records in ${ELAPSED_MS} ms ($(stat -c %s "$WORK/storm.log") bytes)"
}
check_limit_response_bomb() {
	if [ -n "$RSS_KB" ]; then
		[ "$RSS_KB" -lt $((512 * 1024)) ] || attack_fail "boxagent's peak memory was $RSS_KB KiB for a 1 GiB response"
		echo "# limit_response_bomb: boxagent peak memory $RSS_KB KiB"
	fi
}
check_limit_slow_response() {
	max_seconds 15
}
setup_limit_redirect_chain() {
	CHAIN_BEFORE=$(connections "$PORT_A")
}
check_limit_redirect_chain() {
	local seen=$(($(connections "$PORT_A") - CHAIN_BEFORE - 1))
	[ "$seen" -le 7 ] || attack_fail "A saw $seen connections for one request (redirects unbounded?)"
	echo "# limit_redirect_chain: A saw $seen connections"
}
check_limit_response_hoard() {
	if [ -n "$RSS_KB" ]; then
		[ "$RSS_KB" -lt $((1024 * 1024)) ] || attack_fail "boxagent's peak memory was $RSS_KB KiB"
		echo "# limit_response_hoard: boxagent peak memory $RSS_KB KiB"
	fi
}
group_end() {
	[ -f "$WORK/storm.log" ] || return 0
	"$BOXAGENT" audit verify --audit-log "$WORK/storm.log" >"$WORK/verify.out" 2>&1 ||
		{ echo "FAILED: the storm's audit log does not verify: $(cat "$WORK/verify.out")"; FAILED_ATTACKS="$FAILED_ATTACKS storm-verify"; }
}

redteam_run_group limits
