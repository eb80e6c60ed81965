; Python locals: parameters, assignments and loop variables shadow outer names;
; annotations and constructor calls say what a name holds.

(parameters (identifier) @local.name)
(lambda_parameters (identifier) @local.name)
(typed_parameter (identifier) @local.name type: (type) @local.type)
(default_parameter name: (identifier) @local.name)
(typed_default_parameter name: (identifier) @local.name type: (type) @local.type)

(assignment left: (identifier) @local.name type: (type) @local.type)
(assignment left: (identifier) @local.name right: (call function: [(identifier) (attribute)] @local.construct))
(assignment left: (identifier) @local.name)
(assignment left: (pattern_list (identifier) @local.name))
(for_statement left: (identifier) @local.name)
(for_statement left: (pattern_list (identifier) @local.name))
(as_pattern alias: (as_pattern_target (identifier) @local.name))
(named_expression name: (identifier) @local.name)

; `self.x: Foo = ...` and `self.x = Foo()` in a method: a member of the class.
((assignment
   left: (attribute object: (identifier) @_self attribute: (identifier) @local.member)
   type: (type) @local.type)
  (#eq? @_self "self"))
((assignment
   left: (attribute object: (identifier) @_self attribute: (identifier) @local.member)
   right: (call function: [(identifier) (attribute)] @local.construct))
  (#eq? @_self "self"))
