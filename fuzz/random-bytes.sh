#!/bin/sh
# random-bytes.sh - writes COUNT pseudo-random bytes for SEED to stdout.
#
# usage: fuzz/random-bytes.sh SEED COUNT
#
# The same SEED gives the same bytes on every machine, so a module that
# wasm-opt -ttf made from them can be made again from its seed alone
# (/dev/urandom could not be replayed). The generator is MINSTD (Park and
# Miller), chosen because every product stays below 2^53 and so is exact
# in awk's doubles, in mawk and gawk alike. awk prints octal escapes
# rather than the bytes themselves because mawk cannot print a NUL.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: fuzz/random-bytes.sh SEED COUNT" >&2
	exit 2
fi
seed=$1
count=$2
case "$seed$count" in
*[!0-9]*)
	echo "random-bytes: SEED and COUNT must be decimal numbers" >&2
	exit 2
	;;
esac

fmt=$(awk -v seed="$seed" -v count="$count" 'BEGIN {
	x = seed % 2147483646 + 1
	# Mix the seed in, so that nearby seeds do not start alike.
	for (i = 0; i < 16; i++)
		x = (x * 48271) % 2147483647
	for (i = 0; i < count; i++) {
		x = (x * 48271) % 2147483647
		# The top 8 of the 31 bits are the best mixed.
		printf "\\%03o", int(x / 8388608) % 256
	}
}')
# shellcheck disable=SC2059
printf "$fmt"
