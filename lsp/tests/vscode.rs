//! The VS Code extension (`editors/vscode`): it builds with `tsc`, its tests pass under
//! Node (its settings mapping, and the real `thread-lsp` driven through
//! vscode-languageserver-protocol with what the extension sends), and `vsce` packages
//! it. VS Code itself cannot run here (it is not on a package registry), so the client
//! library under it stands in. Without npm the test skips loudly; under `THREAD_CI=1`
//! it fails.

mod support;

use std::path::Path;
use std::process::Command;

fn npm(dir: &Path, arguments: &[&str]) {
    let output = Command::new("npm")
        .args(arguments)
        .current_dir(dir)
        .env("THREAD_LSP", env!("CARGO_BIN_EXE_thread-lsp"))
        .output()
        .expect("run npm");
    assert!(
        output.status.success(),
        "npm {} failed:\n{}\n{}",
        arguments.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_vscode_extension_builds_passes_its_tests_against_the_server_and_packages() {
    if Command::new("npm").arg("--version").output().is_err() {
        support::skip_or_fail("the VS Code extension test needs Node 20 and npm (Debian: apt-get install nodejs npm)");
        return;
    }
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../editors/vscode"));
    if !dir.join("node_modules/.bin/tsc").exists() || !dir.join("node_modules/.bin/esbuild").exists() {
        npm(dir, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(dir, &["run", "build"]);
    npm(dir, &["test"]);
    let package = dir.join("out/thread-lsp.vsix");
    let _ = std::fs::remove_file(&package);
    npm(dir, &["run", "package"]);
    // One bundle and the manifests: nothing of node_modules, the sources or the tests.
    let listing = Command::new("python3")
        .args(["-c", "import json, sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(json.dumps({'files': z.namelist(), 'package': json.loads(z.read('extension/package.json'))}))"])
        .arg(&package)
        .output()
        .expect("python3 reads the .vsix");
    assert!(listing.status.success(), "the .vsix is a zip archive: {}", String::from_utf8_lossy(&listing.stderr));
    let contents: serde_json::Value = serde_json::from_slice(&listing.stdout).expect("JSON");
    let files: Vec<&str> =
        contents["files"].as_array().expect("files").iter().filter_map(|file| file.as_str()).collect();
    assert!(files.contains(&"extension/dist/extension.js"), "{files:?}");
    assert!(files.len() <= 6, "a bundled extension ships a handful of files: {files:?}");
    assert!(
        files
            .iter()
            .all(|file| !file.contains("node_modules") && !file.ends_with(".ts") && !file.contains(".gitignore")),
        "{files:?}"
    );
    assert_eq!(contents["package"]["license"], "MIT OR Apache-2.0", "the workspace's licence");
    assert_eq!(contents["package"]["main"], "./dist/extension.js");
}
