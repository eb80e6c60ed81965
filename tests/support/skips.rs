//! Loud skips, shared by every test binary (`#[path]`-included, so the rule is written
//! once): a test whose tool is missing says so where a person sees it, and a binary that
//! skipped anything ends by counting every skip of the `cargo test` run so far, with the
//! reasons. Under `THREAD_CI=1` a skip is a failure instead.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Once;

/// Skips the calling test, or fails it under `THREAD_CI=1`. The message goes to the
/// process's stderr directly, past the test harness's capture, so that a person running
/// `cargo test` sees it even though the test passes.
pub(crate) fn skip_or_fail(message: &str) {
    assert!(std::env::var_os("THREAD_CI").is_none(), "THREAD_CI is set, so this is a failure: {message}");
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = std::io::stderr().lock().write_all(format!("\n!!! SKIPPED {test}: {message}\n\n").as_bytes());
    record(&test, message);
}

/// Where this run's skips are gathered. Every test binary of one `cargo test` is a child
/// of the same cargo process, so the file is named by that process: its id and, where
/// `/proc` tells it, its start time, so that a later run given the same id starts afresh.
fn run_log() -> PathBuf {
    let cargo = std::os::unix::process::parent_id();
    let started = std::fs::read_to_string(format!("/proc/{cargo}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit(')').next().and_then(|fields| fields.split_whitespace().nth(19)).map(str::to_owned)
        })
        .unwrap_or_default();
    std::env::temp_dir().join("thread-test-skips").join(format!("{cargo}-{started}"))
}

fn record(test: &str, message: &str) {
    let log = run_log();
    let line = format!("{test}\t{}\n", message.replace(['\n', '\t'], " "));
    let written = log
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(&log)?.write_all(line.as_bytes()));
    if let Err(error) = written {
        let _ = writeln!(std::io::stderr(), "!!! the skip could not be recorded in {}: {error}", log.display());
    }
    static COUNT_AT_EXIT: Once = Once::new();
    // SAFETY: `atexit` only stores the function pointer; `count_skips` is a plain
    // `extern "C"` function that touches no state torn down before exit handlers run.
    COUNT_AT_EXIT.call_once(|| unsafe {
        libc::atexit(count_skips);
    });
}

/// Runs as the test binary exits, after the harness's own summary.
extern "C" fn count_skips() {
    let Ok(text) = std::fs::read_to_string(run_log()) else { return };
    let skips: Vec<(&str, &str)> = text.lines().filter_map(|line| line.split_once('\t')).collect();
    let mut summary = format!("\n!!! {} test(s) SKIPPED so far in this cargo test run:\n", skips.len());
    for (test, why) in skips {
        summary.push_str(&format!("!!!   {test}: {why}\n"));
    }
    let _ = std::io::stderr().lock().write_all(summary.as_bytes());
}
