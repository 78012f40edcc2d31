"""Sensitivity analyses: interval methods, follow-up, competing risks, and transplant as a
time-dependent state under both readings of Figure 3's grouping (``sensitivity.yml``)."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..data import derive
from ..paper import load_ledger
from ..stats import proportions, survival
from . import km

TEXTS = yaml.safe_load((config.PACKAGE / "results" / "sensitivity.yml").read_text("utf-8"))
#: Interval methods compared (:func:`analysis.stats.proportions.proportion_ci`).
CI_METHODS = ("exact", "wilson", "jeffreys")
#: The landmark of the text and of the robustness analysis, months.
LANDMARK = 3.0
#: Readings of Figure 3's grouping (flags); the first is ours and the ledger's.
GROUPINGS = tuple(TEXTS["grouping"])


def say(key: str, case=True, **values) -> str:
    """Sentence ``key`` of ``sensitivity.yml`` for ``case`` (pair: ``True`` is the first)."""
    t = TEXTS[key]
    t = t[case] if isinstance(t, dict) else t[not case] if isinstance(t, list) else t
    return t.format_map(defaultdict(lambda: fmt.DASH, values))  # DASH: not computed here


def _step(table: pd.DataFrame, column: str, at) -> np.ndarray:
    """A right-continuous step function tabulated at ``table.time``, read at ``at``."""
    i = np.searchsorted(table["time"].to_numpy(), np.atleast_1d(at), side="right") - 1
    return np.where(i >= 0, table[column].to_numpy(float)[np.maximum(i, 0)], np.nan)


def response_cis(cohort: pd.DataFrame, methods=CI_METHODS) -> pd.DataFrame:
    """The response rates of ``sensitivity.yml`` by each method, in percent (``nan`` if n = 0)."""
    f, rows = derive.flags(cohort), []
    for key, r in TEXTS["rates"].items():
        k, n = int((f[r["k"]] & f[r["n"]]).sum()), int(f[r["n"]].sum())
        for m in methods:
            lo, hi = (100 * x for x in proportions.proportion_ci(k, n, m)) if n else [np.nan] * 2
            pct, label = 100 * k / n if n else np.nan, proportions.CI_METHODS[m]
            rows.append((key, r["label"], k, n, pct, m, label, lo, hi, hi - lo))
    columns = ["key", "rate", "k", "n", "percent", "method", "method_label", "ci_lower", "ci_upper"]
    return pd.DataFrame(rows, columns=[*columns, "width"])


def ci_table(cis: pd.DataFrame) -> pd.DataFrame:
    """:func:`response_cis` as shown: a row per rate, ``k/n`` and an interval per method."""
    view = cis.assign(interval=[fmt.ci(a, b) for a, b in zip(cis["ci_lower"], cis["ci_upper"])],
                      **{"k/n": cis["k"].astype(str) + "/" + cis["n"].astype(str)})  # fmt: skip
    wide = view.pivot_table(index=["rate", "k/n"], columns="method_label", values="interval",
                            aggfunc="first", sort=False)  # fmt: skip
    return wide.reset_index().rename_axis(columns=None)


def followup(cohort: pd.DataFrame) -> pd.DataFrame:
    """Median follow-up three ways (reverse Kaplan-Meier: Schemper and Smith 1996), by ``key``:
    ``definition``, ``median, months``, ``patients``."""
    os_ = derive.os_table(cohort)
    t, e = os_["time"].to_numpy(float), os_["event"].to_numpy(int)
    values = {"observed": (proportions.median_range(t)[0], len(t)),
              "survivors": (proportions.median_range(t[e == 0])[0], int((e == 0).sum())),
              "reverse_km": (survival.reverse_km_median(t, e) if len(t) else np.nan,
                             len(t))}  # fmt: skip
    rows = [(k, TEXTS["followup"][k], *v) for k, v in values.items()]
    columns = ["key", "definition", "median, months", "patients"]
    return pd.DataFrame(rows, columns=columns).set_index("key")


def competing_risks_data(cohort: pd.DataFrame) -> pd.DataFrame:
    """RFS in CR by ``cause``: 1 relapse (the core column ``relapse``), 2 death, 0 censored."""
    rfs = derive.rfs_table(cohort)
    relapse = derive.as_bool(cohort.loc[rfs.index, "relapse"])
    return rfs[["time"]].assign(cause=np.where(rfs["event"] == 1, np.where(relapse, 1, 2), 0))


def competing_risks(cohort: pd.DataFrame) -> pd.DataFrame:
    """The curves of ``sensitivity.yml``: ``curve``, ``label``, ``role``, ``time``, ``value``."""
    d = competing_risks_data(cohort)
    table = survival.cumulative_incidence(d["time"], d["cause"], {1: "relapse", 2: "nrm"})
    for name in ("one_minus_rfs", "naive_relapse"):
        event = d["cause"].isin(TEXTS["curves"][name]["causes"]).astype(int)
        steps = survival.kaplan_meier(d["time"], event)
        table[f"cif_{name}"] = 1 - _step(steps, "survival", table["time"])
    curves = [pd.DataFrame({"curve": k, "label": c["label"], "role": c["role"],
                            "time": table["time"], "value": table[f"cif_{k}"]})
              for k, c in TEXTS["curves"].items()]  # fmt: skip
    return pd.concat(curves, ignore_index=True)


def competing_risks_summary(cohort: pd.DataFrame, months: float = config.HORIZON_MONTHS):
    """Each curve at ``months``: ``estimate`` (percent), ``events`` (ever); by ``curve``."""
    curves, cause = competing_risks(cohort), competing_risks_data(cohort)["cause"]
    rows = [(k, 100 * _step(c, "value", months)[0], cause.isin(TEXTS["curves"][k]["causes"]).sum())
            for k, c in curves.groupby("curve", sort=False)]  # fmt: skip
    return pd.DataFrame(rows, columns=["curve", "estimate", "events"]).set_index("curve")


def cif_figure_data(cohort: pd.DataFrame) -> pd.DataFrame:
    """:func:`competing_risks` (``table`` "cif") and the counts under each tick (``risk``)."""
    d = competing_risks_data(cohort)
    t, c = d["time"].to_numpy(float), d["cause"].to_numpy()
    ticks = km.time_ticks(float(t.max()) if len(t) else 0.0)
    parts = [competing_risks(cohort).assign(table="cif")]
    for row, (role, cause) in TEXTS["cif_rows"].items():
        n = survival.at_risk_counts(t, ticks) if cause is None else (
            (t[:, None] <= ticks) & (c == cause)[:, None]).sum(0)  # fmt: skip
        parts.append(pd.DataFrame({"table": "risk", "row": row, "role": role, "time": ticks,
                                   "count": n}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text of intervals (``cr_overt_wilson_ci_lower``), follow-up and competing
    risks, and the sentences chosen from them (``ci_reading``, ``followup_match``, ...)."""
    cis, fu, cif, out = response_cis(cohort), followup(cohort), competing_risks_summary(cohort), {}
    ref, printed = TEXTS["reference_pct"], load_ledger().set_index("id")["printed"]
    printed = printed["followup_median"]
    for r in cis.itertuples():
        k = r.key
        out |= {f"{k}_k": str(r.k), f"{k}_n": str(r.n), f"{k}_percent": fmt.number(r.percent)}
        out |= {f"{k}_{r.method}_{c}": fmt.number(getattr(r, c))
                for c in ("ci_lower", "ci_upper", "width")}  # fmt: skip
    out |= {f"followup_{k}": fmt.number(v) for k, v in fu["median, months"].items()}
    out |= {f"followup_{k}_n": str(v) for k, v in fu["patients"].items()}
    out |= {f"cif_{k}": fmt.number(v) for k, v in cif["estimate"].items()}
    out |= {f"cif_{k}_events": str(int(v)) for k, v in cif["events"].items()}
    limits = cis.set_index(["method", "key"])[["ci_lower", "ci_upper"]]
    width = cis.pivot(index="key", columns="method", values="width")
    side = np.sign(cis["ci_lower"] - ref) + np.sign(cis["ci_upper"] - ref)  # 2: above; -2: below
    changed = cis.assign(side=side).groupby("rate", sort=False)["side"].nunique() > 1
    narrower = bool(width.drop(columns="exact").lt(width["exact"], axis=0).all().all())
    lowest = cis.loc[cis["key"] == "cr_overt", "ci_lower"].min()
    return out | {
        "cr_lowest_lower": fmt.number(lowest), "ci_reference": fmt.number(ref, 0),
        "ci_max_shift": fmt.number((limits - limits.loc["exact"]).abs().max().max()),
        "cr_above_half": say("ci_above", lowest > ref),
        "ci_narrower": say("ci_narrower", narrower),
        "ci_reading": say("ci_reading", not changed.any(),
                          rates=" and ".join(changed.index[changed])),
        "followup_printed": printed, "followup_match": say(
            "followup_match", out["followup_observed"] == printed, printed=printed),
        "cr_n": str(len(derive.rfs_table(cohort))),
        "rfs_1y": fmt.number(100 - cif.loc["one_minus_rfs", "estimate"]),
        "naive_relapse_bias": say("naive_relapse",
                                  out["cif_naive_relapse"] != out["cif_relapse"])}  # fmt: skip


def times_recorded(cohort: pd.DataFrame) -> bool:
    """Whether every transplanted patient's transplant time (``hsct_months``) is recorded."""
    return bool(cohort.loc[derive.flags(cohort)["hsct"], "hsct_months"].notna().all())


def transplant_periods(cohort, endpoint: str = "os", grouping: str = GROUPINGS[0]):
    """Patients in CR as periods ``(start, stop]`` with ``event`` and ``transplanted``: a
    transplant at ``h`` splits follow-up ``(0, T)`` in two; periods of length 0 are left out."""
    d = km.endpoint_data(cohort, endpoint, "cr")
    t, e, g = d["time"].to_numpy(float), d["event"].to_numpy(int), d[grouping].to_numpy(bool)
    h = cohort.loc[d.index, "hsct_months"].to_numpy(float)
    ids, s = cohort.loc[d.index, "patient_id"].astype(str).to_numpy(), g & (h > 0) & (h < t)
    before = pd.DataFrame({"patient_id": ids, "start": 0.0, "stop": np.where(s, h, t),
                           "event": np.where(s, 0, e), "transplanted": g & (h <= 0)})  # fmt: skip
    after = pd.DataFrame({"patient_id": ids[s], "start": h[s], "stop": t[s], "event": e[s],
                          "transplanted": True}, index=np.flatnonzero(s))  # fmt: skip
    p = pd.concat([before, after]).sort_index(kind="stable")
    return p[p["stop"] > p["start"]].reset_index(drop=True)


_MB: dict = {}  # Mantel-Byar results by periods: the chapter, its figures and robustness share


def _mantel_byar(p: pd.DataFrame):
    key = int(pd.util.hash_pandas_object(p, index=False).sum()), len(p)
    if key not in _MB:
        _MB[key] = survival.mantel_byar(p["start"], p["stop"], p["event"], p["transplanted"])
    return _MB[key]


def landmark_data(cohort, at: float = LANDMARK, endpoint: str = "os", grouping=GROUPINGS[0]):
    """Patients in CR alive and relapse-free at ``at``, timed from it (Anderson et al. 1983)."""
    rfs = derive.rfs_table(cohort)
    d = km.endpoint_data(cohort, endpoint).loc[rfs.index[rfs["time"].to_numpy() > at]]
    h = cohort.loc[d.index, "hsct_months"].to_numpy(float)
    return d.assign(time=d["time"] - at, **{grouping: d[grouping].to_numpy(bool) & (h <= at)})


def transplant_time(cohort: pd.DataFrame, how: str = "median", grouping=GROUPINGS[0]) -> float:
    """Months to the transplants of ``grouping``: ``median``, or ``sum`` (the immortal time)."""
    months = cohort.loc[derive.flags(cohort)[grouping], "hsct_months"].astype(float)
    return proportions.median_range(months)[0] if how == "median" else float(months.sum())


def transplant_comparison(cohort, landmarks=None, *, naive_only: bool = False) -> pd.DataFrame:
    """Transplant in CR by each of :data:`GROUPINGS`: naive (Figure 3), landmarks (default: the
    median time to transplant, :data:`LANDMARK`), Mantel-Byar (without transplant times, naive
    by any transplant only); per group patients, events, Cox ``hr`` (95% CI), ``p_value``."""
    timed, rows = times_recorded(cohort), []
    full = timed and not naive_only
    landmarks = [transplant_time(cohort), LANDMARK] if landmarks is None else landmarks
    landmarks = [x for x in dict.fromkeys(round(float(x), 6) for x in landmarks) if np.isfinite(x)]
    for grouping in GROUPINGS if timed else GROUPINGS[1:]:
        for ep in ("os", "rfs"):
            analyses = [("naive (Figure 3)", np.nan, km.endpoint_data(cohort, ep, "cr"))]
            analyses += [("landmark", x, landmark_data(cohort, x, ep, grouping))
                         for x in landmarks if full]  # fmt: skip
            for name, at, d in analyses:
                g, e = d[grouping].to_numpy(bool), d["event"].to_numpy(int)
                c = km.comparison(d, grouping)
                rows.append((grouping, name, ep, at, (~g).sum(), g.sum(), e[~g].sum(), e[g].sum(),
                             c["hr"], c["hr_lower"], c["hr_upper"], c["p_value"]))  # fmt: skip
            if full:
                p = transplant_periods(cohort, ep, grouping)
                g, e, (test, hr) = p["transplanted"].to_numpy(bool), p["event"], _mantel_byar(p)
                rows.append((grouping, "Mantel-Byar", ep, np.nan, p.loc[~g, "patient_id"].nunique(),
                             g.sum(), e[~g].sum(), e[g].sum(), hr.ratio, hr.ci_lower, hr.ci_upper,
                             test.p_value))  # fmt: skip
    return pd.DataFrame(rows, columns=["grouping", "analysis", "endpoint", "landmark", "n_none",
                                       "n_transplant", "events_none", "events_transplant", "hr",
                                       "hr_lower", "hr_upper", "p_value"])  # fmt: skip


def transplant_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`transplant_comparison` as shown (each reading and endpoint named once)."""
    c = comparison
    new = c["grouping"].ne(c["grouping"].shift())
    pair = lambda a, b: c[a].astype(str) + " / " + c[b].astype(str)  # noqa: E731
    return pd.DataFrame({
        "reading of Figure 3": c["grouping"].map(TEXTS["grouping"]).where(new, ""),
        "endpoint": c["endpoint"].str.upper().where(new | c["endpoint"].ne(c["endpoint"].shift()),
                                                    ""),
        "analysis": [a if a != "landmark" else f"landmark, {fmt.months(x)}"
                     for a, x in zip(c["analysis"], c["landmark"])],
        "patients (no HSCT / HSCT)": pair("n_none", "n_transplant"),
        "events (no HSCT / HSCT)": pair("events_none", "events_transplant"),
        "HR (95% CI)": [fmt.ratio_ci(*r) for r in c[["hr", "hr_lower", "hr_upper"]].to_numpy()],
        "log-rank P": c["p_value"].map(fmt.p_value)})  # fmt: skip


def transplant_texts(cohort: pd.DataFrame, comparison: pd.DataFrame) -> dict[str, str]:
    """Glue-ready text: ``{fr,any}_{naive,lm3,lmmedian,mb}_{os,rfs}_{p,hr}``, counts, and the
    sentences chosen from the results (``verdict``, ``same_either_way``, ...)."""
    f, c = derive.flags(cohort), comparison
    short = {"naive (Figure 3)": "naive", "Mantel-Byar": "mb"}
    keys = itertools.product(("fr", "any"), ("naive", "lm3", "lmmedian", "mb"), ("os", "rfs"), "ph")
    out = {"_".join(k).replace("_h", "_hr"): fmt.DASH for k in keys}  # readings it cannot have
    for r in c.itertuples():
        name = short.get(r.analysis, "lm3" if r.landmark == LANDMARK else "lmmedian")
        key = f"{'fr' if r.grouping == GROUPINGS[0] else 'any'}_{name}_{r.endpoint}"
        out[f"{key}_p"] = fmt.p_value(r.p_value)
        out[f"{key}_hr"] = fmt.ratio_ci(r.hr, r.hr_lower, r.hr_upper)
    lm = c[(c["analysis"] == "landmark") & (c["landmark"] == LANDMARK) & (c["endpoint"] == "os")]
    lm = lm[["n_none", "n_transplant"]].head(1).sum()
    cr, fr, times = int(f["cr"].sum()), f["hsct_first_remission"], times_recorded(cohort)
    out |= {"n_cr": str(cr), "hsct_n": str(int(fr.sum())), "landmark_at": fmt.number(LANDMARK, 0),
            "n_salvage": fmt.count_phrase((f["hsct"] & f["cr"] & ~fr).sum(), "patient"),
            "events": str(int(derive.os_table(cohort).loc[f["cr"], "event"].sum())),
            "hsct_median": fmt.number(transplant_time(cohort)),
            "immortal": fmt.number(transplant_time(cohort, "sum")),
            "landmark_n_none": str(lm["n_none"]), "landmark_n_hsct": str(lm["n_transplant"]),
            "landmark_excluded": str(cr - lm.sum())}  # fmt: skip
    ok = c[c["p_value"].notna()]
    sig = ok[ok["p_value"] < config.ALPHA]
    which = "; ".join(f"{r.analysis} of {r.endpoint.upper()} by {TEXTS['grouping'][r.grouping]}"
                      for r in sig.itertuples())  # fmt: skip
    none = "none_computable" if ok.empty else ""
    same = none or ("same" if len(sig) in (0, len(ok)) else "differs")
    return out | {
        "immortal_sentence": say("immortal", times, **out),
        "results": say("transplant_results", times, **out),
        "times_note": "" if times else say("times_missing"),
        "figure_note": say("figure_note", times),
        "verdict": say("verdict", none or ("none" if sig.empty else "some"), k=len(sig), n=len(ok)),
        "evidence": say("evidence", sig.empty, **out),
        "same_either_way": say("same_either_way", same, which=which,
                               conclusion=say("conclusion", sig.empty),
                               readings=say("readings", c["grouping"].nunique()))}  # fmt: skip


def landmark_figure_data(cohort, at: float = LANDMARK, endpoint="os", grouping=GROUPINGS[0]):
    """:func:`analysis.results.km.figure_data` of :func:`landmark_data` (column ``landmark``)."""
    d, pop = landmark_data(cohort, at, endpoint, grouping), "patients in CR at the landmark"
    ticks = km.time_ticks(float(d["time"].max()) if len(d) else 0.0)
    test = pd.DataFrame([km.comparison(d, grouping)]).drop(columns=["p_text", "hr_text"])
    fd = pd.concat([km.steps(d, grouping, pop).assign(table="km"),
                    km.risk_table(d, grouping, ticks, pop).assign(table="risk"),
                    km.summary(d, grouping, population=pop).assign(table="summary"),
                    test.assign(table="test", role="comparison")], ignore_index=True)  # fmt: skip
    fd.loc[fd["table"].isin(["km", "summary"]), "label"] += " by the landmark"
    return fd.assign(panel=f"{endpoint.upper()}, landmark", ylabel=km.YLABELS[endpoint],
                     population=pop, landmark=at)  # fmt: skip


def simon_makuch_figure_data(cohort, endpoint: str = "os", grouping: str = GROUPINGS[0]):
    """Simon-Makuch curves and the Mantel-Byar test as :func:`analysis.results.km.figure_data`
    (no band; risk rows by state; lifelines' risk sets are the test's, start < t <= stop)."""
    p = transplant_periods(cohort, endpoint, grouping)
    g, last = p["transplanted"].to_numpy(bool), ~p["patient_id"].duplicated(keep="last").to_numpy()
    curves = survival.simon_makuch(p["start"], p["stop"], p["event"], g)
    test, hr = _mantel_byar(p)
    ticks, parts = km.time_ticks(float(cohort["os_months"].max()) if len(cohort) else 0.0), []
    labels = zip((False, True), ("reference", "comparison"), *km.SPLIT_LABELS[grouping])
    for flag, role, label, short in labels:
        q, end = p[g == flag], last[g == flag]  # end: the period that ends follow-up
        st, sp, ev = (q[c].to_numpy(float)[:, None] for c in ("start", "stop", "event"))
        cens = pd.Series(sp[end & (ev[:, 0] == 0), 0]).value_counts()
        curve = curves[curves["group"] == flag]
        done, n = end[:, None] & (sp <= ticks), q["patient_id"].nunique()
        parts += [curve.drop(columns="group").assign(table="km", role=role, label=label, n=n,
                  n_censored=cens.reindex(curve["time"], fill_value=0).to_numpy()),
                  pd.DataFrame({"table": "risk", "role": role, "label": short, "time": ticks,
                                "at_risk": ((sp >= ticks) & ((st < ticks) | (st == 0))).sum(0),
                                "censored": (done & (ev == 0)).sum(0),
                                "events": (done & (ev == 1)).sum(0)}),
                  pd.DataFrame([{"table": "summary", "role": role, "label": label, "n": n,
                                 "events": int(ev.sum())}])]  # fmt: skip
    text = "\n".join(km.p_hr_lines(test.p_value, hr.ratio, hr.ci_lower, hr.ci_upper, "Mantel-Byar"))
    parts.append(pd.DataFrame([{"table": "test", "role": "comparison", "p_value": test.p_value,
                                "statistic": test.statistic, "hr": hr.ratio, "text": text,
                                "hr_lower": hr.ci_lower, "hr_upper": hr.ci_upper}]))  # fmt: skip
    return pd.concat(parts, ignore_index=True).assign(
        panel=f"{endpoint.upper()}, Simon-Makuch", ylabel=km.YLABELS[endpoint],
        population="patients in CR")  # fmt: skip
