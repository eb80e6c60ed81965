//! The open documents, as the editor last sent them, and the conversion between the
//! editor's positions (UTF-16 code units by default, UTF-8 bytes when negotiated) and
//! the byte columns the facts carry.
//!
//! The store is mutated synchronously in the notification handlers, before any
//! `.await`, so a request sent right after a `didChange` always sees the new text.

use std::collections::HashMap;
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

/// The open documents by workspace-relative path.
#[derive(Debug, Default)]
pub(crate) struct Documents {
    open: Mutex<HashMap<String, Document>>,
    /// Counts every open, change and close: a request waits until the analysis has
    /// taken in the count it saw, so it reads what was edited before it.
    generation: std::sync::atomic::AtomicU64,
}

/// What went wrong applying a change; the document keeps its text.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ChangeError {
    /// A change for a document the editor never opened.
    #[error("{0} is not open")]
    NotOpen(String),
}

impl Documents {
    fn open_documents(&self) -> std::sync::MutexGuard<'_, HashMap<String, Document>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many opens, changes and closes there have been.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn open(&self, path: &str, text: String, version: i32) {
        self.open_documents().insert(path.to_owned(), Document { text: text.into(), version });
        self.bump();
    }

    pub(crate) fn close(&self, path: &str) {
        self.open_documents().remove(path);
        self.bump();
    }

    /// The paths of every open document.
    pub(crate) fn paths(&self) -> Vec<String> {
        self.open_documents().keys().cloned().collect()
    }

    /// The text positions are computed in: the editor's for open files, else the disk's.
    pub(crate) fn text(&self, root: &std::path::Path, path: &str) -> Arc<str> {
        match self.get(path) {
            // Shared, not copied: a large file's text is read several times per edit.
            Some(document) => document.text,
            None => std::fs::read(root.join(path))
                .map(|bytes| Arc::from(String::from_utf8_lossy(&bytes)))
                .unwrap_or_else(|_| Arc::from("")),
        }
    }

    pub(crate) fn get(&self, path: &str) -> Option<Document> {
        self.open_documents().get(path).cloned()
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
        let mut open = self.open_documents();
        let document = open.get_mut(path).ok_or_else(|| ChangeError::NotOpen(path.to_owned()))?;
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
        document.text = text.into();
        document.version = version;
        drop(open);
        self.bump();
        Ok(clamped)
    }
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
        assert_eq!(&*documents.get("a.py").expect("open").text, "hello\nworld!\ntail");
        assert_eq!(clamped, 2);
        assert!(documents.change("b.py", 1, Vec::new(), Encoding::Utf16).is_err());
    }
}
