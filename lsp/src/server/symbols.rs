//! Symbols from the index: a document's definitions, and definitions across the
//! workspace by name, opened or not.

use thread_engine::snapshot::FileEntry;
use tower_lsp_server::ls_types::{Location, SymbolInformation};

use super::calls::{CallView, symbol_kind};
use super::diagnostics::file_uri;
use super::documents::range;

/// At most this many workspace symbols are returned; the client asks again as the
/// user types more.
const WORKSPACE_SYMBOL_LIMIT: usize = 500;

/// The definitions of `path`, in source order.
pub(crate) fn document_symbols(view: &CallView<'_>, path: &str) -> Option<Vec<SymbolInformation>> {
    let file = view.snapshot().file_at(path)?;
    Some(symbols_of(view, file, |_| true))
}

/// Definitions whose name contains `query`, ignoring case; the exported first.
pub(crate) fn workspace_symbols(view: &CallView<'_>, query: &str) -> Vec<SymbolInformation> {
    let query = query.to_lowercase();
    let mut found: Vec<(bool, SymbolInformation)> = Vec::new();
    for file in view.snapshot().files() {
        let matches = |name: &str| name.to_lowercase().contains(&query);
        if !file.facts.definitions.iter().any(|definition| matches(&definition.name)) {
            continue;
        }
        for (definition, symbol) in file
            .facts
            .definitions
            .iter()
            .filter(|definition| matches(&definition.name))
            .zip(symbols_of(view, file, |definition| matches(&definition.name)))
        {
            found.push((definition.exported, symbol));
        }
        if found.len() >= WORKSPACE_SYMBOL_LIMIT * 4 {
            break;
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.len().cmp(&b.1.name.len())));
    found.into_iter().take(WORKSPACE_SYMBOL_LIMIT).map(|(_, symbol)| symbol).collect()
}

fn symbols_of(
    view: &CallView<'_>,
    file: &FileEntry,
    keep: impl Fn(&thread_extractors::Definition) -> bool,
) -> Vec<SymbolInformation> {
    let Some(uri) = file_uri(view.root(), &file.path) else { return Vec::new() };
    let text = view.text(&file.path);
    file.facts
        .definitions
        .iter()
        .filter(|definition| keep(definition))
        .map(|definition| {
            #[allow(deprecated)] // `deprecated` is a required field of the type.
            SymbolInformation {
                name: definition.name.to_string(),
                kind: symbol_kind(definition.kind),
                tags: None,
                deprecated: None,
                location: Location { uri: uri.clone(), range: range(&text, &definition.span, view.encoding()) },
                container_name: definition.owner.as_deref().map(str::to_owned),
            }
        })
        .collect()
}
