# Red team, environment: variables that were not granted (attacks.txt,
# group env).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
redteam_require

HOST_SECRET="hunter2-aws-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
group_setup() {
	EXTRA_ENV=(AWS_SECRET_ACCESS_KEY="$HOST_SECRET" LANG=C.UTF-8 HOME=/root/redteam-home)
}
group_check() {
	! grep -aqF "$HOST_SECRET" "$OUT" "$ERR" ||
		attack_fail "the value of AWS_SECRET_ACCESS_KEY reached the output"
	! grep -aqF "hunter2-from-the-command-line" "$OUT" ||
		attack_fail "the value of the undeclared --env API_KEY reached the output"
}
group_end() {
	! grep -qF "$HOST_SECRET" "$LOG" ||
		{ echo "FAILED: the audit log holds the value of AWS_SECRET_ACCESS_KEY"; FAILED_ATTACKS="$FAILED_ATTACKS audit-leak"; }
}

redteam_run_group env
