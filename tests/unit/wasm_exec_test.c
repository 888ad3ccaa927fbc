/*
 * Tests for the interpreter (src/wasm/compile.c, exec.c): semantics that the
 * register form could get wrong (lazily read locals, moved block results,
 * fused address arithmetic, the unspecified upper half of 32-bit slots),
 * traps and their diagnostics, fuel, interrupts, deadlines, stack limits
 * and host calls.
 *
 * The modules are embedded as bytes; each comment shows the text format
 * they were assembled from (wat2wasm --enable-all).
 */
#include "test.h"

#include "wasm/wasm.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * (module
 *   (func (export "tee_copy") (result f32)
 *     (local $x f32) (local $r f32)
 *     (local.set $x (f32.const 1))
 *     (local.set $x (f32.mul (local.tee $r (local.get $x)) (f32.const 0.5)))
 *     (local.get $r))
 *   (func (export "old_value_across_block") (param i32) (result i32)
 *     (local.get 0)
 *     (block (local.set 0 (i32.const 5)))
 *     (local.get 0)
 *     (i32.sub))
 *   (func (export "old_value_across_set") (param i32) (result i32)
 *     (local.get 0)
 *     (local.set 0 (i32.add (local.get 0) (i32.const 1)))
 *     (local.get 0)
 *     (i32.sub))
 *   (func (export "swap") (param i32 i32) (result i32 i32)
 *     (local.get 1) (local.get 0))
 *   (func (export "swap_return") (param i32 i32) (result i32 i32)
 *     (return (local.get 1) (local.get 0)))
 *   (func (export "br_if_value") (param i32) (result i32)
 *     (block (result i32)
 *       (local.get 0)
 *       (local.get 0)
 *       (br_if 0)
 *       (drop) (i32.const 7)))
 *   (func (export "br_table") (param i32) (result i32)
 *     (block (block (block (br_table 0 1 2 (local.get 0)))
 *       (return (i32.const 10))) (return (i32.const 11)))
 *     (i32.const 12))
 *   (func (export "loop_params") (param i32) (result i32)
 *     (i32.const 0) (local.get 0)
 *     (loop (param i32 i32) (result i32)
 *       (local.set 0)
 *       (local.get 0) (i32.add)
 *       (local.get 0) (i32.const 1) (i32.sub)
 *       (local.tee 0)
 *       (local.get 0)
 *       (br_if 0)
 *       (drop)))
 *   (func (export "wrap_extend") (param i64) (result i64)
 *     (i64.extend_i32_u (i32.wrap_i64 (local.get 0))))
 *   (func (export "wrap_eqz") (param i64) (result i32)
 *     (i32.eqz (i32.wrap_i64 (local.get 0))))
 *   (global $g (export "g") (mut i32) (i32.const 0))
 *   (func (export "wrap_set") (param i64)
 *     (global.set $g (i32.wrap_i64 (local.get 0))))
 *   (func (export "nearest_snan") (result i32)
 *     (i32.reinterpret_f32 (f32.nearest (f32.reinterpret_i32 (i32.const 0x7fa00000)))))
 *   (func (export "min_zero") (result i64)
 *     (i64.reinterpret_f64 (f64.min (f64.const 0) (f64.const -0))))
 *   (func (export "select_eqz") (param i32 i32 i32) (result i32)
 *     (select (local.get 0) (local.get 1) (i32.eqz (local.get 2))))
 *   (func (export "xor_rotl") (param i32 i32) (result i32)
 *     (i32.xor (local.get 0) (i32.rotl (local.get 1) (i32.const 5))))
 *   (func (export "add3") (param i64 i64 i64) (result i64)
 *     (i64.add (local.get 0) (i64.add (local.get 1) (local.get 2))))
 *   (func (export "mul_add") (param f64 f64 f64) (result f64)
 *     (f64.add (f64.mul (local.get 0) (local.get 1)) (local.get 2)))
 *   (func (export "xorshift32") (param i32) (result i32)
 *     (local.set 0 (i32.xor (local.get 0) (i32.shl (local.get 0) (i32.const 13))))
 *     (local.set 0 (i32.xor (local.get 0) (i32.shr_u (local.get 0) (i32.const 17))))
 *     (i32.xor (local.get 0) (i32.shl (local.get 0) (i32.const 5))))
 *   (func (export "xorshift64") (param i64) (result i64)
 *     (local.set 0 (i64.xor (local.get 0) (i64.shl (local.get 0) (i64.const 13))))
 *     (local.set 0 (i64.xor (local.get 0) (i64.shr_u (local.get 0) (i64.const 7))))
 *     (i64.xor (i64.rotl (local.get 0) (i64.const 17)) (local.get 0)))
 * )
 */
static const uint8_t locals_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x42, 0x0c, 0x60, 0x00, 0x01, 0x7d,
        0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x02, 0x7f, 0x7f, 0x60, 0x02, 0x7f,
        0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7e, 0x01, 0x7e, 0x60, 0x01, 0x7e, 0x01, 0x7f, 0x60, 0x01,
        0x7e, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7e, 0x60, 0x03, 0x7f, 0x7f, 0x7f,
        0x01, 0x7f, 0x60, 0x03, 0x7e, 0x7e, 0x7e, 0x01, 0x7e, 0x60, 0x03, 0x7c, 0x7c, 0x7c, 0x01,
        0x7c, 0x03, 0x14, 0x13, 0x00, 0x01, 0x01, 0x02, 0x02, 0x01, 0x01, 0x01, 0x04, 0x05, 0x06,
        0x07, 0x08, 0x09, 0x03, 0x0a, 0x0b, 0x01, 0x04, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00,
        0x0b, 0x07, 0xfd, 0x01, 0x14, 0x08, 0x74, 0x65, 0x65, 0x5f, 0x63, 0x6f, 0x70, 0x79, 0x00,
        0x00, 0x16, 0x6f, 0x6c, 0x64, 0x5f, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x5f, 0x61, 0x63, 0x72,
        0x6f, 0x73, 0x73, 0x5f, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0x00, 0x01, 0x14, 0x6f, 0x6c, 0x64,
        0x5f, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x5f, 0x61, 0x63, 0x72, 0x6f, 0x73, 0x73, 0x5f, 0x73,
        0x65, 0x74, 0x00, 0x02, 0x04, 0x73, 0x77, 0x61, 0x70, 0x00, 0x03, 0x0b, 0x73, 0x77, 0x61,
        0x70, 0x5f, 0x72, 0x65, 0x74, 0x75, 0x72, 0x6e, 0x00, 0x04, 0x0b, 0x62, 0x72, 0x5f, 0x69,
        0x66, 0x5f, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x00, 0x05, 0x08, 0x62, 0x72, 0x5f, 0x74, 0x61,
        0x62, 0x6c, 0x65, 0x00, 0x06, 0x0b, 0x6c, 0x6f, 0x6f, 0x70, 0x5f, 0x70, 0x61, 0x72, 0x61,
        0x6d, 0x73, 0x00, 0x07, 0x0b, 0x77, 0x72, 0x61, 0x70, 0x5f, 0x65, 0x78, 0x74, 0x65, 0x6e,
        0x64, 0x00, 0x08, 0x08, 0x77, 0x72, 0x61, 0x70, 0x5f, 0x65, 0x71, 0x7a, 0x00, 0x09, 0x01,
        0x67, 0x03, 0x00, 0x08, 0x77, 0x72, 0x61, 0x70, 0x5f, 0x73, 0x65, 0x74, 0x00, 0x0a, 0x0c,
        0x6e, 0x65, 0x61, 0x72, 0x65, 0x73, 0x74, 0x5f, 0x73, 0x6e, 0x61, 0x6e, 0x00, 0x0b, 0x08,
        0x6d, 0x69, 0x6e, 0x5f, 0x7a, 0x65, 0x72, 0x6f, 0x00, 0x0c, 0x0a, 0x73, 0x65, 0x6c, 0x65,
        0x63, 0x74, 0x5f, 0x65, 0x71, 0x7a, 0x00, 0x0d, 0x08, 0x78, 0x6f, 0x72, 0x5f, 0x72, 0x6f,
        0x74, 0x6c, 0x00, 0x0e, 0x04, 0x61, 0x64, 0x64, 0x33, 0x00, 0x0f, 0x07, 0x6d, 0x75, 0x6c,
        0x5f, 0x61, 0x64, 0x64, 0x00, 0x10, 0x0a, 0x78, 0x6f, 0x72, 0x73, 0x68, 0x69, 0x66, 0x74,
        0x33, 0x32, 0x00, 0x11, 0x0a, 0x78, 0x6f, 0x72, 0x73, 0x68, 0x69, 0x66, 0x74, 0x36, 0x34,
        0x00, 0x12, 0x0a, 0xb0, 0x02, 0x13, 0x19, 0x01, 0x02, 0x7d, 0x43, 0x00, 0x00, 0x80, 0x3f,
        0x21, 0x00, 0x20, 0x00, 0x22, 0x01, 0x43, 0x00, 0x00, 0x00, 0x3f, 0x94, 0x21, 0x00, 0x20,
        0x01, 0x0b, 0x0e, 0x00, 0x20, 0x00, 0x02, 0x40, 0x41, 0x05, 0x21, 0x00, 0x0b, 0x20, 0x00,
        0x6b, 0x0b, 0x0e, 0x00, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x20, 0x00,
        0x6b, 0x0b, 0x06, 0x00, 0x20, 0x01, 0x20, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x01, 0x20, 0x00,
        0x0f, 0x0b, 0x0e, 0x00, 0x02, 0x7f, 0x20, 0x00, 0x20, 0x00, 0x0d, 0x00, 0x1a, 0x41, 0x07,
        0x0b, 0x0b, 0x1a, 0x00, 0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0x00, 0x0e, 0x02, 0x00,
        0x01, 0x02, 0x0b, 0x41, 0x0a, 0x0f, 0x0b, 0x41, 0x0b, 0x0f, 0x0b, 0x41, 0x0c, 0x0b, 0x1a,
        0x00, 0x41, 0x00, 0x20, 0x00, 0x03, 0x03, 0x21, 0x00, 0x20, 0x00, 0x6a, 0x20, 0x00, 0x41,
        0x01, 0x6b, 0x22, 0x00, 0x20, 0x00, 0x0d, 0x00, 0x1a, 0x0b, 0x0b, 0x06, 0x00, 0x20, 0x00,
        0xa7, 0xad, 0x0b, 0x06, 0x00, 0x20, 0x00, 0xa7, 0x45, 0x0b, 0x07, 0x00, 0x20, 0x00, 0xa7,
        0x24, 0x00, 0x0b, 0x0b, 0x00, 0x41, 0x80, 0x80, 0x80, 0xfd, 0x07, 0xbe, 0x90, 0xbc, 0x0b,
        0x16, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x44, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x80, 0xa4, 0xbd, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20,
        0x02, 0x45, 0x1b, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x41, 0x05, 0x77, 0x73, 0x0b,
        0x0a, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x7c, 0x7c, 0x0b, 0x0a, 0x00, 0x20, 0x00,
        0x20, 0x01, 0xa2, 0x20, 0x02, 0xa0, 0x0b, 0x1e, 0x00, 0x20, 0x00, 0x20, 0x00, 0x41, 0x0d,
        0x74, 0x73, 0x21, 0x00, 0x20, 0x00, 0x20, 0x00, 0x41, 0x11, 0x76, 0x73, 0x21, 0x00, 0x20,
        0x00, 0x20, 0x00, 0x41, 0x05, 0x74, 0x73, 0x0b, 0x1e, 0x00, 0x20, 0x00, 0x20, 0x00, 0x42,
        0x0d, 0x86, 0x85, 0x21, 0x00, 0x20, 0x00, 0x20, 0x00, 0x42, 0x07, 0x88, 0x85, 0x21, 0x00,
        0x20, 0x00, 0x42, 0x11, 0x89, 0x20, 0x00, 0x85, 0x0b,
};

/*
 * (module
 *   (memory 1)
 *   (func (export "load_wrap") (param i32) (result i32)
 *     (i32.load (i32.add (local.get 0) (i32.const 8))))
 *   (func (export "store_wrap") (param i32 i32)
 *     (i32.store (i32.add (local.get 0) (i32.const 8)) (local.get 1)))
 *   (func (export "load0") (result i32) (i32.load (i32.const 0)))
 *   (func (export "load_oob") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
 *   (func $grow (result i32) (memory.grow (i32.const 1)))
 *   (func (export "grow_then_store") (result i32)
 *     (drop (call $grow))
 *     (i32.store (i32.const 70000) (i32.const 42))
 *     (i32.load (i32.const 70000)))
 *   (func (export "tee_store_self") (param i32) (result i32)
 *     (i32.store (local.tee 0 (i32.add (local.get 0) (i32.const 8))) (local.get 0))
 *     (i32.load (local.get 0)))
 *   (func (export "set_then_load") (param i32 i32) (result i32)
 *     (local $p i32)
 *     (local.set $p (i32.add (local.get 0) (local.get 1)))
 *     (i32.add (i32.load8_u (local.get $p)) (local.get $p)))
 *   (func (export "scaled") (param i32 i32) (result i32)
 *     (i32.store (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const 24)) (i32.const 7))
 *     (i32.load (i32.add (i32.shl (local.get 1) (i32.const 2)) (i32.const 24))))
 * )
 */
static const uint8_t mem_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x15, 0x04, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01,
        0x7f, 0x03, 0x0a, 0x09, 0x00, 0x01, 0x02, 0x00, 0x02, 0x02, 0x00, 0x03, 0x03, 0x05, 0x03,
        0x01, 0x00, 0x01, 0x07, 0x69, 0x08, 0x09, 0x6c, 0x6f, 0x61, 0x64, 0x5f, 0x77, 0x72, 0x61,
        0x70, 0x00, 0x00, 0x0a, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x5f, 0x77, 0x72, 0x61, 0x70, 0x00,
        0x01, 0x05, 0x6c, 0x6f, 0x61, 0x64, 0x30, 0x00, 0x02, 0x08, 0x6c, 0x6f, 0x61, 0x64, 0x5f,
        0x6f, 0x6f, 0x62, 0x00, 0x03, 0x0f, 0x67, 0x72, 0x6f, 0x77, 0x5f, 0x74, 0x68, 0x65, 0x6e,
        0x5f, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x00, 0x05, 0x0e, 0x74, 0x65, 0x65, 0x5f, 0x73, 0x74,
        0x6f, 0x72, 0x65, 0x5f, 0x73, 0x65, 0x6c, 0x66, 0x00, 0x06, 0x0d, 0x73, 0x65, 0x74, 0x5f,
        0x74, 0x68, 0x65, 0x6e, 0x5f, 0x6c, 0x6f, 0x61, 0x64, 0x00, 0x07, 0x06, 0x73, 0x63, 0x61,
        0x6c, 0x65, 0x64, 0x00, 0x08, 0x0a, 0x89, 0x01, 0x09, 0x0a, 0x00, 0x20, 0x00, 0x41, 0x08,
        0x6a, 0x28, 0x02, 0x00, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0x41, 0x08, 0x6a, 0x20, 0x01, 0x36,
        0x02, 0x00, 0x0b, 0x07, 0x00, 0x41, 0x00, 0x28, 0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00,
        0x28, 0x02, 0x04, 0x0b, 0x06, 0x00, 0x41, 0x01, 0x40, 0x00, 0x0b, 0x15, 0x00, 0x10, 0x04,
        0x1a, 0x41, 0xf0, 0xa2, 0x04, 0x41, 0x2a, 0x36, 0x02, 0x00, 0x41, 0xf0, 0xa2, 0x04, 0x28,
        0x02, 0x00, 0x0b, 0x13, 0x00, 0x20, 0x00, 0x41, 0x08, 0x6a, 0x22, 0x00, 0x20, 0x00, 0x36,
        0x02, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b, 0x13, 0x01, 0x01, 0x7f, 0x20, 0x00, 0x20,
        0x01, 0x6a, 0x21, 0x02, 0x20, 0x02, 0x2d, 0x00, 0x00, 0x20, 0x02, 0x6a, 0x0b, 0x1a, 0x00,
        0x20, 0x00, 0x41, 0x02, 0x74, 0x41, 0x18, 0x6a, 0x41, 0x07, 0x36, 0x02, 0x00, 0x20, 0x01,
        0x41, 0x02, 0x74, 0x41, 0x18, 0x6a, 0x28, 0x02, 0x00, 0x0b,
};

/*
 * (module
 *   (type $t (func (result i32)))
 *   (table 3 funcref)
 *   (elem (i32.const 0) $f)
 *   (func $f (result i32) (i32.const 1))
 *   (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *   (func (export "rem") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
 *   (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
 *   (func (export "call_ind") (param i32) (result i64) (call_indirect (result i64) (local.get 0)))
 *   (func $rec (export "rec") (param i32) (result i32)
 *     (i32.add (call $rec (local.get 0)) (i32.const 1)))
 *   (func (export "depth") (param i32) (result i32)
 *     (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
 *       (else (i32.add (call 6 (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
 * )
 */
static const uint8_t traps_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1e, 0x06, 0x60, 0x00, 0x01, 0x7f,
        0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7c, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01,
        0x7e, 0x60, 0x00, 0x01, 0x7e, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x08, 0x07, 0x00, 0x01,
        0x01, 0x02, 0x03, 0x05, 0x05, 0x04, 0x04, 0x01, 0x70, 0x00, 0x03, 0x07, 0x2e, 0x06, 0x03,
        0x64, 0x69, 0x76, 0x00, 0x01, 0x03, 0x72, 0x65, 0x6d, 0x00, 0x02, 0x05, 0x74, 0x72, 0x75,
        0x6e, 0x63, 0x00, 0x03, 0x08, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x69, 0x6e, 0x64, 0x00, 0x04,
        0x03, 0x72, 0x65, 0x63, 0x00, 0x05, 0x05, 0x64, 0x65, 0x70, 0x74, 0x68, 0x00, 0x06, 0x09,
        0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x0a, 0x44, 0x07, 0x04, 0x00, 0x41, 0x01,
        0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6d, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01,
        0x6f, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xaa, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x11, 0x04, 0x00,
        0x0b, 0x09, 0x00, 0x20, 0x00, 0x10, 0x05, 0x41, 0x01, 0x6a, 0x0b, 0x15, 0x00, 0x20, 0x00,
        0x45, 0x04, 0x7f, 0x41, 0x00, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x06, 0x41, 0x01,
        0x6a, 0x0b, 0x0b,
};

/*
 * (module
 *   (func (export "loop") (param i32) (result i32)
 *     (local i32)
 *     (block (loop
 *       (br_if 1 (i32.eqz (local.get 0)))
 *       (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
 *       (local.set 1 (i32.add (local.get 1) (i32.const 1)))
 *       (br 0)))
 *     (local.get 1))
 *   (func (export "forever") (loop (br 0)))
 * )
 */
static const uint8_t fuel_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x60, 0x00, 0x00, 0x03, 0x03, 0x02, 0x00, 0x01, 0x07, 0x12, 0x02, 0x04, 0x6c, 0x6f,
        0x6f, 0x70, 0x00, 0x00, 0x07, 0x66, 0x6f, 0x72, 0x65, 0x76, 0x65, 0x72, 0x00, 0x01, 0x0a,
        0x2b, 0x02, 0x21, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01,
        0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x0c,
        0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
};

/*
 * (module
 *   (import "env" "host" (func $h (param i32) (result i32)))
 *   (func (export "call_host") (param i32) (result i32)
 *     (i32.add (call $h (local.get 0)) (i32.const 1)))
 *   (func (export "inner") (param i32) (result i32)
 *     (i32.mul (local.get 0) (i32.const 2)))
 * )
 */
static const uint8_t host_wasm[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f,
        0x01, 0x7f, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x68, 0x6f, 0x73, 0x74,
        0x00, 0x00, 0x03, 0x03, 0x02, 0x00, 0x00, 0x07, 0x15, 0x02, 0x09, 0x63, 0x61, 0x6c,
        0x6c, 0x5f, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x01, 0x05, 0x69, 0x6e, 0x6e, 0x65, 0x72,
        0x00, 0x02, 0x0a, 0x13, 0x02, 0x09, 0x00, 0x20, 0x00, 0x10, 0x00, 0x41, 0x01, 0x6a,
        0x0b, 0x07, 0x00, 0x20, 0x00, 0x41, 0x02, 0x6c, 0x0b,
};

struct env {
	ba_wasm_store *store;
	ba_wasm_module *module;
	ba_wasm_instance *inst;
};

static void env_open(struct env *e, const uint8_t *bytes, size_t len, const ba_wasm_limits *limits,
                     const ba_wasm_extern *imports, size_t nimports)
{
	ba_wasm_diag diag;

	e->store = ba_wasm_store_new(limits);
	CHECK(e->store != NULL);
	if (ba_wasm_module_load(bytes, len, NULL, &e->module, &diag) != BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "load: %s", diag.message);
	if (ba_wasm_instantiate(e->store, e->module, imports, nimports, &e->inst, &diag) !=
	    BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "instantiate: %s", diag.message);
}

static void env_close(struct env *e)
{
	ba_wasm_store_free(e->store);
	ba_wasm_module_release(e->module);
}

static ba_wasm_func *func(struct env *e, const char *name)
{
	ba_wasm_extern ex;

	if (!ba_wasm_instance_export(e->inst, name, &ex) || ex.kind != BA_WASM_EXTERN_FUNC)
		ba_test_fail(__FILE__, __LINE__, "no exported function %s", name);
	return ex.of.func;
}

/* Calls name with up to two i32 arguments; returns the first result. */
static ba_wasm_err call(struct env *e, const char *name, const ba_wasm_value *args, size_t nargs,
                        ba_wasm_value *results, size_t nresults, ba_wasm_diag *diag)
{
	return ba_wasm_call(func(e, name), args, nargs, results, nresults, diag);
}

static uint32_t call_i32(struct env *e, const char *name, const ba_wasm_value *args, size_t nargs)
{
	ba_wasm_value r;
	ba_wasm_diag diag;

	if (call(e, name, args, nargs, &r, 1, &diag) != BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "%s trapped: %s", name, diag.message);
	return r.of.i32;
}

static ba_wasm_value f64v(double d)
{
	ba_wasm_value v = {.type = BA_WASM_F64};

	memcpy(&v.of.f64_bits, &d, sizeof(d));
	return v;
}

/* Offset of the first occurrence of needle in the module bytes. */
static size_t find(const uint8_t *hay, size_t len, const uint8_t *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return i;
	ba_test_fail(__FILE__, __LINE__, "byte pattern not found");
}

TEST(tee_of_local_keeps_the_copy)
{
	struct env e;
	ba_wasm_value r;

	env_open(&e, locals_wasm, sizeof(locals_wasm), NULL, NULL, 0);
	CHECK_EQ_INT(call(&e, "tee_copy", NULL, 0, &r, 1, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(r.of.f32_bits, 0x3f800000u); /* 1.0f, not the halved x */
	env_close(&e);
}

TEST(local_read_before_it_changes)
{
	struct env e;
	ba_wasm_value a = ba_wasm_i32(100);

	env_open(&e, locals_wasm, sizeof(locals_wasm), NULL, NULL, 0);
	CHECK_EQ_UINT(call_i32(&e, "old_value_across_block", &a, 1), 95);
	CHECK_EQ_UINT(call_i32(&e, "old_value_across_set", &a, 1), 0xffffffffu);
	env_close(&e);
}

TEST(multi_value_results_are_not_clobbered)
{
	struct env e;
	ba_wasm_value args[2] = {ba_wasm_i32(1), ba_wasm_i32(2)}, r[2];

	env_open(&e, locals_wasm, sizeof(locals_wasm), NULL, NULL, 0);
	CHECK_EQ_INT(call(&e, "swap", args, 2, r, 2, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(r[0].of.i32, 2);
	CHECK_EQ_UINT(r[1].of.i32, 1);
	CHECK_EQ_INT(call(&e, "swap_return", args, 2, r, 2, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(r[0].of.i32, 2);
	CHECK_EQ_UINT(r[1].of.i32, 1);
	env_close(&e);
}

TEST(branches_carry_values)
{
	struct env e;
	ba_wasm_value a;

	env_open(&e, locals_wasm, sizeof(locals_wasm), NULL, NULL, 0);
	a = ba_wasm_i32(3);
	CHECK_EQ_UINT(call_i32(&e, "br_if_value", &a, 1), 3);
	a = ba_wasm_i32(0);
	CHECK_EQ_UINT(call_i32(&e, "br_if_value", &a, 1), 7);
	for (uint32_t i = 0; i < 5; i++) {
		a = ba_wasm_i32(i);
		CHECK_EQ_UINT(call_i32(&e, "br_table", &a, 1), i < 2 ? 10 + i : 12);
	}
	a = ba_wasm_i32(4);
	CHECK_EQ_UINT(call_i32(&e, "loop_params", &a, 1), 10);
	env_close(&e);
}

TEST(i32_slots_upper_half_never_leaks)
{
	struct env e;
	ba_wasm_value a = ba_wasm_i64(0xffffffff12345678u), r;
	ba_wasm_extern g;

	env_open(&e, locals_wasm, sizeof(locals_wasm), NULL, NULL, 0);
	CHECK_EQ_INT(call(&e, "wrap_extend", &a, 1, &r, 1, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(r.of.i64, 0x12345678u);
	a = ba_wasm_i64(0x100000000u);
	CHECK_EQ_UINT(call_i32(&e, "wrap_eqz", &a, 1), 1);
	a = ba_wasm_i64(0xabcdef0012345678u);
	CHECK_EQ_INT(call(&e, "wrap_set", &a, 1, NULL, 0, NULL), BA_WASM_OK);
	CHECK(ba_wasm_instance_export(e.inst, "g", &g));
	CHECK_EQ_UINT(ba_wasm_global_get(g.of.global).of.i32, 0x12345678u);
	env_close(&e);
}

TEST(float_edge_cases)
{
	struct env e;
	ba_wasm_value r;

	env_open(&e, locals_wasm, sizeof(locals_wasm), NULL, NULL, 0);
	/* A signalling NaN comes out quiet (an arithmetic NaN). */
	CHECK_EQ_UINT(call_i32(&e, "nearest_snan", NULL, 0) & 0x7fc00000u, 0x7fc00000u);
	CHECK_EQ_INT(call(&e, "min_zero", NULL, 0, &r, 1, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(r.of.i64, 0x8000000000000000u);
	env_close(&e);
}

TEST(fused_arithmetic_pairs)
{
	struct env e;
	ba_wasm_value a[3] = {ba_wasm_i32(11), ba_wasm_i32(22), ba_wasm_i32(0)}, r;

	env_open(&e, locals_wasm, sizeof(locals_wasm), NULL, NULL, 0);
	CHECK_EQ_UINT(call_i32(&e, "select_eqz", a, 3), 11);
	a[2] = ba_wasm_i32(0x100);
	CHECK_EQ_UINT(call_i32(&e, "select_eqz", a, 3), 22);
	a[0] = ba_wasm_i32(0xf0f0f0f0u);
	a[1] = ba_wasm_i32(0x80000001u);
	CHECK_EQ_UINT(call_i32(&e, "xor_rotl", a, 2), 0xf0f0f0f0u ^ 0x30u);
	a[0] = ba_wasm_i64(1);
	a[1] = ba_wasm_i64(UINT64_MAX);
	a[2] = ba_wasm_i64(0x100000000u);
	CHECK_EQ_INT(call(&e, "add3", a, 3, &r, 1, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(r.of.i64, 0x100000000u);
	/* 0.1 * 3 + -0.3 rounds the product first: 5.55e-17, where a fused
	 * multiply-add would give 1.67e-17. */
	a[0] = f64v(0.1);
	a[1] = f64v(3.0);
	a[2] = f64v(-0.3);
	CHECK_EQ_INT(call(&e, "mul_add", a, 3, &r, 1, NULL), BA_WASM_OK);
	{
		volatile double p = 0.1 * 3.0;
		double want = p + -0.3;

		CHECK_EQ_UINT(r.of.f64_bits, f64v(want).of.f64_bits);
	}
	{
		uint32_t x = 0x9e3779b9u;
		uint64_t y = 0x0123456789abcdefu, z;

		a[0] = ba_wasm_i32(x);
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		CHECK_EQ_UINT(call_i32(&e, "xorshift32", a, 1), x);
		a[0] = ba_wasm_i64(y);
		y ^= y << 13;
		y ^= y >> 7;
		z = ((y << 17) | (y >> 47)) ^ y;
		CHECK_EQ_INT(call(&e, "xorshift64", a, 1, &r, 1, NULL), BA_WASM_OK);
		CHECK_EQ_UINT(r.of.i64, z);
	}
	env_close(&e);
}

TEST(fused_address_wraps_like_i32_add)
{
	struct env e;
	ba_wasm_value a[2] = {ba_wasm_i32(0xfffffff8u), ba_wasm_i32(0x01020304)};
	ba_wasm_diag diag;
	ba_wasm_value r;

	env_open(&e, mem_wasm, sizeof(mem_wasm), NULL, NULL, 0);
	/* -8 + 8 wraps to address 0, which is in bounds. */
	CHECK_EQ_INT(call(&e, "store_wrap", a, 2, NULL, 0, NULL), BA_WASM_OK);
	CHECK_EQ_UINT(call_i32(&e, "load0", NULL, 0), 0x01020304);
	CHECK_EQ_UINT(call_i32(&e, "load_wrap", a, 1), 0x01020304);
	/* The offset immediate does not wrap: 0xfffffffc + 4 is past 4 GiB. */
	a[0] = ba_wasm_i32(0xfffffffcu);
	CHECK_EQ_INT(call(&e, "load_oob", a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_MEMORY_OOB);
	a[0] = ba_wasm_i32(65532);
	CHECK_EQ_INT(call(&e, "load_oob", a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	a[0] = ba_wasm_i32(65528);
	CHECK_EQ_INT(call(&e, "load_oob", a, 1, &r, 1, &diag), BA_WASM_OK);
	env_close(&e);
}

TEST(fused_address_forms_keep_wasm_order)
{
	struct env e;
	ba_wasm_value a[2] = {ba_wasm_i32(100), ba_wasm_i32(0)};

	env_open(&e, mem_wasm, sizeof(mem_wasm), NULL, NULL, 0);
	/* The pointer bump lands in the local before the local is read as
	 * the stored value. */
	CHECK_EQ_UINT(call_i32(&e, "tee_store_self", a, 1), 108);
	a[0] = ba_wasm_i32(100);
	a[1] = ba_wasm_i32(8);
	CHECK_EQ_UINT(call_i32(&e, "set_then_load", a, 2), 108 + 108);
	/* (x << s) + k wraps in 32 bits: 0x40000003 << 2 is 12, like 3 << 2. */
	a[0] = ba_wasm_i32(0x40000003);
	a[1] = ba_wasm_i32(3);
	CHECK_EQ_UINT(call_i32(&e, "scaled", a, 2), 7);
	env_close(&e);
}

TEST(memory_grown_by_callee_is_visible)
{
	struct env e;

	env_open(&e, mem_wasm, sizeof(mem_wasm), NULL, NULL, 0);
	CHECK_EQ_UINT(call_i32(&e, "grow_then_store", NULL, 0), 42);
	env_close(&e);
}

/*
 * Export names may hold any UTF-8, newlines included; a trap message must
 * stay one line. (module (func (export "a\nb") unreachable))
 */
TEST(trap_message_escapes_control_characters_in_names)
{
	static const uint8_t wasm[] = {
	        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,       /* header          */
	        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                   /* type () -> ()   */
	        0x03, 0x02, 0x01, 0x00,                               /* func 0: type 0  */
	        0x07, 0x07, 0x01, 0x03, 'a',  '\n', 'b',  0x00, 0x00, /* export      */
	        0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,             /* unreachable     */
	};
	struct env e;
	ba_wasm_diag diag;

	env_open(&e, wasm, sizeof(wasm), NULL, NULL, 0);
	CHECK_EQ_INT(call(&e, "a\nb", NULL, 0, NULL, 0, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_UNREACHABLE);
	CHECK_EQ_STR(diag.message, "unreachable in function 0 (a?b) at offset 0x20");
	env_close(&e);
}

TEST(trap_diagnostics_name_function_and_offset)
{
	struct env e;
	ba_wasm_value a[2] = {ba_wasm_i32(7), ba_wasm_i32(0)}, r;
	ba_wasm_diag diag;
	static const uint8_t div_body[] = {0x20, 0x00, 0x20, 0x01, 0x6d};
	size_t at = find(traps_wasm, sizeof(traps_wasm), div_body, sizeof(div_body)) + 4;
	char want[128];

	env_open(&e, traps_wasm, sizeof(traps_wasm), NULL, NULL, 0);
	CHECK_EQ_INT(call(&e, "div", a, 2, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.err, BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_DIV_ZERO);
	CHECK_EQ_UINT(diag.func_index, 1);
	CHECK_EQ_UINT(diag.offset, at);
	/* The export name is part of the message: people know functions by it. */
	snprintf(want, sizeof(want), "integer divide by zero in function 1 (div) at offset 0x%zx",
	         at);
	CHECK_EQ_STR(diag.message, want);

	/* The store stays usable after a trap. */
	a[1] = ba_wasm_i32(2);
	CHECK_EQ_UINT(call_i32(&e, "div", a, 2), 3);
	env_close(&e);
}

TEST(integer_overflow_rules)
{
	struct env e;
	ba_wasm_value a[2] = {ba_wasm_i32(0x80000000u), ba_wasm_i32(0xffffffffu)}, r;
	ba_wasm_diag diag;

	env_open(&e, traps_wasm, sizeof(traps_wasm), NULL, NULL, 0);
	CHECK_EQ_INT(call(&e, "div", a, 2, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INT_OVERFLOW);
	CHECK_EQ_UINT(call_i32(&e, "rem", a, 2), 0);
	a[0] = f64v(2147483647.9);
	CHECK_EQ_UINT(call_i32(&e, "trunc", a, 1), 2147483647u);
	a[0] = f64v(-2147483648.9);
	CHECK_EQ_UINT(call_i32(&e, "trunc", a, 1), 0x80000000u);
	a[0] = f64v(2147483648.0);
	CHECK_EQ_INT(call(&e, "trunc", a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INT_OVERFLOW);
	a[0] = f64v(-2147483649.0);
	CHECK_EQ_INT(call(&e, "trunc", a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	a[0].of.f64_bits = 0x7ff8000000000001u;
	CHECK_EQ_INT(call(&e, "trunc", a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INVALID_CONVERSION);
	env_close(&e);
}

TEST(call_indirect_checks)
{
	struct env e;
	ba_wasm_value a, r;
	ba_wasm_diag diag;

	env_open(&e, traps_wasm, sizeof(traps_wasm), NULL, NULL, 0);
	a = ba_wasm_i32(0);
	CHECK_EQ_INT(call(&e, "call_ind", &a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INDIRECT_TYPE);
	CHECK_CONTAINS(diag.message, "indirect call type mismatch");
	a = ba_wasm_i32(1);
	CHECK_EQ_INT(call(&e, "call_ind", &a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_UNINITIALIZED_ELEMENT);
	a = ba_wasm_i32(3);
	CHECK_EQ_INT(call(&e, "call_ind", &a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_UNDEFINED_ELEMENT);
	env_close(&e);
}

TEST(runaway_recursion_exhausts_the_call_depth)
{
	struct env e;
	ba_wasm_limits limits = {.max_call_depth = 500};
	ba_wasm_value a = ba_wasm_i32(0), r;
	ba_wasm_diag diag;

	env_open(&e, traps_wasm, sizeof(traps_wasm), &limits, NULL, 0);
	CHECK_EQ_INT(call(&e, "rec", &a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_STACK_EXHAUSTED);
	CHECK_CONTAINS(diag.message, "call stack exhausted");
	/* Exactly max_call_depth activations fit. */
	a = ba_wasm_i32(499);
	CHECK_EQ_UINT(call_i32(&e, "depth", &a, 1), 499);
	a = ba_wasm_i32(500);
	CHECK_EQ_INT(call(&e, "depth", &a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_STACK_EXHAUSTED);
	env_close(&e);
}

TEST(value_stack_cap_traps_cleanly)
{
	struct env e;
	ba_wasm_limits limits = {.max_stack_bytes = 4096};
	ba_wasm_value a = ba_wasm_i32(100000), r;
	ba_wasm_diag diag;

	env_open(&e, traps_wasm, sizeof(traps_wasm), &limits, NULL, 0);
	CHECK_EQ_INT(call(&e, "depth", &a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_STACK_EXHAUSTED);
	a = ba_wasm_i32(10);
	CHECK_EQ_UINT(call_i32(&e, "depth", &a, 1), 10);
	env_close(&e);
}

TEST(fuel_is_charged_per_instruction_deterministically)
{
	struct env e;
	ba_wasm_value a = ba_wasm_i32(10);

	env_open(&e, fuel_wasm, sizeof(fuel_wasm), NULL, NULL, 0);
	ba_wasm_store_set_fuel(e.store, 1000000);
	CHECK_EQ_UINT(call_i32(&e, "loop", &a, 1), 10);
	/* block loop local.get i32.eqz br_if, then per iteration 9 + 3
	 * (the body, then local.get i32.eqz br_if at the loop header), then
	 * local.get end: 5 + 12n + 2. */
	CHECK_EQ_UINT(ba_wasm_store_fuel_consumed(e.store), 127);
	a = ba_wasm_i32(0);
	CHECK_EQ_UINT(call_i32(&e, "loop", &a, 1), 0);
	CHECK_EQ_UINT(ba_wasm_store_fuel_consumed(e.store), 134);
	env_close(&e);
}

TEST(fuel_exhaustion_traps_and_store_recovers)
{
	struct env e;
	ba_wasm_value a = ba_wasm_i32(10), r;
	ba_wasm_diag diag;

	env_open(&e, fuel_wasm, sizeof(fuel_wasm), NULL, NULL, 0);
	ba_wasm_store_set_fuel(e.store, 126);
	CHECK_EQ_INT(call(&e, "loop", &a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_FUEL_EXHAUSTED);
	CHECK_EQ_UINT(ba_wasm_store_fuel_remaining(e.store), 0);
	CHECK_EQ_INT(call(&e, "forever", NULL, 0, NULL, 0, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_FUEL_EXHAUSTED);
	ba_wasm_store_set_fuel(e.store, 127);
	CHECK_EQ_UINT(call_i32(&e, "loop", &a, 1), 10);
	CHECK_EQ_UINT(ba_wasm_store_fuel_remaining(e.store), 0);
	ba_wasm_store_set_fuel(e.store, 0);
	CHECK_EQ_UINT(call_i32(&e, "loop", &a, 1), 10);
	env_close(&e);
}

TEST_TIMEOUT(interrupt_stops_an_infinite_loop, 20)
{
	struct env e;
	ba_wasm_diag diag;

	env_open(&e, fuel_wasm, sizeof(fuel_wasm), NULL, NULL, 0);
	ba_wasm_store_interrupt(e.store);
	CHECK_EQ_INT(call(&e, "forever", NULL, 0, NULL, 0, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INTERRUPTED);
	ba_wasm_store_clear_interrupt(e.store);
	env_close(&e);
}

TEST_TIMEOUT(deadline_stops_an_infinite_loop, 20)
{
	struct env e;
	ba_wasm_diag diag;
	struct timespec ts;
	uint64_t now;

	env_open(&e, fuel_wasm, sizeof(fuel_wasm), NULL, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	ba_wasm_store_set_deadline(e.store, now + 50000000u); /* 50 ms */
	CHECK_EQ_INT(call(&e, "forever", NULL, 0, NULL, 0, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_INTERRUPTED);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	CHECK((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec >= now + 50000000u);
	/* With fuel on too, the fuel still counts across deadline checks. */
	ba_wasm_store_set_deadline(e.store, 0);
	ba_wasm_store_set_fuel(e.store, 5000000);
	CHECK_EQ_INT(call(&e, "forever", NULL, 0, NULL, 0, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_FUEL_EXHAUSTED);
	env_close(&e);
}

struct host_ctx {
	struct env *env;
	int calls;
};

static ba_wasm_err host_fn(ba_wasm_caller *caller, void *user, const ba_wasm_value *args,
                           ba_wasm_value *results)
{
	struct host_ctx *ctx = user;
	ba_wasm_value r;
	ba_wasm_diag diag;
	ba_wasm_err err;

	ctx->calls++;
	if (args[0].of.i32 == 0xdead)
		return ba_wasm_caller_trap(caller, "boom %d", 42);
	/* Re-enter the guest: nested invocation on the same store. */
	err = call(ctx->env, "inner", args, 1, &r, 1, &diag);
	if (err != BA_WASM_OK)
		return ba_wasm_caller_trap(caller, "inner failed: %s", diag.message);
	results[0] = ba_wasm_i32(r.of.i32);
	return BA_WASM_OK;
}

TEST(host_calls_reenter_and_trap)
{
	static const ba_wasm_valtype i32[] = {BA_WASM_I32};
	static const ba_wasm_functype type = {1, 1, i32, i32};
	struct env e;
	struct host_ctx ctx = {&e, 0};
	ba_wasm_extern imp;
	ba_wasm_value a = ba_wasm_i32(5), r;
	ba_wasm_diag diag;
	ba_wasm_store *store = ba_wasm_store_new(NULL);

	CHECK(store != NULL);
	imp.kind = BA_WASM_EXTERN_FUNC;
	imp.of.func = ba_wasm_func_new_host(store, &type, host_fn, &ctx);
	CHECK(imp.of.func != NULL);
	e.store = store;
	if (ba_wasm_module_load(host_wasm, sizeof(host_wasm), NULL, &e.module, &diag) != BA_WASM_OK)
		ba_test_fail(__FILE__, __LINE__, "load: %s", diag.message);
	CHECK_EQ_INT(ba_wasm_instantiate(store, e.module, &imp, 1, &e.inst, &diag), BA_WASM_OK);

	CHECK_EQ_UINT(call_i32(&e, "call_host", &a, 1), 11);
	CHECK_EQ_INT(ctx.calls, 1);
	a = ba_wasm_i32(0xdead);
	CHECK_EQ_INT(call(&e, "call_host", &a, 1, &r, 1, &diag), BA_WASM_ERR_TRAP);
	CHECK_EQ_INT(diag.trap, BA_WASM_TRAP_HOST);
	CHECK_CONTAINS(diag.message, "boom 42");
	CHECK_EQ_UINT(diag.func_index, 1);
	/* Still usable, and the nested run left the stacks balanced. */
	a = ba_wasm_i32(6);
	CHECK_EQ_UINT(call_i32(&e, "call_host", &a, 1), 13);
	env_close(&e);
}
