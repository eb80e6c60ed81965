//! A real editor: Debian's Neovim, headless, drives `thread-lsp serve` with its own LSP
//! client, set up by `editors/neovim/thread.lua` (`tests/neovim/e2e.lua`). Diagnostics arrive, an unsaved edit in one file
//! breaks an import in another and undoing it clears that, and incoming calls cross
//! files. Without Neovim the test skips loudly; under `THREAD_CI=1` it fails.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::write;

#[test]
#[allow(clippy::print_stderr)] // It reports what Neovim saw.
fn neovim_shows_diagnostics_follows_edits_finds_incoming_calls_and_lenses() {
    if Command::new("nvim").arg("--version").output().is_err() {
        support::skip_or_fail(
            "the Neovim end-to-end test needs `nvim` (Debian: apt-get install neovim; or run .ci/install-test-tools)",
        );
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("root");
    // A project marker, as real projects have: the shipped setup finds the root by it.
    write(&root, "pyproject.toml", "[project]\nname = \"app\"\n");
    write(&root, "app/__init__.py", "");
    write(&root, "app/models.py", "class User:\n    pass\n\n\ndef helper():\n    return User()\n");
    write(
        &root,
        "app/views.py",
        "from app.models import User, helper\nimport app.nowhere\n\n\ndef show():\n    return helper()\n",
    );
    let result = root.join("result.json");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/neovim/e2e.lua");
    let mut child = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", &format!("luafile {script}")])
        .env("THREAD_LSP", env!("CARGO_BIN_EXE_thread-lsp"))
        .env("THREAD_EDITORS", concat!(env!("CARGO_MANIFEST_DIR"), "/../editors"))
        .env("THREAD_WORKSPACE", &root)
        .env("THREAD_RESULT", &result)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("start nvim");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&result).expect("the script wrote its result");
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let steps = report["steps"].as_array().expect("steps");
    let names: Vec<&str> = steps.iter().filter_map(|step| step["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "the shipped setup attaches",
            "diagnostics arrive",
            "an edit updates them",
            "fixing clears them",
            "prepare call hierarchy",
            "incoming calls",
            "dependents lenses"
        ],
        "{report}"
    );
    for step in steps {
        assert_eq!(step["ok"], true, "{step}");
    }
    eprintln!("Neovim: {report}");
}

/// `editors/neovim/lsp/thread.lua`, for Neovim 0.11's `vim.lsp.enable`, loaded by a real
/// Neovim (Debian's is older than 0.11, so only its shape is checked): a table with the
/// command, the filetypes of every language Thread reads, root markers and settings.
#[test]
fn the_neovim_0_11_config_has_the_shape_vim_lsp_enable_reads() {
    if Command::new("nvim").arg("--version").output().is_err() {
        support::skip_or_fail("the Neovim config test needs `nvim` (run .ci/install-test-tools)");
        return;
    }
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../editors/neovim/lsp/thread.lua");
    let check = format!(
        "lua local ok, c = pcall(dofile, {file:?}) \
         local languages = {{ 'rust', 'python', 'typescript', 'typescriptreact', 'javascript', 'go' }} \
         local good = ok and type(c) == 'table' and type(c.cmd) == 'table' and c.cmd[1] == 'thread-lsp' \
           and c.cmd[2] == 'serve' and type(c.root_markers) == 'table' and type(c.settings) == 'table' \
           and type(c.filetypes) == 'table' \
         for _, language in ipairs(languages) do good = good and vim.tbl_contains(c.filetypes, language) end \
         if not good then vim.cmd('cquit 3') end"
    );
    let status = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", &check, "-c", "qa!"])
        .status()
        .expect("run nvim");
    assert!(status.success(), "editors/neovim/lsp/thread.lua does not have the shape Neovim 0.11 reads");
}
