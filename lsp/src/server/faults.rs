//! Faults injected on purpose, for the tests that prove the server survives them. All
//! are off unless their environment variable is set:
//!
//! - `THREAD_TEST_PANIC_ON=MARKER`: a batch that takes in a text containing the marker
//!   panics after the host has applied it, as a bug half-way through a batch would;
//! - `THREAD_TEST_STALL_ON=MARKER:MILLIS`: a batch that takes in such a text pauses that
//!   long before applying it, as an analysis of a huge change would;
//! - `THREAD_TEST_REQUEST_PATIENCE_MS`: how long a request waits for the analysis to
//!   catch up, instead of [`REQUEST_PATIENCE`].

use std::sync::OnceLock;
use std::time::Duration;

/// How long a request waits for the analysis to take in the edits sent before it.
const REQUEST_PATIENCE: Duration = Duration::from_secs(5);

/// Whether `text` carries the marker that makes the analysis panic.
pub(crate) fn panic_armed_for(text: &str) -> bool {
    std::env::var("THREAD_TEST_PANIC_ON").is_ok_and(|marker| !marker.is_empty() && text.contains(&marker))
}

/// How long to pause before analysing `text`, when it carries the stall's marker.
pub(crate) fn stall_for(text: &str) -> Option<Duration> {
    let armed = std::env::var("THREAD_TEST_STALL_ON").ok()?;
    let (marker, millis) = armed.rsplit_once(':')?;
    let millis: u64 = millis.parse().ok()?;
    (!marker.is_empty() && text.contains(marker)).then(|| Duration::from_millis(millis))
}

/// How long a request waits for the analysis to catch up before it is refused.
pub(crate) fn request_patience() -> Duration {
    static PATIENCE: OnceLock<Duration> = OnceLock::new();
    *PATIENCE.get_or_init(|| {
        std::env::var("THREAD_TEST_REQUEST_PATIENCE_MS")
            .ok()
            .and_then(|millis| millis.parse().ok())
            .map_or(REQUEST_PATIENCE, Duration::from_millis)
    })
}
