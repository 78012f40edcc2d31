"""The whole book builds on cohorts other than the reconstruction (own-data support).

Jupyter Book builds the HTML (``-n -W --keep-going``: a warning fails the build) into a
temporary directory with ``BOOK_COHORT``/``BOOK_AES`` pointing at

* ``data/synthetic/cohort_300.csv``: 300 invented patients from the seeded, documented
  generator ``scripts/make_synthetic_cohort.py``;
* ``data/synthetic/cohort_300_no_low_burden.csv``: the same without any patient below 5%
  marrow blasts, so that a subgroup has no patients.

The project's own ``_build/`` is not touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC = ROOT / "data" / "synthetic"
JB = Path(sys.executable).parent / "jupyter-book"

pytestmark = [pytest.mark.build, pytest.mark.slow]


@pytest.mark.parametrize("name", ["300", "300_no_low_burden"])
def test_book_builds_on_a_synthetic_cohort(name, tmp_path):
    env = dict(
        os.environ,
        BOOK_COHORT=str(SYNTHETIC / f"cohort_{name}.csv"),
        BOOK_AES=str(SYNTHETIC / f"adverse_events_{name}.csv"),
        IPYTHONDIR=str(ROOT / "config" / "ipython"),
    )
    check = subprocess.run(
        [sys.executable, "-m", "analysis.data.contract"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    build = subprocess.run(
        [str(JB), "build", ".", "--path-output", str(tmp_path), "-n", "-W", "--keep-going"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    html = tmp_path / "_build" / "html"
    report = BeautifulSoup(
        (html / "book" / "reproducibility.html").read_text(encoding="utf-8"), "html.parser"
    ).get_text(" ")
    # the book says which cohort it analysed and that differences from the paper are expected
    assert f"cohort_{name}.csv" in report
    assert "another cohort than the reconstruction" in report
    assert (html / "book" / "survival.html").is_file()
