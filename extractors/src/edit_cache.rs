//! Extraction of a file's next version from what its last version left behind.
//!
//! An editor sends a file again on every keystroke. Parsing it from scratch and querying
//! every item costs milliseconds per hundred kilobytes; the edit usually touches one
//! item. [`EditCache`] keeps, for the files extracted most recently, their text, their
//! tree and their pieces (the facts of each top-level item, see [`crate::pieces`]). The
//! next version of such a file is parsed incrementally from the old tree, edited by the
//! difference between the two texts, and only the items whose text changed are queried.
//! The facts are exactly those [`crate::extract()`] finds, which a property test checks.

use std::sync::{Mutex, PoisonError};

use tree_sitter::{InputEdit, Point, Tree};

use crate::ExtractError;
use crate::extract::{assemble, parse};
use crate::facts::FileFacts;
use crate::lang::Lang;
use crate::pieces::Pieces;
use crate::queries::compiled;

/// What one file's last extraction left behind.
struct Kept {
    path: String,
    lang: Lang,
    source: Vec<u8>,
    tree: Tree,
    /// The pieces, once the file has been extracted twice: a file extracted once (most
    /// files of a cold index) is not worth copying its facts for.
    pieces: Option<Pieces>,
}

/// The trees and pieces of the files extracted most recently. Shared by threads: each
/// extraction takes its file's entry out, and puts the new one back.
pub struct EditCache {
    recent: Mutex<Vec<Kept>>,
    capacity: usize,
}

impl EditCache {
    /// A cache of the last `capacity` files. The file being typed in is always the most
    /// recent, so a few entries suffice.
    pub fn new(capacity: usize) -> EditCache {
        EditCache { recent: Mutex::new(Vec::new()), capacity: capacity.max(1) }
    }

    /// The facts of `source`, the new content of `path` in `lang`: the same as
    /// [`crate::extract()`]'s, computed from the file's previous version when it is kept.
    pub fn extract(&self, path: &str, lang: Lang, source: &[u8]) -> Result<FileFacts, ExtractError> {
        // Kept texts, diffs and trees are all of the text the grammar is given.
        let rewritten = lang.rewrite_for_grammar(source);
        let source = rewritten.as_deref().unwrap_or(source);
        let queries = compiled(lang)?;
        let (tree, mut pieces) = match self.take(path, lang) {
            Some(mut kept) => {
                // Error recovery depends on what was reused: a tree with errors is parsed
                // again from scratch, so the facts never depend on the edit history. An
                // old tree with errors is not worth reusing, since the new one would
                // most likely have them too.
                let tree = if kept.tree.root_node().has_error() {
                    parse(lang, source, None)?
                } else {
                    kept.tree.edit(&edit_between(&kept.source, source));
                    let tree = parse(lang, source, Some(&kept.tree))?;
                    if tree.root_node().has_error() { parse(lang, source, None)? } else { tree }
                };
                (tree, Some(kept.pieces.unwrap_or_default()))
            }
            None => (parse(lang, source, None)?, None),
        };
        let facts = assemble(lang, queries, &tree, source, pieces.as_mut());
        self.keep(Kept { path: path.to_owned(), lang, source: source.to_vec(), tree, pieces });
        Ok(facts)
    }

    fn take(&self, path: &str, lang: Lang) -> Option<Kept> {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let position = recent.iter().position(|kept| kept.path == path && kept.lang == lang)?;
        Some(recent.remove(position))
    }

    fn keep(&self, kept: Kept) {
        let evicted = {
            let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
            // Another thread may have put a newer version of the same file meanwhile.
            recent.retain(|other| !(other.path == kept.path && other.lang == kept.lang));
            recent.push(kept);
            let excess = recent.len().saturating_sub(self.capacity);
            recent.drain(..excess).collect::<Vec<_>>()
        };
        // Trees are freed outside the lock.
        drop(evicted);
    }
}

impl std::fmt::Debug for EditCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("EditCache")
            .field("files", &recent.iter().map(|kept| kept.path.as_str()).collect::<Vec<_>>())
            .field("capacity", &self.capacity)
            .finish()
    }
}

/// The single edit that turns `old` into `new`: everything between their common prefix
/// and their common suffix was replaced. A burst of keystrokes the analysis takes in at
/// once becomes one edit spanning them, which is as correct and barely slower.
fn edit_between(old: &[u8], new: &[u8]) -> InputEdit {
    let mut prefix = common_prefix(old, new);
    let most = old.len().min(new.len()) - prefix;
    let mut suffix = common_suffix(&old[old.len() - most..], &new[new.len() - most..]);
    // Keep both ends on character boundaries. tree-sitter re-lexes from node boundaries
    // anyway; this only keeps the edit's points meaningful as columns.
    while prefix > 0 && new.get(prefix).is_some_and(|byte| is_continuation(*byte)) {
        prefix -= 1;
    }
    while suffix > 0 && new.get(new.len() - suffix).is_some_and(|byte| is_continuation(*byte)) {
        suffix -= 1;
    }
    let start_position = point_at(old, prefix);
    InputEdit {
        start_byte: prefix,
        old_end_byte: old.len() - suffix,
        new_end_byte: new.len() - suffix,
        start_position,
        old_end_position: point_from(old, prefix, start_position, old.len() - suffix),
        new_end_position: point_from(new, prefix, start_position, new.len() - suffix),
    }
}

/// Texts are compared a block at a time (a `memcmp` each), then byte by byte within the
/// first block that differs: a megabyte of unchanged text costs microseconds.
const BLOCK: usize = 256;

/// How many bytes `a` and `b` share at their start.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut same = 0;
    let length = a.len().min(b.len());
    while same + BLOCK <= length && a[same..same + BLOCK] == b[same..same + BLOCK] {
        same += BLOCK;
    }
    same + a[same..].iter().zip(&b[same..]).take_while(|(x, y)| x == y).count()
}

/// How many bytes `a` and `b` share at their end.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let mut same = 0;
    let length = a.len().min(b.len());
    while same + BLOCK <= length
        && a[a.len() - same - BLOCK..a.len() - same] == b[b.len() - same - BLOCK..b.len() - same]
    {
        same += BLOCK;
    }
    same + a[..a.len() - same].iter().rev().zip(b[..b.len() - same].iter().rev()).take_while(|(x, y)| x == y).count()
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// The row and byte column of `offset` in `text`.
pub(crate) fn point_at(text: &[u8], offset: usize) -> Point {
    point_from(text, 0, Point { row: 0, column: 0 }, offset)
}

/// The point of `offset`, counting onwards from `from`, whose point is `at`.
fn point_from(text: &[u8], from: usize, at: Point, offset: usize) -> Point {
    let between = &text[from..offset];
    match memchr::memrchr(b'\n', between) {
        Some(last) => {
            Point { row: at.row + memchr::memchr_iter(b'\n', between).count(), column: between.len() - last - 1 }
        }
        None => Point { row: at.row, column: at.column + between.len() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edit_between_two_texts_spans_exactly_what_differs() {
        let edit = edit_between(b"ab\ncd\nef", b"ab\ncXYd\nef");
        assert_eq!((edit.start_byte, edit.old_end_byte, edit.new_end_byte), (4, 4, 6));
        assert_eq!(edit.start_position, Point { row: 1, column: 1 });
        assert_eq!(edit.new_end_position, Point { row: 1, column: 3 });

        let edit = edit_between(b"a\nb\n", b"a\nx\ny\nb\n");
        assert_eq!((edit.start_byte, edit.old_end_byte, edit.new_end_byte), (2, 2, 6));
        assert_eq!(edit.new_end_position, Point { row: 3, column: 0 });

        // Removing one of two equal lines: prefix and suffix must not overlap.
        let edit = edit_between(b"x\nx\n", b"x\n");
        assert_eq!((edit.start_byte, edit.old_end_byte, edit.new_end_byte), (2, 4, 2));
        assert_eq!(edit.old_end_position, Point { row: 2, column: 0 });

        // Longer than a block: the difference is found inside the block that holds it.
        let old = "x".repeat(1000);
        let mut new = old.clone();
        new.insert_str(700, "yy");
        let edit = edit_between(old.as_bytes(), new.as_bytes());
        assert_eq!((edit.start_byte, edit.old_end_byte, edit.new_end_byte), (700, 700, 702));
        let mut new = old.clone();
        new.replace_range(300..301, "z");
        let edit = edit_between(old.as_bytes(), new.as_bytes());
        assert_eq!((edit.start_byte, edit.old_end_byte, edit.new_end_byte), (300, 301, 301));

        // A change inside a multi-byte character starts at the character.
        let edit = edit_between("aé".as_bytes(), "aè".as_bytes());
        assert_eq!(edit.start_byte, 1);
    }
}
