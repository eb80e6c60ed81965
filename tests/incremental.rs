//! The incremental host against from-scratch builds.
//!
//! The property: after any sequence of edits, creations, deletions and renames, applied
//! in batches of any size, the live graph (edges, unresolved imports, definitions, calls,
//! missing names) equals what a from-scratch build of the same tree gives. The reference
//! is the plain batch build ([`index_sources`]) for the file graph and a fresh host fed
//! by the extractor directly (not through the ReCoco flow) for the symbol level: facts,
//! bindings of calls and imported names, and the uses index that mirrors them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use thread_flow::engine::synthetic::{SyntheticOptions, SyntheticWorkspace};
use thread_flow::engine::{Bindings, DefRef, DirectExtraction, FileChange, Host, RecocoFlow, Snapshot, index_sources};
use thread_flow::extractors::resolve::{ProjectFile, is_project_file};

/// One step of a random history. Indices pick files modulo the current count.
#[derive(Clone, Debug)]
enum Op {
    /// Change a number inside a body: content changes, the interface does not.
    BodyEdit(usize),
    /// Rename the first definition's name everywhere in the file: an interface change.
    RenameSymbol(usize),
    /// Delete one line: an import, a `mod` item, a definition's first line...
    DropLine(usize, usize),
    /// Insert an empty line: everything after it moves, nothing changes.
    InsertLine(usize, usize),
    /// Copy a line of one file into another: new imports, often to other directories.
    CopyLine(usize, usize, usize),
    /// Delete a file.
    Delete(usize),
    /// Bring back a deleted file.
    Restore(usize),
    /// Create a copy of a file under a new name in its directory.
    Create(usize),
    /// Move a file to a new name in its directory.
    Rename(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<usize>().prop_map(Op::BodyEdit),
        2 => any::<usize>().prop_map(Op::RenameSymbol),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(file, line)| Op::DropLine(file, line)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(file, line)| Op::InsertLine(file, line)),
        2 => (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(from, line, to)| Op::CopyLine(from, line, to)),
        2 => any::<usize>().prop_map(Op::Delete),
        2 => any::<usize>().prop_map(Op::Restore),
        1 => any::<usize>().prop_map(Op::Create),
        1 => any::<usize>().prop_map(Op::Rename),
    ]
}

/// The tree as the test knows it, plus what was deleted from it.
struct Tree {
    files: BTreeMap<String, String>,
    deleted: BTreeMap<String, String>,
    counter: usize,
}

impl Tree {
    fn pick(&self, index: usize) -> Option<String> {
        let paths: Vec<&String> = self.files.keys().collect();
        (!paths.is_empty()).then(|| paths[index % paths.len()].clone())
    }

    /// Applies `op` to the tree and returns the matching host changes.
    fn apply(&mut self, op: &Op) -> Vec<FileChange> {
        self.counter += 1;
        let counter = self.counter;
        let write = |path: &str, text: &str| FileChange::write(path, text.as_bytes().to_vec());
        match op {
            Op::BodyEdit(index) => {
                let Some(path) = self.pick(*index) else { return Vec::new() };
                let text = self.files[&path].clone();
                let Some(digit) = text.find(|c: char| c.is_ascii_digit() && c != '0') else { return Vec::new() };
                let mut edited = text.clone();
                edited.replace_range(digit..digit + 1, "7");
                edited.push_str(&format!("\n{} edit {counter}\n", comment_for(&path)));
                self.files.insert(path.clone(), edited.clone());
                vec![write(&path, &edited)]
            }
            Op::RenameSymbol(index) => {
                let Some(path) = self.pick(*index) else { return Vec::new() };
                let text = self.files[&path].clone();
                let Some(name) = first_definition_name(&text) else { return Vec::new() };
                let edited = text.replace(&name, &format!("{name}R{counter}"));
                self.files.insert(path.clone(), edited.clone());
                vec![write(&path, &edited)]
            }
            Op::DropLine(index, line) => {
                let Some(path) = self.pick(*index) else { return Vec::new() };
                let mut lines: Vec<&str> = self.files[&path].lines().collect();
                if lines.is_empty() {
                    return Vec::new();
                }
                lines.remove(line % lines.len());
                let edited = lines.join("\n") + "\n";
                self.files.insert(path.clone(), edited.clone());
                vec![write(&path, &edited)]
            }
            Op::InsertLine(index, line) => {
                let Some(path) = self.pick(*index) else { return Vec::new() };
                let mut lines: Vec<&str> = self.files[&path].lines().collect();
                lines.insert(line % (lines.len() + 1), "");
                let edited = lines.join("\n") + "\n";
                self.files.insert(path.clone(), edited.clone());
                vec![write(&path, &edited)]
            }
            Op::CopyLine(from, line, to) => {
                let (Some(from), Some(to)) = (self.pick(*from), self.pick(*to)) else { return Vec::new() };
                let lines: Vec<&str> = self.files[&from].lines().collect();
                if lines.is_empty() {
                    return Vec::new();
                }
                let copied = lines[line % lines.len()].to_owned();
                let edited = format!("{copied}\n{}", self.files[&to]);
                self.files.insert(to.clone(), edited.clone());
                vec![write(&to, &edited)]
            }
            Op::Delete(index) => {
                let Some(path) = self.pick(*index) else { return Vec::new() };
                let text = self.files.remove(&path).unwrap_or_default();
                self.deleted.insert(path.clone(), text);
                vec![FileChange::remove(path)]
            }
            Op::Restore(index) => {
                let paths: Vec<String> = self.deleted.keys().cloned().collect();
                if paths.is_empty() {
                    return Vec::new();
                }
                let path = &paths[index % paths.len()];
                let text = self.deleted.remove(path).unwrap_or_default();
                self.files.insert(path.clone(), text.clone());
                vec![write(path, &text)]
            }
            Op::Create(index) | Op::Rename(index) => {
                let Some(path) = self.pick(*index) else { return Vec::new() };
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
                let extension = name.rsplit_once('.').map_or("", |(_, extension)| extension);
                let new_path = format!("{dir}/n{counter}.{extension}");
                let text = self.files[&path].clone();
                self.files.insert(new_path.clone(), text.clone());
                let mut changes = vec![write(&new_path, &text)];
                if matches!(op, Op::Rename(_)) {
                    self.files.remove(&path);
                    self.deleted.insert(path.clone(), text);
                    changes.push(FileChange::remove(path));
                }
                changes
            }
        }
    }
}

fn comment_for(path: &str) -> &'static str {
    if path.ends_with(".py") || path.ends_with(".toml") || path.ends_with(".cfg") || path.ends_with(".mod") {
        "#"
    } else if path.ends_with(".json") {
        ""
    } else {
        "//"
    }
}

fn first_definition_name(text: &str) -> Option<String> {
    for keyword in ["pub fn ", "def ", "export function ", "func ", "pub struct ", "class "] {
        if let Some(start) = text.find(keyword) {
            let rest = &text[start + keyword.len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
}

fn project_files(sources: &[(String, Vec<u8>)]) -> Vec<ProjectFile> {
    sources
        .iter()
        .filter(|(path, _)| is_project_file(path.rsplit('/').next().unwrap_or(path)))
        .map(|(path, text)| ProjectFile { path: path.clone(), text: String::from_utf8_lossy(text).into_owned() })
        .collect()
}

fn from_scratch(files: &BTreeMap<String, String>) -> Snapshot {
    let mut host = Host::new(Arc::new(DirectExtraction));
    host.apply(files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_bytes().to_vec())).collect());
    host.snapshot()
}

/// Per file: definition count, call count, and missing (target, name) pairs.
type SymbolState = BTreeMap<String, (usize, usize, Vec<(String, String)>)>;

/// Everything per file that must match, with ids turned into paths.
fn symbol_state(snapshot: &Snapshot) -> SymbolState {
    snapshot
        .files()
        .map(|file| {
            let missing = file
                .missing
                .iter()
                .map(|missing| (snapshot.path(missing.target).to_owned(), missing.name.clone()))
                .collect();
            (file.path.to_string(), (file.facts.definitions.len(), file.facts.calls.len(), missing))
        })
        .collect()
}

/// Per file: its bindings (calls, imported names, missing names) and the uses of its
/// definitions, with ids turned into paths and definitions into `owner.name`.
type BindingState = BTreeMap<String, (Vec<String>, Vec<String>)>;

fn binding_state(snapshot: &Snapshot) -> BindingState {
    let name_of = |target: DefRef| {
        let entry = snapshot.file(target.file).expect("bound to a live file");
        let definition = snapshot.definition(target).expect("bound to a live definition");
        format!("{}:{}.{}", entry.path, definition.owner.as_deref().unwrap_or(""), definition.name)
    };
    snapshot
        .files()
        .map(|file| {
            let bindings = &file.bindings;
            let mut bound: Vec<String> = bindings
                .calls
                .iter()
                .map(|(call, target)| format!("call {call} -> {}", name_of(*target)))
                .chain(
                    bindings
                        .imports
                        .iter()
                        .map(|(import, name, target)| format!("import {import}.{name} -> {}", name_of(*target))),
                )
                .chain(
                    bindings
                        .missing
                        .iter()
                        .map(|(call, file, name)| format!("missing {call} -> {}:{name}", snapshot.path(*file))),
                )
                .collect();
            bound.sort();
            let mut used: Vec<String> = file
                .used_by
                .iter()
                .map(|(symbol, user)| {
                    format!("{} <- {}", name_of(DefRef { file: file.id, symbol: *symbol }), snapshot.path(*user))
                })
                .collect();
            used.sort();
            (file.path.to_string(), (bound, used))
        })
        .collect()
}

fn check_equal(host: &Host, tree: &Tree, step: usize) -> Result<(), TestCaseError> {
    let snapshot = host.snapshot();
    let sources: Vec<(String, Vec<u8>)> =
        tree.files.iter().map(|(path, text)| (path.clone(), text.as_bytes().to_vec())).collect();
    let reference = index_sources(&sources, &project_files(&sources));
    let live = snapshot.graph();
    prop_assert_eq!(&live.files, &reference.files, "files after step {}", step);
    prop_assert_eq!(&live.edges, &reference.edges, "edges after step {}", step);
    prop_assert_eq!(&live.unresolved, &reference.unresolved, "unresolved after step {}", step);
    let fresh = from_scratch(&tree.files);
    prop_assert_eq!(symbol_state(&snapshot), symbol_state(&fresh), "symbols after step {}", step);
    for file in snapshot.files() {
        let expected = fresh.file_at(&file.path);
        prop_assert_eq!(
            Some(&file.facts),
            expected.map(|fresh| &fresh.facts),
            "facts of {} after step {}",
            file.path,
            step
        );
        // What is derived from the facts, kept across versions that only moved things.
        prop_assert_eq!(
            Some(&file.interface),
            expected.map(|fresh| &fresh.interface),
            "interface of {} after step {}",
            file.path,
            step
        );
        prop_assert_eq!(
            Some(&file.symbols),
            expected.map(|fresh| &fresh.symbols),
            "symbols of {} after step {}",
            file.path,
            step
        );
        prop_assert_eq!(
            Some(file.symbols.surface(&file.facts, &file.interface)),
            expected.map(|fresh| fresh.symbols.surface(&fresh.facts, &fresh.interface)),
            "surface of {} after step {}",
            file.path,
            step
        );
    }
    // Reverse edges are the exact mirror of forward edges.
    let mut forward = BTreeSet::new();
    let mut reverse = BTreeSet::new();
    for file in snapshot.files() {
        forward.extend(file.links.iter().map(|link| (file.id, link.to)));
        reverse.extend(file.dependents.iter().map(|dependent| (*dependent, file.id)));
    }
    prop_assert_eq!(forward, reverse, "reverse edges after step {}", step);
    // Bindings and the uses index equal a fresh build's, and uses mirror bindings.
    prop_assert_eq!(binding_state(&snapshot), binding_state(&fresh), "bindings after step {}", step);
    let mut bound = BTreeSet::new();
    let mut used = BTreeSet::new();
    for file in snapshot.files() {
        bound.extend(file.bindings.targets().into_iter().map(|target| (target, file.id)));
        used.extend(file.used_by.iter().map(|(symbol, user)| (DefRef { file: file.id, symbol: *symbol }, *user)));
    }
    prop_assert_eq!(bound, used, "uses mirror bindings after step {}", step);
    Ok(())
}

fn cases() -> u32 {
    std::env::var("THREAD_PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn incremental_graph_equals_a_rebuild_after_every_step(
        seed in 0u64..1000,
        batches in prop::collection::vec(prop::collection::vec(op(), 1..4), 1..10),
    ) {
        let workspace = SyntheticWorkspace::generate(SyntheticOptions {
            files_per_language: 6,
            files_per_group: 3,
            imports_per_file: 2,
            seed,
        });
        let mut tree = Tree { files: workspace.files.into_iter().collect(), deleted: BTreeMap::new(), counter: 0 };
        let flow = RecocoFlow::shared().map_err(|error| TestCaseError::fail(error.to_string()))?;
        let mut host = Host::new(flow.clone());
        // The CLI's hosts of the file graph alone, fed the same history: with whole facts
        // (`index`), and from imports alone (`check`, `affected`, `graph`).
        let mut files_only = Host::new(flow.clone()).files_only();
        let mut imports_only = Host::new(flow.clone()).imports_only();
        let everything = |tree: &Tree| -> Vec<FileChange> {
            tree.files.iter().map(|(path, text)| FileChange::write(path.as_str(), text.as_bytes().to_vec())).collect()
        };
        host.apply(everything(&tree));
        files_only.apply(everything(&tree));
        imports_only.apply(everything(&tree));
        check_equal(&host, &tree, 0)?;
        check_files_only(&files_only, &host, 0)?;
        check_imports_only(&imports_only, &host, 0)?;
        for (step, batch) in batches.iter().enumerate() {
            let changes: Vec<FileChange> = batch.iter().flat_map(|op| tree.apply(op)).collect();
            // The same paths, at the state the batch left them in.
            let mirrored = || -> Vec<FileChange> {
                changes
                    .iter()
                    .map(|change| match tree.files.get(change.path()) {
                        Some(text) => FileChange::write(change.path(), text.as_bytes().to_vec()),
                        None => FileChange::remove(change.path()),
                    })
                    .collect()
            };
            files_only.apply(mirrored());
            imports_only.apply(mirrored());
            host.apply(changes);
            check_equal(&host, &tree, step + 1)?;
            check_files_only(&files_only, &host, step + 1)?;
            check_imports_only(&imports_only, &host, step + 1)?;
        }
        // The imports-only host against one built from scratch on the final tree, broken
        // files included.
        let mut scratch = Host::new(flow).imports_only();
        scratch.apply(everything(&tree));
        prop_assert_eq!(imports_only.snapshot().graph(), scratch.snapshot().graph(), "imports-only graph at the end");
    }
}

/// A host reading imports alone has, for every file that parses, the full host's imports,
/// resolved edges and unresolved imports; it has no missing names and binds nothing. Of a
/// file that does not parse, it may keep imports the whole parse loses to the error.
fn check_imports_only(imports_only: &Host, host: &Host, step: usize) -> Result<(), TestCaseError> {
    let (lean, full) = (imports_only.snapshot(), host.snapshot());
    prop_assert_eq!(lean.len(), full.len(), "files after step {}", step);
    for file in lean.files() {
        let Some(other) = full.file_at(&file.path) else {
            return Err(TestCaseError::fail(format!("{} is missing from the full host after step {step}", file.path)));
        };
        prop_assert_eq!(file.facts.imports_only, file.lang.reads_imports_alone(), "{} after step {}", file.path, step);
        prop_assert!(file.missing.is_empty(), "{} has missing names after step {}", file.path, step);
        prop_assert_eq!(&*file.bindings, &Bindings::default(), "{} is bound after step {}", file.path, step);
        if !other.facts.syntax_errors.is_empty() {
            continue;
        }
        prop_assert_eq!(&file.facts.imports, &other.facts.imports, "imports of {} after step {}", file.path, step);
        let links = |snapshot: &Snapshot, links: &[thread_flow::engine::snapshot::Link]| -> Vec<String> {
            links
                .iter()
                .map(|link| format!("{} {:?} {} {:?}", snapshot.path(link.to), link.kind, link.import, link.usage))
                .collect()
        };
        prop_assert_eq!(
            links(&lean, &file.links),
            links(&full, &other.links),
            "links of {} after step {}",
            file.path,
            step
        );
        prop_assert_eq!(&file.unresolved, &other.unresolved, "unresolved imports of {} after step {}", file.path, step);
    }
    Ok(())
}

/// A files-only host has the full host's file graph, facts and missing names, and binds
/// nothing.
fn check_files_only(files_only: &Host, host: &Host, step: usize) -> Result<(), TestCaseError> {
    let (lean, full) = (files_only.snapshot(), host.snapshot());
    prop_assert_eq!(lean.graph(), full.graph(), "file graph after step {}", step);
    for file in lean.files() {
        let other = full.file_at(&file.path);
        prop_assert_eq!(
            Some(&file.facts),
            other.map(|other| &other.facts),
            "facts of {} after step {}",
            file.path,
            step
        );
        prop_assert_eq!(
            Some(&file.missing),
            other.map(|other| &other.missing),
            "missing names of {} after step {}",
            file.path,
            step
        );
        prop_assert_eq!(&*file.bindings, &Bindings::default(), "{} is bound after step {}", file.path, step);
        prop_assert!(file.used_by.is_empty(), "{} has uses after step {}", file.path, step);
    }
    Ok(())
}

/// A version of a file that only moves things keeps its interface and symbol table (a line
/// added at the top of a large file must not rebuild them); a version that changes what
/// they are made of, with every name the same, does not: a member's type,
/// which definition encloses which, a signature.
#[test]
fn derived_tables_survive_moves_and_only_moves() {
    let flow = RecocoFlow::shared().expect("the flow sets up");
    let python = "class C:\n    def __init__(self):\n        self.x: Foo = 1\n";
    let cases = [
        ("moved", "m.py", python, "\n\nclass C:\n    def __init__(self):\n        self.x: Foo = 1\n", true),
        ("a member's type", "m.py", python, "class C:\n    def __init__(self):\n        self.x: Bar = 1\n", false),
        ("nesting", "lib.rs", "fn outer() {}\nfn inner() {}\n", "fn outer() {\n    fn inner() {}\n}\n", false),
        ("a signature", "a.ts", "export function f(a = 1) {}\n", "export function f(a = 2) {}\n", false),
    ];
    for (change, path, before, after, kept) in cases {
        let mut host = Host::new(flow.clone());
        host.apply(vec![FileChange::write(path, before)]);
        let old = host.snapshot().file_at(path).cloned().expect("indexed");
        host.apply(vec![FileChange::write(path, after)]);
        let snapshot = host.snapshot();
        let new = snapshot.file_at(path).expect("indexed");
        assert_eq!(Arc::ptr_eq(&old.symbols, &new.symbols), kept, "{change}: table kept");
        assert_eq!(Arc::ptr_eq(&old.interface, &new.interface), kept, "{change}: interface kept");
        let fresh = from_scratch(&BTreeMap::from([(path.to_owned(), after.to_owned())]));
        let fresh = fresh.file_at(path).expect("indexed");
        assert_eq!(new.interface, fresh.interface, "{change}: interface");
        assert_eq!(new.symbols, fresh.symbols, "{change}: symbols");
        assert_eq!(
            new.symbols.surface(&new.facts, &new.interface),
            fresh.symbols.surface(&fresh.facts, &fresh.interface),
            "{change}: surface"
        );
    }
}
