"""Results of the survival chapter: the paper's Figures 1 and 2, follow-up, deaths and relapses.

The Kaplan-Meier panels come from :mod:`analysis.results.km`; every number is written by
:mod:`analysis.format`.  What cannot be estimated (an empty group, no events) is said in
words, and optional columns a centre's table may lack (``hsct_months``, ``relapse_site``,
...) give empty cells rather than errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config
from .. import format as fmt
from ..data import derive
from ..stats import proportions, survival
from . import km

__all__ = ["PANELS", "column", "response", "endpoint_texts", "sparse_text", "followup",
           "deaths_and_relapses", "events_table", "texts"]  # fmt: skip

_SPLITS = {"b": ("ph_positive", " by Ph status"), "c": ("high_blasts", " by marrow blasts"),
           "d": ("mrd_response", " by MRD response")}  # fmt: skip

#: The paper's Figures 1 (OS, every patient) and 2 (RFS, patients in CR), panels a-d, by endpoint.
PANELS: dict[str, dict[str, km.Panel]] = {
    end: {f"{fig}{letter}": km.Panel(end, split, title=km.YLABELS[end] + by)
          for letter, (split, by) in {"a": (None, ""), **_SPLITS}.items()}
    for fig, end in (("1", "os"), ("2", "rfs"))
}  # fmt: skip


def column(cohort: pd.DataFrame, name: str, kind: str = "number"):
    """An optional column as floats (``nan`` where missing) or, ``kind="text"``, stripped
    strings ("" where missing); a column the table lacks counts as all missing."""
    values = cohort[name] if name in cohort else pd.Series(np.nan, index=cohort.index)
    if kind == "text":
        return [v.strip() if isinstance(v, str) else "" for v in values]
    return pd.to_numeric(values, errors="coerce").to_numpy(float)


def response(flags: pd.DataFrame) -> list[str]:
    """Response to blinatumomab in words: "no CR", "CR, MRD response", "CR, no MRD response"."""
    return ["no CR" if not cr else "CR, MRD response" if mrd else "CR, no MRD response"
            for cr, mrd in zip(flags["cr"], flags["mrd_response"])]  # fmt: skip


def endpoint_texts(cohort: pd.DataFrame, endpoint: str) -> dict[str, str]:
    """Glue-ready text of an endpoint's panel a and its splits (panels b-d).

    Keys: ``n``, ``events``, ``censored``, ``at_risk`` (still followed at one year),
    ``estimate`` (one-year estimate ± Greenwood SE), ``median`` (with its 95% CI),
    ``p_<split>`` ("log-rank P = 0.023") and ``hr_<split>`` ("HR 0.19 (95% CI 0.04–0.91)"),
    as the figures print them, ``sparse`` (:func:`sparse_text`) and ``relapses``.
    """
    data = km.endpoint_data(cohort, endpoint)
    row = km.summary(data, population=km.population(km.Panel(endpoint))).iloc[0]
    at_risk = survival.at_risk_counts(data["time"], [config.HORIZON_MONTHS])[0]
    out = {"n": row["n"], "events": row["events"], "censored": row["n"] - row["events"],
           "at_risk": at_risk, **km.estimate_texts(row)}  # fmt: skip
    for split, _ in _SPLITS.values():
        p_line, hr_line = km.comparison(data, split)["text"].split("\n")
        out |= {f"p_{split}": p_line, f"hr_{split}": hr_line}
    out["sparse"] = sparse_text(cohort, PANELS[endpoint])
    out["relapses"] = int(data["relapse"].sum())
    return {k: str(v) for k, v in out.items()}


def sparse_text(cohort: pd.DataFrame, panels: dict) -> str:
    """A sentence naming each curve whose last event has fewer than ``km.SPARSE_AT_RISK``
    patients at risk, and whether that event sets the curve's median."""
    items = []
    for key, panel in panels.items():
        data = km.endpoint_data(cohort, panel.endpoint, panel.among)
        for r in km.summary(data, panel.split, population=km.population(panel)).itertuples():
            if not r.sparse:
                continue
            at = f"rests on {fmt.count_phrase(r.last_event_at_risk, 'patient')} at risk"
            what = (f"the median of the curve for {r.label}, {fmt.months(r.median)}"
                    if r.median == r.last_event else f"the last event of the curve for "
                    f"{r.label}, at {fmt.months(r.last_event)}")  # fmt: skip
            items.append(f"in panel {key} {what}, {at}")  # fmt: skip
    if not items:
        return f"Every curve's last event has at least {km.SPARSE_AT_RISK} patients at risk."
    return ("Some curves end on very few patients, and their tails are fragile: "
            + "; ".join(items) + ".")  # fmt: skip


def followup(cohort: pd.DataFrame) -> dict[str, str]:
    """Follow-up as the paper defines it and by the reverse Kaplan-Meier method.

    ``median``, ``min``, ``max``: median and range of every patient's observed time (death
    or last contact; Results, *Survival outcomes*: "11.0 months (range: 1.7-28.5)");
    ``reverse_km``: the median potential follow-up, deaths censored (Schemper and Smith).
    """
    data = derive.os_table(cohort)
    med, lo, hi = proportions.median_range(data["time"])
    out = {"median": fmt.number(med), "min": fmt.number(lo), "max": fmt.number(hi)}
    if data.empty:
        return out | {"reverse_km": "not estimable (no patients)"}
    rev = survival.reverse_km_median(data["time"], data["event"])
    missing = "not reached (every patient died)" if data["event"].all() else "not reached"
    return out | {"reverse_km": fmt.months(rev, missing=missing)}


def deaths_and_relapses(cohort: pd.DataFrame) -> pd.DataFrame:
    """Every patient who relapsed or died, in order of the first of the two.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``response`` (:func:`response`), ``hsct_months``, ``relapse_months``,
        ``relapse_site``, ``death_months`` (``nan`` if alive), ``cause_of_death``; months
        from the start of blinatumomab.
    """
    f = derive.flags(cohort)
    keep = (f["died"] | f["relapse"]).to_numpy()
    c, f = cohort[keep], f[keep]
    out = pd.DataFrame({
        "patient_id": c["patient_id"].astype(str).to_numpy(), "response": response(f),
        "hsct_months": column(c, "hsct_months"),
        "relapse_months": np.where(f["relapse"], column(c, "relapse_months"), np.nan),
        "relapse_site": column(c, "relapse_site", "text"),
        "death_months": np.where(f["died"], c["os_months"].astype(float), np.nan),
        "cause_of_death": np.where(f["died"], column(c, "cause_of_death", "text"), ""),
    })  # fmt: skip
    first = np.fmin(out["relapse_months"], out["death_months"])
    return out.iloc[np.lexsort((out["patient_id"], first))].reset_index(drop=True)


def events_table(cohort: pd.DataFrame, max_rows: int | None = 40) -> pd.DataFrame:
    """:func:`deaths_and_relapses` as shown: months with one decimal, "—" where none.

    Beyond ``max_rows`` patients a last row says how many more there are.
    """
    t = deaths_and_relapses(cohort)
    more = len(t) - max_rows if max_rows is not None and len(t) > max_rows else 0
    t = t.iloc[: len(t) - more]

    def event(months, what, missing, unknown):
        return [missing if fmt.is_missing(m) else f"{fmt.number(m)} ({w or unknown})"
                for m, w in zip(months, what)]  # fmt: skip

    out = pd.DataFrame({
        "Patient": t["patient_id"], "Response to blinatumomab": t["response"],
        "Allo-HSCT, month": [fmt.number(m) for m in t["hsct_months"]],
        "Relapse, month (site)": event(t["relapse_months"], t["relapse_site"], fmt.DASH,
                                       "site not recorded"),
        "Death, month (cause)": event(t["death_months"], t["cause_of_death"], "alive",
                                      "cause not recorded"),
    })  # fmt: skip
    if more:
        out.loc[len(out)] = [f"… and {more} more"] + [""] * (out.shape[1] - 1)
    return out


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Every glue-ready string of the survival chapter (glue as ``survival_<key>``)."""
    out = {f"{e}_{k}": v for e in ("os", "rfs") for k, v in endpoint_texts(cohort, e).items()}
    out |= {f"followup_{k}": v for k, v in followup(cohort).items()}
    out["n_listed"] = str(len(deaths_and_relapses(cohort)))
    return out
