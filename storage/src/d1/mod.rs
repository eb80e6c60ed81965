//! The Cloudflare D1 store, over D1's REST API: one D1 database per workspace, the same
//! schema as the embedded SQLite store (D1 is SQLite), written in a few `json_each`
//! statements per change set (`writes.rs`) and read in pages.
//!
//! - D1 has no interactive transactions; a batch is its unit of atomicity. A change set
//!   that fits one request is one batch; a bigger one is staged and committed by one
//!   batch. Each page of a load is one batch too, so a file's row and its edges are
//!   always read from the same moment.
//! - Fingerprints, facts and 64-bit integers travel as text (hex or JSON) because JSON
//!   numbers above 2^53 lose precision on D1's side.
//! - One writer per database, as with SQLite: the write fence orders one writer's
//!   change sets, and a second writer's older change sets are dropped.

mod client;
mod writes;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use thread_engine::fingerprint::extractors_fingerprint;
use thread_engine::store::{ChangeSet, StoredState};

pub use client::{D1Config, RetryPolicy};

use client::{D1Client, D1Error, RawRows, Statement};
use writes::{D1_SCHEMA, D1_TABLES, EncodedChanges, STALE_WRITE};

use crate::rows::{self, RawFile};
use crate::sqlite_dialect::{
    DEFINITIONS, DEPENDENTS, EDGES_BY_FILE, RECORD_VERSIONS, SCHEMA_VERSION, TABLES, UNRESOLVED_BY_FILE, USERS_OF,
    schema_statements,
};
use crate::{DefinitionSite, Store, StoreError, StoreLimits};

const BACKEND: &str = "d1";

/// Files per page of a load: small enough that a page's response stays a few MB.
const PAGE: usize = 500;

/// A workspace's graph in a Cloudflare D1 database.
pub struct D1Store {
    client: D1Client,
    location: String,
    max_request_bytes: usize,
    /// The newest generation this store has written, or found in the fence.
    last_generation: AtomicI64,
}

impl std::fmt::Debug for D1Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("D1Store").field("location", &self.location).finish_non_exhaustive()
    }
}

impl D1Store {
    /// Connects to the database `config` names, and rebuilds its tables empty when they
    /// were written by another schema or extractor version (or not at all).
    pub async fn connect(config: D1Config) -> Result<D1Store, StoreError> {
        let location = config.location();
        let client =
            D1Client::new(&config).map_err(|message| StoreError::new(BACKEND, format!("{location}: {message}")))?;
        let store = D1Store {
            client,
            location,
            max_request_bytes: config.max_request_bytes,
            last_generation: AtomicI64::new(0),
        };
        let fence = store.migrate().await?;
        store.last_generation.store(fence, Ordering::Relaxed);
        Ok(store)
    }

    /// The database, without credentials: `d1://<account>/<database>`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Drops every table and creates them empty: the next start reads the workspace
    /// again.
    pub async fn rebuild(&self) -> Result<(), StoreError> {
        self.create_tables().await?;
        self.last_generation.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Returns the write fence's generation after making sure the tables are this
    /// build's.
    async fn migrate(&self) -> Result<i64, StoreError> {
        let expected = (SCHEMA_VERSION.to_string(), extractors_fingerprint().to_hex());
        let tables = self
            .raw(vec![Statement::new(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'write_fence', 'stage_chunks')",
                Vec::new(),
            )])
            .await?;
        if first_value(&tables, 0).and_then(Value::as_i64) == Some(3) {
            let stored = self
                .raw(vec![
                    Statement::new("SELECT value FROM meta WHERE key = 'schema_version'", Vec::new()),
                    Statement::new("SELECT value FROM meta WHERE key = 'extractors'", Vec::new()),
                    Statement::new("SELECT CAST(generation AS TEXT) FROM write_fence", Vec::new()),
                ])
                .await?;
            let text = |index| first_value(&stored, index).and_then(Value::as_str).map(str::to_owned);
            if text(0).zip(text(1)) == Some(expected.clone()) {
                return Ok(text(2).and_then(|generation| generation.parse().ok()).unwrap_or(0));
            }
            tracing::info!(location = %self.location, "the D1 database holds another version's index; rebuilding it");
        }
        self.create_tables().await?;
        Ok(0)
    }

    /// One atomic batch: drop every table, create the schema, record the versions.
    async fn create_tables(&self) -> Result<(), StoreError> {
        let expected = (SCHEMA_VERSION.to_string(), extractors_fingerprint().to_hex());
        let mut batch: Vec<Statement> = TABLES
            .iter()
            .chain(D1_TABLES.iter())
            .map(|table| Statement::new(format!("DROP TABLE IF EXISTS {table}"), Vec::new()))
            .collect();
        batch.extend(schema_statements().map(|sql| Statement::new(sql, Vec::new())));
        batch.extend(D1_SCHEMA.iter().map(|sql| Statement::new(*sql, Vec::new())));
        batch.push(Statement::new(RECORD_VERSIONS, vec![Some(expected.0), Some(expected.1)]));
        self.client.execute(&batch).await.map_err(|error| self.error(error))
    }

    /// A generation newer than any this store has written: the clock in nanoseconds,
    /// or one past the last when the clock has not moved on.
    fn next_generation(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let previous = self
            .last_generation
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| Some(now.max(last.saturating_add(1))))
            .unwrap_or(now);
        now.max(previous.saturating_add(1))
    }

    async fn raw(&self, batch: Vec<Statement>) -> Result<Vec<RawRows>, StoreError> {
        self.client.raw(&batch).await.map_err(|error| self.error(error))
    }

    fn error(&self, error: D1Error) -> StoreError {
        /// D1's error codes for a refused statement and a malformed request body.
        const SQL_ERROR: u64 = 7500;
        const MALFORMED_BODY: u64 = 7400;
        match error {
            // D1 ran the SQL, or read the body, and refused what it carries. Other refusals
            // (a wrong token, an unknown database) are about the store, not the change.
            D1Error::Refused { code: SQL_ERROR | MALFORMED_BODY, .. } => {
                StoreError::Refused { backend: BACKEND, message: format!("{}: {error}", self.location) }
            }
            D1Error::Refused { .. } | D1Error::GaveUp { .. } => {
                StoreError::new(BACKEND, format!("{}: {error}", self.location))
            }
        }
    }

    async fn query_paths(&self, sql: &str, params: &[&str]) -> Result<Vec<String>, StoreError> {
        let params = params.iter().map(|param| Some((*param).to_owned())).collect();
        let results = self.raw(vec![Statement::new(sql, params)]).await?;
        Ok(column(&results, 0).iter().map(|row| text(row, 0)).collect())
    }

    /// Reads every file in pages; with `with_links`, each page's edges and unresolved
    /// imports come in the same batch as its files.
    async fn read(&self, with_links: bool) -> Result<StoredState, StoreError> {
        let page_of_files = format!(
            "SELECT files.id FROM files JOIN paths ON paths.id = files.id
              WHERE paths.path > ?1 ORDER BY paths.path LIMIT {PAGE}"
        );
        let mut raw_files = Vec::new();
        let mut edge_rows = Vec::new();
        let mut unresolved_rows = Vec::new();
        let mut cursor = String::new();
        loop {
            let mut batch = vec![Statement::new(
                format!(
                    "SELECT paths.path, lang, content, size, CAST(mtime_ns AS TEXT), hex(facts)
                       FROM files JOIN paths ON paths.id = files.id
                      WHERE paths.path > ?1 ORDER BY paths.path LIMIT {PAGE}"
                ),
                vec![Some(cursor.clone())],
            )];
            if with_links {
                batch.push(Statement::new(
                    format!("{EDGES_BY_FILE} WHERE edges.src IN ({page_of_files}) ORDER BY edges.src, edges.seq"),
                    vec![Some(cursor.clone())],
                ));
                batch.push(Statement::new(
                    format!(
                        "{UNRESOLVED_BY_FILE} WHERE unresolved.src IN ({page_of_files})
                         ORDER BY unresolved.src, unresolved.seq"
                    ),
                    vec![Some(cursor.clone())],
                ));
            }
            let mut results = self.raw(batch).await?.into_iter();
            let files = results.next().unwrap_or_default().rows;
            if with_links {
                edge_rows.extend(results.next().unwrap_or_default().rows);
                unresolved_rows.extend(results.next().unwrap_or_default().rows);
            }
            let full_page = files.len() == PAGE;
            for row in &files {
                match raw_file(row) {
                    Some(file) => {
                        cursor.clone_from(&file.path);
                        raw_files.push(file);
                    }
                    None => tracing::warn!(row = ?row.first(), "skipping an unreadable D1 files row"),
                }
            }
            if !full_page {
                break;
            }
        }
        let mut files = rows::decode_files(raw_files);
        let mut links = rows::Links::new(&mut files);
        for row in &edge_rows {
            links.edge(&text(row, 0), text(row, 1), &text(row, 2), integer(row, 3), row.get(4).and_then(Value::as_str));
        }
        for row in &unresolved_rows {
            links.unresolved(&text(row, 0), text(row, 1), integer(row, 2), integer(row, 3) != 0);
        }
        let project =
            self.raw(vec![Statement::new("SELECT path, text FROM project_files ORDER BY path", Vec::new())]).await?;
        let project_files = column(&project, 0).iter().map(|row| (text(row, 0), text(row, 1))).collect();
        Ok(StoredState { files, project_files })
    }
}

/// A `files` row as read: facts come back as hex, `mtime_ns` as text.
fn raw_file(row: &[Value]) -> Option<RawFile> {
    Some(RawFile {
        path: row.first()?.as_str()?.to_owned(),
        lang: row.get(1)?.as_str()?.to_owned(),
        content: row.get(2)?.as_str()?.to_owned(),
        stat: (row.get(3)?.as_i64(), row.get(4)?.as_str().and_then(|mtime| mtime.parse().ok())),
        facts: hex::decode(row.get(5)?.as_str()?).ok()?,
    })
}

fn column(results: &[RawRows], index: usize) -> &[Vec<Value>] {
    results.get(index).map_or(&[], |result| result.rows.as_slice())
}

fn first_value(results: &[RawRows], index: usize) -> Option<&Value> {
    column(results, index).first().and_then(|row| row.first())
}

fn text(row: &[Value], index: usize) -> String {
    row.get(index).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn integer(row: &[Value], index: usize) -> i64 {
    row.get(index).and_then(Value::as_i64).unwrap_or(0)
}

#[async_trait::async_trait]
impl Store for D1Store {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn limits(&self) -> StoreLimits {
        StoreLimits { max_parameters: 100, max_statement_bytes: 100_000, max_value_bytes: 2_000_000 }
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        let results =
            self.raw(vec![Statement::new("SELECT value FROM meta WHERE key = 'schema_version'", Vec::new())]).await?;
        Ok(first_value(&results, 0).and_then(Value::as_str).and_then(|version| version.parse().ok()).unwrap_or(0))
    }

    fn latest_schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    async fn load(&self) -> Result<StoredState, StoreError> {
        self.read(true).await
    }

    async fn load_for_restore(&self) -> Result<StoredState, StoreError> {
        self.read(false).await
    }

    async fn apply(&self, changes: &ChangeSet) -> Result<(), StoreError> {
        let encoded = EncodedChanges::new(changes, self.limits().max_value_bytes);
        let generation = self.next_generation();
        for request in encoded.requests(generation, self.max_request_bytes) {
            match self.client.execute(&request).await {
                Ok(()) => {}
                // Only a batch that raises the fence can meet it: this change set was
                // applied already (its response was lost) or a newer one was.
                Err(D1Error::Refused { message, .. }) if message.contains(STALE_WRITE) => return Ok(()),
                Err(error) => return Err(self.error(error)),
            }
        }
        Ok(())
    }

    async fn dependents(&self, path: &str) -> Result<Vec<String>, StoreError> {
        self.query_paths(DEPENDENTS, &[path]).await
    }

    async fn users_of(&self, path: &str, name: &str) -> Result<Vec<String>, StoreError> {
        self.query_paths(USERS_OF, &[path, name]).await
    }

    async fn definitions(&self, name: &str) -> Result<Vec<DefinitionSite>, StoreError> {
        let results = self.raw(vec![Statement::new(DEFINITIONS, vec![Some(name.to_owned())])]).await?;
        let mut sites: Vec<DefinitionSite> = column(&results, 0)
            .iter()
            .map(|row| DefinitionSite {
                path: text(row, 0),
                name: text(row, 1),
                kind: text(row, 2),
                line: u32::try_from(integer(row, 3)).unwrap_or(0),
                exported: integer(row, 4) != 0,
            })
            .collect();
        sites.sort();
        Ok(sites)
    }
}
