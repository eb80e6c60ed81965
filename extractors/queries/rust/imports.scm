; Rust imports.
; `@import.tree` is a use tree; the extractor flattens its groups, globs, `self` and aliases.

((use_declaration argument: (_) @import.tree) @import)

((use_declaration (visibility_modifier) argument: (_) @import.tree) @import
  (#set! kind "reexport"))

((mod_item name: (identifier) @import.path !body) @import
  (#set! kind "mod"))

; Attributes that give a `mod` item its file. The extractor hands each to the item after
; it (`@import.attribute`), whatever other attributes or comments sit between them.

; `#[path = "x.rs"]`: the module's only file.
((attribute_item
   (attribute (identifier) @_attribute
     value: (string_literal (string_content) @import.path_attribute))) @import.attribute
  (#eq? @_attribute "path"))

; `#[cfg_attr(predicate, path = "x.rs")]`: one of the files the module may have. Thread
; sees every cfg, so the module has them all.
((attribute_item
   (attribute (identifier) @_attribute
     arguments: (token_tree
       (identifier) @_key . "=" . (string_literal (string_content) @import.cfg_path_attribute)) @import.cfg_attr_arguments)) @import.attribute
  (#eq? @_attribute "cfg_attr")
  (#eq? @_key "path"))

; `#[cfg(predicate)]`: the item exists only under it. Resolution uses it to pick the
; cfg_attr file a path means inside such an item (`#[cfg(linux_raw)] mod runtime;`).
((attribute_item
   (attribute (identifier) @_attribute arguments: (token_tree) @import.cfg)) @import.attribute
  (#eq? @_attribute "cfg"))

((extern_crate_declaration name: (identifier) @import.path alias: (identifier)? @import.alias) @import)
