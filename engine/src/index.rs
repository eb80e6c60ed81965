//! The cold index: walk, read and extract every file in parallel, then build the graph.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use thread_extractors::{Lang, extract};

use crate::graph::{AnalyzedFile, FileGraph};
use crate::loader::{LoadError, LoadOptions, SkipReason, Skipped, discover, read_source};

/// The outcome of indexing a workspace.
#[derive(Debug)]
pub struct IndexReport {
    /// The graph.
    pub graph: FileGraph,
    /// Every analysed file with its facts, sorted by path.
    pub files: Vec<AnalyzedFile>,
    /// Files left out, with reasons.
    pub skipped: Vec<Skipped>,
    /// Things the user should know: unparsable project files, files with invalid UTF-8.
    pub warnings: Vec<String>,
    /// Wall-clock time of the whole index.
    pub elapsed: Duration,
}

impl IndexReport {
    /// Files per language name, sorted by name.
    pub fn files_per_language(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for file in &self.files {
            *counts.entry(file.lang.name()).or_insert(0) += 1;
        }
        counts
    }

    /// Files with at least one syntax error.
    pub fn files_with_syntax_errors(&self) -> usize {
        self.files.iter().filter(|file| !file.facts.syntax_errors.is_empty()).count()
    }
}

/// Indexes the workspace at `root` from scratch.
pub fn index_workspace(root: &Path, options: &LoadOptions) -> Result<IndexReport, LoadError> {
    let started = Instant::now();
    let discovery = discover(root, options)?;
    let mut skipped = discovery.skipped;
    let mut warnings = Vec::new();

    let outcomes: Vec<Result<(AnalyzedFile, Option<String>), Skipped>> = discovery
        .sources
        .par_iter()
        .map(|entry| {
            let skip = |reason| Skipped { path: entry.path.clone(), reason };
            let bytes = read_source(&entry.absolute, options.max_file_size).map_err(skip)?;
            let facts = extract(entry.lang, &bytes).map_err(|error| skip(SkipReason::Unreadable(error.to_string())))?;
            let warning = std::str::from_utf8(&bytes)
                .is_err()
                .then(|| format!("{}: not valid UTF-8; invalid bytes were replaced", entry.path));
            Ok((AnalyzedFile { path: entry.path.clone(), lang: entry.lang, facts }, warning))
        })
        .collect();

    let mut files = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        match outcome {
            Ok((file, warning)) => {
                files.push(file);
                warnings.extend(warning);
            }
            Err(skip) => skipped.push(skip),
        }
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));

    let (graph, model_warnings) = FileGraph::build(&files, &discovery.project_files);
    warnings.extend(model_warnings);
    Ok(IndexReport { graph, files, skipped, warnings, elapsed: started.elapsed() })
}

/// Indexes files held in memory (tests, generated workspaces, unsaved buffers). Files of
/// unknown languages, and files the extractor fails on (a fault of Thread's, never of the
/// code), are left out.
pub fn index_sources(
    sources: &[(String, Vec<u8>)],
    project_files: &[thread_extractors::resolve::ProjectFile],
) -> FileGraph {
    let files: Vec<AnalyzedFile> = sources
        .par_iter()
        .filter_map(|(path, bytes)| {
            let lang = Lang::from_path(Path::new(path))?;
            let facts = extract(lang, bytes).ok()?;
            Some(AnalyzedFile { path: path.clone(), lang, facts })
        })
        .collect();
    FileGraph::build(&files, project_files).0
}
