//! The PostgreSQL store: one database shared by a team or CI, several workspaces in it.
//!
//! - The schema is migrated forward by numbered migrations (`sql/postgres/NNNN_*.sql`),
//!   each applied once under an advisory lock, so concurrent servers do not race.
//! - Several projects share one database: each workspace's paths live in `thread_paths`
//!   under the workspace's id, and every other row names its file by path id.
//! - A change set is one transaction of a fixed number of statements whatever its size:
//!   rows travel as arrays expanded server-side with `UNNEST`, through cached statements,
//!   or as binary `COPY` for a bulk load.
//! - Connection URLs and passwords never reach a log or an error: errors name the
//!   server by [`PostgresStore::location`], which has no password.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use thread_engine::fingerprint::extractors_fingerprint;
use thread_engine::store::{ChangeSet, StoredFile, StoredState};
use tokio_postgres::NoTls;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use crate::rows::{self, BULK_ROWS, FileRow, rows_written};

use crate::{DefinitionSite, Store, StoreError, StoreLimits};

const BACKEND: &str = "postgres";

/// The migrations, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[(i32, &str)] =
    &[(1, include_str!("../sql/postgres/0001_initial.sql")), (2, include_str!("../sql/postgres/0002_path_ids.sql"))];

/// The tables holding a file's rows, and the column holding its path id in each.
const FILE_TABLES: &[(&str, &str)] = &[
    ("thread_files", "id"),
    ("thread_edges", "src"),
    ("thread_unresolved", "src"),
    ("thread_definitions", "file"),
    ("thread_calls", "file"),
];

/// Connections kept open: the engine writes from one task, readers query now and then.
const POOL_SIZE: usize = 4;
/// How long to wait for a connection before calling the server unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A workspace's rows in a PostgreSQL database.
pub struct PostgresStore {
    pool: Pool,
    workspace: String,
    /// The workspace's id in `thread_workspaces`, which its paths carry.
    workspace_id: i32,
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
        let mut store = PostgresStore { pool, workspace: workspace.to_owned(), workspace_id: 0, location };
        store.migrate().await?;
        store.workspace_id = store.claim_workspace().await?;
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
    /// came from others, and returns the workspace's id.
    async fn claim_workspace(&self) -> Result<i32, StoreError> {
        let fingerprint = extractors_fingerprint().to_hex();
        let mut client = self.client().await?;
        let transaction = client.transaction().await.map_err(|error| self.error(error))?;
        let stored: Option<(i32, String)> = transaction
            .query_opt(
                "SELECT id, extractors FROM thread_workspaces WHERE workspace = $1 FOR UPDATE",
                &[&self.workspace],
            )
            .await
            .map_err(|error| self.error(error))?
            .map(|row| (row.get(0), row.get(1)));
        let id = match stored {
            Some((id, extractors)) if extractors == fingerprint => id,
            stored => {
                if let Some((id, _)) = stored {
                    tracing::info!(workspace = %self.workspace, "stored rows come from other extractors; clearing them");
                    let paths = "SELECT id FROM thread_paths WHERE workspace = $1";
                    for (table, column) in FILE_TABLES {
                        let sql = format!("DELETE FROM {table} WHERE {column} IN ({paths})");
                        transaction.execute(&sql, &[&id]).await.map_err(|error| self.error(error))?;
                    }
                    transaction
                        .execute("DELETE FROM thread_paths WHERE workspace = $1", &[&id])
                        .await
                        .map_err(|error| self.error(error))?;
                    transaction
                        .execute("DELETE FROM thread_project_files WHERE workspace = $1", &[&self.workspace])
                        .await
                        .map_err(|error| self.error(error))?;
                }
                transaction
                    .query_one(
                        "INSERT INTO thread_workspaces (workspace, extractors) VALUES ($1, $2)
                         ON CONFLICT (workspace) DO UPDATE SET extractors = excluded.extractors
                         RETURNING id",
                        &[&self.workspace, &fingerprint],
                    )
                    .await
                    .map_err(|error| self.error(error))?
                    .get(0)
            }
        };
        transaction.commit().await.map_err(|error| self.error(error))?;
        Ok(id)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|error| {
            // Pool errors wrap the driver's, which never include the password.
            StoreError::new(BACKEND, format!("cannot reach {}: {error}", self.location))
        })
    }

    fn error(&self, error: tokio_postgres::Error) -> StoreError {
        let (message, refused) = match error.as_db_error() {
            Some(database) => {
                let code = database.code().code();
                // Data exceptions (22), integrity violations (23) and program limits
                // (54): the server refuses what the request carries, every time.
                (
                    format!("{code}: {}", database.message()),
                    ["22", "23", "54"].iter().any(|class| code.starts_with(class)),
                )
            }
            None => (error.to_string(), false),
        };
        let message = format!("{}: {message}", self.location);
        if refused { StoreError::Refused { backend: BACKEND, message } } else { StoreError::new(BACKEND, message) }
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

/// One transaction, a fixed number of statements: the path ids, deletes of the replaced
/// files' rows, each table's new rows, then the paths no longer named. Statements that
/// do not wait for each other's results are pipelined: an edit costs a handful of round
/// trips, not one per statement.
async fn write_changes(
    client: &mut deadpool_postgres::Client,
    workspace: &str,
    workspace_id: i32,
    changes: &ChangeSet,
) -> Result<(), tokio_postgres::Error> {
    let transaction = client.transaction().await?;
    let replaced: Vec<&str> = changes
        .removals
        .iter()
        .map(String::as_str)
        .chain(changes.upserts.iter().map(|file| file.path.as_str()))
        .collect();
    let mut named: FxHashSet<&str> = FxHashSet::default();
    for file in &changes.upserts {
        named.insert(&file.path);
        named.extend(file.edges.iter().map(|edge| edge.to.as_str()));
    }
    let wanted: Vec<&str> = named.iter().copied().chain(changes.removals.iter().map(String::as_str)).collect();
    let mut ids = known_path_ids(&transaction, workspace_id, &wanted).await?;

    // Every replaced file's old rows go; a path without an id has none. The paths they
    // named may fall out of use: they are checked at the end.
    let replaced_ids: Vec<i64> = replaced.iter().filter_map(|path| ids.get(*path).copied()).collect();
    let mut candidates = replaced_ids.clone();
    if !replaced_ids.is_empty() {
        let transaction = &transaction;
        let replaced_ids = &replaced_ids;
        let targets = async {
            query_cached(transaction, "SELECT DISTINCT dst FROM thread_edges WHERE src = ANY($1)", &[replaced_ids])
                .await
        };
        let deletes = FILE_TABLES.iter().map(|(table, column)| async move {
            let sql = format!("DELETE FROM {table} WHERE {column} = ANY($1)");
            execute_cached(transaction, &sql, &[replaced_ids]).await
        });
        let (targets, _) = tokio::try_join!(targets, futures_util::future::try_join_all(deletes))?;
        candidates.extend(targets.iter().map(|row| row.get::<_, i64>(0)));
    }

    // A path another writer of this workspace adds meanwhile fails this transaction,
    // and the write-behind's retry finds its id.
    let mut missing: Vec<&str> = named.into_iter().filter(|path| !ids.contains_key(*path)).collect();
    missing.sort_unstable();
    if !missing.is_empty() {
        let inserted = query_cached(
            &transaction,
            "INSERT INTO thread_paths (workspace, path)
             SELECT $1, path FROM UNNEST($2::text[]) AS new (path) ORDER BY path
             RETURNING path, id",
            &[&workspace_id, &missing],
        )
        .await?;
        ids.extend(inserted.iter().map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1))));
    }

    // In id order, so each primary key grows at its end.
    let mut upserts: Vec<(i64, &StoredFile)> =
        changes.upserts.iter().filter_map(|file| Some((*ids.get(&file.path)?, file))).collect();
    upserts.sort_unstable_by_key(|(id, _)| *id);
    let targets = |file: &StoredFile| -> Vec<i64> {
        file.edges.iter().map(|edge| ids.get(&edge.to).copied().unwrap_or_default()).collect()
    };
    let upserts: Vec<UpsertRows<'_>> =
        upserts.into_iter().map(|(id, file)| UpsertRows { id, file, targets: targets(file) }).collect();

    // Project files are few and always sent whole.
    let project_paths: Vec<&str> = changes.project_files.iter().map(|(path, _)| path.as_str()).collect();
    let project_texts: Vec<&str> = changes.project_files.iter().map(|(_, text)| text.as_str()).collect();
    let project_files = async {
        execute_cached(&transaction, "DELETE FROM thread_project_files WHERE workspace = $1", &[&workspace]).await?;
        execute_cached(
            &transaction,
            "INSERT INTO thread_project_files (workspace, path, text)
             SELECT $1, * FROM UNNEST($2::text[], $3::text[])",
            &[&workspace, &project_paths, &project_texts],
        )
        .await
    };
    if rows_written(changes) >= BULK_ROWS {
        copy_upserts(&transaction, &upserts).await?;
        project_files.await?;
    } else {
        tokio::try_join!(unnest_upserts(&transaction, &upserts), project_files)?;
    }

    if !candidates.is_empty() {
        execute_cached(
            &transaction,
            "DELETE FROM thread_paths AS path WHERE path.id = ANY($1)
               AND NOT EXISTS (SELECT 1 FROM thread_files AS file WHERE file.id = path.id)
               AND NOT EXISTS (SELECT 1 FROM thread_edges AS edge WHERE edge.dst = path.id)",
            &[&candidates],
        )
        .await?;
    }
    transaction.commit().await
}

/// The ids `thread_paths` already gives to those of `paths` it holds.
async fn known_path_ids(
    transaction: &deadpool_postgres::Transaction<'_>,
    workspace_id: i32,
    paths: &[&str],
) -> Result<FxHashMap<String, i64>, tokio_postgres::Error> {
    let rows = query_cached(
        transaction,
        "SELECT path.path, path.id FROM UNNEST($2::text[]) AS wanted (path)
           JOIN thread_paths AS path ON path.workspace = $1 AND path.path = wanted.path",
        &[&workspace_id, &paths],
    )
    .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// A file to write: its path id and its edges' targets' ids, in edge order.
struct UpsertRows<'a> {
    id: i64,
    file: &'a StoredFile,
    targets: Vec<i64>,
}

/// Inserts the files' rows as arrays expanded by `UNNEST`: a fixed number of cached
/// statements, pipelined, the fastest way for the few rows of an edit.
async fn unnest_upserts(
    transaction: &deadpool_postgres::Transaction<'_>,
    upserts: &[UpsertRows<'_>],
) -> Result<(), tokio_postgres::Error> {
    let files: Vec<FileRow<'_>> = upserts.par_iter().map(|upsert| FileRow::of(upsert.file)).collect();
    let file_ids: Vec<i64> = upserts.iter().map(|upsert| upsert.id).collect();
    let langs: Vec<&str> = files.iter().map(|row| row.lang).collect();
    let contents: Vec<&str> = files.iter().map(|row| row.content.as_str()).collect();
    let sizes: Vec<Option<i64>> = files.iter().map(|row| row.size).collect();
    let mtimes: Vec<Option<i64>> = files.iter().map(|row| row.mtime_ns).collect();
    let facts: Vec<&[u8]> = files.iter().map(|row| row.facts.as_slice()).collect();
    let insert_files = async {
        execute_cached(
            transaction,
            "INSERT INTO thread_files (id, lang, content, size, mtime_ns, facts)
                 SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::bytea[])",
            &[&file_ids, &langs, &contents, &sizes, &mtimes, &facts],
        )
        .await
    };

    let mut edges = EdgeColumns::default();
    for upsert in upserts {
        for (row, dst) in rows::edge_rows(upsert.file).zip(&upsert.targets) {
            edges.src.push(upsert.id);
            edges.seq.push(int4(row.seq));
            edges.dst.push(*dst);
            edges.kind.push(row.kind);
            edges.line.push(int4(row.line));
            edges.names.push(row.names);
        }
    }
    let insert_edges = async {
        execute_cached(
            transaction,
            "INSERT INTO thread_edges (src, seq, dst, kind, line, names)
                 SELECT src, seq, dst, kind, line, names::jsonb
                 FROM UNNEST($1::int8[], $2::int4[], $3::int8[], $4::text[], $5::int4[], $6::text[])
                      AS edge (src, seq, dst, kind, line, names)",
            &[&edges.src, &edges.seq, &edges.dst, &edges.kind, &edges.line, &edges.names],
        )
        .await
    };

    let unresolved: Vec<(i64, rows::UnresolvedRow<'_>)> =
        upserts.iter().flat_map(|upsert| rows::unresolved_rows(upsert.file).map(|row| (upsert.id, row))).collect();
    let unresolved_src: Vec<i64> = unresolved.iter().map(|(src, _)| *src).collect();
    let unresolved_seq: Vec<i32> = unresolved.iter().map(|(_, row)| int4(row.seq)).collect();
    let unresolved_specifier: Vec<&str> = unresolved.iter().map(|(_, row)| row.specifier).collect();
    let unresolved_line: Vec<i32> = unresolved.iter().map(|(_, row)| int4(row.line)).collect();
    let unresolved_external: Vec<bool> = unresolved.iter().map(|(_, row)| row.external).collect();
    let insert_unresolved = async {
        execute_cached(
            transaction,
            "INSERT INTO thread_unresolved (src, seq, specifier, line, external)
                 SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::int4[], $5::bool[])",
            &[&unresolved_src, &unresolved_seq, &unresolved_specifier, &unresolved_line, &unresolved_external],
        )
        .await
    };

    let definitions: Vec<(i64, rows::DefinitionRow<'_>)> =
        upserts.iter().flat_map(|upsert| rows::definition_rows(upsert.file).map(|row| (upsert.id, row))).collect();
    let definition_file: Vec<i64> = definitions.iter().map(|(file, _)| *file).collect();
    let definition_seq: Vec<i32> = definitions.iter().map(|(_, row)| int4(row.seq)).collect();
    let definition_name: Vec<&str> = definitions.iter().map(|(_, row)| row.name).collect();
    let definition_kind: Vec<&str> = definitions.iter().map(|(_, row)| row.kind).collect();
    let definition_line: Vec<i32> = definitions.iter().map(|(_, row)| int4(row.line)).collect();
    let definition_exported: Vec<bool> = definitions.iter().map(|(_, row)| row.exported).collect();
    let insert_definitions = async {
        execute_cached(
            transaction,
            "INSERT INTO thread_definitions (file, seq, name, kind, line, exported)
                 SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::int4[], $6::bool[])",
            &[
                &definition_file,
                &definition_seq,
                &definition_name,
                &definition_kind,
                &definition_line,
                &definition_exported,
            ],
        )
        .await
    };

    let calls: Vec<(i64, rows::CallRow<'_>)> =
        upserts.iter().flat_map(|upsert| rows::call_rows(upsert.file).map(|row| (upsert.id, row))).collect();
    let call_file: Vec<i64> = calls.iter().map(|(file, _)| *file).collect();
    let call_seq: Vec<i32> = calls.iter().map(|(_, row)| int4(row.seq)).collect();
    let call_callee: Vec<&str> = calls.iter().map(|(_, row)| row.callee).collect();
    let call_name: Vec<&str> = calls.iter().map(|(_, row)| row.name).collect();
    let call_line: Vec<i32> = calls.iter().map(|(_, row)| int4(row.line)).collect();
    let call_caller: Vec<Option<&str>> = calls.iter().map(|(_, row)| row.caller).collect();
    let insert_calls = async {
        execute_cached(
            transaction,
            "INSERT INTO thread_calls (file, seq, callee, name, line, caller)
                 SELECT * FROM UNNEST($1::int8[], $2::int4[], $3::text[], $4::text[], $5::int4[], $6::text[])",
            &[&call_file, &call_seq, &call_callee, &call_name, &call_line, &call_caller],
        )
        .await
    };

    tokio::try_join!(insert_files, insert_edges, insert_unresolved, insert_definitions, insert_calls).map(drop)
}

/// The `edges` rows of an edit, column by column, as `UNNEST` takes them.
#[derive(Default)]
struct EdgeColumns {
    src: Vec<i64>,
    seq: Vec<i32>,
    dst: Vec<i64>,
    kind: Vec<&'static str>,
    line: Vec<i32>,
    names: Vec<Option<String>>,
}

/// Streams the files' rows with binary `COPY`: for a bulk load, several times faster
/// than arrays of a million elements, and it leaves the shared indexes in place for the
/// other workspaces.
async fn copy_upserts(
    transaction: &deadpool_postgres::Transaction<'_>,
    upserts: &[UpsertRows<'_>],
) -> Result<(), tokio_postgres::Error> {
    let files: Vec<(i64, FileRow<'_>)> =
        upserts.par_iter().map(|upsert| (upsert.id, FileRow::of(upsert.file))).collect();
    copy_rows(
        transaction,
        "thread_files (id, lang, content, size, mtime_ns, facts)",
        &[Type::INT8, Type::TEXT, Type::TEXT, Type::INT8, Type::INT8, Type::BYTEA],
        files.iter().map(|(id, row)| {
            [id as &(dyn ToSql + Sync), &row.lang, &row.content, &row.size, &row.mtime_ns, &row.facts]
        }),
    )
    .await?;

    // Built from the edges themselves, on several threads: the JSON text of `edge_rows`
    // would only be parsed back into a value here.
    let edges: Vec<CopiedEdge<'_>> = upserts
        .par_iter()
        .flat_map_iter(|upsert| {
            upsert.file.edges.iter().zip(&upsert.targets).enumerate().map(|(seq, (edge, dst))| {
                let names = edge.names.as_ref().map(|names| serde_json::Value::from(names.clone()));
                let line = i32::try_from(edge.line).unwrap_or(i32::MAX);
                (upsert.id, int4(seq as i64), *dst, edge.kind.as_str(), line, names)
            })
        })
        .collect();
    copy_rows(
        transaction,
        "thread_edges (src, seq, dst, kind, line, names)",
        &[Type::INT8, Type::INT4, Type::INT8, Type::TEXT, Type::INT4, Type::JSONB],
        edges
            .iter()
            .map(|(src, seq, dst, kind, line, names)| [src as &(dyn ToSql + Sync), seq, dst, kind, line, names]),
    )
    .await?;

    let unresolved = with_int4_positions(
        upserts.iter().flat_map(|upsert| rows::unresolved_rows(upsert.file).map(|row| (upsert.id, row))),
        |(_, row)| (row.seq, row.line),
    );
    copy_rows(
        transaction,
        "thread_unresolved (src, seq, specifier, line, external)",
        &[Type::INT8, Type::INT4, Type::TEXT, Type::INT4, Type::BOOL],
        unresolved
            .iter()
            .map(|((src, row), seq, line)| [src as &(dyn ToSql + Sync), seq, &row.specifier, line, &row.external]),
    )
    .await?;

    let definitions = with_int4_positions(
        upserts.iter().flat_map(|upsert| rows::definition_rows(upsert.file).map(|row| (upsert.id, row))),
        |(_, row)| (row.seq, row.line),
    );
    copy_rows(
        transaction,
        "thread_definitions (file, seq, name, kind, line, exported)",
        &[Type::INT8, Type::INT4, Type::TEXT, Type::TEXT, Type::INT4, Type::BOOL],
        definitions.iter().map(|((file, row), seq, line)| {
            [file as &(dyn ToSql + Sync), seq, &row.name, &row.kind, line, &row.exported]
        }),
    )
    .await?;

    let calls = with_int4_positions(
        upserts.iter().flat_map(|upsert| rows::call_rows(upsert.file).map(|row| (upsert.id, row))),
        |(_, row)| (row.seq, row.line),
    );
    copy_rows(
        transaction,
        "thread_calls (file, seq, callee, name, line, caller)",
        &[Type::INT8, Type::INT4, Type::TEXT, Type::TEXT, Type::INT4, Type::TEXT],
        calls.iter().map(|((file, row), seq, line)| {
            [file as &(dyn ToSql + Sync), seq, &row.callee, &row.name, line, &row.caller]
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
type CopiedEdge<'a> = (i64, i32, i64, &'a str, i32, Option<serde_json::Value>);

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

/// Prepares `sql` once per connection and queries with it in `transaction`.
async fn query_cached(
    transaction: &deadpool_postgres::Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let statement = transaction.prepare_cached(sql).await?;
    transaction.query(&statement, params).await
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
        write_changes(&mut client, &self.workspace, self.workspace_id, changes).await.map_err(|error| self.error(error))
    }

    async fn dependents(&self, path: &str) -> Result<Vec<String>, StoreError> {
        self.query_paths(
            "SELECT DISTINCT source.path FROM thread_edges AS edge
               JOIN thread_paths AS source ON source.id = edge.src
              WHERE edge.dst = (SELECT id FROM thread_paths WHERE workspace = $1 AND path = $2)
              ORDER BY source.path",
            &[&self.workspace_id, &path],
        )
        .await
    }

    async fn users_of(&self, path: &str, name: &str) -> Result<Vec<String>, StoreError> {
        self.query_paths(
            "SELECT DISTINCT source.path FROM thread_edges AS edge
               JOIN thread_paths AS source ON source.id = edge.src
              WHERE edge.dst = (SELECT id FROM thread_paths WHERE workspace = $1 AND path = $2)
                AND (edge.names IS NULL OR edge.names ? $3)
              ORDER BY source.path",
            &[&self.workspace_id, &path, &name],
        )
        .await
    }

    async fn definitions(&self, name: &str) -> Result<Vec<DefinitionSite>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT path.path, definition.name, definition.kind, definition.line, definition.exported
                   FROM thread_definitions AS definition JOIN thread_paths AS path ON path.id = definition.file
                  WHERE path.workspace = $1 AND definition.name = $2",
            )
            .await
            .map_err(|error| self.error(error))?;
        let rows = client.query(&statement, &[&self.workspace_id, &name]).await.map_err(|error| self.error(error))?;
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
        let workspace_id: &(dyn ToSql + Sync) = &self.workspace_id;
        let raw: Vec<rows::RawFile> = transaction
            .query(
                "SELECT path.path, file.lang, file.content, file.size, file.mtime_ns, file.facts
                   FROM thread_paths AS path JOIN thread_files AS file ON file.id = path.id
                  WHERE path.workspace = $1 ORDER BY path.path",
                &[workspace_id],
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
                    "SELECT source.path, target.path, edge.kind, edge.line, edge.names::text
                       FROM thread_paths AS source
                       JOIN thread_edges AS edge ON edge.src = source.id
                       JOIN thread_paths AS target ON target.id = edge.dst
                      WHERE source.workspace = $1 ORDER BY edge.src, edge.seq",
                    &[workspace_id],
                )
                .await
                .map_err(|error| self.error(error))?;
            for row in &edges {
                links.edge(row.get(0), row.get(1), row.get(2), i64::from(row.get::<_, i32>(3)), row.get(4));
            }
            let unresolved = transaction
                .query(
                    "SELECT source.path, unresolved.specifier, unresolved.line, unresolved.external
                       FROM thread_paths AS source JOIN thread_unresolved AS unresolved ON unresolved.src = source.id
                      WHERE source.workspace = $1 ORDER BY unresolved.src, unresolved.seq",
                    &[workspace_id],
                )
                .await
                .map_err(|error| self.error(error))?;
            for row in &unresolved {
                links.unresolved(row.get(0), row.get(1), i64::from(row.get::<_, i32>(2)), row.get(3));
            }
        }

        let project_files = transaction
            .query("SELECT path, text FROM thread_project_files WHERE workspace = $1 ORDER BY path", &[&self.workspace])
            .await
            .map_err(|error| self.error(error))?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        transaction.commit().await.map_err(|error| self.error(error))?;
        Ok(StoredState { files, project_files })
    }
}
