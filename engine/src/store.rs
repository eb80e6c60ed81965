//! What the engine hands to a store and takes back from one: change sets and stored
//! files. The store interface itself lives in `thread-storage`.
//!
//! A change set is batch-shaped and meant to be applied atomically. It never sits on the
//! keystroke path: the host applies an edit first, and a write-behind task hands the
//! resulting change set to the store.

use std::collections::BTreeSet;
use std::sync::Arc;

use thread_extractors::resolve::{FileResolution, ProbeKey, Resolution, Target, Usage};
use thread_extractors::{FileFacts, ImportKind, Lang};

use crate::fingerprint::Fingerprint;
use crate::host::{ChangeReport, FileChange, Host};
use crate::snapshot::{FileEntry, FileStat, Snapshot};

/// A file as a store keeps it: enough to restore it without reading or parsing it, and
/// its resolved edges for queries that run against the store alone.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFile {
    /// Workspace-relative path.
    pub path: String,
    /// Its language.
    pub lang: Lang,
    /// Fingerprint of its content.
    pub content: Fingerprint,
    /// Size and mtime when it was read.
    pub stat: Option<FileStat>,
    /// Its facts: imports, definitions, calls.
    pub facts: Arc<FileFacts>,
    /// Its imports that lead to workspace files, in import order.
    pub edges: Vec<StoredEdge>,
    /// Its imports that lead nowhere in the workspace.
    pub unresolved: Vec<StoredUnresolved>,
    /// Its resolution, complete (import by import, with the file-set questions asked),
    /// when it was kept: a warm start restores it instead of resolving every file again.
    pub resolution: Option<Arc<FileResolution>>,
}

/// One resolved import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEdge {
    /// The imported file.
    pub to: String,
    /// How it is imported.
    pub kind: ImportKind,
    /// Zero-based line of the import.
    pub line: u32,
    /// The names used from the target; `None` when the module is used as a whole.
    pub names: Option<Vec<String>>,
}

/// One import that leads to no workspace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUnresolved {
    /// The module as written.
    pub specifier: String,
    /// Zero-based line of the import.
    pub line: u32,
    /// True for standard-library and third-party modules.
    pub external: bool,
}

impl StoredFile {
    /// The stored form of a live file of `host`, its resolution included.
    pub fn resolved(file: &FileEntry, snapshot: &Snapshot, host: &Host) -> StoredFile {
        let resolution = host.probes_of(file).map(|probes| Arc::new(resolution_of(file, snapshot, probes)));
        StoredFile { resolution, ..StoredFile::of(file, snapshot) }
    }

    /// The stored form of a live file of `snapshot`, without its resolution.
    pub fn of(file: &FileEntry, snapshot: &Snapshot) -> StoredFile {
        let import_line = |index: usize| file.facts.imports.get(index).map_or(0, |import| import.span.start.line);
        let edges = file
            .links
            .iter()
            .map(|link| StoredEdge {
                to: snapshot.path(link.to).to_owned(),
                kind: link.kind,
                line: import_line(link.import),
                names: match &link.usage {
                    Usage::Module => None,
                    Usage::Names(names) => {
                        let distinct: BTreeSet<&str> = names.iter().map(|used| used.name.as_str()).collect();
                        Some(distinct.into_iter().map(str::to_owned).collect())
                    }
                },
            })
            .collect();
        let unresolved = file
            .unresolved
            .iter()
            .filter_map(|link| {
                let import = file.facts.imports.get(link.import)?;
                Some(StoredUnresolved {
                    specifier: import.specifier.clone(),
                    line: import.span.start.line,
                    external: link.external,
                })
            })
            .collect();
        StoredFile {
            path: file.path.to_string(),
            lang: file.lang,
            content: file.content,
            stat: file.stat,
            facts: file.facts.clone(),
            edges,
            unresolved,
            resolution: None,
        }
    }
}

/// What resolving `file` gave, as [`FileChange::Restore`] takes it back: its links and
/// unresolved imports (each in its order), and the file-set questions asked.
fn resolution_of(file: &FileEntry, snapshot: &Snapshot, probes: &[ProbeKey]) -> FileResolution {
    let links = file.links.iter().map(|link| Resolution {
        import: link.import,
        kind: link.kind,
        target: Target::File(snapshot.path(link.to).to_owned()),
        usage: link.usage.clone(),
    });
    let unresolved = file.unresolved.iter().map(|unresolved| Resolution {
        import: unresolved.import,
        kind: file.facts.imports.get(unresolved.import).map_or(ImportKind::Import, |import| import.kind),
        target: if unresolved.external { Target::External } else { Target::Unresolved },
        usage: Usage::Module,
    });
    FileResolution { resolutions: links.chain(unresolved).collect(), probes: probes.to_vec() }
}

/// Everything a store holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredState {
    /// Source files, sorted by path.
    pub files: Vec<StoredFile>,
    /// Project files: (path, text), sorted by path.
    pub project_files: Vec<(String, String)>,
}

/// One atomic change set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChangeSet {
    /// Files to insert or replace, with everything that belongs to them.
    pub upserts: Vec<StoredFile>,
    /// Files to delete, with everything that belongs to them.
    pub removals: Vec<String>,
    /// The complete set of project files: (path, text). They are few and small.
    pub project_files: Vec<(String, String)>,
}

impl ChangeSet {
    /// The change set that records what `report` changed, read from `snapshot` (the
    /// host's state right after that report). Files that were only resolved again are
    /// included too: their edges may have moved.
    pub fn from_report(snapshot: &Snapshot, report: &ChangeReport, host: &Host) -> ChangeSet {
        ChangeSet::for_paths(snapshot, report.changed.iter().chain(&report.affected), host)
    }

    /// The change set that stores `paths` as they are in `snapshot`: present ones are
    /// upserted, absent ones removed.
    pub fn for_paths<'a>(snapshot: &Snapshot, paths: impl IntoIterator<Item = &'a String>, host: &Host) -> ChangeSet {
        let mut changes = ChangeSet::default();
        for path in paths {
            match snapshot.file_at(path) {
                Some(file) => changes.upserts.push(StoredFile::resolved(file, snapshot, host)),
                None => changes.removals.push(path.clone()),
            }
        }
        changes.project_files = project_files_of(host);
        changes
    }

    /// This change set followed by `later`, as one change set: applying it leaves a store
    /// as applying both in order would. Writers merge change sets that wait for a slow
    /// or absent store this way.
    pub fn followed_by(mut self, later: ChangeSet) -> ChangeSet {
        let touched: std::collections::HashSet<&str> = later
            .upserts
            .iter()
            .map(|file| file.path.as_str())
            .chain(later.removals.iter().map(String::as_str))
            .collect();
        self.upserts.retain(|file| !touched.contains(file.path.as_str()));
        self.removals.retain(|path| !touched.contains(path.as_str()));
        self.upserts.extend(later.upserts);
        self.removals.extend(later.removals);
        self.project_files = later.project_files;
        self
    }

    /// Everything in `snapshot`, for a first save.
    pub fn everything(snapshot: &Snapshot, host: &Host) -> ChangeSet {
        ChangeSet {
            upserts: snapshot.files().map(|file| StoredFile::resolved(file, snapshot, host)).collect(),
            removals: Vec::new(),
            project_files: project_files_of(host),
        }
    }
}

fn project_files_of(host: &Host) -> Vec<(String, String)> {
    host.project_files().iter().map(|(path, text)| (path.clone(), text.clone())).collect()
}

/// Restores `host` from `state`: no file is read or parsed.
pub fn restore(host: &mut Host, state: StoredState) -> ChangeReport {
    let mut project_files: std::collections::HashMap<String, String> = state.project_files.into_iter().collect();
    let mut changes: Vec<FileChange> = state
        .files
        .into_iter()
        .map(|file| {
            // A project file that is also a node (`package.json`) is restored as one change.
            let project_text = project_files.remove(&file.path);
            FileChange::Restore {
                path: file.path,
                content: file.content,
                facts: file.facts,
                stat: file.stat,
                project_text,
                resolution: file.resolution,
            }
        })
        .collect();
    changes.extend(project_files.into_iter().map(|(path, text)| FileChange::write(path, text)));
    host.apply(changes)
}
