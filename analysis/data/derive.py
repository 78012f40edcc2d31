"""Derived variables: left-out optional columns, every subgroup flag (once), survival tables."""

from __future__ import annotations

import operator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from .. import config
from ..config import OVERT_BLASTS_PCT
from .dictionary import COHORT_FIELDS, load
from .io import empty_column

__all__ = ["DERIVED", "FLAG_LABELS", "as_bool", "complete", "flags", "flags_cached", "os_table",
           "rfs_table"]  # fmt: skip

_CACHE: dict[int, pd.DataFrame] = {}
_OPS = {"==": operator.eq, "<": operator.lt, "<=": operator.le, ">=": operator.ge}
#: Human-readable meaning of every flag (tables and the ledger; ``flags`` in dictionary.yml).
FLAG_LABELS: dict[str, str] = load()["flags"]
#: Optional columns that :func:`complete` derives when a file leaves them out.
DERIVED = ("mrd_positive_at_start", "relapse_months")


def as_bool(s: pd.Series) -> np.ndarray:
    """A nullable boolean column as a numpy bool array, missing read as False."""
    return s.fillna(False).astype(bool).to_numpy()


def complete(cohort: pd.DataFrame, absent=()) -> pd.DataFrame:
    """Every dictionary column: those left out derived where unambiguous, else missing (attrs)."""
    absent = [n for n in COHORT_FIELDS if n not in cohort.columns or n in set(absent)]
    out = cohort.copy() if absent else cohort
    for name in absent:
        out[name] = empty_column(COHORT_FIELDS[name], out.index)
    overt, relapsed = out["marrow_blasts_pct"] >= OVERT_BLASTS_PCT, as_bool(out["relapse"])
    if "mrd_positive_at_start" in absent:
        known = overt.to_numpy(bool, na_value=False) | as_bool(out["mrd_response"])
        out["mrd_positive_at_start"] = pd.arrays.BooleanArray(known, ~known)
    if "relapse_months" in absent:
        out["relapse_months"] = out["rfs_months"].where(relapsed & as_bool(out["cr"]))
    order = [*COHORT_FIELDS, *(c for c in out.columns if c not in COHORT_FIELDS)]
    out = out if list(out.columns) == order else out[order]
    out.attrs["derived"] = [n for n in absent if n in DERIVED]
    out.attrs["not_recorded"] = [n for n in absent if n not in DERIVED]
    return out


@contextmanager
def flags_cached(cohort: pd.DataFrame):
    """Within the block, :func:`flags` of ``cohort`` is computed once (the ledger's metrics)."""
    _CACHE.pop(id(cohort), None)
    _CACHE[id(cohort)] = flags(cohort)
    try:
        yield
    finally:
        _CACHE.pop(id(cohort), None)


def flags(c: pd.DataFrame) -> pd.DataFrame:
    """Boolean flags for every subgroup the book uses (``flag_*`` in dictionary.yml)."""
    if (cached := _CACHE.get(id(c))) is not None:
        return cached
    f = {k: as_bool(c[column]) for k, column in load()["flag_columns"].items()}
    for k, (column, op, v) in load()["flag_tests"].items():
        f[k] = as_bool(_OPS[op](c[column], getattr(config, str(v), v)))
    f["all"] = np.ones(len(c), bool)
    f["hsct_before_relapse"] = (c["hsct_months"] < c["relapse_months"]).to_numpy(bool)
    for k, terms in load()["flag_formulas"].items():  # a term: flag, ~flag, or flags joined by |
        alts = [[~f[t[1:]] if t[0] == "~" else f[t] for t in term.split("|")] for term in terms]
        f[k] = np.logical_and.reduce([np.logical_or.reduce(a) for a in alts])
    return pd.DataFrame(f, index=c.index)[list(FLAG_LABELS)]


def os_table(cohort: pd.DataFrame, time="os_months", event="os_event") -> pd.DataFrame:
    """Overall survival: ``time`` (months) and ``event`` for every patient."""
    return pd.DataFrame({"time": cohort[time].astype(float), "event": cohort[event].astype(int)})


def rfs_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Relapse-free survival for the patients in CR: ``time`` and ``event``."""
    return os_table(cohort[as_bool(cohort["cr"])], "rfs_months", "rfs_event")
