//! Saving off the edit path: change sets go to a background task that applies them to
//! the store in order, and keeps them when the store fails.
//!
//! While the store is slow or away, waiting change sets are merged into one
//! ([`ChangeSet::followed_by`]), so the backlog is bounded by the workspace, not by the
//! number of edits. A failing store is retried with exponential backoff until it takes
//! the changes: nothing is dropped, and because a change set replaces each file's rows
//! whole, a retried one never duplicates rows.

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
    /// The store's last failure, while change sets wait for it; `None` once it recovers.
    pub failing: Option<String>,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Notify,
    progress: watch::Sender<SaveProgress>,
}

#[derive(Default)]
struct Pending {
    changes: Option<ChangeSet>,
    /// The submission number of the newest change set merged into `changes`.
    through: u64,
}

/// The background writer of one store. Dropping it stops the task after the change set
/// it is applying; call [`WriteBehind::flush`] first to wait for everything.
pub struct WriteBehind {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl WriteBehind {
    /// Starts the writer on the current tokio runtime.
    pub fn spawn(store: Arc<dyn Store>) -> WriteBehind {
        let (progress, _) = watch::channel(SaveProgress::default());
        let shared = Arc::new(Shared { pending: Mutex::new(Pending::default()), wake: Notify::new(), progress });
        let task = tokio::spawn(write_loop(store, shared.clone()));
        WriteBehind { shared, task }
    }

    /// Queues `changes` and returns at once.
    pub fn save(&self, changes: ChangeSet) {
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

    /// Waits until everything submitted so far is in the store, or `timeout` passes; then
    /// says how far saving got.
    pub async fn flush(&self, timeout: Duration) -> Result<(), StoreError> {
        let mut progress = self.shared.progress.subscribe();
        let target = progress.borrow().submitted;
        let done = tokio::time::timeout(timeout, progress.wait_for(|progress| progress.saved >= target)).await;
        match done {
            Ok(Ok(_)) => Ok(()),
            _ => {
                let progress = self.progress();
                Err(StoreError::Backend {
                    backend: "write-behind",
                    message: format!(
                        "{} of {} change sets saved after {timeout:?}{}",
                        progress.saved,
                        progress.submitted,
                        progress.failing.map(|error| format!("; the store fails: {error}")).unwrap_or_default()
                    ),
                })
            }
        }
    }

    /// How far saving has got.
    pub fn progress(&self) -> SaveProgress {
        self.shared.progress.borrow().clone()
    }

    /// Stops saving and returns once the store has been let go, so it can be opened
    /// again (a SQLite writer lock, a connection pool). What was not saved yet is
    /// dropped: flush first.
    pub async fn close(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for WriteBehind {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn write_loop(store: Arc<dyn Store>, shared: Arc<Shared>) {
    loop {
        let taken = {
            let mut pending = shared.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.changes.take().map(|changes| (changes, pending.through))
        };
        let Some((mut changes, mut through)) = taken else {
            shared.wake.notified().await;
            continue;
        };
        let mut backoff = FIRST_BACKOFF;
        loop {
            match store.apply(&changes).await {
                Ok(()) => {
                    shared.progress.send_modify(|progress| {
                        progress.saved = through;
                        progress.failing = None;
                    });
                    break;
                }
                Err(error) => {
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
