//! Stores failing under a live session: nothing edited may be lost, and the store must
//! converge on the host's state once it is back.

use std::sync::Arc;
use std::time::Duration;

use crate::postgres_server::{self, ThrowawayCluster};
use crate::{block_on, store_conformance};
use thread_flow::engine::store::ChangeSet;
use thread_flow::engine::{DirectExtraction, FileChange, Host};
use thread_flow::storage::{PostgresStore, Store, WriteBehind};

/// PostgreSQL stopped mid-session and started again: edits made while it was down are
/// kept, retried and saved, with no duplicate rows.
#[test]
fn postgres_stopped_and_restarted_mid_session_loses_no_edit() {
    // Its own cluster: stopping the shared one would break the other tests.
    if postgres_server::database_url().is_none() {
        return;
    }
    let cluster = ThrowawayCluster::start().expect("start a cluster");
    let store: Arc<dyn Store> = Arc::new(
        block_on(PostgresStore::connect(&cluster.url, &postgres_server::unique_workspace("faults"))).expect("connect"),
    );
    let mut host = store_conformance::workspace_host();
    let writer = block_on(async { WriteBehind::spawn(store.clone()) });
    writer.save(ChangeSet::everything(&host.snapshot(), &host));
    block_on(writer.flush(Duration::from_secs(30))).expect("first save");

    cluster.stop().expect("stop the server");
    let paths: Vec<String> = host.snapshot().files().map(|file| file.path.to_string()).collect();
    let edits = vec![
        vec![FileChange::write(paths[1].as_str(), "# rewritten while the store was down\n")],
        vec![FileChange::remove(paths[5].as_str())],
        vec![FileChange::write("added/while_down.py", "from odd.user import *\n")],
        vec![FileChange::write(paths[1].as_str(), "def again():\n    return 2\n")],
    ];
    for changes in edits {
        let report = host.apply(changes);
        writer.save(ChangeSet::from_report(&host.snapshot(), &report, &host));
    }
    // The writer is failing now, and says so, but holds the changes.
    std::thread::sleep(Duration::from_millis(500));
    let progress = writer.progress();
    assert!(progress.saved < progress.submitted, "nothing can be saved while the server is down: {progress:?}");
    assert!(progress.failing.is_some(), "the failure is reported: {progress:?}");

    cluster.restart().expect("restart the server");
    block_on(writer.flush(Duration::from_secs(60))).expect("the backlog is saved once the server is back");
    assert_eq!(writer.progress().failing, None);
    let loaded = store_conformance::sorted(block_on(store.load()).expect("load"));
    store_conformance::assert_same_state(&loaded, &store_conformance::expected_state(&host), "after the restart");
}

/// A change set merged from many keeps only each path's last state.
#[test]
fn merged_change_sets_keep_each_paths_last_state() {
    let mut host = Host::new(Arc::new(DirectExtraction));
    let mut merged = ChangeSet::default();
    for changes in [
        vec![FileChange::write("a.py", "import b\n"), FileChange::write("b.py", "X = 1\n")],
        vec![FileChange::remove("b.py")],
        vec![FileChange::write("b.py", "Y = 2\n"), FileChange::write("c.py", "Z = 3\n")],
        vec![FileChange::remove("c.py")],
    ] {
        let report = host.apply(changes);
        merged = merged.followed_by(ChangeSet::from_report(&host.snapshot(), &report, &host));
    }
    let mut upserted: Vec<&str> = merged.upserts.iter().map(|file| file.path.as_str()).collect();
    upserted.sort_unstable();
    assert_eq!(upserted, ["a.py", "b.py"]);
    assert_eq!(merged.removals, ["c.py"]);
    let b = merged.upserts.iter().find(|file| file.path == "b.py").expect("b.py");
    assert!(b.facts.definitions.iter().any(|definition| definition.name == "Y"), "b.py's last content wins");
}
