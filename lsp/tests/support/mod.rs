//! What the command-line and editor tests share: writing a workspace's files, and the
//! loud skip of a test whose tool is missing. Each test binary uses part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

/// Writes `text` at `path` under `root`, creating directories.
pub(crate) fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent directory")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A test that needs a missing tool skips, saying what to install; under `THREAD_CI=1`
/// it fails instead. The message goes to the process's stderr directly, past the test
/// harness's capture, so that a person running `cargo test` sees it even though the test
/// passes.
pub(crate) fn skip_or_fail(message: &str) {
    assert!(std::env::var_os("THREAD_CI").is_none(), "THREAD_CI is set, so this is a failure: {message}");
    let _ = std::io::stderr().lock().write_all(format!("\n!!! SKIPPED: {message}\n\n").as_bytes());
}
