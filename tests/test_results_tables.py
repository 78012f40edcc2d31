"""Tests of analysis.results.baseline, .response and .safety against the paper's numbers.

Expected values are quoted from the paper (shared/paper/study.txt) with the section that
states them.  Where the paper gives no number (its Tables 1-3 are not in the text), a test
checks an identity instead (counts add up, denominators match) or a hand-made table.
"""

import math

import numpy as np
import pandas as pd
import pytest

from analysis import format as fmt
from analysis import load_adverse_events, load_cohort
from analysis.results import baseline as B
from analysis.results import response as R
from analysis.results import safety as S

OPTIONAL = ["hsct_pathway", "pre_hsct_therapy", "hsct_months", "mrd_negative_after_hsct",
            "car_t_after", "car_t_months", "relapse_site", "relapse_months", "course",
            "mrd_positive_at_start"]  # fmt: skip


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


def _without_optional(cohort):
    """The cohort with every optional column recorded for nobody (another centre's data)."""
    c = cohort.copy()
    for col in OPTIONAL:
        c[col] = pd.Series([pd.NA] * len(c), index=c.index, dtype=c[col].dtype) if str(
            c[col].dtype) == "boolean" else ("" if c[col].dtype == object else np.nan)  # fmt: skip
    return c


# --- baseline: Table 1 --------------------------------------------------------------------------


def test_table1_matches_patient_characteristics(cohort):
    """Results, Patient characteristics (and Abstract, Methods)."""
    t1 = B.table1(cohort)

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
    assert fmt.number(high["percent"]) == "36.8"
    summaries = t1[t1["statistic"] == "median (range)"].set_index("characteristic")
    assert tuple(summaries.loc["Age, years", ["median", "min", "max"]]) == (49, 9, 66)
    months = "Months from diagnosis to blinatumomab"
    assert tuple(summaries.loc[months, ["median", "min", "max"]]) == (12, 2, 84)
    assert tuple(summaries.loc["Blinatumomab cycles", ["median", "min", "max"]]) == (1, 1, 6)


def test_table1_counts_add_up_to_the_cohort(cohort):
    t1 = B.table1(cohort)
    counts = t1[(t1["statistic"] == "n (%)") & (t1["characteristic"] != "Patients")]
    totals = counts.groupby("characteristic")["n"].sum()
    assert (totals == len(cohort)).all(), totals
    assert (counts["denominator"] == 19).all()


def test_table1_shown_as_the_paper_prints_it(cohort):
    shown = B.table1_shown(B.table1(cohort))
    column = "Patients, n (%) or median (range)"
    cycles = shown.index[shown["Characteristic"] == "Blinatumomab cycles"][0]
    # Results, Patient characteristics: 12 (63.2%) one cycle, 4 (21.1%) two cycles
    assert shown.loc[cycles + 1, column] == "12 (63.2%)"
    assert shown.loc[cycles + 2, column] == "4 (21.1%)"
    assert shown.loc[0, column] == "19"
    # Abstract, Methods: "a median age of 49 years (range: 9-66)"
    assert shown.loc[shown["Characteristic"] == "Age, years", column].iloc[0] == "49 (9–66)"
    assert (shown["Characteristic"] == "Sex").sum() == 1  # shown once per group


def test_table1_reports_unknown_values(cohort):
    c = cohort.copy()
    c.loc[c.index[:3], "ph_positive"] = pd.NA
    c.loc[c.index[0], "age_years"] = pd.NA
    c.loc[c.index[1], "sex"] = " "
    t1 = B.table1(c)
    assert int(_cell(t1, characteristic="Philadelphia chromosome", category="unknown")["n"]) == 3
    negative = _cell(t1, characteristic="Philadelphia chromosome", category="negative (Ph−)")
    assert negative["n"] == (~cohort["ph_positive"].iloc[3:].astype(bool)).sum()  # not the 3
    assert int(_cell(t1, characteristic="Age, years", category="unknown")["n"]) == 1
    assert int(_cell(t1, characteristic="Sex", category="unknown")["n"]) == 1
    age = _cell(t1, characteristic="Age, years", category="median (range)")
    assert age["median"] == c["age_years"].dropna().astype(float).median()


def test_known_treats_blank_text_as_missing():
    df = pd.DataFrame({"s": ["a", "", " ", None], "x": [1.0, np.nan, 2.0, 3.0]})
    assert B.known(df, "s").tolist() == [True, False, False, False]
    assert B.known(df, "x").tolist() == [True, False, True, True]


def test_note_is_a_myst_admonition():
    assert B.note("Nothing.") == "```{note}\nNothing.\n```"


def test_baseline_texts_are_the_papers_numbers(cohort):
    """Results, Patient characteristics; Discussion, paragraph 2 (36.8%)."""
    t = B.texts(cohort)
    assert (t["n"], t["n_male"], t["n_female"]) == ("19", "10", "9")
    assert (t["age_median"], t["age_min"], t["age_max"]) == ("49", "9", "66")
    assert (t["dx_median"], t["dx_min"], t["dx_max"]) == ("12", "2", "84")
    assert (t["cycles_median"], t["cycles_min"], t["cycles_max"]) == ("1", "1", "6")
    assert (t["n_ph"], t["n_prior_hsct"], t["n_prior_car_t"]) == ("9", "4", "2")
    assert (t["n_low_burden"], t["n_overt"], t["n_mrd_positive"]) == ("4", "15", "19")
    assert (t["n_high_blasts"], t["pct_high_blasts"]) == ("7", "36.8%")
    assert (t["n_one_cycle"], t["pct_one_cycle"], t["n_two_cycles"]) == ("12", "63.2%", "4")
    assert t["n_six_cycles"] == "2"
    assert all(isinstance(v, str) for v in t.values())


def test_baseline_without_optional_columns(cohort):
    t = B.texts(_without_optional(cohort))
    assert t["n_mrd_positive"] == "not recorded"
    assert t["n"] == "19" and t["n_overt"] == "15"


def test_baseline_on_an_empty_cohort(cohort):
    shown = B.table1_shown(B.table1(cohort.iloc[:0]))
    assert shown.iloc[0, 2] == "0" and set(shown.iloc[1:, 2]) == {"0 (—)", "—"}
    assert B.texts(cohort.iloc[:0])["age_median"] == fmt.DASH


# --- response ----------------------------------------------------------------------------------


def test_response_summary_matches_the_paper(cohort):
    rs = R.summary(cohort)
    # Abstract, Results; Results, Treatment response: CR 12/15, 80.0% (95% CI 51.9-95.7)
    cr = rs.loc["cr_overt"]
    assert (cr["k"], cr["n"]) == (12, 15)
    assert fmt.number(cr["percent"]) == "80.0"
    assert fmt.ci(cr["ci_lower"], cr["ci_upper"]) == "51.9–95.7"
    assert rs.loc["mrd_overt", "k"] == 8  # idem: "with 8 achieving MRD negativity"
    # idem: MRD response 63.2% (12/19, 95% CI 38.4-83.7)
    mrd = rs.loc["mrd_all"]
    assert (mrd["k"], mrd["n"]) == (12, 19)
    assert fmt.ci(mrd["ci_lower"], mrd["ci_upper"]) == "38.4–83.7"
    # idem: the four patients with < 5% blasts all sustained CR and became MRD-negative
    assert (rs.loc["cr_low_burden", "k"], rs.loc["cr_low_burden", "n"]) == (4, 4)
    assert (rs.loc["mrd_low_burden", "k"], rs.loc["mrd_low_burden", "n"]) == (4, 4)
    assert rs.loc["cr_all", "k"] == 16  # Abstract, Results: "Of the 16 patients with CR"
    shown = R.summary_shown(rs)
    assert shown.loc[0].tolist() == ["CR", "≥ 5% marrow blasts (overt disease)", "12/15 (80.0%)",
                                     "51.9–95.7"]  # fmt: skip


def test_response_summary_with_no_overt_disease(cohort):
    low = cohort[cohort["marrow_blasts_pct"] < 5]
    rs = R.summary(low)
    assert rs.loc["cr_overt", "n"] == 0 and math.isnan(rs.loc["cr_overt", "percent"])
    shown = R.summary_shown(rs)
    assert shown.loc[0, "n/N (%)"] == "0/0 (—)" and shown.loc[0, "95% CI, %"] == fmt.DASH
    t = R.texts(low)
    assert t["cr_overt_percent"] == fmt.DASH and t["cr_overt_ci"] == fmt.DASH
    assert t["note_no_overt"].startswith("```{note}\nNo patient in this cohort started")


def test_response_leaves_missing_outcomes_out(cohort):
    c = cohort.copy()
    c.loc[c.index[0], "cr"] = pd.NA
    rs = R.summary(c)
    assert rs.loc["cr_all", "n"] == 18


def test_table3_prior_transplant_as_in_the_paper(cohort):
    """Results, Treatment response: 0 of 2 vs 12 of 13 in CR, Fisher's exact P = 0.029."""
    t3 = R.table3(cohort)
    yes = _cell(t3, subgroup="prior_hsct", group="yes")
    no = _cell(t3, subgroup="prior_hsct", group="no")
    assert (yes["cr_k"], yes["cr_n"], no["cr_k"], no["cr_n"]) == (0, 2, 12, 13)
    assert yes["cr_test"] == "Fisher's exact"
    assert fmt.p_value(yes["cr_p"]) == "0.029"
    # "MRD response did not significantly differ between patients with or without previous
    # transplantation"
    assert yes["mrd_p"] >= 0.05


def test_table3_no_other_subgroup_differs_significantly(cohort):
    """Results, Treatment response: no difference by sex, age, blasts, Ph, time, EMD."""
    t3 = R.table3(cohort)
    others = t3[t3["subgroup"] != "prior_hsct"]
    assert (others["cr_p"] >= 0.05).all() and (others["mrd_p"] >= 0.05).all()


def test_table3_denominators(cohort):
    t3 = R.table3(cohort)
    sums = t3.groupby("subgroup")[["cr_n", "mrd_n"]].sum()
    assert (sums["cr_n"] == 15).all()  # patients with overt disease
    assert (sums["mrd_n"] == 19).all()  # all patients
    assert list(t3["subgroup"].unique()) == [s[0] for s in R.SUBGROUPS]


def test_table3_uses_chi_square_when_counts_are_large(cohort):
    t3 = R.table3(pd.concat([cohort] * 10, ignore_index=True))
    sex = _cell(t3, subgroup="sex", group="male")
    assert sex["mrd_test"] == "chi-square" and 0 < sex["mrd_p"] < 1
    shown = R.table3_shown(t3)
    assert shown.loc[0, "P (MRD response)"].endswith("(chi-square)")


def test_table3_leaves_unknown_groups_out(cohort):
    c = cohort.copy()
    c.loc[c.index[:2], "ph_positive"] = pd.NA  # would otherwise count as Ph-negative
    t3 = R.table3(c)
    ph = t3[t3["subgroup"] == "ph"]
    assert ph["mrd_n"].sum() == 17


def test_table3_empty_subgroup_gives_undefined_p(cohort):
    adults = cohort[cohort["age_years"] > 18]
    t3 = R.table3(adults)
    young = _cell(t3, subgroup="age", group="≤ 18 years")
    assert young["cr_n"] == 0 and young["mrd_n"] == 0
    assert math.isnan(young["cr_p"]) and math.isnan(young["mrd_p"])
    row = R.table3_shown(t3).iloc[2]
    assert row["CR, n/N (%)"] == "0/0 (—)"
    assert row["P (CR)"] == fmt.DASH and row["P (MRD response)"] == fmt.DASH
    t = R.texts(adults)
    assert t["p_note"] == " " + R.P_UNDEFINED_NOTE
    assert t["note_undefined_p"].startswith("```{note}\n2 of the comparisons")


def test_table3_on_an_empty_cohort(cohort):
    t3 = R.table3(cohort.iloc[:0])
    assert len(t3) == 2 * len(R.SUBGROUPS) and t3["cr_p"].isna().all()


def test_table3_shown_gives_p_once_per_subgroup(cohort):
    shown = R.table3_shown(R.table3(cohort))
    assert len(shown) == 2 * len(R.SUBGROUPS)
    assert (shown["P (CR)"].iloc[1::2] == "").all()
    assert shown.loc[shown["Characteristic"] == "Previous allo-HSCT", "P (CR)"].iloc[0] == (
        "0.029 (Fisher)"
    )


def test_response_texts_are_the_papers_numbers(cohort):
    """Abstract, Results; Results, Treatment response."""
    t = R.texts(cohort)
    assert (t["cr_overt_k"], t["cr_overt_n"], t["cr_overt_percent"]) == ("12", "15", "80.0%")
    assert t["cr_overt_ci"] == "51.9% to 95.7%"
    assert (t["mrd_all_k"], t["mrd_all_n"], t["mrd_all_percent"]) == ("12", "19", "63.2%")
    assert t["mrd_all_ci"] == "38.4% to 83.7%"
    assert (t["mrd_overt_k"], t["no_cr_overt"], t["cr_all_k"]) == ("8", "3", "16")
    assert t["cr_ci_width"] == "43.8"  # 95.67 - 51.91
    assert (t["prior_yes_k"], t["prior_yes_n"], t["prior_no_k"], t["prior_no_n"]) == (
        "0", "2", "12", "13")  # fmt: skip
    assert (t["prior_cr_p"], t["prior_cr_test"]) == ("0.029", "Fisher's exact")
    assert float(t["prior_mrd_p"]) >= 0.05
    assert t["n_subgroups"] == "7" and t["n_tests"] == "14"  # seven pairs, two outcomes
    assert t["p_note"] == t["note_no_overt"] == t["note_undefined_p"] == ""


def test_response_without_optional_columns(cohort):
    assert R.texts(_without_optional(cohort))["cr_overt_percent"] == "80.0%"


# --- safety: Table 2, actions, tiles ------------------------------------------------------------


def test_table2_matches_adverse_events(cohort, ae):
    """Results, Adverse events (and Abstract, Results)."""
    t2 = S.table2(ae, len(cohort))
    first = t2.iloc[0]
    # "Twelve patients (63.2%) experienced at least one AEs"
    assert first["term"] == "any adverse event" and first["n_any"] == 12
    assert fmt.number(first["pct_any"]) == "63.2"

    def term(name):
        return _cell(t2[t2["grade"].isna()], term=name)

    assert term(S.CRS_TERM)["n_any"] == 11  # "CRS, which occurred in 11 patients"
    assert term(S.CRS_TERM)["n_grade3"] == 1  # "only one patient experienced grade 3 CRS"
    grades = t2[(t2["term"] == S.CRS_TERM) & t2["grade"].notna()]
    assert grades.loc[grades["grade"] <= 2, "n_any"].sum() == 10  # "mild (grade 1-2)"
    assert grades["n_any"].sum() == 11
    assert term("febrile neutropenia")["n_grade3"] == 3  # "Three ... grade 3 febrile neutropenia"
    assert term("bacterial sepsis")["n_any"] == 2  # "two experienced bacterial sepsis"
    assert term("heart failure")["n_grade3"] == 1  # grade 3 cardiovascular events in two
    assert term("cardiac insufficiency")["n_grade3"] == 1
    assert term("headache")["n_any"] == 1 and term("headache")["n_grade3"] == 0
    assert t2[t2["grade"].isna()].iloc[1:]["n_any"].is_monotonic_decreasing  # most frequent first
    shown = S.table2_shown(t2)
    assert shown.iloc[0].tolist() == ["any adverse event", "12 (63.2%)", "6 (31.6%)"]
    assert "CRS, grade 3" in shown["Adverse event"].tolist()


def test_table2_counts_a_patient_once_at_the_worst_grade():
    ae = pd.DataFrame({"patient_id": ["A", "A", "B"], "event": [S.CRS_TERM] * 3,
                       "grade": [1, 3, 2], "action": ["none"] * 3})  # fmt: skip
    t2 = S.table2(ae, 4)
    crs = t2[(t2["term"] == S.CRS_TERM) & t2["grade"].isna()].iloc[0]
    assert (crs["n_any"], crs["n_grade3"], crs["pct_any"]) == (2, 1, 50.0)
    assert t2[t2["grade"].notna()].set_index("grade")["n_any"].to_dict() == {2: 1, 3: 1}
    assert S.worst_grades(ae).set_index("patient_id")["grade"].to_dict() == {"A": 3, "B": 2}


def test_table2_without_events_or_patients(ae):
    t2 = S.table2(ae.iloc[:0], 5)
    assert len(t2) == 1 and t2.loc[0, "n_any"] == 0 and t2.loc[0, "pct_any"] == 0
    t0 = S.table2(ae.iloc[:0], 0)
    assert math.isnan(t0.loc[0, "pct_any"])
    assert S.table2_shown(t0).iloc[0, 1] == "0 (—)"


def test_actions_match_the_paper(ae):
    """Results, Adverse events: two interruptions, one dose reduction, one discontinuation."""
    acts = S.actions(ae)
    assert list(dict.fromkeys(acts["action"])) == list(S.ACTIONS)
    assert acts.groupby("action", sort=False)["patient_id"].nunique().to_dict() == {
        "interrupted": 2, "dose reduced": 1, "discontinued": 1}  # fmt: skip
    interrupted = " ".join(acts.loc[acts["action"] == "interrupted", "events"])
    assert "elevated liver enzymes (grade 4)" in interrupted  # hepatotoxicity
    assert "cytokine release syndrome (grade 3)" in interrupted
    reduced = acts.loc[acts["action"] == "dose reduced", "events"].iloc[0]
    assert reduced == "edema (grade 4); cardiac insufficiency (grade 3)"  # worst first
    stopped = acts.loc[acts["action"] == "discontinued", "events"].iloc[0]
    for event in ("febrile neutropenia", "bacterial sepsis", "heart failure"):
        assert event in stopped
    shown = S.actions_shown(acts)
    assert list(shown.columns) == ["Action", "Patient", "Adverse events behind it"]
    assert shown["Action"].tolist().count("interrupted") == 1  # once per group


def test_actions_without_actions(ae):
    assert S.actions(ae[ae["action"] == "none"]).empty
    assert S.actions_shown(S.actions(ae.iloc[:0])).empty


def test_tiles_give_every_patient_and_term(cohort, ae):
    tiles = S.tiles(cohort, ae)
    t2 = S.table2(ae, len(cohort))
    terms = t2[t2["grade"].isna()]["term"].iloc[1:].tolist()
    assert len(tiles) == len(cohort) * len(terms)
    assert list(tiles["event"].unique()) == terms  # the order of Table 2
    assert tiles["patient_id"].unique().tolist() == sorted(cohort["patient_id"])
    with_event = tiles.dropna(subset=["grade"]).groupby("event")["patient_id"].nunique()
    terms_n = t2[t2["grade"].isna()].set_index("term")["n_any"].iloc[1:]
    assert with_event.to_dict() == terms_n.to_dict()
    assert tiles["patient_id"][tiles["grade"].notna()].nunique() == 12  # Results, Adverse events
    assert (tiles["label"] == [fmt.number(g, 0) if g == g else "" for g in tiles["grade"]]).all()


def test_safety_texts_are_the_papers_numbers(cohort, ae):
    """Results, Adverse events."""
    t = S.texts(cohort, ae)
    assert (t["n_patients"], t["n_any"], t["pct_any"]) == ("19", "12", "63.2%")
    assert (t["n_crs"], t["n_crs_grade12"], t["n_crs_grade3"]) == ("11", "10", "1")
    assert (t["n_fn_grade3"], t["n_sepsis"], t["n_headache"]) == ("3", "2", "1")
    assert (t["n_heart_failure_grade3"], t["n_cardiac_grade3"]) == ("1", "1")
    assert (t["n_interrupted"], t["n_dose_reduced"], t["n_discontinued"]) == ("2", "1", "1")
    assert t["note_no_events"] == t["note_no_actions"] == ""


def test_safety_notes_when_nothing_happened(cohort, ae):
    t = S.texts(cohort, ae[ae["action"] == "none"])
    assert t["note_no_events"] == "" and "change of treatment" in t["note_no_actions"]
    t = S.texts(cohort, ae.iloc[:0])
    assert "No adverse event is recorded" in t["note_no_events"]
    assert (t["n_any"], t["pct_any"], t["n_crs"]) == ("0", "0.0%", "0")
