//! Call-hierarchy agreement with each language's own language server, on real code
//! fetched at test time (`tests/tools/symbol_truth.py`): pyright over requests and click
//! (PyPI), typescript-language-server over mobx's sources (npm), gopls in GOPATH mode
//! over Debian's spf13/pflag, and rust-analyzer over regex-syntax (crates.io; the server
//! is built by `.ci/install-test-tools` into `~/.cache/thread/rust-analyzer`). Fifty
//! functions and methods per language, half of them names defined three or more times,
//! prepared in both servers; incoming calls must agree to precision 0.90 and recall 0.80
//! (call sites as file and line). Outgoing calls and references are reported alongside.
//! The trees differ from those of the import-graph agreement tests.
//!
//! A missing server skips loudly; under `THREAD_CI=1` it fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

const PRECISION_BAR: f64 = 0.90;
const RECALL_BAR: f64 = 0.80;

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tools")
}

use support::skip_or_fail;

/// Runs the harness for `language`; `None` when `probe` shows its reference server (or
/// corpus) is missing.
#[allow(clippy::print_stderr)]
fn agreement(language: &str, probe: &mut Command, missing: &str) -> Option<serde_json::Value> {
    // One reference server at a time: three at once on two cores time each other out.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !probe.output().is_ok_and(|output| output.status.success()) {
        skip_or_fail(&format!("the {language} symbol agreement test needs {missing} (run .ci/install-test-tools)"));
        return None;
    }
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("symbol-corpora");
    let output = Command::new("python3")
        .arg(tools_dir().join("symbol_truth.py"))
        .arg(language)
        .arg(&cache)
        .arg(env!("CARGO_BIN_EXE_thread-lsp"))
        .arg("50")
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "symbol_truth.py {language} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the harness prints JSON");
    // The figures, where a person running the tests sees them.
    eprintln!(
        "{language}: {} functions ({} with repeated names); incoming {}; outgoing {}; references {}",
        report["sampled"], report["repeated_names"], report["incoming"], report["outgoing"], report["references"]
    );
    Some(report)
}

#[track_caller]
fn check(report: &serde_json::Value) {
    assert!(report["sampled"].as_u64().unwrap_or(0) >= 40, "at least 40 functions: {report}");
    assert!(report["repeated_names"].as_u64().unwrap_or(0) >= 10, "names defined 3+ times: {report}");
    let incoming = &report["incoming"];
    let precision = incoming["precision"].as_f64().unwrap_or(0.0);
    let recall = incoming["recall"].as_f64().unwrap_or(0.0);
    let disagreements: Vec<&serde_json::Value> = report["disagreements"]
        .as_array()
        .map(|all| all.iter().filter(|item| item["kind"] == "incoming").collect())
        .unwrap_or_default();
    assert!(
        precision >= PRECISION_BAR && recall >= RECALL_BAR,
        "incoming calls: precision {precision} (bar {PRECISION_BAR}), recall {recall} (bar {RECALL_BAR}); \
         disagreements: {disagreements:#?}"
    );
}

fn node_tool(name: &str) -> Command {
    let mut command = Command::new(tools_dir().join("node_modules/.bin").join(name));
    command.arg("--version");
    command
}

#[test]
fn python_incoming_calls_agree_with_pyright() {
    let missing = "pyright from tests/tools (npm ci) and pip";
    if let Some(report) = agreement("python", &mut node_tool("pyright"), missing) {
        check(&report);
    }
}

#[test]
fn typescript_incoming_calls_agree_with_tsserver() {
    let missing = "typescript-language-server from tests/tools (npm ci)";
    if let Some(report) = agreement("typescript", &mut node_tool("typescript-language-server"), missing) {
        check(&report);
    }
}

#[test]
fn go_incoming_calls_agree_with_gopls() {
    let mut probe = Command::new("test");
    probe.arg("-d").arg("/usr/share/gocode/src/github.com/spf13/pflag");
    let gopls_runs = Command::new("gopls").arg("version").output().is_ok_and(|output| output.status.success());
    if !gopls_runs {
        probe = Command::new("false");
    }
    let missing = "gopls and Debian's golang-github-spf13-pflag-dev";
    if let Some(report) = agreement("go", &mut probe, missing) {
        check(&report);
    }
}

#[test]
fn rust_incoming_calls_agree_with_rust_analyzer() {
    let binary = std::env::var_os("THREAD_RUST_ANALYZER").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".cache/thread/rust-analyzer/bin/rust-analyzer")
    });
    let mut probe = Command::new(binary);
    probe.arg("--version");
    let missing = "rust-analyzer in ~/.cache/thread/rust-analyzer (built by .ci/install-test-tools)";
    if let Some(report) = agreement("rust", &mut probe, missing) {
        check(&report);
    }
}
