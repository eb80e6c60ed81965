//! The in-memory store: the whole state in maps, for tests, `--store memory`, and as the
//! fallback when the configured store cannot be written. It is the reference the other
//! backends are checked against.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

use thread_engine::store::{ChangeSet, StoredFile, StoredState};

use crate::{DefinitionSite, Store, StoreError, StoreLimits};

/// Everything in memory. Change sets apply atomically: they cannot fail halfway.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: RwLock<MemoryState>,
}

#[derive(Debug, Default)]
struct MemoryState {
    files: BTreeMap<String, StoredFile>,
    project_files: Vec<(String, String)>,
}

impl MemoryStore {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, MemoryState> {
        // A panic while holding the lock cannot leave a half-applied change set (apply
        // builds nothing partially), so a poisoned lock is still consistent.
        self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn serves_warm_starts(&self) -> bool {
        false
    }

    fn limits(&self) -> StoreLimits {
        StoreLimits::UNLIMITED
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self.latest_schema_version())
    }

    fn latest_schema_version(&self) -> u32 {
        // Nothing outlives the process, so there is only ever one layout.
        1
    }

    async fn load(&self) -> Result<StoredState, StoreError> {
        let state = self.read();
        Ok(StoredState { files: state.files.values().cloned().collect(), project_files: state.project_files.clone() })
    }

    async fn apply(&self, changes: &ChangeSet) -> Result<(), StoreError> {
        let mut state = self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        for path in &changes.removals {
            state.files.remove(path);
        }
        for file in &changes.upserts {
            state.files.insert(file.path.clone(), file.clone());
        }
        let mut project_files = changes.project_files.clone();
        project_files.sort();
        state.project_files = project_files;
        Ok(())
    }

    async fn dependents(&self, path: &str) -> Result<Vec<String>, StoreError> {
        let state = self.read();
        let dependents: BTreeSet<&String> = state
            .files
            .values()
            .filter(|file| file.edges.iter().any(|edge| edge.to == path))
            .map(|file| &file.path)
            .collect();
        Ok(dependents.into_iter().cloned().collect())
    }

    async fn users_of(&self, path: &str, name: &str) -> Result<Vec<String>, StoreError> {
        let state = self.read();
        let users: BTreeSet<&String> = state
            .files
            .values()
            .filter(|file| {
                file.edges.iter().any(|edge| {
                    edge.to == path && edge.names.as_ref().is_none_or(|names| names.iter().any(|used| used == name))
                })
            })
            .map(|file| &file.path)
            .collect();
        Ok(users.into_iter().cloned().collect())
    }

    async fn definitions(&self, name: &str) -> Result<Vec<DefinitionSite>, StoreError> {
        let state = self.read();
        let mut sites: Vec<DefinitionSite> = state
            .files
            .values()
            .flat_map(|file| {
                file.facts.definitions.iter().filter(|definition| definition.name == name).map(|definition| {
                    DefinitionSite {
                        path: file.path.clone(),
                        name: definition.name.to_string(),
                        kind: definition.kind.as_str().to_owned(),
                        line: definition.name_span.start.line,
                        exported: definition.exported,
                    }
                })
            })
            .collect();
        sites.sort();
        Ok(sites)
    }
}
