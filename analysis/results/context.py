"""This cohort's response rates beside the published blinatumomab trials.

The trials' figures live in ``config.LITERATURE_PATH``, each row with its source and what
could be checked in it; this cohort's rows are computed from the cohort table.  Rates carry
exact (Clopper-Pearson) 95% CIs from :mod:`analysis.stats.proportions`.

>>> from analysis import load_cohort
>>> row = response_table(load_cohort(), load_trials()).set_index("key").loc["topp2015"]
>>> [fmt.number(row[c]) for c in ("percent", "ci_lower", "ci_upper")]
['42.9', '35.7', '50.2']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config
from .. import format as fmt
from ..data.derive import flags
from ..stats.proportions import compare_proportions, proportion

__all__ = ["TRIAL_COLUMNS", "ENDPOINTS", "CHECKED_VALUES", "STUDY", "derived_count", "load_trials",
           "response_table", "format_response_table", "forest_rows", "burden_table", "texts",
           "format_burden_table", "burden_test", "quote_check", "format_quote_table"]  # fmt: skip

#: Columns of the literature file, in order (meanings: :func:`load_trials`).
TRIAL_COLUMNS: tuple[str, ...] = (
    "key", "study", "citation", "year", "population", "ph_status", "setting", "endpoint", "arm",
    "responders", "n", "reported_pct", "reported_ci", "quoted_pct", "quoted_where",
    "high_blast_pct", "count_source", "checked", "source_note", "notes")  # fmt: skip
#: Endpoints, in the order of the forest plot's legend (the cohort's MRD endpoint last).
ENDPOINTS = ("CR", "CR/CRh", "CR/CRh/CRi", "complete MRD response", "MRD response")
#: Whether a row's figures were read in a retrieved source text; the name of this cohort's rows.
CHECKED_VALUES, STUDY = ("yes", "partly", "no"), "This cohort"
_INT, _NUM = ("year", "responders", "n"), ("reported_pct", "quoted_pct", "high_blast_pct")
_BURDEN = {"low_burden": "< 5% blasts", "blasts_5_49": "5–49% blasts",
           "high_blasts": "≥ 50% blasts", "overt": "≥ 5% blasts (all overt disease)"}  # fmt: skip


def derived_count(percent: float, n: int) -> int:
    """The count a rounded percentage stands for, rounded half up (TOWER: 25% of 134 is 34)."""
    return int(fmt.round_half_up(percent * n / 100, 0))


def load_trials(path=None) -> pd.DataFrame:
    """The published trials the book compares this cohort with (one row per arm and endpoint).

    Columns: ``key`` (row id), ``study``, ``citation``, ``year``, ``population``,
    ``ph_status``, ``setting``, ``endpoint`` (of :data:`ENDPOINTS`), ``arm``, ``responders``
    and ``n``, ``reported_pct`` and ``reported_ci`` (as the source prints them),
    ``quoted_pct`` and ``quoted_where`` (what the paper under study quotes, and where),
    ``high_blast_pct`` (% with >= 50% marrow blasts), ``count_source`` (reported, derived,
    cited: as stated by the paper under study), ``checked`` (of :data:`CHECKED_VALUES`),
    ``source_note`` (what was read where) and ``notes``.  Where the source prints only a
    percentage, ``responders`` is :func:`derived_count` and ``count_source`` "derived".
    Sources: Topp 2015, TOWER 2017, ALCANTARA 2017, BLAST 2018, Zhou 2022, Shi (as cited).
    """
    raw = pd.read_csv(path := path or config.LITERATURE_PATH, dtype=str, keep_default_na=False)
    if missing := [c for c in TRIAL_COLUMNS if c not in raw]:
        raise ValueError(f"{path}: missing columns {missing}")
    df = raw[list(TRIAL_COLUMNS)].copy()
    for c in _INT + _NUM:
        df[c] = pd.to_numeric(df[c].mask(df[c] == "")).astype("Int64" if c in _INT else float)
    for col, allowed in (("endpoint", ENDPOINTS), ("checked", CHECKED_VALUES)):
        if bad := set(df[col]) - set(allowed):
            raise ValueError(f"{path}: '{col}' must be one of {allowed}, got {sorted(bad)}")
    if (todo := df["responders"].isna()).any() and df.loc[todo, "reported_pct"].isna().any():
        raise ValueError(f"{path}: rows without responders need reported_pct")
    pct, n = df.loc[todo, "reported_pct"], df.loc[todo, "n"]
    df.loc[todo, "responders"] = [derived_count(p, k) for p, k in zip(pct, n)]
    df.loc[todo, "count_source"] = "derived"
    return df


def _rates(k, n) -> list[tuple[float, float, float]]:
    """Percent and exact 95% CI of each ``k/n`` (NaN when ``n`` is 0)."""
    return [(p.percent, p.ci_lower, p.ci_upper) for p in map(proportion, map(int, k), map(int, n))]


def response_table(cohort: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """The cohort's rows (CR with >= 5% marrow blasts, MRD response in all; ``high_blast_pct``:
    >= 50% blasts in that denominator), then the trials, with ``percent``, ``ci_lower``,
    ``ci_upper``, ``is_cohort`` and ``label`` (study, comparator, endpoint if several)."""
    f, rows = flags(cohort), []
    for key, mask, endpoint, outcome in (("cohort_cr", f["overt"], "CR", f["cr"]),
                                         ("cohort_mrd", f["all"], "MRD response",
                                          f["mrd_response"])):  # fmt: skip
        n = int(mask.sum())
        rows.append({"key": key, "study": STUDY, "endpoint": endpoint, "arm": "blinatumomab",
                     "responders": int((mask & outcome).sum()), "n": n, "checked": "yes",
                     "high_blast_pct": 100 * (mask & f["high_blasts"]).sum() / n if n else np.nan,
                     "count_source": "computed",
                     "source_note": "computed from the cohort table"})  # fmt: skip
    ours = pd.DataFrame(rows).astype({"responders": "Int64", "n": "Int64"})
    both = pd.concat([ours, trials], ignore_index=True)
    both[["percent", "ci_lower", "ci_upper"]] = _rates(both["responders"], both["n"])
    both["is_cohort"] = both["study"] == STUDY
    several = both.groupby("study")["endpoint"].transform("nunique") > 1
    both["label"] = both["study"] + _arm(both) + (" (" + both["endpoint"] + ")").where(several, "")
    return both


def _arm(table: pd.DataFrame) -> pd.Series:
    """The comparator arm as ", arm" (empty for blinatumomab)."""
    arm = ", " + table["arm"].str.split(" (", regex=False).str[0]
    return arm.where(table["arm"] != "blinatumomab", "")


def _count(table: pd.DataFrame, k: str = "responders", n: str = "n") -> pd.Series:
    return table[k].astype(str) + "/" + table[n].astype(str)


def _pct_ci(table: pd.DataFrame, cols=("percent", "ci_lower", "ci_upper")) -> list[str]:
    """``p (lower–upper)`` per row, a dash when undefined."""
    return [fmt.DASH if fmt.is_missing(p) else f"{fmt.number(p)} ({fmt.ci(lo, hi)})"
            for p, lo, hi in table[list(cols)].to_numpy()]  # fmt: skip


def format_response_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`response_table` as text ("(derived)": a count from a rounded percentage)."""
    derived = table["count_source"].eq("derived").map({True: " (derived)", False: ""})
    return pd.DataFrame({
        "study": table["label"], "endpoint": table["endpoint"],
        "responders / n": _count(table) + derived, "% (95% CI)": _pct_ci(table),
        "≥ 50% blasts, %": [fmt.number(x) if pd.notna(x) else "" for x in table["high_blast_pct"]],
        "checked": table["checked"]})  # fmt: skip


def forest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """What the forest plot draws: ``label`` († where not checked), ``endpoint``, ``percent``,
    ``ci_lower``, ``ci_upper``, ``is_cohort``, ``derived`` and ``text`` (k/n and % (CI))."""
    out = table[["label", "endpoint", "percent", "ci_lower", "ci_upper", "is_cohort"]].copy()
    out["label"] += table["checked"].eq("no").map({True: "†", False: ""})
    out["derived"] = table["count_source"].eq("derived")
    out["text"] = _count(table) + "   " + pd.Series(_pct_ci(table), index=table.index)
    return out


def burden_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """CR by marrow blasts at the start (< 5%: a sustained CR).

    Not a published result: the paper's Table 3 is not in its text; the >= 50% labels are the
    reconstruction's choice.  Columns: ``group``, ``label``, ``n``, ``share_all``, ``share_overt``
    (%; NaN for ``low_burden``), ``cr``, ``cr_pct``, ``cr_ci_lower``, ``cr_ci_upper``.
    """
    f = flags(cohort)
    n, cr = f[list(_BURDEN)].sum(), f.loc[f["cr"], list(_BURDEN)].sum()
    out = pd.DataFrame({"group": list(_BURDEN), "label": list(_BURDEN.values()), "n": n.values,
                        "share_all": (100 * n / len(f)).values,
                        "share_overt": (100 * n / n["overt"]).mask(n.index == "low_burden").values,
                        "cr": cr.values})  # fmt: skip
    out[["cr_pct", "cr_ci_lower", "cr_ci_upper"]] = _rates(cr, n)
    return out


def format_burden_table(burden: pd.DataFrame) -> pd.DataFrame:
    """:func:`burden_table` as text, as the chapter shows it."""
    return pd.DataFrame({
        "marrow blasts at start": burden["label"], "n": burden["n"],
        "% of all patients": burden["share_all"].map(fmt.number),
        "CR / n": _count(burden, "cr"),
        "CR, % (95% CI)": _pct_ci(burden, ("cr_pct", "cr_ci_lower", "cr_ci_upper"))})  # fmt: skip


def burden_test(cohort: pd.DataFrame) -> dict:
    """CR with >= 50% against 5-49% blasts among the patients with overt disease, as
    :func:`~analysis.stats.proportions.compare_proportions` (``p_value`` NaN if one is empty)."""
    f = flags(cohort)
    return compare_proportions(f.loc[f["overt"], "cr"], f.loc[f["overt"], "high_blasts"])


def quote_check(trials: pd.DataFrame) -> pd.DataFrame:
    """The trial rows the paper quotes, with ``source_pct`` (100 responders / n) and ``agrees``
    (``source_pct`` rounded half up to the quote's decimals; "derived" rows agree by design)."""
    q = trials[trials["quoted_pct"].notna()].reset_index(drop=True)
    q["source_pct"] = 100 * q["responders"].astype(float) / q["n"].astype(float)
    places = [len(f"{x:g}".partition(".")[2]) for x in q["quoted_pct"]]
    q["agrees"] = [float(fmt.round_half_up(s, d)) == p
                   for s, d, p in zip(q["source_pct"], places, q["quoted_pct"])]  # fmt: skip
    return q


def format_quote_table(quotes: pd.DataFrame) -> pd.DataFrame:
    """:func:`quote_check` as text, as the chapter shows it."""
    return pd.DataFrame({
        "study": quotes["study"] + _arm(quotes),
        "paper quotes, %": [fmt.number(x, None) for x in quotes["quoted_pct"]],
        "where": quotes["quoted_where"],
        "source, %": _count(quotes) + " = " + quotes["source_pct"].map(fmt.number),
        "agrees": quotes["agrees"].map({True: "yes", False: "NO"}),
        "checked": quotes["checked"]})  # fmt: skip


def texts(cohort: pd.DataFrame, trials: pd.DataFrame) -> dict[str, str]:
    """The chapter's numbers as glue-ready strings (keys without the ``context_`` prefix)."""
    t = response_table(cohort, trials).set_index("key")
    t["width"] = t["ci_upper"] - t["ci_lower"]
    names = {"responders": "k", "n": "n", "percent": "pct", "ci_lower": "lo", "ci_upper": "hi",
             "quoted_pct": "quoted", "high_blast_pct": "high", "width": "width"}  # fmt: skip
    b = burden_table(cohort).set_index("group").drop(columns="label")
    f, q, zhou = flags(cohort), quote_check(trials), t.loc["zhou2022"]
    values = {f"{k}_{name}": t.at[k, c] for k in t.index for c, name in names.items()}
    values |= {f"{g}_{c}": b.at[g, c] for g in b.index for c in b.columns}
    values |= {f"checked_{v}": (trials["checked"] == v).sum() for v in CHECKED_VALUES} | {
        "n_trial_rows": len(trials), "n_patients": len(cohort), "n_quotes": len(q),
        "n_ph_positive": f["ph_positive"].sum(), "n_age_le18": f["age_le18"].sum(),
        "n_mrd_positive": f["mrd_positive_start"].sum(),
        "n_derived": (trials["count_source"] == "derived").sum(),
        "n_quotes_disagree": (~q["agrees"]).sum(),
        "zhou2022_quoted_count": derived_count(zhou["quoted_pct"], int(zhou["n"]))}  # fmt: skip
    out = {k: str(v) if isinstance(v, int | np.integer) else fmt.number(v)
           for k, v in values.items()}  # fmt: skip
    return out | {"burden_p": fmt.p_value(burden_test(cohort)["p_value"])}
