# Red team, files: escapes from the workspace through "..", absolute paths,
# symlinks, hard links, /proc and read-only grants (attacks.txt, group fs).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
redteam_require

setup_fs_symlink_harness() {
	ln -s /etc "$WS/link"
	ln -s ../../../../../../../../../../etc "$WS/rel"
	ln -s /etc/passwd "$WS/pw"
}
setup_fs_proc_environ() {
	ln -s /proc/self "$WS/self"
	# Something worth stealing in boxagent's own environment.
	EXTRA_ENV=(REDTEAM_HOST_SECRET=hunter2-in-the-host-environment)
}
check_fs_proc_environ() {
	! grep -aq "hunter2-in-the-host-environment" "$OUT" "$ERR" ||
		attack_fail "the host environment's secret reached the output"
}
setup_fs_proc_magic() {
	ln -s /proc/self "$WS/self"
}
setup_fs_hardlink() {
	ln -s /etc "$WS/link"
	ln -s /etc/passwd "$WS/pw"
}
check_fs_hardlink() {
	local f
	for f in pw1 pw2 pw3 pw4 pw5; do
		[ ! -f "$WS/$f" ] || attack_fail "a hard link $f to a host file exists in the workspace"
	done
}
setup_fs_readonly_write() {
	snapshot "$WS" >"$DIR/before"
}
check_fs_readonly_write() {
	snapshot "$WS" >"$DIR/after"
	cmp -s "$DIR/before" "$DIR/after" ||
		attack_fail "the read-only workspace changed: $(diff "$DIR/before" "$DIR/after" | tr '\n' ' ' | cut -c1-300)"
}
check_fs_symlink_write_out() {
	empty_dir "$OUTSIDE"
}
check_fs_move_out() {
	empty_dir "$OUTSIDE"
	[ -f "$WS/hello.txt" ] || attack_fail "hello.txt left the workspace"
}
setup_fs_stat_probe() {
	ln -s /etc "$WS/link"
	ln -s /etc/passwd "$WS/pw"
}
setup_fs_planted_write() {
	printf 'original\n' >"$OUTSIDE/victim.txt"
	ln -s "$OUTSIDE/victim.txt" "$WS/victim"
	ln -s ../outside/victim.txt "$WS/victim_rel"
	ln -s "$OUTSIDE/created.txt" "$WS/dangling"
	ln -s ../outside/created2.txt "$WS/dangling_rel"
}
check_fs_planted_write() {
	[ "$(cat "$OUTSIDE/victim.txt")" = original ] ||
		attack_fail "the host file behind the planted link changed: $(head -c 80 "$OUTSIDE/victim.txt")"
	[ "$(ls -A "$OUTSIDE")" = victim.txt ] ||
		attack_fail "files appeared outside the workspace: $(ls -A "$OUTSIDE" | tr '\n' ' ')"
}
check_fs_audit_injection() {
	local bad
	# Every line is one record as the writer made it: it starts with
	# {"seq": and ends with the hash.
	bad=$(grep -avn '^{"seq":[0-9]*,.*,"hash":"[0-9a-f]\{64\}"}$' "$LOG" | head -3)
	[ -z "$bad" ] || attack_fail "audit lines that are not whole records: $(printf '%s' "$bad" | cut -c1-200)"
	! grep -aq '"decision":"allow","capability":"fs.read","target":"/etc/passwd"' "$LOG" ||
		attack_fail "a forged allow record for /etc/passwd is in the log"
	"$BOXAGENT" audit verify --audit-log "$LOG" >"$DIR/verify" 2>&1 ||
		attack_fail "the chain no longer verifies: $(cat "$DIR/verify")"
}

redteam_run_group fs
