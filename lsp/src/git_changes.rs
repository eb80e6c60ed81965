//! What changed in a working tree since a revision, as git sees it: modified, added,
//! deleted, renamed and untracked files, with paths relative to the workspace directory.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// The changed files of a working tree.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Every changed path: modified, added, untracked, deleted, and both sides of a rename.
    pub(crate) paths: Vec<String>,
    /// The paths among them that no longer exist.
    pub(crate) deleted: Vec<String>,
}

fn git(dir: &Path, arguments: &[&str]) -> anyhow::Result<Vec<u8>> {
    let output =
        Command::new("git").arg("-C").arg(dir).args(arguments).output().context("running git (is it installed?)")?;
    if !output.status.success() {
        bail!("git {} failed: {}", arguments.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(output.stdout)
}

/// The working tree of `dir` against `base`, untracked files included.
pub(crate) fn since(dir: &Path, base: &str) -> anyhow::Result<Changes> {
    let diff = git(dir, &["diff", "--name-status", "-z", "-M", "--relative", base, "--"])?;
    let mut changes = Changes::default();
    let mut fields = diff.split(|byte| *byte == 0).filter(|field| !field.is_empty()).map(String::from_utf8_lossy);
    while let Some(status) = fields.next() {
        let mut path = || fields.next().map(|path| path.into_owned()).context("git diff's output ended early");
        match status.chars().next() {
            // A rename or copy names the old path, then the new one.
            Some('R') => {
                let (old, new) = (path()?, path()?);
                changes.deleted.push(old.clone());
                changes.paths.extend([old, new]);
            }
            Some('C') => {
                let (_, new) = (path()?, path()?);
                changes.paths.push(new);
            }
            Some('D') => {
                let old = path()?;
                changes.deleted.push(old.clone());
                changes.paths.push(old);
            }
            _ => changes.paths.push(path()?),
        }
    }
    let untracked = git(dir, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    changes.paths.extend(
        untracked
            .split(|byte| *byte == 0)
            .filter(|path| !path.is_empty())
            .map(|path| String::from_utf8_lossy(path).into_owned()),
    );
    changes.paths.sort();
    changes.paths.dedup();
    changes.deleted.sort();
    Ok(changes)
}

/// The text `path` (relative to `dir`) had at `revision`, or `None` if it had none.
pub(crate) fn text_at(dir: &Path, revision: &str, path: &str) -> Option<Vec<u8>> {
    git(dir, &["show", &format!("{revision}:./{path}")]).ok()
}

/// The repository `dir` lies in: its top-level directory, and `dir`'s path inside it
/// (`""` at the top, else ending in `/`). `None` outside git.
pub(crate) fn repository_of(dir: &Path) -> Option<(std::path::PathBuf, String)> {
    let top = git(dir, &["rev-parse", "--show-toplevel"]).ok()?;
    let prefix = git(dir, &["rev-parse", "--show-prefix"]).ok()?;
    let top = String::from_utf8(top).ok()?;
    let prefix = String::from_utf8(prefix).ok()?;
    Some((std::path::PathBuf::from(top.trim_end_matches('\n')), prefix.trim_end_matches('\n').to_owned()))
}

/// Where the branch left `base`: the merge base of `base` and `HEAD`, so that what
/// `base` gained since (on the main branch) does not count as this branch's change.
/// `base` itself when git cannot say.
pub(crate) fn fork_point(dir: &Path, base: &str) -> String {
    git(dir, &["merge-base", base, "HEAD"])
        .ok()
        .and_then(|output| String::from_utf8(output).ok())
        .map(|commit| commit.trim().to_owned())
        .filter(|commit| !commit.is_empty())
        .unwrap_or_else(|| base.to_owned())
}
