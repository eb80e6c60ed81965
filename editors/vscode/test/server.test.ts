// Drives the real thread-lsp (THREAD_LSP) through vscode-languageserver-protocol, the
// protocol library under VS Code's language client, with what the extension sends:
// its initializationOptions, its answer to workspace/configuration, its settings
// change, and its reading of the dependents lens.

import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import {
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
} from "vscode-languageserver-protocol/node";

import { dependentsReferences, serverSettings } from "../src/settings";

const server = process.env.THREAD_LSP;

function workspace(files: Record<string, string>): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "thread-vscode-")));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test("thread-lsp answers the extension's client", { skip: server ? false : "THREAD_LSP is not set" }, async () => {
  const root = workspace({
    "app/__init__.py": "",
    "app/util.py": "def helper():\n    return 1\n",
    "app/main.py": "from app.util import helper\nimport app.nowhere\n\n\ndef run():\n    return helper()\n",
  });
  const uri = (path: string) => pathToFileURL(join(root, path)).href;
  const child = spawn(server!, ["serve"], { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const published = new Map<string, any[]>();
  const waiters: Array<() => void> = [];
  connection.onNotification("textDocument/publishDiagnostics", (params: any) => {
    published.set(params.uri, params.diagnostics);
    waiters.splice(0).forEach((wake) => wake());
  });
  let settings: Record<string, unknown> = { store: "memory" };
  connection.onRequest("workspace/configuration", (params: any) =>
    params.items.map((item: any) => (item.section === "thread" ? serverSettings((key) => settings[key]) : null)),
  );
  connection.onRequest("client/registerCapability", () => null);
  connection.onRequest("workspace/codeLens/refresh", () => null);
  connection.listen();
  const diagnosticsOf = async (path: string, wanted: (diagnostics: any[]) => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!wanted(published.get(uri(path)) ?? [])) {
      assert.ok(Date.now() < deadline, `no such diagnostics for ${path}: ${JSON.stringify(published.get(uri(path)))}`);
      await new Promise<void>((wake) => {
        waiters.push(wake);
        setTimeout(wake, 200);
      });
    }
    return published.get(uri(path)) ?? [];
  };

  try {
    const initialized: any = await connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: "app" }],
      capabilities: { workspace: { configuration: true, codeLens: { refreshSupport: true } } },
      initializationOptions: serverSettings((key) => settings[key]),
    });
    assert.equal(initialized.capabilities.codeLensProvider?.resolveProvider, false);
    await connection.sendNotification("initialized", {});

    const main = await diagnosticsOf("app/main.py", (found) => found.some((d) => d.code === "unresolved-import"));
    assert.equal(main[0].severity, 1);

    // The "N dependents" lens, read as the extension's middleware reads it.
    const lenses: any[] = await connection.sendRequest("textDocument/codeLens", { textDocument: { uri: uri("app/util.py") } });
    assert.equal(lenses.length, 1);
    assert.equal(lenses[0].command.title, "1 dependent");
    const references = dependentsReferences(lenses[0].command.arguments);
    assert.ok(references, JSON.stringify(lenses[0].command));
    assert.equal(references!.uri, uri("app/util.py"));
    assert.deepEqual(references!.locations.map((location) => location.uri), [uri("app/main.py"), uri("app/main.py")]);

    // A settings change as the extension sends it: pushed under `thread`.
    settings = { store: "memory", severities: { "unresolved-import": "hint" } };
    await connection.sendNotification("workspace/didChangeConfiguration", {
      settings: { thread: serverSettings((key) => settings[key]) },
    });
    await diagnosticsOf("app/main.py", (found) => found.some((d) => d.code === "unresolved-import" && d.severity === 4));

    // ... and pulled, through the extension's answer to workspace/configuration.
    settings = { store: "memory", severities: { "unresolved-import": "off" } };
    await connection.sendNotification("workspace/didChangeConfiguration", { settings: null });
    await diagnosticsOf("app/main.py", (found) => found.length === 0);

    await connection.sendRequest("shutdown");
    await connection.sendNotification("exit");
  } finally {
    connection.dispose();
    child.kill();
  }
});
