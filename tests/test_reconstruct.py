"""The seeded reconstruction: determinism, the committed files, the paper's stories."""

import runpy

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

from analysis import config
from analysis.data import load_adverse_events, load_cohort, to_csv_text
from analysis.paper import reconstruct

_main = runpy.run_path(str(config.ROOT / "scripts" / "reconstruct.py"))["main"]  # the command line


@pytest.fixture(scope="module")
def fresh():
    return reconstruct.reconstruct(quiet=True)


def test_committed_files_regenerate_byte_for_byte(fresh):
    cohort, ae, report = fresh
    assert report["reproduced"].all()
    assert config.DEFAULT_COHORT.read_text(encoding="utf-8") == to_csv_text(cohort)
    assert config.DEFAULT_ADVERSE_EVENTS.read_text(encoding="utf-8") == to_csv_text(ae)


def test_same_seed_same_result_other_seed_still_consistent():
    a = reconstruct.reconstruct(seed=7, quiet=True)
    b = reconstruct.reconstruct(seed=7, quiet=True)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2]["reproduced"].all()


def test_order_skeletons_reproduce_the_os_targets():
    """Results, Survival outcomes: 1-year OS 64.2% ± 12.1%, median OS not reached, MRD
    responders vs non-responders log-rank P = 0.023; 12/19 MRD responders and 7 deaths
    (Abstract, Results; Survival outcomes). Each skeleton, with the times 1..19 in its order
    and one year between the 11th and the 12th, is checked with lifelines directly."""
    skeletons = reconstruct.order_skeletons()
    assert len(skeletons) > 0
    times = np.arange(1.0, 20.0)
    for sk in skeletons:
        died = np.array([c.endswith("D") for c in sk])
        responder = np.array([c.startswith("r") for c in sk])
        assert died.sum() == 7 and responder.sum() == 12
        kmf = KaplanMeierFitter().fit(times, died)
        assert np.isinf(kmf.median_survival_time_)  # not reached
        s = float(kmf.survival_function_at_times(11.5).iloc[0])
        # Greenwood's variance from lifelines' event table (Greenwood 1926)
        table = kmf.event_table.loc[kmf.event_table.index <= 11.5]
        d, n = table["observed"], table["at_risk"]
        se = s * np.sqrt((d / (n * (n - d))).sum())
        assert round(100 * s, 1) == 64.2 and round(100 * se, 1) == 12.1, sk
        p = logrank_test(
            times[responder], times[~responder], died[responder], died[~responder]
        ).p_value
        assert round(p, 3) == 0.023, sk


def test_stories_of_the_paper_hold():
    c = load_cohort(config.DEFAULT_COHORT)
    ae = load_adverse_events(config.DEFAULT_ADVERSE_EVENTS)
    died = c[c["os_event"] == 1]
    # Results, Survival outcomes: the three non-responders all died
    assert set(c.loc[~c["cr"], "os_event"]) == {1}
    # every relapsed patient died, and the relapse preceded death
    rel = c[c["relapse"]]
    assert (rel["os_event"] == 1).all() and (rel["relapse_months"] < rel["os_months"]).all()
    # transplant after relapse and salvage (azacitidine, ponatinib, CD22 antibody)
    salvage = c[c["hsct_pathway"] == "salvage"]
    assert len(salvage) == 1 and "ponatinib" in salvage["pre_hsct_therapy"].iloc[0]
    assert (salvage["relapse_months"] < salvage["hsct_months"]).all()
    # bridging with imatinib implies Ph-positive disease
    assert c.loc[c["pre_hsct_therapy"] == "imatinib", "ph_positive"].all()
    # alive after transplant: at least a month of follow-up after it
    alive_tx = c[c["allo_hsct_after"] & (c["os_event"] == 0)]
    assert (alive_tx["os_months"] >= alive_tx["hsct_months"] + 0.9).all()
    # causes of death are the paper's
    assert sorted(died["cause_of_death"]) == sorted(
        ["disease progression"] * 3
        + ["infection during CAR-T", "infection after allo-HSCT", "chronic GVHD",
           "heart and renal failure"]
    )  # fmt: skip
    # the discontinued patient had febrile neutropenia, sepsis and heart failure
    disc = ae[ae["action"] == "discontinued"]
    assert disc["patient_id"].nunique() == 1
    assert set(disc["event"]) == {"febrile neutropenia", "bacterial sepsis", "heart failure"}


def test_assumptions_are_documented():
    assert len(reconstruct.ASSUMPTIONS) >= 10
    for what, choice, why in reconstruct.ASSUMPTIONS:
        assert what and choice and why


def test_check_cli_reports_identical(capsys):
    assert _main(["--check", "--quiet"]) == 0
    assert "identical" in capsys.readouterr().out


def test_check_cli_fails_on_a_modified_file_and_names_it(tmp_path, capsys):
    """One changed cell (a follow-up time) in a copy of the committed files."""
    for path in (config.DEFAULT_COHORT, config.DEFAULT_ADVERSE_EVENTS):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    cohort = tmp_path / config.DEFAULT_COHORT.name
    text = cohort.read_text(encoding="utf-8")
    row = ",28.5,0,28.5,0,"  # os and rfs months of the longest follow-up (Survival outcomes)
    assert text.count(row) == 1
    cohort.write_text(text.replace(row, ",28.4,0,28.5,0,"), encoding="utf-8")
    assert _main(["--check", "--quiet", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{cohort} DIFFERS" in out and "check failed" in out
    assert config.DEFAULT_ADVERSE_EVENTS.name not in out
