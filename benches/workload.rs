//! The workload harness: what a user waits for and what the process costs, on generated
//! workspaces written to disk and indexed through the embedded SQLite store, the way
//! `thread-lsp index` runs.
//!
//! `cargo bench --bench workload -- [FILES...]` (default: 10000 50000). For each size
//! it writes a workspace to a temporary directory, then runs each measurement in a
//! fresh child process so peak memory (`VmHWM`) belongs to that measurement alone:
//!
//! - `cold`: index the tree into an empty host and save it to SQLite;
//! - `warm`: restore from SQLite and catch up with the unchanged tree (five runs; the
//!   median is reported).
//!
//! `THREAD_WORKLOAD_DIR=DIR` writes the trees under `DIR/<files>` and keeps them.

// The harness prints its results; that is its job.
#![allow(missing_docs, clippy::print_stdout)]

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use thread_flow::engine::store::{ChangeSet, restore};
use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_flow::engine::{Host, LoadOptions, RecocoFlow, index_into};
use thread_flow::storage::{SqliteStore, Store};

const WARM_RUNS: usize = 5;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).filter(|argument| argument != "--bench").collect();
    if arguments.first().map(String::as_str) == Some("--child") {
        child(&arguments[1..]);
        return;
    }
    let sizes: Vec<usize> = arguments.iter().filter_map(|argument| argument.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 50_000] } else { sizes };
    println!("| files | cold index | cold peak RSS | warm start (median of {WARM_RUNS}) | warm peak RSS |");
    println!("|---:|---:|---:|---:|---:|");
    for size in sizes {
        measure(size);
    }
}

fn measure(size: usize) {
    let temporary = tempfile::tempdir().expect("temp dir");
    // `THREAD_WORKLOAD_DIR` keeps the tree and its database for profiling a child by hand:
    // `workload --child warm $THREAD_WORKLOAD_DIR/10000 $THREAD_WORKLOAD_DIR/10000/.thread-bench.sqlite3`.
    let tree = match std::env::var_os("THREAD_WORKLOAD_DIR") {
        Some(dir) => Path::new(&dir).join(size.to_string()),
        None => temporary.path().to_path_buf(),
    };
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language: size / 4, ..SyntheticOptions::default() });
    workspace.write_to(&tree).expect("write the workspace");
    let database = tree.join(".thread-bench.sqlite3");
    let _ = std::fs::remove_file(&database);

    let cold = run_child("cold", &tree, &database);
    let mut warm: Vec<ChildResult> = (0..WARM_RUNS).map(|_| run_child("warm", &tree, &database)).collect();
    warm.sort_by(|a, b| a.millis.total_cmp(&b.millis));
    let median = &warm[WARM_RUNS / 2];
    let peak = warm.iter().map(|result| result.peak_kib).max().unwrap_or(0);
    println!(
        "| {} | {:.0} ms | {:.1} MiB | {:.0} ms | {:.1} MiB |",
        cold.files,
        cold.millis,
        cold.peak_kib as f64 / 1024.0,
        median.millis,
        peak as f64 / 1024.0
    );
}

struct ChildResult {
    files: usize,
    millis: f64,
    peak_kib: u64,
}

fn run_child(phase: &str, tree: &Path, database: &Path) -> ChildResult {
    let output = Command::new(std::env::current_exe().expect("own path"))
        .args(["--child", phase])
        .arg(tree)
        .arg(database)
        .output()
        .expect("run the child");
    assert!(output.status.success(), "child failed: {}", String::from_utf8_lossy(&output.stderr));
    let _ = std::io::stderr().write_all(&output.stderr);
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let field = |index: usize| fields.get(index).copied().unwrap_or("0");
    ChildResult {
        files: field(0).parse().unwrap_or(0),
        millis: field(1).parse().unwrap_or(f64::NAN),
        peak_kib: field(2).parse().unwrap_or(0),
    }
}

/// One measurement in this fresh process; prints `files millis peak_kib`.
fn child(arguments: &[String]) {
    let (phase, tree, database) = (&arguments[0], Path::new(&arguments[1]), Path::new(&arguments[2]));
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let started = Instant::now();
    let store = SqliteStore::open(database).expect("open SQLite");
    let mut host = Host::new(RecocoFlow::shared().expect("flow"));
    let mut phases = Vec::new();
    if phase == "warm" {
        let state = runtime.block_on(store.load_for_restore()).expect("load");
        phases.push(("load", started.elapsed()));
        restore(&mut host, state);
        phases.push(("restore", started.elapsed()));
    }
    let report = index_into(&mut host, tree, &LoadOptions::default()).expect("index");
    phases.push(("walk and index", started.elapsed()));
    if phase == "cold" {
        runtime.block_on(store.apply(&ChangeSet::everything(&host.snapshot(), &host))).expect("save");
    } else {
        assert!(report.changed.is_empty(), "the tree did not change, so nothing may be re-analysed");
    }
    phases.push(("save", started.elapsed()));
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    // Where the time went, cumulative, for whoever reads the harness's stderr.
    let breakdown: Vec<String> =
        phases.iter().map(|(name, at)| format!("{name} by {:.0} ms", at.as_secs_f64() * 1000.0)).collect();
    let _ = writeln!(std::io::stderr(), "{phase}: {}", breakdown.join(", "));
    println!("{} {millis:.1} {}", report.snapshot.len(), peak_rss_kib());
}

/// The process's peak resident set, from `/proc/self/status`.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}
