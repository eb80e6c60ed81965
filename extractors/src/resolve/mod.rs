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

use std::hash::{DefaultHasher, Hash, Hasher};

use crate::facts::{DefinitionKind, FileFacts, Import, ImportKind, ImportedName, Span};
use crate::lang::{Family, Lang};

use file_set::Lookup;
pub use file_set::{FileSet, ProbeKey, probes_touched_by};
pub use manifest::{ProjectFile, is_project_file, source_language};

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

/// The revision of resolution: resolutions kept in a store are reused only by a build of
/// the same revision. It is a hash of this directory's sources, the language table, the
/// text helpers and the codec that stores resolutions (see `build.rs`), so a change there
/// to what resolution answers, or to how a [`ProbeKey`] is made, cannot forget to change
/// it. The engine's conversion of links back into a stored resolution
/// (`thread_engine::store`) is outside it: a change to that must change the codec.
pub const RESOLVER_REVISION: u32 = include!(concat!(env!("OUT_DIR"), "/resolver_revision.rs"));

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

/// A name an import takes from its target file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsedName {
    /// The name as the target file defines it.
    pub name: String,
    /// Where the importing file writes it.
    pub span: Span,
}

/// What an import uses of its target: the symbol-level dependency.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Usage {
    /// The module as a whole (`import x`, `use m::*`, `* as ns`, a Go package): any change
    /// to the target's interface may matter.
    Module,
    /// Only these names (`from m import a`, `import { a } from`, `use m::a`).
    Names(Vec<UsedName>),
}

impl Usage {
    /// The usage of an import whose names all come from one target.
    pub(crate) fn of_import(import: &Import) -> Usage {
        if import.wildcard || import.alias.is_some() || import.names.is_empty() {
            Usage::Module
        } else {
            Usage::Names(import.names.iter().map(UsedName::of).collect())
        }
    }

    pub(crate) fn name(name: &ImportedName) -> Usage {
        Usage::Names(vec![UsedName::of(name)])
    }

    fn merge(&mut self, other: Usage) {
        match (self, other) {
            (Usage::Names(names), Usage::Names(more)) => names.extend(more),
            (this, _) => *this = Usage::Module,
        }
    }
}

impl UsedName {
    fn of(name: &ImportedName) -> UsedName {
        UsedName { name: name.name.clone(), span: name.span }
    }
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
    /// What it uses there.
    pub usage: Usage,
}

/// Every resolution of one file, with the file-set questions they depended on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileResolution {
    /// One entry per import and target.
    pub resolutions: Vec<Resolution>,
    /// The questions asked of the file set, sorted: when a created or deleted file
    /// touches one of them ([`probes_touched_by`]), this file must be resolved again.
    pub probes: Vec<ProbeKey>,
}

/// Everything resolution needs to know about a workspace, built once per file set.
pub struct ProjectModel {
    files: FileSet,
    rust: rust::RustModel,
    python: python::PythonModel,
    ecmascript: ecmascript::EcmaModel,
    go: go::GoModel,
    problems: Vec<ProjectProblem>,
}

/// A problem in a project file, for the user: an unparsable manifest, a config Thread
/// cannot follow. Shown as `path: message`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProjectProblem {
    /// The project file, workspace-relative.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl ProjectProblem {
    pub(crate) fn new(path: &str, message: impl Into<String>) -> ProjectProblem {
        ProjectProblem { path: path.to_owned(), message: message.into() }
    }
}

impl std::fmt::Display for ProjectProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl ProjectModel {
    /// Builds the model from every source file and every project file of the workspace.
    pub fn build(sources: &[SourceFile<'_>], project_files: &[ProjectFile]) -> ProjectModel {
        let files = FileSet::new(sources.iter().map(|source| source.path));
        ProjectModel::build_on(files, sources, project_files)
    }

    /// Builds the model over an existing file set, which must hold exactly the paths of
    /// `sources`. Incremental callers keep the file set up to date and rebuild on it.
    pub fn build_on(files: FileSet, sources: &[SourceFile<'_>], project_files: &[ProjectFile]) -> ProjectModel {
        let mut problems = Vec::new();
        let manifests = manifest::Manifests::parse(project_files, &mut problems);
        ProjectModel {
            rust: rust::RustModel::build(&files, sources, &manifests),
            python: python::PythonModel::build(&files, &manifests),
            ecmascript: ecmascript::EcmaModel::build(&manifests, &mut problems),
            go: go::GoModel::build(sources, &manifests),
            files,
            problems,
        }
    }

    /// Gives up the file set, to be updated and rebuilt on.
    pub fn into_files(self) -> FileSet {
        self.files
    }

    /// Problems found in project files (unparsable manifests and the like), for the user.
    pub fn problems(&self) -> &[ProjectProblem] {
        &self.problems
    }

    /// The same problems as lines, `path: message`.
    pub fn warnings(&self) -> Vec<String> {
        self.problems.iter().map(ToString::to_string).collect()
    }

    /// The workspace's source files.
    pub fn files(&self) -> &FileSet {
        &self.files
    }

    /// A fingerprint of what the model derived for `family` from the file set and the
    /// files' facts (the Rust `mod` tree, Python roots, Go test packages). Resolution of a
    /// family's files depends on the model only through this: when it is unchanged after a
    /// rebuild, no file of the family needs resolving again on the model's account.
    /// Manifests are not covered; when a project file changes, resolve everything.
    pub fn family_fingerprint(&self, family: Family) -> u64 {
        let mut hasher = DefaultHasher::new();
        match family {
            Family::Rust => self.rust.hash_derived(&mut hasher),
            Family::Python => self.python.hash_derived(&mut hasher),
            Family::Go => self.go.hash_derived(&mut hasher),
            Family::EcmaScript => {}
        }
        hasher.finish()
    }

    /// Resolves every import of `file`. An import yields one resolution per target file,
    /// or a single external, unresolved or no-file resolution.
    pub fn resolve(&self, file: &SourceFile<'_>) -> FileResolution {
        let lookup = Lookup::new(&self.files);
        let mut resolutions = Vec::new();
        for (index, import) in file.facts.imports.iter().enumerate() {
            let targets = match file.lang.family() {
                Family::Rust => self.rust.resolve(file, import),
                Family::Python => self.python.resolve(&lookup, file.path, import),
                Family::EcmaScript => self.ecmascript.resolve(&lookup, file.path, import),
                Family::Go => self.go.resolve(&lookup, file, import),
            };
            let mut seen: Vec<(Target, Usage)> = Vec::with_capacity(targets.len());
            for (target, usage) in targets {
                // A file importing itself carries no dependency.
                let target = match target {
                    Target::File(path) if path == file.path => Target::NoFile,
                    other => other,
                };
                match seen.iter_mut().find(|(seen_target, _)| *seen_target == target) {
                    Some((_, seen_usage)) => seen_usage.merge(usage),
                    None => seen.push((target, usage)),
                }
            }
            let has_file = seen.iter().any(|(target, _)| matches!(target, Target::File(_)));
            resolutions.extend(seen.into_iter().filter(|(target, _)| !(has_file && *target == Target::NoFile)).map(
                |(target, usage)| {
                    // An import that reaches an asset is an asset edge, whatever its form.
                    let is_asset = matches!(&target, Target::File(path) if source_language(rel_path::file_name(path)) == Some(Lang::Asset));
                    let kind = if is_asset { ImportKind::Asset } else { import.kind };
                    Resolution { import: index, kind, target, usage }
                },
            ));
        }
        FileResolution { resolutions, probes: lookup.into_probes() }
    }
}

/// A fingerprint of the facts of `file` that feed the project model rather than only the
/// file's own resolution: Rust `mod` declarations with their attributes and visibility,
/// whether an item shares a declared module's name, glob imports and inline modules; the
/// Go package clause. When it changes, the model must be rebuilt.
pub fn model_inputs_fingerprint(lang: Lang, facts: &FileFacts) -> u64 {
    let mut hasher = DefaultHasher::new();
    match lang.family() {
        Family::Rust => {
            for import in facts.imports.iter().filter(|import| import.kind == ImportKind::Mod) {
                (&import.scope, &import.specifier, &import.path_attribute, &import.cfg_path_attributes, &import.cfg)
                    .hash(&mut hasher);
                // Whether the module can hide behind an item of the same name.
                rust::names_item_besides_modules(facts, &import.specifier).hash(&mut hasher);
            }
            // Glob imports may bring modules into a module (`pub use self::imp::*;`).
            for import in facts.imports.iter().filter(|import| import.wildcard && import.kind != ImportKind::Mod) {
                (&import.scope, &import.specifier).hash(&mut hasher);
            }
            for module in facts.definitions.iter().filter(|definition| definition.kind == DefinitionKind::Module) {
                // Inline modules nest by span; the nesting, not the position, matters.
                let depth = facts
                    .definitions
                    .iter()
                    .filter(|outer| {
                        outer.kind == DefinitionKind::Module
                            && outer.span != module.span
                            && outer.span.contains(&module.span)
                    })
                    .count();
                (&module.name, depth, module.exported).hash(&mut hasher);
            }
        }
        Family::Go => facts.package.hash(&mut hasher),
        Family::Python | Family::EcmaScript => {}
    }
    hasher.finish()
}
