"""The ledger of published numbers and its comparison with a cohort.

``analysis/published.yml`` holds one entry for every number (and every
checkable qualitative statement) the paper prints; see the header of that file
for the fields.  :func:`compare` recomputes each entry on a cohort with the
function of :mod:`analysis.metrics` the entry names and reports whether the
printed value is reproduced at the printed precision.
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache

import pandas as pd
import yaml

from .. import config
from ..data import derive
from ..format import round_half_up
from . import metrics

__all__ = ["load_ledger", "load_discrepancies", "discrepancy", "compare", "chapter_report",
           "format_value", "is_reproduced", "KINDS"]

KINDS = ("value", "not_reached", "not_significant", "significant")
_FIELDS = ("id", "chapter", "measure", "printed", "kind", "where", "compute")


@lru_cache(maxsize=1)
def _read(path: str) -> tuple:
    with open(path, encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh) or ())


def load_discrepancies(path=None) -> pd.DataFrame:
    """The paper's recorded inconsistencies (``discrepancies.yml``): ``id``, ``where``,
    ``statement``, ``finding``, ``resolution``."""
    return pd.DataFrame(list(_read(str(path or config.DISCREPANCIES_PATH))))


def discrepancy(key: str) -> dict:
    """One recorded discrepancy by id (``KeyError`` if there is none)."""
    for entry in _read(str(config.DISCREPANCIES_PATH)):
        if entry["id"] == key:
            return dict(entry)
    raise KeyError(f"no discrepancy {key!r} in {config.DISCREPANCIES_PATH.name}")


def load_ledger(path=None) -> pd.DataFrame:
    """The ledger as a DataFrame, one row per published statement.

    Raises
    ------
    ValueError
        If an entry lacks a field, repeats an id, has an unknown kind or names an
        unknown metric.
    """
    entries = _read(str(path or config.LEDGER_PATH))
    seen = set()
    for e in entries:
        missing = [f for f in _FIELDS if f not in e]
        if missing:
            raise ValueError(f"ledger entry {e.get('id', '?')} lacks {missing}")
        if e["id"] in seen:
            raise ValueError(f"duplicate ledger id {e['id']}")
        seen.add(e["id"])
        if e["kind"] not in KINDS:
            raise ValueError(f"ledger entry {e['id']}: unknown kind {e['kind']!r}")
        if e["kind"] == "value" and "decimals" not in e:
            raise ValueError(f"ledger entry {e['id']}: kind value needs decimals")
        if e["compute"] not in metrics.METRICS:
            raise ValueError(f"ledger entry {e['id']}: unknown metric {e['compute']!r}")
    df = pd.DataFrame([{**e, "args": e.get("args") or {}} for e in entries])
    df["decimals"] = df["decimals"].astype("Int64")
    return df


def format_value(value: float, kind: str, decimals=None) -> str:
    """Format a recomputed value the way the paper would print it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not reached" if kind == "not_reached" else "undefined"
    if kind in ("not_significant", "significant"):
        return f"P = {float(round_half_up(value, 3)):.3f}"
    if kind == "not_reached":
        return f"{value:.1f} months"
    return f"{round_half_up(value, int(decimals)):f}"


def is_reproduced(value: float, kind: str, printed: str, decimals=None) -> bool:
    """Whether a recomputed value matches the printed statement."""
    nan = value is None or (isinstance(value, float) and math.isnan(value))
    if kind == "not_reached":
        return nan
    if nan:
        return False
    if kind == "not_significant":
        return value >= 0.05
    if kind == "significant":
        return value < 0.05
    return round_half_up(value, int(decimals)) == Decimal(printed)


def compare(cohort: pd.DataFrame, ae: pd.DataFrame, ledger: pd.DataFrame | None = None):
    """Recompute every ledger entry on a cohort.

    Parameters
    ----------
    cohort, ae : pandas.DataFrame
        Cohort and adverse-event tables.
    ledger : pandas.DataFrame, optional
        Defaults to :func:`load_ledger`.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``chapter``, ``measure``, ``printed``, ``recomputed``
        (formatted like the paper), ``value`` (unrounded), ``reproduced`` and
        ``where``.
    """
    ledger = load_ledger() if ledger is None else ledger
    with derive.flags_cached(cohort):
        return _compare(cohort, ae, ledger)


def _compare(cohort, ae, ledger):
    rows = []
    for e in ledger.itertuples(index=False):
        try:
            value = metrics.compute(e.compute, cohort, ae, e.args)
        except (KeyError, ValueError, ZeroDivisionError) as exc:  # undefined on this cohort
            value, note = float("nan"), str(exc)
        else:
            note = ""
        decimals = None if pd.isna(e.decimals) else int(e.decimals)
        rows.append(
            {
                "id": e.id,
                "chapter": e.chapter,
                "measure": e.measure,
                "printed": e.printed,
                "recomputed": format_value(value, e.kind, decimals),
                "value": value,
                "reproduced": is_reproduced(value, e.kind, e.printed, decimals),
                "where": e.where,
                "note": note,
            }
        )
    return pd.DataFrame(rows)


def chapter_report(chapter: str, cohort: pd.DataFrame, ae: pd.DataFrame) -> pd.DataFrame:
    """The ledger comparison for one chapter, ready to show at the chapter's end.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``paper`` (as printed), ``this cohort`` (recomputed),
        ``status`` (``reproduced`` / ``differs``) and ``where`` (in the paper).
    """
    rep = compare(cohort, ae)
    rep = rep[rep["chapter"] == chapter]
    return pd.DataFrame(
        {
            "measure": rep["measure"].to_numpy(),
            "paper": rep["printed"].to_numpy(),
            "this cohort": rep["recomputed"].to_numpy(),
            "status": ["reproduced" if r else "differs" for r in rep["reproduced"]],
            "where": rep["where"].to_numpy(),
        }
    )
