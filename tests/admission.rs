//! The one admission rule (`thread_engine::admit`): which files enter the graph, with
//! decoys for each reason, and the walk agreeing with it on every file of a tree.

use std::path::Path;

use thread_flow::engine::loader::discover;
use thread_flow::engine::{Admission, LoadOptions, SkipReason, admit};
use thread_flow::extractors::Lang;

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for (path, text) in [
        ("app/a.py", "import app.b\n"),
        ("app/b.py", "x = 1\n"),
        ("pyproject.toml", "[project]\nname = \"app\"\n"),
        ("web/package.json", "{}\n"),
        ("README.md", "# app\n"),
        (".gitignore", "/gen/\n*.log.py\nbuild/\n!build/keep.py\n"),
        ("gen/made.py", "x = 1\n"),
        ("app/debug.log.py", "x = 1\n"),
        ("sub/.gitignore", "*.py\n!keep.py\n"),
        ("sub/drop.py", "x = 1\n"),
        ("sub/keep.py", "x = 1\n"),
        ("node_modules/x/package.json", "{}\n"),
        ("node_modules/x/index.js", "export const y = 1;\n"),
        ("deep/target/out.rs", "fn main() {}\n"),
        ("big.py", &"x = 1\n".repeat(200)),
        (".storybook/main.ts", "export default {};\n"),
        (".eslintrc.js", "module.exports = {};\n"),
        ("build/.keep", ""),
        ("build/out.py", "x = 1\n"),
        ("build/keep.py", "x = 1\n"),
    ] {
        write(root, path, text);
    }
    std::os::unix::fs::symlink(root.join("app/b.py"), root.join("app/link.py")).expect("symlink");
    dir
}

#[test]
fn admission_refuses_each_file_for_its_own_reason_and_admits_the_rest() {
    let dir = tree();
    let options = LoadOptions { max_file_size: 1000, ..LoadOptions::default() };
    let verdict = |path: &str| admit(dir.path(), path, &options);
    assert_eq!(verdict("app/a.py"), Admission::Source(Lang::Python));
    assert_eq!(verdict("pyproject.toml"), Admission::ProjectFile);
    assert!(matches!(verdict("web/package.json"), Admission::Source(_)), "a manifest that is also a node");
    assert_eq!(verdict("README.md"), Admission::NotAGraphFile);
    assert_eq!(verdict("gen/made.py"), Admission::Refused(SkipReason::Ignored));
    assert_eq!(verdict("app/debug.log.py"), Admission::Refused(SkipReason::Ignored));
    assert_eq!(verdict("sub/drop.py"), Admission::Refused(SkipReason::Ignored), "a nested .gitignore");
    assert_eq!(verdict("sub/keep.py"), Admission::Source(Lang::Python), "its whitelist");
    assert_eq!(
        verdict("node_modules/x/package.json"),
        Admission::Refused(SkipReason::ExcludedDirectory("node_modules".to_owned()))
    );
    assert_eq!(verdict("deep/target/out.rs"), Admission::Refused(SkipReason::ExcludedDirectory("target".to_owned())));
    assert_eq!(verdict("app/link.py"), Admission::Refused(SkipReason::SymbolicLink));
    assert!(matches!(verdict("big.py"), Admission::Refused(SkipReason::TooLarge { .. })));
    assert_eq!(verdict("app/gone.py"), Admission::Source(Lang::Python), "a deleted file is judged by its path");
    assert_eq!(verdict(".storybook/main.ts"), Admission::Refused(SkipReason::Hidden));
    assert_eq!(verdict(".eslintrc.js"), Admission::Refused(SkipReason::Hidden));
    // Git never enters an ignored directory, so a whitelist inside it brings nothing back.
    assert_eq!(verdict("build/keep.py"), Admission::Refused(SkipReason::Ignored));
    // Without .gitignore, the ignored files are admitted.
    let everything = LoadOptions { respect_gitignore: false, ..options.clone() };
    assert_eq!(admit(dir.path(), "gen/made.py", &everything), Admission::Source(Lang::Python));
}

#[test]
fn ignore_files_above_the_root_count_as_the_walk_counts_them() {
    let outer = tempfile::tempdir().expect("temp dir");
    write(outer.path(), ".gitignore", "dist/\n");
    write(outer.path(), "project/dist/bundle.js", "export const x = 1;\n");
    write(outer.path(), "project/src/a.js", "export const a = 1;\n");
    let root = outer.path().join("project");
    let options = LoadOptions::default();
    assert_eq!(admit(&root, "dist/bundle.js", &options), Admission::Refused(SkipReason::Ignored));
    assert_eq!(admit(&root, "src/a.js", &options), Admission::Source(Lang::JavaScript));
    let found = discover(&root, &options).expect("walk");
    let walked: Vec<&str> = found.sources.iter().map(|source| source.path.as_str()).collect();
    assert_eq!(walked, ["src/a.js"]);
}

#[test]
fn the_walk_and_admission_agree_on_every_file() {
    let dir = tree();
    let options = LoadOptions { max_file_size: 1000, ..LoadOptions::default() };
    let found = discover(dir.path(), &options).expect("walk");
    let walked: std::collections::BTreeSet<String> = found
        .sources
        .iter()
        .map(|source| source.path.clone())
        .chain(found.project_files.iter().map(|file| file.path.clone()))
        .collect();
    let every_file: Vec<String> = ignore::WalkBuilder::new(dir.path())
        .standard_filters(false)
        .build()
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_type().is_some_and(|kind| kind.is_dir()))
        .filter_map(|entry| entry.path().strip_prefix(dir.path()).ok()?.to_str().map(str::to_owned))
        .collect();
    assert!(every_file.len() > 15);
    for path in every_file {
        let admitted = admit(dir.path(), &path, &options).enters_graph();
        assert_eq!(admitted, walked.contains(&path), "{path}: admit and the walk disagree");
    }
}

/// The ignore files whose change makes the server walk again: those the walk reads, not
/// lookalike names nor ignore files under directories it never enters.
#[test]
fn ignore_files_are_those_the_walk_reads() {
    let options = LoadOptions::default();
    for path in [".gitignore", ".ignore", "sub/.gitignore", "a/b/.ignore", ".git/info/exclude"] {
        assert!(thread_flow::engine::is_ignore_file(path, &options), "{path}");
    }
    for path in [
        "node_modules/x/.gitignore",
        "deep/target/.gitignore",
        ".venv/lib/.gitignore",
        "gitignore.py",
        "sub/.gitignore.bak",
        "sub/.git/info/exclude",
    ] {
        assert!(!thread_flow::engine::is_ignore_file(path, &options), "{path}");
    }
}
