//! Imports read without a whole parse ([`extract_imports`]) against the whole parse
//! ([`extract`]), on real code: every Python file of sympy 1.13.3 (PyPI) and of the
//! machine's Python standard library. For every file that parses, the two must give the
//! same imports, positions included.

use std::path::{Path, PathBuf};
use std::process::Command;

use rayon::prelude::*;
use thread_flow::extractors::{Lang, extract, extract_imports};

use super::skip_or_fail;

/// The Python files under `root`, sorted.
fn python_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .build()
        .filter_map(Result::ok)
        .map(ignore::DirEntry::into_path)
        .filter(|path| path.extension().is_some_and(|extension| extension == "py" || extension == "pyi"))
        .collect();
    files.sort();
    files
}

/// Python's answer to `expression`, printed.
fn ask_python(arguments: &[&str]) -> Option<String> {
    let output = Command::new("python3").args(arguments).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// (files compared, files left out because they do not parse), after asserting that the
/// two extractions agree on every compared file.
fn compare_tree(root: &Path) -> (usize, usize) {
    let files = python_files(root);
    assert!(!files.is_empty(), "no Python files under {}", root.display());
    let outcomes: Vec<Result<bool, String>> = files
        .par_iter()
        .map(|path| {
            let source = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
            let whole = extract(Lang::Python, &source).map_err(|error| error.to_string())?;
            if !whole.syntax_errors.is_empty() {
                return Ok(false);
            }
            let scanned = extract_imports(Lang::Python, &source).map_err(|error| error.to_string())?;
            assert!(scanned.imports_only && !whole.imports_only);
            if scanned.imports != whole.imports {
                let missing: Vec<_> = whole.imports.iter().filter(|import| !scanned.imports.contains(import)).collect();
                let extra: Vec<_> = scanned.imports.iter().filter(|import| !whole.imports.contains(import)).collect();
                return Err(format!("{}:\n  missed {missing:#?}\n  extra {extra:#?}", path.display()));
            }
            Ok(true)
        })
        .collect();
    let mut compared = 0;
    let mut broken = 0;
    let mut disagreements = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(true) => compared += 1,
            Ok(false) => broken += 1,
            Err(message) => disagreements.push(message),
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} files disagree; the first: {}",
        disagreements.len(),
        files.len(),
        disagreements[0]
    );
    (compared, broken)
}

#[test]
fn imports_read_alone_equal_the_whole_parse_on_sympy() {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ground-truth-corpora");
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools");
    let fetch = format!(
        "import sys; sys.path.insert(0, {:?}); from ground_truth import fetch_sdist; print(fetch_sdist({:?}, 'sympy', '1.13.3'))",
        tools.display().to_string(),
        cache.display().to_string()
    );
    let Some(root) = ask_python(&["-c", &fetch]) else {
        skip_or_fail("sympy 1.13.3 could not be fetched from PyPI (python3 and the network to PyPI are needed)");
        return;
    };
    let (compared, broken) = compare_tree(Path::new(&root));
    assert!(compared > 1_500, "only {compared} of sympy's files parsed ({broken} did not)");
}

#[test]
fn imports_read_alone_equal_the_whole_parse_on_the_standard_library() {
    let Some(root) = ask_python(&["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]) else {
        skip_or_fail("python3 is not installed, so there is no standard library to read");
        return;
    };
    let (compared, broken) = compare_tree(Path::new(&root));
    assert!(compared > 1_000, "only {compared} of the standard library's files parsed ({broken} did not)");
}
