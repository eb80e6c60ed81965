//! The SQLite store across real processes.
//!
//! - A `thread-lsp index` killed in the middle of its save leaves a database that
//!   reopens intact and holds the state from before or after that save, never a mix.
//! - A second process on a database another process is writing reads it, says so, and
//!   writes nothing.

// The tests report what they skipped and where the kills landed.
#![allow(clippy::print_stderr)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use thread_engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_storage::{SqliteStore, Store, StoredState, WriterRole};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(future)
}

/// Writes the generated workspace; `variant` rewrites every third file and leaves out
/// every seventh, so consecutive variants differ in many files.
fn write_tree(root: &Path, workspace: &SyntheticWorkspace, variant: usize) {
    if root.exists() {
        std::fs::remove_dir_all(root).expect("clear the tree");
    }
    for (index, (path, text)) in workspace.files.iter().enumerate() {
        if variant % 2 == 1 && index % 7 == 0 {
            continue;
        }
        let target = root.join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        let text = if index % 3 == 0 { format!("{text}\n// variant {variant}\n") } else { text.clone() };
        std::fs::write(target, text).expect("write");
    }
}

fn index_command(root: &Path, database: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_thread-lsp"));
    command.arg("index").arg(root).arg("--database").arg(database).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn index(root: &Path, database: &Path) -> String {
    let output = index_command(root, database).output().expect("run thread-lsp");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Each stored file's content fingerprint and edges: what a torn save would get wrong.
fn stored(database: &Path) -> BTreeMap<String, String> {
    let state: StoredState = {
        let store = SqliteStore::open(database).expect("open");
        block_on(store.load()).expect("load")
    };
    state
        .files
        .iter()
        .map(|file| {
            let edges: Vec<&str> = file.edges.iter().map(|edge| edge.to.as_str()).collect();
            (file.path.clone(), format!("{} {edges:?}", file.content.to_hex()))
        })
        .collect()
}

fn integrity(database: &Path) -> String {
    let connection = rusqlite::Connection::open(database).expect("open");
    connection.query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("integrity_check")
}

/// Bytes `pid` has written so far, from `/proc/<pid>/io`.
fn written_bytes(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines().find_map(|line| line.strip_prefix("wchar:")).and_then(|value| value.trim().parse().ok())
}

/// Runs `thread-lsp index` and kills it once it has written `kill_at` bytes (never, when
/// `None`). Returns the bytes it was last seen to have written and how it ended.
fn index_until(root: &Path, database: &Path, kill_at: Option<u64>) -> (u64, std::process::ExitStatus) {
    let mut child = index_command(root, database).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    let mut written = 0;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return (written, status);
        }
        written = written_bytes(child.id()).unwrap_or(written);
        if kill_at.is_some_and(|limit| written >= limit) {
            let _ = child.kill();
            return (written, child.wait().expect("wait"));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn copy_database(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let source = PathBuf::from(format!("{}{suffix}", from.display()));
        if source.exists() {
            std::fs::copy(&source, format!("{}{suffix}", to.display())).expect("copy the database");
        }
    }
}

#[test]
fn an_index_killed_mid_save_leaves_the_state_before_or_after_it() {
    if written_bytes(std::process::id()).is_none() {
        // Only Linux says how much a process has written; the kill points depend on it.
        support::skip_or_fail("this test needs Linux's /proc/<pid>/io");
        return;
    }
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language: 300, ..SyntheticOptions::default() });
    let dir = tempfile::tempdir().expect("temp dir");
    let (root, database) = (dir.path().join("tree"), dir.path().join("db.sqlite3"));
    write_tree(&root, &workspace, 0);
    index(&root, &database);

    let rounds = 6;
    let mut outcomes = Vec::new();
    for round in 1..=rounds {
        write_tree(&root, &workspace, round);
        let before = stored(&database);
        // The same save run to completion on a copy: the state after it, and how much
        // it writes.
        let reference = dir.path().join(format!("reference-{round}.sqlite3"));
        copy_database(&database, &reference);
        let (total, status) = index_until(&root, &reference, None);
        assert!(status.success(), "round {round}: the reference run failed");
        let after = stored(&reference);
        assert_ne!(before, after, "round {round}: the tree changed");

        // Kill once a growing share of those bytes is written: almost all of them are the
        // save's transaction, so each kill lands at a different point inside it.
        let kill_at = total * round as u64 / (rounds as u64 + 1);
        let (written, status) = index_until(&root, &database, Some(kill_at));
        assert_eq!(integrity(&database), "ok", "round {round}");
        let found = stored(&database);
        let outcome = if found == before {
            "before"
        } else if found == after {
            "after"
        } else {
            panic!("round {round}: the database holds neither the state before nor after the killed save")
        };
        outcomes.push(format!("{outcome}: killed after {written} of {total} bytes ({status})"));
        // Finish the save, as the next start would.
        index(&root, &database);
        assert_eq!(stored(&database), after, "round {round}: the next run catches up");
    }
    eprintln!("killed runs left: {outcomes:#?}");
}

#[test]
fn a_second_process_reads_a_database_another_is_writing_and_writes_nothing() {
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language: 8, ..SyntheticOptions::default() });
    let dir = tempfile::tempdir().expect("temp dir");
    let (root, database) = (dir.path().join("tree"), dir.path().join("db.sqlite3"));
    write_tree(&root, &workspace, 0);
    index(&root, &database);
    let saved = stored(&database);

    // This test process takes the writer's role; thread-lsp is the second process.
    let writer = SqliteStore::open(&database).expect("open");
    assert_eq!(writer.role(), WriterRole::Writer);
    write_tree(&root, &workspace, 1);
    let summary = index(&root, &database);
    let store_line = summary.lines().find(|line| line.trim_start().starts_with("store")).expect("store line");
    assert!(store_line.contains("read-only: another Thread process is writing it"), "{summary}");
    assert!(store_line.contains("not saved"), "{summary}");
    let state = block_on(writer.load()).expect("load");
    assert_eq!(state.files.len(), saved.len(), "the reader wrote nothing");
    drop(writer);

    // Once the writer is gone, the next run writes.
    let summary = index(&root, &database);
    assert!(!summary.contains("read-only"), "{summary}");
    assert_ne!(stored(&database), saved);
}
