#!/usr/bin/env bash
# startup.sh - what a whole tool run costs, process start to exit: the same
# trivial program (bench/startup/trivial.c) run natively, through
# `boxagent tool run` (bare module, and with a manifest), and through the
# peers that can run WASI commands (wabt's wasm-interp, node). Prints the
# median and mean of BENCH_STARTUP_RUNS runs of each, interleaved, and
# the ratio to native.
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
line() { printf '| %-34s | %10s | %10s | %8s |\n' "$@"; }

# All commands run interleaved in one spawn, so load changes hit them alike.
names=("native (gcc -O2)" "boxagent tool run (bare .wasm)" "boxagent tool run (manifest)")
cmds=("$dir/trivial"
	-- "$boxagent" tool run "$dir/trivial.wasm" --audit-log "$tmp/audit.log" --input-file -
	-- "$boxagent" tool run "$tmp/trivial.yaml" --yes --audit-log "$tmp/audit.log" --input-file -)
# Debian's wabt is built without WASI support; then its row says so.
interp=no
if command -v wasm-interp >/dev/null 2>&1 &&
	wasm-interp --wasi "$dir/trivial.wasm" <"$tmp/input.json" >/dev/null 2>&1; then
	interp=yes
	names+=("wasm-interp --wasi (wabt)")
	cmds+=(-- wasm-interp --wasi "$dir/trivial.wasm")
fi

echo
echo "Tool start-up, process start to exit ($runs interleaved runs each, microseconds)"
echo
line "how" "median us" "mean us" "vs native"
printf '|%s|%s|%s|%s|\n' "------------------------------------" "------------" "------------" "----------"
if ! "$spawn" "$runs" "$tmp/input.json" "${cmds[@]}" >"$tmp/times" 2>"$tmp/err"; then
	echo "startup: a command failed: $(cat "$tmp/err")" >&2
	exit 1
fi
native_median=$(head -n 1 "$tmp/times" | cut -d' ' -f1)
i=0
while read -r median mean; do
	line "${names[$i]}" "$median" "$mean" \
		"$(awk -v a="$median" -v b="$native_median" 'BEGIN { printf "%.2fx", a / b }')"
	i=$((i + 1))
done <"$tmp/times"
[ "$interp" = yes ] || line "wasm-interp --wasi (wabt)" n/a n/a "no WASI"
# node starts a whole JavaScript engine: a tenth of the runs is plenty.
if command -v node >/dev/null 2>&1; then
	node_runs=$((runs / 10 > 0 ? runs / 10 : 1))
	if out=$("$spawn" "$node_runs" "$tmp/input.json" node --no-warnings \
		bench/startup/run_wasi.mjs "$dir/trivial.wasm" 2>"$tmp/err"); then
		line "node 20 (node:wasi), $node_runs runs" "${out% *}" "${out#* }" \
			"$(awk -v a="${out% *}" -v b="$native_median" 'BEGIN { printf "%.2fx", a / b }')"
	else
		line "node 20 (node:wasi)" FAIL FAIL "$(head -c 40 "$tmp/err")"
	fi
else
	line "node (node:wasi)" n/a n/a n/a
fi
"$boxagent" audit verify --audit-log "$tmp/audit.log" >/dev/null
