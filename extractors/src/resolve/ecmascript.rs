//! TypeScript and JavaScript module resolution.
//!
//! Relative specifiers probe extensions and `index.*` files the way TypeScript's bundler
//! resolution does (including `./x.js` written for `./x.ts`). Bare specifiers go through
//! the nearest `tsconfig.json`/`jsconfig.json` (`paths`, `baseUrl`, `extends`), then the
//! workspace's own packages (`package.json` `exports`, `types`, `module`, `main`), and are
//! external otherwise. `#` specifiers are the nearest `package.json`'s subpath `imports`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::file_set::Lookup;
use super::manifest::Manifests;
use super::rel_path::{ancestors, child, file_name, join, parent};
use super::{ProjectProblem, Target, Usage};
use crate::facts::Import;
use crate::lang::Lang;

/// Extensions tried for an extensionless specifier, in TypeScript's order.
const PROBE_EXTENSIONS: &[&str] =
    &[".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.mts", ".d.cts"];

/// A written JavaScript extension and the TypeScript sources it may stand for.
const SOURCE_FOR_OUTPUT: &[(&str, &[&str])] = &[
    (".js", &[".ts", ".tsx", ".d.ts"]),
    (".jsx", &[".tsx"]),
    (".mjs", &[".mts", ".d.mts"]),
    (".cjs", &[".cts", ".d.cts"]),
];

/// Extensions of files that bundler loaders import but that are no nodes of the graph,
/// besides the assets ([`Lang::Asset`]): importing a missing one is no broken import.
const LOADER_ONLY_EXTENSIONS: &[&str] = &[".md", ".txt", ".graphql", ".gql", ".yaml", ".yml"];

/// Conditions honoured in `exports`, in order of preference: types first, since the graph
/// is about sources.
const EXPORT_CONDITIONS: &[&str] = &["types", "typings", "source", "import", "module", "require", "node", "default"];

/// One effective compiler configuration: `extends` already applied.
#[derive(Clone, Debug, Default)]
struct CompilerPaths {
    base_url: Option<String>,
    /// `paths` patterns with their substitutions, already joined onto their base directory.
    paths: Vec<(String, Vec<String>)>,
}

/// A workspace package that other packages may import by name.
#[derive(Debug)]
struct WorkspacePackage {
    name: String,
    dir: String,
    manifest: Value,
}

pub(crate) struct EcmaModel {
    /// Config directory → its effective paths. `tsconfig.json` wins over `jsconfig.json`.
    configs: BTreeMap<String, CompilerPaths>,
    /// Longest names first, so `@scope/pkg-extra` is not taken for `@scope/pkg`.
    packages: Vec<WorkspacePackage>,
    /// Every `package.json`'s directory and `imports` map (`Null` when it has none): a `#`
    /// specifier belongs to the nearest one.
    import_maps: BTreeMap<String, Value>,
}

impl EcmaModel {
    pub(crate) fn build(manifests: &Manifests, problems: &mut Vec<ProjectProblem>) -> EcmaModel {
        let mut configs = BTreeMap::new();
        for name in ["jsconfig.json", "tsconfig.json"] {
            for path in manifests.ts_configs.keys().filter(|path| file_name(path) == name) {
                configs.insert(parent(path).to_owned(), effective_paths(&manifests.ts_configs, path, problems));
            }
        }
        let mut packages: Vec<WorkspacePackage> = manifests
            .packages
            .iter()
            .filter_map(|package| {
                let name = package.value.get("name")?.as_str()?.to_owned();
                Some(WorkspacePackage { name, dir: package.dir.clone(), manifest: package.value.clone() })
            })
            .collect();
        packages.sort_by(|a, b| b.name.len().cmp(&a.name.len()).then_with(|| a.dir.cmp(&b.dir)));
        let import_maps = manifests
            .packages
            .iter()
            .map(|package| (package.dir.clone(), package.value.get("imports").cloned().unwrap_or(Value::Null)))
            .collect();
        EcmaModel { configs, packages, import_maps }
    }

    pub(crate) fn resolve(&self, files: &Lookup<'_>, from: &str, import: &Import) -> Vec<(Target, Usage)> {
        vec![(self.resolve_specifier(files, from, &import.specifier), Usage::of_import(import))]
    }

    fn resolve_specifier(&self, files: &Lookup<'_>, from: &str, specifier: &str) -> Target {
        match self.resolve_source(files, from, specifier) {
            // An asset that is not in the tree is often generated or served; it is no broken
            // import.
            Target::Unresolved if names_non_source(specifier) => Target::NoFile,
            target => target,
        }
    }

    fn resolve_source(&self, files: &Lookup<'_>, from: &str, specifier: &str) -> Target {
        if is_relative(specifier) {
            return join(parent(from), specifier)
                .and_then(|path| probe(files, &path))
                .map_or(Target::Unresolved, Target::File);
        }
        if specifier.starts_with('#') {
            return self.resolve_subpath_import(files, from, specifier);
        }
        if specifier.starts_with('/') || specifier.contains(':') {
            // Absolute paths and `node:`, `http:`, `data:` URLs are not workspace modules.
            return Target::External;
        }
        if let Some(config) = self.config_for(from)
            && let Some(target) = resolve_through_config(files, config, specifier)
        {
            return target;
        }
        self.resolve_workspace_package(files, specifier).unwrap_or(Target::External)
    }

    /// The nearest enclosing compiler configuration.
    fn config_for(&self, from: &str) -> Option<&CompilerPaths> {
        ancestors(parent(from)).find_map(|dir| self.configs.get(dir))
    }

    /// `#internal/x`: the nearest `package.json`'s `imports`, conditions chosen as for
    /// `exports`. A target is a path inside that package, or another package's name.
    fn resolve_subpath_import(&self, files: &Lookup<'_>, from: &str, specifier: &str) -> Target {
        let Some((dir, imports)) = ancestors(parent(from)).find_map(|dir| self.import_maps.get_key_value(dir)) else {
            return Target::Unresolved;
        };
        for target in subpath_targets(imports, specifier) {
            if is_relative(&target) {
                let found = join(dir, &target)
                    .and_then(|path| probe(files, &path).or_else(|| probe(files, &source_for_build_output(&path))));
                if let Some(found) = found {
                    return Target::File(found);
                }
            } else if !target.starts_with('#') {
                return self.resolve_workspace_package(files, &target).unwrap_or(Target::External);
            }
        }
        Target::Unresolved
    }

    fn resolve_workspace_package(&self, files: &Lookup<'_>, specifier: &str) -> Option<Target> {
        let package = self.packages.iter().find(|package| {
            specifier == package.name
                || specifier.strip_prefix(package.name.as_str()).is_some_and(|rest| rest.starts_with('/'))
        })?;
        let subpath = &specifier[package.name.len()..];
        let subpath = if subpath.is_empty() { ".".to_owned() } else { format!(".{subpath}") };
        Some(package_entry(files, package, &subpath).map_or(Target::Unresolved, Target::File))
    }
}

/// True when `specifier` names an asset or another file only a bundler loader reads.
fn names_non_source(specifier: &str) -> bool {
    Lang::from_file_name(file_name(specifier)) == Some(Lang::Asset)
        || LOADER_ONLY_EXTENSIONS.iter().any(|extension| specifier.ends_with(extension))
}

fn is_relative(specifier: &str) -> bool {
    specifier == "." || specifier == ".." || specifier.starts_with("./") || specifier.starts_with("../")
}

/// Finds the source file a path names: with a source extension swapped in (TypeScript
/// prefers `x.ts` for `./x.js` even where `x.js` exists), exactly, with an extension
/// added, or as a directory's `index` file.
fn probe(files: &Lookup<'_>, path: &str) -> Option<String> {
    for (written, sources) in SOURCE_FOR_OUTPUT {
        if let Some(stem) = path.strip_suffix(written)
            && let Some(found) =
                sources.iter().map(|source| format!("{stem}{source}")).find(|candidate| files.contains(candidate))
        {
            return Some(found);
        }
    }
    if files.contains(path) {
        return Some(path.to_owned());
    }
    if let Some(found) = PROBE_EXTENSIONS
        .iter()
        .map(|extension| format!("{path}{extension}"))
        .find(|candidate| files.contains(candidate))
    {
        return Some(found);
    }
    if files.is_dir(path) {
        return PROBE_EXTENSIONS
            .iter()
            .map(|extension| child(path, &format!("index{extension}")))
            .find(|candidate| files.contains(candidate));
    }
    None
}

fn resolve_through_config(files: &Lookup<'_>, config: &CompilerPaths, specifier: &str) -> Option<Target> {
    // TypeScript picks the matching pattern with the longest prefix before `*`.
    let mut best: Option<(&str, &[String], usize)> = None;
    for (pattern, substitutions) in &config.paths {
        let captured = match pattern.split_once('*') {
            Some((prefix, suffix)) => {
                let fits = specifier.len() >= prefix.len() + suffix.len()
                    && specifier.starts_with(prefix)
                    && specifier.ends_with(suffix);
                fits.then(|| &specifier[prefix.len()..specifier.len() - suffix.len()])
            }
            None => (pattern == specifier).then_some(""),
        };
        let Some(captured) = captured else { continue };
        let prefix_len = pattern.find('*').unwrap_or(pattern.len() + 1);
        if best.is_none_or(|(_, _, best_len)| prefix_len > best_len) {
            best = Some((captured, substitutions.as_slice(), prefix_len));
        }
    }
    if let Some((captured, substitutions, _)) = best {
        let found =
            substitutions.iter().find_map(|substitution| probe(files, &substitution.replacen('*', captured, 1)));
        if let Some(found) = found {
            return Some(Target::File(found));
        }
    }
    let base_url = config.base_url.as_ref()?;
    join(base_url, specifier).and_then(|path| probe(files, &path)).map(Target::File)
}

/// The effective `baseUrl` and `paths` of the config at `path`, following `extends`.
fn effective_paths(configs: &BTreeMap<String, Value>, path: &str, problems: &mut Vec<ProjectProblem>) -> CompilerPaths {
    // Walk the `extends` chain from the leaf up; the first config to set an option wins.
    let mut chain = vec![path.to_owned()];
    while chain.len() <= 16 {
        let Some(current) = chain.last().and_then(|current| configs.get(current).map(|value| (current.clone(), value)))
        else {
            break;
        };
        let (current, value) = current;
        let parents: Vec<String> = match value.get("extends") {
            Some(Value::String(single)) => vec![single.clone()],
            Some(Value::Array(many)) => many.iter().filter_map(|item| item.as_str().map(str::to_owned)).rev().collect(),
            _ => Vec::new(),
        };
        // For arrays the last entry has the highest precedence; take it as the parent.
        let Some(extends) = parents.first() else { break };
        if !is_relative(extends) {
            problems.push(ProjectProblem::new(
                &current,
                format!(
                    "`extends: \"{extends}\"` names a package, which Thread does not read; its options are ignored"
                ),
            ));
            break;
        }
        let mut target = join(parent(&current), extends).unwrap_or_default();
        if !target.ends_with(".json") {
            target.push_str(".json");
        }
        if chain.contains(&target) || !configs.contains_key(&target) {
            break;
        }
        chain.push(target);
    }

    let mut effective = CompilerPaths::default();
    let mut paths_base: Option<String> = None;
    let mut paths_value: Option<&Value> = None;
    for config_path in &chain {
        let Some(options) = configs.get(config_path).and_then(|value| value.get("compilerOptions")) else { continue };
        let dir = parent(config_path);
        if effective.base_url.is_none()
            && let Some(base_url) = options.get("baseUrl").and_then(Value::as_str)
        {
            effective.base_url = join(dir, base_url);
        }
        if paths_value.is_none()
            && let Some(paths) = options.get("paths")
        {
            paths_value = Some(paths);
            paths_base = Some(dir.to_owned());
        }
    }
    if let Some(Value::Object(paths)) = paths_value {
        // `paths` are relative to `baseUrl` when set, else to the config that declares them.
        let base = effective.base_url.clone().or(paths_base).unwrap_or_default();
        for (pattern, substitutions) in paths {
            let substitutions = substitutions
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|substitution| join(&base, substitution.as_str()?))
                .collect();
            effective.paths.push((pattern.clone(), substitutions));
        }
    }
    effective
}

/// The file a package subpath (`.` or `./sub`) resolves to inside a workspace package.
fn package_entry(files: &Lookup<'_>, package: &WorkspacePackage, subpath: &str) -> Option<String> {
    let manifest = &package.manifest;
    let mut candidates: Vec<String> = Vec::new();
    if let Some(exports) = manifest.get("exports") {
        candidates.extend(export_targets(exports, subpath));
    }
    if subpath == "." {
        for field in ["types", "typings", "module", "main"] {
            if let Some(entry) = manifest.get(field).and_then(Value::as_str) {
                candidates.push(entry.to_owned());
            }
        }
        candidates.extend(["./src/index".to_owned(), "./index".to_owned()]);
    } else {
        candidates.push(subpath.to_owned());
        candidates.push(format!("./src/{}", subpath.trim_start_matches("./")));
    }
    for candidate in &candidates {
        let Some(path) = join(&package.dir, candidate) else { continue };
        if let Some(found) = probe(files, &path).or_else(|| probe(files, &source_for_build_output(&path))) {
            return Some(found);
        }
    }
    None
}

/// Workspace packages often point `main` at build output that is not in the tree; their
/// sources live at the same place under `src/`: `dist/index.js` → `src/index.js`.
fn source_for_build_output(path: &str) -> String {
    for output in ["dist/", "lib/", "build/", "out/"] {
        if let Some(index) = path.find(output) {
            let at_boundary = index == 0 || path.as_bytes()[index - 1] == b'/';
            if at_boundary {
                return format!("{}src/{}", &path[..index], &path[index + output.len()..]);
            }
        }
    }
    path.to_owned()
}

/// The targets `exports` gives for `subpath`, most preferred first.
fn export_targets(exports: &Value, subpath: &str) -> Vec<String> {
    let is_subpath_map = exports.as_object().is_some_and(|map| map.keys().any(|key| key.starts_with('.')));
    if !is_subpath_map {
        return if subpath == "." { condition_targets(exports) } else { Vec::new() };
    }
    subpath_targets(exports, subpath)
}

/// The targets a subpath map (`exports` keyed by `./x`, `imports` keyed by `#x`) gives for
/// `key`: an exact key, else the pattern (`./features/*`) with the longest prefix before
/// its `*`, as Node picks it.
fn subpath_targets(map: &Value, key: &str) -> Vec<String> {
    let Some(map) = map.as_object() else { return Vec::new() };
    if let Some(exact) = map.get(key) {
        return condition_targets(exact);
    }
    let best = map
        .iter()
        .filter_map(|(pattern, value)| {
            let (prefix, suffix) = pattern.split_once('*')?;
            let fits = key.len() >= prefix.len() + suffix.len() && key.starts_with(prefix) && key.ends_with(suffix);
            fits.then(|| (prefix.len(), &key[prefix.len()..key.len() - suffix.len()], value))
        })
        .max_by_key(|(prefix_len, _, _)| *prefix_len);
    let Some((_, captured, value)) = best else { return Vec::new() };
    condition_targets(value).into_iter().map(|target| target.replace('*', captured)).collect()
}

fn condition_targets(value: &Value) -> Vec<String> {
    let mut targets = Vec::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(target) => targets.push(target.clone()),
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(conditions) => {
                let mut ordered: Vec<&Value> =
                    EXPORT_CONDITIONS.iter().filter_map(|condition| conditions.get(*condition)).collect();
                ordered.reverse();
                stack.extend(ordered);
            }
            _ => {}
        }
    }
    targets
}
