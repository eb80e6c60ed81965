//! Thread's integration tests, compiled into one binary.

mod fixture;

/// Runs a store's future to completion; the stores are async, the tests are not. One
/// runtime serves the whole binary, because a PostgreSQL connection lives on the runtime
/// that opened it.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
        })
        .block_on(future)
}

// A test that needs a missing tool or server skips loudly, and the binary ends by
// counting the run's skips; under `THREAD_CI=1` a skip fails instead.
#[path = "support/skips.rs"]
mod skips;
use skips::skip_or_fail;

// A real PostgreSQL server: a throwaway cluster, or `THREAD_TEST_DATABASE_URL`.
mod postgres_server;

// D1 over HTTP: the emulator, or Cloudflare's local engine via `THREAD_TEST_D1_URL`.
mod d1_server;

// D1's REST API as the emulator serves it: shapes, limits, errors, atomicity.
mod d1_api;

// Module resolution, one file per language, from hand-written fixtures.
mod resolve_ecmascript;
mod resolve_go;
mod resolve_python;
mod resolve_rust;

// Imports read without a whole parse, against the whole parse, on real code.
mod import_extraction;

// The binder: calls and imported names bound to definitions, with decoys.
mod binding;

// The generator of workspaces with known edges.
mod synthetic;

// Binary, huge, broken and unreadable files.
mod bad_input;

// The one rule for which files enter the graph, and the walk agreeing with it.
mod admission;

// Agreement with grimp, madge and go list on real code.
mod agreement;

// The incremental host equals a from-scratch rebuild after any history of edits.
mod incremental;

// What one change re-analyses, and cycles.
mod invalidation;

// Architecture rules (`thread.toml`) with decoys.
mod rules;

// Architecture rules against import-linter on real Python projects.
mod rules_agreement;

// Restoring from a store and catching up with the tree.
mod warm_start;

// Every store: round trips, convergence of change sets, queries, SQLite's writer lock
// and rebuilds.
mod store_conformance;

// Stores failing mid-session: PostgreSQL stopped and restarted; D1 rate limits, server
// errors, lost responses and timeouts.
mod store_faults;
