"""Kaplan-Meier panels: the tidy tables every survival figure and table of the book draws; a
:class:`Panel` splits an endpoint by a flag into "comparison" (with it) and "reference" curves."""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..data import derive
from ..stats import survival

#: Labels and sentences of the survival chapters (``results/survival.yml``).
LABELS = yaml.safe_load((config.PACKAGE / "results" / "survival.yml").read_text("utf-8"))
SPLIT_LABELS, YLABELS = LABELS["split_labels"], LABELS["ylabels"]
#: A curve whose last event has fewer patients at risk than this has a fragile tail.
SPARSE_AT_RISK = 3
#: Censored patients are marked on the curves of panels of at most this many patients.
MARKS_MAX = 500


@dataclass(frozen=True)
class Panel:
    """``endpoint`` ("os": all; "rfs": those in CR), ``split`` (a flag or None), ``among`` (a
    flag restricting the patients), ``title``, ``landmark`` (only those followed beyond it)."""

    endpoint: str
    split: str | None = None
    among: str | None = None
    title: str = ""
    landmark: float | None = None

    @property
    def ylabel(self) -> str:
        return YLABELS[self.endpoint]


def endpoint_data(cohort: pd.DataFrame, endpoint: str, among=None, landmark=None):
    """``time`` and ``event`` of an endpoint joined with every flag, one row per patient."""
    if endpoint not in ("os", "rfs"):
        raise ValueError(f"unknown endpoint {endpoint!r}; use 'os' or 'rfs'")
    table = derive.os_table(cohort) if endpoint == "os" else derive.rfs_table(cohort)
    data = table.join(derive.flags(cohort), how="left")
    data = data[data[among].to_numpy(bool)] if among else data
    return data if landmark is None else data[data["time"].to_numpy(float) > landmark]


_Group = namedtuple("_Group", "role label short mask")


def groups(data: pd.DataFrame, split: str | None, population: str = "all patients"):
    """The curves of a panel: role, legend label, short label and row mask of each."""
    if split is None:
        return [_Group("all", population, population, np.ones(len(data), bool))]
    label = derive.FLAG_LABELS.get(split)
    (without, with_), (s0, s1) = SPLIT_LABELS.get(split, ((f"not {label}", label), ("no", "yes")))
    flag = data[split].to_numpy(bool)
    return [_Group("reference", without, s0, ~flag), _Group("comparison", with_, s1, flag)]


def population(panel: Panel) -> str:
    """Who a panel's patients are: "all patients", "patients in CR" or the ``among`` flag."""
    in_cr = panel.endpoint == "rfs" or panel.among == "cr"
    pop = "patients in CR" if in_cr else derive.FLAG_LABELS.get(panel.among, "all patients")
    return pop + (f" alive at {fmt.months(panel.landmark)}" if panel.landmark else "")


def steps(data: pd.DataFrame, split: str | None = None, population: str = "all patients"):
    """Each curve's Kaplan-Meier table (:func:`analysis.stats.survival.kaplan_meier`)."""
    return pd.concat([survival.kaplan_meier(data["time"][g.mask], data["event"][g.mask]).assign(
        role=g.role, label=g.label, n=int(g.mask.sum())) for g in groups(data, split, population)],
        ignore_index=True)  # fmt: skip


def risk_table(data: pd.DataFrame, split: str | None, at, population: str = "all patients"):
    """``role``, ``label``, ``time`` (each of ``at``), ``at_risk`` (time >= t, R's ``n.risk``),
    ``censored`` and ``events`` (before t) summed from each curve's lifelines event table."""
    at, parts = np.asarray(at, float), []
    for g in groups(data, split, population):
        km = survival.kaplan_meier(data["time"][g.mask], data["event"][g.mask])
        cum = np.vstack([[0, 0], km[["n_censored", "n_event"]].cumsum().to_numpy(int)])
        c, e = cum[np.searchsorted(km["time"].to_numpy(), at, "left")].T
        parts.append(pd.DataFrame(dict(role=g.role, label=g.short, time=at,
                     at_risk=g.mask.sum() - c - e, censored=c, events=e)))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def p_hr_lines(p, hr, lower, upper, test: str = "log-rank") -> tuple[str, str]:
    """ "log-rank P = 0.023", "HR 0.19 (95% CI 0.04–0.91)"; "not computable" for nan or inf."""
    hr, lower, upper = (x if np.isfinite(x) else math.nan for x in (hr, lower, upper))
    p_line = f"{test} P = {fmt.p_value(p)}".replace("= <", "<").replace("= —", "not computable")
    hr_line = f"HR {fmt.ratio_ci(hr, lower, upper)}".replace("(", "(95% CI ")
    return p_line, hr_line.replace("HR —", "HR not computable")


def comparison(data: pd.DataFrame, split: str) -> dict:
    """Log-rank test and Cox HR of a split: ``p_value``, ``statistic``, ``hr``, ``hr_lower``,
    ``hr_upper`` (nan if not computable), ``p_text``, ``hr_text``, ``text`` (:func:`p_hr_lines`)."""
    t, e, g = data["time"].to_numpy(float), data["event"].to_numpy(int), data[split].to_numpy(bool)
    lr = survival.logrank(t, e, g) if len(t) else survival.LogRankResult(math.nan, math.nan)
    hr = survival.hazard_ratio(t, e, g) if len(t) else survival.HazardRatio(*[math.nan] * 4)
    ci = [x if np.isfinite(x) else math.nan for x in (hr.ratio, hr.ci_lower, hr.ci_upper)]
    return {"p_value": lr.p_value, "statistic": lr.statistic, "hr": ci[0], "hr_lower": ci[1],
            "hr_upper": ci[2], "p_text": fmt.p_value(lr.p_value), "hr_text": fmt.ratio_ci(*ci),
            "text": "\n".join(p_hr_lines(lr.p_value, *ci))}  # fmt: skip


def summary(data, split=None, months: float = config.HORIZON_MONTHS, population="all patients"):
    """Per curve: ``role``, ``label``, ``n``, ``events``, ``survival``, ``se`` at ``months`` (%; nan
    if nobody is followed so long), ``median`` with ``_lower``, ``_upper`` (nan: not reached),
    ``last_event``, ``last_event_at_risk``, ``sparse`` (< :data:`SPARSE_AT_RISK`)."""
    rows = []
    for g in groups(data, split, population):
        t, e = data["time"].to_numpy(float)[g.mask], data["event"].to_numpy(int)[g.mask]
        km = survival.kaplan_meier(t, e)
        s, se = survival.survival_at(km, months)
        if len(t) and not (t.max() >= months or s == 0.0):
            s, se = math.nan, math.nan  # the estimate would be carried beyond the data
        last = km[km["n_event"] > 0].tail(1)
        at_last = int(last["n_at_risk"].sum())
        rows.append({"role": g.role, "label": g.label, "n": len(t), "events": int(e.sum()),
                     "survival": 100 * s, "se": 100 * se, "last_event_at_risk": at_last,
                     **dict(zip(("median", "median_lower", "median_upper"), km.attrs["median"])),
                     "last_event": float(last["time"].sum()) if len(last) else math.nan,
                     "sparse": len(last) > 0 and at_last < SPARSE_AT_RISK})  # fmt: skip
    return pd.DataFrame(rows)


def bands_overlap(steps: pd.DataFrame) -> bool:
    """Whether two curves' 95% bands overlap at a time after both curves' first event."""
    curves = [c for _, c in steps.groupby("role", sort=False) if c["n_event"].sum() > 0]
    if len(curves) != 2:
        return False
    t = np.union1d(*[c["time"] for c in curves])
    t = t[(t >= max(c.loc[c["n_event"] > 0, "time"].min() for c in curves))
          & (t <= min(c["time"].max() for c in curves))]  # fmt: skip
    (lo1, hi1), (lo2, hi2) = [c[["ci_lower", "ci_upper"]].to_numpy(float)[
        np.searchsorted(c["time"], t, "right") - 1].T for c in curves]  # fmt: skip
    return bool(((lo1 <= hi2) & (lo2 <= hi1)).any())


def time_ticks(tmax: float, max_ticks: int = 7) -> np.ndarray:
    """At most ``max_ticks`` evenly spaced ticks from 0 covering ``tmax`` (28.5: 0, 6, ... 30)."""
    if not np.isfinite(tmax) or tmax <= 0:
        return np.array([0.0, 1.0])
    fit = [s for s in (0.25, 0.5, 1, 2, 3, 6, 12, 24, 60, 120) if tmax / s - 1e-9 < max_ticks]
    step = fit[0] if fit else 10 ** math.ceil(math.log10(tmax / (max_ticks - 1)))
    return np.arange(math.ceil(tmax / step - 1e-9) + 1, dtype=float) * step


def figure_data(cohort: pd.DataFrame, panel: Panel, ticks=None) -> pd.DataFrame:
    """Everything a figure draws, by ``table``: ``km`` (:func:`steps`), ``risk`` (at ``ticks``,
    default :func:`time_ticks` of the longest OS), ``summary`` (with ``own_panel``, i.e.
    :func:`bands_overlap`, and ``marks``, i.e. n <= :data:`MARKS_MAX`), ``test`` (a split's)."""
    data = endpoint_data(cohort, panel.endpoint, panel.among, panel.landmark)
    pop, tmax = population(panel), float(cohort["os_months"].max()) if len(cohort) else 0.0
    km, ticks = steps(data, panel.split, pop), time_ticks(tmax) if ticks is None else ticks
    s = summary(data, panel.split, population=pop)
    s = s.assign(own_panel=bands_overlap(km), marks=len(data) <= MARKS_MAX)
    parts = [km.assign(table="km"), risk_table(data, panel.split, ticks, pop).assign(table="risk"),
             s.assign(table="summary")]  # fmt: skip
    if panel.split is not None:
        test = pd.DataFrame([comparison(data, panel.split)])
        parts.append(test.assign(table="test", role="comparison"))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "table", out.pop("table"))
    return out.assign(panel=panel.title, ylabel=panel.ylabel, population=pop)


def estimate_texts(row) -> dict[str, str]:
    """Glue-ready ``estimate`` ± SE and ``median`` (95% CI) of one :func:`summary` row."""
    if row["n"] == 0:
        return dict.fromkeys(("estimate", "median"), "not estimable (no patients)")
    estimate = fmt.estimate_se(row["survival"], row["se"]).replace(
        fmt.DASH, f"not estimable (nobody followed for {fmt.months(config.HORIZON_MONTHS, 0)})"
    )
    lims = [fmt.months(row[k], 1).removesuffix(" months") for k in ("median_lower", "median_upper")]
    ci = "" if lims == ["not reached"] * 2 else f" (95% CI {'–'.join(lims)})"
    return {"estimate": estimate, "median": fmt.months(row["median"]) + ci}  # fmt: skip


def medians_text(summary: pd.DataFrame) -> str:
    """Each curve's median (95% CI) in words, from a :func:`summary`."""
    rows = summary.to_dict("records")
    return " and ".join(f"{estimate_texts(r)['median']} for {r['label']}" for r in rows)


def sentence(key: str, variant: str | None = None, **fields) -> str:
    """The template ``key`` (its ``variant``) of ``sentences`` in ``survival.yml``, filled."""
    template = LABELS["sentences"][key]
    return (template[variant] if variant else template).format(**fields)


def for_this_build(key: str) -> str:
    """Sentence ``key`` in its variant for this build's data: "reconstruction" or "other"."""
    return sentence(key, "reconstruction" if config.uses_reconstruction() else "other")


def figure_note(fd: pd.DataFrame) -> str:
    """The computed end of a figure's caption: fragile tails, own panels, marks, provenance."""
    s = fd[fd["table"] == "summary"]
    notes = [sentence("sparse_median" if r.median == r.last_event else "sparse_last",
                      label=r.label, months=fmt.months(r.last_event),
                      at_risk=fmt.count_phrase(r.last_event_at_risk, "patient"))
             for r in s.itertuples() if r.sparse]  # fmt: skip
    out = [sentence("fragile", notes="; ".join(notes))] if notes else []
    if s["own_panel"].any():
        out.append(sentence("own_panel", labels=", then ".join(s["label"])))
    if not s["marks"].all():
        out.append(sentence("no_marks", max=MARKS_MAX))
    return " ".join(out + [for_this_build("provenance")])


def panel_table(cohort: pd.DataFrame, panels: dict, months: float = config.HORIZON_MONTHS):
    """The numbers behind ``{name: Panel}``, one row per curve: panel, curve, n, events, the
    estimate at ``months`` ± Greenwood SE, the median (95% CI; NR: not reached) and, for a
    split, the log-rank P and the Cox HR (95% CI)."""
    rows = []
    for key, p in panels.items():
        data = endpoint_data(cohort, p.endpoint, p.among, p.landmark)
        test = comparison(data, p.split) if p.split else {}
        for i, row in enumerate(summary(data, p.split, months, population(p)).to_dict("records")):
            text = estimate_texts(row)
            median = text["median"].replace("95% CI ", "").replace(" months", "")
            rows.append({"Panel": "" if i else key, "Curve": row["label"], "n": row["n"],
                         "Events": row["events"], f"{months:g}-month estimate ± SE":
                         text["estimate"], "Median, months (95% CI)": median.replace(
                         "not reached", "NR"), "Log-rank P": "" if i else test.get("p_text", ""),
                         "HR (95% CI)": "" if i else test.get("hr_text", "")})  # fmt: skip
    return pd.DataFrame(rows)
