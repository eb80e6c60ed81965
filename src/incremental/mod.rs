//! The incremental library face, compatible with the published thread-flow 0.1 API.
//!
//! A thin adapter over [`thread_engine::host::Host`] and a [`StorageBackend`]: it reads
//! the files it is given, applies them to the host, and writes the resulting change set
//! to the backend. All the logic lives in the engine.
//!
//! ```
//! use std::path::PathBuf;
//! use thread_flow::incremental::{create_backend, BackendConfig, BackendType, IncrementalAnalyzer};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("a.py"), "def f():\n    return 1\n")?;
//! std::fs::write(dir.path().join("b.py"), "from a import f\n")?;
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! runtime.block_on(async {
//!     let backend = create_backend(BackendType::InMemory, BackendConfig::InMemory).await?;
//!     let mut analyzer = IncrementalAnalyzer::with_root(dir.path(), backend);
//!     let paths = [PathBuf::from("a.py"), PathBuf::from("b.py")];
//!     let first = analyzer.analyze_changes(&paths).await?;
//!     assert_eq!(first.changed_files.len(), 2);
//!
//!     // A body-only edit of a.py: one file changed, no dependent affected.
//!     std::fs::write(dir.path().join("a.py"), "def f():\n    return 2\n")?;
//!     let edit = analyzer.analyze_changes(&paths[..1]).await?;
//!     assert_eq!(edit.changed_files, [PathBuf::from("a.py")]);
//!     assert!(edit.affected_files.is_empty());
//!
//!     // Everything that depends on a.py, directly or not.
//!     let dependents = analyzer.invalidate_dependents(&edit.changed_files).await?;
//!     assert_eq!(dependents, [PathBuf::from("b.py")]);
//!     analyzer.reanalyze_invalidated(&dependents).await?;
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok(())
//! # }
//! ```

mod analyzer;
mod backend;
pub mod extractors;

pub use analyzer::{AnalysisResult, IncrementalAnalyzer, IncrementalError};
pub use backend::{BackendConfig, BackendType, StorageBackend, create_backend};
