//! Finding and reading a workspace's files: the engine's only filesystem access.
//!
//! The walk respects `.gitignore`, skips build output and dependency folders, and never
//! follows symbolic links (so link loops cannot trap it). Files that cannot or should not
//! be analysed are reported as [`Skipped`] with a reason, never as a failure of the walk.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use thread_extractors::Lang;
use thread_extractors::resolve::{ProjectFile, is_project_file, source_language};

use crate::snapshot::FileStat;

/// Directory names skipped by default: build output, dependencies, virtual environments.
pub const DEFAULT_EXCLUDED_DIRS: &[&str] =
    &["target", "node_modules", ".venv", "venv", "vendor", "__pycache__", ".git"];

/// Files larger than this are skipped by default.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// How much of a file is inspected for NUL bytes to recognise binary content.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// What to walk and what to leave out.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Directory names never entered, wherever they appear.
    pub excluded_dirs: Vec<String>,
    /// Honour `.gitignore`, `.ignore` and git's global excludes.
    pub respect_gitignore: bool,
}

impl LoadOptions {
    /// Whether a directory of this name is never entered, wherever it appears.
    pub fn excludes_dir(&self, name: &str) -> bool {
        self.excluded_dirs.iter().any(|excluded| excluded == name)
    }
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            excluded_dirs: DEFAULT_EXCLUDED_DIRS.iter().map(|dir| (*dir).to_owned()).collect(),
            respect_gitignore: true,
        }
    }
}

/// A source file found by the walk, not yet read.
#[derive(Clone, Debug)]
pub struct SourceEntry {
    /// Workspace-relative path with forward slashes.
    pub path: String,
    /// Absolute path on disk.
    pub absolute: PathBuf,
    /// The detected language.
    pub lang: Lang,
    /// Size and mtime as the walk saw them.
    pub stat: Option<FileStat>,
}

/// Why a file was left out of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Larger than [`LoadOptions::max_file_size`].
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// Contains NUL bytes: not text.
    Binary,
    /// A symbolic link; links are not followed.
    SymbolicLink,
    /// The path is not valid Unicode, so it cannot be named in the graph.
    NonUnicodePath,
    /// Reading failed.
    Unreadable(String),
    /// Inside a directory that is never entered (`node_modules`, `target`, ...).
    ExcludedDirectory(String),
    /// Matched by `.gitignore` or `.ignore`.
    Ignored,
    /// A hidden file, or inside a hidden directory (a name starting with `.`).
    Hidden,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::TooLarge { size, limit } => write!(formatter, "{size} bytes is over the {limit}-byte limit"),
            SkipReason::Binary => formatter.write_str("binary content (NUL bytes)"),
            SkipReason::SymbolicLink => formatter.write_str("symbolic link, not followed"),
            SkipReason::NonUnicodePath => formatter.write_str("path is not valid Unicode"),
            SkipReason::Unreadable(message) => write!(formatter, "unreadable: {message}"),
            SkipReason::ExcludedDirectory(name) => write!(formatter, "inside an excluded directory ({name})"),
            SkipReason::Ignored => formatter.write_str("ignored by .gitignore or .ignore"),
            SkipReason::Hidden => formatter.write_str("hidden"),
        }
    }
}

/// A file left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Workspace-relative path (lossy for non-Unicode names).
    pub path: String,
    /// Why.
    pub reason: SkipReason,
}

/// The result of walking a workspace.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Source files to analyse, sorted by path.
    pub sources: Vec<SourceEntry>,
    /// Project files (`Cargo.toml`, `tsconfig.json`, ...) with their text, sorted by path.
    pub project_files: Vec<ProjectFile>,
    /// Files left out, sorted by path.
    pub skipped: Vec<Skipped>,
}

/// The workspace root itself could not be walked.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the workspace at {}: {message}", root.display())]
pub struct LoadError {
    /// The root that was asked for.
    pub root: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// Builds one [`Collector`] per walking thread.
struct Collectors<'a> {
    root: &'a Path,
    options: &'a LoadOptions,
    found: &'a std::sync::Mutex<Discovery>,
}

impl<'s> ignore::ParallelVisitorBuilder<'s> for Collectors<'s> {
    fn build(&mut self) -> Box<dyn ignore::ParallelVisitor + 's> {
        Box::new(Collector { root: self.root, options: self.options, local: Discovery::default(), found: self.found })
    }
}

/// What one walking thread found; merged into the shared result when the thread is done.
struct Collector<'a> {
    root: &'a Path,
    options: &'a LoadOptions,
    local: Discovery,
    found: &'a std::sync::Mutex<Discovery>,
}

impl ignore::ParallelVisitor for Collector<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> ignore::WalkState {
        classify(entry, self.root, self.options, &mut self.local);
        ignore::WalkState::Continue
    }
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        let mut found = self.found.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        found.sources.extend(local.sources);
        found.project_files.extend(local.project_files);
        found.skipped.extend(local.skipped);
    }
}

/// Sorts one walked entry into sources, project files or skipped files.
fn classify(
    entry: Result<ignore::DirEntry, ignore::Error>,
    root: &Path,
    options: &LoadOptions,
    discovery: &mut Discovery,
) {
    let entry = match entry {
        Ok(entry) => entry,
        Err(error) => {
            discovery
                .skipped
                .push(Skipped { path: error_path(&error, root), reason: SkipReason::Unreadable(error.to_string()) });
            return;
        }
    };
    let Some(file_type) = entry.file_type() else { return };
    if file_type.is_dir() {
        return;
    }
    let relative_os = entry.path().strip_prefix(root).unwrap_or(entry.path());
    let Some(relative) = relative_os.to_str().map(|path| path.replace('\\', "/")) else {
        discovery
            .skipped
            .push(Skipped { path: relative_os.to_string_lossy().into_owned(), reason: SkipReason::NonUnicodePath });
        return;
    };
    // One metadata call per graph file, none for the others: it is a system call each time.
    let (admission, metadata) = admit_file(&relative, file_type.is_symlink(), || entry.metadata().ok(), options);
    let lang = match admission {
        Admission::Source(lang) => Some(lang),
        Admission::ProjectFile => None,
        Admission::NotAGraphFile => return,
        Admission::Refused(reason) => {
            discovery.skipped.push(Skipped { path: relative, reason });
            return;
        }
    };
    // A file that is both a source and a project file (`package.json`, `setup.py`) is
    // listed as a source only; the host hands its one read to both sides.
    if let Some(lang) = lang {
        let stat = metadata.as_ref().map(stat_of);
        discovery.sources.push(SourceEntry { path: relative, absolute: entry.path().to_owned(), lang, stat });
    } else {
        match fs::read_to_string(entry.path()) {
            Ok(text) => discovery.project_files.push(ProjectFile { path: relative, text }),
            Err(error) => {
                discovery.skipped.push(Skipped { path: relative, reason: SkipReason::Unreadable(error.to_string()) });
            }
        }
    }
}

/// What a file is to the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A source file of this language: a node of the graph.
    Source(Lang),
    /// A project file (`Cargo.toml`, `package.json`, `tsconfig.json`, ...) that configures
    /// resolution. A file that is both (`package.json`) is a source.
    ProjectFile,
    /// Neither: nothing Thread reads.
    NotAGraphFile,
    /// A graph file that is left out, and why.
    Refused(SkipReason),
}

impl Admission {
    /// Whether the file is a node of the graph or configures it.
    pub fn enters_graph(&self) -> bool {
        matches!(self, Admission::Source(_) | Admission::ProjectFile)
    }
}

/// Whether the file at `relative` (workspace-relative, `/`-separated) under `root` enters
/// the graph: the one rule that the walk, the server's watched files and its documents
/// follow. It applies what the walk applies: the excluded directories, hidden files and
/// directories, `.gitignore`, `.ignore` and `.git/info/exclude` (those of the root, of the
/// directories above it and of every directory down to the file; git's global excludes
/// are the walk's alone), which names are graph files, symbolic links and the size limit.
/// A file that no longer exists is judged by its path.
pub fn admit(root: &Path, relative: &str, options: &LoadOptions) -> Admission {
    let mut components: Vec<&str> = relative.split('/').collect();
    let file_name = components.pop().unwrap_or_default();
    if let Some(excluded) = components.iter().find(|name| options.excludes_dir(name)) {
        return Admission::Refused(SkipReason::ExcludedDirectory((*excluded).to_owned()));
    }
    if components.iter().chain([&file_name]).any(|name| name.starts_with('.')) {
        return Admission::Refused(SkipReason::Hidden);
    }
    let absolute = root.join(relative);
    if options.respect_gitignore && is_ignored(root, &components, &absolute) {
        return Admission::Refused(SkipReason::Ignored);
    }
    let metadata = fs::symlink_metadata(&absolute).ok();
    let symlink = metadata.as_ref().is_some_and(|metadata| metadata.file_type().is_symlink());
    admit_file(relative, symlink, || metadata, options).0
}

/// The checks of [`admit`] that need only the file itself; the walk makes the others as it
/// goes down. The metadata is asked for only for a graph file that is no link, and handed
/// back.
fn admit_file(
    relative: &str,
    symlink: bool,
    metadata: impl FnOnce() -> Option<fs::Metadata>,
    options: &LoadOptions,
) -> (Admission, Option<fs::Metadata>) {
    let file_name = relative.rsplit('/').next().unwrap_or(relative);
    let lang = source_language(file_name);
    if lang.is_none() && !is_project_file(file_name) {
        return (Admission::NotAGraphFile, None);
    }
    if symlink {
        return (Admission::Refused(SkipReason::SymbolicLink), None);
    }
    let metadata = metadata();
    let size = metadata.as_ref().map_or(0, fs::Metadata::len);
    if size > options.max_file_size {
        return (Admission::Refused(SkipReason::TooLarge { size, limit: options.max_file_size }), metadata);
    }
    (lang.map_or(Admission::ProjectFile, Admission::Source), metadata)
}

/// The names of the files whose patterns leave files out of the walk, in every directory
/// (besides `.git/info/exclude`, at the root), in the order they have a say.
const IGNORE_FILES: [&str; 2] = [".ignore", ".gitignore"];

/// The repository's own excludes, read at the root only, after the ignore files.
const ROOT_EXCLUDES: &str = ".git/info/exclude";

/// Whether the workspace-relative `path` is an ignore file the walk reads (not one under
/// an excluded or hidden directory, as `node_modules` holds by the hundred): when it
/// changes, which files enter the graph may change anywhere below it.
pub fn is_ignore_file(path: &str, options: &LoadOptions) -> bool {
    if path == ROOT_EXCLUDES {
        return true;
    }
    let mut components: Vec<&str> = path.split('/').collect();
    let name = components.pop().unwrap_or_default();
    IGNORE_FILES.contains(&name) && !components.iter().any(|dir| options.excludes_dir(dir) || dir.starts_with('.'))
}

/// Whether ignore files ignore the file at `absolute`, whose directories below `root` are
/// `directories`, as the walk would: a directory that is ignored is never entered, so
/// directories are judged from the top down before the file; at each, the deepest ignore
/// file that has a say decides (`.ignore` before `.gitignore`, and `.git/info/exclude`
/// last, at the root).
fn is_ignored(root: &Path, directories: &[&str], absolute: &Path) -> bool {
    // Every directory whose ignore files may speak, outermost first: those above the root,
    // as the walk reads them, the root, and those down to the file.
    let mut levels: Vec<PathBuf> = root.ancestors().skip(1).map(Path::to_owned).collect();
    levels.reverse();
    levels.push(root.to_owned());
    let mut below = root.to_owned();
    for name in directories {
        below = below.join(name);
        levels.push(below.clone());
    }
    let mut matchers: Vec<ignore::gitignore::Gitignore> = levels
        .iter()
        .flat_map(|dir| {
            let mut files: Vec<PathBuf> = IGNORE_FILES.iter().map(|name| dir.join(name)).collect();
            if dir == root {
                files.push(root.join(ROOT_EXCLUDES));
            }
            files.into_iter().filter(|file| file.is_file()).filter_map(move |file| {
                let mut builder = ignore::gitignore::GitignoreBuilder::new(dir);
                builder.add(&file).is_none().then(|| builder.build().ok()).flatten()
            })
        })
        .collect();
    // The deepest matcher with a say decides; within a level, the first listed (the sort
    // is stable).
    matchers.sort_by_key(|matcher| std::cmp::Reverse(matcher.path().components().count()));
    let verdict = |path: &Path, is_dir: bool| -> bool {
        for matcher in &matchers {
            if !path.starts_with(matcher.path()) {
                continue;
            }
            match matcher.matched(path, is_dir) {
                ignore::Match::Ignore(_) => return true,
                ignore::Match::Whitelist(_) => return false,
                ignore::Match::None => {}
            }
        }
        false
    };
    let mut directory = root.to_owned();
    for name in directories {
        directory = directory.join(name);
        if verdict(&directory, true) {
            return true;
        }
    }
    verdict(absolute, false)
}

/// Walks `root` and lists its source and project files.
pub fn discover(root: &Path, options: &LoadOptions) -> Result<Discovery, LoadError> {
    let metadata =
        fs::metadata(root).map_err(|error| LoadError { root: root.to_owned(), message: error.to_string() })?;
    if !metadata.is_dir() {
        return Err(LoadError { root: root.to_owned(), message: "not a directory".to_owned() });
    }
    let excluded = options.clone();
    let walker = ignore::WalkBuilder::new(root)
        .follow_links(false)
        .git_ignore(options.respect_gitignore)
        .git_global(options.respect_gitignore)
        .git_exclude(options.respect_gitignore)
        .ignore(options.respect_gitignore)
        .require_git(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|file_type| file_type.is_dir());
            !(is_dir && entry.depth() > 0 && entry.file_name().to_str().is_some_and(|name| excluded.excludes_dir(name)))
        })
        .build_parallel();

    // Listing directories and reading metadata is system-call bound, so the walk runs on
    // several threads; each collects on its own and hands its share over when done.
    let found = std::sync::Mutex::new(Discovery::default());
    walker.visit(&mut Collectors { root, options, found: &found });
    let mut discovery = found.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    discovery.sources.sort_by(|a, b| a.path.cmp(&b.path));
    discovery.project_files.sort_by(|a, b| a.path.cmp(&b.path));
    discovery.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(discovery)
}

/// Size and modification time of a file, to notice changes without reading it.
pub fn stat_of(metadata: &fs::Metadata) -> FileStat {
    let mtime_ns = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| i64::try_from(since.as_nanos()).unwrap_or(i64::MAX));
    FileStat { size: metadata.len(), mtime_ns }
}

fn error_path(error: &ignore::Error, root: &Path) -> String {
    let mut current = error;
    loop {
        match current {
            ignore::Error::WithPath { path, .. } => {
                return path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => current = err,
            _ => return String::from("?"),
        }
    }
}

/// Reads a source file for analysis: its bytes, or why it must be skipped. An asset (an
/// image, a font) may be binary; any other source may not.
pub fn read_source(path: &Path, max_file_size: u64, binary_allowed: bool) -> Result<Vec<u8>, SkipReason> {
    let file = fs::File::open(path).map_err(|error| SkipReason::Unreadable(error.to_string()))?;
    let mut bytes = Vec::new();
    // Read one byte past the limit so a file that grew since the walk is still caught.
    file.take(max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| SkipReason::Unreadable(error.to_string()))?;
    let size = bytes.len() as u64;
    if size > max_file_size {
        return Err(SkipReason::TooLarge { size, limit: max_file_size });
    }
    if !binary_allowed && is_binary(&bytes) {
        return Err(SkipReason::Binary);
    }
    Ok(bytes)
}

/// Text files do not contain NUL bytes; binary files almost always do early on.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0)
}
