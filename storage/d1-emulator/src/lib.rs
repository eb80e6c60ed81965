//! A local stand-in for Cloudflare D1's REST API, so Thread's D1 store is tested over
//! real HTTP with D1's real request and response shapes.
//!
//! - Endpoints: `POST /client/v4/accounts/{account}/d1/database/{database}/query` (rows
//!   as objects) and `.../raw` (`{columns, rows}`), with a bearer token.
//! - Bodies: `{"sql", "params"}` or `{"batch": [...]}`; each request is one atomic
//!   transaction, and `BEGIN`/`SAVEPOINT` inside it are refused as D1 refuses them.
//! - D1's limits are SQLite's own limits set to D1's values, so exceeding one yields
//!   SQLite's message in D1's `D1_ERROR: ...: SQLITE_...` envelope, code 7500; a
//!   malformed body gets code 7400.
//! - Faults on demand: latency, the API rate limit (HTTP 429 with `Retry-After`), and
//!   queued one-off faults ([`Fault`]).
//!
//! Each database is its own SQLite database, in memory or in a data directory, created
//! on first use.

mod execute;
mod faults;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rusqlite::Connection;
use serde_json::{Value, json};

pub use execute::{Format, MALFORMED_CODE, MAX_BOUND_PARAMETERS, MAX_STATEMENT_BYTES, MAX_VALUE_BYTES, SQL_ERROR_CODE};
pub use faults::{Fault, RateLimit};

use execute::Failure;
use faults::FaultPlan;

/// The largest request body accepted, as Cloudflare's API accepts.
pub const MAX_REQUEST_BYTES: usize = 100 * 1024 * 1024;

/// How an emulator behaves.
#[derive(Clone, Debug, Default)]
pub struct EmulatorOptions {
    /// The bearer token requests must carry; `None` accepts any.
    pub token: Option<String>,
    /// Where databases are kept, one file each; `None` keeps them in memory.
    pub data_dir: Option<PathBuf>,
    /// Added to every request, as the network and D1's own queueing would.
    pub latency: Duration,
    /// D1's API rate limit, if enforced.
    pub rate_limit: Option<RateLimit>,
}

/// A running emulator; dropping it stops the server.
pub struct RunningEmulator {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("RunningEmulator").field("address", &self.address).finish_non_exhaustive()
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

struct Shared {
    options: EmulatorOptions,
    databases: Mutex<HashMap<String, Arc<Mutex<Connection>>>>,
    faults: Mutex<FaultPlan>,
    requests: AtomicU64,
}

/// Starts an emulator on `address` (port 0 picks a free one) on the current Tokio
/// runtime.
pub async fn start(options: EmulatorOptions, address: SocketAddr) -> Result<RunningEmulator, StartError> {
    if let Some(path) = &options.data_dir {
        std::fs::create_dir_all(path).map_err(|source| StartError::DataDir { path: path.clone(), source })?;
    }
    let listener =
        tokio::net::TcpListener::bind(address).await.map_err(|source| StartError::Bind { address, source })?;
    let address = listener.local_addr().map_err(|source| StartError::Bind { address, source })?;
    let shared = Arc::new(Shared {
        faults: Mutex::new(FaultPlan::new(options.rate_limit)),
        options,
        databases: Mutex::new(HashMap::new()),
        requests: AtomicU64::new(0),
    });
    let router = Router::new()
        .route("/client/v4/accounts/{account}/d1/database/{database}/query", post(query))
        .route("/client/v4/accounts/{account}/d1/database/{database}/raw", post(raw))
        // Past axum's 2 MB default: a batch may carry many values of up to 2 MB each.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(Arc::clone(&shared));
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(error) = server.await {
            tracing::error!(%error, "the D1 emulator stopped");
        }
    });
    Ok(RunningEmulator { address, shared, shutdown: Some(shutdown) })
}

impl RunningEmulator {
    /// The API base a client is pointed at: `http://127.0.0.1:PORT/client/v4`.
    pub fn api_base(&self) -> String {
        format!("http://{}/client/v4", self.address)
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Queues `fault` for the next request that arrives.
    pub fn inject(&self, fault: Fault) {
        self.inject_after(0, fault);
    }

    /// Lets `passing` requests through untouched, then applies `fault` to the next.
    pub fn inject_after(&self, passing: usize, fault: Fault) {
        self.shared.faults.lock().unwrap_or_else(PoisonError::into_inner).push(passing, fault);
    }

    /// Requests received so far, failed ones included.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

async fn query(state: State<Arc<Shared>>, path: Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    handle(state, path, headers, body, Format::Objects).await
}

async fn raw(state: State<Arc<Shared>>, path: Path<(String, String)>, headers: HeaderMap, body: Bytes) -> Response {
    handle(state, path, headers, body, Format::Raw).await
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((_account, database)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    format: Format,
) -> Response {
    // A request once received runs to the end even if its client hangs up, as on D1:
    // a client that timed out cannot know whether its request ran.
    let work = tokio::spawn(respond(shared, database, headers, body, format));
    work.await.unwrap_or_else(|_| envelope_error(StatusCode::INTERNAL_SERVER_ERROR, 7500, "D1_ERROR: internal error"))
}

async fn respond(shared: Arc<Shared>, database: String, headers: HeaderMap, body: Bytes, format: Format) -> Response {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    if !shared.options.latency.is_zero() {
        tokio::time::sleep(shared.options.latency).await;
    }
    let fault = shared.faults.lock().unwrap_or_else(PoisonError::into_inner).next(Instant::now());
    match &fault {
        Some(Fault::TooManyRequests { retry_after_seconds }) => {
            let mut response = envelope_error(
                StatusCode::TOO_MANY_REQUESTS,
                971,
                "Please wait and consider throttling your request speed",
            );
            if let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Some(Fault::Unavailable) => {
            return envelope_error(StatusCode::SERVICE_UNAVAILABLE, 7500, "D1_ERROR: Network connection lost.");
        }
        Some(Fault::Refused) => {
            return envelope_error(StatusCode::BAD_REQUEST, 7500, "D1_ERROR: string or blob too big: SQLITE_TOOBIG");
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(*delay).await,
        Some(Fault::LostResponse) | None => {}
    }
    if !authorized(&shared.options, &headers) {
        return envelope_error(StatusCode::FORBIDDEN, 10000, "Authentication error");
    }
    let statements = match execute::parse_body(&body) {
        Ok(statements) => statements,
        Err(failure) => return failure_response(&failure),
    };
    let connection = match shared.database(&database) {
        Ok(connection) => connection,
        Err(message) => return envelope_error(StatusCode::INTERNAL_SERVER_ERROR, 7500, &message),
    };
    // SQLite work is blocking; keep it off the async workers.
    let outcome = tokio::task::spawn_blocking(move || {
        let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        execute::run(&mut connection, &statements, format)
    })
    .await;
    match outcome {
        _ if fault == Some(Fault::LostResponse) => {
            envelope_error(StatusCode::INTERNAL_SERVER_ERROR, 7500, "D1_ERROR: Network connection lost.")
        }
        Ok(Ok(results)) => {
            let body = json!({ "result": results, "success": true, "errors": [], "messages": [] });
            json_response(StatusCode::OK, &body)
        }
        Ok(Err(failure)) => failure_response(&failure),
        Err(_) => envelope_error(StatusCode::INTERNAL_SERVER_ERROR, 7500, "D1_ERROR: internal error"),
    }
}

impl Shared {
    /// The database named `name`, opened (and created) on first use.
    fn database(&self, name: &str) -> Result<Arc<Mutex<Connection>>, String> {
        let mut databases = self.databases.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(connection) = databases.get(name) {
            return Ok(Arc::clone(connection));
        }
        let opened = match &self.options.data_dir {
            Some(dir) => {
                let file: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
                Connection::open(dir.join(format!("{file}.sqlite3")))
            }
            None => Connection::open_in_memory(),
        };
        let connection = opened
            .and_then(|connection| execute::apply_limits(&connection).map(|()| connection))
            .map_err(|error| format!("D1_ERROR: cannot open database {name}: {error}"))?;
        let connection = Arc::new(Mutex::new(connection));
        databases.insert(name.to_owned(), Arc::clone(&connection));
        Ok(connection)
    }
}

fn authorized(options: &EmulatorOptions, headers: &HeaderMap) -> bool {
    let Some(token) = &options.token else {
        return true;
    };
    let expected = format!("Bearer {token}");
    headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()) == Some(expected.as_str())
}

fn failure_response(failure: &Failure) -> Response {
    envelope_error(StatusCode::BAD_REQUEST, failure.code(), &failure.to_string())
}

fn envelope_error(status: StatusCode, code: u32, message: &str) -> Response {
    let body = json!({
        "result": null,
        "success": false,
        "errors": [{ "code": code, "message": message }],
        "messages": [],
    });
    json_response(status, &body)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
