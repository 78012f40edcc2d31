"""Benchmark of the reconstruction search (not a test).

Runs ``analysis.reconstruct.reconstruct`` for the default seed and a few others and
reports the wall time of each; the target is under 60 s per run on the 2-core
project machine.  Results go to bench/results/reconstruct.json.

Usage: python scripts/bench_reconstruct.py [--seeds 20211101 1 2 3 4]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from analysis import reconstruct

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[reconstruct.DEFAULT_SEED, 1, 2, 3, 4]
    )
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        start = time.perf_counter()
        _, _, report = reconstruct.reconstruct(seed, quiet=True)
        elapsed = time.perf_counter() - start
        rows.append({"seed": seed, "seconds": round(elapsed, 2), "entries": int(len(report))})
        ok = int(report["reproduced"].sum())
        print(f"seed {seed:>9}: {elapsed:6.2f} s, {ok}/{len(report)} reproduced")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    payload = {"machine": platform.platform(), "cpus": __import__("os").cpu_count(), "runs": rows}
    (out / "reconstruct.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(f"max {max(r['seconds'] for r in rows):.2f} s (target < 60 s)")


if __name__ == "__main__":
    main()
