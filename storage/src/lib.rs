//! Thread's stores: where the graph is kept between runs.
//!
//! Every backend implements [`Store`]: one async, batch-shaped interface. A change set
//! is applied atomically, reads are a few purpose-built queries, and each store
//! advertises its limits so writers can chunk batches to fit. Each backend is a module;
//! its row and wire types stay private to it.

pub mod d1;
pub mod memory;
pub mod postgres;
pub mod sqlite;
pub mod write_behind;

mod rows;
mod sqlite_dialect;

pub use d1::{D1Config, D1Store, RetryPolicy};
pub use memory::MemoryStore;
pub use postgres::PostgresStore;
pub use sqlite::{SqliteOpenError, SqliteStore, WriterRole, workspace_database};
pub use thread_engine::store::{ChangeSet, StoredEdge, StoredFile, StoredState, StoredUnresolved};
pub use write_behind::{SaveProgress, WriteBehind};

/// What a store refuses to take in one statement or request. Writers chunk change sets
/// to stay under them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    /// Bound parameters per statement.
    pub max_parameters: usize,
    /// Bytes of SQL per statement.
    pub max_statement_bytes: usize,
    /// Bytes per string, blob or row.
    pub max_value_bytes: usize,
}

impl StoreLimits {
    /// No practical limit: in-memory and embedded stores.
    pub const UNLIMITED: StoreLimits =
        StoreLimits { max_parameters: usize::MAX, max_statement_bytes: usize::MAX, max_value_bytes: usize::MAX };
}

/// Where a definition is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DefinitionSite {
    /// The file.
    pub path: String,
    /// The defined name.
    pub name: String,
    /// What it defines (`function`, `struct`, ...).
    pub kind: String,
    /// Zero-based line of the name.
    pub line: u32,
    /// Whether other files can use it.
    pub exported: bool,
}

/// A failure of a store. Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed.
    #[error("{backend} store: {message}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// What went wrong.
        message: String,
    },
    /// Another process owns this store; this one may only read it.
    #[error("{backend} store at {location} is being written by another process; this one can only read it")]
    ReadOnly {
        /// Which backend.
        backend: &'static str,
        /// Where the store is.
        location: String,
    },
    /// The store ran the request and refused it for what it carries (a value over a
    /// limit, a constraint): sending it again cannot succeed.
    #[error("{backend} store refused the change: {message}")]
    Refused {
        /// Which backend.
        backend: &'static str,
        /// What the store said.
        message: String,
    },
}

impl StoreError {
    /// Whether the same request may succeed later (a connection lost, a server busy or
    /// away), as opposed to a store that refuses it or cannot be written by this process.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Backend { .. })
    }

    /// A backend failure with `error`'s message. Never pass an error whose message may
    /// hold a credential.
    pub fn new(backend: &'static str, error: impl std::fmt::Display) -> StoreError {
        StoreError::Backend { backend, message: error.to_string() }
    }
}

/// A place to keep the graph between runs.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// The backend's name, for messages: `sqlite`, `memory`, `postgres`, `d1`.
    fn backend(&self) -> &'static str;

    /// What one statement or request may carry.
    fn limits(&self) -> StoreLimits;

    /// The schema version the store holds.
    async fn schema_version(&self) -> Result<u32, StoreError>;

    /// Whether a later process may restore from this store. Writers leave out what only a
    /// warm start reads (files' resolutions) when it may not: a store in memory ends with
    /// its process.
    fn serves_warm_starts(&self) -> bool {
        true
    }

    /// The schema version this build writes. A store holding another is rebuilt
    /// (SQLite, D1) or migrated forward (PostgreSQL) when it is opened.
    fn latest_schema_version(&self) -> u32;

    /// Everything stored, edges and unresolved imports included.
    async fn load(&self) -> Result<StoredState, StoreError>;

    /// What a warm start restores from: every file with its facts, stat and resolution,
    /// and the project files. Edges and unresolved imports are left empty: the
    /// resolutions hold them, with the file-set questions that decided them, and a file
    /// stored without one is resolved again. Stores override this to skip reading them.
    async fn load_for_restore(&self) -> Result<StoredState, StoreError> {
        let mut state = self.load().await?;
        for file in &mut state.files {
            file.edges.clear();
            file.unresolved.clear();
        }
        Ok(state)
    }

    /// Applies one change set atomically: all of it or none of it. Each upserted file's
    /// edges, unresolved imports, definitions and calls replace its old ones.
    async fn apply(&self, changes: &ChangeSet) -> Result<(), StoreError>;

    /// The files that import `path`, sorted.
    async fn dependents(&self, path: &str) -> Result<Vec<String>, StoreError>;

    /// The files that use `name` from `path`: by name, or by using the module wholesale.
    async fn users_of(&self, path: &str, name: &str) -> Result<Vec<String>, StoreError>;

    /// Every definition of `name` in the workspace, sorted.
    async fn definitions(&self, name: &str) -> Result<Vec<DefinitionSite>, StoreError>;
}
