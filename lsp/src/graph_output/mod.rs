//! `thread-lsp graph`: the file-level graph as JSON, or drawn as DOT, Mermaid or one
//! interactive HTML page.

mod dot;
mod html;
mod mermaid;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde_json::json;
use thread_engine::{Edge, FileGraph, FileNode, index_into};

use crate::cli::{ExternalNodes, GraphArgs, GraphFormat};
use crate::indexing::{Layers, leave_to_exit};
use crate::summary::report_problems;

pub(crate) fn run(arguments: &GraphArgs) -> anyhow::Result<ExitCode> {
    // The file graph alone, from imports alone: nothing here reads the symbol layer.
    let mut host = Layers::Imports.host()?;
    let report = index_into(&mut host, &arguments.walk.dir, &arguments.walk.load_options())?;
    report_problems(&report);
    let drawing = Drawing::of(&report.graph, arguments)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match arguments.format {
        GraphFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &graph_json(&drawing.graph)).context("writing the graph")?;
            writeln!(out).context("writing the graph")?;
        }
        GraphFormat::Dot => dot::write(&mut out, &drawing).context("writing the graph")?,
        GraphFormat::Mermaid => mermaid::write(&mut out, &drawing).context("writing the graph")?,
        GraphFormat::Html => html::write(&mut out, &drawing).context("writing the graph")?,
    }
    out.flush().context("writing the graph")?;
    leave_to_exit((host, report, drawing));
    Ok(ExitCode::SUCCESS)
}

/// The graph in the JSON shape documented in the README. Lines are one-based.
pub(crate) fn graph_json(graph: &FileGraph) -> serde_json::Value {
    json!({
        "files": graph.files.iter().map(|file| json!({"path": file.path, "language": file.lang.name()})).collect::<Vec<_>>(),
        "edges": graph.edges.iter().map(|edge| json!({"from": edge.from, "to": edge.to, "kind": edge.kind.as_str()})).collect::<Vec<_>>(),
        "unresolved": graph.unresolved.iter().map(|import| json!({
            "from": import.from,
            "specifier": import.specifier,
            "line": import.line + 1,
            "external": import.external,
        })).collect::<Vec<_>>(),
    })
}

/// What a drawing shows: the graph (whole, or a file's neighbourhood), its cycles, and
/// the external packages each file imports.
pub(crate) struct Drawing {
    pub(crate) graph: FileGraph,
    /// Import cycles among the files shown, each sorted.
    pub(crate) cycles: Vec<Vec<String>>,
    /// Each file in a cycle, with its cycle's index.
    cycle_of: BTreeMap<String, usize>,
    /// External package → the files shown that import it; empty with `--external none`.
    pub(crate) externals: BTreeMap<String, BTreeSet<String>>,
    /// The focused file, if any.
    pub(crate) focus: Option<String>,
}

impl Drawing {
    fn of(whole: &FileGraph, arguments: &GraphArgs) -> anyhow::Result<Drawing> {
        let mut graph = whole.clone();
        if let Some(focus) = &arguments.focus {
            let focus = focus.trim_start_matches("./");
            if !whole.files.iter().any(|file| file.path == focus) {
                bail!("--focus {focus}: no such file in the graph (paths are relative to the workspace directory)");
            }
            let near = neighbourhood(whole, focus, arguments.depth);
            graph.files.retain(|file| near.contains(file.path.as_str()));
            graph.edges.retain(|edge| near.contains(edge.from.as_str()) && near.contains(edge.to.as_str()));
            graph.unresolved.retain(|import| near.contains(import.from.as_str()));
        }
        let lang_of: BTreeMap<&str, &FileNode> = graph.files.iter().map(|file| (file.path.as_str(), file)).collect();
        let mut externals: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        if arguments.external == ExternalNodes::Package {
            for import in graph.unresolved.iter().filter(|import| import.external) {
                let Some(file) = lang_of.get(import.from.as_str()) else { continue };
                externals.entry(file.lang.external_package(&import.specifier)).or_default().insert(import.from.clone());
            }
        }
        let cycles = graph.cycles();
        let cycle_of = cycles
            .iter()
            .enumerate()
            .flat_map(|(index, cycle)| cycle.iter().map(move |path| (path.clone(), index)))
            .collect();
        let focus = arguments.focus.as_deref().map(|focus| focus.trim_start_matches("./").to_owned());
        Ok(Drawing { graph, cycles, cycle_of, externals, focus })
    }

    /// True when the edge lies inside one import cycle.
    pub(crate) fn in_cycle(&self, edge: &Edge) -> bool {
        matches!((self.cycle_of.get(&edge.from), self.cycle_of.get(&edge.to)), (Some(a), Some(b)) if a == b)
    }
}

/// The files within `depth` imports of `focus`, importing or imported.
fn neighbourhood<'a>(graph: &'a FileGraph, focus: &'a str, depth: usize) -> BTreeSet<&'a str> {
    let mut neighbours: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for edge in &graph.edges {
        neighbours.entry(&edge.from).or_default().push(&edge.to);
        neighbours.entry(&edge.to).or_default().push(&edge.from);
    }
    let mut near = BTreeSet::from([focus]);
    let mut queue = VecDeque::from([(focus, 0)]);
    while let Some((file, distance)) = queue.pop_front() {
        if distance == depth {
            continue;
        }
        for &other in neighbours.get(file).into_iter().flatten() {
            if near.insert(other) {
                queue.push_back((other, distance + 1));
            }
        }
    }
    near
}

/// The directory part of a workspace-relative path; `.` for the root.
pub(crate) fn directory_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(directory, _)| directory)
}

/// The file name part of a workspace-relative path.
pub(crate) fn file_name_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}
