; Go imports: single, grouped, aliased, dot and blank.

((import_spec path: (_) @import.path) @import)
((import_spec name: (package_identifier) @import.alias path: (_) @import.path) @import)
((import_spec name: (dot) @import.wildcard path: (_) @import.path) @import)

(package_clause (package_identifier) @package)
