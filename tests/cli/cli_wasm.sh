# boxagent wasm validate / run: results, traps, limits and exit statuses.
. "$(dirname "$0")/lib/common.sh"

calc=$(wat calc)

check 0 wasm validate "$calc"
expect_stdout_contains "valid"

# Invalid and malformed modules: a clear message with the offset, status 2.
printf '\0asm\1\0\0\0\1' >"$WORK/truncated.wasm"
check 2 wasm validate "$WORK/truncated.wasm"
expect_stderr_contains "offset"
printf 'not wasm at all' >"$WORK/junk.wasm"
check 2 wasm validate "$WORK/junk.wasm"
expect_stderr_contains "magic"
check 2 wasm validate "$WORK/missing.wasm"
expect_stderr_contains "cannot open"
check 2 wasm validate
check 2 wasm run

# Calls print TYPE:VALUE lines.
check 0 wasm run --invoke add "$calc" 40 2
expect_stdout "i32:42"
check 0 wasm run --invoke add "$calc" -1 0
expect_stdout "i32:4294967295"
check 0 wasm run --invoke=pair "$calc" 7 2.5
expect_stdout "f64:2.5
i64:7"
check 0 wasm run --invoke half "$calc" 3
expect_stdout "f32:1.5"
check 0 wasm run "$calc"
expect_stdout ""

# Bad arguments are usage errors.
check 2 wasm run --invoke add "$calc" 1
expect_stderr_contains "takes 2 argument(s), 1 given"
check 2 wasm run --invoke add "$calc" 1 x
expect_stderr_contains "not a valid i32"
check 2 wasm run --invoke add "$calc" 1 4294967296
check 2 wasm run --invoke nothere "$calc"
expect_stderr_contains "no export named 'nothere'"
check 2 wasm run --fuel abc "$calc"
check 2 wasm run --max-memory 12parsecs "$calc"
check 2 wasm run --timeout soon "$calc"

# Traps: status 3 with the trap named.
check 3 wasm run --invoke div "$calc" 1 0
expect_stderr_contains "integer divide by zero"
check 3 wasm run --invoke poke "$calc" 70000
expect_stderr_contains "out of bounds memory access"
check 3 wasm run "$(wat start_traps)"
expect_stderr_contains "unreachable"

# Limits: status 4, and the host is still in charge.
check 4 wasm run --fuel 100000 --invoke spin "$calc"
expect_stderr_contains "fuel"
check 4 wasm run --timeout 200ms --invoke spin "$calc"
expect_stderr_contains "timed out after 200ms"
check 4 wasm run --max-call-depth 500 --invoke deep "$calc" 0
expect_stderr_contains "call stack exhausted"
# memory.grow fails at the cap (returns -1) instead of taking the host's
# memory: 4 MiB = 64 pages.
check 0 wasm run --max-memory 4MiB --invoke bomb "$calc"
expect_stdout "i32:64"
check 0 wasm run --invoke bomb "$calc"
expect_stdout "i32:100"

# `wasm run` is the bare engine: WASI modules are pointed to `tool run`,
# which runs them in the sandbox.
check 2 wasm run "$(wat wasi)"
expect_stderr_contains "wasi_snapshot_preview1.proc_exit"
expect_stderr_contains "boxagent tool run"
