"""The reproducibility report: the ledger on the book's cohort, the audit's checks that need
no patient data, and fingerprints of the numbers behind the paper's figures."""

from __future__ import annotations

import hashlib

import pandas as pd

from .. import config
from ..paper.audit import INDEPENDENT
from . import km
from .sensitivity import say

__all__ = ["PAPER_FIGURES", "summary", "texts", "unchecked", "figure_fingerprints"]

_SPLITS = (None, "ph_positive", "high_blasts", "mrd_response")
#: The panels of the paper's Figures 1-3 (Results, *Survival outcomes*; Figure 3 in our reading).
PAPER_FIGURES = {1: [km.Panel("os", s) for s in _SPLITS], 2: [km.Panel("rfs", s) for s in _SPLITS],
                 3: [km.Panel("os", "hsct_first_remission", "cr"),
                     km.Panel("rfs", "hsct_first_remission")]}  # fmt: skip


def summary(report: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """The report in three parts, ``entries``, ``agree``, ``disagree``: the ledger on the
    cohort, the ledger's statements no data can check, the audit's independent checks."""
    s, own = report["status"], checks[checks["category"].isin(INDEPENDENT)]["status"]
    searched = " (the reconstruction was searched to reproduce them)" * config.uses_reconstruction()
    rows = [("published numbers recomputed on this cohort" + searched, (s != "not checkable").sum(),
             (s == "reproduced").sum(), (s == "differs").sum()),
            ("published statements the data cannot check", (s == "not checkable").sum(), 0, 0),
            ("consistency checks from the printed numbers alone (independent of any cohort)",
             len(own), (own == "consistent").sum(), (own == "discrepancy").sum())]  # fmt: skip
    return pd.DataFrame(rows, columns=["part", "entries", "agree", "disagree"])


def texts(report: pd.DataFrame, checks: pd.DataFrame, cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of :func:`summary`, the cohort and what agreement with the paper shows."""
    keys = ("n_entries", "n_reproduced", "n_differ", "n_unchecked", "", "", "n_independent",
            "n_consistent", "n_inconsistent")  # fmt: skip
    counts = summary(report, checks)[["entries", "agree", "disagree"]].to_numpy().ravel()
    own = config.uses_reconstruction()
    name = "the reconstructed cohort" if own else config.cohort_path().name
    return {k: str(v) for k, v in zip(keys, counts) if k} | {
        "n_patients": str(len(cohort)),
        "cohort": name,
        "notice": say("by_construction", own),
    }


def unchecked(report: pd.DataFrame) -> pd.DataFrame:
    """The ledger entries no cohort can check: ``measure``, ``paper``, ``why``, ``where``."""
    rows = report[report["status"] == "not checkable"]
    return pd.DataFrame({"measure": rows["measure"], "paper": rows["printed"], "why": rows["note"],
                         "where": rows["where"]}).reset_index(drop=True)  # fmt: skip


def figure_fingerprints(cohort: pd.DataFrame) -> pd.DataFrame:
    """SHA-256 of the :func:`~analysis.results.km.figure_data` of each of the paper's figures."""
    rows = []
    for figure, panels in PAPER_FIGURES.items():
        data = pd.concat([km.figure_data(cohort, p) for p in panels], ignore_index=True)
        text = data.to_csv(index=False, float_format="%.12g", lineterminator="\n")
        rows.append((f"figure {figure}", len(panels), data.size,
                     hashlib.sha256(text.encode()).hexdigest()[:16]))  # fmt: skip
    return pd.DataFrame(rows, columns=["figure", "panels", "numbers",
                                       "SHA-256 (first 16 hex digits)"])  # fmt: skip
