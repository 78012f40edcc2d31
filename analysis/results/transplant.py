"""Results of the transplant chapter: who was transplanted, how, and the paper's Figure 3.

Days to transplant are counted from the *end* of the blinatumomab infusion (``days_to_hsct``,
the paper's interval; recorded discrepancy ``hsct_interval``), months from its start.
Optional columns a centre's table may lack give empty cells or "not applicable".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import format as fmt
from ..data import derive
from ..paper import load_ledger
from ..stats import proportions
from . import km
from .survival import column, response

__all__ = ["PANELS", "PATHWAY_LABELS", "transplants", "transplant_table", "pathways",
           "pathway_table", "COUNTS", "texts"]  # fmt: skip

#: The paper's Figure 3: among the patients in CR, by allo-HSCT in first remission.
PANELS: dict[str, km.Panel] = {
    "3a": km.Panel("os", "hsct_first_remission", "cr", "overall survival by allo-HSCT in CR1"),
    "3b": km.Panel("rfs", "hsct_first_remission", title="relapse-free survival by HSCT in CR1"),
}

#: Readable names of the values of ``hsct_pathway``.
PATHWAY_LABELS = {"direct": "direct", "bridging": "after bridging therapy",
                  "salvage": "after relapse and salvage"}  # fmt: skip

#: The counts the chapter quotes: each the patients with all the named flags (``derive.flags``).
COUNTS = {"n": "all", "cr": "cr", "hsct": "hsct", "hsct_cr": "hsct cr",
          "hsct_first_remission": "hsct_first_remission",
          "hsct_after_relapse": "hsct relapse no_hsct_first_remission",
          "direct": "hsct_direct", "bridging": "hsct_bridging", "salvage": "hsct_salvage",
          "mrd_nonresponders_hsct": "hsct_first_remission mrd_nonresponse",
          "mrd_nonresponders_hsct_mrd_negative":
              "hsct_first_remission mrd_nonresponse mrd_negative_after_hsct",
          "mrd_negative_after": "mrd_negative_after_hsct", "no_cr": "no_cr",
          "no_cr_car_t": "no_cr car_t_after",
          "no_cr_car_t_died": "no_cr car_t_after died"}  # fmt: skip


def transplants(cohort: pd.DataFrame) -> pd.DataFrame:
    """One row per patient transplanted after blinatumomab, in order of transplant.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``response``, ``mrd_response``, ``pathway``, ``pre_hsct_therapy``,
        ``days_from_end``, ``hsct_months``, ``first_remission``, ``mrd_negative_after``,
        ``relapse_months``, ``died``, ``cause_of_death``, ``last_months``.
    """
    f = derive.flags(cohort)
    keep = f["hsct"].to_numpy()
    c, f = cohort[keep], f[keep]
    out = pd.DataFrame({
        "patient_id": c["patient_id"].astype(str).to_numpy(), "response": response(f),
        "mrd_response": f["mrd_response"].to_numpy(),
        "pathway": column(c, "hsct_pathway", "text"),
        "pre_hsct_therapy": column(c, "pre_hsct_therapy", "text"),
        "days_from_end": column(c, "days_to_hsct"), "hsct_months": column(c, "hsct_months"),
        "first_remission": f["hsct_first_remission"].to_numpy(),
        "mrd_negative_after": f["mrd_negative_after_hsct"].to_numpy(),
        "relapse_months": np.where(f["relapse"], column(c, "relapse_months"), np.nan),
        "died": f["died"].to_numpy(),
        "cause_of_death": np.where(f["died"], column(c, "cause_of_death", "text"), ""),
        "last_months": c["os_months"].astype(float).to_numpy(),
    })  # fmt: skip
    out = out.sort_values(["hsct_months", "patient_id"], kind="stable", na_position="last")
    return out.reset_index(drop=True)


def transplant_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """:func:`transplants` as shown: route with its therapy, timing, MRD, relapse and death."""
    t = transplants(cohort)
    route = [f"{PATHWAY_LABELS.get(p, p or fmt.DASH)}{f' ({x})' if x else ''}"
             for p, x in zip(t["pathway"], t["pre_hsct_therapy"])]  # fmt: skip
    course = [("" if fmt.is_missing(r.relapse_months) else
               f"relapse {fmt.number(r.relapse_months)}; ")
              + (f"died {fmt.number(r.last_months)} ({r.cause_of_death or 'cause not recorded'})"
                 if r.died else f"alive at {fmt.number(r.last_months)}")
              for r in t.itertuples()]  # fmt: skip
    days = [f"{fmt.number(d, None)} ({fmt.number(m)})"
            for d, m in zip(t["days_from_end"], t["hsct_months"])]  # fmt: skip
    return pd.DataFrame({
        "Patient": t["patient_id"], "Response": t["response"], "Route": route,
        "HSCT, days after infusion (month)": days,
        "MRD-negative after": np.where(t["mrd_negative_after"], "yes", "no"),
        "Relapse and death, month": course,
    })  # fmt: skip


def pathways(cohort: pd.DataFrame) -> pd.DataFrame:
    """The routes to allo-HSCT, one row per pathway (also those nobody took) and a total.

    Columns: ``pathway`` (``direct``, ``bridging``, ``salvage``, any other, ``total``),
    ``patients``, ``mrd_responders``, ``mrd_nonresponders``, ``mrd_negative_after``,
    ``days_median``, ``days_min``, ``days_max``, ``therapies`` (``"; "``-joined), ``deaths``.
    """
    t = transplants(cohort).replace({"pathway": {"": "not recorded"}})
    order = list(PATHWAY_LABELS) + sorted(set(t["pathway"]) - set(PATHWAY_LABELS))
    rows = []
    for name, sub in [(p, t[t["pathway"] == p]) for p in order] + [("total", t)]:
        med, lo, hi = proportions.median_range(sub["days_from_end"])
        rows.append({
            "pathway": name, "patients": len(sub), "mrd_responders": int(sub["mrd_response"].sum()),
            "mrd_nonresponders": int((~sub["mrd_response"]).sum()),
            "mrd_negative_after": int(sub["mrd_negative_after"].sum()),
            "days_median": med, "days_min": lo, "days_max": hi,
            "therapies": "; ".join(sorted({s for s in sub["pre_hsct_therapy"] if s})),
            "deaths": int(sub["died"].sum()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def pathway_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """:func:`pathways` as shown."""
    p = pathways(cohort)
    days = [fmt.number(m, None) if lo == hi else fmt.median_range(m, lo, hi)
            for m, lo, hi in zip(p["days_median"], p["days_min"], p["days_max"])]  # fmt: skip
    return pd.DataFrame({
        "Route to allo-HSCT": [PATHWAY_LABELS.get(x, x) for x in p["pathway"]],
        "Patients": p["patients"],
        "MRD responders / non-responders": [f"{a} / {b}" for a, b in
                                            zip(p["mrd_responders"], p["mrd_nonresponders"])],
        "MRD-negative after HSCT": p["mrd_negative_after"],
        "Days after infusion, median (range)": days,
        "Therapy before HSCT": [s if s and x != "total" else fmt.DASH
                                for x, s in zip(p["pathway"], p["therapies"])],
        "Deaths": p["deaths"],
    })  # fmt: skip


def _range(values, unit: str, decimals) -> str:
    med, lo, hi = proportions.median_range(values)
    if fmt.is_missing(med):
        return "not recorded" if len(values) else "not applicable (no patients)"
    return f"{fmt.number(med, decimals)} {unit} (range {fmt.ci(lo, hi, decimals)})"


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Every glue-ready string of the transplant chapter (glue as ``transplant_<key>``): the
    :data:`COUNTS`, percentages of the patients in CR, intervals, the paper's printed share,
    and Figure 3's log-rank P and hazard ratio (``os_p``, ``os_hr``, ``rfs_p``, ``rfs_hr``)."""
    f = derive.flags(cohort)
    n = {k: int(f[v.split()].all(axis=1).sum()) for k, v in COUNTS.items()}
    t = transplants(cohort)
    printed = load_ledger().set_index("id")["printed"]
    out = {k: str(v) for k, v in n.items()}
    out |= {
        "after_relapse_patients": fmt.count_phrase(n["hsct_after_relapse"], "patient"),
        **{k: fmt.percent(n[a], n["cr"]) if n["cr"] else "not defined (no patients)" for k, a
           in (("pct_first_remission", "hsct_first_remission"), ("pct_any_hsct", "hsct_cr"))},
        "days_from_end": _range(t["days_from_end"], "days", None),
        "months_from_start": _range(t["hsct_months"], "months", 1),
        "months_first_remission": _range(t["hsct_months"][t["first_remission"]], "months", 1),
        "paper_pct": str(printed["pct_cr_to_hsct"]), "paper_n_hsct": str(printed["n_hsct"]),
    }  # fmt: skip
    for panel in PANELS.values():
        data = km.endpoint_data(cohort, panel.endpoint, panel.among)
        p_line, hr_line = km.comparison(data, panel.split)["text"].split("\n")
        out |= {f"{panel.endpoint}_p": p_line, f"{panel.endpoint}_hr": hr_line}
    return out
