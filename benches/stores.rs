//! The store harness: what each store costs on the paths Thread uses, as latency
//! distributions (p50 and p95, which criterion does not report) measured in one run so
//! the stores can be compared.
//!
//! `cargo bench --bench stores -- [BULK_FILES] [EDGES_PER_FILE]` (default: 100000 10).
//!
//! - `update`: one file's change set (the file and everything that belongs to it), as
//!   after an edit, applied to a store holding a 2,000-file workspace; for D1 also the
//!   HTTP requests per change set.
//! - `dependents`: the reverse-dependency lookup, for files chosen at random.
//! - `bulk`: one change set of BULK_FILES files with EDGES_PER_FILE edges each into an
//!   empty store (median of three).
//!
//! `THREAD_BENCH_STORES=sqlite,d1` measures only the named stores (`memory`, `sqlite`,
//! `postgres`, `d1`).
//!
//! Stores: SQLite in a temporary directory; PostgreSQL on a throwaway loopback cluster
//! (or `THREAD_TEST_DATABASE_URL`); D1 through the emulator over loopback HTTP, its
//! databases in files; memory for reference.

// The harness prints its results; that is its job.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use thread_d1_emulator::{EmulatorOptions, RunningEmulator};
use thread_flow::engine::store::{ChangeSet, StoredEdge, StoredFile};
use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_flow::engine::{DirectExtraction, FileChange, FileStat, Fingerprint, Host};
use thread_flow::extractors::ImportKind;
use thread_flow::storage::{D1Config, D1Store, MemoryStore, PostgresStore, SqliteStore, Store};

#[path = "../tests/postgres_server.rs"]
#[allow(dead_code, unreachable_pub)]
mod postgres_server;

/// What the PostgreSQL harness calls when no server can run.
fn skip_or_fail(message: &str) {
    eprintln!("\n!!! PostgreSQL is left out: {message}\n");
}

const UPDATES: usize = 400;
const LOOKUPS: usize = 2000;
const BULK_RUNS: usize = 3;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
    })
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

/// A store to measure, and the emulator behind it when it is D1.
struct Subject {
    name: &'static str,
    store: Box<dyn Store>,
    emulator: Option<Arc<RunningEmulator>>,
}

/// Fresh, empty stores of every kind. `dir` holds SQLite's and the emulator's files.
fn subjects(dir: &std::path::Path, label: &str, emulator: &Arc<RunningEmulator>) -> Vec<Subject> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let unique = format!("{label}-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let mut subjects = vec![
        Subject { name: "memory", store: Box::new(MemoryStore::default()), emulator: None },
        Subject {
            name: "sqlite",
            store: Box::new(SqliteStore::open(&dir.join(format!("{unique}.sqlite3"))).expect("open SQLite")),
            emulator: None,
        },
    ];
    if let Some(url) = postgres_server::database_url() {
        let store = block_on(PostgresStore::connect(&url, &unique)).expect("connect to PostgreSQL");
        subjects.push(Subject { name: "postgres", store: Box::new(store), emulator: None });
    }
    let config = D1Config { api_base: emulator.api_base(), ..D1Config::new("bench", &unique, "bench-token") };
    let store = block_on(D1Store::connect(config)).expect("connect to the D1 emulator");
    subjects.push(Subject { name: "d1 emulator", store: Box::new(store), emulator: Some(Arc::clone(emulator)) });
    let wanted = std::env::var("THREAD_BENCH_STORES").unwrap_or_default();
    subjects.retain(|subject| {
        wanted.is_empty() || wanted.split(',').any(|name| subject.name.split(' ').next() == Some(name.trim()))
    });
    subjects
}

fn main() {
    let arguments: Vec<usize> =
        std::env::args().skip(1).filter(|argument| argument != "--bench").filter_map(|a| a.parse().ok()).collect();
    let bulk_files = arguments.first().copied().unwrap_or(100_000);
    let edges_per_file = arguments.get(1).copied().unwrap_or(10);
    let dir = tempfile::tempdir().expect("temp dir");
    let options = EmulatorOptions {
        token: Some("bench-token".to_owned()),
        data_dir: Some(dir.path().join("d1")),
        ..EmulatorOptions::default()
    };
    let emulator = Arc::new(
        block_on(thread_d1_emulator::start(options, "127.0.0.1:0".parse().expect("address"))).expect("emulator"),
    );

    println!("## Per-file update transaction ({UPDATES} change sets, 2,000-file workspace)\n");
    println!("| store | p50 | p95 | max | requests per change set |");
    println!("|---|---:|---:|---:|---:|");
    let (host, edits) = workspace_and_edits();
    let everything = ChangeSet::everything(&host.snapshot(), &host);
    let mut lookups_table = Vec::new();
    for subject in subjects(dir.path(), "update", &emulator) {
        block_on(subject.store.apply(&everything)).expect("initial save");
        let requests_before = subject.emulator.as_ref().map(|emulator| emulator.requests());
        let samples: Vec<Duration> = edits
            .iter()
            .cycle()
            .take(UPDATES)
            .map(|change_set| {
                let started = Instant::now();
                block_on(subject.store.apply(change_set)).expect("apply");
                started.elapsed()
            })
            .collect();
        let requests = match (&subject.emulator, requests_before) {
            (Some(emulator), Some(before)) => format!("{:.2}", (emulator.requests() - before) as f64 / UPDATES as f64),
            _ => "—".to_owned(),
        };
        let (p50, p95, max) = percentiles(samples);
        println!("| {} | {} | {} | {} | {requests} |", subject.name, ms(p50), ms(p95), ms(max));

        let paths: Vec<&str> = everything.upserts.iter().map(|file| file.path.as_str()).collect();
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let samples: Vec<Duration> = (0..LOOKUPS)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let path = paths[(state % paths.len() as u64) as usize];
                let started = Instant::now();
                block_on(subject.store.dependents(path)).expect("dependents");
                started.elapsed()
            })
            .collect();
        let (p50, p95, max) = percentiles(samples);
        lookups_table.push(format!("| {} | {} | {} | {} |", subject.name, ms(p50), ms(p95), ms(max)));
    }

    println!("\n## Reverse-dependency lookup ({LOOKUPS} lookups of random files)\n");
    println!("| store | p50 | p95 | max |");
    println!("|---|---:|---:|---:|");
    for row in lookups_table {
        println!("{row}");
    }

    let bulk = bulk_change_set(&host, bulk_files, edges_per_file);
    let edges: usize = bulk.upserts.iter().map(|file| file.edges.len()).sum();
    let definitions: usize = bulk.upserts.iter().map(|file| file.facts.definitions.len()).sum();
    let calls: usize = bulk.upserts.iter().map(|file| file.facts.calls.len()).sum();
    println!(
        "\n## Bulk load: {} files, {} edges, {} definitions, {} calls in one change set (median of {BULK_RUNS})\n",
        bulk.upserts.len(),
        edges,
        definitions,
        calls
    );
    println!("| store | median | runs |");
    println!("|---|---:|---|");
    let mut runs: Vec<(&'static str, Vec<Duration>)> = Vec::new();
    for run in 0..BULK_RUNS {
        for subject in subjects(dir.path(), &format!("bulk{run}"), &emulator) {
            let started = Instant::now();
            block_on(subject.store.apply(&bulk)).expect("bulk apply");
            let elapsed = started.elapsed();
            match runs.iter_mut().find(|(name, _)| *name == subject.name) {
                Some((_, durations)) => durations.push(elapsed),
                None => runs.push((subject.name, vec![elapsed])),
            }
        }
    }
    for (name, mut durations) in runs {
        durations.sort();
        let all: Vec<String> = durations.iter().map(|duration| format!("{:.2} s", duration.as_secs_f64())).collect();
        println!("| {name} | {:.2} s | {} |", durations[durations.len() / 2].as_secs_f64(), all.join(", "));
    }
}

/// A 2,000-file workspace and two change sets that alternate one file's body, as an
/// editor's saves would.
fn workspace_and_edits() -> (Host, Vec<ChangeSet>) {
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language: 500, ..SyntheticOptions::default() });
    let mut host = Host::new(Arc::new(DirectExtraction));
    host.apply(
        workspace.files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_bytes().to_vec())).collect(),
    );
    let (path, text) = workspace.files.iter().find(|(path, _)| path.ends_with(".py")).expect("a Python file");
    let edits = [format!("{text}\n# edited\n"), text.clone()]
        .into_iter()
        .map(|version| {
            let report = host.apply(vec![FileChange::write(path.as_str(), version.into_bytes())]);
            ChangeSet::from_report(&host.snapshot(), &report, &host)
        })
        .collect();
    (host, edits)
}

/// `files` files, each with the facts of a real file from the workspace and
/// `edges_per_file` edges to other files of the set.
fn bulk_change_set(host: &Host, files: usize, edges_per_file: usize) -> ChangeSet {
    let snapshot = host.snapshot();
    let templates: Vec<StoredFile> = snapshot.files().take(64).map(|file| StoredFile::of(file, &snapshot)).collect();
    let upserts = (0..files)
        .map(|index| {
            let template = &templates[index % templates.len()];
            let path = format!("bulk/{:03}/{index}.{}", index % 997, template.path.rsplit('.').next().unwrap_or("py"));
            let edges = (1..=edges_per_file)
                .map(|step| {
                    let target = (index + step * 7919) % files;
                    StoredEdge {
                        to: format!("bulk/{:03}/{target}.py", target % 997),
                        kind: ImportKind::Import,
                        line: step as u32,
                        names: Some(vec![format!("name{step}")]),
                    }
                })
                .collect();
            StoredFile {
                content: Fingerprint::of_bytes(path.as_bytes()),
                path,
                lang: template.lang,
                stat: Some(FileStat { size: 1000 + index as u64, mtime_ns: 1_700_000_000_000_000_000 + index as i64 }),
                facts: Arc::clone(&template.facts),
                edges,
                unresolved: Vec::new(),
                resolution: None,
            }
        })
        .collect();
    ChangeSet { upserts, removals: Vec::new(), project_files: Vec::new() }
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    (at(0.5), at(0.95), at(1.0))
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}
