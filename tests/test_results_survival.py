"""analysis.results.survival: the survival chapter's numbers, against the paper.

Published values are quoted with the section that states them (shared/paper/study.txt);
other expected values are counted by hand on the cohort table or come from lifelines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from analysis import config, load_cohort
from analysis.data import parse_cohort, read_table
from analysis.results import survival

OPTIONAL = ["hsct_pathway", "pre_hsct_therapy", "hsct_months", "mrd_negative_after_hsct",
            "car_t_after", "car_t_months", "relapse_site", "relapse_months", "course"]  # fmt: skip


@pytest.fixture(scope="module")
def cohort():
    return load_cohort()


@pytest.fixture(scope="module")
def without_optional(tmp_path_factory):
    """The cohort with every optional column empty, read as another centre's file would be."""
    raw = pd.read_csv(config.DEFAULT_COHORT, dtype=str, keep_default_na=False)
    path = tmp_path_factory.mktemp("na") / "cohort.csv"
    raw.assign(**dict.fromkeys(OPTIONAL, "")).to_csv(path, index=False)
    return parse_cohort(read_table(path))


@pytest.fixture(scope="module")
def texts(cohort):
    return survival.texts(cohort)


def test_panels_are_the_papers_figures_1_and_2():
    # Figure 1 and 2 legends: entire cohort / CR (a), Ph status (b), blasts (c), MRD (d)
    splits = [None, "ph_positive", "high_blasts", "mrd_response"]
    assert list(survival.PANELS["os"]) == ["1a", "1b", "1c", "1d"]
    assert list(survival.PANELS["rfs"]) == ["2a", "2b", "2c", "2d"]
    for endpoint, panels in survival.PANELS.items():
        assert [p.split for p in panels.values()] == splits
        assert {p.endpoint for p in panels.values()} == {endpoint}


def test_texts_reproduce_the_paper(texts):
    # Abstract, Results: 1-year OS 64.2% ± 12.1% and RFS 73.3% ± 11.4%, P = 0.023 (MRD)
    assert texts["os_estimate"] == "64.2% ± 12.1%"
    assert texts["rfs_estimate"] == "73.3% ± 11.4%"
    assert texts["os_p_mrd_response"] == "log-rank P = 0.023"
    # Results, Survival outcomes: P = 0.616 (Ph), P = 0.174 (blasts); medians not reached;
    # 19 patients, 7 died, 12 alive, 3 relapses, 16 in CR
    assert texts["os_p_ph_positive"] == "log-rank P = 0.616"
    assert texts["os_p_high_blasts"] == "log-rank P = 0.174"
    assert texts["os_median"].startswith("not reached")
    assert texts["rfs_median"].startswith("not reached")
    assert [texts[f"os_{k}"] for k in ("n", "events", "censored")] == ["19", "7", "12"]
    assert (texts["rfs_n"], texts["rfs_relapses"]) == ("16", "3")
    # Figures 2b-d: no significant difference
    for split in ("ph_positive", "high_blasts", "mrd_response"):
        assert float(texts[f"rfs_p_{split}"].split("= ")[1]) >= config.ALPHA
        assert texts[f"os_hr_{split}"].startswith("HR ")
    assert all(isinstance(v, str) and "nan" not in v for v in texts.values())


def test_at_risk_at_one_year_counted_by_hand(cohort, texts):
    assert texts["os_at_risk"] == str(int((cohort["os_months"] >= 12).sum()))


def test_sparse_tails_are_named(cohort, texts):
    # The MRD non-responders' last death leaves one patient at risk (counted here by hand)
    non = cohort[~cohort["mrd_response"].astype(bool)]
    last = non.loc[non["os_event"] == 1, "os_months"].max()
    assert (non["os_months"] >= last).sum() == 1
    assert (
        f"in panel 1d the median of the curve for MRD non-responders, {last:.1f} months, "
        "rests on 1 patient at risk" in texts["os_sparse"]
    )
    assert texts["rfs_sparse"].startswith("Every curve's last event has at least 3")


def test_sparse_text_of_a_last_event_that_is_not_the_median(cohort):
    # Three of five die early (median at the third death); the last death leaves two at risk
    five = cohort[cohort["patient_id"].isin(["P17", "P06", "P03", "P05", "P04"])]
    t, e = five["os_months"].to_numpy(), five["os_event"].to_numpy()
    last = t[e == 1].max()
    assert (t >= last).sum() == 2 and np.sort(t[e == 1])[2] < last
    text = survival.sparse_text(five, {"x": survival.km.Panel("os")})
    assert text.endswith(
        f"in panel x the last event of the curve for all patients, at {last:.1f} months, "
        "rests on 2 patients at risk."
    )


def test_followup_as_the_paper_defines_it(cohort):
    # Results, Survival outcomes: "a median follow-up of 11.0 months (range: 1.7-28.5)"
    f = survival.followup(cohort)
    assert (f["median"], f["min"], f["max"]) == ("11.0", "1.7", "28.5")
    kmf = KaplanMeierFitter().fit(cohort["os_months"], 1 - cohort["os_event"])
    assert f["reverse_km"] == f"{kmf.median_survival_time_:.1f} months"
    dead = survival.followup(cohort.assign(os_event=1))
    assert dead["reverse_km"] == "not reached (every patient died)"
    assert survival.followup(cohort.iloc[:0])["reverse_km"] == "not estimable (no patients)"


def test_deaths_and_relapses_as_the_paper_tells_them(cohort):
    d = survival.deaths_and_relapses(cohort)
    # Results, Survival outcomes: 7 deaths, 3 relapses; causes: progression (twice without
    # CR, once after marrow and CNS relapse), infection during CAR-T, infection after
    # allo-HSCT, chronic GVHD, heart and renal failure
    assert d["death_months"].notna().sum() == 7
    assert d["relapse_months"].notna().sum() == 3
    causes = sorted(d["cause_of_death"])
    assert causes == sorted(["disease progression"] * 3 + ["infection during CAR-T",
                             "infection after allo-HSCT", "chronic GVHD",
                             "heart and renal failure"])  # fmt: skip
    assert (d["response"] == "no CR").sum() == 3  # three patients without CR, all died
    first = np.fmin(d["relapse_months"], d["death_months"]).to_numpy()
    assert (np.diff(first) >= 0).all()
    cns = d[d["relapse_site"].str.contains("CNS")]
    assert cns["cause_of_death"].tolist() == ["disease progression"]


def test_events_table(cohort):
    t = survival.events_table(cohort)
    assert list(t.columns) == ["Patient", "Response to blinatumomab", "Allo-HSCT, month",
                               "Relapse, month (site)", "Death, month (cause)"]  # fmt: skip
    assert len(t) == 7
    assert "—" in set(t["Allo-HSCT, month"])
    short = survival.events_table(cohort, max_rows=3)
    assert len(short) == 4 and short["Patient"].iloc[-1] == "… and 4 more"
    alive = survival.events_table(cohort.assign(os_event=0, cause_of_death=""))
    assert set(alive["Death, month (cause)"]) == {"alive"}


def test_response_and_column(cohort):
    flags = pd.DataFrame({"cr": [False, True, True], "mrd_response": [False, True, False]})
    assert survival.response(flags) == ["no CR", "CR, MRD response", "CR, no MRD response"]
    assert np.isnan(survival.column(cohort, "not_a_column")).all()
    assert survival.column(cohort.assign(x=[None] * len(cohort)), "x", "text") == [""] * 19
    assert survival.column(cohort, "os_months").tolist() == cohort["os_months"].tolist()


def test_optional_columns_missing(without_optional):
    t = survival.texts(without_optional)
    assert t["os_estimate"] == "64.2% ± 12.1%"
    d = survival.events_table(without_optional)
    assert set(d["Allo-HSCT, month"]) == {"—"}
    # a column the table lacks altogether (derive.flags still needs the others present)
    dropped = survival.deaths_and_relapses(without_optional.drop(columns=["relapse_site"]))
    assert len(dropped) == len(d) and set(dropped["relapse_site"]) == {""}
