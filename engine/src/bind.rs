//! Binding: each call and imported name of a file, to the definitions it reaches.
//!
//! Binding runs in the host, after resolution, on the files whose own facts or links
//! changed and on the files that read, in another file, a name whose surface changed
//! there. It reads facts, links and [`SymbolTable`](crate::symbols::SymbolTable)s, never other files' bindings, so
//! files bind in any order and nothing iterates to a fixpoint. Every read of another
//! file goes through an accessor that records it (`read`, `read_name`,
//! `definition_of`, `links_followed`): those records are what the host re-binds by.
//!
//! The rules, in the order a name is looked up:
//!
//! 1. **Lexical scope.** Definitions nested in the enclosing functions, then their locals
//!    (parameters, variables). A local shadows everything outside it; it binds a call
//!    only through type evidence (an annotation or a constructor call).
//! 2. **Module scope.** Imported names (aliases followed, then re-exports and barrels up
//!    to the defining file), modules imported under a name, the file's own top-level
//!    definitions, and for Go the other files of its package; then wildcard imports.
//! 3. **Qualified calls.** `pkg.f`, `mod.f`, `ns.f` go through the module; `Type.m` and
//!    `Type::m` to the type's members; `x.m` to the members of `x`'s type when `x` has
//!    evidence; `self`/`this`/`cls`/`Self` to the enclosing type, `super` to its bases;
//!    members are searched in the type, then its bases, nearest first.
//!
//! What cannot be bound stays unbound: unknown receivers, external modules, shadowed
//! names. There is no "every definition of that name" fallback.

use std::collections::{BTreeSet, HashMap};

use rustc_hash::{FxHashMap, FxHashSet};

use thread_extractors::resolve::Usage;
use thread_extractors::{
    Call, DefinitionKind, Evidence, Family, FileFacts, Import, ImportKind, ImportedName, Local, Signatures, all_same,
};

use crate::ids::FileId;
use crate::snapshot::{FileEntry, Link, Snapshot};
use crate::symbols::{Bindings, DefRef, SurfaceKey, locals_among};

/// Re-export chains and evidence longer than this are not followed (they are cycles, or
/// generated code).
const MAX_DEPTH: u32 = 12;

/// What binding knows about one language family: data, not code paths.
struct Rules {
    /// Qualifiers naming the enclosing type (instance or type itself).
    receivers: &'static [&'static str],
    /// Qualifiers naming the enclosing type's bases.
    supers: &'static [&'static str],
    /// Which imports of a file re-export what they import to the file's importers.
    reexports: fn(&Import) -> bool,
    /// How a module imported without names is called in code.
    module_name: ModuleName,
    /// Generic wrappers a method call sees through: `Box<Foo>`, `Optional[Foo]`.
    transparent: &'static [&'static str],
    /// The method a call of a class runs: a call `Foo()` / `new Foo()` is also a call of it.
    constructor: Option<&'static str>,
    /// A call through an interface method is also a call of the method in every type
    /// whose method set covers the interface's (Go's structural implementation).
    dispatch: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ModuleName {
    /// By its last `::` segment (Rust `use a::b` → `b`).
    LastSegment,
    /// By the `package` clause of its files (Go).
    Package,
    /// By its dotted path as written (Python `import a.b` → `a.b.f()`).
    Dotted,
    /// Only under an alias (TS/JS `* as ns`, `const m = require()`).
    AliasOnly,
}

fn rules(family: Family) -> &'static Rules {
    static PYTHON: Rules = Rules {
        receivers: &["self", "cls"],
        supers: &["super()"],
        reexports: |_| true,
        module_name: ModuleName::Dotted,
        transparent: &["Optional", "typing.Optional", "Type", "type"],
        constructor: None,
        dispatch: false,
    };
    static ECMASCRIPT: Rules = Rules {
        receivers: &["this"],
        supers: &["super"],
        reexports: |import| import.kind == ImportKind::Reexport,
        module_name: ModuleName::AliasOnly,
        transparent: &["Readonly", "Partial"],
        constructor: Some("constructor"),
        dispatch: false,
    };
    static RUST: Rules = Rules {
        receivers: &["self", "Self"],
        supers: &[],
        reexports: |import| import.kind != ImportKind::Mod,
        module_name: ModuleName::LastSegment,
        transparent: &["Box", "Rc", "Arc", "&", "&mut"],
        constructor: None,
        dispatch: false,
    };
    static GO: Rules = Rules {
        receivers: &[],
        supers: &[],
        reexports: |_| false,
        module_name: ModuleName::Package,
        transparent: &[],
        constructor: None,
        dispatch: true,
    };
    match family {
        Family::Python => &PYTHON,
        Family::EcmaScript => &ECMASCRIPT,
        Family::Rust => &RUST,
        Family::Go => &GO,
    }
}

/// Go packages: directory → its Go files (binding reads a file's package mates), and
/// method name → the Go files defining a method of that name (interface dispatch).
#[derive(Clone, Debug, Default)]
pub(crate) struct GoPackages {
    by_dir: HashMap<String, BTreeSet<FileId>>,
    methods: HashMap<String, BTreeSet<FileId>>,
}

impl GoPackages {
    /// Records a Go file with the names of the methods it defines.
    pub(crate) fn insert(&mut self, path: &str, id: FileId, methods: &BTreeSet<String>) {
        self.by_dir.entry(directory(path).to_owned()).or_default().insert(id);
        for method in methods {
            self.methods.entry(method.clone()).or_default().insert(id);
        }
    }

    /// Forgets a Go file and the methods it defined.
    pub(crate) fn remove(&mut self, path: &str, id: FileId, methods: &BTreeSet<String>) {
        let dir = directory(path);
        if let Some(files) = self.by_dir.get_mut(dir) {
            files.remove(&id);
            if files.is_empty() {
                self.by_dir.remove(dir);
            }
        }
        for method in methods {
            if let Some(files) = self.methods.get_mut(method) {
                files.remove(&id);
                if files.is_empty() {
                    self.methods.remove(method);
                }
            }
        }
    }

    /// The Go files defining a method named `name`.
    fn defining_method(&self, name: &str) -> Vec<FileId> {
        self.methods.get(name).map(|files| files.iter().copied().collect()).unwrap_or_default()
    }

    /// The Go files in `directory`.
    pub(crate) fn in_directory(&self, directory: &str) -> impl Iterator<Item = FileId> + '_ {
        self.by_dir.get(directory).into_iter().flatten().copied()
    }
}

/// The directory of a workspace-relative path (`""` at the root): a Go package's key.
pub(crate) fn directory(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// What names mean within one binding, by a key and then the name: looked up without
/// allocating, since a large file asks for the same names thousands of times.
struct Memo<K> {
    by_key: FxHashMap<K, FxHashMap<String, Meaning>>,
}

impl<K> Default for Memo<K> {
    fn default() -> Self {
        Memo { by_key: FxHashMap::default() }
    }
}

impl<K: Eq + std::hash::Hash + Copy> Memo<K> {
    fn get(&self, key: &K, name: &str) -> Option<&Meaning> {
        self.by_key.get(key)?.get(name)
    }

    fn insert(&mut self, key: K, name: &str, meaning: Meaning) {
        let names = self.by_key.entry(key).or_default();
        match names.get_mut(name) {
            Some(slot) => *slot = meaning,
            None => {
                names.insert(name.to_owned(), meaning);
            }
        }
    }
}

/// A definition while binding: its file and index at this revision. Bindings store the
/// stable [`DefRef`] instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Def {
    file: FileId,
    index: u32,
}

/// What a name or expression denotes, as far as binding can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Meaning {
    /// These definitions (functions, types, constants...).
    Defs(Vec<Def>),
    /// These files, as modules.
    Modules(Vec<FileId>),
    /// A value whose type is one of these type definitions.
    Instances(Vec<Def>),
    /// A name imported from this file, which does not offer it.
    Missing(FileId, String),
    /// Anything else: external, shadowed without evidence, dynamic.
    Unknown,
}

impl Meaning {
    fn merge(meanings: impl IntoIterator<Item = Meaning>) -> Meaning {
        let mut defs = Vec::new();
        let mut modules = Vec::new();
        let mut instances = Vec::new();
        let mut missing = None;
        for meaning in meanings {
            match meaning {
                Meaning::Defs(found) => defs.extend(found),
                Meaning::Modules(found) => modules.extend(found),
                Meaning::Instances(found) => instances.extend(found),
                Meaning::Missing(file, name) => missing = missing.or(Some((file, name))),
                Meaning::Unknown => {}
            }
        }
        if !defs.is_empty() {
            defs.sort_unstable();
            defs.dedup();
            Meaning::Defs(defs)
        } else if !modules.is_empty() {
            modules.sort_unstable();
            modules.dedup();
            Meaning::Modules(modules)
        } else if !instances.is_empty() {
            instances.sort_unstable();
            instances.dedup();
            Meaning::Instances(instances)
        } else if let Some((file, name)) = missing {
            Meaning::Missing(file, name)
        } else {
            Meaning::Unknown
        }
    }
}

/// The names of the methods `facts` define, for the method index.
pub(crate) fn method_names(facts: &thread_extractors::FileFacts) -> BTreeSet<String> {
    facts
        .definitions
        .iter()
        .filter(|definition| definition.owner.is_some())
        .map(|definition| definition.name.as_str().to_owned())
        .collect()
}

/// Whether binding a file with facts `new` gives what binding it with facts `old` gave,
/// its links and every other file being the same. Binding reads neither positions nor
/// signatures (calls are named by index, scopes by definition index), and reads a
/// function's local only under a name that some call, type evidence, base or return type
/// of the file writes. So a line added at the top, or a parameter added that nothing
/// mentions, re-binds nothing.
pub(crate) fn binds_the_same<'f>(old: &'f FileFacts, new: &'f FileFacts) -> bool {
    let FileFacts { imports, definitions, calls, locals, package, syntax_errors: _, imports_only } = old;
    if !(*package == new.package
        && *imports_only == new.imports_only
        && all_same(imports, &new.imports, Import::same_apart_from_positions)
        && all_same(definitions, &new.definitions, |a, b| a.same_apart_from_positions(b, Signatures::Ignored))
        && all_same(calls, &new.calls, Call::same_apart_from_positions))
    {
        return false;
    }
    // The words binding can look a local up by (the same in both: calls and definitions
    // are equal), then the locals under those words, compared apart from positions.
    if all_same(locals, &new.locals, Local::same_apart_from_positions) {
        return true;
    }
    // `#` belongs to words: a Rust raw identifier (`r#type`) is one name.
    fn add_words<'f>(read: &mut FxHashSet<&'f str>, text: &'f str) {
        let words = text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '$' | '#')));
        read.extend(words.filter(|word| !word.is_empty()));
    }
    let mut read: FxHashSet<&str> = FxHashSet::default();
    for call in calls {
        add_words(&mut read, &call.callee);
    }
    for definition in definitions {
        for text in definition.bases.iter().chain(&definition.returns) {
            add_words(&mut read, text);
        }
    }
    for local in locals.iter().chain(&new.locals) {
        if let Some(Evidence::Annotation(text) | Evidence::Construction(text)) = &local.evidence {
            add_words(&mut read, text);
        }
    }
    // Only a function's own locals are looked up by the file's own words alone. Module-
    // and class-level locals and members (`.x`) can be reached through another file (an
    // imported alias, a type's members), so any change to them counts.
    let in_function = |local: &Local| {
        !local.name.starts_with('.')
            && local.scope.and_then(|scope| definitions.get(scope)).is_some_and(|scope| scope.kind.is_callable())
    };
    let read_locals = |locals: &'f [Local]| -> Vec<(&'f str, &'f Option<Evidence>, Option<usize>)> {
        locals
            .iter()
            .filter(|local| !in_function(local) || read.contains(local.name.as_str()))
            .map(|local| (local.name.as_str(), &local.evidence, local.scope))
            .collect()
    };
    read_locals(locals) == read_locals(&new.locals)
}

/// Binds every call and imported name of `file`.
pub(crate) fn bind_file(snapshot: &Snapshot, packages: &GoPackages, file: &FileEntry) -> Bindings {
    let mut binder = Binder {
        snapshot,
        packages,
        home: file.id,
        consulted: BTreeSet::new(),
        reads: BTreeSet::new(),
        exports: Memo::default(),
        values: Memo::default(),
        method_names: BTreeSet::new(),
        directories: BTreeSet::new(),
        module_names: Memo::default(),
        home_names: HomeNames::default(),
    };
    let mut bindings = Bindings::default();
    let stable = |target: Def| -> Option<DefRef> {
        let symbol = snapshot.file(target.file)?.symbols.id(target.index)?;
        Some(DefRef { file: target.file, symbol })
    };
    for (index, call) in file.facts.calls.iter().enumerate() {
        let index = index as u32;
        match binder.call(file, call) {
            Meaning::Defs(targets) => {
                let targets: Vec<Def> =
                    targets.into_iter().filter(|target| binder.kind(*target).is_some_and(is_callable_target)).collect();
                let constructors = binder.constructors(&targets);
                let targets = targets.into_iter().chain(constructors).filter_map(stable);
                bindings.calls.extend(targets.map(|target| (index, target)));
            }
            Meaning::Missing(target, name) => bindings.missing.push((index, target, name)),
            _ => {}
        }
    }
    for (import_index, import) in file.facts.imports.iter().enumerate() {
        for (name_index, name) in import.names.iter().enumerate() {
            for link in links_of(file, import_index) {
                if let Meaning::Defs(targets) = binder.imported_name(link, &name.name, 0) {
                    let entries = targets
                        .into_iter()
                        .filter_map(stable)
                        .map(|target| (import_index as u32, name_index as u32, target));
                    bindings.imports.extend(entries);
                }
            }
        }
    }
    bindings.calls.sort_unstable();
    bindings.calls.dedup();
    bindings.reads = binder.reads.into_iter().collect();
    bindings.imports.sort_unstable();
    bindings.imports.dedup();
    bindings.missing.sort_unstable();
    bindings.missing.dedup();
    binder.consulted.remove(&file.id);
    bindings.consulted = binder.consulted.into_iter().collect();
    bindings.method_names = binder.method_names.into_iter().collect();
    bindings.directories = binder.directories.into_iter().collect();
    // Bindings live as long as their file is in the graph: no spare capacity.
    bindings.calls.shrink_to_fit();
    bindings.imports.shrink_to_fit();
    bindings.missing.shrink_to_fit();
    bindings
}

/// Calls bind to callables and to types (a constructor call names its class).
fn is_callable_target(kind: DefinitionKind) -> bool {
    kind.is_callable() || matches!(kind, DefinitionKind::Class | DefinitionKind::Struct | DefinitionKind::Macro)
}

fn is_type(kind: DefinitionKind) -> bool {
    matches!(
        kind,
        DefinitionKind::Class
            | DefinitionKind::Struct
            | DefinitionKind::Enum
            | DefinitionKind::Union
            | DefinitionKind::Trait
            | DefinitionKind::Interface
            | DefinitionKind::TypeAlias
    )
}

fn links_of(file: &FileEntry, import: usize) -> impl Iterator<Item = &Link> {
    let start = file.links.partition_point(|link| link.import < import);
    file.links[start..].iter().take_while(move |link| link.import == import)
}

struct Binder<'s> {
    snapshot: &'s Snapshot,
    packages: &'s GoPackages,
    home: FileId,
    /// Files whose links binding followed.
    consulted: BTreeSet<FileId>,
    /// Names binding read in other files.
    reads: BTreeSet<(FileId, SurfaceKey)>,
    /// (file, name) → what the file offers under that name, within this binding.
    exports: Memo<FileId>,
    /// (file, scope, name) → what the locals of that name hold, within this binding.
    /// Entered as unknown first, so `x = x.next()` ends instead of recursing.
    values: Memo<(FileId, Option<u32>)>,
    /// Method names whose implementations binding looked up (interface dispatch).
    method_names: BTreeSet<String>,
    /// Go package directories whose files binding listed.
    directories: BTreeSet<String>,
    /// (file, name) → what the name means at the top level of that file, within this
    /// binding: a large file asks for the same few names thousands of times.
    module_names: Memo<FileId>,
    /// The bound file's free definitions and locals by name, for the same reason.
    home_names: HomeNames<'s>,
}

/// The bound file's free definitions and locals of each name asked for, found once.
#[derive(Default)]
struct HomeNames<'s> {
    /// Name → the free definitions of that name, in source order.
    free: FxHashMap<Box<str>, Vec<u32>>,
    /// Name → [`SymbolTable::named_locals`].
    locals: FxHashMap<Box<str>, &'s [u32]>,
}

impl<'s> Binder<'s> {
    /// A file's entry, recording that binding read what it means by `key`.
    fn read(&mut self, id: FileId, key: SurfaceKey) -> Option<&'s FileEntry> {
        let entry = self.snapshot.file(id)?;
        if id != self.home {
            self.reads.insert((id, key));
        }
        Some(entry)
    }

    /// A file's entry, recording that binding read `name` there.
    fn read_name(&mut self, id: FileId, name: &str) -> Option<&'s FileEntry> {
        self.read(id, SurfaceKey::of(name))
    }

    /// The file of a definition and the definition, recording the read.
    fn definition_of(&mut self, target: Def) -> Option<(&'s FileEntry, &'s thread_extractors::Definition)> {
        let entry = self.snapshot.file(target.file)?;
        let definition = entry.facts.definitions.get(target.index as usize)?;
        if target.file != self.home {
            let key = entry.symbols.key_of(&entry.facts, target.index);
            self.reads.insert((target.file, key));
        }
        Some((entry, definition))
    }

    /// A file's links, recording that binding followed them.
    fn links_followed(&mut self, file: &'s FileEntry, import: usize) -> Vec<&'s Link> {
        if file.id != self.home {
            self.consulted.insert(file.id);
        }
        links_of(file, import).collect()
    }

    fn kind(&mut self, target: Def) -> Option<DefinitionKind> {
        self.definition_of(target).map(|(_, definition)| definition.kind)
    }

    /// The constructors a call of these classes runs (the nearest, through bases).
    fn constructors(&mut self, targets: &[Def]) -> Vec<Def> {
        let mut found = Vec::new();
        for target in targets {
            let Some(file) = self.snapshot.file(target.file) else { continue };
            let Some(constructor) = rules(file.lang.family()).constructor else { continue };
            if self.kind(*target) != Some(DefinitionKind::Class) {
                continue;
            }
            if let Meaning::Defs(methods) = self.member_of_types(vec![*target], constructor, 0) {
                found.extend(methods);
            }
        }
        found
    }

    /// What the callee of `call` denotes.
    fn call(&mut self, file: &'s FileEntry, call: &Call) -> Meaning {
        let scope = call.caller.map(|caller| caller as u32);
        match path_segments(&call.callee) {
            Some(segments) => self.path(file, scope, &segments, 0),
            None => Meaning::Unknown,
        }
    }

    /// What a written path (`a`, `a.b.c`, `A::b`) denotes in `file` at `scope`.
    fn path(&mut self, file: &'s FileEntry, scope: Option<u32>, segments: &[&str], depth: u32) -> Meaning {
        if depth > MAX_DEPTH {
            return Meaning::Unknown;
        }
        let Some((head, rest)) = segments.split_first() else { return Meaning::Unknown };
        let rules = rules(file.lang.family());
        let (mut meaning, rest) = if let Some(written) = cast_type(head) {
            (Meaning::Instances(self.type_named(file, scope, written, depth + 1)), rest)
        } else if rules.receivers.contains(head) {
            (Meaning::Instances(self.enclosing_types(file, scope, depth)), rest)
        } else if rules.supers.contains(head) {
            let own = self.enclosing_types(file, scope, depth);
            let bases = own.into_iter().flat_map(|own| self.bases(own, depth)).collect();
            (Meaning::Instances(bases), rest)
        } else if let Some((modules, taken)) = self.dotted_module(file, segments) {
            (modules, &segments[taken..])
        } else {
            (self.lookup(file, scope, head, depth), rest)
        };
        for segment in rest {
            meaning = self.member(meaning, segment, depth + 1);
        }
        meaning
    }

    /// Python's `import a.b.c` lets code write `a.b.c.f()`: the longest prefix of the
    /// path that an import of this file spells out names that module.
    fn dotted_module(&mut self, file: &'s FileEntry, segments: &[&str]) -> Option<(Meaning, usize)> {
        if rules(file.lang.family()).module_name != ModuleName::Dotted || segments.len() < 2 {
            return None;
        }
        for taken in (1..segments.len()).rev() {
            let prefix = segments[..taken].join(".");
            self.read_name(file.id, &prefix);
            for (index, import) in file.facts.imports.iter().enumerate() {
                if import.names.is_empty() && import.alias.is_none() && !import.wildcard && import.specifier == prefix {
                    let targets: Vec<FileId> =
                        self.links_followed(file, index).into_iter().map(|link| link.to).collect();
                    let meaning = if targets.is_empty() { Meaning::Unknown } else { Meaning::Modules(targets) };
                    return Some((meaning, taken));
                }
            }
        }
        None
    }

    /// A bare name in `file` at `scope`: lexical scopes, then module scope.
    fn lookup(&mut self, file: &'s FileEntry, scope: Option<u32>, name: &str, depth: u32) -> Meaning {
        let facts = &file.facts;
        let table = &file.symbols;
        // Another file's names are read at its top level only (a return type, a base):
        // its functions' locals are not part of what other files can depend on.
        let scope = if file.id == self.home { scope } else { None };
        for enclosing in table.scope_chain(scope) {
            let Some(definition) = facts.definitions.get(enclosing as usize) else { continue };
            // Functions and inline modules (`mod tests { … }`, TS namespaces) are scopes
            // for the names declared in them; class bodies are not.
            let is_module = definition.kind == DefinitionKind::Module;
            if !definition.kind.is_callable() && !is_module {
                continue;
            }
            let nested = self.free_in_scope(file, Some(enclosing), name);
            if !nested.is_empty() {
                return Meaning::Defs(nested.into_iter().map(|index| Def { file: file.id, index }).collect());
            }
            if is_module {
                continue;
            }
            let locals = self.locals_in_scope(file, Some(enclosing), name);
            if !locals.is_empty() {
                return self.value_of(file, Some(enclosing), name, &locals, depth);
            }
        }
        self.module_scope(file, name, depth)
    }

    /// The free definitions named `name` declared directly in `scope` of `file`.
    fn free_in_scope(&mut self, file: &'s FileEntry, scope: Option<u32>, name: &str) -> Vec<u32> {
        if file.id != self.home {
            return file.symbols.named_in_scope(&file.facts, scope, name);
        }
        let all = match self.home_names.free.get(name) {
            Some(all) => all,
            None => {
                let found = file.symbols.named(&file.facts, None, name).collect();
                self.home_names.free.entry(name.into()).or_insert(found)
            }
        };
        all.iter().copied().filter(|index| file.symbols.parents[*index as usize] == scope).collect()
    }

    /// The locals named `name` whose innermost definition is `scope` in `file`.
    fn locals_in_scope(&mut self, file: &'s FileEntry, scope: Option<u32>, name: &str) -> Vec<&'s Local> {
        let named: &'s [u32] = if file.id == self.home {
            match self.home_names.locals.get(name) {
                Some(named) => named,
                None => {
                    let named = file.symbols.named_locals(&file.facts, name);
                    self.home_names.locals.insert(name.into(), named);
                    named
                }
            }
        } else {
            file.symbols.named_locals(&file.facts, name)
        };
        locals_among(&file.facts, named, scope).collect()
    }

    /// A name at the top level of `file`: imports, own definitions, package mates, wildcards.
    fn module_scope(&mut self, file: &'s FileEntry, name: &str, depth: u32) -> Meaning {
        if let Some(meaning) = self.module_names.get(&file.id, name) {
            return meaning.clone();
        }
        // A name whose meaning depends on itself (`from .a import *` cycles) is unknown.
        self.module_names.insert(file.id, name, Meaning::Unknown);
        let meaning = self.module_scope_uncached(file, name, depth);
        self.module_names.insert(file.id, name, meaning.clone());
        meaning
    }

    fn module_scope_uncached(&mut self, file: &'s FileEntry, name: &str, depth: u32) -> Meaning {
        self.read_name(file.id, name);
        self.read(file.id, SurfaceKey::wildcards());
        if let Some(meaning) = self.imported(file, name, depth) {
            return meaning;
        }
        let own = file.symbols.named_in_scope(&file.facts, None, name);
        if !own.is_empty() {
            return Meaning::Defs(own.into_iter().map(|index| Def { file: file.id, index }).collect());
        }
        let mates = self.package_mates(file);
        let mut found: Vec<Def> = Vec::new();
        for mate in mates {
            self.read_name(mate.id, name);
            let indices = mate.symbols.named_in_scope(&mate.facts, None, name);
            found.extend(indices.into_iter().map(|index| Def { file: mate.id, index }));
        }
        if !found.is_empty() {
            return Meaning::Defs(found);
        }
        let mut wildcard = Vec::new();
        for (index, import) in file.facts.imports.iter().enumerate() {
            if import.wildcard && import.alias.is_none() && import.kind != ImportKind::Reexport {
                for link in self.links_followed(file, index) {
                    wildcard.push(self.export(link.to, name, depth + 1));
                }
            }
        }
        match Meaning::merge(wildcard) {
            Meaning::Missing(..) => Meaning::Unknown,
            other => other,
        }
    }

    /// The other Go files of `file`'s package.
    fn package_mates(&mut self, file: &FileEntry) -> Vec<&'s FileEntry> {
        if file.lang.family() != Family::Go {
            return Vec::new();
        }
        self.directories.insert(directory(&file.path).to_owned());
        let mut mates = Vec::new();
        for id in self.packages.in_directory(directory(&file.path)).collect::<Vec<_>>() {
            if id == file.id {
                continue;
            }
            if let Some(mate) = self.read(id, SurfaceKey::package())
                && mate.facts.package == file.facts.package
            {
                mates.push(mate);
            }
        }
        mates
    }

    /// What an import of `file` brings under the local `name`, if one does.
    fn imported(&mut self, file: &'s FileEntry, name: &str, depth: u32) -> Option<Meaning> {
        let family = file.lang.family();
        // A Go import is named by what its target declares, not by how it is written.
        if family == Family::Go {
            self.read(file.id, SurfaceKey::imports());
        }
        for (index, import) in file.facts.imports.iter().enumerate() {
            if let Some(imported) = import.names.iter().find(|imported| local_name(imported) == name) {
                let meanings: Vec<Meaning> = self
                    .links_followed(file, index)
                    .into_iter()
                    .map(|link| self.imported_name(link, &imported.name, depth))
                    .collect::<Vec<_>>();
                return Some(Meaning::merge(meanings));
            }
            if import.wildcard && import.alias.is_none() {
                continue;
            }
            let local = match (&import.alias, rules(family).module_name) {
                (Some(alias), _) => Some(alias.as_str()),
                (None, ModuleName::LastSegment) if import.names.is_empty() => import.specifier.rsplit("::").next(),
                (None, ModuleName::Dotted) if import.names.is_empty() && !import.specifier.contains('.') => {
                    Some(import.specifier.as_str())
                }
                (None, ModuleName::Package) => {
                    let targets = self.links_followed(file, index);
                    let package = targets
                        .into_iter()
                        .find_map(|link| self.read(link.to, SurfaceKey::package())?.facts.package.clone());
                    match package {
                        Some(package) if package == name => Some(name),
                        Some(_) => None,
                        // External: Go names it by its last path segment.
                        None => import.specifier.rsplit('/').next(),
                    }
                }
                _ => None,
            };
            if local != Some(name) {
                continue;
            }
            let links = self.links_followed(file, index);
            if links.is_empty() {
                return Some(Meaning::Unknown);
            }
            let meanings: Vec<Meaning> = links.into_iter().map(|link| self.imported_path(link, depth)).collect();
            return Some(Meaning::merge(meanings));
        }
        None
    }

    /// What an import without names (`use a::b`, `import x as y`) brings through `link`:
    /// the item its path ends at when the link says it names one, else the module.
    fn imported_path(&mut self, link: &Link, depth: u32) -> Meaning {
        match &link.usage {
            Usage::Names(names) if !names.is_empty() => {
                let item = names[0].name.clone();
                self.imported_name(link, &item, depth)
            }
            _ => Meaning::Modules(vec![link.to]),
        }
    }

    /// What `name`, imported through `link`, denotes: a submodule the link points at, or
    /// what the target file offers under that name.
    fn imported_name(&mut self, link: &Link, name: &str, depth: u32) -> Meaning {
        if matches!(link.usage, Usage::Module) {
            // `from pkg import mod` resolved to the submodule's file.
            if let Some(target) = self.read_name(link.to, name)
                && target.symbols.named_in_scope(&target.facts, None, name).is_empty()
            {
                return Meaning::Modules(vec![link.to]);
            }
        }
        self.export(link.to, name, depth + 1)
    }

    /// What `file` offers importers under `name`, followed through re-exports.
    fn export(&mut self, file_id: FileId, name: &str, depth: u32) -> Meaning {
        if let Some(meaning) = self.exports.get(&file_id, name) {
            return meaning.clone();
        }
        // A cycle of re-exports ends here as unknown.
        self.exports.insert(file_id, name, Meaning::Unknown);
        let meaning = self.export_uncached(file_id, name, depth);
        self.exports.insert(file_id, name, meaning.clone());
        meaning
    }

    fn export_uncached(&mut self, file_id: FileId, name: &str, depth: u32) -> Meaning {
        if depth > MAX_DEPTH {
            return Meaning::Unknown;
        }
        let Some(file) = self.read_name(file_id, name) else { return Meaning::Unknown };
        let facts = &file.facts;
        let family = file.lang.family();
        if family == Family::EcmaScript && name == "default" {
            let defaults: Vec<Def> = (0..facts.definitions.len() as u32)
                .filter(|index| facts.definitions[*index as usize].default_export)
                .map(|index| Def { file: file_id, index })
                .collect();
            return if defaults.is_empty() { Meaning::Unknown } else { Meaning::Defs(defaults) };
        }
        let own = file.symbols.named_in_scope(facts, None, name);
        if !own.is_empty() {
            return Meaning::Defs(own.into_iter().map(|index| Def { file: file_id, index }).collect());
        }
        let rules = rules(family);
        let mut found = Vec::new();
        for (index, import) in facts.imports.iter().enumerate() {
            if !(rules.reexports)(import) {
                continue;
            }
            if let Some(imported) = import.names.iter().find(|imported| local_name(imported) == name) {
                for link in self.links_followed(file, index) {
                    found.push(self.imported_name(link, &imported.name, depth));
                }
            } else if import.alias.as_deref() == Some(name)
                || (import.names.is_empty()
                    && import.alias.is_none()
                    && !import.wildcard
                    && rules.module_name == ModuleName::LastSegment
                    && import.specifier.rsplit("::").next() == Some(name))
            {
                for link in self.links_followed(file, index) {
                    found.push(self.imported_path(link, depth));
                }
            }
        }
        let found = Meaning::merge(found);
        if found != Meaning::Unknown {
            return found;
        }
        let mut wildcard = Vec::new();
        self.read(file_id, SurfaceKey::wildcards());
        for (index, import) in facts.imports.iter().enumerate() {
            if import.wildcard && import.alias.is_none() && (rules.reexports)(import) {
                for link in self.links_followed(file, index) {
                    wildcard.push(self.export(link.to, name, depth + 1));
                }
            }
        }
        self.read(file_id, SurfaceKey::interface());
        match Meaning::merge(wildcard) {
            Meaning::Unknown | Meaning::Missing(..) if !file.interface.provides(file.lang, name) => {
                Meaning::Missing(file_id, name.to_owned())
            }
            Meaning::Missing(..) => Meaning::Unknown,
            other => other,
        }
    }

    /// `meaning.segment`.
    fn member(&mut self, meaning: Meaning, segment: &str, depth: u32) -> Meaning {
        if depth > MAX_DEPTH {
            return Meaning::Unknown;
        }
        match meaning {
            Meaning::Modules(files) => {
                let meanings: Vec<Meaning> = files.into_iter().map(|file| self.export(file, segment, depth)).collect();
                Meaning::merge(meanings)
            }
            Meaning::Defs(definitions) => {
                let meanings: Vec<Meaning> = definitions
                    .into_iter()
                    .map(|definition| self.member_of_definition(definition, segment, depth))
                    .collect();
                Meaning::merge(meanings)
            }
            Meaning::Instances(types) => self.member_of_types(types, segment, depth),
            Meaning::Missing(..) | Meaning::Unknown => Meaning::Unknown,
        }
    }

    fn member_of_definition(&mut self, target: Def, segment: &str, depth: u32) -> Meaning {
        let Some((file, definition)) = self.definition_of(target) else { return Meaning::Unknown };
        match definition.kind {
            kind if is_type(kind) => self.member_of_types(vec![target], segment, depth),
            DefinitionKind::Module => {
                let inner = file.symbols.named_in_scope(&file.facts, Some(target.index), segment);
                Meaning::Defs(inner.into_iter().map(|index| Def { file: file.id, index }).collect())
            }
            DefinitionKind::Constant | DefinitionKind::Variable => {
                // An object literal's methods, else what the value's evidence says.
                let methods: Vec<Def> = file
                    .symbols
                    .named(&file.facts, Some(&definition.name), segment)
                    .map(|index| Def { file: file.id, index })
                    .collect();
                if !methods.is_empty() {
                    return Meaning::Defs(methods);
                }
                let scope = file.symbols.parents[target.index as usize];
                let locals: Vec<&Local> = file.symbols.locals(&file.facts, scope, &definition.name).collect();
                let value = self.value_of(file, scope, &definition.name, &locals, depth);
                self.member(value, segment, depth + 1)
            }
            _ => Meaning::Unknown,
        }
    }

    /// A member of values of `types`: methods and typed members of the types, then of
    /// their bases, nearest first.
    fn member_of_types(&mut self, types: Vec<Def>, segment: &str, depth: u32) -> Meaning {
        let mut level = types;
        let mut seen: BTreeSet<Def> = BTreeSet::new();
        let mut rounds = 0;
        while !level.is_empty() && rounds < MAX_DEPTH {
            rounds += 1;
            level.retain(|target| seen.insert(*target));
            let mut found = Vec::new();
            let mut values = Vec::new();
            for target in &level {
                let Some((file, definition)) = self.definition_of(*target) else { continue };
                let mut holders = vec![file];
                holders.extend(self.package_mates(file));
                for holder in holders {
                    self.read_name(holder.id, &definition.name);
                    let methods = holder.symbols.named(&holder.facts, Some(&definition.name), segment);
                    found.extend(methods.map(|index| Def { file: holder.id, index }));
                }
                values.extend(self.typed_members(file, *target, segment, depth));
            }
            if !found.is_empty() {
                let implementations = self.implementations(&level, segment);
                found.extend(implementations);
                return Meaning::merge([Meaning::Defs(found)]);
            }
            if !values.is_empty() {
                return Meaning::merge([Meaning::Instances(values)]);
            }
            let mut next = Vec::new();
            for target in &level {
                next.extend(self.bases(*target, depth));
            }
            level = next;
        }
        Meaning::Unknown
    }

    /// Where the language dispatches interface calls: the methods named `segment` of the
    /// types whose method sets cover one of the interfaces in `types`.
    fn implementations(&mut self, types: &[Def], segment: &str) -> Vec<Def> {
        let mut found = Vec::new();
        for interface in types {
            let Some((file, definition)) = self.definition_of(*interface) else { continue };
            if !rules(file.lang.family()).dispatch || definition.kind != DefinitionKind::Interface {
                continue;
            }
            let required: BTreeSet<&str> = file
                .symbols
                .owned_by(&file.facts, &definition.name)
                .into_iter()
                .map(|index| file.facts.definitions[index as usize].name.as_str())
                .collect();
            if !required.contains(segment) {
                continue;
            }
            // A type gaining any of these methods may come to implement the interface.
            self.method_names.extend(required.iter().map(|name| (*name).to_owned()));
            for candidate in self.packages.defining_method(segment) {
                let Some(holder) = self.snapshot.file(candidate) else { continue };
                for index in 0..holder.facts.definitions.len() as u32 {
                    let method = &holder.facts.definitions[index as usize];
                    let Some(owner) = method.owner.as_deref() else { continue };
                    if method.name != segment {
                        continue;
                    }
                    self.read_name(holder.id, owner);
                    if method.kind != DefinitionKind::Method {
                        continue;
                    }
                    if self.method_set_covers(holder, owner, &required) {
                        found.push(Def { file: holder.id, index });
                    }
                }
            }
        }
        found
    }

    /// Whether the concrete type `owner` of `file`'s package has every method in `required`.
    fn method_set_covers(&mut self, file: &'s FileEntry, owner: &str, required: &BTreeSet<&str>) -> bool {
        let mut holders = vec![file];
        holders.extend(self.package_mates(file));
        let mut have: BTreeSet<&str> = BTreeSet::new();
        for holder in &holders {
            self.read_name(holder.id, owner);
            // An interface's own methods are not an implementation.
            let is_interface = holder
                .symbols
                .named_in_scope(&holder.facts, None, owner)
                .iter()
                .any(|index| holder.facts.definitions[*index as usize].kind == DefinitionKind::Interface);
            if is_interface {
                return false;
            }
            for index in holder.symbols.owned_by(&holder.facts, owner) {
                have.insert(holder.facts.definitions[index as usize].name.as_str());
            }
        }
        required.iter().all(|name| have.contains(name))
    }

    /// The types of the members named `segment` of the type `target`: class-body fields,
    /// and `self.x`/`this.x` assigned in its methods.
    fn typed_members(&mut self, file: &'s FileEntry, target: Def, segment: &str, depth: u32) -> Vec<Def> {
        let facts = &file.facts;
        let Some(definition) = facts.definitions.get(target.index as usize) else { return Vec::new() };
        let member = format!(".{segment}");
        let key = (file.id, Some(target.index));
        if let Some(meaning) = self.values.get(&key, &member) {
            return match meaning {
                Meaning::Instances(types) => types.clone(),
                _ => Vec::new(),
            };
        }
        self.values.insert(key, &member, Meaning::Unknown);
        let mut types = Vec::new();
        // Class-body fields: `x: Foo` (Python), `x = new Foo()` / `private x: Foo` (TS).
        let fields: Vec<&Local> = file
            .symbols
            .locals(facts, Some(target.index), segment)
            .chain(file.symbols.locals(facts, Some(target.index), &member))
            .collect();
        if let Meaning::Instances(found) = self.evidence_of(file, Some(target.index), &fields, depth) {
            types.extend(found);
        }
        // `self.x = …` in the type's methods: the locals named `.x`, one method at a time.
        let assigned = file.symbols.named_locals(facts, &member);
        for run in assigned.chunk_by(|a, b| facts.locals[*a as usize].scope == facts.locals[*b as usize].scope) {
            let Some(method) = facts.locals[run[0] as usize].scope else { continue };
            let owner = facts.definitions.get(method).and_then(|method| method.owner.as_deref());
            if owner != Some(definition.name.as_str()) {
                continue;
            }
            let assigned: Vec<&Local> = run.iter().map(|index| &facts.locals[*index as usize]).collect();
            if let Meaning::Instances(found) = self.evidence_of(file, Some(method as u32), &assigned, depth) {
                types.extend(found);
            }
        }
        let meaning = Meaning::merge([Meaning::Instances(types)]);
        self.values.insert(key, &member, meaning.clone());
        match meaning {
            Meaning::Instances(types) => types,
            _ => Vec::new(),
        }
    }

    /// What the locals named `name` in `scope` of `file` hold, computed once per binding.
    fn value_of(
        &mut self,
        file: &'s FileEntry,
        scope: Option<u32>,
        name: &str,
        locals: &[&Local],
        depth: u32,
    ) -> Meaning {
        let key = (file.id, scope);
        if let Some(meaning) = self.values.get(&key, name) {
            return meaning.clone();
        }
        self.values.insert(key, name, Meaning::Unknown);
        let meaning = self.evidence_of(file, scope, locals, depth);
        self.values.insert(key, name, meaning.clone());
        meaning
    }

    /// The types a list of locals (one name in one scope) may hold, by their evidence.
    fn evidence_of(&mut self, file: &'s FileEntry, scope: Option<u32>, locals: &[&Local], depth: u32) -> Meaning {
        let mut types = Vec::new();
        for local in locals {
            match &local.evidence {
                Some(Evidence::Annotation(text)) => types.extend(self.type_named(file, scope, text, depth + 1)),
                Some(Evidence::Construction(callee)) => types.extend(self.constructed(file, scope, callee, depth + 1)),
                None => {}
            }
        }
        if types.is_empty() { Meaning::Unknown } else { Meaning::merge([Meaning::Instances(types)]) }
    }

    /// The types a call of `callee` returns: the class it constructs, or the declared
    /// return type of the function it calls.
    fn constructed(&mut self, file: &'s FileEntry, scope: Option<u32>, callee: &str, depth: u32) -> Vec<Def> {
        if depth > MAX_DEPTH {
            return Vec::new();
        }
        let Some(segments) = path_segments(callee) else { return Vec::new() };
        let Meaning::Defs(targets) = self.path(file, scope, &segments, depth + 1) else { return Vec::new() };
        let mut types = Vec::new();
        for target in targets {
            let Some((defining, definition)) = self.definition_of(target) else { continue };
            if is_type(definition.kind) {
                types.push(target);
            } else if let Some(returns) = &definition.returns {
                let returns = returns.clone();
                types.extend(self.type_named(defining, Some(target.index), &returns, depth + 1));
            }
        }
        types
    }

    /// The type definitions a written type names in `file` at `scope`.
    fn type_named(&mut self, file: &'s FileEntry, scope: Option<u32>, text: &str, depth: u32) -> Vec<Def> {
        let rules = rules(file.lang.family());
        let Some(path) = simple_type(text, rules.transparent) else { return Vec::new() };
        let Some(segments) = path_segments(&path) else { return Vec::new() };
        let meaning = if segments.len() == 1 && rules.receivers.contains(&segments[0]) {
            Meaning::Defs(self.enclosing_types(file, scope, depth))
        } else {
            self.path(file, scope, &segments, depth + 1)
        };
        match meaning {
            Meaning::Defs(targets) => {
                targets.into_iter().filter(|target| self.kind(*target).is_some_and(is_type)).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The type whose body or method `scope` is in: a class around it, or the owner of
    /// the nearest method (a function nested in a method keeps the method's owner).
    fn enclosing_types(&mut self, file: &'s FileEntry, scope: Option<u32>, depth: u32) -> Vec<Def> {
        let facts = &file.facts;
        for enclosing in file.symbols.scope_chain(scope) {
            let Some(definition) = facts.definitions.get(enclosing as usize) else { continue };
            if is_type(definition.kind) {
                return vec![Def { file: file.id, index: enclosing }];
            }
            if let Some(owner) = &definition.owner {
                let owner = owner.clone();
                self.read_name(file.id, &owner);
                let local: Vec<Def> = file
                    .symbols
                    .named_in_scope(facts, None, &owner)
                    .into_iter()
                    .filter(|index| is_type(facts.definitions[*index as usize].kind))
                    .map(|index| Def { file: file.id, index })
                    .collect();
                if !local.is_empty() {
                    return local;
                }
                // Rust impls and Go methods may sit away from their type.
                if let Meaning::Defs(found) = self.module_scope(file, &owner, depth + 1) {
                    return found.into_iter().filter(|target| self.kind(*target).is_some_and(is_type)).collect();
                }
                return Vec::new();
            }
        }
        Vec::new()
    }

    /// The bases of a type, resolved where the type is defined.
    fn bases(&mut self, target: Def, depth: u32) -> Vec<Def> {
        let Some((file, definition)) = self.definition_of(target) else { return Vec::new() };
        let scope = file.symbols.parents[target.index as usize];
        let mut bases = Vec::new();
        for base in &definition.bases {
            bases.extend(self.type_named(file, scope, base, depth + 1));
        }
        bases
    }
}

/// The name an imported name is known by in the importing file.
fn local_name(imported: &ImportedName) -> &str {
    imported.alias.as_deref().unwrap_or(&imported.name)
}

/// The type a parenthesised cast names: `(x as Foo)` → `Foo`.
fn cast_type(segment: &str) -> Option<&str> {
    let inner = segment.strip_prefix('(')?.strip_suffix(')')?;
    let (_, written) = inner.rsplit_once(" as ")?;
    Some(written.trim())
}

/// A callee or type path split into segments: `a.b.c`, `A::b`, `a?.b`, `(x as T).m`.
/// `None` when a segment is itself an expression (`f().g`, `a[0].b`) other than
/// `super()` or a cast.
fn path_segments(text: &str) -> Option<Vec<&str>> {
    let mut segments = Vec::new();
    // A leading cast is one segment, whatever dots its type has.
    let mut text = text;
    if text.starts_with('(')
        && let Some(close) = text.find(')')
        && cast_type(&text[..=close]).is_some()
    {
        segments.push(&text[..=close]);
        text = text[close + 1..].trim_start_matches(['.', '?']);
    }
    for part in text.split("::") {
        for segment in part.split(['.', '?']) {
            if segment.is_empty() || segment.starts_with('<') {
                continue;
            }
            let plain = segment.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '#');
            if !plain && segment != "super()" {
                return None;
            }
            segments.push(segment);
        }
    }
    (!segments.is_empty()).then_some(segments)
}

/// The type path a written type comes down to, when it is one: `&mut Foo` → `Foo`,
/// `*pkg.Foo` → `pkg.Foo`, `Stack<T>` → `Stack`, `Optional[Foo]` → `Foo`,
/// `(x *Foo, err error)` → `Foo`. `None` for unions, tuples, functions and the like.
fn simple_type(text: &str, transparent: &[&str]) -> Option<String> {
    simple_type_within(text, transparent, MAX_DEPTH)
}

fn simple_type_within(text: &str, transparent: &[&str], depth: u32) -> Option<String> {
    if depth == 0 {
        return None;
    }
    let mut text = text.trim();
    // Go results: the first of a parenthesised list, without its name.
    if let Some(inner) = text.strip_prefix('(').and_then(|rest| rest.strip_suffix(')')) {
        let first = inner.split(',').next()?.trim();
        text = first.rsplit(' ').next()?;
    }
    let text = text.trim_matches(|c| c == '"' || c == '\'');
    let mut text = text.trim_start_matches(['&', '*']).trim_start();
    if let Some(rest) = text.strip_prefix("mut ") {
        text = rest.trim_start();
    }
    if let Some(rest) = text.strip_prefix('\'') {
        // A lifetime: `&'a Foo`.
        text = rest.split_once(' ').map_or("", |(_, rest)| rest);
    }
    if let Some(open) = text.find(['<', '[']) {
        let head = &text[..open];
        let close = if text.as_bytes()[open] == b'<' { '>' } else { ']' };
        if transparent.contains(&head) {
            let inner = text[open + 1..].strip_suffix(close)?;
            return simple_type_within(inner, transparent, depth - 1);
        }
        text = head;
    }
    let plain =
        !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == ':' || c == '$');
    plain.then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{path_segments, simple_type};

    #[test]
    fn paths_split_on_both_separators_and_refuse_expressions() {
        assert_eq!(path_segments("a.b.c"), Some(vec!["a", "b", "c"]));
        assert_eq!(path_segments("Type::new"), Some(vec!["Type", "new"]));
        assert_eq!(path_segments("Vec::<u8>::new"), Some(vec!["Vec", "new"]));
        assert_eq!(path_segments("a?.b"), Some(vec!["a", "b"]));
        assert_eq!(path_segments("super().m"), Some(vec!["super()", "m"]));
        assert_eq!(path_segments("f().g"), None);
        assert_eq!(path_segments("a[0].b"), None);
        assert_eq!(path_segments("(x as ns.Foo<T>).m"), Some(vec!["(x as ns.Foo<T>)", "m"]));
    }

    #[test]
    fn written_types_come_down_to_paths() {
        let rust = ["Box", "Rc", "Arc"];
        assert_eq!(simple_type("&mut Foo", &rust).as_deref(), Some("Foo"));
        assert_eq!(simple_type("&'a Foo", &rust).as_deref(), Some("Foo"));
        assert_eq!(simple_type("Stack<T>", &rust).as_deref(), Some("Stack"));
        assert_eq!(simple_type("Box<dyn Foo>", &rust), None);
        assert_eq!(simple_type("Box<Foo>", &rust).as_deref(), Some("Foo"));
        assert_eq!(simple_type("*pkg.Foo", &[]).as_deref(), Some("pkg.Foo"));
        assert_eq!(simple_type("(f *Foo, err error)", &[]).as_deref(), Some("Foo"));
        assert_eq!(simple_type("Optional[Foo]", &["Optional"]).as_deref(), Some("Foo"));
        assert_eq!(simple_type("\"Foo\"", &[]).as_deref(), Some("Foo"));
        assert_eq!(simple_type("Foo | null", &[]), None);
    }
}
