; TypeScript and JavaScript locals: parameters and variables shadow outer names;
; annotations and `new` expressions say what a name holds.

(required_parameter pattern: (identifier) @local.name type: (type_annotation (_) @local.type))
(required_parameter pattern: (identifier) @local.name)
(optional_parameter pattern: (identifier) @local.name type: (type_annotation (_) @local.type))
(optional_parameter pattern: (identifier) @local.name)
(arrow_function parameter: (identifier) @local.name)
(catch_clause parameter: (identifier) @local.name)
(for_in_statement left: (identifier) @local.name)

(variable_declarator name: (identifier) @local.name type: (type_annotation (_) @local.type))
(variable_declarator name: (identifier) @local.name value: (new_expression constructor: (_) @local.construct))
(variable_declarator name: (identifier) @local.name)
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @local.name))
(variable_declarator name: (array_pattern (identifier) @local.name))

; Members: `constructor(private x: Foo)`, `x: Foo;` and `x = new Foo()` in a class body,
; `this.x = new Foo()` in a method.
(required_parameter (accessibility_modifier) pattern: (identifier) @local.member type: (type_annotation (_) @local.type))
(public_field_definition name: (property_identifier) @local.member type: (type_annotation (_) @local.type))
(public_field_definition name: (property_identifier) @local.member value: (new_expression constructor: (_) @local.construct))
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @local.member)
  right: (new_expression constructor: (_) @local.construct))
