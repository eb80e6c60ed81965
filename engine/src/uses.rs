//! Lookups over bindings and the uses index: what the call hierarchy, references, the
//! dependents lens and the impact diagnostic ask. Nothing here scans the workspace: a
//! definition's uses start from its file's `used_by` list, a file's calls from its own
//! bindings.

use thread_extractors::{Definition, Span};

use crate::ids::FileId;
use crate::snapshot::{FileEntry, Snapshot};
use crate::symbols::{DefRef, SymbolKey};

/// One use of a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Use {
    /// The file that uses it.
    pub file: FileId,
    /// Where: the callee of a call, or the imported name.
    pub span: Span,
    /// How.
    pub kind: UseKind,
}

/// How a definition is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum UseKind {
    /// Called, from inside this definition of the using file (`None`: its top level).
    Call {
        /// Index of the calling function or method in the using file's definitions.
        caller: Option<u32>,
    },
    /// Named by an import.
    Import,
}

impl UseKind {
    /// True for calls.
    pub fn is_call(self) -> bool {
        matches!(self, UseKind::Call { .. })
    }
}

impl Snapshot {
    /// The index in its file's facts of the definition `target` refers to.
    pub fn def_index(&self, target: DefRef) -> Option<usize> {
        self.file(target.file)?.symbols.index(target.symbol).map(|index| index as usize)
    }

    /// The definition at `index` of `file`'s facts, as a reference.
    pub fn def_ref(&self, file: FileId, index: usize) -> Option<DefRef> {
        let symbol = self.file(file)?.symbols.id(u32::try_from(index).ok()?)?;
        Some(DefRef { file, symbol })
    }

    /// The definition `target` refers to.
    pub fn definition(&self, target: DefRef) -> Option<&Definition> {
        self.file(target.file)?.facts.definitions.get(self.def_index(target)?)
    }

    /// The identity of `target` as path, owner, name and kind.
    pub fn symbol_key(&self, target: DefRef) -> Option<SymbolKey> {
        let file = self.file(target.file)?;
        SymbolKey::of(&file.path, &file.facts, &file.symbols, u32::try_from(self.def_index(target)?).ok()?)
    }

    /// The definition `key` names at this revision.
    pub fn resolve_key(&self, key: &SymbolKey) -> Option<DefRef> {
        let file = self.file_at(&key.path)?;
        let index = file
            .symbols
            .named(&file.facts, key.owner.as_deref(), &key.name)
            .filter(|index| {
                file.facts.definitions.get(*index as usize).is_some_and(|definition| key.matches(definition))
            })
            .nth(key.ordinal as usize)?;
        self.def_ref(file.id, index as usize)
    }

    /// The files whose bindings use `target`, sorted.
    pub fn users_of_definition(&self, target: DefRef) -> Vec<FileId> {
        let Some(file) = self.file(target.file) else { return Vec::new() };
        let start = file.used_by.partition_point(|(symbol, _)| *symbol < target.symbol);
        file.used_by[start..].iter().take_while(|(symbol, _)| *symbol == target.symbol).map(|(_, user)| *user).collect()
    }

    /// Every use of `target`: the calls bound to it and the imports naming it, by file
    /// then position.
    pub fn uses_of(&self, target: DefRef) -> Vec<Use> {
        let mut uses = Vec::new();
        for user in self.users_of_definition(target) {
            let Some(file) = self.file(user) else { continue };
            uses.extend(uses_in(file, target));
        }
        uses
    }

    /// What the function or method `source` calls: each callee with the calls reaching it,
    /// in the order first called.
    pub fn callees_of(&self, source: DefRef) -> Vec<(DefRef, Vec<Span>)> {
        let (Some(file), Some(source_index)) = (self.file(source.file), self.def_index(source)) else {
            return Vec::new();
        };
        let mut callees: Vec<(DefRef, Vec<Span>)> = Vec::new();
        for (index, call) in file.facts.calls.iter().enumerate() {
            if call.caller != Some(source_index) {
                continue;
            }
            for target in file.bindings.call_targets(index as u32) {
                match callees.iter_mut().find(|(callee, _)| *callee == target) {
                    Some((_, spans)) => spans.push(call.span),
                    None => callees.push((target, vec![call.span])),
                }
            }
        }
        callees
    }

    /// The definitions the call at `call` of `file` is bound to.
    pub fn call_targets(&self, file: FileId, call: usize) -> Vec<DefRef> {
        self.file(file).map_or_else(Vec::new, |entry| entry.bindings.call_targets(call as u32).collect())
    }

    /// The definitions the name at `name` of import `import` of `file` is bound to,
    /// followed through re-exports.
    pub fn import_targets(&self, file: FileId, import: usize, name: usize) -> Vec<DefRef> {
        let Some(entry) = self.file(file) else { return Vec::new() };
        let key = (import as u32, name as u32);
        let imports = &entry.bindings.imports;
        let start = imports.partition_point(|(i, n, _)| (*i, *n) < key);
        imports[start..].iter().take_while(|(i, n, _)| (*i, *n) == key).map(|(_, _, target)| *target).collect()
    }

    /// The places in `file`'s dependents that use `name`, which `file` does not offer:
    /// their imports of it and the calls that went through those imports.
    pub fn missing_uses(&self, file: FileId, name: &str) -> Vec<Use> {
        let Some(entry) = self.file(file) else { return Vec::new() };
        let mut uses = Vec::new();
        for dependent in entry.dependents.iter().filter_map(|id| self.file(*id)) {
            let imports = dependent.missing.iter().filter(|missing| missing.target == file && missing.name == name);
            uses.extend(imports.map(|missing| Use { file: dependent.id, span: missing.span, kind: UseKind::Import }));
            for (call, _, _) in
                dependent.bindings.missing.iter().filter(|(_, target, missing)| *target == file && missing == name)
            {
                let Some(call) = dependent.facts.calls.get(*call as usize) else { continue };
                let caller = call.caller.map(|caller| caller as u32);
                uses.push(Use { file: dependent.id, span: call.span, kind: UseKind::Call { caller } });
            }
        }
        uses
    }
}

/// The uses of `target` in `file`, from its bindings.
fn uses_in(file: &FileEntry, target: DefRef) -> Vec<Use> {
    let mut uses = Vec::new();
    for (call, bound) in &file.bindings.calls {
        if *bound != target {
            continue;
        }
        let Some(call) = file.facts.calls.get(*call as usize) else { continue };
        let caller = call.caller.map(|caller| caller as u32);
        uses.push(Use { file: file.id, span: call.span, kind: UseKind::Call { caller } });
    }
    for (import, name, bound) in &file.bindings.imports {
        if *bound != target {
            continue;
        }
        let Some(imported) =
            file.facts.imports.get(*import as usize).and_then(|import| import.names.get(*name as usize))
        else {
            continue;
        };
        uses.push(Use { file: file.id, span: imported.span, kind: UseKind::Import });
    }
    uses.sort();
    uses
}
