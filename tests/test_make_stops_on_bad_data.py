"""``make book`` on input that breaks the contract stops before anything runs.

The check is the first step of ``make html`` and ``make pdf`` (target ``check-data``): every
problem is printed at once, no Python traceback, and nothing under ``_build/`` or ``data/``
is written, whatever the layout: two tables (``DATA=``), only the core columns, everyday
encodings with an ambiguous value, a column map (``MAP=``) or ADaM datasets (``ADAM=``).
Needs the project's venv (``make setup``), as the Makefile targets do.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
MALFORMED = ROOT / "tests" / "data" / "malformed"
MAPS = ROOT / "tests" / "data" / "maps"
EXAMPLES = ROOT / "data" / "examples"

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


def _broken_adam(tmp_path: Path) -> Path:
    """The example ADaM datasets with a censoring flag that is neither 0 nor 1."""
    directory = tmp_path / "adam"
    shutil.copytree(EXAMPLES / "adam", directory)
    tte = pd.read_csv(directory / "adtte.csv", dtype=str, keep_default_na=False)
    tte.loc[0, "CNSR"] = "2"
    tte.to_csv(directory / "adtte.csv", index=False)
    return directory


def _edited(tmp_path: Path, name: str, edit) -> Path:
    """A copy of an example cohort, edited (``edit``: DataFrame -> DataFrame)."""
    df = pd.read_csv(EXAMPLES / name, dtype=str, keep_default_na=False)
    path = tmp_path / name.replace(".csv", f"_{edit.__name__.strip('_<>')}.csv")
    edit(df).to_csv(path, index=False)
    return path


def _ambiguous(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[3, "cr"] = "2"  # neither true nor false in any spelling
    return df


def _mixed(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[3, "cr"] = "1"  # a spelling of true, but the column writes y/n
    return df


@pytest.mark.parametrize(
    "target, layout, named",
    [
        ("html", "two tables", "cohort_many_problems.csv"),
        ("book", "two tables", "cohort_many_problems.csv"),
        ("html", "core columns", "missing column 'os_months'"),
        ("html", "everyday encodings", "row 5 (patient_id P04), column 'cr': '2' is not true"),
        ("html", "mixed encodings", "row 5 (patient_id P04), column 'cr': '1' mixes spellings"),
        ("html", "column map", "map_two_headers.yml"),
        ("html", "column map", "map_bad_label.yml"),
        ("html", "column map", "map_missing_source.yml"),
        ("html", "adam", "adtte.csv"),
    ],
)
def test_bad_input_stops_the_build_untouched(tmp_path, target, layout, named):
    args = {
        "two tables": [f"DATA={MALFORMED / 'cohort_many_problems.csv'}"],
        "core columns": [
            f"DATA={_edited(tmp_path, 'cohort_core.csv', lambda d: d.drop(columns='os_months'))}"
        ],
        "everyday encodings": [f"DATA={_edited(tmp_path, 'cohort_everyday.csv', _ambiguous)}"],
        "mixed encodings": [f"DATA={_edited(tmp_path, 'cohort_everyday.csv', _mixed)}"],
        "column map": [f"DATA={EXAMPLES / 'cohort_renamed.csv'}", f"MAP={MAPS / named}"],
        "adam": [f"ADAM={_broken_adam(tmp_path)}"],
    }[layout]
    before = {d: _snapshot(ROOT / d) for d in ("_build", "data")}
    run = subprocess.run(
        ["make", target, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "break the data contract" in out
    assert named in out
    assert "Traceback" not in out
    assert "build_edition.py build" not in run.stdout  # no builder was started
    assert {d: _snapshot(ROOT / d) for d in ("_build", "data")} == before
