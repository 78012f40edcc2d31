"""Named computations behind the ledger: each entry of ``published.yml`` names one (``compute``)
and its ``args``; each takes the cohort and adverse-event tables and returns one number (``nan``
where undefined)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import derive
from ..stats import proportions as stats
from ..stats import survival

METRICS: dict = {}


def metric(fn):
    """Register ``fn`` under its name."""
    METRICS[fn.__name__] = fn
    return fn


def _mask(cohort, among: str | list[str] | None) -> np.ndarray:
    """Rows in every subgroup named by ``among`` (a flag or a list of flags)."""
    f = derive.flags(cohort)
    m = np.ones(len(cohort), bool)
    for name in [among] if isinstance(among, str) else among or []:
        m &= f[name].to_numpy()
    return m


@metric
def count(cohort, ae, flag: str, among: str | list[str] | None = None) -> float:
    """Patients with ``flag`` (among the ``among`` subgroup)."""
    f = derive.flags(cohort)
    return float((f[flag] & _mask(cohort, among)).sum())


@metric
def percent(cohort, ae, flag: str, among: str | list[str] | None = None) -> float:
    """Percentage of the ``among`` subgroup with ``flag``."""
    m = _mask(cohort, among)
    return 100.0 * count(cohort, ae, flag, among) / m.sum() if m.sum() else float("nan")


@metric
def ci(cohort, ae, flag: str, among: str | list[str] | None = None, bound: str = "lower",
       method: str = "exact") -> float:  # fmt: skip
    """Limit (``lower`` / ``upper``, percent) of the 95% CI of :func:`percent`."""
    m = _mask(cohort, among)
    p = stats.proportion(int(count(cohort, ae, flag, among)), int(m.sum()), method)
    return p.ci_lower if bound == "lower" else p.ci_upper


@metric
def summary(cohort, ae, column: str, stat: str = "median", among=None) -> float:
    """Median, minimum or maximum of a numeric column."""
    values = cohort.loc[_mask(cohort, among), column].astype(float)
    med, lo, hi = stats.median_range(values)
    return {"median": med, "min": lo, "max": hi}[stat]


@metric
def fisher_p(cohort, ae, outcome: str, by: str, among: str | list[str] | None = None) -> float:
    """Fisher's exact P for ``outcome`` between ``by`` and not ``by``."""
    f = derive.flags(cohort)
    m = _mask(cohort, among)
    y, g = f[outcome].to_numpy()[m], f[by].to_numpy()[m]
    table = [[(y & g).sum(), (~y & g).sum()], [(y & ~g).sum(), (~y & ~g).sum()]]
    return stats.fisher_exact(table)


def _endpoint(cohort, endpoint: str, among: str | None):
    if endpoint not in ("os", "rfs"):
        raise ValueError(f"unknown endpoint {endpoint!r}")
    data = derive.os_table(cohort) if endpoint == "os" else derive.rfs_table(cohort)
    base = np.ones(len(cohort), bool) if endpoint == "os" else derive.flags(cohort)["cr"].to_numpy()
    m = _mask(cohort, among)[base]
    return data[m], derive.flags(cohort)[base][m]


@metric
def logrank_p(cohort, ae, endpoint: str, by: str, among: str | list[str] | None = None) -> float:
    """Log-rank P comparing ``by`` with not ``by`` (``nan`` if a group is empty)."""
    data, f = _endpoint(cohort, endpoint, among)
    g = f[by].to_numpy()
    if g.all() or not g.any():
        return float("nan")
    return survival.logrank(data["time"], data["event"], g).p_value


@metric
def km_at(cohort, ae, endpoint: str, months: float, what: str = "survival",
          among: str | list[str] | None = None) -> float:  # fmt: skip
    """Kaplan-Meier estimate (``survival``) or Greenwood SE (``se``) at ``months``, percent."""
    data, _ = _endpoint(cohort, endpoint, among)
    s, se = survival.survival_at(survival.kaplan_meier(data["time"], data["event"]), months)
    return 100.0 * (s if what == "survival" else se)


@metric
def median_survival(cohort, ae, endpoint: str, among: str | list[str] | None = None) -> float:
    """Kaplan-Meier median (months); ``nan`` if not reached."""
    data, _ = _endpoint(cohort, endpoint, among)
    return survival.median_ci(data["time"], data["event"])[0]


@metric
def deaths_from(cohort, ae, cause, among=None) -> float:
    """Deaths whose ``cause_of_death`` contains ``cause`` (or any of a list; case-insensitive)."""
    m = _mask(cohort, among)
    # match the distinct texts only (a million patients have a handful of causes)
    codes, texts = pd.factorize(cohort["cause_of_death"].fillna("").astype(object))
    lowered = pd.Index(texts, dtype=object).astype(str).str.lower()
    hit = np.zeros(len(texts), bool)
    for c in [cause] if isinstance(cause, str) else cause:
        hit |= np.asarray(lowered.str.contains(c.lower(), regex=False), dtype=bool)
    return float((np.append(hit, False)[codes] & m).sum())


@metric
def ae_patients(cohort, ae, event: str | None = None, grade_min: int = 1, grade_max: int = 5,
                action: str | None = None) -> float:  # fmt: skip
    """Patients with at least one adverse event matching the filters (``nan`` without a table)."""
    if ae is None:
        return float("nan")
    rows = ae[(ae["grade"] >= grade_min) & (ae["grade"] <= grade_max)]
    if event is not None:
        events = [event] if isinstance(event, str) else list(event)
        rows = rows[rows["event"].isin(events)]
    if action is not None:
        rows = rows[rows["action"] == action]
    return float(rows["patient_id"].nunique())


@metric
def ae_patients_percent(cohort, ae, **kwargs) -> float:
    """:func:`ae_patients` as a percentage of the cohort (``nan`` for an empty cohort)."""
    if len(cohort) == 0:
        return float("nan")
    return 100.0 * ae_patients(cohort, ae, **kwargs) / len(cohort)


def compute(name: str, cohort: pd.DataFrame, ae: pd.DataFrame, args: dict | None = None) -> float:
    """Evaluate the metric ``name`` with ``args`` on the given tables."""
    try:
        fn = METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {sorted(METRICS)}") from None
    return float(fn(cohort, ae, **(args or {})))
