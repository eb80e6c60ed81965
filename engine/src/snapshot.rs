//! Immutable snapshots of the live graph, for readers.
//!
//! A [`Snapshot`] is a handful of `Arc`s: cloning one is cheap and it never changes. The
//! [`Host`](crate::host::Host) builds the next revision copy-on-write, so a reader holding
//! a snapshot (an LSP request handler) sees one consistent revision however long it takes.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use thread_extractors::resolve::Usage;
use thread_extractors::{FileFacts, ImportKind, Lang, Span};

use crate::fingerprint::Fingerprint;
use crate::graph::{Edge, FileGraph, FileNode, UnresolvedImport};
use crate::ids::{FileId, PathInterner};
use crate::interface::Interface;
use crate::scc::{cyclic_components, strongly_connected_components};
use crate::symbols::{Bindings, SymbolId, SymbolTable};

/// A file's size and modification time, to skip reading unchanged files on a warm start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// A resolved dependency of one file on another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The imported file.
    pub to: FileId,
    /// How it is imported.
    pub kind: ImportKind,
    /// Index of the import in the importer's facts.
    pub import: usize,
    /// What the import uses of the target.
    pub usage: Usage,
}

/// An import that leads to no workspace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnresolvedLink {
    /// Index of the import in the importer's facts.
    pub import: usize,
    /// True for standard-library and third-party modules.
    pub external: bool,
}

/// A name an import asks for that its target file does not offer: a symbol that was
/// removed or renamed while this file still uses it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MissingName {
    /// Index of the import in the importer's facts.
    pub import: usize,
    /// The file that no longer offers it.
    pub target: FileId,
    /// The name.
    pub name: String,
    /// Where the importer writes it.
    pub span: Span,
}

/// Everything known about one file at one revision.
#[derive(Clone, Debug)]
pub struct FileEntry {
    /// Its id.
    pub id: FileId,
    /// Workspace-relative path with forward slashes.
    pub path: Arc<str>,
    /// Its language.
    pub lang: Lang,
    /// Fingerprint of its bytes.
    pub content: Fingerprint,
    /// Size and mtime when it was read from disk.
    pub stat: Option<FileStat>,
    /// What the extractors found.
    pub facts: Arc<FileFacts>,
    /// What it offers importers.
    pub interface: Arc<Interface>,
    /// Its resolved dependencies, one per import and target file.
    pub links: Vec<Link>,
    /// Its imports that resolve to no workspace file.
    pub unresolved: Vec<UnresolvedLink>,
    /// Names it imports that their target does not offer.
    pub missing: Vec<MissingName>,
    /// The files that import it, sorted.
    pub dependents: Vec<FileId>,
    /// Its definitions and locals, indexed for binding.
    pub symbols: Arc<SymbolTable>,
    /// What its calls and imported names are bound to.
    pub bindings: Arc<Bindings>,
    /// (definition, file): the files whose bindings use each of its definitions, sorted.
    /// The exact mirror of every file's [`Bindings`].
    pub used_by: Vec<(SymbolId, FileId)>,
}

/// One consistent revision of the workspace graph.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub(crate) revision: u64,
    pub(crate) files: Arc<Vec<Option<Arc<FileEntry>>>>,
    pub(crate) interner: Arc<PathInterner>,
}

impl Snapshot {
    /// The revision: it grows by one with every applied change set that changed anything.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The file with this id, if it exists at this revision.
    pub fn file(&self, id: FileId) -> Option<&FileEntry> {
        self.files.get(id.index()).and_then(|entry| entry.as_deref())
    }

    /// The id of the file at `path`, if it exists at this revision.
    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.interner.get(path).filter(|id| self.file(*id).is_some())
    }

    /// The file at `path`.
    pub fn file_at(&self, path: &str) -> Option<&FileEntry> {
        self.file_id(path).and_then(|id| self.file(id))
    }

    /// The path of an id handed out by this host, live or not.
    pub fn path(&self, id: FileId) -> &str {
        self.interner.path(id)
    }

    /// Every live file, in id order.
    pub fn files(&self) -> impl Iterator<Item = &FileEntry> {
        self.files.iter().filter_map(|entry| entry.as_deref())
    }

    /// The number of live files.
    pub fn len(&self) -> usize {
        self.files().count()
    }

    /// True when there are no files.
    pub fn is_empty(&self) -> bool {
        self.files().next().is_none()
    }

    /// The file-level graph as sorted lists, in the same shape as a from-scratch
    /// [`FileGraph::build`], so the two can be compared.
    pub fn graph(&self) -> FileGraph {
        let mut graph = FileGraph::default();
        for file in self.files() {
            graph.files.push(FileNode { path: file.path.to_string(), lang: file.lang });
            for link in &file.links {
                graph.edges.push(Edge {
                    from: file.path.to_string(),
                    to: self.path(link.to).to_owned(),
                    kind: link.kind,
                });
            }
            for unresolved in &file.unresolved {
                let import = &file.facts.imports[unresolved.import];
                graph.unresolved.push(UnresolvedImport {
                    from: file.path.to_string(),
                    specifier: import.specifier.clone(),
                    line: import.span.start.line,
                    column: import.span.start.column,
                    external: unresolved.external,
                });
            }
        }
        graph.files.sort();
        graph.edges.sort();
        graph.edges.dedup();
        graph.unresolved.sort();
        graph.unresolved.dedup();
        graph
    }

    /// Every file that depends on `files`, directly or not, nearest first; the files
    /// themselves are not included. Breadth-first over reverse edges, so cycles end it.
    pub fn dependents_closure(&self, files: &[FileId]) -> Vec<FileId> {
        let mut seen: BTreeSet<FileId> = files.iter().copied().collect();
        let mut queue: VecDeque<FileId> = files.iter().copied().collect();
        let mut reached = Vec::new();
        while let Some(id) = queue.pop_front() {
            let Some(file) = self.file(id) else { continue };
            for &dependent in &file.dependents {
                if seen.insert(dependent) {
                    reached.push(dependent);
                    queue.push_back(dependent);
                }
            }
        }
        reached
    }

    /// Import cycles: each strongly connected component of more than one file, or a file
    /// importing itself, as sorted ids. Iterative Tarjan; sorted.
    pub fn cycles(&self) -> Vec<Vec<FileId>> {
        let successors = self.successors();
        let mut cycles: Vec<Vec<FileId>> = cyclic_components(&successors)
            .into_iter()
            .map(|component| {
                let mut ids: Vec<FileId> = component.into_iter().map(to_id).collect();
                ids.sort();
                ids
            })
            .filter(|ids| ids.iter().all(|id| self.file(*id).is_some()))
            .collect();
        cycles.sort();
        cycles
    }

    /// Files in dependency order: every file after the files it imports, the files of one
    /// cycle together. The order in which reanalysis of a batch visits files.
    pub fn topological_order(&self, files: &[FileId]) -> Vec<FileId> {
        let wanted: BTreeSet<FileId> = files.iter().copied().collect();
        // Tarjan emits components in reverse topological order of the condensation, which
        // for "imports" edges is exactly dependencies first.
        strongly_connected_components(&self.successors())
            .into_iter()
            .flatten()
            .map(to_id)
            .filter(|id| wanted.contains(id))
            .collect()
    }

    /// Each file's imported files, by file index (empty for ids of no live file).
    pub(crate) fn successors(&self) -> Vec<Vec<usize>> {
        let mut successors = vec![Vec::new(); self.files.len()];
        for file in self.files() {
            let targets = &mut successors[file.id.index()];
            targets.extend(file.links.iter().map(|link| link.to.index()));
            targets.sort_unstable();
            targets.dedup();
        }
        successors
    }
}

pub(crate) fn to_id(index: usize) -> FileId {
    FileId(u32::try_from(index).unwrap_or(u32::MAX))
}
