#!/bin/sh
# make-corpus.sh - regenerates the committed seed corpora fuzz/corpus/load/
# and fuzz/corpus/run/.
#
# usage: fuzz/make-corpus.sh [TESTSUITE_DIR]     (or make fuzz-corpus)
#
# TESTSUITE_DIR holds the spec suite's .wast files (default $WASM_TESTSUITE,
# else /work/shared/wasm-testsuite). Needs wast2json (wabt) and wasm-opt
# (binaryen 108). The output depends only on those inputs and tool
# versions, so a rerun with the same ones reproduces the committed files.
#
# load/  the biggest valid module of every other .wast (and of a few SIMD
#        ones, which must come back UNSUPPORTED, not crash), and an even
#        sample of the suite's assert_invalid and binary assert_malformed
#        modules.
# run/   the biggest valid module of every non-SIMD .wast, modules whose
#        instantiation traps (assert_uninstantiable), wasm-opt -ttf modules
#        (valid, rich in control flow, calls through imports and memory
#        traffic), and tape-form inputs for fuzz_run (see fuzz/fuzz_run.c)
#        that wrap some of those -ttf modules with a tape of random bytes.
#
# Seeds must stay small (libFuzzer runs with -max_len=65536; the whole
# corpus should stay under 2 MB), so bigger files are left out.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
suite=${1:-${WASM_TESTSUITE:-/work/shared/wasm-testsuite}}
max_file=65536
# One sample in this many of the suite's invalid, malformed and
# uninstantiable modules and of its SIMD files.
invalid_every=90
malformed_every=30
uninstantiable_every=6
simd_every=12
# Spec modules smaller than this have too little code to be worth running.
min_run_module=200
ttf_modules=20
tape_inputs=8
# The same feature set diff_fuzz.sh uses: WebAssembly 2.0 minus SIMD and
# binaryen's pre-standard reference types.
features="--mvp-features --enable-sign-ext --enable-mutable-globals"
features="$features --enable-nontrapping-float-to-int --enable-bulk-memory --enable-multivalue"

for tool in wast2json wasm-opt; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "make-corpus: $tool is missing (scripts/install-deps fuzz)" >&2
		exit 2
	fi
done
if [ ! -d "$suite" ]; then
	echo "make-corpus: no spec suite at $suite" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/json" "$tmp/load" "$tmp/run"

# Copies a seed in unless it is too big for libFuzzer's -max_len.
add() {
	if [ "$(wc -c <"$1")" -le "$max_file" ]; then
		cp "$1" "$2"
	fi
}

# "TYPE FILE" for each binary module command of a wast2json output.
commands() {
	sed -n 's/^ *{"type": "\([a-z_]*\)".*"filename": "\([^"]*\.wasm\)".*/\1 \2/p' "$1"
}

n_invalid=0
n_malformed=0
n_uninst=0
n_simd=0
n_plain=0
for wast in "$suite"/*.wast; do
	name=$(basename "$wast" .wast)
	dir="$tmp/json/$name"
	mkdir -p "$dir"
	if ! wast2json "$wast" -o "$dir/$name.json" >/dev/null 2>&1; then
		echo "make-corpus: wast2json failed on $name.wast, skipped" >&2
		continue
	fi
	case "$name" in
	simd_*)
		simd=yes
		n_simd=$((n_simd + 1))
		;;
	*) simd=no ;;
	esac
	largest=
	largest_size=0
	k=0
	commands "$dir/$name.json" >"$tmp/commands"
	while read -r type file; do
		k=$((k + 1))
		case "$type" in
		module)
			size=$(wc -c <"$dir/$file")
			if [ "$size" -gt "$largest_size" ] && [ "$size" -le "$max_file" ]; then
				largest=$file
				largest_size=$size
			fi
			;;
		assert_invalid)
			n_invalid=$((n_invalid + 1))
			if [ $((n_invalid % invalid_every)) -eq 0 ]; then
				add "$dir/$file" "$tmp/load/invalid-$name-$k.wasm"
			fi
			;;
		assert_malformed)
			n_malformed=$((n_malformed + 1))
			if [ $((n_malformed % malformed_every)) -eq 0 ]; then
				add "$dir/$file" "$tmp/load/malformed-$name-$k.wasm"
			fi
			;;
		assert_uninstantiable)
			n_uninst=$((n_uninst + 1))
			if [ $((n_uninst % uninstantiable_every)) -eq 0 ]; then
				add "$dir/$file" "$tmp/run/uninstantiable-$name-$k.wasm"
			fi
			;;
		esac
	done <"$tmp/commands"
	# The biggest valid module of a file exercises the most of it. SIMD
	# modules all stop at the same UNSUPPORTED, so only a few are kept
	# and none is worth running; the loader needs only every other file.
	[ -n "$largest" ] || continue
	if [ "$simd" = yes ]; then
		if [ $((n_simd % simd_every)) -eq 1 ]; then
			add "$dir/$largest" "$tmp/load/valid-$name.wasm"
		fi
		continue
	fi
	n_plain=$((n_plain + 1))
	if [ $((n_plain % 2)) -eq 1 ]; then
		add "$dir/$largest" "$tmp/load/valid-$name.wasm"
	fi
	if [ "$largest_size" -ge "$min_run_module" ]; then
		add "$dir/$largest" "$tmp/run/spec-$name.wasm"
	fi
done

# wasm-opt -ttf modules from reproducible bytes (seeds 1..N of their own).
i=1
while [ "$i" -le "$ttf_modules" ]; do
	size=$((500 + i * 7919 % 6000))
	sh "$here/random-bytes.sh" "$((900000000 + i))" "$size" >"$tmp/in.dat"
	# $features is a list of flags, split on purpose.
	# shellcheck disable=SC2086
	if wasm-opt "$tmp/in.dat" -ttf $features -o "$tmp/ttf.wasm" >/dev/null 2>&1; then
		add "$tmp/ttf.wasm" "$tmp/run/ttf-$i.wasm"
	fi
	i=$((i + 1))
done

# Writes a 32-bit number as 4 little-endian bytes (octal escapes built
# into the format on purpose).
# shellcheck disable=SC2059
le32() {
	printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))"
	printf "\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 24 & 255)))"
}

# Tape-form inputs: "BAFZ", the module length, the module, 256 tape bytes.
i=1
while [ "$i" -le "$tape_inputs" ]; do
	module="$tmp/run/ttf-$i.wasm"
	if [ -f "$module" ]; then
		{
			printf BAFZ
			le32 "$(wc -c <"$module")"
			cat "$module"
			sh "$here/random-bytes.sh" "$((910000000 + i))" 256
		} >"$tmp/tape.bin"
		add "$tmp/tape.bin" "$tmp/run/tape-$i.bin"
	fi
	i=$((i + 1))
done

# Drop byte-identical files (the suite repeats small modules); the first
# name in sorted order stays.
for d in load run; do
	(cd "$tmp/$d" && find . -type f | sort | xargs -r cksum | sort -s -k1,2 |
		awk 'seen[$1 " " $2]++ { print $3 }' | xargs -r rm -f)
done

# Regression inputs (regress-*, added by hand for fixed findings; see
# docs/fuzzing.md) are kept; everything else is replaced.
for d in load run; do
	mkdir -p "$here/corpus/$d"
	find "$here/corpus/$d" -type f ! -name 'regress-*' -exec rm -f {} +
	cp "$tmp/$d"/* "$here/corpus/$d"/
done
echo "make-corpus: load $(find "$here/corpus/load" -type f | wc -l) files," \
	"run $(find "$here/corpus/run" -type f | wc -l) files," \
	"$(du -sk "$here/corpus" | cut -f1) KiB in $here/corpus"
