#!/bin/sh
# run-fuzzer.sh - runs one libFuzzer target for a while and fails, naming the
# reproducer, on any crash, leak, timeout, OOM or sanitizer report.
#
# usage: fuzz/run-fuzzer.sh BIN SEED_DIR WORK_DIR SECONDS [LIBFUZZER_OPTION...]
#
# The fuzzer works on a scratch corpus WORK_DIR/corpus/NAME that is seeded
# from SEED_DIR (the committed corpus) and kept between runs, so coverage
# accumulates; the committed corpus itself is never written. Artifacts
# (crash-*, leak-*, timeout-*, oom-*) go to WORK_DIR/artifacts/NAME/ and the
# full log to WORK_DIR/logs/NAME.log.
set -eu

if [ $# -lt 4 ]; then
	echo "usage: fuzz/run-fuzzer.sh BIN SEED_DIR WORK_DIR SECONDS [OPTION...]" >&2
	exit 2
fi
bin=$1
seeds=$2
work=$3
seconds=$4
shift 4

name=$(basename "$bin")
corpus="$work/corpus/$name"
artifacts="$work/artifacts/$name"
log="$work/logs/$name.log"
mkdir -p "$corpus" "$artifacts" "$work/logs"

# Copy, never point the fuzzer at SEED_DIR: libFuzzer writes new inputs into
# its first corpus directory and may replace files there with smaller ones.
if [ -d "$seeds" ]; then
	find "$seeds" -maxdepth 1 -type f -exec cp {} "$corpus"/ \;
fi

echo "fuzz: $name for ${seconds}s ($(find "$corpus" -type f | wc -l) inputs in $corpus)"
status=0
"$bin" -max_total_time="$seconds" -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$@" "$corpus" >"$log" 2>&1 || status=$?

# libFuzzer's exit status covers crashes, leaks, timeouts and OOMs; a
# sanitizer report that somehow did not end the run still fails it.
if [ "$status" -eq 0 ] &&
	grep -q -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|fuzz: invariant broken' "$log"; then
	status=1
fi

grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs' "$log" | sed "s/^/fuzz: $name: /" || true
if [ "$status" -eq 0 ]; then
	echo "fuzz: $name: ok"
	exit 0
fi

echo "fuzz: $name FAILED (exit $status); full log: $log"
grep -E 'ERROR:|SUMMARY:|runtime error:|fuzz: invariant broken|ALARM|==[0-9]+== ' "$log" |
	head -n 20 | sed "s/^/fuzz: $name: /" || true
repro=$(sed -n 's/^.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
if [ -n "$repro" ]; then
	echo "fuzz: $name: reproducer: $repro"
	echo "fuzz: $name: reproduce with: $bin $repro"
else
	echo "fuzz: $name: no reproducer was written; see the log"
fi
exit 1
