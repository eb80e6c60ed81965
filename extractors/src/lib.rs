//! Extraction of imports, definitions and call sites from Rust, Python, TypeScript/JavaScript
//! and Go with tree-sitter, and module resolution from each project's own model.
//!
//! This crate does no IO: it takes file paths and contents in and produces facts out.
//! Per-language knowledge lives in the [`Lang`] table, in the query files under
//! `queries/<family>/` and, for module resolution, in [`resolve`].
//!
//! ```
//! use thread_extractors::{extract, Lang};
//!
//! let facts = extract(Lang::Python, b"from .models import User\n\ndef load():\n    return User()\n").unwrap();
//! assert_eq!(facts.imports[0].specifier, ".models");
//! assert_eq!(facts.definitions[0].name, "load");
//! assert_eq!(facts.calls[0].callee, "User");
//! ```

pub mod codec;
mod edit_cache;
mod extract;
mod facts;
mod grammar_gaps;
mod import_scan;
mod lang;
mod macro_calls;
mod pieces;
mod queries;
mod text;
mod use_tree;

pub mod resolve;

pub use edit_cache::EditCache;
pub use extract::{extract, extract_imports};
pub use facts::{
    Call, CfgPath, Definition, DefinitionKind, Evidence, FileFacts, Import, ImportKind, ImportedName, Local, Position,
    Signatures, SmolStr, Span, all_same,
};
pub use lang::{Family, Lang};

/// Bumped whenever extraction changes in a way the query sources do not show (the Rust code
/// around the queries, such as the grammar-gap rewrites). Cached facts are keyed by it,
/// together with the query sources.
pub const EXTRACTOR_REVISION: u32 = 6;

/// The query sources that define what `lang` extracts: imports, definitions and calls.
pub fn query_sources(lang: Lang) -> [&'static str; 3] {
    let sources = lang.family().queries();
    [sources.imports, sources.definitions, sources.calls]
}

/// A fault in Thread itself while extracting. Broken user code is never an error.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ExtractError {
    /// An embedded query does not compile against its grammar.
    #[error("the {lang} query {file} does not compile: {message}")]
    Query {
        /// The language's name.
        lang: &'static str,
        /// The query file.
        file: &'static str,
        /// tree-sitter's message.
        message: String,
    },
    /// The grammar could not be loaded into a parser (an ABI mismatch).
    #[error("the {lang} grammar cannot be loaded: {message}")]
    Grammar {
        /// The language's name.
        lang: &'static str,
        /// tree-sitter's message.
        message: String,
    },
    /// The parser returned no tree.
    #[error("the {lang} parser returned no tree")]
    Parse {
        /// The language's name.
        lang: &'static str,
    },
}
