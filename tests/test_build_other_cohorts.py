"""``make html`` builds the whole book on a cohort as a centre keeps it (issue 13, "Done when").

One test runs the real Makefile target four times, one after the other, in a temporary copy of
the working tree (the project's ``.venv``), each build in a ``_build`` of its own:

core      ``DATA=data/examples/cohort_core.csv``: only the 20 required columns
everyday  ``DATA=data/examples/cohort_everyday.csv``: Yes/No, y/n, TRUE/False, 1/0, m/F, blank
          cells and spaces around values
renamed   ``DATA=``/``AES=`` ``data/examples/*_renamed.csv`` with ``MAP=data/examples/columns.yml``
adam      ``ADAM=data/examples/adam``: ADSL, ADTTE and ADAE

Each input holds the reconstructed patients in another form (``data/examples/README.md``), so
each book must show what the default book shows: the expected values are the paper's, from
``analysis/paper/published.yml`` (each with its section), through the comparison with the paper
that every results chapter prints, and the reconstruction's own tables written in the book's
spellings.  One function builds all four so that the suite pays for the copy once; the builds
are cold (a new cohort clears the execution cache) and take minutes each.  That bad input stops
``make`` before anything is written is tested in ``tests/test_make_stops_on_bad_data.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from analysis import load_ledger

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
VENV = Path(sys.executable).parent.parent
NOT_COPIED = (".git", ".venv", "_build", "_build-*", "bench", ".pytest_cache", ".ruff_cache",
              "__pycache__", "*.egg-info")  # fmt: skip

pytestmark = [
    pytest.mark.build,
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("make"), reason="needs make"),
]

ADAM_XPT = {"adsl.xpt", "adtte.xpt", "adae.xpt"}
#: name -> the make variables of the build (paths relative to the repository).
VARIANTS = {
    "core": {"DATA": "data/examples/cohort_core.csv"},
    "everyday": {"DATA": "data/examples/cohort_everyday.csv"},
    "renamed": {
        "DATA": "data/examples/cohort_renamed.csv",
        "AES": "data/examples/adverse_events_renamed.csv",
        "MAP": "data/examples/columns.yml",
    },  # fmt: skip
    "adam": {"ADAM": "data/examples/adam"},
}


def _text(html: Path, page: str) -> str:
    soup = BeautifulSoup(
        (html / "book" / f"{page}.html").read_text(encoding="utf-8"), "html.parser"
    )
    return " ".join(soup.get_text(" ").split())


def _make_html(workdir: Path, name: str, variables: dict) -> tuple[Path, str]:
    """``make html`` with ``variables`` in ``workdir``; ``_build`` renamed ``_build-<name>``."""
    args = [f"{k}={workdir / v}" for k, v in variables.items()]
    cmd = ["make", "--no-print-directory", f"VENV={VENV}", "SETUP_STAMP=", "html", *args]
    env = dict(os.environ, PYTHONPATH=str(workdir))  # the chapters import the copy's analysis/
    run = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=3600)
    assert run.returncode == 0, f"{name}:\n{run.stdout[-6000:]}\n{run.stderr[-6000:]}"
    build = workdir / f"_build-{name}"
    (workdir / "_build").rename(build)
    return build, run.stdout


def _csvs(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.csv"))}


def test_make_html_builds_the_whole_book_on_each_layout(tmp_path):
    workdir = tmp_path / "book"
    shutil.copytree(ROOT, workdir, ignore=shutil.ignore_patterns(*NOT_COPIED))
    builds = {}
    for name, variables in VARIANTS.items():
        build, log = _make_html(workdir, name, variables)
        builds[name] = build
        assert "meet the data contract" in log, name
        html = build / "html"
        for page in ("intro", "survival", "transplant", "safety", "journeys", "sensitivity"):
            assert (html / "book" / f"{page}.html").is_file(), (name, page)
        # the book names its input and says that it is not the reconstruction
        report = _text(html, "reproducibility")
        assert Path(variables.get("ADAM", variables.get("DATA"))).name in report, name
        assert "another cohort than the reconstruction" in report, name
        # the ADaM export of the analysed tables, linked from the appendix
        assert {p.name for p in (html / "_downloads").rglob("*.xpt")} == ADAM_XPT, name
    # The other layouts hold the reconstruction: read with their everyday spellings, map and
    # ADaM variables normalised, the book reproduces every number of the paper's ledger, and
    # every figure and table shows the same data whichever the layout.
    n_published = len(load_ledger())
    shown = {name: _csvs(builds[name] / "source_data") for name in ("everyday", "renamed", "adam")}
    for name, tables in shown.items():
        summary = pd.read_csv(builds[name] / "source_data" / "tbl-repro-summary.csv")
        assert summary["reproduced"].astype(int).sum() == n_published, name
        assert tables == shown["everyday"], [
            k for k in tables if tables[k] != shown["everyday"].get(k)
        ]
    analysed = {name: _csvs(builds[name] / "adam") for name in shown}
    assert analysed["renamed"] == analysed["everyday"] == analysed["adam"]
    # Only the core columns: the survival figures (core columns) are the same; the book says
    # which optional columns were not recorded and derives the two it can.
    core = _csvs(builds["core"] / "source_data")
    for figure in ("fig-survival-os.csv", "fig-survival-rfs.csv", "fig-survival-os-mrd.csv"):
        assert core[figure] == shown["everyday"][figure], figure
    text = " ".join(_text(builds["core"] / "html", p) for p in ("transplant", "journeys"))
    assert "not recorded" in text
