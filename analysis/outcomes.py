"""What happened after blinatumomab: survival summaries, deaths and relapses, transplants.

The survival and transplant chapters read their numbers from here.  Each function takes
the cohort table (:func:`analysis.data.load_cohort`) or a survival table
(:func:`analysis.derive.os_table`, :func:`analysis.derive.rfs_table`) and works for a cohort
of any size, including one where a group is empty or nobody had an event: what cannot be
estimated is returned as ``nan`` together with a ``*_text`` that says so in words.

``*_summary`` functions return a dict of plain Python numbers and strings, ready to be glued
into a chapter's prose one key at a time; the table functions return DataFrames, with a
``format_*`` companion giving the columns a reader sees.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import yaml

from . import config, derive, stats, survival

__all__ = [
    "DASH",
    "PATHWAY_LABELS",
    "percent_text",
    "median_range_text",
    "km_summary",
    "followup_summary",
    "deaths_and_relapses",
    "format_deaths_and_relapses",
    "transplants",
    "format_transplants",
    "transplant_pathways",
    "format_transplant_pathways",
    "transplant_summary",
    "load_discrepancies",
    "discrepancy",
]

#: Shown in tables for a value that does not apply or is not defined.
DASH = "—"

#: Readable names of the values of ``hsct_pathway``.
PATHWAY_LABELS: dict[str, str] = {
    "direct": "direct",
    "bridging": "after bridging therapy",
    "salvage": "after relapse and salvage",
}


def _nan(x) -> bool:
    try:
        return x is None or x is pd.NA or math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def _one(x: float, decimals: int | None = 1) -> str:
    """``x`` rounded half up; ``decimals=None``: whole numbers bare, others with one decimal."""
    x = float(x)
    if decimals is None:
        decimals = 0 if x.is_integer() else 1
    return f"{stats.round_half_up(x, decimals):f}"


# ----------------------------------------------------------------------------- text


def percent_text(k: int, n: int, decimals: int = 1, *, empty: str = "not defined") -> str:
    """``"62.5%"`` for ``k`` of ``n``; ``empty`` (with the reason) when ``n`` is 0.

    Examples
    --------
    >>> percent_text(10, 16)
    '62.5%'
    >>> percent_text(0, 0)
    'not defined (no patients)'
    """
    if int(n) == 0:
        return f"{empty} (no patients)"
    return f"{100.0 * int(k) / int(n):.{decimals}f}%"


def median_range_text(
    values,
    unit: str = "",
    decimals: int | None = None,
    *,
    empty: str = "not applicable (no patients)",
) -> str:
    """``"26 days (range 7-78)"`` for the non-missing ``values``; ``empty`` if there are none.

    Rounded half up to ``decimals`` places; by default whole numbers have none and other
    values one (a median of 22.5 days stays 22.5).

    Examples
    --------
    >>> median_range_text([7, 26, 78], "days")
    '26 days (range 7–78)'
    >>> median_range_text([], "days")
    'not applicable (no patients)'
    """
    med, lo, hi = stats.median_range(values)
    if _nan(med):
        return empty
    u = f" {unit}" if unit else ""
    return f"{_one(med, decimals)}{u} (range {_one(lo, decimals)}–{_one(hi, decimals)})"


# ----------------------------------------------------------------------------- survival


def km_summary(
    data: pd.DataFrame, months: float = 12.0, *, time: str = "time", event: str = "event"
) -> dict:
    """Kaplan-Meier summary of one survival table, as plain Python values.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient with ``time`` (months) and ``event`` (0/1).
    months : float, default 12
        Landmark of the survival estimate (the paper's 1-year OS and RFS).

    Returns
    -------
    dict
        ``n``, ``events``, ``censored`` (int); ``at_risk`` (patients still followed at
        ``months``); ``survival`` and ``se`` (percent at ``months``, Greenwood SE; ``nan``
        when not estimable); ``survival_text`` (``"64.2% ± 12.1%"`` or why it is not
        estimable); ``median`` (months, ``nan`` if not reached) and ``median_text``
        (``"not reached"``, ``"16.2 months"`` or ``"not estimable (no patients)"``).

    Notes
    -----
    The estimate at ``months`` is the Kaplan-Meier step function read at that time
    (:func:`analysis.survival.survival_at`).  It is estimable when some patient was
    followed up to ``months`` or the curve has already reached 0; otherwise the last
    estimate would be carried beyond the data and the summary says so instead.

    Examples
    --------
    >>> from analysis import derive, load_cohort
    >>> s = km_summary(derive.os_table(load_cohort()))
    >>> s["survival_text"], s["median_text"]
    ('64.2% ± 12.1%', 'not reached')
    """
    t = data[time].to_numpy(dtype=float)
    e = data[event].to_numpy(dtype=float)
    n = len(t)
    out = {
        "n": int(n),
        "events": int(e.sum()),
        "censored": int(n - e.sum()),
        "at_risk": int(survival.at_risk_counts(t, [months])[0]) if n else 0,
        "months": float(months),
    }
    if n == 0:
        out.update(
            survival=math.nan,
            se=math.nan,
            median=math.nan,
            survival_text="not estimable (no patients)",
            median_text="not estimable (no patients)",
        )
        return out
    km = survival.kaplan_meier(t, e)
    s, se = survival.survival_at(km, months)
    if t.max() >= months or s == 0.0:
        out["survival"], out["se"] = 100.0 * s, 100.0 * se
        out["survival_text"] = f"{100.0 * s:.1f}% ± {100.0 * se:.1f}%"
    else:
        out["survival"], out["se"] = math.nan, math.nan
        out["survival_text"] = f"not estimable (nobody followed for {months:g} months)"
    med = survival.median_survival(km)
    out["median"] = float(med)
    out["median_text"] = "not reached" if _nan(med) else f"{med:.1f} months"
    return out


def followup_summary(data: pd.DataFrame, *, time: str = "time", event: str = "event") -> dict:
    """Follow-up of an OS table, as the paper reports it and by the reverse Kaplan-Meier method.

    Returns
    -------
    dict
        ``median``, ``min``, ``max``: the median and range of every patient's observed
        time (death or last contact), the paper's "median follow-up of 11.0 months (range:
        1.7-28.5)" (Results, *Survival outcomes*); ``reverse_km`` (months, ``nan`` if not
        reached) and ``reverse_km_text``: the median potential follow-up, which counts
        the deaths as censored (Schemper and Smith 1996).

    Examples
    --------
    >>> from analysis import derive, load_cohort
    >>> f = followup_summary(derive.os_table(load_cohort()))
    >>> f["median"], f["min"], f["max"]
    (11.0, 1.7, 28.5)
    """
    t = data[time].to_numpy(dtype=float)
    e = data[event].to_numpy(dtype=float)
    med, lo, hi = stats.median_range(t)
    out = {"median": med, "min": lo, "max": hi}
    if len(t) == 0:
        out.update(reverse_km=math.nan, reverse_km_text="not estimable (no patients)")
        return out
    rev = survival.reverse_km_median_followup(t, e)
    out["reverse_km"] = float(rev)
    out["reverse_km_text"] = (
        "not reached (every patient died)" if _nan(rev) else f"{rev:.1f} months"
    )
    return out


# ----------------------------------------------------------------------------- deaths


def _response(cr: bool, mrd: bool) -> str:
    if not cr:
        return "no CR"
    return "CR, MRD response" if mrd else "CR, no MRD response"


def _text(s) -> str:
    return "" if _nan(s) else str(s).strip()


def deaths_and_relapses(cohort: pd.DataFrame) -> pd.DataFrame:
    """Every patient who relapsed or died, in order of the first of the two.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``response`` (``"CR, MRD response"``, ``"CR, no MRD
        response"`` or ``"no CR"``), ``hsct_months`` (allo-HSCT, months from the start of
        blinatumomab), ``car_t_months``, ``relapse_months``, ``relapse_site``,
        ``death_months`` (``nan`` if alive), ``cause_of_death`` and ``last_months`` (death
        or last contact).  Empty (with these columns) if nobody relapsed or died.

    Examples
    --------
    >>> from analysis import load_cohort
    >>> d = deaths_and_relapses(load_cohort())
    >>> int(d["death_months"].notna().sum()), int(d["relapse_months"].notna().sum())
    (7, 3)
    """
    f = derive.flags(cohort)
    keep = (f["died"] | f["relapse"]).to_numpy()
    c = cohort[keep]
    died = f["died"].to_numpy()[keep]
    out = pd.DataFrame(
        {
            "patient_id": c["patient_id"].astype(str).to_numpy(),
            "response": [_response(a, b) for a, b in zip(f["cr"][keep], f["mrd_response"][keep])],
            "hsct_months": c["hsct_months"].astype(float).to_numpy(),
            "car_t_months": c["car_t_months"].astype(float).to_numpy(),
            "relapse_months": np.where(
                f["relapse"].to_numpy()[keep], c["relapse_months"].astype(float), np.nan
            ),
            "relapse_site": [_text(s) for s in c["relapse_site"]],
            "death_months": np.where(died, c["os_months"].astype(float), np.nan),
            "cause_of_death": [_text(s) if d else "" for s, d in zip(c["cause_of_death"], died)],
            "last_months": c["os_months"].astype(float).to_numpy(),
        }
    )
    first = np.fmin(out["relapse_months"].to_numpy(), out["death_months"].to_numpy())
    out = out.assign(_first=first).sort_values(["_first", "patient_id"], kind="stable")
    return out.drop(columns="_first").reset_index(drop=True)


def _months(x) -> str:
    return DASH if _nan(x) else f"{float(x):.1f}"


def format_deaths_and_relapses(table: pd.DataFrame, max_rows: int | None = None) -> pd.DataFrame:
    """:func:`deaths_and_relapses` for display (months with one decimal, ``—`` if none).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`deaths_and_relapses`.
    max_rows : int, optional
        Show only the first ``max_rows`` patients and a last row saying how many more
        there are (for large cohorts).
    """
    more = 0
    if max_rows is not None and len(table) > max_rows:
        more, table = len(table) - max_rows, table.iloc[:max_rows]
    relapse = [
        DASH if _nan(m) else f"{_months(m)} ({site or 'site not recorded'})"
        for m, site in zip(table["relapse_months"], table["relapse_site"])
    ]
    death = [
        "alive" if _nan(m) else f"{_months(m)} ({cause or 'cause not recorded'})"
        for m, cause in zip(table["death_months"], table["cause_of_death"])
    ]
    out = pd.DataFrame(
        {
            "Patient": table["patient_id"].to_numpy(),
            "Response to blinatumomab": table["response"].to_numpy(),
            "Allo-HSCT, month": [_months(x) for x in table["hsct_months"]],
            "Relapse, month (site)": relapse,
            "Death, month (cause)": death,
        }
    )
    if more:
        extra = {c: "" for c in out.columns}
        extra["Patient"] = f"… and {more} more"
        out = pd.concat([out, pd.DataFrame([extra])], ignore_index=True)
    return out


# ----------------------------------------------------------------------------- transplant


def transplants(cohort: pd.DataFrame) -> pd.DataFrame:
    """One row per patient who received allo-HSCT after blinatumomab, in order of transplant.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``response``, ``pathway`` (``direct``, ``bridging``,
        ``salvage`` or as recorded), ``pre_hsct_therapy``, ``days_from_end``
        (``days_to_hsct``: days from the *end* of the blinatumomab infusion, the paper's
        interval, see the recorded discrepancy ``hsct_interval``), ``hsct_months``
        (months from the *start* of blinatumomab), ``first_remission`` (transplanted in CR
        before any relapse), ``mrd_negative_after``, ``relapse_months``, ``died``,
        ``cause_of_death`` and ``last_months``.

    Examples
    --------
    >>> from analysis import load_cohort
    >>> t = transplants(load_cohort())
    >>> len(t), int(t["first_remission"].sum())
    (11, 10)
    """
    f = derive.flags(cohort)
    keep = f["hsct"].to_numpy()
    c = cohort[keep]
    ff = f[keep]
    out = pd.DataFrame(
        {
            "patient_id": c["patient_id"].astype(str).to_numpy(),
            "response": [_response(a, b) for a, b in zip(ff["cr"], ff["mrd_response"])],
            "pathway": [_text(s) for s in c["hsct_pathway"]],
            "pre_hsct_therapy": [_text(s) for s in c["pre_hsct_therapy"]],
            "days_from_end": c["days_to_hsct"].astype(float).to_numpy(),
            "hsct_months": c["hsct_months"].astype(float).to_numpy(),
            "first_remission": ff["hsct_first_remission"].to_numpy(),
            "mrd_negative_after": ff["mrd_negative_after_hsct"].to_numpy(),
            "relapse_months": np.where(ff["relapse"], c["relapse_months"].astype(float), np.nan),
            "died": ff["died"].to_numpy(),
            "cause_of_death": [
                _text(s) if d else "" for s, d in zip(c["cause_of_death"], ff["died"])
            ],
            "last_months": c["os_months"].astype(float).to_numpy(),
        }
    )
    out = out.sort_values(["hsct_months", "patient_id"], kind="stable", na_position="last")
    return out.reset_index(drop=True)


def _yes_no(x) -> str:
    return "yes" if bool(x) else "no"


def format_transplants(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`transplants` for display: route with its therapy, timing, MRD, relapse and death.

    The timing of the transplant is given as days after the end of the blinatumomab infusion
    (``days_to_hsct``, the paper's interval) and, in parentheses, the month counted from the
    start of blinatumomab.
    """

    def route(pathway, therapy):
        label = PATHWAY_LABELS.get(pathway, pathway or DASH)
        return f"{label} ({therapy})" if therapy else label

    def course(r):
        parts = [] if _nan(r.relapse_months) else [f"relapse {_months(r.relapse_months)}"]
        if r.died:
            parts.append(
                f"died {_months(r.last_months)} ({r.cause_of_death or 'cause not recorded'})"
            )
        else:
            parts.append(f"alive at {_months(r.last_months)}")
        return "; ".join(parts)

    return pd.DataFrame(
        {
            "Patient": table["patient_id"].to_numpy(),
            "Response": table["response"].to_numpy(),
            "Route": [route(p, t) for p, t in zip(table["pathway"], table["pre_hsct_therapy"])],
            "HSCT, days after infusion (month)": [
                f"{DASH if _nan(d) else _one(d, None)} ({_months(m)})"
                for d, m in zip(table["days_from_end"], table["hsct_months"])
            ],
            "MRD-negative after": [_yes_no(x) for x in table["mrd_negative_after"]],
            "Relapse and death, month": [course(r) for r in table.itertuples()],
        }
    )


def transplant_pathways(cohort: pd.DataFrame) -> pd.DataFrame:
    """The routes to allo-HSCT, one row per pathway and a total.

    Returns
    -------
    pandas.DataFrame
        Columns ``pathway`` (``direct``, ``bridging``, ``salvage``, any other recorded
        value, then ``total``), ``patients``, ``mrd_responders``, ``mrd_nonresponders``,
        ``mrd_negative_after``, ``days_median``, ``days_min``, ``days_max`` (days from
        the end of blinatumomab; ``nan`` when there is nobody), ``therapies`` (the
        recorded bridging or salvage therapies, ``"; "``-separated) and ``deaths``.
        Pathways nobody took are listed with zero patients.

    Examples
    --------
    >>> from analysis import load_cohort
    >>> p = transplant_pathways(load_cohort()).set_index("pathway")
    >>> p["patients"].to_dict()
    {'direct': 9, 'bridging': 1, 'salvage': 1, 'total': 11}
    """
    t = transplants(cohort)
    mrd = derive.flags(cohort).set_index(cohort["patient_id"].astype(str))["mrd_response"]
    t = t.assign(mrd_response=mrd.reindex(t["patient_id"]).fillna(False).to_numpy(bool))
    order = list(PATHWAY_LABELS) + sorted(set(t["pathway"]) - set(PATHWAY_LABELS))
    rows = []
    for name, sub in [(p, t[t["pathway"] == p]) for p in order] + [("total", t)]:
        med, lo, hi = stats.median_range(sub["days_from_end"])
        therapies = sorted({s for s in sub["pre_hsct_therapy"] if s})
        rows.append(
            {
                "pathway": name,
                "patients": int(len(sub)),
                "mrd_responders": int(sub["mrd_response"].sum()),
                "mrd_nonresponders": int((~sub["mrd_response"]).sum()),
                "mrd_negative_after": int(sub["mrd_negative_after"].sum()),
                "days_median": med,
                "days_min": lo,
                "days_max": hi,
                "therapies": "; ".join(therapies),
                "deaths": int(sub["died"].sum()),
            }
        )
    return pd.DataFrame(rows)


def format_transplant_pathways(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`transplant_pathways` for display."""

    def days(r) -> str:
        if _nan(r.days_median):
            return DASH
        if r.days_min == r.days_max:
            return _one(r.days_median, None)
        return f"{_one(r.days_median, None)} ({_one(r.days_min, None)}–{_one(r.days_max, None)})"

    return pd.DataFrame(
        {
            "Route to allo-HSCT": [PATHWAY_LABELS.get(p, p) for p in table["pathway"]],
            "Patients": table["patients"].to_numpy(),
            "MRD responders / non-responders": [
                f"{a} / {b}" for a, b in zip(table["mrd_responders"], table["mrd_nonresponders"])
            ],
            "MRD-negative after HSCT": table["mrd_negative_after"].to_numpy(),
            "Days after infusion, median (range)": [days(r) for r in table.itertuples()],
            "Therapy before HSCT": [
                DASH if p == "total" else (s or DASH)
                for p, s in zip(table["pathway"], table["therapies"])
            ],
            "Deaths": table["deaths"].to_numpy(),
        }
    )


def transplant_summary(cohort: pd.DataFrame) -> dict:
    """The counts and intervals the transplant chapter quotes, as plain Python values.

    Returns
    -------
    dict
        Counts (int): ``n``, ``cr``, ``hsct`` (all transplants), ``hsct_cr`` (transplanted
        patients who reached CR), ``hsct_first_remission``, ``hsct_after_relapse``,
        ``direct``, ``bridging``, ``salvage``, ``mrd_nonresponders_hsct`` and
        ``mrd_nonresponders_hsct_mrd_negative`` (MRD non-responders transplanted, and
        MRD-negative after it), ``mrd_negative_after``, ``no_cr``, ``no_cr_car_t``,
        ``no_cr_car_t_died``, ``hsct_died``; texts (str): ``pct_first_remission`` and
        ``pct_any_hsct`` (of the patients in CR), ``days_from_end`` and ``months_from_start``
        (median and range of all transplants), ``months_first_remission`` (months from
        the start of blinatumomab to the transplants in first remission).

    Examples
    --------
    >>> from analysis import load_cohort
    >>> s = transplant_summary(load_cohort())
    >>> s["hsct"], s["hsct_first_remission"], s["pct_first_remission"], s["pct_any_hsct"]
    (11, 10, '62.5%', '68.8%')
    """
    f = derive.flags(cohort)

    def n(*names, negate=()):
        m = np.ones(len(cohort), bool)
        for name in names:
            m &= f[name].to_numpy()
        for name in negate:
            m &= ~f[name].to_numpy()
        return int(m.sum())

    hsct = f["hsct"].to_numpy()
    cr1 = f["hsct_first_remission"].to_numpy()
    days = cohort.loc[hsct, "days_to_hsct"].astype(float)
    months = cohort.loc[hsct, "hsct_months"].astype(float)
    months_cr1 = cohort.loc[cr1, "hsct_months"].astype(float)
    n_cr = n("cr")
    return {
        "n": int(len(cohort)),
        "cr": n_cr,
        "hsct": n("hsct"),
        "hsct_cr": n("hsct", "cr"),
        "hsct_first_remission": n("hsct_first_remission"),
        "hsct_after_relapse": n("hsct", "relapse", negate=("hsct_first_remission",)),
        "direct": n("hsct_direct"),
        "bridging": n("hsct_bridging"),
        "salvage": n("hsct_salvage"),
        "mrd_nonresponders_hsct": n("hsct_first_remission", "mrd_nonresponse"),
        "mrd_nonresponders_hsct_mrd_negative": n(
            "hsct_first_remission", "mrd_nonresponse", "mrd_negative_after_hsct"
        ),
        "mrd_negative_after": n("mrd_negative_after_hsct"),
        "no_cr": n("no_cr"),
        "no_cr_car_t": n("no_cr", "car_t_after"),
        "no_cr_car_t_died": n("no_cr", "car_t_after", "died"),
        "hsct_died": n("hsct", "died"),
        "pct_first_remission": percent_text(n("hsct_first_remission", "cr"), n_cr),
        "pct_any_hsct": percent_text(n("hsct", "cr"), n_cr),
        "days_from_end": median_range_text(days, "days"),
        "months_from_start": median_range_text(months, "months", 1),
        "months_first_remission": median_range_text(months_cr1, "months", 1),
    }


# ----------------------------------------------------------------------------- discrepancies


@cache
def _discrepancies(path: str) -> tuple:
    with open(path, encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh) or ())


def load_discrepancies(path=None) -> pd.DataFrame:
    """The recorded discrepancies of the paper (``analysis/discrepancies.yml``).

    Parameters
    ----------
    path : str or Path, optional
        Another file of the same layout (default :data:`analysis.config.DISCREPANCIES_PATH`).

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``where``, ``statement``, ``finding``, ``resolution``.
    """
    return pd.DataFrame(list(_discrepancies(str(path or config.DISCREPANCIES_PATH))))


def discrepancy(key: str) -> dict:
    """One recorded discrepancy by id (``KeyError`` if there is none)."""
    for entry in _discrepancies(str(config.DISCREPANCIES_PATH)):
        if entry["id"] == key:
            return dict(entry)
    raise KeyError(f"no discrepancy {key!r} in analysis/discrepancies.yml")
