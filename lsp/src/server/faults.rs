//! A fault injected on purpose, for the test that proves the server survives a panic in
//! its analysis. Off unless `THREAD_TEST_PANIC_ON` names a marker: a batch that takes in
//! a text containing it panics after the host has applied it, as a bug half-way through a
//! batch would.

/// The environment variable that arms the fault.
const ARMED_BY: &str = "THREAD_TEST_PANIC_ON";

/// Whether `text` carries the armed marker.
pub(crate) fn armed_for(text: &str) -> bool {
    std::env::var(ARMED_BY).is_ok_and(|marker| !marker.is_empty() && text.contains(&marker))
}
