; Rust definitions. Patterns with an @owner come first: they win over the generic ones.

; Methods in inherent impls are exported with `pub`. The owner of `impl<T> Stack<T>` is
; `Stack`: the generic and path forms come first, the whole type is the fallback.
(impl_item
  !trait
  type: [(generic_type type: (type_identifier) @owner) (scoped_type_identifier name: (type_identifier) @owner)]
  body: (declaration_list
    (function_item (visibility_modifier)? @visibility name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.method))
(impl_item
  !trait
  type: (_) @owner
  body: (declaration_list
    (function_item (visibility_modifier)? @visibility name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.method))

; Methods of trait impls are as visible as the trait: the `trait` capture marks them exported.
(impl_item
  trait: (_) @visibility
  type: [(generic_type type: (type_identifier) @owner) (scoped_type_identifier name: (type_identifier) @owner)]
  body: (declaration_list
    (function_item name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.method))
(impl_item
  trait: (_) @visibility
  type: (_) @owner
  body: (declaration_list
    (function_item name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.method))

; Trait methods, with or without a default body, are as visible as the trait.
(trait_item
  (visibility_modifier)? @visibility
  name: (type_identifier) @owner
  body: (declaration_list
    [(function_item name: (identifier) @name body: (_) @body)
     (function_signature_item name: (identifier) @name)] @definition.method))

(function_item (visibility_modifier)? @visibility name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.function
(function_signature_item (visibility_modifier)? @visibility name: (identifier) @name) @definition.function

; Data types keep their whole text as the signature: fields and variants are interface.
(struct_item (visibility_modifier)? @visibility name: (type_identifier) @name) @definition.struct
(enum_item (visibility_modifier)? @visibility name: (type_identifier) @name) @definition.enum
(union_item (visibility_modifier)? @visibility name: (type_identifier) @name) @definition.union
(trait_item (visibility_modifier)? @visibility name: (type_identifier) @name body: (_) @body) @definition.trait
(type_item (visibility_modifier)? @visibility name: (type_identifier) @name) @definition.type
(const_item (visibility_modifier)? @visibility name: (identifier) @name value: (_)? @body) @definition.constant
(static_item (visibility_modifier)? @visibility name: (identifier) @name value: (_)? @body) @definition.constant
(mod_item (visibility_modifier)? @visibility name: (identifier) @name body: (_)? @body) @definition.module
(macro_definition name: (identifier) @name) @definition.macro
