; Python call sites: `foo()`, `obj.method()`, `self.x()`.

(call function: [(identifier) (attribute)] @callee) @call
