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
    /// False for memory: what is "saved" there is gone when the process ends.
    pub(crate) keeps: bool,
}

/// Opens the store `arguments` describe for the workspace at `root`. A SQLite database
/// another process is writing is opened read-only, and the description says so. A
/// store that cannot be used at all is an error naming the missing setting or the
/// failure, unless `--fallback-memory` asks for memory instead (the language server
/// always asks: it must keep serving).
pub(crate) async fn open_store(arguments: &StoreArgs, root: &std::path::Path) -> anyhow::Result<OpenedStore> {
    match try_open(arguments, root).await {
        Ok(opened) => Ok(opened),
        Err(problem) if arguments.fallback_memory => {
            tracing::warn!("{problem}; keeping the index in memory only");
            Ok(memory(format!("memory ({problem})")))
        }
        Err(problem) => anyhow::bail!("{problem} (--fallback-memory indexes in memory instead)"),
    }
}

async fn try_open(arguments: &StoreArgs, root: &std::path::Path) -> Result<OpenedStore, String> {
    match arguments.store {
        StoreKind::Postgres => {
            let url = arguments
                .database_url
                .as_deref()
                .ok_or("--store postgres needs --database-url or the DATABASE_URL environment variable")?;
            let workspace = workspace_name(arguments, root);
            let store = PostgresStore::connect(url, &workspace).await.map_err(|error| error.to_string())?;
            let description = format!("postgres {} workspace {workspace:?}", store.location());
            Ok(OpenedStore { description, store: Box::new(store), writable: true, keeps: true })
        }
        StoreKind::D1 => {
            let missing: Vec<&str> = [
                (arguments.d1_account_id.is_none(), "--d1-account-id (or CLOUDFLARE_ACCOUNT_ID)"),
                (arguments.d1_database_id.is_none(), "--d1-database-id (or THREAD_D1_DATABASE_ID)"),
                (arguments.d1_token.is_none(), "the CF_API_TOKEN environment variable"),
            ]
            .into_iter()
            .filter_map(|(absent, setting)| absent.then_some(setting))
            .collect();
            let (Some(account), Some(database), Some(token)) =
                (&arguments.d1_account_id, &arguments.d1_database_id, &arguments.d1_token)
            else {
                return Err(format!("--store d1 needs {}", missing.join(" and ")));
            };
            let config = D1Config { api_base: arguments.d1_api_url.clone(), ..D1Config::new(account, database, token) };
            let store = D1Store::connect(config).await.map_err(|error| error.to_string())?;
            let description = format!("d1 {}", store.location());
            Ok(OpenedStore { description, store: Box::new(store), writable: true, keeps: true })
        }
        StoreKind::Memory => Ok(memory("memory (nothing is kept between runs)".to_owned())),
        StoreKind::Sqlite => {
            let path =
                arguments.database.clone().unwrap_or_else(|| workspace_database(root, arguments.cache_dir.as_deref()));
            match SqliteStore::open(&path) {
                Ok(store) if store.role() == WriterRole::Writer => Ok(OpenedStore {
                    description: format!("sqlite {}", path.display()),
                    store: Box::new(store),
                    writable: true,
                    keeps: true,
                }),
                Ok(store) => Ok(OpenedStore {
                    description: format!("sqlite {} (read-only: another Thread process is writing it)", path.display()),
                    store: Box::new(store),
                    writable: false,
                    keeps: true,
                }),
                Err(error) => Err(format!("could not open {}: {error}", path.display())),
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

fn memory(description: String) -> OpenedStore {
    OpenedStore { store: Box::new(MemoryStore::default()), description, writable: true, keeps: false }
}
