//! Choosing a store at runtime.

use std::path::PathBuf;

use thread_storage::{D1Config, D1Store, MemoryStore, PostgresStore, SqliteStore, StoreError};

pub use thread_storage::Store as StorageBackend;

use super::IncrementalError;

/// Which store to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendType {
    /// Everything in memory, gone when the process ends.
    InMemory,
    /// An embedded SQLite database: the default.
    Sqlite,
    /// A PostgreSQL database, shared by a team or CI.
    Postgres,
    /// A Cloudflare D1 database, over its REST API.
    D1,
}

/// The settings of a store.
#[derive(Clone, PartialEq, Eq)]
pub enum BackendConfig {
    /// The in-memory store needs none.
    InMemory,
    /// The SQLite database file. Use
    /// [`thread_storage::sqlite::workspace_database`] for the per-workspace default.
    Sqlite {
        /// The database file; created if missing.
        path: PathBuf,
    },
    /// A PostgreSQL database. Its `Debug` form hides the URL, which may hold a password.
    Postgres {
        /// `postgres://user:password@host:port/database`.
        url: String,
        /// This workspace's name among those sharing the database.
        workspace: String,
    },
    /// A Cloudflare D1 database. Its `Debug` form hides the API token.
    D1(D1Config),
}

/// Creates the store `backend_type` describes, configured by `config`.
pub async fn create_backend(
    backend_type: BackendType,
    config: BackendConfig,
) -> Result<Box<dyn StorageBackend>, IncrementalError> {
    match (backend_type, config) {
        (BackendType::InMemory, BackendConfig::InMemory) => Ok(Box::new(MemoryStore::default())),
        (BackendType::Sqlite, BackendConfig::Sqlite { path }) => {
            let store = SqliteStore::open(&path).map_err(|error| StoreError::new("sqlite", error))?;
            Ok(Box::new(store))
        }
        (BackendType::Postgres, BackendConfig::Postgres { url, workspace }) => {
            Ok(Box::new(PostgresStore::connect(&url, &workspace).await?))
        }
        (BackendType::D1, BackendConfig::D1(config)) => Ok(Box::new(D1Store::connect(config).await?)),
        (backend_type, config) => {
            Err(IncrementalError::Config(format!("{backend_type:?} cannot be configured with {}", config.describe())))
        }
    }
}

impl BackendConfig {
    fn describe(&self) -> &'static str {
        match self {
            BackendConfig::InMemory => "BackendConfig::InMemory",
            BackendConfig::Sqlite { .. } => "BackendConfig::Sqlite",
            BackendConfig::Postgres { .. } => "BackendConfig::Postgres",
            BackendConfig::D1(_) => "BackendConfig::D1",
        }
    }
}

impl std::fmt::Debug for BackendConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendConfig::InMemory => formatter.write_str("InMemory"),
            BackendConfig::Sqlite { path } => formatter.debug_struct("Sqlite").field("path", path).finish(),
            BackendConfig::Postgres { workspace, .. } => {
                formatter.debug_struct("Postgres").field("url", &"<hidden>").field("workspace", workspace).finish()
            }
            BackendConfig::D1(config) => formatter.debug_tuple("D1").field(config).finish(),
        }
    }
}
