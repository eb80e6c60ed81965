//! Module resolution: from an import as written to the workspace files it names.
//!
//! Resolution reads each project's own model (Cargo manifests and the `mod` tree, Python
//! source roots and packages, `tsconfig.json` and `package.json`, `go.mod`) and answers
//! with real files, or says plainly that the import is external or unresolved. It is the
//! one place where per-language Rust code is the right tool, one module per family behind
//! [`ProjectModel::resolve`].
//!
//! Paths are workspace-relative with forward slashes. Like the rest of the crate this
//! module does no IO: the caller hands in the file list and the project files' text.

mod ecmascript;
mod file_set;
mod go;
mod manifest;
mod python;
mod rel_path;
mod rust;

use crate::facts::{FileFacts, ImportKind};
use crate::lang::{Family, Lang};

pub use file_set::FileSet;
pub use manifest::{ProjectFile, is_project_file};

/// A source file as resolution sees it.
#[derive(Clone, Copy, Debug)]
pub struct SourceFile<'a> {
    /// Workspace-relative path with forward slashes.
    pub path: &'a str,
    /// The file's language.
    pub lang: Lang,
    /// The file's extracted facts.
    pub facts: &'a FileFacts,
}

/// Where one import leads.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A workspace file.
    File(String),
    /// Outside the workspace: a standard library or third-party module.
    External,
    /// Should be in the workspace but is not: a broken import.
    Unresolved,
    /// Resolved, but to nothing that is a separate source file: an item of this same file,
    /// a namespace package directory, a stylesheet or other asset. No edge, no diagnostic.
    NoFile,
}

/// One resolved edge of an import.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resolution {
    /// Index of the import in the file's [`FileFacts::imports`].
    pub import: usize,
    /// The import's kind.
    pub kind: ImportKind,
    /// Where it leads.
    pub target: Target,
}

/// Everything resolution needs to know about a workspace, built once per file set.
pub struct ProjectModel {
    files: FileSet,
    rust: rust::RustModel,
    python: python::PythonModel,
    ecmascript: ecmascript::EcmaModel,
    go: go::GoModel,
    warnings: Vec<String>,
}

impl ProjectModel {
    /// Builds the model from every source file and every project file of the workspace.
    pub fn build(sources: &[SourceFile<'_>], project_files: &[ProjectFile]) -> ProjectModel {
        let files = FileSet::new(sources.iter().map(|source| source.path));
        let mut warnings = Vec::new();
        let manifests = manifest::Manifests::parse(project_files, &mut warnings);
        ProjectModel {
            rust: rust::RustModel::build(&files, sources, &manifests),
            python: python::PythonModel::build(&files, &manifests),
            ecmascript: ecmascript::EcmaModel::build(&manifests, &mut warnings),
            go: go::GoModel::build(sources, &manifests),
            files,
            warnings,
        }
    }

    /// Problems found in project files (unparsable manifests and the like), for the user.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The workspace's source files.
    pub fn files(&self) -> &FileSet {
        &self.files
    }

    /// Resolves every import of `file`. An import yields one resolution per target file,
    /// or a single external, unresolved or no-file resolution.
    pub fn resolve(&self, file: &SourceFile<'_>) -> Vec<Resolution> {
        let mut resolutions = Vec::new();
        for (index, import) in file.facts.imports.iter().enumerate() {
            let targets = match file.lang.family() {
                Family::Rust => self.rust.resolve(&self.files, file, import),
                Family::Python => self.python.resolve(&self.files, file.path, import),
                Family::EcmaScript => self.ecmascript.resolve(&self.files, file.path, import),
                Family::Go => self.go.resolve(&self.files, file, import),
            };
            let mut seen = Vec::with_capacity(targets.len());
            for target in targets {
                // A file importing itself carries no dependency.
                let target = match target {
                    Target::File(path) if path == file.path => Target::NoFile,
                    other => other,
                };
                if !seen.contains(&target) {
                    seen.push(target);
                }
            }
            let has_file = seen.iter().any(|target| matches!(target, Target::File(_)));
            resolutions.extend(
                seen.into_iter().filter(|target| !(has_file && *target == Target::NoFile)).map(|target| Resolution {
                    import: index,
                    kind: import.kind,
                    target,
                }),
            );
        }
        resolutions
    }
}
