//! `thread-lsp index` as a user runs it: the embedded SQLite store makes a second run
//! over an unchanged tree read nothing, and an edit is read and extracted alone.

mod support;

use std::path::Path;
use std::process::Command;
use support::write;

fn index(root: &Path, cache: &Path, extra: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_thread-lsp"))
        .arg("index")
        .arg(root)
        .args(extra)
        .env("THREAD_CACHE_DIR", cache)
        .output()
        .expect("run thread-lsp");
    assert!(output.status.success(), "thread-lsp failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 summary")
}

fn line<'a>(summary: &'a str, label: &str) -> &'a str {
    summary
        .lines()
        .find(|line| line.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label} line in\n{summary}"))
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "app/__init__.py", "");
    write(dir.path(), "app/models.py", "class User:\n    pass\n");
    write(dir.path(), "app/views.py", "from app.models import User\n\ndef show():\n    return User()\n");
    write(dir.path(), "web/util.ts", "export function greet(name: string) { return name; }\n");
    write(dir.path(), "web/main.ts", "import { greet } from './util';\ngreet('x');\n");
    dir
}

#[test]
fn a_second_index_of_an_unchanged_tree_is_all_cache_hits() {
    let dir = workspace();
    let cache = tempfile::tempdir().expect("cache dir");

    let first = index(dir.path(), cache.path(), &[]);
    assert!(line(&first, "cache hits").contains("0.0%"), "{first}");
    assert!(line(&first, "store").contains("0 files restored, 5 saved"), "{first}");
    assert!(line(&first, "edges").contains(" 2 "), "{first}");

    let second = index(dir.path(), cache.path(), &[]);
    assert!(line(&second, "cache hits").contains("100.0%"), "{second}");
    assert!(line(&second, "cache hits").contains("(5 unchanged by size and mtime, 0 read, 0 extracted)"), "{second}");
    assert!(line(&second, "store").contains("5 files restored, 0 saved"), "{second}");
    assert_eq!(line(&first, "edges"), line(&second, "edges"));

    // An edit while no server ran: that file alone is read and extracted.
    write(dir.path(), "app/models.py", "class User:\n    name = 'x'\n");
    let third = index(dir.path(), cache.path(), &[]);
    assert!(line(&third, "cache hits").contains("(4 unchanged by size and mtime, 1 read, 1 extracted)"), "{third}");
    assert_eq!(line(&first, "edges"), line(&third, "edges"));
}

#[test]
fn the_memory_store_keeps_nothing_between_runs() {
    let dir = workspace();
    let cache = tempfile::tempdir().expect("cache dir");
    index(dir.path(), cache.path(), &["--store", "memory"]);
    let second = index(dir.path(), cache.path(), &["--store", "memory"]);
    assert!(line(&second, "cache hits").contains("0 unchanged by size and mtime"), "{second}");
    assert_eq!(std::fs::read_dir(cache.path()).expect("cache dir").count(), 0, "the memory store wrote nothing");
}

/// Runs `thread-lsp index` expecting it to fail: its exit code and stderr.
fn failing_index(
    root: &Path,
    cache: &Path,
    extra: &[&str],
    environment: &[(&str, &str)],
) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_thread-lsp"))
        .arg("index")
        .arg(root)
        .args(extra)
        .env("THREAD_CACHE_DIR", cache)
        .env_remove("DATABASE_URL")
        .env_remove("CF_API_TOKEN")
        .env_remove("CLOUDFLARE_ACCOUNT_ID")
        .env_remove("THREAD_D1_DATABASE_ID")
        .envs(environment.iter().copied())
        .output()
        .expect("run thread-lsp");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_unusable_database_is_an_error_unless_memory_is_asked_for() {
    let dir = workspace();
    let cache = tempfile::tempdir().expect("cache dir");
    // A directory where the database file should be.
    let database = cache.path().join("db");
    std::fs::create_dir_all(&database).expect("mkdir");
    let path = database.to_str().expect("UTF-8 path");
    let (code, stdout, stderr) = failing_index(dir.path(), cache.path(), &["--database", path], &[]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains(&format!("could not open {path}")) && stderr.contains("--fallback-memory"), "{stderr}");
    assert_eq!(stderr.matches("could not open").count(), 1, "printed once: {stderr}");

    let summary = index(dir.path(), cache.path(), &["--database", path, "--fallback-memory"]);
    assert!(line(&summary, "store").contains("memory (could not open"), "{summary}");
    assert!(line(&summary, "store").contains("nothing kept"), "memory is never 'saved': {summary}");
    assert!(line(&summary, "python").contains('3'), "{summary}");
}

#[test]
fn a_store_without_its_settings_names_what_is_missing() {
    let dir = workspace();
    let cache = tempfile::tempdir().expect("cache dir");
    let (code, _, stderr) = failing_index(dir.path(), cache.path(), &["--store", "postgres"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--store postgres needs --database-url or the DATABASE_URL environment variable"),
        "{stderr}"
    );

    let (code, _, stderr) = failing_index(dir.path(), cache.path(), &["--store", "d1", "--d1-account-id", "acct"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "--store d1 needs --d1-database-id (or THREAD_D1_DATABASE_ID) and the CF_API_TOKEN environment variable"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("--d1-account-id (or"), "the account was given: {stderr}");
}

#[test]
fn an_empty_tree_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "README.md", "# nothing to analyse\n");
    let cache = tempfile::tempdir().expect("cache dir");
    let (code, stdout, stderr) = failing_index(dir.path(), cache.path(), &["--store", "memory"], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("Indexed "), "{stdout}");
    assert!(stderr.contains("no Rust, Python, TypeScript/JavaScript or Go files found"), "{stderr}");
}

#[test]
fn an_unreachable_postgres_is_an_error_that_never_shows_the_password() {
    let root = workspace();
    let cache = tempfile::tempdir().expect("temp dir");
    // Port 1 on loopback refuses connections at once.
    let url = "postgres://alice:pa55-w0rd-secret@127.0.0.1:1/thread";
    let (code, stdout, stderr) =
        failing_index(root.path(), cache.path(), &["--store", "postgres"], &[("DATABASE_URL", url)]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("postgres://alice@127.0.0.1:1/thread"), "names the server: {stderr}");
    assert!(!stderr.contains("pa55-w0rd-secret"), "{stderr}");

    let (code, stdout, stderr) = failing_index(
        root.path(),
        cache.path(),
        &["--store", "postgres", "--fallback-memory"],
        &[("DATABASE_URL", url)],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(line(&stdout, "store").contains("memory"), "{stdout}");
    assert!(line(&stdout, "store").contains("postgres://alice@127.0.0.1:1/thread"), "{stdout}");
    assert!(!stdout.contains("pa55-w0rd-secret") && !stderr.contains("pa55-w0rd-secret"), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("Indexed "), "{stdout}");
}

/// `--store d1` against the D1 emulator over HTTP: the second run is warm from D1, and
/// neither the token nor a wrong token's refusal shows it.
#[test]
fn the_d1_store_keeps_the_index_between_runs_and_never_shows_the_token() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let token = "cf-token-9f8e7d-secret";
    let options = thread_d1_emulator::EmulatorOptions { token: Some(token.to_owned()), ..Default::default() };
    let emulator = runtime
        .block_on(thread_d1_emulator::start(options, "127.0.0.1:0".parse().expect("address")))
        .expect("start the emulator");
    let root = workspace();
    let cache = tempfile::tempdir().expect("temp dir");
    let run = |token: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_thread-lsp"))
            .arg("index")
            .arg(root.path())
            .args(["--store", "d1", "--d1-account-id", "acct", "--d1-database-id", "db-cli"])
            .args(["--d1-api-url", &emulator.api_base()])
            .env("CF_API_TOKEN", token)
            .env("THREAD_CACHE_DIR", cache.path())
            .output()
            .expect("run thread-lsp");
        let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{stderr}");
        assert!(!stdout.contains(token) && !stderr.contains(token), "{stdout}\n{stderr}");
        stdout.into_owned()
    };
    let first = run(token);
    assert!(line(&first, "store").contains("d1 d1://acct/db-cli"), "{first}");
    assert!(line(&first, "store").contains("0 files restored, 5 saved"), "{first}");
    let second = run(token);
    assert!(line(&second, "cache hits").contains("100.0%"), "{second}");
    assert!(line(&second, "store").contains("5 files restored, 0 saved"), "{second}");

    let wrong = "a-wrong-token-1234";
    let (code, stdout, stderr) = failing_index(
        root.path(),
        cache.path(),
        &[
            "--store",
            "d1",
            "--d1-account-id",
            "acct",
            "--d1-database-id",
            "db-cli",
            "--d1-api-url",
            &emulator.api_base(),
        ],
        &[("CF_API_TOKEN", wrong)],
    );
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("Authentication error"), "{stderr}");
    assert!(!stderr.contains(wrong) && !stderr.contains(token), "{stderr}");
}

/// `--verbose` prints a cycle as an import path, each file importing the next, not as its
/// files in alphabetical order; and it names the files with syntax errors.
#[test]
fn verbose_cycles_are_import_paths_and_syntax_errors_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = tempfile::tempdir().expect("cache dir");
    // a → c → b → a: alphabetical order (a, b, c) is no import path.
    write(dir.path(), "pkg/__init__.py", "");
    write(dir.path(), "pkg/a.py", "from pkg import c\n");
    write(dir.path(), "pkg/b.py", "from pkg import a\n");
    write(dir.path(), "pkg/c.py", "from pkg import b\n");
    write(dir.path(), "pkg/broken.py", "def f(:\n    pass\n");
    let summary = index(dir.path(), cache.path(), &["--verbose", "--store", "memory"]);
    assert!(summary.contains("cycle: pkg/a.py → pkg/c.py → pkg/b.py → pkg/a.py"), "{summary}");
    assert!(summary.lines().any(|line| line.starts_with("syntax pkg/broken.py:1:")), "{summary}");
}

/// A stored file without its resolution (written by an older Thread, or one whose
/// resolver has changed since) is resolved again when it is restored, and saved again
/// with its resolution; the files stored with theirs are not saved again.
#[test]
fn a_file_restored_without_its_resolution_is_saved_again_with_it() {
    let dir = workspace();
    let cache = tempfile::tempdir().expect("cache dir");
    let database = cache.path().join("thread.db");
    let database = database.to_str().expect("UTF-8 path");
    let first = index(dir.path(), cache.path(), &["--database", database]);
    let stored_facts = |path: &str| -> Vec<u8> {
        let connection = rusqlite::Connection::open(database).expect("open the database");
        connection
            .query_row("SELECT facts FROM files WHERE id = (SELECT id FROM paths WHERE path = ?1)", [path], |row| {
                row.get(0)
            })
            .expect("a stored row")
    };
    let stored = stored_facts("app/views.py");
    let (_, facts_length) = thread_extractors::codec::decode_prefix(&stored).expect("stored facts decode");
    assert!(facts_length < stored.len(), "stored with its resolution after the facts");

    let store_facts = |path: &str, bytes: &[u8]| {
        let connection = rusqlite::Connection::open(database).expect("open the database");
        let updated = connection
            .execute(
                "UPDATE files SET facts = ?1 WHERE id = (SELECT id FROM paths WHERE path = ?2)",
                rusqlite::params![bytes, path],
            )
            .expect("rewrite a stored row");
        assert_eq!(updated, 1);
    };

    // The facts alone, as a store written before resolutions were kept holds them; then
    // the resolution of another resolver revision.
    let revision = thread_extractors::resolve::RESOLVER_REVISION;
    let revision_length = stored[facts_length..].iter().position(|byte| byte & 0x80 == 0).expect("a varint") + 1;
    let mut other_revision = stored[..facts_length].to_vec();
    let mut value = u64::from(revision ^ 1);
    while value >= 0x80 {
        other_revision.push((value as u8) | 0x80);
        value >>= 7;
    }
    other_revision.push(value as u8);
    other_revision.extend_from_slice(&stored[facts_length + revision_length..]);
    for (what, bytes) in [("no resolution", &stored[..facts_length]), ("another revision", &other_revision[..])] {
        store_facts("app/views.py", bytes);
        let second = index(dir.path(), cache.path(), &["--database", database]);
        assert!(line(&second, "store").contains("5 files restored, 1 saved"), "{what}: {second}");
        assert!(
            line(&second, "cache hits").contains("(5 unchanged by size and mtime, 0 read, 0 extracted)"),
            "{what}: resolved again, not read again: {second}"
        );
        assert_eq!(stored_facts("app/views.py"), stored, "{what}: saved again with its resolution");
        assert_eq!(line(&first, "edges"), line(&second, "edges"), "{what}");

        let third = index(dir.path(), cache.path(), &["--database", database]);
        assert!(line(&third, "store").contains("5 files restored, 0 saved"), "{what}: {third}");
    }
}
