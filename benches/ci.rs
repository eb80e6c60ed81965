//! The CI commands against the single-language tools, on the same trees and rules:
//! `thread-lsp check` and `affected`, cold (an empty store) and warm (the store of the
//! previous run), against import-linter on sympy from PyPI, dependency-cruiser on rxjs
//! from npm, and alone on a generated workspace.
//!
//! ```sh
//! cargo build --release -p thread-lsp
//! cargo bench --bench ci                 # sympy, rxjs, and a 10,000-file generated workspace
//! cargo bench --bench ci -- 50000        # another size for the generated workspace
//! ```
//!
//! Every figure is the median of `RUNS` runs of a fresh process, wall clock; ratios are
//! taken within this one run. import-linter and dependency-cruiser come from
//! `.ci/install-test-tools`; a missing one is reported and its rows left out.

// The harness prints its results; that is its job.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};

const RUNS: usize = 5;

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).filter(|argument| argument != "--bench").collect();
    let size: usize = arguments.iter().find_map(|argument| argument.parse().ok()).unwrap_or(10_000);
    let binary = thread_binary();
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools");
    let corpora = tempfile::tempdir().expect("temp dir");

    println!(
        "| tree | command | Thread cold | Thread warm | other tool cold | other tool warm | cold ratio | warm ratio |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");

    match fetch(&tools, corpora.path(), "fetch_sdist", "sympy", "1.13.3") {
        Ok(root) => sympy(&binary, &root),
        Err(error) => eprintln!("sympy could not be fetched ({error}); its rows are left out"),
    }
    match fetch(&tools, corpora.path(), "fetch_npm", "rxjs", "7.8.2") {
        Ok(root) => rxjs(&binary, &tools, &root),
        Err(error) => eprintln!("rxjs could not be fetched ({error}); its rows are left out"),
    }
    generated(&binary, size);
}

fn thread_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let binary = target.join("release/thread-lsp");
    assert!(binary.exists(), "build it first: cargo build --release -p thread-lsp");
    binary
}

/// A corpus from the registries, through the test tools' fetchers.
fn fetch(tools: &Path, cache: &Path, fetcher: &str, name: &str, version: &str) -> Result<PathBuf, String> {
    let output = Command::new("python3")
        .current_dir(tools)
        .args(["-c", &format!("import sys; from ground_truth import {fetcher}; print({fetcher}(*sys.argv[1:]))")])
        .arg(cache)
        .args([name, version])
        .output()
        .map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

/// The median wall time of `RUNS` runs of `command`, after `before_each` ran.
fn median(mut command: impl FnMut() -> Command, mut before_each: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            before_each();
            let started = Instant::now();
            let output = command().output().expect("the command runs");
            let elapsed = started.elapsed();
            // check exits 1 when it finds violations, dependency-cruiser with their number;
            // a run that printed an error is broken.
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.code().is_some() && !stderr.contains("ERROR") && !stderr.starts_with("error"),
                "{stderr}"
            );
            elapsed
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn seconds(duration: Duration) -> String {
    format!("{:.3} s", duration.as_secs_f64())
}

fn ratio(theirs: Option<Duration>, ours: Duration) -> String {
    theirs.map_or("–".to_owned(), |theirs| format!("{:.1}×", theirs.as_secs_f64() / ours.as_secs_f64()))
}

/// Thread's command cold (a fresh cache directory each run) and warm (the cache of a
/// first run).
fn thread_cold_and_warm(binary: &Path, root: &Path, arguments: &[&str]) -> (Duration, Duration) {
    let cache = tempfile::tempdir().expect("cache dir");
    let cold = median(
        || {
            let mut command = Command::new(binary);
            command.args(arguments).arg(root).env("THREAD_CACHE_DIR", cache.path());
            command
        },
        || {
            let _ = std::fs::remove_dir_all(cache.path());
            std::fs::create_dir_all(cache.path()).expect("cache dir");
        },
    );
    let warm = median(
        || {
            let mut command = Command::new(binary);
            command.args(arguments).arg(root).env("THREAD_CACHE_DIR", cache.path());
            command
        },
        || {},
    );
    (cold, warm)
}

fn row(tree: &str, command: &str, ours: (Duration, Duration), theirs: Option<(Duration, Duration)>) {
    let (their_cold, their_warm) = (theirs.map(|pair| pair.0), theirs.map(|pair| pair.1));
    println!(
        "| {tree} | {command} | {} | {} | {} | {} | {} | {} |",
        seconds(ours.0),
        seconds(ours.1),
        their_cold.map_or("–".to_owned(), seconds),
        their_warm.map_or("–".to_owned(), seconds),
        ratio(their_cold, ours.0),
        ratio(their_warm, ours.1)
    );
}

// (import-linter module, Thread glob) per group, for the same contracts in both tools.
const SYMPY_LAYERS: [&str; 3] = ["sympy.plotting", "sympy.solvers", "sympy.core"];
const SYMPY_FORBIDDEN: (&str, &str) = ("sympy.core", "sympy.polys");
const SYMPY_INDEPENDENT: [&str; 3] = ["sympy.physics", "sympy.stats", "sympy.combinatorics"];

fn glob(module: &str) -> String {
    format!("\"{}/**\"", module.replace('.', "/"))
}

fn sympy(binary: &Path, root: &Path) {
    let layers: Vec<String> = SYMPY_LAYERS.iter().map(|module| glob(module)).collect();
    let independent: Vec<String> = SYMPY_INDEPENDENT.iter().map(|module| glob(module)).collect();
    let rules = format!(
        "[[rules]]\nname = \"layers\"\nkind = \"layers\"\nlayers = [{}]\n\n\
         [[rules]]\nname = \"core never reaches polys\"\nkind = \"forbidden\"\nfrom = {}\nto = {}\n\n\
         [[rules]]\nname = \"independent\"\nkind = \"independence\"\nmodules = [{}]\n",
        layers.join(", "),
        glob(SYMPY_FORBIDDEN.0),
        glob(SYMPY_FORBIDDEN.1),
        independent.join(", ")
    );
    std::fs::write(root.join("thread.toml"), rules).expect("thread.toml");
    let importlinter = format!(
        "[importlinter]\nroot_package = sympy\n\n\
         [importlinter:contract:layers]\nname = layers\ntype = layers\nlayers =\n    {}\n\n\
         [importlinter:contract:forbidden]\nname = core never reaches polys\ntype = forbidden\nsource_modules =\n    {}\nforbidden_modules =\n    {}\n\n\
         [importlinter:contract:independence]\nname = independent\ntype = independence\nmodules =\n    {}\n",
        SYMPY_LAYERS.join("\n    "),
        SYMPY_FORBIDDEN.0,
        SYMPY_FORBIDDEN.1,
        SYMPY_INDEPENDENT.join("\n    ")
    );
    std::fs::write(root.join(".importlinter"), importlinter).expect(".importlinter");

    let ours = thread_cold_and_warm(binary, root, &["check", "--format", "json"]);
    let theirs =
        Command::new("lint-imports").arg("--help").output().is_ok_and(|output| output.status.success()).then(|| {
            let lint = |cache: bool| {
                move || {
                    let mut command = Command::new("lint-imports");
                    command.current_dir(root).env("PYTHONPATH", root).args(["--config", ".importlinter"]);
                    if !cache {
                        command.arg("--no-cache");
                    }
                    command
                }
            };
            let cache = root.join(".import_linter_cache");
            let cold = median(lint(false), || {
                let _ = std::fs::remove_dir_all(&cache);
            });
            let warm = median(lint(true), || {});
            (cold, warm)
        });
    if theirs.is_none() {
        eprintln!("lint-imports is not installed; the import-linter column is left out");
    }
    row("sympy 1.13.3 (PyPI)", "check vs lint-imports", ours, theirs);
    let affected =
        thread_cold_and_warm(binary, root, &["affected", "--files", "sympy/core/basic.py", "--format", "json"]);
    row("sympy 1.13.3 (PyPI)", "affected sympy/core/basic.py", affected, None);
}

const RXJS_RULES: [(&str, &[&str]); 5] = [
    ("operators", &["observable"]),
    ("util", &["operators", "observable", "scheduler", "testing"]),
    ("scheduler", &["util"]),
    ("observable", &["scheduler"]),
    ("testing", &["scheduler", "observable"]),
];

fn rxjs(binary: &Path, tools: &Path, root: &Path) {
    let mut rules = String::new();
    let mut forbidden = Vec::new();
    for (index, (from, to)) in RXJS_RULES.iter().enumerate() {
        let globs: Vec<String> = to.iter().map(|target| format!("\"src/internal/{target}/**\"")).collect();
        rules.push_str(&format!(
            "[[rules]]\nname = \"rule {index}\"\nkind = \"forbidden\"\nindirect = false\nfrom = \"src/internal/{from}/**\"\nto = [{}]\n\n",
            globs.join(", ")
        ));
        forbidden.push(serde_json::json!({
            "name": format!("rule-{index}"),
            "severity": "error",
            "from": {"path": format!("^src/internal/{from}/")},
            "to": {"path": format!("^src/internal/({})/", to.join("|"))},
        }));
    }
    std::fs::write(root.join("thread.toml"), rules).expect("thread.toml");
    let config = serde_json::json!({
        "forbidden": forbidden,
        "options": {"doNotFollow": {"path": "node_modules"}, "tsPreCompilationDeps": true, "tsConfig": {"fileName": "tsconfig.json"}},
    });
    std::fs::write(root.join(".dependency-cruiser.json"), config.to_string()).expect("config");

    let ours = thread_cold_and_warm(binary, root, &["check", "--format", "json"]);
    // dependency-cruiser's cache keys on git's view of the tree.
    for arguments in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["-c", "user.name=b", "-c", "user.email=b@example.invalid", "commit", "-qm", "rxjs"],
    ] {
        let _ = Command::new("git").current_dir(root).args(arguments).status();
    }
    let depcruise = tools.join("node_modules/.bin/depcruise");
    let theirs = depcruise.exists().then(|| {
        let cache = root.join(".depcruise-cache");
        let cruise = |cached: bool| {
            let depcruise = depcruise.clone();
            let cache = cache.clone();
            move || {
                let mut command = Command::new(&depcruise);
                command.current_dir(root).args(["src", "--config", ".dependency-cruiser.json", "--output-type", "err"]);
                if cached {
                    command.arg("--cache").arg(&cache);
                }
                command
            }
        };
        let cold = median(cruise(false), || {});
        let warm = median(cruise(true), || {});
        (cold, warm)
    });
    if theirs.is_none() {
        eprintln!("dependency-cruiser is not installed; its column is left out");
    }
    row("rxjs 7.8.2 (npm)", "check vs depcruise", ours, theirs);
    let affected =
        thread_cold_and_warm(binary, root, &["affected", "--files", "src/internal/Observable.ts", "--format", "json"]);
    row("rxjs 7.8.2 (npm)", "affected src/internal/Observable.ts", affected, None);
}

fn generated(binary: &Path, size: usize) {
    let tree = tempfile::tempdir().expect("temp dir");
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language: size / 4, ..SyntheticOptions::default() });
    workspace.write_to(tree.path()).expect("write the workspace");
    let rules = "[[rules]]\nname = \"python layers\"\nkind = \"layers\"\nlayers = [\"py/src/genpy/g[5-9]*/**\", \"py/src/genpy/g[0-4]*/**\"]\n\n\
        [[rules]]\nname = \"ts forbidden\"\nkind = \"forbidden\"\nfrom = \"ts/src/g1*/**\"\nto = \"ts/src/g2*/**\"\n\n\
        [[rules]]\nname = \"rust independence\"\nkind = \"independence\"\nmodules = [\"rs/src/g1/**\", \"rs/src/g2/**\", \"rs/src/g3/**\"]\n\n\
        [[rules]]\nname = \"go acyclic\"\nkind = \"acyclic\"\npaths = \"go/**\"\n";
    std::fs::write(tree.path().join("thread.toml"), rules).expect("thread.toml");
    let label = format!("generated, {size} files");
    let ours = thread_cold_and_warm(binary, tree.path(), &["check", "--format", "json"]);
    row(&label, "check", ours, None);
    // The most imported Python file: the worst case for `affected`.
    let mut importers: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (_, to, _) in &workspace.edges {
        *importers.entry(to.as_str()).or_default() += 1;
    }
    let first = importers
        .iter()
        .filter(|(path, _)| path.ends_with(".py"))
        .max_by_key(|(_, count)| **count)
        .map(|(path, _)| (*path).to_owned())
        .unwrap_or_default();
    let affected = thread_cold_and_warm(binary, tree.path(), &["affected", "--files", &first, "--format", "json"]);
    row(&label, &format!("affected {first}"), affected, None);
}
