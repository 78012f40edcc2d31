"""Tests of analysis.tables against the numbers the paper prints.

Expected values are quoted from the paper (shared/paper/study.txt) with the section that
states them.  Where the paper does not give a number (its Tables 1-3 are not in the text),
the test checks an identity instead (counts add up, denominators match).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from docutils import nodes
from docutils.core import publish_doctree
from myst_parser.parsers.docutils_ import Parser as MystParser

from analysis import load_adverse_events, load_cohort
from analysis import tables as T


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def ae():
    return load_adverse_events()


def _cell(df, **where):
    mask = np.ones(len(df), bool)
    for column, value in where.items():
        mask &= (df[column] == value).to_numpy()
    assert mask.sum() == 1, f"{where} matches {mask.sum()} rows"
    return df[mask].iloc[0]


# --- formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (12, 19, "12 (63.2%)"),  # Results, Patient characteristics: "Twelve patients (63.2%)"
        (4, 19, "4 (21.1%)"),  # idem: "four (21.1%) underwent two cycles"
        (7, 19, "7 (36.8%)"),  # Results, Survival outcomes: "Seven patients (36.8%) died"
        (3, 19, "3 (15.8%)"),  # idem: "three patients (15.8%) experienced relapse"
        (0, 0, "0 (—)"),
    ],
)
def test_format_n_pct(k, n, expected):
    assert T.format_n_pct(k, n) == expected


def test_format_k_of_n_and_ci_as_in_the_abstract():
    # Abstract, Results: "Twelve (80.0%, 95% CI: 51.9-95.7) of the 15 patients"
    assert T.format_k_of_n(12, 15) == "12/15 (80.0%)"
    assert T.format_ci(51.910887, 95.668799) == "51.9–95.7"
    assert T.format_ci(float("nan"), 1.0) == T.DASH


def test_format_number_rounds_half_up_like_the_ledger():
    assert T.format_number(0.125, 2) == "0.13"  # float formatting would give 0.12
    assert T.format_number(12.5, None) == "12.5"
    assert T.format_number(12.0, None) == "12"
    assert T.format_number(None) == T.DASH


def test_format_p():
    assert T.format_p(0.028571) == "0.029"  # Results, Treatment response: P = 0.029
    assert T.format_p(0.00001) == "< 0.001"
    assert T.format_p(1.0) == "1.000"
    assert T.format_p(float("nan")) == T.DASH


def test_format_median_range():
    # Abstract, Methods: "a median age of 49 years (range: 9-66)"
    assert T.format_median_range(49, 9, 66) == "49 (9–66)"
    assert T.format_median_range(float("nan"), float("nan"), float("nan")) == T.DASH


# --- Table 1 -------------------------------------------------------------------------------


def test_table1_matches_patient_characteristics(cohort):
    """Results, Patient characteristics (and Abstract, Methods)."""
    t1 = T.table1(cohort)

    def n(characteristic, category):
        return int(_cell(t1, characteristic=characteristic, category=category)["n"])

    assert n("Patients", "all") == 19
    assert n("Sex", "male") == 10 and n("Sex", "female") == 9
    assert n("Philadelphia chromosome", "positive (Ph+)") == 9
    assert n("Previous allo-HSCT", "yes") == 4
    assert n("Previous CAR-T", "yes") == 2
    assert n("Marrow blasts at start", "< 5%") == 4
    assert n("Marrow blasts at start", "5–49%") + n("Marrow blasts at start", "≥ 50%") == 15
    assert n("MRD-positive (≥ 0.01%) at start", "yes") == 19  # "All patients were MRD positive"
    assert n("Blinatumomab cycles", "1") == 12
    assert n("Blinatumomab cycles", "2") == 4
    assert n("Blinatumomab cycles", "≥ 6") == 2  # re-induction plus five consolidation cycles
    # Discussion, paragraph 2: "only 36.8% of patients in our study had high tumor burden"
    high = _cell(t1, characteristic="Marrow blasts at start", category="≥ 50%")
    assert T.format_number(high["percent"]) == "36.8"
    age = _cell(t1, characteristic="Age, years", category="median (range)")
    assert (age["median"], age["min"], age["max"]) == (49, 9, 66)
    dx = _cell(
        t1, characteristic="Months from diagnosis to blinatumomab", category="median (range)"
    )
    assert (dx["median"], dx["min"], dx["max"]) == (12, 2, 84)
    cycles = _cell(t1, characteristic="Blinatumomab cycles", category="median (range)")
    assert (cycles["median"], cycles["min"], cycles["max"]) == (1, 1, 6)


def test_table1_counts_add_up_to_the_cohort(cohort):
    t1 = T.table1(cohort)
    counts = t1[(t1["statistic"] == "n (%)") & (t1["characteristic"] != "Patients")]
    totals = counts.groupby("characteristic")["n"].sum()
    assert (totals == len(cohort)).all(), totals


def test_format_table1_shows_the_paper_percentages(cohort):
    shown = T.format_table1(T.table1(cohort))
    column = "Patients, n (%) or median (range)"
    cycles = shown.index[shown["Characteristic"] == "Blinatumomab cycles"][0]
    # Results, Patient characteristics: 12 (63.2%) one cycle, 4 (21.1%) two cycles
    assert shown.loc[cycles + 1, column] == "12 (63.2%)"
    assert shown.loc[cycles + 2, column] == "4 (21.1%)"
    assert shown.loc[0, column] == "19"
    assert (shown["Characteristic"] == "Sex").sum() == 1  # shown once per group


def test_table1_reports_unknown_values(cohort):
    c = cohort.copy()
    c["ph_positive"] = c["ph_positive"].astype("boolean")
    c.loc[c.index[:3], "ph_positive"] = pd.NA
    c.loc[c.index[0], "age_years"] = pd.NA
    t1 = T.table1(c)
    assert int(_cell(t1, characteristic="Philadelphia chromosome", category="unknown")["n"]) == 3
    assert int(_cell(t1, characteristic="Age, years", category="unknown")["n"]) == 1
    age = _cell(t1, characteristic="Age, years", category="median (range)")
    assert age["median"] == c["age_years"].dropna().astype(float).median()


# --- response ------------------------------------------------------------------------------


def test_response_summary_matches_the_paper(cohort):
    rs = T.response_summary(cohort)
    # Abstract, Results; Results, Treatment response: CR 12/15, 80.0% (95% CI 51.9-95.7)
    cr = rs.loc["cr_overt"]
    assert (cr["k"], cr["n"]) == (12, 15)
    assert T.format_number(cr["percent"]) == "80.0"
    assert T.format_ci(cr["ci_lower"], cr["ci_upper"]) == "51.9–95.7"
    # idem: "with 8 achieving MRD negativity"
    assert rs.loc["mrd_overt", "k"] == 8
    # idem: MRD response 63.2% (12/19, 95% CI 38.4-83.7)
    mrd = rs.loc["mrd_all"]
    assert (mrd["k"], mrd["n"]) == (12, 19)
    assert T.format_number(mrd["percent"]) == "63.2"
    assert T.format_ci(mrd["ci_lower"], mrd["ci_upper"]) == "38.4–83.7"
    # idem: the four patients with < 5% blasts all sustained CR and became MRD-negative
    assert (rs.loc["cr_low_burden", "k"], rs.loc["cr_low_burden", "n"]) == (4, 4)
    assert (rs.loc["mrd_low_burden", "k"], rs.loc["mrd_low_burden", "n"]) == (4, 4)
    # Abstract, Results: "Of the 16 patients with CR"
    assert rs.loc["cr_all", "k"] == 16


def test_response_summary_with_no_overt_disease(cohort):
    low = cohort[cohort["marrow_blasts_pct"] < 5]
    rs = T.response_summary(low)
    assert rs.loc["cr_overt", "n"] == 0
    assert math.isnan(rs.loc["cr_overt", "percent"])
    shown = T.format_response(rs)
    assert shown.loc[0, "n/N (%)"] == "0/0 (—)"
    assert shown.loc[0, "95% CI, %"] == T.DASH


# --- Table 3 -------------------------------------------------------------------------------


def test_table3_prior_transplant_as_in_the_paper(cohort):
    """Results, Treatment response: 0 of 2 vs 12 of 13 in CR, Fisher's exact P = 0.029."""
    t3 = T.table3(cohort)
    yes = _cell(t3, subgroup="prior_hsct", group="yes")
    no = _cell(t3, subgroup="prior_hsct", group="no")
    assert (yes["cr_k"], yes["cr_n"], no["cr_k"], no["cr_n"]) == (0, 2, 12, 13)
    assert yes["cr_test"] == "Fisher's exact"
    assert T.format_p(yes["cr_p"]) == "0.029"
    # "MRD response did not significantly differ between patients with or without previous
    # transplantation"
    assert yes["mrd_p"] >= 0.05


def test_table3_no_subgroup_differs_significantly(cohort):
    """Results, Treatment response: no difference by sex, age, blasts, Ph, time, EMD."""
    t3 = T.table3(cohort)
    others = t3[t3["subgroup"] != "prior_hsct"]
    assert (others["cr_p"] >= 0.05).all() and (others["mrd_p"] >= 0.05).all()


def test_table3_denominators(cohort):
    t3 = T.table3(cohort)
    sums = t3.groupby("subgroup")[["cr_n", "mrd_n"]].sum()
    assert (sums["cr_n"] == 15).all()  # patients with overt disease
    assert (sums["mrd_n"] == 19).all()  # all patients
    assert list(t3["subgroup"].unique()) == [s[0] for s in T.SUBGROUPS]


def test_table3_uses_chi_square_when_counts_are_large(cohort):
    big = pd.concat([cohort] * 10, ignore_index=True)
    t3 = T.table3(big)
    sex = _cell(t3, subgroup="sex", group="male")
    assert sex["mrd_test"] == "chi-square"
    assert 0 < sex["mrd_p"] < 1


def test_table3_empty_subgroup_gives_undefined_p(cohort):
    adults = cohort[cohort["age_years"] > 18]
    t3 = T.table3(adults)
    young = _cell(t3, subgroup="age", group="≤ 18 years")
    assert young["cr_n"] == 0 and young["mrd_n"] == 0
    assert math.isnan(young["cr_p"]) and math.isnan(young["mrd_p"])
    shown = T.format_table3(t3)
    row = shown[shown["Group"] == "≤ 18 years"].iloc[0]
    assert row["CR, n/N (%)"] == "0/0 (—)"
    assert row["P (CR)"] == T.DASH and row["P (MRD response)"] == T.DASH


def test_table3_on_an_empty_cohort(cohort):
    t3 = T.table3(cohort.iloc[:0])
    assert len(t3) == 2 * len(T.SUBGROUPS)
    assert t3["cr_p"].isna().all()


def test_format_table3_shows_p_once_per_subgroup(cohort):
    shown = T.format_table3(T.table3(cohort))
    assert len(shown) == 2 * len(T.SUBGROUPS)
    assert (shown["P (CR)"].iloc[1::2] == "").all()
    assert shown.loc[shown["Characteristic"] == "Previous allo-HSCT", "P (CR)"].iloc[0] == (
        "0.029 (Fisher)"
    )


# --- Table 2 and actions -------------------------------------------------------------------


def test_table2_matches_adverse_events(cohort, ae):
    """Results, Adverse events (and Abstract, Results)."""
    t2 = T.table2(ae, len(cohort))
    first = t2.iloc[0]
    # "Twelve patients (63.2%) experienced at least one AEs"
    assert first["term"] == "any adverse event" and first["n_any"] == 12
    assert T.format_number(first["pct_any"]) == "63.2"

    def term(name, grade=pd.NA):
        rows = t2[
            (t2["term"] == name) & (t2["grade"].isna() if pd.isna(grade) else t2["grade"] == grade)
        ]
        assert len(rows) == 1
        return rows.iloc[0]

    crs = term("cytokine release syndrome")
    assert crs["n_any"] == 11  # "CRS, which occurred in 11 patients"
    assert crs["n_grade3"] == 1  # "only one patient experienced grade 3 CRS"
    grades = t2[(t2["term"] == "cytokine release syndrome") & t2["grade"].notna()]
    assert grades.loc[grades["grade"] <= 2, "n_any"].sum() == 10  # "10 with grade 1-2"
    assert grades["n_any"].sum() == crs["n_any"]
    assert term("febrile neutropenia")["n_grade3"] == 3  # "Three ... grade 3 febrile neutropenia"
    assert term("bacterial sepsis")["n_any"] == 2  # "two experienced bacterial sepsis"
    assert term("heart failure")["n_grade3"] == 1  # grade 3 cardiovascular events in two
    assert term("cardiac insufficiency")["n_grade3"] == 1
    assert term("headache")["n_any"] == 1 and term("headache")["n_grade3"] == 0
    # most frequent first
    terms = t2[t2["grade"].isna()].iloc[1:]
    assert terms["n_any"].is_monotonic_decreasing


def test_table2_counts_a_patient_once_at_the_worst_grade():
    ae = pd.DataFrame(
        {
            "patient_id": ["A", "A", "B"],
            "event": [T.CRS_TERM, T.CRS_TERM, T.CRS_TERM],
            "grade": [1, 3, 2],
            "action": ["none"] * 3,
        }
    )
    t2 = T.table2(ae, 4)
    crs = t2[(t2["term"] == T.CRS_TERM) & t2["grade"].isna()].iloc[0]
    assert (crs["n_any"], crs["n_grade3"], crs["pct_any"]) == (2, 1, 50.0)
    detail = t2[t2["grade"].notna()].set_index("grade")["n_any"].to_dict()
    assert detail == {2: 1, 3: 1}


def test_table2_without_events_or_patients(ae):
    empty = ae.iloc[:0]
    t2 = T.table2(empty, 5)
    assert len(t2) == 1 and t2.loc[0, "n_any"] == 0 and t2.loc[0, "pct_any"] == 0
    t0 = T.table2(empty, 0)
    assert math.isnan(t0.loc[0, "pct_any"])
    assert T.format_table2(t0).iloc[0, 1] == "0 (—)"


def test_ae_actions_match_the_paper(ae):
    """Results, Adverse events: two interruptions, one dose reduction, one discontinuation."""
    acts = T.ae_actions(ae)
    per_action = acts.groupby("action", sort=False)["patient_id"].nunique()
    assert per_action.to_dict() == {"interrupted": 2, "dose reduced": 1, "discontinued": 1}
    interrupted = " ".join(acts.loc[acts["action"] == "interrupted", "events"])
    assert "elevated liver enzymes (grade 4)" in interrupted  # hepatotoxicity
    assert "cytokine release syndrome (grade 3)" in interrupted
    reduced = acts.loc[acts["action"] == "dose reduced", "events"].iloc[0]
    assert "edema (grade 4)" in reduced and "cardiac insufficiency (grade 3)" in reduced
    stopped = acts.loc[acts["action"] == "discontinued", "events"].iloc[0]
    for event in ("febrile neutropenia", "bacterial sepsis", "heart failure"):
        assert event in stopped
    shown = T.format_ae_actions(acts)
    assert list(shown.columns) == ["Action", "Patient", "Adverse events behind it"]


def test_ae_actions_without_actions(ae):
    assert T.ae_actions(ae[ae["action"] == "none"]).empty
    assert T.ae_actions(ae.iloc[:0]).empty
    assert T.format_ae_actions(T.ae_actions(ae.iloc[:0])).empty


# --- numbered tables -----------------------------------------------------------------------


def test_numbered_table_is_a_named_myst_table():
    t = T.NumberedTable(pd.DataFrame({"n": [3]}), "Patients ≥ 18", "tbl-n")
    md = t.to_markdown()
    assert md.splitlines()[:2] == ["~~~{table} Patients ≥ 18", ":name: tbl-n"]
    assert ":widths:" not in md and "longtable" not in md  # short: left to Sphinx
    doctree = publish_doctree(md, parser=MystParser(), settings_overrides={"report_level": 4})
    table = next(doctree.findall(nodes.table))
    assert "tbl-n" in table["names"]
    assert "<caption>Patients ≥ 18</caption>" in t._repr_html_()


def test_long_numbered_table_breaks_across_pages_with_widths():
    n = T.NumberedTable.LONG_ROWS + 1
    df = pd.DataFrame({"measure": ["a rather long description of a measure"] * n, "n": ["19"] * n})
    md = T.NumberedTable(df, "Long", "tbl-long").to_markdown()
    assert ":class: longtable" in md
    assert ":widths: " in md
    doctree = publish_doctree(md, parser=MystParser(), settings_overrides={"report_level": 4})
    table = next(doctree.findall(nodes.table))
    assert "longtable" in table["classes"]
    assert [c["colwidth"] for c in table.findall(nodes.colspec)] == T.column_widths(
        ["measure", "n"], [[r, "19"] for r in df["measure"]]
    )


def test_column_widths_keep_short_columns_whole():
    header = ["measure", "paper", "this cohort", "status", "where"]
    rows = [["word " * 12, "not significant", "P = 0.603", "reproduced", "words " * 12]]
    widths = T.column_widths(header, rows)
    assert widths[1:4] == [18, 12, 13]  # longest cell + 3 for the column gap
    assert sum(widths) <= 95 + 3 and widths[0] >= 12 and widths[4] > widths[0]
    assert T.column_widths(["n"], []) == [5]  # a header letter counts 1.25, rounded up, + 3


def test_column_widths_leave_room_for_identifiers():
    header = ["Column", "Type and values", "Meaning"]
    rows = [["months_diagnosis_to_blinatumomab", "integer (months): >= 0", "x " * 40]]
    widths = T.column_widths(header, rows)
    assert widths[0] >= len(rows[0][0]) + 3


def test_numbered_table_widths_can_be_given():
    df = pd.DataFrame({"a": ["x"], "b": ["y"]})
    assert ":widths: 3 1" in T.NumberedTable(df, "C", "tbl-w", widths=[3, 1]).to_markdown()
    with pytest.raises(ValueError):
        T.NumberedTable(df, "C", "tbl-w", widths=[1])
    with pytest.raises(ValueError):
        T.NumberedTable(df, "C", "tbl-w", widths="grid")


@pytest.mark.parametrize(("caption", "name"), [("", "tbl-x"), ("Caption", ""), ("C", "a b")])
def test_numbered_table_needs_caption_and_name(caption, name):
    with pytest.raises(ValueError):
        T.NumberedTable(pd.DataFrame({"n": [1]}), caption, name)
