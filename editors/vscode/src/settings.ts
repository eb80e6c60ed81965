// What the extension sends thread-lsp, worked out from VS Code's settings. Kept free of
// the `vscode` module so it runs (and is tested) under plain Node.

/** Reads the setting `thread.<key>`; undefined when unset. */
export type ReadSetting = (key: string) => unknown;

/** The lens command thread-lsp puts on "N dependents"; see the server's README. */
export const SHOW_DEPENDENTS = "thread.showDependents";

/** The settings thread-lsp reads, as `initializationOptions` and as the `thread`
 *  section of `workspace/didChangeConfiguration`. Empty values are left out, so the
 *  server's defaults apply. */
export function serverSettings(read: ReadSetting): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  const text = (key: string, name = key) => {
    const value = read(key);
    if (typeof value === "string" && value.trim() !== "") settings[name] = value.trim();
  };
  text("store");
  text("database");
  text("cacheDir");
  text("databaseUrl");
  text("workspaceName");
  const d1: Record<string, string> = {};
  for (const key of ["accountId", "databaseId", "apiUrl"]) {
    const value = read(`d1.${key}`);
    if (typeof value === "string" && value.trim() !== "") d1[key] = value.trim();
  }
  if (Object.keys(d1).length > 0) settings.d1 = d1;
  const exclude = read("exclude");
  if (Array.isArray(exclude)) {
    const names = exclude.filter((name): name is string => typeof name === "string" && name !== "");
    if (names.length > 0) settings.exclude = names;
  }
  const maxFileSize = read("maxFileSize");
  if (typeof maxFileSize === "number" && maxFileSize > 0) settings.maxFileSize = Math.floor(maxFileSize);
  const respectGitignore = read("respectGitignore");
  if (typeof respectGitignore === "boolean") settings.respectGitignore = respectGitignore;
  const severities = read("severities");
  if (severities !== null && typeof severities === "object" && Object.keys(severities).length > 0) {
    settings.severities = severities;
  }
  const debounce = read("debounce");
  if (typeof debounce === "number" && debounce > 0) settings.debounce = Math.floor(debounce);
  return settings;
}

/** The command that starts the server: the configured binary, else `thread-lsp`. */
export function serverCommand(read: ReadSetting): { command: string; args: string[] } {
  const configured = read("server.path");
  const command = typeof configured === "string" && configured.trim() !== "" ? configured.trim() : "thread-lsp";
  return { command, args: ["serve"] };
}

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspLocation {
  uri: string;
  range: { start: LspPosition; end: LspPosition };
}

/** The arguments of a "N dependents" lens, checked: the file, the definition's position
 *  and the uses' locations, as VS Code's `editor.action.showReferences` wants them
 *  (once converted). Undefined for anything else. */
export function dependentsReferences(
  args: unknown,
): { uri: string; position: LspPosition; locations: LspLocation[] } | undefined {
  if (!Array.isArray(args) || args.length < 3) return undefined;
  const [uri, position, locations] = args;
  const isPosition = (value: any): value is LspPosition =>
    value !== null && typeof value === "object" && Number.isInteger(value.line) && Number.isInteger(value.character);
  const isLocation = (value: any): value is LspLocation =>
    value !== null &&
    typeof value === "object" &&
    typeof value.uri === "string" &&
    isPosition(value.range?.start) &&
    isPosition(value.range?.end);
  if (typeof uri !== "string" || !isPosition(position) || !Array.isArray(locations)) return undefined;
  if (!locations.every(isLocation)) return undefined;
  return { uri, position, locations };
}
