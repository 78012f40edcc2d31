"""``make book DATA=...`` on a file that breaks the contract stops before anything runs.

The check is the first step of ``make html`` and ``make pdf`` (target ``check-data``): every
problem is printed at once, no Python traceback, and nothing under ``_build/`` or ``data/``
is written. Needs the project's venv (``make setup``), as the Makefile targets do.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MALFORMED = ROOT / "tests" / "data" / "malformed"

pytestmark = pytest.mark.skipif(
    not (ROOT / ".venv" / ".stamp-setup").exists() or not shutil.which("make"),
    reason="needs `make setup` (the Makefile targets use the project's venv)",
)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("target", ["html", "book"])
def test_bad_cohort_stops_the_build_untouched(target):
    before = {d: _snapshot(ROOT / d) for d in ("_build", "data")}
    run = subprocess.run(
        ["make", target, f"DATA={MALFORMED / 'cohort_many_problems.csv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "break the data contract" in out
    assert "cohort_many_problems.csv" in out
    assert "Traceback" not in out
    assert "jupyter-book build" not in run.stdout  # no builder was started
    assert {d: _snapshot(ROOT / d) for d in ("_build", "data")} == before
