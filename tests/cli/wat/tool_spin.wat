;; A WASI command that never ends: stopped by fuel or the timeout.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (func (export "_start") (loop $l (br $l))))
