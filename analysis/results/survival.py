"""Results of the survival chapter (Figures 1 and 2, follow-up, OS by MRD response and responder
bias, deaths and relapses) and helpers for optional columns the transplant chapter shares."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import config
from .. import format as fmt
from ..data import derive
from ..stats import proportions, survival
from . import km

#: The paper's Figures 1 (OS) and 2 (RFS), panels a-d, by endpoint (``survival.yml``).
PANELS: dict[str, dict[str, km.Panel]] = {
    end: {k: km.Panel(**v) for k, v in panels.items()}
    for end, panels in km.LABELS["panels"]["survival"].items()
}


def mrd_response_day(cycles) -> np.ndarray:
    """Day an MRD response is dated (our reading): the assessment "within two weeks after" the
    infusion (Materials and methods) of the last cycle it can follow, cycle ``min(cycles, 2)``."""
    last = np.clip(np.asarray(cycles, float), 1, config.MRD_RESPONSE_CYCLES)
    last = np.nan_to_num(last, nan=config.MRD_RESPONSE_CYCLES)  # cycles not recorded: the latest
    return (last - 1) * config.CYCLE_DAYS + config.INFUSION_DAYS + config.MRD_ASSESSMENT_DAYS


#: The latest day a response can be dated (after the second cycle), the MRD landmark; in months.
MRD_DAYS = int(mrd_response_day(config.MRD_RESPONSE_CYCLES))
MRD_LANDMARK = MRD_DAYS / config.DAYS_PER_MONTH
#: OS by MRD response as the paper compares it (1d), from the landmark on, and within CR.
MRD_PANELS = {"1d": PANELS["os"]["1d"],
              "landmark": km.Panel("os", "mrd_response", landmark=MRD_LANDMARK),
              "in CR": km.Panel("os", "mrd_response", "cr")}  # fmt: skip


def column(cohort: pd.DataFrame, name: str, kind: str = "number"):
    """An optional column as floats (nan if missing) or ``kind="text"`` strings ("" if missing)."""
    values = cohort[name] if name in cohort else pd.Series(np.nan, index=cohort.index)
    if kind == "text":
        return [v.strip() if isinstance(v, str) else "" for v in values]
    return pd.to_numeric(values, errors="coerce").to_numpy(float)


def recorded(cohort: pd.DataFrame, *names: str) -> bool:
    """Whether each named column has a value (text or number) for at least one patient."""
    has = [any(column(cohort, c, "text")) or np.isfinite(column(cohort, c)).any() for c in names]
    return all(has)


def join(items) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    *head, last = list(items) or [""]
    return f"{', '.join(head)} and {last}" if head else last


def not_recorded(cohort: pd.DataFrame, chapter: str) -> str:
    """The optional columns a chapter uses that have no value, and what it therefore omits."""
    uses = km.LABELS["not_recorded"][chapter]
    if not (lacking := [c for c in uses if not recorded(cohort, c)]):
        return km.sentence("not_recorded", "none", columns=join(uses))
    return km.sentence("not_recorded", "some", columns=join(lacking),
                       what=join(uses[c] for c in lacking))  # fmt: skip


def truncate(table: pd.DataFrame, max_rows: int | None) -> pd.DataFrame:
    """A listing's first ``max_rows`` rows; ``attrs["note"]``: how many, and whose data."""
    short = table if max_rows is None or len(table) <= max_rows else table.iloc[:max_rows]
    more = f"The first {len(short)} of {len(table)} rows. " if len(short) < len(table) else ""
    short.attrs["note"] = more + km.for_this_build("provenance")
    return short


def course(cohort: pd.DataFrame, flags: pd.DataFrame) -> dict[str, list[str]]:
    """Each patient's response, relapse (month, site) and death (month, cause) as shown."""
    rel, months = column(cohort, "relapse_months"), cohort["os_months"].astype(float)
    site, cause = column(cohort, "relapse_site", "text"), column(cohort, "cause_of_death", "text")
    return {
        "Response to blinatumomab": ["no CR" if not cr else f"CR, {'' if m else 'no '}MRD response"
                                     for cr, m in zip(flags["cr"], flags["mrd_response"])],
        "Relapse, month (site)": [f"{fmt.number(m)} ({s or 'site not recorded'})" if r else
                                  fmt.DASH for m, r, s in zip(rel, flags["relapse"], site)],
        "Death, month (cause)": [f"{fmt.number(m)} ({s or 'cause not recorded'})" if d else
                                 f"alive at {fmt.number(m)}"
                                 for m, d, s in zip(months, flags["died"], cause)],
    }  # fmt: skip


def endpoint_texts(cohort: pd.DataFrame, endpoint: str) -> dict[str, str]:
    """Glue-ready ``n``, ``events``, ``censored``, ``at_risk`` (at one year), ``estimate`` (± SE),
    ``median`` (95% CI), ``relapses``, ``p_<split>`` and ``hr_<split>`` of an endpoint."""
    data = km.endpoint_data(cohort, endpoint)
    row = km.summary(data, population=km.population(km.Panel(endpoint))).iloc[0]
    out = {"n": row["n"], "events": row["events"], "censored": row["n"] - row["events"],
           "at_risk": survival.at_risk_counts(data["time"], [config.HORIZON_MONTHS])[0],
           "relapses": int(data["relapse"].sum()), **km.estimate_texts(row)}  # fmt: skip
    for split in (p.split for p in PANELS[endpoint].values() if p.split):
        p_line, hr_line = km.comparison(data, split)["text"].split("\n")
        out |= {f"p_{split}": p_line, f"hr_{split}": hr_line}
        out[f"medians_{split}"] = km.medians_text(km.summary(data, split))
    return {k: str(v) for k, v in out.items()}


def followup(cohort: pd.DataFrame) -> dict[str, str]:
    """``median``, ``min``, ``max`` of every patient's observed time (our reading of the
    paper's follow-up) and ``reverse_km``, the median potential follow-up (Schemper and Smith)."""
    t, e = derive.os_table(cohort).T.to_numpy()
    out = dict(zip(("median", "min", "max"), map(fmt.number, proportions.median_range(t))))
    rev = survival.reverse_km_median(t, e) if len(t) else math.nan
    missing = "not estimable (no patients)" if not len(t) else "not reached" + (
        " (every patient died)" if e.all() else "")  # fmt: skip
    return out | {"reverse_km": fmt.months(rev, missing=missing)}


def mrd_periods(cohort: pd.DataFrame) -> pd.DataFrame:
    """OS as counting-process rows (``start``, ``stop``, ``event``, ``responder``): a responder
    counts as a non-responder until the response is dated (:func:`mrd_response_day`)."""
    d = km.endpoint_data(cohort, "os")
    dated = mrd_response_day(cohort.loc[d.index, "cycles"].astype(float)) / config.DAYS_PER_MONTH
    late = d["mrd_response"].to_numpy(bool) & (d["time"].to_numpy(float) > dated)
    before = d.assign(start=0.0, stop=np.where(late, dated, d["time"]),
                      event=np.where(late, 0, d["event"]), responder=False)  # fmt: skip
    after = d[late].assign(start=dated[late], stop=d["time"][late], responder=True)
    periods = pd.concat([before, after], ignore_index=True)
    return periods[["start", "stop", "event", "responder"]]


def grouped(verdicts: dict[str, str], preposition: str) -> str:
    """``{"A": "significant", "B": "not significant", "C": "significant"}``, "in": "significant in
    A and C and not significant in B"."""
    return join(f"{v} {preposition} {join(k for k in verdicts if verdicts[k] == v)}"
                for v in dict.fromkeys(verdicts.values()))  # fmt: skip


def mrd_tests(cohort: pd.DataFrame) -> dict[str, dict]:
    """OS by MRD response: :func:`km.comparison` of each of :data:`MRD_PANELS`; ``td``, response
    as a time-dependent state (:func:`mrd_periods`): Mantel-Byar test, time-varying Cox HR, and
    ``sm``, the Simon-Makuch estimates at one year by state."""
    out = {k: km.comparison(km.endpoint_data(cohort, p.endpoint, p.among, p.landmark), p.split)
           for k, p in MRD_PANELS.items()}  # fmt: skip
    periods = mrd_periods(cohort).T.to_numpy()
    lr, hr = survival.mantel_byar(*periods)
    sm = survival.simon_makuch(*periods)
    sm = sm[sm["time"] <= config.HORIZON_MONTHS].groupby("group")["survival"].last()
    text = km.p_hr_lines(lr.p_value, hr.ratio, hr.ci_lower, hr.ci_upper, "Mantel-Byar")
    return out | {"td": {"p_value": lr.p_value, "hr": hr.ratio, "text": "\n".join(text),
                         "sm": sm.to_dict()}}  # fmt: skip


def verdict(p: float) -> str:
    """ "significant" (P < alpha), "not significant" or "not computable"."""
    return "not computable" if np.isnan(p) else "not " * (p >= config.ALPHA) + "significant"


def mrd_texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of :func:`mrd_tests` and the sentences of its findings (``mrd_...``)."""
    os_, tests = km.endpoint_data(cohort, "os"), mrd_tests(cohort)
    early = os_["time"].to_numpy(float) <= MRD_LANDMARK
    kept = "everyone" if not early.any() else "deaths" if os_["event"][early].any() else "censored"
    names = km.LABELS["sentences"]["mrd_analyses"]
    held = grouped({v: verdict(tests[k]["p_value"]) for k, v in names.items()}, "in")
    finding = verdict(tests["1d"]["p_value"])
    if finding == "significant":
        finding = "longer" if tests["1d"]["hr"] < 1 else "shorter"
    sm = {f"mrd_sm_{k}": 100 * tests["td"]["sm"].get(g, np.nan)
          for k, g in (("resp", True), ("nonresp", False))}  # fmt: skip
    return {f"mrd_{k.replace(' ', '_')}_{x}": v for k, t in tests.items()
            for x, v in zip(("p", "hr"), t["text"].split("\n"))} | {  # fmt: skip
        "mrd_day": str(MRD_DAYS), "mrd_landmark": fmt.months(MRD_LANDMARK),
        "mrd_day_first": str(int(mrd_response_day(1))),
        "mrd_kept": km.sentence("mrd_kept", kept, kept=int((~early).sum()), n=len(os_),
                                early=fmt.count_phrase(int(early.sum()), "patient")),
        "mrd_finding": km.sentence("mrd_finding", finding),
        "mrd_conclusion": km.sentence("mrd_conclusion", held=held),
        "mrd_no_cr": str(int((~os_["cr"]).sum())), **{f"mrd_{k.replace(' ', '_')}_medians":
            km.medians_text(km.summary(km.endpoint_data(cohort, p.endpoint, p.among, p.landmark),
                                       p.split)) for k, p in MRD_PANELS.items()},
        **{k: "not estimable" if np.isnan(v) else f"{fmt.number(v)}%" for k, v in sm.items()},
    }  # fmt: skip


def events_table(cohort: pd.DataFrame, max_rows: int | None = 40) -> pd.DataFrame:
    """Every patient who relapsed or died, by the first of the two, as shown (:func:`course`, the
    month of transplant); ``attrs``: ``n`` (patients), ``note`` (:func:`truncate`)."""
    f = derive.flags(cohort)
    rel = np.where(f["relapse"], column(cohort, "relapse_months"), np.nan)
    first = np.fmin(rel, np.where(f["died"], cohort["os_months"].astype(float), np.nan))
    c = course(cohort, f)
    out = pd.DataFrame({"Patient": cohort["patient_id"].astype(str).to_numpy(),
                        "Response to blinatumomab": c.pop("Response to blinatumomab"),
                        "Allo-HSCT, month": [fmt.number(m) for m in column(cohort, "hsct_months")],
                        **c})  # fmt: skip
    keep = (f["died"] | f["relapse"]).to_numpy()
    out = out[keep].iloc[np.lexsort((out["Patient"][keep], first[keep]))]
    out = truncate(out.reset_index(drop=True), max_rows)
    out.attrs["n"] = int(keep.sum())
    return out


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Every glue-ready string of the survival chapter (glue as ``survival_<key>``)."""
    out = {f"{e}_{k}": v for e in ("os", "rfs") for k, v in endpoint_texts(cohort, e).items()}
    events = events_table(cohort)
    return out | {f"followup_{k}": v for k, v in followup(cohort).items()} | mrd_texts(cohort) | {
        "n_listed": str(events.attrs["n"]), "not_recorded": not_recorded(cohort, "survival"),
        "events_caption": events.attrs["note"],
        "by_construction": km.for_this_build("by_construction")}  # fmt: skip
