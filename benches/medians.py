#!/usr/bin/env python3
"""Print the median of every criterion benchmark of the last run, and the ratios
BENCHMARKS.md quotes, all from that one run.

Usage: python3 benches/medians.py [CRITERION_DIR]
(default: $CARGO_TARGET_DIR/criterion, else target/criterion)
"""

import json
import os
import sys
from pathlib import Path


def medians(root: Path) -> dict[str, float]:
    """Benchmark id -> median time in nanoseconds, from criterion's estimates."""
    found = {}
    for estimates in root.glob("**/new/estimates.json"):
        benchmark = json.loads((estimates.parent / "benchmark.json").read_text())
        found[benchmark["full_id"]] = json.loads(estimates.read_text())["median"]["point_estimate"]
    return found


def human(nanoseconds: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if nanoseconds >= scale:
            return f"{nanoseconds / scale:.3g} {unit}"
    return f"{nanoseconds:.3g} ns"


def main() -> None:
    default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    times = medians(root)
    if not times:
        sys.exit(f"no criterion results under {root}; run `cargo bench --bench engine` first")
    print("| benchmark | median |")
    print("|---|---:|")
    for name in sorted(times):
        print(f"| `{name}` | {human(times[name])} |")

    def ratio(label: str, numerator: str, denominator: str) -> None:
        if numerator in times and denominator in times:
            print(f"| {label} | {times[numerator] / times[denominator]:.2f}× |")

    print()
    print("| ratio (same run) | value |")
    print("|---|---:|")
    if "fingerprint/blake3_1MiB" in times:
        print(f"| Blake3 throughput | {2**20 / times['fingerprint/blake3_1MiB']:.2f} GB/s |")
    for lang in ("rust", "python", "typescript", "go"):
        ratio(f"{lang}: extraction / parse", f"per_file/extract/{lang}", f"per_file/parse/{lang}")
        ratio(f"{lang}: ReCoco flow / parse", f"per_file/recoco_flow/{lang}", f"per_file/parse/{lang}")
        ratio(f"{lang}: bare tree walk / parse", f"per_file/tree_walk/{lang}", f"per_file/parse/{lang}")
    ratio("cold index speedup, 2 threads over 1", "cold_index_2000/index/1", "cold_index_2000/index/2")
    for threads in (1, 2):
        ratio(
            f"cold index throughput / parse-only throughput, {threads} thread(s)",
            f"cold_index_2000/parse_only/{threads}",
            f"cold_index_2000/index/{threads}",
        )
    for group in sorted({name.split("/")[0] for name in times if name.startswith("edit_")}):
        ratio(f"{group}: full rebuild / body-only edit", f"{group}/full_rebuild", f"{group}/body_only")
        ratio(f"{group}: full rebuild / interface edit", f"{group}/full_rebuild", f"{group}/interface")


if __name__ == "__main__":
    main()
