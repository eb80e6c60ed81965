//! The `impact` diagnostic: on an exported definition whose signature changed in the
//! editor's buffer (compared with the file as saved), or that the buffer removed, how
//! far the change reaches: "used by N call sites in M files", the places in
//! `relatedInformation`.
//!
//! The saved file's facts are extracted once per saved version and kept, so an edit
//! costs no extra parse unless the file on disk changed.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use thread_engine::snapshot::FileEntry;
use thread_extractors::{Definition, FileFacts};
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
};

use thread_engine::Use;

use super::calls::CallView;
use super::diagnostics::{SOURCE, file_uri};
use super::documents::range;

/// At most this many places are listed in `relatedInformation`.
const RELATED_LIMIT: usize = 20;

/// The facts of files as saved on disk, by path, with the size and mtime they were
/// read at.
#[derive(Default)]
pub(crate) struct SavedFacts {
    by_path: HashMap<String, (u64, Option<std::time::SystemTime>, Arc<FileFacts>)>,
}

impl SavedFacts {
    /// The facts of `path` as saved, extracted again only when the file changed.
    pub(crate) fn get(&mut self, root: &Path, file: &FileEntry) -> Option<Arc<FileFacts>> {
        let full = root.join(&*file.path);
        let metadata = std::fs::metadata(&full).ok()?;
        let key = (metadata.len(), metadata.modified().ok());
        if let Some((size, modified, facts)) = self.by_path.get(&*file.path)
            && (*size, *modified) == key
        {
            return Some(Arc::clone(facts));
        }
        let bytes = std::fs::read(&full).ok()?;
        let facts = Arc::new(thread_extractors::extract(file.lang, &bytes).ok()?);
        self.by_path.insert(file.path.to_string(), (key.0, key.1, Arc::clone(&facts)));
        Some(facts)
    }

    /// Forgets `path`, once its buffer is closed.
    pub(crate) fn forget(&mut self, path: &str) {
        self.by_path.remove(path);
    }
}

/// The `impact` diagnostics of `file`, whose buffer `text` differs from `saved`.
pub(crate) fn impact(
    view: &CallView<'_>,
    file: &FileEntry,
    saved: &FileFacts,
    text: &str,
    severity: DiagnosticSeverity,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    // Names and kinds are borrowed, not copied: this runs on every keystroke, and a large
    // file has thousands of definitions.
    let now: FxHashSet<(&str, &str)> =
        file.facts.definitions.iter().filter(|definition| definition.exported).map(key).collect();
    // The saved definitions by name and kind, the first of each: looked up once per
    // definition of the buffer, not searched.
    let mut saved_by_key: FxHashMap<(&str, &str), &Definition> = FxHashMap::default();
    for old in saved.definitions.iter().filter(|old| old.exported) {
        saved_by_key.entry(key(old)).or_insert(old);
    }
    // Changed signatures: a definition of that name and kind was saved with another.
    for (index, definition) in file.facts.definitions.iter().enumerate().filter(|(_, definition)| definition.exported) {
        let Some(before) = saved_by_key.get(&key(definition)) else { continue };
        if before.signature == definition.signature {
            continue;
        }
        let Some(target) = view.snapshot().def_ref(file.id, index) else { continue };
        let uses = view.snapshot().uses_of(target);
        if uses.is_empty() {
            continue;
        }
        diagnostics.push(diagnostic(
            view,
            range(text, &definition.name_span, view.encoding()),
            severity,
            format!("the signature of `{}` changed: {}", definition.name, reach(&uses)),
            &uses,
        ));
    }
    // Removed: saved, exported, and gone from the buffer. The dependents say where.
    for old in saved.definitions.iter().filter(|old| old.exported && !now.contains(&key(old))) {
        let uses = view.snapshot().missing_uses(file.id, &old.name);
        if uses.is_empty() {
            continue;
        }
        let start = Position { line: 0, character: 0 };
        diagnostics.push(diagnostic(
            view,
            Range { start, end: start },
            severity,
            format!("`{}` was removed or renamed: {}", old.name, reach(&uses)),
            &uses,
        ));
    }
    diagnostics
}

fn key(definition: &Definition) -> (&str, &str) {
    (definition.name.as_str(), definition.kind.as_str())
}

/// "used by N call sites in M files".
fn reach(uses: &[Use]) -> String {
    let calls = uses.iter().filter(|usage| usage.kind.is_call()).count();
    let files: BTreeSet<_> = uses.iter().map(|usage| usage.file).collect();
    let plural = |count: usize, one: &str, many: &str| if count == 1 { one.to_owned() } else { many.to_owned() };
    format!(
        "used by {calls} {} in {} {}",
        plural(calls, "call site", "call sites"),
        files.len(),
        plural(files.len(), "file", "files")
    )
}

fn diagnostic(
    view: &CallView<'_>,
    range: Range,
    severity: DiagnosticSeverity,
    message: String,
    uses: &[Use],
) -> Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = uses
        .iter()
        .take(RELATED_LIMIT)
        .filter_map(|usage| {
            let path = view.path(usage.file)?;
            let text = view.text(path);
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: file_uri(view.root(), path)?,
                    range: super::documents::range(&text, &usage.span, view.encoding()),
                },
                message: if usage.kind.is_call() { "called here".to_owned() } else { "imported here".to_owned() },
            })
        })
        .collect();
    Diagnostic {
        range,
        severity: Some(severity),
        code: Some(NumberOrString::String("impact".to_owned())),
        source: Some(SOURCE.to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    }
}
