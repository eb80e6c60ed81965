//! Thread's graph engine: loads a workspace, runs the extractors over every file in
//! parallel, resolves imports and builds the file-level dependency graph.
//!
//! All filesystem access is in [`loader`]; everything else works on data in memory.

pub mod affected;
mod bind;
pub mod fingerprint;
pub mod flow;
pub mod graph;
pub mod host;
pub mod ids;
pub mod index;
pub mod interface;
pub mod loader;
pub mod memo;
mod readers;
pub mod rules;
pub mod scc;
pub mod snapshot;
pub mod store;
pub mod symbols;
pub mod synthetic;
pub mod uses;

pub use fingerprint::Fingerprint;
pub use flow::{DirectExtraction, FactsFlow, FlowError, Reading, RecocoFlow};
pub use graph::{AnalyzedFile, Edge, FileGraph, FileNode, UnresolvedImport};
pub use host::{ChangeReport, Content, FileChange, Host};
pub use ids::FileId;
pub use index::{IndexProgress, IndexReport, index_into, index_into_observed, index_sources, index_workspace};
pub use loader::{Admission, LoadError, LoadOptions, SkipReason, Skipped, admit, is_ignore_file};
pub use memo::CacheStats;
pub use snapshot::{FileEntry, FileStat, Snapshot};
pub use symbols::{Bindings, DefRef, SymbolKey};
pub use uses::{Use, UseKind};
