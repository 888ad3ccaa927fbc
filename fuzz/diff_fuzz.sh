#!/bin/sh
# diff_fuzz.sh - differential fuzzing of boxagent's engine against wabt.
#
# usage: fuzz/diff_fuzz.sh [-n MODULES] [-s SEED] [-i INDEX] [-d DIFF_RUN] [-o DIR]
#
#   -n MODULES  how many modules to make and compare (default 1000)
#   -s SEED     run seed (default 1); module I of run S is made from the
#               bytes of fuzz/random-bytes.sh $((S * 1000003 + I)) SIZE, so
#               every module can be made again from (SEED, I) alone
#   -i INDEX    replays just module INDEX of run SEED
#   -d DIFF_RUN the driver (default build/fuzz/diff_run)
#   -o DIR      work folder (default build/fuzz); disagreements are saved
#               under DIR/diff-failures/
#
# For each module: random bytes -> `wasm-opt -ttf` (a valid module that
# logs through imported functions and hashes its memory) -> run it in
# `wasm-interp --run-all-exports --dummy-import-func` and in diff_run, which
# prints the same lines, and compare. Exits 1 on any disagreement.
#
# Tolerated on purpose, because the two engines may differ there and both
# be right:
#   - wabt adds detail to bounds traps ("out of bounds memory access: access
#     at 70000+4 >= max value 65536"); the text after the first colon of the
#     message is dropped on both sides;
#   - a non-null funcref prints as wabt's store index; all non-null ones
#     compare equal;
#   - call-depth limits differ, so once either side reports a stack
#     exhaustion the comparison stops before the export that exhausted;
#   - what stderr says (the wording of load and instantiation errors).
set -eu

modules=1000
seed=1
only=
diff_run=build/fuzz/diff_run
out=build/fuzz
while getopts n:s:i:d:o: opt; do
	case "$opt" in
	n) modules=$OPTARG ;;
	s) seed=$OPTARG ;;
	i) only=$OPTARG ;;
	d) diff_run=$OPTARG ;;
	o) out=$OPTARG ;;
	*)
		sed -n '3,4p' "$0" | sed 's/^# //' >&2
		exit 2
		;;
	esac
done
case "$modules$seed$only" in
*[!0-9]*)
	echo "diff_fuzz: -n, -s and -i take decimal numbers" >&2
	exit 2
	;;
esac
for tool in wasm-opt wasm-interp timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "diff_fuzz: $tool is missing (scripts/install-deps fuzz)" >&2
		exit 2
	fi
done
if [ ! -x "$diff_run" ]; then
	echo "diff_fuzz: no driver at $diff_run (make $diff_run)" >&2
	exit 2
fi

here=$(dirname "$0")
# WebAssembly 2.0 without SIMD and without reference types: binaryen 108's
# reference-types is its pre-standard variant (funcref a subtype of an
# anyref-like externref), which wabt and the spec reject. --denan keeps NaNs
# out of the results, whose sign and payload the spec leaves open.
features="--mvp-features --enable-sign-ext --enable-mutable-globals"
features="$features --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue"

work="$out/diff-work"
failures="$out/diff-failures"
mkdir -p "$work" "$failures"

generated=0
compared=0
cut=0
skip_opt=0
skip_ref=0
skip_ref_timeout=0
skip_unsupported=0
disagreements=0

# Drops the detail wabt appends to some trap messages, and store indices.
normalize() {
	sed -e 's/\(out of bounds memory access\): .*/\1/' \
		-e 's/\(out of bounds table access\): .*/\1/' \
		-e 's/funcref:[1-9][0-9]*/funcref:nonnull/g' "$1"
}

# How many export lines come before the first stack exhaustion in a
# normalized output; empty when there is none. Host-call lines belong to the
# export line that follows them.
exhaustion_index() {
	awk '/^called host / { next }
		/stack exhausted$/ { print n; exit }
		{ n++ }' "$1"
}

# The first K export lines of a normalized output and the host-call lines
# before each of them.
first_exports() {
	awk -v k="$2" 'k == 0 { exit }
		{ print }
		!/^called host / && ++n >= k { exit }' "$1"
}

# Saves everything needed to look at a disagreement, and shows it.
disagree() {
	why=$1
	dir="$failures/seed-$seed-module-$i"
	disagreements=$((disagreements + 1))
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$work/in.dat" "$work/m.wasm" "$work/ref.out" "$work/ref.err" \
		"$work/our.out" "$work/our.err" "$dir"/
	[ -f "$work/ref.norm" ] && cp "$work/ref.norm" "$work/our.norm" "$dir"/
	{
		echo "$why"
		echo "wasm-interp exit $ref_rc, diff_run exit $our_rc"
		echo "replay: sh fuzz/diff_fuzz.sh -s $seed -i $i -d $diff_run -o $out"
		echo "by hand: wasm-interp $dir/m.wasm --run-all-exports --dummy-import-func"
		echo "         $diff_run $dir/m.wasm"
	} >"$dir/README"
	if [ -f "$work/ref.norm" ]; then
		diff -u --label wasm-interp --label boxagent "$work/ref.norm" "$work/our.norm" \
			>"$dir/diff.txt" || true
	else
		: >"$dir/diff.txt"
	fi
	echo "fuzz-diff: DISAGREEMENT on module $i (seed $seed): $why"
	echo "fuzz-diff:   saved in $dir"
	echo "fuzz-diff:   wasm-interp exit $ref_rc, diff_run exit $our_rc"
	head -n 30 "$dir/diff.txt" | sed 's/^/    /'
	if [ ! -s "$dir/diff.txt" ]; then
		head -n 5 "$work/our.err" | sed 's/^/    boxagent stderr: /'
	fi
}

if [ -n "$only" ]; then
	first=$only
	last=$only
else
	first=1
	last=$modules
fi

i=$first
while [ "$i" -le "$last" ]; do
	module_seed=$((seed * 1000003 + i))
	# Sizes from 1000 to 16000 bytes: wasm-opt -ttf makes bigger modules
	# with more functions from more input.
	size=$((1000 + module_seed * 7919 % 15001))
	rm -f "$work"/*
	sh "$here/random-bytes.sh" "$module_seed" "$size" >"$work/in.dat"
	generated=$((generated + 1))

	# $features is a list of flags, split on purpose.
	# shellcheck disable=SC2086
	if ! wasm-opt "$work/in.dat" -ttf $features --denan -o "$work/m.wasm" \
		>"$work/opt.err" 2>&1; then
		skip_opt=$((skip_opt + 1))
		i=$((i + 1))
		continue
	fi

	ref_rc=0
	timeout 30 wasm-interp "$work/m.wasm" --run-all-exports --dummy-import-func \
		>"$work/ref.out" 2>"$work/ref.err" || ref_rc=$?
	if [ "$ref_rc" -eq 124 ]; then
		skip_ref_timeout=$((skip_ref_timeout + 1))
		i=$((i + 1))
		continue
	fi
	if [ "$ref_rc" -ne 0 ] && ! grep -q '^error initializing module' "$work/ref.err"; then
		skip_ref=$((skip_ref + 1))
		i=$((i + 1))
		continue
	fi

	our_rc=0
	timeout 60 "$diff_run" "$work/m.wasm" >"$work/our.out" 2>"$work/our.err" || our_rc=$?
	case "$our_rc" in
	0 | 1) ;;
	2)
		disagree "boxagent rejects a module wasm-interp accepts"
		i=$((i + 1))
		continue
		;;
	3 | 124)
		disagree "boxagent did not finish (deadline, timeout or internal error)"
		i=$((i + 1))
		continue
		;;
	4)
		skip_unsupported=$((skip_unsupported + 1))
		i=$((i + 1))
		continue
		;;
	*)
		disagree "boxagent crashed (exit $our_rc)"
		i=$((i + 1))
		continue
		;;
	esac

	compared=$((compared + 1))
	normalize "$work/ref.out" >"$work/ref.full"
	normalize "$work/our.out" >"$work/our.full"
	ka=$(exhaustion_index "$work/ref.full")
	kb=$(exhaustion_index "$work/our.full")
	if grep -q 'stack exhausted' "$work/ref.err" "$work/our.err"; then
		# Exhausted in the start function: nothing after it is comparable.
		ka=0
	fi
	if [ -n "$ka$kb" ]; then
		cut=$((cut + 1))
		k=${ka:-$kb}
		if [ -n "$kb" ] && [ "$kb" -lt "$k" ]; then
			k=$kb
		fi
		first_exports "$work/ref.full" "$k" >"$work/ref.norm"
		first_exports "$work/our.full" "$k" >"$work/our.norm"
		# The exit status only says whether instantiation worked,
		# which the exhaustion may have decided.
		same_rc=yes
	else
		cp "$work/ref.full" "$work/ref.norm"
		cp "$work/our.full" "$work/our.norm"
		same_rc=no
		[ "$ref_rc" -eq "$our_rc" ] && same_rc=yes
	fi
	if [ "$same_rc" = no ]; then
		disagree "instantiation succeeded in one engine only"
	elif ! cmp -s "$work/ref.norm" "$work/our.norm"; then
		disagree "outputs differ"
	fi

	if [ -z "$only" ] && [ $((i % 100)) -eq 0 ]; then
		echo "fuzz-diff: $i/$modules modules, $disagreements disagreements so far"
	fi
	i=$((i + 1))
done

skipped=$((skip_opt + skip_ref + skip_ref_timeout + skip_unsupported))
echo "fuzz-diff: seed $seed: $generated modules generated, $compared compared" \
	"($cut cut at a stack exhaustion), $skipped skipped, $disagreements disagreements"
if [ "$skipped" -gt 0 ]; then
	echo "fuzz-diff: skipped: $skip_opt wasm-opt failed, $skip_ref rejected by wasm-interp," \
		"$skip_ref_timeout wasm-interp timed out, $skip_unsupported unsupported by boxagent"
fi
if [ "$disagreements" -gt 0 ]; then
	echo "fuzz-diff: FAILED: see $failures/seed-$seed-module-*/"
	exit 1
fi
