//! The binder: every call of a fixture, and what it is bound to.
//!
//! Every fixture defines each target name more than once (decoys: the same name in the
//! same file under another owner, in other files, in the standard library), so only the
//! rule under test can bind it right. `check` lists *every* call of every file, so a
//! decoy that gets bound, or a call that should stay unbound and does not, fails.

use std::sync::Arc;

use thread_flow::engine::{DirectExtraction, FileChange, Host, Snapshot};

use crate::fixture::parse;

/// Indexes a fixture in a fresh host.
pub(crate) fn host_of(fixture: &str) -> Host {
    let mut host = Host::new(Arc::new(DirectExtraction));
    let changes = parse(fixture).into_iter().map(|(path, text)| FileChange::write(path, text)).collect();
    let report = host.apply(changes);
    assert!(report.failures.is_empty(), "the fixture did not analyse: {:?}", report.failures);
    host
}

/// Every call as `path:line callee -> targets`, targets as `path:Owner.name` joined by
/// `, `, or `-` when the call is unbound.
pub(crate) fn render_calls(snapshot: &Snapshot) -> String {
    let mut lines = Vec::new();
    for file in snapshot.files() {
        for (index, call) in file.facts.calls.iter().enumerate() {
            let targets: Vec<String> = file
                .bindings
                .call_targets(index as u32)
                .map(|target| {
                    let entry = snapshot.file(target.file).expect("target file");
                    let definition = snapshot.definition(target).expect("a live definition");
                    match &definition.owner {
                        Some(owner) => format!("{}:{owner}.{}", entry.path, definition.name),
                        None => format!("{}:{}", entry.path, definition.name),
                    }
                })
                .collect();
            let mut targets = targets;
            targets.sort();
            let targets = if targets.is_empty() { "-".to_owned() } else { targets.join(", ") };
            lines.push(format!("{}:{} {} -> {targets}", file.path, call.span.start.line + 1, call.callee));
        }
    }
    lines.sort();
    lines.join("\n")
}

#[track_caller]
fn check(fixture: &str, expected: &str) {
    let host = host_of(fixture);
    let actual = render_calls(&host.snapshot());
    let mut expected: Vec<&str> = expected.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    expected.sort();
    let expected = expected.join("\n");
    assert_eq!(actual, expected, "\n--- actual ---\n{actual}\n--- expected ---\n{expected}\n");
}

#[test]
fn python_imported_names_aliases_and_modules() {
    check(
        r#"
//- /pkg/__init__.py
from .api import get
//- /pkg/api.py
def get(url):
    return fetch(url)

def fetch(url):
    pass
//- /pkg/other.py
def get(key):
    pass

def fetch(url):
    pass
//- /app.py
import json
import pkg
import pkg.other
import pkg.other as o
from pkg import api
from pkg.api import fetch as grab

def get():
    pass

def main(d):
    pkg.get("u")
    api.get("u")
    pkg.other.get("k")
    o.fetch("u")
    grab("u")
    get()
    d.get("k")
    json.loads("{}")
"#,
        r#"
        pkg/api.py:2 fetch -> pkg/api.py:fetch
        app.py:12 pkg.get -> pkg/api.py:get
        app.py:13 api.get -> pkg/api.py:get
        app.py:14 pkg.other.get -> pkg/other.py:get
        app.py:15 o.fetch -> pkg/other.py:fetch
        app.py:16 grab -> pkg/api.py:fetch
        app.py:17 get -> app.py:get
        app.py:18 d.get -> -
        app.py:19 json.loads -> -
        "#,
    );
}

#[test]
fn python_receivers_inheritance_and_local_evidence() {
    check(
        r#"
//- /base.py
class Base:
    def save(self):
        pass

    def load(self):
        pass
//- /models.py
from base import Base

class Store:
    def save(self):
        pass

class Model(Base):
    def __init__(self):
        self.store = Store()

    def load(self):
        super().load()
        self.save()
        self.store.save()

        def inner():
            self.load()
        inner()

    @classmethod
    def make(cls):
        return cls.load()

def save():
    pass

def use(m: Model, other):
    m.save()
    other.save()
    s = Store()
    s.save()
    save()
    Model()
"#,
        r#"
        models.py:9 Store -> models.py:Store
        models.py:12 super -> -
        models.py:12 super().load -> base.py:Base.load
        models.py:13 self.save -> base.py:Base.save
        models.py:14 self.store.save -> models.py:Store.save
        models.py:17 self.load -> models.py:Model.load
        models.py:18 inner -> models.py:inner
        models.py:22 cls.load -> models.py:Model.load
        models.py:28 m.save -> base.py:Base.save
        models.py:29 other.save -> -
        models.py:30 Store -> models.py:Store
        models.py:31 s.save -> models.py:Store.save
        models.py:32 save -> models.py:save
        models.py:33 Model -> models.py:Model
        "#,
    );
}

#[test]
fn python_locals_and_parameters_shadow_module_names() {
    check(
        r#"
//- /util.py
def parse(text):
    pass

def render(doc):
    pass
//- /main.py
from util import parse, render

def first(parse):
    parse("x")

def second():
    render = lambda doc: doc
    render(1)

def third():
    parse("y")

def fourth(node):
    # Evidence that refers to itself ends as unknown instead of recursing.
    node = node.parse()
    node = node.parse()
    node = node.parse()
    node.render()
"#,
        r#"
        main.py:4 parse -> -
        main.py:8 render -> -
        main.py:11 parse -> util.py:parse
        main.py:15 node.parse -> -
        main.py:16 node.parse -> -
        main.py:17 node.parse -> -
        main.py:18 node.render -> -
        "#,
    );
}

#[test]
fn typescript_named_default_namespace_and_commonjs_imports() {
    check(
        r#"
//- /src/util.ts
export function format(x: string) { return x; }
export default function helper() {}
export function _uppercase(s: string) { return s; }
//- /src/other.ts
export function format(x: number) { return x; }
export default function helper() {}
//- /src/index.ts
export { _uppercase as uppercase } from "./util";
export * from "./other";
//- /src/legacy.js
function parse() {}
module.exports = { parse };
//- /src/app.ts
import helper from "./util";
import * as other from "./other";
import { format as fmt } from "./util";
import { uppercase, format } from "./index";
const legacy = require("./legacy");
const { parse } = require("./legacy");

function format2() {}

export function main(obj: any) {
  helper();
  other.format(1);
  other.helper();
  fmt("a");
  uppercase("b");
  format(2);
  legacy.parse();
  parse();
  obj.format();
  Array.from([]);
}
"#,
        r#"
        src/app.ts:11 helper -> src/util.ts:helper
        src/app.ts:12 other.format -> src/other.ts:format
        src/app.ts:13 other.helper -> src/other.ts:helper
        src/app.ts:14 fmt -> src/util.ts:format
        src/app.ts:15 uppercase -> src/util.ts:_uppercase
        src/app.ts:16 format -> src/other.ts:format
        src/app.ts:17 legacy.parse -> src/legacy.js:parse
        src/app.ts:18 parse -> src/legacy.js:parse
        src/app.ts:19 obj.format -> -
        src/app.ts:20 Array.from -> -
        "#,
    );
}

#[test]
fn typescript_classes_receivers_object_literals_and_evidence() {
    check(
        r#"
//- /src/base.ts
export class Base {
  run() {}
  stop() {}
}
//- /src/service.ts
import { Base } from "./base";

export class Service extends Base {
  constructor(private repo: Repo) {
    super();
  }
  run() {
    super.run();
    this.stop();
    this.repo.run();
    this.cache.run();
  }
  cache = new Cache();
}

export class Repo {
  run() {}
}

class Cache {
  run() {}
}

export const api = {
  run() {},
  stop: () => {},
};

function run() {}

export function main(input: Service, other) {
  const repo = new Repo();
  repo.run();
  input.stop();
  other.run();
  api.run();
  api.stop();
  run();
  new Service(repo);
  (other as Repo).run();
}
"#,
        r#"
        src/service.ts:8 super.run -> src/base.ts:Base.run
        src/service.ts:9 this.stop -> src/base.ts:Base.stop
        src/service.ts:10 this.repo.run -> src/service.ts:Repo.run
        src/service.ts:11 this.cache.run -> src/service.ts:Cache.run
        src/service.ts:13 Cache -> src/service.ts:Cache
        src/service.ts:32 Repo -> src/service.ts:Repo
        src/service.ts:33 repo.run -> src/service.ts:Repo.run
        src/service.ts:34 input.stop -> src/base.ts:Base.stop
        src/service.ts:35 other.run -> -
        src/service.ts:36 api.run -> src/service.ts:api.run
        src/service.ts:37 api.stop -> src/service.ts:api.stop
        src/service.ts:38 run -> src/service.ts:run
        src/service.ts:39 Service -> src/service.ts:Service, src/service.ts:Service.constructor
        src/service.ts:40 (other as Repo).run -> src/service.ts:Repo.run
        "#,
    );
}

#[test]
fn go_packages_receivers_constructors_embedding_and_interfaces() {
    check(
        r#"
//- /go.mod
module example.com/m

go 1.21
//- /store/store.go
package store

type Base struct{}

func (b *Base) Close() {}

type Store struct {
	Base
}

func NewStore() *Store { return &Store{} }

func (s *Store) Get(key string) string { return lookup(key) }
//- /store/value.go
package store

type Value interface {
	String() string
	Set(string) error
}

type boolValue bool

func (b *boolValue) String() string { return "" }
func (b *boolValue) Set(s string) error { return nil }

type halfValue int

func (h *halfValue) Set(s string) error { return nil }

type Flag struct {
	Value Value
}

func (f *Flag) Apply(s string) error {
	return f.Value.Set(s)
}

func Check(v interface{}) {
	if b, ok := v.(*boolValue); ok {
		b.String()
	}
}
//- /store/lookup.go
package store

func lookup(key string) string { return key }
//- /cache/cache.go
package cache

type Store struct{}

func (s *Store) Get(key string) string { return key }

func NewStore() *Store { return &Store{} }
//- /yaml/v2/yaml.go
package yaml

func Marshal(v any) []byte { return nil }
//- /main.go
package main

import (
	"errors"
	"example.com/m/cache"
	"example.com/m/store"
	"example.com/m/yaml/v2"
)

func main() {
	s := store.NewStore()
	s.Get("k")
	s.Close()
	c := &cache.Store{}
	c.Get("k")
	yaml.Marshal(nil)
	err := errors.New("x")
	err.Error()
}
"#,
        r#"
        store/store.go:13 lookup -> store/lookup.go:lookup
        store/value.go:22 f.Value.Set -> store/value.go:Value.Set, store/value.go:boolValue.Set
        store/value.go:27 b.String -> store/value.go:boolValue.String
        main.go:11 store.NewStore -> store/store.go:NewStore
        main.go:12 s.Get -> store/store.go:Store.Get
        main.go:13 s.Close -> store/store.go:Base.Close
        main.go:15 c.Get -> cache/cache.go:Store.Get
        main.go:16 yaml.Marshal -> yaml/v2/yaml.go:Marshal
        main.go:17 errors.New -> -
        main.go:18 err.Error -> -
        "#,
    );
}

#[test]
fn rust_use_aliases_owners_and_evidence() {
    check(
        r#"
//- /Cargo.toml
[package]
name = "demo"
version = "0.1.0"
//- /src/lib.rs
pub mod parser;
pub mod stack;
pub use parser::parse as parse_all;

pub fn parse() {}
//- /src/parser.rs
pub struct Parser;

impl Parser {
    pub fn new() -> Self { Parser }
    pub fn parse(&self) { self.step(); Self::helper(); }
    fn step(&self) {}
    fn helper() {}
}

pub fn parse() {}
//- /src/stack.rs
pub struct Stack<T> { items: Vec<T> }

impl<T> Stack<T> {
    pub fn new() -> Self { Stack { items: Vec::new() } }
    pub fn push(&mut self, item: T) {}
}
//- /src/main.rs
use demo::parser::{self, Parser};
use demo::stack::Stack;
use demo::parse_all as everything;

fn run(p: &Parser, input: &str) {
    let s = Stack::new();
    s.push(1);
    let q = Parser::new();
    q.parse();
    p.parse();
    parser::parse();
    everything();
    input.parse();
    Vec::new();
}
"#,
        r#"
        src/parser.rs:5 self.step -> src/parser.rs:Parser.step
        src/parser.rs:5 Self::helper -> src/parser.rs:Parser.helper
        src/stack.rs:4 Vec::new -> -
        src/main.rs:6 Stack::new -> src/stack.rs:Stack.new
        src/main.rs:7 s.push -> src/stack.rs:Stack.push
        src/main.rs:8 Parser::new -> src/parser.rs:Parser.new
        src/main.rs:9 q.parse -> src/parser.rs:Parser.parse
        src/main.rs:10 p.parse -> src/parser.rs:Parser.parse
        src/main.rs:11 parser::parse -> src/parser.rs:parse
        src/main.rs:12 everything -> src/parser.rs:parse
        src/main.rs:13 input.parse -> -
        src/main.rs:14 Vec::new -> -
        "#,
    );
}

/// Edits that move what a call binds to, each checked against a fresh build: a method
/// that completes an interface's method set elsewhere in the package, a renamed base
/// class, a re-export that changes its target.
#[test]
fn bindings_follow_edits_in_the_files_they_read() {
    let fixture = r#"
//- /go.mod
module example.com/m

go 1.21
//- /flags/value.go
package flags

type Value interface {
	String() string
	Set(string) error
}

type halfValue int

func (h *halfValue) Set(s string) error { return nil }

func Apply(v Value) error { return v.Set("x") }
//- /pkg/__init__.py
from .impl import run
//- /pkg/impl.py
def run():
    pass
//- /pkg/other.py
def run():
    pass
//- /pkg/base.py
class Base:
    def go(self):
        pass
//- /main.py
import pkg
from pkg.base import Base

class Child(Base):
    def start(self):
        self.go()

pkg.run()
"#;
    let mut files = parse(fixture);
    let mut host = host_of(fixture);
    let edits: [(&str, Option<&str>); 4] = [
        // A type in another package implements Value: v.Set reaches its Set too,
        // although nothing links the two files.
        (
            "other/full.go",
            Some(
                "package other\n\ntype full int\n\nfunc (f *full) String() string { return \"\" }\n\nfunc (f *full) Set(s string) error { return nil }\n",
            ),
        ),
        // The barrel re-exports another module's run.
        ("pkg/__init__.py", Some("from .other import run\n")),
        // The base class loses `go`.
        ("pkg/base.py", Some("class Base:\n    def stop(self):\n        pass\n")),
        // And that type is gone again.
        ("other/full.go", None),
    ];
    for (path, text) in edits {
        files.retain(|(existing, _)| existing != path);
        let change = match text {
            Some(text) => {
                files.push((path.to_owned(), text.to_owned()));
                FileChange::write(path, text)
            }
            None => FileChange::remove(path),
        };
        host.apply(vec![change]);
        let mut fresh = Host::new(Arc::new(DirectExtraction));
        fresh.apply(files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_str())).collect());
        assert_eq!(render_calls(&host.snapshot()), render_calls(&fresh.snapshot()), "after editing {path}");
    }
    // The last state: no implementation but the interface, other.run, Base without go.
    let rendered = render_calls(&host.snapshot());
    assert!(rendered.contains("flags/value.go:12 v.Set -> flags/value.go:Value.Set\n"), "{rendered}");
    assert!(rendered.contains("main.py:8 pkg.run -> pkg/other.py:run"), "{rendered}");
    assert!(rendered.contains("main.py:6 self.go -> -"), "{rendered}");
}

/// The library face: a definition found by its identity, its uses (callers and
/// importers) and its callees, with a decoy of the same name elsewhere.
#[test]
fn the_library_answers_uses_callers_and_callees_by_identity() {
    use thread_flow::engine::{SymbolKey, UseKind};
    use thread_flow::extractors::DefinitionKind;

    let host = host_of(
        r#"
//- /lib/text.py
def clean(s):
    return strip(s)

def strip(s):
    return s
//- /lib/other.py
def clean(s):
    return s
//- /app.py
from lib.text import clean
from lib import other

def main(x):
    clean(x)
    other.clean(x)
    x.clean()
"#,
    );
    let snapshot = host.snapshot();
    let key = SymbolKey {
        path: "lib/text.py".into(),
        owner: None,
        name: "clean".into(),
        kind: DefinitionKind::Function,
        ordinal: 0,
    };
    let clean = snapshot.resolve_key(&key).expect("lib/text.py defines clean");
    let uses: Vec<(String, u32, bool)> = snapshot
        .uses_of(clean)
        .iter()
        .map(|usage| (snapshot.path(usage.file).to_owned(), usage.span.start.line + 1, usage.kind.is_call()))
        .collect();
    assert_eq!(uses, [("app.py".to_owned(), 1, false), ("app.py".to_owned(), 5, true)]);
    let caller = snapshot.uses_of(clean).into_iter().find_map(|usage| match usage.kind {
        UseKind::Call { caller } => caller,
        UseKind::Import => None,
    });
    let caller = caller.and_then(|index| snapshot.file_at("app.py")?.facts.definitions.get(index as usize));
    assert_eq!(caller.map(|definition| definition.name.as_str()), Some("main"));
    let callees: Vec<String> = snapshot
        .callees_of(clean)
        .into_iter()
        .filter_map(|(callee, _)| snapshot.symbol_key(callee))
        .map(|key| format!("{}:{}", key.path, key.name))
        .collect();
    assert_eq!(callees, ["lib/text.py:strip"]);
}

/// Symbol-level early cutoff: a file is bound again only when a name it read in another
/// file changes there. Definitions keep their identity while others come and go above
/// them, so the bindings of files that read other names stay valid untouched.
#[test]
fn only_readers_of_a_changed_name_are_bound_again() {
    let fixture = r#"
//- /lib.py
def parse(text):
    pass

def render(doc):
    pass
//- /reader.py
from lib import parse

parse("x")
//- /writer.py
from lib import render

render(1)
//- /lazy.py
import lib

lib.render(2)
"#;
    let mut files = parse(fixture);
    let mut host = host_of(fixture);
    let steps: [(&str, &[&str]); 7] = [
        // A new definition above the others: nobody read `helper`.
        ("def helper():\n    pass\n\ndef parse(text):\n    pass\n\ndef render(doc):\n    pass\n", &["lib.py"]),
        // `render` renamed: its two readers, not reader.py.
        (
            "def helper():\n    pass\n\ndef parse(text):\n    pass\n\ndef draw(doc):\n    pass\n",
            &["lazy.py", "lib.py", "writer.py"],
        ),
        // A body edit that calls something: the file alone.
        ("def helper():\n    return parse(1)\n\ndef parse(text):\n    pass\n\ndef draw(doc):\n    pass\n", &["lib.py"]),
        // A body edit with no call, no name: nothing binding reads changed.
        ("def helper():\n    return parse(2)\n\ndef parse(text):\n    pass\n\ndef draw(doc):\n    pass\n", &[]),
        // A line added above everything moves every span and nothing else.
        (
            "# moved\ndef helper():\n    return parse(2)\n\ndef parse(text):\n    pass\n\ndef draw(doc):\n    pass\n",
            &[],
        ),
        // A parameter no call mentions: lib.py's own binding does not read signatures.
        // The interface changed, and the two files that import the vanished `render`
        // read the whole interface for it.
        (
            "# moved\ndef helper():\n    return parse(2)\n\ndef parse(text):\n    pass\n\ndef draw(doc, unused):\n    pass\n",
            &["lazy.py", "writer.py"],
        ),
        // A parameter that shadows a called name: the call inside is unbound now.
        (
            "# moved\ndef helper(parse):\n    return parse(2)\n\ndef parse(text):\n    pass\n\ndef draw(doc, unused):\n    pass\n",
            &["lazy.py", "lib.py", "writer.py"],
        ),
    ];
    for (text, expected) in steps {
        files.retain(|(path, _)| path != "lib.py");
        files.push(("lib.py".to_owned(), text.to_owned()));
        let report = host.apply(vec![FileChange::write("lib.py", text)]);
        assert_eq!(report.rebound, expected, "after writing {text:?}");
        let mut fresh = Host::new(Arc::new(DirectExtraction));
        fresh.apply(files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_str())).collect());
        assert_eq!(render_calls(&host.snapshot()), render_calls(&fresh.snapshot()), "after writing {text:?}");
    }
    assert!(render_calls(&host.snapshot()).contains("reader.py:3 parse -> lib.py:parse"));
}

/// A definition's identity does not shift when a same-named definition nested in
/// another function goes away (found in review: ordinals counted across the file).
#[test]
fn identities_do_not_shift_when_a_nested_namesake_goes() {
    let fixture = "//- /a.py\ndef outer():\n    def f():\n        pass\n    f()\n\ndef f():\n    pass\n//- /b.py\nfrom a import f\n\nf()\n";
    let mut host = host_of(fixture);
    let edited = "def outer():\n    pass\n\ndef f():\n    pass\n";
    host.apply(vec![FileChange::write("a.py", edited)]);
    let fresh = host_of(&format!("//- /a.py\n{edited}//- /b.py\nfrom a import f\n\nf()\n"));
    let rendered = render_calls(&host.snapshot());
    assert_eq!(rendered, render_calls(&fresh.snapshot()));
    assert!(rendered.contains("b.py:3 f -> a.py:f"), "{rendered}");
    let snapshot = host.snapshot();
    let b = snapshot.file_at("b.py").expect("b.py");
    let target = b.bindings.call_targets(0).next().expect("bound");
    assert!(snapshot.definition(target).is_some(), "the binding names a live definition");
}

/// Every call of `path` as `line:callee -> [lines of the definitions it is bound to]`: the
/// definitions' lines tell apart same-named ones in one file.
fn calls_by_target_line(snapshot: &Snapshot, path: &str) -> Vec<String> {
    let file = snapshot.file_at(path).expect("the file is in the graph");
    let mut bound = Vec::new();
    for (index, call) in file.facts.calls.iter().enumerate() {
        let lines: Vec<u32> = file
            .bindings
            .call_targets(index as u32)
            .map(|target| snapshot.definition(target).expect("a live definition").name_span.start.line + 1)
            .collect();
        bound.push(format!("{}:{} -> {lines:?}", call.span.start.line + 1, call.callee));
    }
    bound
}

/// Rust items inside an inline module (`mod tests { fn helper() … }`) are in scope for the
/// module's own code, and shadow the file's items of the same name; the file's code never
/// sees them. Targets are told apart by the line they are defined on.
#[test]
fn rust_inline_module_items_are_in_scope_inside_the_module_only() {
    let host = host_of(
        r#"
//- /Cargo.toml
[package]
name = "demo"
version = "0.1.0"
//- /src/lib.rs
pub fn helper() {}
pub fn top() { helper(); }

mod tests {
    use super::*;
    fn helper() {}
    fn check() { helper(); top(); inner::deep(); }
    mod inner {
        pub fn deep() {}
    }
}
"#,
    );
    let bound = calls_by_target_line(&host.snapshot(), "src/lib.rs");
    assert_eq!(bound, ["2:helper -> [1]", "7:helper -> [6]", "7:top -> [2]", "7:inner::deep -> [9]"]);
}

/// A function declared inside another function's body is in scope in that body only; the
/// same name at module level is what the other functions call.
#[test]
fn rust_items_nested_in_a_function_body_shadow_the_modules() {
    let host = host_of(
        r#"
//- /Cargo.toml
[package]
name = "demo"
version = "0.1.0"
//- /src/lib.rs
mod tests {
    fn lit(c: char) -> char { c }
    #[test]
    fn plain() { assert_eq!(lit('a'), 'a'); }
    #[test]
    fn nested() {
        fn lit(span: u32, c: char) -> char { c }
        assert_eq!(lit(1, 'a'), 'a');
    }
}
"#,
    );
    let bound = calls_by_target_line(&host.snapshot(), "src/lib.rs");
    assert_eq!(bound, ["4:lit -> [2]", "8:lit -> [7]"]);
}

/// A module-level value read through another file's alias of it: retyping it re-binds
/// the file, although none of the file's own calls names it.
#[test]
fn retyping_a_value_another_file_aliases_binds_its_users_again() {
    let fixture = r#"
//- /a.py
from b import y

class Engine:
    def start(self):
        pass

class Turbo:
    def start(self):
        pass

def make():
    pass

engine: Engine = make()

def go():
    y.start()
//- /b.py
from a import engine as y
"#;
    let mut host = host_of(fixture);
    assert!(
        render_calls(&host.snapshot()).contains("a.py:17 y.start -> a.py:Engine.start"),
        "{}",
        render_calls(&host.snapshot())
    );
    let retyped = parse(fixture)
        .into_iter()
        .map(|(path, text)| (path, text.replace("engine: Engine", "engine: Turbo")))
        .collect::<Vec<_>>();
    host.apply(retyped.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_str())).collect());
    let fresh = host_of_files(&retyped);
    assert_eq!(render_calls(&host.snapshot()), render_calls(&fresh.snapshot()));
    assert!(render_calls(&host.snapshot()).contains("a.py:17 y.start -> a.py:Turbo.start"));
}

fn host_of_files(files: &[(String, String)]) -> Host {
    let mut host = Host::new(Arc::new(DirectExtraction));
    host.apply(files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_str())).collect());
    host
}
