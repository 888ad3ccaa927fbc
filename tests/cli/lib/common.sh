# common.sh - helpers for black-box CLI tests (sourced by tests/cli/*.sh).
#
# Each test script runs as one case under tests/runner.c, with BOXAGENT set
# to the binary under test and BUILD to the build folder. A failed check
# prints what was expected and what happened, then exits 1.
set -u

BOXAGENT=${BOXAGENT:-build/boxagent}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ba-cli-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/stdout
ERR=$WORK/stderr
STATUS=0

fail() {
	echo "FAILED: $*"
	echo "--- stdout:"; cat "$OUT" 2>/dev/null
	echo "--- stderr:"; cat "$ERR" 2>/dev/null
	exit 1
}

# run ARGS...: runs boxagent, keeps stdout, stderr and the exit status.
run() {
	set +e
	"$BOXAGENT" "$@" >"$OUT" 2>"$ERR"
	STATUS=$?
	set -e
}

expect_status() {
	[ "$STATUS" -eq "$1" ] || fail "expected exit status $1, got $STATUS (boxagent $LAST_ARGS)"
}

expect_stdout() { # exact
	actual=$(cat "$OUT")
	[ "$actual" = "$1" ] || fail "expected stdout '$1', got '$actual'"
}

expect_stdout_contains() {
	grep -qF -- "$1" "$OUT" || fail "stdout does not contain '$1'"
}

expect_stderr_contains() {
	grep -qF -- "$1" "$ERR" || fail "stderr does not contain '$1'"
}

# check STATUS ARGS...: run and check the exit status in one step.
check() {
	want=$1
	shift
	LAST_ARGS="$*"
	run "$@"
	expect_status "$want"
}

# wat NAME: converts tests/cli/wat/NAME.wat to $WORK/NAME.wasm (wabt).
wat() {
	here=$(dirname "$0")
	wat2wasm "$here/wat/$1.wat" -o "$WORK/$1.wasm" || fail "wat2wasm $1.wat failed"
	echo "$WORK/$1.wasm"
}

LAST_ARGS=""
set -e
