"""Kaplan-Meier panels: the tidy tables every survival figure and table of the book draws.

A *panel* is one endpoint (OS of every patient, or RFS of the patients in CR), possibly
restricted to a subgroup, and possibly split into two or more curves by a flag of
:func:`analysis.data.derive.flags`.  For a panel this module returns, as tidy DataFrames:

- :func:`steps`: each curve's Kaplan-Meier table (lifelines, with Greenwood SE and the 95%
  band);
- :func:`risk_table`: under each time tick, the number at risk and the cumulative numbers
  censored and with the event (the KMunicate rows; Morris et al., BMJ Open 2019);
- :func:`comparison`: the log-rank P and the Cox hazard ratio of a two-curve panel;
- :func:`summary`: per curve, patients, events, the estimate at one year, the median with
  its 95% CI, and whether the curve's tail rests on fewer than :data:`SPARSE_AT_RISK`
  patients;
- :func:`figure_data`: all of it stacked in one table, which is what
  :func:`analysis.figures.km.km_figure` draws, what the book offers as the figure's source
  data, and what ``make verify`` fingerprints;
- :func:`panel_table`: the numbers of several panels as the table a chapter shows.

In a split, the patients *with* the flag are the "comparison" curve and the others the
"reference" curve; the hazard ratio is comparison against reference.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import config
from .. import format as fmt
from ..data import derive
from ..stats import survival

__all__ = ["ROLES", "SPLIT_LABELS", "SPARSE_AT_RISK", "Panel", "endpoint_data", "groups",
           "population", "steps", "risk_table", "comparison", "summary", "time_ticks",
           "figure_data", "estimate_texts", "panel_table", "plot_text"]  # fmt: skip

#: Roles of the curves of a panel, in order; a single curve is "all".
ROLES: tuple[str, ...] = ("reference", "comparison", "third", "fourth")

#: Legend labels and short labels (risk-table rows) of a split: (without, with) the flag.
SPLIT_LABELS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "ph_positive": (("Ph-negative", "Ph-positive"), ("Ph−", "Ph+")),
    "high_blasts": (("< 50% marrow blasts", "≥ 50% marrow blasts"), ("< 50%", "≥ 50%")),
    "mrd_response": (("MRD non-responders", "MRD responders"), ("non-resp.", "resp.")),
    "hsct_first_remission": (("no allo-HSCT in first CR", "allo-HSCT in first CR"),
                             ("no HSCT", "HSCT")),
    "hsct": (("no allo-HSCT", "allo-HSCT"), ("no HSCT", "HSCT")),
    "cr": (("no CR", "CR"), ("no CR", "CR")),
}  # fmt: skip

#: A curve whose last event happens with fewer patients at risk than this is "sparse".
SPARSE_AT_RISK = 3

#: y-axis label by endpoint.
YLABELS = {"os": "overall survival", "rfs": "relapse-free survival"}


@dataclass(frozen=True)
class Panel:
    """One Kaplan-Meier panel: ``endpoint`` ("os": every patient; "rfs": the patients in CR),
    ``split`` (the flag splitting its curves, or ``None``), ``among`` (a flag restricting the
    patients, e.g. ``"cr"``) and ``title`` ("overall survival by MRD response")."""

    endpoint: str
    split: str | None = None
    among: str | None = None
    title: str = ""

    @property
    def ylabel(self) -> str:
        return YLABELS[self.endpoint]


def endpoint_data(cohort: pd.DataFrame, endpoint: str, among: str | None = None):
    """``time`` and ``event`` of an endpoint joined with every flag, one row per patient."""
    if endpoint not in ("os", "rfs"):
        raise ValueError(f"unknown endpoint {endpoint!r}; use 'os' or 'rfs'")
    table = derive.os_table(cohort) if endpoint == "os" else derive.rfs_table(cohort)
    data = table.join(derive.flags(cohort), how="left")
    return data[data[among].to_numpy(bool)] if among else data


_Group = namedtuple("_Group", "role label short mask")


def groups(data: pd.DataFrame, split: str | None, population: str = "all patients"):
    """The curves of a panel: role, legend label, short label and row mask of each."""
    if split is None:
        return [_Group("all", population, population, np.ones(len(data), bool))]
    (without, with_), (s0, s1) = SPLIT_LABELS.get(
        split, ((f"not {derive.FLAG_LABELS[split]}", derive.FLAG_LABELS[split]), ("no", "yes"))
    )
    flag = data[split].to_numpy(bool)
    return [_Group("reference", without, s0, ~flag), _Group("comparison", with_, s1, flag)]


def population(panel: Panel) -> str:
    """Who a panel's patients are: "all patients", "patients in CR" or the ``among`` flag."""
    if panel.among and panel.among != "cr":
        return derive.FLAG_LABELS.get(panel.among, panel.among)
    return "patients in CR" if panel.endpoint == "rfs" or panel.among == "cr" else "all patients"


def steps(data: pd.DataFrame, split: str | None = None, population: str = "all patients"):
    """Each curve's Kaplan-Meier table (:func:`analysis.stats.survival.kaplan_meier`)."""
    parts = []
    for g in groups(data, split, population):
        km = survival.kaplan_meier(data["time"][g.mask], data["event"][g.mask])
        parts.append(km.assign(role=g.role, label=g.label, n=int(g.mask.sum())))
    return pd.concat(parts, ignore_index=True)


def risk_table(data: pd.DataFrame, split: str | None, at, population: str = "all patients"):
    """At risk, cumulative censored and cumulative events of each curve at each time of ``at``.

    At risk counts the patients whose time is at least ``t`` (lifelines' convention);
    censored and events count those up to and including ``t``.
    """
    at = np.asarray(at, float)
    rows = []
    for g in groups(data, split, population):
        t = data["time"].to_numpy(float)[g.mask]
        e = data["event"].to_numpy(int)[g.mask]
        for x, n in zip(at, survival.at_risk_counts(t, at)):
            done = t <= x
            rows.append((g.role, g.short, x, int(n), int((done & (e == 0)).sum()),
                         int((done & (e == 1)).sum())))  # fmt: skip
    return pd.DataFrame(rows, columns=["role", "label", "time", "at_risk", "censored", "events"])


def comparison(data: pd.DataFrame, split: str) -> dict:
    """Log-rank test and Cox hazard ratio (comparison against reference) of a split.

    Returns
    -------
    dict
        ``p_value``, ``statistic``, ``hr``, ``hr_lower``, ``hr_upper`` (``nan`` where not
        computable), glue-ready ``p_text`` and ``hr_text`` (:data:`~analysis.format.DASH` if
        not computable), and ``text``, the two lines the figure prints.
    """
    t, e = data["time"].to_numpy(float), data["event"].to_numpy(int)
    g = data[split].to_numpy(bool)
    lr = survival.logrank(t, e, g) if len(t) else survival.LogRankResult(math.nan, math.nan)
    hr = survival.hazard_ratio(t, e, g) if len(t) else survival.HazardRatio(*[math.nan] * 4)
    return {
        "p_value": lr.p_value, "statistic": lr.statistic,
        "hr": hr.ratio, "hr_lower": hr.ci_lower, "hr_upper": hr.ci_upper,
        "p_text": fmt.p_value(lr.p_value),
        "hr_text": fmt.ratio_ci(hr.ratio, hr.ci_lower, hr.ci_upper),
        "text": plot_text(lr.p_value, hr.ratio, hr.ci_lower, hr.ci_upper),
    }  # fmt: skip


def plot_text(p_value, hr, lower, upper, test: str = "log-rank P") -> str:
    """The two lines a Kaplan-Meier figure prints: the test's P and the hazard ratio (95% CI).

    >>> print(plot_text(0.0231, 0.194, 0.041, 0.914))
    log-rank P = 0.023
    HR 0.19 (95% CI 0.04–0.91)
    """
    p_line = f"{test} = {fmt.p_value(p_value)}".replace("= <", "<").replace("= —", "not computable")
    hr_line = f"HR {fmt.ratio_ci(hr, lower, upper)}".replace("(", "(95% CI ")
    return f"{p_line}\n{hr_line.replace('HR —', 'HR not computable')}"


def summary(data, split=None, months: float = config.HORIZON_MONTHS, population="all patients"):
    """One row per curve: size, events, estimate at ``months``, median with its 95% CI.

    Returns
    -------
    pandas.DataFrame
        ``role``, ``label``, ``n``, ``events``, ``survival`` and ``se`` at ``months``
        (percent; ``nan`` when nobody was followed that long), ``median``, ``median_lower``,
        ``median_upper`` (months, ``nan`` where not reached), ``last_event`` (time of the
        curve's last event), ``last_event_at_risk`` (the number at risk then) and ``sparse``
        (that number below :data:`SPARSE_AT_RISK`).
    """
    rows = []
    for g in groups(data, split, population):
        t, e = data["time"].to_numpy(float)[g.mask], data["event"].to_numpy(int)[g.mask]
        km = survival.kaplan_meier(t, e)
        s, se = survival.survival_at(km, months)
        if len(t) and not (t.max() >= months or s == 0.0):
            s, se = math.nan, math.nan  # the estimate would be carried beyond the data
        med, lo, hi = survival.median_ci(t, e)
        last = km[km["n_event"] > 0]
        at_last = int(last["n_at_risk"].iloc[-1]) if len(last) else 0
        rows.append({
            "role": g.role, "label": g.label, "n": int(len(t)), "events": int(e.sum()),
            "survival": 100 * s, "se": 100 * se, "median": med, "median_lower": lo,
            "median_upper": hi, "last_event_at_risk": at_last,
            "last_event": float(last["time"].iloc[-1]) if len(last) else math.nan,
            "sparse": bool(len(last)) and at_last < SPARSE_AT_RISK,
        })  # fmt: skip
    return pd.DataFrame(rows)


def estimate_texts(row) -> dict[str, str]:
    """Glue-ready text of one :func:`summary` row: ``estimate`` ± SE and ``median`` (95% CI).

    What cannot be estimated is said in words ("not estimable (no patients)", "not reached").

    >>> estimate_texts({"n": 7, "survival": 53.57, "se": 20.08, "median": 16.2,
    ...                 "median_lower": 1.7, "median_upper": float("nan")})["median"]
    '16.2 months (95% CI 1.7–not reached)'
    """
    if row["n"] == 0:
        return dict.fromkeys(("estimate", "median"), "not estimable (no patients)")
    estimate = fmt.estimate_se(row["survival"], row["se"])
    if estimate == fmt.DASH:
        estimate = f"not estimable (nobody followed for {fmt.months(config.HORIZON_MONTHS, 0)})"
    limits = [fmt.number(row[k]) for k in ("median_lower", "median_upper")]
    median = fmt.months(row["median"])
    if limits != [fmt.DASH] * 2:
        median += f" (95% CI {'–'.join(x.replace(fmt.DASH, 'not reached') for x in limits)})"
    return {"estimate": estimate, "median": median}


def panel_table(cohort: pd.DataFrame, panels: dict, months: float = config.HORIZON_MONTHS):
    """The numbers behind a set of panels, one row per curve, ready to show.

    ``panels`` maps a panel's name (e.g. the paper's "1d") to its :class:`Panel`.  Columns:
    panel, curve, n, events, the estimate at ``months`` ± Greenwood SE, the median with its
    95% CI (NR: not reached), and for a split the log-rank P and the Cox HR (95% CI).
    """
    rows = []
    for key, panel in panels.items():
        data = endpoint_data(cohort, panel.endpoint, panel.among)
        test = comparison(data, panel.split) if panel.split else {}
        s = summary(data, panel.split, months, population(panel))
        for i, row in enumerate(s.to_dict("records")):
            text = estimate_texts(row)
            rows.append({
                "Panel": "" if i else key, "Curve": row["label"], "n": row["n"],
                "Events": row["events"], f"{months:g}-month estimate ± SE": text["estimate"],
                "Median, months (95% CI)": text["median"].replace("95% CI ", "")
                .replace(" months", "").replace("not reached", "NR"),
                "Log-rank P": "" if i else test.get("p_text", ""),
                "HR (95% CI)": "" if i else test.get("hr_text", ""),
            })  # fmt: skip
    return pd.DataFrame(rows)


def time_ticks(tmax: float, max_ticks: int = 7) -> np.ndarray:
    """Evenly spaced ticks from 0 covering ``tmax`` (steps of 1, 2, 3, 6, 12, ... months).

    >>> time_ticks(28.5).tolist()
    [0.0, 6.0, 12.0, 18.0, 24.0, 30.0]
    """
    if not np.isfinite(tmax) or tmax <= 0:
        return np.array([0.0, 1.0])
    for step in (0.25, 0.5, 1, 2, 3, 6, 12, 24, 36, 60, 120, 240, 600, 1200):
        n = math.ceil(tmax / step - 1e-9)
        if n + 1 <= max_ticks:
            return np.arange(n + 1, dtype=float) * step
    step = 10 ** math.ceil(math.log10(tmax / (max_ticks - 1)))
    return np.arange(math.ceil(tmax / step) + 1, dtype=float) * step


def figure_data(cohort: pd.DataFrame, panel: Panel, ticks=None) -> pd.DataFrame:
    """Everything a Kaplan-Meier figure draws, in one tidy table.

    Parameters
    ----------
    cohort : pandas.DataFrame
    panel : Panel
    ticks : array-like, optional
        Time ticks of the x axis and of the risk table; default :func:`time_ticks` of the
        cohort's longest OS time, so that every survival figure of a cohort shares its axis.

    Returns
    -------
    pandas.DataFrame
        Rows with ``table`` = ``km`` (:func:`steps`), ``risk`` (:func:`risk_table`),
        ``summary`` (:func:`summary`) and, for a split, ``test`` (:func:`comparison`, with the
        ``text`` the figure prints), plus ``panel``, ``ylabel`` and ``population``.  Its CSV
        is the figure's source data.
    """
    data = endpoint_data(cohort, panel.endpoint, panel.among)
    pop = population(panel)
    tmax = float(cohort["os_months"].max()) if len(cohort) else 0.0
    ticks = time_ticks(tmax) if ticks is None else ticks
    parts = [
        steps(data, panel.split, pop).assign(table="km"),
        risk_table(data, panel.split, ticks, pop).assign(table="risk"),
        summary(data, panel.split, population=pop).assign(table="summary"),
    ]
    if panel.split is not None:
        c = comparison(data, panel.split)
        parts.append(pd.DataFrame([c]).assign(table="test", role="comparison"))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "table", out.pop("table"))
    return out.assign(panel=panel.title, ylabel=panel.ylabel, population=pop)
