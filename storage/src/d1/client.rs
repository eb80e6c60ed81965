//! Talking to D1's REST API: one batch per request, D1's envelope read back, and the
//! retries D1 asks for. Every request Thread sends is safe to replay (see the store's
//! write fence), so a request whose fate is unknown (a timeout, a lost response) is
//! simply sent again.
//!
//! The API token lives only in a header marked sensitive; no error or log names it.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde_json::{Value, json};

/// Where a D1 database is and how to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct D1Config {
    /// The API's base URL: `https://api.cloudflare.com/client/v4`, or an emulator's.
    pub api_base: String,
    /// The Cloudflare account.
    pub account_id: String,
    /// The D1 database.
    pub database_id: String,
    /// The API token, sent as a bearer token. Never logged.
    pub token: String,
    /// How requests are retried and timed out.
    pub retry: RetryPolicy,
    /// Bytes of one request body Thread aims to stay under; a change set bigger than
    /// this is staged over several requests and committed by one.
    pub max_request_bytes: usize,
}

impl D1Config {
    /// The default for [`D1Config::max_request_bytes`].
    pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4_000_000;

    /// Cloudflare's API.
    pub const CLOUDFLARE_API: &'static str = "https://api.cloudflare.com/client/v4";

    /// A database on Cloudflare's API with the default retry policy.
    pub fn new(account_id: &str, database_id: &str, token: &str) -> D1Config {
        D1Config {
            api_base: D1Config::CLOUDFLARE_API.to_owned(),
            account_id: account_id.to_owned(),
            database_id: database_id.to_owned(),
            token: token.to_owned(),
            retry: RetryPolicy::default(),
            max_request_bytes: D1Config::DEFAULT_MAX_REQUEST_BYTES,
        }
    }

    /// The database without credentials, for messages: `d1://<account>/<database>`.
    pub fn location(&self) -> String {
        format!("d1://{}/{}", self.account_id, self.database_id)
    }
}

impl std::fmt::Debug for D1Config {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("D1Config")
            .field("api_base", &self.api_base)
            .field("account_id", &self.account_id)
            .field("database_id", &self.database_id)
            .field("token", &"<hidden>")
            .field("retry", &self.retry)
            .field("max_request_bytes", &self.max_request_bytes)
            .finish()
    }
}

/// How a request is retried: on HTTP 429 (after `Retry-After`), on 5xx, on D1's
/// transient errors, and when no response came back in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait after the first failure; it doubles after each.
    pub first_backoff: Duration,
    /// The longest wait between attempts, `Retry-After` included.
    pub max_backoff: Duration,
    /// How long one attempt may take. D1 stops a request after 30 s.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 8,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(40),
        }
    }
}

/// One statement of a batch. Parameters are strings or null: JSON numbers above 2^53
/// would lose precision on D1's side, so anything numeric travels inside JSON text.
#[derive(Clone, Debug)]
pub(crate) struct Statement {
    pub(crate) sql: String,
    pub(crate) params: Vec<Option<String>>,
}

impl Statement {
    pub(crate) fn new(sql: impl Into<String>, params: Vec<Option<String>>) -> Statement {
        Statement { sql: sql.into(), params }
    }

    /// Bytes this statement adds to a request body, near enough for budgeting.
    pub(crate) fn weight(&self) -> usize {
        self.sql.len() + self.params.iter().map(|param| param.as_ref().map_or(4, String::len) + 3).sum::<usize>()
    }
}

/// One statement's rows, as `/raw` returns them.
#[derive(Debug, Default)]
pub(crate) struct RawRows {
    pub(crate) rows: Vec<Vec<Value>>,
}

/// Why a request failed for good.
#[derive(Debug, thiserror::Error)]
pub(crate) enum D1Error {
    /// D1 ran the request and refused it; retrying would not help.
    #[error("D1 refused the request (code {code}): {message}")]
    Refused {
        /// D1's error code: 7500 for SQL errors, 7400 for a malformed body.
        code: u64,
        /// D1's message.
        message: String,
    },
    /// The retries ran out.
    #[error("no success after {attempts} attempts; the last: {last}")]
    GaveUp {
        /// How many were made.
        attempts: u32,
        /// What the last one met.
        last: String,
    },
}

/// D1's messages for failures that pass: the request may be sent again as it is.
const TRANSIENT_MESSAGES: &[&str] = &[
    "Network connection lost",
    "storage caused object to be reset",
    "reset because its code was updated",
    "Cannot resolve D1 DB due to transient issue",
    "D1 DB is overloaded",
    "SQLITE_BUSY",
];

/// A client for one D1 database.
pub(crate) struct D1Client {
    http: reqwest::Client,
    database_url: String,
    authorization: HeaderValue,
    retry: RetryPolicy,
}

impl D1Client {
    pub(crate) fn new(config: &D1Config) -> Result<D1Client, String> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token))
            .map_err(|_| "the D1 API token holds characters a header cannot carry".to_owned())?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(config.retry.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        let database_url = format!(
            "{}/accounts/{}/d1/database/{}",
            config.api_base.trim_end_matches('/'),
            config.account_id,
            config.database_id
        );
        Ok(D1Client { http, database_url, authorization, retry: config.retry })
    }

    /// Runs `batch` atomically through `/raw`, returning each statement's rows.
    pub(crate) async fn raw(&self, batch: &[Statement]) -> Result<Vec<RawRows>, D1Error> {
        let results = self.send("raw", batch).await?;
        Ok(results
            .into_iter()
            .map(|mut result| {
                let rows = match result.pointer_mut("/results/rows").map(Value::take) {
                    Some(Value::Array(rows)) => rows
                        .into_iter()
                        .map(|row| match row {
                            Value::Array(values) => values,
                            _ => Vec::new(),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                RawRows { rows }
            })
            .collect())
    }

    /// Runs `batch` atomically through `/query`, for its effects.
    pub(crate) async fn execute(&self, batch: &[Statement]) -> Result<(), D1Error> {
        self.send("query", batch).await.map(drop)
    }

    async fn send(&self, endpoint: &str, batch: &[Statement]) -> Result<Vec<Value>, D1Error> {
        let body = json!({
            "batch": batch.iter().map(|statement| json!({ "sql": statement.sql, "params": statement.params })).collect::<Vec<_>>(),
        })
        .to_string();
        let url = format!("{}/{endpoint}", self.database_url);
        let mut backoff = self.retry.first_backoff;
        let mut last = String::new();
        for attempt in 1..=self.retry.attempts {
            let wait = match self.attempt(&url, &body).await {
                Attempt::Done(results) => return Ok(results),
                Attempt::Refused { code, message } => return Err(D1Error::Refused { code, message }),
                Attempt::Retry { reason, retry_after } => {
                    tracing::debug!(attempt, %reason, "D1 request failed; retrying");
                    last = reason;
                    retry_after.unwrap_or(backoff).min(self.retry.max_backoff)
                }
            };
            if attempt < self.retry.attempts {
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(self.retry.max_backoff);
            }
        }
        Err(D1Error::GaveUp { attempts: self.retry.attempts, last })
    }

    async fn attempt(&self, url: &str, body: &str) -> Attempt {
        let response = self
            .http
            .post(url)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            // Timeouts and broken connections: the request may or may not have run.
            Err(error) => return Attempt::Retry { reason: error.without_url().to_string(), retry_after: None },
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = match response.text().await {
            Ok(text) => text,
            Err(error) => return Attempt::Retry { reason: error.without_url().to_string(), retry_after: None },
        };
        let envelope: Option<Value> = serde_json::from_str(&text).ok();
        let first_error = envelope.as_ref().and_then(|envelope| envelope.pointer("/errors/0")).map(|error| {
            (
                error.get("code").and_then(Value::as_u64).unwrap_or(0),
                error.get("message").and_then(Value::as_str).unwrap_or("").to_owned(),
            )
        });
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Attempt::Retry { reason: "HTTP 429: rate limited".to_owned(), retry_after };
        }
        let success = envelope.as_ref().and_then(|envelope| envelope.get("success")).and_then(Value::as_bool);
        if status.is_success() && success == Some(true) {
            let results = match envelope.and_then(|mut envelope| envelope.get_mut("result").map(Value::take)) {
                Some(Value::Array(results)) => results,
                _ => Vec::new(),
            };
            return Attempt::Done(results);
        }
        let (code, message) = first_error.unwrap_or_else(|| (0, "the response has no D1 envelope".to_owned()));
        let transient = TRANSIENT_MESSAGES.iter().any(|phrase| message.contains(phrase));
        if status.is_server_error() || transient {
            return Attempt::Retry { reason: format!("HTTP {status}: {message}"), retry_after };
        }
        Attempt::Refused { code, message: format!("HTTP {status}: {message}") }
    }
}

enum Attempt {
    Done(Vec<Value>),
    Refused { code: u64, message: String },
    Retry { reason: String, retry_after: Option<Duration> },
}
