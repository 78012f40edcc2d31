"""Kaplan-Meier, Greenwood SE and log-rank against lifelines and hand calculations."""

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

from analysis import survival


def _random_data(seed, n=60):
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(10, n), 0) + 1  # integer times: many ties
    e = (rng.random(n) < 0.6).astype(int)
    g = rng.random(n) < 0.45
    return t, e, g


@pytest.mark.parametrize("seed", range(5))
def test_kaplan_meier_matches_lifelines(seed):
    t, e, _ = _random_data(seed)
    km = survival.kaplan_meier(t, e)
    kmf = KaplanMeierFitter().fit(t, e)
    ref = kmf.survival_function_["KM_estimate"]
    for time, s in zip(km["time"], km["survival"]):
        assert s == pytest.approx(ref.loc[time], abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_logrank_matches_lifelines(seed):
    t, e, g = _random_data(seed)
    ours = survival.logrank(t, e, g)
    ref = logrank_test(t[g], t[~g], e[g], e[~g])
    assert ours.p_value == pytest.approx(ref.p_value, rel=1e-10)
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-10)
    many = survival.logrank_pvalues(t, e, np.vstack([g, ~g]))
    assert many == pytest.approx([ref.p_value, ref.p_value], rel=1e-10)


def test_greenwood_se_by_hand():
    # 1-year RFS of the paper (Results, Survival outcomes): 11/15 after one early
    # censoring and four events gives 73.3% +/- 11.4% (Greenwood).
    t = [1.0, 2, 3, 4, 5] + [13.0] * 11
    e = [0, 1, 1, 1, 1] + [0] * 11
    s, se = survival.survival_at(survival.kaplan_meier(t, e), 12)
    assert round(100 * s, 1) == 73.3
    assert round(100 * se, 1) == 11.4


def test_median_not_reached_and_reached():
    assert np.isnan(survival.median_survival(survival.kaplan_meier([1, 2, 3], [1, 0, 0])))
    assert survival.median_survival(survival.kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0])) == 2


def test_at_risk_counts():
    assert list(survival.at_risk_counts([1, 2, 2, 5], [0, 2, 3, 6])) == [4, 3, 1, 0]


def test_reverse_km_followup():
    # all censored at 5, 6, 7: potential follow-up median is 6
    assert survival.reverse_km_median_followup([5, 6, 7], [0, 0, 0]) == 6


def test_input_errors():
    with pytest.raises(ValueError):
        survival.kaplan_meier([1, -1], [1, 0])
    with pytest.raises(ValueError):
        survival.kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError):
        survival.logrank([1, 2], [1, 1], [True, True])
