//! One self-contained HTML page: the graph as JSON inside it and a small script that lays
//! it out and draws it on a canvas, with search, a file's neighbourhood, directories
//! collapsed and import cycles in red. Nothing is fetched from the network.

use std::io::Write;

use serde_json::json;

use super::Drawing;

const PAGE: &str = include_str!("graph.html");
const PLACEHOLDER: &str = "/*GRAPH*/";

pub(super) fn write(out: &mut impl Write, drawing: &Drawing) -> std::io::Result<()> {
    let data = json!({
        "files": drawing.graph.files.iter().map(|file| json!({"path": file.path, "language": file.lang.name()})).collect::<Vec<_>>(),
        "edges": drawing.graph.edges.iter().map(|edge| json!({"from": edge.from, "to": edge.to, "kind": edge.kind.as_str()})).collect::<Vec<_>>(),
        "cycles": drawing.cycles,
        "focus": drawing.focus,
    });
    // Inside a <script> element, `</` would end it early.
    let embedded = data.to_string().replace("</", "<\\/");
    let (before, after) = PAGE.split_once(PLACEHOLDER).unwrap_or((PAGE, ""));
    out.write_all(before.as_bytes())?;
    out.write_all(embedded.as_bytes())?;
    out.write_all(after.as_bytes())
}
