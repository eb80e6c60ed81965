#!/usr/bin/env python3
"""import-linter's verdicts on real Python projects, for Thread's rule agreement test.

    rules_truth.py CACHE_DIR

Fetches httpx and rich from PyPI (the agreement corpora) into CACHE_DIR, checks a set of
layers, forbidden and independence contracts on each with import-linter (each indirect
and direct), and prints one JSON object:

    {"contracts": [{"root", "name", "kind", "indirect", "groups": [[glob, ...], ...],
                    "pairs": [[from, to], ...]}]}

`groups` are the contract's modules as Thread globs (a package is `pkg/sub/**`, a module
`pkg/mod.py`), in the order Thread's rule takes them: layers highest first, forbidden as
[from, to], independence's modules. `pairs` are the violating (importer, imported) files
import-linter reports: each route's heads against its tails. import-linter has no direct
mode for layers and independence; there, the direct pairs are its routes without middle.

The forbidden contracts name one source and one forbidden module (each may be a package):
import-linter checks every (source, forbidden) pair of a contract on its own, so that a
chain may run through another listed module, and it reports one chain per shared middle
where Thread reports every pair of files (README, "Rules reference").
"""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ground_truth import fetch_sdist  # noqa: E402

# (package, version, contracts); modules in import-linter's dotted form.
PROJECTS = [
    ("httpx", "0.27.0", [
        ("models above the client", "layers",
         [["httpx._models"], ["httpx._client", "httpx._api"], ["httpx._transports"], ["httpx._urls", "httpx._urlparse"]]),
        ("transports never reach the models", "forbidden", [["httpx._transports"], ["httpx._models"]]),
        ("core modules are independent", "independence",
         [["httpx._client"], ["httpx._models"], ["httpx._auth"], ["httpx._multipart"], ["httpx._config"]]),
    ]),
    ("rich", "13.7.1", [
        ("widgets above the console", "layers",
         [["rich.progress", "rich.table", "rich.syntax"], ["rich.console"], ["rich.text", "rich.segment"], ["rich.style", "rich.color"]]),
        ("text never reaches the live display", "forbidden", [["rich.text"], ["rich.live"]]),
        ("widgets are independent", "independence",
         [["rich.table"], ["rich.progress"], ["rich.syntax"], ["rich.markdown"], ["rich.tree"], ["rich.panel"]]),
    ]),
]


def module_glob(root, module):
    base = module.replace(".", "/")
    if os.path.isfile(os.path.join(root, base, "__init__.py")):
        return base + "/**"
    return base + ".py"


def module_path(root, module):
    base = module.replace(".", "/")
    if os.path.isfile(os.path.join(root, base + ".py")):
        return base + ".py"
    return base + "/__init__.py"


def route_pairs(root, detailed, direct_only):
    """heads × tails of one route; None when a direct-only check skips it."""
    chain = detailed["chain"]
    if direct_only and len(chain) > 1:
        return []
    heads = {chain[0]["importer"]} | {link["importer"] for link in detailed["extra_firsts"]}
    tails = {chain[-1]["imported"]} | {link["imported"] for link in detailed["extra_lasts"]}
    return [(module_path(root, head), module_path(root, tail)) for head in heads for tail in tails]


def build_graphs(cache):
    """Each project's grimp graph, built before import-linter is imported: import-linter
    imports its own `rich` for output, and grimp would then read that installed rich
    instead of the one under test."""
    import grimp

    graphs = {}
    for package, version, _ in PROJECTS:
        root = fetch_sdist(cache, package, version)
        sys.path.insert(0, root)
        graphs[package] = grimp.build_graph(package, cache_dir=None)
        sys.path.remove(root)
    return graphs


def check(graph, root, package, name, kind, groups, indirect):
    from importlinter import api  # noqa: F401  (configures import-linter)
    from importlinter.application import use_cases
    from importlinter.application.app_config import settings
    from importlinter.application.user_options import UserOptions

    class Prebuilt:
        def build(self, *args, **kwargs):
            return copy.deepcopy(graph)

    settings.configure(GRAPH_BUILDER=Prebuilt())

    options = {"name": name, "type": kind}
    if kind == "layers":
        options["layers"] = [" : ".join(group) for group in groups]
    elif kind == "independence":
        # One module per entry; a group of several would be several modules.
        options["modules"] = [module for group in groups for module in group]
    else:
        options["source_modules"] = groups[0]
        options["forbidden_modules"] = groups[1]
        if not indirect:
            options["allow_indirect_imports"] = "True"
    user_options = UserOptions(session_options={"root_packages": [package]}, contracts_options=[options])
    # What `lint-imports` does before reading contracts; create_report leaves it out.
    use_cases._register_built_in_contract_types()
    report = use_cases.create_report(user_options, cache_dir=None)
    [(_, contract_check)] = list(report.get_contracts_and_checks())
    pairs = set()
    metadata = contract_check.metadata
    if kind == "layers":
        for dependency in metadata["invalid_dependencies"]:
            for route in dependency["routes"]:
                pairs.update(route_pairs(root, route, not indirect))
    elif kind == "independence":
        for data in metadata["invalid_chains"]:
            for route in data["chains"]:
                pairs.update(route_pairs(root, route, not indirect))
    else:
        for data in metadata["invalid_chains"]:
            for chain in data["chains"]:
                pairs.add((module_path(root, chain[0]["importer"]), module_path(root, chain[-1]["imported"])))
    return sorted(pairs)


def main():
    cache = sys.argv[1]
    os.makedirs(cache, exist_ok=True)
    graphs = build_graphs(cache)
    contracts = []
    for package, version, project_contracts in PROJECTS:
        root = fetch_sdist(cache, package, version)
        for name, kind, groups in project_contracts:
            for indirect in (True, False):
                contracts.append({
                    "root": root,
                    "name": f"{name}{'' if indirect else ' (direct)'}",
                    "kind": kind,
                    "indirect": indirect,
                    "groups": [[module_glob(root, module) for module in group] for group in groups],
                    "pairs": check(graphs[package], root, package, name, kind, groups, indirect),
                })
    json.dump({"contracts": contracts}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
