//! The in-memory store: the whole state in maps, for tests and for sessions that need no
//! persistence. It is the reference the other backends are checked against.

use std::collections::BTreeMap;

use thread_engine::store::{Store, StoreBatch, StoreError, StoredFile, StoredState};

/// Everything in memory. Batches apply atomically because they cannot fail halfway.
#[derive(Debug, Default)]
pub struct MemoryStore {
    files: BTreeMap<String, StoredFile>,
    project_files: Vec<(String, String)>,
}

impl Store for MemoryStore {
    fn load(&mut self) -> Result<StoredState, StoreError> {
        Ok(StoredState { files: self.files.values().cloned().collect(), project_files: self.project_files.clone() })
    }

    fn apply(&mut self, batch: &StoreBatch) -> Result<(), StoreError> {
        for path in &batch.removals {
            self.files.remove(path);
        }
        for file in &batch.upserts {
            self.files.insert(file.path.clone(), file.clone());
        }
        self.project_files = batch.project_files.clone();
        Ok(())
    }
}
