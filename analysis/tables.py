"""The book's tables: baseline characteristics, response, subgroups and adverse events.

Each ``table*`` function takes the cohort (or adverse-event) table and returns a tidy
DataFrame of numbers: counts, denominators, percentages, confidence limits and P values,
never formatted text.  The matching ``format_*`` function turns it into the table a reader
sees (``n (%)``, ``k/n (%)``, ``median (range)``, ``—`` for what is undefined), and
:class:`NumberedTable` displays that with a caption and a label, so that Sphinx numbers it
in both the HTML and the PDF and ``{numref}`` can point to it.

The numbering follows the paper: Table 1 (baseline characteristics), Table 2 (adverse events)
and Table 3 (response by subgroup).  The paper's own tables are not in the text we have, so
the rows are those its Results section describes.

Subgroup definitions (cut-offs such as ``>= 5%`` marrow blasts for overt disease) come from
:func:`analysis.derive.flags`; proportions, exact intervals and tests from
:mod:`analysis.stats`.  Every function works for a cohort of any size, including one where a
subgroup is empty: counts are then 0, and percentages, intervals and P values are ``nan``
(shown as ``—``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import config, derive, stats
from .display import EMPTY_CELL, LONG_ROWS, Table, column_widths

__all__ = [
    "DASH",
    "P_UNDEFINED_NOTE",
    "CRS_TERM",
    "ACTIONS",
    "SUBGROUPS",
    "format_number",
    "format_n_pct",
    "format_k_of_n",
    "format_ci",
    "format_p",
    "format_median_range",
    "table1",
    "format_table1",
    "response_summary",
    "format_response",
    "table3",
    "format_table3",
    "table2",
    "format_table2",
    "ae_actions",
    "format_ae_actions",
    "NumberedTable",
    "column_widths",
    "EMPTY_CELL",
    "LONG_ROWS",
    "data_notice",
]

#: Shown for a value that is undefined (empty group, P value of a degenerate table).
DASH = "—"

#: Footnote for the P columns of :func:`format_table3`.
P_UNDEFINED_NOTE = (
    f"{DASH}: no P value, because one of the two groups is empty or every patient compared "
    "had the same outcome."
)

#: Adverse-event term of cytokine release syndrome (graded by ASTCT consensus).
CRS_TERM = "cytokine release syndrome"

#: Actions taken with blinatumomab because of an adverse event, in order of severity.
ACTIONS = ("interrupted", "dose reduced", "discontinued")

#: Subgroups of Table 3: key, characteristic, (flag, label) of the two groups, source column.
SUBGROUPS: tuple[tuple[str, str, tuple[str, str], tuple[str, str], str], ...] = (
    ("sex", "Sex", ("male", "male"), ("female", "female"), "sex"),
    ("age", "Age", ("age_le18", "≤ 18 years"), ("age_gt18", "> 18 years"), "age_years"),
    ("blasts", "Marrow blasts", ("low_blasts", "< 50%"), ("high_blasts", "≥ 50%"),
     "marrow_blasts_pct"),
    ("ph", "Philadelphia chromosome", ("ph_positive", "Ph+"), ("ph_negative", "Ph−"),
     "ph_positive"),
    ("dx", "Time from diagnosis", ("dx_lt12", "< 12 months"), ("dx_ge12", "≥ 12 months"),
     "months_diagnosis_to_blinatumomab"),
    ("emd", "Extramedullary disease", ("emd", "yes"), ("no_emd", "no"),
     "extramedullary_disease"),
    ("prior_hsct", "Previous allo-HSCT", ("prior_allo_hsct", "yes"),
     ("no_prior_allo_hsct", "no"), "prior_allo_hsct"),
)  # fmt: skip


# ----------------------------------------------------------------------------- formatting


def _missing(x) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(np.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def format_number(x, decimals: int | None = 1) -> str:
    """A number rounded half up, as the paper prints it; ``—`` if missing.

    Parameters
    ----------
    x : float or int
        The value.
    decimals : int or None, default 1
        Decimal places.  ``None`` shows whole numbers without decimals and other values
        with one (a median of 12.5 months stays 12.5, a median of 12 is 12).

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(63.15789)
    '63.2'
    >>> format_number(0.0285, 3), format_number(12.0, None), format_number(float("nan"))
    ('0.029', '12', '—')
    """
    if _missing(x):
        return DASH
    x = float(x)
    if decimals is None:
        decimals = 0 if x.is_integer() else 1
    return f"{stats.round_half_up(x, decimals):f}"


def format_n_pct(k, n, decimals: int = 1) -> str:
    """``k (p%)`` with ``p = 100 k / n``; ``k (—)`` when ``n`` is 0.

    Examples
    --------
    >>> format_n_pct(12, 19)
    '12 (63.2%)'
    >>> format_n_pct(0, 0)
    '0 (—)'
    """
    k, n = int(k), int(n)
    if n == 0:
        return f"{k} ({DASH})"
    return f"{k} ({format_number(100.0 * k / n, decimals)}%)"


def format_k_of_n(k, n, decimals: int = 1) -> str:
    """``k/n (p%)``; ``k/n (—)`` when ``n`` is 0.

    Examples
    --------
    >>> format_k_of_n(12, 15)
    '12/15 (80.0%)'
    """
    k, n = int(k), int(n)
    if n == 0:
        return f"{k}/{n} ({DASH})"
    return f"{k}/{n} ({format_number(100.0 * k / n, decimals)}%)"


def format_ci(lower, upper, decimals: int = 1) -> str:
    """A confidence interval ``lower–upper`` (already in percent); ``—`` if undefined.

    Examples
    --------
    >>> format_ci(51.91, 95.67)
    '51.9–95.7'
    """
    if _missing(lower) or _missing(upper):
        return DASH
    return f"{format_number(lower, decimals)}–{format_number(upper, decimals)}"


def format_p(p, decimals: int = 3) -> str:
    """A P value with ``decimals`` places, ``< 0.001`` below that, ``—`` if undefined.

    Examples
    --------
    >>> format_p(0.02864), format_p(0.0002), format_p(float("nan"))
    ('0.029', '< 0.001', '—')
    """
    if _missing(p):
        return DASH
    floor = 10.0**-decimals
    if p < floor:
        return f"< {format_number(floor, decimals)}"
    return format_number(p, decimals)


def format_median_range(median, low, high, decimals: int | None = None) -> str:
    """``median (low–high)``; ``—`` if there are no values.

    Examples
    --------
    >>> format_median_range(49.0, 9.0, 66.0)
    '49 (9–66)'
    """
    if _missing(median):
        return DASH
    return (
        f"{format_number(median, decimals)} "
        f"({format_number(low, decimals)}–{format_number(high, decimals)})"
    )


def _n_with_pct(k, percent, decimals: int = 1) -> str:
    """``k (p%)`` from a count and an already computed percentage."""
    return f"{int(k)} ({DASH if _missing(percent) else format_number(percent, decimals) + '%'})"


def _blank_repeats(values: pd.Series) -> list[str]:
    """Keep the first of each run of equal labels, blank the rest (grouped rows)."""
    out, previous = [], object()
    for v in values:
        out.append("" if v == previous else v)
        previous = v
    return out


# ----------------------------------------------------------------------------- Table 1


def _known(cohort: pd.DataFrame, column: str) -> np.ndarray:
    """Rows where ``column`` is recorded (not missing, not an empty string)."""
    s = cohort[column]
    known = s.notna().to_numpy()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        known &= s.fillna("").astype(str).str.strip().ne("").to_numpy()
    return known


def table1(cohort: pd.DataFrame) -> pd.DataFrame:
    """Baseline characteristics at the start of blinatumomab (the paper's Table 1).

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table (:data:`analysis.data.COHORT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        One row per category, in display order, with columns

        ``characteristic``, ``category``
            What is described (``"Sex"``, ``"male"``).
        ``statistic``
            ``"n (%)"`` or ``"median (range)"``.
        ``n``, ``percent``
            Patients in the category and their percentage of all patients (count rows).
        ``median``, ``min``, ``max``
            For the ``median (range)`` rows.

        A row ``unknown`` follows a characteristic that is missing for some patients, so
        that each characteristic's counts add up to the cohort.

    Notes
    -----
    Percentages are of all patients, as in the paper ("Twelve patients (63.2%) received
    one cycle", Results, *Patient characteristics*).  Cycles are grouped 1, 2, 3-5 and 6 or
    more; the paper gives 1, 2 and 6 (one re-induction and five consolidation cycles).

    Examples
    --------
    >>> from analysis import load_cohort
    >>> t1 = table1(load_cohort())
    >>> int(t1.set_index(["characteristic", "category"]).loc[("Sex", "male"), "n"])
    10
    """
    c = cohort
    n_total = len(c)
    f = derive.flags(c)
    rows: list[dict] = []

    def count(characteristic, category, mask):
        k = int(np.asarray(mask, bool).sum())
        rows.append(
            {
                "characteristic": characteristic,
                "category": category,
                "statistic": "n (%)",
                "n": k,
                "percent": 100.0 * k / n_total if n_total else math.nan,
            }
        )

    def summary(characteristic, column, known):
        med, lo, hi = stats.median_range(c.loc[known, column].astype(float))
        rows.append(
            {
                "characteristic": characteristic,
                "category": "median (range)",
                "statistic": "median (range)",
                "median": med,
                "min": lo,
                "max": hi,
            }
        )

    def unknown(characteristic, known):
        if (~known).any():
            count(characteristic, "unknown", ~known)

    def flag(name):
        return f[name].to_numpy()

    def boolean(characteristic, column):
        known = _known(c, column)
        values = c[column].fillna(False).astype(bool).to_numpy()
        count(characteristic, "yes", known & values)
        count(characteristic, "no", known & ~values)
        unknown(characteristic, known)

    count("Patients", "all", np.ones(n_total, bool))

    known = _known(c, "sex")
    count("Sex", "male", known & flag("male"))
    count("Sex", "female", known & flag("female"))
    other = known & ~flag("male") & ~flag("female")
    if other.any():
        count("Sex", "other", other)
    unknown("Sex", known)

    known = _known(c, "age_years")
    summary("Age, years", "age_years", known)
    count("Age, years", "≤ 18", known & flag("age_le18"))
    count("Age, years", "> 18", known & flag("age_gt18"))
    unknown("Age, years", known)

    known = _known(c, "ph_positive")
    count("Philadelphia chromosome", "positive (Ph+)", known & flag("ph_positive"))
    count("Philadelphia chromosome", "negative (Ph−)", known & flag("ph_negative"))
    unknown("Philadelphia chromosome", known)

    label = "Months from diagnosis to blinatumomab"
    known = _known(c, "months_diagnosis_to_blinatumomab")
    summary(label, "months_diagnosis_to_blinatumomab", known)
    count(label, "< 12", known & flag("dx_lt12"))
    count(label, "≥ 12", known & flag("dx_ge12"))
    unknown(label, known)

    boolean("Previous allo-HSCT", "prior_allo_hsct")
    boolean("Previous CAR-T", "prior_car_t")

    label = "Marrow blasts at start"
    known = _known(c, "marrow_blasts_pct")
    count(label, "< 5%", known & flag("low_burden"))
    count(label, "5–49%", known & flag("blasts_5_49"))
    count(label, "≥ 50%", known & flag("high_blasts"))
    unknown(label, known)

    boolean("Extramedullary disease", "extramedullary_disease")
    boolean("MRD-positive (≥ 0.01%) at start", "mrd_positive_at_start")

    label = "Blinatumomab cycles"
    known = _known(c, "cycles")
    cycles = c["cycles"].astype(float).to_numpy()
    summary(label, "cycles", known)
    with np.errstate(invalid="ignore"):
        count(label, "1", known & (cycles == 1))
        count(label, "2", known & (cycles == 2))
        count(label, "3–5", known & (cycles >= 3) & (cycles <= 5))
        count(label, "≥ 6", known & (cycles >= 6))
    unknown(label, known)

    out = pd.DataFrame(
        rows,
        columns=["characteristic", "category", "statistic", "n", "percent", "median", "min", "max"],
    )
    out["n"] = out["n"].astype("Int64")
    return out


def format_table1(t1: pd.DataFrame, decimals: int = 1) -> pd.DataFrame:
    """Table 1 for display: characteristic, category and ``n (%)`` or ``median (range)``.

    Parameters
    ----------
    t1 : pandas.DataFrame
        Output of :func:`table1`.
    decimals : int, default 1
        Decimal places of the percentages.

    Returns
    -------
    pandas.DataFrame
        Columns ``Characteristic`` (shown once per group of rows), ``Category`` and
        ``Patients, n (%) or median (range)``.
    """
    values = [
        format_median_range(r.median, r.min, r.max)
        if r.statistic == "median (range)"
        else (str(int(r.n)) if r.category == "all" else _n_with_pct(r.n, r.percent, decimals))
        for r in t1.itertuples(index=False)
    ]
    return pd.DataFrame(
        {
            "Characteristic": _blank_repeats(t1["characteristic"]),
            "Category": t1["category"].to_numpy(),
            "Patients, n (%) or median (range)": values,
        }
    )


# ----------------------------------------------------------------------------- response


def _outcome(cohort: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Outcome values (missing as False) and where the outcome is recorded."""
    known = cohort[column].notna().to_numpy()
    return cohort[column].fillna(False).astype(bool).to_numpy(), known


def response_summary(cohort: pd.DataFrame, method: str = "exact") -> pd.DataFrame:
    """Complete remission and MRD response with exact 95% confidence intervals.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.
    method : {"exact", "wilson", "jeffreys"}, default "exact"
        Interval method (:func:`analysis.stats.proportion_ci`); the paper's is exact
        (Clopper-Pearson).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``, one row per rate:

        ``cr_overt``
            CR among patients with overt disease (>= 5% marrow blasts), the paper's CR rate.
        ``mrd_overt``
            MRD response among patients with overt disease.
        ``cr_low_burden``, ``mrd_low_burden``
            Sustained CR and MRD conversion among patients with < 5% blasts.
        ``cr_all``
            CR (or sustained CR) among all patients.
        ``mrd_all``
            MRD response among all patients, the paper's MRD response rate.

        Columns ``outcome``, ``population``, ``k``, ``n``, ``percent``, ``ci_lower`` and
        ``ci_upper`` (percent; ``nan`` when ``n`` is 0).  Patients whose outcome is
        missing are left out of the denominator.

    Notes
    -----
    MRD response is conversion from MRD >= 0.01% to < 0.01% by flow cytometry.  Every
    patient of the study was MRD-positive at the start (Results, *Patient
    characteristics*), so the paper's denominator is all patients; it is kept here.

    Examples
    --------
    >>> from analysis import load_cohort
    >>> rs = response_summary(load_cohort())
    >>> int(rs.loc["cr_overt", "k"]), int(rs.loc["cr_overt", "n"])
    (12, 15)
    >>> format_ci(rs.loc["cr_overt", "ci_lower"], rs.loc["cr_overt", "ci_upper"])
    '51.9–95.7'
    """
    f = derive.flags(cohort)
    overt, low = f["overt"].to_numpy(), f["low_burden"].to_numpy()
    blasts_known = _known(cohort, "marrow_blasts_pct")
    cr, cr_known = _outcome(cohort, "cr")
    mrd, mrd_known = _outcome(cohort, "mrd_response")
    everyone = np.ones(len(cohort), bool)
    spec = [
        ("cr_overt", "CR", "≥ 5% marrow blasts (overt disease)", cr, cr_known & overt),
        ("mrd_overt", "MRD response", "≥ 5% marrow blasts (overt disease)", mrd,
         mrd_known & overt),
        ("cr_low_burden", "sustained CR", "< 5% marrow blasts", cr,
         cr_known & low & blasts_known),
        ("mrd_low_burden", "MRD response", "< 5% marrow blasts", mrd,
         mrd_known & low & blasts_known),
        ("cr_all", "CR or sustained CR", "all patients", cr, cr_known & everyone),
        ("mrd_all", "MRD response", "all patients", mrd, mrd_known & everyone),
    ]  # fmt: skip
    rows = []
    for key, outcome, population, values, among in spec:
        k, n = int((values & among).sum()), int(among.sum())
        p = stats.proportion(k, n, method)
        rows.append(
            {
                "key": key,
                "outcome": outcome,
                "population": population,
                "k": k,
                "n": n,
                "percent": p.percent,
                "ci_lower": p.ci_lower,
                "ci_upper": p.ci_upper,
            }
        )
    return pd.DataFrame(rows).set_index("key")


def format_response(rs: pd.DataFrame, decimals: int = 1) -> pd.DataFrame:
    """The response summary for display: ``k/n (%)`` and the 95% CI.

    Parameters
    ----------
    rs : pandas.DataFrame
        Output of :func:`response_summary`.

    Returns
    -------
    pandas.DataFrame
        Columns ``Outcome``, ``Patients``, ``n/N (%)`` and ``95% CI, %``.
    """
    return pd.DataFrame(
        {
            "Outcome": rs["outcome"].to_numpy(),
            "Patients": rs["population"].to_numpy(),
            "n/N (%)": [format_k_of_n(r.k, r.n, decimals) for r in rs.itertuples()],
            "95% CI, %": [format_ci(r.ci_lower, r.ci_upper, decimals) for r in rs.itertuples()],
        }
    )


# ----------------------------------------------------------------------------- Table 3


def table3(cohort: pd.DataFrame, test: str = "auto") -> pd.DataFrame:
    """CR and MRD response by subgroup, with the test of each difference (Table 3).

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.
    test : {"auto", "fisher", "chi2"}, default "auto"
        Passed to :func:`analysis.stats.compare_proportions`: ``auto`` uses Fisher's exact
        test when any expected count is below 5 and the chi-square test otherwise.

    Returns
    -------
    pandas.DataFrame
        Two rows per subgroup of :data:`SUBGROUPS` (the two groups compared) with columns
        ``subgroup`` (key), ``characteristic``, ``group``; ``cr_k``, ``cr_n``,
        ``cr_percent`` (CR among patients with overt disease); ``mrd_k``, ``mrd_n``,
        ``mrd_percent`` (MRD response among all patients); and for each outcome the test
        (``cr_test``, ``mrd_test``) and its P value (``cr_p``, ``mrd_p``), repeated on both
        rows of the comparison.  A P value is ``nan`` when a group is empty or the outcome
        does not vary (see :data:`P_UNDEFINED_NOTE`).

    Notes
    -----
    CR is compared among patients with overt disease (>= 5% blasts), MRD response among all
    patients: the paper's CR rate has the 15 patients with overt disease as its
    denominator and its MRD response rate all 19 (Results, *Treatment response*).  Table 3
    itself is not in the text; see the recorded discrepancy ``table3_denominator``.  A
    patient whose group or outcome is missing is left out of that comparison.

    Examples
    --------
    >>> from analysis import load_cohort
    >>> t3 = table3(load_cohort()).set_index(["subgroup", "group"])
    >>> row = t3.loc[("prior_hsct", "yes")]
    >>> int(row.cr_k), int(row.cr_n), format_p(row.cr_p), row.cr_test
    (0, 2, '0.029', "Fisher's exact")
    """
    f = derive.flags(cohort)
    overt = f["overt"].to_numpy() & _known(cohort, "marrow_blasts_pct")
    cr, cr_known = _outcome(cohort, "cr")
    mrd, mrd_known = _outcome(cohort, "mrd_response")
    rows = []
    for key, characteristic, (flag_a, label_a), (flag_b, label_b), column in SUBGROUPS:
        a = f[flag_a].to_numpy()
        b = f[flag_b].to_numpy()
        in_pair = (a | b) & _known(cohort, column)
        results = {}
        for name, values, among in (("cr", cr, cr_known & overt), ("mrd", mrd, mrd_known)):
            m = among & in_pair
            results[name] = stats.compare_proportions(values[m], a[m], test=test)
        for label, group in ((label_a, 1), (label_b, 0)):
            row = {"subgroup": key, "characteristic": characteristic, "group": label}
            for name, r in results.items():
                k, n = r[f"k{group}"], r[f"n{group}"]
                row[f"{name}_k"] = k
                row[f"{name}_n"] = n
                row[f"{name}_percent"] = 100.0 * k / n if n else math.nan
            for name, r in results.items():
                row[f"{name}_test"] = r["test"]
                row[f"{name}_p"] = float(r["p_value"])
            rows.append(row)
    return pd.DataFrame(rows)


def format_table3(t3: pd.DataFrame, decimals: int = 1) -> pd.DataFrame:
    """Table 3 for display: ``k/n (%)`` per group, the P value and test once per subgroup.

    Parameters
    ----------
    t3 : pandas.DataFrame
        Output of :func:`table3`.

    Returns
    -------
    pandas.DataFrame
        Columns ``Characteristic``, ``Group``, ``CR, n/N (%)``, ``P (CR)``,
        ``MRD response, n/N (%)`` and ``P (MRD response)``.  A P value reads like
        ``0.029 (Fisher)`` or ``0.412 (chi-square)``; ``—`` where undefined.
    """

    def p_cell(p, test):
        if _missing(p):
            return DASH
        short = "Fisher" if test.startswith("Fisher") else "chi-square"
        return f"{format_p(p)} ({short})"

    first = ~t3["subgroup"].duplicated().to_numpy()
    return pd.DataFrame(
        {
            "Characteristic": [c if f else "" for c, f in zip(t3["characteristic"], first)],
            "Group": t3["group"].to_numpy(),
            "CR, n/N (%)": [format_k_of_n(r.cr_k, r.cr_n, decimals) for r in t3.itertuples()],
            "P (CR)": [
                p_cell(r.cr_p, r.cr_test) if f else "" for r, f in zip(t3.itertuples(), first)
            ],
            "MRD response, n/N (%)": [
                format_k_of_n(r.mrd_k, r.mrd_n, decimals) for r in t3.itertuples()
            ],
            "P (MRD response)": [
                p_cell(r.mrd_p, r.mrd_test) if f else "" for r, f in zip(t3.itertuples(), first)
            ],
        }
    )


# ----------------------------------------------------------------------------- Table 2


def _worst_grades(ae: pd.DataFrame) -> pd.DataFrame:
    """One row per patient and event term with the highest grade recorded."""
    if ae.empty:
        return pd.DataFrame({"patient_id": [], "event": [], "grade": []})
    rows = ae[["patient_id", "event", "grade"]].copy()
    rows["event"] = rows["event"].astype(str).str.strip()
    rows["grade"] = pd.to_numeric(rows["grade"], errors="coerce")
    return rows.groupby(["patient_id", "event"], as_index=False)["grade"].max()


def table2(ae: pd.DataFrame, n_patients: int) -> pd.DataFrame:
    """Adverse events during blinatumomab by term (the paper's Table 2).

    Parameters
    ----------
    ae : pandas.DataFrame
        Adverse-event table, one row per patient and event
        (:data:`analysis.data.AE_COLUMNS`).
    n_patients : int
        Patients treated (the denominator of the percentages), usually ``len(cohort)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``grade`` (missing on a term's row; the grade on the detail rows
        of cytokine release syndrome), ``n_any`` and ``pct_any`` (patients with the event
        at any grade), ``n_grade3`` and ``pct_grade3`` (grade 3 or higher).  The first row,
        ``any adverse event``, counts patients with at least one event; terms follow by
        decreasing frequency.  A patient counts once per term, at the highest grade.

    Notes
    -----
    Grades follow CTCAE v5.0, cytokine release syndrome the ASTCT consensus grading
    (Materials and methods, *Outcomes*).  The paper reports CRS in 11 patients, 10 with
    grade 1-2 and 1 with grade 3 (Abstract; Results, *Adverse events*).

    Examples
    --------
    >>> from analysis import load_adverse_events
    >>> t2 = table2(load_adverse_events(), 19)
    >>> t2.loc[0, "term"], int(t2.loc[0, "n_any"])
    ('any adverse event', 12)
    """
    worst = _worst_grades(ae)
    denominator = int(n_patients)

    def pct(k):
        return 100.0 * k / denominator if denominator else math.nan

    def row(term, grade, patients_any, patients_g3):
        k_any, k_g3 = int(len(patients_any)), int(len(patients_g3))
        return {
            "term": term,
            "grade": grade,
            "n_any": k_any,
            "pct_any": pct(k_any),
            "n_grade3": k_g3,
            "pct_grade3": pct(k_g3),
        }

    rows = [
        row(
            "any adverse event",
            pd.NA,
            set(worst["patient_id"]),
            set(worst.loc[worst["grade"] >= 3, "patient_id"]),
        )
    ]
    terms = []
    for term, g in worst.groupby("event"):
        terms.append((-g["patient_id"].nunique(), term, g))
    for _, term, g in sorted(terms, key=lambda t: (t[0], t[1])):
        rows.append(
            row(term, pd.NA, set(g["patient_id"]), set(g.loc[g["grade"] >= 3, "patient_id"]))
        )
        if term.lower() == CRS_TERM:
            for grade, gg in g.groupby("grade"):
                ids = set(gg["patient_id"])
                rows.append(row(term, int(grade), ids, ids if grade >= 3 else set()))
    out = pd.DataFrame(
        rows, columns=["term", "grade", "n_any", "pct_any", "n_grade3", "pct_grade3"]
    )
    out["grade"] = out["grade"].astype("Int64")
    return out


def format_table2(t2: pd.DataFrame, decimals: int = 1) -> pd.DataFrame:
    """Table 2 for display: term, any grade ``n (%)``, grade >= 3 ``n (%)``.

    Parameters
    ----------
    t2 : pandas.DataFrame
        Output of :func:`table2`.

    Returns
    -------
    pandas.DataFrame
        Columns ``Adverse event``, ``Any grade, n (%)`` and ``Grade ≥ 3, n (%)``; the
        grade rows of cytokine release syndrome read ``CRS, grade 1`` etc.
    """
    labels = [r.term if pd.isna(r.grade) else f"CRS, grade {int(r.grade)}" for r in t2.itertuples()]
    return pd.DataFrame(
        {
            "Adverse event": labels,
            "Any grade, n (%)": [
                _n_with_pct(k, p, decimals) for k, p in zip(t2["n_any"], t2["pct_any"])
            ],
            "Grade ≥ 3, n (%)": [
                _n_with_pct(k, p, decimals) for k, p in zip(t2["n_grade3"], t2["pct_grade3"])
            ],
        }
    )


def ae_actions(ae: pd.DataFrame) -> pd.DataFrame:
    """Interruptions, dose reductions and discontinuations, with the events behind them.

    Parameters
    ----------
    ae : pandas.DataFrame
        Adverse-event table; ``action`` is ``none``, ``interrupted``, ``dose reduced`` or
        ``discontinued``.

    Returns
    -------
    pandas.DataFrame
        One row per action and patient, ordered as :data:`ACTIONS`: ``action``,
        ``patient_id``, ``events`` (the events that led to it, as ``term (grade g)``,
        most severe first), ``n_events`` and ``max_grade``.

    Examples
    --------
    >>> from analysis import load_adverse_events
    >>> acts = ae_actions(load_adverse_events())
    >>> acts.groupby("action", sort=False)["patient_id"].nunique().to_dict()
    {'interrupted': 2, 'dose reduced': 1, 'discontinued': 1}
    """
    columns = ["action", "patient_id", "events", "n_events", "max_grade"]
    if ae.empty:
        return pd.DataFrame(columns=columns)
    rows = ae.copy()
    rows["action"] = rows["action"].fillna("").astype(str).str.strip()
    rows = rows[rows["action"].ne("") & rows["action"].ne("none")]
    rank = {a: i for i, a in enumerate(ACTIONS)}
    out = []
    for (action, patient), g in rows.groupby(["action", "patient_id"]):
        g = g.sort_values(["grade", "event"], ascending=[False, True])
        events = "; ".join(
            f"{e} (grade {int(gr)})" if pd.notna(gr) else str(e)
            for e, gr in zip(g["event"], g["grade"])
        )
        out.append(
            {
                "action": action,
                "patient_id": patient,
                "events": events,
                "n_events": len(g),
                "max_grade": g["grade"].max(),
            }
        )
    df = pd.DataFrame(out, columns=columns)
    if df.empty:
        return df
    df["_rank"] = df["action"].map(rank).fillna(len(rank))
    df = df.sort_values(["_rank", "action", "patient_id"]).drop(columns="_rank")
    df["max_grade"] = df["max_grade"].astype("Int64")
    return df.reset_index(drop=True)


def format_ae_actions(acts: pd.DataFrame) -> pd.DataFrame:
    """The actions for display: one row per action and patient.

    Returns
    -------
    pandas.DataFrame
        Columns ``Action``, ``Patient`` and ``Adverse events behind it``.
    """
    return pd.DataFrame(
        {
            "Action": _blank_repeats(acts["action"]),
            "Patient": acts["patient_id"].to_numpy(),
            "Adverse events behind it": acts["events"].to_numpy(),
        }
    )


# ----------------------------------------------------------------------------- display


class NumberedTable(Table):
    """A :class:`analysis.display.Table` that Sphinx numbers and ``{numref}`` can find.

    Parameters
    ----------
    data : pandas.DataFrame
        The table (format numbers into strings beforehand, see the ``format_*`` functions).
    caption : str
        Caption (required: Sphinx numbers captioned tables only).
    name : str
        Label, e.g. ``"tbl-baseline"``; refer to it with ``{numref}`tbl-baseline```.
    widths : "auto", list of int or None, default "auto"
        Relative column widths in the PDF, as for :class:`~analysis.display.Table`:
        ``"auto"`` gives a long table, or one that would not fit the line, widths derived
        from its text (:func:`column_widths`); ``None`` always leaves them to Sphinx.
    **kwargs
        Passed to :class:`~analysis.display.Table`.

    Notes
    -----
    Glue it and paste it as MyST Markdown::

        glue("baseline_table1", NumberedTable(df, "Baseline characteristics",
             "tbl-baseline"), display=False)

    and, in the Markdown, a ``{glue:md}`` directive with ``:format: myst``.  The pasted
    Markdown (a ``{table}`` directive with ``:name:``) becomes a Sphinx table in the HTML
    and the LaTeX builds alike, numbered within the chapter.  Displayed directly, the table
    renders as a plain :class:`~analysis.display.Table` in the HTML (no number, no label).

    The PDF layout (``longtable`` for a long table, column widths) is that of
    :class:`~analysis.display.Table`; :data:`LONG_ROWS`, :data:`EMPTY_CELL` and
    :func:`column_widths` live in :mod:`analysis.display` and are re-exported here.

    Examples
    --------
    >>> import pandas as pd
    >>> print(NumberedTable(pd.DataFrame({"n": [3]}), "Patients", "tbl-n").to_markdown())
    ~~~{table} Patients
    :name: tbl-n
    | n |
    | --: |
    | 3 |
    ~~~
    """

    def __init__(
        self, data: pd.DataFrame, caption: str, name: str, *, widths="auto", **kwargs
    ) -> None:
        if not caption:
            raise ValueError("a numbered table needs a caption")
        if not name or any(ch.isspace() for ch in name):
            raise ValueError(f"table name must be a non-empty word, got {name!r}")
        super().__init__(data, caption, widths=widths, **kwargs)
        self.name = name

    def _directive_options(self) -> list[str]:
        return [f":name: {self.name}", *super()._directive_options()]

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def data_notice(cohort_path=None):
    """An admonition saying which data a chapter shows, for the top of a results chapter.

    Parameters
    ----------
    cohort_path : str or Path, optional
        The cohort file analysed; defaults to :func:`analysis.config.cohort_path`
        (``BOOK_COHORT`` or the reconstruction).

    Returns
    -------
    IPython.display.Markdown
        A MyST ``{important}`` admonition when the data are the reconstruction (which is
        not the patients' records), a ``{note}`` naming the file otherwise.  myst-nb renders
        it as an admonition in the HTML and the PDF (``nb_render_markdown_format: myst``).
    """
    from pathlib import Path

    from IPython.display import Markdown

    path = Path(cohort_path) if cohort_path else config.cohort_path()
    if path.resolve() == config.DEFAULT_COHORT.resolve():
        text = (
            "```{important}\n"
            "The patient-level data shown here are a **reconstruction**, not the patients' "
            "records. The paper publishes only summaries; a seeded search "
            "(`analysis/reconstruct.py`) found individual data that reproduce every one of "
            "them. Anything finer than what the paper prints (a single patient's values, "
            "a subgroup the paper does not report) is a consequence of that search, not an "
            "observation.\n"
            "```"
        )
    else:
        text = (
            "```{note}\n"
            f"This build analyses the cohort file `{path.name}` (set with `BOOK_COHORT`), not "
            "the reconstruction of the published cohort. The comparison with the paper at "
            "the end of the chapter shows where its results differ from the published ones.\n"
            "```"
        )
    return Markdown(text)
