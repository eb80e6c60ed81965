//! Multi-file fixtures written inline: `//- /path` starts a file, the lines after it are
//! its text. A fixture is indexed in memory and the graph rendered as sorted lines.

use thread_flow::engine::{FileGraph, index_sources};
use thread_flow::extractors::resolve::{ProjectFile, is_project_file, source_language};

/// Splits a fixture into (path, text) pairs.
pub(crate) fn parse(fixture: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in fixture.lines() {
        if let Some(path) = line.trim_start().strip_prefix("//- /") {
            files.push((path.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = files.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    files
}

/// Indexes a fixture in memory.
pub(crate) fn graph(fixture: &str) -> FileGraph {
    let mut sources = Vec::new();
    let mut project_files = Vec::new();
    for (path, text) in parse(fixture) {
        let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
        // A file can be both (`package.json`).
        if is_project_file(&name) {
            project_files.push(ProjectFile { path: path.clone(), text: text.clone() });
        }
        if source_language(&name).is_some() {
            sources.push((path, text.into_bytes()));
        }
    }
    index_sources(&sources, &project_files)
}

/// The graph as sorted lines: `a -> b (kind)` for edges and
/// `a:LINE specifier: external|unresolved` for imports that lead to no file.
pub(crate) fn render(graph: &FileGraph) -> String {
    let mut lines: Vec<String> = graph
        .edges
        .iter()
        .map(|edge| format!("{} -> {} ({})", edge.from, edge.to, edge.kind.as_str()))
        .chain(graph.unresolved.iter().map(|import| {
            let status = if import.external { "external" } else { "unresolved" };
            format!("{}:{} {}: {status}", import.from, import.line + 1, import.specifier)
        }))
        .collect();
    lines.sort();
    lines.join("\n")
}

/// Asserts that a fixture's graph is exactly `expected` (sorted lines, indentation ignored).
#[track_caller]
pub(crate) fn check(fixture: &str, expected: &str) {
    let actual = render(&graph(fixture));
    let mut expected: Vec<&str> = expected.lines().map(str::trim).filter(|line| !line.is_empty()).collect();
    expected.sort();
    let expected = expected.join("\n");
    assert_eq!(actual, expected, "\n--- actual ---\n{actual}\n--- expected ---\n{expected}\n");
}
