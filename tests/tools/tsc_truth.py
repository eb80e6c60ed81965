#!/usr/bin/env python3
"""Thread's TypeScript file graph against TypeScript's own module resolution.

    tsc_truth.py ROOT THREAD_BINARY PROJECT_DIR...

For each PROJECT_DIR (a directory with a tsconfig.json, relative to ROOT), `tsc -p
--traceResolution --listFiles` says which file every import of every file of the program
resolved to. Those files are the importers and targets compared; `thread-lsp graph ROOT`
gives Thread's edges. Prints precision, recall and every difference.

It uses the TypeScript that `npm ci` installs in tests/tools. Dependencies need not be
installed: an import of a package that is not there resolves to nothing on both sides.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TSC = os.path.join(HERE, "node_modules", "typescript", "bin", "tsc")
RESOLVING = re.compile(r"^======== Resolving module '(.+)' from '(.+)'\. ========$")
RESOLVED = re.compile(r"^======== Module name '(.+)' was successfully resolved to '(.+?)'(?: with Package ID .*)?\. ========$")


def truth(root, projects):
    def relative(path):
        path = os.path.realpath(path)
        inside = path.startswith(root + os.sep) and os.sep + "node_modules" + os.sep not in path
        return os.path.relpath(path, root).replace(os.sep, "/") if inside else None

    edges, files = set(), set()
    for project in projects:
        output = subprocess.run(["node", TSC, "-p", os.path.join(root, project), "--traceResolution", "--listFiles",
                                 "--noEmit"], capture_output=True, text=True).stdout
        importer = None
        for line in output.splitlines():
            if match := RESOLVING.match(line):
                importer = relative(match.group(2))
            elif (match := RESOLVED.match(line)) and importer:
                target = relative(match.group(2))
                if target and target != importer:
                    edges.add((importer, target))
            elif line.startswith(os.sep) and os.path.isfile(line) and (path := relative(line)):
                files.add(path)
    return {(importer, target) for importer, target in edges if target in files}, files


def main():
    root, binary, projects = os.path.realpath(sys.argv[1]), sys.argv[2], sys.argv[3:]
    expected, files = truth(root, projects)
    graph = json.loads(subprocess.run([binary, "graph", root, "--format", "json"], capture_output=True, text=True,
                                      check=True).stdout)
    actual = {(edge["from"], edge["to"]) for edge in graph["edges"] if edge["from"] in files and edge["to"] in files}
    common = len(actual & expected)
    print(f"{len(files)} files, {len(expected)} TypeScript edges, {len(actual)} Thread edges, "
          f"precision {common / max(1, len(actual)):.4f}, recall {common / max(1, len(expected)):.4f}")
    for label, edges in (("missed", expected - actual), ("extra", actual - expected)):
        for importer, target in sorted(edges):
            print(f"{label}: {importer} -> {target}")


if __name__ == "__main__":
    main()
