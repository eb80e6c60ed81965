//! Bad input never crashes the index and never costs the good files their edges.

use std::fs;

use thread_flow::engine::{LoadOptions, SkipReason, index_workspace};

#[test]
fn bad_files_are_skipped_or_analysed_without_losing_good_edges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let write = |path: &str, bytes: &[u8]| {
        let target = root.join(path);
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs::write(target, bytes).expect("write");
    };
    write("good/a.py", b"from good import b\n");
    write("good/b.py", b"X = 1\n");
    write("good/__init__.py", b"");
    write("binary.py", b"\x7fELF\x00\x00\x01binary");
    write("latin1.py", b"# caf\xe9\nfrom good import a\n");
    write("empty.ts", b"");
    write("broken.rs", b"fn main( { let x = ; use crate::nothing\n");
    write("broken.ts", b"import { a } from './good';\nexport function (((\n");
    write("good.ts", b"export const a = 1;\n");
    write("huge.go", &vec![b'/'; 4096]);
    write("ignored_dir/x.py", b"import good\n");
    write(".gitignore", b"ignored_dir/\n");
    write("node_modules/dep/index.js", b"require('./x')\n");

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root, root.join("loop")).expect("symlink loop");
        std::os::unix::fs::symlink(root.join("good/b.py"), root.join("link.py")).expect("symlink");
        fs::write(root.join("unreadable.py"), b"import os\n").expect("write");
        fs::set_permissions(root.join("unreadable.py"), std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .expect("chmod");
    }

    let options = LoadOptions { max_file_size: 1024, ..LoadOptions::default() };
    let report = index_workspace(root, &options).expect("index");

    let edges: Vec<(String, String)> =
        report.graph.edges.iter().map(|edge| (edge.from.clone(), edge.to.clone())).collect();
    for expected in [("good/a.py", "good/b.py"), ("latin1.py", "good/a.py"), ("broken.ts", "good.ts")] {
        assert!(edges.contains(&(expected.0.to_owned(), expected.1.to_owned())), "missing {expected:?} in {edges:?}");
    }
    let skipped = |path: &str| report.skipped.iter().find(|skip| skip.path == path).map(|skip| skip.reason.clone());
    assert_eq!(skipped("binary.py"), Some(SkipReason::Binary));
    assert_eq!(skipped("huge.go"), Some(SkipReason::TooLarge { size: 4096, limit: 1024 }));
    #[cfg(unix)]
    {
        assert_eq!(skipped("link.py"), Some(SkipReason::SymbolicLink));
        // Root cannot be locked out of a file, so only check when the test runs unprivileged.
        if fs::read(root.join("unreadable.py")).is_err() {
            assert!(matches!(skipped("unreadable.py"), Some(SkipReason::Unreadable(_))), "{:?}", report.skipped);
        }
    }
    let analysed: Vec<&str> = report.graph.files.iter().map(|file| file.path.as_str()).collect();
    assert!(analysed.contains(&"empty.ts") && analysed.contains(&"broken.rs"), "{analysed:?}");
    assert!(
        !analysed.iter().any(|path| path.starts_with("ignored_dir/") || path.starts_with("node_modules/")),
        "{analysed:?}"
    );
    assert!(report.warnings.iter().any(|warning| warning.starts_with("latin1.py")), "{:?}", report.warnings);
    assert!(report.files_with_syntax_errors() >= 2);
}

#[test]
fn a_missing_root_is_a_clear_error() {
    let error =
        index_workspace(std::path::Path::new("/definitely/not/here"), &LoadOptions::default()).expect_err("must fail");
    assert!(error.to_string().contains("/definitely/not/here"), "{error}");
}
