//! The baseline file: violations recorded as known, so that a rule can be adopted on a
//! codebase that breaks it today and still fail CI on every new violation.
//!
//! A violation is known by its rule's name and its two files, not by lines, so an edit
//! elsewhere in either file does not turn it new.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// A violation as the baseline records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct KnownViolation {
    pub(crate) rule: String,
    pub(crate) from: String,
    pub(crate) to: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    violations: Vec<KnownViolation>,
}

const VERSION: u32 = 1;

/// Reads the baseline at `path`; a missing file is an empty baseline.
pub(crate) fn read(path: &Path) -> anyhow::Result<BTreeSet<KnownViolation>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(error) => return Err(error).with_context(|| format!("reading the baseline {}", path.display())),
    };
    let file: BaselineFile =
        serde_json::from_str(&text).with_context(|| format!("the baseline {} is not valid", path.display()))?;
    anyhow::ensure!(
        file.version == VERSION,
        "the baseline {} has version {}; this Thread reads version {VERSION}",
        path.display(),
        file.version
    );
    Ok(file.violations.into_iter().collect())
}

/// Writes `violations` as the baseline at `path`, sorted, so that it diffs well.
pub(crate) fn write(path: &Path, violations: BTreeSet<KnownViolation>) -> anyhow::Result<()> {
    let file = BaselineFile { version: VERSION, violations: violations.into_iter().collect() };
    let mut text = serde_json::to_string_pretty(&file).context("encoding the baseline")?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("writing the baseline {}", path.display()))
}
