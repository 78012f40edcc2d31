"""Robustness values of the default seeds: ``python scripts/robustness.py [--check]``.

Writes ``data/reconstructed/robustness.csv`` with the fingerprint of the code that made it, or
with ``--check`` only compares (exit status 1 if it differs).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import config  # noqa: E402
from analysis.results.robustness import DEFAULT_SEEDS, _fingerprint, compute_values  # noqa: E402

if __name__ == "__main__":
    path, check = config.ROBUSTNESS_VALUES, "--check" in sys.argv
    text = compute_values().to_csv(index=False, float_format="%.17g", lineterminator="\n")
    same = path.is_file() and path.read_text(encoding="utf-8") == text
    if not check:
        path.write_text(text, encoding="utf-8")
        path.with_suffix(".sha256").write_text(_fingerprint(DEFAULT_SEEDS) + "\n")
    print(f"{path}: " + ("identical" if same else "DIFFERS") * check + "written" * (not check))
    raise SystemExit(0 if same or not check else 1)
