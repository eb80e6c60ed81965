; Python imports, wherever they appear: module level, inside functions, `try` and `if TYPE_CHECKING:`.

((import_statement name: (dotted_name) @import.path) @import)

((import_statement
   name: (aliased_import name: (dotted_name) @import.path alias: (identifier) @import.alias)) @import)

; `module_name` is a dotted name or a relative import such as `..pkg`.
((import_from_statement module_name: (_) @import.path name: (dotted_name) @import.name) @import)

((import_from_statement
   module_name: (_) @import.path
   name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.name.alias)) @import)

((import_from_statement module_name: (_) @import.path (wildcard_import) @import.wildcard) @import)
