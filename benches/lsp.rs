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
//! - `didChange` → `publishDiagnostics` latency for the edited file (a body edit that
//!   makes a text not seen before, as typing does), p50
//!   and p95 over 200 edits, each sent after the previous one's diagnostics arrived;
//! - `didChange` → `publishDiagnostics` latency of a dependent's `broken-import` (an
//!   edit removes a name another, unopened file imports) and of its clearing;
//! - the server's peak RSS (`VmHWM`);
//! - on the generated workspace, `prepareCallHierarchy` + `incomingCalls` of a method
//!   whose name is defined in every Python file (thousands of definitions).
//!
//! Then, on a real project fetched from PyPI at bench time (sympy's sdist, about 1,500
//! files; `THREAD_BENCH_SDIST=name==version` picks another), the central file, the
//! largest of those imported by 100 or more files, is opened and edited:
//!
//! - a line added at the top, 200 times (every definition moves each time);
//! - a signature edit: a parameter added to a top-level function, then renamed 199 times;
//! - a rename of a function another file imports by name, until that file's
//!   `broken-import` arrives, and back until it clears;
//!
//! each `didChange` → `publishDiagnostics` of the edited file (or the dependent), p50 and p95.
//!
//! Last, large files of real projects in each language, fetched at bench time from the
//! registries (PyPI, npm, crates.io, Debian), and one file over 1 MB: each is opened in
//! its project and edited 200 times, alternately adding a line at the top (a text never
//! seen before) and removing it (the text before, which the facts' memo may answer);
//! `didChange` → `publishDiagnostics` of that version, p50 and p95 of each kind.
//! `cargo bench --bench lsp -- large [PATH_PART]` runs only this part (only the files
//! whose path contains `PATH_PART`).
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
    if arguments.first().is_some_and(|argument| argument == "large") {
        large_files(arguments.get(1).map_or("", String::as_str));
        return;
    }
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
    incoming_calls_of_a_common_name(generated.path());

    if Path::new(&real).is_dir() {
        let copy = tempfile::tempdir().expect("temp dir");
        copy_tree(Path::new(&real), copy.path());
        measure(&format!("real: {real}"), copy.path());
    } else {
        eprintln!("{real} is not a directory; the real-tree run is left out");
    }

    let sdist = std::env::var("THREAD_BENCH_SDIST").unwrap_or_else(|_| "sympy==1.13.3".to_owned());
    match fetch_sdist(&sdist) {
        Ok((_dir, root)) => central_file_edits(&sdist, &root),
        Err(error) => eprintln!("{sdist} could not be fetched ({error}); the central-file run is left out"),
    }
    large_files("");
}

/// Where a large file's project comes from.
enum Source {
    /// A PyPI sdist, `name==version`.
    Sdist(&'static str),
    /// An npm package, `name@version`.
    Npm(&'static str),
    /// A crates.io crate: name, version.
    Crate(&'static str, &'static str),
    /// A Debian package of Go sources, and the module's directory in it.
    DebianGo(&'static str, &'static str),
}

/// A large file of a real project, and how to edit it.
struct LargeFile {
    source: Source,
    /// Workspace-relative.
    path: &'static str,
    language: &'static str,
    comment: &'static str,
}

const LARGE_FILES: &[LargeFile] = &[
    LargeFile {
        source: Source::Sdist("sympy==1.13.3"),
        path: "sympy/polys/polytools.py",
        language: "python",
        comment: "#",
    },
    LargeFile {
        source: Source::Crate("regex-automata", "0.4.8"),
        path: "src/hybrid/dfa.rs",
        language: "rust",
        comment: "//",
    },
    LargeFile {
        source: Source::Npm("effect@3.10.0"),
        path: "src/internal/fiberRuntime.ts",
        language: "typescript",
        comment: "//",
    },
    LargeFile {
        source: Source::DebianGo("golang-golang-x-net-dev", "usr/share/gocode/src/golang.org/x/net"),
        path: "http2/server.go",
        language: "go",
        comment: "//",
    },
    // Over 1 MB: the DOM's declarations.
    LargeFile {
        source: Source::Npm("typescript@5.6.3"),
        path: "lib/lib.dom.d.ts",
        language: "typescript",
        comment: "//",
    },
];

/// Every large file whose path contains `only`: fetched, opened in its project, edited.
fn large_files(only: &str) {
    println!();
    println!("| file | project | size | files | indexed | add a line p50 / p95 | remove it p50 / p95 | peak RSS |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for large in LARGE_FILES.iter().filter(|large| large.path.contains(only)) {
        match fetch(&large.source) {
            Ok((_dir, root, label)) => large_file_edits(large, &label, &root),
            Err(error) => eprintln!("{} could not be fetched ({error}); left out", large.path),
        }
    }
}

/// Opens `large` in `root` and edits it: a line added at the top, then removed, 100
/// times each.
fn large_file_edits(large: &LargeFile, label: &str, root: &Path) {
    let Ok(text) = std::fs::read_to_string(root.join(large.path)) else {
        eprintln!("{label} has no {}; left out", large.path);
        return;
    };
    let started = Instant::now();
    let mut client =
        Client::launch(root, json!({ "window": { "workDoneProgress": true } }), json!({ "store": "memory" }));
    client.wait_for(|message| message["method"] == "$/progress" && message["params"]["value"]["kind"] == "end");
    let indexed = started.elapsed();
    let files = client.request("thread/stats", Value::Null)["result"]["files"].as_u64().unwrap_or(0);
    client.open(large.path, large.language, &text);
    client.diagnostics_for(large.path, |_| true);
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut version = 0;
    for round in 0..EDITS / 2 {
        version += 1;
        added.push(timed_edit(
            &mut client,
            large.path,
            version,
            [0, 0, 0, 0],
            &format!("{} thread bench {round}\n", large.comment),
            large.path,
            |params| params["version"] == version,
        ));
        version += 1;
        removed.push(timed_edit(&mut client, large.path, version, [0, 0, 1, 0], "", large.path, |params| {
            params["version"] == version
        }));
        client.seen.clear();
    }
    let rss = peak_rss_mib(client.pid());
    client.shutdown();
    println!(
        "| `{}` | {label} | {} KB | {files} | {} | {} | {} | {rss:.1} MiB |",
        large.path,
        text.len() / 1024,
        seconds(indexed),
        p50_p95(added),
        p50_p95(removed),
    );
}

/// Downloads and unpacks `source`; the temporary directory, the project's root in it,
/// and a label.
fn fetch(source: &Source) -> Result<(tempfile::TempDir, std::path::PathBuf, String), String> {
    match source {
        Source::Sdist(spec) => {
            let (dir, root) = fetch_sdist(spec)?;
            Ok((dir, root, format!("{spec} (PyPI)")))
        }
        Source::Npm(spec) => {
            let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
            run(std::process::Command::new("npm").args(["pack", "--silent", spec]).current_dir(dir.path()))?;
            let archive = only_file(dir.path(), ".tgz")?;
            run(std::process::Command::new("tar").arg("xzf").arg(&archive).arg("-C").arg(dir.path()))?;
            let root = dir.path().join("package");
            Ok((dir, root, format!("{spec} (npm)")))
        }
        Source::Crate(name, version) => {
            let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
            let archive = dir.path().join("crate.tar.gz");
            let url = format!("https://static.crates.io/crates/{name}/{name}-{version}.crate");
            run(std::process::Command::new("curl").args(["-sSfL", "-o"]).arg(&archive).arg(url))?;
            run(std::process::Command::new("tar").arg("xzf").arg(&archive).arg("-C").arg(dir.path()))?;
            let root = dir.path().join(format!("{name}-{version}"));
            Ok((dir, root, format!("{name} {version} (crates.io)")))
        }
        Source::DebianGo(package, module) => {
            let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
            run(std::process::Command::new("apt-get").args(["download", "-q", package]).current_dir(dir.path()))?;
            let archive = only_file(dir.path(), ".deb")?;
            let unpacked = dir.path().join("unpacked");
            run(std::process::Command::new("dpkg-deb").arg("-x").arg(&archive).arg(&unpacked))?;
            let root = unpacked.join(module);
            Ok((dir, root, format!("{package} (Debian)")))
        }
    }
}

/// `prepareCallHierarchy` + `incomingCalls` of `Model0_0.run`, whose name every Python
/// file of the generated workspace defines.
fn incoming_calls_of_a_common_name(root: &Path) {
    let mut client =
        Client::launch(root, json!({ "window": { "workDoneProgress": true } }), json!({ "store": "memory" }));
    client.wait_for(|message| message["method"] == "$/progress" && message["params"]["value"]["kind"] == "end");
    let path = "py/src/genpy/g0/m0.py";
    let text = std::fs::read_to_string(root.join(path)).expect("the generated file");
    let line = text.lines().position(|line| line.trim_start().starts_with("def run(")).expect("a run method");
    let character = text.lines().nth(line).map_or(0, |line| line.find("run").unwrap_or(0));
    let definitions = text_count(root, "def run(");
    let mut samples = Vec::new();
    let mut callers = 0;
    for _ in 0..50 {
        let sent = Instant::now();
        let prepared = client.request(
            "textDocument/prepareCallHierarchy",
            json!({ "textDocument": { "uri": client.uri(path) }, "position": { "line": line, "character": character } }),
        );
        let incoming = client.request("callHierarchy/incomingCalls", json!({ "item": prepared["result"][0] }));
        samples.push(sent.elapsed());
        callers = incoming["result"].as_array().map_or(0, Vec::len);
    }
    client.shutdown();
    println!();
    println!(
        "incoming calls of `run` ({definitions} definitions of that name, {callers} callers): {}",
        p50_p95(samples)
    );
}

fn text_count(root: &Path, needle: &str) -> usize {
    ignore::WalkBuilder::new(root)
        .build()
        .flatten()
        .filter(|entry| entry.path().extension().is_some_and(|extension| extension == "py"))
        .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default().matches(needle).count())
        .sum()
}

/// Downloads and unpacks a PyPI sdist; returns the temporary directory and the tree.
fn fetch_sdist(spec: &str) -> Result<(tempfile::TempDir, std::path::PathBuf), String> {
    let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
    run(std::process::Command::new("python3")
        .args(["-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", "--disable-pip-version-check"])
        .arg(spec)
        .arg("-d")
        .arg(dir.path()))?;
    let archive = only_file(dir.path(), ".tar.gz")?;
    run(std::process::Command::new("tar").arg("xzf").arg(&archive).arg("-C").arg(dir.path()))?;
    let stem = archive.file_name().map(|name| name.to_string_lossy().trim_end_matches(".tar.gz").to_owned());
    let root = dir.path().join(stem.unwrap_or_default());
    Ok((dir, root))
}

/// Runs `command`; its error output, when it fails.
fn run(command: &mut std::process::Command) -> Result<(), String> {
    let output = command.output().map_err(|error| format!("{command:?}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{command:?}: {}", String::from_utf8_lossy(&output.stderr).trim()))
    }
}

/// The file in `dir` whose name ends with `suffix` (what a download left there).
fn only_file(dir: &Path, suffix: &str) -> Result<std::path::PathBuf, String> {
    std::fs::read_dir(dir)
        .map_err(|error| error.to_string())?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.to_string_lossy().ends_with(suffix))
        .ok_or_else(|| format!("nothing ending in {suffix} was downloaded"))
}

/// Edits in the largest file that 100 or more files import, in a real project.
fn central_file_edits(label: &str, root: &Path) {
    let started = Instant::now();
    let mut client =
        Client::launch(root, json!({ "window": { "workDoneProgress": true } }), json!({ "store": "memory" }));
    client.wait_for(|message| message["method"] == "$/progress" && message["params"]["value"]["kind"] == "end");
    let indexed = started.elapsed();
    let graph = client.request("thread/dependencyGraph", Value::Null);
    let mut importers: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for edge in graph["result"]["edges"].as_array().into_iter().flatten() {
        let (Some(from), Some(to)) = (edge["from"].as_str(), edge["to"].as_str()) else { continue };
        importers.entry(to.to_owned()).or_default().insert(from.to_owned());
    }
    let size = |path: &str| std::fs::metadata(root.join(path)).map_or(0, |metadata| metadata.len());
    let Some((central, users)) = importers
        .iter()
        .filter(|(path, users)| path.ends_with(".py") && users.len() >= 100)
        .max_by_key(|(path, _)| size(path))
    else {
        eprintln!("{label}: no file is imported by 100 or more files; the central-file run is left out");
        return;
    };
    let text = std::fs::read_to_string(root.join(central)).expect("the central file");
    let module = central.trim_end_matches(".py").trim_end_matches("/__init__").replace('/', ".");
    // A top-level function some importer takes by name: its rename breaks that importer.
    let imported_by = |name: &str| -> Option<String> {
        users
            .iter()
            .find(|user| {
                let user_text = std::fs::read_to_string(root.join(user)).unwrap_or_default();
                user_text.lines().any(|line| {
                    line.starts_with(&format!("from {module} import"))
                        && line.split(['(', ')', ',', ' ']).any(|word| word == name)
                })
            })
            .cloned()
    };
    let lines: Vec<&str> = text.lines().collect();
    let Some((def_line, name, dependent)) = lines.iter().enumerate().find_map(|(index, line)| {
        let name = line.strip_prefix("def ")?.split('(').next()?.to_owned();
        let dependent = imported_by(&name)?;
        Some((index, name, dependent))
    }) else {
        eprintln!("{label}: no function of {central} is imported by name; the central-file run is left out");
        return;
    };
    client.open(central, "python", &text);
    client.diagnostics_for(central, |_| true);

    // Every edit makes a text the server has not seen, as typing does: none is answered
    // from the facts' memo.
    let mut version = 0;
    let mut top_line = Vec::new();
    for round in 0..EDITS {
        version += 1;
        top_line.push(timed_edit(
            &mut client,
            central,
            version,
            [0, 0, 0, 0],
            &format!("# thread bench {round}\n"),
            central,
            |params| params["version"] == version,
        ));
    }
    let def_line = def_line as u32 + EDITS as u32;

    let open_paren = lines[def_line as usize - EDITS].find('(').expect("a parameter list") as u32 + 1;
    let mut signature = Vec::new();
    let mut parameter = String::new();
    for round in 0..EDITS {
        version += 1;
        let written = format!("thread_bench_{round}=None, ");
        let end = open_paren + parameter.len() as u32;
        signature.push(timed_edit(
            &mut client,
            central,
            version,
            [def_line, open_paren, def_line, end],
            &written,
            central,
            |params| params["version"] == version,
        ));
        parameter = written;
        client.seen.clear();
    }
    version += 1;
    let end = open_paren + parameter.len() as u32;
    client.edit(central, version, [def_line, open_paren, def_line, end], "");
    client.diagnostics_for(central, |params| params["version"] == version);

    let name_start = "def ".len() as u32;
    let name_end = name_start + name.len() as u32;
    let renamed = format!("{name}_renamed");
    let mut broken = Vec::new();
    let mut cleared = Vec::new();
    for _ in 0..EDITS / 10 {
        version += 1;
        broken.push(timed_edit(
            &mut client,
            central,
            version,
            [def_line, name_start, def_line, name_end],
            &renamed,
            &dependent,
            |params| names_broken(params, &name),
        ));
        version += 1;
        cleared.push(timed_edit(
            &mut client,
            central,
            version,
            [def_line, name_start, def_line, name_start + renamed.len() as u32],
            &name,
            &dependent,
            |params| !names_broken(params, &name),
        ));
        client.seen.clear();
    }
    let rss = peak_rss_mib(client.pid());
    client.shutdown();
    println!();
    println!(
        "| real project | central file | size | importers | indexed | line at top p50 / p95 | signature edit p50 / p95 | dependent broken p50 / p95 | dependent cleared p50 / p95 | peak RSS |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {label} | {central} (`{name}`, imported by {dependent}) | {} KB | {} | {} | {} | {} | {} | {} | {rss:.1} MiB |",
        size(central) / 1024,
        users.len(),
        seconds(indexed),
        p50_p95(top_line),
        p50_p95(signature),
        p50_p95(broken),
        p50_p95(cleared),
    );
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
    let mut returned = "1".to_owned();
    for round in 0..EDITS {
        version += 1;
        // A body edit: the number returned by `kept` changes; nothing else does. Every
        // text is new, as when typing, so no edit is answered from the facts' memo.
        let number = (round + 2).to_string();
        let range = [1, 11, 1, 11 + returned.len() as u32];
        edited.push(timed_edit(&mut client, EDITED, version, range, &number, EDITED, |params| {
            params["version"] == version
        }));
        returned = number;
    }

    let mut broken = Vec::new();
    let mut cleared = Vec::new();
    for _ in 0..EDITS / 2 {
        version += 1;
        broken.push(timed_edit(&mut client, EDITED, version, [4, 4, 4, 10], "renamed", DEPENDENT, |params| {
            codes(params).iter().any(|code| code == "broken-import")
        }));
        version += 1;
        cleared.push(timed_edit(&mut client, EDITED, version, [4, 4, 4, 11], "target", DEPENDENT, |params| {
            codes(params).is_empty()
        }));
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

/// Sends one edit of `path` and times it until the diagnostics published for `watched`
/// satisfy `arrived`.
fn timed_edit(
    client: &mut Client,
    path: &str,
    version: i64,
    range: [u32; 4],
    text: &str,
    watched: &str,
    arrived: impl Fn(&Value) -> bool,
) -> Duration {
    let sent = Instant::now();
    client.edit(path, version, range, text);
    client.diagnostics_for(watched, arrived);
    sent.elapsed()
}

/// Whether `params` carry a `broken-import` naming `name` (real files may have others).
fn names_broken(params: &Value, name: &str) -> bool {
    let quoted = format!("`{name}`");
    params["diagnostics"].as_array().into_iter().flatten().any(|diagnostic| {
        diagnostic["code"] == "broken-import"
            && diagnostic["message"].as_str().is_some_and(|text| text.contains(&quoted))
    })
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
