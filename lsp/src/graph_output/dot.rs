//! Graphviz DOT that stays readable on a real project: a cluster per directory, file
//! names as labels, no edge labels, one node per external package, cycles in red.

use std::collections::BTreeMap;
use std::io::Write;

use super::{Drawing, directory_of, file_name_of};

pub(super) fn write(out: &mut impl Write, drawing: &Drawing) -> std::io::Result<()> {
    writeln!(out, "digraph thread {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef2f8\", fontname=\"monospace\", fontsize=10];"
    )?;
    writeln!(out, "  edge [color=\"#5a6478\", arrowsize=0.6];")?;
    let mut by_directory: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for file in &drawing.graph.files {
        by_directory.entry(directory_of(&file.path)).or_default().push(&file.path);
    }
    for (index, (directory, files)) in by_directory.iter().enumerate() {
        writeln!(out, "  subgraph cluster_{index} {{")?;
        writeln!(out, "    label={}; style=rounded; color=\"#b8c0cc\"; fontname=\"monospace\";", quoted(directory))?;
        for path in files {
            let highlight = if drawing.focus.as_deref() == Some(*path) { ", fillcolor=\"#ffe08a\"" } else { "" };
            writeln!(out, "    {} [label={}{highlight}];", quoted(path), quoted(file_name_of(path)))?;
        }
        writeln!(out, "  }}")?;
    }
    for edge in &drawing.graph.edges {
        let mut style = match edge.kind.as_str() {
            "dynamic" | "type" | "reference" => vec!["style=dashed"],
            "asset" => vec!["style=dotted"],
            _ => Vec::new(),
        };
        if drawing.in_cycle(edge) {
            style.push("color=\"#d64545\"");
        }
        let attributes = if style.is_empty() { String::new() } else { format!(" [{}]", style.join(", ")) };
        writeln!(out, "  {} -> {}{attributes};", quoted(&edge.from), quoted(&edge.to))?;
    }
    for (index, (package, importers)) in drawing.externals.iter().enumerate() {
        let node = format!("external{index}");
        writeln!(
            out,
            "  {node} [label={}, shape=ellipse, style=filled, fillcolor=\"#f1f1f1\", color=\"#a0a0a0\", fontcolor=\"#606060\"];",
            quoted(package)
        )?;
        for importer in importers {
            writeln!(out, "  {} -> {node} [color=\"#c8c8c8\"];", quoted(importer))?;
        }
    }
    writeln!(out, "}}")
}

/// A DOT quoted identifier.
fn quoted(text: &str) -> String {
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
