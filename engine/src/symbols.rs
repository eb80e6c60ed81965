//! Symbols: what identifies a definition, the per-file tables binding reads, and the
//! bindings themselves.
//!
//! Everything here derives from one file's facts alone (computed on the worker that
//! extracted them), except [`Bindings`], which the binder (`bind.rs`) computes from a
//! file's facts, its links and the tables of the files it reads.

use thread_extractors::{Definition, DefinitionKind, Evidence, FileFacts, Local};

use crate::fingerprint::{Fingerprint, FingerprintBuilder};
use crate::ids::FileId;

/// A definition at one revision: its file and its index in that file's facts.
///
/// Indices are stable while the file's [`SymbolTable::surface`] is: any edit that adds,
/// removes or reorders definitions changes the surface, and every binding into the file
/// is computed again. Use [`SymbolKey`] for an identity that outlives revisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefRef {
    /// The defining file.
    pub file: FileId,
    /// The index in its facts' definitions.
    pub index: u32,
}

/// A definition's identity across edits elsewhere in its file: path, owner, name and kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolKey {
    /// Workspace-relative path of the defining file.
    pub path: String,
    /// The owning type or class, for methods.
    pub owner: Option<String>,
    /// The name.
    pub name: String,
    /// The kind.
    pub kind: DefinitionKind,
}

impl SymbolKey {
    /// The key of `definition` in the file at `path`.
    pub fn of(path: &str, definition: &Definition) -> SymbolKey {
        SymbolKey {
            path: path.to_owned(),
            owner: definition.owner.clone(),
            name: definition.name.clone(),
            kind: definition.kind,
        }
    }

    /// Whether `definition` is the one this key names.
    pub fn matches(&self, definition: &Definition) -> bool {
        definition.name == self.name && definition.kind == self.kind && definition.owner == self.owner
    }
}

/// What one file's calls and imported names are bound to. Replaced as a unit whenever the
/// file is bound again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    /// (call index, definition it reaches), sorted. A call may reach several definitions
    /// (a name defined in both branches of a condition); an unbound call has no entry.
    pub calls: Vec<(u32, DefRef)>,
    /// (import index, name index within it, definition), sorted: imported names
    /// followed through re-exports to the defining file.
    pub imports: Vec<(u32, u32, DefRef)>,
    /// (call index, file, name): calls whose name comes through an import of a name
    /// that file does not offer (any more). What removing a definition breaks.
    pub missing: Vec<(u32, FileId, String)>,
    /// The other files binding read, sorted: a change to their surface binds this file again.
    pub consulted: Vec<FileId>,
    /// Method names whose implementations binding looked up, sorted: a file gaining or
    /// losing a method of such a name binds this file again.
    pub method_names: Vec<String>,
}

impl Bindings {
    /// The definitions the call at `call` reaches.
    pub fn call_targets(&self, call: u32) -> impl Iterator<Item = DefRef> + '_ {
        let start = self.calls.partition_point(|(index, _)| *index < call);
        self.calls[start..].iter().take_while(move |(index, _)| *index == call).map(|(_, target)| *target)
    }

    /// Every definition this file uses, sorted and distinct.
    pub fn targets(&self) -> Vec<DefRef> {
        let mut targets: Vec<DefRef> = self
            .calls
            .iter()
            .map(|(_, target)| *target)
            .chain(self.imports.iter().map(|(_, _, target)| *target))
            .collect();
        targets.sort_unstable();
        targets.dedup();
        targets
    }
}

/// One file's definitions and locals, indexed for name lookup. Derived from its facts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolTable {
    /// Per definition, the innermost definition around it.
    pub parents: Vec<Option<u32>>,
    /// Definition indices sorted by (owner, name).
    by_owner_and_name: Vec<u32>,
    /// Local indices sorted by (scope, name).
    locals_by_scope: Vec<u32>,
    /// Fingerprint of everything another file's binding can read here: definitions in
    /// order (kind, owner, name, visibility, bases, return type), imports, the locals that
    /// type module-level names and members, and the package. Not spans, not bodies.
    pub surface: Fingerprint,
}

impl SymbolTable {
    /// The table of a file with these facts.
    pub fn of(facts: &FileFacts) -> SymbolTable {
        let definitions = &facts.definitions;
        let parents = parents_of(definitions);
        let mut by_owner_and_name: Vec<u32> = (0..definitions.len() as u32).collect();
        by_owner_and_name
            .sort_by(|a, b| owner_and_name(&definitions[*a as usize]).cmp(&owner_and_name(&definitions[*b as usize])));
        let mut locals_by_scope: Vec<u32> = (0..facts.locals.len() as u32).collect();
        locals_by_scope.sort_by(|a, b| {
            scope_and_name(&facts.locals[*a as usize]).cmp(&scope_and_name(&facts.locals[*b as usize]))
        });
        SymbolTable { surface: surface_of(facts, &parents), parents, by_owner_and_name, locals_by_scope }
    }

    /// Definitions with this owner (`None`: free items) and name, in source order.
    pub fn named(&self, facts: &FileFacts, owner: Option<&str>, name: &str) -> impl Iterator<Item = u32> {
        let definitions = &facts.definitions;
        let wanted = (owner, name);
        let start =
            self.by_owner_and_name.partition_point(|index| owner_and_name(&definitions[*index as usize]) < wanted);
        let end =
            self.by_owner_and_name.partition_point(|index| owner_and_name(&definitions[*index as usize]) <= wanted);
        let mut found = self.by_owner_and_name[start..end].to_vec();
        found.sort_unstable();
        found.into_iter()
    }

    /// Every definition owned by `owner` (a type's methods), in source order.
    pub fn owned_by(&self, facts: &FileFacts, owner: &str) -> Vec<u32> {
        let definitions = &facts.definitions;
        let owner_of = |index: &u32| definitions[*index as usize].owner.as_deref();
        let start = self.by_owner_and_name.partition_point(|index| owner_of(index) < Some(owner));
        let end = self.by_owner_and_name.partition_point(|index| owner_of(index) <= Some(owner));
        let mut found = self.by_owner_and_name[start..end].to_vec();
        found.sort_unstable();
        found
    }

    /// Free definitions named `name` declared directly in `scope` (`None`: module level).
    pub fn named_in_scope(&self, facts: &FileFacts, scope: Option<u32>, name: &str) -> Vec<u32> {
        self.named(facts, None, name).filter(|index| self.parents[*index as usize] == scope).collect()
    }

    /// Locals named `name` whose innermost definition is `scope`.
    pub fn locals<'f>(&self, facts: &'f FileFacts, scope: Option<u32>, name: &str) -> impl Iterator<Item = &'f Local> {
        let locals = &facts.locals;
        let wanted = (scope.map(|scope| scope as usize), name);
        let key = |index: &u32| scope_and_name(&locals[*index as usize]);
        let start = self.locals_by_scope.partition_point(|index| key(index) < wanted);
        let end = self.locals_by_scope.partition_point(|index| key(index) <= wanted);
        let found: Vec<&'f Local> =
            self.locals_by_scope[start..end].iter().map(|index| &locals[*index as usize]).collect();
        found.into_iter()
    }

    /// The scopes around a position, innermost first: the definition at `innermost`, then
    /// its parents.
    pub fn scope_chain(&self, innermost: Option<u32>) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(innermost, move |index| self.parents.get(*index as usize).copied().flatten())
    }
}

fn owner_and_name(definition: &Definition) -> (Option<&str>, &str) {
    (definition.owner.as_deref(), definition.name.as_str())
}

fn scope_and_name(local: &Local) -> (Option<usize>, &str) {
    (local.scope, local.name.as_str())
}

/// Per definition, the index of the innermost definition whose span contains it.
/// Definitions are in source order (start ascending, outer before inner).
fn parents_of(definitions: &[Definition]) -> Vec<Option<u32>> {
    let mut parents = Vec::with_capacity(definitions.len());
    let mut open: Vec<usize> = Vec::new();
    for (index, definition) in definitions.iter().enumerate() {
        while open.last().is_some_and(|&top| {
            let outer = &definitions[top].span;
            !(outer.start_byte <= definition.span.start_byte && definition.span.end_byte <= outer.end_byte)
        }) {
            open.pop();
        }
        parents.push(open.last().map(|&parent| parent as u32));
        open.push(index);
    }
    parents
}

fn surface_of(facts: &FileFacts, parents: &[Option<u32>]) -> Fingerprint {
    let mut builder = FingerprintBuilder::default();
    builder.u64(facts.definitions.len() as u64);
    for (definition, parent) in facts.definitions.iter().zip(parents) {
        builder
            .str(definition.kind.as_str())
            .str(definition.owner.as_deref().unwrap_or("\u{0}"))
            .str(&definition.name)
            .u64(u64::from(definition.exported))
            .u64(u64::from(definition.default_export))
            .u64(parent.map_or(0, |parent| u64::from(parent) + 1))
            .str(definition.returns.as_deref().unwrap_or("\u{0}"))
            .u64(definition.bases.len() as u64);
        for base in &definition.bases {
            builder.str(base);
        }
    }
    builder.u64(facts.imports.len() as u64);
    for import in &facts.imports {
        builder
            .str(&import.specifier)
            .str(import.kind.as_str())
            .str(import.alias.as_deref().unwrap_or("\u{0}"))
            .u64(u64::from(import.wildcard))
            .u64(import.names.len() as u64);
        for name in &import.names {
            builder.str(&name.name).str(name.alias.as_deref().unwrap_or("\u{0}"));
        }
    }
    // Locals other files can see: module-level names' evidence, and members.
    for local in &facts.locals {
        let visible = local.scope.is_none()
            || local.name.starts_with('.')
            || local
                .scope
                .and_then(|scope| facts.definitions.get(scope))
                .is_some_and(|scope| !scope.kind.is_callable());
        if !visible {
            continue;
        }
        builder.str(&local.name).u64(local.scope.map_or(0, |scope| scope as u64 + 1));
        match &local.evidence {
            None => builder.str("none"),
            Some(Evidence::Annotation(text)) => builder.str("annotation").str(text),
            Some(Evidence::Construction(text)) => builder.str("construction").str(text),
        };
    }
    builder.str(facts.package.as_deref().unwrap_or("\u{0}"));
    builder.finish()
}
