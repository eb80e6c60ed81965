//! One conformance suite for every store: what goes in comes back out, change sets
//! converge on the host's state, and the store's own queries agree with the live graph.
//! Each test runs against every backend in [`stores`].

use std::collections::BTreeSet;
use std::path::Path;

use crate::{block_on, d1_server, postgres_server};
use thread_flow::engine::Fingerprint;
use thread_flow::engine::store::{ChangeSet, StoredEdge, StoredFile, StoredState, restore};
use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_flow::engine::{DirectExtraction, FileChange, Host};
use thread_flow::extractors::{FileFacts, ImportKind, Lang};
use thread_flow::storage::{D1Config, MemoryStore, PostgresStore, SqliteStore, Store, WriterRole};

/// A fresh, empty store of every backend, named for messages. `dir` holds their files.
/// PostgreSQL is skipped (loudly) only when no server can run here and this is not CI.
fn stores(dir: &Path) -> Vec<(&'static str, Box<dyn Store>)> {
    let mut stores: Vec<(&'static str, Box<dyn Store>)> = vec![
        ("memory", Box::new(MemoryStore::default())),
        ("sqlite", Box::new(SqliteStore::open(&dir.join("conformance.sqlite3")).expect("open SQLite"))),
    ];
    if let Some(url) = postgres_server::database_url() {
        let workspace = postgres_server::unique_workspace("conformance");
        stores.push(("postgres", Box::new(block_on(PostgresStore::connect(&url, &workspace)).expect("connect"))));
    }
    let api_base = d1_server::api_base();
    stores.push((
        "d1",
        Box::new(d1_server::fresh_store(d1_server::config(&api_base, &d1_server::unique_database("conformance")))),
    ));
    // Every change set over a kilobyte is staged over several requests, then committed.
    let staged =
        D1Config { max_request_bytes: 1_000, ..d1_server::config(&api_base, &d1_server::unique_database("staged")) };
    stores.push(("d1 staged", Box::new(d1_server::fresh_store(staged))));
    stores
}

/// A multi-language workspace plus files whose paths SQL must not trip over.
pub(crate) fn workspace_host() -> Host {
    let workspace =
        SyntheticWorkspace::generate(SyntheticOptions { files_per_language: 16, ..SyntheticOptions::default() });
    let mut changes: Vec<FileChange> =
        workspace.files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_bytes().to_vec())).collect();
    changes.push(FileChange::write("odd/it's; DROP TABLE files; --.py", "X = 1\n"));
    changes.push(FileChange::write("odd/naïve_модуль.py", "def größe():\n    return 1\n"));
    changes.push(FileChange::write("odd/user.py", "from odd.naïve_модуль import größe\nimport odd.missing\n"));
    let mut host = Host::new(std::sync::Arc::new(DirectExtraction));
    host.apply(changes);
    host
}

pub(crate) fn sorted(mut state: StoredState) -> StoredState {
    state.files.sort_by(|a, b| a.path.cmp(&b.path));
    state.project_files.sort();
    state
}

/// Asserts two states are equal, naming only the files that differ (states are large).
#[track_caller]
pub(crate) fn assert_same_state(actual: &StoredState, expected: &StoredState, context: &str) {
    if actual == expected {
        return;
    }
    let by_path = |state: &StoredState| -> std::collections::BTreeMap<String, String> {
        state.files.iter().map(|file| (file.path.clone(), format!("{file:?}"))).collect()
    };
    let (actual_files, expected_files) = (by_path(actual), by_path(expected));
    let differing: Vec<String> = actual_files
        .keys()
        .chain(expected_files.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|path| actual_files.get(*path) != expected_files.get(*path))
        .map(|path| match (actual_files.get(path), expected_files.get(path)) {
            (Some(_), None) => format!("{path}: stored but should not be"),
            (None, Some(_)) => format!("{path}: missing"),
            (Some(got), Some(want)) => format!("{path}:\n  stored   {got}\n  expected {want}"),
            (None, None) => String::new(),
        })
        .collect();
    let projects = if actual.project_files == expected.project_files { "" } else { "; project files differ" };
    panic!("{context}: the stores differ in {} file(s){projects}:\n{}", differing.len(), differing.join("\n"));
}

pub(crate) fn expected_state(host: &Host) -> StoredState {
    let everything = ChangeSet::everything(&host.snapshot(), host);
    sorted(StoredState { files: everything.upserts, project_files: everything.project_files })
}

#[test]
fn what_is_stored_comes_back_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = workspace_host();
    for (backend, store) in stores(dir.path()) {
        block_on(store.apply(&ChangeSet::everything(&host.snapshot(), &host))).expect("apply");
        let loaded = block_on(store.load()).expect("load");
        assert_same_state(&sorted(loaded.clone()), &expected_state(&host), backend);
        assert_eq!(block_on(store.schema_version()).expect("version"), store.latest_schema_version());

        // What a warm start reads is everything but the links.
        let for_restore = sorted(block_on(store.load_for_restore()).expect("load for restore"));
        let mut without_links = sorted(loaded);
        for file in &mut without_links.files {
            file.edges.clear();
            file.unresolved.clear();
        }
        assert_eq!(for_restore, without_links, "{backend}");

        // A host restored from the store equals the one that saved it, without parsing.
        let mut restored = Host::new(std::sync::Arc::new(DirectExtraction));
        let report = restore(&mut restored, for_restore);
        assert_eq!(report.cache.misses, 0, "{backend}: restoring parsed nothing");
        assert_eq!(restored.snapshot().graph(), host.snapshot().graph(), "{backend}");
    }
}

#[test]
fn change_sets_converge_on_the_hosts_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (backend, store) in stores(dir.path()) {
        let mut host = workspace_host();
        block_on(store.apply(&ChangeSet::everything(&host.snapshot(), &host))).expect("apply");
        let paths: Vec<String> = host.snapshot().files().map(|file| file.path.to_string()).collect();
        let edits: Vec<Vec<FileChange>> = vec![
            // A body edit, an interface edit, a deletion that breaks importers, a new file
            // that satisfies a broken import, and a project file.
            vec![FileChange::write(paths[3].as_str(), "# emptied\n")],
            vec![FileChange::remove(paths[10].as_str())],
            vec![FileChange::write("odd/missing.py", "Y = 2\n")],
            vec![FileChange::write(paths[10].as_str(), "def back():\n    return 0\n")],
            vec![FileChange::remove("odd/naïve_модуль.py"), FileChange::write("odd/new.py", "import odd.user\n")],
        ];
        for (step, changes) in edits.into_iter().enumerate() {
            let report = host.apply(changes);
            let change_set = ChangeSet::from_report(&host.snapshot(), &report, &host);
            block_on(store.apply(&change_set)).expect("apply");
            let loaded = sorted(block_on(store.load()).expect("load"));
            assert_same_state(&loaded, &expected_state(&host), &format!("{backend} after step {step}"));
        }
    }
}

#[test]
fn store_queries_agree_with_the_live_graph() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = workspace_host();
    let snapshot = host.snapshot();
    for (backend, store) in stores(dir.path()) {
        block_on(store.apply(&ChangeSet::everything(&snapshot, &host))).expect("apply");
        for file in snapshot.files() {
            let expected: Vec<String> = file
                .dependents
                .iter()
                .map(|id| snapshot.path(*id).to_owned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            assert_eq!(
                block_on(store.dependents(&file.path)).expect("dependents"),
                expected,
                "{backend} {}",
                file.path
            );

            for definition in file.facts.definitions.iter().filter(|definition| definition.exported).take(2) {
                let users: BTreeSet<String> = file
                    .dependents
                    .iter()
                    .filter_map(|id| snapshot.file(*id))
                    .filter(|dependent| {
                        dependent.links.iter().any(|link| {
                            link.to == file.id
                                && match &link.usage {
                                    thread_flow::extractors::resolve::Usage::Module => true,
                                    thread_flow::extractors::resolve::Usage::Names(names) => {
                                        names.iter().any(|used| used.name == definition.name)
                                    }
                                }
                        })
                    })
                    .map(|dependent| dependent.path.to_string())
                    .collect();
                let found = block_on(store.users_of(&file.path, &definition.name)).expect("users");
                assert_eq!(found, users.into_iter().collect::<Vec<_>>(), "{backend} {} {}", file.path, definition.name);
            }
        }
        let sites = block_on(store.definitions("größe")).expect("definitions");
        assert_eq!(sites.len(), 1, "{backend}");
        assert_eq!(sites[0].path, "odd/naïve_модуль.py", "{backend}");
        assert_eq!(sites[0].line, 0, "{backend}");
    }
}

#[test]
fn a_second_sqlite_process_reads_and_cannot_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shared.sqlite3");
    let host = workspace_host();
    let writer = SqliteStore::open(&path).expect("writer");
    assert_eq!(writer.role(), WriterRole::Writer);
    block_on(writer.apply(&ChangeSet::everything(&host.snapshot(), &host))).expect("apply");

    let reader = SqliteStore::open(&path).expect("reader");
    assert_eq!(reader.role(), WriterRole::Reader);
    assert_eq!(sorted(block_on(reader.load()).expect("load")), expected_state(&host));
    let refused = block_on(reader.apply(&ChangeSet::default())).expect_err("a reader cannot write");
    assert!(refused.to_string().contains("another process"), "{refused}");

    // Once the writer is gone, the next opener becomes the writer.
    drop(writer);
    drop(reader);
    assert_eq!(SqliteStore::open(&path).expect("reopen").role(), WriterRole::Writer);
}

#[test]
fn a_corrupt_or_outdated_sqlite_database_is_rebuilt_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let host = workspace_host();

    let corrupt = dir.path().join("corrupt.sqlite3");
    std::fs::write(&corrupt, b"this is not a database, it is a shopping list".repeat(200)).expect("write");
    let store = SqliteStore::open(&corrupt).expect("a corrupt database is rebuilt");
    assert!(block_on(store.load()).expect("load").files.is_empty());
    block_on(store.apply(&ChangeSet::everything(&host.snapshot(), &host))).expect("the rebuilt database takes writes");

    let outdated = dir.path().join("outdated.sqlite3");
    {
        let store = SqliteStore::open(&outdated).expect("open");
        block_on(store.apply(&ChangeSet::everything(&host.snapshot(), &host))).expect("apply");
    }
    let connection = rusqlite_connection(&outdated);
    connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'", []).expect("age the schema");
    drop(connection);
    let store = SqliteStore::open(&outdated).expect("reopen");
    assert!(block_on(store.load()).expect("load").files.is_empty(), "an old schema's rows are not trusted");
    assert_eq!(block_on(store.schema_version()).expect("version"), store.latest_schema_version());
}

fn rusqlite_connection(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open with rusqlite")
}

#[test]
fn workspaces_sharing_a_postgres_database_stay_apart() {
    let Some(url) = postgres_server::database_url() else { return };
    let connect =
        |name: &str| block_on(PostgresStore::connect(&url, &postgres_server::unique_workspace(name))).expect("connect");
    let (first, second) = (connect("first"), connect("second"));
    let host = workspace_host();
    block_on(first.apply(&ChangeSet::everything(&host.snapshot(), &host))).expect("apply");
    assert_same_state(&sorted(block_on(first.load()).expect("load")), &expected_state(&host), "first");
    assert_eq!(block_on(second.load()).expect("load"), StoredState::default(), "the other workspace sees nothing");
    let target = host.snapshot().files().find(|file| !file.dependents.is_empty()).map(|file| file.path.to_string());
    let target = target.expect("some file has dependents");
    assert!(!block_on(first.dependents(&target)).expect("dependents").is_empty());
    assert!(block_on(second.dependents(&target)).expect("dependents").is_empty());

    // Connecting again (a restart) migrates nothing and keeps the rows.
    let again = block_on(PostgresStore::connect(&url, first.workspace())).expect("reconnect");
    assert_same_state(&sorted(block_on(again.load()).expect("load")), &expected_state(&host), "reconnected");
    assert_eq!(block_on(again.schema_version()).expect("version"), again.latest_schema_version());
}

/// A bulk change set: past the row count at which SQLite rebuilds its indexes and
/// PostgreSQL switches to `COPY`, and far past D1's 2 MB value limit (so D1 stages it in
/// chunks near that limit). Every store gives it back whole, and then takes an edit.
#[test]
fn a_bulk_change_set_lands_whole_in_every_store() {
    use thread_flow::engine::store::{StoredEdge, StoredFile};
    let host = workspace_host();
    let snapshot = host.snapshot();
    let template = StoredFile::of(snapshot.files().next().expect("a file"), &snapshot);
    let files = 4000;
    let upserts: Vec<StoredFile> = (0..files)
        .map(|index| StoredFile {
            path: format!("many/{index}.py"),
            edges: (1..=20)
                .map(|step| StoredEdge {
                    to: format!("many/{}.py", (index + step) % files),
                    kind: thread_flow::extractors::ImportKind::Import,
                    line: step as u32,
                    names: if step % 3 == 0 { None } else { Some(vec![format!("imported_name_{step}")]) },
                })
                .collect(),
            ..template.clone()
        })
        .collect();
    let bulk =
        ChangeSet { upserts, removals: Vec::new(), project_files: vec![("pyproject.toml".into(), "[x]".into())] };
    let mut edit =
        ChangeSet { upserts: bulk.upserts[..2].to_vec(), removals: vec!["many/7.py".into()], ..bulk.clone() };
    edit.upserts[0].edges.truncate(1);
    let dir = tempfile::tempdir().expect("temp dir");
    for (backend, store) in stores(dir.path()) {
        block_on(store.apply(&bulk)).expect("bulk apply");
        let loaded = sorted(block_on(store.load()).expect("load"));
        let expected = sorted(StoredState { files: bulk.upserts.clone(), project_files: bulk.project_files.clone() });
        assert_same_state(&loaded, &expected, backend);
        assert_eq!(block_on(store.dependents("many/5.py")).expect("dependents").len(), 20, "{backend}");

        block_on(store.apply(&edit)).expect("edit");
        let mut expected = expected;
        expected.files.retain(|file| file.path != "many/7.py");
        for file in &mut expected.files {
            if let Some(edited) = edit.upserts.iter().find(|edited| edited.path == file.path) {
                *file = edited.clone();
            }
        }
        let loaded = sorted(block_on(store.load()).expect("load"));
        assert_same_state(&loaded, &expected, &format!("{backend} after an edit"));
    }
}

/// Reads what a store's paths table holds, in order.
type PathsReader<'a> = Box<dyn Fn() -> Vec<String> + 'a>;

/// The SQL stores name files by ids from a paths table. A path must stay exactly while a
/// file or an edge names it: never dangling, never piling up as files come and go.
#[test]
fn sql_stores_keep_a_path_exactly_while_it_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite_path = dir.path().join("paths.sqlite3");
    let sqlite = SqliteStore::open(&sqlite_path).expect("open SQLite");
    let api_base = d1_server::api_base();
    let database = d1_server::unique_database("paths");
    let d1 = d1_server::fresh_store(d1_server::config(&api_base, &database));
    let postgres = postgres_server::database_url().map(|url| {
        let workspace = postgres_server::unique_workspace("paths");
        (block_on(PostgresStore::connect(&url, &workspace)).expect("connect"), url, workspace)
    });
    let mut stored_paths: Vec<(&str, &dyn Store, PathsReader)> = vec![
        (
            "sqlite",
            &sqlite,
            Box::new(|| {
                let connection = rusqlite_connection(&sqlite_path);
                let mut statement = connection.prepare("SELECT path FROM paths ORDER BY path").expect("prepare");
                statement.query_map([], |row| row.get(0)).expect("query").collect::<Result<_, _>>().expect("rows")
            }),
        ),
        (
            "d1",
            &d1,
            Box::new(|| {
                let rows = d1_server::raw_rows(&api_base, &database, "SELECT path FROM paths ORDER BY path");
                rows.iter().filter_map(|row| Some(row.first()?.as_str()?.to_owned())).collect()
            }),
        ),
    ];
    if let Some((store, url, workspace)) = &postgres {
        stored_paths.push((
            "postgres",
            store,
            Box::new(move || {
                block_on(async {
                    let (client, connection) =
                        tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
                    tokio::spawn(connection);
                    let rows = client
                        .query(
                            "SELECT path.path FROM thread_paths AS path
                               JOIN thread_workspaces AS workspace ON workspace.id = path.workspace
                              WHERE workspace.workspace = $1 ORDER BY path.path",
                            &[workspace],
                        )
                        .await
                        .expect("query");
                    rows.iter().map(|row| row.get(0)).collect()
                })
            }),
        ));
    }
    let file = |path: &str, imports: &[&str]| StoredFile {
        path: path.to_owned(),
        lang: Lang::Python,
        content: Fingerprint::of_bytes(format!("{path} {imports:?}").as_bytes()),
        stat: None,
        facts: std::sync::Arc::new(FileFacts::default()),
        edges: imports
            .iter()
            .map(|target| StoredEdge { to: (*target).to_owned(), kind: ImportKind::Import, line: 1, names: None })
            .collect(),
        unresolved: Vec::new(),
        resolution: None,
    };
    let upsert = |files: Vec<StoredFile>| ChangeSet { upserts: files, removals: Vec::new(), project_files: Vec::new() };
    let remove =
        |path: &str| ChangeSet { upserts: Vec::new(), removals: vec![path.to_owned()], project_files: Vec::new() };
    for (backend, store, paths) in &stored_paths {
        let steps: [(&str, ChangeSet, &[&str]); 6] = [
            (
                "three files, a.py importing b.py",
                upsert(vec![file("a.py", &["b.py"]), file("b.py", &[]), file("c.py", &[])]),
                &["a.py", "b.py", "c.py"],
            ),
            ("c.py, which nothing imports, removed", remove("c.py"), &["a.py", "b.py"]),
            ("b.py removed while a.py's edge still names it", remove("b.py"), &["a.py", "b.py"]),
            ("a.py no longer importing b.py", upsert(vec![file("a.py", &[])]), &["a.py"]),
            ("an edge to a path that is no file", upsert(vec![file("a.py", &["ghost.py"])]), &["a.py", "ghost.py"]),
            ("that edge gone", upsert(vec![file("a.py", &[])]), &["a.py"]),
        ];
        for (step, changes, expected) in steps {
            block_on(store.apply(&changes)).expect("apply");
            assert_eq!(paths(), expected, "{backend}: {step}");
        }
        // The file naming a removed path still finds it as a dependency target.
        block_on(store.apply(&upsert(vec![file("a.py", &["b.py"])]))).expect("apply");
        assert_eq!(block_on(store.dependents("b.py")).expect("dependents"), ["a.py"], "{backend}");
        assert!(block_on(store.load()).expect("load").files.iter().all(|file| file.path == "a.py"), "{backend}");
    }
}
