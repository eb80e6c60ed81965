//! Interned file identities.
//!
//! A [`FileId`] names one workspace-relative path for the life of a host. Ids are never
//! reused: a deleted file's id stays retired, so a stale id can only find nothing.

use std::collections::HashMap;
use std::sync::Arc;

/// An interned workspace-relative path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

impl FileId {
    /// The id as an index into per-file tables.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Path ↔ id, append-only.
#[derive(Clone, Debug, Default)]
pub struct PathInterner {
    paths: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, FileId>,
}

impl PathInterner {
    /// The id of `path`, interning it if new.
    pub fn intern(&mut self, path: &str) -> FileId {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = FileId(u32::try_from(self.paths.len()).unwrap_or(u32::MAX));
        let path: Arc<str> = Arc::from(path);
        self.paths.push(path.clone());
        self.ids.insert(path, id);
        id
    }

    /// The id of `path`, if it was ever interned.
    pub fn get(&self, path: &str) -> Option<FileId> {
        self.ids.get(path).copied()
    }

    /// The path of `id`.
    pub fn path(&self, id: FileId) -> &Arc<str> {
        &self.paths[id.index()]
    }

    /// The number of ids handed out.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}
