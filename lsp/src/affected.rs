//! `thread-lsp affected`: the files a change affects (the changed files and everything
//! that depends on them), for test selection and incremental CI.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;
use thread_engine::FileChange;
use thread_engine::affected::affected_by;
use thread_extractors::resolve::{is_project_file, source_language};

use crate::cli::{AffectedArgs, AffectedFormat};
use crate::git_changes::{self, Changes};
use crate::indexing::{Layers, Saved, index_and_save, leave_to_exit};
use crate::summary::report_problems;

pub(crate) fn run(arguments: &AffectedArgs) -> anyhow::Result<ExitCode> {
    let dir = &arguments.walk.dir;
    let base = git_changes::fork_point(dir, arguments.base.as_deref().unwrap_or("HEAD"));
    let base = base.as_str();
    let changes = if arguments.files.is_empty() {
        git_changes::since(dir, base).with_context(|| {
            format!("listing what changed in {} since {base} (outside git, give --files)", dir.display())
        })?
    } else {
        given_files(dir, &arguments.files)?
    };
    // Only what the graph knows can affect anything: its files and project files.
    let relevant = |path: &String| {
        let file_name = path.rsplit('/').next().unwrap_or(path);
        source_language(file_name).is_some() || is_project_file(file_name)
    };
    let changed: Vec<String> = changes.paths.iter().filter(|path| relevant(path)).cloned().collect();

    let Saved { mut host, report, .. } = index_and_save(&arguments.store, &arguments.walk, Layers::Imports)?;
    report_problems(&report);
    // A deleted file is given back its last committed text, so that the files that
    // imported it are found; it is never saved, and never reported as affected.
    let mut restored = Vec::new();
    // Only graph files have importers; a deleted project file counts through `changed`.
    let graph_file = |path: &&String| source_language(path.rsplit('/').next().unwrap_or(path)).is_some();
    for path in changes.deleted.iter().filter(graph_file) {
        match git_changes::text_at(dir, base, path) {
            Some(text) => restored.push(FileChange::write(path.clone(), text)),
            None => tracing::warn!("{path} was deleted and git has no earlier text of it; its dependents are unknown"),
        }
    }
    if !restored.is_empty() {
        host.apply(restored);
    }
    let snapshot = host.snapshot();
    let affected: Vec<&str> = affected_by(&snapshot, &changed)
        .into_iter()
        .map(|id| snapshot.path(id))
        .filter(|path| changes.deleted.binary_search_by(|deleted| deleted.as_str().cmp(path)).is_err())
        .filter(|path| !arguments.tests || snapshot.file_at(path).is_some_and(|file| file.lang.is_test_file(path)))
        .collect();

    let mut out = std::io::stdout().lock();
    match arguments.format {
        AffectedFormat::Text => {
            for path in &affected {
                writeln!(out, "{path}").context("writing the list")?;
            }
            let _ = writeln!(
                std::io::stderr(),
                "{} changed, {} affected{}",
                changed.len(),
                affected.len(),
                if arguments.tests { " test files" } else { " files" }
            );
        }
        AffectedFormat::Json => {
            let text = serde_json::to_string_pretty(&json!({"changed": changed, "affected": affected}))
                .context("encoding JSON")?;
            writeln!(out, "{text}").context("writing the list")?;
        }
    }
    leave_to_exit((host, report, snapshot));
    Ok(ExitCode::SUCCESS)
}

/// `--files`: paths relative to the workspace directory (or absolute, inside it). One
/// that does not exist was deleted.
fn given_files(dir: &Path, files: &[std::path::PathBuf]) -> anyhow::Result<Changes> {
    let root = std::fs::canonicalize(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut changes = Changes::default();
    for file in files {
        let relative = if file.is_absolute() {
            let absolute = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
            absolute
                .strip_prefix(&root)
                .map(Path::to_owned)
                .with_context(|| format!("{} is outside {}", file.display(), dir.display()))?
        } else {
            file.clone()
        };
        let path = relative.to_string_lossy().replace('\\', "/").trim_start_matches("./").to_owned();
        if !root.join(&path).exists() {
            changes.deleted.push(path.clone());
        }
        changes.paths.push(path);
    }
    changes.paths.sort();
    changes.paths.dedup();
    changes.deleted.sort();
    Ok(changes)
}
