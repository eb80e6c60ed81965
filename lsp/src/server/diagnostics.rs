//! Impact diagnostics, read from a snapshot. Each has source `thread` and a stable code:
//!
//! - `unresolved-import`: an import that should lead to a workspace file and leads to
//!   none (standard-library and third-party imports are never reported);
//! - `import-cycle`: an import whose target leads back to its file, with the cycle's
//!   files in `relatedInformation`;
//! - `broken-import`: a name imported from a workspace file that does not define it (any
//!   more), pointing at that file.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;
use std::path::Path;

use thread_engine::FileId;
use thread_engine::snapshot::{FileEntry, Snapshot};
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range, Uri,
};

use super::config::Settings;
use super::documents::{Encoding, range};

/// The diagnostics' `source`.
pub(crate) const SOURCE: &str = "thread";

/// The import cycles of one graph, with the paths back through them found so far. Both
/// stay true while no file's set of imported files changes, so the analysis keeps one
/// across edits that leave the edges alone.
pub(crate) struct Cycles {
    /// The cycles: sorted strongly connected components.
    cycles: Vec<Vec<FileId>>,
    /// Each file in a cycle, with the index of its strongly connected component.
    component_of: FxHashMap<FileId, usize>,
    /// Per file searched, the shortest paths back to it.
    paths_back: Mutex<FxHashMap<FileId, Arc<PathsBack>>>,
}

impl Cycles {
    /// The cycles of `snapshot`'s graph.
    pub(crate) fn of(snapshot: &Snapshot) -> Cycles {
        let cycles = snapshot.cycles();
        let component_of = cycles
            .iter()
            .enumerate()
            .flat_map(|(index, members)| members.iter().map(move |member| (*member, index)))
            .collect();
        Cycles { cycles, component_of, paths_back: Mutex::default() }
    }

    /// The import cycles, each a sorted list of files.
    pub(crate) fn list(&self) -> &[Vec<FileId>] {
        &self.cycles
    }

    fn same_cycle(&self, a: FileId, b: FileId) -> bool {
        match (self.component_of.get(&a), self.component_of.get(&b)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// The number of files in `file`'s cycle.
    fn size_of_cycle(&self, file: FileId) -> usize {
        self.component_of.get(&file).and_then(|index| self.cycles.get(*index)).map_or(0, Vec::len)
    }

    /// The shortest paths of imports back to `to` from the files of its cycle, found by
    /// one breadth-first search over importers (not one search per import of `to`),
    /// visiting at most `PATH_SEARCH_LIMIT` files, and kept for the next edit.
    fn paths_back_to(&self, snapshot: &Snapshot, to: FileId) -> Arc<PathsBack> {
        let known = self.paths_back.lock().unwrap_or_else(PoisonError::into_inner).get(&to).cloned();
        if let Some(known) = known {
            return known;
        }
        let mut next_hop: FxHashMap<FileId, FileId> = FxHashMap::default();
        let mut queue = VecDeque::from([to]);
        while let Some(current) = queue.pop_front() {
            if next_hop.len() > PATH_SEARCH_LIMIT {
                break;
            }
            let Some(entry) = snapshot.file(current) else { continue };
            for &importer in &entry.dependents {
                if importer != to && self.same_cycle(importer, to) && !next_hop.contains_key(&importer) {
                    next_hop.insert(importer, current);
                    queue.push_back(importer);
                }
            }
        }
        let found = Arc::new(PathsBack { to, next_hop });
        let mut kept = self.paths_back.lock().unwrap_or_else(PoisonError::into_inner);
        // Each search holds up to `PATH_SEARCH_LIMIT` files: keep those of the few files
        // being edited, not one per file of the workspace after the first publish.
        if kept.len() >= PATHS_BACK_KEPT {
            kept.clear();
        }
        kept.insert(to, Arc::clone(&found));
        found
    }
}

/// What every file's diagnostics are computed from: one snapshot and its cycles.
pub(crate) struct DiagnosticContext<'a> {
    snapshot: &'a Snapshot,
    root: &'a Path,
    settings: &'a Settings,
    encoding: Encoding,
    cycles: Arc<Cycles>,
    /// The URIs of the files related information points at, made once per file: a cycle's
    /// files appear in many of its diagnostics, and making a URI is not cheap.
    uris: std::cell::RefCell<FxHashMap<FileId, Option<Uri>>>,
}

/// How many files the search for a cycle's path may visit before it settles for
/// naming the cycle's size: cycles can span thousands of files, and every import in
/// them gets a diagnostic.
const PATH_SEARCH_LIMIT: usize = 512;

/// How many files' paths back `Cycles` keeps between edits.
const PATHS_BACK_KEPT: usize = 32;

impl<'a> DiagnosticContext<'a> {
    /// A context over `snapshot`, whose import cycles are `cycles` (which the caller may
    /// reuse while no file's imported files change).
    pub(crate) fn new(
        snapshot: &'a Snapshot,
        cycles: Arc<Cycles>,
        root: &'a Path,
        settings: &'a Settings,
        encoding: Encoding,
    ) -> Self {
        DiagnosticContext { snapshot, root, settings, encoding, cycles, uris: Default::default() }
    }

    /// The import cycles, each a sorted list of files.
    pub(crate) fn cycles(&self) -> &[Vec<FileId>] {
        self.cycles.list()
    }

    /// Whether `file` can have any diagnostic: without one, its text need not be read.
    pub(crate) fn may_report(&self, file: &FileEntry) -> bool {
        file.unresolved.iter().any(|unresolved| !unresolved.external)
            || !file.missing.is_empty()
            || self.cycles.component_of.contains_key(&file.id)
    }

    /// The diagnostics of `file`, whose current text is `text` (for positions).
    pub(crate) fn for_file(&self, file: &FileEntry, text: &str) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        let imports = &file.facts.imports;
        if let Some(severity) = self.settings.severity("unresolved-import", DiagnosticSeverity::ERROR) {
            for unresolved in file.unresolved.iter().filter(|unresolved| !unresolved.external) {
                let Some(import) = imports.get(unresolved.import) else { continue };
                diagnostics.push(diagnostic(
                    range(text, &import.span, self.encoding),
                    severity,
                    "unresolved-import",
                    format!("`{}` leads to no file in the workspace", import.specifier),
                    Vec::new(),
                ));
            }
        }
        if let Some(severity) = self.settings.severity("import-cycle", DiagnosticSeverity::WARNING) {
            let mut reported = Vec::new();
            let mut paths_back = None;
            for link in &file.links {
                if reported.contains(&link.import) || !self.cycles.same_cycle(file.id, link.to) {
                    continue;
                }
                let Some(import) = imports.get(link.import) else { continue };
                reported.push(link.import);
                let paths_back = paths_back.get_or_insert_with(|| self.cycles.paths_back_to(self.snapshot, file.id));
                let (message, related) = match paths_back.from(link.to) {
                    Some(cycle) => {
                        let names: Vec<&str> = std::iter::once(file.id)
                            .chain(cycle.iter().copied())
                            .map(|id| self.snapshot.path(id))
                            .collect();
                        let related =
                            cycle.iter().filter_map(|id| self.location_of_file(*id, "in this cycle")).collect();
                        (format!("this import closes an import cycle: {}", names.join(" → ")), related)
                    }
                    None => {
                        let size = self.cycles.size_of_cycle(file.id);
                        let target = self.snapshot.path(link.to);
                        let related =
                            self.location_of_file(link.to, "imported here, and leads back").into_iter().collect();
                        (format!("this import of `{target}` is part of an import cycle of {size} files"), related)
                    }
                };
                diagnostics.push(diagnostic(
                    range(text, &import.span, self.encoding),
                    severity,
                    "import-cycle",
                    message,
                    related,
                ));
            }
        }
        if let Some(severity) = self.settings.severity("broken-import", DiagnosticSeverity::ERROR) {
            for missing in &file.missing {
                let target = self.snapshot.path(missing.target);
                let related = self
                    .location_of_file(missing.target, &format!("`{target}` does not define `{}`", missing.name))
                    .into_iter()
                    .collect();
                diagnostics.push(diagnostic(
                    range(text, &missing.span, self.encoding),
                    severity,
                    "broken-import",
                    format!("`{}` is imported from `{target}`, which does not define it", missing.name),
                    related,
                ));
            }
        }
        diagnostics
    }

    fn location_of_file(&self, id: FileId, message: &str) -> Option<DiagnosticRelatedInformation> {
        let uri = (self.uris.borrow_mut().entry(id))
            .or_insert_with(|| file_uri(self.root, self.snapshot.path(id)))
            .clone()?;
        let start = Position { line: 0, character: 0 };
        Some(DiagnosticRelatedInformation {
            location: Location { uri, range: Range { start, end: start } },
            message: message.to_owned(),
        })
    }
}

/// Shortest import paths from the files of a cycle back to one of its files.
struct PathsBack {
    to: FileId,
    /// Each file reached, with the file it imports next on its way to `to`.
    next_hop: FxHashMap<FileId, FileId>,
}

impl PathsBack {
    /// The path of imports from `from` to `to`, both ends included; `None` when the
    /// search did not reach `from`.
    fn from(&self, from: FileId) -> Option<Vec<FileId>> {
        let mut path = vec![from];
        let mut at = from;
        while at != self.to {
            at = *self.next_hop.get(&at)?;
            path.push(at);
        }
        Some(path)
    }
}

/// `project-file` diagnostics: what is wrong with a manifest or config (it does not
/// parse, it extends what Thread cannot read), on its first line.
pub(crate) fn project_file_diagnostics(messages: &[String]) -> Vec<Diagnostic> {
    let first_line =
        Range { start: Position { line: 0, character: 0 }, end: Position { line: 0, character: u32::MAX } };
    messages
        .iter()
        .map(|message| diagnostic(first_line, DiagnosticSeverity::WARNING, "project-file", message.clone(), Vec::new()))
        .collect()
}

/// The URI of a workspace-relative path.
pub(crate) fn file_uri(root: &Path, path: &str) -> Option<Uri> {
    Uri::from_file_path(root.join(path))
}

pub(crate) fn diagnostic(
    range: Range,
    severity: DiagnosticSeverity,
    code: &str,
    message: String,
    related: Vec<DiagnosticRelatedInformation>,
) -> Diagnostic {
    Diagnostic {
        range,
        severity: Some(severity),
        code: Some(NumberOrString::String(code.to_owned())),
        source: Some(SOURCE.to_owned()),
        message,
        related_information: if related.is_empty() { None } else { Some(related) },
        ..Diagnostic::default()
    }
}
