//! `thread-lsp affected` against grimp on a real tree: httpx from PyPI, put under git and
//! taken through a scripted history (an edit, a rename, a deletion, a new untracked file,
//! a project-file change). After each step the affected files must equal the reverse
//! transitive closure `tests/tools/affected_truth.py` computes from grimp's graphs.
//! Without grimp the test skips loudly; under `THREAD_CI=1` it fails instead.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tools() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tools")
}

fn run(command: &mut Command) -> Vec<u8> {
    let output = command.output().expect("the command runs");
    assert!(output.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

fn git(root: &Path, arguments: &[&str]) {
    run(Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["-c", "user.name=Thread", "-c", "user.email=thread@example.invalid"])
        .args(arguments));
}

fn paths(json: &serde_json::Value, key: &str) -> BTreeSet<String> {
    json[key].as_array().expect("a list").iter().map(|path| path.as_str().expect("a path").to_owned()).collect()
}

/// Thread's and grimp's affected files since `base`, over the files grimp sees.
fn compare(root: &Path, cache: &Path, base: &str, tests: bool) -> usize {
    let mut thread = Command::new(env!("CARGO_BIN_EXE_thread-lsp"));
    thread.arg("affected").arg(root).args(["--base", base, "--format", "json"]).env("THREAD_CACHE_DIR", cache);
    let mut truth = Command::new("python3");
    truth.arg(tools().join("affected_truth.py")).arg(root).arg(base);
    if tests {
        thread.arg("--tests");
        truth.arg("--tests");
    }
    let ours: serde_json::Value = serde_json::from_slice(&run(&mut thread)).expect("JSON");
    let theirs: serde_json::Value = serde_json::from_slice(&run(&mut truth)).expect("JSON");
    let known = paths(&theirs, "known");
    let ours: BTreeSet<String> = paths(&ours, "affected").intersection(&known).cloned().collect();
    let theirs = paths(&theirs, "affected");
    assert_eq!(
        ours,
        theirs,
        "since {base}: Thread only {:?}; grimp only {:?}",
        ours.difference(&theirs).collect::<Vec<_>>(),
        theirs.difference(&ours).collect::<Vec<_>>()
    );
    ours.len()
}

#[test]
fn affected_files_equal_grimps_reverse_closure_over_a_scripted_history() {
    if !Command::new("python3").args(["-c", "import grimp"]).output().is_ok_and(|output| output.status.success()) {
        support::skip_or_fail("the affected test needs grimp (run .ci/install-test-tools)");
        return;
    }
    let corpora = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ground-truth-corpora");
    let fetched = run(Command::new("python3").current_dir(tools()).args([
        "-c",
        "import sys; from ground_truth import fetch_sdist; print(fetch_sdist(sys.argv[1], 'httpx', '0.27.0'))",
        corpora.to_str().expect("UTF-8 path"),
    ]));
    let corpus = PathBuf::from(String::from_utf8(fetched).expect("UTF-8").trim());
    let work = tempfile::tempdir().expect("temp dir");
    let cache = tempfile::tempdir().expect("cache dir");
    let root = work.path().join("httpx");
    run(Command::new("cp").arg("-r").arg(&corpus).arg(&root));
    git(&root, &["init", "-q"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "base"]);
    let total = std::fs::read_dir(root.join("httpx")).expect("package").count();

    // An edit of a module many import, then of a leaf.
    let append = |path: &str, text: &str| {
        let file = root.join(path);
        let mut contents = std::fs::read_to_string(&file).expect("read");
        contents.push_str(text);
        std::fs::write(file, contents).expect("write");
    };
    append("httpx/_urls.py", "\n# edited\n");
    let central = compare(&root, cache.path(), "HEAD", false);
    git(&root, &["commit", "-qam", "edit"]);
    append("httpx/_main.py", "\n# edited\n");
    let leaf = compare(&root, cache.path(), "HEAD", false);
    assert!(leaf < central, "a leaf affects less than a central module ({leaf} vs {central})");
    git(&root, &["commit", "-qam", "leaf"]);

    // A rename, a deletion and a new untracked module; and the tests alone.
    git(&root, &["mv", "httpx/_utils.py", "httpx/_helpers.py"]);
    git(&root, &["rm", "-q", "httpx/_status_codes.py"]);
    std::fs::write(root.join("httpx/_extra.py"), "from ._models import Request\n").expect("write");
    compare(&root, cache.path(), "HEAD", false);
    let tests = compare(&root, cache.path(), "HEAD", true);
    assert!(tests > 0, "deleting _status_codes affects tests");
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-qm", "rename and delete"]);

    // A project file configures everything under its directory.
    append("pyproject.toml", "\n# edited\n");
    let everything = compare(&root, cache.path(), "HEAD", false);
    assert!(everything > total / 2, "pyproject.toml affects every module");
    git(&root, &["commit", "-qam", "project"]);

    // The whole history at once, against the first commit.
    compare(&root, cache.path(), "HEAD~4", false);
}
