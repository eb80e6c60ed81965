//! Call hierarchy over one snapshot: which definition a position names, what it calls,
//! and who calls it, across files, opened or not; and the go-to-definition and
//! find-references that follow from the same resolution.
//!
//! A call is resolved through the calling file's imports, best candidates first:
//!
//! 1. `self.m`, `this.m`, `Self::m`, `cls.m`: a method of the caller's own type;
//! 2. `Type::m` or `Type.m`: a member of that type;
//! 3. `pkg.f`, `mod.f`, `ns.f`: a definition in the files the import named `pkg` reaches;
//! 4. a bare name: this file, then the files whose import brings the name (aliases
//!    followed), then the files imported wholesale;
//! 5. otherwise every definition of that name in the workspace. Ambiguous callees are
//!    offered in that order, never dropped.

use std::collections::BTreeMap;
use std::path::Path;

use thread_engine::FileId;
use thread_engine::snapshot::{FileEntry, Snapshot};
use thread_extractors::resolve::Usage;
use thread_extractors::{Call, Definition, DefinitionKind};
use tower_lsp_server::ls_types::{
    CallHierarchyIncomingCall, CallHierarchyItem, CallHierarchyOutgoingCall, Location, Position, Range, SymbolKind,
};

use super::diagnostics::file_uri;
use super::documents::{Documents, Encoding, byte_offset, range};

/// A definition: its file and its index in that file's facts.
pub(crate) type Target = (FileId, usize);

/// One use of a definition: a call, or an import naming it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Use {
    pub(crate) file: FileId,
    pub(crate) span: thread_extractors::Span,
    pub(crate) call: bool,
}

/// The snapshot, with what positions need: the root and the open documents' texts.
pub(crate) struct CallView<'a> {
    snapshot: &'a Snapshot,
    root: &'a Path,
    documents: &'a Documents,
    encoding: Encoding,
}

impl<'a> CallView<'a> {
    pub(crate) fn new(snapshot: &'a Snapshot, root: &'a Path, documents: &'a Documents, encoding: Encoding) -> Self {
        CallView { snapshot, root, documents, encoding }
    }

    /// The items at `position` of `path`: the definition whose name is there, or the
    /// callees of the call there, or the callable around it.
    pub(crate) fn prepare(&self, path: &str, position: Position) -> Option<Vec<CallHierarchyItem>> {
        let file = self.snapshot.file_at(path)?;
        let text = self.text(path);
        let (offset, _) = byte_offset(&text, position, self.encoding);
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        let definitions = &file.facts.definitions;
        if let Some(index) = definitions.iter().position(|definition| contains(&definition.name_span, offset)) {
            return Some(vec![self.item(file.id, index)?]);
        }
        if let Some(call) = file
            .facts
            .calls
            .iter()
            .filter(|call| contains(&call.span, offset))
            .min_by_key(|call| call.span.end_byte - call.span.start_byte)
        {
            let items: Vec<CallHierarchyItem> =
                self.resolve(file, call).into_iter().filter_map(|(id, index)| self.item(id, index)).collect();
            return (!items.is_empty()).then_some(items);
        }
        let around = definitions
            .iter()
            .enumerate()
            .filter(|(_, definition)| definition.kind.is_callable() && contains(&definition.span, offset))
            .min_by_key(|(_, definition)| definition.span.end_byte - definition.span.start_byte)?;
        Some(vec![self.item(file.id, around.0)?])
    }

    /// Where what is at `position` is defined: an import's target file, an imported
    /// name's definition, a call's callees (ranked), or a definition itself.
    pub(crate) fn definition(&self, path: &str, position: Position) -> Vec<Location> {
        let Some(file) = self.snapshot.file_at(path) else { return Vec::new() };
        let text = self.text(path);
        let offset = u32::try_from(byte_offset(&text, position, self.encoding).0).unwrap_or(u32::MAX);
        for link in &file.links {
            let Some(import) = file.facts.imports.get(link.import) else { continue };
            if let Some(imported) = import.names.iter().find(|imported| contains(&imported.span, offset)) {
                let targets = self.callables_named(link.to, &imported.name);
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
        if let Some(call) = self.call_at(file, offset) {
            return self.resolve(file, call).into_iter().filter_map(|target| self.location(target)).collect();
        }
        match file.facts.definitions.iter().position(|definition| contains(&definition.name_span, offset)) {
            Some(index) => self.location((file.id, index)).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Every place that uses the definition named at `position`: calls that resolve to
    /// it and imports that name it, across the workspace.
    pub(crate) fn references(&self, path: &str, position: Position, include_declaration: bool) -> Vec<Location> {
        let Some(file) = self.snapshot.file_at(path) else { return Vec::new() };
        let text = self.text(path);
        let offset = u32::try_from(byte_offset(&text, position, self.encoding).0).unwrap_or(u32::MAX);
        let target = match file.facts.definitions.iter().position(|definition| contains(&definition.name_span, offset))
        {
            Some(index) => (file.id, index),
            None => match self.call_at(file, offset).and_then(|call| self.resolve(file, call).into_iter().next()) {
                Some(target) => target,
                None => return Vec::new(),
            },
        };
        let Some(name) = self.definition_of(target).map(|definition| definition.name.clone()) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        if include_declaration {
            found.extend(self.location(target));
        }
        found.extend(self.use_locations(&self.usages(target, &name)));
        found
    }

    /// Where `uses` are, each file's text read once.
    pub(crate) fn use_locations(&self, uses: &[Use]) -> Vec<Location> {
        let mut texts: std::collections::HashMap<FileId, String> = std::collections::HashMap::new();
        let mut found = Vec::new();
        for usage in uses {
            let Some(entry) = self.snapshot.file(usage.file) else { continue };
            let Some(uri) = file_uri(self.root, &entry.path) else { continue };
            let text = texts.entry(usage.file).or_insert_with(|| self.text(&entry.path));
            found.push(Location { uri, range: range(text, &usage.span, self.encoding) });
        }
        found
    }

    /// The places that use `target` (named `name`): calls that resolve to it, and
    /// imports that name it.
    pub(crate) fn usages(&self, target: Target, name: &str) -> Vec<Use> {
        self.usages_in(target, name, self.snapshot.files())
    }

    /// The uses of `target` (named `name`) in the files that import its file: what a
    /// change to it can break.
    pub(crate) fn dependent_usages(&self, target: Target, name: &str) -> Vec<Use> {
        let Some(file) = self.snapshot.file(target.0) else { return Vec::new() };
        self.usages_in(target, name, file.dependents.iter().filter_map(|id| self.snapshot.file(*id)))
    }

    fn usages_in<'f>(&self, target: Target, name: &str, callers: impl Iterator<Item = &'f FileEntry>) -> Vec<Use>
    where
        'a: 'f,
    {
        let mut found = Vec::new();
        for caller in callers {
            for call in caller.facts.calls.iter().filter(|call| self.may_name(caller, &call.name, name)) {
                if self.resolve(caller, call).contains(&target) {
                    found.push(Use { file: caller.id, span: call.span, call: true });
                }
            }
            for link in caller.links.iter().filter(|link| link.to == target.0) {
                let Some(import) = caller.facts.imports.get(link.import) else { continue };
                let named = import.names.iter().filter(|imported| imported.name == name);
                found.extend(named.map(|imported| Use { file: caller.id, span: imported.span, call: false }));
            }
        }
        found
    }

    /// The places in `file`'s dependents that use `name`, which `file` no longer
    /// defines: their imports of it and their calls of it.
    pub(crate) fn missing_uses(&self, file: FileId, name: &str) -> Vec<Use> {
        let Some(entry) = self.snapshot.file(file) else { return Vec::new() };
        let mut found = Vec::new();
        for dependent in entry.dependents.iter().filter_map(|id| self.snapshot.file(*id)) {
            let missing = dependent.missing.iter().filter(|missing| missing.target == file && missing.name == name);
            let before = found.len();
            found.extend(missing.map(|missing| Use { file: dependent.id, span: missing.span, call: false }));
            if found.len() > before {
                let calls = dependent.facts.calls.iter().filter(|call| self.may_name(dependent, &call.name, name));
                found.extend(calls.map(|call| Use { file: dependent.id, span: call.span, call: true }));
            }
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

    fn call_at<'f>(&self, file: &'f FileEntry, offset: u32) -> Option<&'f Call> {
        file.facts
            .calls
            .iter()
            .filter(|call| contains(&call.span, offset))
            .min_by_key(|call| call.span.end_byte - call.span.start_byte)
    }

    fn callables_named(&self, id: FileId, name: &str) -> Vec<Target> {
        self.snapshot.file(id).map_or_else(Vec::new, |entry| {
            entry
                .facts
                .definitions
                .iter()
                .enumerate()
                .filter(|(_, definition)| definition.name == name)
                .map(|(index, _)| (id, index))
                .collect()
        })
    }

    fn location(&self, (file, index): Target) -> Option<Location> {
        let entry = self.snapshot.file(file)?;
        let definition = entry.facts.definitions.get(index)?;
        let text = self.text(&entry.path);
        Some(Location {
            uri: file_uri(self.root, &entry.path)?,
            range: range(&text, &definition.name_span, self.encoding),
        })
    }

    /// The callers of `item`, grouped by the definition (or module) they call from.
    pub(crate) fn incoming(&self, item: &CallHierarchyItem) -> Result<Option<Vec<CallHierarchyIncomingCall>>, String> {
        let target = self.target_of(item)?;
        let name = &self.definition_of(target).ok_or("the item's definition is gone")?.name;
        let mut callers: BTreeMap<(FileId, Option<usize>), Vec<Range>> = BTreeMap::new();
        for file in self.snapshot.files() {
            let mut text: Option<String> = None;
            for call in file.facts.calls.iter().filter(|call| self.may_name(file, &call.name, name)) {
                if !self.resolve(file, call).contains(&target) {
                    continue;
                }
                let text = text.get_or_insert_with(|| self.text(&file.path));
                callers.entry((file.id, call.caller)).or_default().push(range(text, &call.span, self.encoding));
            }
        }
        let calls = callers
            .into_iter()
            .filter_map(|((file, caller), from_ranges)| {
                let from = match caller {
                    Some(index) => self.item(file, index)?,
                    None => self.module_item(file)?,
                };
                Some(CallHierarchyIncomingCall { from, from_ranges })
            })
            .collect();
        Ok(Some(calls))
    }

    /// What `item` calls, grouped by callee.
    pub(crate) fn outgoing(&self, item: &CallHierarchyItem) -> Result<Option<Vec<CallHierarchyOutgoingCall>>, String> {
        let (file_id, index) = self.target_of(item)?;
        let file = self.snapshot.file(file_id).ok_or("the item's file is gone")?;
        let text = self.text(&file.path);
        let mut callees: BTreeMap<Target, Vec<Range>> = BTreeMap::new();
        let mut order: Vec<Target> = Vec::new();
        for call in file.facts.calls.iter().filter(|call| call.caller == Some(index)) {
            for target in self.resolve(file, call) {
                if !callees.contains_key(&target) {
                    order.push(target);
                }
                callees.entry(target).or_default().push(range(&text, &call.span, self.encoding));
            }
        }
        let calls = order
            .into_iter()
            .filter_map(|target| {
                let from_ranges = callees.remove(&target)?;
                Some(CallHierarchyOutgoingCall { to: self.item(target.0, target.1)?, from_ranges })
            })
            .collect();
        Ok(Some(calls))
    }

    /// The definitions `call` in `file` may reach, best first (see the module's doc).
    fn resolve(&self, file: &FileEntry, call: &Call) -> Vec<Target> {
        let (qualifier, name) = split_callee(&call.callee, &call.name);
        let callables = |id: FileId, wanted: &str, owner: Option<&str>| -> Vec<Target> {
            let Some(entry) = self.snapshot.file(id) else { return Vec::new() };
            entry
                .facts
                .definitions
                .iter()
                .enumerate()
                .filter(|(_, definition)| definition.name == wanted && callable_or_type(definition))
                .filter(|(_, definition)| owner.is_none_or(|owner| definition.owner.as_deref() == Some(owner)))
                .map(|(index, _)| (id, index))
                .collect()
        };
        // 1. The caller's own type.
        if let Some(qualifier) = qualifier
            && matches!(qualifier, "self" | "this" | "Self" | "cls")
        {
            let owner = call
                .caller
                .and_then(|index| file.facts.definitions.get(index))
                .and_then(|caller| caller.owner.as_deref());
            let found = callables(file.id, name, owner);
            if !found.is_empty() {
                return found;
            }
        }
        if let Some(qualifier) = qualifier {
            // 3. A module or package the file imports under that name.
            let mut found = Vec::new();
            for link in &file.links {
                let Some(import) = file.facts.imports.get(link.import) else { continue };
                if names_module(import, qualifier) {
                    found.extend(callables(link.to, name, None));
                }
            }
            // 2. A type of that name, here or in what the file imports.
            let owner = last_segment(qualifier);
            found.extend(callables(file.id, name, Some(owner)));
            for link in &file.links {
                found.extend(callables(link.to, name, Some(owner)));
            }
            if !found.is_empty() {
                return dedup(found);
            }
        } else {
            // 4. This file, then imported names (aliases followed), then wholesale imports.
            let mut found = callables(file.id, name, None);
            for link in &file.links {
                let Some(import) = file.facts.imports.get(link.import) else { continue };
                let original = import
                    .names
                    .iter()
                    .find(|imported| imported.alias.as_deref().unwrap_or(&imported.name) == name)
                    .map(|imported| imported.name.as_str());
                match (&link.usage, original) {
                    (_, Some(original)) => found.extend(callables(link.to, original, None)),
                    (Usage::Module, None) if import.alias.is_none() => found.extend(callables(link.to, name, None)),
                    _ => {}
                }
            }
            if !found.is_empty() {
                return dedup(found);
            }
        }
        // 5. Anything of that name.
        self.snapshot
            .files()
            .flat_map(|entry| {
                entry
                    .facts
                    .definitions
                    .iter()
                    .enumerate()
                    .filter(|(_, definition)| definition.name == name && definition.kind.is_callable())
                    .map(move |(index, _)| (entry.id, index))
            })
            .collect()
    }

    /// Whether a call written `written` in `file` could reach a definition named `name`:
    /// the same name, or an alias of it. A cheap filter before resolving.
    fn may_name(&self, file: &FileEntry, written: &str, name: &str) -> bool {
        written == name
            || file.facts.imports.iter().any(|import| {
                import.names.iter().any(|imported| imported.name == name && imported.alias.as_deref() == Some(written))
            })
    }

    fn definition_of(&self, (file, index): Target) -> Option<&Definition> {
        self.snapshot.file(file)?.facts.definitions.get(index)
    }

    /// The definition an item stands for, from its `data`, or by name and range when the
    /// file changed since the item was made.
    fn target_of(&self, item: &CallHierarchyItem) -> Result<Target, String> {
        let data = item.data.as_ref().ok_or("the item carries no data; prepare it with this server")?;
        let path = data.get("path").and_then(|path| path.as_str()).ok_or("the item's data has no path")?;
        let file = self.snapshot.file_at(path).ok_or_else(|| format!("{path} is not in the workspace"))?;
        let index = data.get("definition").and_then(serde_json::Value::as_u64).map(|index| index as usize);
        let same = |definition: &Definition| definition.name == item.name;
        match index.filter(|index| file.facts.definitions.get(*index).is_some_and(same)) {
            Some(index) => Ok((file.id, index)),
            None if index.is_none() => Err("a module is not callable".to_owned()),
            None => file
                .facts
                .definitions
                .iter()
                .position(same)
                .map(|index| (file.id, index))
                .ok_or_else(|| format!("{path} no longer defines {}", item.name)),
        }
    }

    fn item(&self, file: FileId, index: usize) -> Option<CallHierarchyItem> {
        let entry = self.snapshot.file(file)?;
        let definition = entry.facts.definitions.get(index)?;
        let text = self.text(&entry.path);
        Some(CallHierarchyItem {
            name: definition.name.clone(),
            kind: symbol_kind(definition.kind),
            tags: None,
            detail: Some(match &definition.owner {
                Some(owner) => format!("{owner} · {}", entry.path),
                None => entry.path.to_string(),
            }),
            uri: file_uri(self.root, &entry.path)?,
            range: range(&text, &definition.span, self.encoding),
            selection_range: range(&text, &definition.name_span, self.encoding),
            data: Some(serde_json::json!({ "path": &*entry.path, "definition": index })),
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

    /// The text positions are computed in: the editor's for open files, else the disk's.
    /// The text positions in `path` are computed in: the buffer's, else the disk's.
    pub(crate) fn text(&self, path: &str) -> String {
        self.documents.text(self.root, path)
    }
}

fn contains(span: &thread_extractors::Span, offset: u32) -> bool {
    span.start_byte <= offset && offset <= span.end_byte
}

fn callable_or_type(definition: &Definition) -> bool {
    definition.kind.is_callable()
        || matches!(definition.kind, DefinitionKind::Class | DefinitionKind::Struct | DefinitionKind::Macro)
}

/// `a.b.c` or `a::b::c` → (`Some("a.b")`, `c`); a bare name has no qualifier.
fn split_callee<'c>(callee: &'c str, name: &'c str) -> (Option<&'c str>, &'c str) {
    let qualifier = callee
        .strip_suffix(name)
        .and_then(|rest| rest.strip_suffix("::").or_else(|| rest.strip_suffix('.')))
        .filter(|qualifier| !qualifier.is_empty());
    (qualifier, name)
}

fn last_segment(qualifier: &str) -> &str {
    qualifier.rsplit(['.', ':', '/']).next().unwrap_or(qualifier)
}

/// Whether `import` brings a module the code calls `qualifier`: its alias, its
/// specifier as written, or the specifier's last segment (a Go package, a Rust module).
fn names_module(import: &thread_extractors::Import, qualifier: &str) -> bool {
    import.alias.as_deref() == Some(qualifier)
        || import.specifier == qualifier
        || (import.alias.is_none() && last_segment(&import.specifier) == last_segment(qualifier))
}

fn dedup(mut targets: Vec<Target>) -> Vec<Target> {
    let mut seen = std::collections::HashSet::new();
    targets.retain(|target| seen.insert(*target));
    targets
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
