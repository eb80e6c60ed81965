//! A scripted LSP client for the protocol tests: it starts `thread-lsp serve`, speaks
//! JSON-RPC with Content-Length framing over its stdio, answers the server's requests,
//! and lets a test wait for the messages it expects.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a test waits for an answer before it fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

pub(crate) struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Notifications and requests seen while waiting for something else.
    pub(crate) seen: Vec<Value>,
    /// What to answer the server's requests with, by method; `null` for the rest.
    pub(crate) answers: std::collections::HashMap<String, Value>,
    pub(crate) root: PathBuf,
}

impl Client {
    /// Starts the server on `root` and completes `initialize`/`initialized` with these
    /// client capabilities and options.
    pub(crate) fn start(root: &Path, capabilities: Value, options: Value) -> Client {
        let mut client = Client::launch(root, capabilities, options);
        client.wait_until_ready();
        client
    }

    /// Like `start`, without waiting for the workspace to be indexed.
    pub(crate) fn launch(root: &Path, capabilities: Value, options: Value) -> Client {
        Client::launch_with_folders(root, &[], capabilities, options)
    }

    /// Like `launch`, with more workspace folders after `root`.
    pub(crate) fn launch_with_folders(root: &Path, more: &[&Path], capabilities: Value, options: Value) -> Client {
        Client::launch_with(root, more, capabilities, options, &[])
    }

    /// Like `launch_with_folders`, with these environment variables set for the server.
    pub(crate) fn launch_with(
        root: &Path,
        more: &[&Path],
        capabilities: Value,
        options: Value,
        environment: &[(&str, &str)],
    ) -> Client {
        let mut child = Command::new(server_binary())
            .arg("serve")
            .envs(environment.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start thread-lsp serve");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        let root = root.canonicalize().expect("root");
        let mut client =
            Client { child, stdin, incoming, next_id: 1, seen: Vec::new(), answers: Default::default(), root };
        let mut folders = vec![json!({ "uri": client.uri(""), "name": "workspace" })];
        for (index, folder) in more.iter().enumerate() {
            let folder = folder.canonicalize().expect("folder");
            folders.push(json!({ "uri": format!("file://{}", folder.display()), "name": format!("folder{index}") }));
        }
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": client.uri(""),
                "workspaceFolders": folders,
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        assert!(result.get("result").is_some(), "initialize failed: {result}");
        client.notify("initialized", json!({}));
        client
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `thread/stats` until the workspace is indexed.
    pub(crate) fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        while self.request("thread/stats", Value::Null)["result"]["ready"] != true {
            assert!(Instant::now() < deadline, "the workspace was not indexed in {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(crate) fn uri(&self, path: &str) -> String {
        let full = if path.is_empty() { self.root.clone() } else { self.root.join(path) };
        format!("file://{}", full.display())
    }

    pub(crate) fn send(&mut self, message: &Value) {
        self.send_raw(&message.to_string());
    }

    /// Writes `bytes` as they are, framing included.
    pub(crate) fn send_raw_frame(&mut self, bytes: &str) {
        self.stdin.write_all(bytes.as_bytes()).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    /// Sends `body` framed, whatever it holds.
    pub(crate) fn send_raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    pub(crate) fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its whole response (`result` or `error`).
    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    pub(crate) fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// `thread/stats` once the graph has moved past `revision`: an analysis that changed
    /// something is in.
    pub(crate) fn stats_past(&mut self, revision: u64) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let stats = self.request("thread/stats", Value::Null)["result"].clone();
            if stats["revision"].as_u64().is_some_and(|seen| seen > revision) {
                return stats;
            }
            assert!(Instant::now() < deadline, "no revision after {revision} in {PATIENCE:?}: {stats}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn response(&mut self, id: i64) -> Value {
        self.wait_for(|message| message.get("id") == Some(&json!(id)) && message.get("method").is_none())
    }

    /// The first message matching `wanted`, among those already seen or else the next
    /// to arrive; others are kept in `seen`, and the server's requests are answered
    /// with `null`.
    pub(crate) fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(position) = self.seen.iter().position(&wanted) {
            return self.seen.remove(position);
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.incoming.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => panic!("no matching message in {PATIENCE:?}; seen: {:#?}", self.seen),
                Err(RecvTimeoutError::Disconnected) => panic!("the server stopped; seen: {:#?}", self.seen),
            };
            if let (Some(method), Some(id)) = (message["method"].as_str(), message.get("id")) {
                let answer = self.answers.get(method).cloned().unwrap_or(Value::Null);
                self.send(&json!({ "jsonrpc": "2.0", "id": id.clone(), "result": answer }));
            }
            if wanted(&message) {
                return message;
            }
            self.seen.push(message);
        }
    }

    /// The next diagnostics published for `path` that satisfy `wanted`.
    pub(crate) fn diagnostics_for(&mut self, path: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let uri = self.uri(path);
        self.wait_for(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && wanted(&message["params"])
        })["params"]
            .clone()
    }

    pub(crate) fn open(&mut self, path: &str, language: &str, text: &str) {
        let uri = self.uri(path);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language, "version": 0, "text": text } }),
        );
    }

    /// Replaces a range of an open document.
    pub(crate) fn edit(&mut self, path: &str, version: i64, range: [u32; 4], text: &str) {
        let uri = self.uri(path);
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": { "start": { "line": range[0], "character": range[1] }, "end": { "line": range[2], "character": range[3] } },
                    "text": text,
                }],
            }),
        );
    }

    /// Shuts the server down and checks it exits cleanly.
    pub(crate) fn shutdown(mut self) {
        let answer = self.request("shutdown", Value::Null);
        assert!(answer.get("error").is_none(), "{answer}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "thread-lsp exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "thread-lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The `thread-lsp` binary: Cargo's for the lsp package's tests, else the one built
/// next to this executable (`cargo build --release -p thread-lsp` for the benchmark).
pub(crate) fn server_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_thread-lsp") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target directory");
    let binary = dir.join("thread-lsp");
    assert!(binary.exists(), "{} is missing: run `cargo build --release -p thread-lsp` first", binary.display());
    binary
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Writes `files` (path, text) under a new temporary directory.
pub(crate) fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, text).expect("write");
    }
    dir
}

/// The codes of a diagnostics notification's diagnostics.
pub(crate) fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"].as_array().map_or_else(Vec::new, |diagnostics| {
        diagnostics.iter().filter_map(|diagnostic| diagnostic["code"].as_str().map(str::to_owned)).collect()
    })
}
