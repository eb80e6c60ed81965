//! The language server's workload harness: `thread-lsp serve` driven over stdio, as an
//! editor drives it, on a generated workspace and on a real code tree.
//!
//! ```sh
//! cargo build --release -p thread-lsp
//! cargo bench --bench lsp -- [FILES] [REAL_TREE]   # default: 10000 /usr/lib/python3.11
//! ```
//!
//! For each workspace it reports:
//!
//! - time from `initialize` to the end of indexing and to the first diagnostics;
//! - `didChange` → `publishDiagnostics` latency for the edited file (a body edit), p50
//!   and p95 over 200 edits, each sent after the previous one's diagnostics arrived;
//! - `didChange` → `publishDiagnostics` latency of a dependent's `broken-import` (an
//!   edit removes a name another, unopened file imports) and of its clearing;
//! - the server's peak RSS (`VmHWM`).
//!
//! The store is `memory`, so the figures are the analysis's, not a disk's.

// The harness prints its results; that is its job.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr)]

#[path = "../lsp/tests/lsp_client/mod.rs"]
mod lsp_client;

use std::path::Path;
use std::time::{Duration, Instant};

use lsp_client::{Client, codes};
use serde_json::{Value, json};
use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};

const EDITS: usize = 200;

/// The file edited, and the dependent that imports a name from it.
const EDITED: &str = "thread_bench/source.py";
const DEPENDENT: &str = "thread_bench/user.py";

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).filter(|argument| argument != "--bench").collect();
    let files: usize = arguments.first().and_then(|argument| argument.parse().ok()).unwrap_or(10_000);
    let real = arguments.get(1).cloned().unwrap_or_else(|| "/usr/lib/python3.11".to_owned());

    println!(
        "| workspace | files | indexed | first diagnostics | edited file p50 / p95 | dependent broken p50 / p95 | dependent cleared p50 / p95 | peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");

    let generated = tempfile::tempdir().expect("temp dir");
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language: files / 4, ..SyntheticOptions::default() });
    workspace.write_to(generated.path()).expect("write the workspace");
    measure(&format!("generated, {files} files"), generated.path());

    if Path::new(&real).is_dir() {
        let copy = tempfile::tempdir().expect("temp dir");
        copy_tree(Path::new(&real), copy.path());
        measure(&format!("real: {real}"), copy.path());
    } else {
        eprintln!("{real} is not a directory; the real-tree run is left out");
    }
}

fn measure(label: &str, root: &Path) {
    let source_text = "def kept():\n    return 1\n\n\ndef target():\n    return 2\n";
    write(root, "thread_bench/__init__.py", "");
    write(root, EDITED, source_text);
    write(root, DEPENDENT, "from thread_bench.source import target\n\n\ndef use():\n    return target()\n");

    let started = Instant::now();
    let mut client =
        Client::launch(root, json!({ "window": { "workDoneProgress": true } }), json!({ "store": "memory" }));
    client.wait_for(|message| message["method"] == "textDocument/publishDiagnostics");
    let first_diagnostics = started.elapsed();
    client.wait_for(|message| message["method"] == "$/progress" && message["params"]["value"]["kind"] == "end");
    let indexed = started.elapsed();
    let stats = client.request("thread/stats", Value::Null);
    let files = stats["result"]["files"].as_u64().unwrap_or(0);
    client.seen.clear();

    client.open(EDITED, "python", source_text);
    client.diagnostics_for(EDITED, |_| true);
    let mut version = 0;
    let mut edited = Vec::new();
    for round in 0..EDITS {
        version += 1;
        // A body edit: the number returned by `kept` changes; nothing else does.
        let digit = (round % 9 + 1).to_string();
        let sent = Instant::now();
        client.edit(EDITED, version, [1, 11, 1, 12], &digit);
        client.diagnostics_for(EDITED, |params| params["version"] == version);
        edited.push(sent.elapsed());
    }

    let mut broken = Vec::new();
    let mut cleared = Vec::new();
    for _ in 0..EDITS / 2 {
        version += 1;
        let sent = Instant::now();
        client.edit(EDITED, version, [4, 4, 4, 10], "renamed");
        client.diagnostics_for(DEPENDENT, |params| codes(params).iter().any(|code| code == "broken-import"));
        broken.push(sent.elapsed());
        version += 1;
        let sent = Instant::now();
        client.edit(EDITED, version, [4, 4, 4, 11], "target");
        client.diagnostics_for(DEPENDENT, |params| codes(params).is_empty());
        cleared.push(sent.elapsed());
        client.seen.clear();
    }
    let rss = peak_rss_mib(client.pid());
    client.shutdown();
    println!(
        "| {label} | {files} | {} | {} | {} | {} | {} | {rss:.1} MiB |",
        seconds(indexed),
        seconds(first_diagnostics),
        p50_p95(edited),
        p50_p95(broken),
        p50_p95(cleared),
    );
}

fn p50_p95(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    format!("{:.2} / {:.2} ms", at(0.5).as_secs_f64() * 1000.0, at(0.95).as_secs_f64() * 1000.0)
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn write(root: &Path, path: &str, text: &str) {
    let target = root.join(path);
    std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
    std::fs::write(target, text).expect("write");
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in ignore::WalkBuilder::new(from).hidden(false).build().flatten() {
        let Ok(relative) = entry.path().strip_prefix(from) else { continue };
        let target = to.join(relative);
        if entry.file_type().is_some_and(|kind| kind.is_dir()) {
            let _ = std::fs::create_dir_all(&target);
        } else if entry.file_type().is_some_and(|kind| kind.is_file()) {
            let _ = std::fs::copy(entry.path(), &target);
        }
    }
}
