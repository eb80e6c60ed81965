//! The workspace's source files, indexed for the questions resolution asks.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::rel_path::{child, parent};

/// Workspace-relative source paths, with every directory that contains one.
#[derive(Clone, Debug, Default)]
pub struct FileSet {
    files: HashSet<String>,
    dirs: HashSet<String>,
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

    fn insert(&mut self, path: &str) {
        if !self.files.insert(path.to_owned()) {
            return;
        }
        let dir = parent(path);
        let name = &path[if dir.is_empty() { 0 } else { dir.len() + 1 }..];
        self.by_dir.entry(dir.to_owned()).or_default().insert(name.to_owned());
        let mut dir = dir;
        while !dir.is_empty() && self.dirs.insert(dir.to_owned()) {
            dir = parent(dir);
        }
    }

    /// True when `path` is a source file.
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains(path)
    }

    /// True when `dir` contains a source file at any depth.
    pub fn is_dir(&self, dir: &str) -> bool {
        dir.is_empty() || self.dirs.contains(dir)
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
