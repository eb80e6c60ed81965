//! Parsing the project files that define each language's module model.
//!
//! A project file that does not parse is reported as a warning and otherwise ignored:
//! one broken `tsconfig.json` must not cost the graph of the rest of the workspace.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::lang::Lang;

use super::ProjectProblem;
use super::rel_path::{file_name, parent};

/// A project file's path and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectFile {
    /// Workspace-relative path with forward slashes.
    pub path: String,
    /// The file's contents.
    pub text: String,
}

/// True for the files that shape module resolution: `Cargo.toml`, `pyproject.toml`,
/// `setup.cfg`, `setup.py`, `package.json`, `tsconfig*.json`, `jsconfig*.json`, `go.mod`, `go.work`.
pub fn is_project_file(file_name: &str) -> bool {
    matches!(
        file_name,
        "Cargo.toml" | "pyproject.toml" | "setup.cfg" | "setup.py" | "package.json" | "go.mod" | "go.work"
    ) || ((file_name.starts_with("tsconfig") || file_name.starts_with("jsconfig")) && file_name.ends_with(".json"))
}

/// The language of a file that is a node of the graph, or `None`: the one rule for which
/// files are nodes. A project file can be one as well: `package.json` is an asset that
/// scripts import (`import { version } from "../package.json"`), `setup.py` a Python
/// module.
pub fn source_language(file_name: &str) -> Option<Lang> {
    Lang::from_file_name(file_name)
}

/// A Cargo package.
#[derive(Clone, Debug, Default)]
pub(crate) struct CargoPackage {
    /// The manifest's directory.
    pub(crate) dir: String,
    /// The library's crate name (`-` replaced by `_`), when the package has a library.
    pub(crate) lib_name: Option<String>,
    /// An explicit `[lib] path`.
    pub(crate) lib_path: Option<String>,
    /// Explicit `[[bin]]`, `[[example]]`, `[[test]]`, `[[bench]]` paths.
    pub(crate) target_paths: Vec<String>,
    /// Names the package's code may use for its dependencies (`-` replaced by `_`).
    pub(crate) dependencies: Vec<String>,
}

/// A Python project directory and the source roots its configuration names.
#[derive(Debug, Default)]
pub(crate) struct PythonProject {
    pub(crate) dir: String,
    /// Source roots relative to `dir`, from `pyproject.toml` or `setup.cfg`.
    pub(crate) roots: Vec<String>,
}

/// A `package.json`.
#[derive(Debug)]
pub(crate) struct PackageJson {
    pub(crate) dir: String,
    pub(crate) value: Value,
}

/// A Go module.
#[derive(Debug)]
pub(crate) struct GoModule {
    pub(crate) dir: String,
    pub(crate) path: String,
}

/// Every parsed project file, grouped by what it configures.
#[derive(Debug, Default)]
pub(crate) struct Manifests {
    pub(crate) cargo: Vec<CargoPackage>,
    pub(crate) python: Vec<PythonProject>,
    /// `tsconfig*.json`/`jsconfig*.json` by path, JSONC parsed.
    pub(crate) ts_configs: BTreeMap<String, Value>,
    pub(crate) packages: Vec<PackageJson>,
    pub(crate) go_modules: Vec<GoModule>,
}

impl Manifests {
    pub(crate) fn parse(files: &[ProjectFile], problems: &mut Vec<ProjectProblem>) -> Manifests {
        let mut manifests = Manifests::default();
        let mut python_dirs: BTreeMap<String, PythonProject> = BTreeMap::new();
        for file in files {
            let dir = parent(&file.path).to_owned();
            let name = file_name(&file.path);
            let result = match name {
                "Cargo.toml" => parse_cargo(&dir, &file.text).map(|package| {
                    if let Some(package) = package {
                        manifests.cargo.push(package);
                    }
                }),
                "pyproject.toml" => parse_pyproject(&file.text).map(|roots| {
                    python_project(&mut python_dirs, &dir).roots.extend(roots);
                }),
                "setup.cfg" => {
                    let roots = parse_setup_cfg(&file.text);
                    python_project(&mut python_dirs, &dir).roots.extend(roots);
                    Ok(())
                }
                "setup.py" => {
                    python_project(&mut python_dirs, &dir);
                    Ok(())
                }
                "package.json" => serde_json::from_str::<Value>(&file.text)
                    .map(|value| manifests.packages.push(PackageJson { dir: dir.clone(), value }))
                    .map_err(|error| error.to_string()),
                "go.mod" => {
                    match parse_go_mod(&file.text) {
                        Some(path) => manifests.go_modules.push(GoModule { dir: dir.clone(), path }),
                        None => problems.push(ProjectProblem::new(&file.path, "no `module` directive")),
                    }
                    Ok(())
                }
                "go.work" => Ok(()),
                _ => parse_jsonc(&file.text).map(|value| {
                    manifests.ts_configs.insert(file.path.clone(), value);
                }),
            };
            if let Err(message) = result {
                problems.push(ProjectProblem::new(&file.path, format!("ignored, it does not parse: {message}")));
            }
        }
        manifests.python = python_dirs.into_values().collect();
        manifests.cargo.sort_by(|a, b| a.dir.cmp(&b.dir));
        manifests.packages.sort_by(|a, b| a.dir.cmp(&b.dir));
        manifests.go_modules.sort_by(|a, b| a.dir.cmp(&b.dir));
        manifests
    }
}

/// The Python project rooted at `dir`, created on first mention.
fn python_project<'a>(projects: &'a mut BTreeMap<String, PythonProject>, dir: &str) -> &'a mut PythonProject {
    projects.entry(dir.to_owned()).or_insert_with(|| PythonProject { dir: dir.to_owned(), roots: Vec::new() })
}

fn crate_name(name: &str) -> String {
    name.replace('-', "_")
}

/// A `Cargo.toml`; `None` for a virtual workspace manifest, which has no package.
fn parse_cargo(dir: &str, text: &str) -> Result<Option<CargoPackage>, String> {
    let value: toml::Table = toml::from_str(text).map_err(|error| error.message().to_owned())?;
    let Some(package_name) =
        value.get("package").and_then(|package| package.get("name")).and_then(|name| name.as_str())
    else {
        return Ok(None);
    };
    let lib = value.get("lib");
    let lib_name = lib
        .and_then(|lib| lib.get("name"))
        .and_then(|name| name.as_str())
        .map(crate_name)
        .unwrap_or_else(|| crate_name(package_name));
    let mut package = CargoPackage {
        dir: dir.to_owned(),
        lib_name: Some(lib_name),
        lib_path: lib.and_then(|lib| lib.get("path")).and_then(|path| path.as_str()).map(str::to_owned),
        ..CargoPackage::default()
    };
    for section in ["bin", "example", "test", "bench"] {
        let targets = value.get(section).and_then(|targets| targets.as_array()).into_iter().flatten();
        package.target_paths.extend(targets.filter_map(|target| target.get("path")?.as_str().map(str::to_owned)));
    }
    let mut tables = vec![&value];
    if let Some(targets) = value.get("target").and_then(|target| target.as_table()) {
        tables.extend(targets.values().filter_map(|target| target.as_table()));
    }
    for table in tables {
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            let Some(dependencies) = table.get(section).and_then(|section| section.as_table()) else { continue };
            package.dependencies.extend(dependencies.keys().map(|key| crate_name(key)));
        }
    }
    Ok(Some(package))
}

/// Source roots named by `pyproject.toml`: setuptools `where` and `package-dir`, Poetry
/// `packages.from`, Hatch wheel `packages`.
fn parse_pyproject(text: &str) -> Result<Vec<String>, String> {
    let value: toml::Table = toml::from_str(text).map_err(|error| error.message().to_owned())?;
    let tool = value.get("tool");
    let mut roots = Vec::new();
    let setuptools = tool.and_then(|tool| tool.get("setuptools"));
    if let Some(wheres) =
        setuptools.and_then(|s| s.get("packages")).and_then(|p| p.get("find")).and_then(|f| f.get("where"))
    {
        roots.extend(string_list(wheres));
    }
    if let Some(root) = setuptools.and_then(|s| s.get("package-dir")).and_then(|d| d.get("")).and_then(|r| r.as_str()) {
        roots.push(root.to_owned());
    }
    let poetry_packages = tool.and_then(|tool| tool.get("poetry")).and_then(|poetry| poetry.get("packages"));
    for package in poetry_packages.and_then(|p| p.as_array()).into_iter().flatten() {
        if let Some(from) = package.get("from").and_then(|from| from.as_str()) {
            roots.push(from.to_owned());
        }
    }
    let hatch_packages = tool
        .and_then(|tool| tool.get("hatch"))
        .and_then(|hatch| hatch.get("build"))
        .and_then(|build| build.get("targets"))
        .and_then(|targets| targets.get("wheel"))
        .and_then(|wheel| wheel.get("packages"));
    for package in hatch_packages.map(string_list).unwrap_or_default() {
        // `packages = ["src/foo"]` puts `foo` at the root `src`.
        roots.push(parent(&package).to_owned());
    }
    Ok(roots)
}

fn string_list(value: &toml::Value) -> Vec<String> {
    match value {
        toml::Value::String(single) => vec![single.clone()],
        toml::Value::Array(items) => items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// Source roots named by `setup.cfg`: `[options] package_dir = =src`, `[options.packages.find] where = src`.
fn parse_setup_cfg(text: &str) -> Vec<String> {
    let mut roots = Vec::new();
    let mut section = String::new();
    let mut in_package_dir = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') || trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('[') {
            section = trimmed.trim_matches(['[', ']']).trim().to_owned();
            in_package_dir = false;
            continue;
        }
        let continuation = line.starts_with([' ', '\t']);
        if continuation && in_package_dir {
            if let Some(root) = trimmed.strip_prefix('=') {
                roots.push(root.trim().to_owned());
            }
            continue;
        }
        in_package_dir = false;
        let Some((key, value)) = trimmed.split_once('=') else { continue };
        let (key, value) = (key.trim(), value.trim());
        match (section.as_str(), key) {
            ("options", "package_dir") => {
                in_package_dir = true;
                if let Some(root) = value.strip_prefix('=') {
                    roots.push(root.trim().to_owned());
                }
            }
            ("options.packages.find", "where") => roots.push(value.to_owned()),
            _ => {}
        }
    }
    roots
}

/// The module path from a `go.mod`.
fn parse_go_mod(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.split("//").next()?.trim();
        let path = line.strip_prefix("module")?;
        if !path.starts_with([' ', '\t']) {
            return None;
        }
        Some(path.trim().trim_matches(['"', '`']).to_owned())
    })
}

/// JSON with comments and trailing commas, as TypeScript accepts in `tsconfig.json`.
fn parse_jsonc(text: &str) -> Result<Value, String> {
    match jsonc_parser::parse_to_serde_value::<Option<Value>>(text, &jsonc_parser::ParseOptions::default()) {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Ok(Value::Object(Default::default())),
        Err(error) => Err(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_setup_cfg_package_dirs() {
        let text = "[metadata]\nname = x\n[options]\npackage_dir =\n    =src\npackages = find:\n";
        assert_eq!(parse_setup_cfg(text), ["src"]);
        assert_eq!(parse_setup_cfg("[options]\npackage_dir = =lib\n"), ["lib"]);
    }

    #[test]
    fn reads_go_module_paths() {
        assert_eq!(
            parse_go_mod("// c\nmodule example.com/proj // trailing\n\ngo 1.21\n").as_deref(),
            Some("example.com/proj")
        );
        assert_eq!(parse_go_mod("modulex foo\n"), None);
    }

    #[test]
    fn reads_tsconfig_with_comments_and_trailing_commas() {
        let value =
            parse_jsonc("{ // c\n \"compilerOptions\": { \"baseUrl\": \".\", }, /* x */ }").expect("JSONC parses");
        assert_eq!(value["compilerOptions"]["baseUrl"], ".");
    }
}
