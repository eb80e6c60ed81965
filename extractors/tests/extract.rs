//! Extraction of imports, definitions and call sites, one hand-written check per language.

use thread_extractors::{FileFacts, Lang, extract};

/// Facts as sorted-by-position lines: imports with kind, names and flags; definitions with
/// kind, owner, visibility and signature; calls with callee and enclosing definition.
fn render(facts: &FileFacts) -> String {
    let mut lines = Vec::new();
    for import in &facts.imports {
        let names: Vec<String> = import
            .names
            .iter()
            .map(|name| match &name.alias {
                Some(alias) => format!("{} as {alias}", name.name),
                None => name.name.clone(),
            })
            .collect();
        let mut line = format!(
            "import {} {}:{} {}",
            import.kind.as_str(),
            import.span.start.line + 1,
            import.span.start.column + 1,
            import.specifier
        );
        if !names.is_empty() {
            line += &format!(" {{{}}}", names.join(", "));
        }
        if let Some(alias) = &import.alias {
            line += &format!(" as {alias}");
        }
        if import.wildcard {
            line += " *";
        }
        if !import.scope.is_empty() {
            line += &format!(" in {}", import.scope.join("::"));
        }
        if let Some(path) = &import.path_attribute {
            line += &format!(" path={path}");
        }
        for cfg_path in &import.cfg_path_attributes {
            line += &format!(" cfg_path={}:{}", cfg_path.predicate, cfg_path.path);
        }
        for predicate in &import.cfg {
            line += &format!(" cfg={predicate}");
        }
        lines.push(line);
    }
    for definition in &facts.definitions {
        let owner = definition.owner.as_deref().map(|owner| format!("{owner}.")).unwrap_or_default();
        let visibility = if definition.exported { "pub" } else { "priv" };
        lines.push(format!(
            "def {} {visibility} {owner}{} `{}`",
            definition.kind.as_str(),
            definition.name,
            definition.signature
        ));
    }
    for call in &facts.calls {
        let caller = call.caller.map(|index| facts.definitions[index].name.as_str()).unwrap_or("<top>");
        lines.push(format!("call {} ({}) in {caller}", call.callee, call.name));
    }
    if let Some(package) = &facts.package {
        lines.push(format!("package {package}"));
    }
    lines.push(format!("syntax errors {}", facts.syntax_errors.len()));
    lines.join("\n")
}

#[track_caller]
fn check(lang: Lang, source: &str, expected: &str) {
    let facts = extract(lang, source.as_bytes()).expect("extraction");
    let actual = render(&facts);
    let expected: Vec<&str> = expected.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    let expected = expected.join("\n");
    assert_eq!(actual, expected, "\n--- actual ---\n{actual}\n--- expected ---\n{expected}\n");
}

#[test]
fn rust() {
    check(
        Lang::Rust,
        r#"use std::collections::{HashMap, hash_map::{self, Entry as E}};
pub use crate::a::b::*;
use super::x as y;
extern crate foo as bar;
mod plain;
#[path = "other/file.rs"]
pub mod pathed;
mod inline { mod nested; use self::nested::Thing; }
pub struct S { a: u32 }
impl S { pub fn new() -> Self { helper(); Self::other(); S { a: 1 } } fn other() {} }
impl Default for S { fn default() -> Self { S::new() } }
pub trait T { fn req(&self); fn def(&self) { self.req() } }
pub const X: u32 = 5;
fn helper() { let v = Vec::<u8>::new(); foo::<u8>(); v.len(); }
"#,
        r#"
        import import 1:24 std::collections::HashMap
        import import 1:44 std::collections::hash_map
        import import 1:50 std::collections::hash_map::Entry as E
        import reexport 2:9 crate::a::b *
        import import 3:5 super::x as y
        import import 4:14 foo as bar
        import mod 5:5 plain
        import mod 7:9 pathed path=other/file.rs
        import mod 8:18 nested in inline
        import import 8:30 self::nested::Thing in inline
        def module priv plain `mod plain`
        def module pub pathed `pub mod pathed`
        def module priv inline `mod inline`
        def module priv nested `mod nested`
        def struct pub S `pub struct S { a: u32 }`
        def method pub S.new `pub fn new() -> Self`
        def method priv S.other `fn other()`
        def method pub S.default `fn default() -> Self`
        def trait pub T `pub trait T`
        def method pub T.req `fn req(&self)`
        def method pub T.def `fn def(&self)`
        def constant pub X `pub const X: u32`
        def function priv helper `fn helper()`
        call helper (helper) in new
        call Self::other (other) in new
        call S::new (new) in default
        call self.req (req) in def
        call Vec::<u8>::new (new) in helper
        call foo (foo) in helper
        call v.len (len) in helper
        syntax errors 0
        "#,
    );
}

#[test]
fn python() {
    check(
        Lang::Python,
        r#"import os, a.b.c as abc
from . import sibling
from ..pkg.mod import (thing as t, other)
from x import *
if TYPE_CHECKING:
    from .types import T
__all__ = ["Public", "helper"]
X: int = 3
def helper(a, b=2) -> int:
    import json
    return json.dumps(a)
class Public(Base):
    def method(self):
        self.other()
    @property
    def prop(self): return 1
    def _hidden(self): pass
    def __init__(self): super().__init__()
def unlisted(): pass
"#,
        r#"
        import import 1:8 os
        import import 1:12 a.b.c as abc
        import import 2:6 . {sibling}
        import import 3:6 ..pkg.mod {thing as t, other}
        import import 4:6 x *
        import import 6:10 .types {T}
        import import 10:12 json
        def constant priv __all__ `__all__`
        def constant priv X `X: int`
        def function pub helper `def helper(a, b=2) -> int`
        def class pub Public `class Public(Base)`
        def method pub Public.method `def method(self)`
        def method pub Public.prop `def prop(self)`
        def method priv Public._hidden `def _hidden(self)`
        def method pub Public.__init__ `def __init__(self)`
        def function priv unlisted `def unlisted()`
        call json.dumps (dumps) in helper
        call self.other (other) in method
        call super (super) in __init__
        call super().__init__ (__init__) in __init__
        syntax errors 0
        "#,
    );
}

#[test]
fn typescript() {
    check(
        Lang::TypeScript,
        r#"import def, { a as b, c } from './mod';
import * as ns from "../ns";
import type { T } from './types';
import x = require('legacy');
export * from './all';
export * as star from './star';
export { y as z } from './re';
const lazy = () => import('./lazy');
export default function main(p: string): number { return helper(p) + new Widget().run(); }
export class Widget { run(): number { return this.go(); } }
export interface I { x: number }
export type Alias = string | number;
export const K = 1;
let mutable = 2;
function helper(s) { return s.length; }
"#,
        r#"
        import import 1:33 ./mod {default as def, a as b, c}
        import import 2:22 ../ns as ns
        import type 3:25 ./types {T}
        import import 4:21 legacy as x
        import reexport 5:16 ./all *
        import reexport 6:24 ./star as star
        import reexport 7:25 ./re {y as z}
        import dynamic 8:28 ./lazy
        def function priv lazy `lazy = ()`
        def function pub main `function main(p: string): number`
        def class pub Widget `class Widget`
        def method pub Widget.run `run(): number`
        def interface pub I `interface I { x: number }`
        def type pub Alias `type Alias = string | number`
        def constant pub K `K`
        def variable priv mutable `mutable`
        def function priv helper `function helper(s)`
        call helper (helper) in main
        call new Widget().run (run) in main
        call Widget (Widget) in main
        call this.go (go) in run
        syntax errors 0
        "#,
    );
}

#[test]
fn go() {
    check(
        Lang::Go,
        r#"package main

import "fmt"
import (
	alias "example.com/proj/other"
	. "strings"
	_ "embed"
)

type Server struct{ name string }
type Handler interface{ Serve() }
const Max = 10
func (s *Server) Start() error { fmt.Println(s.name); return s.stop() }
func (s Server) stop() error { return nil }
func main() { alias.Run[int](); ToUpper("x") }
"#,
        r#"
        import import 3:8 fmt
        import import 5:8 example.com/proj/other as alias
        import import 6:4 strings *
        import import 7:4 embed
        def struct pub Server `Server struct{ name string }`
        def interface pub Handler `Handler interface{ Serve() }`
        def method pub Handler.Serve `Serve()`
        def constant pub Max `Max`
        def method pub Server.Start `func (s *Server) Start() error`
        def method priv Server.stop `func (s Server) stop() error`
        def function priv main `func main()`
        call fmt.Println (Println) in Start
        call s.stop (stop) in Start
        call alias.Run (Run) in main
        call ToUpper (ToUpper) in main
        package main
        syntax errors 0
        "#,
    );
}

#[test]
fn broken_code_still_yields_facts() {
    let facts = extract(Lang::Python, b"import os\ndef broken(:\n    pass\ndef fine():\n    os.getcwd()\n")
        .expect("extraction");
    assert!(!facts.syntax_errors.is_empty());
    assert_eq!(facts.imports[0].specifier, "os");
    assert!(facts.definitions.iter().any(|definition| definition.name == "fine"), "{:?}", facts.definitions);
}

#[test]
fn every_language_extracts_nothing_from_an_empty_file() {
    for lang in Lang::ALL {
        assert_eq!(extract(lang, b"").expect("extraction"), FileFacts::default(), "{lang:?}");
    }
}

/// Calls written inside macro arguments, which tree-sitter leaves as tokens, are calls;
/// a macro's own name, keywords, and methods on expressions are not.
#[test]
fn rust_calls_inside_macro_arguments_are_extracted() {
    let source = br#"
fn t() {
    assert_eq!(helper(x).parse(), Ok(Ast::empty(span(0..0))));
    vec![a.b.len(), self.len(), Self::new(), crate::m::f(1), foo::<T>(2), x?.g(), inner!(y), if (z) {}, !negated(w)];
}
macro_rules! m { ($x:expr) => { hidden($x) }; }
cfg_if! { if #[cfg(unix)] { fn imp(a: u8) { inner_call(a) } struct Tuple(u8); } }
"#;
    let facts = thread_extractors::extract(thread_extractors::Lang::Rust, source).unwrap();
    let mut callees: Vec<&str> = facts.calls.iter().map(|call| call.callee.as_str()).collect();
    callees.sort_unstable();
    assert_eq!(
        callees,
        [
            "Ast::empty",
            "Ok",
            "Self::new",
            "a.b.len",
            "crate::m::f",
            "foo",
            "helper",
            "inner_call",
            "negated",
            "self.len",
            "span"
        ],
    );
    let helper = facts.calls.iter().find(|call| call.callee == "helper").unwrap();
    assert_eq!((helper.span.start.line, helper.span.start.column, helper.name.as_str()), (2, 15, "helper"));
    assert_eq!(helper.caller, Some(0), "the call belongs to `t`");
}

/// Items inside an item-level pass-through macro are items, at their own positions;
/// nested macros too. A macro definition's body, and arguments that do not parse as
/// items, are not.
#[test]
fn rust_items_inside_item_level_macros() {
    check(
        Lang::Rust,
        r#"cfg_fs! {
    pub mod fs;
    use crate::io::Read;
    cfg_net! { pub(crate) mod net; pub fn bind() { listen(); } }
}
mod inline { cfg_rt! { mod runtime; } }
macro_rules! cfg_fs { ($($item:item)*) => { mod hidden; $($item)* } }
bitflags! { pub struct Flags: u32 { const A = 1; } }
fn body() { cfg_x! { mod in_block; } }
trait Len { cfg_x! { fn len(&self) -> usize; } }
"#,
        r#"
        import mod 2:13 fs
        import import 3:9 crate::io::Read
        import mod 4:31 net
        import mod 6:28 runtime in inline
        def module pub fs `pub mod fs`
        def module pub net `pub(crate) mod net`
        def function pub bind `pub fn bind()`
        def module priv inline `mod inline`
        def module priv runtime `mod runtime`
        def macro priv cfg_fs `macro_rules! cfg_fs { ($($item:item)*) => { mod hidden; $($item)* } }`
        def function priv body `fn body()`
        def trait priv Len `trait Len`
        call listen (listen) in bind
        syntax errors 0
        "#,
    );
}

/// `#[path]` reaches its `mod` item through other attributes and comments; each
/// `cfg_attr` path is one of the module's files.
#[test]
fn rust_path_attributes() {
    check(
        Lang::Rust,
        r#"#[path = "../tests/server.rs"]
#[allow(dead_code)]
// A comment between.
mod server;
#[cfg_attr(libc, path = "backend/libc/mod.rs")]
#[cfg_attr(linux_raw, path = "backend/linux_raw/mod.rs")]
mod backend;
#[cfg_attr(test, derive(Debug))]
#[cfg(all(feature = "x", not(libc)))]
mod plain;
"#,
        r#"
        import mod 4:5 server path=../tests/server.rs
        import mod 7:5 backend cfg_path=libc:backend/libc/mod.rs cfg_path=linux_raw:backend/linux_raw/mod.rs
        import mod 10:5 plain cfg=all(feature="x",not(libc))
        def module priv server `mod server`
        def module priv backend `mod backend`
        def module priv plain `mod plain`
        syntax errors 0
        "#,
    );
}

/// A Vue component's `<script>` and `<script setup>` blocks are TypeScript, at their
/// positions in the file; the template, which mentions an import, and the style are not.
#[test]
fn vue_and_svelte_script_blocks() {
    check(
        Lang::Vue,
        r#"<template>
  <p>import fake from './template-decoy'</p>
  <!-- <script>import commented from './comment-decoy'</script> -->
</template>
<script setup lang="ts" generic="T extends Record<string, U>">
import Child from './Child.vue'
const count = helper()
</script>
<script lang="ts">
export function util(): number { return 1 }
</script>
<style>.a { color: red }</style>
"#,
        r#"
        import import 6:20 ./Child.vue {default as Child}
        def constant priv count `count`
        def function pub util `function util(): number`
        call helper (helper) in <top>
        syntax errors 0
        "#,
    );
    check(
        Lang::Svelte,
        r#"<script context="module">
  export function preload() {}
</script>
<script>
  import Button from './Button.svelte';
</script>
<Button on:click={() => preload()} />
"#,
        r#"
        import import 5:23 ./Button.svelte {default as Button}
        def function pub preload `function preload()`
        syntax errors 0
        "#,
    );
    check(Lang::Vue, "<template><p>no script</p></template>\n", "syntax errors 0");
}

/// TypeScript that tree-sitter-typescript 0.23.2 does not know (`export type *`, variance
/// annotations, type arguments after an import type) costs no syntax error and no fact.
#[test]
fn typescript_newer_than_the_grammar() {
    check(
        Lang::TypeScript,
        r#"export type * from './types';
export interface Box<in out T extends object, out U> { value: T }
export interface Api { go: () => import('./nav.js').Result<string> }
export function after(): void {}
"#,
        r#"
        import reexport 1:21 ./types *
        import dynamic 3:42 ./nav.js
        def interface pub Box `interface Box< T extends object, U> { value: T }`
        def interface pub Api `interface Api { go: () => import('./nav.js').Result }`
        def function pub after `function after(): void`
        syntax errors 0
        "#,
    );
}

/// An overloaded function's type, its generic call signatures each on a line of their
/// own (as in effect's sources): the grammar reads such a line as a comparison continuing
/// the type before, and its error recovery lost what followed. The `;` the rewrite gives
/// the signature shows in its text.
#[test]
fn typescript_generic_call_signatures_on_their_own_lines() {
    check(
        Lang::TypeScript,
        r#"import { dual } from './function';
export const map: {
  <A, B>(f: (a: A) => B): (self: Array<A>) => Array<B>
  /** Data first. */
  <A, B>(self: Array<A>, f: (a: A) => B): Array<B>
} = dual(2, (self, f) => self.map(f));
export function after(): number { return 1; }
"#,
        r#"
        import import 1:23 ./function {dual}
        def constant pub map `map: { <A, B>(f: (a: A) => B): (self: Array<A>) => Array<B> /** Data first. */ ;<A, B>(self: Array<A>, f: (a: A) => B): Array<B> }`
        def function pub after `function after(): number`
        call dual (dual) in <top>
        call self.map (map) in <top>
        syntax errors 0
        "#,
    );
}

/// A `.tsx` file is parsed with the TSX grammar: definitions after JSX are all there.
/// Parsed as TypeScript (the bug this guards), the first JSX element is a syntax error.
#[test]
fn tsx_definitions_after_jsx() {
    check(
        Lang::Tsx,
        r#"import { helper } from './helper';
export function App() { return <div className="app">{helper()}</div>; }
export const Row = (props: { label: string }) => <span>{props.label}</span>;
export function after(): number { return 1; }
"#,
        r#"
        import import 1:25 ./helper {helper}
        def function pub App `function App()`
        def function pub Row `Row = (props: { label: string })`
        def function pub after `function after(): number`
        call helper (helper) in App
        syntax errors 0
        "#,
    );
}

/// Module-level bindings are definitions; bindings of the same names inside functions are
/// not, nor is an `__all__` inside a function an export list. The patterns for them hold
/// at top-level nodes only (`(#set! top-level)`), and the extractor runs them everywhere.
#[test]
fn module_level_bindings_only_at_the_top_level() {
    check(
        Lang::Python,
        r#"LIMIT = 1
__all__ = ["run"]
def run():
    LIMIT = 2
    __all__ = ["LIMIT"]
"#,
        r#"
        def constant priv LIMIT `LIMIT`
        def constant priv __all__ `__all__`
        def function pub run `def run()`
        syntax errors 0
        "#,
    );
    check(
        Lang::TypeScript,
        r#"const LIMIT = 1;
const handlers = { on() { const LIMIT = 2; let count = 0; var total = 0; const inner = () => 1; } };
function run() { const LIMIT = 3; let count = 0; const nested = () => 2; }
"#,
        r#"
        def constant priv LIMIT `LIMIT`
        def constant priv handlers `handlers`
        def method priv handlers.on `on()`
        def function priv run `function run()`
        syntax errors 0
        "#,
    );
    check(
        Lang::Go,
        r#"package p

const Limit = 1
var count = 0

func Run() {
	const Limit = 2
	var count = 3
	_ = count
}
"#,
        r#"
        def constant pub Limit `Limit`
        def variable priv count `count`
        def function pub Run `func Run()`
        package p
        syntax errors 0
        "#,
    );
}
