//! Who read what: for each key (a file, a method name), the files whose bindings read
//! it, so that a change to the key binds exactly those files again.

use std::collections::BTreeSet;
use std::hash::Hash;

use rustc_hash::FxHashMap;

use crate::ids::FileId;

/// Key → the files that read it.
#[derive(Debug)]
pub(crate) struct Readers<K> {
    by_key: FxHashMap<K, BTreeSet<FileId>>,
}

impl<K> Default for Readers<K> {
    fn default() -> Self {
        Readers { by_key: FxHashMap::default() }
    }
}

impl<K: Eq + Hash + Ord + Clone> Readers<K> {
    /// Records that `reader` now reads `new` where it read `old` (both sorted).
    pub(crate) fn replace(&mut self, reader: FileId, old: &[K], new: &[K]) {
        for gone in old.iter().filter(|key| new.binary_search(key).is_err()) {
            if let Some(readers) = self.by_key.get_mut(gone) {
                readers.remove(&reader);
                if readers.is_empty() {
                    self.by_key.remove(gone);
                }
            }
        }
        for added in new.iter().filter(|key| old.binary_search(key).is_err()) {
            self.by_key.entry(added.clone()).or_default().insert(reader);
        }
    }

    /// The files that read `key`.
    pub(crate) fn of<'a>(&'a self, key: &K) -> impl Iterator<Item = FileId> + 'a {
        self.by_key.get(key).into_iter().flatten().copied()
    }
}
