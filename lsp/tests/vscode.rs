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
    if !dir.join("node_modules/.bin/tsc").exists() {
        npm(dir, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(dir, &["run", "build"]);
    npm(dir, &["test"]);
    let package = dir.join("out/thread-lsp.vsix");
    let _ = std::fs::remove_file(&package);
    npm(dir, &["run", "package"]);
    let bytes = std::fs::read(&package).expect("the .vsix was written");
    assert!(bytes.starts_with(b"PK"), "a .vsix is a zip archive");
    for inside in ["extension/package.json", "extension/out/src/extension.js", "vscode-languageclient"] {
        assert!(bytes.windows(inside.len()).any(|window| window == inside.as_bytes()), "the package holds {inside}");
    }
}
