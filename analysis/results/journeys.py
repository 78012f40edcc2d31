"""Patient journeys: every course on one time axis, and how the cohort divides.

:func:`swimmer_rows` is what the swimmer plot draws, :func:`patient_flow` the flow diagram,
:func:`texts` the chapter's counts.  Timing the table does not record is approximated:

* *Cycles*: 28-day infusions starting every 6 weeks from month 0 (``config.INFUSION_DAYS``,
  ``config.CYCLE_DAYS``); after a relapse, cycles 2, 3, ... start at the relapse (Results,
  *Survival outcomes*: a second cycle after a marrow relapse).
* *Response*: the table says *whether*, not when; the marker goes at the end of cycle 1 (the
  marrow is assessed "within two weeks after treatment", Methods), or at the end of the first
  infusion if the next event comes before 6 weeks plus :data:`RESPONSE_MARGIN_MONTHS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config
from .. import format as fmt
from ..data.derive import flags
from ..stats.proportions import median_range

__all__ = ["RESPONSE_GROUPS", "response_group", "cycle_table", "events_table", "swimmer_order",
           "swimmer_rows", "course_summary", "texts", "patient_flow"]  # fmt: skip

#: Response groups (bar colours of the swimmer plot), top to bottom.
RESPONSE_GROUPS: tuple[str, ...] = ("CR, MRD response", "CR, no MRD response", "no CR")
#: Where the response marker goes: the end of cycle 1 (6 weeks), or of the first infusion.
RESPONSE_MONTHS = config.CYCLE_DAYS / config.DAYS_PER_MONTH
INFUSION_MONTHS = config.INFUSION_DAYS / config.DAYS_PER_MONTH
#: The marker moves to the end of the infusion when the next event is this close to 6 weeks.
RESPONSE_MARGIN_MONTHS = 0.25


def _num(cohort: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats; NaN throughout when it is missing or empty."""
    if column not in cohort:
        return np.full(len(cohort), np.nan)
    return pd.to_numeric(cohort[column], errors="coerce").astype(float).to_numpy()


def response_group(cohort: pd.DataFrame) -> pd.Series:
    """Response group of each patient (ordered categorical of :data:`RESPONSE_GROUPS`)."""
    f = flags(cohort)
    code = np.where(f["cr"], np.where(f["mrd_response"], 0, 1), 2)
    cat = pd.Categorical.from_codes(code, categories=list(RESPONSE_GROUPS), ordered=True)
    return pd.Series(cat, index=cohort.index, name="response_group")


def cycle_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Approximate cycles (module notes): ``patient_id``, ``cycle``, ``start_months``,
    ``end_months`` (end of the infusion, at most the end of follow-up), ``after_relapse``."""
    n, rows = np.nan_to_num(_num(cohort, "cycles")).astype(int), []
    rel_t, end_t = _num(cohort, "relapse_months"), _num(cohort, "os_months")
    relapse = flags(cohort)["relapse"].to_numpy()
    for pid, k, rel, rel_m, end in zip(cohort["patient_id"], n, relapse, rel_t, end_t):
        for c in range(1, k + 1):
            after = bool(rel and c >= 2 and np.isfinite(rel_m))
            days = (c - 2 if after else c - 1) * config.CYCLE_DAYS
            start = (rel_m if after else 0.0) + days / config.DAYS_PER_MONTH
            if start < end:
                rows.append((pid, c, start, min(start + INFUSION_MONTHS, end), after))
    columns = ["patient_id", "cycle", "start_months", "end_months", "after_relapse"]
    return pd.DataFrame(rows, columns=columns)


def events_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Every marker of the swimmer plot: ``patient_id``, ``event`` (cr, cr_mrd_negative, hsct,
    car_t, relapse, death, censored) and ``months`` (response: approximate, see above)."""
    f, cycles = {k: v.to_numpy() for k, v in flags(cohort).items()}, cycle_table(cohort)
    os_m, ids = _num(cohort, "os_months"), cohort["patient_id"].to_numpy()
    second = cycles[(cycles["cycle"] == 2) & cycles["after_relapse"]].set_index("patient_id")
    later = [_num(cohort, c) for c in ("hsct_months", "car_t_months", "relapse_months")]
    nxt = pd.DataFrame([*later, os_m, second["start_months"].reindex(ids).to_numpy()]).min()
    resp = np.where(nxt <= RESPONSE_MONTHS + RESPONSE_MARGIN_MONTHS, INFUSION_MONTHS,
                    RESPONSE_MONTHS)  # fmt: skip
    parts = {"cr": (f["cr"] & ~f["mrd_response"], resp),
             "cr_mrd_negative": (f["cr"] & f["mrd_response"], resp),
             "hsct": (f["hsct"], _num(cohort, "hsct_months")),
             "car_t": (f["car_t_after"], _num(cohort, "car_t_months")),
             "relapse": (f["relapse"], _num(cohort, "relapse_months")),
             "death": (f["died"], os_m), "censored": (~f["died"], os_m)}  # fmt: skip
    frames = [pd.DataFrame({"patient_id": ids[m & np.isfinite(t)], "event": event,
                            "months": t[m & np.isfinite(t)]})
              for event, (m, t) in parts.items()]  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def swimmer_order(cohort: pd.DataFrame) -> pd.Index:
    """Index of ``cohort`` from the top row down: by response group, then longest follow-up."""
    key = pd.DataFrame({"g": response_group(cohort).cat.codes, "fu": -_num(cohort, "os_months"),
                        "id": cohort["patient_id"].astype(str)}, index=cohort.index)  # fmt: skip
    return key.sort_values(["g", "fu", "id"], kind="mergesort").index


def swimmer_rows(cohort: pd.DataFrame) -> pd.DataFrame:
    """What the swimmer plot draws, a row per bar, infusion or marker: ``row`` (0 at the top),
    ``patient_id``, ``group`` (response group), ``group_n`` (its size), ``element``
    ("follow-up", "infusion" or an event), ``start_months``, ``end_months`` (= start for events).
    """
    c = cohort.loc[swimmer_order(cohort)]
    ids = c["patient_id"].to_numpy()
    bars = pd.DataFrame({"patient_id": ids, "element": "follow-up", "start_months": 0.0,
                         "end_months": _num(c, "os_months")})  # fmt: skip
    cyc = cycle_table(c).assign(element="infusion")
    ev = events_table(c).rename(columns={"event": "element", "months": "start_months"})
    out = pd.concat([bars, cyc, ev.assign(end_months=ev["start_months"])], ignore_index=True)
    group = pd.Series(response_group(c).astype(str).to_numpy(), index=ids)
    out.insert(0, "row", out["patient_id"].map(pd.Series(np.arange(len(c)), index=ids)))
    out.insert(2, "group", out["patient_id"].map(group))
    out.insert(3, "group_n", out["group"].map(group.value_counts()).astype(int))
    return out[["row", "patient_id", "group", "group_n", "element", "start_months", "end_months"]]


def course_summary(cohort: pd.DataFrame) -> dict[str, int | float]:
    """Counts and times of the courses: ``n_<flag>`` for each flag of
    :func:`~analysis.data.derive.flags` and of the chapter (``overt_cr``, ``relapse_died``,
    ``relapse_second_cycle``, ``response_early``: marker at the end of the infusion, ...), per
    response group ``<g>`` ``n_<g>``, ``n_<x>_in_<g>``, ``fu_median_in_<g>``; median, min and
    max of transplant times and follow-up (NaN if none); the schedule of the approximations."""
    f = {k: v.to_numpy() for k, v in flags(cohort).items()}
    ids, cycles, events = cohort["patient_id"], cycle_table(cohort), events_table(cohort)
    early = events["event"].isin(["cr", "cr_mrd_negative"]) & (events["months"] < RESPONSE_MONTHS)
    f |= {"overt_cr": f["overt"] & f["cr"], "relapse_died": f["relapse"] & f["died"],
          "hsct_died": f["hsct"] & f["died"], "car_t": f["car_t_after"], "no_hsct": ~f["hsct"],
          "died_without_relapse_in_cr": f["cr"] & ~f["relapse"] & f["died"],
          "multi_cycle": np.nan_to_num(_num(cohort, "cycles")) > 1,
          "relapse_second_cycle": ids.isin(cycles.loc[cycles["after_relapse"], "patient_id"]),
          "response_early": ids.isin(events.loc[early, "patient_id"]).to_numpy()}  # fmt: skip
    f["no_hsct_multi_cycle"] = f["no_hsct"] & f["multi_cycle"]
    group, fu = response_group(cohort).to_numpy(), _num(cohort, "os_months")
    out = {"n": len(cohort)}
    for g, key in zip(RESPONSE_GROUPS, ("cr_mrd", "cr_no_mrd", "no_cr")):
        f |= {key: group == g} | {f"{x}_in_{key}": (group == g) & f[x] for x in
                                  ("hsct", "car_t", "died", "alive", "no_hsct",
                                   "no_hsct_multi_cycle")}  # fmt: skip
        out[f"fu_median_in_{key}"] = median_range(fu[group == g])[0]
    for name, x in (("hsct_months", _num(cohort, "hsct_months")[f["hsct"]]), ("fu", fu)):
        out |= dict(zip((f"{name}_median", f"{name}_min", f"{name}_max"), median_range(x)))
    return out | {f"n_{k}": int(np.sum(v)) for k, v in f.items()} | {
        "infusion_days": config.INFUSION_DAYS, "cycle_days": config.CYCLE_DAYS,
        "response_months": RESPONSE_MONTHS, "infusion_months": INFUSION_MONTHS}  # fmt: skip


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """:func:`course_summary` as glue-ready strings (times to one decimal, half up)."""
    summary = course_summary(cohort)
    return {k: fmt.number(v) if isinstance(v, float) else str(v) for k, v in summary.items()}


def _flow_stages(cohort: pd.DataFrame) -> list[tuple[str, str, list]]:
    """Stages top to bottom: key, title and boxes (key, label, patients as a mask)."""
    f = {k: v.to_numpy() for k, v in flags(cohort).items()}
    low, overt, cr, mrd, hsct = f["low_burden"], f["overt"], f["cr"], f["mrd_response"], f["hsct"]
    routes = [("hsct_direct", "allo-HSCT, direct", f["hsct_direct"]),
              ("hsct_bridging", "allo-HSCT after bridging", f["hsct_bridging"]),
              ("hsct_salvage", "allo-HSCT after relapse, salvage", f["hsct_salvage"])]  # fmt: skip
    other = hsct & ~(f["hsct_direct"] | f["hsct_bridging"] | f["hsct_salvage"])
    if other.any():  # a route the data dictionary does not name
        routes.append(("hsct_other", "allo-HSCT, other route", other))
    return [
        ("treated", "treated", [("treated", "treated with blinatumomab", f["all"])]),
        ("blasts", "marrow blasts at start", [("low_burden", "< 5% blasts, MRD-positive", low),
                                              ("overt", "≥ 5% blasts (overt disease)", overt)]),
        ("response", "response to blinatumomab", [
            ("low_burden_cr", "CR sustained", low & cr),
            ("low_burden_no_cr", "CR not sustained", low & ~cr),
            ("overt_cr", "CR", overt & cr), ("overt_no_cr", "no CR", overt & ~cr)]),
        ("mrd", "MRD response", [("mrd_response", "MRD response", mrd),
                                 ("no_mrd_response", "no MRD response", ~mrd)]),
        ("hsct", "allo-HSCT after blinatumomab", [*routes, ("no_hsct", "no allo-HSCT", ~hsct)]),
        ("relapse", "relapse during follow-up", [("relapse", "relapse", f["relapse"]),
                                                 ("no_relapse", "no relapse", ~f["relapse"])]),
        ("status", "status at last follow-up", [("died", "died", f["died"]),
                                                ("alive", "alive at last follow-up", ~f["died"])]),
    ]  # fmt: skip


def patient_flow(cohort: pd.DataFrame) -> pd.DataFrame:
    """Boxes and arrows of the patient flow: blasts, response, MRD, transplant, relapse, status.

    Each row of boxes divides all patients (the response row each blast group).  Columns:
    ``kind`` ("box" or "arrow"), ``level`` (0 at the top), ``stage``, ``title``, ``box`` (an
    arrow's source), ``target``, ``label`` and ``n`` (for an arrow, the patients in both
    boxes); empty boxes are kept, empty arrows left out.

    >>> from analysis import load_cohort
    >>> boxes = patient_flow(load_cohort()).query("kind == 'box'").set_index("box")["n"]
    >>> int(boxes["overt_cr"]), int(boxes["died"])
    (12, 7)
    """
    stages, rows = _flow_stages(cohort), []
    for level, (stage, title, boxes) in enumerate(stages):
        head = {"level": level, "stage": stage, "title": title}
        rows += [{"kind": "box", **head, "box": k, "target": "", "label": label,
                  "n": int(m.sum())} for k, label, m in boxes]  # fmt: skip
        for src, _, src_mask in stages[level - 1][2] if level else []:
            for k, _, m in boxes:
                n = int((src_mask & m).sum())
                if n and (stage != "response" or k.startswith(src)):
                    rows.append({"kind": "arrow", **head, "box": src, "target": k, "label": "",
                                 "n": n})  # fmt: skip
    columns = ["kind", "level", "stage", "title", "box", "target", "label", "n"]
    return pd.DataFrame(rows, columns=columns)
