"""The reproducibility report: the ledger recomputed on the book's cohort, by chapter, and a
fingerprint of the numbers behind the paper's Kaplan-Meier figures."""

from __future__ import annotations

import hashlib

import pandas as pd

from .. import config
from . import km

__all__ = ["PAPER_FIGURES", "texts", "by_chapter", "chapter_tables", "figure_fingerprints"]

_SPLITS = (None, "ph_positive", "high_blasts", "mrd_response")
#: The panels of the paper's Figures 1-3 (Results, *Survival outcomes*).
PAPER_FIGURES = {
    1: [km.Panel("os", s) for s in _SPLITS],
    2: [km.Panel("rfs", s) for s in _SPLITS],
    3: [km.Panel("os", "hsct_first_remission", "cr"), km.Panel("rfs", "hsct_first_remission")],
}


def texts(report: pd.DataFrame, cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text: entries, reproduced, differing, patients, the cohort's name and a
    notice (Markdown) on what a difference from the paper means for this cohort."""
    n, ok = len(report), int(report["reproduced"].sum())
    if config.uses_reconstruction():
        name = "the reconstructed cohort"
        notice = ("The default cohort is a reconstruction: individual data found by a seeded "
                  "search so that every published aggregate is reproduced. It is consistent "
                  "with the paper; it is not the patients' records.")  # fmt: skip
    else:
        name = f"`{config.cohort_path().name}`"
        notice = ("This build analyses another cohort than the reconstruction, so differences "
                  "from the paper describe how this cohort differs from the published one; "
                  "they are not errors.")  # fmt: skip
    return {"n_entries": str(n), "n_reproduced": str(ok), "n_differ": str(n - ok),
            "n_patients": str(len(cohort)), "cohort": name, "notice": notice}  # fmt: skip


def _status(report: pd.DataFrame) -> pd.Series:
    return report["reproduced"].map({True: "reproduced", False: "differs"})


def by_chapter(report: pd.DataFrame) -> pd.DataFrame:
    """Ledger entries by chapter (rows, in the ledger's order) and status (columns)."""
    counts = report.assign(status=_status(report)).groupby(["chapter", "status"], sort=False)
    return counts.size().unstack(fill_value=0).reset_index().rename_axis(columns=None)


def chapter_tables(report: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, str, str]]:
    """For each chapter, ``(table, caption, label)``: its entries with ``measure``, ``paper``,
    ``recomputed``, ``status`` and ``where in the paper``, labelled ``tbl-repro-<chapter>``."""
    shown = pd.DataFrame({"chapter": report["chapter"], "measure": report["measure"],
                          "paper": report["printed"], "recomputed": report["recomputed"],
                          "status": _status(report),
                          "where in the paper": report["where"]})  # fmt: skip
    out = {}
    for ch, part in shown.groupby("chapter", sort=False):
        caption = f"Published numbers of the {ch} chapter, recomputed."
        out[ch] = (part.drop(columns="chapter"), caption, f"tbl-repro-{ch}")
    return out


def figure_fingerprints(cohort: pd.DataFrame) -> pd.DataFrame:
    """SHA-256 (first 16 hex digits) of the CSV of :func:`analysis.results.km.figure_data` of
    every panel of each of the paper's figures, with the panels and numbers it covers."""
    rows = []
    for figure, panels in PAPER_FIGURES.items():
        data = pd.concat([km.figure_data(cohort, p) for p in panels], ignore_index=True)
        text = data.to_csv(index=False, float_format="%.12g", lineterminator="\n")
        rows.append((f"figure {figure}", len(panels), data.size,
                     hashlib.sha256(text.encode()).hexdigest()[:16]))  # fmt: skip
    return pd.DataFrame(rows, columns=["figure", "panels", "numbers",
                                       "SHA-256 (first 16 hex digits)"])  # fmt: skip
