//! Criterion benchmarks of the engine. Figures and the commands that produce them are in
//! BENCHMARKS.md. Workspaces come from the synthetic generator, in memory.
//!
//! `THREAD_BENCH_FILES` sets the size of the large workspace (default 10,000 files).

// `criterion_group!` generates a function without documentation.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_flow::engine::{DirectExtraction, FactsFlow, FileChange, Fingerprint, Host, Reading, RecocoFlow};
use thread_flow::extractors::Lang;

fn workspace(files: usize) -> SyntheticWorkspace {
    SyntheticWorkspace::generate(SyntheticOptions {
        files_per_language: files / 4,
        seed: 7,
        ..SyntheticOptions::default()
    })
}

fn writes(workspace: &SyntheticWorkspace) -> Vec<FileChange> {
    workspace.files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_bytes().to_vec())).collect()
}

fn large_workspace_size() -> usize {
    std::env::var("THREAD_BENCH_FILES").ok().and_then(|files| files.parse().ok()).unwrap_or(10_000)
}

/// Blake3 over a 1 MiB buffer.
fn fingerprint(c: &mut Criterion) {
    let bytes: Vec<u8> = (0..1 << 20).map(|index| (index * 31 % 251) as u8).collect();
    let mut group = c.benchmark_group("fingerprint");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("blake3_1MiB", |b| b.iter(|| Fingerprint::of_bytes(black_box(&bytes))));
    group.finish();
}

/// One file per language, about 8 KB: raw tree-sitter parse, direct extraction, and
/// extraction through the ReCoco flow.
fn per_file_analysis(c: &mut Criterion) {
    let workspace = workspace(400);
    let flow = RecocoFlow::shared().expect("flow");
    let mut group = c.benchmark_group("per_file");
    for lang in [Lang::Rust, Lang::Python, Lang::TypeScript, Lang::Go] {
        // Concatenate files of the language up to about 8 KB.
        let mut text = String::new();
        for (path, source) in &workspace.files {
            if Lang::from_path(std::path::Path::new(path)) == Some(lang) && text.len() < 8 * 1024 {
                text.push_str(source);
            }
        }
        let bytes = text.into_bytes();
        let name = lang.name();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", name), &bytes, |b, bytes| {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang.grammar()).expect("grammar");
            b.iter(|| parser.parse(black_box(bytes), None))
        });
        // The floor under any extraction: visiting every node of an already parsed tree once.
        group.bench_with_input(BenchmarkId::new("tree_walk", name), &bytes, |b, bytes| {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang.grammar()).expect("grammar");
            let tree = parser.parse(bytes, None).expect("tree");
            b.iter(|| visit_every_node(black_box(&tree)))
        });
        group.bench_with_input(BenchmarkId::new("extract", name), &bytes, |b, bytes| {
            b.iter(|| DirectExtraction.analyze("bench", lang, black_box(bytes), Reading::Everything))
        });
        group.bench_with_input(BenchmarkId::new("recoco_flow", name), &bytes, |b, bytes| {
            b.iter(|| flow.analyze("bench", lang, black_box(bytes), Reading::Everything))
        });
    }
    group.finish();
}

/// Visits every node with a tree cursor, the cheapest complete traversal tree-sitter offers.
fn visit_every_node(tree: &tree_sitter::Tree) -> usize {
    let mut cursor = tree.walk();
    let mut kinds = 0usize;
    loop {
        kinds = kinds.wrapping_add(usize::from(cursor.node().kind_id()));
        if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return kinds;
            }
        }
    }
}

/// A cold index of 2,000 files with 1 and 2 threads, and parse-only throughput.
fn cold_index(c: &mut Criterion) {
    let workspace = workspace(2_000);
    let flow: Arc<dyn FactsFlow> = RecocoFlow::shared().expect("flow");
    let mut group = c.benchmark_group("cold_index_2000");
    group.sample_size(10);
    group.throughput(Throughput::Elements(workspace.files.len() as u64));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
        group.bench_function(BenchmarkId::new("index", threads), |b| {
            b.iter(|| pool.install(|| Host::new(flow.clone()).apply(writes(&workspace))))
        });
        group.bench_function(BenchmarkId::new("parse_only", threads), |b| {
            b.iter(|| {
                pool.install(|| {
                    use rayon::prelude::*;
                    workspace.files.par_iter().for_each(|(path, text)| {
                        if let Some(lang) = Lang::from_path(std::path::Path::new(path)) {
                            let mut parser = tree_sitter::Parser::new();
                            let _ = parser.set_language(&lang.grammar());
                            black_box(parser.parse(text, None));
                        }
                    })
                })
            })
        });
    }
    group.finish();
}

/// One edit in a large workspace, end to end through `Host::apply`: a body-only edit, an
/// interface edit, and the full rebuild they are compared with.
fn single_edit(c: &mut Criterion) {
    let workspace = workspace(large_workspace_size());
    let flow: Arc<dyn FactsFlow> = RecocoFlow::shared().expect("flow");
    let mut host = Host::new(flow.clone());
    host.apply(writes(&workspace));
    let (path, original) =
        workspace.files.iter().find(|(path, _)| path.ends_with("g0/m0.py")).cloned().expect("a Python file");
    let mut group = c.benchmark_group(format!("edit_{}", workspace.files.len()));
    // Alternate two bodies so every iteration is a real change (and not a memo hit:
    // each iteration appends a fresh counter).
    let mut counter = 0u64;
    group.bench_function("body_only", |b| {
        b.iter(|| {
            counter += 1;
            let text = format!("{original}\n# edit {counter}\n");
            host.apply(vec![FileChange::write(path.as_str(), text)])
        })
    });
    group.bench_function("interface", |b| {
        b.iter(|| {
            counter += 1;
            let text = format!("{original}\ndef added_{counter}():\n    return {counter}\n");
            host.apply(vec![FileChange::write(path.as_str(), text)])
        })
    });
    group.sample_size(10);
    group.bench_function("full_rebuild", |b| {
        b.iter(|| Host::with_memo(flow.clone(), Default::default()).apply(writes(&workspace)))
    });
    group.finish();
}

criterion_group!(benches, fingerprint, per_file_analysis, cold_index, single_edit);
criterion_main!(benches);
