// run_node.mjs - runs one benchmark kernel in node's WebAssembly engine.
//
//	usage: node run_node.mjs KERNEL.wasm N [REPEATS]
//
// Compiles the module once, then REPEATS times (default 3) makes a fresh
// instance with no imports and times only the bench_run(N) call, like
// native_main.c and bench_engine.c do. Prints the checksum and the fastest
// call:
//
//	checksum=1234abcd seconds=0.123456
//
// Later repeats reuse V8's optimized code, so this is node at its best.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

function usage() {
	process.stderr.write("usage: node run_node.mjs KERNEL.wasm N [REPEATS]\n");
	process.exit(2);
}

function parseU32(text) {
	if (text === undefined || !/^[0-9]+$/.test(text))
		usage();
	const v = Number(text);
	if (v > 0xffffffff)
		usage();
	return v;
}

const args = process.argv.slice(2);
if (args.length < 2 || args.length > 3)
	usage();
const n = parseU32(args[1]);
const repeats = args.length === 3 ? parseU32(args[2]) : 3;
if (repeats === 0)
	usage();

const module = new WebAssembly.Module(readFileSync(args[0]));
let best = Infinity;
let checksum;
for (let r = 0; r < repeats; r++) {
	const { exports } = new WebAssembly.Instance(module, {});
	const t0 = performance.now();
	// i32 results come back signed; >>> 0 makes them unsigned.
	const c = exports.bench_run(n) >>> 0;
	const t = (performance.now() - t0) / 1000;
	if (checksum !== undefined && c !== checksum) {
		process.stderr.write(`checksum changed between runs: ${checksum} then ${c}\n`);
		process.exit(1);
	}
	checksum = c;
	best = Math.min(best, t);
}
console.log(`checksum=${checksum.toString(16).padStart(8, "0")} seconds=${best.toFixed(6)}`);
