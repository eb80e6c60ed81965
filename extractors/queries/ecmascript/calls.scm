; TypeScript and JavaScript call sites: `foo()`, `obj.method()`, `this.x()`, `new Type()`.

((call_expression function: (identifier) @callee) @call
  (#not-eq? @callee "require"))

(call_expression function: (member_expression) @callee) @call
(new_expression constructor: (_) @callee) @call
