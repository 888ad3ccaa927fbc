/*
 * trivial.c - the smallest honest tool: reads its JSON input from stdin
 * and writes a JSON result. Built twice, natively and for wasm32-wasi, so
 * bench/startup.sh can compare `boxagent tool run` end to end (process
 * start to exit) with running the same program natively.
 */
#include <stdio.h>

int main(void)
{
	char buf[4096];
	size_t n = fread(buf, 1, sizeof buf, stdin);
	printf("{\"ok\":true,\"input_bytes\":%zu}\n", n);
	return 0;
}
