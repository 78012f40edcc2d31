"""Tests of analysis.results.baseline, .response and .safety against the paper's numbers.

Expected values are quoted from the paper (shared/paper/study.txt) with the section that
states them.  Where the paper gives no number (its Tables 1-3 are not in the text), a test
checks an identity instead (counts add up, denominators match) or a hand-made table.
"""

import importlib.util
import math
import time

import numpy as np
import pandas as pd
import pytest

from analysis import chapter_report, config, load_adverse_events, load_cohort
from analysis import format as fmt
from analysis.paper import reconstruct
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
    (shown,) = B.note("Nothing.")
    assert shown.data == "```{note}\nNothing.\n```"
    assert B.note("") == []  # nothing to display


@pytest.fixture
def other_centre(monkeypatch):
    """The book built on a centre's own cohort (any BOOK_COHORT but the reconstruction)."""
    monkeypatch.setenv("BOOK_COHORT", "/elsewhere/cohort.csv")
    assert not config.uses_reconstruction()


def test_table1_marks_the_cells_that_rest_on_assumptions(cohort):
    """assumptions.yml: 'Patients aged 18 or younger' and 'Extramedullary disease before
    blinatumomab' are the reconstruction's choices; the paper prints neither count."""
    t1 = B.table1(cohort)
    marked = t1[t1["assumption"] != ""]
    assert set(zip(marked["characteristic"], marked["category"])) == {
        ("Age, years", "≤ 18"), ("Age, years", "> 18"),
        ("Extramedullary disease", "yes"), ("Extramedullary disease", "no")}  # fmt: skip
    assert set(marked["assumption"]) <= set(reconstruct.assumptions_table()["topic"])
    column = "Patients, n (%) or median (range)"
    shown = B.table1_shown(t1, mark_assumed=True)[column]
    assert shown.str.endswith(B.ASSUMED).sum() == 4
    assert not B.table1_shown(t1)[column].str.contains(B.ASSUMED).any()


def test_baseline_texts_say_what_rests_on_assumptions(cohort, monkeypatch):
    t = B.texts(cohort)
    assert "age (≤ 18, > 18) and extramedullary disease (yes, no)" in t["assumed_note"]
    assert t["footnote"].startswith(f" {B.ASSUMED}")
    monkeypatch.setenv("BOOK_COHORT", "/elsewhere/cohort.csv")  # another centre's records
    t = B.texts(cohort)
    assert t["assumed_note"] == "Every value of Table 1 comes from this cohort's own records"
    assert t["footnote"] == ""


def test_records_caption(monkeypatch):
    assert B.records_caption() == " Reconstructed, not the patients' records."
    monkeypatch.setenv("BOOK_COHORT", "/elsewhere/cohort.csv")
    assert B.records_caption() == ""


def test_ledger_texts_say_agreement_is_by_construction(cohort, ae, monkeypatch):
    report = chapter_report("safety", cohort, ae)
    n_unchecked = int((report["status"] == "not checkable").sum())
    assert n_unchecked == 3  # resumed, dose schedule, day of discontinuation (Results, AEs)
    t = B.ledger_texts(report)
    assert t["ledger_counts"] == (f"{len(report) - 3} of the {len(report) - 3} entries the data "
                                  "can check agree with the paper; 3 cannot be checked from "
                                  "the data tables (not checkable).")  # fmt: skip
    assert "by construction" in t["ledger_meaning"]
    assert "consistent with one another" in t["ledger_meaning"]
    differs = report.assign(status=["differs"] + report["status"].iloc[1:].tolist())
    assert "consistent" not in B.ledger_texts(differs)["ledger_meaning"]  # not all agree
    monkeypatch.setenv("BOOK_COHORT", "/elsewhere/cohort.csv")
    meaning = B.ledger_texts(report)["ledger_meaning"]
    assert "another cohort" in meaning and "construction" not in meaning


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
    """A cohort with only the 20 core columns (issue 13): the loader gives the optional ones
    as missing values; the text says what is not recorded."""
    assert B.texts(cohort)["mrd_sentence"].endswith("detectable in 19 patients at the start")
    t = B.texts(_without_optional(cohort))
    assert t["n_mrd_positive"] == "not recorded"
    assert t["mrd_sentence"].startswith("This cohort does not record MRD status at the start")
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
    assert t["note_no_overt"].startswith("No patient in this cohort started")


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
    assert t["note_undefined_p"].startswith("2 of the comparisons")


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


def test_response_and_safety_without_optional_columns(cohort, ae):
    assert R.texts(_without_optional(cohort))["cr_overt_percent"] == "80.0%"
    assert S.texts(_without_optional(cohort), ae)["n_any"] == "12"  # Results, Adverse events


# --- safety: Table 2 by SOC and PT, grade plausibility, actions, tiles --------------------------

_spec = importlib.util.spec_from_file_location(
    "make_synthetic_cohort", config.ROOT / "scripts" / "make_synthetic_cohort.py"
)
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)

#: MedDRA's 27 system organ classes (MedDRA Introductory Guide, section 6).
MEDDRA_SOCS = {
    "Blood and lymphatic system disorders", "Cardiac disorders",
    "Congenital, familial and genetic disorders", "Ear and labyrinth disorders",
    "Endocrine disorders", "Eye disorders", "Gastrointestinal disorders",
    "General disorders and administration site conditions", "Hepatobiliary disorders",
    "Immune system disorders", "Infections and infestations",
    "Injury, poisoning and procedural complications", "Investigations",
    "Metabolism and nutrition disorders", "Musculoskeletal and connective tissue disorders",
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
    "Nervous system disorders", "Pregnancy, puerperium and perinatal conditions",
    "Product issues", "Psychiatric disorders", "Renal and urinary disorders",
    "Reproductive system and breast disorders",
    "Respiratory, thoracic and mediastinal disorders", "Skin and subcutaneous tissue disorders",
    "Social circumstances", "Surgical and medical procedures", "Vascular disorders",
}  # fmt: skip


def _events(*rows):
    return pd.DataFrame(rows, columns=["patient_id", "event", "grade", "action"])


def test_coding_follows_ctcae_v5():
    """CTCAE v5.0 (NCI, 2017): febrile neutropenia is defined at grades 3-5 only, sepsis at 4-5,
    edema limbs and headache at 1-3, heart failure at 1-5, ALT increased at 1-4; ASTCT
    consensus (Lee et al., 2019): CRS and ICANS grades 1-4, death grade 5."""
    c = S.CODING.set_index("pt")
    icans = "Immune effector cell-associated neurotoxicity syndrome"
    expected = {"Febrile neutropenia": [3, 4, 5], "Bacterial sepsis": [4, 5],
                "Oedema peripheral": [1, 2, 3], "Headache": [1, 2, 3],
                "Cardiac failure": [1, 2, 3, 4, 5], "Hepatic enzyme increased": [1, 2, 3, 4],
                "Cytokine release syndrome": [1, 2, 3, 4, 5], icans: [1, 2, 3, 4, 5]}  # fmt: skip
    assert c["grades"].to_dict() == expected
    assert set(c["soc"]) <= MEDDRA_SOCS
    assert c.loc["Cardiac failure", "ctcae"] == "Heart failure"
    assert c.loc["Bacterial sepsis", "ctcae"] == "Sepsis"
    assert set(c.loc[c["grading"] != "CTCAE v5.0"].index) == {"Cytokine release syndrome", icans}
    words = [w.lower() for v in c["verbatim"] for w in v]
    assert len(words) == len(set(words))  # a word codes to one term
    for term in ("cytokine release syndrome", "febrile neutropenia", "bacterial sepsis",
                 "heart failure", "cardiac insufficiency", "edema", "elevated liver enzymes",
                 "headache"):  # Results, Adverse events  # fmt: skip
        assert term in words


def test_assumed_grades_are_assumptions_of_the_reconstruction():
    topics = set(reconstruct.assumptions_table()["topic"])
    for a in B.LAYOUT["assumed"]["table2"]:
        assert a["assumption"] in topics and a["pt"] in set(S.CODING["pt"])


def test_table2_by_system_organ_class_and_preferred_term(cohort, ae):
    """Results, Adverse events: 12 patients (63.2%) had an AE; CRS in 11 (10 grade 1-2, one
    grade 3); grade 3 febrile neutropenia in three; bacterial sepsis in two; grade 3 heart
    failure and cardiac insufficiency, one each; grade 1 headache in one; grade 4 elevated
    liver enzymes; grade 4 edema."""
    t2 = S.table2(ae, len(cohort))
    first = t2.iloc[0]
    assert (first["level"], first["n_any"], first["n_patients"]) == ("any", 12, 19)
    pt = t2[t2["level"] == "pt"].set_index("pt")
    crs = pt.loc["Cytokine release syndrome"]
    assert (crs["n_any"], crs["n_grade1"] + crs["n_grade2"], crs["n_grade3"]) == (11, 10, 1)
    assert (crs["soc"], crs["grading"], crs["assumed"]) == (
        "Immune system disorders", "ASTCT consensus", (1, 2))  # fmt: skip
    assert pt.loc["Febrile neutropenia", "n_grade3"] == 3
    sepsis = pt.loc["Bacterial sepsis"]
    assert sepsis["n_any"] == 2 and sepsis["assumed"] == (4,)
    heart = pt.loc["Cardiac failure"]  # one preferred term for both of the paper's words
    assert (heart["n_any"], heart["n_grade3"], heart["soc"]) == (2, 2, "Cardiac disorders")
    assert heart["verbatim"] == "cardiac insufficiency; heart failure"
    assert pt.loc["Headache", "n_grade1"] == 1 and pt.loc["Headache", "verbatim"] == ""
    assert pt.loc["Hepatic enzyme increased", "n_grade4"] == 1
    assert (pt.loc["Oedema peripheral", "n_grade4"], pt.loc["Oedema peripheral", "verbatim"]) == (
        1, "edema")  # fmt: skip
    icans = pt.loc["Immune effector cell-associated neurotoxicity syndrome"]
    assert icans["n_any"] == 0 and icans["soc"] == "Nervous system disorders"  # shown, absent
    grades = t2[[f"n_grade{g}" for g in S.GRADES]].sum(axis=1)
    assert (grades == t2["n_any"]).all()  # each patient once, at one worst grade
    socs = t2[t2["level"] == "soc"]
    assert socs["n_any"].is_monotonic_decreasing  # most frequent class first
    for _, row in socs.iterrows():
        members = pt[pt["soc"] == row["soc"]]["n_any"]
        assert members.max() <= row["n_any"] <= members.sum()


def test_table2_counts_a_patient_once_per_term_at_the_worst_grade():
    ae = _events(("A", "heart failure", 2, "none"), ("A", "Cardiac insufficiency ", 3, "none"),
                 ("A", "cytokine release syndrome", 1, "none"), ("B", "CRS", 2, "none"),
                 ("B", "heart failure", 1, "none"))  # fmt: skip
    t2 = S.table2(ae, 4)
    pt = t2[t2["level"] == "pt"].set_index("pt")
    heart = pt.loc["Cardiac failure"]
    assert (heart["n_any"], heart["n_grade1"], heart["n_grade3"]) == (2, 1, 1)
    assert pt.loc["Cytokine release syndrome", "verbatim"] == "CRS"
    every = t2.iloc[0]
    assert (every["n_any"], every["n_grade2"], every["n_grade3"]) == (2, 1, 1)
    worst = S.worst_grades(ae, "pt").set_index(["patient_id", "pt"])["grade"]
    assert worst[("A", "Cardiac failure")] == 3 and len(worst) == 4


def test_table2_shown_as_a_safety_table(cohort, ae):
    t2 = S.table2(ae, len(cohort))
    shown = S.table2_shown(t2)
    assert shown.columns.tolist() == ["System organ class / – preferred term", "Verbatim term",
                                      "Any grade (N = 19)", "Grade 1", "Grade 2", "Grade 3",
                                      "Grade 4", "Grade 5"]  # fmt: skip
    label = shown.columns[0]
    assert shown.iloc[0].tolist() == ["Any adverse event", "", "12 (63.2)", "4 (21.1)",
                                      "2 (10.5)", "2 (10.5)", "4 (21.1)", "0"]  # fmt: skip
    assert "– Cytokine release syndrome ‡" in shown[label].tolist()
    assert "Immune system disorders" in shown[label].tolist()
    assert not shown.iloc[:, 2:].apply(lambda c: c.str.contains(B.ASSUMED)).any().any()
    marked = S.table2_shown(t2, mark_assumed=True).set_index(label)
    assert marked.loc["– Cytokine release syndrome ‡", "Grade 1"] == f"7 (36.8) {B.ASSUMED}"
    assert marked.loc["– Bacterial sepsis", "Grade 4"] == f"2 (10.5) {B.ASSUMED}"
    assert marked.loc["– Febrile neutropenia", "Grade 3"] == "3 (15.8)"


def test_table2_without_events_or_patients(ae):
    t2 = S.table2(ae.iloc[:0], 5)
    assert t2["level"].tolist() == ["any", "soc", "pt"]  # ICANS is shown even then
    assert (t2["n_any"] == 0).all()
    assert S.table2_shown(S.table2(ae.iloc[:0], 0)).iloc[0, 2] == "0"


def test_terms_not_in_the_mapping_are_kept_and_not_graded():
    ae = _events(("A", "rash", 2, "none"), ("B", "Rash", 5, "none"))
    pt = S.table2(ae, 2).query("level == 'pt'").set_index("pt")
    assert pt.loc["Rash", "soc"] == "Not coded (term not in the mapping)"
    assert pt.loc["Rash", "grading"] == "not stated" and pt.loc["Rash", "n_any"] == 2
    assert S.grade_plausibility(ae)["plausible"].isna().all()
    text = S.texts(pd.DataFrame({"patient_id": ["A", "B"]}), ae)["plausibility"]
    assert text.endswith("Not checked, because not in the mapping: Rash, rash.")


def test_grade_plausibility_finds_the_papers_grade_4_edema(ae):
    """Results, Adverse events: 'grade 4 edema'; CTCAE v5.0 edema limbs has grades 1-3."""
    gp = S.grade_plausibility(ae)
    bad = gp[gp["plausible"].eq(False)]
    assert bad[["event", "grade", "n_patients"]].values.tolist() == [["edema", 4.0, 1]]
    assert bad["defined"].iloc[0] == "1, 2, 3" and bad["ctcae"].iloc[0] == "Edema limbs"
    assert gp["plausible"].notna().all() and len(gp) == 10


def test_grade_plausibility_sentence_follows_the_data(cohort, ae):
    text = S.texts(cohort, ae)["plausibility"]
    assert text == ("Grades the term does not define (1 of the 10 combinations of term and "
                    "grade recorded): grade 4 edema (1 patient; CTCAE v5.0 Edema limbs defines "
                    "grades 1, 2, 3).")  # fmt: skip
    fixed = ae.assign(grade=ae["grade"].where(ae["event"] != "edema", 3))
    defined = "Every grade recorded is one that its term's grading system defines."
    assert S.texts(cohort, fixed)["plausibility"] == defined
    sepsis3 = fixed.assign(grade=fixed["grade"].where(fixed["event"] != "bacterial sepsis", 3))
    assert "grade 3 bacterial sepsis (2 patients; CTCAE v5.0 Sepsis defines grades 4, 5)" in (
        S.texts(cohort, sepsis3)["plausibility"])  # fmt: skip


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
    assert acts["max_grade"].tolist() == [3, 4, 4, 4]
    shown = S.actions_shown(acts)
    assert list(shown.columns) == ["Action", "Patient", "Adverse events behind it"]
    assert shown["Action"].tolist().count("interrupted") == 1  # once per group


def test_actions_without_actions(ae):
    assert S.actions(ae[ae["action"] == "none"]).empty
    assert S.actions_shown(S.actions(ae.iloc[:0])).empty


def test_tiles_give_every_patient_and_term(cohort, ae):
    tiles = S.tiles(cohort, ae)
    t2 = S.table2(ae, len(cohort))
    pts = t2[t2["level"] == "pt"]
    assert len(tiles) == len(cohort) * len(pts)
    assert list(tiles["event"].unique()) == [
        "CRS", "Febrile neutropenia", "Cardiac failure", "Bacterial sepsis", "Oedema",
        "Liver enzymes increased", "Headache", "ICANS"]  # fmt: skip
    assert tiles["patient_id"].unique().tolist() == sorted(cohort["patient_id"])
    with_event = tiles.dropna(subset=["grade"]).groupby("event", sort=False)["patient_id"].nunique()
    assert with_event.tolist() == pts.loc[pts["n_any"] > 0, "n_any"].tolist()
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
    assert t["note_no_events"] == t["note_no_actions"] == t["tiles_sample"] == t["listing"] == ""
    assert B.ASSUMED in t["footnote"] and "ASTCT" in t["footnote"]


def test_safety_footnote_marks_assumptions_only_on_the_reconstruction(cohort, ae, other_centre):
    assert B.ASSUMED not in S.texts(cohort, ae)["footnote"]


def test_safety_notes_when_nothing_happened(cohort, ae):
    t = S.texts(cohort, ae[ae["action"] == "none"])
    assert t["note_no_events"] == "" and "change of treatment" in t["note_no_actions"]
    t = S.texts(cohort, ae.iloc[:0])
    assert "No adverse event is recorded" in t["note_no_events"]
    assert (t["n_any"], t["pct_any"], t["n_crs"]) == ("0", "0.0%", "0")


def test_safety_at_registry_scale():
    """100,000 patients (issue 13): the tiles show a seeded sample of MAX_TILES patients, the
    listing its first MAX_LISTED rows, and the text says so."""
    cohort, ae = synthetic.generate(100_000)
    start = time.perf_counter()
    t2, tiles, texts = S.table2(ae, len(cohort)), S.tiles(cohort, ae), S.texts(cohort, ae)
    shown = S.actions_shown(S.actions(ae))
    assert time.perf_counter() - start < 60
    assert t2.iloc[0]["n_any"] == ae["patient_id"].nunique()
    assert tiles["patient_id"].nunique() == S.MAX_TILES
    assert tiles["patient_id"].tolist() == S.tiles(cohort, ae)["patient_id"].tolist()  # seeded
    assert len(shown) == S.MAX_LISTED
    assert texts["tiles_sample"].startswith(f"The figure shows a random sample of {S.MAX_TILES} "
                                            "of the 100000 patients")  # fmt: skip
    assert texts["listing"].startswith(f" The first {S.MAX_LISTED} of ")
    assert "grade 3 bacterial sepsis" in texts["plausibility"]  # the generator's grades
