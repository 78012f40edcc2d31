"""The chapters execute, with complete glue, on cohorts other than the paper's.

Complements ``tests/test_chapters.py`` (the book's cohort):

* every chapter must execute on three other cohorts made from the reconstruction: 500
  patients resampled with replacement; only the patients who started below 5% blasts (no
  patient with overt disease); only adults without a previous transplant, keeping their
  adverse events of grade 1-2 and no change of treatment (empty subgroups, no severe event).
  The data contract rejects an adverse-event table without rows, so that case is left to the
  unit tests of :mod:`analysis.tables`.

Select with ``-m chapters``; each execution starts a kernel, so they are also ``slow``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from chapters import error_outputs, executed, glue_problems, toc_documents

from analysis import config, load_adverse_events, load_cohort
from analysis.data import to_csv_text

pytestmark = [pytest.mark.chapters, pytest.mark.slow, pytest.mark.long]


DOCS = toc_documents()


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
def test_chapter_executes_on_other_cohorts(doc, other_cohort):
    name, cohort_path, ae_path = other_cohort
    nb = executed(doc, str(cohort_path), str(ae_path))
    assert error_outputs(nb) == [], name
    assert glue_problems(nb) == [], name
