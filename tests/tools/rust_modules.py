"""Rust file edges as rust-analyzer resolves them, for ground_truth.py.

rust-analyzer writes an LSIF dump of a crate: every name it resolved, with where its
definition is and its hover text. This module finds the crate's `use` and `mod` items
with its own scanner (not Thread's parser), asks the dump where each path segment leads,
and gives each item the file of the deepest module its path names: Thread's edge rule
(`crate::a::b::Item` depends on the file of `crate::a::b`). A segment rust-analyzer did
not resolve (code under an inactive cfg, say) gives nothing.
"""
import json
import re
from bisect import bisect_right
from collections import defaultdict

# The hover of a module: a code block `mod name` after the path of its parent, or
# `extern crate name` for a crate (whose module is its root file).
MODULE_HOVER = re.compile(r"```rust\n(?:(?:pub(?:\([^)]*\))? )?mod|extern crate) [A-Za-z_][A-Za-z0-9_]*\n```")
KEYWORD_MODULES = {"crate", "self", "super"}


class Dump:
    """The parts of an LSIF dump that say where names lead."""

    def __init__(self, lines, root):
        vertices, out_edges = {}, defaultdict(list)
        for line in lines:
            row = json.loads(line)
            if row["type"] == "vertex":
                vertices[row["id"]] = row
            else:
                targets = row.get("inVs") or [row["inV"]]
                out_edges[(row["outV"], row["label"])].append((targets, row.get("document")))
        prefix = "file://" + root.rstrip("/") + "/"
        self.documents = {}  # document id -> path relative to root, None outside it
        for vertex in vertices.values():
            if vertex["label"] == "document":
                inside = vertex["uri"].startswith(prefix)
                self.documents[vertex["id"]] = vertex["uri"][len(prefix):] if inside else None
        self.ranges = {}  # (path, line, utf-16 column) -> range id
        for document, path in self.documents.items():
            if path is None:
                continue
            for targets, _ in out_edges[(document, "contains")]:
                for range_id in targets:
                    start = vertices[range_id]["start"]
                    self.ranges[(path, start["line"], start["character"])] = range_id
        self.vertices, self.out_edges = vertices, out_edges

    def _follow(self, vertex, label):
        for targets, document in self.out_edges[(vertex, label)]:
            return targets, document
        return None, None

    def inside(self):
        """The crate's own files rust-analyzer read."""
        return [path for path in self.documents.values() if path is not None]

    def resolve(self, path, line, column):
        """(file the name's definition is in, None outside the crate; whether it is a
        module), or None when rust-analyzer did not resolve the name."""
        range_id = self.ranges.get((path, line, column))
        if range_id is None:
            return None
        result_set, _ = self._follow(range_id, "next")
        if not result_set:
            return None
        definition, _ = self._follow(result_set[0], "textDocument/definition")
        if not definition:
            return None
        items, document = self._follow(definition[0], "item")
        if document not in self.documents:
            return None
        hover, _ = self._follow(result_set[0], "textDocument/hover")
        contents = self.vertices[hover[0]]["result"].get("contents", {}) if hover else {}
        value = contents.get("value", "") if isinstance(contents, dict) else str(contents)
        return self.documents[document], bool(MODULE_HOVER.search(value))


def utf16_columns(line):
    """The UTF-16 column of every character of `line`, as LSIF counts them."""
    columns, column = [], 0
    for character in line:
        columns.append(column)
        column += 2 if ord(character) > 0xFFFF else 1
    columns.append(column)
    return columns


TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<raw_string>b?r(?P<hashes>\#*)")
  | (?P<string>b?")
  | (?P<char>b?'(?:[^'\\\n]|\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|.))')
  | (?P<lifetime>'[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ident>r\#[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*)
  | (?P<path_sep>::)
  | (?P<number>[0-9][0-9A-Za-z_.]*)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)


def tokens(text):
    """(kind, text, offset) for every token outside comments and literals."""
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        kind = "raw_string" if match.group("raw_string") is not None else match.lastgroup
        if kind == "block_comment":
            depth, position = 1, match.end()
            while depth and position < len(text):
                if text.startswith("/*", position):
                    depth, position = depth + 1, position + 2
                elif text.startswith("*/", position):
                    depth, position = depth - 1, position + 2
                else:
                    position += 1
            continue
        if kind == "raw_string":
            end = text.find('"' + match.group("hashes"), match.end())
            position = len(text) if end < 0 else end + 1 + len(match.group("hashes"))
            continue
        if kind == "string":
            position = match.end()
            while position < len(text) and text[position] != '"':
                position += 2 if text[position] == "\\" else 1
            position += 1
            continue
        position = match.end()
        if kind in ("space", "line_comment", "char", "lifetime", "number"):
            continue
        yield kind, match.group(), match.start()


def use_and_mod_paths(text):
    """The segment tokens [(name, offset), ...] of every leaf of every `use` item and of
    every `mod name;`, outside `macro_rules!` bodies, each with how many inline modules
    (`mod name { … }`) enclose it: (segments, depth)."""
    toks = list(tokens(text))
    paths, index = [], 0
    braces, inline_modules = 0, []  # brace depth inside each open inline module
    while index < len(toks):
        kind, word, _ = toks[index]
        if word == "{":
            braces += 1
        elif word == "}":
            braces -= 1
            if inline_modules and inline_modules[-1] > braces:
                inline_modules.pop()
        elif kind == "ident" and word == "mod" and index + 2 < len(toks) and toks[index + 2][1] == "{":
            inline_modules.append(braces + 1)
        if word == "macro_rules" and index + 3 < len(toks) and toks[index + 1][1] == "!":
            index = skip_group(toks, index + 3)
            continue
        if kind == "ident" and word == "use":
            found = []
            index = use_tree(toks, index + 1, [], found)
            paths.extend((segments, len(inline_modules)) for segments in found)
            continue
        if kind == "ident" and word == "mod" and index + 2 < len(toks) and toks[index + 2][1] == ";":
            paths.append(([(toks[index + 1][1], toks[index + 1][2])], len(inline_modules)))
            index += 3
            continue
        index += 1
    return paths


def skip_group(toks, index):
    """The index after the bracketed group opening at `index`."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    if index >= len(toks) or toks[index][1] not in pairs:
        return index
    depth = 0
    while index < len(toks):
        if toks[index][1] in pairs:
            depth += 1
        elif toks[index][1] in pairs.values():
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return index


def use_tree(toks, index, prefix, paths):
    """Parses one use tree at `index`; appends its leaves to `paths`; returns the index after it."""
    segments = list(prefix)
    if index < len(toks) and toks[index][1] == "::":
        index += 1
    while index < len(toks):
        kind, word, offset = toks[index]
        if word == "{":
            index += 1
            while index < len(toks) and toks[index][1] != "}":
                # A token no use tree starts with (`#b` in a macro's body) is stepped over.
                index = max(use_tree(toks, index, segments, paths), index + 1)
                if index < len(toks) and toks[index][1] == ",":
                    index += 1
            return index + 1
        if word == "*":
            if segments:
                paths.append(segments)
            return index + 1
        if kind != "ident":
            return index
        # `a::{self}` is `a` itself; any other segment extends the path.
        if not (word == "self" and prefix and len(segments) == len(prefix)):
            segments.append((word, offset))
        index += 1
        if index < len(toks) and toks[index][1] == "::":
            index += 1
            continue
        if index + 1 < len(toks) and toks[index][1] == "as":
            index += 2
        if segments:
            paths.append(segments)
        return index
    return index


def file_edges(dump, path, text):
    """The files `path`'s use and mod items depend on, per rust-analyzer."""
    lines = text.split("\n")
    line_starts, offset = [], 0
    for line in lines:
        line_starts.append(offset)
        offset += len(line) + 1
    columns = {}

    def position(offset):
        line = max(0, bisect_right(line_starts, offset) - 1)
        if line not in columns:
            columns[line] = utf16_columns(lines[line])
        return line, columns[line][offset - line_starts[line]]

    targets = set()
    for segments, depth in use_and_mod_paths(text):
        # `super` inside an inline module is a module of this same file as long as there
        # are no more `super`s than enclosing inline modules. (The dump places it one
        # module too high there.)
        leading_supers = next((i for i, (word, _) in enumerate(segments) if word != "super"), len(segments))
        keyword_in_file = 0 < leading_supers <= depth
        resolved = [dump.resolve(path, *position(offset)) for _, offset in segments]
        # A path that does not resolve to its end names something of another cfg, which
        # rust-analyzer did not enable; its resolved prefix is no edge.
        if resolved[-1] is None and segments[-1][0] not in KEYWORD_MODULES:
            continue
        # The deepest module of the crate's own that the path passes through: a module of
        # another crate (`crate::os::windows` where `os` re-exports `std::os`) is passed by.
        for (word, _), answer in zip(reversed(segments), reversed(resolved)):
            if answer is not None and answer[0] is not None and (answer[1] or word in KEYWORD_MODULES):
                if not (keyword_in_file and word == "super"):
                    targets.add(answer[0])
                break
    targets.discard(path)
    return targets


