"""Results of the transplant chapter: who was transplanted, how, and the paper's Figure 3 under
both readings of its grouping. Days to transplant count from the *end* of the infusion (the
paper's interval; discrepancy ``hsct_interval``), months from its start."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import format as fmt
from ..data import derive
from ..paper import load_ledger
from ..stats import proportions
from . import km
from . import survival as surv
from .survival import column, recorded

#: The paper's Figure 3 by allo-HSCT in first remission and by any allo-HSCT (``survival.yml``).
PANELS = {k: km.Panel(**v) for k, v in km.LABELS["panels"]["transplant"].items()}
#: Names of the ``hsct_pathway`` values; the counts quoted, ``[flags, optional column needed]``.
PATHWAY_LABELS, COUNTS = km.LABELS["pathway_labels"], km.LABELS["counts"]


def transplants(cohort: pd.DataFrame) -> pd.DataFrame:
    """The patients transplanted, in order: ``patient_id``, ``mrd_response``, ``pathway``,
    ``therapy``, ``days`` (from the infusion's end), ``months`` (from its start),
    ``first_remission``, ``mrd_after`` (yes, no, —), ``died``, :func:`survival.course`."""
    f = derive.flags(cohort)
    out = pd.DataFrame({
        "patient_id": cohort["patient_id"].astype(str).to_numpy(),
        "mrd_response": f["mrd_response"].to_numpy(), "died": f["died"].to_numpy(),
        "pathway": column(cohort, "hsct_pathway", "text"),
        "therapy": column(cohort, "pre_hsct_therapy", "text"),
        "days": column(cohort, "days_to_hsct"), "months": column(cohort, "hsct_months"),
        "first_remission": f["hsct_first_remission"].to_numpy(),
        "mrd_after": np.where(f["mrd_negative_after_hsct"], "yes", "no")
        if recorded(cohort, "mrd_negative_after_hsct") else fmt.DASH,
        **surv.course(cohort, f),
    })[f["hsct"].to_numpy()]  # fmt: skip
    return out.sort_values(["months", "patient_id"], kind="stable").reset_index(drop=True)


def transplant_table(cohort: pd.DataFrame, max_rows: int | None = 40) -> pd.DataFrame:
    """:func:`transplants` as shown (first ``max_rows``, :func:`survival.truncate`)."""
    t = surv.truncate(transplants(cohort), max_rows)
    out = pd.DataFrame({
        "Patient": t["patient_id"], "Response": t["Response to blinatumomab"],
        "Route": [PATHWAY_LABELS.get(p, p or fmt.DASH) + f" ({x})" * bool(x)
                  for p, x in zip(t["pathway"], t["therapy"])],
        "HSCT, days after infusion (month)": [f"{fmt.number(d, None)} ({fmt.number(m)})"
                                              for d, m in zip(t["days"], t["months"])],
        "MRD-negative after": t["mrd_after"], "Relapse, month (site)": t["Relapse, month (site)"],
        "Death, month (cause)": t["Death, month (cause)"],
    })  # fmt: skip
    out.attrs["note"] = t.attrs["note"]
    return out


def pathway_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """The routes to allo-HSCT as shown: per route taken (or "not recorded") and in total, the
    patients, MRD response, MRD after, days after infusion, therapy before, deaths."""
    t = transplants(cohort).replace({"pathway": {"": "not recorded"}})
    rows = []
    for name, sub in [*t.groupby("pathway", sort=False), ("total", t)]:
        days, resp = proportions.median_range(sub["days"]), sub["mrd_response"]
        rows.append({
            "Route to allo-HSCT": PATHWAY_LABELS.get(name, name), "Patients": len(sub),
            "MRD responders / non-responders": f"{resp.sum()} / {(~resp).sum()}",
            "MRD-negative after HSCT": str((sub["mrd_after"] == "yes").sum())
            if recorded(cohort, "mrd_negative_after_hsct") else fmt.DASH,
            "Days after infusion, median (range)": fmt.number(days[0], None)
            if days[1] == days[2] else fmt.median_range(*days),
            "Therapy before HSCT": fmt.DASH if name == "total" else
            "; ".join(sorted(set(sub["therapy"]) - {""})) or fmt.DASH,
            "Deaths": int(sub["died"].sum()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _range(values, unit: str, decimals) -> str:
    med, lo, hi = proportions.median_range(values)
    if fmt.is_missing(med):
        return "not recorded" if len(values) else "not applicable (no patients)"
    return f"{fmt.number(med, decimals)} {unit} (range {fmt.ci(lo, hi, decimals)})"


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Every glue-ready string of the transplant chapter (glue as ``transplant_<key>``); a
    count (``COUNTS``) whose optional column has no value is "not recorded"."""
    f, t = derive.flags(cohort), transplants(cohort)
    n = {k: int(f[v[0].split()].all(axis=1).sum()) if recorded(cohort, *v[1:]) else None
         for k, v in COUNTS.items()}  # fmt: skip
    out = {k: "not recorded" if v is None else str(v) for k, v in n.items()}
    out |= {k: "not recorded" if n[k] is None else fmt.count_phrase(n[k], "patient")
            for k in ("direct", "bridging", "salvage")}  # fmt: skip
    for key, needs in (("mrd_after", "mrd_negative_after"), ("car_t", "no_cr_car_t")):
        out[key] = km.sentence(key, "missing" if n[needs] is None else "recorded", **n)
    tests = {}
    for key, p in PANELS.items():
        data, k = km.endpoint_data(cohort, p.endpoint, p.among), key.replace(" (any)", "_any")
        tests[key] = km.comparison(data, p.split)
        k = k.replace("3a", "os").replace("3b", "rfs")
        out |= dict(zip((f"{k}_p", f"{k}_hr"), tests[key]["text"].split("\n")))
        out[f"{k}_medians"] = km.medians_text(km.summary(data, p.split))
    ledger = load_ledger().set_index("id")
    used = {ledger.loc[i, "args"]["by"] for i in ("os_by_hsct_ns", "rfs_by_hsct_ns")}
    found = {f"panel {k}": surv.verdict(t["p_value"]) for k, t in tests.items()}
    printed = ledger["printed"]
    paper = str(printed["pct_cr_to_hsct"])
    pct = {k: fmt.percent(n[k], n["cr"]) if n["cr"] else "not defined (no patients)"
           for k in ("hsct_first_remission", "hsct_cr")}  # fmt: skip
    share = f"{n['hsct_first_remission']} of {n['cr']}, or {pct['hsct_first_remission']}"
    return out | {
        "after_relapse_patients": fmt.count_phrase(n["hsct_after_relapse"], "patient"),
        "pct_first_remission": pct["hsct_first_remission"], "pct_any_hsct": pct["hsct_cr"],
        "share": km.sentence("share", "paper" if pct["hsct_first_remission"] == f"{paper}%"
                             else "other", share=share, paper=paper),
        "days_from_end": _range(t["days"], "days", None),
        "months_from_start": _range(t["months"], "months", 1),
        "months_first_remission": _range(t["months"][t["first_remission"]], "months", 1),
        "paper_pct": paper, "paper_n_hsct": printed["n_hsct"], "paper_cr": printed["n_cr_total"],
        "paper_pct_of_cr": fmt.number(float(paper) * float(printed["n_cr_total"]) / 100, None),
        "grouping": km.sentence("grouping", found=surv.grouped(found, "for"),
                                used=surv.join(derive.FLAG_LABELS[u] for u in used)),
        "by_construction": km.for_this_build("by_construction"),
        "not_recorded": surv.not_recorded(cohort, "transplant"),
        "listing_caption": transplant_table(cohort).attrs["note"],
    }  # fmt: skip
