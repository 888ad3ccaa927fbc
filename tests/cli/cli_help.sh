# The command table: help, version, unknown commands and options.
. "$(dirname "$0")/lib/common.sh"

check 0 --help
expect_stdout_contains "usage: boxagent"
expect_stdout_contains "wasm "
expect_stdout_contains "version"

check 0 help
expect_stdout_contains "Commands:"

check 0 --version
grep -Eq '^boxagent [0-9]+\.[0-9]+\.[0-9]+' "$OUT" || fail "version line"
check 0 version

check 0 help wasm
expect_stdout_contains "boxagent wasm run"
check 0 wasm --help
expect_stdout_contains "boxagent wasm validate"
check 0 help wasm run
expect_stdout_contains "--max-memory"
check 0 wasm run --help
expect_stdout_contains "--invoke"
check 0 version --help
expect_stdout_contains "usage: boxagent version"

# No command: overview on stderr, usage status.
check 2
expect_stderr_contains "usage: boxagent"

check 2 frobnicate
expect_stderr_contains "unknown command 'frobnicate'"
check 2 --frobnicate
expect_stderr_contains "unknown option '--frobnicate'"
check 2 help frobnicate
expect_stderr_contains "no command named 'frobnicate'"
check 2 wasm frobnicate
expect_stderr_contains "unknown wasm subcommand 'frobnicate'"
check 2 wasm run --frobnicate x.wasm
expect_stderr_contains "unknown option '--frobnicate'"
check 2 version extra
check 2 help version extra
