//! The facts extracted from one file: imports, definitions, calls and syntax errors.
//!
//! Facts are plain data. Positions are zero-based lines and UTF-8 byte columns, as
//! tree-sitter reports them; conversion to editor encodings happens at the LSP edge.
//!
//! The names and texts of definitions, calls and locals are [`SmolStr`]s: short ones are
//! stored inline and long ones shared, so copying a file's facts, as every keystroke in it
//! does, allocates nothing per name.

pub use smol_str::SmolStr;

/// A zero-based line and UTF-8 byte column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Zero-based line.
    pub line: u32,
    /// Zero-based byte offset within the line.
    pub column: u32,
}

/// A source range, with both positions and byte offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Where the range starts.
    pub start: Position,
    /// Where the range ends (exclusive).
    pub end: Position,
    /// Byte offset of `start` in the file.
    pub start_byte: u32,
    /// Byte offset of `end` in the file.
    pub end_byte: u32,
}

impl Span {
    pub(crate) fn of(node: &tree_sitter::Node<'_>) -> Span {
        let start = node.start_position();
        let end = node.end_position();
        Span {
            start: Position { line: saturate(start.row), column: saturate(start.column) },
            end: Position { line: saturate(end.row), column: saturate(end.column) },
            start_byte: saturate(node.start_byte()),
            end_byte: saturate(node.end_byte()),
        }
    }

    /// From the start of `first` to the end of `last`.
    pub(crate) fn between(first: &tree_sitter::Node<'_>, last: &tree_sitter::Node<'_>) -> Span {
        let (start, end) = (Span::of(first), Span::of(last));
        Span { start: start.start, end: end.end, start_byte: start.start_byte, end_byte: end.end_byte }
    }

    /// True when `other` lies within this span.
    pub fn contains(&self, other: &Span) -> bool {
        self.start_byte <= other.start_byte && other.end_byte <= self.end_byte
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// How an import relates its file to the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImportKind {
    /// An ordinary import: `import`, `use`, `require()`, `extern crate`, Go `import`.
    Import,
    /// A re-export: Rust `pub use`, TS/JS `export ... from`.
    Reexport,
    /// A Rust `mod name;` declaration, which makes another file part of this crate.
    Mod,
    /// A dynamic `import()` expression.
    Dynamic,
    /// A type-only import: TS `import type`.
    Type,
    /// A TS triple-slash directive: `/// <reference path="…" />` or `types="…"`.
    Reference,
    /// An import of an asset (`import "./app.css"`, `import data from "./data.json"`): the
    /// kind of the edge when resolution finds that the target is an asset file.
    Asset,
}

impl ImportKind {
    /// Every kind.
    pub const ALL: [ImportKind; 7] = [
        ImportKind::Import,
        ImportKind::Reexport,
        ImportKind::Mod,
        ImportKind::Dynamic,
        ImportKind::Type,
        ImportKind::Reference,
        ImportKind::Asset,
    ];

    /// The kind's name as it appears in the graph output.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Import => "import",
            ImportKind::Reexport => "reexport",
            ImportKind::Mod => "mod",
            ImportKind::Dynamic => "dynamic",
            ImportKind::Type => "type",
            ImportKind::Reference => "reference",
            ImportKind::Asset => "asset",
        }
    }

    /// Which kind wins when one statement matches several patterns: the most specific.
    pub(crate) fn priority(self) -> u8 {
        match self {
            ImportKind::Import => 0,
            ImportKind::Type => 1,
            ImportKind::Dynamic => 2,
            ImportKind::Reexport => 3,
            ImportKind::Mod => 4,
            ImportKind::Reference => 5,
            ImportKind::Asset => 6,
        }
    }

    /// The kind with this [`ImportKind::as_str`] name.
    pub fn from_name(name: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// A name brought in by an import: `b` in `from a import b as c`, `X` in `import { X } from`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImportedName {
    /// The name as the source module defines it.
    pub name: String,
    /// The local name, when renamed.
    pub alias: Option<String>,
    /// Where the name is written.
    pub span: Span,
}

/// One import statement's reference to one module.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Import {
    /// The module as written, without quotes: `crate::a::b`, `..pkg`, `./util`, `fmt`.
    pub specifier: String,
    /// The kind of import.
    pub kind: ImportKind,
    /// Names imported from the module; empty when the module itself is imported.
    pub names: Vec<ImportedName>,
    /// The local name of the module itself (`import x as y`, Go aliases, `* as ns`).
    pub alias: Option<String>,
    /// Everything the module exports is brought in (`*`, Go dot imports).
    pub wildcard: bool,
    /// Where the specifier is written.
    pub span: Span,
    /// Enclosing inline modules, outermost first (Rust `mod a { mod b; }`).
    pub scope: Vec<String>,
    /// An explicit file path for the module (Rust `#[path = "..."]`).
    pub path_attribute: Option<String>,
    /// File paths the module takes under some cfg (Rust `#[cfg_attr(unix, path = "...")]`),
    /// in source order. Thread sees every cfg, so the module has each of these files.
    pub cfg_path_attributes: Vec<CfgPath>,
    /// The predicates of the item's `#[cfg(...)]` attributes (Rust), whitespace removed:
    /// `linux_raw`, `all(feature="x",not(libc))`.
    pub cfg: Vec<String>,
}

/// A file path a Rust module takes under a cfg: `#[cfg_attr(predicate, path = "path")]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CfgPath {
    /// The predicate, whitespace removed: `libc`, `all(unix,not(target_os="wasi"))`.
    pub predicate: String,
    /// The path, as written.
    pub path: String,
}

/// What a definition defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DefinitionKind {
    /// A free function.
    Function,
    /// A function with an owner type or class.
    Method,
    /// A class.
    Class,
    /// A struct (Rust, Go struct types).
    Struct,
    /// An enum.
    Enum,
    /// A union.
    Union,
    /// A trait.
    Trait,
    /// An interface (TS, Go interface types).
    Interface,
    /// A type alias or other named type.
    TypeAlias,
    /// A constant or static.
    Constant,
    /// A mutable module-level variable.
    Variable,
    /// A module or namespace.
    Module,
    /// A macro.
    Macro,
}

impl DefinitionKind {
    /// Every kind.
    pub const ALL: [DefinitionKind; 13] = [
        DefinitionKind::Function,
        DefinitionKind::Method,
        DefinitionKind::Class,
        DefinitionKind::Struct,
        DefinitionKind::Enum,
        DefinitionKind::Union,
        DefinitionKind::Trait,
        DefinitionKind::Interface,
        DefinitionKind::TypeAlias,
        DefinitionKind::Constant,
        DefinitionKind::Variable,
        DefinitionKind::Module,
        DefinitionKind::Macro,
    ];

    /// The kind's name in output.
    pub fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::Function => "function",
            DefinitionKind::Method => "method",
            DefinitionKind::Class => "class",
            DefinitionKind::Struct => "struct",
            DefinitionKind::Enum => "enum",
            DefinitionKind::Union => "union",
            DefinitionKind::Trait => "trait",
            DefinitionKind::Interface => "interface",
            DefinitionKind::TypeAlias => "type",
            DefinitionKind::Constant => "constant",
            DefinitionKind::Variable => "variable",
            DefinitionKind::Module => "module",
            DefinitionKind::Macro => "macro",
        }
    }

    pub(crate) fn from_capture(name: &str) -> Option<DefinitionKind> {
        Some(match name {
            "function" => DefinitionKind::Function,
            "method" => DefinitionKind::Method,
            "class" => DefinitionKind::Class,
            "struct" => DefinitionKind::Struct,
            "enum" => DefinitionKind::Enum,
            "union" => DefinitionKind::Union,
            "trait" => DefinitionKind::Trait,
            "interface" => DefinitionKind::Interface,
            "type" => DefinitionKind::TypeAlias,
            "constant" => DefinitionKind::Constant,
            "variable" => DefinitionKind::Variable,
            "module" => DefinitionKind::Module,
            "macro" => DefinitionKind::Macro,
            _ => return None,
        })
    }

    /// Functions and methods: the kinds that can contain call sites.
    pub fn is_callable(self) -> bool {
        matches!(self, DefinitionKind::Function | DefinitionKind::Method)
    }
}

/// A named definition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Definition {
    /// The defined name.
    pub name: SmolStr,
    /// What it defines.
    pub kind: DefinitionKind,
    /// The owning type or class of a method.
    pub owner: Option<SmolStr>,
    /// Whether other files can use it.
    pub exported: bool,
    /// The declaration without its body, whitespace collapsed: `fn parse(input: &str) -> Ast`.
    pub signature: SmolStr,
    /// The whole definition.
    pub span: Span,
    /// The name within it.
    pub name_span: Span,
    /// The bases of a class or the types a struct embeds, as written: `Base`, `mod.Base`.
    pub bases: Vec<SmolStr>,
    /// The declared return type of a function, as written: `Foo`, `*Foo`, `Self`.
    pub returns: Option<SmolStr>,
    /// The file's default export (TS/JS `export default function f`).
    pub default_export: bool,
}

/// A call site.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Call {
    /// The callee as written, whitespace removed: `foo`, `obj.method`, `pkg.Func`, `Type::new`.
    pub callee: SmolStr,
    /// The last segment of the callee: the name being called.
    pub name: SmolStr,
    /// Index into the file's definitions of the innermost enclosing function or method.
    pub caller: Option<usize>,
    /// The callee expression's range.
    pub span: Span,
}

/// What a local name's declaration says about the type of its value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Evidence {
    /// A written type: `x: Foo`, `x *pkg.Foo`, `&Foo{}`, `Foo { .. }`.
    Annotation(SmolStr),
    /// The callee of the call whose value it holds: `Foo` in `x = Foo()`, `new Foo()`,
    /// `Foo::new` in `let x = Foo::new()`, `pkg.NewFoo` in `x := pkg.NewFoo()`.
    Construction(SmolStr),
}

/// A name bound inside the file other than by a definition: a parameter, a local
/// variable, a module-level assignment, or a member assigned through `self`/`this`.
///
/// Locals shadow outer names, and the ones with [`Evidence`] type their receivers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Local {
    /// The name: `x`, or `self.x` / `this.x` for a member.
    pub name: SmolStr,
    /// What the declaration says about its type, when it says anything.
    pub evidence: Option<Evidence>,
    /// Index into the file's definitions of the innermost definition around it; `None`
    /// at module level.
    pub scope: Option<usize>,
    /// Where the name is written.
    pub span: Span,
}

/// Whether a comparison of two definitions reads their signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signatures {
    /// Signatures must be equal too.
    Compared,
    /// Signatures may differ.
    Ignored,
}

// What another version of a file agrees on apart from positions: a line added above an
// item moves every span after it and changes nothing that names, scopes or types read.
// Each comparison names every field, so that a field added later must be placed.

impl ImportedName {
    /// Whether `other` is this name, wherever either is written.
    pub fn same_apart_from_positions(&self, other: &ImportedName) -> bool {
        let ImportedName { name, alias, span: _ } = self;
        (name, alias) == (&other.name, &other.alias)
    }
}

impl Import {
    /// Whether `other` is this import, wherever either is written.
    pub fn same_apart_from_positions(&self, other: &Import) -> bool {
        let Import {
            specifier,
            kind,
            names,
            alias,
            wildcard,
            span: _,
            scope,
            path_attribute,
            cfg_path_attributes,
            cfg,
        } = self;
        (specifier, kind, alias, wildcard, scope, path_attribute, cfg_path_attributes, cfg)
            == (
                &other.specifier,
                &other.kind,
                &other.alias,
                &other.wildcard,
                &other.scope,
                &other.path_attribute,
                &other.cfg_path_attributes,
                &other.cfg,
            )
            && all_same(names, &other.names, ImportedName::same_apart_from_positions)
    }
}

impl Definition {
    /// Whether `other` is this definition, wherever either is written, with or without
    /// its signature.
    pub fn same_apart_from_positions(&self, other: &Definition, signatures: Signatures) -> bool {
        let Definition {
            name,
            kind,
            owner,
            exported,
            signature,
            span: _,
            name_span: _,
            bases,
            returns,
            default_export,
        } = self;
        (name, kind, owner, exported, bases, returns, default_export)
            == (
                &other.name,
                &other.kind,
                &other.owner,
                &other.exported,
                &other.bases,
                &other.returns,
                &other.default_export,
            )
            && (signatures == Signatures::Ignored || *signature == other.signature)
    }
}

impl Call {
    /// Whether `other` is this call, wherever either is written.
    pub fn same_apart_from_positions(&self, other: &Call) -> bool {
        let Call { callee, name, caller, span: _ } = self;
        (callee, name, caller) == (&other.callee, &other.name, &other.caller)
    }
}

impl Local {
    /// Whether `other` is this local, wherever either is written.
    pub fn same_apart_from_positions(&self, other: &Local) -> bool {
        let Local { name, evidence, scope, span: _ } = self;
        (name, evidence, scope) == (&other.name, &other.evidence, &other.scope)
    }
}

/// Whether two lists agree item by item.
pub fn all_same<T>(a: &[T], b: &[T], same: impl Fn(&T, &T) -> bool) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

/// Everything extracted from one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileFacts {
    /// Imports, in source order.
    pub imports: Vec<Import>,
    /// Definitions, in source order.
    pub definitions: Vec<Definition>,
    /// Call sites, in source order.
    pub calls: Vec<Call>,
    /// Parameters, local variables and module-level assignments, in source order.
    pub locals: Vec<Local>,
    /// The package clause, for languages that have one (Go).
    pub package: Option<String>,
    /// Ranges tree-sitter could not parse. Broken code still yields facts.
    pub syntax_errors: Vec<Span>,
    /// Only the imports were read ([`crate::extract_imports`]): definitions, calls, locals
    /// and syntax errors are empty because nobody looked, not because there are none.
    pub imports_only: bool,
}

impl FileFacts {
    /// Whether `other` holds the same facts, wherever they are written. Syntax errors are
    /// nothing but positions.
    pub fn same_apart_from_positions(&self, other: &FileFacts) -> bool {
        let FileFacts { imports, definitions, calls, locals, package, syntax_errors: _, imports_only } = self;
        (package, imports_only) == (&other.package, &other.imports_only)
            && all_same(imports, &other.imports, Import::same_apart_from_positions)
            && all_same(definitions, &other.definitions, |a, b| a.same_apart_from_positions(b, Signatures::Compared))
            && all_same(calls, &other.calls, Call::same_apart_from_positions)
            && all_same(locals, &other.locals, Local::same_apart_from_positions)
    }
}
