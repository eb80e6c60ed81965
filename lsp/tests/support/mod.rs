//! What the command-line and editor tests share: writing a workspace's files, and the
//! loud skip of a test whose tool is missing. Each test binary uses part of it.
#![allow(dead_code)]

use std::path::Path;

/// Writes `text` at `path` under `root`, creating directories.
pub(crate) fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent directory")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

// A test that needs a missing tool skips, saying what to install, and the binary ends by
// counting the run's skips; under `THREAD_CI=1` a skip fails instead.
#[path = "../../../tests/support/skips.rs"]
mod skips;
#[allow(unused_imports, reason = "not every test binary skips")]
pub(crate) use skips::skip_or_fail;
