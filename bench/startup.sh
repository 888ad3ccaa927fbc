#!/usr/bin/env bash
# startup.sh - what a whole tool run costs, process start to exit: the same
# trivial program (bench/startup/trivial.c) run natively, through
# `boxagent tool run` (bare module, and with a manifest), and through the
# peers that can run WASI commands (wabt's wasm-interp, node). Prints the
# median and mean of BENCH_STARTUP_RUNS runs and the ratio to native.
#
#   usage: bench/startup.sh     (normally through `make bench`)
#   env:   BENCH_DIR (build/bench), BOXAGENT (build/boxagent),
#          BENCH_STARTUP_RUNS (300)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=$(cd "${BENCH_DIR:-build/bench}/startup" && pwd)
boxagent=${BOXAGENT:-build/boxagent}
runs=${BENCH_STARTUP_RUNS:-300}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ba-startup-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

printf '{"question":"ping"}' >"$tmp/input.json"
cat >"$tmp/trivial.yaml" <<YAML
tool:
  name: trivial
  version: 1.0.0
  description: Reads its input and answers
  module: $dir/trivial.wasm
  permissions: [ env:LANG ]
YAML

spawn="$dir/spawn"
native_median=

row() { # row NAME COMMAND...
	local name=$1
	shift
	local out
	if ! out=$("$spawn" "$runs" "$tmp/input.json" "$@" 2>"$tmp/err"); then
		printf '| %-34s | %10s | %10s | %8s |\n' "$name" FAIL FAIL "$(head -c 60 "$tmp/err")"
		return
	fi
	local median=${out% *} mean=${out#* }
	[ -n "$native_median" ] || native_median=$median
	printf '| %-34s | %10s | %10s | %7.2fx |\n' "$name" "$median" "$mean" \
		"$(awk -v a="$median" -v b="$native_median" 'BEGIN { print a / b }')"
}

echo
echo "Tool start-up, process start to exit ($runs runs each, microseconds)"
echo
printf '| %-34s | %10s | %10s | %8s |\n' "how" "median us" "mean us" "vs native"
printf '|%s|%s|%s|%s|\n' "------------------------------------" "------------" "------------" "----------"
row "native (gcc -O2)" "$dir/trivial"
row "boxagent tool run (bare .wasm)" "$boxagent" tool run "$dir/trivial.wasm" \
	--audit-log "$tmp/audit.log" --input-file -
row "boxagent tool run (manifest)" "$boxagent" tool run "$tmp/trivial.yaml" --yes \
	--audit-log "$tmp/audit.log" --input-file -
# Debian's wabt is built without WASI support; then the row says so.
if command -v wasm-interp >/dev/null 2>&1 &&
	wasm-interp --wasi "$dir/trivial.wasm" <"$tmp/input.json" >/dev/null 2>&1; then
	row "wasm-interp --wasi (wabt)" wasm-interp --wasi "$dir/trivial.wasm"
else
	printf '| %-34s | %10s | %10s | %8s |\n' "wasm-interp --wasi (wabt)" n/a n/a "no WASI"
fi
if command -v node >/dev/null 2>&1; then
	row "node 20 (node:wasi)" node --no-warnings bench/startup/run_wasi.mjs "$dir/trivial.wasm"
else
	printf '| %-34s | %10s | %10s | %8s |\n' "node (node:wasi)" n/a n/a n/a
fi
"$boxagent" audit verify --audit-log "$tmp/audit.log" >/dev/null
