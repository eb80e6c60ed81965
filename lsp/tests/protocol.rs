//! `thread-lsp serve` driven over stdio by a scripted client, the way editors drive it.

// One test reports how many publications a burst of edits gave.
#![allow(clippy::print_stderr)]

mod lsp_client;

use lsp_client::{Client, codes, workspace};
use serde_json::{Value, json};

fn progress_capabilities() -> Value {
    json!({ "window": { "workDoneProgress": true } })
}

fn memory_store() -> Value {
    json!({ "store": "memory" })
}

#[test]
fn initialize_reports_progress_then_diagnostics() {
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/a.py", "import app.b\nimport app.nowhere\nimport os\n"),
        ("app/b.py", "import app.a\n"),
    ]);
    let mut client = Client::start(dir.path(), progress_capabilities(), memory_store());
    let begin = client.wait_for(|message| message["method"] == "$/progress");
    assert_eq!(begin["params"]["value"]["kind"], "begin", "{begin}");
    assert_eq!(begin["params"]["value"]["percentage"], 0, "{begin}");
    let end =
        client.wait_for(|message| message["method"] == "$/progress" && message["params"]["value"]["kind"] == "end");
    assert!(end["params"]["value"]["message"].as_str().is_some_and(|text| text.contains("files in")), "{end}");
    // Reports in between climb and never pass 100.
    let percentages: Vec<i64> = client
        .seen
        .iter()
        .filter(|message| message["method"] == "$/progress" && message["params"]["value"]["kind"] == "report")
        .filter_map(|message| message["params"]["value"]["percentage"].as_i64())
        .collect();
    assert!(!percentages.is_empty() && percentages.windows(2).all(|pair| pair[0] <= pair[1]), "{percentages:?}");
    assert!(percentages.iter().all(|percent| (0..=100).contains(percent)), "{percentages:?}");

    let a = client.diagnostics_for("app/a.py", |_| true);
    let mut found = codes(&a);
    found.sort();
    assert_eq!(found, ["import-cycle", "unresolved-import"], "{a}");
    let unresolved =
        a["diagnostics"].as_array().and_then(|all| all.iter().find(|d| d["code"] == "unresolved-import")).cloned();
    let unresolved = unresolved.expect("unresolved-import");
    assert_eq!(unresolved["source"], "thread");
    assert_eq!(unresolved["range"]["start"], json!({ "line": 1, "character": 7 }), "on the module: {unresolved}");
    let cycle = a["diagnostics"].as_array().and_then(|all| all.iter().find(|d| d["code"] == "import-cycle")).cloned();
    let cycle = cycle.expect("import-cycle");
    assert_eq!(cycle["range"]["start"]["line"], 0, "at the import that closes the cycle: {cycle}");
    assert!(cycle["relatedInformation"].as_array().is_some_and(|related| !related.is_empty()), "{cycle}");
    let b = client.diagnostics_for("app/b.py", |_| true);
    assert_eq!(codes(&b), ["import-cycle"], "{b}");
    client.shutdown();
}

#[test]
fn a_burst_of_edits_ends_in_diagnostics_for_the_final_text_only() {
    let dir = workspace(&[("app/__init__.py", ""), ("app/util.py", "X = 1\n"), ("app/main.py", "")]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    client.open("app/main.py", "python", "");
    // 100 one-character edits: `import app.util` (unresolved until its last letter),
    // then a comment.
    let typed = format!("import app.util\n# {}", "x".repeat(82));
    assert_eq!(typed.chars().count(), 100);
    let (mut line, mut character) = (0, 0);
    for (version, letter) in typed.chars().enumerate() {
        client.edit("app/main.py", version as i64 + 1, [line, character, line, character], &letter.to_string());
        if letter == '\n' {
            (line, character) = (line + 1, 0);
        } else {
            character += 1;
        }
    }
    let last = client.diagnostics_for("app/main.py", |params| params["version"] == 100);
    assert_eq!(codes(&last), Vec::<String>::new(), "the final text imports a real module: {last}");
    // Nothing about an older version may follow.
    client.request("thread/stats", Value::Null);
    let uri = client.uri("app/main.py");
    let published: Vec<i64> = client
        .seen
        .iter()
        .filter(|message| message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri)
        .filter_map(|message| message["params"]["version"].as_i64())
        .collect();
    assert!(published.iter().all(|version| *version <= 100), "{published:?}");
    assert!(published.windows(2).all(|pair| pair[0] <= pair[1]), "versions only grow: {published:?}");
    eprintln!("100 edits gave {} diagnostics publications before the final one", published.len());
    client.shutdown();
}

#[test]
fn a_request_right_after_a_change_sees_the_new_text() {
    let dir = workspace(&[("app.py", "def old():\n    pass\n")]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    client.open("app.py", "python", "def old():\n    pass\n");
    let mut first_line = "def old():".to_owned();
    for round in 0..20 {
        let name = format!("brand_new_{round}");
        let line = format!("def {name}():");
        client.edit("app.py", round + 1, [0, 0, 0, first_line.len() as u32], &line);
        first_line = line;
        let answer = client.request(
            "textDocument/prepareCallHierarchy",
            json!({ "textDocument": { "uri": client.uri("app.py") }, "position": { "line": 0, "character": 6 } }),
        );
        assert_eq!(answer["result"][0]["name"], json!(name), "round {round}: {answer}");
    }
    client.shutdown();
}

#[test]
fn an_edit_in_one_file_breaks_and_then_fixes_an_unopened_dependent() {
    let models = "class User:\n    pass\n";
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/models.py", models),
        ("app/views.py", "from app.models import User\n\n\ndef show():\n    return User()\n"),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    client.open("app/models.py", "python", models);
    // Rename the class in the buffer only: views.py is not open and not saved over.
    client.edit("app/models.py", 1, [0, 6, 0, 10], "Person");
    let broken = client.diagnostics_for("app/views.py", |params| !codes(params).is_empty());
    assert_eq!(codes(&broken), ["broken-import"], "{broken}");
    let diagnostic = &broken["diagnostics"][0];
    assert_eq!(diagnostic["range"]["start"], json!({ "line": 0, "character": 23 }), "at the name: {diagnostic}");
    assert!(diagnostic["message"].as_str().is_some_and(|message| message.contains("User")), "{diagnostic}");
    assert_eq!(diagnostic["relatedInformation"][0]["location"]["uri"], json!(client.uri("app/models.py")));

    client.edit("app/models.py", 2, [0, 6, 0, 12], "User");
    let fixed = client.diagnostics_for("app/views.py", |params| codes(params).is_empty());
    assert_eq!(codes(&fixed), Vec::<String>::new(), "cleared once fixed: {fixed}");
    client.shutdown();
}

/// Each language's fixture: files, the file and position of the callee's name, the
/// caller's name and file.
struct CallFixture {
    files: &'static [(&'static str, &'static str)],
    callee: (&'static str, u32, u32),
    caller: (&'static str, &'static str),
    /// Another definition of the same name, called from `elsewhere` only.
    decoy: (&'static str, u32, u32),
}

const CALL_FIXTURES: &[CallFixture] = &[
    CallFixture {
        files: &[
            ("app/__init__.py", ""),
            ("app/util.py", "def helper():\n    return 1\n"),
            ("app/other.py", "def helper():\n    return 2\n\n\nclass Box:\n    def helper(self):\n        return 3\n"),
            (
                "app/main.py",
                "from app.util import helper as h\nfrom app import other\n\n\ndef run():\n    return h() + h()\n\n\n\
                 def elsewhere(box, b: other.Box):\n    return other.helper() + box.helper() + b.helper()\n",
            ),
        ],
        callee: ("app/util.py", 0, 5),
        caller: ("run", "app/main.py"),
        decoy: ("app/other.py", 0, 5),
    },
    CallFixture {
        files: &[
            ("src/util.ts", "export function helper(): number {\n  return 1;\n}\n"),
            (
                "src/other.ts",
                "export function helper(): number {\n  return 2;\n}\nexport class Box {\n  helper(): number { return 3; }\n}\n",
            ),
            (
                "src/main.ts",
                "import { helper } from './util';\nimport * as other from './other';\n\nexport function run(): number {\n  return helper();\n}\n\n\
                 export function elsewhere(box: any, b: other.Box): number {\n  return other.helper() + box.helper() + b.helper();\n}\n",
            ),
        ],
        callee: ("src/util.ts", 0, 17),
        caller: ("run", "src/main.ts"),
        decoy: ("src/other.ts", 0, 17),
    },
    CallFixture {
        files: &[
            ("go.mod", "module example.com/m\n\ngo 1.21\n"),
            ("util/util.go", "package util\n\nfunc Helper() int {\n\treturn 1\n}\n"),
            (
                "other/other.go",
                "package other\n\nfunc Helper() int {\n\treturn 2\n}\n\ntype Box struct{}\n\nfunc (b *Box) Helper() int { return 3 }\n",
            ),
            (
                "main.go",
                "package main\n\nimport (\n\t\"example.com/m/other\"\n\t\"example.com/m/util\"\n)\n\nfunc run() int {\n\treturn util.Helper()\n}\n\n\
                 func elsewhere(x interface{ Helper() int }, b *other.Box) int {\n\treturn other.Helper() + x.Helper() + b.Helper()\n}\n",
            ),
        ],
        callee: ("util/util.go", 2, 6),
        caller: ("run", "main.go"),
        decoy: ("other/other.go", 2, 6),
    },
    CallFixture {
        files: &[
            ("Cargo.toml", "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
            ("src/util.rs", "pub fn helper() -> i32 {\n    1\n}\n"),
            (
                "src/other.rs",
                "pub fn helper() -> i32 {\n    2\n}\n\npub struct Boxed;\n\nimpl Boxed {\n    pub fn helper(&self) -> i32 { 3 }\n}\n",
            ),
            (
                "src/lib.rs",
                "mod other;\nmod util;\n\npub fn run() -> i32 {\n    util::helper()\n}\n\n\
                 pub fn elsewhere(b: &other::Boxed, x: &str) -> i32 {\n    other::helper() + b.helper() + x.helper()\n}\n",
            ),
        ],
        callee: ("src/util.rs", 0, 8),
        caller: ("run", "src/lib.rs"),
        decoy: ("src/other.rs", 0, 8),
    },
];

#[test]
fn call_hierarchy_crosses_files_in_every_language() {
    for fixture in CALL_FIXTURES {
        let dir = workspace(fixture.files);
        let mut client = Client::start(dir.path(), json!({}), memory_store());
        let (path, line, character) = fixture.callee;
        let prepared = client.request(
            "textDocument/prepareCallHierarchy",
            json!({ "textDocument": { "uri": client.uri(path) }, "position": { "line": line, "character": character } }),
        );
        let item = prepared["result"][0].clone();
        assert!(item.is_object(), "{path}: {prepared}");

        // Exactly one caller: not `elsewhere`, whose calls of the same name go to the
        // decoys (another module's function, a method, an unknown receiver).
        let incoming = client.request("callHierarchy/incomingCalls", json!({ "item": item }));
        let callers = incoming["result"].as_array().cloned().unwrap_or_default();
        let (caller_name, caller_path) = fixture.caller;
        assert_eq!(callers.len(), 1, "{path}: {incoming}");
        let caller = &callers[0];
        assert_eq!(caller["from"]["name"], caller_name, "{incoming}");
        assert_eq!(caller["from"]["uri"], json!(client.uri(caller_path)), "{incoming}");
        assert!(caller["fromRanges"].as_array().is_some_and(|ranges| !ranges.is_empty()), "{incoming}");

        // Exactly one callee, the real one.
        let outgoing = client.request("callHierarchy/outgoingCalls", json!({ "item": caller["from"] }));
        let callees = outgoing["result"].as_array().cloned().unwrap_or_default();
        assert_eq!(callees.len(), 1, "{path}: {outgoing}");
        assert_eq!((&callees[0]["to"]["name"], &callees[0]["to"]["uri"]), (&item["name"], &item["uri"]), "{outgoing}");

        // The decoy of the same name is called from `elsewhere` only.
        let (decoy_path, line, character) = fixture.decoy;
        let prepared = client.request(
            "textDocument/prepareCallHierarchy",
            json!({ "textDocument": { "uri": client.uri(decoy_path) }, "position": { "line": line, "character": character } }),
        );
        let incoming = client.request("callHierarchy/incomingCalls", json!({ "item": prepared["result"][0] }));
        let callers: Vec<&Value> =
            incoming["result"].as_array().map(|calls| calls.iter().collect()).unwrap_or_default();
        assert_eq!(callers.len(), 1, "{decoy_path}: {incoming}");
        assert_eq!(callers[0]["from"]["name"], "elsewhere", "{incoming}");
        assert_eq!(callers[0]["fromRanges"].as_array().map(Vec::len), Some(1), "{incoming}");
        client.shutdown();
    }
}

#[test]
fn positions_count_utf16_units_unless_utf8_is_negotiated() {
    let line = "s = \"😀ж\"; import app.nowhere\n";
    // The diagnostic sits on the module's name.
    let prefix = &line[..line.find("app.nowhere").expect("the module")];
    for (capabilities, expected) in [
        (json!({}), prefix.encode_utf16().count()),
        (json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } }), prefix.len()),
    ] {
        let dir = workspace(&[("app/__init__.py", ""), ("app/a.py", line)]);
        let mut client = Client::start(dir.path(), capabilities.clone(), memory_store());
        let published = client.diagnostics_for("app/a.py", |params| !codes(params).is_empty());
        assert_eq!(
            published["diagnostics"][0]["range"]["start"]["character"],
            json!(expected),
            "{capabilities}: {published}"
        );
        client.shutdown();
    }
}

#[test]
fn malformed_requests_and_out_of_range_edits_get_errors_not_a_crash() {
    let dir = workspace(&[("a.py", "def f():\n    pass\n")]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    let missing = client.request("textDocument/prepareCallHierarchy", json!({ "nonsense": true }));
    assert!(missing["error"]["code"].is_i64(), "{missing}");
    let unknown = client.request("thread/noSuchThing", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let fake = client.request(
        "callHierarchy/incomingCalls",
        json!({ "item": {
        "name": "f", "kind": 12, "uri": client.uri("a.py"),
        "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
        "selectionRange": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
        "data": { "path": "not/there.py", "definition": 3 } } }),
    );
    assert!(fake["error"]["message"].as_str().is_some_and(|message| message.contains("not/there.py")), "{fake}");

    client.open("a.py", "python", "def f():\n    pass\n");
    client.edit("a.py", 1, [40, 2, 99, 7], "\ndef g():\n    pass\n");
    client.edit("a.py", 2, [0, 500, 0, 900], "");
    client.edit("unopened.py", 1, [0, 0, 0, 0], "x");
    let answer = client.request(
        "textDocument/prepareCallHierarchy",
        json!({ "textDocument": { "uri": client.uri("a.py") }, "position": { "line": 3, "character": 5 } }),
    );
    assert_eq!(answer["result"][0]["name"], "g", "the clamped edit landed at the end: {answer}");
    // Bodies that are not JSON, or not JSON-RPC, and a frame without a length: each is
    // reported and ignored, and the server carries on.
    client.send_raw("{not json");
    client.send_raw(r#"{"jsonrpc":"2.0","id":"x","method":42}"#);
    client.send_raw_frame("Content-Type: nothing\r\n\r\n");
    for _ in 0..2 {
        let logged = client.wait_for(|message| message["method"] == "window/logMessage");
        assert!(logged["params"]["message"].as_str().is_some_and(|text| text.contains("malformed")), "{logged}");
    }
    let stats = client.request("thread/stats", Value::Null);
    assert_eq!(stats["result"]["ready"], true, "{stats}");
    client.shutdown();
}

#[test]
fn breaking_a_cycle_in_one_file_clears_it_in_the_other() {
    let a = "import app.b\n";
    let dir = workspace(&[("app/__init__.py", ""), ("app/a.py", a), ("app/b.py", "import app.a\n")]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    assert_eq!(codes(&client.diagnostics_for("app/b.py", |_| true)), ["import-cycle"]);
    client.open("app/a.py", "python", a);
    client.edit("app/a.py", 1, [0, 0, 0, 12], "import os");
    let cleared = client.diagnostics_for("app/b.py", |params| codes(params).is_empty());
    assert_eq!(codes(&cleared), Vec::<String>::new());
    // And closing it again, from the buffer's text.
    client.edit("app/a.py", 2, [0, 0, 0, 9], "import app.b");
    let back = client.diagnostics_for("app/b.py", |params| !codes(params).is_empty());
    assert_eq!(codes(&back), ["import-cycle"]);
    client.shutdown();
}

#[test]
fn symbols_the_graph_and_the_files_an_unsaved_edit_affects() {
    let util = "def helper():\n    return 1\n\n\nclass Größe:\n    def scale(self):\n        return 2\n";
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/util.py", util),
        ("app/main.py", "from app.util import helper\n"),
        ("app/top.py", "import app.main\n"),
        ("app/alone.py", "X = 1\n"),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    let symbols =
        client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": client.uri("app/util.py") } }));
    let names: Vec<&str> =
        symbols["result"].as_array().expect("symbols").iter().filter_map(|symbol| symbol["name"].as_str()).collect();
    assert_eq!(names, ["helper", "Größe", "scale"], "{symbols}");
    assert_eq!(symbols["result"][2]["containerName"], "Größe", "{symbols}");

    let found = client.request("workspace/symbol", json!({ "query": "HELP" }));
    assert_eq!(found["result"][0]["name"], "helper", "{found}");
    assert_eq!(found["result"][0]["location"]["uri"], json!(client.uri("app/util.py")), "{found}");

    let graph = client.request("thread/dependencyGraph", Value::Null);
    let edges = graph["result"]["edges"].as_array().expect("edges");
    assert!(edges.iter().any(|edge| edge["from"] == "app/main.py" && edge["to"] == "app/util.py"), "{graph}");

    let nothing = client.request("thread/affectedFiles", Value::Null);
    assert_eq!(nothing["result"], json!({ "unsaved": [], "affected": [] }));
    client.open("app/util.py", "python", util);
    client.edit("app/util.py", 1, [1, 11, 1, 12], "2");
    let affected = client.request("thread/affectedFiles", Value::Null);
    assert_eq!(
        affected["result"],
        json!({ "unsaved": ["app/util.py"], "affected": ["app/main.py", "app/top.py"] }),
        "{affected}"
    );
    client.shutdown();
}

#[test]
fn definition_and_references_cross_files() {
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/util.py", "def helper():\n    return 1\n"),
        ("app/main.py", "from app.util import helper\n\n\ndef run(d):\n    return helper() + helper() + d.helper()\n"),
        ("app/other.py", "import app.util\n\n\ndef helper():\n    return 2\n\n\ndef go():\n    return helper()\n"),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    let at = |client: &Client, path: &str, line: u32, character: u32| json!({ "textDocument": { "uri": client.uri(path) }, "position": { "line": line, "character": character } });
    // From a call, from an imported name, and from an import's module.
    for (line, character) in [(4, 12), (0, 23)] {
        let found = client.request("textDocument/definition", at(&client, "app/main.py", line, character));
        assert_eq!(found["result"][0]["uri"], json!(client.uri("app/util.py")), "{found}");
        assert_eq!(found["result"][0]["range"]["start"], json!({ "line": 0, "character": 4 }), "{found}");
    }
    let module = client.request("textDocument/definition", at(&client, "app/other.py", 0, 10));
    assert_eq!(module["result"][0]["uri"], json!(client.uri("app/util.py")), "{module}");

    let mut params = at(&client, "app/util.py", 0, 5);
    params["context"] = json!({ "includeDeclaration": true });
    let references = client.request("textDocument/references", params);
    let mut places: Vec<(String, i64)> = references["result"]
        .as_array()
        .expect("references")
        .iter()
        .map(|location| {
            let uri = location["uri"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned();
            (uri, location["range"]["start"]["line"].as_i64().unwrap_or(-1))
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [("main.py".to_owned(), 0), ("main.py".to_owned(), 4), ("main.py".to_owned(), 4), ("util.py".to_owned(), 0)],
        "the import, both calls and the declaration; not other.py's helper nor d.helper(): {references}"
    );
    client.shutdown();
}

#[test]
fn files_changed_on_disk_behind_the_editor_are_read_again() {
    let dir = workspace(&[("app/__init__.py", ""), ("app/a.py", "import app.b\n"), ("app/b.py", "X = 1\n")]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    // b.py goes away on disk, and the watcher says so: a.py's import breaks.
    std::fs::remove_file(dir.path().join("app/b.py")).expect("remove");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": client.uri("app/b.py"), "type": 3 }] }),
    );
    let broken = client.diagnostics_for("app/a.py", |params| !codes(params).is_empty());
    assert_eq!(codes(&broken), ["unresolved-import"], "{broken}");
    // It comes back, and so does the edge.
    std::fs::write(dir.path().join("app/b.py"), "X = 2\n").expect("write");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": client.uri("app/b.py"), "type": 1 }] }),
    );
    let fixed = client.diagnostics_for("app/a.py", |params| codes(params).is_empty());
    assert_eq!(codes(&fixed), Vec::<String>::new());
    // An open buffer's text wins over the disk.
    client.open("app/a.py", "python", "import app.b\nimport app.gone\n");
    std::fs::write(dir.path().join("app/a.py"), "import app.b\n").expect("write");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": client.uri("app/a.py"), "type": 2 }] }),
    );
    let graph = client.request("thread/dependencyGraph", Value::Null);
    let unresolved = graph["result"]["unresolved"].as_array().cloned().unwrap_or_default();
    assert!(
        unresolved.iter().any(|import| import["from"] == "app/a.py" && import["specifier"] == "app.gone"),
        "the buffer's import of app.gone still counts: {graph}"
    );
    client.shutdown();
}

#[test]
fn an_ignore_file_that_changes_brings_files_into_the_graph_or_leaves_them_out() {
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/a.py", "import app.gen.b\nimport app.gen_kept\n"),
        ("app/gen/__init__.py", ""),
        ("app/gen/b.py", "X = 1\n"),
        // A decoy the pattern below does not match: it stays in the graph throughout.
        ("app/gen_kept.py", "Y = 1\n"),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    let files = |client: &mut Client| client.request("thread/stats", Value::Null)["result"]["files"].clone();
    let before = files(&mut client);
    // `app/gen/` is ignored from now on: its files leave, and a.py's import of them breaks.
    std::fs::write(dir.path().join(".gitignore"), "app/gen/\n").expect("write");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": client.uri(".gitignore"), "type": 1 }] }),
    );
    let broken = client.diagnostics_for("app/a.py", |params| !codes(params).is_empty());
    assert_eq!(codes(&broken), ["unresolved-import"], "{broken}");
    let message = broken["diagnostics"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("app.gen.b"), "only the ignored module is unresolved: {broken}");
    assert_eq!(files(&mut client), json!(before.as_u64().unwrap_or(0) - 2), "app/gen's two files left");
    // The ignore file goes: they come back.
    std::fs::remove_file(dir.path().join(".gitignore")).expect("remove");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": client.uri(".gitignore"), "type": 3 }] }),
    );
    client.diagnostics_for("app/a.py", |params| codes(params).is_empty());
    assert_eq!(files(&mut client), before);
    client.shutdown();
}

#[test]
fn an_unsaved_signature_change_shows_its_impact() {
    let util = "def helper(a):\n    return a\n";
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/util.py", util),
        (
            "app/main.py",
            "from app.util import helper\n\n\ndef run(obj):\n    return helper(1) + helper(2) + obj.helper(9)\n",
        ),
        ("app/more.py", "from app.util import helper\n\nX = helper(3)\n"),
        // Decoys: the same name defined and called elsewhere.
        ("app/decoy.py", "def helper(a):\n    return a\n\n\nY = helper(4)\n"),
        ("app/uses_decoy.py", "from app.decoy import helper\n\nZ = helper(5) + helper(6)\n"),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    client.open("app/util.py", "python", util);
    let quiet = client.diagnostics_for("app/util.py", |_| true);
    assert_eq!(codes(&quiet), Vec::<String>::new(), "nothing changed yet: {quiet}");

    client.edit("app/util.py", 1, [0, 12, 0, 12], ", b");
    let changed = client.diagnostics_for("app/util.py", |params| params["version"] == 1);
    assert_eq!(codes(&changed), ["impact"], "{changed}");
    let diagnostic = &changed["diagnostics"][0];
    assert_eq!(diagnostic["severity"], 3, "information: {diagnostic}");
    assert_eq!(
        diagnostic["message"], "the signature of `helper` changed: used by 3 call sites in 2 files",
        "{diagnostic}"
    );
    assert_eq!(diagnostic["range"]["start"], json!({ "line": 0, "character": 4 }));
    assert_eq!(
        diagnostic["relatedInformation"].as_array().map(Vec::len),
        Some(5),
        "3 calls and 2 imports: {diagnostic}"
    );

    client.edit("app/util.py", 2, [0, 4, 0, 10], "aide");
    let removed = client.diagnostics_for("app/util.py", |params| params["version"] == 2);
    assert_eq!(codes(&removed), ["impact"], "{removed}");
    assert_eq!(
        removed["diagnostics"][0]["message"], "`helper` was removed or renamed: used by 3 call sites in 2 files",
        "{removed}"
    );
    client.shutdown();
}

#[test]
fn exported_definitions_carry_a_dependents_lens_that_follows_edits() {
    let dir = workspace(&[
        ("app/__init__.py", ""),
        (
            "app/util.py",
            "def helper():\n    return 1\n\n\ndef unused():\n    return 2\n\n\ndef _private():\n    return 3\n",
        ),
        ("app/main.py", "from app.util import helper\n\n\ndef run():\n    return helper()\n"),
        ("app/other.py", "import app.util\n\n\ndef go():\n    return app.util.helper()\n"),
        // Decoys: `helper` and `unused` defined again, and called, elsewhere.
        ("app/decoy.py", "def helper():\n    return 4\n\n\ndef unused():\n    return 5\n"),
        ("app/third.py", "from app.decoy import helper, unused\n\nX = helper() + unused()\n"),
        // A dependent of util.py whose calls of the names are on an unknown receiver.
        ("app/fourth.py", "import app.util\n\n\ndef go(obj):\n    return obj.helper() + obj.unused()\n"),
    ]);
    let capabilities = json!({ "workspace": { "codeLens": { "refreshSupport": true } } });
    let mut client = Client::start(dir.path(), capabilities, memory_store());
    let lenses = |client: &mut Client| -> Vec<(i64, String, usize)> {
        let response =
            client.request("textDocument/codeLens", json!({ "textDocument": { "uri": client.uri("app/util.py") } }));
        let mut found: Vec<(i64, String, usize)> = response["result"]
            .as_array()
            .expect("lenses")
            .iter()
            .map(|lens| {
                let line = lens["range"]["start"]["line"].as_i64().unwrap_or(-1);
                let title = lens["command"]["title"].as_str().unwrap_or("").to_owned();
                let places = lens["command"]["arguments"][2].as_array().map_or(0, Vec::len);
                (line, title, places)
            })
            .collect();
        found.sort();
        found
    };
    // `helper` is imported by name in one file and called through the module in
    // another; `unused` by none; `_private` is not exported and has no lens.
    assert_eq!(lenses(&mut client), [(0, "2 dependents".to_owned(), 3), (4, "0 dependents".to_owned(), 0)]);

    // An unsaved edit in a dependent changes the count, and the client is told.
    client.open("app/other.py", "python", "import app.util\n\n\ndef go():\n    return app.util.helper()\n");
    client.edit("app/other.py", 2, [4, 11, 4, 28], "1");
    client.wait_for(|message| message["method"] == "workspace/codeLens/refresh");
    assert_eq!(lenses(&mut client), [(0, "1 dependent".to_owned(), 2), (4, "0 dependents".to_owned(), 0)]);

    let lens = client.request("textDocument/codeLens", json!({ "textDocument": { "uri": client.uri("app/util.py") } }));
    let command = &lens["result"][0]["command"];
    let executed = client.request(
        "workspace/executeCommand",
        json!({ "command": command["command"], "arguments": command["arguments"] }),
    );
    assert_eq!(executed["result"].as_array().map(Vec::len), Some(2), "{executed}");
    client.shutdown();
}

#[test]
fn changed_settings_take_effect_pushed_or_pulled() {
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/main.py", "import app.nowhere\n"),
        ("generated/lib.py", "import app.missing\n"),
    ]);
    let capabilities = json!({ "workspace": { "configuration": true } });
    let mut client = Client::start(dir.path(), capabilities, memory_store());
    let severity = |params: &Value| params["diagnostics"][0]["severity"].as_i64();
    client.diagnostics_for("generated/lib.py", |params| codes(params) == ["unresolved-import"]);
    let main = client.diagnostics_for("app/main.py", |params| codes(params) == ["unresolved-import"]);
    assert_eq!(severity(&main), Some(1), "{main}");
    let files = |client: &mut Client| client.request("thread/stats", json!(null))["result"]["files"].as_u64();
    let before = files(&mut client);

    // Pushed, under a `thread` key: a new severity republishes; excluding a directory
    // indexes again and clears what it had.
    let settings = json!({ "thread": { "store": "memory", "severities": { "unresolved-import": "hint" } } });
    client.notify("workspace/didChangeConfiguration", json!({ "settings": settings }));
    let main = client.diagnostics_for("app/main.py", |params| severity(params) == Some(4));
    assert_eq!(codes(&main), ["unresolved-import"]);
    let settings = json!({ "thread": { "store": "memory", "exclude": ["generated"] } });
    client.notify("workspace/didChangeConfiguration", json!({ "settings": settings }));
    client.diagnostics_for("generated/lib.py", |params| codes(params).is_empty());
    client.diagnostics_for("app/main.py", |params| severity(params) == Some(1));
    assert_eq!(files(&mut client).map(|count| count + 1), before, "generated/lib.py left the graph");

    // Pulled: a bare notification makes the server ask for the `thread` section.
    client.answers.insert(
        "workspace/configuration".to_owned(),
        json!([{ "store": "memory", "exclude": ["generated"], "severities": { "unresolved-import": "off" } }]),
    );
    client.notify("workspace/didChangeConfiguration", json!({ "settings": null }));
    client.wait_for(|message| message["method"] == "workspace/configuration");
    client.diagnostics_for("app/main.py", |params| codes(params).is_empty());

    // A malformed value, a misspelt severity and an unknown key are reported by name;
    // the valid settings are kept, and the misspelt severity is the default, never "off".
    let settings = json!({ "thread": {
        "store": "memory", "exclude": ["generated"], "maxFileSize": "big", "colour": "blue",
        "severities": { "unresolved-import": "eror" },
    } });
    client.notify("workspace/didChangeConfiguration", json!({ "settings": settings }));
    let shown = client.wait_for(|message| message["method"] == "window/showMessage");
    let text = shown["params"]["message"].as_str().unwrap_or_default();
    for named in ["maxFileSize", "\"eror\"", "colour"] {
        assert!(text.contains(named), "{named} is named: {shown}");
    }
    client.diagnostics_for("app/main.py", |params| severity(params) == Some(1));
    assert_eq!(files(&mut client).map(|count| count + 1), before, "the exclusion is kept");
    client.shutdown();
}

#[test]
fn every_workspace_folder_has_its_own_graph_and_folders_come_and_go() {
    let first = workspace(&[
        ("app/__init__.py", ""),
        ("app/util.py", "def helper():\n    return 1\n"),
        ("app/main.py", "from app.util import helper\n\n\ndef run():\n    return helper()\n"),
    ]);
    let second = workspace(&[("lib/__init__.py", ""), ("lib/core.py", "import lib.gone\n")]);
    let second_uri = |path: &str| format!("file://{}/{path}", second.path().canonicalize().expect("root").display());
    let mut client = Client::launch_with_folders(first.path(), &[second.path()], json!({}), memory_store());
    client.wait_until_ready();
    let stats = client.request("thread/stats", json!(null));
    let folders = stats["result"]["folders"].as_array().cloned().unwrap_or_default();
    assert_eq!(folders.len(), 2, "{stats}");

    // Each folder resolves within itself: the second's broken import is reported there.
    let core = client.wait_for(|message| {
        message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == json!(second_uri("lib/core.py"))
    });
    assert_eq!(codes(&core["params"]), ["unresolved-import"], "{core}");
    let second_stats = client.request(
        "thread/stats",
        json!({ "folder": format!("file://{}", second.path().canonicalize().expect("root").display()) }),
    );
    assert_eq!(second_stats["result"]["files"], 2, "{second_stats}");

    // Requests go to the folder holding the file: call hierarchy in the first.
    let at = json!({ "textDocument": { "uri": client.uri("app/util.py") }, "position": { "line": 0, "character": 5 } });
    let items = client.request("textDocument/prepareCallHierarchy", at);
    let incoming = client.request("callHierarchy/incomingCalls", json!({ "item": items["result"][0] }));
    assert_eq!(incoming["result"][0]["from"]["name"], "run", "{incoming}");
    let symbols = client.request("workspace/symbol", json!({ "query": "helper" }));
    assert!(symbols["result"].as_array().is_some_and(|found| found.len() == 1), "{symbols}");

    // Removing the second folder takes its diagnostics back; adding it again restores them.
    let removed =
        json!({ "uri": format!("file://{}", second.path().canonicalize().expect("root").display()), "name": "second" });
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": { "added": [], "removed": [removed.clone()] } }),
    );
    client.wait_for(|message| {
        message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == json!(second_uri("lib/core.py"))
            && message["params"]["diagnostics"].as_array().is_some_and(Vec::is_empty)
    });
    let stats = client.request("thread/stats", json!(null));
    assert_eq!(stats["result"]["folders"].as_array().map(Vec::len), Some(1), "{stats}");
    client.notify("workspace/didChangeWorkspaceFolders", json!({ "event": { "added": [removed], "removed": [] } }));
    let again = client.wait_for(|message| {
        message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == json!(second_uri("lib/core.py"))
    });
    assert_eq!(codes(&again["params"]), ["unresolved-import"], "{again}");
    client.shutdown();
}

/// Two functions of one name in one file, one nested in another function's body: the
/// item of each stands for that one (its `data` carries which), and each is called from
/// where it is in scope.
#[test]
fn call_hierarchy_tells_apart_two_functions_of_one_name_in_a_file() {
    let dir = workspace(&[
        ("Cargo.toml", "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n"),
        (
            "src/lib.rs",
            "fn lit(c: char) -> char { c }\n\
             pub fn plain() -> char { lit('a') }\n\
             pub fn nested() -> char {\n    \
                 fn lit(span: u32, c: char) -> char { c }\n    \
                 assert_eq!(lit(1, 'a'), 'a');\n    \
                 lit(2, 'b')\n\
             }\n",
        ),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    for ((line, character), caller, ranges) in [((0, 3), "plain", 1), ((3, 7), "nested", 2)] {
        let prepared = client.request(
            "textDocument/prepareCallHierarchy",
            json!({ "textDocument": { "uri": client.uri("src/lib.rs") }, "position": { "line": line, "character": character } }),
        );
        let item = prepared["result"][0].clone();
        assert_eq!(item["selectionRange"]["start"]["line"], line, "{prepared}");
        let incoming = client.request("callHierarchy/incomingCalls", json!({ "item": item }));
        let callers = incoming["result"].as_array().cloned().unwrap_or_default();
        assert_eq!(callers.len(), 1, "lit at line {line}: {incoming}");
        assert_eq!(callers[0]["from"]["name"], caller, "{incoming}");
        assert_eq!(callers[0]["fromRanges"].as_array().map(Vec::len), Some(ranges), "{incoming}");
    }
    client.shutdown();
}

#[test]
fn rule_violations_follow_unsaved_edits_and_thread_toml_reports_its_own_errors() {
    let rules =
        "[[rules]]\nname = \"core stays below ui\"\nkind = \"layers\"\nlayers = [\"app/ui/**\", \"app/core/**\"]\n";
    let model = "import os\nfrom app.helpers import bridge\n";
    let dir = workspace(&[
        ("thread.toml", rules),
        ("app/__init__.py", ""),
        ("app/ui/__init__.py", ""),
        ("app/ui/widget.py", ""),
        // Allowed: the higher layer imports the lower.
        ("app/ui/view.py", "from app.core import model\n"),
        ("app/core/__init__.py", ""),
        ("app/core/model.py", model),
        ("app/helpers/__init__.py", ""),
        ("app/helpers/bridge.py", "from app.ui import widget\n"),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    // The chain leaves core at model.py's second import, through an unlayered helper.
    let found = client.diagnostics_for("app/core/model.py", |params| !codes(params).is_empty());
    assert_eq!(codes(&found), ["rule-violation"], "{found}");
    let violation = &found["diagnostics"][0];
    assert_eq!(violation["range"]["start"]["line"], 1, "{violation}");
    assert!(
        violation["message"]
            .as_str()
            .is_some_and(|message| message.contains("app/core/model.py → app/helpers/bridge.py → app/ui/widget.py")),
        "{violation}"
    );
    assert_eq!(violation["relatedInformation"].as_array().map(Vec::len), Some(2), "{violation}");

    // An unsaved edit that drops the import clears it; one that adds a direct import
    // of the ui brings a violation back.
    client.open("app/core/model.py", "python", model);
    client.edit("app/core/model.py", 1, [1, 0, 1, 30], "");
    let cleared = client.diagnostics_for("app/core/model.py", |params| params["version"] == 1);
    assert_eq!(codes(&cleared), Vec::<String>::new());
    client.edit("app/core/model.py", 2, [1, 0, 1, 0], "from app.ui import widget");
    // The rules are checked after the edited file's other diagnostics are out: the
    // violation comes in a second publication of the same version.
    let back =
        client.diagnostics_for("app/core/model.py", |params| params["version"] == 2 && !codes(params).is_empty());
    let message = back["diagnostics"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains(
            "must not reach app/ui/widget.py (rule \"core stays below ui\"): app/core/model.py → app/ui/widget.py"
        ),
        "{back}"
    );
    assert_eq!(back["diagnostics"][0]["range"]["start"]["line"], 1, "{back}");
    // A line added above moves the import, and the diagnostic with it, though no edge
    // changed.
    client.edit("app/core/model.py", 3, [0, 0, 0, 0], "# moved\n");
    let moved = client.diagnostics_for("app/core/model.py", |params| params["version"] == 3);
    assert_eq!(codes(&moved), ["rule-violation"], "{moved}");
    assert_eq!(moved["diagnostics"][0]["range"]["start"]["line"], 2, "{moved}");

    // A mistake in thread.toml is a diagnostic on its line, and the rules are off.
    client.open("thread.toml", "toml", rules);
    client.edit("thread.toml", 1, [2, 8, 2, 14], "layer");
    let broken = client.diagnostics_for("thread.toml", |params| !codes(params).is_empty());
    assert_eq!(codes(&broken), ["rules-config"], "{broken}");
    assert_eq!(broken["diagnostics"][0]["range"]["start"]["line"], 0, "{broken}");
    assert!(
        broken["diagnostics"][0]["message"].as_str().is_some_and(|message| message.contains("unknown kind \"layer\"")),
        "{broken}"
    );
    let off = client.diagnostics_for("app/core/model.py", |params| codes(params).is_empty());
    assert_eq!(codes(&off), Vec::<String>::new());
    client.shutdown();
}

#[test]
fn file_watchers_are_registered_only_with_a_client_that_takes_them() {
    let dir = workspace(&[("app/__init__.py", ""), ("app/a.py", "import app.b\n"), ("app/b.py", "x = 1\n")]);
    let is_registration = |message: &Value| message["method"] == "client/registerCapability";

    // A client that takes watchers registered at run time gets them.
    let takes = json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } });
    let mut client = Client::start(dir.path(), takes, memory_store());
    let registration = client.wait_for(is_registration);
    let watchers = &registration["params"]["registrations"][0];
    assert_eq!(watchers["method"], "workspace/didChangeWatchedFiles", "{registration}");
    client.shutdown();

    // One that says it does not (Neovim 0.7 says nothing, which means no) is not asked.
    for capabilities in
        [json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": false } } }), json!({})]
    {
        let mut client = Client::start(dir.path(), capabilities.clone(), memory_store());
        // A round trip after the workspace is ready: `initialized` has long returned.
        let symbols = client.request("workspace/symbol", json!({ "query": "x" }));
        assert!(symbols.get("result").is_some(), "{symbols}");
        assert!(!client.seen.iter().any(is_registration), "{capabilities}: {:#?}", client.seen);
        client.shutdown();
    }
}

#[test]
fn fifty_cold_starts_in_a_row_each_end_their_progress() {
    // A 30-file Go module: where two of three cold starts were once left at "publishing
    // diagnostics 85%".
    let mut files: Vec<(String, String)> = vec![("go.mod".to_owned(), "module example.com/m\n\ngo 1.21\n".to_owned())];
    for package in 0..6 {
        for file in 0..5 {
            let import =
                if package > 0 { format!("import \"example.com/m/p{}\"\n\n", package - 1) } else { String::new() };
            let call = if package > 0 { format!("p{}.F0()", package - 1) } else { "0".to_owned() };
            files.push((
                format!("p{package}/f{file}.go"),
                format!("package p{package}\n\n{import}func F{file}() int {{ return {call} }}\n"),
            ));
        }
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(path, text)| (path.as_str(), text.as_str())).collect();
    let dir = workspace(&files);
    for start in 0..50 {
        let mut client = Client::launch(dir.path(), progress_capabilities(), memory_store());
        let end =
            client.wait_for(|message| message["method"] == "$/progress" && message["params"]["value"]["kind"] == "end");
        assert!(
            end["params"]["value"]["message"].as_str().is_some_and(|text| text.starts_with("30 files in")),
            "start {start}: {end}"
        );
        client.shutdown();
    }
}

/// The protocol's error for a request whose document changed under it.
const CONTENT_MODIFIED: i64 = -32801;

#[test]
fn diagnostics_and_answers_come_from_the_text_the_graph_analysed() {
    let dir =
        workspace(&[("app/__init__.py", ""), ("app/a.py", "import app.b\n"), ("app/b.py", "def f():\n    return 1\n")]);
    // A text with the marker is analysed 1.5 s late; requests wait 0.3 s at most.
    let environment = [("THREAD_TEST_STALL_ON", "STALL_HERE:1500"), ("THREAD_TEST_REQUEST_PATIENCE_MS", "300")];
    let mut client = Client::launch_with(dir.path(), &[], json!({}), memory_store(), &environment);
    client.wait_until_ready();
    client.open("app/a.py", "python", "import app.b\n");
    client.diagnostics_for("app/a.py", |params| params["version"] == 0);

    // Version 1 puts an unresolved import on line 1 and stalls its analysis; version 2
    // comes while it is analysed, and moves that import to line 2.
    client.edit("app/a.py", 1, [0, 0, 0, 0], "# STALL_HERE\nimport app.missing\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    client.edit("app/a.py", 2, [0, 0, 0, 0], "\n");
    // Asked now, the analysis cannot catch up in time: refused, not answered from the
    // graph of version 0 or 1.
    let uri = client.uri("app/a.py");
    let refused = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(refused["error"]["code"], CONTENT_MODIFIED, "{refused}");
    let graph = client.request("thread/dependencyGraph", Value::Null);
    assert_eq!(graph["error"]["code"], CONTENT_MODIFIED, "{graph}");

    // Every publication's version is that of the text its positions come from.
    let unresolved_line = |params: &Value| {
        let diagnostics = params["diagnostics"].as_array().cloned().unwrap_or_default();
        let unresolved = diagnostics.iter().find(|diagnostic| diagnostic["code"] == "unresolved-import");
        unresolved.map(|diagnostic| diagnostic["range"]["start"]["line"].clone())
    };
    let last = client.diagnostics_for("app/a.py", |params| params["version"] == 2);
    assert_eq!(unresolved_line(&last), Some(json!(2)), "{last}");
    let earlier: Vec<Value> = client
        .seen
        .iter()
        .filter(|message| message["method"] == "textDocument/publishDiagnostics")
        .map(|message| message["params"].clone())
        .collect();
    for params in &earlier {
        if params["version"] == 1 {
            assert_eq!(unresolved_line(params), Some(json!(1)), "{params}");
        }
        assert_ne!(params["version"], 2, "version 2 published before its own analysis: {params}");
    }

    // Caught up, the same request is answered, at version 2's positions.
    let symbols = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert!(symbols.get("error").is_none(), "{symbols}");
    client.shutdown();
}

#[test]
fn a_panic_in_analysis_is_reported_once_and_the_server_keeps_serving_from_the_graph_before_it() {
    let dir = workspace(&[
        ("app/__init__.py", ""),
        ("app/a.py", "from app.b import f\n\nf()\n"),
        ("app/b.py", "def f():\n    return 1\n"),
    ]);
    let environment = [("THREAD_TEST_PANIC_ON", "FAULT_MARKER")];
    let mut client = Client::launch_with(dir.path(), &[], json!({}), memory_store(), &environment);
    client.wait_until_ready();
    let stats = client.request("thread/stats", Value::Null)["result"].clone();
    assert_eq!(stats["edges"], 1, "{stats}");
    client.open("app/a.py", "python", "from app.b import f\n\nf()\n");
    let revision_before_fault = stats["revision"].as_u64().expect("a revision");

    // The marked text panics after the host applied it; it drops the file's one import.
    client.edit("app/a.py", 2, [0, 0, 1, 0], "# FAULT_MARKER\n");
    let shown = client.wait_for(|message| message["method"] == "window/showMessage");
    assert_eq!(shown["params"]["type"], 1, "an error: {shown}");
    assert!(shown["params"]["message"].as_str().is_some_and(|text| text.contains("internal error")), "{shown}");
    // Diagnostics come from the graph put back, so none is for the text that failed.
    let a_uri = client.uri("app/a.py");
    let failed_version = client.seen.iter().find(|message| {
        message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == a_uri
            && message["params"]["version"] == 2
    });
    assert!(failed_version.is_none(), "published for the failed text: {failed_version:?}");
    let behind = |client: &mut Client| client.request("thread/stats", Value::Null)["result"].clone();
    let stats = behind(&mut client);
    assert_eq!(stats["behind"], json!(["app/a.py"]), "{stats}");
    // The graph from before the batch: the half-applied edit is not in it, the import is.
    assert_eq!(stats["edges"], 1, "{stats}");
    let symbols = client.request("workspace/symbol", json!({ "query": "f" }));
    assert!(symbols["result"].as_array().is_some_and(|found| !found.is_empty()), "{symbols}");
    // The failed file's positions are in a text the graph does not hold: asking at them
    // is refused as modified content, not answered from the old facts.
    let uri = client.uri("app/a.py");
    let refused = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(refused["error"]["code"], CONTENT_MODIFIED, "{refused}");

    // An edit of another file is analysed from the graph from before the failure: the
    // import the failed batch dropped is still there, and the failed file is still behind.
    let revision = behind(&mut client)["revision"].as_u64().expect("a revision");
    // The rebuilt host counts revisions afresh; the server's revisions still only grow.
    assert!(revision > revision_before_fault, "revision {revision} after the failure, {revision_before_fault} before");
    client.open("app/b.py", "python", "def f():\n    return 1\n");
    client.edit("app/b.py", 2, [2, 0, 2, 0], "def g():\n    return 2\n");
    // The edit is in once the revision moves (the open alone changes nothing).
    let stats = client.stats_past(revision);
    assert_eq!(stats["edges"], 1, "{stats}");
    assert_eq!(stats["behind"], json!(["app/a.py"]), "{stats}");

    // The next edit of the failed file, without the marker, is analysed as usual and
    // clears the mark.
    client.edit("app/a.py", 3, [0, 0, 1, 0], "import app.nowhere\n");
    client.diagnostics_for("app/a.py", |params| codes(params).contains(&"unresolved-import".to_owned()));
    assert_eq!(behind(&mut client)["behind"], json!([]));

    // Another failure is logged and marked, and not shown again.
    client.edit("app/a.py", 4, [0, 0, 0, 0], "# FAULT_MARKER\n");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while behind(&mut client)["behind"] != json!(["app/a.py"]) {
        assert!(std::time::Instant::now() < deadline, "the second failure was not marked");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // A barrier: the analysis thread handles one batch at a time, and a message about the
    // failure would go out before the next batch's diagnostics.
    client.edit("app/b.py", 3, [0, 0, 0, 0], "import app.gone\n");
    client.diagnostics_for("app/b.py", |params| codes(params).contains(&"unresolved-import".to_owned()));
    let shown = client.seen.iter().filter(|message| message["method"] == "window/showMessage").count();
    assert_eq!(shown, 0, "the first message was taken above; no second one: {:#?}", client.seen);
    client.shutdown();
}

#[test]
fn a_project_file_that_does_not_parse_gets_a_diagnostic_until_it_is_fixed() {
    let dir = workspace(&[
        ("pyproject.toml", "[project\nname = \"app\"\n"),
        ("web/package.json", "{ \"name\": \"web\" }\n"),
        ("web/index.js", "import './util.js';\n"),
        ("web/util.js", "export const x = 1;\n"),
        ("app/__init__.py", ""),
        ("app/a.py", "import app.b\n"),
        ("app/b.py", "x = 1\n"),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    let broken = client.diagnostics_for("pyproject.toml", |params| !codes(params).is_empty());
    assert_eq!(codes(&broken), ["project-file"], "{broken}");
    let message = broken["diagnostics"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("does not parse"), "{broken}");
    assert_eq!(broken["diagnostics"][0]["severity"], 2, "a warning: {broken}");
    let stats = client.request("thread/stats", Value::Null)["result"].clone();
    let problems = stats["projectProblems"].as_array().cloned().unwrap_or_default();
    assert_eq!(problems.len(), 1, "only the broken file: {stats}");
    assert!(problems[0].as_str().is_some_and(|problem| problem.starts_with("pyproject.toml: ")), "{stats}");
    // The manifest that parses has nothing published on it.
    assert!(
        !client.seen.iter().any(|message| message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"].as_str().is_some_and(|uri| uri.ends_with("web/package.json"))
            && !codes(&message["params"]).is_empty()),
        "{:#?}",
        client.seen
    );

    // Fixed in the editor, unsaved: the diagnostic goes.
    client.open("pyproject.toml", "toml", "[project\nname = \"app\"\n");
    client.edit("pyproject.toml", 2, [0, 8, 0, 8], "]");
    client.diagnostics_for("pyproject.toml", |params| codes(params).is_empty());
    let stats = client.request("thread/stats", Value::Null)["result"].clone();
    assert_eq!(stats["projectProblems"], json!([]), "{stats}");
    client.shutdown();
}

#[test]
fn a_watched_manifest_under_node_modules_re_resolves_nothing_and_the_workspace_one_does() {
    let dir = workspace(&[
        ("package.json", "{ \"name\": \"web\" }\n"),
        ("src/a.ts", "import { b } from './b';\nexport const a = b;\n"),
        ("src/b.ts", "export const b = 1;\n"),
        ("src/c.ts", "import { a } from './a';\nexport const c = a;\n"),
    ]);
    let mut client = Client::start(dir.path(), json!({}), memory_store());
    let stats = |client: &mut Client| client.request("thread/stats", Value::Null)["result"].clone();
    let changed =
        |client: &Client, path: &str, kind: u8| json!({ "changes": [{ "uri": client.uri(path), "type": kind }] });

    // A package inside node_modules appears, with its manifest; then a workspace file
    // changes, so that the batch is seen to end.
    std::fs::create_dir_all(dir.path().join("node_modules/x")).expect("mkdir");
    std::fs::write(dir.path().join("node_modules/x/package.json"), "{ \"name\": \"x\" }\n").expect("write");
    std::fs::write(dir.path().join("node_modules/x/index.js"), "export const x = 1;\n").expect("write");
    let revision = stats(&mut client)["revision"].as_u64().expect("revision");
    let files = stats(&mut client)["files"].clone();
    client.notify("workspace/didChangeWatchedFiles", changed(&client, "node_modules/x/package.json", 1));
    client.notify("workspace/didChangeWatchedFiles", changed(&client, "node_modules/x/index.js", 1));
    std::fs::write(dir.path().join("src/b.ts"), "export const b = 2;\n").expect("write");
    client.notify("workspace/didChangeWatchedFiles", changed(&client, "src/b.ts", 2));
    let after = client.stats_past(revision);
    assert_eq!(after["files"], files, "nothing under node_modules entered the graph: {after}");
    assert_eq!(after["lastAnalysis"]["changed"], 1, "{after}");
    assert_eq!(after["lastAnalysis"]["affected"], 0, "nothing was resolved again: {after}");

    // The decoy: the workspace's own manifest changing does re-resolve its files.
    std::fs::write(dir.path().join("package.json"), "{ \"name\": \"web\", \"type\": \"module\" }\n").expect("write");
    client.notify("workspace/didChangeWatchedFiles", changed(&client, "package.json", 2));
    let after = client.stats_past(after["revision"].as_u64().expect("revision"));
    assert!(after["lastAnalysis"]["affected"].as_u64().is_some_and(|affected| affected >= 2), "{after}");
    client.shutdown();
}

#[test]
fn documents_behind_a_symlinked_root_belong_to_their_folder() {
    let dir = workspace(&[("app/__init__.py", ""), ("app/a.py", "import app.b\n"), ("app/b.py", "x = 1\n")]);
    let links = tempfile::tempdir().expect("temp dir");
    let link = links.path().join("workspace");
    std::os::unix::fs::symlink(dir.path(), &link).expect("symlink");
    let mut client = Client::start(&link, json!({}), memory_store());
    // The editor names the document through the link; its unsaved text must count.
    let through_link = format!("file://{}/app/a.py", link.display());
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": through_link, "languageId": "python", "version": 1,
                                  "text": "import app.b\nimport app.nowhere\n" } }),
    );
    let a = client.diagnostics_for("app/a.py", |params| codes(params).contains(&"unresolved-import".to_owned()));
    assert_eq!(codes(&a), ["unresolved-import"], "{a}");
    client.shutdown();
}
