#!/usr/bin/env python3
"""dependency-cruiser's verdicts on forbidden rules over rxjs's TypeScript sources, for
Thread's rule agreement test.

    depcruise_truth.py CACHE_DIR

Fetches rxjs from npm (the agreement corpus) into CACHE_DIR, checks forbidden rules with
dependency-cruiser (with TypeScript's paths, and type-only imports counted, as Thread
counts them), and prints {"root", "contracts": [{"name", "from", "to", "pairs"}]}:
`from` and `to` as Thread globs, `pairs` the violating (from, to) files. A
dependency-cruiser forbidden rule is about direct imports, so these are Thread's
`indirect = false` rules.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ground_truth import NPM_PACKAGE, fetch_npm  # noqa: E402

# (name, from directory, to directories), all under src/internal/.
RULES = [
    ("operators never import observable creators", "operators", ["observable"]),
    ("util stays below the rest", "util", ["operators", "observable", "scheduler", "testing"]),
    ("schedulers never import util", "scheduler", ["util"]),
    ("observable creators never import schedulers", "observable", ["scheduler"]),
    ("testing never imports schedulers", "testing", ["scheduler", "observable"]),
]


def main():
    cache = sys.argv[1]
    name, version = NPM_PACKAGE
    root = fetch_npm(cache, name, version)
    rules = [{
        "name": f"rule-{index}",
        "severity": "error",
        "from": {"path": f"^src/internal/{source}/"},
        "to": {"path": "^src/internal/(" + "|".join(targets) + ")/"},
    } for index, (_, source, targets) in enumerate(RULES)]
    config = {
        "forbidden": rules,
        "options": {
            "doNotFollow": {"path": "node_modules"},
            "tsPreCompilationDeps": True,
            "tsConfig": {"fileName": "tsconfig.json"},
        },
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
        config_path = handle.name
    try:
        depcruise = os.path.join(HERE, "node_modules", ".bin", "depcruise")
        completed = subprocess.run(
            [depcruise, "src", "--config", config_path, "--output-type", "json"],
            cwd=root, capture_output=True, text=True)
        # Exit status counts the violations; the JSON is the answer either way.
        report = json.loads(completed.stdout)
    finally:
        os.unlink(config_path)
    contracts = []
    for index, (rule_name, source, targets) in enumerate(RULES):
        pairs = sorted({(violation["from"], violation["to"])
                        for violation in report["summary"]["violations"]
                        if violation["rule"]["name"] == f"rule-{index}"})
        contracts.append({
            "name": rule_name,
            "from": [f"src/internal/{source}/**"],
            "to": [f"src/internal/{target}/**" for target in targets],
            "pairs": pairs,
        })
    json.dump({"root": root, "modules": len(report["modules"]), "contracts": contracts}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
