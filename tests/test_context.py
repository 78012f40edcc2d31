"""Tests of analysis.context: the literature table, the response table, the forest plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis import config, context, load_cohort
from analysis.stats import proportion_ci


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    return context.load_trials()


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_cohort(config.DEFAULT_COHORT)


@pytest.fixture(scope="module")
def table(cohort, trials) -> pd.DataFrame:
    return context.response_table(cohort, trials)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ------------------------------------------------------------------------- the data file


def test_file_has_the_documented_columns():
    raw = pd.read_csv(context.TRIALS_PATH, dtype=str, keep_default_na=False)
    assert list(raw.columns) == [c for c, _, _ in context.TRIAL_COLUMNS]


def test_every_row_has_a_citation_and_a_source_note(trials):
    assert trials["citation"].str.strip().str.len().gt(20).all()
    assert trials["source_note"].str.strip().ne("").all()
    assert trials["key"].is_unique


def test_checked_and_endpoints_are_from_the_vocabulary(trials):
    assert set(trials["checked"]) <= set(context.CHECKED_VALUES)
    assert set(trials["endpoint"]) <= set(context.ENDPOINTS)
    assert set(trials["count_source"]) <= {"reported", "derived", "cited"}


def test_required_trials_are_present(trials):
    t = trials.set_index("key")
    expected = {
        "topp2015": ("CR/CRh", 81, 189),
        "alcantara2017": ("CR/CRh", 16, 45),
        "blast2018": ("complete MRD response", 88, 113),
        "zhou2022": ("CR/CRh", 41, 90),
        "shi": ("CR", 6, 8),
    }
    for key, (endpoint, k, n) in expected.items():
        assert (t.at[key, "endpoint"], t.at[key, "responders"], t.at[key, "n"]) == (endpoint, k, n)


def test_tower_counts_are_derived_from_the_percentages(trials):
    # Kantarjian et al. 2017 (abstract): CR 34% of 271 vs 16% of 134.
    t = trials.set_index("key")
    assert t.at["tower_blin_cr", "count_source"] == "derived"
    assert t.at["tower_blin_cr", "responders"] == round(0.34 * 271)  # 92.1 -> 92
    assert t.at["tower_chemo_cr", "responders"] == round(0.16 * 134)  # 21.4 -> 21
    assert context.derived_count(25, 134) == 34  # 33.5 rounds half up


def test_counts_agree_with_the_printed_percentages(trials):
    for _, r in trials.dropna(subset=["reported_pct"]).iterrows():
        printed = f"{r['reported_pct']:g}"
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        assert round(100 * r["responders"] / r["n"], decimals) == pytest.approx(
            r["reported_pct"]
        ), r["key"]


def test_printed_cis_are_reproduced_by_the_exact_method(trials):
    # Where a source prints a 95% CI, the exact (Clopper-Pearson) interval of the counts
    # matches it at the printed precision: Zhou 2022 (35.0-56.4), ALCANTARA final analysis
    # (21.9-51.2), Topp 2015 in a review table (36-50), TOWER CR in a review table (28-40).
    checked = 0
    for _, r in trials[trials["reported_ci"] != ""].iterrows():
        lo_s, hi_s = r["reported_ci"].split("-")
        decimals = len(lo_s.split(".")[1]) if "." in lo_s else 0
        lo, hi = proportion_ci(int(r["responders"]), int(r["n"]))
        assert round(100 * lo, decimals) == pytest.approx(float(lo_s)), r["key"]
        assert round(100 * hi, decimals) == pytest.approx(float(hi_s)), r["key"]
        checked += 1
    assert checked >= 4


def test_zhou_discrepancy_is_recorded(trials):
    # Discussion, paragraph 2: the paper quotes "a CR/CRh rate of 47.8%" for Zhou et al.;
    # the trial reports 41/90 = 45.6%.  47.8% of 90 is 43 patients.
    z = trials.set_index("key").loc["zhou2022"]
    assert z["quoted_pct"] == 47.8
    assert round(100 * z["responders"] / z["n"], 1) == 45.6
    assert context.derived_count(z["quoted_pct"], int(z["n"])) == 43
    assert "47.8" in z["notes"] and "43/90" in z["notes"]


def test_quote_check(trials):
    qc = context.quote_check(trials).set_index("key")
    # Introduction: 43% (Topp), 34% vs 16% (TOWER), 78% (BLAST); Discussion: 47.8% (Zhou),
    # 75% (Shi).  Only the Zhou quote disagrees with its source.
    assert set(qc.index) == {
        "topp2015", "tower_blin_cr", "tower_chemo_cr", "blast2018", "zhou2022", "shi"
    }  # fmt: skip
    assert not qc.at["zhou2022", "agrees"]
    assert qc.drop(index="zhou2022")["agrees"].all()


def test_load_trials_rejects_a_bad_file(tmp_path, trials):
    bad = pd.read_csv(context.TRIALS_PATH, dtype=str, keep_default_na=False)
    bad.loc[0, "checked"] = "maybe"
    path = tmp_path / "t.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match="checked"):
        context.load_trials(path)
    bad = bad.drop(columns=["citation"])
    bad.to_csv(path, index=False)
    with pytest.raises(ValueError, match="missing"):
        context.load_trials(path)


# ------------------------------------------------------------------------- response table


def test_topp_gives_42_9_percent_with_the_exact_ci(table):
    r = table.set_index("key").loc["topp2015"]
    lo, hi = proportion_ci(81, 189)
    assert r["percent"] == pytest.approx(100 * 81 / 189)
    assert round(r["percent"], 1) == 42.9
    assert (r["ci_lower"], r["ci_upper"]) == pytest.approx((100 * lo, 100 * hi))
    assert (round(r["ci_lower"], 1), round(r["ci_upper"], 1)) == (35.7, 50.2)


def test_cohort_rows_are_computed(table):
    t = table.set_index("key")
    # Abstract, Results: CR 12/15 (80.0%, 51.9-95.7); MRD response 12/19 (63.2%, 38.4-83.7).
    cr, mrd = t.loc["cohort_cr"], t.loc["cohort_mrd"]
    assert (cr["responders"], cr["n"]) == (12, 15)
    assert (round(cr["ci_lower"], 1), round(cr["ci_upper"], 1)) == (51.9, 95.7)
    assert (mrd["responders"], mrd["n"]) == (12, 19)
    assert (round(mrd["ci_lower"], 1), round(mrd["ci_upper"], 1)) == (38.4, 83.7)
    # Discussion: "only 36.8% of patients in our study had high tumor burden".
    assert round(mrd["high_blast_pct"], 1) == 36.8
    assert table["is_cohort"].sum() == 2 and table["is_cohort"].iloc[:2].all()


def test_cohort_rows_follow_the_data(cohort, trials):
    fewer = cohort[cohort["cr"].astype(bool) | (cohort["marrow_blasts_pct"] < 5)]
    t = context.response_table(fewer.reset_index(drop=True), trials).set_index("key")
    assert t.at["cohort_cr", "responders"] == t.at["cohort_cr", "n"] == 12
    assert t.at["cohort_mrd", "n"] == len(fewer)


def test_empty_denominator_gives_nan(cohort, trials):
    low_only = cohort[cohort["marrow_blasts_pct"] < 5].reset_index(drop=True)
    t = context.response_table(low_only, trials).set_index("key")
    assert t.at["cohort_cr", "n"] == 0
    assert np.isnan(t.at["cohort_cr", "percent"]) and np.isnan(t.at["cohort_cr", "ci_lower"])
    assert np.isnan(t.at["cohort_cr", "high_blast_pct"])
    assert context.format_response_table(t.reset_index())["% (95% CI)"].iloc[0] == "–"
    context.forest_plot(t.reset_index())
    burden = context.burden_table(low_only).set_index("group")
    assert burden.at["high_blasts", "n"] == 0 and np.isnan(burden.at["high_blasts", "cr_pct"])
    assert np.isnan(context.burden_test(low_only)["p_value"])


def test_burden_table(cohort):
    b = context.burden_table(cohort).set_index("group")
    # Results, Patient characteristics and Discussion: 4 with < 5% blasts, 15 with >= 5%,
    # 36.8% (7 of 19) with >= 50%.
    assert b.at["low_burden", "n"] == 4
    assert b.at["overt", "n"] == 15
    assert b.at["high_blasts", "n"] == 7
    assert round(b.at["high_blasts", "share_all"], 1) == 36.8
    assert b.at["blasts_5_49", "n"] + b.at["high_blasts", "n"] == b.at["overt", "n"]
    assert b.at["overt", "cr"] == 12 and b.at["low_burden", "cr"] == 4
    assert b.at["blasts_5_49", "cr"] + b.at["high_blasts", "cr"] == 12


def test_format_response_table(table):
    shown = context.format_response_table(table)
    assert len(shown) == len(table)
    assert shown["responders / n"].str.contains("derived").sum() == 4
    assert shown["% (95% CI)"].iloc[0] == "80.0 (51.9–95.7)"


# ------------------------------------------------------------------------- forest plot


def test_forest_plot_returns_ax(table):
    fig, ax = plt.subplots(figsize=(5, 5))
    out = context.forest_plot(table, ax=ax)
    assert out is ax
    assert ax.get_xlabel().startswith("response rate (%)")
    assert ax.get_xlim() == (0, 100)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(table)
    assert labels[0].startswith(context.STUDY)
    assert labels[-1].endswith("†")  # Shi et al. could not be checked
    # the endpoints in the legend, each with its own marker
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(table["endpoint"]) <= set(legend)
    assert len(set(context.ENDPOINT_MARKERS.values())) == len(context.ENDPOINT_MARKERS)


def test_forest_plot_new_figure(table):
    ax = context.forest_plot(table)
    assert ax.figure.get_size_inches()[0] == pytest.approx(7)
