//! The one table of supported languages: grammar, file extensions and query sources.
//!
//! Everything that differs between languages in *extraction* is a row here or a `.scm`
//! file under `queries/<family>/`. Module resolution, where the semantics genuinely
//! differ, lives in `resolve/`.

use std::path::Path;

use crate::edit_cache::point_at;
use crate::grammar_gaps;
use crate::macro_calls::MacroArguments;

/// A kind of file that is a node of the graph: a source language Thread understands, or
/// an asset that scripts import.
///
/// TypeScript, TSX, JavaScript, Vue and Svelte (and assets) share one query family and
/// one resolver; they differ in the grammar used to parse them and in which parts of the
/// file are parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// Go (`.go`).
    Go,
    /// JavaScript (`.js`, `.jsx`, `.mjs`, `.cjs`), parsed with the TSX grammar.
    JavaScript,
    /// Python (`.py`, `.pyi`).
    Python,
    /// Rust (`.rs`).
    Rust,
    /// TypeScript without JSX (`.ts`, `.mts`, `.cts`, `.d.ts`).
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
    /// A Vue single-file component (`.vue`): its `<script>` blocks, as TypeScript.
    Vue,
    /// A Svelte component (`.svelte`): its `<script>` blocks, as TypeScript.
    Svelte,
    /// A file that scripts import but that is not source: a stylesheet, JSON data, an
    /// image, a font, WebAssembly, HTML. It is a node of the graph, and is not parsed.
    Asset,
}

/// Languages that share queries and module resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// Go.
    Go,
    /// Python.
    Python,
    /// Rust.
    Rust,
    /// TypeScript and JavaScript.
    EcmaScript,
}

/// How a language decides whether a definition is visible to other files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExportRule {
    /// Exported when the query captured a visibility modifier (Rust `pub`).
    VisibilityModifier,
    /// Exported when the definition sits inside an `export` statement (TS/JS).
    ExportStatement,
    /// Exported when the name starts with an upper-case letter (Go).
    Capitalised,
    /// Exported when listed in `__all__`, or else when top-level and not `_private` (Python).
    DunderAllOrPublicName,
}

/// Ranges of a file found by a scan of its bytes, without parsing.
pub(crate) type RangesOf = fn(&[u8]) -> Vec<tree_sitter::Range>;

/// One row of the language table.
pub(crate) struct LangSpec {
    pub(crate) lang: Lang,
    /// The stable identity: stored in rows and flow values, and part of the memo key.
    /// Unique per grammar, unlike the display name.
    pub(crate) id: &'static str,
    /// The user-facing name; TypeScript and TSX share one.
    pub(crate) name: &'static str,
    pub(crate) family: Family,
    /// File name suffixes, longest first where they overlap (`.d.ts` before `.ts`).
    pub(crate) suffixes: &'static [&'static str],
    pub(crate) grammar: &'static Grammar,
    pub(crate) export_rule: ExportRule,
    /// Top-level node kinds that belong to the item after them, so that the queries see
    /// them together (`#[path = "x.rs"] mod x;`). See [`crate::pieces`].
    pub(crate) attached_to_next: &'static [&'static str],
    /// Where calls hide in macro arguments the grammar leaves unparsed (Rust).
    pub(crate) macro_arguments: Option<MacroArguments>,
    /// For a language embedded in another file format: the ranges of the file in this
    /// language (a component's `<script>` blocks). The rest of the file is not parsed.
    pub(crate) embedded: Option<RangesOf>,
    /// A length-preserving rewrite of syntax the grammar does not know yet (see
    /// [`crate::grammar_gaps`]), applied before parsing.
    pub(crate) grammar_gaps: Option<fn(&[u8]) -> Option<Vec<u8>>>,
    /// Where the import statements are, found without parsing (see
    /// [`crate::extract_imports`]). Only for a language whose module resolution reads a
    /// file's imports alone: Rust's reads inline modules and items too.
    pub(crate) import_statements: Option<RangesOf>,
    /// Which files the language's test runners take as tests.
    pub(crate) test_files: TestFiles,
}

/// How a language's own test tooling names test files: pytest's `test_*.py` and
/// `*_test.py`, Jest's and Vitest's `*.test.ts`, `*.spec.ts` and `__tests__/`, Go's
/// `*_test.go`, Cargo's `tests/` directory.
pub(crate) struct TestFiles {
    /// File name prefixes (`test_`).
    pub(crate) prefixes: &'static [&'static str],
    /// Endings of the file name before the language's suffix (`_test`, `.spec`).
    pub(crate) stem_endings: &'static [&'static str],
    /// Whole file names (`conftest.py`).
    pub(crate) names: &'static [&'static str],
    /// Directories whose files are all tests (`__tests__`).
    pub(crate) directories: &'static [&'static str],
}

const NO_TESTS: TestFiles = TestFiles { prefixes: &[], stem_endings: &[], names: &[], directories: &[] };
const SCRIPT_TESTS: TestFiles =
    TestFiles { prefixes: &[], stem_endings: &[".test", ".spec"], names: &[], directories: &["__tests__"] };

/// The query sources of one family, embedded at build time.
pub(crate) struct QuerySources {
    pub(crate) imports: &'static str,
    pub(crate) definitions: &'static str,
    pub(crate) calls: &'static str,
    pub(crate) locals: &'static str,
}

/// A tree-sitter grammar and the crate that ships it.
pub(crate) struct Grammar {
    pub(crate) language: fn() -> tree_sitter::Language,
    /// The crate and its version, so that a grammar upgrade invalidates cached facts. A
    /// test checks the version against `Cargo.lock`, finding it by the crate's name.
    #[cfg_attr(not(test), allow(dead_code, reason = "only the lock-file test reads the name"))]
    pub(crate) crate_name: &'static str,
    pub(crate) crate_version: &'static str,
}

const RUST: Grammar =
    Grammar { language: || tree_sitter_rust::LANGUAGE.into(), crate_name: "tree-sitter-rust", crate_version: "0.24.2" };
const PYTHON: Grammar = Grammar {
    language: || tree_sitter_python::LANGUAGE.into(),
    crate_name: "tree-sitter-python",
    crate_version: "0.25.0",
};
const TYPESCRIPT: Grammar = Grammar {
    language: || tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
    crate_name: "tree-sitter-typescript",
    crate_version: "0.23.2",
};
const TSX: Grammar = Grammar {
    language: || tree_sitter_typescript::LANGUAGE_TSX.into(),
    crate_name: "tree-sitter-typescript",
    crate_version: "0.23.2",
};
const GO: Grammar =
    Grammar { language: || tree_sitter_go::LANGUAGE.into(), crate_name: "tree-sitter-go", crate_version: "0.25.0" };

/// The language table, sorted by `Lang`. A test keeps it sorted and complete.
pub(crate) const LANGS: &[LangSpec] = &[
    LangSpec {
        lang: Lang::Go,
        id: "go",
        name: "go",
        family: Family::Go,
        suffixes: &[".go"],
        grammar: &GO,
        export_rule: ExportRule::Capitalised,
        attached_to_next: &[],
        macro_arguments: None,
        embedded: None,
        grammar_gaps: None,
        import_statements: None,
        test_files: TestFiles { prefixes: &[], stem_endings: &["_test"], names: &[], directories: &[] },
    },
    LangSpec {
        lang: Lang::JavaScript,
        id: "javascript",
        name: "javascript",
        family: Family::EcmaScript,
        suffixes: &[".js", ".jsx", ".mjs", ".cjs"],
        grammar: &TSX,
        export_rule: ExportRule::ExportStatement,
        attached_to_next: &[],
        macro_arguments: None,
        embedded: None,
        grammar_gaps: None,
        import_statements: None,
        test_files: SCRIPT_TESTS,
    },
    LangSpec {
        lang: Lang::Python,
        id: "python",
        name: "python",
        family: Family::Python,
        suffixes: &[".py", ".pyi"],
        grammar: &PYTHON,
        export_rule: ExportRule::DunderAllOrPublicName,
        attached_to_next: &[],
        macro_arguments: None,
        embedded: None,
        grammar_gaps: None,
        import_statements: Some(crate::import_scan::python_import_statements),
        test_files: TestFiles {
            prefixes: &["test_"],
            stem_endings: &["_test"],
            names: &["conftest.py"],
            directories: &[],
        },
    },
    LangSpec {
        lang: Lang::Rust,
        id: "rust",
        name: "rust",
        family: Family::Rust,
        suffixes: &[".rs"],
        grammar: &RUST,
        export_rule: ExportRule::VisibilityModifier,
        attached_to_next: &["attribute_item", "inner_attribute_item"],
        macro_arguments: Some(MacroArguments {
            invocation: "macro_invocation",
            tokens: "token_tree",
            // A module's body, not an `impl`'s or a trait's, whose items are members.
            item_parents: &[("source_file", None), ("declaration_list", Some("mod_item"))],
            segments: &["identifier", "self", "crate", "super"],
            keywords: &[
                "if", "while", "match", "return", "in", "for", "loop", "let", "as", "move", "ref", "mut", "else", "fn",
                "impl", "dyn", "where", "unsafe", "async", "await", "box",
            ],
            declares: &["fn", "struct", "enum", "union", "trait", "type", "mod", "const", "static"],
            attribute: &["#"],
        }),
        embedded: None,
        grammar_gaps: None,
        import_statements: None,
        test_files: TestFiles { prefixes: &[], stem_endings: &[], names: &[], directories: &["tests"] },
    },
    LangSpec {
        lang: Lang::TypeScript,
        id: "typescript",
        name: "typescript",
        family: Family::EcmaScript,
        suffixes: &[".d.ts", ".d.mts", ".d.cts", ".ts", ".mts", ".cts"],
        grammar: &TYPESCRIPT,
        export_rule: ExportRule::ExportStatement,
        attached_to_next: &[],
        macro_arguments: None,
        embedded: None,
        grammar_gaps: Some(grammar_gaps::rewrite_typescript),
        import_statements: None,
        test_files: SCRIPT_TESTS,
    },
    LangSpec {
        lang: Lang::Tsx,
        id: "tsx",
        name: "typescript",
        family: Family::EcmaScript,
        suffixes: &[".tsx"],
        grammar: &TSX,
        export_rule: ExportRule::ExportStatement,
        attached_to_next: &[],
        macro_arguments: None,
        embedded: None,
        grammar_gaps: Some(grammar_gaps::rewrite_typescript),
        import_statements: None,
        test_files: SCRIPT_TESTS,
    },
    LangSpec {
        lang: Lang::Vue,
        id: "vue",
        name: "vue",
        family: Family::EcmaScript,
        suffixes: &[".vue"],
        grammar: &TYPESCRIPT,
        export_rule: ExportRule::ExportStatement,
        attached_to_next: &[],
        macro_arguments: None,
        embedded: Some(script_blocks),
        grammar_gaps: Some(grammar_gaps::rewrite_typescript),
        import_statements: None,
        test_files: SCRIPT_TESTS,
    },
    LangSpec {
        lang: Lang::Svelte,
        id: "svelte",
        name: "svelte",
        family: Family::EcmaScript,
        suffixes: &[".svelte"],
        grammar: &TYPESCRIPT,
        export_rule: ExportRule::ExportStatement,
        attached_to_next: &[],
        macro_arguments: None,
        embedded: Some(script_blocks),
        grammar_gaps: Some(grammar_gaps::rewrite_typescript),
        import_statements: None,
        test_files: SCRIPT_TESTS,
    },
    LangSpec {
        lang: Lang::Asset,
        id: "asset",
        name: "asset",
        // Scripts import assets; the family only decides which resolver reads the
        // file's imports, and an asset has none.
        family: Family::EcmaScript,
        suffixes: &[
            ".css", ".scss", ".sass", ".less", ".json", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif",
            ".ico", ".woff", ".woff2", ".ttf", ".otf", ".wasm", ".html",
        ],
        grammar: &TYPESCRIPT,
        export_rule: ExportRule::ExportStatement,
        attached_to_next: &[],
        macro_arguments: None,
        embedded: Some(nothing_to_parse),
        grammar_gaps: None,
        import_statements: None,
        test_files: NO_TESTS,
    },
];

impl Family {
    pub(crate) fn queries(self) -> QuerySources {
        match self {
            Family::Rust => QuerySources {
                imports: include_str!("../queries/rust/imports.scm"),
                definitions: include_str!("../queries/rust/definitions.scm"),
                calls: include_str!("../queries/rust/calls.scm"),
                locals: include_str!("../queries/rust/locals.scm"),
            },
            Family::Python => QuerySources {
                imports: include_str!("../queries/python/imports.scm"),
                definitions: include_str!("../queries/python/definitions.scm"),
                calls: include_str!("../queries/python/calls.scm"),
                locals: include_str!("../queries/python/locals.scm"),
            },
            Family::EcmaScript => QuerySources {
                imports: include_str!("../queries/ecmascript/imports.scm"),
                definitions: include_str!("../queries/ecmascript/definitions.scm"),
                calls: include_str!("../queries/ecmascript/calls.scm"),
                locals: include_str!("../queries/ecmascript/locals.scm"),
            },
            Family::Go => QuerySources {
                imports: include_str!("../queries/go/imports.scm"),
                definitions: include_str!("../queries/go/definitions.scm"),
                calls: include_str!("../queries/go/calls.scm"),
                locals: include_str!("../queries/go/locals.scm"),
            },
        }
    }
}

impl Lang {
    /// Every language, in table order.
    pub const ALL: [Lang; 9] = [
        Lang::Go,
        Lang::JavaScript,
        Lang::Python,
        Lang::Rust,
        Lang::TypeScript,
        Lang::Tsx,
        Lang::Vue,
        Lang::Svelte,
        Lang::Asset,
    ];

    /// Whether [`crate::extract_imports`] finds this language's imports without a whole
    /// parse; elsewhere it extracts everything.
    pub fn reads_imports_alone(self) -> bool {
        self.spec().import_statements.is_some()
    }

    pub(crate) fn spec(self) -> &'static LangSpec {
        // The table is sorted by `Lang` and complete, which `table_is_sorted_and_complete` checks.
        &LANGS[self as usize]
    }

    /// The language's user-facing name: `rust`, `python`, `typescript` (TSX too),
    /// `javascript`, `go`, `vue`, `svelte` or `asset`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The stable identity of the language: its name, except `tsx` for TSX. Stored rows and
    /// flow values carry it; unlike [`Lang::name`], no two languages share it.
    pub fn id(self) -> &'static str {
        self.spec().id
    }

    /// The language with this [`Lang::id`].
    pub fn from_id(id: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.id() == id)
    }

    /// The text the grammar is given for `source`: `None` when it is `source` itself, else
    /// a copy with syntax the grammar does not know yet blanked (see [`crate::grammar_gaps`]).
    pub(crate) fn rewrite_for_grammar(self, source: &[u8]) -> Option<Vec<u8>> {
        self.spec().grammar_gaps.and_then(|rewrite| rewrite(source))
    }

    /// The version of the grammar crate that parses this language.
    pub fn grammar_version(self) -> &'static str {
        self.spec().grammar.crate_version
    }

    /// The family that shares this language's queries and module resolution.
    pub fn family(self) -> Family {
        self.spec().family
    }

    /// The tree-sitter grammar that parses this language (an asset is never parsed).
    pub fn grammar(self) -> tree_sitter::Language {
        (self.spec().grammar.language)()
    }

    /// True for a test file by the language's own conventions (`tests/x.rs`,
    /// `a_test.go`, `test_a.py`, `a.spec.ts`); `path` is workspace-relative.
    pub fn is_test_file(self, path: &str) -> bool {
        let tests = &self.spec().test_files;
        let (directories, file_name) = path.rsplit_once('/').unwrap_or(("", path));
        let stem = self
            .spec()
            .suffixes
            .iter()
            .find(|suffix| has_suffix(file_name, suffix))
            .map_or(file_name, |suffix| &file_name[..file_name.len() - suffix.len()]);
        tests.names.contains(&file_name)
            || tests.prefixes.iter().any(|prefix| stem.starts_with(prefix))
            || tests.stem_endings.iter().any(|ending| stem.len() > ending.len() && stem.ends_with(ending))
            || directories.split('/').any(|directory| tests.directories.contains(&directory))
    }

    /// The package an external import of this language names, for drawing one node per
    /// package: `numpy` for `numpy.linalg`, `@scope/name` for `@scope/name/sub`, `serde`
    /// for `serde::Deserialize`, `github.com/a/b` for `github.com/a/b/c`, `net/http` for
    /// the standard library's `net/http`.
    pub fn external_package(self, specifier: &str) -> String {
        let segments = |separator: &str, count: usize| -> String {
            specifier.split(separator).take(count).collect::<Vec<_>>().join(separator)
        };
        match self.family() {
            Family::Python => segments(".", 1),
            Family::Rust => segments("::", 1).trim_start_matches("::").to_owned(),
            Family::EcmaScript if specifier.starts_with('@') => segments("/", 2),
            Family::EcmaScript => segments("/", 1),
            // A module path starts with a domain; the standard library's do not.
            Family::Go if specifier.split('/').next().is_some_and(|first| first.contains('.')) => segments("/", 3),
            Family::Go => specifier.to_owned(),
        }
    }

    /// Detects the language from a path's file name, or `None` for files Thread does not analyse.
    pub fn from_path(path: &Path) -> Option<Lang> {
        let file_name = path.file_name()?.to_str()?;
        Lang::from_file_name(file_name)
    }

    /// Detects the language from a bare file name such as `index.d.ts`.
    pub fn from_file_name(file_name: &str) -> Option<Lang> {
        LANGS.iter().find(|spec| spec.suffixes.iter().any(|suffix| has_suffix(file_name, suffix))).map(|spec| spec.lang)
    }
}

/// An asset has no part in any language Thread parses.
fn nothing_to_parse(_: &[u8]) -> Vec<tree_sitter::Range> {
    Vec::new()
}

/// The contents of a component's `<script>` blocks (`<script>`, `<script setup lang="ts">`,
/// `<script context="module">`), where a Vue or Svelte file keeps its imports. HTML
/// comments are skipped, and a `>` inside a quoted attribute does not end the tag
/// (`generic="T extends Record<string, U>"`).
fn script_blocks(source: &[u8]) -> Vec<tree_sitter::Range> {
    let mut ranges = Vec::new();
    let mut from = 0;
    while let Some(open) = find(source, b"<script", from) {
        if let Some(comment) = find(source, b"<!--", from).filter(|comment| *comment < open) {
            let Some(comment_end) = find(source, b"-->", comment + 4) else { break };
            from = comment_end + 3;
            continue;
        }
        let after_name = open + b"<script".len();
        let Some(&next) = source.get(after_name) else { break };
        if !(next == b'>' || next.is_ascii_whitespace()) {
            from = after_name;
            continue;
        }
        let Some(tag_end) = tag_end(source, after_name) else { break };
        let start = tag_end + 1;
        let Some(end) = find(source, b"</script", start) else { break };
        if start < end {
            ranges.push(tree_sitter::Range {
                start_byte: start,
                end_byte: end,
                start_point: point_at(source, start),
                end_point: point_at(source, end),
            });
        }
        from = end;
    }
    ranges
}

/// The `>` that ends the tag whose attributes start at `from`, outside quoted values.
fn tag_end(source: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (offset, byte) in source.get(from..)?.iter().enumerate() {
        match (quote, *byte) {
            (None, b'"' | b'\'') => quote = Some(*byte),
            (Some(open), close) if open == close => quote = None,
            (None, b'>') => return Some(from + offset),
            _ => {}
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let rest = haystack.get(from..)?;
    rest.windows(needle.len()).position(|window| window == needle).map(|at| from + at)
}

/// True when `file_name` ends with `suffix` and has a non-empty stem before it.
fn has_suffix(file_name: &str, suffix: &str) -> bool {
    file_name.len() > suffix.len() && file_name.ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_packages_are_named_as_each_ecosystem_names_them() {
        assert_eq!(Lang::Python.external_package("numpy.linalg"), "numpy");
        assert_eq!(Lang::TypeScript.external_package("@scope/name/sub/path"), "@scope/name");
        assert_eq!(Lang::JavaScript.external_package("lodash/fp"), "lodash");
        assert_eq!(Lang::Tsx.external_package("node:fs"), "node:fs");
        assert_eq!(Lang::Rust.external_package("serde::de::Deserialize"), "serde");
        assert_eq!(Lang::Go.external_package("github.com/spf13/pflag/internal"), "github.com/spf13/pflag");
        assert_eq!(Lang::Go.external_package("net/http"), "net/http");
    }

    #[test]
    fn test_files_follow_each_languages_runner() {
        let tests = [
            (Lang::Python, "pkg/test_models.py"),
            (Lang::Python, "pkg/models_test.py"),
            (Lang::Python, "tests/conftest.py"),
            (Lang::Go, "net/http/server_test.go"),
            (Lang::Rust, "tests/agreement.rs"),
            (Lang::Rust, "crates/a/tests/support/mod.rs"),
            (Lang::TypeScript, "src/a.test.ts"),
            (Lang::Tsx, "src/Button.spec.tsx"),
            (Lang::JavaScript, "src/__tests__/a.js"),
        ];
        let decoys = [
            (Lang::Python, "pkg/testing.py"),
            (Lang::Python, "pkg/contest.py"),
            (Lang::Python, "tests/helpers.py"),
            (Lang::Go, "net/latest.go"),
            (Lang::Go, "_test.go"),
            (Lang::Rust, "src/tests.rs"),
            (Lang::Rust, "src/test_util.rs"),
            (Lang::TypeScript, "src/protest.ts"),
            (Lang::TypeScript, "src/a.d.ts"),
            (Lang::JavaScript, "src/tests/a.js"),
            (Lang::Asset, "src/__tests__/a.css"),
        ];
        for (lang, path) in tests {
            assert!(lang.is_test_file(path), "{path} is a test");
        }
        for (lang, path) in decoys {
            assert!(!lang.is_test_file(path), "{path} is no test");
        }
    }

    #[test]
    fn table_is_sorted_and_complete() {
        assert_eq!(LANGS.len(), Lang::ALL.len());
        for (index, spec) in LANGS.iter().enumerate() {
            assert_eq!(spec.lang as usize, index, "{:?} is out of place", spec.lang);
        }
    }

    #[test]
    fn identities_are_unique_and_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_id(lang.id()), Some(lang), "{lang:?}");
        }
    }

    #[test]
    fn grammar_versions_match_the_lock_file() {
        let lock = include_str!("../../Cargo.lock");
        for grammar in [&RUST, &PYTHON, &TYPESCRIPT, &TSX, &GO] {
            let (name, version) = (grammar.crate_name, grammar.crate_version);
            let entry = format!("name = \"{name}\"\nversion = \"{version}\"");
            assert!(lock.contains(&entry), "Cargo.lock has another version of {name} than {version}");
        }
    }

    #[test]
    fn detects_languages_by_suffix() {
        let cases = [
            ("main.rs", Some(Lang::Rust)),
            ("mod.py", Some(Lang::Python)),
            ("types.pyi", Some(Lang::Python)),
            ("index.d.ts", Some(Lang::TypeScript)),
            ("app.tsx", Some(Lang::Tsx)),
            ("app.mjs", Some(Lang::JavaScript)),
            ("main.go", Some(Lang::Go)),
            ("App.vue", Some(Lang::Vue)),
            ("Button.svelte", Some(Lang::Svelte)),
            ("app.css", Some(Lang::Asset)),
            ("data.json", Some(Lang::Asset)),
            ("README.md", None),
            (".rs", None),
            ("Cargo.toml", None),
        ];
        for (name, expected) in cases {
            assert_eq!(Lang::from_file_name(name), expected, "{name}");
        }
    }
}
