//! Go package resolution: `go.mod` module paths, one package per directory.
//!
//! An import of an in-module package is an edge to each of its non-test `.go` files. A
//! test file importing the package of its own directory (an external `_test` package)
//! also sees that package's internal test files, as `go test` compiles them together.

use super::file_set::Lookup;
use super::manifest::Manifests;
use super::rel_path::{child, file_name, parent};
use super::{SourceFile, Target, Usage};
use crate::facts::Import;

/// The workspace's Go modules, longest module path first so nested modules win.
pub(crate) struct GoModel {
    modules: Vec<(String, String)>, // (module path, directory)
    /// Files whose package clause ends in `_test`.
    external_test_files: std::collections::HashSet<String>,
}

impl GoModel {
    pub(crate) fn build(sources: &[SourceFile<'_>], manifests: &Manifests) -> GoModel {
        let mut modules: Vec<(String, String)> =
            manifests.go_modules.iter().map(|module| (module.path.clone(), module.dir.clone())).collect();
        modules.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        let external_test_files = sources
            .iter()
            .filter(|source| source.facts.package.as_deref().is_some_and(|package| package.ends_with("_test")))
            .map(|source| source.path.to_owned())
            .collect();
        GoModel { modules, external_test_files }
    }

    /// Feeds everything resolution reads from the model.
    pub(crate) fn hash_derived(&self, hasher: &mut impl std::hash::Hasher) {
        let mut test_files: Vec<&String> = self.external_test_files.iter().collect();
        test_files.sort_unstable();
        std::hash::Hash::hash(&(&self.modules, test_files), hasher);
    }

    pub(crate) fn resolve(&self, files: &Lookup<'_>, from: &SourceFile<'_>, import: &Import) -> Vec<(Target, Usage)> {
        // A Go import brings in the whole package, used as `pkg.Name`.
        self.resolve_package(files, from, import).into_iter().map(|target| (target, Usage::Module)).collect()
    }

    fn resolve_package(&self, files: &Lookup<'_>, from: &SourceFile<'_>, import: &Import) -> Vec<Target> {
        let import_path = import.specifier.as_str();
        // Exact path matching: module `example.com/proj` owns `example.com/proj/x`, never `example.com/projx`.
        let owner = self.modules.iter().find_map(|(module_path, dir)| {
            let rest = import_path.strip_prefix(module_path.as_str())?;
            match rest.strip_prefix('/') {
                Some(subdir) => Some(child(dir, subdir)),
                None if rest.is_empty() => Some(dir.clone()),
                None => None,
            }
        });
        let Some(package_dir) = owner else { return vec![Target::External] };

        let importer_is_test = is_test_file(from.path);
        let same_dir = parent(from.path) == package_dir;
        let targets: Vec<Target> = files
            .files_in(&package_dir)
            .filter(|path| path.ends_with(".go"))
            .filter(|path| {
                !is_test_file(path)
                    || (importer_is_test && same_dir && !self.external_test_files.contains(path.as_str()))
            })
            .map(Target::File)
            .collect();
        if targets.is_empty() { vec![Target::Unresolved] } else { targets }
    }
}

fn is_test_file(path: &str) -> bool {
    file_name(path).ends_with("_test.go")
}
