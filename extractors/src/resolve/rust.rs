//! Rust module resolution: crates from `Cargo.toml`, the `mod` tree, and `use` paths.
//!
//! Each crate root (library, binaries, examples, tests, benches, build script) is walked
//! through its `mod` declarations to give every file a module path. A `use` path then
//! resolves to the file that defines the deepest module it names: `crate::a::b::Item`
//! depends on the file of `crate::a::b`, or of `crate::a` when `b` is an item.

use std::collections::{HashMap, HashSet, VecDeque};

use super::file_set::FileSet;
use super::manifest::{CargoPackage, Manifests};
use super::rel_path::{child, file_name, join, parent};
use super::{SourceFile, Target, Usage, UsedName};
use crate::facts::{DefinitionKind, FileFacts, Import, ImportKind};
use crate::lang::Family;
use crate::text::split_top_level;

/// Crates every Rust program can name without declaring them.
const SYSROOT_CRATES: &[&str] = &["alloc", "core", "proc_macro", "std", "test"];

type CrateId = usize;

#[derive(Debug)]
struct Crate {
    /// The package it belongs to, when it has a manifest.
    package: Option<usize>,
}

pub(crate) struct RustModel {
    crates: Vec<Crate>,
    packages: Vec<CargoPackage>,
    /// Workspace library crates by the name other crates use for them.
    libraries: HashMap<String, CrateId>,
    /// `(crate, "a::b")` → the file that holds module `crate::a::b` (`""` is the root).
    modules: HashMap<(CrateId, String), String>,
    /// Each file's crate and module path.
    file_modules: HashMap<String, (CrateId, String)>,
    /// `(file, inline scope and name)` → the files a `mod name;` loads: one, or one per
    /// `cfg_attr` path (Thread sees every cfg).
    mod_targets: HashMap<(String, String), Vec<Target>>,
    /// `(crate, module)` → the modules it glob-imports (`pub use self::imp::*;`), whose
    /// child modules a path may name through it (`crate::m::child` for `imp::child`).
    glob_modules: HashMap<(CrateId, String), Vec<String>>,
    /// Modules with more than one file, one per cfg (`#[cfg_attr(unix, path = "…")]`), by
    /// `(crate, module)`, sorted: each of those files and their descendants is one branch.
    alternatives: HashMap<(CrateId, String), Vec<String>>,
    /// Private modules (`mod copy;`, never declared `pub` under any cfg) whose parent also
    /// has an item of that name (`pub use copy::copy;`): outside the parent, where the
    /// module is invisible, the name means the item. A private module with no such item
    /// still resolves, so that code with a privacy error keeps its edge.
    hidden_modules: HashSet<(CrateId, String)>,
    /// Each file's cfg context: the predicates of the `#[cfg]` attributes on the `mod`
    /// items that lead to it and of the `cfg_attr` paths that chose its branch.
    file_cfgs: HashMap<String, Vec<String>>,
    /// Of those, the predicates that chose branches (a `cfg_attr` path's, or the `#[cfg]` of
    /// one of several declarations of a module): which branches it is in.
    file_branches: HashMap<String, Vec<String>>,
}

impl RustModel {
    pub(crate) fn build(files: &FileSet, sources: &[SourceFile<'_>], manifests: &Manifests) -> RustModel {
        let facts: HashMap<&str, &FileFacts> = sources
            .iter()
            .filter(|source| source.lang.family() == Family::Rust)
            .map(|source| (source.path, source.facts))
            .collect();
        let mut model = RustModel {
            crates: Vec::new(),
            packages: Vec::new(),
            libraries: HashMap::new(),
            modules: HashMap::new(),
            file_modules: HashMap::new(),
            mod_targets: HashMap::new(),
            glob_modules: HashMap::new(),
            alternatives: HashMap::new(),
            hidden_modules: HashSet::new(),
            file_cfgs: HashMap::new(),
            file_branches: HashMap::new(),
        };

        let mut roots: Vec<(String, CrateId)> = Vec::new();
        for (package_index, package) in manifests.cargo.iter().enumerate() {
            let mut add_root = |model: &mut RustModel, path: String, library: bool| {
                if !files.contains(&path) || roots.iter().any(|(root, _)| *root == path) {
                    return;
                }
                let id = model.crates.len();
                model.crates.push(Crate { package: Some(package_index) });
                if library && let Some(name) = &package.lib_name {
                    model.libraries.entry(name.clone()).or_insert(id);
                }
                roots.push((path, id));
            };
            let lib_path = package.lib_path.as_deref().unwrap_or("src/lib.rs");
            if let Some(lib) = join(&package.dir, lib_path) {
                add_root(&mut model, lib, true);
            }
            for target in &package.target_paths {
                if let Some(path) = join(&package.dir, target) {
                    add_root(&mut model, path, false);
                }
            }
            add_root(&mut model, child(&package.dir, "src/main.rs"), false);
            add_root(&mut model, child(&package.dir, "build.rs"), false);
            for auto_dir in ["src/bin", "examples", "tests", "benches"] {
                let dir = child(&package.dir, auto_dir);
                for path in files.files_in(&dir).filter(|path| path.ends_with(".rs")) {
                    add_root(&mut model, path, false);
                }
                // `src/bin/name/main.rs` and friends.
                let nested: Vec<String> = facts
                    .keys()
                    .filter(|path| parent(parent(path)) == dir && file_name(path) == "main.rs")
                    .map(|path| (*path).to_owned())
                    .collect();
                for path in nested {
                    add_root(&mut model, path, false);
                }
            }
        }
        model.packages = manifests.cargo.clone();

        for (root, crate_id) in &roots {
            model.walk_mod_tree(files, &facts, root, *crate_id);
        }
        // Files no crate reaches are compiled on their own (scripts, fixtures, orphans):
        // treat each as the root of a crate of the nearest package.
        let mut orphans: Vec<&str> =
            facts.keys().copied().filter(|path| !model.file_modules.contains_key(*path)).collect();
        orphans.sort_unstable();
        for orphan in orphans {
            if model.file_modules.contains_key(orphan) {
                continue;
            }
            let package = model
                .packages
                .iter()
                .enumerate()
                .filter(|(_, package)| package.dir.is_empty() || orphan.starts_with(&format!("{}/", package.dir)))
                .max_by_key(|(_, package)| package.dir.len())
                .map(|(index, _)| index);
            let id = model.crates.len();
            model.crates.push(Crate { package });
            model.walk_mod_tree(files, &facts, orphan, id);
        }
        model.glob_modules = model.find_glob_modules(&facts);
        let mut by_module: HashMap<(CrateId, String), Vec<String>> = HashMap::new();
        for (file, key) in &model.file_modules {
            by_module.entry(key.clone()).or_default().push(file.clone());
        }
        by_module.retain(|_, files| files.len() > 1);
        for files in by_module.values_mut() {
            files.sort_unstable();
        }
        model.alternatives = by_module;
        model
    }

    /// Which modules each module glob-imports, among this crate's own modules.
    fn find_glob_modules(&self, facts: &HashMap<&str, &FileFacts>) -> HashMap<(CrateId, String), Vec<String>> {
        let mut globs: HashMap<(CrateId, String), Vec<String>> = HashMap::new();
        for (file, (crate_id, module_path)) in &self.file_modules {
            let Some(file_facts) = facts.get(file.as_str()) else { continue };
            for import in file_facts.imports.iter().filter(|import| import.wildcard && import.kind != ImportKind::Mod) {
                let current = import.scope.iter().fold(module_path.clone(), |path, scope| join_module(&path, scope));
                if let Some(target) = self.module_named(*crate_id, &current, &import.specifier) {
                    globs.entry((*crate_id, current)).or_default().push(target);
                }
            }
        }
        for targets in globs.values_mut() {
            targets.sort_unstable();
            targets.dedup();
        }
        globs
    }

    /// The module of this crate that `specifier`, written in module `current`, names
    /// entirely (`self::imp`, `super::sys`, `crate::a::b`), if it names one.
    fn module_named(&self, crate_id: CrateId, current: &str, specifier: &str) -> Option<String> {
        let mut segments = specifier.split("::").filter(|segment| !segment.is_empty()).peekable();
        let mut module = match segments.peek().copied() {
            Some("crate") => String::new(),
            Some("self" | "super") => current.to_owned(),
            Some(first) if self.modules.contains_key(&(crate_id, join_module(current, first))) => current.to_owned(),
            _ => return None,
        };
        for segment in segments {
            match segment {
                "crate" | "self" => {}
                "super" => module = parent_module(&module).to_owned(),
                _ => {
                    module = join_module(&module, segment);
                    if !self.modules.contains_key(&(crate_id, module.clone())) {
                        return None;
                    }
                }
            }
        }
        Some(module)
    }

    /// Feeds everything resolution reads from the model, in a stable order.
    pub(crate) fn hash_derived(&self, hasher: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        let mut libraries: Vec<_> = self.libraries.iter().collect();
        libraries.sort_unstable();
        let mut modules: Vec<_> = self.modules.iter().collect();
        modules.sort_unstable();
        let mut file_modules: Vec<_> = self.file_modules.iter().collect();
        file_modules.sort_unstable();
        let mut mod_targets: Vec<_> = self.mod_targets.iter().collect();
        mod_targets.sort_unstable();
        let crates: Vec<Option<usize>> = self.crates.iter().map(|krate| krate.package).collect();
        let mut glob_modules: Vec<_> = self.glob_modules.iter().collect();
        glob_modules.sort_unstable();
        let mut hidden_modules: Vec<_> = self.hidden_modules.iter().collect();
        hidden_modules.sort_unstable();
        let mut file_cfgs: Vec<_> = self.file_cfgs.iter().chain(&self.file_branches).collect();
        file_cfgs.sort_unstable();
        // `alternatives` follows from `file_modules`.
        (libraries, modules, file_modules, mod_targets, crates, glob_modules, hidden_modules, file_cfgs).hash(hasher);
    }

    /// Gives module paths to `root` and every file its `mod` declarations reach.
    fn walk_mod_tree(&mut self, files: &FileSet, facts: &HashMap<&str, &FileFacts>, root: &str, crate_id: CrateId) {
        // Whether some declaration of each module reached here is `pub`, and whether its
        // parent has an item of the same name.
        let mut public: HashMap<(CrateId, String), bool> = HashMap::new();
        let mut shadowed: HashSet<(CrateId, String)> = HashSet::new();
        let mut queue = VecDeque::from([(root.to_owned(), String::new(), true, Vec::new(), Vec::new())]);
        while let Some((file, module_path, is_mod_rs, cfg_context, branches)) = queue.pop_front() {
            if self.file_modules.contains_key(&file) {
                continue;
            }
            self.file_modules.insert(file.clone(), (crate_id, module_path.clone()));
            if !cfg_context.is_empty() {
                self.file_cfgs.insert(file.clone(), cfg_context.clone());
            }
            if !branches.is_empty() {
                self.file_branches.insert(file.clone(), branches.clone());
            }
            self.modules.entry((crate_id, module_path.clone())).or_insert_with(|| file.clone());
            let Some(file_facts) = facts.get(file.as_str()) else { continue };
            for inline_path in inline_modules(file_facts) {
                self.modules
                    .entry((crate_id, join_module(&module_path, &inline_path.join("::"))))
                    .or_insert_with(|| file.clone());
            }

            let own_dir = parent(&file);
            let children_base =
                if is_mod_rs { own_dir.to_owned() } else { child(own_dir, file_name(&file).trim_end_matches(".rs")) };
            let loads: Vec<(&Import, Vec<(String, bool, Option<String>)>)> = file_facts
                .imports
                .iter()
                .filter(|import| import.kind == ImportKind::Mod)
                .map(|import| {
                    let scope_dir = import.scope.iter().fold(children_base.clone(), |dir, scope| child(&dir, scope));
                    // rustc reads `#[path]` relative to the file's own directory, or, inside
                    // an inline module, to the directory that module's children live in.
                    let path_base = if import.scope.is_empty() { own_dir } else { scope_dir.as_str() };
                    (import, mod_files(files, import, path_base, &scope_dir))
                })
                .collect();
            // Files per declared module: more than one when several declarations of one
            // module load different files (`#[cfg(unix)] #[path = "unix.rs"] mod imp;`).
            let mut files_per_module: HashMap<(&[String], &str), HashSet<&str>> = HashMap::new();
            for (import, loaded) in &loads {
                let entry = files_per_module.entry((import.scope.as_slice(), import.specifier.as_str())).or_default();
                entry.extend(loaded.iter().map(|(target, ..)| target.as_str()));
            }
            let branching: HashSet<(&[String], &str)> =
                files_per_module.into_iter().filter(|(_, targets)| targets.len() > 1).map(|(key, _)| key).collect();
            for (import, loaded) in &loads {
                let loaded = loaded.clone();
                let declared_again = branching.contains(&(import.scope.as_slice(), import.specifier.as_str()));
                // Several declarations of one module (under different cfgs) share one key:
                // it leads to all their files, and is unresolved only if none has one.
                let targets = self.mod_targets.entry(mod_key(&file, import)).or_default();
                targets.retain(|target| *target != Target::Unresolved);
                for target in loaded.iter().map(|(target, ..)| Target::File(target.clone())) {
                    if !targets.contains(&target) {
                        targets.push(target);
                    }
                }
                if targets.is_empty() {
                    targets.push(Target::Unresolved);
                }
                if loaded.is_empty() {
                    continue;
                }
                let mut child_path = module_path.clone();
                for segment in import.scope.iter().chain(std::iter::once(&import.specifier)) {
                    child_path = join_module(&child_path, segment);
                }
                let declared_public = file_facts.definitions.iter().any(|definition| {
                    definition.kind == DefinitionKind::Module
                        && definition.name_span == import.span
                        && definition.exported
                });
                *public.entry((crate_id, child_path.clone())).or_default() |= declared_public;
                if names_item_besides_modules(file_facts, &import.specifier) {
                    shadowed.insert((crate_id, child_path.clone()));
                }
                for (target, loaded_as_mod_rs, branch) in loaded {
                    self.modules.entry((crate_id, child_path.clone())).or_insert_with(|| target.clone());
                    let mut context = cfg_context.clone();
                    context.extend(import.cfg.iter().cloned());
                    context.extend(branch.iter().cloned());
                    // A branch is chosen by a `cfg_attr` path, or by the `#[cfg]` of one of
                    // several declarations of the module (`#[cfg(unix)] mod imp;` beside
                    // `#[cfg(windows)] mod imp;`).
                    let mut target_branches = branches.clone();
                    target_branches.extend(branch);
                    if declared_again {
                        target_branches.extend(import.cfg.iter().cloned());
                    }
                    queue.push_back((target, child_path.clone(), loaded_as_mod_rs, context, target_branches));
                }
            }
        }
        let private = public.into_iter().filter(|(_, public)| !public).map(|(module, _)| module);
        self.hidden_modules.extend(private.filter(|module| shadowed.contains(module)));
    }

    pub(crate) fn resolve(&self, file: &SourceFile<'_>, import: &Import) -> Vec<(Target, Usage)> {
        if import.kind == ImportKind::Mod {
            let targets = self.mod_targets.get(&mod_key(file.path, import));
            let targets = targets.map_or_else(|| vec![Target::Unresolved], Clone::clone);
            return targets.into_iter().map(|target| (target, Usage::Module)).collect();
        }
        let Some((crate_id, module_path)) = self.file_modules.get(file.path) else {
            return vec![(Target::Unresolved, Usage::Module)];
        };
        let current = import.scope.iter().fold(module_path.clone(), |path, scope| join_module(&path, scope));
        let (targets, item) = self.resolve_path(file, *crate_id, &current, &import.specifier);
        // `use m::Item` uses one name of m's file; `use m`, `use m::*` and `use m::inner::X`
        // (an inline module) use the file as a whole.
        let usage = match item {
            Some(name) if !import.wildcard => Usage::Names(vec![UsedName { name, span: import.span }]),
            _ => Usage::Module,
        };
        let mut resolved: Vec<(Target, Usage)> = Vec::new();
        for target in targets {
            let reached = match target {
                Target::File(found) => self.branches_seen_from(&found, file.path),
                other => vec![other],
            };
            for target in reached {
                if resolved.iter().all(|(seen, _)| *seen != target) {
                    resolved.push((target, usage.clone()));
                }
            }
        }
        resolved
    }

    /// The files of `found`'s module that a path written in `from` reaches. A module with
    /// one file per cfg is all of them, except where `from`'s cfg context decides: a
    /// branch whose cfgs contradict `from`'s is left out (`not(libc)` leaves out the
    /// `cfg_attr(libc, …)` branch), and the branches whose `cfg_attr` predicates `from`
    /// holds win (`#[cfg(linux_raw)] mod runtime;` sees the `linux_raw` one; a file inside
    /// a branch holds that branch's predicate, so it sees its own).
    fn branches_seen_from(&self, found: &str, from: &str) -> Vec<Target> {
        let branches = self.file_modules.get(found).and_then(|key| self.alternatives.get(key));
        let Some(branches) = branches else { return vec![Target::File(found.to_owned())] };
        let cfgs_of =
            |map: &HashMap<String, Vec<String>>, file: &str| CfgFacts::of(map.get(file).map_or(&[][..], Vec::as_slice));
        let viewer = cfgs_of(&self.file_cfgs, from);
        let scored: Vec<(&String, usize)> = branches
            .iter()
            .filter(|branch| viewer.agrees_with(&cfgs_of(&self.file_cfgs, branch)))
            .map(|branch| (branch, viewer.holds_all_count(&cfgs_of(&self.file_branches, branch))))
            .collect();
        let best = scored.iter().map(|(_, score)| *score).max();
        let seen: Vec<&String> = match best {
            Some(best) => scored.iter().filter(|(_, score)| *score == best).map(|(branch, _)| *branch).collect(),
            None => branches.iter().collect(),
        };
        seen.into_iter().map(|branch| Target::File(branch.clone())).collect()
    }

    /// Where `specifier` leads, and the item it names in the target file's own module.
    fn resolve_path(
        &self,
        file: &SourceFile<'_>,
        crate_id: CrateId,
        current: &str,
        specifier: &str,
    ) -> (Vec<Target>, Option<String>) {
        let absolute = specifier.starts_with("::");
        let segments: Vec<&str> = specifier.split("::").filter(|segment| !segment.is_empty()).collect();
        let Some((&first, rest)) = segments.split_first() else { return (vec![Target::Unresolved], None) };
        match first {
            "crate" | "$crate" => self.walk(crate_id, "", rest, Some(current)),
            "self" => self.walk(crate_id, current, rest, Some(current)),
            "super" => {
                let mut module = current.to_owned();
                let mut remaining = &segments[..];
                while remaining.first() == Some(&"super") {
                    if module.is_empty() {
                        return (vec![Target::Unresolved], None);
                    }
                    module = parent_module(&module).to_owned();
                    remaining = &remaining[1..];
                }
                self.walk(crate_id, &module, remaining, Some(current))
            }
            _ if absolute => self.resolve_crate_name(file, crate_id, current, first, rest),
            // 2018 paths may start with a child module of the current module.
            _ if self.modules.contains_key(&(crate_id, join_module(current, first))) => {
                self.walk(crate_id, current, &segments, Some(current))
            }
            // `use crate::backend; use backend::c;`: the name a `use` of this file brings in
            // stands for that `use`'s path.
            _ if let Some(through) = path_through_use(file.facts, first, rest) => {
                self.resolve_path(file, crate_id, current, &through)
            }
            _ if names_local_item(file.facts, first) => (vec![Target::NoFile], None),
            _ => self.resolve_crate_name(file, crate_id, current, first, rest),
        }
    }

    /// A path starting with a crate's name: a workspace library, a dependency or the sysroot.
    fn resolve_crate_name(
        &self,
        file: &SourceFile<'_>,
        crate_id: CrateId,
        current: &str,
        name: &str,
        rest: &[&str],
    ) -> (Vec<Target>, Option<String>) {
        if let Some(&library) = self.libraries.get(name) {
            return self.walk(library, "", rest, None);
        }
        let package = self.crates[crate_id].package.map(|index| &self.packages[index]);
        if SYSROOT_CRATES.contains(&name)
            || package.is_some_and(|package| package.dependencies.iter().any(|dependency| dependency == name))
        {
            return (vec![Target::External], None);
        }
        // Edition 2015 paths are crate-relative: `use a::b` means `crate::a::b`.
        if self.modules.contains_key(&(crate_id, name.to_owned())) {
            let mut path = vec![name];
            path.extend_from_slice(rest);
            return self.walk(crate_id, "", &path, Some(current));
        }
        // A name brought in by a glob import may be anything; without a manifest there is
        // no dependency list to check against.
        let has_glob = file.facts.imports.iter().any(|import| import.wildcard);
        (vec![if has_glob || package.is_none() { Target::External } else { Target::Unresolved }], None)
    }

    /// Follows `segments` down from `base` as far as they name modules visible from module
    /// `seen_from` (`None`: from another crate). Returns the files of the deepest modules
    /// (more than one when glob imports of different cfgs offer the same name) and the
    /// first segment past the first target file's own module, if any.
    fn walk(
        &self,
        crate_id: CrateId,
        base: &str,
        segments: &[&str],
        seen_from: Option<&str>,
    ) -> (Vec<Target>, Option<String>) {
        let mut reached = vec![base.to_owned()];
        let mut consumed = 0;
        for segment in segments {
            if *segment != "self" {
                let mut next: Vec<String> = reached
                    .iter()
                    .flat_map(|module| self.child_modules(crate_id, module, segment, seen_from))
                    .collect();
                next.sort_unstable();
                next.dedup();
                if next.is_empty() {
                    break;
                }
                reached = next;
            }
            consumed += 1;
        }
        let mut targets = Vec::new();
        let mut item = None;
        for module in &reached {
            let Some(file) = self.modules.get(&(crate_id, module.clone())) else { continue };
            if targets.is_empty() {
                // An inline module lives in its parent's file: the name used there is its
                // first segment below the file's own module.
                let file_module = self.file_modules.get(file).map_or("", |(_, path)| path.as_str());
                item = if module == file_module {
                    segments.get(consumed).map(|segment| (*segment).to_owned())
                } else {
                    let below = module.strip_prefix(file_module).unwrap_or(module).trim_start_matches("::");
                    below.split("::").next().map(str::to_owned)
                };
            }
            let target = Target::File(file.clone());
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
        if targets.is_empty() {
            return (vec![Target::Unresolved], None);
        }
        (targets, item)
    }
}

/// The files a `mod` item loads, each with whether it is read as a `mod.rs` file (its
/// children live beside it) and the predicate of the `cfg_attr` that chose it. An
/// unconditional `#[path]` names the only file; otherwise each `cfg_attr` path is one,
/// and so is the default (`name.rs` or `name/mod.rs`), which applies when no cfg holds.
/// Missing files are left out.
fn mod_files(
    files: &FileSet,
    import: &Import,
    path_base: &str,
    scope_dir: &str,
) -> Vec<(String, bool, Option<String>)> {
    let at_path = |path: &str| join(path_base, path).filter(|path| files.contains(path));
    if let Some(path) = &import.path_attribute {
        return at_path(path).map(|path| (path, true, None)).into_iter().collect();
    }
    let mut loaded: Vec<(String, bool, Option<String>)> = import
        .cfg_path_attributes
        .iter()
        .filter_map(|cfg_path| Some((at_path(&cfg_path.path)?, true, Some(cfg_path.predicate.clone()))))
        .collect();
    let flat = child(scope_dir, &format!("{}.rs", import.specifier));
    let nested = child(&child(scope_dir, &import.specifier), "mod.rs");
    let default = if files.contains(&flat) {
        Some((flat, false, None))
    } else if files.contains(&nested) {
        Some((nested, true, None))
    } else {
        None
    };
    if let Some(default) = default.filter(|(path, ..)| loaded.iter().all(|(other, ..)| other != path)) {
        loaded.push(default);
    }
    loaded
}

/// The key of a `mod name;` declaration: its file, enclosing inline modules and name.
/// It names no position, so an edit elsewhere in the file leaves the model unchanged.
fn mod_key(file: &str, import: &Import) -> (String, String) {
    let mut path = import.scope.join("::");
    path.push_str("::");
    path.push_str(&import.specifier);
    (file.to_owned(), path)
}

/// What a cfg context says for certain: atoms that hold and atoms that do not, read from
/// `all(…)`, `not(…)` and `not(any(…))`. Nothing is evaluated; an `any(…)` says nothing.
#[derive(Default)]
struct CfgFacts {
    holds: HashSet<String>,
    fails: HashSet<String>,
}

impl CfgFacts {
    fn of(predicates: &[String]) -> CfgFacts {
        let mut facts = CfgFacts::default();
        for predicate in predicates {
            facts.read(predicate, false);
        }
        facts
    }

    fn read(&mut self, predicate: &str, negated: bool) {
        let call = |name: &str| predicate.strip_prefix(name).and_then(|rest| rest.strip_prefix('(')?.strip_suffix(')'));
        if let Some(inner) = call("all") {
            if !negated {
                split_top_level(inner).into_iter().for_each(|part| self.read(part, false));
            }
        } else if let Some(inner) = call("any") {
            if negated {
                split_top_level(inner).into_iter().for_each(|part| self.read(part, true));
            }
        } else if let Some(inner) = call("not") {
            self.read(inner, !negated);
        } else if !predicate.is_empty() {
            let set = if negated { &mut self.fails } else { &mut self.holds };
            set.insert(predicate.to_owned());
        }
    }

    /// False when the two contexts contradict each other.
    fn agrees_with(&self, other: &CfgFacts) -> bool {
        !(self.holds.iter().any(|atom| other.fails.contains(atom))
            || self.fails.iter().any(|atom| other.holds.contains(atom)))
    }

    /// How many of `other`'s atoms this context holds.
    fn holds_all_count(&self, other: &CfgFacts) -> usize {
        other.holds.iter().filter(|atom| self.holds.contains(*atom)).count()
    }
}

impl RustModel {
    /// The modules `name` names inside `module`: the one declared there, or those its glob
    /// imports bring in (`pub use self::imp::*;` makes `imp`'s child modules its own; two
    /// such imports under different cfgs may both offer the name).
    fn child_modules(&self, crate_id: CrateId, module: &str, name: &str, seen_from: Option<&str>) -> Vec<String> {
        let declared = join_module(module, name);
        if self.modules.contains_key(&(crate_id, declared.clone())) {
            // A private module is visible in its parent and the parent's descendants;
            // elsewhere its name means the parent's item (`pub use copy::copy;`).
            let hidden = self.hidden_modules.contains(&(crate_id, declared.clone()));
            let inside = |viewer: &str| {
                module.is_empty()
                    || viewer == module
                    || viewer.strip_prefix(module).is_some_and(|rest| rest.starts_with("::"))
            };
            return if !hidden || seen_from.is_some_and(inside) { vec![declared] } else { Vec::new() };
        }
        let Some(globs) = self.glob_modules.get(&(crate_id, module.to_owned())) else { return Vec::new() };
        globs
            .iter()
            .map(|glob| join_module(glob, name))
            .filter(|candidate| self.modules.contains_key(&(crate_id, candidate.clone())))
            .collect()
    }
}

fn join_module(base: &str, segment: &str) -> String {
    if base.is_empty() { segment.to_owned() } else { format!("{base}::{segment}") }
}

fn parent_module(path: &str) -> &str {
    path.rfind("::").map_or("", |index| &path[..index])
}

/// True when the file defines `name` itself or brings it in with a multi-segment `use`
/// (`use std::cmp::Ordering; use Ordering::*;`). `use foo;` names the crate `foo` itself.
fn names_local_item(facts: &FileFacts, name: &str) -> bool {
    facts.definitions.iter().any(|definition| definition.owner.is_none() && definition.name == name)
        || use_bringing(facts, name).is_some()
}

/// True when the file has an item called `name` other than a module: a definition, or a
/// `use` that brings one in under that name (`pub use copy::copy;`).
pub(super) fn names_item_besides_modules(facts: &FileFacts, name: &str) -> bool {
    facts.definitions.iter().any(|definition| {
        definition.owner.is_none() && definition.kind != DefinitionKind::Module && definition.name == name
    }) || use_bringing(facts, name).is_some()
}

/// The file's multi-segment `use` that brings `name` in: `use a::name;` or
/// `use a::b as name;`.
fn use_bringing<'f>(facts: &'f FileFacts, name: &str) -> Option<&'f Import> {
    facts.imports.iter().find(|import| {
        import.kind != ImportKind::Mod
            && !import.wildcard
            && import.specifier.contains("::")
            && import.alias.as_deref().unwrap_or_else(|| import.specifier.rsplit("::").next().unwrap_or_default())
                == name
    })
}

/// `name::rest` with `name` replaced by the path of the file's `use` that brings it in
/// (`use crate::backend;` makes `backend::c` `crate::backend::c`), when `rest` is not
/// empty and that path starts at `crate`, `self` or `super`, so that the replacement
/// cannot lead back to another such name.
fn path_through_use(facts: &FileFacts, name: &str, rest: &[&str]) -> Option<String> {
    if rest.is_empty() {
        return None;
    }
    let import = use_bringing(facts, name)?;
    let head = import.specifier.split("::").next()?;
    matches!(head, "crate" | "self" | "super").then(|| format!("{}::{}", import.specifier, rest.join("::")))
}

/// The file's inline modules (`mod a { mod b { } }`) as paths from the file's own module.
fn inline_modules(facts: &FileFacts) -> Vec<Vec<String>> {
    let declared: HashSet<u32> = facts
        .imports
        .iter()
        .filter(|import| import.kind == ImportKind::Mod)
        .map(|import| import.span.start_byte)
        .collect();
    let modules: Vec<&crate::facts::Definition> = facts
        .definitions
        .iter()
        .filter(|definition| {
            definition.kind == DefinitionKind::Module && !declared.contains(&definition.name_span.start_byte)
        })
        .collect();
    modules
        .iter()
        .map(|module| {
            let mut path: Vec<String> = modules
                .iter()
                .filter(|outer| outer.span.contains(&module.span) && outer.span != module.span)
                .map(|outer| outer.name.as_str().to_owned())
                .collect();
            path.push(module.name.as_str().to_owned());
            path
        })
        .collect()
}
