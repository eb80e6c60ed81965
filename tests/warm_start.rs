//! Warm start: a host restored from a store reads only files whose size or mtime moved,
//! and ends equal to a cold index of the same tree.

use std::sync::Arc;

use crate::block_on;
use thread_flow::engine::store::{ChangeSet, restore};
use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_flow::engine::{Host, LoadOptions, RecocoFlow, index_into, index_workspace};
use thread_flow::storage::{MemoryStore, Store};

/// A generated workspace of `files_per_language` files per language, written to a
/// temporary directory, with the options and flow to index it.
fn generated(files_per_language: usize) -> (tempfile::TempDir, LoadOptions, Arc<RecocoFlow>) {
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language, ..SyntheticOptions::default() });
    let dir = tempfile::tempdir().expect("temp dir");
    workspace.write_to(dir.path()).expect("write workspace");
    (dir, LoadOptions::default(), RecocoFlow::shared().expect("flow"))
}

#[test]
fn a_restored_host_reanalyses_only_what_changed_on_disk() {
    let (dir, options, flow) = generated(24);

    let mut first = Host::new(flow.clone());
    let cold = index_into(&mut first, dir.path(), &options).expect("cold index");
    // Identical files (the empty `__init__.py`s) are extracted once.
    assert_eq!((cold.cache.hits + cold.cache.misses) as usize, cold.snapshot.len());
    assert!(cold.cache.misses < cold.cache.hits + cold.cache.misses);
    let store = MemoryStore::default();
    block_on(store.apply(&ChangeSet::everything(&first.snapshot(), &first))).expect("save");

    // An unchanged tree: nothing read, 100% hits.
    let mut second = Host::new(flow.clone());
    restore(&mut second, block_on(store.load_for_restore()).expect("load"));
    let warm = index_into(&mut second, dir.path(), &options).expect("warm start");
    assert!(warm.changed.is_empty());
    assert_eq!(warm.unchanged_by_stat, cold.snapshot.len());
    assert_eq!(warm.cache_hit_rate(), 1.0);
    assert_eq!(warm.graph, cold.graph);

    // One file edited, one created, one deleted while the "editor" was closed.
    let edited = dir.path().join("py/src/genpy/g0/m0.py");
    let text = std::fs::read_to_string(&edited).expect("read") + "\ndef added_later():\n    return 1\n";
    std::fs::write(&edited, text).expect("edit");
    std::fs::write(dir.path().join("py/src/genpy/g0/new.py"), "from genpy.g0 import m0\n").expect("create");
    std::fs::remove_file(dir.path().join("ts/src/g1/m1.ts")).expect("delete");

    let mut third = Host::new(flow as Arc<dyn thread_flow::engine::FactsFlow>);
    restore(&mut third, block_on(store.load_for_restore()).expect("load"));
    let warm = index_into(&mut third, dir.path(), &options).expect("warm start");
    assert_eq!(warm.changed.len(), 3);
    assert_eq!(warm.cache.misses, 2, "only the edited and the created file are extracted");
    let fresh = index_workspace(dir.path(), &options).expect("cold index of the new tree");
    assert_eq!(warm.graph, fresh.graph);
}

#[test]
fn a_store_written_from_imports_alone_warms_a_host_of_imports_and_is_read_again_by_a_full_one() {
    let (dir, options, flow) = generated(12);

    // `check` writes the store from imports alone.
    let mut lean = Host::new(flow.clone()).imports_only();
    let cold = index_into(&mut lean, dir.path(), &options).expect("cold index");
    // Distinct contents: identical files (the empty `__init__.py`s) are extracted once.
    let python: std::collections::BTreeSet<String> =
        cold.snapshot.files().filter(|file| file.facts.imports_only).map(|file| file.content.to_hex()).collect();
    assert!(python.len() > 1, "the workspace has Python files, read from imports alone");
    let store = MemoryStore::default();
    block_on(store.apply(&ChangeSet::everything(&lean.snapshot(), &lean))).expect("save");

    // The next `check` reads nothing.
    let mut lean_again = Host::new(flow.clone()).imports_only();
    restore(&mut lean_again, block_on(store.load_for_restore()).expect("load"));
    let warm = index_into(&mut lean_again, dir.path(), &options).expect("warm start");
    assert!(warm.changed.is_empty());
    assert_eq!(warm.cache.misses, 0);
    assert_eq!(warm.graph, cold.graph);

    // The server, restored from that store, refuses facts that lack definitions and calls:
    // it reads exactly those files again, and ends equal to a cold index of its own.
    let mut full = Host::new(flow);
    restore(&mut full, block_on(store.load_for_restore()).expect("load"));
    let warm = index_into(&mut full, dir.path(), &options).expect("warm start");
    assert_eq!(warm.cache.misses as usize, python.len(), "each file read from imports alone is read whole");
    let fresh = index_workspace(dir.path(), &options).expect("cold index");
    assert_eq!(warm.graph, fresh.graph);
    for file in warm.snapshot.files() {
        let expected = fresh.snapshot.file_at(&file.path).expect("same files");
        assert_eq!(file.facts, expected.facts, "{}", file.path);
    }
}

/// A restore puts back each file's stored resolution instead of resolving the workspace
/// again, and the questions that resolution asked of the file set come back with it: a
/// file created while the editor was closed still completes an import that led nowhere.
#[test]
fn a_restore_keeps_stored_resolutions_and_the_questions_behind_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        // `./later` leads nowhere when the store is written.
        (
            "app/main.ts",
            "import { later } from './later';\nimport { util } from './util';\nexport const m = util + later;\n",
        ),
        ("app/util.ts", "export const util = 1;\n"),
        // Decoys: the same names elsewhere, which no import of `app/main.ts` reaches.
        ("other/util.ts", "export const util = 2;\n"),
        ("other/later.ts", "export const later = 2;\n"),
        ("pkg/__init__.py", ""),
        ("pkg/a.py", "from pkg import b\nfrom pkg.util import helper\n"),
        ("pkg/util.py", "def helper():\n    return 1\n"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, text).expect("write");
    }
    let (options, flow) = (LoadOptions::default(), RecocoFlow::shared().expect("flow"));
    let mut first = Host::new(flow.clone());
    let cold = index_into(&mut first, dir.path(), &options).expect("cold index");
    let store = MemoryStore::default();
    block_on(store.apply(&ChangeSet::everything(&first.snapshot(), &first))).expect("save");

    let state = block_on(store.load_for_restore()).expect("load");
    assert!(state.files.iter().all(|file| file.resolution.is_some()), "every file's resolution is stored");

    // A file stored without a resolution (an older store) is resolved; the others are not.
    let mut older = state.clone();
    older.files.iter_mut().filter(|file| file.path == "pkg/a.py").for_each(|file| file.resolution = None);
    let mut host = Host::new(flow.clone());
    assert_eq!(restore(&mut host, older).resolved, ["pkg/a.py"]);
    assert_eq!(host.snapshot().graph(), cold.graph);

    // A store that lost a row others lead to (one it could not read): no resolution is
    // kept, since they were made against a file set that had it.
    let mut lossy = state.clone();
    lossy.files.retain(|file| file.path != "app/util.ts");
    let files = lossy.files.len();
    let mut host = Host::new(flow.clone());
    assert_eq!(restore(&mut host, lossy).resolved.len(), files);
    let main = host.snapshot().file_at("app/main.ts").expect("main").clone();
    assert!(main.links.is_empty() && main.unresolved.len() == 2, "{main:?}");

    let mut second = Host::new(flow.clone());
    let restored = restore(&mut second, state);
    assert_eq!(restored.resolved, Vec::<String>::new(), "a restore resolves nothing again");
    assert_eq!(second.snapshot().graph(), cold.graph);

    // Created while the editor was closed: each answers a question an import asked.
    std::fs::write(dir.path().join("app/later.ts"), "export const later = 3;\n").expect("create");
    std::fs::write(dir.path().join("pkg/b.py"), "value = 1\n").expect("create");
    let warm = index_into(&mut second, dir.path(), &options).expect("warm start");
    let fresh = index_workspace(dir.path(), &options).expect("cold index of the new tree");
    assert_eq!(warm.graph, fresh.graph);
    let main = warm.snapshot.file_at("app/main.ts").expect("main");
    let targets: Vec<&str> = main.links.iter().map(|link| warm.snapshot.path(link.to)).collect();
    assert_eq!(targets, ["app/later.ts", "app/util.ts"]);
    let a = warm.snapshot.file_at("pkg/a.py").expect("a");
    assert!(a.links.iter().any(|link| warm.snapshot.path(link.to) == "pkg/b.py"), "pkg/a.py now imports pkg/b.py");
}
