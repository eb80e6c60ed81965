//! D1's REST API as Thread's tests serve it: the request and response shapes, D1's
//! limits and error codes, atomic batches and refused transactions. These run against
//! the emulator, and against Cloudflare's local engine when `THREAD_TEST_D1_URL` is set,
//! which is how the two are compared.

use serde_json::{Value, json};
use thread_d1_emulator::{EmulatorOptions, RateLimit};

use crate::{block_on, d1_server};

/// Posts `body` to `endpoint` (`query` or `raw`) of a fresh database; returns the HTTP
/// status, the envelope and the `Retry-After` header.
fn post_to(api_base: &str, database: &str, endpoint: &str, token: &str, body: &str) -> (u16, Value, Option<String>) {
    let url = format!("{api_base}/accounts/thread-test-account/d1/database/{database}/{endpoint}");
    block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the D1 endpoint answers");
        let status = response.status().as_u16();
        let retry_after =
            response.headers().get("retry-after").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("a JSON envelope, got {text:?}")), retry_after)
    })
}

struct Database {
    api_base: String,
    id: String,
}

impl Database {
    /// A database of its own, emptied of the tables these tests create.
    fn fresh(name: &str) -> Database {
        let database = Database { api_base: d1_server::api_base(), id: d1_server::unique_database(name) };
        database.ok("query", json!({ "sql": "DROP TABLE IF EXISTS t" }));
        database
    }

    fn post(&self, endpoint: &str, body: &Value) -> (u16, Value) {
        let (status, envelope, _) = post_to(&self.api_base, &self.id, endpoint, d1_server::TOKEN, &body.to_string());
        (status, envelope)
    }

    #[track_caller]
    fn ok(&self, endpoint: &str, body: Value) -> Value {
        let (status, envelope) = self.post(endpoint, &body);
        assert_eq!(status, 200, "{body} -> {envelope}");
        assert_eq!(envelope["success"], true, "{envelope}");
        assert_eq!(envelope["errors"], json!([]), "{envelope}");
        envelope
    }

    /// The request fails with HTTP 400 and D1's `code`; returns the message.
    #[track_caller]
    fn refused(&self, endpoint: &str, body: Value, code: u64) -> String {
        let (status, envelope) = self.post(endpoint, &body);
        assert_eq!(status, 400, "{envelope}");
        assert_eq!(envelope["success"], false, "{envelope}");
        assert_eq!(envelope["result"], Value::Null, "{envelope}");
        assert_eq!(envelope["errors"][0]["code"], code, "{envelope}");
        envelope["errors"][0]["message"].as_str().expect("a message").to_owned()
    }

    fn count(&self) -> i64 {
        let envelope = self.ok("raw", json!({ "sql": "SELECT count(*) FROM t" }));
        envelope["result"][0]["results"]["rows"][0][0].as_i64().expect("a count")
    }
}

#[test]
fn query_and_raw_answer_in_d1s_shapes() {
    let database = Database::fresh("shapes");
    let created = database.ok(
        "query",
        json!({ "batch": [
            { "sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB)" },
            { "sql": "INSERT INTO t (name, data) VALUES (?1, unhex(?2))", "params": ["größe", "00ff10"] },
        ]}),
    );
    let results = created["result"].as_array().expect("one result per statement");
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["success"], true);
    assert_eq!(results[1]["meta"]["changes"], 1, "{created}");
    assert_eq!(results[1]["meta"]["last_row_id"], 1, "{created}");
    let meta = &results[1]["meta"];
    for field in ["duration", "size_after", "rows_read", "rows_written", "total_attempts"] {
        assert!(meta[field].is_number(), "meta.{field}: {created}");
    }
    assert!(meta["timings"]["sql_duration_ms"].is_number() && meta["changed_db"] == true, "{created}");

    let objects =
        database.ok("query", json!({ "sql": "SELECT id, name, data FROM t WHERE name = ?1", "params": ["größe"] }));
    assert_eq!(objects["result"][0]["results"], json!([{ "id": 1, "name": "größe", "data": [0, 255, 16] }]));

    let raw = database.ok("raw", json!({ "sql": "SELECT id, name FROM t" }));
    assert_eq!(raw["result"][0]["results"], json!({ "columns": ["id", "name"], "rows": [[1, "größe"]] }));

    // D1 runs on JavaScript numbers: integers beyond 2^53 come back rounded, in
    // parameters and in results alike, which is why Thread sends them as text.
    let big = database.ok(
        "query",
        json!({ "sql": "SELECT ?1 AS param, CAST(?2 AS INTEGER) AS cast, CAST(CAST(?2 AS INTEGER) AS TEXT) AS text",
                "params": [9_007_199_254_740_993_i64, "9007199254740993"] }),
    );
    assert_eq!(
        big["result"][0]["results"],
        json!([{ "param": 9_007_199_254_740_992_i64, "cast": 9_007_199_254_740_992_i64, "text": "9007199254740993" }])
    );
}

#[test]
fn a_batch_is_atomic_and_transactions_are_refused() {
    let database = Database::fresh("atomic");
    database.ok("query", json!({ "sql": "CREATE TABLE t (id INTEGER PRIMARY KEY)" }));
    let message = database.refused(
        "query",
        json!({ "batch": [
            { "sql": "INSERT INTO t (id) VALUES (1)" },
            { "sql": "INSERT INTO missing (id) VALUES (2)" },
        ]}),
        7500,
    );
    assert!(message.starts_with("D1_ERROR: ") && message.contains("no such table: missing"), "{message}");
    assert_eq!(database.count(), 0, "the batch's first statement was rolled back");

    for sql in ["BEGIN TRANSACTION", "SAVEPOINT s", "COMMIT"] {
        let message = database.refused("query", json!({ "sql": sql }), 7500);
        assert!(message.starts_with("D1_ERROR: "), "{sql}: {message}");
    }
    let message = database.refused(
        "query",
        json!({ "batch": [{ "sql": "INSERT INTO t (id) VALUES (3)" }, { "sql": "BEGIN" }] }),
        7500,
    );
    assert!(message.starts_with("D1_ERROR: "), "{message}");
    assert_eq!(database.count(), 0, "a refused BEGIN rolls back its batch");
}

#[test]
fn d1s_limits_hold_with_d1s_errors() {
    let database = Database::fresh("limits");
    database.ok("query", json!({ "sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)" }));

    let select =
        |count: usize| json!({ "sql": format!("SELECT {}", vec!["?"; count].join(", ")), "params": vec!["x"; count] });
    database.ok("query", select(100));
    let message = database.refused("query", select(101), 7500);
    assert!(message.contains("too many SQL variables") && message.ends_with("SQLITE_ERROR"), "{message}");

    let padding = "x".repeat(100_000);
    let message = database.refused("query", json!({ "sql": format!("SELECT 1 -- {padding}") }), 7500);
    assert!(message.starts_with("D1_ERROR: ") && message.contains("SQLITE_TOOBIG"), "{message}");

    database.ok("query", json!({ "sql": "INSERT INTO t (body) VALUES (?1)", "params": ["y".repeat(1_900_000)] }));
    if d1_server::is_local_engine() {
        // Cloudflare's local engine takes values up to about 10 MB; production D1, and so
        // the emulator, stop at 2 MB. Thread's writer stays under 2 MB either way.
        return;
    }
    let message = database.refused(
        "query",
        json!({ "sql": "INSERT INTO t (body) VALUES (?1)", "params": ["y".repeat(2_000_001)] }),
        7500,
    );
    assert!(message.contains("too big") && message.contains("SQLITE_TOOBIG"), "{message}");
    assert_eq!(database.count(), 1);
}

#[test]
fn malformed_bodies_and_wrong_tokens_are_refused() {
    let database = Database::fresh("malformed");
    let (status, envelope, _) = post_to(&database.api_base, &database.id, "query", d1_server::TOKEN, "{not json");
    assert_eq!((status, envelope["errors"][0]["code"].as_u64()), (400, Some(7400)), "{envelope}");
    database.refused("query", json!({ "statement": "SELECT 1" }), 7400);

    let message = database.refused("query", json!({ "sql": "SELECT ?1 + ?2", "params": [1] }), 7500);
    assert_eq!(message, "D1_ERROR: Wrong number of parameter bindings for SQL query.");
    let message = database.refused("query", json!({ "sql": "SELECT ?1", "params": [{ "a": 1 }] }), 7500);
    assert!(message.starts_with("D1_TYPE_ERROR: Type 'object' not supported"), "{message}");

    let (status, envelope, _) =
        post_to(&database.api_base, &database.id, "query", "wrong-token", r#"{"sql":"SELECT 1"}"#);
    assert!(matches!(status, 401 | 403), "HTTP {status}: {envelope}");
    assert_eq!(envelope["success"], false, "{envelope}");
}

/// Over the API's rate limit, D1 answers 429 with `Retry-After`. Only the emulator can
/// be made to hit it quickly.
#[test]
fn over_the_rate_limit_d1_answers_429_with_retry_after() {
    let emulator = d1_server::own_emulator(EmulatorOptions {
        rate_limit: Some(RateLimit { requests: 3, window: std::time::Duration::from_secs(60) }),
        ..EmulatorOptions::default()
    });
    let statuses: Vec<(u16, Option<String>)> = (0..4)
        .map(|_| {
            let (status, _, retry_after) =
                post_to(&emulator.api_base(), "limited", "query", d1_server::TOKEN, r#"{"sql":"SELECT 1"}"#);
            (status, retry_after)
        })
        .collect();
    assert_eq!(statuses[..3], [(200, None), (200, None), (200, None)]);
    let (status, retry_after) = &statuses[3];
    assert_eq!(*status, 429);
    let seconds: u64 = retry_after.as_deref().expect("Retry-After").parse().expect("whole seconds");
    assert!((1..=60).contains(&seconds), "{seconds}");
}
