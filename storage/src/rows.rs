//! The relational form of a stored file, shared by the SQL backends: one row per file,
//! edge, unresolved import, definition and call, and the way back from rows to a
//! [`StoredFile`]. Fingerprints are hex text so no backend loses bits in transit.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use thread_engine::store::{ChangeSet, StoredEdge, StoredFile, StoredUnresolved};
use thread_engine::{FileStat, Fingerprint};
use thread_extractors::{ImportKind, Lang, codec};

/// Rows a change set writes above which it is written as a bulk load.
pub(crate) const BULK_ROWS: usize = 50_000;

/// The rows `changes` writes, near enough to choose between a bulk load and row-by-row
/// index upkeep.
pub(crate) fn rows_written(changes: &ChangeSet) -> usize {
    changes
        .upserts
        .iter()
        .map(|file| {
            1 + file.edges.len() + file.unresolved.len() + file.facts.definitions.len() + file.facts.calls.len()
        })
        .sum()
}

/// The `files` row.
pub(crate) struct FileRow<'a> {
    pub(crate) path: &'a str,
    pub(crate) lang: &'static str,
    pub(crate) content: String,
    pub(crate) size: Option<i64>,
    pub(crate) mtime_ns: Option<i64>,
    pub(crate) facts: Vec<u8>,
}

impl<'a> FileRow<'a> {
    pub(crate) fn of(file: &'a StoredFile) -> FileRow<'a> {
        FileRow {
            path: &file.path,
            lang: file.lang.id(),
            content: file.content.to_hex(),
            size: file.stat.map(|stat| i64::try_from(stat.size).unwrap_or(i64::MAX)),
            mtime_ns: file.stat.map(|stat| stat.mtime_ns),
            facts: facts_column(file),
        }
    }
}

/// The `facts` column: the file's facts and, after them, its resolution when it has one
/// (a warm start reuses it; see [`codec::encode_resolution`]).
fn facts_column(file: &StoredFile) -> Vec<u8> {
    let mut bytes = codec::encode(&file.facts);
    if let Some(resolution) = &file.resolution {
        bytes.extend(codec::encode_resolution(resolution));
    }
    bytes
}

/// An `edges` row of a file, without the file; `seq` orders a file's edges.
pub(crate) struct EdgeRow<'a> {
    pub(crate) seq: i64,
    pub(crate) dst: &'a str,
    pub(crate) kind: &'static str,
    pub(crate) line: i64,
    /// A JSON array of names, or `None` when the module is used wholesale.
    pub(crate) names: Option<String>,
}

pub(crate) fn edge_rows(file: &StoredFile) -> impl Iterator<Item = EdgeRow<'_>> {
    file.edges.iter().enumerate().map(move |(seq, edge)| EdgeRow {
        seq: seq as i64,
        dst: &edge.to,
        kind: edge.kind.as_str(),
        line: i64::from(edge.line),
        names: edge.names.as_ref().map(|names| names_json(names)),
    })
}

/// A name list as the JSON array the `names` column holds.
fn names_json(names: &[String]) -> String {
    // A list of strings always serialises; the fallback is never taken.
    serde_json::to_string(names).unwrap_or_else(|_| "[]".to_owned())
}

/// An `unresolved` row.
pub(crate) struct UnresolvedRow<'a> {
    pub(crate) seq: i64,
    pub(crate) specifier: &'a str,
    pub(crate) line: i64,
    pub(crate) external: bool,
}

pub(crate) fn unresolved_rows(file: &StoredFile) -> impl Iterator<Item = UnresolvedRow<'_>> {
    file.unresolved.iter().enumerate().map(move |(seq, unresolved)| UnresolvedRow {
        seq: seq as i64,
        specifier: &unresolved.specifier,
        line: i64::from(unresolved.line),
        external: unresolved.external,
    })
}

/// A `definitions` row, from the facts.
pub(crate) struct DefinitionRow<'a> {
    pub(crate) seq: i64,
    pub(crate) name: &'a str,
    pub(crate) kind: &'static str,
    pub(crate) line: i64,
    pub(crate) exported: bool,
}

pub(crate) fn definition_rows(file: &StoredFile) -> impl Iterator<Item = DefinitionRow<'_>> {
    file.facts.definitions.iter().enumerate().map(move |(seq, definition)| DefinitionRow {
        seq: seq as i64,
        name: &definition.name,
        kind: definition.kind.as_str(),
        line: i64::from(definition.name_span.start.line),
        exported: definition.exported,
    })
}

/// A `calls` row, from the facts: who calls which name where.
pub(crate) struct CallRow<'a> {
    pub(crate) seq: i64,
    pub(crate) callee: &'a str,
    pub(crate) name: &'a str,
    pub(crate) line: i64,
    pub(crate) caller: Option<&'a str>,
}

pub(crate) fn call_rows(file: &StoredFile) -> impl Iterator<Item = CallRow<'_>> {
    file.facts.calls.iter().enumerate().map(move |(seq, call)| CallRow {
        seq: seq as i64,
        callee: &call.callee,
        name: &call.name,
        line: i64::from(call.span.start.line),
        caller: call
            .caller
            .and_then(|index| file.facts.definitions.get(index))
            .map(|definition| definition.name.as_str()),
    })
}

/// Why a row could not be read back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RowError {
    #[error("unknown language {0:?}")]
    Lang(String),
    #[error("malformed fingerprint {0:?}")]
    Fingerprint(String),
    #[error("unknown import kind {0:?}")]
    ImportKind(String),
    #[error("malformed name list {0:?}")]
    Names(String),
    #[error("undecodable facts: {0}")]
    Facts(#[from] codec::DecodeError),
}

/// A `files` row as read, before its facts are decoded.
pub(crate) struct RawFile {
    pub(crate) path: String,
    pub(crate) lang: String,
    pub(crate) content: String,
    pub(crate) stat: (Option<i64>, Option<i64>),
    pub(crate) facts: Vec<u8>,
}

/// Decodes read rows into files. Decoding facts is most of a load's work and needs no
/// connection, so it runs in parallel. A row that cannot be read is skipped with a
/// warning: its file is read again from the workspace instead.
pub(crate) fn decode_files(raw: Vec<RawFile>) -> Vec<StoredFile> {
    raw.into_par_iter()
        .filter_map(|raw| match stored_file(raw.path.clone(), &raw.lang, &raw.content, raw.stat, &raw.facts) {
            Ok(file) => Some(file),
            Err(error) => {
                tracing::warn!(path = %raw.path, %error, "skipping an unreadable stored file");
                None
            }
        })
        .collect()
}

/// Attaches edge and unresolved-import rows, read in any backend, to their files. Rows
/// of files not loaded are ignored; unreadable ones are skipped with a warning.
pub(crate) struct Links<'a> {
    files: &'a mut [StoredFile],
    positions: HashMap<String, usize>,
}

impl<'a> Links<'a> {
    pub(crate) fn new(files: &'a mut [StoredFile]) -> Links<'a> {
        let positions = files.iter().enumerate().map(|(position, file)| (file.path.clone(), position)).collect();
        Links { files, positions }
    }

    fn file(&mut self, src: &str) -> Option<&mut StoredFile> {
        let position = *self.positions.get(src)?;
        self.files.get_mut(position)
    }

    /// An `edges` row.
    pub(crate) fn edge(&mut self, src: &str, dst: String, kind: &str, line: i64, names: Option<&str>) {
        match stored_edge(dst, kind, line, names) {
            Ok(edge) => {
                if let Some(file) = self.file(src) {
                    file.edges.push(edge);
                }
            }
            Err(error) => tracing::warn!(path = %src, %error, "skipping an unreadable stored edge"),
        }
    }

    /// An `unresolved` row.
    pub(crate) fn unresolved(&mut self, src: &str, specifier: String, line: i64, external: bool) {
        if let Some(file) = self.file(src) {
            file.unresolved.push(StoredUnresolved { specifier, line: u32::try_from(line).unwrap_or(0), external });
        }
    }
}

/// A file read back from its `files` row; edges and unresolved imports are added by
/// the caller.
pub(crate) fn stored_file(
    path: String,
    lang: &str,
    content: &str,
    stat: (Option<i64>, Option<i64>),
    facts_column: &[u8],
) -> Result<StoredFile, RowError> {
    let lang = Lang::from_id(lang).ok_or_else(|| RowError::Lang(lang.into()))?;
    let content = Fingerprint::from_hex(content).ok_or_else(|| RowError::Fingerprint(content.into()))?;
    let stat = match stat {
        (Some(size), Some(mtime_ns)) => Some(FileStat { size: u64::try_from(size).unwrap_or(0), mtime_ns }),
        _ => None,
    };
    let (facts, facts_length) = codec::decode_prefix(facts_column)?;
    // A resolution this build would not give (another resolver revision) is left out:
    // the file is resolved again.
    let resolution = match &facts_column[facts_length..] {
        [] => None,
        bytes => codec::decode_resolution(bytes).ok().map(Arc::new),
    };
    Ok(StoredFile {
        path,
        lang,
        content,
        stat,
        facts: Arc::new(facts),
        edges: Vec::new(),
        unresolved: Vec::new(),
        resolution,
    })
}

/// An edge read back from its row.
fn stored_edge(dst: String, kind: &str, line: i64, names: Option<&str>) -> Result<StoredEdge, RowError> {
    let kind = ImportKind::from_name(kind).ok_or_else(|| RowError::ImportKind(kind.into()))?;
    let names = match names {
        None => None,
        Some(json) => Some(serde_json::from_str::<Vec<String>>(json).map_err(|_| RowError::Names(json.into()))?),
    };
    Ok(StoredEdge { to: dst, kind, line: u32::try_from(line).unwrap_or(0), names })
}
