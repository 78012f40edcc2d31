"""Patient journeys: every course on one time axis, and how the cohort divides over time.
Conventions (not recorded): cycles are 28-day infusions every 6 weeks (after a relapse, from
it); the response is marked at the end of cycle 1 (of the infusion if an event comes first)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..data.derive import flags
from ..stats.proportions import median_range
from .survival import column

#: Response groups (bar colours of the swimmer plot), top to bottom.
RESPONSE_GROUPS: tuple[str, ...] = ("CR, MRD response", "CR, no MRD response", "no CR")
#: Above this many patients the swimmer plot draws a random sample of this size, seeded.
SWIMMER_MAX, SWIMMER_SEED = 30, 2024
CYCLE_M, INFUSION_M = (d / config.DAYS_PER_MONTH for d in (config.CYCLE_DAYS, config.INFUSION_DAYS))
_MARGIN = 0.25  # months: the response marker moves to the end of the infusion this close
#: Sentences the data choose (a data file beside this module).
TEXTS = yaml.safe_load((config.PACKAGE / "results" / "journeys.yml").read_text(encoding="utf-8"))


def _flags(cohort: pd.DataFrame) -> dict[str, np.ndarray]:
    return {k: v.to_numpy() for k, v in flags(cohort).items()}


def recorded(cohort: pd.DataFrame) -> dict[str, bool]:
    """Whether each optional column the chapter uses holds any value (False: not recorded)."""
    cols = TEXTS["not_recorded"]
    return {c: c in cohort and bool(cohort[c].replace("", pd.NA).notna().any()) for c in cols}


def response_group(cohort: pd.DataFrame) -> pd.Series:
    """Response group of each patient (ordered categorical of :data:`RESPONSE_GROUPS`)."""
    f = flags(cohort)
    code = np.where(f["cr"], np.where(f["mrd_response"], 0, 1), 2)
    cat = pd.Categorical.from_codes(code, categories=list(RESPONSE_GROUPS), ordered=True)
    return pd.Series(cat, index=cohort.index, name="response_group")


def cycle_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Approximate cycles (module notes): ``patient_id``, ``cycle``, ``start_months``,
    ``end_months`` (end of the infusion, at most the end of follow-up), ``after_relapse``."""
    k = np.nan_to_num(column(cohort, "cycles")).astype(int).clip(0)
    idx = np.repeat(np.arange(len(cohort)), k)
    cycle = np.arange(idx.size) - np.repeat(np.cumsum(k) - k, k) + 1
    rel_m, end = column(cohort, "relapse_months")[idx], column(cohort, "os_months")[idx]
    after = _flags(cohort)["relapse"][idx] & (cycle >= 2) & np.isfinite(rel_m)
    start = np.where(after, np.nan_to_num(rel_m) + (cycle - 2) * CYCLE_M, (cycle - 1) * CYCLE_M)
    out = pd.DataFrame({"patient_id": cohort["patient_id"].to_numpy()[idx], "cycle": cycle,
                        "start_months": start, "end_months": np.minimum(start + INFUSION_M, end),
                        "after_relapse": after})  # fmt: skip
    return out[start < end].reset_index(drop=True)


def events_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Every marker of the swimmer plot: ``patient_id``, ``event`` (cr, cr_mrd_negative, hsct,
    car_t, relapse, death, censored) and ``months`` (response: approximate, see above)."""
    f, cycles, ids = _flags(cohort), cycle_table(cohort), cohort["patient_id"].to_numpy()
    second = cycles[(cycles["cycle"] == 2) & cycles["after_relapse"]].set_index("patient_id")
    cols = ("hsct_months", "car_t_months", "relapse_months", "os_months")
    hsct, car_t, rel, os_m = (column(cohort, c) for c in cols)
    nxt = np.fmin.reduce([hsct, car_t, rel, os_m, second["start_months"].reindex(ids).to_numpy()])
    resp = np.where(nxt <= CYCLE_M + _MARGIN, INFUSION_M, CYCLE_M)
    parts = {"cr": (f["cr"] & ~f["mrd_response"], resp),
             "cr_mrd_negative": (f["cr"] & f["mrd_response"], resp), "hsct": (f["hsct"], hsct),
             "car_t": (f["car_t_after"], car_t), "relapse": (f["relapse"], rel),
             "death": (f["died"], os_m), "censored": (~f["died"], os_m)}  # fmt: skip
    return pd.concat([pd.DataFrame({"patient_id": ids[m & np.isfinite(t)], "event": event,
                                    "months": t[m & np.isfinite(t)]})
                      for event, (m, t) in parts.items()], ignore_index=True)  # fmt: skip


def swimmer_rows(cohort: pd.DataFrame, max_patients: int = SWIMMER_MAX) -> pd.DataFrame:
    """What the swimmer plot draws: ``row`` (0 at the top; by response group, then follow-up),
    ``patient_id``, ``group``, ``group_n`` (drawn), ``element`` ("follow-up", "infusion" or an
    event), ``start_months``, ``end_months``; a seeded sample above ``max_patients``."""
    if len(cohort) > max_patients:
        cohort = cohort.sample(n=max_patients, random_state=SWIMMER_SEED)
    key = pd.DataFrame({"g": response_group(cohort).cat.codes, "fu": -column(cohort, "os_months"),
                        "id": cohort["patient_id"].astype(str)}, index=cohort.index)  # fmt: skip
    c = cohort.loc[key.sort_values(["g", "fu", "id"], kind="mergesort").index]
    ids, ev = c["patient_id"].to_numpy(), events_table(c)
    out = pd.concat([pd.DataFrame({"patient_id": ids, "element": "follow-up", "start_months": 0.0,
                                   "end_months": column(c, "os_months")}),
                     cycle_table(c).assign(element="infusion"),
                     ev.set_axis(["patient_id", "element", "start_months"], axis=1).assign(
                         end_months=ev["months"])], ignore_index=True)  # fmt: skip
    group = pd.Series(response_group(c).astype(str).to_numpy(), index=ids)
    out = out.assign(row=out["patient_id"].map(pd.Series(np.arange(len(c)), index=ids)),
                     group=out["patient_id"].map(group))  # fmt: skip
    out["group_n"] = out["group"].map(group.value_counts()).astype(int)
    return out[["row", "patient_id", "group", "group_n", "element", "start_months", "end_months"]]


def course_summary(cohort: pd.DataFrame) -> dict[str, int | float]:
    """Counts (``n_<flag>``, also per response group ``n_<x>_in_<g>``) and times (follow-up
    and transplant median, min, max; NaN if none) of the courses, and the drawing schedule."""
    f, ids, cycles = _flags(cohort), cohort["patient_id"], cycle_table(cohort)
    events = events_table(cohort)
    early = events["event"].isin(["cr", "cr_mrd_negative"]) & (events["months"] < CYCLE_M)
    f |= {"overt_cr": f["overt"] & f["cr"], "relapse_died": f["relapse"] & f["died"],
          "hsct_died": f["hsct"] & f["died"], "car_t": f["car_t_after"], "no_hsct": ~f["hsct"],
          "died_without_relapse_in_cr": f["cr"] & ~f["relapse"] & f["died"],
          "relapse_second_cycle": ids.isin(cycles.loc[cycles["after_relapse"], "patient_id"]),
          "response_early": ids.isin(events.loc[early, "patient_id"]).to_numpy()}  # fmt: skip
    f["no_hsct_multi_cycle"] = f["no_hsct"] & (np.nan_to_num(column(cohort, "cycles")) > 1)
    group, fu, out = response_group(cohort).to_numpy(), column(cohort, "os_months"), {}
    for g, key in zip(RESPONSE_GROUPS, ("cr_mrd", "cr_no_mrd", "no_cr")):
        f |= {key: group == g} | {f"{x}_in_{key}": (group == g) & f[x] for x in (
            "hsct", "car_t", "died", "alive", "no_hsct", "no_hsct_multi_cycle")}  # fmt: skip
        out[f"fu_median_in_{key}"] = median_range(fu[group == g])[0]
    for name, x in (("hsct_months", column(cohort, "hsct_months")[f["hsct"]]), ("fu", fu)):
        out |= dict(zip((f"{name}_median", f"{name}_min", f"{name}_max"), median_range(x)))
    return {"n": len(cohort)} | out | {f"n_{k}": int(np.sum(v)) for k, v in f.items()} | {
        "infusion_days": config.INFUSION_DAYS, "cycle_days": config.CYCLE_DAYS,
        "response_months": CYCLE_M, "infusion_months": INFUSION_M}  # fmt: skip


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """:func:`course_summary` as glue-ready strings, and the sentences of ``journeys.yml``
    the data choose (``not_recorded``, ``hsct_routes``, ``data_note`` for captions, ...)."""
    s, rec, recon = course_summary(cohort), recorded(cohort), config.uses_reconstruction()
    t = {k: fmt.number(v) if isinstance(v, float) else str(v) for k, v in s.items()} | {
        "swimmer_max": str(SWIMMER_MAX), "swimmer_seed": str(SWIMMER_SEED),
        "cohort_file": config.cohort_path().name}  # fmt: skip
    need = {"hsct_months": s["n_hsct"], "hsct_pathway": s["n_hsct"], "car_t_after": 1,
            "relapse_months": s["n_relapse"], "car_t_months": s["n_car_t"]}  # fmt: skip
    lost = [text for c, text in TEXTS["not_recorded"].items() if need[c] and not rec[c]]
    holds = {"hsct_routes": rec["hsct_pathway"], "hsct_timing": rec["hsct_months"] and s["n_hsct"],
             "car_t_in_no_cr": rec["car_t_after"], "swimmer_sample": s["n"] <= SWIMMER_MAX,
             "data_note": recon, "caveat": recon}  # fmt: skip
    t["not_recorded"] = " ".join(lost) or TEXTS["all_recorded"]
    return t | {k: TEXTS[k][0 if ok else 1].format(**t) for k, ok in holds.items()}


def _stages(cohort: pd.DataFrame) -> list:
    """Stages in time order: title, and the split of a branch (its path) into boxes (key,
    label, mask), or None where the stage does not apply to it (MRD without CR)."""
    f, rec = _flags(cohort), recorded(cohort)
    cr, mrd, rel, died = f["cr"], f["mrd_response"], f["relapse"], f["died"]
    timed = np.isfinite(column(cohort, "hsct_months") - column(cohort, "relapse_months"))
    untimed = f["hsct"] & cr & rel & ~timed
    first = f["hsct_first_remission"] & ~untimed
    cons = [("hsct", "allo-HSCT", first), ("no_hsct", "no allo-HSCT", ~first & ~untimed),
            ("hsct_unknown", "allo-HSCT, untimed", untimed)]  # fmt: skip
    car_t = f["car_t_after"]
    other = [("car_t", "CAR-T", car_t), ("no_car_t", "no CAR-T", ~car_t)] * rec["car_t_after"]
    return [
        ("start", lambda p: [("treated", "treated", f["all"])]),
        ("response", lambda p: [("cr", "CR", cr), ("no_cr", "no CR", ~cr)]),
        ("MRD", lambda p: [("mrd", "MRD response", mrd), ("no_mrd", "no MRD response", ~mrd)]
         if p[1] == "cr" else None),
        ("consolidation", lambda p: cons if p[1] == "cr" else other or None),
        ("relapse", lambda p: [("relapse", "relapse", rel), ("no_relapse", "no relapse", ~rel)]
         if p[1] == "cr" else None),
        ("status at last follow-up", lambda p: [("died", "died", died), ("alive", "alive", ~died)]),
    ]  # fmt: skip


def patient_flow(cohort: pd.DataFrame) -> pd.DataFrame:
    """The patient-flow diagram, a tree in time order whose (non-empty) boxes partition each
    stage: ``box`` (path of keys), ``parent``, ``stage`` to ``last_stage`` (a box spans the
    stages that do not apply to it), ``title``, ``label``, ``n``, ``first`` and ``last`` leaf."""
    rows, active = [], [((), np.ones(len(cohort), bool), None)]
    for s, (title, split) in enumerate(_stages(cohort)):
        nxt = []
        for path, mask, i in active:
            if (kids := split(path)) is None:
                rows[i]["last_stage"] = s
                nxt.append((path, mask, i))
            for key, label, m in kids or []:
                if (m := mask & m).any():
                    rows.append({"box": "/".join((*path, key)), "parent": "/".join(path),
                                 "stage": s, "last_stage": s, "title": title, "label": label,
                                 "n": int(m.sum()), "first": -1, "last": -1, "up": i})  # fmt: skip
                    nxt.append(((*path, key), m, len(rows) - 1))
        active = nxt
    for leaf, (_, _, i) in enumerate(active):
        while i is not None:
            rows[i]["first"] = leaf if rows[i]["first"] < 0 else rows[i]["first"]
            rows[i]["last"], i = leaf, rows[i]["up"]
    return pd.DataFrame(rows).drop(columns="up")
