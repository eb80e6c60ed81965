//! The PostgreSQL store: one database shared by a team or CI, several workspaces in it.
//!
//! - The schema is migrated forward by numbered migrations (`sql/postgres/NNNN_*.sql`),
//!   each applied once under an advisory lock, so concurrent servers do not race.
//! - Every row carries its workspace, so several projects share one database.
//! - A change set is one transaction of a fixed number of statements whatever its size:
//!   rows travel as arrays expanded server-side with `UNNEST`, through cached statements.
//! - Connection URLs and passwords never reach a log or an error: errors name the
//!   server by [`PostgresStore::location`], which has no password.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rayon::prelude::*;
use thread_engine::fingerprint::extractors_fingerprint;
use thread_engine::store::{ChangeSet, StoredFile, StoredState};
use tokio_postgres::NoTls;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use crate::rows::{self, BULK_ROWS, FileRow, rows_written};

use crate::{DefinitionSite, Store, StoreError, StoreLimits};

const BACKEND: &str = "postgres";

/// The migrations, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("../sql/postgres/0001_initial.sql"))];

/// The tables holding a workspace's rows, and the column naming the file in each.
const WORKSPACE_TABLES: &[(&str, &str)] = &[
    ("thread_files", "path"),
    ("thread_edges", "src"),
    ("thread_unresolved", "src"),
    ("thread_definitions", "file"),
    ("thread_calls", "file"),
    ("thread_project_files", "path"),
];

/// Connections kept open: the engine writes from one task, readers query now and then.
const POOL_SIZE: usize = 4;
/// How long to wait for a connection before calling the server unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A workspace's rows in a PostgreSQL database.
pub struct PostgresStore {
    pool: Pool,
    workspace: String,
    location: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PostgresStore")
            .field("location", &self.location)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db` or
    /// `host=... user=...`), migrates its schema forward and keeps `workspace`'s rows.
    /// Rows written by other extractors are cleared, since they would be stale.
    pub async fn connect(url: &str, workspace: &str) -> Result<PostgresStore, StoreError> {
        // The parser's messages can quote the URL, password included: say only that it is malformed.
        let mut config = tokio_postgres::Config::from_str(url).map_err(|_| {
            StoreError::new(BACKEND, "the database URL is malformed (expected postgres://user@host:port/database)")
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let location = redacted_location(&config);
        let manager =
            Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Verified });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|error| StoreError::new(BACKEND, error))?;
        let store = PostgresStore { pool, workspace: workspace.to_owned(), location };
        store.migrate().await?;
        store.claim_workspace().await?;
        Ok(store)
    }

    /// The server and database, without credentials: `postgres://user@host:port/db`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The workspace whose rows this store reads and writes.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// The schema version the database holds: the newest migration applied.
    async fn migrated_version(&self) -> Result<u32, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM thread_migrations", &[])
            .await
            .map_err(|error| self.error(error))?;
        Ok(u32::try_from(row.get::<_, i32>(0)).unwrap_or(0))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(|error| self.error(error))?;
        // One migrator at a time across every process sharing the database.
        transaction
            .batch_execute(
                "SELECT pg_advisory_xact_lock(hashtext('thread_migrations'));
                 CREATE TABLE IF NOT EXISTS thread_migrations (
                     version INTEGER PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                 );",
            )
            .await
            .map_err(|error| self.error(error))?;
        let applied: i32 = transaction
            .query_one("SELECT COALESCE(MAX(version), 0) FROM thread_migrations", &[])
            .await
            .map_err(|error| self.error(error))?
            .get(0);
        let newest_known = MIGRATIONS.last().map_or(0, |(version, _)| *version);
        if applied > newest_known {
            return Err(StoreError::new(
                BACKEND,
                format!(
                    "{} holds schema version {applied}, newer than this Thread's {newest_known}; upgrade Thread",
                    self.location
                ),
            ));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(version, _)| *version > applied) {
            tracing::info!(version, location = %self.location, "applying PostgreSQL migration");
            transaction.batch_execute(sql).await.map_err(|error| self.error(error))?;
            transaction
                .execute("INSERT INTO thread_migrations (version) VALUES ($1)", &[version])
                .await
                .map_err(|error| self.error(error))?;
        }
        transaction.commit().await.map_err(|error| self.error(error))
    }

    /// Records which extractors this workspace's rows come from, clearing them when they
    /// came from others.
    async fn claim_workspace(&self) -> Result<(), StoreError> {
        let fingerprint = extractors_fingerprint().to_hex();
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(|error| self.error(error))?;
        let stored: Option<String> = transaction
            .query_opt("SELECT extractors FROM thread_workspaces WHERE workspace = $1 FOR UPDATE", &[&self.workspace])
            .await
            .map_err(|error| self.error(error))?
            .map(|row| row.get(0));
        if stored.as_deref() != Some(fingerprint.as_str()) {
            if stored.is_some() {
                tracing::info!(workspace = %self.workspace, "stored rows come from other extractors; clearing them");
            }
            for (table, _) in WORKSPACE_TABLES {
                transaction
                    .execute(&format!("DELETE FROM {table} WHERE workspace = $1"), &[&self.workspace])
                    .await
                    .map_err(|error| self.error(error))?;
            }
            transaction
                .execute(
                    "INSERT INTO thread_workspaces (workspace, extractors) VALUES ($1, $2)
                     ON CONFLICT (workspace) DO UPDATE SET extractors = excluded.extractors",
                    &[&self.workspace, &fingerprint],
                )
                .await
                .map_err(|error| self.error(error))?;
        }
        transaction.commit().await.map_err(|error| self.error(error))
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|error| {
            // Pool errors wrap the driver's, which never include the password.
            StoreError::new(BACKEND, format!("cannot reach {}: {error}", self.location))
        })
    }

    fn error(&self, error: tokio_postgres::Error) -> StoreError {
        let message = match error.as_db_error() {
            Some(database) => format!("{}: {}", database.code().code(), database.message()),
            None => error.to_string(),
        };
        StoreError::new(BACKEND, format!("{}: {message}", self.location))
    }
}

/// `postgres://user@host:port/database`, never with the password.
fn redacted_location(config: &tokio_postgres::Config) -> String {
    let user = config.get_user().map(|user| format!("{user}@")).unwrap_or_default();
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().map(|port| format!(":{port}")).unwrap_or_default();
    let database = config.get_dbname().map(|name| format!("/{name}")).unwrap_or_default();
    format!("postgres://{user}{host}{port}{database}")
}

/// One transaction, a fixed number of statements: deletes of the replaced files' rows,
/// then each table's new rows as arrays.
async fn write_changes(
    client: &mut deadpool_postgres::Client,
    workspace: &str,
    changes: &ChangeSet,
) -> Result<(), tokio_postgres::Error> {
    let transaction = client.transaction().await?;
    let replaced: Vec<&str> = changes
        .removals
        .iter()
        .map(String::as_str)
        .chain(changes.upserts.iter().map(|file| file.path.as_str()))
        .collect();
    for (table, column) in WORKSPACE_TABLES.iter().filter(|(table, _)| *table != "thread_project_files") {
        let sql = format!("DELETE FROM {table} WHERE workspace = $1 AND {column} = ANY($2::text[])");
        execute_cached(&transaction, &sql, &[&workspace, &replaced]).await?;
    }

    // In path order, so each primary key grows at its end; facts are encoded in parallel.
    let mut upserts: Vec<&StoredFile> = changes.upserts.iter().collect();
    upserts.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    if rows_written(changes) >= BULK_ROWS {
        copy_upserts(&transaction, workspace, &upserts).await?;
    } else {
        unnest_upserts(&transaction, workspace, &upserts).await?;
    }

    // Project files are few and always sent whole.
    execute_cached(&transaction, "DELETE FROM thread_project_files WHERE workspace = $1", &[&workspace]).await?;
    let paths: Vec<&str> = changes.project_files.iter().map(|(path, _)| path.as_str()).collect();
    let texts: Vec<&str> = changes.project_files.iter().map(|(_, text)| text.as_str()).collect();
    execute_cached(
        &transaction,
        "INSERT INTO thread_project_files (workspace, path, text) SELECT $1, * FROM UNNEST($2::text[], $3::text[])",
        &[&workspace, &paths, &texts],
    )
    .await?;

    transaction.commit().await
}

/// Inserts the files' rows as arrays expanded by `UNNEST`: a fixed number of cached
/// statements, the fastest way for the few rows of an edit.
async fn unnest_upserts(
    transaction: &deadpool_postgres::Transaction<'_>,
    workspace: &str,
    upserts: &[&StoredFile],
) -> Result<(), tokio_postgres::Error> {
    let files: Vec<FileRow<'_>> = upserts.par_iter().map(|file| FileRow::of(file)).collect();
    execute_cached(
        transaction,
        "INSERT INTO thread_files (workspace, path, lang, content, size, mtime_ns, facts)
             SELECT $1, * FROM UNNEST($2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::bytea[])",
        &[
            &workspace,
            &files.iter().map(|row| row.path).collect::<Vec<_>>(),
            &files.iter().map(|row| row.lang).collect::<Vec<_>>(),
            &files.iter().map(|row| row.content.as_str()).collect::<Vec<_>>(),
            &files.iter().map(|row| row.size).collect::<Vec<_>>(),
            &files.iter().map(|row| row.mtime_ns).collect::<Vec<_>>(),
            &files.iter().map(|row| row.facts.as_slice()).collect::<Vec<_>>(),
        ],
    )
    .await?;

    let edges: Vec<rows::EdgeRow<'_>> = upserts.iter().flat_map(|file| rows::edge_rows(file)).collect();
    execute_cached(
        transaction,
        "INSERT INTO thread_edges (workspace, src, seq, dst, kind, line, names)
             SELECT $1, src, seq, dst, kind, line, names::jsonb
             FROM UNNEST($2::text[], $3::int4[], $4::text[], $5::text[], $6::int4[], $7::text[])
                  AS edge (src, seq, dst, kind, line, names)",
        &[
            &workspace,
            &edges.iter().map(|row| row.src).collect::<Vec<_>>(),
            &edges.iter().map(|row| int4(row.seq)).collect::<Vec<_>>(),
            &edges.iter().map(|row| row.dst).collect::<Vec<_>>(),
            &edges.iter().map(|row| row.kind).collect::<Vec<_>>(),
            &edges.iter().map(|row| int4(row.line)).collect::<Vec<_>>(),
            &edges.iter().map(|row| row.names.as_deref()).collect::<Vec<_>>(),
        ],
    )
    .await?;

    let unresolved: Vec<rows::UnresolvedRow<'_>> =
        upserts.iter().flat_map(|file| rows::unresolved_rows(file)).collect();
    execute_cached(
        transaction,
        "INSERT INTO thread_unresolved (workspace, src, seq, specifier, line, external)
             SELECT $1, * FROM UNNEST($2::text[], $3::int4[], $4::text[], $5::int4[], $6::bool[])",
        &[
            &workspace,
            &unresolved.iter().map(|row| row.src).collect::<Vec<_>>(),
            &unresolved.iter().map(|row| int4(row.seq)).collect::<Vec<_>>(),
            &unresolved.iter().map(|row| row.specifier).collect::<Vec<_>>(),
            &unresolved.iter().map(|row| int4(row.line)).collect::<Vec<_>>(),
            &unresolved.iter().map(|row| row.external).collect::<Vec<_>>(),
        ],
    )
    .await?;

    let definitions: Vec<rows::DefinitionRow<'_>> =
        upserts.iter().flat_map(|file| rows::definition_rows(file)).collect();
    execute_cached(
        transaction,
        "INSERT INTO thread_definitions (workspace, file, seq, name, kind, line, exported)
             SELECT $1, * FROM UNNEST($2::text[], $3::int4[], $4::text[], $5::text[], $6::int4[], $7::bool[])",
        &[
            &workspace,
            &definitions.iter().map(|row| row.file).collect::<Vec<_>>(),
            &definitions.iter().map(|row| int4(row.seq)).collect::<Vec<_>>(),
            &definitions.iter().map(|row| row.name).collect::<Vec<_>>(),
            &definitions.iter().map(|row| row.kind).collect::<Vec<_>>(),
            &definitions.iter().map(|row| int4(row.line)).collect::<Vec<_>>(),
            &definitions.iter().map(|row| row.exported).collect::<Vec<_>>(),
        ],
    )
    .await?;

    let calls: Vec<rows::CallRow<'_>> = upserts.iter().flat_map(|file| rows::call_rows(file)).collect();
    execute_cached(
        transaction,
        "INSERT INTO thread_calls (workspace, file, seq, callee, name, line, caller)
             SELECT $1, * FROM UNNEST($2::text[], $3::int4[], $4::text[], $5::text[], $6::int4[], $7::text[])",
        &[
            &workspace,
            &calls.iter().map(|row| row.file).collect::<Vec<_>>(),
            &calls.iter().map(|row| int4(row.seq)).collect::<Vec<_>>(),
            &calls.iter().map(|row| row.callee).collect::<Vec<_>>(),
            &calls.iter().map(|row| row.name).collect::<Vec<_>>(),
            &calls.iter().map(|row| int4(row.line)).collect::<Vec<_>>(),
            &calls.iter().map(|row| row.caller).collect::<Vec<_>>(),
        ],
    )
    .await?;

    Ok(())
}

/// Streams the files' rows with binary `COPY`: for a bulk load, several times faster
/// than arrays of a million elements, and it leaves the shared indexes in place for the
/// other workspaces.
async fn copy_upserts(
    transaction: &deadpool_postgres::Transaction<'_>,
    workspace: &str,
    upserts: &[&StoredFile],
) -> Result<(), tokio_postgres::Error> {
    let files: Vec<FileRow<'_>> = upserts.par_iter().map(|file| FileRow::of(file)).collect();
    copy_rows(
        transaction,
        "thread_files (workspace, path, lang, content, size, mtime_ns, facts)",
        &[Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT, Type::INT8, Type::INT8, Type::BYTEA],
        files.iter().map(|row| {
            [
                &workspace as &(dyn ToSql + Sync),
                &row.path,
                &row.lang,
                &row.content,
                &row.size,
                &row.mtime_ns,
                &row.facts,
            ]
        }),
    )
    .await?;

    // Built from the edges themselves, on several threads: the JSON text of `edge_rows`
    // would only be parsed back into a value here.
    let edges: Vec<CopiedEdge<'_>> = upserts
        .par_iter()
        .flat_map_iter(|file| {
            file.edges.iter().enumerate().map(|(seq, edge)| {
                let names = edge.names.as_ref().map(|names| serde_json::Value::from(names.clone()));
                let line = i32::try_from(edge.line).unwrap_or(i32::MAX);
                (file.path.as_str(), int4(seq as i64), edge.to.as_str(), edge.kind.as_str(), line, names)
            })
        })
        .collect();
    copy_rows(
        transaction,
        "thread_edges (workspace, src, seq, dst, kind, line, names)",
        &[Type::TEXT, Type::TEXT, Type::INT4, Type::TEXT, Type::TEXT, Type::INT4, Type::JSONB],
        edges.iter().map(|(src, seq, dst, kind, line, names)| {
            [&workspace as &(dyn ToSql + Sync), src, seq, dst, kind, line, names]
        }),
    )
    .await?;

    let unresolved =
        with_int4_positions(upserts.iter().flat_map(|file| rows::unresolved_rows(file)), |row| (row.seq, row.line));
    copy_rows(
        transaction,
        "thread_unresolved (workspace, src, seq, specifier, line, external)",
        &[Type::TEXT, Type::TEXT, Type::INT4, Type::TEXT, Type::INT4, Type::BOOL],
        unresolved.iter().map(|(row, seq, line)| {
            [&workspace as &(dyn ToSql + Sync), &row.src, seq, &row.specifier, line, &row.external]
        }),
    )
    .await?;

    let definitions =
        with_int4_positions(upserts.iter().flat_map(|file| rows::definition_rows(file)), |row| (row.seq, row.line));
    copy_rows(
        transaction,
        "thread_definitions (workspace, file, seq, name, kind, line, exported)",
        &[Type::TEXT, Type::TEXT, Type::INT4, Type::TEXT, Type::TEXT, Type::INT4, Type::BOOL],
        definitions.iter().map(|(row, seq, line)| {
            [&workspace as &(dyn ToSql + Sync), &row.file, seq, &row.name, &row.kind, line, &row.exported]
        }),
    )
    .await?;

    let calls = with_int4_positions(upserts.iter().flat_map(|file| rows::call_rows(file)), |row| (row.seq, row.line));
    copy_rows(
        transaction,
        "thread_calls (workspace, file, seq, callee, name, line, caller)",
        &[Type::TEXT, Type::TEXT, Type::INT4, Type::TEXT, Type::TEXT, Type::INT4, Type::TEXT],
        calls.iter().map(|(row, seq, line)| {
            [&workspace as &(dyn ToSql + Sync), &row.file, seq, &row.callee, &row.name, line, &row.caller]
        }),
    )
    .await
}

/// Rows with their sequence number and line as `INTEGER`s, which `COPY` needs exactly.
fn with_int4_positions<R>(rows: impl Iterator<Item = R>, position: fn(&R) -> (i64, i64)) -> Vec<(R, i32, i32)> {
    rows.map(|row| {
        let (seq, line) = position(&row);
        (row, int4(seq), int4(line))
    })
    .collect()
}

/// An edge as `COPY` sends it: src, seq, dst, kind, line, names.
type CopiedEdge<'a> = (&'a str, i32, &'a str, &'a str, i32, Option<serde_json::Value>);

/// Streams `rows` into `target` (`table (columns...)`) with binary `COPY`.
async fn copy_rows<'a, const COLUMNS: usize>(
    transaction: &deadpool_postgres::Transaction<'_>,
    target: &str,
    types: &[Type; COLUMNS],
    rows: impl Iterator<Item = [&'a (dyn ToSql + Sync); COLUMNS]>,
) -> Result<(), tokio_postgres::Error> {
    let sink = transaction.copy_in(&format!("COPY {target} FROM STDIN BINARY")).await?;
    let writer = BinaryCopyInWriter::new(sink, types);
    let mut writer = std::pin::pin!(writer);
    for row in rows {
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await.map(drop)
}

/// Prepares `sql` once per connection and runs it in `transaction`.
async fn execute_cached(
    transaction: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, tokio_postgres::Error> {
    let statement = transaction.prepare_cached(sql).await?;
    transaction.execute(&statement, params).await
}

/// Rows use `i64` for every integer; these columns are `INTEGER`, and their values (line
/// numbers, positions in a file) fit.
fn int4(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn limits(&self) -> StoreLimits {
        // The wire protocol's parameter count is a u16; a value is at most 1 GB.
        StoreLimits { max_parameters: 65_535, max_statement_bytes: 1 << 30, max_value_bytes: 1 << 30 }
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        self.migrated_version().await
    }

    fn latest_schema_version(&self) -> u32 {
        MIGRATIONS.last().map_or(0, |(version, _)| u32::try_from(*version).unwrap_or(0))
    }

    async fn load(&self) -> Result<StoredState, StoreError> {
        self.read(true).await
    }

    async fn load_for_restore(&self) -> Result<StoredState, StoreError> {
        self.read(false).await
    }

    async fn apply(&self, changes: &ChangeSet) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        write_changes(&mut client, &self.workspace, changes).await.map_err(|error| self.error(error))
    }

    async fn dependents(&self, path: &str) -> Result<Vec<String>, StoreError> {
        self.query_paths(
            "SELECT DISTINCT src FROM thread_edges WHERE workspace = $1 AND dst = $2 ORDER BY src",
            &[&self.workspace, &path],
        )
        .await
    }

    async fn users_of(&self, path: &str, name: &str) -> Result<Vec<String>, StoreError> {
        self.query_paths(
            "SELECT DISTINCT src FROM thread_edges
             WHERE workspace = $1 AND dst = $2 AND (names IS NULL OR names ? $3)
             ORDER BY src",
            &[&self.workspace, &path, &name],
        )
        .await
    }

    async fn definitions(&self, name: &str) -> Result<Vec<DefinitionSite>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT file, name, kind, line, exported FROM thread_definitions WHERE workspace = $1 AND name = $2",
            )
            .await
            .map_err(|error| self.error(error))?;
        let rows = client.query(&statement, &[&self.workspace, &name]).await.map_err(|error| self.error(error))?;
        let mut sites: Vec<DefinitionSite> = rows
            .iter()
            .map(|row| DefinitionSite {
                path: row.get(0),
                name: row.get(1),
                kind: row.get(2),
                line: u32::try_from(row.get::<_, i32>(3)).unwrap_or(0),
                exported: row.get(4),
            })
            .collect();
        sites.sort();
        Ok(sites)
    }
}

impl PostgresStore {
    async fn query_paths(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(|error| self.error(error))?;
        let rows = client.query(&statement, params).await.map_err(|error| self.error(error))?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Reads the workspace's rows in one repeatable-read transaction, so a concurrent
    /// writer's commit is seen whole or not at all.
    async fn read(&self, with_links: bool) -> Result<StoredState, StoreError> {
        let mut client = self.client().await?;
        let transaction = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|error| self.error(error))?;
        let workspace: &(dyn ToSql + Sync) = &self.workspace;
        let raw: Vec<rows::RawFile> = transaction
            .query(
                "SELECT path, lang, content, size, mtime_ns, facts FROM thread_files WHERE workspace = $1 ORDER BY path",
                &[workspace],
            )
            .await
            .map_err(|error| self.error(error))?
            .iter()
            .map(|row| rows::RawFile {
                path: row.get(0),
                lang: row.get(1),
                content: row.get(2),
                stat: (row.get(3), row.get(4)),
                facts: row.get(5),
            })
            .collect();
        let mut files = rows::decode_files(raw);

        if with_links {
            let mut links = rows::Links::new(&mut files);
            let edges = transaction
                .query(
                    "SELECT src, dst, kind, line, names::text FROM thread_edges WHERE workspace = $1 ORDER BY src, seq",
                    &[workspace],
                )
                .await
                .map_err(|error| self.error(error))?;
            for row in &edges {
                links.edge(row.get(0), row.get(1), row.get(2), i64::from(row.get::<_, i32>(3)), row.get(4));
            }
            let unresolved = transaction
                .query(
                    "SELECT src, specifier, line, external FROM thread_unresolved WHERE workspace = $1 ORDER BY src, seq",
                    &[workspace],
                )
                .await
                .map_err(|error| self.error(error))?;
            for row in &unresolved {
                links.unresolved(row.get(0), row.get(1), i64::from(row.get::<_, i32>(2)), row.get(3));
            }
        }

        let project_files = transaction
            .query("SELECT path, text FROM thread_project_files WHERE workspace = $1 ORDER BY path", &[workspace])
            .await
            .map_err(|error| self.error(error))?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        transaction.commit().await.map_err(|error| self.error(error))?;
        Ok(StoredState { files, project_files })
    }
}
