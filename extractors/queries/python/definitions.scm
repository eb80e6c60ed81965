; Python definitions. Patterns with an @owner come first: they win over the generic ones.

(class_definition
  name: (identifier) @owner
  body: (block
    [(function_definition name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.method
     (decorated_definition
       definition: (function_definition name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.method)]))

(function_definition name: (identifier) @name return_type: (_)? @returns body: (_) @body) @definition.function
(class_definition name: (identifier) @name body: (_) @body) @definition.class
; One match per base class; the extractor gathers them.
(class_definition
  name: (identifier) @name
  superclasses: (argument_list [(identifier) (attribute)] @base)
  body: (_) @body) @definition.class

; Module-level assignments: `X = 1`, `X: int = 1`.
((expression_statement (assignment left: (identifier) @name right: (_)? @body) @definition.constant) (#set! top-level))

; `__all__ = ["a", "b"]` lists the exported names explicitly.
((expression_statement
   (assignment
     left: (identifier) @_all
     right: [(list (string (string_content) @export.name)) (tuple (string (string_content) @export.name))]))
 (#eq? @_all "__all__")
 (#set! top-level))
