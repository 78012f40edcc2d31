"""The analysis does not assume 19 patients: empty subgroups, groups without events, large n.

Cohorts come from scripts/make_synthetic_cohort.py (seeded).  The statistics are lifelines',
scipy's and statsmodels'; what is tested here is that the package's wrappers, flags, metrics
and ledger give ``nan`` (not an error) where a quantity is undefined, and scale.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from analysis.data import contract as schema
from analysis.data import derive
from analysis.paper import ledger, metrics
from analysis.stats import consistency, survival
from analysis.stats import proportions as stats

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "make_synthetic_cohort", ROOT / "scripts" / "make_synthetic_cohort.py"
)
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)


def _cohort(n=80, empty=(), seed=7):
    return synthetic.generate(n, seed, empty)


# --- survival ------------------------------------------------------------------------------


def _ties(seed, n):
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(8, n)) + 1  # integer months: heavy ties
    e = (rng.random(n) < 0.55).astype(int)
    g = rng.random(n) < 0.4
    return t, e, g


def test_logrank_pvalues_many_labellings_equal_one_at_a_time():
    t, e, _ = _ties(5, 19)
    rng = np.random.default_rng(5)
    labels = rng.random((200, 19)) < 0.5
    labels[0] = False  # an empty group gives nan
    many = consistency.logrank_screen(t, e, labels)
    assert np.isnan(many[0])
    for row, p in zip(labels[1:], many[1:]):
        if row.all():
            assert np.isnan(p)
        else:
            assert p == pytest.approx(survival.logrank(t, e, row).p_value, rel=1e-12)


def test_survival_without_events_or_subjects():
    km = survival.kaplan_meier([3, 5, 8], [0, 0, 0])
    assert (km["survival"] == 1).all() and (km["se"] == 0).all()
    assert np.isnan(survival.median_ci([3, 5, 8], [0, 0, 0])[0])
    assert survival.survival_at(km, 12) == (1.0, 0.0)
    empty = survival.kaplan_meier([], [])
    assert np.isnan(survival.survival_at(empty, 12)).all()
    assert np.isnan(survival.median_ci([], [])).all()
    assert np.isnan(survival.reverse_km_median([], []))
    assert np.isnan(survival.hazard_ratio([], [], []).ratio)
    assert list(survival.at_risk_counts([], [0, 6])) == [0, 0]
    no_events = survival.logrank([1, 2, 3, 4], [0, 0, 0, 0], [True, False, True, False])
    assert np.isnan(no_events.p_value) and np.isnan(no_events.statistic)
    assert np.isnan(consistency.logrank_screen([1, 2], [0, 0], [True, False])).all()
    one_sided = survival.logrank([1, 2, 3, 4], [1, 1, 0, 0], [True, True, False, False])
    assert 0 < one_sided.p_value < 1


def test_everybody_dies_at_once():
    km = survival.kaplan_meier([2, 2, 2], [1, 1, 1])
    assert km["survival"].iloc[-1] == 0 and survival.median_ci([2, 2, 2], [1, 1, 1])[0] == 2


def test_survival_shape_errors():
    with pytest.raises(ValueError, match="one value per subject"):
        survival.logrank([1, 2, 3], [1, 0, 1], [True, False])


# --- stats ---------------------------------------------------------------------------------


def test_stats_with_empty_and_extreme_groups():
    p = stats.proportion(0, 0)
    assert p.n == 0 and np.isnan([p.percent, p.ci_lower, p.ci_upper]).all()
    with pytest.raises(ValueError):
        stats.proportion_ci(0, 0)
    assert stats.proportion(0, 12).ci_lower == 0 and stats.proportion(12, 12).ci_upper == 100
    assert np.isnan(stats.fisher_exact([[0, 0], [3, 4]]))
    assert np.isnan(stats.chi_square([[0, 3], [0, 4]]))
    res = stats.compare_proportions([], [])
    assert res["n1"] == res["n0"] == 0 and np.isnan(res["p_value"])
    assert np.isnan(stats.median_range([])).all()
    big = stats.proportion(600_000, 1_000_000)
    assert big.ci_lower == pytest.approx(59.9039, abs=1e-3)
    assert stats.fisher_exact([[300_000, 200_000], [250_000, 250_000]]) < 1e-300
    large = stats.compare_proportions(np.arange(10**6) % 3 == 0, np.arange(10**6) % 2 == 0)
    assert large["test"] == "chi-square" and large["n1"] == 500_000


# --- derive, metrics, ledger ---------------------------------------------------------------


def test_flags_of_an_empty_cohort():
    cohort, _ = _cohort()
    f = derive.flags(cohort.iloc[:0])
    assert list(f.columns) == list(derive.FLAG_LABELS) and len(f) == 0
    assert derive.rfs_table(cohort.iloc[:0]).empty


@pytest.mark.parametrize("empty", synthetic.EMPTY_CHOICES)
def test_generator_empties_the_subgroup_and_meets_the_contract(empty, tmp_path):
    cohort, ae = _cohort(60, (empty,))
    assert derive.flags(cohort)[empty].sum() == 0
    synthetic.to_csv(cohort, tmp_path / "c.csv")
    synthetic.to_csv(ae, tmp_path / "a.csv")
    schema.validate_tables(tmp_path / "c.csv", tmp_path / "a.csv")


def test_generator_is_deterministic():
    a1, b1 = _cohort(50, seed=3)
    a2, b2 = _cohort(50, seed=3)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(b1, b2)
    assert not a1.equals(_cohort(50, seed=4)[0])


def test_metrics_on_empty_subgroups_are_nan():
    cohort, ae = _cohort(60, ("ph_positive", "cr", "died"))
    kw = {"among": "ph_positive"}
    assert metrics.count(cohort, ae, "cr", **kw) == 0
    assert np.isnan(metrics.percent(cohort, ae, "mrd_response", **kw))
    assert np.isnan(metrics.ci(cohort, ae, "mrd_response", **kw))
    assert np.isnan(metrics.summary(cohort, ae, "age_years", **kw))
    assert np.isnan(metrics.fisher_p(cohort, ae, "cr", "high_blasts"))  # nobody in CR
    assert np.isnan(metrics.logrank_p(cohort, ae, "os", "ph_positive"))  # empty group
    assert np.isnan(metrics.logrank_p(cohort, ae, "os", "high_blasts"))  # no death
    assert np.isnan(metrics.logrank_p(cohort, ae, "rfs", "mrd_response"))  # nobody in CR
    assert np.isnan(metrics.km_at(cohort, ae, "rfs", 12.0))
    assert np.isnan(metrics.km_at(cohort, ae, "os", 12.0, among="ph_positive"))
    assert metrics.km_at(cohort, ae, "os", 12.0) == 100.0  # nobody died
    assert np.isnan(metrics.median_survival(cohort, ae, "os"))
    assert np.isnan(metrics.median_survival(cohort, ae, "rfs"))
    assert metrics.deaths_from(cohort, ae, "progression") == 0


def test_adverse_event_metrics_without_a_table_or_a_cohort():
    cohort, ae = _cohort(40)
    assert metrics.ae_patients(cohort, ae.iloc[:0]) == 0
    assert np.isnan(metrics.ae_patients(cohort, None))
    assert np.isnan(metrics.ae_patients_percent(cohort.iloc[:0], ae.iloc[:0]))


@pytest.mark.parametrize(
    "n, empty",
    [(1, ()), (2, ("died",)), (19, ()), (500, ()), (300, ("cr",)), (300, ("relapse", "hsct"))],
)
def test_ledger_compare_runs_on_any_cohort(n, empty):
    cohort, ae = _cohort(n, empty)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = ledger.compare(cohort, ae)
    assert len(report) == len(ledger.load_ledger())
    assert (report["note"] == "").all(), report.loc[report["note"] != "", "note"].tolist()
    values = report["value"].to_numpy(dtype=float)
    assert np.isfinite(values).sum() > 0
    kinds = ledger.load_ledger().set_index("id")["compute"]
    percent = report["id"].map(kinds).isin(["percent", "ci", "km_at", "ae_patients_percent"])
    percents = report.loc[percent, "value"].dropna()
    assert ((percents >= 0) & (percents <= 100)).all()
    p_values = report.loc[report["id"].map(kinds).isin(["fisher_p", "logrank_p"]), "value"]
    assert ((p_values.dropna() >= 0) & (p_values.dropna() <= 1)).all()


def test_ledger_compare_on_an_empty_cohort_and_without_adverse_events():
    cohort, ae = _cohort(30)
    report = ledger.compare(cohort.iloc[:0], ae.iloc[:0])
    assert len(report) == len(ledger.load_ledger())
    report = ledger.compare(cohort, None)
    assert report["value"].isna().any() and report["value"].notna().any()


def test_large_cohort_end_to_end():
    """100 000 patients: flags, a response table, survival and the ledger run and agree."""
    cohort, ae = _cohort(100_000, seed=11)
    f = derive.flags(cohort)
    k, n = int((f["cr"] & f["overt"]).sum()), int(f["overt"].sum())
    p = stats.proportion(k, n)
    assert p.ci_lower < p.percent < p.ci_upper and p.ci_upper - p.ci_lower < 1.5
    os_ = derive.os_table(cohort)
    km = survival.kaplan_meier(os_["time"], os_["event"])
    kmf = KaplanMeierFitter().fit(os_["time"], os_["event"])
    s12, _ = survival.survival_at(km, 12)
    assert s12 == pytest.approx(float(kmf.predict(12)), abs=1e-12)
    report = ledger.compare(cohort, ae)
    assert report["value"].notna().sum() > 100
