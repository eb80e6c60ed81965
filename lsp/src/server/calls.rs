//! Call hierarchy over one snapshot: which definition a position names, what it calls,
//! and who calls it, across files, opened or not; and the go-to-definition and
//! find-references that follow from the same bindings.
//!
//! Every answer is a lookup: calls and imported names were bound to definitions when
//! the engine analysed them (`thread_engine::bind`), and each definition's uses are
//! indexed. A call the engine could not bind (an unknown receiver, an external module,
//! a shadowed name) has no callee here and is no one's caller.

use std::collections::BTreeMap;
use std::path::Path;

use thread_engine::snapshot::{FileEntry, Snapshot};
use thread_engine::{DefRef, FileId, SymbolKey, Use};
use thread_extractors::{Call, DefinitionKind};
use tower_lsp_server::ls_types::{
    CallHierarchyIncomingCall, CallHierarchyItem, CallHierarchyOutgoingCall, Location, Position, Range, SymbolKind,
};

use super::diagnostics::file_uri;
use super::documents::{Encoding, OpenDocuments, byte_offset, range};

/// The snapshot, with what positions need: the root and the texts of the open documents
/// the snapshot analysed.
pub(crate) struct CallView<'a> {
    snapshot: &'a Snapshot,
    root: &'a Path,
    documents: &'a OpenDocuments,
    encoding: Encoding,
}

impl<'a> CallView<'a> {
    pub(crate) fn new(
        snapshot: &'a Snapshot,
        root: &'a Path,
        documents: &'a OpenDocuments,
        encoding: Encoding,
    ) -> Self {
        CallView { snapshot, root, documents, encoding }
    }

    /// The open documents the snapshot analysed.
    pub(crate) fn documents(&self) -> &'a OpenDocuments {
        self.documents
    }

    /// The items at `position` of `path`: the definition whose name is there, or the
    /// callees the call there is bound to, or the callable around it.
    pub(crate) fn prepare(&self, path: &str, position: Position) -> Option<Vec<CallHierarchyItem>> {
        let file = self.snapshot.file_at(path)?;
        let offset = self.offset(path, position);
        let definitions = &file.facts.definitions;
        if let Some(index) = definitions.iter().position(|definition| contains(&definition.name_span, offset)) {
            return Some(vec![self.item(self.snapshot.def_ref(file.id, index)?)?]);
        }
        if let Some((index, _)) = call_at(file, offset) {
            let items: Vec<CallHierarchyItem> =
                self.snapshot.call_targets(file.id, index).into_iter().filter_map(|target| self.item(target)).collect();
            return (!items.is_empty()).then_some(items);
        }
        let around = definitions
            .iter()
            .enumerate()
            .filter(|(_, definition)| definition.kind.is_callable() && contains(&definition.span, offset))
            .min_by_key(|(_, definition)| definition.span.end_byte - definition.span.start_byte)?;
        Some(vec![self.item(self.snapshot.def_ref(file.id, around.0)?)?])
    }

    /// Where what is at `position` is defined: an imported name's definition (through
    /// re-exports), an import's target file, a call's callees, or a definition itself.
    pub(crate) fn definition(&self, path: &str, position: Position) -> Vec<Location> {
        let Some(file) = self.snapshot.file_at(path) else { return Vec::new() };
        let offset = self.offset(path, position);
        for (import_index, import) in file.facts.imports.iter().enumerate() {
            if let Some(name_index) = import.names.iter().position(|imported| contains(&imported.span, offset)) {
                let targets = self.snapshot.import_targets(file.id, import_index, name_index);
                if !targets.is_empty() {
                    return targets.into_iter().filter_map(|target| self.location(target)).collect();
                }
            }
        }
        let on_import: Vec<Location> = file
            .links
            .iter()
            .filter(|link| file.facts.imports.get(link.import).is_some_and(|import| contains(&import.span, offset)))
            .filter_map(|link| {
                let start = Position { line: 0, character: 0 };
                Some(Location {
                    uri: file_uri(self.root, self.snapshot.path(link.to))?,
                    range: Range { start, end: start },
                })
            })
            .collect();
        if !on_import.is_empty() {
            return on_import;
        }
        if let Some((index, _)) = call_at(file, offset) {
            let targets = self.snapshot.call_targets(file.id, index);
            return targets.into_iter().filter_map(|target| self.location(target)).collect();
        }
        match file.facts.definitions.iter().position(|definition| contains(&definition.name_span, offset)) {
            Some(index) => {
                self.snapshot.def_ref(file.id, index).and_then(|target| self.location(target)).into_iter().collect()
            }
            None => Vec::new(),
        }
    }

    /// Every place that uses the definition named at `position` (or the one the call
    /// there is bound to): bound calls and imports naming it, across the workspace.
    pub(crate) fn references(&self, path: &str, position: Position, include_declaration: bool) -> Vec<Location> {
        let Some(file) = self.snapshot.file_at(path) else { return Vec::new() };
        let offset = self.offset(path, position);
        let target = match file.facts.definitions.iter().position(|definition| contains(&definition.name_span, offset))
        {
            Some(index) => match self.snapshot.def_ref(file.id, index) {
                Some(target) => target,
                None => return Vec::new(),
            },
            None => match call_at(file, offset)
                .and_then(|(index, _)| self.snapshot.call_targets(file.id, index).first().copied())
            {
                Some(target) => target,
                None => return Vec::new(),
            },
        };
        let mut found = Vec::new();
        if include_declaration {
            found.extend(self.location(target));
        }
        found.extend(self.use_locations(&self.snapshot.uses_of(target)));
        found
    }

    /// Where `uses` are, each file's text read once.
    pub(crate) fn use_locations(&self, uses: &[Use]) -> Vec<Location> {
        let mut texts: std::collections::HashMap<FileId, std::sync::Arc<str>> = std::collections::HashMap::new();
        let mut found = Vec::new();
        for usage in uses {
            let Some(entry) = self.snapshot.file(usage.file) else { continue };
            let Some(uri) = file_uri(self.root, &entry.path) else { continue };
            let text = texts.entry(usage.file).or_insert_with(|| self.text(&entry.path));
            found.push(Location { uri, range: range(text, &usage.span, self.encoding) });
        }
        found
    }

    /// The path of `file`.
    pub(crate) fn path(&self, file: FileId) -> Option<&str> {
        self.snapshot.file(file).map(|entry| &*entry.path)
    }

    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub(crate) fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    pub(crate) fn root(&self) -> &'a Path {
        self.root
    }

    fn offset(&self, path: &str, position: Position) -> u32 {
        let text = self.text(path);
        u32::try_from(byte_offset(&text, position, self.encoding).0).unwrap_or(u32::MAX)
    }

    fn location(&self, target: DefRef) -> Option<Location> {
        let entry = self.snapshot.file(target.file)?;
        let definition = self.snapshot.definition(target)?;
        let text = self.text(&entry.path);
        Some(Location {
            uri: file_uri(self.root, &entry.path)?,
            range: range(&text, &definition.name_span, self.encoding),
        })
    }

    /// The callers of `item`, grouped by the definition (or module) they call from.
    pub(crate) fn incoming(&self, item: &CallHierarchyItem) -> Result<Option<Vec<CallHierarchyIncomingCall>>, String> {
        let target = self.target_of(item)?;
        let mut callers: BTreeMap<(FileId, Option<u32>), Vec<Range>> = BTreeMap::new();
        let mut texts: std::collections::HashMap<FileId, std::sync::Arc<str>> = std::collections::HashMap::new();
        for usage in self.snapshot.uses_of(target) {
            let thread_engine::UseKind::Call { caller } = usage.kind else { continue };
            let Some(path) = self.path(usage.file) else { continue };
            let text = texts.entry(usage.file).or_insert_with(|| self.text(path));
            callers.entry((usage.file, caller)).or_default().push(range(text, &usage.span, self.encoding));
        }
        let calls = callers
            .into_iter()
            .filter_map(|((file, caller), from_ranges)| {
                let from = match caller {
                    Some(index) => self.item(self.snapshot.def_ref(file, index as usize)?)?,
                    None => self.module_item(file)?,
                };
                Some(CallHierarchyIncomingCall { from, from_ranges })
            })
            .collect();
        Ok(Some(calls))
    }

    /// What `item` calls, grouped by callee, in the order first called.
    pub(crate) fn outgoing(&self, item: &CallHierarchyItem) -> Result<Option<Vec<CallHierarchyOutgoingCall>>, String> {
        let source = self.target_of(item)?;
        let path = self.path(source.file).ok_or("the item's file is gone")?;
        let text = self.text(path);
        let calls = self
            .snapshot
            .callees_of(source)
            .into_iter()
            .filter_map(|(target, spans)| {
                let from_ranges = spans.iter().map(|span| range(&text, span, self.encoding)).collect();
                Some(CallHierarchyOutgoingCall { to: self.item(target)?, from_ranges })
            })
            .collect();
        Ok(Some(calls))
    }

    /// The definition an item stands for, from the identity in its `data` (path, owner,
    /// name, kind, ordinal), which survives edits elsewhere in the file.
    fn target_of(&self, item: &CallHierarchyItem) -> Result<DefRef, String> {
        let data = item.data.as_ref().ok_or("the item carries no data; prepare it with this server")?;
        let path = data.get("path").and_then(|path| path.as_str()).ok_or("the item's data has no path")?;
        if self.snapshot.file_at(path).is_none() {
            return Err(format!("{path} is not in the workspace"));
        }
        let Some(name) = data.get("name").and_then(|name| name.as_str()) else {
            return Err("a module is not callable".to_owned());
        };
        let kind = data.get("kind").and_then(|kind| kind.as_str()).ok_or("the item's data has no kind")?;
        let kind =
            DefinitionKind::ALL.into_iter().find(|candidate| candidate.as_str() == kind).ok_or("unknown kind")?;
        let owner = data.get("owner").and_then(|owner| owner.as_str()).map(str::to_owned);
        // Which of the file's definitions with this owner, name and kind (older items
        // carry none: the first).
        let ordinal = data.get("ordinal").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let ordinal = u32::try_from(ordinal).map_err(|_| "the item's ordinal is out of range")?;
        let key = SymbolKey { path: path.to_owned(), owner, name: name.to_owned(), kind, ordinal };
        self.snapshot.resolve_key(&key).ok_or_else(|| format!("{path} no longer defines {name}"))
    }

    fn item(&self, target: DefRef) -> Option<CallHierarchyItem> {
        let entry = self.snapshot.file(target.file)?;
        let definition = self.snapshot.definition(target)?;
        let text = self.text(&entry.path);
        Some(CallHierarchyItem {
            name: definition.name.to_string(),
            kind: symbol_kind(definition.kind),
            tags: None,
            detail: Some(match &definition.owner {
                Some(owner) => format!("{owner} · {}", entry.path),
                None => entry.path.to_string(),
            }),
            uri: file_uri(self.root, &entry.path)?,
            range: range(&text, &definition.span, self.encoding),
            selection_range: range(&text, &definition.name_span, self.encoding),
            data: Some(serde_json::json!({
                "path": &*entry.path,
                "owner": definition.owner,
                "name": definition.name,
                "kind": definition.kind.as_str(),
                "ordinal": self.snapshot.symbol_key(target).map_or(0, |key| key.ordinal),
            })),
        })
    }

    /// The caller for calls made at a file's top level: the file itself.
    fn module_item(&self, file: FileId) -> Option<CallHierarchyItem> {
        let entry = self.snapshot.file(file)?;
        let start = Position { line: 0, character: 0 };
        Some(CallHierarchyItem {
            name: entry.path.rsplit('/').next().unwrap_or(&entry.path).to_owned(),
            kind: SymbolKind::FILE,
            tags: None,
            detail: Some(entry.path.to_string()),
            uri: file_uri(self.root, &entry.path)?,
            range: Range { start, end: start },
            selection_range: Range { start, end: start },
            data: Some(serde_json::json!({ "path": &*entry.path })),
        })
    }

    /// The text positions in `path` are computed in: the buffer's, else the disk's.
    pub(crate) fn text(&self, path: &str) -> std::sync::Arc<str> {
        self.documents.text(self.root, path)
    }
}

fn contains(span: &thread_extractors::Span, offset: u32) -> bool {
    span.start_byte <= offset && offset <= span.end_byte
}

/// The innermost call at `offset`, with its index.
fn call_at(file: &FileEntry, offset: u32) -> Option<(usize, &Call)> {
    file.facts
        .calls
        .iter()
        .enumerate()
        .filter(|(_, call)| contains(&call.span, offset))
        .min_by_key(|(_, call)| call.span.end_byte - call.span.start_byte)
}

pub(crate) fn symbol_kind(kind: DefinitionKind) -> SymbolKind {
    match kind {
        DefinitionKind::Function => SymbolKind::FUNCTION,
        DefinitionKind::Method => SymbolKind::METHOD,
        DefinitionKind::Class => SymbolKind::CLASS,
        DefinitionKind::Struct => SymbolKind::STRUCT,
        DefinitionKind::Enum => SymbolKind::ENUM,
        DefinitionKind::Union => SymbolKind::STRUCT,
        DefinitionKind::Trait | DefinitionKind::Interface => SymbolKind::INTERFACE,
        DefinitionKind::TypeAlias => SymbolKind::TYPE_PARAMETER,
        DefinitionKind::Constant => SymbolKind::CONSTANT,
        DefinitionKind::Variable => SymbolKind::VARIABLE,
        DefinitionKind::Module => SymbolKind::MODULE,
        DefinitionKind::Macro => SymbolKind::FUNCTION,
    }
}
