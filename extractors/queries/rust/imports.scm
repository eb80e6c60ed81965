; Rust imports.
; `@import.tree` is a use tree; the extractor flattens its groups, globs, `self` and aliases.

((use_declaration argument: (_) @import.tree) @import)

((use_declaration (visibility_modifier) argument: (_) @import.tree) @import
  (#set! kind "reexport"))

((mod_item name: (identifier) @import.path !body) @import
  (#set! kind "mod"))

; `#[path = "x.rs"] mod name;`, at the top of a file, inside an inline module or inside a
; function body. The parent is written out because a pattern must start at one node.
((source_file
   (attribute_item
     (attribute (identifier) @_attribute
       value: (string_literal (string_content) @import.path_attribute)))
   .
   (mod_item name: (identifier) @import.path !body) @import)
  (#eq? @_attribute "path")
  (#set! kind "mod"))

((declaration_list
   (attribute_item
     (attribute (identifier) @_attribute
       value: (string_literal (string_content) @import.path_attribute)))
   .
   (mod_item name: (identifier) @import.path !body) @import)
  (#eq? @_attribute "path")
  (#set! kind "mod"))

((block
   (attribute_item
     (attribute (identifier) @_attribute
       value: (string_literal (string_content) @import.path_attribute)))
   .
   (mod_item name: (identifier) @import.path !body) @import)
  (#eq? @_attribute "path")
  (#set! kind "mod"))

((extern_crate_declaration name: (identifier) @import.path alias: (identifier)? @import.alias) @import)
