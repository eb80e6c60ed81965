; Rust call sites: `foo()`, `Type::new()`, `self.x()`, `foo::<T>()`.

(call_expression function: [(identifier) (scoped_identifier) (field_expression)] @callee) @call
(call_expression function: (generic_function function: (_) @callee)) @call
