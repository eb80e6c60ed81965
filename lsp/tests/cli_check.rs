//! `thread-lsp check` as CI runs it: exit codes, the baseline, every output format, and
//! SARIF checked by Microsoft's own validator (`@microsoft/sarif-multitool` from npm).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod support;

use support::{skip_or_fail, write};

/// Three layers and decoys: an allowed downward import, a chain through an unlayered
/// helper, and a chain that only passes through the importing layer.
fn workspace(rules: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for package in ["src", "src/ui", "src/app", "src/core", "src/helpers"] {
        write(root, &format!("{package}/__init__.py"), "");
    }
    write(root, "src/ui/view.py", "from src.core import model\n");
    write(root, "src/ui/widget.py", "");
    write(root, "src/app/service.py", "import os\nfrom src.ui import widget\n");
    write(root, "src/core/model.py", "from src.helpers import bridge\n");
    write(root, "src/core/entry.py", "from src.core import model\n");
    write(root, "src/helpers/bridge.py", "from src.ui import widget\n");
    write(root, "thread.toml", rules);
    dir
}

const RULES: &str = r#"baseline = "thread-baseline.json"

[[rules]]
name = "core stays below ui"
kind = "layers"
layers = ["src/ui/**", "src/app/**", "src/core/**"]
"#;

fn check(root: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thread-lsp"))
        .arg("check")
        .arg(root)
        .args(["--store", "memory"])
        .args(extra)
        .output()
        .expect("run thread-lsp")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn violations_exit_1_with_the_chain_and_the_import_that_starts_it() {
    let dir = workspace(RULES);
    let output = check(dir.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let violations = report["violations"].as_array().expect("violations");
    let pairs: Vec<(String, String)> = violations
        .iter()
        .map(|violation| {
            (violation["from"].as_str().expect("from").into(), violation["to"].as_str().expect("to").into())
        })
        .collect();
    assert_eq!(
        pairs,
        [
            ("src/app/service.py".to_owned(), "src/ui/widget.py".to_owned()),
            ("src/core/model.py".to_owned(), "src/ui/widget.py".to_owned()),
        ]
    );
    let service = &violations[0];
    assert_eq!((service["line"].as_u64(), service["column"].as_u64()), (Some(2), Some(6)));
    assert_eq!(service["kind"], "layers");
    assert_eq!(
        violations[1]["chain"],
        serde_json::json!(["src/core/model.py", "src/helpers/bridge.py", "src/ui/widget.py"])
    );
}

#[test]
fn a_baseline_makes_known_violations_pass_and_new_ones_fail() {
    let dir = workspace(RULES);
    let root = dir.path();
    let recorded = check(root, &["--update-baseline"]);
    assert_eq!(recorded.status.code(), Some(0), "{}", stderr(&recorded));
    assert!(root.join("thread-baseline.json").exists());

    let known = check(root, &[]);
    assert_eq!(known.status.code(), Some(0), "{}{}", stdout(&known), stderr(&known));
    assert!(stdout(&known).contains("0 new violations"), "{}", stdout(&known));
    assert!(stdout(&known).contains("2 known in"), "{}", stdout(&known));

    // A new violation fails; the known ones stay quiet.
    write(root, "src/core/late.py", "from src.app import service\n");
    let new = check(root, &["--format", "github"]);
    assert_eq!(new.status.code(), Some(1));
    let annotations = stdout(&new);
    assert_eq!(annotations.lines().count(), 1, "{annotations}");
    assert!(
        annotations.starts_with("::error file=src/core/late.py,line=1,col=6,title=core stays below ui::"),
        "{annotations}"
    );

    // A fixed violation is reported as fixed.
    write(root, "src/core/late.py", "");
    write(root, "src/app/service.py", "import os\n");
    let fixed = check(root, &[]);
    assert_eq!(fixed.status.code(), Some(0));
    assert!(stdout(&fixed).contains("1 fixed since"), "{}", stdout(&fixed));
}

#[test]
fn unusable_rules_exit_2_once_with_the_line() {
    let dir = workspace("[[rules]]\nname = \"x\"\nkind = \"layer\"\n");
    let output = check(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.matches("unknown kind").count(), 1, "{message}");
    assert!(message.contains("thread.toml: line 1: rule \"x\": unknown kind \"layer\""), "{message}");

    let overlapping = workspace("[[rules]]\nname = \"x\"\nkind = \"layers\"\nlayers = [\"src/**\", \"src/ui/**\"]\n");
    let output = check(overlapping.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("matches both src/** and src/ui/**"), "{}", stderr(&output));

    let missing = tempfile::tempdir().expect("temp dir");
    let output = check(missing.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("thread.toml does not exist"), "{}", stderr(&output));

    let no_baseline = workspace("[[rules]]\nname = \"x\"\nkind = \"acyclic\"\npaths = \"src/**\"\n");
    let output = check(no_baseline.path(), &["--update-baseline"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("add `baseline = "), "{}", stderr(&output));
}

#[test]
fn reversed_layers_still_fail_and_a_clean_tree_exits_0() {
    let dir =
        workspace(&RULES.replace("\"src/ui/**\", \"src/app/**\", \"src/core/**\"", "\"src/core/**\", \"src/ui/**\""));
    let output = check(dir.path(), &[]);
    // ui imports core (allowed now that core is above); nothing imports the other way.
    assert_eq!(output.status.code(), Some(1), "ui/view.py imports core: {}", stdout(&output));
    let clean = workspace("[[rules]]\nname = \"no cycles\"\nkind = \"acyclic\"\npaths = \"src/**\"\n");
    let output = check(clean.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).starts_with("0 new violations"), "{}", stdout(&output));
}

fn sarif_multitool() -> Option<PathBuf> {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tools/node_modules/.bin/sarif-multitool");
    if tool.exists() {
        return Some(tool);
    }
    skip_or_fail("@microsoft/sarif-multitool is missing; run `.ci/install-test-tools` (npm ci in tests/tools)");
    None
}

#[test]
fn sarif_passes_microsofts_validator_and_carries_the_chain() {
    let dir = workspace(RULES);
    let root = dir.path();
    // One known violation, to carry a suppression.
    check(root, &["--update-baseline"]);
    write(root, "src/core/late.py", "from src.app import service\n");
    let output = check(root, &["--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1));
    let sarif: Value = serde_json::from_str(&stdout(&output)).expect("SARIF is JSON");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let late = results.iter().find(|result| result["suppressions"].is_null()).expect("the new one");
    assert_eq!(late["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "src/core/late.py");
    assert_eq!(late["codeFlows"][0]["threadFlows"][0]["locations"].as_array().map(Vec::len), Some(2));

    let Some(tool) = sarif_multitool() else { return };
    let input = root.join("report.sarif");
    let validation = root.join("validation.sarif");
    std::fs::write(&input, stdout(&output)).expect("write SARIF");
    let run = Command::new(&tool)
        .arg("validate")
        .arg(&input)
        .arg("--output")
        .arg(&validation)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("run sarif-multitool");
    assert!(run.status.success(), "{}{}", String::from_utf8_lossy(&run.stdout), stderr(&run));
    let verdict: Value =
        serde_json::from_str(&std::fs::read_to_string(&validation).expect("validation")).expect("JSON");
    let errors: Vec<&Value> = verdict["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|run| run["results"].as_array().into_iter().flatten())
        .filter(|result| result["level"] == "error")
        .collect();
    assert!(errors.is_empty(), "the validator found errors: {errors:#?}");
}

#[test]
fn annotations_and_sarif_name_files_from_the_repository_top() {
    let repository = tempfile::tempdir().expect("temp dir");
    let web = repository.path().join("web");
    std::fs::create_dir_all(&web).expect("mkdir");
    let dir = workspace(RULES);
    // The workspace as a subdirectory of a git repository: `web/`.
    std::process::Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", dir.path().display()))
        .arg(&web)
        .status()
        .expect("cp");
    let init = std::process::Command::new("git").arg("-C").arg(repository.path()).args(["init", "-q"]).status();
    assert!(init.is_ok_and(|status| status.success()));

    let annotations = stdout(&check(&web, &["--format", "github"]));
    assert!(annotations.lines().all(|line| line.starts_with("::error file=web/src/")), "{annotations}");

    let sarif: Value = serde_json::from_str(&stdout(&check(&web, &["--format", "sarif"]))).expect("SARIF");
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert!(uri.as_str().is_some_and(|uri| uri.starts_with("web/src/")), "{uri}");
    let root = sarif["runs"][0]["originalUriBaseIds"]["ROOT"]["uri"].as_str().unwrap_or_default().to_owned();
    assert!(!root.ends_with("/web/"), "ROOT is the repository's top: {root}");
}
