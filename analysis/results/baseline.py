"""Baseline characteristics at the start of blinatumomab: the paper's Table 1, whose rows are
those of the Results, *Patient characteristics* (the table is not in the text).  Percentages
are of all patients; a characteristic missing for some patients gets an ``unknown`` row."""

import numpy as np
import pandas as pd

from .. import format as fmt
from ..data import derive
from ..stats import median_range

__all__ = ["known", "note", "table1", "table1_shown", "texts"]

_MRD, _BLASTS = "MRD-positive (≥ 0.01%) at start", "Marrow blasts at start"
_CYCLES, _DX = "Blinatumomab cycles", "Months from diagnosis to blinatumomab"
_YES_NO = (("yes", "yes"), ("no", "no"))  # the value of a boolean column
#: Table 1: characteristic, column, summarised (median, range), (category, flag) pairs.
_ROWS = (
    ("Sex", "sex", False, (("male", "male"), ("female", "female"))),
    ("Age, years", "age_years", True, (("≤ 18", "age_le18"), ("> 18", "age_gt18"))),
    ("Philadelphia chromosome", "ph_positive", False,
     (("positive (Ph+)", "ph_positive"), ("negative (Ph−)", "ph_negative"))),
    (_DX, "months_diagnosis_to_blinatumomab", True, (("< 12", "dx_lt12"), ("≥ 12", "dx_ge12"))),
    ("Previous allo-HSCT", "prior_allo_hsct", False, _YES_NO),
    ("Previous CAR-T", "prior_car_t", False, _YES_NO),
    (_BLASTS, "marrow_blasts_pct", False,
     (("< 5%", "low_burden"), ("5–49%", "blasts_5_49"), ("≥ 50%", "high_blasts"))),
    ("Extramedullary disease", "extramedullary_disease", False, _YES_NO),
    (_MRD, "mrd_positive_at_start", False, _YES_NO),
    (_CYCLES, "cycles", True, (("1", "c1"), ("2", "c2"), ("3–5", "c3_5"), ("≥ 6", "c6"))),
)  # fmt: skip
#: Glue key of each count in the chapter's prose: (characteristic, categories summed).
_COUNTS = {
    "n_male": ("Sex", "male"), "n_female": ("Sex", "female"), "n_age_le18": ("Age, years", "≤ 18"),
    "n_ph": ("Philadelphia chromosome", "positive (Ph+)"),
    "n_prior_hsct": ("Previous allo-HSCT", "yes"), "n_prior_car_t": ("Previous CAR-T", "yes"),
    "n_low_burden": (_BLASTS, "< 5%"), "n_overt": (_BLASTS, "5–49%", "≥ 50%"),
    "n_high_blasts": (_BLASTS, "≥ 50%"), "n_emd": ("Extramedullary disease", "yes"),
    "n_mrd_positive": (_MRD, "yes"), "n_one_cycle": (_CYCLES, "1"),
    "n_two_cycles": (_CYCLES, "2"), "n_six_cycles": (_CYCLES, "≥ 6"),
}  # fmt: skip


def known(cohort: pd.DataFrame, column: str) -> np.ndarray:
    """Rows where ``column`` is recorded (not missing, not blank)."""
    s = cohort[column]
    ok = s.notna().to_numpy(bool)
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        ok &= s.fillna("").astype(str).str.strip().ne("").to_numpy()
    return ok


def note(text: str) -> str:
    """``text`` as a MyST ``{note}`` admonition (for a chapter to display as Markdown)."""
    return f"```{{note}}\n{text}\n```"


def table1(cohort: pd.DataFrame) -> pd.DataFrame:
    """Baseline characteristics (the paper's Table 1), one row per category in display order.

    Returns
    -------
    pandas.DataFrame
        ``characteristic``, ``category``, ``statistic`` (``n (%)`` or ``median (range)``),
        ``n``, ``denominator``, ``percent``, ``median``, ``min``, ``max``.
    """
    c, total, cyc = cohort, len(cohort), cohort["cycles"].astype(float)
    f = derive.flags(c).assign(c1=cyc == 1, c2=cyc == 2, c3_5=cyc.between(3, 5), c6=cyc >= 6)
    rows = [("Patients", "all", "n (%)", total, np.nan, np.nan, np.nan)]
    for label, column, summarised, categories in _ROWS:
        ok = known(c, column)
        yes = derive.as_bool(c[column]) if categories is _YES_NO else ok
        masks = {"yes": yes, "no": ~yes}
        if summarised:
            rows.append((label, "median (range)", "median (range)", pd.NA,
                         *median_range(c.loc[ok, column].astype(float))))  # fmt: skip
        for category, flag in categories:
            k = int((ok & np.asarray(masks[flag] if flag in masks else f[flag], bool)).sum())
            rows.append((label, category, "n (%)", k, np.nan, np.nan, np.nan))
        if not ok.all():
            rows.append((label, "unknown", "n (%)", int((~ok).sum()), np.nan, np.nan, np.nan))
    out = pd.DataFrame(rows, columns=["characteristic", "category", "statistic", "n",
                                      "median", "min", "max"]).astype({"n": "Int64"})  # fmt: skip
    out.insert(4, "denominator", total)
    out.insert(5, "percent", 100.0 * out["n"].astype(float) / total if total else np.nan)
    return out


def table1_shown(t1: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as displayed: ``Characteristic`` (once per group), ``Category``, the value."""
    values = [
        fmt.median_range(r.median, r.min, r.max) if r.statistic == "median (range)"
        else str(r.n) if r.category == "all" else fmt.n_pct(r.n, r.denominator)
        for r in t1.itertuples(index=False)
    ]  # fmt: skip
    return pd.DataFrame({
        "Characteristic": t1["characteristic"].where(~t1["characteristic"].duplicated(), ""),
        "Category": t1["category"], "Patients, n (%) or median (range)": values,
    })  # fmt: skip


def texts(cohort: pd.DataFrame) -> dict[str, str]:
    """Glue-ready numbers of the baseline chapter (keys without the ``baseline_`` prefix).

    A count whose column is recorded for nobody reads "not recorded".
    """
    t = table1(cohort)
    t1, total = t.set_index(["characteristic", "category"])["n"], len(cohort)

    def n(characteristic, *categories):
        if total and t1.get((characteristic, "unknown"), 0) == total:
            return "not recorded"
        return str(sum(int(t1.get((characteristic, c), 0)) for c in categories))

    out = {"n": str(total)} | {key: n(*spec) for key, spec in _COUNTS.items()}
    out["pct_high_blasts"] = fmt.percent(t1.get((_BLASTS, "≥ 50%"), 0), total)
    out["pct_one_cycle"] = fmt.percent(t1.get((_CYCLES, "1"), 0), total)
    summaries = t[t["statistic"] == "median (range)"].set_index("characteristic")
    for key, label in (("age", "Age, years"), ("dx", _DX), ("cycles", _CYCLES)):
        for stat in ("median", "min", "max"):
            out[f"{key}_{stat}"] = fmt.number(summaries.loc[label, stat], None)
    return out
