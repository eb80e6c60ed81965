//! The "N dependents" code lens: over each exported definition of a file, how many
//! other files use that definition (bound calls and imports naming it), and where.

use std::collections::BTreeSet;

use tower_lsp_server::ls_types::{CodeLens, Command};

use super::calls::CallView;
use super::diagnostics::file_uri;
use super::documents::range;

/// The lens's command. Its arguments are those of VS Code's `showReferences`: the
/// file's URI, the definition's position and the uses' locations. Clients that do not
/// handle it themselves may send it back as `workspace/executeCommand`, which answers
/// with the locations.
pub(crate) const SHOW_DEPENDENTS: &str = "thread.showDependents";

/// One lens per exported definition of `path`; `None` for a file not in the graph.
pub(crate) fn dependents_lenses(view: &CallView<'_>, path: &str) -> Option<Vec<CodeLens>> {
    let file = view.snapshot().file_at(path)?;
    let uri = file_uri(view.root(), path)?;
    let text = view.text(path);
    let exported = file.facts.definitions.iter().enumerate().filter(|(_, definition)| definition.exported);
    let lenses = exported
        .map(|(index, definition)| {
            // Uses in other files: the dependents a change to the definition reaches.
            let target = view.snapshot().def_ref(file.id, index);
            let uses: Vec<_> = target
                .map(|target| view.snapshot().uses_of(target))
                .unwrap_or_default()
                .into_iter()
                .filter(|usage| usage.file != file.id)
                .collect();
            let files: BTreeSet<_> = uses.iter().map(|usage| usage.file).collect();
            let title = if files.len() == 1 { "1 dependent".to_owned() } else { format!("{} dependents", files.len()) };
            let range = range(&text, &definition.name_span, view.encoding());
            let arguments = vec![
                serde_json::json!(uri),
                serde_json::json!(range.start),
                serde_json::json!(view.use_locations(&uses)),
            ];
            CodeLens {
                range,
                command: Some(Command { title, command: SHOW_DEPENDENTS.to_owned(), arguments: Some(arguments) }),
                data: None,
            }
        })
        .collect();
    Some(lenses)
}
