(module (func $s unreachable) (start $s) (func (export "f")))
