//! Thread's graph engine: loads a workspace, runs the extractors over every file in
//! parallel, resolves imports and builds the file-level dependency graph.
//!
//! All filesystem access is in [`loader`]; everything else works on data in memory.

pub mod graph;
pub mod index;
pub mod loader;
pub mod scc;
pub mod synthetic;

pub use graph::{AnalyzedFile, Edge, FileGraph, FileNode, UnresolvedImport};
pub use index::{IndexReport, index_sources, index_workspace};
pub use loader::{LoadError, LoadOptions, SkipReason, Skipped};
