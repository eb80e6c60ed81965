#!/usr/bin/env python3
"""The files a change affects, from grimp's graph, for Thread's `affected` test.

    affected_truth.py ROOT BASE [--tests]

ROOT is a git working tree of a Python project whose top-level packages are importable
from ROOT. The changed files are the working tree's difference from BASE (renames as a
deletion and an addition; untracked files included). The affected files are the changed
files that exist, every file under the directory of a changed project file, and all
files that import them, transitively, in grimp's graph of the working tree; a deleted
file's importers come from grimp's graph of BASE. Prints
{"affected": [...], "known": [...]}: "known" is every file grimp sees, the only files
the comparison covers.
"""
import json
import os
import subprocess
import sys
import tempfile

PROJECT_FILES = {"pyproject.toml", "setup.cfg", "setup.py"}


def git(root, *arguments):
    return subprocess.run(["git", "-C", root, *arguments], check=True, capture_output=True).stdout


def packages(root):
    return sorted(name for name in os.listdir(root)
                  if os.path.isfile(os.path.join(root, name, "__init__.py")))


def graph_edges(root):
    """(importer, imported) file pairs, built in a fresh interpreter: grimp resolves
    packages through the import system, which remembers the first tree it saw."""
    script = (
        "import grimp, json, os, sys\n"
        "root = sys.argv[1]; sys.path.insert(0, root)\n"
        "names = sorted(n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n, '__init__.py')))\n"
        "graph = grimp.build_graph(*names, cache_dir=None)\n"
        "def path(module):\n"
        "    base = os.path.join(*module.split('.'))\n"
        "    for candidate in (base + '.py', os.path.join(base, '__init__.py')):\n"
        "        if os.path.exists(os.path.join(root, candidate)):\n"
        "            return candidate.replace(os.sep, '/')\n"
        "files = sorted(filter(None, (path(m) for m in graph.modules)))\n"
        "edges = [(path(a), path(b)) for a in graph.modules for b in graph.find_modules_directly_imported_by(a)]\n"
        "print(json.dumps({'files': files, 'edges': [e for e in edges if None not in e]}))\n"
    )
    output = subprocess.run([sys.executable, "-c", script, root], check=True, capture_output=True, text=True)
    graph = json.loads(output.stdout)
    return set(graph["files"]), {tuple(edge) for edge in graph["edges"]}


def changes(root, base):
    fields = [field.decode() for field in git(root, "diff", "--name-status", "-z", "-M", base, "--").split(b"\0") if field]
    changed, deleted = set(), set()
    index = 0
    while index < len(fields):
        status = fields[index]
        if status[0] in "RC":
            old, new = fields[index + 1], fields[index + 2]
            changed.add(new)
            if status[0] == "R":
                changed.add(old)
                deleted.add(old)
            index += 3
        else:
            changed.add(fields[index + 1])
            if status[0] == "D":
                deleted.add(fields[index + 1])
            index += 2
    untracked = git(root, "ls-files", "--others", "--exclude-standard", "-z").split(b"\0")
    changed.update(path.decode() for path in untracked if path)
    return changed, deleted


def is_test(path):
    name = path.rsplit("/", 1)[-1]
    return name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")


def main():
    root, base = sys.argv[1], sys.argv[2]
    only_tests = "--tests" in sys.argv[3:]
    changed, deleted = changes(root, base)
    files, edges = graph_edges(root)
    importers = {}
    for importer, imported in edges:
        importers.setdefault(imported, set()).add(importer)

    seeds = {path for path in changed if path in files}
    for path in changed:
        directory, _, name = path.rpartition("/")
        if name in PROJECT_FILES:
            seeds.update(file for file in files if not directory or file.startswith(directory + "/"))
    if deleted:
        with tempfile.TemporaryDirectory() as old_root:
            archive = git(root, "archive", base)
            subprocess.run(["tar", "-x", "-C", old_root], input=archive, check=True)
            _, old_edges = graph_edges(old_root)
        seeds.update(importer for importer, imported in old_edges if imported in deleted and importer in files)

    affected, queue = set(seeds), list(seeds)
    while queue:
        for importer in importers.get(queue.pop(), ()):
            if importer not in affected:
                affected.add(importer)
                queue.append(importer)
    if only_tests:
        affected = {path for path in affected if is_test(path)}
    json.dump({"affected": sorted(affected), "known": sorted(files)}, sys.stdout)


if __name__ == "__main__":
    main()
