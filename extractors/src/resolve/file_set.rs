//! The workspace's source files, indexed for the questions resolution asks, and the
//! record of which of those questions each file's resolution asked.
//!
//! Resolution is a pure function of a file's facts, the project model and the answers
//! to three questions about the file set: does this file exist, does this directory
//! exist, which files does this directory hold. [`Lookup`] answers them and notes each
//! one as a [`ProbeKey`]. When the file set changes, [`probes_touched_by`] names the
//! questions whose answers may differ, so exactly the files that asked them are resolved
//! again: a new file re-resolves its would-be importers, a deleted one its importers.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use super::rel_path::{child, parent};

/// Workspace-relative source paths, with every directory that contains one.
#[derive(Clone, Debug, Default)]
pub struct FileSet {
    files: FxHashSet<String>,
    /// Directory → the number of files beneath it at any depth.
    dirs: FxHashMap<String, usize>,
    /// Directory → the names of the files directly in it, sorted.
    by_dir: BTreeMap<String, BTreeSet<String>>,
}

impl FileSet {
    /// Indexes the given paths.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>) -> FileSet {
        let mut set = FileSet::default();
        for path in paths {
            set.insert(path);
        }
        set
    }

    /// Adds `path`; false when it was already present.
    pub fn insert(&mut self, path: &str) -> bool {
        if !self.files.insert(path.to_owned()) {
            return false;
        }
        let dir = parent(path);
        self.by_dir.entry(dir.to_owned()).or_default().insert(name_in(dir, path).to_owned());
        let mut dir = dir;
        while !dir.is_empty() {
            *self.dirs.entry(dir.to_owned()).or_insert(0) += 1;
            dir = parent(dir);
        }
        true
    }

    /// Removes `path`; false when it was absent.
    pub fn remove(&mut self, path: &str) -> bool {
        if !self.files.remove(path) {
            return false;
        }
        let dir = parent(path);
        if let Some(names) = self.by_dir.get_mut(dir) {
            names.remove(name_in(dir, path));
            if names.is_empty() {
                self.by_dir.remove(dir);
            }
        }
        let mut dir = dir;
        while !dir.is_empty() {
            if let Some(count) = self.dirs.get_mut(dir) {
                *count -= 1;
                if *count == 0 {
                    self.dirs.remove(dir);
                }
            }
            dir = parent(dir);
        }
        true
    }

    /// True when `path` is a source file.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains(path)
    }

    /// True when `dir` contains a source file at any depth.
    pub fn is_dir(&self, dir: &str) -> bool {
        dir.is_empty() || self.dirs.contains_key(dir)
    }

    /// The paths of the files directly in `dir`, sorted.
    pub fn files_in(&self, dir: &str) -> impl Iterator<Item = String> + '_ {
        let dir = dir.to_owned();
        self.by_dir.get(&dir).into_iter().flatten().map(move |name| child(&dir, name))
    }

    /// Every source path, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(String::as_str)
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn name_in<'p>(dir: &str, path: &'p str) -> &'p str {
    &path[if dir.is_empty() { 0 } else { dir.len() + 1 }..]
}

/// One question resolution asked of the file set, hashed: collisions only cost an extra
/// re-resolution, never a missed one.
pub type ProbeKey = u64;

enum Question<'a> {
    File(&'a str),
    Dir(&'a str),
    Listing(&'a str),
}

/// The key of `question`: 64-bit FNV-1a of a tag byte and the path. Keys are kept in
/// stores and compared by later processes, so the function is ours, fixed, and the same
/// on every platform, not a library hasher's that may change with an update (changing it
/// changes the [`super::RESOLVER_REVISION`]).
fn key(question: Question<'_>) -> ProbeKey {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let (tag, path) = match question {
        Question::File(path) => (0u8, path),
        Question::Dir(path) => (1, path),
        Question::Listing(path) => (2, path),
    };
    std::iter::once(tag).chain(path.bytes()).fold(OFFSET, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

/// The questions whose answers may change when `path` is created or deleted.
pub fn probes_touched_by(path: &str) -> Vec<ProbeKey> {
    let mut keys = vec![key(Question::File(path)), key(Question::Listing(parent(path)))];
    let mut dir = parent(path);
    while !dir.is_empty() {
        keys.push(key(Question::Dir(dir)));
        dir = parent(dir);
    }
    keys
}

/// A [`FileSet`] seen through one file's resolution, recording every question asked.
pub(crate) struct Lookup<'a> {
    files: &'a FileSet,
    probes: RefCell<Vec<ProbeKey>>,
}

impl<'a> Lookup<'a> {
    pub(crate) fn new(files: &'a FileSet) -> Lookup<'a> {
        Lookup { files, probes: RefCell::new(Vec::new()) }
    }

    pub(crate) fn contains(&self, path: &str) -> bool {
        self.probes.borrow_mut().push(key(Question::File(path)));
        self.files.contains(path)
    }

    pub(crate) fn is_dir(&self, dir: &str) -> bool {
        self.probes.borrow_mut().push(key(Question::Dir(dir)));
        self.files.is_dir(dir)
    }

    pub(crate) fn files_in(&self, dir: &str) -> impl Iterator<Item = String> + 'a {
        self.probes.borrow_mut().push(key(Question::Listing(dir)));
        self.files.files_in(dir)
    }

    /// The questions asked, sorted and deduplicated.
    pub(crate) fn into_probes(self) -> Vec<ProbeKey> {
        let mut probes = self.probes.into_inner();
        probes.sort_unstable();
        probes.dedup();
        probes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stores keep probe keys: a key that changes from one build to the next would stop
    /// a stored resolution from noticing the files created after it within one revision
    /// (`RESOLVER_REVISION` follows this file's text).
    #[test]
    fn probe_keys_are_fixed() {
        assert_eq!(key(Question::File("")), 0xaf63_bd4c_8601_b7df);
        assert_eq!(key(Question::File("pkg/mod.py")), 0x2e1e_75e3_82df_7919);
        assert_ne!(key(Question::Dir("pkg")), key(Question::Listing("pkg")));
    }

    #[test]
    fn insert_and_remove_keep_directories_exact() {
        let mut set = FileSet::new(["a/b/c.py", "a/d.py"]);
        assert!(set.is_dir("a/b"));
        assert!(set.remove("a/b/c.py"));
        assert!(!set.is_dir("a/b"));
        assert!(set.is_dir("a"));
        assert_eq!(set.files_in("a").collect::<Vec<_>>(), ["a/d.py"]);
        assert!(!set.remove("a/b/c.py"));
        assert!(set.remove("a/d.py"));
        assert!(!set.is_dir("a") && set.is_empty());
    }

    #[test]
    fn a_question_is_touched_by_the_paths_that_change_its_answer() {
        let set = FileSet::new(["pkg/a.go"]);
        let lookup = Lookup::new(&set);
        lookup.files_in("pkg").for_each(drop);
        lookup.contains("x/y.py");
        let probes = lookup.into_probes();
        let touched = |path: &str| probes_touched_by(path).iter().any(|key| probes.contains(key));
        assert!(touched("pkg/b.go"));
        assert!(touched("x/y.py"));
        assert!(!touched("other/z.py"));
    }
}
