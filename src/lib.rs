//! Thread's library face: live cross-file dependency graphs for Rust, Python,
//! TypeScript/JavaScript and Go.
//!
//! This crate holds no analysis logic. It re-exports the member crates:
//! - [`extractors`]: tree-sitter extraction of imports, definitions and calls, and
//!   module resolution from each project's own model;
//! - [`engine`]: workspace loading, the incremental host, snapshots and the index;
//! - [`storage`]: the stores the graph is kept in between runs;
//!
//! and offers [`incremental`], the API of the published thread-flow 0.1, as a thin
//! adapter over them.
//!
//! The stores and [`incremental`] are async and run on tokio: call them inside a tokio
//! runtime (under another executor they panic with "there is no reactor running").
//! [`engine`] and [`extractors`] are synchronous.
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

pub mod incremental;

// Inlined, so that `cargo doc -p thread-flow` documents the member crates here.
#[doc(inline)]
pub use thread_engine as engine;
#[doc(inline)]
pub use thread_extractors as extractors;
#[doc(inline)]
pub use thread_storage as storage;
