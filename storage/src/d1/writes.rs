//! A change set as D1 requests. Rows travel as JSON text, a chunk of rows per bound
//! parameter, expanded server-side by `json_each`: a handful of statements per change
//! set whatever its size, each under D1's limits.
//!
//! - A change set that fits one request is one atomic batch: the write fence, the
//!   deletes of the replaced files' rows, then the inserts.
//! - A bigger one is staged: its chunks are stored in `stage_chunks` over as many
//!   requests as they need, then one commit batch moves them into the tables. The
//!   tables change all at once or not at all, as on the other stores.
//! - A bulk commit drops the secondary indexes and builds them again after the
//!   inserts, inside the same batch, as the SQLite store does.
//! - Rows are expanded with `jsonb_each`, which parses a chunk once; `json_each` would
//!   parse each row's text again for every column taken from it.
//! - Every batch that touches the tables starts by raising the write fence to this
//!   change set's generation. A request that arrives late, after a newer one or after
//!   its own replay, is refused by the fence's trigger, so a retry can never bring
//!   back old rows.

use rustc_hash::FxHashSet;
use serde_json::{Value, json};
use thread_engine::store::{ChangeSet, StoredFile};

use super::client::Statement;
use crate::rows::{self, FileRow};
use crate::rows::{BULK_ROWS, rows_written};
use crate::sqlite_dialect::{
    FILE_TABLES, FORGET_UNUSED_PATHS, VALUES_IN_JSON, delete_rows_of_files, ids_of_paths, note_path_candidates,
    path_id, secondary_indexes,
};

/// D1-only tables: the write fence and the staging area for big change sets.
pub(crate) const D1_SCHEMA: [&str; 4] = [
    "CREATE TABLE write_fence (id INTEGER PRIMARY KEY CHECK (id = 0), generation INTEGER NOT NULL) STRICT",
    "INSERT INTO write_fence (id, generation) VALUES (0, 0)",
    // RAISE aborts the statement, so D1 rolls back the whole batch it is in.
    "CREATE TRIGGER write_fence_moves_forward BEFORE UPDATE ON write_fence
     WHEN NEW.generation <= OLD.generation
     BEGIN SELECT RAISE(ABORT, 'thread: stale write'); END",
    "CREATE TABLE stage_chunks (
         generation INTEGER NOT NULL,
         tbl TEXT NOT NULL,
         seq INTEGER NOT NULL,
         payload TEXT NOT NULL,
         PRIMARY KEY (generation, tbl, seq)
     ) STRICT",
];

/// The tables of [`D1_SCHEMA`], for dropping them on a rebuild.
pub(crate) const D1_TABLES: [&str; 2] = ["write_fence", "stage_chunks"];

/// What D1's trigger says when a late request meets a newer generation.
pub(crate) const STALE_WRITE: &str = "thread: stale write";

/// Bytes kept free in a chunk for the other columns of its `stage_chunks` row.
const ROW_OVERHEAD: usize = 1024;

/// The rows a change set writes, by what they become.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Paths whose old rows are deleted: removed and upserted files.
    Replaced,
    /// Every distinct path the new rows name, given an id before the rows come in.
    Paths,
    Files,
    Edges,
    Unresolved,
    Definitions,
    Calls,
    ProjectFiles,
}

/// Where a statement reads a target's rows, one JSON array per `row.value`: a `FROM`
/// clause and the condition that goes with it.
struct RowSource {
    from: String,
    filter: String,
}

impl Target {
    const ALL: [Target; 8] = [
        Target::Replaced,
        Target::Paths,
        Target::Files,
        Target::Edges,
        Target::Unresolved,
        Target::Definitions,
        Target::Calls,
        Target::ProjectFiles,
    ];

    fn name(self) -> &'static str {
        match self {
            Target::Replaced => "replaced",
            Target::Paths => "paths",
            Target::Files => "files",
            Target::Edges => "edges",
            Target::Unresolved => "unresolved",
            Target::Definitions => "definitions",
            Target::Calls => "calls",
            Target::ProjectFiles => "project_files",
        }
    }

    /// The statement that inserts this target's rows from `source`, if it has any.
    ///
    /// The rows of a file's edges, unresolved imports, definitions and calls travel
    /// together as `[path, [row, ...]]`: the file's id is looked up once per file, not
    /// once per row.
    fn insert(self, source: &RowSource) -> Option<String> {
        let RowSource { from, filter } = source;
        let item = |index: usize| format!("item.value->>{index}");
        let of_each_file = |table: &str, columns: &str, values: Vec<String>| {
            format!(
                "INSERT INTO {table} ({columns}) SELECT file.id, {} FROM {from}
                   JOIN paths AS file ON file.path = row.value->>0, jsonb_each(row.value->1) AS item
                 WHERE {filter}",
                values.join(", ")
            )
        };
        Some(match self {
            Target::Replaced => return None,
            Target::Paths => format!("INSERT OR IGNORE INTO paths (path) SELECT row.value FROM {from} WHERE {filter}"),
            Target::Files => format!(
                "INSERT INTO files (id, lang, content, size, mtime_ns, facts)
                 SELECT file.id, row.value->>1, row.value->>2, row.value->>3, row.value->>4, unhex(row.value->>5)
                   FROM {from} JOIN paths AS file ON file.path = row.value->>0
                  WHERE {filter}"
            ),
            Target::Edges => of_each_file(
                "edges",
                "src, seq, dst, kind, line, names",
                vec![item(0), path_id(&item(1)), item(2), item(3), item(4)],
            ),
            Target::Unresolved => of_each_file(
                "unresolved",
                "src, seq, specifier, line, external",
                vec![item(0), item(1), item(2), item(3)],
            ),
            Target::Definitions => of_each_file(
                "definitions",
                "file, seq, name, kind, line, exported",
                vec![item(0), item(1), item(2), item(3), item(4)],
            ),
            Target::Calls => of_each_file(
                "calls",
                "file, seq, callee, name, line, caller",
                vec![item(0), item(1), item(2), item(3), item(4)],
            ),
            Target::ProjectFiles => format!(
                "INSERT INTO project_files (path, text) SELECT row.value->>0, row.value->>1 FROM {from} WHERE {filter}"
            ),
        })
    }
}

/// A change set's rows, packed into JSON chunks that each fit one bound value.
pub(crate) struct EncodedChanges {
    chunks: Vec<(Target, String)>,
    /// Big enough that the commit rebuilds the secondary indexes instead of updating
    /// them row by row.
    bulk: bool,
}

impl EncodedChanges {
    pub(crate) fn new(changes: &ChangeSet, max_value_bytes: usize) -> EncodedChanges {
        // D1's value limit is also its row limit: leave room for the rest of a staged
        // chunk's row (generation, table, sequence number).
        let chunk_limit = max_value_bytes.saturating_sub(ROW_OVERHEAD);
        let mut rows: Vec<(Target, String)> = Vec::new();
        for path in changes.removals.iter().chain(changes.upserts.iter().map(|file| &file.path)) {
            rows.push((Target::Replaced, Value::from(path.as_str()).to_string()));
        }
        let mut named: FxHashSet<&str> = FxHashSet::default();
        // In path order, which is id order for new paths: each table's primary key then
        // grows at its end.
        let mut upserts: Vec<&StoredFile> = changes.upserts.iter().collect();
        upserts.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        for file in upserts {
            let file_rows = file_rows(file);
            // Left out, its old rows still deleted: the store never keeps a stale copy,
            // and the file is read from the workspace again on the next start.
            if file_rows.iter().any(|(_, row)| row.len() > chunk_limit) {
                tracing::warn!(path = %file.path, "a row of this file is larger than D1 stores; it is not saved");
                continue;
            }
            rows.extend(file_rows);
            named.insert(&file.path);
            named.extend(file.edges.iter().map(|edge| edge.to.as_str()));
        }
        let mut named: Vec<&str> = named.into_iter().collect();
        named.sort_unstable();
        rows.extend(named.into_iter().map(|path| (Target::Paths, Value::from(path).to_string())));
        for (path, text) in &changes.project_files {
            let row = json!([path, text]).to_string();
            if row.len() > chunk_limit {
                tracing::warn!(%path, "this project file is larger than D1 stores; it is not saved");
                continue;
            }
            rows.push((Target::ProjectFiles, row));
        }
        let mut chunks = Vec::new();
        for target in Target::ALL {
            let mut chunk = String::new();
            for (_, row) in rows.iter().filter(|(row_target, _)| *row_target == target) {
                if !chunk.is_empty() && chunk.len() + row.len() + 2 > chunk_limit {
                    chunks.push((target, close(chunk)));
                    chunk = String::new();
                }
                chunk.push(if chunk.is_empty() { '[' } else { ',' });
                chunk.push_str(row);
            }
            if !chunk.is_empty() {
                chunks.push((target, close(chunk)));
            }
        }
        EncodedChanges { chunks, bulk: rows_written(changes) >= BULK_ROWS }
    }

    /// The requests that apply these changes as `generation`: one batch when they fit
    /// `budget` bytes, else staging requests and a commit batch.
    pub(crate) fn requests(&self, generation: i64, budget: usize) -> Vec<Vec<Statement>> {
        let direct = self.direct_batch(generation);
        if direct.iter().map(Statement::weight).sum::<usize>() <= budget {
            return vec![direct];
        }
        let mut requests: Vec<Vec<Statement>> = vec![vec![Statement::new("DELETE FROM stage_chunks", Vec::new())]];
        for (seq, (target, chunk)) in self.chunks.iter().enumerate() {
            let statement = Statement::new(
                "INSERT OR REPLACE INTO stage_chunks (generation, tbl, seq, payload)
                 VALUES (CAST(?1 AS INTEGER), ?2, CAST(?3 AS INTEGER), ?4)",
                vec![
                    Some(generation.to_string()),
                    Some(target.name().to_owned()),
                    Some(seq.to_string()),
                    Some(chunk.clone()),
                ],
            );
            let current = requests.last().map_or(0, |request| request.iter().map(Statement::weight).sum::<usize>());
            match requests.last_mut() {
                Some(request) if current + statement.weight() <= budget => request.push(statement),
                _ => requests.push(vec![statement]),
            }
        }
        requests.push(self.commit_batch(generation));
        requests
    }

    /// Everything in one batch, each chunk bound as a parameter.
    fn direct_batch(&self, generation: i64) -> Vec<Statement> {
        let mut batch = vec![fence(generation)];
        let replaced = || self.chunks.iter().filter(|(target, _)| *target == Target::Replaced);
        let replaced_ids = ids_of_paths(VALUES_IN_JSON);
        for (_, chunk) in replaced() {
            batch.push(Statement::new(note_path_candidates(&replaced_ids), vec![Some(chunk.clone())]));
            for (table, column) in FILE_TABLES {
                batch.push(Statement::new(
                    delete_rows_of_files(table, column, &replaced_ids),
                    vec![Some(chunk.clone())],
                ));
            }
        }
        batch.push(Statement::new("DELETE FROM project_files", Vec::new()));
        let source = RowSource { from: "jsonb_each(?1) AS row".to_owned(), filter: "1".to_owned() };
        for (target, chunk) in &self.chunks {
            if let Some(sql) = target.insert(&source) {
                batch.push(Statement::new(sql, vec![Some(chunk.clone())]));
            }
        }
        batch.extend(FORGET_UNUSED_PATHS.map(|forget| Statement::new(forget, Vec::new())));
        batch
    }

    /// Moves the staged chunks of `generation` into the tables, and clears the stage.
    fn commit_batch(&self, generation: i64) -> Vec<Statement> {
        let staged = |target: Target| RowSource {
            from: "stage_chunks AS chunk, jsonb_each(chunk.payload) AS row".to_owned(),
            filter: format!("chunk.tbl = '{}' AND chunk.generation = CAST(?1 AS INTEGER)", target.name()),
        };
        let generation_param = || vec![Some(generation.to_string())];
        let RowSource { from, filter } = staged(Target::Replaced);
        let replaced = ids_of_paths(&format!("SELECT row.value FROM {from} WHERE {filter}"));
        let mut batch = vec![fence(generation), Statement::new(note_path_candidates(&replaced), generation_param())];
        for (table, column) in FILE_TABLES {
            batch.push(Statement::new(delete_rows_of_files(table, column, &replaced), generation_param()));
        }
        batch.push(Statement::new("DELETE FROM project_files", Vec::new()));
        if self.bulk {
            batch.extend(secondary_indexes().map(|(name, _)| Statement::new(format!("DROP INDEX {name}"), Vec::new())));
        }
        for target in Target::ALL {
            if let Some(sql) = target.insert(&staged(target)) {
                batch.push(Statement::new(sql, generation_param()));
            }
        }
        if self.bulk {
            batch.extend(secondary_indexes().map(|(_, create)| Statement::new(create, Vec::new())));
        }
        batch.extend(FORGET_UNUSED_PATHS.map(|forget| Statement::new(forget, Vec::new())));
        batch.push(Statement::new("DELETE FROM stage_chunks", Vec::new()));
        batch
    }
}

fn close(mut chunk: String) -> String {
    chunk.push(']');
    chunk
}

/// Raises the write fence to `generation`; fails, and so aborts its batch, unless
/// `generation` is newer than every change set applied before.
fn fence(generation: i64) -> Statement {
    Statement::new(
        "UPDATE write_fence SET generation = CAST(?1 AS INTEGER) WHERE id = 0",
        vec![Some(generation.to_string())],
    )
}

/// One file's rows as JSON arrays, in the column order of [`Target::insert`]: its
/// `files` row, and its rows of each other table grouped under its path.
fn file_rows(file: &StoredFile) -> Vec<(Target, String)> {
    let row = FileRow::of(file);
    let mut encoded = vec![(
        Target::Files,
        json!([row.path, row.lang, row.content, row.size, row.mtime_ns, hex::encode(&row.facts)]).to_string(),
    )];
    let mut group = |target: Target, rows: Vec<Value>| {
        if !rows.is_empty() {
            encoded.push((target, json!([file.path, rows]).to_string()));
        }
    };
    group(
        Target::Edges,
        rows::edge_rows(file).map(|edge| json!([edge.seq, edge.dst, edge.kind, edge.line, edge.names])).collect(),
    );
    group(
        Target::Unresolved,
        rows::unresolved_rows(file)
            .map(|row| json!([row.seq, row.specifier, row.line, i64::from(row.external)]))
            .collect(),
    );
    group(
        Target::Definitions,
        rows::definition_rows(file)
            .map(|row| json!([row.seq, row.name, row.kind, row.line, i64::from(row.exported)]))
            .collect(),
    );
    group(
        Target::Calls,
        rows::call_rows(file).map(|row| json!([row.seq, row.callee, row.name, row.line, row.caller])).collect(),
    );
    encoded
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use thread_engine::store::{ChangeSet, StoredEdge, StoredFile};
    use thread_engine::{FileStat, Fingerprint};
    use thread_extractors::{FileFacts, ImportKind, Lang};

    use super::{EncodedChanges, ROW_OVERHEAD};

    fn change_set(files: usize) -> ChangeSet {
        let upserts = (0..files)
            .map(|index| StoredFile {
                path: format!("src/{index}.py"),
                lang: Lang::Python,
                content: Fingerprint::of_bytes(&index.to_le_bytes()),
                stat: Some(FileStat { size: 10, mtime_ns: 1_700_000_000_000_000_000 }),
                facts: Arc::new(FileFacts::default()),
                edges: (0..20)
                    .map(|edge| StoredEdge {
                        to: format!("src/{}.py", (index + edge) % files),
                        kind: ImportKind::Import,
                        line: 1,
                        names: Some(vec!["a_rather_long_imported_name".to_owned()]),
                    })
                    .collect(),
                unresolved: Vec::new(),
                resolution: None,
            })
            .collect();
        ChangeSet { upserts, removals: vec!["gone.py".to_owned()], project_files: Vec::new() }
    }

    #[test]
    fn chunks_and_requests_stay_under_d1s_limits() {
        let max_value = 20_000;
        let budget = 50_000;
        let encoded = EncodedChanges::new(&change_set(300), max_value);
        for (_, chunk) in &encoded.chunks {
            assert!(chunk.len() <= max_value - ROW_OVERHEAD, "{}", chunk.len());
            assert!(serde_json::from_str::<serde_json::Value>(chunk).is_ok_and(|value| value.is_array()));
        }
        let requests = encoded.requests(1, budget);
        assert!(requests.len() > 2, "staged: {}", requests.len());
        for request in &requests {
            let weight: usize = request.iter().map(|statement| statement.weight()).sum();
            assert!(weight <= budget || request.len() == 1, "{weight}");
            for statement in request {
                assert!(statement.params.len() <= 100 && statement.sql.len() <= 100_000);
            }
        }
        let direct = EncodedChanges::new(&change_set(3), max_value).requests(1, budget);
        assert_eq!(direct.len(), 1, "a small change set is one request");
    }
}
