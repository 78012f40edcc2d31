"""Sensitivity analyses: what changes when the paper's methods or unknowns change.

- :func:`response_cis`: the response rates' exact, Wilson and Jeffreys intervals;
- :func:`followup`: median follow-up three ways, with the reverse Kaplan-Meier median;
- :func:`competing_risks`: relapse and death in remission as competing risks (Aalen-Johansen);
- :func:`transplant_comparison`, :func:`landmark_figure_data`,
  :func:`simon_makuch_figure_data`: transplant as a state entered during follow-up
  (landmark, Mantel-Byar with a Cox hazard ratio, Simon-Makuch curves) against the paper's
  Figure 3, whose transplant group holds immortal time;
- :mod:`analysis.results.robustness`: these quantities on other reconstructions.

Every estimate comes from :mod:`analysis.stats`; this module builds data and tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config
from .. import format as fmt
from ..data import derive
from ..paper import load_ledger
from ..stats import proportions, survival
from . import km

__all__ = ["CI_METHODS", "LANDMARK", "response_cis", "ci_table", "ci_texts", "followup",
           "followup_texts", "followup_table", "competing_risks_data", "competing_risks",
           "competing_risks_summary", "competing_risks_texts", "transplant_periods",
           "landmark_data", "median_transplant_time", "immortal_time", "transplant_comparison",
           "transplant_table", "transplant_texts", "landmark_figure_data",
           "simon_makuch_figure_data"]  # fmt: skip

#: Interval methods compared (:func:`analysis.stats.proportions.proportion_ci`).
CI_METHODS = ("exact", "wilson", "jeffreys")
#: The landmark of the text and of the robustness analysis, months.
LANDMARK = 3.0
NAN = float("nan")
_HSCT = "hsct_first_remission"


def _step(table: pd.DataFrame, column: str, at) -> np.ndarray:
    """A right-continuous step function tabulated at ``table.time``, read at ``at``."""
    i = np.searchsorted(table["time"].to_numpy(), np.atleast_1d(at), side="right") - 1
    return np.where(i >= 0, table[column].to_numpy(float)[np.maximum(i, 0)], NAN)


def response_cis(cohort: pd.DataFrame, methods=CI_METHODS) -> pd.DataFrame:
    """CR among overt disease (12/15), MRD response (12/19) and CR (16/19) by each method.

    Returns
    -------
    pandas.DataFrame
        ``key``, ``rate``, ``k``, ``n``, ``percent``, ``method``, ``method_label``,
        ``ci_lower``, ``ci_upper``, ``width`` (percent; ``nan`` when ``n`` is 0).
    """
    f = derive.flags(cohort)
    cr, overt, mrd = (f[c].to_numpy() for c in ("cr", "overt", "mrd_response"))
    rates = [
        ("cr_overt", "CR, patients with overt disease", cr & overt, overt),
        ("mrd_all", "MRD response, all patients", mrd, f["all"]),
        ("cr_all", "CR, all patients", cr, f["all"]),
    ]
    rows = []
    for key, rate, k, n in rates:
        k, n = int(k.sum()), int(n.sum())
        for m in methods:
            lo, hi = (100 * x for x in proportions.proportion_ci(k, n, m)) if n else (NAN, NAN)
            label = proportions.CI_METHODS[m]
            rows.append((key, rate, k, n, 100 * k / n if n else NAN, m, label, lo, hi, hi - lo))
    columns = ["key", "rate", "k", "n", "percent", "method", "method_label", "ci_lower",
               "ci_upper", "width"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def ci_table(cis: pd.DataFrame) -> pd.DataFrame:
    """:func:`response_cis` as shown: a row per rate, ``k/n`` and an interval per method."""
    view = cis.assign(interval=[fmt.ci(a, b) for a, b in zip(cis["ci_lower"], cis["ci_upper"])],
                      **{"k/n": cis["k"].astype(str) + "/" + cis["n"].astype(str)})  # fmt: skip
    wide = view.pivot(index=["rate", "k/n"], columns="method_label", values="interval")
    order = pd.MultiIndex.from_frame(view[["rate", "k/n"]].drop_duplicates())
    wide = wide.reindex(index=order, columns=view["method_label"].unique())
    return wide.reset_index().rename_axis(columns=None)


def ci_texts(cis: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text: counts, percentages, each interval's limits and width
    (``cr_overt_wilson_ci_lower``), the lowest CR limit and the largest shift from exact."""
    out = {}
    for r in cis.itertuples():
        out.update({f"{r.key}_k": str(r.k), f"{r.key}_n": str(r.n),
                    f"{r.key}_percent": fmt.number(r.percent),
                    **{f"{r.key}_{r.method}_{c}": fmt.number(getattr(r, c))
                       for c in ("ci_lower", "ci_upper", "width")}})  # fmt: skip
    limits = cis.set_index(["method", "key"])[["ci_lower", "ci_upper"]]
    shift = (limits - limits.loc["exact"]).abs().max().max()
    lowest = cis.loc[cis["key"] == "cr_overt", "ci_lower"].min()
    out.update({"cr_lowest_lower": fmt.number(lowest), "ci_max_shift": fmt.number(shift),
                "cr_above_half": "above" if lowest > 50 else "not above"})  # fmt: skip
    return out


def followup(cohort: pd.DataFrame) -> pd.DataFrame:
    """Median follow-up: of every observed time (the paper's), of survivors, and by reverse
    Kaplan-Meier (Schemper and Smith 1996): ``method``, ``months``, ``n`` (patients used),
    indexed by ``observed``, ``survivors``, ``reverse_km``."""
    os_ = derive.os_table(cohort)
    t, e = os_["time"].to_numpy(float), os_["event"].to_numpy(int)
    rows = [("observed", "median of observed times, deaths included (the paper)",
             proportions.median_range(t)[0], len(t)),
            ("survivors", "median among patients alive at last contact",
             proportions.median_range(t[e == 0])[0], int((e == 0).sum())),
            ("reverse_km", "reverse Kaplan-Meier median potential follow-up",
             survival.reverse_km_median(t, e) if len(t) else NAN, len(t))]  # fmt: skip
    return pd.DataFrame(rows, columns=["key", "method", "months", "n"]).set_index("key")


def followup_texts(table: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of :func:`followup`: ``followup_<key>`` (months) and ``_n``, and the
    paper's ``followup_printed``."""
    out = {"followup_printed": load_ledger().set_index("id").loc["followup_median", "printed"]}
    for key, r in table.iterrows():
        out.update({f"followup_{key}": fmt.number(r["months"]), f"followup_{key}_n": str(r["n"])})
    return out


def followup_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`followup` as shown (months unrounded: format with :func:`analysis.format.number`)."""
    return table.rename(columns={"months": "median (months)", "n": "patients"}).reset_index(
        drop=True
    )


def competing_risks_data(cohort: pd.DataFrame) -> pd.DataFrame:
    """RFS of the patients in CR by cause: ``time`` and ``cause`` (1 relapse, 2 death in
    remission, 0 censored); an RFS event is a relapse if one is recorded by its time."""
    rfs = derive.rfs_table(cohort)
    sub = cohort.loc[rfs.index]
    rel = np.nan_to_num(sub["relapse_months"].to_numpy(float), nan=np.inf)
    relapse = derive.as_bool(sub["relapse"]) & (rel <= rfs["time"].to_numpy() + 1e-9)
    ev = rfs["event"].to_numpy() == 1
    return rfs[["time"]].assign(cause=np.where(ev & relapse, 1, np.where(ev, 2, 0)))


#: Curves of :func:`competing_risks`: label, role (colour) and the causes they count.
_CURVES = {
    "one_minus_rfs": ("1 − relapse-free survival", "all", (1, 2)),
    "relapse": ("relapse (Aalen-Johansen)", "comparison", (1,)),
    "nrm": ("death in remission (Aalen-Johansen)", "third", (2,)),
    "naive_relapse": ("relapse, 1 − Kaplan-Meier (deaths censored)", "fourth", (1,)),
}


def competing_risks(cohort: pd.DataFrame) -> pd.DataFrame:
    """Cumulative incidence of relapse and of non-relapse mortality among patients in CR, in
    long form (``curve``, ``label``, ``role``, ``time``, ``value``): ``relapse`` and ``nrm``
    (Aalen-Johansen), ``one_minus_rfs`` (their sum) and ``naive_relapse`` (1 - Kaplan-Meier
    with deaths in remission censored, which overstates relapse)."""
    d = competing_risks_data(cohort)
    table = survival.cumulative_incidence(d["time"], d["cause"], {1: "relapse", 2: "nrm"})
    for name in ("one_minus_rfs", "naive_relapse"):
        event = d["cause"].isin(_CURVES[name][2]).astype(int)
        steps = survival.kaplan_meier(d["time"], event)
        table[f"cif_{name}"] = 1 - _step(steps, "survival", table["time"])
    curves = [
        pd.DataFrame(
            {
                "curve": k,
                "label": label,
                "role": role,
                "time": table["time"],
                "value": table[f"cif_{k}"],
            }
        )  # fmt: skip
        for k, (label, role, _) in _CURVES.items()
    ]
    return pd.concat(curves, ignore_index=True)


def competing_risks_summary(cohort: pd.DataFrame, months: float = config.HORIZON_MONTHS):
    """Each curve of :func:`competing_risks` at ``months``: ``estimate`` (percent) and
    ``events`` (at any time), indexed by ``curve``."""
    curves, cause = competing_risks(cohort), competing_risks_data(cohort)["cause"]
    rows = [(k, 100 * _step(c, "value", months)[0], int(cause.isin(_CURVES[k][2]).sum()))
            for k, c in curves.groupby("curve", sort=False)]  # fmt: skip
    return pd.DataFrame(rows, columns=["curve", "estimate", "events"]).set_index("curve")


def competing_risks_texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text: each curve of :func:`competing_risks_summary` at one year
    (``cif_<curve>``, percent) and its ``_events``, the 1-year RFS and the patients in CR."""
    table = competing_risks_summary(cohort)
    out = {"cr_n": str(len(derive.rfs_table(cohort))),
           "rfs_1y": fmt.number(100 - table.loc["one_minus_rfs", "estimate"])}  # fmt: skip
    for key, r in table.iterrows():
        out.update({f"cif_{key}": fmt.number(r["estimate"]), f"cif_{key}_events": str(r["events"])})
    return out


def transplant_periods(cohort: pd.DataFrame, endpoint: str = "os") -> pd.DataFrame:
    """Patients in CR as periods ``(start, stop]`` with ``event`` at ``stop`` and
    ``transplanted``: a transplant in first remission at ``h`` before the end of follow-up
    ``T`` splits it into ``(0, h]`` untransplanted and ``(h, T]`` transplanted."""
    d = km.endpoint_data(cohort, endpoint, "cr")
    ids = cohort.loc[d.index, "patient_id"].astype(str)
    h = cohort.loc[d.index, "hsct_months"].to_numpy(float)
    rows = []
    for pid, t, e, s, at in zip(ids, d["time"], d["event"], d[_HSCT], h):
        if s and 0 < at < t:
            rows += [(pid, 0.0, at, 0, False), (pid, at, t, e, True)]
        else:
            rows.append((pid, 0.0, t, e, bool(s and at <= 0)))
    cols = ["patient_id", "start", "stop", "event", "transplanted"]
    return pd.DataFrame(rows, columns=cols).astype({"start": float, "stop": float, "event": int})


def landmark_data(cohort: pd.DataFrame, at: float = LANDMARK, endpoint: str = "os"):
    """Patients in CR alive, relapse-free and followed at ``at``, timed from it.

    Rows of :func:`analysis.results.km.endpoint_data`, so that :mod:`analysis.results.km`
    applies, with ``time`` since the landmark and ``hsct_first_remission`` meaning
    transplanted in first remission *by* the landmark (Anderson et al., J Clin Oncol 1983).
    """
    rfs = derive.rfs_table(cohort)
    d = km.endpoint_data(cohort, endpoint).loc[rfs.index[rfs["time"].to_numpy() > at]]
    h = np.nan_to_num(cohort.loc[d.index, "hsct_months"].to_numpy(float), nan=np.inf)
    return d.assign(time=d["time"] - at, **{_HSCT: d[_HSCT] & (h <= at)})


def median_transplant_time(cohort: pd.DataFrame) -> float:
    """Median months from the start of blinatumomab to a transplant in first remission."""
    return proportions.median_range(cohort.loc[derive.flags(cohort)[_HSCT], "hsct_months"])[0]


def immortal_time(cohort: pd.DataFrame) -> float:
    """Person-months before transplant that Figure 3 credits to the transplant group."""
    return float(cohort.loc[derive.flags(cohort)[_HSCT], "hsct_months"].astype(float).sum())


def transplant_comparison(cohort: pd.DataFrame, landmarks=None) -> pd.DataFrame:
    """Naive (Figure 3), landmark (default: at the median time to transplant and at
    :data:`LANDMARK`) and Mantel-Byar comparisons of transplant, for OS and RFS: patients and
    events per group (Mantel-Byar: per state), Cox ``hr`` (95% CI) of transplanted against
    not (time-varying for Mantel-Byar) and log-rank ``p_value``."""
    if landmarks is None:
        landmarks = [median_transplant_time(cohort), LANDMARK]
    landmarks = [x for x in dict.fromkeys(round(float(x), 6) for x in landmarks) if np.isfinite(x)]
    rows = []
    for ep in ("os", "rfs"):
        groups = [("naive (Figure 3)", NAN, km.endpoint_data(cohort, ep, "cr"))]
        groups += [("landmark", x, landmark_data(cohort, x, ep)) for x in landmarks]
        for name, at, d in groups:
            g, e = d[_HSCT].to_numpy(bool), d["event"].to_numpy(int)
            c = km.comparison(d, _HSCT)
            rows.append((name, ep, at, (~g).sum(), g.sum(), e[~g].sum(), e[g].sum(), c["hr"],
                         c["hr_lower"], c["hr_upper"], c["p_value"]))  # fmt: skip
        p = transplant_periods(cohort, ep)
        g, e = p["transplanted"].to_numpy(bool), p["event"].to_numpy(int)
        test, hr = survival.mantel_byar(p["start"], p["stop"], e, g)
        n_none = p.loc[~g, "patient_id"].nunique()  # everyone starts untransplanted
        rows.append(("Mantel-Byar", ep, NAN, n_none, g.sum(), e[~g].sum(), e[g].sum(), hr.ratio,
                     hr.ci_lower, hr.ci_upper, test.p_value))  # fmt: skip
    columns = ["analysis", "endpoint", "landmark", "n_none", "n_transplant", "events_none",
               "events_transplant", "hr", "hr_lower", "hr_upper", "p_value"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def transplant_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`transplant_comparison` as shown (each endpoint named once)."""
    c = comparison
    pair = lambda a, b: c[a].astype(str) + " / " + c[b].astype(str)  # noqa: E731
    return pd.DataFrame({
        "endpoint": c["endpoint"].str.upper().where(~c["endpoint"].duplicated(), ""),
        "analysis": [a if a != "landmark" else f"landmark, {fmt.months(x)}"
                     for a, x in zip(c["analysis"], c["landmark"])],
        "patients (no HSCT / HSCT)": pair("n_none", "n_transplant"),
        "events (no HSCT / HSCT)": pair("events_none", "events_transplant"),
        "HR (95% CI)": [fmt.ratio_ci(*r) for r in c[["hr", "hr_lower", "hr_upper"]].to_numpy()],
        "log-rank P": c["p_value"].map(fmt.p_value)})  # fmt: skip


def transplant_texts(cohort: pd.DataFrame, comparison: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text: ``<analysis>_<endpoint>_p`` and ``_hr`` (analysis ``naive``, ``lm3``
    at :data:`LANDMARK`, ``lmmedian``, ``mb``), group sizes and the verdict."""
    short = {"naive (Figure 3)": "naive", "Mantel-Byar": "mb"}
    names = [short.get(a) or ("lm3" if x == LANDMARK else "lmmedian")
             for a, x in zip(comparison["analysis"], comparison["landmark"])]  # fmt: skip
    c = comparison.assign(name=names)
    out = {}
    for r in c.itertuples():
        out[f"{r.name}_{r.endpoint}_p"] = fmt.p_value(r.p_value)
        out[f"{r.name}_{r.endpoint}_hr"] = fmt.ratio_ci(r.hr, r.hr_lower, r.hr_upper)
    naive, lm = (c[(c["name"] == k) & (c["endpoint"] == "os")].iloc[0] for k in ("naive", "lm3"))
    n_cr, n_lm = naive["n_none"] + naive["n_transplant"], lm["n_none"] + lm["n_transplant"]
    k = int((c["p_value"] < config.ALPHA).sum())
    verdict = "None of these comparisons is" if k == 0 else f"{k} of these {len(c)} comparisons are"
    return {**out, "hsct_n": str(naive["n_transplant"]),
            "transplant_events": str(naive["events_none"] + naive["events_transplant"]),
            "hsct_median": fmt.number(median_transplant_time(cohort)),
            "immortal": fmt.number(immortal_time(cohort)), "landmark_at": fmt.number(LANDMARK, 0),
            "landmark_n_none": str(lm["n_none"]), "landmark_n_hsct": str(lm["n_transplant"]),
            "landmark_excluded": str(n_cr - n_lm), "transplant_verdict": verdict}  # fmt: skip


def landmark_figure_data(cohort: pd.DataFrame, at: float = LANDMARK, endpoint: str = "os"):
    """:func:`analysis.results.km.figure_data` of :func:`landmark_data`: survival from the
    landmark by transplant in first remission by then (``landmark`` column: ``at``)."""
    d, pop = landmark_data(cohort, at, endpoint), "patients in CR at the landmark"
    ticks = km.time_ticks(float(d["time"].max()) if len(d) else 0.0)
    test = pd.DataFrame([km.comparison(d, _HSCT)]).drop(columns=["p_text", "hr_text"])
    fd = pd.concat([km.steps(d, _HSCT, pop).assign(table="km"),
                    km.risk_table(d, _HSCT, ticks, pop).assign(table="risk"),
                    km.summary(d, _HSCT, population=pop).assign(table="summary"),
                    test.assign(table="test", role="comparison")], ignore_index=True)  # fmt: skip
    named = fd["table"].isin(["km", "summary"])
    fd.loc[named, "label"] += " by the landmark"
    return fd.assign(panel=f"{endpoint.upper()}, landmark", ylabel=km.YLABELS[endpoint],
                     population=pop, landmark=at)  # fmt: skip


def simon_makuch_figure_data(cohort: pd.DataFrame, endpoint: str = "os") -> pd.DataFrame:
    """Simon-Makuch curves and the Mantel-Byar test in the layout of
    :func:`analysis.results.km.figure_data` (no band; under the plot, patients at risk at a
    tick in the state they are in then).

    Ties: at a time when one patient is transplanted and another has the event, lifelines'
    delayed-entry Kaplan-Meier removes the events before adding the patients who enter
    (lifelines issue 497), so the risk sets are those of the Mantel-Byar test, start < t <=
    stop; its event table's ``at_risk`` (the km rows' ``n_at_risk``) does count the patients
    entering at t.  On the reconstruction the curves equal those of the hand-written version
    this replaced, which one transplant at the time of a death (OS, 4.1 months) tests.
    """
    p = transplant_periods(cohort, endpoint)
    g = p["transplanted"].to_numpy(bool)
    last = ~p["patient_id"].duplicated(keep="last").to_numpy()  # the period ending follow-up
    curves = survival.simon_makuch(p["start"], p["stop"], p["event"], g)
    test, hr = survival.mantel_byar(p["start"], p["stop"], p["event"], g)
    ticks = km.time_ticks(float(cohort["os_months"].max()) if len(cohort) else 0.0)
    parts = []
    for flag, role, label, short in zip((False, True), ("reference", "comparison"),
                                        *km.SPLIT_LABELS[_HSCT]):  # fmt: skip
        q, end = p[g == flag], last[g == flag]
        st, sp, ev = (q[c].to_numpy(float)[:, None] for c in ("start", "stop", "event"))
        cens = pd.Series(sp[end & (ev[:, 0] == 0), 0]).value_counts()
        curve = curves[curves["group"] == flag].drop(columns="group")
        done, n = end[:, None] & (sp <= ticks), q["patient_id"].nunique()
        parts += [curve.assign(table="km", role=role, label=label, n=n,
                               n_censored=cens.reindex(curve["time"], fill_value=0).to_numpy()),
                  pd.DataFrame({"table": "risk", "role": role, "label": short, "time": ticks,
                                "at_risk": ((sp >= ticks) & ((st < ticks) | (st == 0))).sum(0),
                                "censored": (done & (ev == 0)).sum(0),
                                "events": (done & (ev == 1)).sum(0)}),
                  pd.DataFrame([{"table": "summary", "role": role, "label": label, "n": n,
                                 "events": int(ev.sum())}])]  # fmt: skip
    parts.append(pd.DataFrame([{"table": "test", "role": "comparison", "p_value": test.p_value,
                                "statistic": test.statistic, "hr": hr.ratio,
                                "hr_lower": hr.ci_lower, "hr_upper": hr.ci_upper,
                                "text": km.plot_text(test.p_value, hr.ratio, hr.ci_lower,
                                                     hr.ci_upper, "Mantel-Byar")}]))  # fmt: skip
    return pd.concat(parts, ignore_index=True).assign(
        panel=f"{endpoint.upper()}, Simon-Makuch", ylabel=km.YLABELS[endpoint],
        population="patients in CR")  # fmt: skip
