//! Opening the store the user asked for, and saying plainly when that store cannot be
//! written and the index lives in memory only.

use thread_storage::{MemoryStore, SqliteStore, Store, WriterRole, workspace_database};

use crate::cli::{StoreArgs, StoreKind};

/// A store ready for use, and how to describe it to the user.
pub(crate) struct OpenedStore {
    pub(crate) store: Box<dyn Store>,
    /// One line for the summary: which store, where, and in what role.
    pub(crate) description: String,
    /// False when this process may only read the store: nothing is saved.
    pub(crate) writable: bool,
}

/// Opens the store `arguments` describe for the workspace at `root`. A SQLite database
/// another process is writing is opened read-only; one that cannot be opened at all
/// falls back to memory. Either way the description says so.
pub(crate) fn open_store(arguments: &StoreArgs, root: &std::path::Path) -> OpenedStore {
    match arguments.store {
        StoreKind::Memory => memory("memory (nothing is kept between runs)".to_owned()),
        StoreKind::Sqlite => {
            let path =
                arguments.database.clone().unwrap_or_else(|| workspace_database(root, arguments.cache_dir.as_deref()));
            match SqliteStore::open(&path) {
                Ok(store) if store.role() == WriterRole::Writer => OpenedStore {
                    description: format!("sqlite {}", path.display()),
                    store: Box::new(store),
                    writable: true,
                },
                Ok(store) => OpenedStore {
                    description: format!("sqlite {} (read-only: another Thread process is writing it)", path.display()),
                    store: Box::new(store),
                    writable: false,
                },
                Err(error) => {
                    tracing::warn!("{error}; keeping the index in memory only");
                    memory(format!("memory (could not open {}: {error})", path.display()))
                }
            }
        }
    }
}

fn memory(description: String) -> OpenedStore {
    OpenedStore { store: Box::new(MemoryStore::default()), description, writable: true }
}
