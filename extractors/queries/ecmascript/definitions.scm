; TypeScript and JavaScript definitions. Patterns with an @owner come first.

(class_declaration
  name: (_) @owner
  body: (class_body
    (method_definition name: (_) @name return_type: (type_annotation (_) @returns)? body: (_) @body) @definition.method))

(abstract_class_declaration
  name: (_) @owner
  body: (class_body
    (method_definition name: (_) @name return_type: (type_annotation (_) @returns)? body: (_) @body) @definition.method))

; Object-literal methods and function-valued properties: `const o = { m() {}, n: () => {} }`.
((lexical_declaration (variable_declarator name: (identifier) @owner value: (object
  [(method_definition name: (_) @name body: (_) @body)
   (pair key: (_) @name value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])] @definition.method))) (#set! top-level))
((export_statement (lexical_declaration (variable_declarator name: (identifier) @owner value: (object
  [(method_definition name: (_) @name body: (_) @body)
   (pair key: (_) @name value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)])] @definition.method)))) (#set! top-level))

(function_declaration
  name: (identifier) @name
  return_type: (type_annotation (_) @returns)?
  body: (_) @body) @definition.function

; `export default function f` / `export default class C`: what `import f from` names.
(export_statement "default" @export.default [(function_declaration name: (identifier) @name body: (_) @body) (generator_function_declaration name: (identifier) @name body: (_) @body)] @definition.function)
(export_statement "default" @export.default (class_declaration name: (_) @name body: (_) @body) @definition.class)
(generator_function_declaration name: (identifier) @name body: (_) @body) @definition.function
(function_signature name: (identifier) @name) @definition.function
(class_declaration name: (_) @name body: (_) @body) @definition.class
(class_declaration name: (_) @name (class_heritage (extends_clause value: (_) @base)) body: (_) @body) @definition.class
(abstract_class_declaration name: (_) @name body: (_) @body) @definition.class
; Data types keep their whole text as the signature: members are interface.
(interface_declaration name: (_) @name) @definition.interface
(type_alias_declaration name: (_) @name) @definition.type
(enum_declaration name: (_) @name) @definition.enum
(internal_module name: (_) @name body: (_) @body) @definition.module

; Module-level bindings: `const f = () => {}` is a function, other `const`s are constants.
; Each pattern starts at one node kind (the extractor runs queries at anchor nodes), so
; the plain and the exported form are two patterns.
((lexical_declaration (variable_declarator name: (identifier) @name value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @definition.function) (#set! top-level))
((export_statement (lexical_declaration (variable_declarator name: (identifier) @name value: [(arrow_function body: (_) @body) (function_expression body: (_) @body)]) @definition.function)) (#set! top-level))

((lexical_declaration kind: "const" (variable_declarator name: (identifier) @name value: (_)? @body) @definition.constant) (#set! top-level))
((export_statement (lexical_declaration kind: "const" (variable_declarator name: (identifier) @name value: (_)? @body) @definition.constant)) (#set! top-level))

((lexical_declaration kind: "let" (variable_declarator name: (identifier) @name value: (_)? @body) @definition.variable) (#set! top-level))
((export_statement (lexical_declaration kind: "let" (variable_declarator name: (identifier) @name value: (_)? @body) @definition.variable)) (#set! top-level))
((variable_declaration (variable_declarator name: (identifier) @name value: (_)? @body) @definition.variable) (#set! top-level))
((export_statement (variable_declaration (variable_declarator name: (identifier) @name value: (_)? @body) @definition.variable)) (#set! top-level))
