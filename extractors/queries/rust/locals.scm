; Rust locals: parameters, `let`, closure and loop bindings shadow outer names; types,
; struct expressions and constructor calls say what a name holds.

(parameter pattern: (identifier) @local.name type: (_) @local.type)
(closure_parameters (identifier) @local.name)

(let_declaration pattern: (identifier) @local.name type: (_) @local.type)
(let_declaration
  pattern: (identifier) @local.name
  value: (call_expression function: [(identifier) (scoped_identifier)] @local.construct))
(let_declaration
  pattern: (identifier) @local.name
  value: (call_expression function: (generic_function function: (_) @local.construct)))
(let_declaration pattern: (identifier) @local.name value: (struct_expression name: (_) @local.type))
(let_declaration pattern: (identifier) @local.name)
(let_declaration pattern: (tuple_pattern (identifier) @local.name))
(for_expression pattern: (identifier) @local.name)
