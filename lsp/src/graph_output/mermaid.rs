//! A Mermaid flowchart: a subgraph per directory, dashed edges for type-only and
//! dynamic imports, cycle edges in red, one node per external package.

use std::collections::BTreeMap;
use std::io::Write;

use super::{Drawing, directory_of, file_name_of};

pub(super) fn write(out: &mut impl Write, drawing: &Drawing) -> std::io::Result<()> {
    writeln!(out, "flowchart LR")?;
    // Mermaid ids must be plain words: files are numbered in path order.
    let id_of: BTreeMap<&str, String> =
        drawing.graph.files.iter().enumerate().map(|(index, file)| (file.path.as_str(), format!("f{index}"))).collect();
    let mut by_directory: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for file in &drawing.graph.files {
        by_directory.entry(directory_of(&file.path)).or_default().push(&file.path);
    }
    for (index, (directory, files)) in by_directory.iter().enumerate() {
        writeln!(out, "  subgraph d{index}[\"{}\"]", label(directory))?;
        for path in files {
            writeln!(out, "    {}[\"{}\"]", id_of[path], label(file_name_of(path)))?;
        }
        writeln!(out, "  end")?;
    }
    // Mermaid numbers links in the order written; cycle edges are styled by number.
    let mut cycle_links = Vec::new();
    let mut written = 0;
    for edge in &drawing.graph.edges {
        let (Some(from), Some(to)) = (id_of.get(edge.from.as_str()), id_of.get(edge.to.as_str())) else { continue };
        let arrow = match edge.kind.as_str() {
            "dynamic" | "type" | "reference" | "asset" => "-.->",
            _ => "-->",
        };
        writeln!(out, "  {from} {arrow} {to}")?;
        if drawing.in_cycle(edge) {
            cycle_links.push(written.to_string());
        }
        written += 1;
    }
    // After the file edges, so that `linkStyle` indexes above count only those.
    for (index, (package, importers)) in drawing.externals.iter().enumerate() {
        writeln!(out, "  x{index}([\"{}\"]):::external", label(package))?;
        for from in importers.iter().filter_map(|importer| id_of.get(importer.as_str())) {
            writeln!(out, "  {from} --> x{index}")?;
        }
    }
    writeln!(out, "  classDef external fill:#f1f1f1,stroke:#a0a0a0,color:#606060")?;
    if let Some(focus) = drawing.focus.as_deref().and_then(|focus| id_of.get(focus)) {
        writeln!(out, "  style {focus} fill:#ffe08a")?;
    }
    if !cycle_links.is_empty() {
        writeln!(out, "  linkStyle {} stroke:#d64545,stroke-width:2px", cycle_links.join(","))?;
    }
    Ok(())
}

/// Text inside a quoted Mermaid label: quotes become `#quot;`.
fn label(text: &str) -> String {
    text.replace('"', "#quot;")
}
