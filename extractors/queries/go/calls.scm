; Go call sites: `foo()`, `pkg.Func()`, `recv.Method()`.

(call_expression function: [(identifier) (selector_expression)] @callee) @call

; Generic instantiations: `Map[int](xs)`, `pkg.Map[int](xs)`.
(call_expression function: (index_expression operand: [(identifier) (selector_expression)] @callee)) @call
