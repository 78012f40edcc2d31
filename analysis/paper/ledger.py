"""The ledger of published numbers (``published.yml``, whose header documents the fields) and
its comparison with a cohort: :func:`compare` recomputes each checkable entry with the metric
of :mod:`analysis.paper.metrics` it names and reports whether it prints as the paper's."""

from __future__ import annotations

import math
from decimal import Decimal
from functools import lru_cache

import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..data import derive
from . import metrics

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


def load_ledger(path=None, *, unchecked: bool = False) -> pd.DataFrame:
    """The ledger, one row per published statement (with ``unchecked``, also the entries of kind
    ``not_checkable``); ``ValueError`` for an entry that is incomplete or inconsistent."""
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
    if missing := [f for f in _FIELDS if f not in e]:
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
        return f"P = {fmt.p_value(value)}".replace("= <", "<")  # as km.p_hr_lines writes it
    return fmt.months(value) if kind == "not_reached" else fmt.number(value, int(decimals))


def is_reproduced(value: float, kind: str, printed: str, decimals=None) -> bool:
    """Whether a recomputed value matches ``printed`` (the entry's ``reads_as`` where the paper
    prints it in words); never for ``not_checkable``."""
    if kind == "not_checkable":
        return False
    nan = value is None or (isinstance(value, float) and math.isnan(value))
    if kind == "not_reached":
        return nan
    if nan:
        return False
    if kind in ("not_significant", "significant"):
        return (value < config.ALPHA) == (kind == "significant")
    return fmt.round_half_up(value, int(decimals)) == Decimal(str(printed))


def compare(cohort: pd.DataFrame, ae: pd.DataFrame, ledger: pd.DataFrame | None = None,
            *, unchecked: bool = False) -> pd.DataFrame:  # fmt: skip
    """Recompute every entry of ``ledger`` (default :func:`load_ledger` with ``unchecked``):
    ``id``, ``chapter``, ``measure``, ``printed``, ``recomputed`` (as the paper would print it),
    ``value``, ``reproduced``, ``where``, ``note`` (why undefined or not checkable), ``status``
    (``reproduced``, ``differs``, ``not checkable``)."""
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
        status = "reproduced" if ok else "differs" if checkable else "not checkable"
        rows.append((format_value(value, e["kind"], decimals), value, ok, note, status))
    out = ledger[["id", "chapter", "measure", "printed", "where"]].reset_index(drop=True)
    found = pd.DataFrame(rows, columns=["recomputed", "value", "reproduced", "note", "status"])
    return out.join(found)[list(_COLUMNS)]


def chapter_report(chapter: str, cohort: pd.DataFrame, ae: pd.DataFrame) -> pd.DataFrame:
    """The ledger comparison of one chapter, as shown at its end: ``measure``, ``paper``, ``this
    cohort`` (``not recorded`` where the tables cannot check it), ``status``, ``where``."""
    ledger = load_ledger(unchecked=True)
    rep = compare(cohort, ae, ledger[ledger["chapter"] == chapter])
    cols = {"measure": "measure", "printed": "paper", "recomputed": "this cohort"}
    return rep[[*cols, "status", "where"]].rename(columns=cols)
