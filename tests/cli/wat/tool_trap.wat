;; A WASI command that crashes: an out-of-bounds load.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory 1)
  (func (export "_start") (drop (i32.load (i32.const 70000)))))
