"""``make`` builds the book on a cohort as a centre keeps it (issue 13, "Done when").

Two routes, each for the four layouts below:

* not slow (``make test`` within its budget): the steps ``make html`` runs first, through the
  real Makefile (``make check-data adam``: the contract, then the ADaM export of the analysed
  tables, which must equal the default cohort's for the three layouts holding the
  reconstruction), then, for the core columns, the chapter whose text depends most on the
  optional columns (``transplant``, "not recorded") executed as the build executes it;
* ``slow``: the whole ``make html``, four cold builds of a few minutes each, too slow for the
  10-minute test budget on two cores; select with ``-m slow``.

The slow test runs the real Makefile target four times, one after the other, in a temporary copy of
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

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from chapters import error_outputs, glue_problems, glued_data, source
from nbclient import NotebookClient

from analysis import load_ledger

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
VENV = Path(sys.executable).parent.parent
NOT_COPIED = (".git", ".venv", "_build", "_build-*", "bench", ".pytest_cache", ".ruff_cache",
              "__pycache__", "*.egg-info")  # fmt: skip

pytestmark = [pytest.mark.build, pytest.mark.skipif(not shutil.which("make"), reason="make")]

#: make variable -> the environment variable the Makefile exports for the chapters.
ENV = {"DATA": "BOOK_COHORT", "AES": "BOOK_AES", "MAP": "BOOK_MAP", "ADAM": "BOOK_ADAM"}
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


def _make(*args: str, **variables) -> subprocess.CompletedProcess:
    cmd = ["make", "--no-print-directory", f"VENV={VENV}", "SETUP_STAMP=", *args]
    cmd += [f"{k}={ROOT / v}" for k, v in variables.items()]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def reference_adam(tmp_path_factory):
    """The default cohort's ADaM export, by the same make target."""
    out = tmp_path_factory.mktemp("adam_default")
    assert _make("adam", f"ADAM_OUT={out}").returncode == 0
    return _csvs(out)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_make_checks_exports_and_executes_each_layout(name, tmp_path, reference_adam):
    """``make check-data adam`` on the layout; the core cohort's transplant chapter executes."""
    run = _make("check-data", "adam", f"ADAM_OUT={tmp_path}", **VARIANTS[name])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "meet the data contract" in run.stdout
    exported = _csvs(tmp_path)
    if name == "core":  # only the core columns: the optional ones are named as not recorded
        assert "not recorded: hsct_pathway, pre_hsct_therapy" in run.stdout
        assert exported["adtte.csv"] == reference_adam["adtte.csv"]
    elif name == "adam":  # AVAL given in whole days: months equal to 1e-6
        assert {k: v for k, v in exported.items() if k != "adtte.csv"} == {
            k: v for k, v in reference_adam.items() if k != "adtte.csv"
        }
        tte = [pd.read_csv(io.StringIO(d["adtte.csv"])) for d in (exported, reference_adam)]
        pd.testing.assert_frame_equal(*tte, rtol=1e-6)
    else:  # the reconstruction in another form: the same analysed tables
        assert exported == reference_adam
    if name == "everyday":  # the normalised values are shown to the user
        assert "read as the book's values: sex F -> female, m -> male; ph_positive No -> " in (
            run.stdout
        )
    if name == "core":  # the other layouts give the same analysed tables (the ADaM export)
        env = {ENV[k]: str(ROOT / v) for k, v in VARIANTS[name].items()}
        env["BOOK_SOURCE_DATA"] = str(tmp_path / "source_data")  # not the project's _build
        nb = _execute("book/transplant", env)
        assert error_outputs(nb) == [] and glue_problems(nb) == []
        assert "not recorded" in " ".join(map(str, glued_data(nb).values()))


def _execute(doc: str, env: dict):
    """``doc`` executed in a kernel with ``env``, as scripts/execute_chapters.py does."""
    path = source(doc)
    nb = jupytext.read(path)
    saved = dict(os.environ)
    os.environ.update(env, IPYTHONDIR=str(ROOT / "config" / "ipython"))
    os.environ.pop("BOOK_AES", None) if "BOOK_ADAM" in env else None
    try:
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


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


@pytest.mark.slow
@pytest.mark.long
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
        ledger = summary[summary["part"].str.startswith("published numbers recomputed")]
        assert ledger[["entries", "agree"]].astype(int).values.tolist() == [[n_published] * 2], name
        if name != "adam":
            assert tables == shown["everyday"], [
                k for k in tables if tables[k] != shown["everyday"].get(k)
            ]
            continue
        # ADTTE holds AVAL in days to four decimals, as a centre might write it: back in months
        # the times agree to within 1e-5 months, so the figures' data agree to that, not to the
        # byte (and their fingerprints, tbl-repro-figures, differ). Where such a time no longer
        # ties with a transplant time (ADSL), a Simon-Makuch curve gains a step of zero height.
        assert set(tables) == set(shown["everyday"])
        for k in sorted(set(tables) - {"tbl-repro-figures.csv"}):
            a, b = (pd.read_csv(io.StringIO(t[k])) for t in (tables, shown["everyday"]))
            assert list(a.columns) == list(b.columns), k
            if a.shape != b.shape:
                assert k.startswith("fig-sensitivity-simon-makuch"), k
                a, b = (d.drop_duplicates(["role", "survival"]).reset_index(drop=True)
                        for d in (a.round({"time": 4}), b))  # fmt: skip
            num = [c for c in a.columns if pd.api.types.is_numeric_dtype(b[c])]
            np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float),
                                       rtol=1e-6, atol=1e-5, err_msg=k)  # fmt: skip
            text = [c for c in a.columns if c not in num]
            assert a[text].fillna("").equals(b[text].fillna("")), k
    analysed = {name: _csvs(builds[name] / "adam") for name in shown}
    assert analysed["renamed"] == analysed["everyday"]
    adam, everyday = analysed["adam"], analysed["everyday"]
    assert {k: v for k, v in adam.items() if k != "adtte.csv"} == {
        k: v for k, v in everyday.items() if k != "adtte.csv"}  # fmt: skip
    a, b = (pd.read_csv(io.StringIO(t["adtte.csv"])) for t in (adam, everyday))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6, atol=1e-5)  # AVAL, months
    # Only the core columns: the survival figures (core columns) are the same; the book says
    # which optional columns were not recorded and derives the two it can.
    core = _csvs(builds["core"] / "source_data")
    for figure in ("fig-survival-os.csv", "fig-survival-rfs.csv", "fig-survival-os-mrd.csv"):
        assert core[figure] == shown["everyday"][figure], figure
    text = " ".join(_text(builds["core"] / "html", p) for p in ("transplant", "journeys"))
    assert "not recorded" in text
