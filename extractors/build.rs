//! Derives the resolver's revision from its sources.
//!
//! Stores keep each file's resolution, and a later build reuses it only under the same
//! revision. A revision bumped by hand is one a change can forget; a hash of the code that
//! decides what resolution answers cannot. That is `src/resolve/`, the language table
//! (`src/lang.rs`: which resolver, which imports are assets), the text helpers resolution
//! reads (`src/text.rs`: `cfg(…)` predicates) and how a resolution is stored
//! (`src/codec.rs`). A change that answers nothing differently, a comment included, costs
//! one re-resolution of each stored file.

use std::path::{Path, PathBuf};

fn main() {
    let mut sources: Vec<PathBuf> = ["src/codec.rs", "src/lang.rs", "src/text.rs"].map(PathBuf::from).into();
    collect_rust_files(Path::new("src/resolve"), &mut sources);
    sources.sort();
    // 32-bit FNV-1a over each file's path and text, carriage returns left out so that a
    // checkout's line endings do not matter.
    let mut hash: u32 = 0x811c_9dc5;
    for source in &sources {
        println!("cargo::rerun-if-changed={}", source.display());
        let text = std::fs::read(source).unwrap_or_else(|error| panic!("reading {}: {error}", source.display()));
        let path = source.to_string_lossy().replace('\\', "/");
        for byte in path.bytes().chain([0]).chain(text.into_iter().filter(|byte| *byte != b'\r')) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    // A file added to or removed from the directory changes the revision too.
    println!("cargo::rerun-if-changed=src/resolve");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_else(|| panic!("cargo sets OUT_DIR")));
    std::fs::write(out.join("resolver_revision.rs"), format!("{hash:#010x}"))
        .unwrap_or_else(|error| panic!("writing the resolver's revision: {error}"));
}

fn collect_rust_files(directory: &Path, into: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(directory).unwrap_or_else(|error| panic!("listing {}: {error}", directory.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|error| panic!("listing {}: {error}", directory.display()));
        let path = entry.path();
        // Editors' lock and backup files (`.#mod.rs`, a dangling link) are not sources.
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let Ok(kind) = entry.file_type() else { continue };
        if hidden {
            continue;
        } else if kind.is_dir() {
            collect_rust_files(&path, into);
        } else if kind.is_file() && path.extension().is_some_and(|extension| extension == "rs") {
            into.push(path);
        }
    }
}
