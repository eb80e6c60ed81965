//! Opening a workspace: the configured store is opened and restored from, and the host
//! is brought up to date with the tree. Shared by `thread-lsp index` and the server.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use std::sync::Arc;

use thread_engine::store::{ChangeSet, restore};
use thread_engine::{Host, IndexProgress, IndexReport, LoadOptions, RecocoFlow, index_into_observed};

use crate::cli::{StoreArgs, WalkArgs};
use crate::store_choice::{OpenedStore, open_store};

/// A workspace brought up to date, and the store it came from.
pub(crate) struct Indexed {
    pub(crate) host: Host,
    pub(crate) report: IndexReport,
    pub(crate) opened: OpenedStore,
    /// Files the store gave back.
    pub(crate) restored: usize,
    /// Restored files that had to be resolved again (stored without a resolution, or by
    /// another resolver revision): saved again, with theirs.
    pub(crate) resolved_at_restore: Vec<String>,
}

impl Indexed {
    /// What the store lacks: everything when it held nothing, else what the catch-up
    /// changed.
    pub(crate) fn changes_to_save(&self) -> ChangeSet {
        let snapshot = self.host.snapshot();
        if self.restored == 0 {
            ChangeSet::everything(&snapshot, &self.host)
        } else {
            let paths = self.report.changed.iter().chain(&self.report.affected).chain(&self.resolved_at_restore);
            ChangeSet::for_paths(&snapshot, paths.collect::<BTreeSet<_>>(), &self.host)
        }
    }
}

/// What a host is for: the language server answers about symbols; the commands that
/// print and exit read the file graph only, and skip binding; those that read nothing
/// but edges read imports alone where a language can.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layers {
    /// Files and symbols.
    Symbols,
    /// The file graph, with whole facts (`index` lists syntax errors).
    FilesOnly,
    /// The file graph from imports alone (`check`, `affected`, `graph`).
    Imports,
}

impl Layers {
    /// An empty host keeping these layers.
    pub(crate) fn host(self) -> anyhow::Result<Host> {
        let host = Host::new(RecocoFlow::shared()?);
        Ok(match self {
            Layers::Symbols => host,
            Layers::FilesOnly => host.files_only(),
            Layers::Imports => host.imports_only(),
        })
    }
}

/// Opens the store `store` names, restores the host from it, and indexes `root` into
/// the host. A store that cannot be read costs the warm start, never the index.
pub(crate) async fn restore_and_index(
    store: &StoreArgs,
    root: &Path,
    options: &LoadOptions,
    progress: &Arc<IndexProgress>,
    layers: Layers,
) -> anyhow::Result<Indexed> {
    let opened = open_store(store, root).await?;
    let mut host = layers.host()?;
    let (restored, resolved_at_restore) = match opened.store.load_for_restore().await {
        Ok(state) => {
            let files = state.files.len();
            (files, restore(&mut host, state).resolved)
        }
        Err(error) => {
            tracing::warn!("{error}; indexing from scratch");
            (0, Vec::new())
        }
    };
    let report = index_into_observed(&mut host, root, options, progress)?;
    Ok(Indexed { host, report, opened, restored, resolved_at_restore })
}

/// A workspace indexed through its store, for the commands that print and exit.
pub(crate) struct Saved {
    /// The host, up to date with the tree.
    pub(crate) host: Host,
    /// What indexing found; `elapsed` includes opening, restoring and saving.
    pub(crate) report: IndexReport,
    /// One summary line: which store, and what was restored and saved.
    pub(crate) store_line: String,
}

/// Restores what the store holds, brings it up to date with the tree, and saves the
/// difference, on a runtime of its own; the file graph only, kept as `layers` says. A
/// store that fails costs the saving, never the answer.
pub(crate) fn index_and_save(store: &StoreArgs, walk: &WalkArgs, layers: Layers) -> anyhow::Result<Saved> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async {
        let started = std::time::Instant::now();
        let options = walk.load_options();
        let indexed = restore_and_index(store, &walk.dir, &options, &Default::default(), layers).await?;
        let changes = indexed.changes_to_save();
        let saved = if !indexed.opened.keeps {
            "nothing kept".to_owned()
        } else if !indexed.opened.writable {
            "not saved".to_owned()
        } else {
            match indexed.opened.store.apply(&changes).await {
                Ok(()) => format!(
                    "{} files restored, {} saved",
                    indexed.restored,
                    changes.upserts.len() + changes.removals.len()
                ),
                Err(error) => {
                    tracing::warn!("{error}");
                    format!("not saved: {error}")
                }
            }
        };
        let Indexed { host, report, opened, .. } = indexed;
        // The store's time (opening, restoring, saving, retries) apart from indexing's.
        let store_seconds = started.elapsed().saturating_sub(report.elapsed).as_secs_f64();
        let store_line = format!("  {:<12}{}; {saved} ({store_seconds:.2} s)\n", "store", opened.description);
        Ok(Saved { host, report, store_line })
    })
}

/// Ends a one-shot command's use of a graph without freeing it: the process exits next
/// and takes its memory back whole, while freeing a large graph allocation by allocation
/// costs more than some answers do (about 11 ms of a 0.15 s warm `check` on sympy).
pub(crate) fn leave_to_exit<T>(graph: T) {
    std::mem::forget(graph);
}
