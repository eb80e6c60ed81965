//! Stores failing under a live session: nothing edited may be lost, and the store must
//! converge on the host's state once it is back, with no duplicate rows.

use std::sync::Arc;
use std::time::Duration;

use crate::postgres_server::{self, ThrowawayCluster};
use crate::{block_on, d1_server, store_conformance};
use thread_d1_emulator::{EmulatorOptions, Fault};
use thread_flow::engine::store::ChangeSet;
use thread_flow::engine::{DirectExtraction, FileChange, Host};
use thread_flow::storage::{D1Config, D1Store, PostgresStore, RetryPolicy, Store, WriteBehind};

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

/// A few edits of one file after the whole workspace, as change sets in order.
fn edit_history(host: &mut Host) -> Vec<ChangeSet> {
    let paths: Vec<String> = host.snapshot().files().map(|file| file.path.to_string()).collect();
    let mut history = vec![ChangeSet::everything(&host.snapshot(), host)];
    for changes in [
        vec![FileChange::write(paths[2].as_str(), "def first():\n    return 1\n")],
        vec![FileChange::remove(paths[7].as_str())],
        vec![FileChange::write(paths[2].as_str(), "def second():\n    return 2\n")],
        vec![FileChange::write("added/late.py", "from odd.user import *\n")],
    ] {
        let report = host.apply(changes);
        history.push(ChangeSet::from_report(&host.snapshot(), &report, host));
    }
    history
}

/// Rows in `table` of a D1 database, read over HTTP: duplicates would show here even if
/// a load hid them.
fn d1_rows(emulator: &thread_d1_emulator::RunningEmulator, database: &str, table: &str) -> i64 {
    let rows = d1_server::raw_rows(&emulator.api_base(), database, &format!("SELECT count(*) FROM {table}"));
    rows.first().and_then(|row| row.first()).and_then(serde_json::Value::as_i64).expect("a count")
}

fn expected_rows(host: &Host) -> (i64, i64) {
    let state = store_conformance::expected_state(host);
    let edges = state.files.iter().map(|file| file.edges.len()).sum::<usize>();
    (state.files.len() as i64, edges as i64)
}

/// D1 rate-limits, fails with 5xx, and loses a response after committing: every change
/// set is retried until it lands, once, and the store equals the host.
#[test]
fn d1_rate_limits_server_errors_and_lost_responses_lose_nothing() {
    let emulator = d1_server::own_emulator(EmulatorOptions::default());
    let database = d1_server::unique_database("faults");
    let store = d1_server::fresh_store(d1_server::config(&emulator.api_base(), &database));
    let mut host = store_conformance::workspace_host();
    let faults = [
        Fault::TooManyRequests { retry_after_seconds: 1 },
        Fault::Unavailable,
        Fault::LostResponse,
        Fault::Unavailable,
        Fault::LostResponse,
    ];
    for (change_set, fault) in edit_history(&mut host).iter().zip(faults) {
        let before = emulator.requests();
        emulator.inject(fault.clone());
        block_on(store.apply(change_set)).unwrap_or_else(|error| panic!("{fault:?}: {error}"));
        assert_eq!(emulator.requests() - before, 2, "{fault:?}: one failed attempt, one retry");
    }
    let loaded = store_conformance::sorted(block_on(store.load()).expect("load"));
    store_conformance::assert_same_state(&loaded, &store_conformance::expected_state(&host), "after the faults");
    let (files, edges) = expected_rows(&host);
    assert_eq!((d1_rows(&emulator, &database, "files"), d1_rows(&emulator, &database, "edges")), (files, edges));
}

/// A request that times out is sent again, but the slow original still lands later. It
/// must not bring back the rows a newer change set replaced.
#[test]
fn a_late_d1_request_cannot_bring_back_old_rows() {
    let emulator = d1_server::own_emulator(EmulatorOptions::default());
    let database = d1_server::unique_database("late");
    let impatient = D1Config {
        retry: RetryPolicy { request_timeout: Duration::from_millis(300), ..d1_server::TEST_RETRY },
        ..d1_server::config(&emulator.api_base(), &database)
    };
    let store = d1_server::fresh_store(impatient);
    let mut host = store_conformance::workspace_host();
    let history = edit_history(&mut host);
    block_on(store.apply(&history[0])).expect("the workspace");
    // The first edit's request is held past the client's timeout; its retry lands, the
    // later edits land, and only then does the held original run.
    emulator.inject(Fault::Delay(Duration::from_millis(1500)));
    for change_set in &history[1..] {
        block_on(store.apply(change_set)).expect("apply");
    }
    std::thread::sleep(Duration::from_millis(1800));
    let loaded = store_conformance::sorted(block_on(store.load()).expect("load"));
    store_conformance::assert_same_state(&loaded, &store_conformance::expected_state(&host), "after the late request");
    let (files, edges) = expected_rows(&host);
    assert_eq!((d1_rows(&emulator, &database, "files"), d1_rows(&emulator, &database, "edges")), (files, edges));
}

/// A change set too big for one request is staged; when its commit fails for good, the
/// tables keep the previous state whole, and the next attempt lands.
#[test]
fn a_failed_d1_commit_leaves_the_previous_state_whole() {
    let emulator = d1_server::own_emulator(EmulatorOptions::default());
    let database = d1_server::unique_database("commit");
    let one_try = D1Config {
        retry: RetryPolicy { attempts: 1, ..d1_server::TEST_RETRY },
        max_request_bytes: 1_000,
        ..d1_server::config(&emulator.api_base(), &database)
    };
    let store = d1_server::fresh_store(one_try);
    let mut host = store_conformance::workspace_host();
    let before_edit = store_conformance::expected_state(&host);
    let everything = ChangeSet::everything(&host.snapshot(), &host);
    let paths: Vec<String> = host.snapshot().files().map(|file| file.path.to_string()).collect();
    block_on(store.apply(&everything)).expect("the workspace");

    // Rewrite every file: a change set as big as the first.
    let report = host.apply(paths.iter().map(|path| FileChange::write(path.as_str(), "# rewritten\n")).collect());
    let rewrite = ChangeSet::from_report(&host.snapshot(), &report, &host);
    let before = emulator.requests();
    block_on(store.apply(&rewrite)).expect("a dry run to count the requests");
    let requests = usize::try_from(emulator.requests() - before).expect("count");
    assert!(requests > 2, "the change set was staged over several requests: {requests}");

    // Back to the first state, then the same rewrite with its commit (the last request) failing.
    block_on(store.apply(&everything)).expect("restore");
    emulator.inject_after(requests - 1, Fault::Unavailable);
    assert!(block_on(store.apply(&rewrite)).is_err(), "the commit failed and retries are off");
    let loaded = store_conformance::sorted(block_on(store.load()).expect("load"));
    store_conformance::assert_same_state(&loaded, &before_edit, "after the failed commit");

    block_on(store.apply(&rewrite)).expect("the next attempt");
    let loaded = store_conformance::sorted(block_on(store.load()).expect("load"));
    store_conformance::assert_same_state(&loaded, &store_conformance::expected_state(&host), "after the retry");
    assert_eq!(d1_rows(&emulator, &database, "stage_chunks"), 0, "the stage is cleared");
}

/// A one-file edit is one request; the API token appears in no error or debug output.
#[test]
fn a_d1_edit_is_one_request_and_the_token_stays_secret() {
    let emulator = d1_server::own_emulator(EmulatorOptions::default());
    let config = d1_server::config(&emulator.api_base(), &d1_server::unique_database("secret"));
    let store = d1_server::fresh_store(config.clone());
    let mut host = store_conformance::workspace_host();
    for change_set in edit_history(&mut host) {
        let before = emulator.requests();
        block_on(store.apply(&change_set)).expect("apply");
        assert_eq!(emulator.requests() - before, 1);
    }
    assert!(!format!("{config:?}").contains(d1_server::TOKEN));

    let wrong = D1Config { token: "sekrit-token-that-must-not-leak".to_owned(), ..config };
    let error = block_on(D1Store::connect(wrong.clone())).expect_err("a wrong token is refused");
    let message = error.to_string();
    assert!(message.contains("Authentication error"), "{message}");
    assert!(!message.contains(&wrong.token) && !format!("{error:?}").contains(&wrong.token), "{message}");
}

/// D1 refuses one change set for good: it is let go and never blocks the ones after it;
/// its files are unsaved, offered once to be saved afresh from the host, and after that
/// the store equals the host again. `close` reports nothing left.
#[test]
fn a_refused_change_set_does_not_block_later_saves_and_the_store_catches_up() {
    let emulator = d1_server::own_emulator(EmulatorOptions::default());
    let database = d1_server::unique_database("refused");
    let store: Arc<dyn Store> = Arc::new(d1_server::fresh_store(d1_server::config(&emulator.api_base(), &database)));
    let mut host = store_conformance::workspace_host();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let writer = runtime.block_on(async { WriteBehind::spawn(store.clone()) });
    writer.save(ChangeSet::everything(&host.snapshot(), &host));
    runtime.block_on(writer.flush(Duration::from_secs(30))).expect("first save");

    let paths: Vec<String> = host.snapshot().files().map(|file| file.path.to_string()).collect();
    let refused_path = paths[2].clone();
    // This edit's request is refused; so is the retry of the edited file alone, which
    // comes first, while the files re-resolved with it are taken one by one.
    let report = host.apply(vec![FileChange::write(refused_path.as_str(), "def refused():\n    return 1\n")]);
    let edit = ChangeSet::from_report(&host.snapshot(), &report, &host);
    assert_eq!(edit.upserts.first().map(|file| file.path.as_str()), Some(refused_path.as_str()));
    let files = edit.upserts.len() + edit.removals.len();
    emulator.inject(Fault::Refused);
    if files > 1 {
        emulator.inject(Fault::Refused);
    }
    writer.save(edit);
    let flushed = runtime.block_on(writer.flush(Duration::from_secs(30)));
    let error = flushed.expect_err("a refused change set is reported").to_string();
    assert!(error.contains(&refused_path), "the unsaved file is named: {error}");
    let progress = writer.progress();
    assert_eq!((progress.saved, progress.refused), (1, 1), "{progress:?}");
    assert_eq!(progress.unsaved, std::collections::BTreeSet::from([refused_path.clone()]), "only the refused file");

    // Later edits of other files are saved: nothing waits behind the refusal.
    let report = host.apply(vec![FileChange::write(paths[4].as_str(), "def later():\n    return 2\n")]);
    writer.save(ChangeSet::from_report(&host.snapshot(), &report, &host));
    let flushed = runtime.block_on(writer.flush(Duration::from_secs(30)));
    assert!(flushed.is_err(), "still stale: the refused file is not saved yet");
    assert_eq!(writer.progress().saved, 2);
    let loaded = block_on(store.load()).expect("load");
    let stored = loaded.files.iter().find(|file| file.path == refused_path).expect("the refused file's older rows");
    assert!(stored.facts.definitions.iter().all(|definition| definition.name != "refused"), "the store is stale");

    // The refused files are offered once, and saved from the host as it is now.
    let rebuild = writer.take_rebuild();
    assert!(rebuild.contains(&refused_path), "{rebuild:?}");
    assert!(writer.take_rebuild().is_empty(), "offered once");
    writer.save(ChangeSet::for_paths(&host.snapshot(), &rebuild, &host));
    runtime.block_on(writer.flush(Duration::from_secs(30))).expect("the store has caught up");
    assert!(writer.progress().unsaved.is_empty());
    let loaded = store_conformance::sorted(block_on(store.load()).expect("load"));
    store_conformance::assert_same_state(&loaded, &store_conformance::expected_state(&host), "after the rebuild");
    runtime.block_on(writer.close(Duration::from_secs(10))).expect("nothing left to save");
}

/// Writers send files' resolutions to a store a later process restores from (SQLite),
/// and leave them out for one that ends with its process (memory), which would hold them
/// for nothing.
#[test]
fn writers_send_resolutions_only_to_stores_that_serve_warm_starts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = store_conformance::workspace_host();
    let sqlite = thread_flow::storage::SqliteStore::open(&dir.path().join("writer.sqlite3")).expect("open SQLite");
    let stores: [(Arc<dyn Store>, bool); 2] =
        [(Arc::new(thread_flow::storage::MemoryStore::default()), false), (Arc::new(sqlite), true)];
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    for (store, with_resolutions) in stores {
        let writer = runtime.block_on(async { WriteBehind::spawn(store.clone()) });
        writer.save(ChangeSet::everything(&host.snapshot(), &host));
        runtime.block_on(writer.flush(Duration::from_secs(30))).expect("save");
        let loaded = runtime.block_on(store.load()).expect("load");
        assert_eq!(loaded.files.len(), host.snapshot().len(), "{}", store.backend());
        assert!(
            loaded.files.iter().all(|file| file.resolution.is_some() == with_resolutions),
            "{}: resolutions kept should be {with_resolutions}",
            store.backend()
        );
    }
}
