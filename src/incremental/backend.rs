//! Choosing a store at runtime.

use thread_storage::MemoryStore;

pub use thread_engine::store::Store as StorageBackend;

use super::IncrementalError;

/// Which store to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendType {
    /// Everything in memory, gone when the process ends.
    InMemory,
}

/// The settings of a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendConfig {
    /// The in-memory store needs none.
    InMemory,
}

/// Creates the store `backend_type` describes, configured by `config`.
pub async fn create_backend(
    backend_type: BackendType,
    config: BackendConfig,
) -> Result<Box<dyn StorageBackend>, IncrementalError> {
    match (backend_type, config) {
        (BackendType::InMemory, BackendConfig::InMemory) => Ok(Box::new(MemoryStore::default())),
    }
}
