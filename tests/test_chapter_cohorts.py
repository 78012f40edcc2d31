"""The chapters' glue is complete, and the chapters execute on cohorts other than the paper's.

Complements ``tests/test_chapters.py``, which executes every chapter of _toc.yml on the
reconstruction (the small helpers are repeated here so that the two files stay independent):

* every glue key a chapter's text pastes must have been glued, and every ``{glue:text}``
  format spec must apply to the glued value; in the book build either mistake is a warning
  (an error only with ``-W``), and executing the notebook alone does not catch it;
* every chapter must execute on three other cohorts made from the reconstruction: 500
  patients resampled with replacement; only the patients who started below 5% blasts (no
  patient with overt disease); only adults without a previous transplant, keeping their
  adverse events of grade 1-2 and no change of treatment (empty subgroups, no severe event).
  The data contract rejects an adverse-event table without rows, so that case is left to the
  unit tests of :mod:`analysis.tables`.

Select with ``-m chapters``; each execution starts a kernel, so they are also ``slow``.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest
import yaml
from myst_nb.core.variables import format_plain_text
from nbclient import NotebookClient

from analysis import config, load_adverse_events, load_cohort
from analysis.data import to_csv_text

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.chapters, pytest.mark.slow]


def toc_documents() -> list[str]:
    """The root page and every chapter of _toc.yml, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return docs


def source(doc: str) -> Path:
    for suffix in (".md", ".ipynb"):
        path = ROOT / f"{doc}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(doc)


def execute(path: Path):
    """Execute a chapter in its own directory, as Jupyter Book does; return the notebook."""
    nb = jupytext.read(path)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    return nb


DOCS = toc_documents()

# {glue}`key`, {glue:text}`key:.1f`, {glue:md}`key` ... and ```{glue:md} key, {glue:figure} key
ROLE = re.compile(r"\{glue(?::(\w+))?\}`([^`]+)`")
DIRECTIVE = re.compile(r"^\s*(?:```+|~~~+|:::+)\s*\{glue(?::\w+)?\}\s+(\S+)", re.MULTILINE)


def glued(nb) -> dict[str, dict]:
    """Glue keys set by an executed notebook, with their output data (mime prefix removed)."""
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", "")
                data = output.get("data", {})
                out[meta["name"]] = {m[len(prefix) :]: v for m, v in data.items()}
    return out


def glue_problems(nb) -> list[str]:
    """Pasted keys that were never glued, and ``{glue:text}`` specs that fail to format."""
    keys = glued(nb)
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for kind, ref in ROLE.findall(cell.source):
            key, _, spec = ref.partition(":") if kind == "text" else (ref, "", "")
            if key not in keys:
                problems.append(f"glue key {key!r} is pasted but never glued")
            elif kind == "text":
                try:
                    format_plain_text(keys[key].get("text/plain", ""), spec)
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    problems.append(f"{{glue:text}}`{ref}` cannot be formatted: {exc}")
        for key in DIRECTIVE.findall(cell.source):
            if key not in keys:
                problems.append(f"glue key {key!r} is pasted but never glued")
    return problems


@pytest.mark.parametrize("doc", DOCS)
def test_every_pasted_glue_key_is_glued(doc):
    assert glue_problems(execute(source(doc))) == []


# --- other cohorts ------------------------------------------------------------------------------


def _write(tmp: Path, cohort: pd.DataFrame, ae: pd.DataFrame) -> tuple[Path, Path]:
    paths = tmp / "cohort.csv", tmp / "adverse_events.csv"
    for path, df in zip(paths, (cohort, ae)):
        path.write_text(to_csv_text(df), encoding="utf-8", newline="")
    return paths


def _resampled(cohort, ae, n=500, seed=1):
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(cohort), n)
    new_ids = [f"R{i + 1:04d}" for i in range(n)]
    out = cohort.iloc[picks].reset_index(drop=True).assign(patient_id=new_ids)
    by_patient = dict(list(ae.groupby("patient_id")))
    events = [
        by_patient[old].assign(patient_id=new)
        for old, new in zip(cohort["patient_id"].iloc[picks], new_ids)
        if old in by_patient
    ]
    return out, pd.concat(events, ignore_index=True)


def _low_burden_only(cohort, ae):
    keep = cohort[cohort["marrow_blasts_pct"] < 5]
    return keep, ae[ae["patient_id"].isin(keep["patient_id"])]


def _adults_mild_events(cohort, ae):
    keep = cohort[(cohort["age_years"] > 18) & ~cohort["prior_allo_hsct"].astype(bool)]
    mild = ae[ae["patient_id"].isin(keep["patient_id"]) & (ae["grade"] <= 2)]
    return keep, mild.assign(action="none")


VARIANTS = {
    "resampled_500": _resampled,
    "low_burden_only": _low_burden_only,
    "adults_mild_events": _adults_mild_events,
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def other_cohort(request, tmp_path_factory):
    """(name, cohort path, adverse-event path) of a cohort derived from the reconstruction."""
    cohort = load_cohort(config.DEFAULT_COHORT, validate=False)
    ae = load_adverse_events(config.DEFAULT_ADVERSE_EVENTS, validate=False)
    new_cohort, new_ae = VARIANTS[request.param](cohort, ae)
    assert len(new_cohort) > 0
    return request.param, *_write(tmp_path_factory.mktemp(request.param), new_cohort, new_ae)


@pytest.mark.parametrize("doc", DOCS)
def test_chapter_executes_on_other_cohorts(doc, other_cohort, monkeypatch):
    name, cohort_path, ae_path = other_cohort
    monkeypatch.setenv("BOOK_COHORT", str(cohort_path))
    monkeypatch.setenv("BOOK_AES", str(ae_path))
    nb = execute(source(doc))
    assert glue_problems(nb) == [], name
