//! Thread's integration tests, compiled into one binary.

mod fixture;

/// Runs a store's future to completion; the stores are async, the tests are not.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(future)
}

// Module resolution, one file per language, from hand-written fixtures.
mod resolve_ecmascript;
mod resolve_go;
mod resolve_python;
mod resolve_rust;

// The generator of workspaces with known edges.
mod synthetic;

// Binary, huge, broken and unreadable files.
mod bad_input;

// Agreement with grimp, madge and go list on real code.
mod agreement;

// The incremental host equals a from-scratch rebuild after any history of edits.
mod incremental;

// What one change re-analyses, and cycles.
mod invalidation;

// Restoring from a store and catching up with the tree.
mod warm_start;

// Every store: round trips, convergence of change sets, queries, SQLite's writer lock
// and rebuilds.
mod store_conformance;
