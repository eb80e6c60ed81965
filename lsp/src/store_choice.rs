//! Opening the store the user asked for, and saying plainly when that store cannot be
//! written and the index lives in memory only.

use thread_storage::{
    D1Config, D1Store, MemoryStore, PostgresStore, SqliteStore, Store, WriterRole, workspace_database,
};

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
/// falls back to memory, and so does a database server that cannot be reached. Either
/// way the description says so.
pub(crate) async fn open_store(arguments: &StoreArgs, root: &std::path::Path) -> OpenedStore {
    match arguments.store {
        StoreKind::Postgres => {
            let Some(url) = arguments.database_url.as_deref() else {
                tracing::warn!(
                    "--store postgres needs --database-url or DATABASE_URL; keeping the index in memory only"
                );
                return memory("memory (--store postgres was given no --database-url)".to_owned());
            };
            let workspace = workspace_name(arguments, root);
            server(PostgresStore::connect(url, &workspace).await, |store| {
                format!("postgres {} workspace {workspace:?}", store.location())
            })
        }
        StoreKind::D1 => {
            let (Some(account), Some(database), Some(token)) =
                (&arguments.d1_account_id, &arguments.d1_database_id, &arguments.d1_token)
            else {
                tracing::warn!(
                    "--store d1 needs --d1-account-id, --d1-database-id and CF_API_TOKEN; keeping the index in memory only"
                );
                return memory("memory (--store d1 is missing its account, database or CF_API_TOKEN)".to_owned());
            };
            let config = D1Config { api_base: arguments.d1_api_url.clone(), ..D1Config::new(account, database, token) };
            server(D1Store::connect(config).await, |store| format!("d1 {}", store.location()))
        }
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

/// The workspace's name in a shared database: given, or its absolute path.
fn workspace_name(arguments: &StoreArgs, root: &std::path::Path) -> String {
    arguments.workspace_name.clone().unwrap_or_else(|| {
        std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned()).to_string_lossy().into_owned()
    })
}

/// A store behind a server: usable as connected, else memory, saying why.
fn server<S: Store + 'static>(
    connected: Result<S, thread_storage::StoreError>,
    describe: impl FnOnce(&S) -> String,
) -> OpenedStore {
    match connected {
        Ok(store) => OpenedStore { description: describe(&store), store: Box::new(store), writable: true },
        Err(error) => {
            tracing::warn!("{error}; keeping the index in memory only");
            memory(format!("memory ({error})"))
        }
    }
}

fn memory(description: String) -> OpenedStore {
    OpenedStore { store: Box::new(MemoryStore::default()), description, writable: true }
}
