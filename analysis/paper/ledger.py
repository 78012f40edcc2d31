"""The ledger of published numbers and its comparison with a cohort.

``analysis/paper/published.yml`` holds one entry for every number (and every
qualitative statement) the paper prints, with where it is printed and a verbatim
anchor; see the header of that file for the fields.  :func:`compare` recomputes
each checkable entry on a cohort with the function of :mod:`analysis.paper.metrics`
the entry names and reports whether the printed value is reproduced at the
printed precision.  Entries of kind ``not_checkable`` (statements the cohort and
adverse-event tables do not record) are listed apart, never as reproduced.
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

__all__ = [
    "load_ledger",
    "load_discrepancies",
    "discrepancy",
    "compare",
    "chapter_report",
    "format_value",
    "is_reproduced",
    "KINDS",
]

KINDS = ("value", "not_reached", "not_significant", "significant", "not_checkable")
_FIELDS = ("id", "chapter", "measure", "printed", "kind", "where", "anchor")
#: What ``compare`` shows as recomputed for a ``not_checkable`` entry.
NOT_RECORDED = "not recorded"
_COLUMNS = ("id", "chapter", "measure", "printed", "recomputed", "value", "reproduced", "where",
            "note", "status")  # fmt: skip


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


def load_ledger(path=None, *, unchecked: bool = False) -> pd.DataFrame:
    """The ledger as a DataFrame, one row per published statement.

    Parameters
    ----------
    unchecked : bool
        Also return the entries of kind ``not_checkable``; by default only the
        entries a cohort can check (those :func:`compare` counts).

    Raises
    ------
    ValueError
        If an entry lacks a field, repeats an id, has an unknown kind, names an
        unknown metric, prints a value in words without ``reads_as``, or is
        ``not_checkable`` without a ``reason``.
    """
    entries = _read(str(path or config.LEDGER_PATH))
    seen = set()
    for e in entries:
        _validate(e, seen)
    df = pd.DataFrame([{**e, "args": e.get("args") or {}} for e in entries])
    for col in ("decimals", "reads_as", "compute", "reason"):
        if col not in df:
            df[col] = None
    df["decimals"] = df["decimals"].astype("Int64")
    df["reads_as"] = df["reads_as"].astype("Int64")
    df["checkable"] = df["kind"] != "not_checkable"
    return df if unchecked else df[df["checkable"]].reset_index(drop=True)


def _validate(e: dict, seen: set) -> None:
    where = f"ledger entry {e.get('id', '?')}"
    missing = [f for f in _FIELDS if f not in e]
    if missing:
        raise ValueError(f"{where} lacks {missing}")
    if e["id"] in seen:
        raise ValueError(f"duplicate ledger id {e['id']}")
    seen.add(e["id"])
    if e["kind"] not in KINDS:
        raise ValueError(f"{where}: unknown kind {e['kind']!r}")
    if not isinstance(e["anchor"], dict) or not e["anchor"]:
        raise ValueError(f"{where}: anchor must map each section of `where` to an excerpt")
    if e["kind"] == "not_checkable":
        if not e.get("reason"):
            raise ValueError(f"{where}: kind not_checkable needs a reason")
        return
    if e.get("compute") not in metrics.METRICS:
        raise ValueError(f"{where}: unknown metric {e.get('compute')!r}")
    if e["kind"] == "value":
        if "decimals" not in e:
            raise ValueError(f"{where}: kind value needs decimals")
        try:
            Decimal(str(e.get("reads_as", e["printed"])))
        except ArithmeticError:
            raise ValueError(f"{where}: printed {e['printed']!r} needs reads_as") from None


def format_value(value: float, kind: str, decimals=None) -> str:
    """Format a recomputed value the way the paper would print it."""
    if kind == "not_checkable":
        return NOT_RECORDED
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not reached" if kind == "not_reached" else "undefined"
    if kind in ("not_significant", "significant"):
        return f"P = {float(round_half_up(value, 3)):.3f}"
    if kind == "not_reached":
        return f"{value:.1f} months"
    return f"{round_half_up(value, int(decimals)):f}"


def is_reproduced(value: float, kind: str, printed: str, decimals=None) -> bool:
    """Whether a recomputed value matches the printed statement (never for ``not_checkable``).

    ``printed`` is the number to match: the entry's ``reads_as`` where the paper prints
    the value in words.
    """
    if kind == "not_checkable":
        return False
    nan = value is None or (isinstance(value, float) and math.isnan(value))
    if kind == "not_reached":
        return nan
    if nan:
        return False
    if kind == "not_significant":
        return value >= 0.05
    if kind == "significant":
        return value < 0.05
    return round_half_up(value, int(decimals)) == Decimal(str(printed))


def compare(cohort: pd.DataFrame, ae: pd.DataFrame, ledger: pd.DataFrame | None = None,
            *, unchecked: bool = False) -> pd.DataFrame:  # fmt: skip
    """Recompute every ledger entry on a cohort.

    Parameters
    ----------
    cohort, ae : pandas.DataFrame
        Cohort and adverse-event tables.
    ledger : pandas.DataFrame, optional
        Defaults to :func:`load_ledger` (with ``unchecked``).
    unchecked : bool
        Also list the ``not_checkable`` entries (status ``not checkable``,
        ``reproduced`` False). By default only the checkable entries are listed,
        so that "k of n reproduced" counts checkable entries.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``chapter``, ``measure``, ``printed``, ``recomputed``
        (formatted like the paper), ``value`` (unrounded), ``reproduced``,
        ``where``, ``note`` (why a value is undefined, or why an entry cannot be
        checked) and ``status`` (``reproduced`` / ``differs`` / ``not checkable``).
    """
    ledger = load_ledger(unchecked=unchecked) if ledger is None else ledger
    with derive.flags_cached(cohort):
        return _compare(cohort, ae, ledger)


def _compare(cohort, ae, ledger):
    rows = []
    for e in ledger.to_dict("records"):
        checkable = e["kind"] != "not_checkable"
        value, note = float("nan"), "" if checkable else str(e.get("reason") or "")
        if checkable:
            try:
                value = metrics.compute(e["compute"], cohort, ae, e["args"])
            except (KeyError, ValueError, ZeroDivisionError) as exc:  # undefined on this cohort
                note = str(exc)
        decimals = None if pd.isna(e.get("decimals")) else int(e["decimals"])
        reads_as = e.get("reads_as")
        target = e["printed"] if reads_as is None or pd.isna(reads_as) else reads_as
        ok = is_reproduced(value, e["kind"], target, decimals)
        rows.append(
            {
                "id": e["id"],
                "chapter": e["chapter"],
                "measure": e["measure"],
                "printed": e["printed"],
                "recomputed": format_value(value, e["kind"], decimals),
                "value": value,
                "reproduced": ok,
                "where": e["where"],
                "note": note,
                "status": "reproduced" if ok else "differs" if checkable else "not checkable",
            }
        )
    return pd.DataFrame(rows, columns=list(_COLUMNS))


def chapter_report(chapter: str, cohort: pd.DataFrame, ae: pd.DataFrame) -> pd.DataFrame:
    """The ledger comparison for one chapter, ready to show at the chapter's end.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``paper`` (as printed), ``this cohort`` (recomputed;
        ``not recorded`` where the tables cannot check it), ``status``
        (``reproduced`` / ``differs`` / ``not checkable``) and ``where`` (in the paper).
    """
    ledger = load_ledger(unchecked=True)
    rep = compare(cohort, ae, ledger[ledger["chapter"] == chapter])
    return pd.DataFrame(
        {
            "measure": rep["measure"].to_numpy(),
            "paper": rep["printed"].to_numpy(),
            "this cohort": rep["recomputed"].to_numpy(),
            "status": rep["status"].to_numpy(),
            "where": rep["where"].to_numpy(),
        }
    )
