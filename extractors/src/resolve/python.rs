//! Python module resolution: source roots, regular and namespace packages, relative imports.
//!
//! What counts as an edge follows grimp: `import a.b.c` depends on `a/b/c.py` only, not on
//! its parent packages; `from a.b import c` depends on `a/b/c.py` when `c` is a submodule
//! and on `a/b/__init__.py` otherwise.

use super::file_set::{FileSet, Lookup};
use super::manifest::Manifests;
use super::rel_path::{child, join, parent};
use super::{Target, Usage};
use crate::facts::Import;

/// The source roots of the workspace, most specific first.
pub(crate) struct PythonModel {
    roots: Vec<String>,
}

/// Where a dotted module name lands.
#[derive(Debug, PartialEq, Eq)]
enum ModuleLocation {
    /// The file that holds the module: `a/b.py`, `a/b.pyi` or `a/b/__init__.py`.
    File(String),
    /// A directory without `__init__.py` (PEP 420).
    Namespace,
}

impl ModuleLocation {
    fn file(self) -> Target {
        match self {
            ModuleLocation::File(path) => Target::File(path),
            ModuleLocation::Namespace => Target::NoFile,
        }
    }
}

impl PythonModel {
    pub(crate) fn build(files: &FileSet, manifests: &Manifests) -> PythonModel {
        let mut roots: Vec<String> = Vec::new();
        let mut add = |root: String| {
            if files.is_dir(&root) && !roots.contains(&root) {
                roots.push(root);
            }
        };
        for project in &manifests.python {
            for root in &project.roots {
                if let Some(root) = join(&project.dir, root) {
                    add(root);
                }
            }
            add(child(&project.dir, "src"));
            add(project.dir.clone());
        }
        add("src".to_owned());
        add(String::new());
        // Deeper roots first: `proj/src` must win over the workspace root for `import pkg`.
        roots.sort_by_key(|root| std::cmp::Reverse(if root.is_empty() { 0 } else { root.matches('/').count() + 1 }));
        PythonModel { roots }
    }

    /// Feeds everything resolution reads from the model.
    pub(crate) fn hash_derived(&self, hasher: &mut impl std::hash::Hasher) {
        std::hash::Hash::hash(&self.roots, hasher);
    }

    pub(crate) fn resolve(&self, files: &Lookup<'_>, from: &str, import: &Import) -> Vec<(Target, Usage)> {
        let specifier = import.specifier.as_str();
        let level = specifier.chars().take_while(|&c| c == '.').count();
        let module = &specifier[level..];
        let segments: Vec<&str> = if module.is_empty() { Vec::new() } else { module.split('.').collect() };

        // The directories the module path is looked up in. An absolute import whose top-level
        // name no root defines is external; one that a root defines but lacks is broken.
        let base_dirs: Vec<String> = if level > 0 {
            let mut dir = parent(from).to_owned();
            for _ in 1..level {
                if dir.is_empty() {
                    return vec![(Target::Unresolved, Usage::Module)];
                }
                dir = parent(&dir).to_owned();
            }
            vec![dir]
        } else {
            let Some(top) = segments.first() else { return vec![(Target::Unresolved, Usage::Module)] };
            let dirs = self.roots_defining(files, from, top);
            if dirs.is_empty() {
                return vec![(Target::External, Usage::Module)];
            }
            dirs
        };

        let located = base_dirs.iter().find_map(|dir| locate(files, dir, &segments));
        let Some(location) = located else { return vec![(Target::Unresolved, Usage::Module)] };
        // `import X` and `from X import *` depend on X itself.
        if import.names.is_empty() || import.wildcard {
            return vec![(location.file(), Usage::Module)];
        }
        // `from X import a, b`: each name is a submodule of X or a name defined in X.
        let mut targets = Vec::new();
        for name in &import.names {
            let mut submodule = segments.clone();
            submodule.push(&name.name);
            let as_submodule =
                base_dirs.iter().find_map(|dir| locate(files, dir, &submodule).map(ModuleLocation::file));
            targets.push(match as_submodule {
                Some(target) => (target, Usage::Module),
                None => match &location {
                    ModuleLocation::File(path) => (Target::File(path.clone()), Usage::name(name)),
                    ModuleLocation::Namespace => (Target::Unresolved, Usage::Module),
                },
            });
        }
        targets
    }

    /// The roots in which top-level module `top` exists. A script outside any package may
    /// also import its neighbours, since Python puts a script's directory on `sys.path`.
    fn roots_defining(&self, files: &Lookup<'_>, from: &str, top: &str) -> Vec<String> {
        let mut dirs: Vec<String> =
            self.roots.iter().filter(|root| locate(files, root, &[top]).is_some()).cloned().collect();
        let script_dir = parent(from);
        let in_package = files.contains(&child(script_dir, "__init__.py"));
        if !in_package && !dirs.iter().any(|dir| dir == script_dir) && locate(files, script_dir, &[top]).is_some() {
            dirs.push(script_dir.to_owned());
        }
        dirs
    }
}

/// Finds the dotted module `segments` under `dir`. One path buffer serves every
/// candidate: resolution asks this for every imported name of every file.
fn locate(files: &Lookup<'_>, dir: &str, segments: &[&str]) -> Option<ModuleLocation> {
    let mut path =
        String::with_capacity(dir.len() + segments.iter().map(|segment| segment.len() + 1).sum::<usize>() + 13);
    path.push_str(dir);
    for segment in segments {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(segment);
    }
    let module_len = path.len();
    // No candidate can exist in a directory with no source file: one question instead of
    // five for each name of `from pkg.module import a, b, c`, where `module` is a file.
    // The directory question is asked again when any file appears beneath it.
    if !segments.is_empty() && !files.is_dir(super::rel_path::parent(&path)) {
        return None;
    }
    let candidate = |path: &mut String, ending: &str| {
        path.truncate(module_len);
        if ending.starts_with('/') && module_len == 0 {
            path.push_str(&ending[1..]);
        } else {
            path.push_str(ending);
        }
        files.contains(path)
    };
    if segments.is_empty() {
        // `from . import x`: the package itself.
        return Some(if candidate(&mut path, "/__init__.py") {
            ModuleLocation::File(path)
        } else {
            ModuleLocation::Namespace
        });
    }
    for ending in [".py", ".pyi", "/__init__.py", "/__init__.pyi"] {
        if candidate(&mut path, ending) {
            return Some(ModuleLocation::File(path));
        }
    }
    path.truncate(module_len);
    files.is_dir(&path).then_some(ModuleLocation::Namespace)
}
