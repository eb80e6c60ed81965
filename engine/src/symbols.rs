//! Symbols: what identifies a definition, the per-file tables binding reads, and the
//! bindings themselves.
//!
//! Everything here derives from one file's facts alone (computed on the worker that
//! extracted them), except [`Bindings`], which the binder (`bind.rs`) computes from a
//! file's facts, its links and the tables of the files it reads.

use std::hash::BuildHasher;
use std::sync::Arc;

use thread_extractors::{Definition, DefinitionKind, Evidence, FileFacts, Local};

use crate::fingerprint::Fingerprint;
use crate::ids::FileId;
use crate::interface::Interface;

/// A definition: its file and its [`SymbolId`] there.
///
/// It survives edits elsewhere in the file (lines moving, other definitions added or
/// removed), so bindings into a file stay valid until what they name changes.
/// [`Snapshot::def_index`](crate::Snapshot::def_index) finds the definition at a revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DefRef {
    /// The defining file.
    pub file: FileId,
    /// Which definition of the file.
    pub symbol: SymbolId,
}

/// A definition's identity within its file: a hash of its owner, name and kind, and of
/// how many definitions with the same owner, name and kind come before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolId(pub u64);

/// A name other files' bindings can read in a file (a top-level name, a type with its
/// members, `*` for its wildcard imports, its package clause), as a hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SurfaceKey(pub u64);

impl SurfaceKey {
    /// The key of a name. Binding hashes names at every read, so the hash is a fast one;
    /// keys live in memory only, never in a store.
    pub fn of(name: &str) -> SurfaceKey {
        use std::hash::Hasher;
        let mut hasher = rustc_hash::FxHasher::default();
        hasher.write(name.as_bytes());
        hasher.write_u8(0xff);
        SurfaceKey(hasher.finish())
    }

    /// The key of a file's wildcard imports.
    pub fn wildcards() -> SurfaceKey {
        SurfaceKey::of("\u{0}*")
    }

    /// The key of a file's package clause.
    pub fn package() -> SurfaceKey {
        SurfaceKey::of("\u{0}package")
    }

    /// The key of all of a file's imports.
    pub fn imports() -> SurfaceKey {
        SurfaceKey::of("\u{0}imports")
    }

    /// The key of a file's interface as a whole: which names it offers at all.
    pub fn interface() -> SurfaceKey {
        SurfaceKey::of("\u{0}interface")
    }
}

/// A definition's identity across edits elsewhere in its file: path, owner, name, kind,
/// and which of the file's definitions sharing those it is (two `fn lit` in one file, one
/// of them nested in a function).
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
    /// Its place, from 0 in source order, among the file's definitions with the same
    /// owner, name and kind.
    pub ordinal: u32,
}

impl SymbolKey {
    /// The key of the definition at `index` of `facts`, the facts of the file at `path`.
    pub fn of(path: &str, facts: &FileFacts, table: &SymbolTable, index: u32) -> Option<SymbolKey> {
        let definition = facts.definitions.get(index as usize)?;
        let ordinal = table
            .named(facts, definition.owner.as_deref(), &definition.name)
            .filter(|other| facts.definitions[*other as usize].kind == definition.kind)
            .position(|other| other == index)?;
        Some(SymbolKey {
            path: path.to_owned(),
            owner: definition.owner.as_deref().map(str::to_owned),
            name: definition.name.to_string(),
            kind: definition.kind,
            ordinal: u32::try_from(ordinal).ok()?,
        })
    }

    /// Whether `definition` has this key's owner, name and kind (its ordinal is its place
    /// among those that do).
    pub fn matches(&self, definition: &Definition) -> bool {
        definition.name == self.name
            && definition.kind == self.kind
            && definition.owner.as_deref() == self.owner.as_deref()
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
    /// The other files whose links binding followed, sorted: a change to their links, or
    /// their removal, binds this file again.
    pub consulted: Vec<FileId>,
    /// The names binding read in other files, sorted: a change to what one of them
    /// means there binds this file again.
    pub reads: Vec<(FileId, SurfaceKey)>,
    /// Method names whose implementations binding looked up, sorted: a file gaining or
    /// losing a method of such a name binds this file again.
    pub method_names: Vec<String>,
    /// Go package directories whose files binding listed, sorted: a file coming or going
    /// there binds this file again.
    pub directories: Vec<String>,
}

impl Bindings {
    /// The bindings of a file not bound yet, or of one that binds nothing: one shared
    /// allocation for all of them.
    pub fn shared_empty() -> std::sync::Arc<Bindings> {
        static EMPTY: std::sync::OnceLock<std::sync::Arc<Bindings>> = std::sync::OnceLock::new();
        std::sync::Arc::clone(EMPTY.get_or_init(|| std::sync::Arc::new(Bindings::default())))
    }

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
#[derive(Clone, Debug, Default)]
pub struct SymbolTable {
    /// Per definition, the innermost definition around it.
    pub parents: Vec<Option<u32>>,
    /// Per definition, its identity.
    ids: Vec<SymbolId>,
    /// Definition indices sorted by owner and then name, each compared by hash first (see
    /// [`NameOrder`]).
    by_owner_and_name: Vec<u32>,
    /// Local indices sorted by name (hash first), then scope, each name's in source order
    /// within a scope.
    locals_by_name: Vec<u32>,
    /// The surface, once asked for: a file's next version compares its surface with this
    /// one, so an edit of a large file computes one surface, not two.
    surface: std::sync::OnceLock<Arc<[(SurfaceKey, u64)]>>,
}

/// Tables are equal by what they index; a surface computed once is a cache, not state.
impl PartialEq for SymbolTable {
    fn eq(&self, other: &SymbolTable) -> bool {
        self.parents == other.parents
            && self.ids == other.ids
            && self.by_owner_and_name == other.by_owner_and_name
            && self.locals_by_name == other.locals_by_name
    }
}

impl Eq for SymbolTable {}

impl SymbolTable {
    /// The table of a file with these facts.
    pub fn of(facts: &FileFacts) -> SymbolTable {
        let definitions = &facts.definitions;
        let parents = parents_of(definitions);
        let by_owner_and_name = sorted_by_hashes(
            (definitions.iter().enumerate()).map(|(index, definition)| {
                let (owner, name) = owner_and_name(definition);
                (NameOrder::hash_owner(owner), NameOrder::hash(name), index as u32)
            }),
            |a, b| {
                let (x, y) = (&definitions[a.2 as usize], &definitions[b.2 as usize]);
                a.0 != b.0 || (x.owner == y.owner && (a.1 != b.1 || x.name == y.name))
            },
            |a, b| {
                let (x, y) = (&definitions[a.2 as usize], &definitions[b.2 as usize]);
                (a.0.cmp(&b.0))
                    .then_with(|| x.owner.cmp(&y.owner))
                    .then(a.1.cmp(&b.1))
                    .then_with(|| x.name.cmp(&y.name))
            },
        );
        let locals = &facts.locals;
        let scope_order = |scope: Option<usize>| scope.map_or(0, |scope| scope as u64 + 1);
        let locals_by_name = sorted_by_hashes(
            (locals.iter().enumerate())
                .map(|(index, local)| (NameOrder::hash(&local.name), scope_order(local.scope), index as u32)),
            |a, b| a.0 != b.0 || locals[a.2 as usize].name == locals[b.2 as usize].name,
            |a, b| {
                let (x, y) = (&locals[a.2 as usize], &locals[b.2 as usize]);
                (a.0.cmp(&b.0)).then_with(|| name_and_scope(x).cmp(&name_and_scope(y)))
            },
        );
        let ids = ids_of(definitions, &parents);
        SymbolTable { parents, ids, by_owner_and_name, locals_by_name, surface: std::sync::OnceLock::new() }
    }

    /// Whether this table, built from `built_from`, is also the table of `facts`. A table
    /// and its surface read positions only as nesting (which definition encloses which):
    /// a version of the file that only moved things (a line added above them) keeps its
    /// table, and the surface computed with it. Whatever [`SymbolTable::of`] or
    /// `surface_of` comes to read must be compared here, by
    /// [`FileFacts::same_apart_from_positions`].
    pub fn serves(&self, built_from: &FileFacts, facts: &FileFacts) -> bool {
        built_from.same_apart_from_positions(facts) && parents_of(&facts.definitions) == self.parents
    }

    /// The identity of the definition at `index`.
    pub fn id(&self, index: u32) -> Option<SymbolId> {
        self.ids.get(index as usize).copied()
    }

    /// The index of the definition with identity `id`. A scan: it serves requests, not
    /// binding, and keeps no second index per file in memory.
    pub fn index(&self, id: SymbolId) -> Option<u32> {
        self.ids.iter().position(|candidate| *candidate == id).map(|index| index as u32)
    }

    /// The surface key under which another file reads the definition at `index`: the
    /// name of its outermost enclosing definition, or that definition's owner.
    pub fn key_of(&self, facts: &FileFacts, index: u32) -> SurfaceKey {
        key_of_definition(&facts.definitions, &self.parents, index as usize)
    }

    /// Per surface key, a fingerprint of everything another file's binding can read
    /// under it: the definitions of that name and, for a type, its members and bases;
    /// the locals typing a module-level name or a member; the imports offering the name.
    /// Not spans, not bodies. Sorted by key. Computed once per table, when a file changes
    /// (a file's facts and interface are those its table was built from, or a version of
    /// them that differs only in positions, see [`SymbolTable::serves`]).
    pub fn surface(&self, facts: &FileFacts, interface: &Interface) -> Arc<[(SurfaceKey, u64)]> {
        Arc::clone(self.surface.get_or_init(|| surface_of(facts, &self.parents, interface.fingerprint).into()))
    }

    /// The surface keys whose fingerprints differ between two surfaces.
    pub fn changed_keys(old: &[(SurfaceKey, u64)], new: &[(SurfaceKey, u64)]) -> Vec<SurfaceKey> {
        let mut changed = Vec::new();
        let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
        loop {
            match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(x), Some(y)) if x.0 == y.0 => {
                    if x.1 != y.1 {
                        changed.push(x.0);
                    }
                    a.next();
                    b.next();
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    changed.push(x.0);
                    a.next();
                }
                (Some(_), Some(y)) => {
                    changed.push(y.0);
                    b.next();
                }
                (Some(x), None) => {
                    changed.push(x.0);
                    a.next();
                }
                (None, Some(y)) => {
                    changed.push(y.0);
                    b.next();
                }
            }
        }
        changed
    }

    /// Definitions with this owner (`None`: free items) and name, in source order.
    pub fn named(&self, facts: &FileFacts, owner: Option<&str>, name: &str) -> impl Iterator<Item = u32> {
        let definitions = &facts.definitions;
        let wanted = (NameOrder::of_owner(owner), NameOrder::of(name));
        let order = |index: &u32| {
            let (owner, name) = owner_and_name(&definitions[*index as usize]);
            (NameOrder::of_owner(owner), NameOrder::of(name)).cmp(&wanted)
        };
        let mut found = equal_range(&self.by_owner_and_name, order).to_vec();
        found.sort_unstable();
        found.into_iter()
    }

    /// Every definition owned by `owner` (a type's methods), in source order.
    pub fn owned_by(&self, facts: &FileFacts, owner: &str) -> Vec<u32> {
        let definitions = &facts.definitions;
        let wanted = NameOrder::of_owner(Some(owner));
        let order = |index: &u32| NameOrder::of_owner(definitions[*index as usize].owner.as_deref()).cmp(&wanted);
        let mut found = equal_range(&self.by_owner_and_name, order).to_vec();
        found.sort_unstable();
        found
    }

    /// Free definitions named `name` declared directly in `scope` (`None`: module level).
    pub fn named_in_scope(&self, facts: &FileFacts, scope: Option<u32>, name: &str) -> Vec<u32> {
        self.named(facts, None, name).filter(|index| self.parents[*index as usize] == scope).collect()
    }

    /// Locals named `name` whose innermost definition is `scope`.
    pub fn locals<'f>(&self, facts: &'f FileFacts, scope: Option<u32>, name: &str) -> impl Iterator<Item = &'f Local> {
        locals_among(facts, self.named_locals(facts, name), scope)
    }

    /// Every local named `name`, by scope and then in source order (a member `.x` set in
    /// each of a class's methods).
    pub fn named_locals(&self, facts: &FileFacts, name: &str) -> &[u32] {
        let locals = &facts.locals;
        let wanted = NameOrder::of(name);
        let order = |index: &u32| NameOrder::of(&locals[*index as usize].name).cmp(&wanted);
        equal_range(&self.locals_by_name, order)
    }

    /// The scopes around a position, innermost first: the definition at `innermost`, then
    /// its parents.
    pub fn scope_chain(&self, innermost: Option<u32>) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(innermost, move |index| self.parents.get(*index as usize).copied().flatten())
    }
}

/// The order of names in a table's indexes: by a hash of the name first, then by the name.
/// Lookups need each name's entries together, not names in alphabetical order, and a
/// large file's tables are sorted on every edit, where comparing hashes is far cheaper
/// than comparing strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct NameOrder<'a>(u64, Option<&'a str>);

impl<'a> NameOrder<'a> {
    fn of(name: &'a str) -> NameOrder<'a> {
        NameOrder(NameOrder::hash(name), Some(name))
    }

    /// A definition's owner: `None` for free items.
    fn of_owner(owner: Option<&'a str>) -> NameOrder<'a> {
        NameOrder(NameOrder::hash_owner(owner), owner)
    }

    fn hash(name: &str) -> u64 {
        #[cfg(test)]
        if tests::COLLIDING.get() {
            // Two hashes for all names: every lookup meets names that are not its own.
            return name.len() as u64 % 2;
        }
        rustc_hash::FxBuildHasher.hash_one(name)
    }

    fn hash_owner(owner: Option<&str>) -> u64 {
        owner.map_or(0, NameOrder::hash)
    }
}

/// Indices sorted by their hash keys, as numbers, and then by index: an index's entry is
/// `(hash, hash, index)`. Sorting compares no strings; afterwards `consistent` checks each
/// pair of neighbours (entries whose hashes are equal must name the same thing), and only
/// when two different names share a hash (almost never) is the whole sorted again by
/// `exact`, which compares the names where the hashes are equal.
fn sorted_by_hashes(
    entries: impl Iterator<Item = (u64, u64, u32)>,
    consistent: impl Fn(&(u64, u64, u32), &(u64, u64, u32)) -> bool,
    exact: impl Fn(&(u64, u64, u32), &(u64, u64, u32)) -> std::cmp::Ordering,
) -> Vec<u32> {
    let mut entries: Vec<(u64, u64, u32)> = entries.collect();
    entries.sort_unstable();
    if !entries.windows(2).all(|pair| consistent(&pair[0], &pair[1])) {
        entries.sort_unstable_by(|a, b| exact(a, b).then(a.2.cmp(&b.2)));
    }
    entries.into_iter().map(|(_, _, index)| index).collect()
}

/// The entries of `sorted` that `order` finds equal to what it looks for.
fn equal_range(sorted: &[u32], order: impl Fn(&u32) -> std::cmp::Ordering) -> &[u32] {
    let start = sorted.partition_point(|index| order(index).is_lt());
    let end = start + sorted[start..].partition_point(|index| order(index).is_le());
    &sorted[start..end]
}

fn owner_and_name(definition: &Definition) -> (Option<&str>, &str) {
    (definition.owner.as_deref(), definition.name.as_str())
}

/// Of `named`, a [`SymbolTable::named_locals`] answer, the locals whose innermost
/// definition is `scope`.
pub(crate) fn locals_among<'f>(
    facts: &'f FileFacts,
    named: &[u32],
    scope: Option<u32>,
) -> impl Iterator<Item = &'f Local> {
    let locals = &facts.locals;
    let wanted = scope.map(|scope| scope as usize);
    let start = named.partition_point(|index| locals[*index as usize].scope < wanted);
    let end = named.partition_point(|index| locals[*index as usize].scope <= wanted);
    let found: Vec<&'f Local> = named[start..end].iter().map(|index| &locals[*index as usize]).collect();
    found.into_iter()
}

fn name_and_scope(local: &Local) -> (&str, Option<usize>) {
    (local.name.as_str(), local.scope)
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

/// The index of the outermost definition around `index` (itself at the top level).
fn outermost(parents: &[Option<u32>], mut index: usize) -> usize {
    while let Some(Some(parent)) = parents.get(index) {
        index = *parent as usize;
    }
    index
}

/// The surface key another file reads the definition at `index` under: the name of its
/// outermost enclosing definition, or that definition's owner. The one rule for it.
fn key_of_definition(definitions: &[Definition], parents: &[Option<u32>], index: usize) -> SurfaceKey {
    match definitions.get(outermost(parents, index)) {
        Some(top) => SurfaceKey::of(top.owner.as_deref().unwrap_or(&top.name)),
        None => SurfaceKey::of(""),
    }
}

/// Each definition's identity: its surface key, owner, name and kind, and its ordinal
/// among the definitions sharing all four. Whatever changes an identity changes that
/// key's fingerprint, so every binding into it is made again.
fn ids_of(definitions: &[Definition], parents: &[Option<u32>]) -> Vec<SymbolId> {
    let mut seen: rustc_hash::FxHashMap<(SurfaceKey, Option<&str>, &str, DefinitionKind), u64> = Default::default();
    definitions
        .iter()
        .enumerate()
        .map(|(index, definition)| {
            let key = key_of_definition(definitions, parents, index);
            let ordinal =
                seen.entry((key, definition.owner.as_deref(), &definition.name, definition.kind)).or_default();
            // Identities live in memory only, like surfaces: the same small hasher.
            let mut hasher = SurfaceHasher::default();
            hasher
                .u64(key.0)
                .str(definition.owner.as_deref().unwrap_or("\u{0}"))
                .str(&definition.name)
                .str(definition.kind.as_str())
                .u64(*ordinal);
            *ordinal += 1;
            SymbolId(std::hash::Hasher::finish(&hasher.0))
        })
        .collect()
}

/// Per surface key, the fingerprint of what other files can read under it.
fn surface_of(facts: &FileFacts, parents: &[Option<u32>], interface: Fingerprint) -> Vec<(SurfaceKey, u64)> {
    let mut builders: rustc_hash::FxHashMap<SurfaceKey, SurfaceHasher> = rustc_hash::FxHashMap::default();
    fn add(builders: &mut rustc_hash::FxHashMap<SurfaceKey, SurfaceHasher>, key: SurfaceKey) -> &mut SurfaceHasher {
        builders.entry(key).or_default()
    }
    let outermost = |index: usize| outermost(parents, index);
    let key_of_definition = |index: usize| key_of_definition(&facts.definitions, parents, index);
    // Whether a name is offered at all (missing names) follows the whole interface.
    add(&mut builders, SurfaceKey::interface()).bytes(&interface.0);
    for (index, (definition, parent)) in facts.definitions.iter().zip(parents).enumerate() {
        let builder = add(&mut builders, key_of_definition(index));
        builder
            .u64(index as u64 - outermost(index) as u64)
            .str(definition.kind.as_str())
            .str(definition.owner.as_deref().unwrap_or("\u{0}"))
            .str(&definition.name)
            .u64(u64::from(definition.exported))
            .u64(u64::from(definition.default_export))
            .u64(parent.map_or(0, |parent| u64::from(parent) + 1 - outermost(index) as u64))
            .str(definition.returns.as_deref().unwrap_or("\u{0}"))
            .u64(definition.bases.len() as u64);
        for base in &definition.bases {
            builder.str(base);
        }
        if definition.default_export {
            add(&mut builders, SurfaceKey::of("default")).str(&definition.name).str(definition.kind.as_str());
        }
    }
    for import in &facts.imports {
        let mut offered: Vec<&str> =
            import.names.iter().map(|name| name.alias.as_deref().unwrap_or(&name.name)).collect();
        offered.extend(import.alias.as_deref());
        if import.names.is_empty() && import.alias.is_none() {
            offered.extend(import.specifier.rsplit("::").next());
            offered.push(&import.specifier);
        }
        let mut keys: Vec<SurfaceKey> = offered.into_iter().map(SurfaceKey::of).collect();
        // Every import, for readers that match imports by what their targets declare
        // (a Go package's name) rather than by how they are written.
        keys.push(SurfaceKey::imports());
        if import.wildcard {
            keys.push(SurfaceKey::wildcards());
        }
        for key in keys {
            let builder = add(&mut builders, key);
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
    }
    // Locals other files can see: module-level names' evidence, and members.
    for local in &facts.locals {
        let key = match local.scope {
            None => SurfaceKey::of(&local.name),
            Some(scope) => {
                // Restored facts are not trusted to be consistent: a scope out of range is skipped.
                let Some(scope_definition) = facts.definitions.get(scope) else { continue };
                let visible = local.name.starts_with('.') || !scope_definition.kind.is_callable();
                if !visible {
                    continue;
                }
                key_of_definition(scope)
            }
        };
        let builder = add(&mut builders, key);
        builder.str(&local.name).u64(local.scope.map_or(0, |scope| (scope - outermost(scope)) as u64 + 1));
        match &local.evidence {
            None => builder.str("none"),
            Some(Evidence::Annotation(text)) => builder.str("annotation").str(text),
            Some(Evidence::Construction(text)) => builder.str("construction").str(text),
        };
    }
    add(&mut builders, SurfaceKey::package()).str(facts.package.as_deref().unwrap_or("\u{0}"));
    let mut surface: Vec<(SurfaceKey, u64)> =
        builders.into_iter().map(|(key, builder)| (key, std::hash::Hasher::finish(&builder.0))).collect();
    surface.sort_unstable_by_key(|(key, _)| *key);
    surface
}

/// A 64-bit hash of what one surface key's readers see, or of a definition's identity.
/// Both live in memory only and are compared within one process, so a small hash does (a
/// Blake3 hasher weighs 2 KB, and an edit of a large file hashes thousands of keys);
/// strings are length-prefixed, as in [`crate::fingerprint::FingerprintBuilder`]. Foldhash,
/// seeded: of the good 64-bit hashes the fastest on the many short strings a surface has.
struct SurfaceHasher(foldhash::quality::FoldHasher<'static>);

impl Default for SurfaceHasher {
    fn default() -> SurfaceHasher {
        // A fixed seed: fingerprints are compared across versions of a file.
        static SEED: foldhash::quality::FixedState = foldhash::quality::FixedState::with_seed(0x7468_7265_6164);
        SurfaceHasher(SEED.build_hasher())
    }
}

impl SurfaceHasher {
    fn str(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes())
    }

    fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        use std::hash::Hasher;
        self.0.write_usize(bytes.len());
        self.0.write(bytes);
        self
    }

    fn u64(&mut self, value: u64) -> &mut Self {
        use std::hash::Hasher;
        self.0.write_u64(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use thread_extractors::{Lang, extract};

    use super::*;

    thread_local! {
        /// Makes names' hashes collide, on this test's thread only.
        pub(super) static COLLIDING: Cell<bool> = const { Cell::new(false) };
    }

    /// Every lookup's answer, for every name and owner the file has.
    fn answers(facts: &FileFacts) -> Vec<String> {
        let table = SymbolTable::of(facts);
        let mut names: Vec<&str> = facts.definitions.iter().map(|definition| definition.name.as_str()).collect();
        names.extend(facts.locals.iter().map(|local| local.name.as_str()));
        names.extend(["missing", "self.missing"]);
        let mut owners: Vec<Option<&str>> =
            facts.definitions.iter().map(|definition| definition.owner.as_deref()).collect();
        owners.push(Some("Missing"));
        let mut answers = Vec::new();
        for name in &names {
            for owner in &owners {
                answers.push(format!("{owner:?}.{name}: {:?}", table.named(facts, *owner, name).collect::<Vec<_>>()));
            }
            answers.push(format!("locals {name}: {:?}", table.named_locals(facts, name)));
        }
        for owner in owners.iter().flatten() {
            answers.push(format!("owned by {owner}: {:?}", table.owned_by(facts, owner)));
        }
        answers
    }

    /// Names that share a hash are told apart by the names themselves: with every name
    /// colliding, each lookup answers as with real hashes.
    #[test]
    fn lookups_do_not_depend_on_names_hashing_apart() {
        let source = br#"
class Reader:
    def read(self, size):
        data = size
        self.data = data
        return data

    def close(self):
        self.data = None

class Writer:
    def read(self):
        return 0

    def write(self, data, size):
        buffer = data
        return buffer

def read(path):
    data = open(path)
    size = 1
    return data

data = read("x")
size = 2
"#;
        let facts = extract(Lang::Python, source).expect("extraction");
        assert!(facts.locals.len() >= 8 && facts.definitions.len() >= 7, "{facts:?}");
        let real = answers(&facts);
        COLLIDING.set(true);
        let colliding = answers(&facts);
        COLLIDING.set(false);
        assert_eq!(real, colliding);
    }
}
