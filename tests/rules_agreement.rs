//! Architecture rules against the single-language tools on real code fetched at test
//! time: import-linter on httpx and rich from PyPI (layers, forbidden and independence
//! contracts, each indirect and direct), dependency-cruiser on rxjs's TypeScript from npm
//! (forbidden rules, which it checks on direct imports). Each must give the same
//! violating pairs of files (the ends of every chain the tool reports).
//!
//! `tests/tools/rules_truth.py` and `depcruise_truth.py` fetch the projects, run the
//! tools and hand over each contract as Thread globs with its verdict. Without a tool
//! the test skips loudly; under `THREAD_CI=1` it fails instead.

#![allow(clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use thread_flow::engine::rules::{RulesConfig, check};
use thread_flow::engine::{LoadOptions, Snapshot, index_workspace};

fn toml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a JSON string is a TOML basic string")
}

/// The contract as a `thread.toml` rule.
fn rule_toml(contract: &serde_json::Value) -> String {
    let groups: Vec<String> = contract["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|group| {
            let globs: Vec<String> =
                group.as_array().expect("globs").iter().map(|glob| toml_string(glob.as_str().expect("glob"))).collect();
            format!("[{}]", globs.join(", "))
        })
        .collect();
    let kind = contract["kind"].as_str().expect("kind");
    let body = match kind {
        "layers" => format!("layers = [{}]", groups.join(", ")),
        "independence" => format!("modules = [{}]", groups.join(", ")),
        "forbidden" => format!("from = {}\nto = {}", groups[0], groups[1]),
        other => panic!("no such contract kind {other}"),
    };
    format!(
        "[[rules]]\nname = {}\nkind = {}\nindirect = {}\n{body}\n",
        toml_string(contract["name"].as_str().expect("name")),
        toml_string(kind),
        contract["indirect"].as_bool().expect("indirect")
    )
}

/// Runs `tests/tools/SCRIPT` over the shared corpus cache; its JSON.
fn truth(script: &str) -> serde_json::Value {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ground-truth-corpora");
    let output = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools").join(script))
        .arg(&cache)
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{script} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// The (from, to) pairs of a tool's verdict.
fn tool_pairs(contract: &serde_json::Value) -> BTreeSet<(String, String)> {
    contract["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|pair| (pair[0].as_str().expect("from").to_owned(), pair[1].as_str().expect("to").to_owned()))
        .collect()
}

/// Checks one rule and compares its violating pairs with the tool's; their number.
fn compare(snapshot: &Snapshot, rule: &str, contract: &serde_json::Value, tool: &str, corpus: &str) -> usize {
    let outcome = check(snapshot, &RulesConfig::parse(rule).expect("the contract is a valid rule"));
    assert!(outcome.refusals.is_empty(), "{:?}", outcome.refusals);
    let ours: BTreeSet<(String, String)> = outcome
        .violations
        .iter()
        .map(|violation| (snapshot.path(violation.from).to_owned(), snapshot.path(violation.to).to_owned()))
        .collect();
    let theirs = tool_pairs(contract);
    let name = contract["name"].as_str().expect("name");
    eprintln!("rule agreement {name} ({corpus}): {tool} {} pairs, Thread {}", theirs.len(), ours.len());
    assert_eq!(
        ours,
        theirs,
        "{name}: Thread only {:?}; {tool} only {:?}",
        ours.difference(&theirs).collect::<Vec<_>>(),
        theirs.difference(&ours).collect::<Vec<_>>()
    );
    theirs.len()
}

#[test]
fn rules_agree_with_import_linter() {
    let found = Command::new("python3").args(["-c", "import importlinter"]).output();
    if !found.is_ok_and(|output| output.status.success()) {
        crate::skip_or_fail("rule agreement needs import-linter (run .ci/install-test-tools)");
        return;
    }
    let truth = truth("rules_truth.py");
    let mut snapshots: BTreeMap<String, Snapshot> = BTreeMap::new();
    let mut compared = 0;
    let mut direct_and_indirect_differ = false;
    for contract in truth["contracts"].as_array().expect("contracts") {
        let root = contract["root"].as_str().expect("root").to_owned();
        let snapshot = snapshots.entry(root.clone()).or_insert_with(|| {
            index_workspace(Path::new(&root), &LoadOptions::default()).expect("index the project").snapshot
        });
        let count = compare(snapshot, &rule_toml(contract), contract, "import-linter", &root);
        compared += count;
        let name = contract["name"].as_str().expect("name");
        if !contract["indirect"].as_bool().expect("indirect") {
            let indirect_name = name.trim_end_matches(" (direct)");
            let indirect = truth["contracts"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|other| other["name"] == indirect_name && other["root"] == contract["root"]);
            direct_and_indirect_differ |=
                indirect.is_some_and(|indirect| indirect["pairs"].as_array().map(Vec::len) != Some(count));
        }
    }
    assert!(compared >= 50, "only {compared} violating pairs compared: the contracts prove too little");
    assert!(direct_and_indirect_differ, "no contract tells direct from indirect");
}

#[test]
fn forbidden_rules_agree_with_dependency_cruiser() {
    let depcruise = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/node_modules/.bin/depcruise");
    if !depcruise.exists() {
        crate::skip_or_fail("rule agreement needs dependency-cruiser (run .ci/install-test-tools)");
        return;
    }
    let truth = truth("depcruise_truth.py");
    let root = Path::new(truth["root"].as_str().expect("root"));
    let snapshot = index_workspace(root, &LoadOptions::default()).expect("index rxjs").snapshot;

    let mut compared = 0;
    for contract in truth["contracts"].as_array().expect("contracts") {
        let globs = |key: &str| -> String {
            let globs: Vec<String> = contract[key]
                .as_array()
                .expect("globs")
                .iter()
                .map(|glob| toml_string(glob.as_str().expect("glob")))
                .collect();
            format!("[{}]", globs.join(", "))
        };
        let rule = format!(
            "[[rules]]\nname = {}\nkind = \"forbidden\"\nindirect = false\nfrom = {}\nto = {}\n",
            toml_string(contract["name"].as_str().expect("name")),
            globs("from"),
            globs("to")
        );
        compared += compare(&snapshot, &rule, contract, "dependency-cruiser", "rxjs");
    }
    assert!(compared >= 40, "only {compared} violating pairs compared");
}
