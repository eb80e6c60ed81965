//! Thread's library face: live cross-file dependency graphs for Rust, Python,
//! TypeScript/JavaScript and Go.
//!
//! This crate holds no logic. It re-exports the member crates:
//! - [`extractors`]: tree-sitter extraction of imports, definitions and calls, and
//!   module resolution from each project's own model;
//! - [`engine`]: workspace loading, the parallel index and the file-level graph.
//!
//! ```no_run
//! use std::path::Path;
//! use thread_flow::engine::{index_workspace, LoadOptions};
//!
//! let report = index_workspace(Path::new("."), &LoadOptions::default())?;
//! for edge in &report.graph.edges {
//!     println!("{} -> {} ({})", edge.from, edge.to, edge.kind.as_str());
//! }
//! # Ok::<(), thread_flow::engine::LoadError>(())
//! ```

pub use thread_engine as engine;
pub use thread_extractors as extractors;
