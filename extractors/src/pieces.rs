//! A file's facts in pieces, one per top-level item, so that an edit re-queries only the
//! items it touched.
//!
//! A piece is what the queries found in one group of top-level nodes: an item together
//! with the attributes written before it (a pattern such as `#[path] mod x;` spans both).
//! It is keyed by the group's text, node kinds, starting column and the root's kind, which determine what
//! the queries find in it; where the group sits in the file does not, so a piece found
//! again elsewhere (a line was added above it) is reused with its spans moved.
//! Everything that depends on more than one item (which definition encloses which,
//! `__all__`, callers, scopes) is computed afterwards, for the whole file.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use tree_sitter::Node;

use crate::facts::{Call, Definition, Import, Local, Span};

/// What the queries found in one group of top-level nodes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Piece {
    /// Where the group started when these facts were found.
    pub(crate) origin: Origin,
    pub(crate) package: Option<String>,
    /// Imports, in source order.
    pub(crate) imports: Vec<Import>,
    /// Names listed in `__all__`.
    pub(crate) export_names: Vec<String>,
    /// Definitions, sorted by start and then by end descending (outer first).
    pub(crate) definitions: Vec<DraftDefinition>,
    /// Calls, callers not yet assigned.
    pub(crate) calls: Vec<Call>,
    /// Locals, scopes not yet assigned.
    pub(crate) locals: Vec<Local>,
}

/// A definition before the file-level facts that decide whether it is exported.
#[derive(Clone, Debug)]
pub(crate) struct DraftDefinition {
    /// The definition, `exported` not yet decided.
    pub(crate) definition: Definition,
    /// The query captured a visibility modifier (`pub`).
    pub(crate) has_visibility: bool,
    /// It sits inside an `export` statement.
    pub(crate) in_export_statement: bool,
}

/// Where a group starts: the byte offset and line that its facts' spans are relative to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) start_byte: u32,
    pub(crate) line: u32,
}

/// What identifies a group's facts, wherever the group is.
pub(crate) type PieceKey = [u8; 16];

/// The pieces of one version of a file, by key: what the next version may reuse.
pub(crate) type Pieces = FxHashMap<PieceKey, Arc<Piece>>;

/// Consecutive top-level nodes that are queried together: an item and the nodes before it
/// that belong to it (attributes, per the language's table).
pub(crate) struct Group<'tree> {
    pub(crate) nodes: Vec<Node<'tree>>,
    /// The root's kind: top-level patterns hold only under the grammar's root (a file
    /// that fails to parse as a whole has an `ERROR` root), so it is part of the key.
    root_kind: u16,
}

impl<'tree> Group<'tree> {
    /// The kind of the root the group's nodes are children of.
    pub(crate) fn root_kind(&self) -> u16 {
        self.root_kind
    }

    pub(crate) fn start_byte(&self) -> usize {
        self.nodes.first().map_or(0, Node::start_byte)
    }

    pub(crate) fn end_byte(&self) -> usize {
        self.nodes.last().map_or(0, Node::end_byte)
    }

    pub(crate) fn origin(&self) -> Origin {
        let start = self.nodes.first().map(Node::start_position).unwrap_or_default();
        Origin { start_byte: saturate(self.start_byte()), line: saturate(start.row) }
    }

    /// The key of this group's facts, or `None` when they must not be reused: a group
    /// containing a syntax error parses differently depending on what surrounds it.
    ///
    /// `hasher` is any hasher, reset here: one serves every group of a file, since making
    /// a Blake3 hasher costs more than hashing a small item.
    pub(crate) fn key(&self, source: &[u8], hasher: &mut blake3::Hasher) -> Option<PieceKey> {
        hasher.reset();
        hasher.update(&self.root_kind.to_le_bytes());
        for node in &self.nodes {
            if node.has_error() {
                return None;
            }
            hasher.update(&node.kind_id().to_le_bytes());
            hasher.update(&saturate(node.start_byte() - self.start_byte()).to_le_bytes());
        }
        let column = self.nodes.first().map_or(0, |node| node.start_position().column);
        hasher.update(&saturate(column).to_le_bytes());
        hasher.update(source.get(self.start_byte()..self.end_byte())?);
        let mut key = [0; 16];
        key.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        Some(key)
    }
}

/// The root's children, grouped: a node whose kind is in `attached` joins the next node's
/// group, and so do comments after it (trailing ones form a group of their own).
pub(crate) fn top_level_groups<'tree>(root: Node<'tree>, attached: &[&str]) -> Vec<Group<'tree>> {
    let root_kind = root.kind_id();
    let mut groups = Vec::new();
    let mut current = Vec::new();
    let mut cursor = root.walk();
    for child in root.children(&mut cursor) {
        // A comment between an attribute and its item stays in the group.
        let joins_next =
            (!attached.is_empty() && attached.contains(&child.kind())) || (child.is_extra() && !current.is_empty());
        current.push(child);
        if !joins_next {
            groups.push(Group { nodes: std::mem::take(&mut current), root_kind });
        }
    }
    if !current.is_empty() {
        groups.push(Group { nodes: current, root_kind });
    }
    groups
}

/// A piece as it enters a file's facts: either its own, moved in, or shared with the
/// pieces kept for the next version, copied in with its spans moved to where its group
/// now starts. Copying straight into the file's lists, rather than cloning the piece and
/// then moving it, spares a set of lists per item on every keystroke.
pub(crate) enum Placed {
    Owned(Piece),
    Shared(Arc<Piece>, Origin),
}

impl Placed {
    /// The piece, wherever it is placed.
    pub(crate) fn piece(&self) -> &Piece {
        match self {
            Placed::Owned(piece) => piece,
            Placed::Shared(piece, _) => piece,
        }
    }

    /// Moves or copies the piece's facts onto the ends of `into`'s lists.
    pub(crate) fn append_to(self, into: &mut Piece) {
        match self {
            Placed::Owned(piece) => {
                into.imports.extend(piece.imports);
                into.export_names.extend(piece.export_names);
                into.definitions.extend(piece.definitions);
                into.calls.extend(piece.calls);
                into.locals.extend(piece.locals);
            }
            Placed::Shared(piece, origin) => {
                let shift = Shift::between(piece.origin, origin);
                into.imports.extend(piece.imports.iter().map(|import| {
                    let mut import = import.clone();
                    shift.span(&mut import.span);
                    for name in &mut import.names {
                        shift.span(&mut name.span);
                    }
                    import
                }));
                into.export_names.extend_from_slice(&piece.export_names);
                into.definitions.extend(piece.definitions.iter().map(|draft| {
                    let mut draft = draft.clone();
                    shift.span(&mut draft.definition.span);
                    shift.span(&mut draft.definition.name_span);
                    draft
                }));
                into.calls.extend(piece.calls.iter().map(|call| {
                    let mut call = call.clone();
                    shift.span(&mut call.span);
                    call
                }));
                into.locals.extend(piece.locals.iter().map(|local| {
                    let mut local = local.clone();
                    shift.span(&mut local.span);
                    local
                }));
            }
        }
    }
}

/// How far a piece's spans move when its group starts elsewhere: every span by the same
/// number of bytes and lines (columns are unchanged: the key fixes the group's starting
/// column, and the rest follows from its text).
#[derive(Clone, Copy)]
struct Shift {
    bytes: i64,
    lines: i64,
}

impl Shift {
    fn between(from: Origin, to: Origin) -> Shift {
        Shift {
            bytes: i64::from(to.start_byte) - i64::from(from.start_byte),
            lines: i64::from(to.line) - i64::from(from.line),
        }
    }

    fn span(self, span: &mut Span) {
        span.start_byte = offset(span.start_byte, self.bytes);
        span.end_byte = offset(span.end_byte, self.bytes);
        span.start.line = offset(span.start.line, self.lines);
        span.end.line = offset(span.end.line, self.lines);
    }
}

impl Piece {
    /// Adds the facts of `others`, pieces inside this one's items (the items of a macro
    /// call), keeping imports and definitions in source order (calls and locals are sorted
    /// for the whole file later).
    pub(crate) fn absorb(&mut self, others: Vec<Piece>) {
        if others.is_empty() {
            return;
        }
        for other in others {
            Placed::Owned(other).append_to(self);
        }
        self.imports.sort_by_key(|import| (import.span.start_byte, import.span.end_byte));
        self.definitions.sort_by_key(|draft| {
            let span = &draft.definition.span;
            (span.start_byte, std::cmp::Reverse(span.end_byte))
        });
    }
}

fn offset(value: u32, by: i64) -> u32 {
    u32::try_from(i64::from(value) + by).unwrap_or(u32::MAX)
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}
