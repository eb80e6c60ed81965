// Thread for VS Code: starts thread-lsp for the workspace and connects VS Code's
// language client to it. What is sent is worked out in `settings.ts`.

import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

import { SHOW_DEPENDENTS, dependentsReferences, serverCommand, serverSettings } from "./settings";

const LANGUAGES = ["rust", "python", "typescript", "typescriptreact", "javascript", "javascriptreact", "go", "vue", "svelte"];

let client: LanguageClient | undefined;

function read(key: string): unknown {
  return vscode.workspace.getConfiguration("thread").get(key);
}

function createClient(): LanguageClient {
  const { command, args } = serverCommand(read);
  const serverOptions: ServerOptions = { command, args };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ scheme: "file", language })),
    initializationOptions: serverSettings(read),
    middleware: {
      // The server asks for its section when told settings changed: answer with what
      // it reads, not VS Code's raw tree (empty strings would mean empty paths).
      workspace: {
        configuration: (params, token, next) =>
          params.items.map((item) => (item.section === "thread" ? serverSettings(read) : null)),
      },
      // "N dependents" opens VS Code's own references peek.
      provideCodeLenses: async (document, token, next) => {
        const lenses = await next(document, token);
        for (const lens of lenses ?? []) {
          const references = lens.command?.command === SHOW_DEPENDENTS && dependentsReferences(lens.command.arguments);
          if (lens.command && references && client) {
            const convert = client.protocol2CodeConverter;
            lens.command = {
              title: lens.command.title,
              command: "editor.action.showReferences",
              arguments: [
                convert.asUri(references.uri),
                convert.asPosition(references.position),
                references.locations.map((location) => convert.asLocation(location)),
              ],
            };
          }
        }
        return lenses;
      },
    },
  };
  return new LanguageClient("thread", "Thread", serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = createClient();
  await client.start();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("thread") || !client) return;
      if (event.affectsConfiguration("thread.server.path")) {
        await vscode.commands.executeCommand("thread.restartServer");
        return;
      }
      await client.sendNotification("workspace/didChangeConfiguration", {
        settings: { thread: serverSettings(read) },
      });
    }),
    vscode.commands.registerCommand("thread.restartServer", async () => {
      await client?.stop();
      client = createClient();
      await client.start();
    }),
    vscode.commands.registerCommand("thread.showStats", async () => {
      const stats = await client?.sendRequest("thread/stats", {});
      const document = await vscode.workspace.openTextDocument({
        language: "json",
        content: JSON.stringify(stats, null, 2),
      });
      await vscode.window.showTextDocument(document);
    }),
  );
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
