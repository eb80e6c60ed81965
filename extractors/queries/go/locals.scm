; Go locals: parameters (receivers included), `:=` and `var` shadow outer names; types,
; composite literals and constructor calls say what a name holds.

(parameter_declaration name: (identifier) @local.name type: (_) @local.type)
(variadic_parameter_declaration name: (identifier) @local.name)

(short_var_declaration
  left: (expression_list . (identifier) @local.name)
  right: (expression_list . (call_expression function: [(identifier) (selector_expression)] @local.construct)))
(short_var_declaration
  left: (expression_list . (identifier) @local.name)
  right: (expression_list . (composite_literal type: (_) @local.type)))
(short_var_declaration
  left: (expression_list . (identifier) @local.name)
  right: (expression_list . (unary_expression operand: (composite_literal type: (_) @local.type))))
(short_var_declaration
  left: (expression_list . (identifier) @local.name)
  right: (expression_list . (type_assertion_expression type: (_) @local.type)))
(short_var_declaration left: (expression_list (identifier) @local.name))

(var_spec name: (identifier) @local.name type: (_) @local.type)
(var_spec name: (identifier) @local.name value: (expression_list . (call_expression function: [(identifier) (selector_expression)] @local.construct)))
(var_spec name: (identifier) @local.name)
(range_clause left: (expression_list (identifier) @local.name))

; Struct fields: members of the struct, typed by their declaration.
(field_declaration name: (field_identifier) @local.member type: (_) @local.type)
