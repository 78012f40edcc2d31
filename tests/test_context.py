"""This cohort beside the published trials: the literature file, the tables, the forest plot.

Expected values come from the paper (section cited) and from the trials' own publications
as recorded in the literature file's ``source_note`` column.  The chapter also builds on a
cohort with the 20 core columns only and on 100,000 synthetic patients (issue 13).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import scipy.stats
from test_journeys import core_only, synthetic

from analysis import config, load_cohort
from analysis.figures import forest, theme
from analysis.results import context
from analysis.stats.proportions import proportion_ci


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


def test_file_has_the_documented_columns(trials):
    raw = pd.read_csv(config.LITERATURE_PATH, dtype=str, keep_default_na=False)
    assert list(raw.columns) == list(context.TRIAL_COLUMNS)
    assert all(context.TEXTS["trial_columns"][c] for c in context.TRIAL_COLUMNS)  # documented
    assert trials["citation"].str.len().gt(20).all() and trials["source_note"].ne("").all()
    assert trials["key"].is_unique
    assert set(trials["checked"]) <= set(context.CHECKED_VALUES)
    assert set(trials["endpoint"]) <= set(context.ENDPOINTS)
    assert set(trials["count_source"]) <= {"reported", "derived", "cited"}


def test_trials_as_published(trials):
    # Topp 2015 (CR/CRh 81/189), ALCANTARA final analysis (16/45), BLAST (complete MRD
    # response 88/113), Zhou 2022 (41/90), Shi as cited by the paper (CR 75% of 8).
    t = trials.set_index("key")
    expected = {"topp2015": ("CR/CRh", 81, 189), "alcantara2017": ("CR/CRh", 16, 45),
                "blast2018": ("complete MRD response", 88, 113),
                "zhou2022": ("CR/CRh", 41, 90), "shi": ("CR", 6, 8)}  # fmt: skip
    for key, (endpoint, k, n) in expected.items():
        assert (t.at[key, "endpoint"], t.at[key, "responders"], t.at[key, "n"]) == (endpoint, k, n)


def test_tower_counts_are_derived_from_the_percentages(trials):
    # Kantarjian 2017 (abstract): CR 34% of 271 vs 16% of 134; CR/CRh/CRi 44% vs 25%.
    t = trials.set_index("key")["responders"]
    assert (t["tower_blin_cr"], t["tower_chemo_cr"]) == (92, 21)  # 92.14, 21.44
    assert (t["tower_blin_crcrhcri"], t["tower_chemo_crcrhcri"]) == (119, 34)  # 119.24, 33.5
    assert context.derived_count(25, 134) == 34  # 33.5 rounds half up, not to even
    assert (trials["count_source"] == "derived").sum() == 4


def test_printed_cis_are_reproduced_by_the_exact_method(trials):
    # Zhou 2022 (35.0-56.4), ALCANTARA final analysis (21.9-51.2), Topp 2015 and TOWER CR in
    # a review table (36-50, 28-40): the exact interval of the counts at the printed precision.
    rows = trials[trials["reported_ci"] != ""]
    assert len(rows) == 4
    for _, r in rows.iterrows():
        lo_s, hi_s = r["reported_ci"].split("-")
        places = len(lo_s.partition(".")[2])
        lo, hi = proportion_ci(int(r["responders"]), int(r["n"]))
        assert (round(100 * lo, places), round(100 * hi, places)) == (float(lo_s), float(hi_s))


def test_quote_check(trials):
    # Introduction: 43% (Topp), 34% vs 16% (TOWER), 78% (BLAST); Discussion: 47.8% (Zhou),
    # 75% (Shi).  Zhou's abstract gives 41/90 = 45.6%; 47.8% of 90 is 43, the patients who
    # continued the study.  Only that quote disagrees.
    qc = context.quote_check(trials).set_index("key")
    assert set(qc.index) == {"topp2015", "tower_blin_cr", "tower_chemo_cr", "blast2018",
                             "zhou2022", "shi"}  # fmt: skip
    assert list(qc.index[~qc["agrees"]]) == ["zhou2022"]
    assert context.derived_count(qc.at["zhou2022", "quoted_pct"], 90) == 43
    shown = context.format_quote_table(qc.reset_index()).set_index("study")
    assert shown.at["Zhou 2022", "source, %"] == "41/90 = 45.6"
    assert (
        shown.at["Zhou 2022", "paper quotes, %"] == "47.8"
        and shown.at["Zhou 2022", "agrees"] == "NO"
    )
    assert shown.at["TOWER 2017, chemotherapy", "paper quotes, %"] == "16"


def test_load_trials_rejects_a_bad_file(tmp_path):
    bad = pd.read_csv(config.LITERATURE_PATH, dtype=str, keep_default_na=False)
    bad.loc[0, "checked"] = "maybe"
    bad.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match="checked"):
        context.load_trials(tmp_path / "t.csv")
    bad.drop(columns=["citation"]).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match="missing"):
        context.load_trials(tmp_path / "t.csv")


def test_response_table(table):
    t = table.set_index("key")
    # Topp 2015: 81/189 = 42.9%, exact CI 35.7-50.2 (source_note).
    topp = t.loc["topp2015", ["percent", "ci_lower", "ci_upper"]].astype(float)
    assert topp.round(1).tolist() == [42.9, 35.7, 50.2]
    # Abstract: CR 12/15 (80.0%, 51.9-95.7); MRD response 12/19 (63.2%, 38.4-83.7).
    assert (t.at["cohort_cr", "responders"], t.at["cohort_cr", "n"]) == (12, 15)
    assert (t.at["cohort_mrd", "responders"], t.at["cohort_mrd", "n"]) == (12, 19)
    # Discussion: "only 36.8% of patients in our study had high tumor burden" (7 of 19).
    assert round(t.at["cohort_mrd", "high_blast_pct"], 1) == 36.8
    assert table["is_cohort"].tolist() == [True, True] + [False] * 9
    assert t.at["tower_chemo_cr", "label"] == "TOWER 2017, chemotherapy"
    assert t.at["topp2015", "label"] == "Topp 2015"


def test_format_response_table(table):
    shown = context.format_response_table(table)
    assert shown.columns.tolist() == ["study", "endpoint", "responders / n", "% (95% CI)",
                                      "≥ 50% blasts, %", "checked"]  # fmt: skip
    assert shown["% (95% CI)"].tolist()[:2] == ["80.0 (51.9–95.7)", "63.2 (38.4–83.7)"]
    assert shown["responders / n"].str.endswith("(derived)").sum() == 4
    assert shown.loc[9, "≥ 50% blasts, %"] == "77.8"  # Zhou 2022 abstract


def test_burden_table_and_test(cohort):
    b = context.burden_table(cohort).set_index("group")
    # Results, Patient characteristics and Discussion: 4 with < 5% blasts, 15 with >= 5%,
    # 7 of 19 (36.8%) with >= 50%; CR in 12 of the 15 and all 4 below 5%.
    assert b["n"].to_dict() == {"low_burden": 4, "blasts_5_49": 8, "high_blasts": 7, "overt": 15}
    assert round(b.at["high_blasts", "share_all"], 1) == 36.8
    assert np.isnan(b.at["low_burden", "share_overt"]) and b.at["overt", "share_overt"] == 100
    assert (b.at["overt", "cr"], b.at["low_burden", "cr"]) == (12, 4)
    assert b.at["blasts_5_49", "cr"] + b.at["high_blasts", "cr"] == 12
    assert round(b.at["overt", "cr_ci_lower"], 1) == 51.9  # Abstract: 51.9-95.7
    shown = context.format_burden_table(b.reset_index())
    assert shown["CR, % (95% CI)"].iloc[-1] == "80.0 (51.9–95.7)"
    # Fisher's exact test of CR, >= 50% against 5-49% blasts, computed by scipy directly
    hi, mid = b.loc["high_blasts"], b.loc["blasts_5_49"]
    table = [[hi["cr"], hi["n"] - hi["cr"]], [mid["cr"], mid["n"] - mid["cr"]]]
    t = context.texts(cohort, context.load_trials())
    assert t["burden_test"] == "Fisher's exact"
    assert t["burden_p"] == f"{scipy.stats.fisher_exact(table).pvalue:.3f}"


def test_texts(cohort, trials):
    t = context.texts(cohort, trials)
    assert all(isinstance(v, str) for v in t.values())
    # Abstract and Results; Zhou 2022 abstract; the literature file's 9 rows.
    expected = {"cohort_cr_pct": "80.0", "cohort_cr_lo": "51.9", "cohort_cr_hi": "95.7",
                "cohort_mrd_pct": "63.2", "cohort_mrd_lo": "38.4", "cohort_mrd_hi": "83.7",
                "zhou2022_pct": "45.6", "zhou2022_quoted": "47.8", "zhou2022_high": "77.8",
                "zhou2022_quoted_count": "43", "high_blasts_share_all": "36.8",
                "n_ph_positive": "9", "n_patients": "19", "n_trial_rows": "9", "n_quotes": "6",
                "n_quotes_disagree": "1", "checked_no": "1", "cohort_cr_width": "43.8",
                # Results, Patient characteristics: "All patients were MRD positive".
                "mrd_start": "19 of the 19 patients were MRD-positive at the start",
                # Discussion: 36.8% with high tumour burden, as computed.
                "high_vs_paper": "the figure the paper's Discussion gives"}  # fmt: skip
    assert {k: t[k] for k in expected} == expected


def _with_high_burden_cr(cohort, k):
    """The cohort with exactly ``k`` of its >= 50%-blast patients in CR."""
    high = cohort.index[cohort["marrow_blasts_pct"] >= 50]
    return cohort.assign(cr=cohort["cr"].astype(bool) & ~cohort.index.isin(high)
                         | cohort.index.isin(high[:k]))  # fmt: skip


def test_burden_reading_flips(cohort, trials):
    # Zhou 2022: CR/CRh 45.6% (41/90).  7 patients with >= 50% blasts: 0/7 in CR has the
    # exact CI 0-41.0% (below), 3/7 9.9-81.6% (inside), 7/7 59.0-100% (above the trial).
    reading = {k: context.texts(_with_high_burden_cr(cohort, k), trials)["burden_reading"]
               for k in (0, 3, 7)}  # fmt: skip
    assert reading[0].startswith("lies above") and "less often" in reading[0]
    assert reading[3].startswith("lies inside") and "cannot confirm" in reading[3]
    assert reading[7].startswith("lies below") and "would not explain" in reading[7]
    low = cohort[cohort["marrow_blasts_pct"] < 50]
    assert context.texts(low, trials)["burden_reading"].startswith("cannot be compared")


def test_share_against_the_paper_flips(cohort, trials):
    # Discussion: 36.8%; with one high-burden patient fewer the share differs from the paper.
    fewer = cohort.drop(cohort.index[cohort["marrow_blasts_pct"] >= 50][:1])
    t = context.texts(fewer, trials)
    assert t["high_blasts_share_all"] == "33.3"
    assert t["high_vs_paper"] == "where the paper's Discussion gives 36.8% for its own patients"


def test_core_columns_only(trials):
    t = context.texts(core_only(), trials)
    assert t["mrd_start"].startswith("MRD status at the start was not recorded")
    assert "mrd_positive_at_start" in t["mrd_start"]
    assert (t["cohort_cr_k"], t["cohort_cr_n"], t["cohort_mrd_k"]) == ("12", "15", "12")


def test_100000_patients(trials):
    big, _ = synthetic.generate(100_000, 11)
    rows = context.forest_rows(context.response_table(big, trials))
    assert rows.loc[rows["is_cohort"], "n_of_n"].tolist()[0].endswith("/" + str(
        int((big["marrow_blasts_pct"] >= 5).sum())))  # fmt: skip
    t = context.texts(big, trials)
    assert t["n_patients"] == "100000" and t["burden_test"] == "chi-square"


def test_empty_denominator(cohort, trials):
    low_only = cohort[cohort["marrow_blasts_pct"] < 5].reset_index(drop=True)
    t = context.response_table(low_only, trials)
    assert (
        t.at[0, "n"] == 0 and np.isnan(t.at[0, "percent"]) and np.isnan(t.at[0, "high_blast_pct"])
    )
    assert context.format_response_table(t)["% (95% CI)"].iloc[0] == "—"
    rows = context.forest_rows(t)
    assert rows.loc[1, ["n_of_n", "rate", "ci"]].tolist() == ["0/0", "—", "—"]
    forest.forest_plot(rows)
    b = context.burden_table(low_only).set_index("group")
    assert b.at["high_blasts", "n"] == 0 and np.isnan(b.at["high_blasts", "cr_pct"])
    assert context.texts(low_only, trials)["burden_p"] == "—"


def test_forest_rows_group_like_with_like(table):
    rows = context.forest_rows(table)
    heads = rows[rows["kind"] == "endpoint"]
    assert heads["endpoint"].tolist() == list(context.ENDPOINTS)
    # every study row sits under the header of its own endpoint
    group = rows["endpoint"].where(rows["kind"] == "endpoint").ffill()
    assert (group == rows["endpoint"]).all()
    assert rows["row"].tolist() == list(range(len(rows)))
    cohort_cr = rows[rows["is_cohort"] & (rows["endpoint"] == "CR")].iloc[0]
    assert (cohort_cr["n_of_n"], cohort_cr["rate"], cohort_cr["ci"]) == ("12/15", "80.0",
                                                                          "51.9–95.7")  # fmt: skip
    # this cohort first in its group; Shi et al. could not be checked (†)
    assert rows.loc[cohort_cr["row"] - 1, "kind"] == "endpoint"
    assert "Shi et al.†" in rows["study"].tolist()
    assert rows.loc[rows["derived"], "study"].str.startswith("TOWER").all()


def test_forest_figure(table, tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_SOURCE_DATA", str(tmp_path))
    theme.set_theme(inline=False)
    rows = context.forest_rows(table)
    fig = forest.forest_figure(rows, name="fig-forest")
    ax = fig.axes[0]
    fig.canvas.draw()
    assert fig.get_size_inches()[0] == theme.WIDTH and ax.get_xlim() == (0, 100)
    texts = [t.get_text() for t in ax.texts]
    assert [h for _, h, *_ in forest.COLUMNS] == ["study", "n/N", "rate, %", "95% CI"]
    assert all(h in texts for _, h, *_ in forest.COLUMNS)
    assert {"12/15", "80.0", "51.9–95.7", "This cohort", "complete MRD response"} <= set(texts)
    for t in ax.texts:  # all text legible and on the figure
        assert t.get_fontsize() >= theme.FONT_SIZE
        box = t.get_window_extent()
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, t.get_text()
    # one marker shape; fill alone says whether a count is derived
    marks = [line for line in ax.lines if line.get_marker() not in ("None", None, "")]
    assert {line.get_marker() for line in marks} == {"s"}
    assert sum(line.get_markerfacecolor() == "white" for line in marks) == rows["derived"].sum()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["count published or computed", "count derived from a rounded %"]
    saved = pd.read_csv(tmp_path / "fig-forest.csv")
    assert saved["study"].tolist() == rows["study"].tolist()


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.chapters
@pytest.mark.parametrize("variant", ["core_only", "100000"])
def test_chapter_builds(variant, tmp_path_factory):
    from chapters import error_outputs, executed, glue_problems, glued_data, variant_cohort

    path = variant_cohort(variant, tmp_path_factory.mktemp(variant) / "cohort.csv")
    nb = executed("book/context", str(path), str(config.DEFAULT_ADVERSE_EVENTS))
    assert error_outputs(nb) == [] and glue_problems(nb) == []
    if variant == "core_only":
        # the loader derives MRD status at the start from overt disease or an MRD response
        # (analysis.data.derive), so the file without the column reads as the full one
        glued = glued_data(nb)["context_mrd_start"]["text/plain"]
        assert "not recorded" not in glued and "were MRD-positive at the start" in glued
