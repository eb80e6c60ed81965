import { strict as assert } from "node:assert";
import { test } from "node:test";

import { dependentsReferences, serverCommand, serverSettings } from "../src/settings";

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

test("VS Code's settings become thread-lsp's, empty values left to the server", () => {
  const settings = serverSettings(
    reader({
      store: "postgres",
      database: "  ",
      databaseUrl: "postgres://ci@db/thread",
      "d1.accountId": "",
      exclude: ["generated", ""],
      maxFileSize: 1_000_000.7,
      respectGitignore: false,
      severities: { "import-cycle": "off" },
      debounce: 0,
    }),
  );
  assert.deepEqual(settings, {
    store: "postgres",
    databaseUrl: "postgres://ci@db/thread",
    exclude: ["generated"],
    maxFileSize: 1_000_000,
    respectGitignore: false,
    severities: { "import-cycle": "off" },
  });
  assert.deepEqual(serverSettings(reader({ "d1.accountId": "acc", "d1.databaseId": "db" })), {
    d1: { accountId: "acc", databaseId: "db" },
  });
  assert.deepEqual(serverSettings(reader({})), {});
});

test("the server is the configured binary, else thread-lsp from PATH", () => {
  assert.deepEqual(serverCommand(reader({})), { command: "thread-lsp", args: ["serve"] });
  assert.deepEqual(serverCommand(reader({ "server.path": " /opt/thread-lsp " })), {
    command: "/opt/thread-lsp",
    args: ["serve"],
  });
});

test("only well-formed dependents lens arguments are turned into a references peek", () => {
  const position = { line: 3, character: 4 };
  const location = { uri: "file:///w/a.py", range: { start: position, end: position } };
  assert.deepEqual(dependentsReferences(["file:///w/b.py", position, [location]]), {
    uri: "file:///w/b.py",
    position,
    locations: [location],
  });
  assert.equal(dependentsReferences(["file:///w/b.py", position]), undefined);
  assert.equal(dependentsReferences(["file:///w/b.py", { line: "3" }, []]), undefined);
  assert.equal(dependentsReferences(["file:///w/b.py", position, [{ uri: 1 }]]), undefined);
  assert.equal(dependentsReferences(undefined), undefined);
});
