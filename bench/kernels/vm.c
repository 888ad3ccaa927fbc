/*
 * vm - branchy code: a bytecode interpreter inside the interpreter.
 *
 * A tiny register machine (eight 64-bit registers, 32-bit instructions,
 * switch dispatch that compiles to br_table) runs a hand-assembled program
 * summing the Collatz stopping times of 1..n. Nearly every step is an
 * indirect branch on the opcode followed by a short data-dependent path,
 * the pattern that is hardest on an engine's own dispatch.
 */
#include "support.h"

enum op {
	OP_HALT,
	OP_LOADI, /* r[a] = imm16                    */
	OP_MOV,   /* r[a] = r[b]                     */
	OP_ADD,   /* r[a] = r[b] + r[c]              */
	OP_AND,   /* r[a] = r[b] & r[c]              */
	OP_XOR,   /* r[a] = r[b] ^ r[c]              */
	OP_MUL,   /* r[a] = r[b] * r[c]              */
	OP_SHR,   /* r[a] = r[b] >> (r[c] & 63)      */
	OP_JMP,   /* pc = imm16                      */
	OP_JZ,    /* if r[a] == 0: pc = imm16        */
	OP_JEQ,   /* if r[a] == r[b]: pc = c         */
	OP_JLT,   /* if r[a] < r[b]: pc = c          */
};

#define I3(op, a, b, c) \
	((uint32_t)(op) | (uint32_t)(a) << 8 | (uint32_t)(b) << 16 | (uint32_t)(c) << 24)
#define I2(op, a, imm) ((uint32_t)(op) | (uint32_t)(a) << 8 | (uint32_t)(imm) << 16)

/*
 * r0 = i, r1 = n (set by the host), r2 = x, r3 = total steps, r4 = scratch,
 * r5 = 1, r6 = hash, r7 = hash multiplier.
 */
static uint32_t program[] = {
        /*  0 */ I2(OP_LOADI, 0, 1),
        /*  1 */ I2(OP_LOADI, 5, 1),
        /*  2 */ I2(OP_LOADI, 7, 40503),
        /*  3 */ I3(OP_MOV, 2, 0, 0),  /* outer: x = i             */
        /*  4 */ I3(OP_JEQ, 2, 5, 15), /* inner: x == 1 -> done    */
        /*  5 */ I3(OP_AND, 4, 2, 5),
        /*  6 */ I2(OP_JZ, 4, 12), /* even -> halve            */
        /*  7 */ I3(OP_ADD, 4, 2, 2),
        /*  8 */ I3(OP_ADD, 2, 4, 2),
        /*  9 */ I3(OP_ADD, 2, 2, 5), /* x = 3x + 1               */
        /* 10 */ I3(OP_ADD, 3, 3, 5),
        /* 11 */ I2(OP_JMP, 0, 4),
        /* 12 */ I3(OP_SHR, 2, 2, 5), /* x = x / 2                */
        /* 13 */ I3(OP_ADD, 3, 3, 5),
        /* 14 */ I2(OP_JMP, 0, 4),
        /* 15 */ I3(OP_XOR, 6, 6, 3), /* done: fold the total     */
        /* 16 */ I3(OP_MUL, 6, 6, 7),
        /* 17 */ I3(OP_ADD, 0, 0, 5),
        /* 18 */ I3(OP_JLT, 0, 1, 3), /* next i while i < n       */
        /* 19 */ I2(OP_HALT, 0, 0),
};

static uint64_t reg[8];

static void execute(void)
{
	uint32_t pc = 0;

	for (;;) {
		uint32_t ins = program[pc++];
		uint32_t a = (ins >> 8) & 7, b = (ins >> 16) & 7, c = ins >> 24;
		uint32_t imm = ins >> 16;

		switch ((enum op)(ins & 0xff)) {
		case OP_HALT:
			return;
		case OP_LOADI:
			reg[a] = imm;
			break;
		case OP_MOV:
			reg[a] = reg[b];
			break;
		case OP_ADD:
			reg[a] = reg[b] + reg[c & 7];
			break;
		case OP_AND:
			reg[a] = reg[b] & reg[c & 7];
			break;
		case OP_XOR:
			reg[a] = reg[b] ^ reg[c & 7];
			break;
		case OP_MUL:
			reg[a] = reg[b] * reg[c & 7];
			break;
		case OP_SHR:
			reg[a] = reg[b] >> (reg[c & 7] & 63);
			break;
		case OP_JMP:
			pc = imm;
			break;
		case OP_JZ:
			if (reg[a] == 0)
				pc = imm;
			break;
		case OP_JEQ:
			if (reg[a] == reg[b])
				pc = c;
			break;
		case OP_JLT:
			if (reg[a] < reg[b])
				pc = c;
			break;
		default:
			return; /* unknown opcode: stop rather than run wild */
		}
	}
}

uint32_t bench_run(uint32_t n)
{
	for (int i = 0; i < 8; i++)
		reg[i] = 0;
	reg[1] = n;
	execute();
	return bench_mix(bench_mix((uint32_t)reg[6], (uint32_t)(reg[6] >> 32)), (uint32_t)reg[3]);
}
