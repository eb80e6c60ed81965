//! The open documents, as the editor last sent them, and the conversion between the
//! editor's positions (UTF-16 code units by default, UTF-8 bytes when negotiated) and
//! the byte columns the facts carry.
//!
//! The store is mutated synchronously in the notification handlers, before any
//! `.await`, so a request sent right after a `didChange` always sees the new text. The
//! analysis takes the whole store at once ([`Documents::current`]): the texts it
//! analyses and the generation it reports are one consistent state, and the snapshot it
//! publishes carries them, so requests and diagnostics convert positions with the text
//! the facts came from.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

/// How the editor counts columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-16 code units: the protocol's default.
    Utf16,
    /// UTF-8 bytes, when the client offers it.
    Utf8,
}

/// One open document.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    /// The text as the editor has it, saved or not.
    pub(crate) text: Arc<str>,
    /// The editor's version of it.
    pub(crate) version: i32,
}

impl Document {
    /// Whether `other` is this very text and version (texts are compared by identity:
    /// every change makes a new one).
    fn same_as(&self, other: &Document) -> bool {
        self.version == other.version && Arc::ptr_eq(&self.text, &other.text)
    }
}

/// The open documents by workspace-relative path, as they were after some number of
/// opens, changes and closes: the live store's current state, or what one analysis took
/// in. Immutable once shared.
#[derive(Clone, Debug, Default)]
pub(crate) struct OpenDocuments {
    by_path: HashMap<String, Document>,
    /// How many opens, changes and closes led here: a request waits until the analysis
    /// has taken in the count it saw, so it reads what was edited before it.
    generation: u64,
}

impl OpenDocuments {
    pub(crate) fn get(&self, path: &str) -> Option<&Document> {
        self.by_path.get(path)
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_path.keys().map(String::as_str)
    }

    /// The text positions are computed in: the editor's for open files, else the disk's
    /// (a blocking read: call it off the async runtime).
    pub(crate) fn text(&self, root: &std::path::Path, path: &str) -> Arc<str> {
        match self.get(path) {
            // Shared, not copied: a large file's text is read several times per edit.
            Some(document) => Arc::clone(&document.text),
            None => std::fs::read(root.join(path))
                .map(|bytes| Arc::from(String::from_utf8_lossy(&bytes)))
                .unwrap_or_else(|_| Arc::from("")),
        }
    }

    /// These documents, but with `older`'s entry (or none) for each of `paths`.
    pub(crate) fn keeping(&self, older: &OpenDocuments, paths: &BTreeSet<String>) -> OpenDocuments {
        let mut kept = self.clone();
        for path in paths {
            match older.get(path) {
                Some(document) => kept.by_path.insert(path.clone(), document.clone()),
                None => kept.by_path.remove(path),
            };
        }
        kept
    }

    /// The paths whose document differs between `self` and `newer`: opened or changed
    /// (`newer` has another text or version), and closed (only `self` has them).
    pub(crate) fn differences(&self, newer: &OpenDocuments) -> (BTreeSet<String>, BTreeSet<String>) {
        let changed = newer
            .by_path
            .iter()
            .filter(|(path, document)| self.get(path).is_none_or(|old| !old.same_as(document)))
            .map(|(path, _)| path.clone())
            .collect();
        let closed = self.by_path.keys().filter(|path| newer.get(path).is_none()).cloned().collect();
        (changed, closed)
    }
}

/// The live store of open documents, changed by the notification handlers. Each change
/// makes a new [`OpenDocuments`] with the next generation, under one lock, so a reader
/// always gets texts and their generation together.
#[derive(Debug, Default)]
pub(crate) struct Documents {
    current: Mutex<Arc<OpenDocuments>>,
}

/// What went wrong applying a change; the document keeps its text.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ChangeError {
    /// A change for a document the editor never opened.
    #[error("{0} is not open")]
    NotOpen(String),
}

impl Documents {
    fn locked(&self) -> std::sync::MutexGuard<'_, Arc<OpenDocuments>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The open documents now, with their generation.
    pub(crate) fn current(&self) -> Arc<OpenDocuments> {
        Arc::clone(&self.locked())
    }

    /// How many opens, changes and closes there have been.
    pub(crate) fn generation(&self) -> u64 {
        self.locked().generation
    }

    /// The editor's version of `path`, if it is open.
    pub(crate) fn version(&self, path: &str) -> Option<i32> {
        self.locked().get(path).map(|document| document.version)
    }

    pub(crate) fn is_open(&self, path: &str) -> bool {
        self.locked().get(path).is_some()
    }

    pub(crate) fn open(&self, path: &str, text: String, version: i32) {
        let document = Document { text: text.into(), version };
        next_generation(&mut self.locked()).by_path.insert(path.to_owned(), document);
    }

    pub(crate) fn close(&self, path: &str) {
        next_generation(&mut self.locked()).by_path.remove(path);
    }

    /// Applies the editor's changes in order. A range past the end of a line or of the
    /// document is clamped to it, as the protocol asks; the count of clamped positions
    /// is returned so the caller can warn.
    pub(crate) fn change(
        &self,
        path: &str,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) -> Result<usize, ChangeError> {
        let mut current = self.locked();
        let document = current.get(path).ok_or_else(|| ChangeError::NotOpen(path.to_owned()))?;
        let mut text = document.text.to_string();
        let mut clamped = 0;
        for change in changes {
            match change.range {
                None => text = change.text,
                Some(range) => {
                    let (start, start_clamped) = byte_offset(&text, range.start, encoding);
                    let (end, end_clamped) = byte_offset(&text, range.end, encoding);
                    clamped += usize::from(start_clamped) + usize::from(end_clamped);
                    let (start, end) = (start.min(end), start.max(end));
                    text.replace_range(start..end, &change.text);
                }
            }
        }
        next_generation(&mut current).by_path.insert(path.to_owned(), Document { text: text.into(), version });
        Ok(clamped)
    }
}

/// `current` made the next generation, to be changed: snapshots taken before keep their
/// own copy (the map holds a few shared texts, so copying is cheap).
fn next_generation(current: &mut Arc<OpenDocuments>) -> &mut OpenDocuments {
    let documents = Arc::make_mut(current);
    documents.generation += 1;
    documents
}

/// The byte offset of `position` in `text`, and whether it had to be clamped into the
/// text. Columns inside a multi-byte character move to its start.
pub(crate) fn byte_offset(text: &str, position: Position, encoding: Encoding) -> (usize, bool) {
    let mut line_start = 0;
    for _ in 0..position.line {
        match text[line_start..].find('\n') {
            Some(end) => line_start += end + 1,
            None => return (text.len(), true),
        }
    }
    let line_end = text[line_start..].find('\n').map_or(text.len(), |end| line_start + end);
    let line = &text[line_start..line_end];
    let wanted = position.character as usize;
    let mut units = 0;
    for (offset, character) in line.char_indices() {
        if units >= wanted {
            return (line_start + offset, false);
        }
        units += match encoding {
            Encoding::Utf16 => character.len_utf16(),
            Encoding::Utf8 => character.len_utf8(),
        };
        if units > wanted {
            return (line_start + offset, false);
        }
    }
    (line_end, units < wanted)
}

/// The editor's position for a zero-based line and UTF-8 byte column of `text`.
pub(crate) fn position(text: &str, line: u32, byte_column: u32, encoding: Encoding) -> Position {
    let line_text = text.split('\n').nth(line as usize).unwrap_or("");
    position_in_line(line_text, line, byte_column, encoding)
}

fn position_in_line(line_text: &str, line: u32, byte_column: u32, encoding: Encoding) -> Position {
    let mut end = (byte_column as usize).min(line_text.len());
    while !line_text.is_char_boundary(end) {
        end -= 1;
    }
    let character = match encoding {
        Encoding::Utf8 => end,
        Encoding::Utf16 => line_text[..end].chars().map(char::len_utf16).sum(),
    };
    Position { line, character: u32::try_from(character).unwrap_or(u32::MAX) }
}

/// The editor's position of a point of `text` known by line, byte column and byte
/// offset. When the offset minus the column is the start of a line (the text is the one
/// the point was taken from), only that line is read; otherwise the line is counted
/// from the top, as [`position`] does. Large files have thousands of diagnostics' and
/// uses' points, so this is what keeps their conversion linear.
fn position_of(text: &str, point: thread_extractors::Position, byte: u32, encoding: Encoding) -> Position {
    let start = (byte as usize).checked_sub(point.column as usize);
    if let Some(start) = start
        && start <= text.len()
        && text.is_char_boundary(start)
        && (if start == 0 { point.line == 0 } else { text.as_bytes()[start - 1] == b'\n' })
    {
        let rest = &text[start..];
        let line_text = &rest[..rest.find('\n').unwrap_or(rest.len())];
        return position_in_line(line_text, point.line, point.column, encoding);
    }
    position(text, point.line, point.column, encoding)
}

/// The editor's range for a span of `text`.
pub(crate) fn range(text: &str, span: &thread_extractors::Span, encoding: Encoding) -> Range {
    Range {
        start: position_of(text, span.start, span.start_byte, encoding),
        end: position_of(text, span.end, span.end_byte, encoding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_or_bytes() {
        let text = "a = 'ж😀'\nb = 1\n";
        // The closing quote: byte 11 (ж is 2 bytes, 😀 is 4), UTF-16 unit 8 (😀 is 2).
        let quote = text.find("'\n").expect("closing quote") as u32;
        assert_eq!(position(text, 0, quote, Encoding::Utf16), Position { line: 0, character: 8 });
        assert_eq!(position(text, 0, quote, Encoding::Utf8), Position { line: 0, character: quote });
        assert_eq!(byte_offset(text, Position { line: 0, character: 8 }, Encoding::Utf16), (quote as usize, false));
        assert_eq!(byte_offset(text, Position { line: 1, character: 99 }, Encoding::Utf16), (text.len() - 1, true));
        assert_eq!(byte_offset(text, Position { line: 9, character: 0 }, Encoding::Utf16), (text.len(), true));
        // A span's range: from its byte offsets when they fit the text, else by lines.
        let at = |line, column| thread_extractors::Position { line, column };
        let span = thread_extractors::Span { start: at(1, 0), end: at(1, 1), start_byte: 13, end_byte: 14 };
        assert_eq!(range(text, &span, Encoding::Utf16).start, Position { line: 1, character: 0 });
        let stale = thread_extractors::Span { start_byte: 3, end_byte: 4, ..span };
        assert_eq!(range(text, &stale, Encoding::Utf16).start, Position { line: 1, character: 0 });
    }

    #[test]
    fn incremental_changes_apply_in_order_and_clamp() {
        let documents = Documents::default();
        documents.open("a.py", "héllo\nworld\n".to_owned(), 0);
        let edit = |line, start, end, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range { start: Position { line, character: start }, end: Position { line, character: end } }),
            range_length: None,
            text: text.to_owned(),
        };
        let clamped = documents
            .change("a.py", 1, vec![edit(0, 1, 2, "e"), edit(1, 5, 5, "!"), edit(7, 0, 0, "tail")], Encoding::Utf16)
            .expect("open");
        assert_eq!(&*documents.current().get("a.py").expect("open").text, "hello\nworld!\ntail");
        assert_eq!(clamped, 2);
        assert!(documents.change("b.py", 1, Vec::new(), Encoding::Utf16).is_err());
    }
}
