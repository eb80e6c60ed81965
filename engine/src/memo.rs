//! The content-addressed cache of extracted facts.
//!
//! Keyed by [`analysis_key`](crate::fingerprint::analysis_key): content plus extractor.
//! Content seen before (undo, redo, a branch switch back, two identical files) is never
//! parsed twice. The cache is shared by the rayon workers of a cold index, hence the
//! concurrent map; entries no live file uses are trimmed to a bounded number.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use thread_extractors::FileFacts;

use crate::fingerprint::Fingerprint;

/// Cached facts by analysis key, with hit and miss counters.
#[derive(Debug, Default)]
pub struct FactsMemo {
    entries: DashMap<Fingerprint, Arc<FileFacts>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Hits and misses since the counters were last taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Files whose facts came from the cache (or whose content had not changed).
    pub hits: u64,
    /// Files that were extracted.
    pub misses: u64,
}

impl CacheStats {
    /// Hits over lookups; 1.0 when there were no lookups, since nothing was re-done.
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 { 1.0 } else { self.hits as f64 / total as f64 }
    }

    /// The sum of two counts.
    pub fn combined(self, other: CacheStats) -> CacheStats {
        CacheStats { hits: self.hits + other.hits, misses: self.misses + other.misses }
    }
}

impl FactsMemo {
    /// The cached facts for `key`, without counting.
    pub fn get(&self, key: Fingerprint) -> Option<Arc<FileFacts>> {
        self.entries.get(&key).map(|entry| entry.value().clone())
    }

    /// Counts a file served without extraction: from the cache, or unchanged.
    pub fn count_hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a file that was extracted.
    pub fn count_miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// Forgets `key`'s facts unless a live file still holds them.
    pub fn remove_unused(&self, key: Fingerprint) {
        self.entries.remove_if(&key, |_, facts| Arc::strong_count(facts) == 1);
    }

    /// Caches `facts` under `key`.
    pub fn insert(&self, key: Fingerprint, facts: Arc<FileFacts>) {
        self.entries.insert(key, facts);
    }

    /// Takes the counters, resetting them.
    pub fn take_stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.swap(0, Ordering::Relaxed), misses: self.misses.swap(0, Ordering::Relaxed) }
    }

    /// The number of cached entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops entries no live file uses once there are more than `spare` of them, so
    /// memory stays proportional to the workspace. Entries still referenced by a live file
    /// are kept: their `Arc` has other owners.
    pub fn trim(&self, spare: usize) {
        let unused = self.entries.iter().filter(|entry| Arc::strong_count(entry.value()) == 1).count();
        if unused > spare {
            let mut excess = unused - spare;
            self.entries.retain(|_, facts| {
                if excess > 0 && Arc::strong_count(facts) == 1 {
                    excess -= 1;
                    false
                } else {
                    true
                }
            });
        }
    }
}
