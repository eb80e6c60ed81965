//! Indexing a directory: the cold index, and the warm start that brings a host restored
//! from a store up to date with the tree.
//!
//! Both walk the tree and hand the host only what differs from what it has: a file whose
//! size and mtime match the host's record is not even read; one that was read is
//! fingerprinted and, if its content is unchanged, costs nothing more. Files are read
//! inside the host's parallel analysis, so memory holds a few files' bytes at a time.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use thread_extractors::resolve::source_language;
use thread_extractors::{Lang, extract};

use crate::graph::{AnalyzedFile, FileGraph};
use crate::host::{ChangeReport, Content, FileChange, Host};
use crate::loader::{LoadError, LoadOptions, SkipReason, Skipped, discover, read_source};
use crate::memo::CacheStats;
use crate::snapshot::Snapshot;

/// The outcome of indexing a workspace.
#[derive(Debug)]
pub struct IndexReport {
    /// The graph after indexing.
    pub snapshot: Snapshot,
    /// The same as sorted lists.
    pub graph: FileGraph,
    /// Files left out, with reasons, sorted by path.
    pub skipped: Vec<Skipped>,
    /// Things the user should know: unparsable project files, files with invalid UTF-8.
    pub warnings: Vec<String>,
    /// Files whose content changed since the host last saw them (all of them on a cold
    /// index), created, or deleted; sorted.
    pub changed: Vec<String>,
    /// Other files that had to be resolved or checked again; sorted.
    pub affected: Vec<String>,
    /// Files the host already had with unchanged size and mtime: not read at all.
    pub unchanged_by_stat: usize,
    /// Memo hits and misses among the files that were read. A file that was not read
    /// counts as a hit: nothing was extracted for it.
    pub cache: CacheStats,
    /// Wall-clock time of the whole index.
    pub elapsed: Duration,
}

impl IndexReport {
    /// Files per language name, sorted by name.
    pub fn files_per_language(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for file in self.snapshot.files() {
            *counts.entry(file.lang.name()).or_insert(0) += 1;
        }
        counts
    }

    /// Files with at least one syntax error.
    pub fn files_with_syntax_errors(&self) -> usize {
        self.snapshot.files().filter(|file| !file.facts.syntax_errors.is_empty()).count()
    }

    /// Each file with syntax errors, by path: the first error's zero-based (line, column)
    /// and how many there are.
    pub fn syntax_errors_by_file(&self) -> Vec<(&str, (u32, u32), usize)> {
        let mut files: Vec<(&str, (u32, u32), usize)> = self
            .snapshot
            .files()
            .filter_map(|file| {
                let first = file.facts.syntax_errors.first()?;
                Some((&*file.path, (first.start.line, first.start.column), file.facts.syntax_errors.len()))
            })
            .collect();
        files.sort_unstable();
        files
    }

    /// Hits over lookups, counting files skipped by stat as hits.
    pub fn cache_hit_rate(&self) -> f64 {
        let stats = CacheStats { hits: self.cache.hits + self.unchanged_by_stat as u64, misses: self.cache.misses };
        stats.hit_rate()
    }
}

/// Indexes the workspace at `root` from scratch through the ReCoco flow.
pub fn index_workspace(root: &Path, options: &LoadOptions) -> Result<IndexReport, LoadError> {
    let flow = crate::flow::RecocoFlow::shared()
        .map_err(|error| LoadError { root: root.to_owned(), message: error.to_string() })?;
    let mut host = Host::new(flow);
    index_into(&mut host, root, options)
}

/// How far an index has got: updated while it runs, readable from any thread, for
/// progress reports.
#[derive(Debug, Default)]
pub struct IndexProgress {
    /// Files the walk found that must be read (those unchanged by their stat are not).
    to_read: AtomicUsize,
    /// Of those, files read (or found unreadable) so far; each is extracted after.
    read: AtomicUsize,
}

impl IndexProgress {
    /// (files read, files to read); (0, 0) until the walk is done.
    pub fn files(&self) -> (usize, usize) {
        (self.read.load(Ordering::Relaxed), self.to_read.load(Ordering::Relaxed))
    }
}

/// Brings `host` up to date with the tree at `root`: the cold index when the host is
/// empty, the warm start when it was restored from a store.
pub fn index_into(host: &mut Host, root: &Path, options: &LoadOptions) -> Result<IndexReport, LoadError> {
    index_into_observed(host, root, options, &Arc::default())
}

/// [`index_into`], counting its progress in `progress` as it goes.
pub fn index_into_observed(
    host: &mut Host,
    root: &Path,
    options: &LoadOptions,
    progress: &Arc<IndexProgress>,
) -> Result<IndexReport, LoadError> {
    let started = Instant::now();
    let _span = tracing::info_span!("index", root = %root.display()).entered();
    let discovery = discover(root, options)?;
    let before = host.snapshot();
    let skipped = Arc::new(Mutex::new(discovery.skipped));
    let warnings = Arc::new(Mutex::new(Vec::new()));

    let mut changes = Vec::new();
    let mut on_disk = HashSet::new();
    let mut unchanged_by_stat = 0;
    for entry in discovery.sources {
        on_disk.insert(entry.path.clone());
        let known = before.file_at(&entry.path);
        if entry.stat.is_some() && known.is_some_and(|file| file.stat == entry.stat) {
            unchanged_by_stat += 1;
            continue;
        }
        let (skipped, warnings, progress) = (skipped.clone(), warnings.clone(), Arc::clone(progress));
        let (path, absolute, max_file_size) = (entry.path.clone(), entry.absolute.clone(), options.max_file_size);
        // An asset's bytes are only fingerprinted: binary is fine, text need not be UTF-8.
        let asset = entry.lang == Lang::Asset;
        let load = move || match read_counted(&absolute, max_file_size, asset, &progress) {
            Ok(bytes) => {
                if !asset && std::str::from_utf8(&bytes).is_err() {
                    lock(&warnings).push(format!("{path}: not valid UTF-8; invalid bytes were replaced"));
                }
                Ok(bytes)
            }
            Err(reason) => {
                let message = reason.to_string();
                lock(&skipped).push(Skipped { path, reason });
                Err(message)
            }
        };
        changes.push(FileChange::Write { path: entry.path, content: Content::Load(Box::new(load)), stat: entry.stat });
    }
    progress.to_read.store(changes.len(), Ordering::Relaxed);
    // A project file that is also a node (`package.json`) is among the sources above, whose
    // one read the host hands to both sides.
    for project_file in discovery.project_files {
        on_disk.insert(project_file.path.clone());
        changes.push(FileChange::write(project_file.path, project_file.text));
    }
    let known_paths = before.files().map(|file| file.path.to_string()).chain(host.project_files().keys().cloned());
    let removed: Vec<String> = known_paths.filter(|path| !on_disk.contains(path)).collect();
    changes.extend(removed.into_iter().map(FileChange::remove));

    let mut report = host.apply(changes);
    // A file the host had that can no longer be read (now binary, too large, unreadable)
    // leaves the graph, as it would from a fresh index.
    let unreadable: Vec<FileChange> = lock(&skipped)
        .iter()
        .filter(|skip| host.snapshot().file_at(&skip.path).is_some())
        .map(|skip| FileChange::remove(&skip.path))
        .collect();
    if !unreadable.is_empty() {
        let second = host.apply(unreadable);
        merge(&mut report, second);
    }

    let mut skipped = std::mem::take(&mut *lock(&skipped));
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let mut all_warnings = std::mem::take(&mut *lock(&warnings));
    all_warnings.sort();
    all_warnings.extend(report.warnings);
    let snapshot = host.snapshot();
    Ok(IndexReport {
        graph: snapshot.graph(),
        snapshot,
        skipped,
        warnings: all_warnings,
        changed: report.changed,
        affected: report.affected,
        unchanged_by_stat,
        cache: report.cache,
        elapsed: started.elapsed(),
    })
}

/// Reads a source file and counts it in `progress`, read or not.
fn read_counted(
    path: &Path,
    max_file_size: u64,
    binary_allowed: bool,
    progress: &IndexProgress,
) -> Result<Vec<u8>, SkipReason> {
    let read = read_source(path, max_file_size, binary_allowed);
    progress.read.fetch_add(1, Ordering::Relaxed);
    read
}

fn merge(report: &mut ChangeReport, second: ChangeReport) {
    report.changed.extend(second.changed);
    report.changed.sort();
    report.changed.dedup();
    report.affected.extend(second.affected);
    report.affected.retain(|path| report.changed.binary_search(path).is_err());
    report.affected.sort();
    report.affected.dedup();
    report.cache = report.cache.combined(second.cache);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep going.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Builds the graph of files held in memory in one batch, with no host, no memo and no
/// flow: the straightforward reference the incremental host is checked against. Files of
/// unknown languages, and files the extractor fails on (a fault of Thread's, never of the
/// code), are left out.
pub fn index_sources(
    sources: &[(String, Vec<u8>)],
    project_files: &[thread_extractors::resolve::ProjectFile],
) -> FileGraph {
    let files: Vec<AnalyzedFile> = sources
        .par_iter()
        .filter_map(|(path, bytes)| {
            let lang = source_language(path.rsplit('/').next().unwrap_or(path))?;
            let facts = extract(lang, bytes).ok()?;
            Some(AnalyzedFile { path: path.clone(), lang, facts })
        })
        .collect();
    FileGraph::build(&files, project_files).0
}
