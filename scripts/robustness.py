"""Robustness values of the default seeds: ``python scripts/robustness.py [--check]``.

Writes ``data/reconstructed/robustness.csv`` with the fingerprint of the code that made it, or
with ``--check`` only compares (exit status 1 if it differs). The comparison allows a relative
difference of 1e-12: NumPy's exp and log take different vectorised paths on different CPUs
(AVX-512 or not), so the last binary digit of a Kaplan-Meier product can differ between
machines; every printed digit agrees.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import config  # noqa: E402
from analysis.results.robustness import DEFAULT_SEEDS, _fingerprint, compute_values  # noqa: E402

if __name__ == "__main__":
    path, check = config.ROBUSTNESS_VALUES, "--check" in sys.argv
    fresh = compute_values()
    text = fresh.to_csv(index=False, float_format="%.17g", lineterminator="\n")
    old = pd.read_csv(path, float_precision="round_trip") if path.is_file() else None
    same = old is not None and old[["seed", "key"]].equals(fresh[["seed", "key"]])
    same = same and np.allclose(old["value"], fresh["value"], rtol=1e-12, atol=0, equal_nan=True)
    bytes_same = path.is_file() and path.read_text(encoding="utf-8") == text
    if not check:
        path.write_text(text, encoding="utf-8")
        path.with_suffix(".sha256").write_text(_fingerprint(DEFAULT_SEEDS) + "\n")
    kind = "identical" if bytes_same else "equal to 1e-12 (last digits differ)" if same else ""
    print(f"{path}: " + (kind or "DIFFERS") * check + "written" * (not check))
    raise SystemExit(0 if same or not check else 1)
