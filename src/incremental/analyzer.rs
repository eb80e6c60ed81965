//! `IncrementalAnalyzer`: files in, change sets to the store, results out.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thread_engine::host::{FileChange, Host};
use thread_engine::store::{ChangeSet, restore};
use thread_engine::{FlowError, LoadError, LoadOptions, RecocoFlow, Snapshot, index_into};
use thread_storage::StoreError;

use super::StorageBackend;

/// The outcome of one analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisResult {
    /// Files whose content changed, appeared or vanished.
    pub changed_files: Vec<PathBuf>,
    /// Other files whose resolution or symbol checks had to run again.
    pub affected_files: Vec<PathBuf>,
    /// Time spent, in microseconds.
    pub analysis_time_us: u64,
    /// Files served without extraction over files looked at, from 0.0 to 1.0.
    pub cache_hit_rate: f64,
}

/// Why an analysis failed.
#[derive(Debug, thiserror::Error)]
pub enum IncrementalError {
    /// The analysis flow could not be set up.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The backend type and its configuration do not fit together.
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// A path lies outside the analyzer's root.
    #[error("{} is outside the workspace root {}", path.display(), root.display())]
    OutsideRoot {
        /// The path given.
        path: PathBuf,
        /// The root.
        root: PathBuf,
    },
    /// Reading a file failed for a reason other than its absence.
    #[error("cannot read {}: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// The workspace root could not be walked.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The blocking analysis task did not complete.
    #[error("the analysis task failed: {0}")]
    Task(String),
}

/// The incremental analyzer over one workspace root.
pub struct IncrementalAnalyzer {
    root: PathBuf,
    /// Taken out while a blocking task works on it.
    host: Option<Host>,
    store: Box<dyn StorageBackend>,
    restored: bool,
}

impl IncrementalAnalyzer {
    /// An analyzer over the current directory, persisting to `storage`.
    pub fn new(storage: Box<dyn StorageBackend>) -> IncrementalAnalyzer {
        IncrementalAnalyzer::with_root(&std::env::current_dir().unwrap_or_default(), storage)
    }

    /// An analyzer over `root`, persisting to `storage`. What the store already holds is
    /// restored on first use, without reading or parsing any file.
    pub fn with_root(root: &Path, storage: Box<dyn StorageBackend>) -> IncrementalAnalyzer {
        IncrementalAnalyzer { root: root.to_owned(), host: None, store: storage, restored: false }
    }

    /// An analyzer restored from `storage` now.
    pub async fn from_storage(storage: Box<dyn StorageBackend>) -> Result<IncrementalAnalyzer, IncrementalError> {
        let mut analyzer = IncrementalAnalyzer::new(storage);
        analyzer.ensure_host().await?;
        Ok(analyzer)
    }

    /// The current graph.
    pub async fn snapshot(&mut self) -> Result<Snapshot, IncrementalError> {
        Ok(self.ensure_host().await?.snapshot())
    }

    /// Reads `paths` (relative to the root, or absolute inside it; a missing file counts
    /// as deleted), brings the graph up to date and stores the change.
    pub async fn analyze_changes(&mut self, paths: &[PathBuf]) -> Result<AnalysisResult, IncrementalError> {
        let mut changes = Vec::with_capacity(paths.len());
        for path in paths {
            let relative = self.relative(path)?;
            let absolute = self.root.join(&relative);
            match std::fs::read(&absolute) {
                Ok(bytes) => changes.push(FileChange::write(relative, bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    changes.push(FileChange::remove(relative))
                }
                Err(error) => return Err(IncrementalError::Read { path: path.clone(), message: error.to_string() }),
            }
        }
        self.ensure_host().await?;
        let mut host = self.host.take().ok_or_else(|| IncrementalError::Task("the host is missing".into()))?;
        // The host's work is CPU-bound: run it off the async executor.
        let outcome = tokio::task::spawn_blocking(move || {
            let report = host.apply(changes);
            (host, report)
        })
        .await;
        let (host, report) = outcome.map_err(|error| IncrementalError::Task(error.to_string()))?;
        let changes = ChangeSet::from_report(&host.snapshot(), &report, &host);
        self.host = Some(host);
        self.store.apply(&changes).await?;
        Ok(AnalysisResult {
            changed_files: report.changed.iter().map(PathBuf::from).collect(),
            affected_files: report.affected.iter().map(PathBuf::from).collect(),
            analysis_time_us: u64::try_from(report.elapsed.as_micros()).unwrap_or(u64::MAX),
            cache_hit_rate: report.cache.hit_rate(),
        })
    }

    /// Indexes every file under the root, as `thread-lsp index` walks it (`.gitignore`
    /// honoured, `target/`, `node_modules/` and the like skipped), after restoring what
    /// the store holds: files unchanged since then are not read again. Without it the
    /// analyzer knows only the files given to [`analyze_changes`](Self::analyze_changes),
    /// so a file's dependents are found among those alone.
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use thread_flow::incremental::{create_backend, BackendConfig, BackendType, IncrementalAnalyzer};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a.py"), "def f():\n    return 1\n")?;
    /// std::fs::write(dir.path().join("b.py"), "from a import f\n")?;
    /// // The analyzer runs on tokio: a runtime must be current.
    /// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// runtime.block_on(async {
    ///     let backend = create_backend(BackendType::InMemory, BackendConfig::InMemory).await?;
    ///     let mut analyzer = IncrementalAnalyzer::with_root(dir.path(), backend);
    ///     let indexed = analyzer.index_root().await?;
    ///     assert_eq!(indexed.changed_files.len(), 2);
    ///     // b.py was never named, and is still found as a.py's dependent.
    ///     let dependents = analyzer.invalidate_dependents(&[PathBuf::from("a.py")]).await?;
    ///     assert_eq!(dependents, [PathBuf::from("b.py")]);
    ///     Ok::<(), Box<dyn std::error::Error>>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn index_root(&mut self) -> Result<AnalysisResult, IncrementalError> {
        self.ensure_host().await?;
        let mut host = self.host.take().ok_or_else(|| IncrementalError::Task("the host is missing".into()))?;
        let root = self.root.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let report = index_into(&mut host, &root, &LoadOptions::default());
            (host, report)
        })
        .await;
        let (host, report) = outcome.map_err(|error| IncrementalError::Task(error.to_string()))?;
        let snapshot = host.snapshot();
        self.host = Some(host);
        let report = report?;
        let changes = ChangeSet::for_paths(
            &snapshot,
            report.changed.iter().chain(&report.affected),
            self.host.as_ref().ok_or_else(|| IncrementalError::Task("the host is missing".into()))?,
        );
        self.store.apply(&changes).await?;
        Ok(AnalysisResult {
            changed_files: report.changed.iter().map(PathBuf::from).collect(),
            affected_files: report.affected.iter().map(PathBuf::from).collect(),
            analysis_time_us: u64::try_from(report.elapsed.as_micros()).unwrap_or(u64::MAX),
            cache_hit_rate: report.cache_hit_rate(),
        })
    }

    /// Every file that depends on `changed`, directly or transitively, in dependency
    /// order (a file after the files it imports). Cycles are walked once.
    pub async fn invalidate_dependents(&mut self, changed: &[PathBuf]) -> Result<Vec<PathBuf>, IncrementalError> {
        let snapshot = self.ensure_host().await?.snapshot();
        let mut ids = Vec::new();
        for path in changed {
            let relative = self.relative(path)?;
            ids.extend(snapshot.file_id(&relative));
        }
        let dependents = snapshot.dependents_closure(&ids);
        Ok(snapshot.topological_order(&dependents).into_iter().map(|id| PathBuf::from(snapshot.path(id))).collect())
    }

    /// Analyses `files` again from disk. Unchanged content costs nothing.
    pub async fn reanalyze_invalidated(&mut self, files: &[PathBuf]) -> Result<AnalysisResult, IncrementalError> {
        self.analyze_changes(files).await
    }

    async fn ensure_host(&mut self) -> Result<&mut Host, IncrementalError> {
        if self.host.is_none() {
            let flow = RecocoFlow::shared()?;
            let mut host = Host::new(flow as Arc<dyn thread_engine::FactsFlow>);
            if !self.restored {
                restore(&mut host, self.store.load_for_restore().await?);
                self.restored = true;
            }
            self.host = Some(host);
        }
        self.host.as_mut().ok_or_else(|| IncrementalError::Task("the host is missing".into()))
    }

    fn relative(&self, path: &Path) -> Result<String, IncrementalError> {
        let relative = if path.is_absolute() {
            path.strip_prefix(&self.root)
                .map_err(|_| IncrementalError::OutsideRoot { path: path.to_owned(), root: self.root.clone() })?
        } else {
            path
        };
        let text = relative.to_string_lossy().replace('\\', "/");
        if text.split('/').any(|part| part == "..") {
            return Err(IncrementalError::OutsideRoot { path: path.to_owned(), root: self.root.clone() });
        }
        Ok(text.trim_start_matches("./").to_owned())
    }
}
