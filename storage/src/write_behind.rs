//! Saving off the edit path: change sets go to a background task that applies them to
//! the store in order, and keeps them while the store fails for a while.
//!
//! While the store is slow or away, waiting change sets are merged into one
//! ([`ChangeSet::followed_by`]), so the backlog is bounded by the workspace, not by the
//! number of edits. A store that fails for a while (a lost connection, a busy server) is
//! retried with exponential backoff until it takes the changes: nothing is dropped, and
//! because a change set replaces each file's rows whole, a retried one never duplicates
//! rows. A change set the store refuses for good ([`StoreError::is_transient`] false) is
//! tried again one file at a time, and the files it still refuses are let go, so that
//! they never block the change sets after them: they are *unsaved*, the store is stale
//! until they are saved again, and the owner of the graph is offered them once to save
//! afresh from its current state ([`WriteBehind::take_rebuild`]).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use thread_engine::store::ChangeSet;
use tokio::sync::{Notify, watch};

use crate::{Store, StoreError};

/// The first retry waits this long; each further one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How far saving has got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveProgress {
    /// Change sets handed to [`WriteBehind::save`] so far.
    pub submitted: u64,
    /// Of those, how many the store has taken (merged ones count individually).
    pub saved: u64,
    /// Of those, how many the store refused for good and were let go.
    pub refused: u64,
    /// The store's last failure: while change sets wait for it, or while files are unsaved
    /// because it refused them; `None` once a change set is taken.
    pub failing: Option<String>,
    /// Files whose newest state the store lacks because it refused the change sets that
    /// carried them: while there are any, the store is stale.
    pub unsaved: BTreeSet<String>,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Notify,
    progress: watch::Sender<SaveProgress>,
    /// Set when the handle is gone: the task saves what is pending and ends, and gives up
    /// on a store that fails rather than retry it for nobody.
    closing: AtomicBool,
}

#[derive(Default)]
struct Pending {
    changes: Option<ChangeSet>,
    /// The submission number of the newest change set merged into `changes`.
    through: u64,
    /// Unsaved files not yet offered for a fresh save.
    to_rebuild: BTreeSet<String>,
    /// Unsaved files already offered once: a second refusal does not offer them again,
    /// so a change the store can never take is not sent after every edit.
    offered: BTreeSet<String>,
}

/// The background writer of one store. Dropping it lets the task finish what is pending
/// and end; [`WriteBehind::close`] waits for that, within a bound.
pub struct WriteBehind {
    shared: Arc<Shared>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// The store serves warm starts, so files are saved with their resolutions.
    with_resolutions: bool,
}

impl WriteBehind {
    /// Starts the writer on the current tokio runtime.
    pub fn spawn(store: Arc<dyn Store>) -> WriteBehind {
        let (progress, _) = watch::channel(SaveProgress::default());
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Notify::new(),
            progress,
            closing: AtomicBool::new(false),
        });
        let with_resolutions = store.serves_warm_starts();
        let task = tokio::spawn(write_loop(store, shared.clone()));
        WriteBehind { shared, task: Some(task), with_resolutions }
    }

    /// Queues `changes` and returns at once.
    pub fn save(&self, mut changes: ChangeSet) {
        if !self.with_resolutions {
            // Only a warm start reads them; the store would hold them for nothing.
            changes.upserts.iter_mut().for_each(|file| file.resolution = None);
        }
        let mut pending = self.shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let mut submitted = 0;
        self.shared.progress.send_modify(|progress| {
            progress.submitted += 1;
            submitted = progress.submitted;
        });
        pending.changes = Some(match pending.changes.take() {
            Some(earlier) => earlier.followed_by(changes),
            None => changes,
        });
        pending.through = submitted;
        drop(pending);
        self.shared.wake.notify_one();
    }

    /// The unsaved files not yet offered for a fresh save: the caller saves them again from
    /// its current state (`ChangeSet::for_paths`), which brings a stale store back. Each
    /// loss is offered once.
    pub fn take_rebuild(&self) -> Vec<String> {
        let mut pending = self.shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let paths = std::mem::take(&mut pending.to_rebuild);
        pending.offered.extend(paths.iter().cloned());
        paths.into_iter().collect()
    }

    /// Waits until everything submitted so far is saved or refused, or `timeout` passes;
    /// an error says what is not in the store.
    pub async fn flush(&self, timeout: Duration) -> Result<(), StoreError> {
        let mut progress = self.shared.progress.subscribe();
        let target = progress.borrow().submitted;
        let done =
            tokio::time::timeout(timeout, progress.wait_for(|progress| progress.saved + progress.refused >= target))
                .await;
        let progress = self.progress();
        let waiting = !matches!(done, Ok(Ok(_)));
        if !waiting && progress.unsaved.is_empty() {
            return Ok(());
        }
        let mut message = format!("{} of {} change sets saved", progress.saved, progress.submitted);
        if waiting {
            message.push_str(&format!(" after {timeout:?}"));
        }
        if let Some(error) = &progress.failing {
            message.push_str(&format!("; the store fails: {error}"));
        }
        if !progress.unsaved.is_empty() {
            let files: Vec<&str> = progress.unsaved.iter().take(5).map(String::as_str).collect();
            let more = progress.unsaved.len().saturating_sub(files.len());
            message.push_str(&format!(
                "; the store refused {} change sets, and lacks the newest state of {}{}",
                progress.refused,
                files.join(", "),
                if more > 0 { format!(" and {more} more files") } else { String::new() }
            ));
        }
        Err(StoreError::Backend { backend: "write-behind", message })
    }

    /// How far saving has got.
    pub fn progress(&self) -> SaveProgress {
        self.shared.progress.borrow().clone()
    }

    /// Saves what is pending, within `within`, then stops and returns once the store has
    /// been let go, so it can be opened again (a SQLite writer lock, a connection pool).
    /// An error says what could not be saved.
    pub async fn close(mut self, within: Duration) -> Result<(), StoreError> {
        let flushed = self.flush(within).await;
        self.shared.closing.store(true, Ordering::SeqCst);
        if let Some(task) = self.task.take() {
            // Past the bound, what is left is given up.
            task.abort();
            let _ = task.await;
        }
        flushed
    }
}

impl Drop for WriteBehind {
    fn drop(&mut self) {
        // The task finishes what is pending on its own, then ends.
        self.shared.closing.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}

async fn write_loop(store: Arc<dyn Store>, shared: Arc<Shared>) {
    // The submission number of the newest change set saved or refused.
    let mut done = 0;
    loop {
        let taken = {
            let mut pending = shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.changes.take().map(|changes| (changes, pending.through))
        };
        let Some((mut changes, mut through)) = taken else {
            if shared.closing.load(Ordering::SeqCst) {
                return;
            }
            shared.wake.notified().await;
            continue;
        };
        let mut backoff = FIRST_BACKOFF;
        loop {
            match store.apply(&changes).await {
                Ok(()) => {
                    let paths = paths_of(&changes);
                    let mut pending = shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
                    for path in &paths {
                        pending.to_rebuild.remove(path);
                        pending.offered.remove(path);
                    }
                    drop(pending);
                    shared.progress.send_modify(|progress| {
                        progress.saved += through - done;
                        progress.failing = None;
                        progress.unsaved.retain(|path| !paths.contains(path));
                    });
                    done = through;
                    break;
                }
                Err(error) if !error.is_transient() => {
                    tracing::error!(backend = store.backend(), %error, "the store refused a change set; trying its files one by one");
                    // One file the store cannot take must not cost the others: the files
                    // are tried again one at a time, and only those refused again are let go.
                    let mut refused = BTreeSet::new();
                    let mut why = error.to_string();
                    let parts = one_file_each(&changes);
                    if parts.len() > 1 {
                        for part in &parts {
                            if let Err(error) = store.apply(part).await {
                                why = error.to_string();
                                refused.extend(paths_of(part));
                            }
                        }
                    } else {
                        refused = paths_of(&changes);
                    }
                    let taken: BTreeSet<String> = paths_of(&changes).difference(&refused).cloned().collect();
                    if !refused.is_empty() {
                        tracing::error!(backend = store.backend(), files = ?refused, "the store refused these files; they are unsaved");
                    }
                    let mut pending = shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
                    for path in &taken {
                        pending.to_rebuild.remove(path);
                        pending.offered.remove(path);
                    }
                    let fresh: Vec<String> =
                        refused.iter().filter(|path| !pending.offered.contains(*path)).cloned().collect();
                    pending.to_rebuild.extend(fresh);
                    drop(pending);
                    shared.progress.send_modify(|progress| {
                        if refused.is_empty() {
                            progress.saved += through - done;
                        } else {
                            progress.refused += through - done;
                            progress.failing = Some(why.clone());
                        }
                        progress.unsaved.retain(|path| !taken.contains(path));
                        progress.unsaved.extend(refused.iter().cloned());
                    });
                    done = through;
                    break;
                }
                Err(error) => {
                    if shared.closing.load(Ordering::SeqCst) {
                        tracing::warn!(backend = store.backend(), %error, "saving failed while closing; the changes are given up");
                        return;
                    }
                    tracing::warn!(backend = store.backend(), %error, retry_in = ?backoff, "saving failed; keeping the changes and retrying");
                    shared.progress.send_modify(|progress| progress.failing = Some(error.to_string()));
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    // Edits made meanwhile go in the same attempt.
                    let mut pending = shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
                    if let Some(newer) = pending.changes.take() {
                        changes = changes.followed_by(newer);
                        through = pending.through;
                    }
                }
            }
        }
    }
}

/// `changes` as one change set per file it writes or removes, each with the project files.
fn one_file_each(changes: &ChangeSet) -> Vec<ChangeSet> {
    let upserts = changes.upserts.iter().map(|file| ChangeSet {
        upserts: vec![file.clone()],
        removals: Vec::new(),
        project_files: changes.project_files.clone(),
    });
    let removals = changes.removals.iter().map(|path| ChangeSet {
        upserts: Vec::new(),
        removals: vec![path.clone()],
        project_files: changes.project_files.clone(),
    });
    upserts.chain(removals).collect()
}

/// The files a change set writes or removes.
fn paths_of(changes: &ChangeSet) -> BTreeSet<String> {
    changes.upserts.iter().map(|file| file.path.clone()).chain(changes.removals.iter().cloned()).collect()
}
