#!/usr/bin/env bash
# run.sh - runs every benchmark kernel in every engine and prints one table.
#
#   usage: bench/run.sh         (normally through `make bench`)
#
# Engines, as columns: native (the kernel compiled for the host), boxagent
# with fuel metering on and off (bench_engine, in process), node, and wabt's
# wasm-interp. An engine that is not installed, or a boxagent engine that
# does not build yet, shows "n/a". Every engine must return the native
# checksum; a different one shows "WRONG" and makes the script exit 1, as
# does a crash ("FAIL"). A run that takes longer than BENCH_TIMEOUT shows
# "timeout". See docs/benchmarks.md.
#
# Environment:
#   BENCH_DIR        where `make bench-build` put things (build/bench)
#   BENCH_KERNELS    space-separated subset of bench/kernels.txt (all)
#   BENCH_REPEATS    calls per kernel and engine, fastest counts (3); the
#                    boxagent driver stops early on slow runs, and
#                    wasm-interp always runs once
#   BENCH_TIMEOUT    seconds one command may take (600)
#   BENCH_INSTANTIATE_ITERS   iterations of the instantiate test (100000)
#   BENCH_NO_BUILD=1 skip running make first (make bench sets it)
#   NODE, WASM_INTERP  the peer programs (node, wasm-interp)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

dir=${BENCH_DIR:-build/bench}
repeats=${BENCH_REPEATS:-3}
limit=${BENCH_TIMEOUT:-600}
inst_iters=${BENCH_INSTANTIATE_ITERS:-100000}
node=${NODE:-node}
interp=${WASM_INTERP:-wasm-interp}
engine="$dir/bench_engine"

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
	make --no-print-directory bench-build
	if ! make --no-print-directory bench-engine; then
		echo "run.sh: the boxagent engine does not build; its columns show n/a" >&2
		rm -f "$engine"
	fi
fi

if ! command -v timeout >/dev/null 2>&1; then
	echo "run.sh: needs timeout(1) from coreutils" >&2
	exit 1
fi

# Wall-clock seconds as a decimal, for the one engine that cannot time
# itself. EPOCHREALTIME needs bash 5; date +%N is the GNU fallback.
now() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		printf '%s\n' "${EPOCHREALTIME/,/.}"
	else
		date +%s.%N
	fi
}

# The kernels to run, with their n, from the table.
kernels=()
declare -A kernel_n
while read -r name n _rest; do
	case "$name" in '' | '#'*) continue ;; esac
	if [ -n "${BENCH_KERNELS:-}" ]; then
		case " $BENCH_KERNELS " in *" $name "*) ;; *) continue ;; esac
	fi
	kernels+=("$name")
	kernel_n[$name]=$n
done <bench/kernels.txt
if [ "${#kernels[@]}" -eq 0 ]; then
	echo "run.sh: no kernels selected (BENCH_KERNELS='${BENCH_KERNELS:-}')" >&2
	exit 1
fi

engines=(native fuel nofuel node interp)
declare -A title=(
	[native]="native s"
	[fuel]="boxagent fuel-on"
	[nofuel]="boxagent fuel-off"
	[node]="node"
	[interp]="wasm-interp"
)

# Which engines exist; the others get n/a without being tried.
declare -A have
have[native]=1
have[fuel]=0
have[nofuel]=0
have[node]=0
have[interp]=0
if [ -x "$engine" ]; then
	have[fuel]=1
	have[nofuel]=1
else
	echo "run.sh: no $engine (engine not built yet): boxagent columns are n/a" >&2
fi
if command -v "$node" >/dev/null 2>&1; then
	have[node]=1
else
	echo "run.sh: no '$node' on PATH: node column is n/a (install nodejs)" >&2
fi
if command -v "$interp" >/dev/null 2>&1; then
	have[interp]=1
else
	echo "run.sh: no '$interp' on PATH: wasm-interp column is n/a (install wabt)" >&2
fi

# A busy machine slows every column; the table says how busy it was.
load0=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo '?')

out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# result[kernel,engine] is seconds, or one of n/a FAIL WRONG timeout.
declare -A result
declare -A checksum
failed=0

# run_one KERNEL ENGINE: runs it and records result/checksum.
run_one() {
	local k=$1 e=$2 n=${kernel_n[$1]} rc=0 t0 t1 sum secs line
	local wasm="$dir/$k.wasm"

	if [ "${have[$e]}" != 1 ]; then
		result[$k,$e]=n/a
		return
	fi
	printf 'run.sh: %-8s %-12s ' "$k" "$e" >&2
	t0=$(now)
	case "$e" in
	native) timeout "$limit" "$dir/native/$k" "$n" "$repeats" >"$out" 2>"$err" || rc=$? ;;
	fuel | nofuel)
		timeout "$limit" "$engine" call "$e" "$wasm" "$n" "$repeats" >"$out" 2>"$err" || rc=$?
		;;
	node) timeout "$limit" "$node" bench/run_node.mjs "$wasm" "$n" "$repeats" >"$out" 2>"$err" || rc=$? ;;
	interp)
		# Built with n baked in: wasm-interp cannot pass arguments.
		timeout "$limit" "$interp" "$dir/$k.main.wasm" --run-all-exports >"$out" 2>"$err" || rc=$?
		;;
	esac
	t1=$(now)

	if [ "$rc" -eq 124 ]; then
		result[$k,$e]=timeout
		echo "timeout after ${limit}s" >&2
		return
	fi
	sum="" secs=""
	line=$(cat "$out")
	if [ "$e" = interp ]; then
		# "bench_main() => i32:3735928559"
		if [[ "$line" =~ bench_main\(\)\ =\>\ i32:([0-9]+) ]]; then
			sum=$(printf '%08x' "${BASH_REMATCH[1]}")
			secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
		fi
	else
		if [[ "$line" =~ checksum=([0-9a-f]{8})\ seconds=([0-9.]+) ]]; then
			sum=${BASH_REMATCH[1]}
			secs=${BASH_REMATCH[2]}
		fi
	fi
	if [ "$rc" -ne 0 ] || [ -z "$sum" ]; then
		result[$k,$e]=FAIL
		failed=1
		echo "FAILED (exit $rc)" >&2
		sed 's/^/run.sh:     /' "$err" "$out" >&2
		return
	fi
	checksum[$k,$e]=$sum
	result[$k,$e]=$secs
	echo "$secs s  checksum $sum" >&2
}

for k in "${kernels[@]}"; do
	for e in "${engines[@]}"; do
		run_one "$k" "$e"
	done
	# Everyone must agree with the native build, or with the first engine
	# that produced anything if native itself failed.
	ref=""
	for e in "${engines[@]}"; do
		if [ -n "${checksum[$k,$e]:-}" ]; then
			ref=${checksum[$k,$e]}
			break
		fi
	done
	for e in "${engines[@]}"; do
		if [ -n "${checksum[$k,$e]:-}" ] && [ "${checksum[$k,$e]}" != "$ref" ]; then
			echo "run.sh: $k: $e returned checksum ${checksum[$k,$e]}, expected $ref" >&2
			result[$k,$e]=WRONG
			failed=1
		fi
	done
done

inst_line="instantiate+call+teardown: n/a (engine not built)"
if [ "${have[fuel]}" = 1 ]; then
	echo "run.sh: instantiate+call+teardown, $inst_iters iterations" >&2
	rc=0
	timeout "$limit" "$engine" instantiate "$inst_iters" >"$out" 2>"$err" || rc=$?
	line=$(cat "$out")
	if [ "$rc" -eq 0 ] && [[ "$line" =~ instantiate_us=([0-9.]+) ]]; then
		inst_line="instantiate+call+teardown (tiny module, fresh store each time): ${BASH_REMATCH[1]} us per iteration, mean of $inst_iters"
	else
		inst_line="instantiate+call+teardown: FAIL (exit $rc)"
		sed 's/^/run.sh:     /' "$err" >&2
		failed=1
	fi
fi

is_number() {
	[[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]
}

# "1.234 (20.3x)": seconds and the ratio to native.
cell() {
	local v=$1 base=$2
	if ! is_number "$v"; then
		printf '%s' "$v"
	elif ! is_number "$base" || [ "$base" = 0.000000 ]; then
		printf '%s' "$v"
	else
		awk -v v="$v" -v b="$base" 'BEGIN { printf "%.3f (%.1fx)", v, v / b }'
	fi
}

echo
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
# -dirty: the engine sources had uncommitted edits when this ran.
rev=$(git describe --always --dirty 2>/dev/null || echo unknown)
echo "boxagent $rev, $(uname -m), ${cpu:-unknown CPU}, $(nproc 2>/dev/null || echo '?') cores, load average at start $load0"
echo "seconds for bench_run(n) (n in bench/kernels.txt), fastest of $repeats; (x) = times native"
echo
fmt='%-8s  %-10s  %-18s  %-18s  %-18s  %s\n'
# shellcheck disable=SC2059
printf "$fmt" kernel "${title[native]}" "${title[fuel]}" "${title[nofuel]}" "${title[node]}" "${title[interp]}"
# shellcheck disable=SC2059
printf "$fmt" -------- ---------- ------------------ ------------------ ------------------ ------------------
for k in "${kernels[@]}"; do
	base=${result[$k,native]}
	row=("$k")
	for e in "${engines[@]}"; do
		if [ "$e" = native ]; then
			if is_number "$base"; then
				row+=("$(printf '%.3f' "$base")")
			else
				row+=("$base")
			fi
		else
			row+=("$(cell "${result[$k,$e]}" "$base")")
		fi
	done
	# shellcheck disable=SC2059
	printf "$fmt" "${row[@]}"
done

# Geometric mean of the ratios to native, over the kernels where both ran.
geo=("geomean" "1.0x")
for e in "${engines[@]}"; do
	[ "$e" = native ] && continue
	ratios=()
	for k in "${kernels[@]}"; do
		v=${result[$k,$e]} base=${result[$k,native]}
		if is_number "$v" && is_number "$base" && [ "$base" != 0.000000 ]; then
			ratios+=("$(awk -v v="$v" -v b="$base" 'BEGIN { printf "%.9g", v / b }')")
		fi
	done
	if [ "${#ratios[@]}" -eq 0 ]; then
		geo+=("n/a")
		continue
	fi
	geo+=("$(printf '%s\n' "${ratios[@]}" | awk -v total="${#kernels[@]}" '
		{ s += log($1); c++ }
		END {
			if (c < total)
				printf "(%.1fx) %d of %d", exp(s / c), c, total
			else
				printf "(%.1fx)", exp(s / c)
		}')")
done
# shellcheck disable=SC2059
printf "$fmt" "${geo[@]}"
echo
echo "$inst_line"

if [ "$failed" != 0 ]; then
	echo
	echo "run.sh: some runs failed or disagreed on the checksum (see above)" >&2
	exit 1
fi
