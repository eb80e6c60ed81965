//! What one change re-analyses: exactly the changed file for a body edit, exactly the
//! users of a removed name for an interface edit, and cycles of every size handled.

use std::sync::Arc;

use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_flow::engine::{DirectExtraction, FactsFlow, FileChange, FileId, Host, Reading, RecocoFlow};
use thread_flow::extractors::Lang;

use crate::fixture::parse as parse_fixture;

fn host_with(fixture: &str) -> Host {
    let flow = RecocoFlow::shared().expect("the ReCoco flow builds");
    let mut host = Host::new(flow);
    host.apply(parse_fixture(fixture).into_iter().map(|(path, text)| FileChange::write(path, text)).collect());
    host
}

const LIBRARY: &str = r#"
//- /a.ts
export function used(x: number): number { return x + 1; }
export function alsoUsed(): string { return "a"; }
function helper() { return 2; }
//- /b.ts
import { used } from './a';
export const b = used(1);
//- /c.ts
import { alsoUsed } from './a';
export const c = alsoUsed();
//- /d.ts
import * as everything from './a';
export const d = everything.used(2);
//- /e.ts
import { b } from './b';
export const e = b;
"#;

#[test]
fn a_body_edit_reanalyses_one_file_and_no_dependent() {
    let mut host = host_with(LIBRARY);
    let report = host.apply(vec![FileChange::write(
        "a.ts",
        "export function used(x: number): number { return x * 2 + helper(); }\n\
         export function alsoUsed(): string { return \"b\"; }\nfunction helper() { return 3; }\n",
    )]);
    assert_eq!(report.changed, ["a.ts"]);
    assert_eq!(report.affected, Vec::<String>::new());
    assert_eq!(report.rebound, ["a.ts"], "a body edit binds exactly its own file again");
    assert_eq!(report.extracted, 1);
}

#[test]
fn removing_an_exported_name_reanalyses_exactly_its_users() {
    let mut host = host_with(LIBRARY);
    let report = host.apply(vec![FileChange::write(
        "a.ts",
        "export function used(x: number): number { return x + 1; }\nfunction helper() { return 2; }\n",
    )]);
    assert_eq!(report.changed, ["a.ts"]);
    // c.ts names `alsoUsed`; d.ts uses the module wholesale. b.ts and e.ts are untouched.
    assert_eq!(report.affected, ["c.ts", "d.ts"]);
    let snapshot = host.snapshot();
    let missing: Vec<&str> =
        snapshot.file_at("c.ts").expect("c.ts").missing.iter().map(|missing| missing.name.as_str()).collect();
    assert_eq!(missing, ["alsoUsed"]);
    assert!(snapshot.file_at("b.ts").expect("b.ts").missing.is_empty());

    // Restoring the name clears the diagnostic through the same path.
    let report = host.apply(vec![FileChange::write("a.ts", parse_fixture(LIBRARY)[0].1.clone())]);
    assert_eq!(report.affected, ["c.ts", "d.ts"]);
    assert!(host.snapshot().file_at("c.ts").expect("c.ts").missing.is_empty());
    assert_eq!(report.extracted, 0, "the original content is served from the memo");
}

#[test]
fn removing_a_python_name_reaches_only_from_imports_of_it() {
    let mut host = host_with(
        r#"
//- /pkg/__init__.py
//- /pkg/core.py
def load(path):
    return open(path)

def save(path, data):
    pass
//- /pkg/reader.py
from pkg.core import load
//- /pkg/writer.py
from pkg.core import save
//- /pkg/tool.py
import pkg.core
"#,
    );
    let report = host.apply(vec![FileChange::write("pkg/core.py", "def load(path):\n    return open(path)\n")]);
    assert_eq!(report.affected, ["pkg/tool.py", "pkg/writer.py"]);
    let snapshot = host.snapshot();
    assert_eq!(snapshot.file_at("pkg/writer.py").expect("writer").missing.len(), 1);
}

#[test]
fn a_new_file_resolves_its_would_be_importers_and_a_deleted_one_breaks_them() {
    let mut host = host_with(
        r#"
//- /src/app.ts
import { later } from './later';
export const app = later;
"#,
    );
    let unresolved = |host: &Host| host.snapshot().graph().unresolved.len();
    assert_eq!(unresolved(&host), 1);
    let report = host.apply(vec![FileChange::write("src/later.ts", "export const later = 1;\n")]);
    assert_eq!(report.affected, ["src/app.ts"]);
    assert_eq!(unresolved(&host), 0);
    assert_eq!(host.snapshot().graph().edges.len(), 1);
    let report = host.apply(vec![FileChange::remove("src/later.ts")]);
    assert_eq!(report.affected, ["src/app.ts"]);
    assert_eq!(unresolved(&host), 1);
    assert!(host.snapshot().graph().edges.is_empty());
}

/// A ring of `size` Python modules, each importing the next.
fn ring(size: usize) -> Vec<(String, String)> {
    (0..size)
        .map(|index| {
            let next = (index + 1) % size;
            (
                format!("ring/m{index}.py"),
                format!("from ring.m{next} import f{next}\n\ndef f{index}():\n    return f{next}()\n"),
            )
        })
        .chain(std::iter::once(("ring/__init__.py".to_owned(), String::new())))
        .collect()
}

#[test]
fn cycles_of_every_size_are_found_and_never_fail_a_batch() {
    for size in [2, 3, 5, 17, 64, 3000] {
        let mut host = Host::new(Arc::new(DirectExtraction));
        host.apply(ring(size).into_iter().map(|(path, text)| FileChange::write(path, text)).collect());
        let snapshot = host.snapshot();
        let cycles = snapshot.cycles();
        assert_eq!(cycles.len(), 1, "ring of {size}");
        assert_eq!(cycles[0].len(), size);
        let first = snapshot.file_id("ring/m0.py").expect("m0");
        // Every member reaches every other; the walk ends despite the cycle.
        assert_eq!(snapshot.dependents_closure(&[first]).len(), size - 1);
        let all: Vec<FileId> = snapshot.files().map(|file| file.id).collect();
        assert_eq!(snapshot.topological_order(&all).len(), all.len());

        // An interface change inside the cycle reaches its one user, and the batch applies.
        let report = host.apply(vec![FileChange::write("ring/m1.py", "def renamed():\n    return 1\n")]);
        assert_eq!(report.affected, ["ring/m0.py"], "ring of {size}");
        assert!(host.snapshot().cycles().is_empty());
    }
}

#[test]
fn a_self_import_is_not_a_cycle_edge() {
    let mut host = Host::new(Arc::new(DirectExtraction));
    host.apply(vec![FileChange::write("solo.py", "import solo\n")]);
    assert!(host.snapshot().graph().edges.is_empty());
    assert!(host.snapshot().cycles().is_empty());
}

#[test]
fn unchanged_content_costs_nothing_and_identical_files_share_one_extraction() {
    let mut host = Host::new(Arc::new(DirectExtraction));
    let report = host.apply(vec![
        FileChange::write("a/x.py", "import os\n"),
        FileChange::write("b/x.py", "import os\n"),
        FileChange::write("c/x.py", "import os\n"),
    ]);
    assert_eq!(report.extracted, 1);
    let revision = report.revision;
    let report = host.apply(vec![FileChange::write("a/x.py", "import os\n")]);
    assert!(report.changed.is_empty());
    assert_eq!((report.extracted, report.revision), (0, revision));
}

/// The flow's facts are the extractor's, also when several threads evaluate it at once
/// (as the cold index does): each evaluation gets back the facts of its own file.
#[test]
fn the_recoco_flow_gives_exactly_the_extractors_facts() {
    let flow = RecocoFlow::shared().expect("the ReCoco flow builds");
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language: 12, ..SyntheticOptions::default() });
    let files: Vec<(&String, &String, Lang)> = (workspace.files.iter())
        .filter_map(|(path, text)| Some((path, text, Lang::from_path(std::path::Path::new(path))?)))
        .collect();
    let compared = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let (flow, files, compared) = (&flow, &files, &compared);
            scope.spawn(move || {
                for reading in [Reading::Everything, Reading::Imports] {
                    for (path, text, lang) in files.iter().skip(thread).step_by(4) {
                        let through_flow = flow.analyze(path, *lang, text.as_bytes(), reading).expect("flow");
                        let direct = DirectExtraction.analyze(path, *lang, text.as_bytes(), reading).expect("direct");
                        assert_eq!(through_flow, direct, "{path}");
                        assert_eq!(through_flow.imports_only, reading.for_lang(*lang) == Reading::Imports, "{path}");
                        compared.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert!(compared.into_inner() >= 96);
}

#[test]
fn snapshots_do_not_change_under_a_reader() {
    let mut host = host_with(LIBRARY);
    let before = host.snapshot();
    host.apply(vec![FileChange::remove("b.ts"), FileChange::write("f.ts", "export const f = 1;\n")]);
    assert!(before.file_at("b.ts").is_some() && before.file_at("f.ts").is_none());
    let after = host.snapshot();
    assert!(after.file_at("b.ts").is_none() && after.file_at("f.ts").is_some());
    assert_eq!(after.revision(), before.revision() + 1);
}

/// Typing in a file leaves a few of its superseded versions in the memo (an undo finds
/// them), not one per keystroke.
#[test]
fn typing_keeps_a_few_superseded_versions_in_the_memo_not_all() {
    let mut host = Host::new(Arc::new(DirectExtraction));
    host.apply(vec![FileChange::write("other.py", "def f():\n    pass\n")]);
    let baseline = host.memo().len();
    for keystroke in 0..50 {
        host.apply(vec![FileChange::write("typed.py", format!("def g():\n    return {keystroke}\n"))]);
    }
    // The live version, and at most eight before it.
    assert!(host.memo().len() <= baseline + 9, "{} entries after 50 versions", host.memo().len());
    // The last superseded version is still there: undoing to it parses nothing.
    let report = host.apply(vec![FileChange::write("typed.py", "def g():\n    return 48\n")]);
    assert_eq!(report.extracted, 0);
}

/// What the Rust model derives from a file's `mod` items beyond their names (visibility,
/// a same-named item that hides a private module, `cfg` predicates) is followed by the
/// model: after each edit, the graph equals a fresh build's.
#[test]
fn rust_module_visibility_and_cfg_edits_update_importers_as_a_rebuild_would() {
    let fixture = r#"
//- /Cargo.toml
[package]
name = "app"
//- /src/lib.rs
mod io;
mod user;
#[cfg_attr(unix, path = "sys/unix.rs")]
#[cfg_attr(windows, path = "sys/windows.rs")]
mod sys;
mod platform;
//- /src/io/mod.rs
mod copy;
pub use copy::copy;
//- /src/io/copy.rs
pub fn copy() {}
//- /src/user.rs
use crate::io::copy;
//- /src/sys/unix.rs
//- /src/sys/windows.rs
//- /src/platform.rs
use crate::sys::Fd;
"#;
    let mut host = host_with(fixture);
    let edits = [
        ("src/io/mod.rs", "pub mod copy;\npub use copy::copy;\n"),
        ("src/io/mod.rs", "mod copy;\n"),
        ("src/io/mod.rs", "mod copy;\npub fn copy() {}\n"),
        (
            "src/lib.rs",
            "mod io;\nmod user;\n#[cfg_attr(unix, path = \"sys/unix.rs\")]\n#[cfg_attr(windows, path = \"sys/windows.rs\")]\nmod sys;\n#[cfg(unix)]\nmod platform;\n",
        ),
        (
            "src/lib.rs",
            "mod io;\nmod user;\n#[cfg_attr(unix, path = \"sys/unix.rs\")]\n#[cfg_attr(windows, path = \"sys/windows.rs\")]\nmod sys;\n#[cfg(not(unix))]\nmod platform;\n",
        ),
    ];
    let mut files: std::collections::BTreeMap<String, String> = parse_fixture(fixture).into_iter().collect();
    let mut seen = std::collections::BTreeSet::new();
    for (path, text) in edits {
        host.apply(vec![FileChange::write(path, text)]);
        files.insert(path.to_owned(), text.to_owned());
        let mut fresh = Host::new(Arc::new(DirectExtraction));
        fresh.apply(files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.clone())).collect());
        let graph = host.snapshot().graph();
        assert_eq!(graph, fresh.snapshot().graph(), "after writing {path}:\n{text}");
        seen.insert(format!("{:?}", graph.edges));
    }
    assert!(seen.len() >= 4, "the edits change the graph: {seen:#?}");
}
