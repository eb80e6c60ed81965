//! The single owner of the mutable graph.
//!
//! [`Host::apply`] takes a batch of file changes and brings the graph to the state a
//! from-scratch build of the new tree would give, doing work in proportion to what the
//! changes really reach:
//!
//! 1. **Fingerprint.** Content equal to what the host has costs nothing. Changed content
//!    is looked up in the content-addressed memo, and only on a miss runs through the
//!    analysis flow. Many files are analysed in parallel with rayon.
//! 2. **Model.** Files created or deleted, project files changed, or facts that feed the
//!    project model (Rust `mod` items, Go package clauses) rebuild the model; a family
//!    whose derived model changed has all its files resolved again.
//! 3. **Resolve.** Changed files, plus every file whose earlier resolution asked a
//!    question of the file set that a created or deleted path answers differently (the
//!    probe index: a new file re-resolves its would-be importers, a deleted file its
//!    importers). Each file's links are replaced as a unit and reverse edges diffed.
//! 4. **Early cutoff.** A file whose interface is unchanged invalidates no dependent.
//!    Otherwise only dependents that use a changed name, or the file wholesale, are
//!    checked again.
//!
//! Readers never see the host: they take a [`Snapshot`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use thread_extractors::resolve::{
    FileResolution, ProbeKey, ProjectFile, ProjectModel, SourceFile, Target, Usage, is_project_file,
    model_inputs_fingerprint, probes_touched_by, source_language,
};
use thread_extractors::{Family, FileFacts, Lang};

use crate::bind::{GoPackages, bind_file, binds_the_same, directory, method_names};
use crate::fingerprint::{Fingerprint, analysis_key};
use crate::flow::{FactsFlow, FlowError, Reading};
use crate::ids::FileId;
use crate::interface::{Interface, InterfaceChange};
use crate::memo::{CacheStats, FactsMemo};
use crate::readers::Readers;
use crate::snapshot::{FileEntry, FileStat, Link, MissingName, Snapshot, UnresolvedLink};
use crate::symbols::{Bindings, SurfaceKey, SymbolTable};

impl FileChange {
    /// The change twice, for a path that is both a project file and a node of the graph
    /// (`package.json`): the content is read once. A restore gives the project side its
    /// recorded text.
    fn twice(self) -> Result<(Option<FileChange>, FileChange), (String, String)> {
        match self {
            FileChange::Write { path, content, stat } => {
                let bytes = content.into_bytes().map_err(|message| (path.clone(), message))?;
                let first = FileChange::Write { path: path.clone(), content: Content::Bytes(bytes.clone()), stat };
                Ok((Some(first), FileChange::Write { path, content: Content::Bytes(bytes), stat }))
            }
            FileChange::Remove { path } => {
                Ok((Some(FileChange::Remove { path: path.clone() }), FileChange::Remove { path }))
            }
            FileChange::Restore { path, content, facts, stat, project_text, resolution } => {
                let first = project_text.map(|text| FileChange::write(path.clone(), text));
                Ok((first, FileChange::Restore { path, content, facts, stat, project_text: None, resolution }))
            }
        }
    }
}

/// Where a changed file's bytes come from.
pub enum Content {
    /// In memory: an editor buffer, a test.
    Bytes(Vec<u8>),
    /// Read on demand, inside the parallel analysis, so a cold index never holds every
    /// file in memory at once.
    Load(Box<dyn FnOnce() -> Result<Vec<u8>, String> + Send>),
}

impl Content {
    /// The bytes, loading them if needed.
    fn into_bytes(self) -> Result<Vec<u8>, String> {
        match self {
            Content::Bytes(bytes) => Ok(bytes),
            Content::Load(load) => load(),
        }
    }
}

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Content::Load(_) => f.write_str("Load"),
        }
    }
}

/// One change to one path.
#[derive(Debug)]
pub enum FileChange {
    /// The file now has this content (created or modified). Project files
    /// (`Cargo.toml`, `package.json`, ...) are accepted too.
    Write {
        /// Workspace-relative path with forward slashes.
        path: String,
        /// Its content.
        content: Content,
        /// Size and mtime, when read from disk.
        stat: Option<FileStat>,
    },
    /// The file has content whose facts are already known (a warm start from a store).
    /// Facts read from imports alone are refused by a host that keeps more: the file then
    /// stays unknown until the tree is walked.
    Restore {
        /// Workspace-relative path.
        path: String,
        /// Fingerprint of its content.
        content: Fingerprint,
        /// Its facts.
        facts: Arc<FileFacts>,
        /// Size and mtime recorded with it.
        stat: Option<FileStat>,
        /// Its text, when it is a project file as well (`package.json`).
        project_text: Option<String>,
        /// Where its imports led when it was stored, and the questions that decided it.
        /// Used instead of resolving again only when a batch restores a whole workspace
        /// into an empty host: then the file set and project files are those it was
        /// resolved against.
        resolution: Option<Arc<FileResolution>>,
    },
    /// The file is gone.
    Remove {
        /// Workspace-relative path.
        path: String,
    },
}

impl FileChange {
    /// A write of in-memory content.
    pub fn write(path: impl Into<String>, content: impl Into<Vec<u8>>) -> FileChange {
        FileChange::Write { path: path.into(), content: Content::Bytes(content.into()), stat: None }
    }

    /// A removal.
    pub fn remove(path: impl Into<String>) -> FileChange {
        FileChange::Remove { path: path.into() }
    }

    /// The path this change is about.
    pub fn path(&self) -> &str {
        match self {
            FileChange::Write { path, .. } | FileChange::Restore { path, .. } | FileChange::Remove { path } => path,
        }
    }
}

/// What one [`Host::apply`] did.
#[derive(Clone, Debug, Default)]
pub struct ChangeReport {
    /// The revision after the change.
    pub revision: u64,
    /// Files whose content changed, was created or was deleted, sorted.
    pub changed: Vec<String>,
    /// Other files that had to be resolved or checked again, sorted.
    pub affected: Vec<String>,
    /// Files whose calls and imported names were bound again (changed ones included), sorted.
    pub rebound: Vec<String>,
    /// Whether the file graph's edges may have changed: some file now imports a different
    /// set of files, or files came or went. When false, import cycles are as they were.
    pub edges_changed: bool,
    /// Files whose facts were extracted (cache misses), a subset of `changed`.
    pub extracted: usize,
    /// Files resolved again, sorted; a restore that keeps stored resolutions resolves only
    /// files stored without one.
    pub resolved: Vec<String>,
    /// Memo hits and misses.
    pub cache: CacheStats,
    /// Files whose content could not be read or analysed; their previous state is kept.
    pub failures: Vec<(String, String)>,
    /// Problems in project files.
    pub warnings: Vec<String>,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// The owner of the live graph. Not shared: wrap it in the LSP's analysis task.
pub struct Host {
    flow: Arc<dyn FactsFlow>,
    memo: Arc<FactsMemo>,
    snapshot: Snapshot,
    project_files: BTreeMap<String, String>,
    model: ProjectModel,
    model_inputs: HashMap<FileId, u64>,
    /// Per file, the file-set questions its resolution asked.
    probes: FxHashMap<FileId, Vec<ProbeKey>>,
    /// Question → the files that asked it.
    probe_index: FxHashMap<ProbeKey, Vec<FileId>>,
    /// Per file, the memo keys of its last few superseded versions, oldest first: an
    /// undo finds them, and older ones are let go, so typing in a large file does not
    /// fill the memo with a copy of its facts per keystroke.
    superseded: HashMap<FileId, VecDeque<Fingerprint>>,
    /// File → the files whose bindings followed its links.
    consulted_by: Readers<FileId>,
    /// (file, name) → the files whose bindings read that name there.
    name_readers: Readers<(FileId, SurfaceKey)>,
    /// Go files by directory, for binding within a package, and by the methods they define.
    go_packages: GoPackages,
    /// Method name → the files whose bindings looked up its implementations.
    method_readers: Readers<String>,
    /// Go package directory → the files whose bindings listed its files.
    directory_readers: Readers<String>,
    /// Which layers the host keeps.
    layers: Layers,
}

/// Which layers a host keeps, from the cheapest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Layers {
    /// The file graph from imports alone ([`Host::imports_only`]).
    Imports,
    /// The file graph, with every file's whole facts ([`Host::files_only`]).
    Files,
    /// The file graph and the symbol layer.
    Symbols,
}

impl Layers {
    fn reading(self) -> Reading {
        match self {
            Layers::Imports => Reading::Imports,
            Layers::Files | Layers::Symbols => Reading::Everything,
        }
    }
}

/// How many cached facts no live file uses are kept, for undo and branch switches.
const SPARE_MEMO_ENTRIES: usize = 4096;

/// How many superseded versions of each file the memo keeps (see `Host::superseded`).
const VERSIONS_KEPT_PER_FILE: usize = 8;

/// The outcome of analysing one changed source file.
enum Analysis {
    Unchanged {
        id: FileId,
        stat: Option<FileStat>,
    },
    Changed(NewFacts),
    Failed {
        path: String,
        message: String,
    },
    /// Restored facts that hold less than this host keeps: the file stays unknown, so
    /// the walk that follows a restore reads it.
    Refused,
    /// Identical content is being extracted by another worker of the same batch.
    Deferred {
        path: String,
        lang: Lang,
        content: Fingerprint,
        key: Fingerprint,
        stat: Option<FileStat>,
    },
}

/// A changed file's facts and what derives from them alone, computed on the worker that
/// produced them so that installing is only bookkeeping.
struct NewFacts {
    path: String,
    lang: Lang,
    content: Fingerprint,
    facts: Arc<FileFacts>,
    interface: Arc<Interface>,
    symbols: Arc<SymbolTable>,
    /// See [`model_inputs_fingerprint`].
    model_inputs: u64,
    stat: Option<FileStat>,
}

impl NewFacts {
    fn of(
        layers: Layers,
        path: String,
        lang: Lang,
        content: Fingerprint,
        facts: Arc<FileFacts>,
        stat: Option<FileStat>,
        previous: Option<&FileEntry>,
    ) -> Analysis {
        // Interfaces feed missing names and binding, symbol tables binding: a host of
        // the file graph from imports alone has neither, and a warm start of sympy spent
        // a tenth of its time on them.
        let (interface, symbols) = if layers == Layers::Imports {
            (Arc::default(), Arc::default())
        } else if let Some(previous) =
            previous.filter(|previous| previous.lang == lang && previous.symbols.serves(&previous.facts, &facts))
        {
            // Moved, not changed: both are made of the facts apart from their positions,
            // and rebuilding them was a sixth of a keystroke in a megabyte file. Debug
            // builds (the tests) check that a rebuild would give the same, surface included.
            #[cfg(debug_assertions)]
            {
                let (symbols, interface) = (SymbolTable::of(&facts), Interface::of(lang, &facts));
                assert!(
                    *previous.symbols == symbols
                        && *previous.interface == interface
                        && previous.symbols.surface(&previous.facts, &previous.interface)
                            == symbols.surface(&facts, &interface),
                    "a table kept for {path} differs from a rebuild"
                );
            }
            (Arc::clone(&previous.interface), Arc::clone(&previous.symbols))
        } else {
            (Arc::new(Interface::of(lang, &facts)), Arc::new(SymbolTable::of(&facts)))
        };
        let model_inputs = model_inputs_fingerprint(lang, &facts);
        Analysis::Changed(NewFacts { path, lang, content, facts, interface, symbols, model_inputs, stat })
    }
}

impl Host {
    /// An empty host whose files run through `flow`.
    pub fn new(flow: Arc<dyn FactsFlow>) -> Host {
        Host::with_memo(flow, Arc::new(FactsMemo::default()))
    }

    /// An empty host sharing a memo (several hosts over one process, benchmarks).
    pub fn with_memo(flow: Arc<dyn FactsFlow>, memo: Arc<FactsMemo>) -> Host {
        Host {
            flow,
            memo,
            snapshot: Snapshot::default(),
            project_files: BTreeMap::new(),
            model: ProjectModel::build(&[], &[]),
            model_inputs: HashMap::new(),
            probes: FxHashMap::default(),
            probe_index: FxHashMap::default(),
            superseded: HashMap::new(),
            consulted_by: Readers::default(),
            name_readers: Readers::default(),
            go_packages: GoPackages::default(),
            method_readers: Readers::default(),
            directory_readers: Readers::default(),
            layers: Layers::Symbols,
        }
    }

    /// This host without the symbol layer: files, facts, links, dependents and missing
    /// names are kept as always, and no file is bound, so bindings and `used_by` stay
    /// empty. For callers that read only the file graph with whole facts (the CLI's
    /// `index`, which lists syntax errors), where binding is a third of a warm start.
    pub fn files_only(mut self) -> Host {
        self.layers = Layers::Files;
        self
    }

    /// This host for the file graph alone, read from imports alone: like
    /// [`Host::files_only`], and a language that can find its imports without a whole
    /// parse ([`thread_extractors::extract_imports`]) is read that way, so its files have
    /// no definitions, calls or syntax errors, and no file has missing names. For the
    /// commands that read nothing but edges (`check`, `affected`, `graph`), where parsing
    /// is most of a cold run.
    ///
    /// Facts read whole are taken as they are; a host that needs whole facts refuses
    /// facts read from imports alone (see [`FileChange::Restore`]).
    pub fn imports_only(mut self) -> Host {
        self.layers = Layers::Imports;
        self
    }

    /// The current revision, for readers.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.clone()
    }

    /// The memo, for its size and statistics.
    pub fn memo(&self) -> &FactsMemo {
        &self.memo
    }

    /// The project files the host knows, by path.
    pub fn project_files(&self) -> &BTreeMap<String, String> {
        &self.project_files
    }

    /// What is wrong with the project files now (unparsable manifests and the like).
    pub fn project_problems(&self) -> &[thread_extractors::resolve::ProjectProblem] {
        self.model.problems()
    }

    /// Applies a batch of changes. Later changes to a path win over earlier ones.
    pub fn apply(&mut self, changes: Vec<FileChange>) -> ChangeReport {
        let started = Instant::now();
        let _span = tracing::info_span!("apply", changes = changes.len()).entered();
        let mut report = ChangeReport::default();
        let changes = last_change_per_path(changes);

        // A whole workspace restored into an empty host keeps its stored resolutions.
        let mut kept =
            (self.snapshot.files().next().is_none() && self.project_files.is_empty()).then(FxHashMap::default);
        let mut project_changed = false;
        let mut writes = Vec::new();
        let mut removals = Vec::new();
        for change in changes {
            let path = change.path().to_owned();
            let file_name = path.rsplit('/').next().unwrap_or(&path);
            let project = is_project_file(file_name);
            let Some(lang) = source_language(file_name) else {
                if project {
                    project_changed |= self.apply_project_file(change, &mut report);
                }
                continue;
            };
            // A file can be both (`package.json`, `setup.py`).
            let change = if project {
                match change.twice() {
                    Ok((project_change, change)) => {
                        if let Some(project_change) = project_change {
                            project_changed |= self.apply_project_file(project_change, &mut report);
                        }
                        change
                    }
                    Err(failure) => {
                        report.failures.push(failure);
                        continue;
                    }
                }
            } else {
                change
            };
            match change {
                FileChange::Remove { path } => {
                    kept = None;
                    removals.push(path);
                }
                FileChange::Restore { path, content, facts, stat, project_text, resolution } => {
                    // A file stored without one (an older store) is resolved; the others
                    // still hold, since the store kept every file in step.
                    if let (Some(kept), Some(resolution)) = (&mut kept, &resolution) {
                        kept.insert(path.clone(), Arc::clone(resolution));
                    }
                    let restore = FileChange::Restore { path, content, facts, stat, project_text, resolution: None };
                    writes.push((lang, restore));
                }
                other => {
                    kept = None;
                    writes.push((lang, other));
                }
            }
        }

        let analyses = self.analyze(writes);
        // A file left out (refused, failed) changes the file set the resolutions assumed.
        if !analyses.iter().all(|analysis| matches!(analysis, Analysis::Changed(_) | Analysis::Unchanged { .. })) {
            kept = None;
        }
        report.cache = self.memo.take_stats();

        let mut work = Work::default();
        for analysis in analyses {
            match analysis {
                Analysis::Unchanged { id, stat } => self.update_stat(id, stat),
                Analysis::Changed(new_facts) => self.install(new_facts, &mut work),
                Analysis::Failed { path, message } => report.failures.push((path, message)),
                Analysis::Deferred { .. } | Analysis::Refused => {}
            }
        }
        for path in removals {
            self.uninstall(&path, &mut work);
        }
        report.extracted = report.cache.misses as usize;

        let families = self.update_model(&work, project_changed, &mut report);
        let resolve_set = self.resolve_set(&work, &families, project_changed);
        let kept = self.usable_resolutions(kept.unwrap_or_default());
        report.resolved = (resolve_set.iter())
            .filter(|id| !kept.contains_key(id))
            .map(|id| self.snapshot.path(*id).to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (links_changed, edges_changed) = self.resolve_files(&resolve_set, kept);
        work.links_changed.extend(links_changed);
        report.edges_changed = edges_changed || !work.added.is_empty() || !work.removed.is_empty();
        // Missing names need the targets' definitions, which facts read from imports
        // alone lack.
        let check_set = if self.layers >= Layers::Files { self.check_set(&work, &resolve_set) } else { Vec::new() };
        self.check_names(&check_set);
        let bind_set = if self.layers == Layers::Symbols { self.bind_set(&work) } else { Vec::new() };
        self.bind_files(&bind_set);

        let touched = !work.changed.is_empty() || project_changed;
        if touched {
            self.snapshot.revision += 1;
        }
        report.revision = self.snapshot.revision;
        report.changed = work.changed.iter().map(|id| self.snapshot.path(*id).to_owned()).collect();
        report.changed.sort();
        report.rebound = bind_set.iter().map(|id| self.snapshot.path(*id).to_owned()).collect();
        report.rebound.sort();
        report.affected = check_set
            .iter()
            .chain(&resolve_set)
            .filter(|id| !work.changed.contains(id))
            .map(|id| self.snapshot.path(*id).to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // Trimming scans the memo, so it runs only once the memo has clearly outgrown the
        // workspace, never on every keystroke.
        if self.memo.len() > self.snapshot.files.len() + 2 * SPARE_MEMO_ENTRIES {
            self.memo.trim(SPARE_MEMO_ENTRIES);
        }
        report.elapsed = started.elapsed();
        tracing::debug!(
            changed = report.changed.len(),
            affected = report.affected.len(),
            elapsed_us = report.elapsed.as_micros() as u64,
            "applied"
        );
        report
    }

    fn apply_project_file(&mut self, change: FileChange, report: &mut ChangeReport) -> bool {
        match change {
            FileChange::Write { path, content, .. } => {
                let bytes = match content.into_bytes() {
                    Ok(bytes) => bytes,
                    Err(message) => {
                        report.failures.push((path, message));
                        return false;
                    }
                };
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.project_files.insert(path, text.clone()).as_ref() != Some(&text)
            }
            FileChange::Remove { path } => self.project_files.remove(&path).is_some(),
            FileChange::Restore { .. } => false,
        }
    }

    /// Fingerprints and, where needed, extracts every written file, in parallel.
    fn analyze(&self, writes: Vec<(Lang, FileChange)>) -> Vec<Analysis> {
        let snapshot = &self.snapshot;
        let memo = &self.memo;
        let flow = &self.flow;
        let layers = self.layers;
        let reading = layers.reading();
        let claimed: dashmap::DashMap<Fingerprint, ()> = dashmap::DashMap::new();
        let analyze_one = |(lang, change): (Lang, FileChange)| -> Analysis {
            let current = snapshot.file_at(change.path());
            match change {
                FileChange::Restore { path, content, facts, stat, .. } => {
                    if facts.imports_only && reading == Reading::Everything {
                        return Analysis::Refused;
                    }
                    if let Some(current) = current.filter(|current| current.content == content) {
                        memo.count_hit();
                        return Analysis::Unchanged { id: current.id, stat };
                    }
                    memo.count_hit();
                    memo.insert(analysis_key(content, lang, Reading::of(&facts)), facts.clone());
                    NewFacts::of(layers, path, lang, content, facts, stat, current)
                }
                FileChange::Write { path, content, stat } => {
                    let bytes = match content.into_bytes() {
                        Ok(bytes) => bytes,
                        Err(message) => return Analysis::Failed { path, message },
                    };
                    let fingerprint = Fingerprint::of_bytes(&bytes);
                    if let Some(current) = current.filter(|current| current.content == fingerprint) {
                        memo.count_hit();
                        return Analysis::Unchanged { id: current.id, stat };
                    }
                    let key = analysis_key(fingerprint, lang, reading);
                    if let Some(facts) = memo.get(key) {
                        memo.count_hit();
                        return NewFacts::of(layers, path, lang, fingerprint, facts, stat, current);
                    }
                    // Identical content elsewhere in this batch is extracted once: the first
                    // worker claims the key, the others take its result afterwards.
                    if claimed.insert(key, ()).is_some() {
                        return Analysis::Deferred { path, lang, content: fingerprint, key, stat };
                    }
                    memo.count_miss();
                    match flow.analyze(&path, lang, &bytes, reading) {
                        Ok(facts) => {
                            let facts = Arc::new(facts);
                            memo.insert(key, facts.clone());
                            NewFacts::of(layers, path, lang, fingerprint, facts, stat, current)
                        }
                        Err(FlowError::File { message, .. } | FlowError::Setup(message)) => {
                            Analysis::Failed { path, message }
                        }
                    }
                }
                FileChange::Remove { path } => Analysis::Failed { path, message: "removal routed as a write".into() },
            }
        };
        // A single edit stays on the calling thread: no pool hand-off on the keystroke path.
        let analyses: Vec<Analysis> = if writes.len() <= 1 {
            writes.into_iter().map(analyze_one).collect()
        } else {
            writes.into_par_iter().map(analyze_one).collect()
        };
        analyses
            .into_iter()
            .map(|analysis| match analysis {
                Analysis::Deferred { path, lang, content, key, stat } => match memo.get(key) {
                    Some(facts) => {
                        memo.count_hit();
                        let previous = snapshot.file_at(&path);
                        NewFacts::of(layers, path, lang, content, facts, stat, previous)
                    }
                    None => Analysis::Failed { path, message: "analysis of identical content failed".into() },
                },
                other => other,
            })
            .collect()
    }

    fn update_stat(&mut self, id: FileId, stat: Option<FileStat>) {
        if stat.is_none() {
            return;
        }
        if let Some(entry) = self.entry_mut(id) {
            entry.stat = stat;
        }
    }

    /// Puts a changed file's new facts in place. Links are replaced later by resolution.
    fn install(&mut self, new_facts: NewFacts, work: &mut Work) {
        let NewFacts { path, lang, content, facts, interface, symbols, model_inputs, stat } = new_facts;
        let path = path.as_str();
        let id = match self.snapshot.interner.get(path) {
            Some(id) => id,
            None => Arc::make_mut(&mut self.snapshot.interner).intern(path),
        };
        let files = Arc::make_mut(&mut self.snapshot.files);
        if files.len() <= id.index() {
            files.resize(id.index() + 1, None);
        }
        if self.model_inputs.insert(id, model_inputs) != Some(model_inputs) {
            work.model_inputs_changed = true;
        }
        work.changed.insert(id);
        match &mut files[id.index()] {
            Some(entry) => {
                let entry = Arc::make_mut(entry);
                let change = Interface::change(&entry.interface, &interface);
                if change != InterfaceChange::None {
                    work.interface_changes.push((id, change));
                }
                let old_surface = entry.symbols.surface(&entry.facts, &entry.interface);
                let changed_keys = SymbolTable::changed_keys(&old_surface, &symbols.surface(&facts, &interface));
                if !changed_keys.is_empty() {
                    work.surface_changes.push((id, changed_keys));
                    if entry.lang.family() == Family::Go || lang.family() == Family::Go {
                        let (old, new) = (method_names(&entry.facts), method_names(&facts));
                        if entry.lang.family() == Family::Go {
                            self.go_packages.remove(path, id, &old);
                        }
                        if lang.family() == Family::Go {
                            self.go_packages.insert(path, id, &new);
                        }
                        work.method_names.extend(old.into_iter().chain(new));
                    }
                }
                if entry.content != content {
                    let versions = self.superseded.entry(id).or_default();
                    let old_key = analysis_key(entry.content, entry.lang, Reading::of(&entry.facts));
                    versions.retain(|key| *key != old_key);
                    versions.push_back(old_key);
                    if versions.len() > VERSIONS_KEPT_PER_FILE
                        && let Some(oldest) = versions.pop_front()
                    {
                        self.memo.remove_unused(oldest);
                    }
                }
                // A table kept from the last version (see `NewFacts::of`) means the facts
                // only moved, which binds the same.
                if Arc::ptr_eq(&entry.symbols, &symbols)
                    || (entry.lang == lang
                        && entry.symbols.parents == symbols.parents
                        && binds_the_same(&entry.facts, &facts))
                {
                    work.binds_the_same.insert(id);
                }
                entry.lang = lang;
                entry.content = content;
                entry.stat = stat;
                entry.facts = facts;
                entry.interface = interface;
                entry.symbols = symbols;
            }
            slot @ None => {
                work.added.push(id);
                if lang.family() == Family::Go {
                    let methods = method_names(&facts);
                    self.go_packages.insert(path, id, &methods);
                    work.method_names.extend(methods);
                    work.go_directories.insert(directory(path).to_owned());
                }
                *slot = Some(Arc::new(FileEntry {
                    id,
                    path: self.snapshot.interner.path(id).clone(),
                    lang,
                    content,
                    stat,
                    facts,
                    interface,
                    links: Vec::new(),
                    unresolved: Vec::new(),
                    missing: Vec::new(),
                    dependents: Vec::new(),
                    symbols,
                    bindings: Bindings::shared_empty(),
                    used_by: Vec::new(),
                }));
            }
        }
    }

    fn uninstall(&mut self, path: &str, work: &mut Work) {
        let Some(id) = self.snapshot.file_id(path) else { return };
        let Some(entry) = Arc::make_mut(&mut self.snapshot.files)[id.index()].take() else { return };
        for target in distinct_targets(&entry.links) {
            if let Some(target) = self.entry_mut(target) {
                target.dependents.retain(|dependent| *dependent != id);
            }
        }
        self.replace_uses(id, &entry.bindings, &Bindings::default());
        self.consulted_by.replace(id, &entry.bindings.consulted, &[]);
        self.method_readers.replace(id, &entry.bindings.method_names, &[]);
        self.directory_readers.replace(id, &entry.bindings.directories, &[]);
        if entry.lang.family() == Family::Go {
            let methods = method_names(&entry.facts);
            self.go_packages.remove(path, id, &methods);
            work.method_names.extend(methods);
            work.go_directories.insert(directory(path).to_owned());
        }
        self.name_readers.replace(id, &entry.bindings.reads, &[]);
        let keys = entry.symbols.surface(&entry.facts, &entry.interface).iter().map(|(key, _)| *key).collect();
        work.surface_changes.push((id, keys));
        work.links_changed.push(id);
        self.forget_probes(id);
        self.superseded.remove(&id);
        self.model_inputs.remove(&id);
        work.removed.push(id);
        work.changed.insert(id);
    }

    /// Brings the file set and project model up to date; returns the families whose
    /// derived model changed (all of them when project files changed).
    fn update_model(&mut self, work: &Work, project_changed: bool, report: &mut ChangeReport) -> Vec<Family> {
        if work.added.is_empty() && work.removed.is_empty() && !work.model_inputs_changed && !project_changed {
            return Vec::new();
        }
        let _span = tracing::info_span!("rebuild_model").entered();
        let families = [Family::Go, Family::Python, Family::Rust, Family::EcmaScript];
        let before: Vec<u64> = families.iter().map(|family| self.model.family_fingerprint(*family)).collect();
        let mut file_set = std::mem::replace(&mut self.model, ProjectModel::build(&[], &[])).into_files();
        for id in &work.added {
            file_set.insert(self.snapshot.path(*id));
        }
        for id in &work.removed {
            file_set.remove(self.snapshot.path(*id));
        }
        let sources: Vec<SourceFile<'_>> = self
            .snapshot
            .files()
            .map(|file| SourceFile { path: &file.path, lang: file.lang, facts: &file.facts })
            .collect();
        let project_files: Vec<ProjectFile> = self
            .project_files
            .iter()
            .map(|(path, text)| ProjectFile { path: path.clone(), text: text.clone() })
            .collect();
        self.model = ProjectModel::build_on(file_set, &sources, &project_files);
        report.warnings = self.model.warnings();
        families
            .iter()
            .zip(before)
            .filter(|(family, before)| project_changed || self.model.family_fingerprint(**family) != *before)
            .map(|(family, _)| *family)
            .collect()
    }

    /// The files whose resolution may have changed, in id order.
    fn resolve_set(&self, work: &Work, families: &[Family], project_changed: bool) -> Vec<FileId> {
        let mut set: BTreeSet<FileId> = work.changed.iter().copied().collect();
        let touched_paths = work.added.iter().chain(&work.removed);
        for id in touched_paths {
            for key in probes_touched_by(self.snapshot.path(*id)) {
                set.extend(self.probe_index.get(&key).into_iter().flatten().copied());
            }
        }
        if project_changed || !families.is_empty() {
            set.extend(self.snapshot.files().filter(|file| families.contains(&file.lang.family())).map(|file| file.id));
        }
        set.retain(|id| self.snapshot.file(*id).is_some());
        set.into_iter().collect()
    }

    /// Of the resolutions a restore brought (by path), those that hold here, by file: none
    /// when one leads to a file the store did not give back (a row it could not read),
    /// since the file set is then not the one they were made against; and not a file's
    /// whose import indices its facts do not have.
    fn usable_resolutions(
        &self,
        restored: FxHashMap<String, Arc<FileResolution>>,
    ) -> FxHashMap<FileId, Arc<FileResolution>> {
        let complete =
            restored.values().flat_map(|resolution| &resolution.resolutions).all(|item| match &item.target {
                Target::File(path) => self.snapshot.file_id(path).is_some(),
                _ => true,
            });
        if !complete {
            return FxHashMap::default();
        }
        (restored.into_iter())
            .filter_map(|(path, resolution)| {
                let file = self.snapshot.file_at(&path)?;
                let imports = file.facts.imports.len();
                resolution.resolutions.iter().all(|item| item.import < imports).then_some((file.id, resolution))
            })
            .collect()
    }

    /// Resolves the files `ids` again, taking the resolution in `kept` where there is one
    /// (a restored workspace's, see [`FileChange::Restore`]), and replaces their links and
    /// the reverse edges they imply; returns the files whose links changed, and whether
    /// any file's set of targets changed.
    fn resolve_files(
        &mut self,
        ids: &[FileId],
        mut kept: FxHashMap<FileId, Arc<FileResolution>>,
    ) -> (Vec<FileId>, bool) {
        let mut links_changed = Vec::new();
        let mut edges_changed = false;
        let model = &self.model;
        let snapshot = &self.snapshot;
        let kept_ids: Vec<FileId> = ids.iter().copied().filter(|id| kept.contains_key(id)).collect();
        let ids: Vec<FileId> = ids.iter().copied().filter(|id| !kept.contains_key(id)).collect();
        let resolve_one = |id: &FileId| -> (FileId, FileResolution) {
            let file =
                snapshot.file(*id).map(|file| SourceFile { path: &file.path, lang: file.lang, facts: &file.facts });
            (*id, file.map(|file| model.resolve(&file)).unwrap_or_default())
        };
        let mut resolved: Vec<(FileId, FileResolution)> = if ids.len() <= 1 {
            ids.iter().map(resolve_one).collect()
        } else {
            ids.par_iter().map(resolve_one).collect()
        };
        resolved.extend(kept_ids.into_iter().filter_map(|id| {
            let resolution = kept.remove(&id)?;
            Some((id, Arc::try_unwrap(resolution).unwrap_or_else(|shared| FileResolution::clone(&shared))))
        }));

        for (id, resolution) in resolved {
            let mut links = Vec::new();
            let mut unresolved = Vec::new();
            for item in resolution.resolutions {
                match item.target {
                    Target::File(path) => match self.snapshot.file_id(&path) {
                        Some(to) => links.push(Link { to, kind: item.kind, import: item.import, usage: item.usage }),
                        None => unresolved.push(UnresolvedLink { import: item.import, external: false }),
                    },
                    Target::External => unresolved.push(UnresolvedLink { import: item.import, external: true }),
                    Target::Unresolved => unresolved.push(UnresolvedLink { import: item.import, external: false }),
                    Target::NoFile => {}
                }
            }
            self.replace_probes(id, resolution.probes);
            let Some(entry) = self.entry_mut(id) else { continue };
            let old_targets = distinct_targets(&entry.links);
            if !same_targets(&entry.links, &links) {
                links_changed.push(id);
            }
            entry.links = links;
            entry.unresolved = unresolved;
            let new_targets = distinct_targets(&entry.links);
            edges_changed |= old_targets != new_targets;
            for gone in old_targets.difference(&new_targets) {
                if let Some(target) = self.entry_mut(*gone) {
                    target.dependents.retain(|dependent| *dependent != id);
                }
            }
            for new in new_targets.difference(&old_targets) {
                if let Some(target) = self.entry_mut(*new)
                    && let Err(position) = target.dependents.binary_search(&id)
                {
                    target.dependents.insert(position, id);
                }
            }
        }
        (links_changed, edges_changed)
    }

    /// The files to bind again: those whose facts or links changed; those whose bindings
    /// read, in another file, a name whose surface changed there, followed links that
    /// changed, or read a file that vanished; the Go files of a package that gained or
    /// lost a file, and those that listed it; the readers of a Go method name that
    /// appeared or went.
    fn bind_set(&self, work: &Work) -> Vec<FileId> {
        let own_change = work.changed.iter().filter(|id| !work.binds_the_same.contains(id));
        let mut set: BTreeSet<FileId> = own_change.chain(&work.links_changed).copied().collect();
        for id in &work.links_changed {
            set.extend(self.consulted_by.of(id));
        }
        for (id, keys) in &work.surface_changes {
            for key in keys {
                set.extend(self.name_readers.of(&(*id, *key)));
            }
        }
        for directory in &work.go_directories {
            set.extend(self.go_packages.in_directory(directory));
            set.extend(self.directory_readers.of(directory));
        }
        for name in &work.method_names {
            set.extend(self.method_readers.of(name));
        }
        set.retain(|id| self.snapshot.file(*id).is_some());
        set.into_iter().collect()
    }

    /// Binds `ids` again and replaces their bindings, the uses they imply in the files
    /// they reach, and the index of which files they read.
    fn bind_files(&mut self, ids: &[FileId]) {
        let snapshot = &self.snapshot;
        let packages = &self.go_packages;
        let bind_one = |id: &FileId| -> Option<(FileId, Bindings)> {
            let file = snapshot.file(*id)?;
            Some((*id, bind_file(snapshot, packages, file)))
        };
        let bound: Vec<(FileId, Bindings)> = if ids.len() <= 1 {
            ids.iter().filter_map(bind_one).collect()
        } else {
            ids.par_iter().filter_map(bind_one).collect()
        };
        for (id, bindings) in bound {
            let Some(old) = self.snapshot.file(id).map(|file| Arc::clone(&file.bindings)) else { continue };
            if *old == bindings {
                continue;
            }
            self.replace_uses(id, &old, &bindings);
            self.consulted_by.replace(id, &old.consulted, &bindings.consulted);
            self.name_readers.replace(id, &old.reads, &bindings.reads);
            self.method_readers.replace(id, &old.method_names, &bindings.method_names);
            self.directory_readers.replace(id, &old.directories, &bindings.directories);
            if let Some(entry) = self.entry_mut(id) {
                entry.bindings =
                    if bindings == Bindings::default() { Bindings::shared_empty() } else { Arc::new(bindings) };
            }
        }
    }

    /// Moves `user`'s entries in the `used_by` lists of the files it reaches from what
    /// `old` binds to what `new` binds.
    fn replace_uses(&mut self, user: FileId, old: &Bindings, new: &Bindings) {
        let before = old.targets();
        let after = new.targets();
        for gone in before.iter().filter(|target| after.binary_search(target).is_err()) {
            if let Some(entry) = self.entry_mut(gone.file)
                && let Ok(position) = entry.used_by.binary_search(&(gone.symbol, user))
            {
                entry.used_by.remove(position);
            }
        }
        for added in after.iter().filter(|target| before.binary_search(target).is_err()) {
            if let Some(entry) = self.entry_mut(added.file)
                && let Err(position) = entry.used_by.binary_search(&(added.symbol, user))
            {
                entry.used_by.insert(position, (added.symbol, user));
            }
        }
    }

    /// The files whose missing-name checks must run again: everything resolved again, and
    /// the dependents that use a changed name of a file whose interface changed.
    fn check_set(&self, work: &Work, resolved: &[FileId]) -> Vec<FileId> {
        let mut set: BTreeSet<FileId> = resolved.iter().copied().collect();
        for (id, change) in &work.interface_changes {
            let Some(file) = self.snapshot.file(*id) else { continue };
            for &dependent in &file.dependents {
                let Some(dependent_file) = self.snapshot.file(dependent) else { continue };
                let uses_changed =
                    dependent_file.links.iter().filter(|link| link.to == *id).any(|link| match (&link.usage, change) {
                        (Usage::Module, _) | (_, InterfaceChange::All) => true,
                        (Usage::Names(names), InterfaceChange::Names(changed)) => {
                            names.iter().any(|name| changed.contains(&name.name))
                        }
                        (_, InterfaceChange::None) => false,
                    });
                if uses_changed {
                    set.insert(dependent);
                }
            }
        }
        set.into_iter().collect()
    }

    fn check_names(&mut self, ids: &[FileId]) {
        for &id in ids {
            let Some(file) = self.snapshot.file(id) else { continue };
            let mut missing = Vec::new();
            for link in &file.links {
                let (Usage::Names(names), Some(target)) = (&link.usage, self.snapshot.file(link.to)) else { continue };
                for name in names {
                    if !target.interface.provides(target.lang, &name.name) {
                        missing.push(MissingName {
                            import: link.import,
                            target: link.to,
                            name: name.name.clone(),
                            span: name.span,
                        });
                    }
                }
            }
            missing.sort();
            missing.dedup();
            if file.missing != missing
                && let Some(entry) = self.entry_mut(id)
            {
                entry.missing = missing;
            }
        }
    }

    /// The file-set questions resolving `file` asked, when `file` is this host's (its id
    /// names the same path here) and has been resolved.
    pub fn probes_of(&self, file: &FileEntry) -> Option<&[ProbeKey]> {
        let current = self.snapshot.file(file.id)?;
        (current.path == file.path).then(|| self.probes.get(&file.id).map(Vec::as_slice)).flatten()
    }

    fn replace_probes(&mut self, id: FileId, probes: Vec<ProbeKey>) {
        if self.probes.get(&id) == Some(&probes) {
            return;
        }
        self.forget_probes(id);
        for key in &probes {
            self.probe_index.entry(*key).or_default().push(id);
        }
        self.probes.insert(id, probes);
    }

    fn forget_probes(&mut self, id: FileId) {
        for key in self.probes.remove(&id).unwrap_or_default() {
            if let Some(askers) = self.probe_index.get_mut(&key) {
                askers.retain(|asker| *asker != id);
                if askers.is_empty() {
                    self.probe_index.remove(&key);
                }
            }
        }
    }

    /// The entry of `id` for writing, copied first if a snapshot still shares it.
    fn entry_mut(&mut self, id: FileId) -> Option<&mut FileEntry> {
        Arc::make_mut(&mut self.snapshot.files).get_mut(id.index())?.as_mut().map(Arc::make_mut)
    }
}

/// What one apply changed, gathered for the later phases.
#[derive(Default)]
struct Work {
    changed: HashSet<FileId>,
    added: Vec<FileId>,
    removed: Vec<FileId>,
    interface_changes: Vec<(FileId, InterfaceChange)>,
    model_inputs_changed: bool,
    /// Files whose symbol surface changed or that vanished, with the surface keys that changed.
    surface_changes: Vec<(FileId, Vec<SurfaceKey>)>,
    /// Files whose links changed on resolution.
    links_changed: Vec<FileId>,
    /// Changed files whose facts differ from before only where binding does not read
    /// (positions, signatures, locals no name reaches; see `bind::binds_the_same`), with
    /// the same nesting: their own bindings cannot have changed.
    binds_the_same: HashSet<FileId>,
    /// Directories whose set of Go files changed.
    go_directories: BTreeSet<String>,
    /// Names of Go methods defined or undefined.
    method_names: BTreeSet<String>,
}

/// Whether two lists of links lead the same imports to the same targets for the same
/// names. Where the names are written does not count: a line added above the imports
/// moves every span and changes nothing that binding reads through these links.
fn same_targets(old: &[Link], new: &[Link]) -> bool {
    fn names(usage: &Usage) -> Option<Vec<&str>> {
        match usage {
            Usage::Module => None,
            Usage::Names(names) => Some(names.iter().map(|name| name.name.as_str()).collect()),
        }
    }
    old.len() == new.len()
        && old
            .iter()
            .zip(new)
            .all(|(a, b)| (a.to, a.kind, a.import) == (b.to, b.kind, b.import) && names(&a.usage) == names(&b.usage))
}

fn distinct_targets(links: &[Link]) -> BTreeSet<FileId> {
    links.iter().map(|link| link.to).collect()
}

fn last_change_per_path(changes: Vec<FileChange>) -> Vec<FileChange> {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (index, change) in changes.iter().enumerate() {
        last.insert(change.path().to_owned(), index);
    }
    changes
        .into_iter()
        .enumerate()
        .filter(|(index, change)| last.get(change.path()) == Some(index))
        .map(|(_, change)| change)
        .collect()
}
