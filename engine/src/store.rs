//! The persistence interface the engine defines and `thread-storage` implements.
//!
//! Stores take batch-shaped change sets and apply each atomically; reads are the few
//! queries a warm start needs. A store never sits on the keystroke path: the host
//! applies an edit first, and a write-behind task hands the resulting batch to the store.

use std::sync::Arc;

use thread_extractors::FileFacts;

use crate::fingerprint::Fingerprint;
use crate::host::{ChangeReport, FileChange, Host};
use crate::snapshot::{FileEntry, FileStat, Snapshot};

/// A file as a store keeps it: enough to restore it without reading or parsing it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFile {
    /// Workspace-relative path.
    pub path: String,
    /// Fingerprint of its content.
    pub content: Fingerprint,
    /// Size and mtime when it was read.
    pub stat: Option<FileStat>,
    /// Its facts.
    pub facts: Arc<FileFacts>,
}

impl StoredFile {
    /// The stored form of a live file.
    pub fn of(file: &FileEntry) -> StoredFile {
        StoredFile { path: file.path.to_string(), content: file.content, stat: file.stat, facts: file.facts.clone() }
    }
}

/// Everything a store holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredState {
    /// Source files.
    pub files: Vec<StoredFile>,
    /// Project files: (path, text).
    pub project_files: Vec<(String, String)>,
}

/// One atomic change set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoreBatch {
    /// Files to insert or replace, with everything that belongs to them.
    pub upserts: Vec<StoredFile>,
    /// Files to delete, with everything that belongs to them.
    pub removals: Vec<String>,
    /// The complete set of project files: (path, text). They are few and small.
    pub project_files: Vec<(String, String)>,
}

impl StoreBatch {
    /// The batch that records what `report` changed, read from `snapshot` (the host's
    /// state right after that report).
    pub fn from_report(snapshot: &Snapshot, report: &ChangeReport, host: &Host) -> StoreBatch {
        let mut batch = StoreBatch::default();
        for path in &report.changed {
            match snapshot.file_at(path) {
                Some(file) => batch.upserts.push(StoredFile::of(file)),
                None => batch.removals.push(path.clone()),
            }
        }
        batch.project_files = host.project_files().iter().map(|(path, text)| (path.clone(), text.clone())).collect();
        batch
    }

    /// Everything in `snapshot`, for a first save.
    pub fn everything(snapshot: &Snapshot, host: &Host) -> StoreBatch {
        StoreBatch {
            upserts: snapshot.files().map(StoredFile::of).collect(),
            removals: Vec::new(),
            project_files: host.project_files().iter().map(|(path, text)| (path.clone(), text.clone())).collect(),
        }
    }
}

/// A failure of a store. Backends wrap their own errors in [`StoreError::Backend`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed; the message never contains credentials.
    #[error("{backend} store: {message}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// A place to keep the graph between runs.
pub trait Store: Send {
    /// Everything stored.
    fn load(&mut self) -> Result<StoredState, StoreError>;
    /// Applies one change set atomically: all of it or none of it.
    fn apply(&mut self, batch: &StoreBatch) -> Result<(), StoreError>;
}

/// Restores `host` from `state`: no file is read or parsed.
pub fn restore(host: &mut Host, state: StoredState) -> ChangeReport {
    let mut changes: Vec<FileChange> = state
        .files
        .into_iter()
        .map(|file| FileChange::Restore { path: file.path, content: file.content, facts: file.facts, stat: file.stat })
        .collect();
    changes.extend(state.project_files.into_iter().map(|(path, text)| FileChange::write(path, text)));
    host.apply(changes)
}
