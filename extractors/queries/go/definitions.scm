; Go definitions. Exported-ness comes from capitalisation, so no visibility captures.

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [(type_identifier) @owner
             (pointer_type (type_identifier) @owner)
             (generic_type type: (type_identifier) @owner)
             (pointer_type (generic_type type: (type_identifier) @owner))]))
  name: (field_identifier) @name
  result: (_)? @returns
  body: (_)? @body) @definition.method

; Interface methods: calls through an interface dispatch to the types that implement it.
(type_spec
  name: (type_identifier) @owner
  type: (interface_type (method_elem name: (field_identifier) @name result: (_)? @returns) @definition.method))

(function_declaration name: (identifier) @name result: (_)? @returns body: (_)? @body) @definition.function

; Types keep their whole text as the signature: fields and method sets are interface.
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
; Embedded fields, one match each: the struct has their methods.
(type_spec
  name: (type_identifier) @name
  type: (struct_type (field_declaration_list (field_declaration !name type: (_) @base)))) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type
(type_alias name: (type_identifier) @name) @definition.type

((const_declaration (const_spec name: (identifier) @name value: (_)? @body) @definition.constant) (#set! top-level))
((var_declaration (var_spec name: (identifier) @name value: (_)? @body) @definition.variable) (#set! top-level))
((var_declaration (var_spec_list (var_spec name: (identifier) @name value: (_)? @body) @definition.variable)) (#set! top-level))
