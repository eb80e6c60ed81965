//! Per-language dependency extraction from one file, without a workspace.
//!
//! One file alone cannot say which file an import names (that takes the project model:
//! see [`thread_engine::host::Host`]), so a [`DependencyEdge`] carries the import as
//! written. The four extractor types are one table-driven extractor seen through a fixed
//! language family.

use std::path::{Path, PathBuf};

use thread_extractors::{Family, ImportKind, Lang, extract};

/// An import of one file, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DependencyEdge {
    /// The importing file.
    pub from: PathBuf,
    /// The module as written: `crate::a::b`, `..pkg`, `./util`, `fmt`.
    pub specifier: String,
    /// How it is imported.
    pub kind: ImportKind,
    /// Names taken from it; empty when the module itself is imported.
    pub symbols: Vec<String>,
    /// Zero-based line of the specifier.
    pub line: u32,
}

/// Detects a file's language from its name.
#[derive(Clone, Copy, Debug, Default)]
pub struct LanguageDetector;

impl LanguageDetector {
    /// The language of `path`, from its extension.
    pub fn detect_from_path(path: &Path) -> Option<Lang> {
        Lang::from_path(path)
    }
}

fn edges(family: Family, path: &Path, source: &str) -> Vec<DependencyEdge> {
    // A file of another family, or of no known language, is read as this family's main
    // language: the caller chose the extractor.
    let lang = Lang::from_path(path).filter(|lang| lang.family() == family).unwrap_or(match family {
        Family::Go => Lang::Go,
        Family::Python => Lang::Python,
        Family::Rust => Lang::Rust,
        Family::EcmaScript => Lang::TypeScript,
    });
    match extract(lang, source.as_bytes()) {
        Ok(facts) => facts
            .imports
            .into_iter()
            .map(|import| DependencyEdge {
                from: path.to_owned(),
                specifier: import.specifier,
                kind: import.kind,
                symbols: import.names.into_iter().map(|name| name.name).collect(),
                line: import.span.start.line,
            })
            .collect(),
        Err(error) => {
            // Only a fault of Thread's own (a query that does not compile) gets here.
            tracing::error!("extraction of {} failed: {error}", path.display());
            Vec::new()
        }
    }
}

macro_rules! family_extractor {
    ($(#[$doc:meta])* $name:ident, $family:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name;

        impl $name {
            /// The extractor.
            pub fn new() -> $name {
                $name
            }

            /// The imports of `source`, the text of `path`.
            pub fn extract(&self, path: &Path, source: &str) -> Vec<DependencyEdge> {
                edges($family, path, source)
            }
        }
    };
}

family_extractor!(
    /// Rust: `use`, `mod`, `extern crate`, `pub use`.
    RustDependencyExtractor,
    Family::Rust
);
family_extractor!(
    /// Python: `import`, `from ... import`, at any depth.
    PythonDependencyExtractor,
    Family::Python
);
family_extractor!(
    /// TypeScript and JavaScript: ES imports and re-exports, `require`, `import()`.
    TypeScriptDependencyExtractor,
    Family::EcmaScript
);
family_extractor!(
    /// Go: import declarations.
    GoDependencyExtractor,
    Family::Go
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_extractor_reads_its_language() {
        let rust = RustDependencyExtractor::new().extract(Path::new("src/lib.rs"), "use crate::a::B;\nmod c;\n");
        assert_eq!(rust.iter().map(|edge| edge.specifier.as_str()).collect::<Vec<_>>(), ["crate::a::B", "c"]);
        let python = PythonDependencyExtractor::new().extract(Path::new("m.py"), "from .x import y\n");
        assert_eq!(python[0].symbols, ["y"]);
        let typescript =
            TypeScriptDependencyExtractor::new().extract(Path::new("a.tsx"), "import type { T } from './t';\n");
        assert_eq!((typescript[0].kind, typescript[0].line), (ImportKind::Type, 0));
        let go = GoDependencyExtractor::new().extract(Path::new("a.go"), "package a\nimport \"fmt\"\n");
        assert_eq!(go[0].specifier, "fmt");
        assert_eq!(LanguageDetector::detect_from_path(Path::new("x/y.go")), Some(Lang::Go));
    }
}
