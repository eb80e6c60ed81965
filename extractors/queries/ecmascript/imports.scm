; TypeScript and JavaScript imports.

((import_statement source: (string (string_fragment) @import.path)) @import)

((import_statement "type" source: (string (string_fragment) @import.path)) @import
  (#set! kind "type"))

; `import x from`: the default export, under a local name.
((import_statement
   (import_clause (identifier) @import.default)
   source: (string (string_fragment) @import.path)) @import)

; `import * as ns from`: the whole module under one name.
((import_statement
   (import_clause (namespace_import (identifier) @import.alias))
   source: (string (string_fragment) @import.path)) @import)

((import_statement
   (import_clause (named_imports (import_specifier name: (_) @import.name alias: (_)? @import.name.alias)))
   source: (string (string_fragment) @import.path)) @import)

; `import x = require("y")`
((import_statement
   (import_require_clause (identifier) @import.alias source: (string (string_fragment) @import.path))) @import)

; `export ... from`, `export * from`, `export * as ns from`
((export_statement source: (string (string_fragment) @import.path)) @import
  (#set! kind "reexport"))

((export_statement "*" @import.wildcard source: (string (string_fragment) @import.path)) @import
  (#set! kind "reexport"))

((export_statement (namespace_export (identifier) @import.alias) source: (string (string_fragment) @import.path)) @import
  (#set! kind "reexport"))

((export_statement
   (export_clause (export_specifier name: (_) @import.name alias: (_)? @import.name.alias))
   source: (string (string_fragment) @import.path)) @import
  (#set! kind "reexport"))

((call_expression function: (import) arguments: (arguments . (string (string_fragment) @import.path))) @import
  (#set! kind "dynamic"))

((call_expression
   function: (identifier) @_require
   arguments: (arguments . (string (string_fragment) @import.path))) @import
  (#eq? @_require "require"))

; CommonJS under local names: `const u = require("x")` names the module,
; `const { a, b: c } = require("x")` names what it takes from it.
((variable_declarator
   name: (identifier) @import.alias
   value: (call_expression
     function: (identifier) @_require
     arguments: (arguments . (string (string_fragment) @import.path))) @import)
  (#eq? @_require "require"))

((variable_declarator
   name: (object_pattern (shorthand_property_identifier_pattern) @import.name)
   value: (call_expression
     function: (identifier) @_require
     arguments: (arguments . (string (string_fragment) @import.path))) @import)
  (#eq? @_require "require"))

((variable_declarator
   name: (object_pattern (pair_pattern key: (property_identifier) @import.name value: (identifier) @import.name.alias))
   value: (call_expression
     function: (identifier) @_require
     arguments: (arguments . (string (string_fragment) @import.path))) @import)
  (#eq? @_require "require"))

; Triple-slash directives: `/// <reference path="./globals.d.ts" />` (relative to this
; file) and `/// <reference types="node" />` (a package). The extractor reads the
; attribute out of the comment.
((comment) @import @import.directive
  (#match? @import.directive "^///[ \t]*<reference[ \t]+(path|types)[ \t]*=")
  (#set! kind "reference"))
