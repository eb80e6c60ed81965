//! The file-level dependency graph: files, resolved edges and unresolved imports.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rayon::prelude::*;
use thread_extractors::resolve::{ProjectFile, ProjectModel, SourceFile, Target};
use thread_extractors::{FileFacts, ImportKind, Lang};

use crate::scc::cyclic_components;

/// A file in the graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileNode {
    /// Workspace-relative path with forward slashes.
    pub path: String,
    /// Its language.
    pub lang: Lang,
}

/// A dependency of one file on another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edge {
    /// The importing file.
    pub from: String,
    /// The imported file.
    pub to: String,
    /// How it is imported.
    pub kind: ImportKind,
}

/// An import that leads to no workspace file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnresolvedImport {
    /// The importing file.
    pub from: String,
    /// The specifier as written.
    pub specifier: String,
    /// Zero-based line of the specifier.
    pub line: u32,
    /// Zero-based UTF-8 byte column of the specifier.
    pub column: u32,
    /// True for standard-library and third-party modules; false for imports that should
    /// have resolved inside the workspace.
    pub external: bool,
}

/// A file with its extracted facts, ready to be placed in the graph.
#[derive(Clone, Debug)]
pub struct AnalyzedFile {
    /// Workspace-relative path with forward slashes.
    pub path: String,
    /// Its language.
    pub lang: Lang,
    /// What the extractors found.
    pub facts: FileFacts,
}

/// The whole file-level graph, every list sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileGraph {
    /// Every analysed file.
    pub files: Vec<FileNode>,
    /// Resolved dependencies, one per (from, to, kind).
    pub edges: Vec<Edge>,
    /// Imports that did not resolve to a workspace file.
    pub unresolved: Vec<UnresolvedImport>,
}

impl FileGraph {
    /// Resolves every file's imports against the workspace and assembles the graph.
    /// Resolution of each file is independent, so it runs in parallel.
    pub fn build(files: &[AnalyzedFile], project_files: &[ProjectFile]) -> (FileGraph, Vec<String>) {
        let sources: Vec<SourceFile<'_>> =
            files.iter().map(|file| SourceFile { path: &file.path, lang: file.lang, facts: &file.facts }).collect();
        let model = ProjectModel::build(&sources, project_files);
        let per_file: Vec<(Vec<Edge>, Vec<UnresolvedImport>)> = sources
            .par_iter()
            .map(|source| {
                let mut edges = Vec::new();
                let mut unresolved = Vec::new();
                for resolution in model.resolve(source).resolutions {
                    let import = &source.facts.imports[resolution.import];
                    let external = match resolution.target {
                        Target::File(to) => {
                            edges.push(Edge { from: source.path.to_owned(), to, kind: resolution.kind });
                            continue;
                        }
                        Target::NoFile => continue,
                        Target::External => true,
                        Target::Unresolved => false,
                    };
                    unresolved.push(UnresolvedImport {
                        from: source.path.to_owned(),
                        specifier: import.specifier.clone(),
                        line: import.span.start.line,
                        column: import.span.start.column,
                        external,
                    });
                }
                (edges, unresolved)
            })
            .collect();

        let mut graph = FileGraph {
            files: files.iter().map(|file| FileNode { path: file.path.clone(), lang: file.lang }).collect(),
            ..FileGraph::default()
        };
        for (edges, unresolved) in per_file {
            graph.edges.extend(edges);
            graph.unresolved.extend(unresolved);
        }
        graph.files.sort();
        graph.edges.sort();
        graph.edges.dedup();
        graph.unresolved.sort();
        graph.unresolved.dedup();
        (graph, model.warnings())
    }

    /// Import cycles: each a sorted list of the files in one strongly connected component
    /// of more than one file, or a file that imports itself. Sorted.
    pub fn cycles(&self) -> Vec<Vec<String>> {
        let index_of: BTreeMap<&str, usize> =
            self.files.iter().enumerate().map(|(index, file)| (file.path.as_str(), index)).collect();
        let mut successors: Vec<Vec<usize>> = vec![Vec::new(); self.files.len()];
        for edge in &self.edges {
            if let (Some(&from), Some(&to)) = (index_of.get(edge.from.as_str()), index_of.get(edge.to.as_str())) {
                successors[from].push(to);
            }
        }
        let mut cycles: Vec<Vec<String>> = cyclic_components(&successors)
            .into_iter()
            .map(|component| component.into_iter().map(|index| self.files[index].path.clone()).collect())
            .collect();
        cycles.sort();
        cycles
    }

    /// A shortest import path from `start` back to itself through files of `component`
    /// (one of [`FileGraph::cycles`]): `[start, …, start]`, each file importing the next.
    /// Empty when `start` is on no such path.
    pub fn shortest_cycle_through(&self, start: &str, component: &[String]) -> Vec<String> {
        let inside: BTreeSet<&str> = component.iter().map(String::as_str).collect();
        let mut successors: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for edge in &self.edges {
            if inside.contains(edge.from.as_str()) && inside.contains(edge.to.as_str()) {
                successors.entry(edge.from.as_str()).or_default().push(edge.to.as_str());
            }
        }
        // Breadth-first from `start`; the first edge back to `start` closes a shortest cycle.
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(file) = queue.pop_front() {
            for &next in successors.get(file).into_iter().flatten() {
                if next == start {
                    let mut path = vec![start.to_owned()];
                    let mut at = file;
                    while at != start {
                        path.push(at.to_owned());
                        let Some(&previous) = came_from.get(at) else { break };
                        at = previous;
                    }
                    path.push(start.to_owned());
                    path.reverse();
                    return path;
                }
                if next != start && !came_from.contains_key(next) {
                    came_from.insert(next, file);
                    queue.push_back(next);
                }
            }
        }
        Vec::new()
    }
}
