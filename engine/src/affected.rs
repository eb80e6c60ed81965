//! Which files a change affects, for test selection and incremental CI: the changed
//! files, every file a changed project file configures, and everything that depends on
//! them, directly or not.

use std::collections::BTreeSet;

use thread_extractors::resolve::is_project_file;

use crate::ids::FileId;
use crate::snapshot::Snapshot;

/// The files `changed` affects in `snapshot`, sorted by path. `changed` holds
/// workspace-relative paths; those that are not files of the graph count only as project
/// files (a changed `package.json`, `go.mod`, `Cargo.toml`, `pyproject.toml` or
/// `tsconfig.json` changes every file under its directory).
///
/// A deleted file's dependents are found by giving the snapshot the deleted file back
/// (its last committed text) before asking: the caller does that, and leaves the file
/// out of what it reports.
pub fn affected_by(snapshot: &Snapshot, changed: &[String]) -> Vec<FileId> {
    let mut seeds: BTreeSet<FileId> = BTreeSet::new();
    for path in changed {
        if let Some(id) = snapshot.file_id(path) {
            seeds.insert(id);
        }
        let (directory, file_name) = path.rsplit_once('/').unwrap_or(("", path));
        if is_project_file(file_name) {
            seeds.extend(snapshot.files().filter(|file| is_under(&file.path, directory)).map(|file| file.id));
        }
    }
    let seeds: Vec<FileId> = seeds.into_iter().collect();
    let mut affected: Vec<FileId> = seeds.iter().copied().chain(snapshot.dependents_closure(&seeds)).collect();
    affected.sort_by(|a, b| snapshot.path(*a).cmp(snapshot.path(*b)));
    affected.dedup();
    affected
}

/// True when `path` lies under `directory` (workspace-relative; `""` is the root).
fn is_under(path: &str, directory: &str) -> bool {
    directory.is_empty() || path.strip_prefix(directory).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_holds_only_its_own_subtree() {
        assert!(is_under("web/src/a.ts", "web"));
        assert!(is_under("a.ts", ""));
        assert!(!is_under("website/a.ts", "web"));
        assert!(!is_under("web", "web"));
    }
}
