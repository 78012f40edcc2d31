"""This cohort's response rates, with exact 95% CIs, beside the published blinatumomab trials
(``config.LITERATURE_PATH``, each row with its source); labels and sentences: ``context.yml``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from .. import config
from .. import format as fmt
from ..data.derive import flags
from ..paper.ledger import load_ledger
from ..stats.proportions import compare_proportions, proportion

TEXTS = yaml.safe_load((config.PACKAGE / "results" / "context.yml").read_text(encoding="utf-8"))
#: Endpoints (the forest plot's groups, in order), values of ``checked``, file columns.
ENDPOINTS, CHECKED_VALUES = tuple(TEXTS["endpoints"]), tuple(TEXTS["checked_values"])
TRIAL_COLUMNS, STUDY = tuple(TEXTS["trial_columns"]), "This cohort"
_INT, _NUM = ("year", "responders", "n"), ("reported_pct", "quoted_pct", "high_blast_pct")
_BURDEN = TEXTS["burden_groups"]


def derived_count(percent: float, n: int) -> int:
    """The count a rounded percentage stands for, rounded half up (TOWER: 25% of 134 is 34)."""
    return int(fmt.round_half_up(percent * n / 100, 0))


def load_trials(path=None) -> pd.DataFrame:
    """The published trials the book compares this cohort with, one row per arm and endpoint;
    columns :data:`TRIAL_COLUMNS` (meanings in ``context.yml``).  Where the source prints only
    a percentage, ``responders`` is :func:`derived_count` and ``count_source`` "derived"."""
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


def _label(table: pd.DataFrame) -> pd.Series:
    """Study, and the comparator arm where it is not blinatumomab."""
    arm = ", " + table["arm"].str.split(" (", regex=False).str[0]
    return table["study"] + arm.where(table["arm"] != "blinatumomab", "")


def response_table(cohort: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """The cohort's rows (CR with >= 5% blasts, MRD response in all), then the trials, with
    ``percent``, ``ci_lower``, ``ci_upper``, ``is_cohort`` and ``label`` (:func:`_label`)."""
    f = flags(cohort)
    ours = pd.DataFrame([{
        "key": key, "study": STUDY, "endpoint": endpoint, "arm": "blinatumomab",
        "responders": int((mask & yes).sum()), "n": int(mask.sum()), "checked": "yes",
        "high_blast_pct": 100 * (mask & f["high_blasts"]).mean() / mask.mean() if mask.any()
        else np.nan, "count_source": "computed", "source_note": "computed from the cohort table"}
        for key, mask, endpoint, yes in (("cohort_cr", f["overt"], "CR", f["cr"]), (
            "cohort_mrd", f["all"], "MRD response", f["mrd_response"]))])  # fmt: skip
    both = pd.concat([ours.astype({"responders": "Int64", "n": "Int64"}), trials])
    both = both.reset_index(drop=True).assign(is_cohort=lambda d: d["study"] == STUDY)
    both[["percent", "ci_lower", "ci_upper"]] = _rates(both["responders"], both["n"])
    return both.assign(label=_label(both))


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
    """What the forest plot draws, top to bottom: per endpoint a header row (``kind``
    "endpoint"), then its studies (this cohort first): ``row``, ``study`` († not checked),
    ``n_of_n``, ``rate``, ``ci`` (texts), ``percent``, ``ci_lower``, ``ci_upper``,
    ``is_cohort``, ``derived`` (a count derived from a rounded percentage)."""
    t = table.assign(order=table["endpoint"].map(ENDPOINTS.index)).sort_values(
        ["order", "is_cohort"], ascending=[True, False], kind="mergesort")  # fmt: skip
    studies = t[["endpoint", "order", "percent", "ci_lower", "ci_upper", "is_cohort"]].assign(
        kind="study", study=t["label"] + t["checked"].eq("no").map({True: "†", False: ""}),
        n_of_n=_count(t), rate=t["percent"].map(fmt.number),
        ci=[fmt.ci(lo, hi) for lo, hi in zip(t["ci_lower"], t["ci_upper"])],
        derived=t["count_source"].eq("derived"))  # fmt: skip
    heads = studies.drop_duplicates("order")[["endpoint", "order"]].assign(
        kind="endpoint", study=lambda d: d["endpoint"], n_of_n="", rate="", ci="",
        is_cohort=False, derived=False)  # fmt: skip
    out = pd.concat([heads, studies]).sort_values(["order", "kind"], kind="mergesort")
    return out.drop(columns="order").reset_index(drop=True).rename_axis("row").reset_index()


def burden_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """CR by marrow blasts at the start (< 5%: a sustained CR; not published): ``group``,
    ``label``, ``n``, ``share_all``, ``share_overt`` (%), ``cr``, ``cr_pct`` and its CI."""
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
        "% of all patients": burden["share_all"].map(fmt.number), "CR / n": _count(burden, "cr"),
        "CR, % (95% CI)": _pct_ci(burden, ("cr_pct", "cr_ci_lower", "cr_ci_upper"))})  # fmt: skip


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
        "study": _label(quotes), "paper quotes, %": quotes["quoted_pct"].map(
            lambda x: fmt.number(x, None)), "where": quotes["quoted_where"],
        "source, %": _count(quotes) + " = " + quotes["source_pct"].map(fmt.number),
        "agrees": quotes["agrees"].map({True: "yes", False: "NO"}),
        "checked": quotes["checked"]})  # fmt: skip


def texts(cohort: pd.DataFrame, trials: pd.DataFrame) -> dict[str, str]:
    """The chapter's numbers as glue-ready strings, the test of CR by >= 50% against 5-49%
    blasts among the overt (``burden_p``, ``burden_test``) and the sentences of :data:`TEXTS`
    the data choose (``mrd_start``, ``high_vs_paper``, ``burden_reading``)."""
    t = response_table(cohort, trials).set_index("key")
    t["width"] = t["ci_upper"] - t["ci_lower"]
    names = {"responders": "k", "n": "n", "percent": "pct", "ci_lower": "lo", "ci_upper": "hi",
             "quoted_pct": "quoted", "high_blast_pct": "high", "width": "width"}  # fmt: skip
    b = burden_table(cohort).set_index("group").drop(columns="label")
    f, q, zhou = flags(cohort), quote_check(trials), t.loc["zhou2022"]
    test = compare_proportions(f.loc[f["overt"], "cr"], f.loc[f["overt"], "high_blasts"])
    values = {f"{k}_{name}": t.at[k, c] for k in t.index for c, name in names.items()}
    values |= {f"{g}_{c}": b.at[g, c] for g in b.index for c in b.columns}
    values |= {f"checked_{v}": (trials["checked"] == v).sum() for v in CHECKED_VALUES} | {
        "n_trial_rows": len(trials), "n_patients": len(cohort), "n_quotes": len(q),
        "n_ph_positive": f["ph_positive"].sum(), "n_age_le18": f["age_le18"].sum(),
        "n_mrd_positive": f["mrd_positive_start"].sum(), "n_quotes_disagree": (~q["agrees"]).sum(),
        "n_derived": (trials["count_source"] == "derived").sum(),
        "zhou2022_quoted_count": derived_count(zhou["quoted_pct"], int(zhou["n"]))}  # fmt: skip
    out = {k: str(v) if isinstance(v, int | np.integer) else fmt.number(v)
           for k, v in values.items()} | {"burden_p": fmt.p_value(test["p_value"]),
           "burden_test": test["test"], "paper_high": load_ledger().set_index("id").at[
               "pct_high_blasts", "printed"]}  # fmt: skip
    lo, hi, rate = *b.loc["high_blasts", ["cr_ci_lower", "cr_ci_upper"]], zhou["percent"]
    side = "none" if np.isnan(hi) else "inside" if lo <= rate <= hi else (
        "above" if rate > hi else "below")  # fmt: skip
    holds = {"mrd_start": cohort.get("mrd_positive_at_start", pd.Series()).notna().any(),
             "high_vs_paper": out["high_blasts_share_all"] == out["paper_high"]}  # fmt: skip
    out |= {k: TEXTS[k][0 if ok else 1].format(**out) for k, ok in holds.items()}
    return out | {"burden_reading": TEXTS["burden_reading"][side]}
