//! The SQLite store, the embedded default: one database per workspace in the user's
//! cache directory.
//!
//! - WAL, `synchronous=NORMAL`, a busy timeout and cached prepared statements;
//!   `STRICT` tables (`sql/sqlite_schema.sql`).
//! - The schema version and the extractors' fingerprint live in `meta`. A database with
//!   another version, or one SQLite calls corrupt, is rebuilt empty: the workspace is
//!   the source of truth and is simply read again.
//! - One writer per database, elected with a lock on `<database>.lock`. Another process
//!   on the same workspace opens the database read-only and learns so from
//!   [`SqliteStore::role`].

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use rustc_hash::FxHashMap;
use thread_engine::Fingerprint;
use thread_engine::fingerprint::extractors_fingerprint;
use thread_engine::store::{ChangeSet, StoredFile, StoredState};

use crate::rows::{self, BULK_ROWS, FileRow, rows_written};
use crate::sqlite_dialect::{
    DEFINITIONS, DEPENDENTS, EDGES_BY_FILE, FILE_TABLES, FORGET_UNUSED_PATHS, RECORD_VERSIONS, SCHEMA, SCHEMA_VERSION,
    TABLES, UNRESOLVED_BY_FILE, USERS_OF, VALUES_IN_JSON, delete_rows_of_files, note_path_candidates,
    secondary_indexes,
};
use crate::{DefinitionSite, Store, StoreError, StoreLimits};

const BACKEND: &str = "sqlite";
/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection; above SQLite's default of 16 because one
/// change set uses about twenty.
const STATEMENT_CACHE: usize = 64;
/// Page cache for a bulk write, in KiB (as `PRAGMA cache_size` takes it: negative).
const BULK_CACHE_KIB: i64 = -256 * 1024;
/// Helper threads SQLite may use to sort while building indexes in a bulk write.
const BULK_SORT_THREADS: i64 = 2;
/// SQLite's default page cache, in KiB.
const DEFAULT_CACHE_KIB: i64 = -2000;

/// Whether this process may write the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriterRole {
    /// This process holds the writer lock.
    Writer,
    /// Another process holds it; this one only reads.
    Reader,
}

/// Why a SQLite store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SqliteOpenError {
    /// The directory for the database could not be created.
    #[error("cannot create the directory {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot use the lock file {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite refused the database.
    #[error("cannot open the SQLite database {path}: {message}")]
    Open {
        /// The database.
        path: PathBuf,
        /// SQLite's message.
        message: String,
    },
}

/// A workspace's graph in one SQLite database.
pub struct SqliteStore {
    location: PathBuf,
    role: WriterRole,
    connection: Mutex<Connection>,
    /// The writer's checkpoints, on a thread of their own; `None` for a reader.
    checkpointer: Option<Checkpointer>,
    /// Held open for as long as this store lives: it is the writer lock.
    _writer_lock: Option<File>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SqliteStore").field("location", &self.location).field("role", &self.role).finish()
    }
}

/// The database for the workspace at `root`: `<cache>/thread/<dir name>-<hash>.sqlite3`,
/// where `<cache>` is `cache_dir` when given, else the user's cache directory. The hash
/// of the canonical root keeps two checkouts with the same name apart.
pub fn workspace_database(root: &Path, cache_dir: Option<&Path>) -> PathBuf {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let name: String = canonical
        .file_name()
        .map(|name| name.to_string_lossy().chars().filter(|c| c.is_alphanumeric() || "-_.".contains(*c)).collect())
        .unwrap_or_default();
    let hash = Fingerprint::of_bytes(canonical.to_string_lossy().as_bytes()).to_hex();
    let base = match cache_dir {
        Some(dir) => dir.to_owned(),
        None => dirs::cache_dir().unwrap_or_else(std::env::temp_dir).join("thread"),
    };
    base.join(format!("{name}-{}.sqlite3", &hash[..16]))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, as its writer if no other
    /// process is, else read-only.
    pub fn open(path: &Path) -> Result<SqliteStore, SqliteOpenError> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|source| SqliteOpenError::Directory { path: parent.to_owned(), source })?;
        }
        let lock_path = sidecar(path, ".lock");
        let lock_error = |source| SqliteOpenError::Lock { path: lock_path.clone(), source };
        let lock_file =
            File::options().read(true).write(true).create(true).truncate(false).open(&lock_path).map_err(lock_error)?;
        match lock_file.try_lock() {
            Ok(()) => {
                let connection = open_writer(path)?;
                let checkpointer = Checkpointer::start(path).map_err(|error| open_error(path, error))?;
                Ok(SqliteStore {
                    location: path.to_owned(),
                    role: WriterRole::Writer,
                    connection: Mutex::new(connection),
                    checkpointer: Some(checkpointer),
                    _writer_lock: Some(lock_file),
                })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let connection = open_reader(path)?;
                Ok(SqliteStore {
                    location: path.to_owned(),
                    role: WriterRole::Reader,
                    connection: Mutex::new(connection),
                    checkpointer: None,
                    _writer_lock: None,
                })
            }
            Err(std::fs::TryLockError::Error(source)) => Err(lock_error(source)),
        }
    }

    /// Whether this process writes the database.
    pub fn role(&self) -> WriterRole {
        self.role
    }

    /// Where the database is.
    pub fn location(&self) -> &Path {
        &self.location
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        // Every write is one SQLite transaction, so a panic mid-write rolls back and the
        // connection stays consistent.
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the stored state in one read transaction, so a concurrent writer's commit
    /// is seen whole or not at all.
    fn read(&self, rows: Rows) -> Result<StoredState, StoreError> {
        let connection = self.connection();
        if self.role == WriterRole::Reader && !versions_match(&connection) {
            // Written by another version: nothing here this build can trust.
            return Ok(StoredState::default());
        }
        let transaction = connection.unchecked_transaction().map_err(sqlite_error)?;
        let state = read_state(&transaction, rows).map_err(sqlite_error)?;
        transaction.finish().map_err(sqlite_error)?;
        Ok(state)
    }

    fn query_paths(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<String>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(sql).map_err(sqlite_error)?;
        let rows = statement.query_map(params, |row| row.get::<_, String>(0)).map_err(sqlite_error)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sqlite_error)
    }
}

/// Moves the write-ahead log into the database on a thread of its own, after commits,
/// instead of in the committing call as SQLite's automatic checkpoint would: a bulk
/// write's log is as large as the database, and copying it is not the writer's business.
/// Passive checkpoints never block the writer or readers.
struct Checkpointer {
    wake: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, String> {
        let connection = Connection::open(path).map_err(|error| error.to_string())?;
        configure(&connection).map_err(|error| error.to_string())?;
        let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("thread-sqlite-checkpoint".to_owned())
            .spawn(move || {
                while woken.recv().is_ok() {
                    if let Err(error) = connection.execute_batch("PRAGMA wal_checkpoint(PASSIVE);") {
                        tracing::debug!(%error, "checkpoint failed; the next commit tries again");
                    }
                }
            })
            .map_err(|error| format!("cannot start the checkpoint thread: {error}"))?;
        Ok(Checkpointer { wake: Some(wake), thread: Some(thread) })
    }

    /// Asks for a checkpoint; one already asked for covers this commit too.
    fn after_commit(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel ends the thread; SQLite checkpoints the rest on close.
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn open_error(path: &Path, error: impl std::fmt::Display) -> SqliteOpenError {
    SqliteOpenError::Open { path: path.to_owned(), message: error.to_string() }
}

fn sqlite_error(error: rusqlite::Error) -> StoreError {
    StoreError::new(BACKEND, error)
}

fn configure(connection: &Connection) -> rusqlite::Result<()> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Opens the writer's connection, rebuilding the database if it is corrupt or was
/// written by another schema or extractor version.
fn open_writer(path: &Path) -> Result<Connection, SqliteOpenError> {
    match open_and_migrate(path) {
        Ok(connection) => Ok(connection),
        Err(error) if is_corruption(&error) => {
            tracing::warn!(database = %path.display(), %error, "the index database is corrupt; rebuilding it");
            for suffix in ["", "-wal", "-shm"] {
                let file = sidecar(path, suffix);
                if file.exists() {
                    std::fs::remove_file(&file).map_err(|error| open_error(&file, error))?;
                }
            }
            open_and_migrate(path).map_err(|error| open_error(path, error))
        }
        Err(error) => Err(open_error(path, error)),
    }
}

fn is_corruption(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt))
}

fn open_and_migrate(path: &Path) -> rusqlite::Result<Connection> {
    let mut connection = Connection::open(path)?;
    configure(&connection)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    // The Checkpointer runs checkpoints; commits only append to the log.
    connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    let expected = expected_versions();
    if stored_versions(&connection)?.as_ref() != Some(&expected) {
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for table in TABLES {
            transaction.execute_batch(&format!("DROP TABLE IF EXISTS {table};"))?;
        }
        transaction.execute_batch(SCHEMA)?;
        transaction.execute(RECORD_VERSIONS, params![expected.0, expected.1])?;
        transaction.commit()?;
    }
    Ok(connection)
}

/// The schema version and extractors fingerprint this build writes.
fn expected_versions() -> (String, String) {
    (SCHEMA_VERSION.to_string(), extractors_fingerprint().to_hex())
}

/// The schema version and extractors fingerprint a database was written with, if any.
fn stored_versions(connection: &Connection) -> rusqlite::Result<Option<(String, String)>> {
    let has_meta: bool = connection.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
        [],
        |row| row.get(0),
    )?;
    if !has_meta {
        return Ok(None);
    }
    let value = |key: &str| -> rusqlite::Result<Option<String>> {
        connection.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| row.get(0)).optional()
    };
    Ok(value("schema_version")?.zip(value("extractors")?))
}

fn open_reader(path: &Path) -> Result<Connection, SqliteOpenError> {
    let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|connection| configure(&connection).map(|()| connection))
        .map_err(|error| open_error(path, error))?;
    Ok(connection)
}

/// Whether a reader's database holds what this build can use.
fn versions_match(connection: &Connection) -> bool {
    stored_versions(connection).ok().flatten() == Some(expected_versions())
}

fn write_changes(connection: &mut Connection, changes: &ChangeSet) -> rusqlite::Result<()> {
    let bulk = rows_written(changes) >= BULK_ROWS;
    if bulk {
        // Enough page cache that the transaction is not spilled to the log page by page,
        // and helper threads for the sorts that build the indexes again.
        connection.pragma_update(None, "cache_size", BULK_CACHE_KIB)?;
        connection.pragma_update(None, "threads", BULK_SORT_THREADS)?;
    }
    let written = write_in_transaction(connection, changes, bulk);
    if bulk {
        // Give the memory back: an editing session writes a few rows at a time.
        connection.pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
        connection.pragma_update(None, "threads", 0)?;
        connection.execute_batch("PRAGMA shrink_memory;")?;
    }
    written
}

fn write_in_transaction(connection: &mut Connection, changes: &ChangeSet, bulk: bool) -> rusqlite::Result<()> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if bulk {
        for (name, _) in secondary_indexes() {
            transaction.execute_batch(&format!("DROP INDEX {name};"))?;
        }
    }
    let mut ids = ChangeSetIds::known(&transaction, changes, bulk)?;
    // Every replaced file's old rows go, then its new rows come in. A path without an id
    // has no rows.
    let replaced = ids.replaced();
    if !replaced.is_empty() {
        let replaced = serde_json::Value::from(replaced).to_string();
        transaction.prepare_cached(&note_path_candidates(VALUES_IN_JSON))?.execute([&replaced])?;
        for (table, column) in FILE_TABLES {
            transaction.prepare_cached(&delete_rows_of_files(table, column, VALUES_IN_JSON))?.execute([&replaced])?;
        }
    }
    ids.add_missing(&transaction)?;
    // In id order, so each table's primary key grows at its end.
    let mut upserts: Vec<(i64, usize)> =
        (0..changes.upserts.len()).map(|upsert| Ok((ids.file(upsert)?, upsert))).collect::<rusqlite::Result<_>>()?;
    upserts.sort_unstable();
    {
        let mut inserts = FileInserts::prepare(&transaction)?;
        for (id, upsert) in upserts {
            inserts.insert(id, &changes.upserts[upsert], ids.targets(upsert))?;
        }
    }
    transaction.execute("DELETE FROM project_files", [])?;
    {
        let mut insert_project_file =
            transaction.prepare_cached("INSERT INTO project_files (path, text) VALUES (?1, ?2)")?;
        for (path, text) in &changes.project_files {
            insert_project_file.execute([path, text])?;
        }
    }
    if bulk {
        for (_, create) in secondary_indexes() {
            transaction.execute_batch(create)?;
        }
    }
    for forget in FORGET_UNUSED_PATHS {
        transaction.prepare_cached(forget)?.execute([])?;
    }
    transaction.commit()
}

/// The ids of the paths a change set names: its removals, its files and their edges'
/// targets. Each distinct path is looked up once; the inserts then read the ids in
/// change-set order instead of looking up a million edge targets again.
struct ChangeSetIds<'a> {
    /// Each distinct path, its id (`None` until it has one), and whether the new rows
    /// name it (else only a removal does).
    slots: Vec<(&'a str, Option<i64>, bool)>,
    /// The slot of each removal, then of each upsert, in change-set order.
    replaced: Vec<u32>,
    /// The slots of each upsert's edges' targets, upsert after upsert.
    targets: Vec<u32>,
    /// Where each upsert's targets start in `targets`; one more entry closes the last.
    target_starts: Vec<usize>,
    removals: usize,
    /// `targets`, resolved to ids by [`ChangeSetIds::add_missing`].
    target_ids: Vec<i64>,
}

impl<'a> ChangeSetIds<'a> {
    /// The ids the database already gives to the paths `changes` names. A bulk write
    /// reads every id in one scan instead of looking each path up.
    fn known(
        transaction: &rusqlite::Transaction<'_>,
        changes: &'a ChangeSet,
        bulk: bool,
    ) -> rusqlite::Result<ChangeSetIds<'a>> {
        let mut slot_of: FxHashMap<&str, u32> = FxHashMap::default();
        let mut slots: Vec<(&str, Option<i64>, bool)> = Vec::new();
        let mut slot = |path: &'a str, written: bool| -> u32 {
            let next = u32::try_from(slots.len()).unwrap_or(u32::MAX);
            let slot = *slot_of.entry(path).or_insert_with(|| {
                slots.push((path, None, false));
                next
            });
            if let Some(entry) = slots.get_mut(slot as usize) {
                entry.2 |= written;
            }
            slot
        };
        let mut replaced: Vec<u32> = changes.removals.iter().map(|path| slot(path, false)).collect();
        let mut targets = Vec::new();
        let mut target_starts = Vec::with_capacity(changes.upserts.len() + 1);
        for file in &changes.upserts {
            replaced.push(slot(&file.path, true));
            target_starts.push(targets.len());
            targets.extend(file.edges.iter().map(|edge| slot(&edge.to, true)));
        }
        target_starts.push(targets.len());
        if bulk {
            let mut statement = transaction.prepare("SELECT path, id FROM paths")?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                if let Some(slot) = slot_of.get(row.get_ref(0)?.as_str()?) {
                    slots[*slot as usize].1 = Some(row.get(1)?);
                }
            }
        } else {
            let mut lookup = transaction.prepare_cached("SELECT id FROM paths WHERE path = ?1")?;
            for (path, id, _) in &mut slots {
                *id = lookup.query_row([*path], |row| row.get(0)).optional()?;
            }
        }
        Ok(ChangeSetIds {
            slots,
            replaced,
            targets,
            target_starts,
            removals: changes.removals.len(),
            target_ids: Vec::new(),
        })
    }

    /// The ids of the replaced files that have rows to delete.
    fn replaced(&self) -> Vec<i64> {
        self.replaced.iter().filter_map(|slot| self.slots[*slot as usize].1).collect()
    }

    /// Gives ids, in path order, to the paths the new rows name that have none.
    fn add_missing(&mut self, transaction: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
        let mut missing: Vec<usize> =
            (0..self.slots.len()).filter(|slot| matches!(self.slots[*slot], (_, None, true))).collect();
        missing.sort_unstable_by_key(|slot| self.slots[*slot].0);
        let mut insert = transaction.prepare_cached("INSERT INTO paths (path) VALUES (?1)")?;
        for slot in missing {
            insert.execute([self.slots[slot].0])?;
            self.slots[slot].1 = Some(transaction.last_insert_rowid());
        }
        self.target_ids = self.targets.iter().map(|slot| self.id(*slot)).collect::<rusqlite::Result<_>>()?;
        Ok(())
    }

    fn id(&self, slot: u32) -> rusqlite::Result<i64> {
        // Every path the new rows name was given an id by `add_missing`.
        self.slots[slot as usize].1.ok_or(rusqlite::Error::QueryReturnedNoRows)
    }

    /// The id of the `upsert`th file.
    fn file(&self, upsert: usize) -> rusqlite::Result<i64> {
        self.id(self.replaced[self.removals + upsert])
    }

    /// The ids of the `upsert`th file's edges' targets, in edge order.
    fn targets(&self, upsert: usize) -> &[i64] {
        &self.target_ids[self.target_starts[upsert]..self.target_starts[upsert + 1]]
    }
}

/// The inserts of a file's rows, prepared once for a whole change set.
struct FileInserts<'t> {
    files: rusqlite::CachedStatement<'t>,
    edges: rusqlite::CachedStatement<'t>,
    unresolved: rusqlite::CachedStatement<'t>,
    definitions: rusqlite::CachedStatement<'t>,
    calls: rusqlite::CachedStatement<'t>,
}

impl<'t> FileInserts<'t> {
    fn prepare(transaction: &'t rusqlite::Transaction<'_>) -> rusqlite::Result<FileInserts<'t>> {
        Ok(FileInserts {
            files: transaction.prepare_cached(
                "INSERT INTO files (id, lang, content, size, mtime_ns, facts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            edges: transaction.prepare_cached(
                "INSERT INTO edges (src, seq, dst, kind, line, names) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            unresolved: transaction.prepare_cached(
                "INSERT INTO unresolved (src, seq, specifier, line, external) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            definitions: transaction.prepare_cached(
                "INSERT INTO definitions (file, seq, name, kind, line, exported) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            calls: transaction.prepare_cached(
                "INSERT INTO calls (file, seq, callee, name, line, caller) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
        })
    }

    /// Inserts `file`'s rows as `id`, its edges pointing at `targets`.
    fn insert(&mut self, id: i64, file: &StoredFile, targets: &[i64]) -> rusqlite::Result<()> {
        let row = FileRow::of(file);
        self.files.execute(params![id, row.lang, row.content, row.size, row.mtime_ns, row.facts])?;
        for (edge, target) in rows::edge_rows(file).zip(targets) {
            self.edges.execute(params![id, edge.seq, target, edge.kind, edge.line, edge.names])?;
        }
        for row in rows::unresolved_rows(file) {
            self.unresolved.execute(params![id, row.seq, row.specifier, row.line, row.external])?;
        }
        for row in rows::definition_rows(file) {
            self.definitions.execute(params![id, row.seq, row.name, row.kind, row.line, row.exported])?;
        }
        for row in rows::call_rows(file) {
            self.calls.execute(params![id, row.seq, row.callee, row.name, row.line, row.caller])?;
        }
        Ok(())
    }
}

/// Which rows [`read_state`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rows {
    Everything,
    ForRestore,
}

fn read_state(connection: &Connection, rows: Rows) -> rusqlite::Result<StoredState> {
    let mut statement = connection.prepare_cached(
        "SELECT paths.path, lang, content, size, mtime_ns, facts FROM files JOIN paths ON paths.id = files.id
         ORDER BY paths.path",
    )?;
    let raw: Vec<rows::RawFile> = statement
        .query_map([], |row| {
            Ok(rows::RawFile {
                path: row.get(0)?,
                lang: row.get(1)?,
                content: row.get(2)?,
                stat: (row.get(3)?, row.get(4)?),
                facts: row.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let files = rows::decode_files(raw);

    let mut files = files;
    if rows == Rows::Everything {
        read_links(connection, &mut files)?;
    }

    let mut statement = connection.prepare_cached("SELECT path, text FROM project_files ORDER BY path")?;
    let project_files =
        statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(StoredState { files, project_files })
}

/// Each file's edges and unresolved imports, into `files`.
fn read_links(connection: &Connection, files: &mut [StoredFile]) -> rusqlite::Result<()> {
    let mut links = rows::Links::new(files);
    let mut statement = connection.prepare_cached(&format!("{EDGES_BY_FILE} ORDER BY edges.src, edges.seq"))?;
    let mut rows_iter = statement.query([])?;
    while let Some(row) = rows_iter.next()? {
        let (src, kind, names): (String, String, Option<String>) = (row.get(0)?, row.get(2)?, row.get(4)?);
        links.edge(&src, row.get(1)?, &kind, row.get(3)?, names.as_deref());
    }

    let mut statement =
        connection.prepare_cached(&format!("{UNRESOLVED_BY_FILE} ORDER BY unresolved.src, unresolved.seq"))?;
    let mut rows_iter = statement.query([])?;
    while let Some(row) = rows_iter.next()? {
        let src: String = row.get(0)?;
        links.unresolved(&src, row.get(1)?, row.get(2)?, row.get(3)?);
    }
    Ok(())
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn limits(&self) -> StoreLimits {
        // SQLite's compiled-in maxima; bundled builds use these defaults.
        StoreLimits { max_parameters: 32_766, max_statement_bytes: 1_000_000_000, max_value_bytes: 1_000_000_000 }
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        let connection = self.connection();
        let version = stored_versions(&connection).map_err(sqlite_error)?;
        Ok(version.and_then(|(schema, _)| schema.parse().ok()).unwrap_or(0))
    }

    fn latest_schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    async fn load(&self) -> Result<StoredState, StoreError> {
        self.read(Rows::Everything)
    }

    async fn load_for_restore(&self) -> Result<StoredState, StoreError> {
        self.read(Rows::ForRestore)
    }

    async fn apply(&self, changes: &ChangeSet) -> Result<(), StoreError> {
        if self.role == WriterRole::Reader {
            return Err(StoreError::ReadOnly { backend: BACKEND, location: self.location.display().to_string() });
        }
        write_changes(&mut self.connection(), changes).map_err(sqlite_error)?;
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.after_commit();
        }
        Ok(())
    }

    async fn dependents(&self, path: &str) -> Result<Vec<String>, StoreError> {
        self.query_paths(DEPENDENTS, [path])
    }

    async fn users_of(&self, path: &str, name: &str) -> Result<Vec<String>, StoreError> {
        self.query_paths(USERS_OF, [path, name])
    }

    async fn definitions(&self, name: &str) -> Result<Vec<DefinitionSite>, StoreError> {
        let connection = self.connection();
        let mut statement = connection.prepare_cached(DEFINITIONS).map_err(sqlite_error)?;
        let rows = statement
            .query_map([name], |row| {
                Ok(DefinitionSite {
                    path: row.get(0)?,
                    name: row.get(1)?,
                    kind: row.get(2)?,
                    line: u32::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
                    exported: row.get(4)?,
                })
            })
            .map_err(sqlite_error)?;
        let mut sites = rows.collect::<Result<Vec<_>, _>>().map_err(sqlite_error)?;
        sites.sort();
        Ok(sites)
    }
}
