//! `thread-lsp graph` drawn: DOT and Mermaid that stay readable (directory clusters, no
//! edge labels, one node per external package, a file's neighbourhood), and the HTML page
//! rendered by a real headless Chromium with nothing in its console. Without Chromium the
//! page test skips loudly; under `THREAD_CI=1` it fails instead.

use std::path::Path;
use std::process::Command;

mod support;

use support::{skip_or_fail, write};

/// A cycle (a ↔ b), a chain out of it, and the same external package imported three
/// ways from two files (a decoy for one node per package).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "app/__init__.py", "");
    write(root, "app/a.py", "import numpy\nimport numpy.linalg\nfrom app import b\n");
    write(root, "app/b.py", "from numpy import array\nfrom app import a\nfrom lib import c\n");
    write(root, "lib/__init__.py", "");
    write(root, "lib/c.py", "import requests\nfrom lib import d\n");
    write(root, "lib/d.py", "");
    dir
}

fn graph(root: &Path, extra: &[&str]) -> String {
    let output =
        Command::new(env!("CARGO_BIN_EXE_thread-lsp")).arg("graph").arg(root).args(extra).output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn dot_clusters_directories_and_draws_one_node_per_external_package() {
    let dir = workspace();
    let dot = graph(dir.path(), &["--format", "dot"]);
    assert_eq!(dot.matches("subgraph cluster_").count(), 2, "{dot}");
    let edges: Vec<&str> = dot.lines().filter(|line| line.contains(" -> ")).collect();
    assert!(edges.iter().all(|edge| !edge.contains("label=")), "no edge labels: {edges:#?}");
    assert_eq!(dot.matches("label=\"numpy\"").count(), 1, "{dot}");
    assert_eq!(dot.matches("label=\"requests\"").count(), 1, "{dot}");
    // numpy is drawn once, with one edge from each importing file.
    let numpy = dot
        .lines()
        .find(|line| line.contains("label=\"numpy\""))
        .and_then(|line| line.split_whitespace().next())
        .expect("numpy node");
    assert_eq!(
        edges.iter().filter(|edge| edge.ends_with(&format!("-> {numpy} [color=\"#c8c8c8\"];"))).count(),
        2,
        "{dot}"
    );
    // The cycle's edges are red, the chain out of it is not.
    assert!(dot.contains("\"app/a.py\" -> \"app/b.py\" [color=\"#d64545\"];"), "{dot}");
    assert!(dot.contains("\"lib/c.py\" -> \"lib/d.py\";"), "{dot}");

    let bare = graph(dir.path(), &["--format", "dot", "--external", "none"]);
    assert!(!bare.contains("numpy") && !bare.contains("requests"), "{bare}");
}

#[test]
fn focus_keeps_a_files_neighbourhood() {
    let dir = workspace();
    let near = graph(dir.path(), &["--format", "dot", "--external", "none", "--focus", "lib/c.py"]);
    for present in ["\"lib/c.py\"", "\"lib/d.py\"", "\"app/b.py\""] {
        assert!(near.contains(present), "{present} is within one import: {near}");
    }
    assert!(!near.contains("\"app/a.py\""), "a.py is two imports away: {near}");
    let further = graph(dir.path(), &["--format", "json", "--focus", "lib/c.py", "--depth", "2"]);
    assert!(further.contains("\"app/a.py\""), "{further}");

    let output = Command::new(env!("CARGO_BIN_EXE_thread-lsp"))
        .arg("graph")
        .arg(dir.path())
        .args(["--focus", "lib/missing.py"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--focus lib/missing.py: no such file"));
}

#[test]
fn mermaid_is_a_flowchart_with_directories_and_red_cycles() {
    let dir = workspace();
    let mermaid = graph(dir.path(), &["--format", "mermaid"]);
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert_eq!(mermaid.matches("  subgraph ").count(), 2, "{mermaid}");
    assert_eq!(mermaid.matches("([\"numpy\"]):::external").count(), 1, "{mermaid}");
    // Links are numbered from 0 in order: a → b and b → a, the cycle, come first.
    assert!(mermaid.contains("linkStyle 0,1 stroke:#d64545"), "{mermaid}");
}

fn chromium() -> Option<&'static str> {
    if Command::new("chromium").arg("--version").output().is_ok_and(|output| output.status.success()) {
        return Some("chromium");
    }
    skip_or_fail("the HTML report test needs Chromium (Debian's `chromium`; run .ci/install-test-tools)");
    None
}

/// Loads `page` in headless Chromium: its DOM after scripts ran, and what went to its
/// console.
fn load(browser: &str, page: &str, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().expect("profile");
    let output = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(page)
        .output()
        .expect("run chromium");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let console: Vec<String> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    (String::from_utf8_lossy(&output.stdout).into_owned(), console.join("\n"))
}

#[test]
fn the_html_report_renders_in_chromium_without_console_errors() {
    let Some(browser) = chromium() else { return };
    let dir = workspace();
    let page = dir.path().join("graph.html");
    std::fs::write(&page, graph(dir.path(), &["--format", "html"])).expect("write page");
    assert!(!std::fs::read_to_string(&page).expect("page").contains("http"), "the page fetches nothing");
    let url = format!("file://{}", page.display());

    let (dom, console) = load(browser, &url, &["--dump-dom"]);
    assert!(console.is_empty(), "the console: {console}");
    assert!(dom.contains("data-rendered=\"6\""), "all six files drawn: {dom}");
    assert!(dom.contains("6 files, 4 edges; 1 import cycle<"), "{dom}");

    // A link to a file's neighbourhood opens on it.
    let (focused, console) = load(browser, &format!("{url}#focus=lib/d.py"), &["--dump-dom"]);
    assert!(console.is_empty(), "the console: {console}");
    assert!(focused.contains("data-rendered=\"2\""), "lib/d.py and its importer: {focused}");

    let screenshot = dir.path().join("graph.png");
    let (_, console) =
        load(browser, &url, &["--window-size=1200,800", &format!("--screenshot={}", screenshot.display())]);
    assert!(console.is_empty(), "the console: {console}");
    let size = std::fs::metadata(&screenshot).expect("a screenshot").len();
    assert!(size > 10_000, "a screenshot of {size} bytes shows nothing");
}
