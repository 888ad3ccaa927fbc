# Red team, secrets: a tool that must never learn or send the secret the
# host injects for it (attacks.txt, group secrets). API_TOKEN is bound to
# server A; its value is random per run and supplied with --secret
# API_TOKEN=env:API_TOKEN. Besides each attack's own checks, the value must
# never appear in boxagent's output or in the audit log.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
redteam_require
start_servers

SECRET_VALUE="tok-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
SECRET_ARGS="--grant network:http://127.0.0.1:$PORT_A --grant network:http://127.0.0.1:$PORT_B --grant secret:API_TOKEN --secret API_TOKEN=env:API_TOKEN"

group_setup() {
	EXTRA_ENV=(API_TOKEN="$SECRET_VALUE")
	# The exfiltration attacks fall back to this when they cannot read the
	# secret back: as if it had reached the tool some other way.
	INPUT_EXTRA=",\"leak\":\"$SECRET_VALUE\""
}
group_check() {
	# The tool prints only a prefix of what it learned; the full value in
	# the output can only come from the host.
	! grep -aqF "$SECRET_VALUE" "$OUT" ||
		attack_fail "the secret's value is in boxagent's stdout"
	! grep -aqF "$SECRET_VALUE" "$ERR" ||
		attack_fail "the secret's value is in boxagent's stderr (a host message or last_error echoed it)"
}
group_end() {
	local hex b64
	if grep -qF "$SECRET_VALUE" "$LOG"; then
		echo "FAILED: the audit log holds the secret's value: $(grep -cF "$SECRET_VALUE" "$LOG") line(s)"
		FAILED_ATTACKS="$FAILED_ATTACKS audit-leak"
	fi
	hex=$(printf '%s' "$SECRET_VALUE" | od -An -tx1 | tr -d ' \n')
	b64=$(printf '%s' "$SECRET_VALUE" | base64 -w0 | tr -d '=')
	if grep -qiF "$hex" "$LOG" || grep -qF "${b64:0:16}" "$LOG"; then
		echo "# warning: the audit log holds an encoded spelling of the secret"
	fi
}

redteam_run_group secrets
