"""The statistics layer (analysis.stats) against the paper and independent references.

Expected values come from the paper (section named), from textbook data with published
results, or from lifelines/scipy called directly on the same data.
"""

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

from analysis.stats import consistency, proportions, survival

# --- proportions ---------------------------------------------------------------------------


def test_clopper_pearson_cr_rate():
    # Abstract and Results, Treatment response: 12/15 = 80.0% (95% CI 51.9-95.7)
    p = proportions.proportion(12, 15)
    assert (round(p.percent, 1), round(p.ci_lower, 1), round(p.ci_upper, 1)) == (80.0, 51.9, 95.7)


def test_clopper_pearson_mrd_rate():
    # Abstract and Results: MRD response 12/19 = 63.2% (95% CI 38.4-83.7)
    p = proportions.proportion(12, 19)
    assert (round(p.percent, 1), round(p.ci_lower, 1), round(p.ci_upper, 1)) == (63.2, 38.4, 83.7)


def test_fisher_prior_transplant():
    # Results, Treatment response: CR in 0/2 with vs 12/13 without previous allo-HSCT, P = 0.029
    assert round(proportions.fisher_exact([[0, 2], [12, 1]]), 3) == 0.029


def test_wilson_and_jeffreys_against_their_formulas():
    # Wilson score interval and the Jeffreys Beta(k + 1/2, n - k + 1/2) quantiles, by formula
    from scipy import stats

    k, n, z = 12, 15, stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert proportions.proportion_ci(k, n, "wilson") == pytest.approx(
        (centre - half, centre + half)
    )
    jeff = stats.beta.ppf([0.025, 0.975], k + 0.5, n - k + 0.5)
    assert proportions.proportion_ci(k, n, "jeffreys") == pytest.approx(tuple(jeff))
    assert proportions.proportion_ci(15, 15, "wald") == (1.0, 1.0)


def test_empty_and_invalid():
    assert np.isnan(proportions.proportion(0, 0).percent)
    with pytest.raises(ValueError):
        proportions.proportion_ci(3, 2)
    with pytest.raises(ValueError):
        proportions.proportion_ci(1, 2, "unknown")
    assert np.isnan(proportions.fisher_exact([[0, 0], [1, 2]]))


def test_compare_proportions_chooses_test():
    small = proportions.compare_proportions([1, 1, 0, 0, 1, 0], [1, 1, 1, 0, 0, 0])
    assert small["test"] == "Fisher's exact"
    big_outcome = [1] * 50 + [0] * 50 + [1] * 30 + [0] * 70
    assert proportions.compare_proportions(big_outcome, [1] * 100 + [0] * 100)["test"] == (
        "chi-square"
    )


def test_median_range():
    assert proportions.median_range([3, 1, 2, None]) == (2.0, 1.0, 3.0)


# --- Kaplan-Meier and Greenwood ------------------------------------------------------------

# Freireich et al. (Blood 1963) 6-MP arm, weeks (+ censored), and the Kaplan-Meier estimate
# with Greenwood's SE at each event time as R's survival::survfit prints it (the textbook
# worked example, e.g. Kleinbaum & Klein, Survival Analysis, ch. 2).
SIX_MP = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1] * 9 + [0] * 12
SIX_MP_TABLE = {6: (0.857, 0.0764), 7: (0.807, 0.0869), 10: (0.753, 0.0963),
                13: (0.690, 0.1068), 16: (0.627, 0.1141), 22: (0.538, 0.1282),
                23: (0.448, 0.1346)}  # fmt: skip


def test_greenwood_se_six_mp_textbook_table():
    km = survival.kaplan_meier(SIX_MP, SIX_MP_EVENT)
    for t, (s, se) in SIX_MP_TABLE.items():
        got_s, got_se = survival.survival_at(km, t)
        assert round(got_s, 3) == s and round(got_se, 4) == se, t


def test_greenwood_se_without_censoring_is_the_binomial_se():
    # Cox & Oakes (1984) Table 1.1, placebo arm: S(10) = 8/21 = 0.381, se 0.106
    placebo = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
    s, se = survival.survival_at(survival.kaplan_meier(placebo, [1] * 21), 10)
    assert (round(s, 3), round(se, 3)) == (0.381, 0.106)


def test_greenwood_se_paper_rfs():
    # Results, Survival outcomes: 1-year RFS 73.3% +/- 11.4% among 16 in CR: one early
    # censoring, then four events before 12 months (the only order that prints so).
    t = [1.0, 2, 3, 4, 5] + [13.0] * 11
    e = [0, 1, 1, 1, 1] + [0] * 11
    s, se = survival.survival_at(survival.kaplan_meier(t, e), 12)
    assert (round(100 * s, 1), round(100 * se, 1)) == (73.3, 11.4)


def _random(seed, n=60):
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(10, n), 0) + 1  # integer times: many ties
    return t, (rng.random(n) < 0.6).astype(int), rng.random(n) < 0.45


@pytest.mark.parametrize("seed", range(3))
def test_kaplan_meier_table_is_lifelines(seed):
    t, e, _ = _random(seed)
    km = survival.kaplan_meier(t, e)
    ref = KaplanMeierFitter().fit(t, e)
    assert km["survival"].to_numpy() == pytest.approx(
        ref.survival_function_.loc[km["time"], "KM_estimate"].to_numpy(), abs=1e-12
    )
    assert (km["n_at_risk"] >= km["n_event"]).all() and km["n_event"].sum() == e.sum()


def test_empty_group_and_median():
    km = survival.kaplan_meier([], [])
    assert len(km) == 1 and np.isnan(survival.survival_at(km, 12)[0])
    med, lo, hi = survival.median_ci([1, 2, 3], [1, 0, 0])
    assert np.isnan(med)
    assert survival.median_ci([1, 2, 3, 4], [1, 1, 0, 0])[0] == 2


def test_at_risk_counts_and_reverse_km():
    assert list(survival.at_risk_counts([1, 2, 2, 5], [0, 2, 3, 6])) == [4, 3, 1, 0]
    assert survival.reverse_km_median([5, 6, 7], [0, 0, 0]) == 6


def test_input_errors():
    with pytest.raises(ValueError):
        survival.kaplan_meier([1, -1], [1, 0])
    with pytest.raises(ValueError):
        survival.kaplan_meier([1, 2], [1, 2])


# --- log-rank, hazard ratio, competing risks, time-dependent groups ------------------------


@pytest.mark.parametrize("seed", range(3))
def test_logrank_and_screen_equal_lifelines(seed):
    t, e, g = _random(seed)
    ref = logrank_test(t[g], t[~g], e[g], e[~g])
    assert survival.logrank(t, e, g).p_value == pytest.approx(ref.p_value, rel=1e-10)
    screen = consistency.logrank_screen(t, e, np.vstack([g, ~g]))
    assert screen == pytest.approx([ref.p_value] * 2, rel=1e-10)


def test_logrank_undefined_cases():
    assert np.isnan(survival.logrank([1, 2], [1, 1], [True, True]).p_value)
    assert np.isnan(survival.logrank([1, 2], [0, 0], [True, False]).p_value)


def test_hazard_ratio_six_mp_against_placebo():
    # Freireich 6-MP vs placebo: the Cox hazard ratio (Efron ties) of placebo is about 4.8
    # (95% CI 2.1-10.8), as in R's coxph on the same data (Kleinbaum & Klein, ch. 3).
    placebo = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
    t = np.r_[SIX_MP, placebo]
    e = np.r_[SIX_MP_EVENT, [1] * 21]
    hr = survival.hazard_ratio(t, e, np.r_[[False] * 21, [True] * 21])
    assert (round(hr.ratio, 2), round(hr.ci_lower, 2), round(hr.ci_upper, 1)) == (4.82, 2.15, 10.8)
    assert np.isnan(survival.hazard_ratio([1, 2, 3], [1, 0, 0], [True, False, False]).ratio)


def test_cumulative_incidence_by_hand():
    # F_k(t) = sum S(t-) d_k / n: relapse at 1 (1/4), death at 2, censored 3, relapse at 4
    cif = survival.cumulative_incidence([1, 2, 3, 4], [1, 2, 0, 1], {1: "relapse", 2: "death"})
    assert cif["cif_relapse"].round(3).tolist() == [0.0, 0.25, 0.25, 0.25, 0.75]
    assert cif["cif_death"].round(3).tolist() == [0.0, 0.0, 0.25, 0.25, 0.25]


def test_mantel_byar_reduces_to_logrank_without_switches():
    t, e, g = _random(4, 40)
    lr, _ = survival.mantel_byar(np.zeros(len(t)), t, e, g)
    assert lr.p_value == pytest.approx(survival.logrank(t, e, g).p_value, rel=1e-10)


def test_mantel_byar_by_hand():
    # risk sets start < t <= stop: t=3 has n=2, one transplanted (E1 0.5, V 0.25); t=4 has
    # only the transplanted patient (E1 1, V 0); O1 = 1, so chi2 = (1 - 1.5)^2 / 0.25 = 1
    lr, _ = survival.mantel_byar([0, 0, 0, 2], [1, 3, 2, 4], [1, 1, 0, 1], [0, 0, 0, 1])
    assert lr.statistic == pytest.approx(1.0) and lr.p_value == pytest.approx(0.3173, abs=1e-4)


def test_mantel_byar_event_at_time_zero_and_size():
    # an event at time 0 has nobody at risk before it: skipped, not a nan statistic
    lr, _ = survival.mantel_byar([0, 0, 0, 0, 2], [0, 1, 3, 2, 4], [1, 1, 1, 0, 1],
                                 [0, 0, 0, 0, 1])  # fmt: skip
    assert np.isfinite(lr.p_value)
    rng = np.random.default_rng(5)  # 30,000 distinct times: counted by sorting, no n x T matrix
    t, e, g = rng.exponential(10, 30_000), rng.random(30_000) < 0.6, rng.random(30_000) < 0.5
    lr, hr = survival.mantel_byar(np.zeros(len(t)), np.round(t, 1) + 0.1, e, g)
    assert np.isfinite(lr.p_value) and np.isfinite(hr.ratio)


@pytest.mark.parametrize("seed", range(3))
def test_mantel_byar_hazard_ratio_is_lifelines_time_varying_cox(seed):
    from lifelines import CoxTimeVaryingFitter

    rng = np.random.default_rng(seed)  # half the patients switch group at a tied time
    t, e, _ = _random(seed, 80)
    switch = np.where(rng.random(80) < 0.5, np.minimum(np.round(rng.exponential(3, 80)), t), t)
    start, stop = np.r_[np.zeros(80), switch], np.r_[switch, t]
    event, group = np.r_[np.where(switch < t, 0, e), e], np.r_[np.zeros(80), np.ones(80)]
    keep = stop > start
    long = pd.DataFrame({"id": np.r_[np.arange(80), np.arange(80)], "start": start,
                         "stop": stop, "event": event, "group": group})[keep]  # fmt: skip
    ref = CoxTimeVaryingFitter().fit(long, event_col="event", id_col="id").summary.loc["group"]
    _, hr = survival.mantel_byar(start, stop, event, group)
    assert hr.ratio == pytest.approx(ref["exp(coef)"], rel=1e-6)
    assert (hr.ci_lower, hr.ci_upper) == pytest.approx(
        (ref["exp(coef) lower 95%"], ref["exp(coef) upper 95%"]), rel=1e-5
    )


def test_simon_makuch_starts_at_entry():
    sm = survival.simon_makuch([0, 0, 0, 2], [1, 3, 2, 4], [1, 1, 0, 1], [0, 0, 0, 1])
    transplanted = sm[sm["group"]]
    assert transplanted["time"].min() == 2 and transplanted["survival"].iloc[-1] == 0


# --- consistency ---------------------------------------------------------------------------


def test_grim_and_km_feasibility():
    # Results, Survival outcomes: 62.5% of 16 is 10; 36.8% (Discussion) cannot be of 15
    assert consistency.grim("62.5", 16) == [10] and consistency.grim("36.8", 15) == []
    feas = consistency.km_feasibility(19, 7, "64.2", "12.1")
    assert feas.feasible and all(o.count("D") == 6 for o in feas.orders)


def test_cumulative_incidence_with_tied_causes_by_hand():
    # two causes at t = 2 (one each); F_k(t) = sum S(t-) d_k / n with n = 4 at t = 2
    cif = survival.cumulative_incidence([1, 2, 2, 3, 4], [1, 1, 2, 0, 1], {1: "a", 2: "b"})
    at = cif.set_index("time")
    assert at.loc[2.0, "cif_a"] == pytest.approx(0.2 + 0.8 / 4)
    assert at.loc[2.0, "cif_b"] == pytest.approx(0.8 / 4)
    assert at.loc[4.0, "cif_a"] == pytest.approx(0.4 + 0.4)
