//! `thread-lsp graph`: the file-level graph as JSON or DOT on stdout.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use thread_engine::{FileGraph, index_workspace};

use crate::cli::{GraphArgs, GraphFormat};
use crate::summary::report_problems;

pub(crate) fn run(arguments: &GraphArgs) -> anyhow::Result<ExitCode> {
    let report = index_workspace(&arguments.walk.dir, &arguments.walk.load_options())?;
    report_problems(&report);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match arguments.format {
        GraphFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &graph_json(&report.graph)).context("writing the graph")?;
            writeln!(out).context("writing the graph")?;
        }
        GraphFormat::Dot => write_dot(&mut out, &report.graph).context("writing the graph")?,
    }
    out.flush().context("writing the graph")?;
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

fn write_dot(out: &mut impl Write, graph: &FileGraph) -> std::io::Result<()> {
    writeln!(out, "digraph thread {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [shape=box, fontname=\"monospace\"];")?;
    for file in &graph.files {
        writeln!(
            out,
            "  {} [label={}, language={}];",
            dot_id(&file.path),
            dot_id(&file.path),
            dot_id(file.lang.name())
        )?;
    }
    for edge in &graph.edges {
        let style = match edge.kind.as_str() {
            "dynamic" | "type" => ", style=dashed",
            "reexport" => ", style=bold",
            _ => "",
        };
        writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            dot_id(&edge.from),
            dot_id(&edge.to),
            dot_id(edge.kind.as_str())
        )?;
    }
    for (index, import) in graph.unresolved.iter().enumerate() {
        let node = format!("unresolved{index}");
        let color = if import.external { "gray" } else { "red" };
        writeln!(out, "  {node} [label={}, shape=plaintext, fontcolor={color}];", dot_id(&import.specifier))?;
        writeln!(out, "  {} -> {node} [style=dotted, color={color}];", dot_id(&import.from))?;
    }
    writeln!(out, "}}")
}

/// A DOT quoted identifier.
fn dot_id(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}
