//! D1 for the tests: this repository's emulator, over real HTTP, or Cloudflare's own
//! local D1 engine when `THREAD_TEST_D1_URL` names the API base of the Worker in
//! `tests/tools/d1-worker` (`tests/tools/d1-worker/run-d1-suite` does it all). That
//! Worker maps database ids onto a few local databases, so the tests run one at a time
//! and empty each database when they first connect.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use thread_d1_emulator::{EmulatorOptions, RunningEmulator};
use thread_flow::storage::{D1Config, D1Store, RetryPolicy};

use crate::block_on;

/// The token the tests' D1 expects.
pub(crate) const TOKEN: &str = "thread-test-token-5b1e";

/// Waits short enough for tests, retries as the real policy does.
pub(crate) const TEST_RETRY: RetryPolicy = RetryPolicy {
    attempts: 8,
    first_backoff: Duration::from_millis(50),
    max_backoff: Duration::from_secs(2),
    request_timeout: Duration::from_secs(20),
};

/// Cloudflare's local D1 engine, when the run was pointed at one.
fn wrangler_api_base() -> Option<String> {
    std::env::var("THREAD_TEST_D1_URL").ok().filter(|url| !url.is_empty())
}

/// Whether the tests run against Cloudflare's local engine rather than the emulator.
pub(crate) fn is_local_engine() -> bool {
    wrangler_api_base().is_some()
}

/// One emulator for the whole test binary; tests keep apart by database id.
fn shared_emulator() -> &'static RunningEmulator {
    static EMULATOR: OnceLock<RunningEmulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let options = EmulatorOptions { token: Some(TOKEN.to_owned()), ..EmulatorOptions::default() };
        block_on(thread_d1_emulator::start(options, "127.0.0.1:0".parse().expect("address")))
            .expect("start the emulator")
    })
}

/// Starts an emulator of the test's own, for tests that inject faults.
pub(crate) fn own_emulator(options: EmulatorOptions) -> RunningEmulator {
    let options = EmulatorOptions { token: Some(TOKEN.to_owned()), ..options };
    block_on(thread_d1_emulator::start(options, "127.0.0.1:0".parse().expect("address"))).expect("start the emulator")
}

/// The API base the D1 tests talk to.
pub(crate) fn api_base() -> String {
    wrangler_api_base().unwrap_or_else(|| shared_emulator().api_base())
}

/// A database id no other test uses.
pub(crate) fn unique_database(name: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{name}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A configuration for `database` at `api_base`.
pub(crate) fn config(api_base: &str, database: &str) -> D1Config {
    D1Config {
        api_base: api_base.to_owned(),
        retry: TEST_RETRY,
        ..D1Config::new("thread-test-account", database, TOKEN)
    }
}

/// The rows `sql` reads from `database`, through D1's `/raw` endpoint: what is really
/// stored, with no store code in between.
pub(crate) fn raw_rows(api_base: &str, database: &str, sql: &str) -> Vec<Vec<serde_json::Value>> {
    let url = format!("{api_base}/accounts/thread-test-account/d1/database/{database}/raw");
    block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .bearer_auth(TOKEN)
            .body(serde_json::json!({ "sql": sql }).to_string())
            .send()
            .await
            .expect("a D1 query");
        let envelope: serde_json::Value = serde_json::from_str(&response.text().await.expect("body")).expect("json");
        serde_json::from_value(envelope["result"][0]["results"]["rows"].clone()).expect("rows")
    })
}

/// A store on a database of its own, empty.
pub(crate) fn fresh_store(config: D1Config) -> D1Store {
    let store = block_on(D1Store::connect(config)).expect("connect to D1");
    // The Worker may hand out a database an earlier test used: empty it.
    if is_local_engine() {
        block_on(store.rebuild()).expect("rebuild");
    }
    store
}
