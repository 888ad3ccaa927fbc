;; Fixtures for cli_wasm.sh: well-behaved functions and hostile ones.
(module
  (memory 1 100)
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.div_s)
  (func (export "pair") (param i64 f64) (result f64 i64)
    local.get 1 local.get 0)
  (func (export "half") (param f32) (result f32)
    local.get 0 f32.const 0.5 f32.mul)
  (func (export "spin")
    (loop $l br $l))
  (func $deep (export "deep") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $deep)
  (func (export "bomb") (result i32)
    (loop $l
      i32.const 1 memory.grow
      i32.const -1 i32.ne
      br_if $l)
    memory.size)
  (func (export "poke") (param i32) (result i32)
    local.get 0 i32.load)
  (func (export "_start")))
