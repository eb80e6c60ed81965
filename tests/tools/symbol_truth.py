#!/usr/bin/env python3
"""Call-hierarchy agreement between Thread and each language's own language server.

    symbol_truth.py LANGUAGE CACHE_DIR THREAD_BIN [SAMPLE]

LANGUAGE is python (pyright over requests and click from PyPI), typescript
(typescript-language-server over mobx's sources from npm), go (gopls in GOPATH mode
over Debian's spf13/pflag) or rust (rust-analyzer over regex-syntax from crates.io).
The corpus is fetched into CACHE_DIR, outside the repository.

rust-analyzer is not packaged here. It is built once from crates.io into a cache outside
the repository (about 30 minutes on two cores; the release needs one library feature
that stable Rust 1.95 does not have yet, hence the bootstrap flag):

    RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zcrate-attr=feature(assert_matches)" \
      cargo install ra_ap_rust-analyzer --version 0.0.349 --locked --root ~/.cache/thread/rust-analyzer

THREAD_RUST_ANALYZER names another binary. The standard library's sources (rust-src)
are not installed here, so rust-analyzer cannot type values that come from std.

Both servers index the same tree. A sample of functions and methods (at least SAMPLE,
every name defined three or more times first, then a fixed-seed draw of the rest) is
prepared at its name in both; incoming calls, outgoing calls and references are
compared as sets of call sites (file, line). One JSON object is printed:
{"language", "sampled", "repeated_names", "incoming": {tp, fp, fn, precision, recall},
 "outgoing": {...}, "references": {...}, "disagreements": [...]}.
"""
import json
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS_BIN = os.path.join(HERE, "node_modules", ".bin")
PYTHON_SDISTS = [("requests", "2.32.3"), ("click", "8.1.7")]
NPM_PACKAGE = ("mobx", "6.13.5")
GO_PACKAGE = ("github.com/spf13/pflag", "/usr/share/gocode/src/github.com/spf13/pflag")
RUST_CRATE = ("regex-syntax", "0.8.12")
# rust-analyzer is built from crates.io (ra_ap_rust-analyzer) by .ci/install-test-tools,
# into a cache outside the repository; THREAD_RUST_ANALYZER names another binary.
RUST_ANALYZER = os.environ.get("THREAD_RUST_ANALYZER") or os.path.expanduser(
    "~/.cache/thread/rust-analyzer/bin/rust-analyzer")
TIMEOUT = 120
FUNCTION_KINDS = {6, 9, 12}  # method, constructor, function


def run(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs).stdout


class Server:
    """A language server over stdio, answering what it asks with neutral replies."""

    def __init__(self, command, root, env=None, settings=None):
        self.root = root
        self.settings = settings or {}
        self.process = subprocess.Popen(command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env)
        self.messages = queue.Queue()
        self.next_id = 0
        self.progress_ended = threading.Event()
        # rust-analyzer says when it has analysed everything (`experimental/serverStatus`).
        self.quiescent = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        uri = file_uri(root)
        capabilities = {
            "textDocument": {
                "callHierarchy": {"dynamicRegistration": False},
                "references": {"dynamicRegistration": False},
                "documentSymbol": {"hierarchicalDocumentSymbolSupport": False},
                "synchronization": {"didSave": True},
            },
            "workspace": {"configuration": True, "workspaceFolders": True},
            "window": {"workDoneProgress": True},
            "experimental": {"serverStatusNotification": True},
        }
        self.request("initialize", {"processId": os.getpid(), "rootUri": uri, "capabilities": capabilities,
                                    "workspaceFolders": [{"uri": uri, "name": "corpus"}],
                                    "initializationOptions": self.settings.get("init", {})})
        self.notify("initialized", {})

    def _read(self):
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = json.loads(stream.read(length))
            if body.get("method") == "$/progress" and body["params"].get("value", {}).get("kind") == "end":
                self.progress_ended.set()
            if body.get("method") == "experimental/serverStatus" and body["params"].get("quiescent"):
                self.quiescent.set()
            self.messages.put(body)

    def _send(self, message):
        data = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.process.stdin.flush()

    def notify(self, method, params):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params, timeout=TIMEOUT):
        self.next_id += 1
        wanted = self.next_id
        self._send({"jsonrpc": "2.0", "id": wanted, "method": method, "params": params})
        deadline = time.time() + timeout
        while True:
            message = self.messages.get(timeout=max(0.1, deadline - time.time()))
            if "method" in message and "id" in message:
                self._answer(message)
            elif message.get("id") == wanted:
                if "error" in message:
                    return None
                return message.get("result")

    def _answer(self, message):
        method = message["method"]
        if method == "workspace/configuration":
            items = message["params"].get("items", [])
            result = [self.settings.get("configuration", {}).get(item.get("section", ""), None) for item in items]
        elif method == "workspace/workspaceFolders":
            result = [{"uri": file_uri(self.root), "name": "corpus"}]
        else:
            result = None
        self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    def open(self, path, language_id):
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        self.notify("textDocument/didOpen",
                    {"textDocument": {"uri": file_uri(path), "languageId": language_id, "version": 1, "text": text}})

    def drain(self, seconds):
        """Answers what the server asks for a while (pyright asks for settings, progress...)."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                message = self.messages.get(timeout=0.2)
            except queue.Empty:
                continue
            if "method" in message and "id" in message:
                self._answer(message)

    def close(self):
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def file_uri(path):
    return "file://" + urllib.parse.quote(os.path.abspath(path))


def uri_path(uri):
    return urllib.parse.unquote(urllib.parse.urlparse(uri).path)


def extract(archive, into):
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")


def corpus(language, cache):
    """(root, suffixes, language id, reference server command, env, settings)."""
    if language == "python":
        root = os.path.join(cache, "symbols-python")
        if not os.path.isdir(root):
            os.makedirs(root)
            for name, version in PYTHON_SDISTS:
                run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                     "--disable-pip-version-check", f"{name}=={version}", "-d", cache])
                extract(os.path.join(cache, f"{name}-{version}.tar.gz"), cache)
                shutil.copytree(os.path.join(cache, f"{name}-{version}", "src", name), os.path.join(root, name))
        command = [os.path.join(TOOLS_BIN, "pyright-langserver"), "--stdio"]
        settings = {"configuration": {"python.analysis": {"diagnosticMode": "openFilesOnly"}, "python": {}}}
        return root, (".py",), "python", command, None, settings
    if language == "typescript":
        name, version = NPM_PACKAGE
        root = os.path.join(cache, f"symbols-{name}-{version}")
        if not os.path.isdir(root):
            archive = run(["npm", "pack", "--silent", f"{name}@{version}"], cwd=cache).strip().splitlines()[-1]
            staging = os.path.join(cache, "symbols-staging")
            shutil.rmtree(staging, ignore_errors=True)
            extract(os.path.join(cache, archive), staging)
            os.makedirs(root)
            shutil.copytree(os.path.join(staging, "package", "src"), os.path.join(root, "src"))
            with open(os.path.join(root, "tsconfig.json"), "w") as handle:
                json.dump({"compilerOptions": {"target": "es2020", "module": "esnext", "moduleResolution": "bundler",
                                               "strict": False, "noEmit": True, "skipLibCheck": True},
                           "include": ["src"]}, handle)
        command = [os.path.join(TOOLS_BIN, "typescript-language-server"), "--stdio"]
        settings = {"init": {"tsserver": {"path": os.path.join(HERE, "node_modules", "typescript", "lib")}}}
        return root, (".ts",), "typescript", command, None, settings
    if language == "go":
        module, source = GO_PACKAGE
        gopath = os.path.join(cache, "symbols-gopath")
        root = os.path.join(gopath, "src", module)
        if not os.path.isdir(root):
            shutil.copytree(source, root, symlinks=False)
        env = dict(os.environ, GO111MODULE="off", GOPATH=gopath + ":/usr/share/gocode", GOFLAGS="-mod=mod",
                   GOTOOLCHAIN="local")
        return root, (".go",), "go", ["gopls"], env, {}
    if language == "rust":
        name, version = RUST_CRATE
        root = os.path.join(cache, f"symbols-{name}-{version}")
        if not os.path.isdir(root):
            # Cargo fetches the crate from crates.io into a vendor directory.
            project = os.path.join(cache, "symbols-rust-fetch")
            shutil.rmtree(project, ignore_errors=True)
            os.makedirs(os.path.join(project, "src"))
            with open(os.path.join(project, "Cargo.toml"), "w") as handle:
                handle.write(f'[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n\n'
                             f'[dependencies]\n{name} = "={version}"\n\n[workspace]\n')
            with open(os.path.join(project, "src", "lib.rs"), "w") as handle:
                handle.write("")
            run(["cargo", "vendor", "--quiet", "--versioned-dirs", "vendor"], cwd=project)
            shutil.copytree(os.path.join(project, "vendor", f"{name}-{version}"), root)
            # Its own workspace: the cache may sit inside another (a clone's target/), and
            # cargo, asked by rust-analyzer, would otherwise refuse the crate.
            with open(os.path.join(root, "Cargo.toml"), "a") as handle:
                handle.write("\n[workspace]\n")
        settings = {"init": {"cargo": {"buildScripts": {"enable": False}}, "procMacro": {"enable": False},
                             "checkOnSave": False, "cachePriming": {"enable": True}}}
        return root, (".rs",), "rust", [RUST_ANALYZER], None, settings
    raise SystemExit(f"unknown language {language}")


def source_files(root, suffixes):
    found = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        for name in sorted(files):
            if name.endswith(suffixes) and not name.endswith(".d.ts") and not name.endswith("_test.go"):
                found.append(os.path.join(directory, name))
    return found


def name_position(lines, start, name):
    """The position of `name` as a word at or after `start` (line, character)."""
    pattern = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])")
    for line in range(start["line"], min(len(lines), start["line"] + 5)):
        offset = start["character"] if line == start["line"] else 0
        match = pattern.search(lines[line], offset)
        if match:
            prefix = lines[line][: match.start()]
            return {"line": line, "character": len(prefix.encode("utf-16-le")) // 2}
    return None


def sample(thread, root, files, wanted):
    """Functions and methods from Thread's document symbols: every name defined three
    or more times first (up to half the sample), then a fixed-seed draw of the rest."""
    definitions = []
    for path in files:
        symbols = thread.request("textDocument/documentSymbol", {"textDocument": {"uri": file_uri(path)}}) or []
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().split("\n")
        for symbol in symbols:
            if symbol["kind"] not in FUNCTION_KINDS:
                continue
            position = name_position(lines, symbol["location"]["range"]["start"], symbol["name"])
            if position:
                definitions.append((symbol["name"], os.path.relpath(path, root), position))
    counts = {}
    for name, _, _ in definitions:
        counts[name] = counts.get(name, 0) + 1
    rng = random.Random(7)
    repeated = [d for d in definitions if counts[d[0]] >= 3]
    rest = [d for d in definitions if counts[d[0]] < 3]
    chosen = rng.sample(repeated, min(len(repeated), wanted // 2))
    chosen += rng.sample(rest, min(len(rest), wanted - len(chosen)))
    chosen.sort(key=lambda d: (d[1], d[2]["line"], d[0]))
    return chosen, sum(1 for d in chosen if counts[d[0]] >= 3)


def site(root, uri, position):
    return f"{os.path.relpath(uri_path(uri), root)}:{position['line'] + 1}"


def hierarchy(server, root, path, position):
    """(incoming call sites, outgoing callees, references), each a set of file:line,
    within the corpus: callees in the standard library or dependencies are not
    workspace definitions and are left out on both sides."""
    document = {"textDocument": {"uri": file_uri(os.path.join(root, path))}, "position": position}
    items = server.request("textDocument/prepareCallHierarchy", document) or []
    incoming, outgoing = set(), set()
    for item in items[:1]:
        for call in server.request("callHierarchy/incomingCalls", {"item": item}) or []:
            for span in call["fromRanges"]:
                incoming.add(site(root, call["from"]["uri"], span["end"]))
        for call in server.request("callHierarchy/outgoingCalls", {"item": item}) or []:
            outgoing.add(site(root, call["to"]["uri"], call["to"]["selectionRange"]["start"]))
    params = dict(document, context={"includeDeclaration": False})
    references = {site(root, location["uri"], location["range"]["end"])
                  for location in server.request("textDocument/references", params) or []}
    inside = lambda found: {where for where in found if not where.startswith("..") and not excluded(where)}
    return inside(incoming), inside(outgoing), inside(references)


def excluded(where):
    """Go test files: gopls answers for them only once it has loaded the test variant of
    the package, which it may not have yet; left out on both sides."""
    return where.split(":")[0].endswith("_test.go")


def score(pairs):
    tp = fp = fn = 0
    for thread, reference in pairs:
        tp += len(thread & reference)
        fp += len(thread - reference)
        fn += len(reference - thread)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(precision, 3), "recall": round(recall, 3)}


def source_line(root, where):
    path, _, line = where.rpartition(":")
    try:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as handle:
            return handle.read().split("\n")[int(line) - 1].strip()[:160]
    except (OSError, IndexError, ValueError):
        return ""


def main():
    language, cache, thread_bin = sys.argv[1], sys.argv[2], sys.argv[3]
    wanted = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    os.makedirs(cache, exist_ok=True)
    cache = os.path.abspath(cache)
    root, suffixes, language_id, command, env, settings = corpus(language, cache)
    files = source_files(root, suffixes)

    thread = Server([thread_bin, "serve"], root,
                    settings={"init": {"store": "memory"}})
    # Indexed once its symbols answer (and its progress ends, when it reports one).
    deadline = time.time() + TIMEOUT
    while not thread.request("workspace/symbol", {"query": ""}):
        if time.time() > deadline:
            raise SystemExit("Thread never finished indexing")
        time.sleep(0.2)
    thread.progress_ended.wait(5)
    chosen, repeated = sample(thread, root, files, wanted)

    reference = Server(command, root, env=env, settings=settings)
    # tsserver and gopls answer for files in a project they have opened.
    for path in files:
        reference.open(path, language_id)
    reference.drain(3)
    # The first answers wait for the reference server's analysis.
    reference.request("textDocument/documentSymbol", {"textDocument": {"uri": file_uri(files[0])}}, timeout=300)
    if language == "rust":
        deadline = time.time() + 600
        while not reference.quiescent.is_set() and time.time() < deadline:
            reference.drain(1)

    results = {"incoming": [], "outgoing": [], "references": []}
    disagreements = []
    for name, path, position in chosen:
        ours = hierarchy(thread, root, path, position)
        theirs = hierarchy(reference, root, path, position)
        for kind, mine, truth in zip(("incoming", "outgoing", "references"), ours, theirs):
            results[kind].append((mine, truth))
            for where in sorted(mine - truth):
                disagreements.append({"kind": kind, "function": f"{path}:{name}", "extra": where,
                                      "line": source_line(root, where)})
            for where in sorted(truth - mine):
                disagreements.append({"kind": kind, "function": f"{path}:{name}", "missed": where,
                                      "line": source_line(root, where)})
    thread.close()
    reference.close()
    print(json.dumps({
        "language": language,
        "sampled": len(chosen),
        "repeated_names": repeated,
        "incoming": score(results["incoming"]),
        "outgoing": score(results["outgoing"]),
        "references": score(results["references"]),
        "disagreements": disagreements,
    }, indent=1))


if __name__ == "__main__":
    main()
