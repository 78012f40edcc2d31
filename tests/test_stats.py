"""Proportions, exact CIs and Fisher's test against the paper's printed values."""

import pytest

from analysis import stats


def test_clopper_pearson_cr_rate():
    # Abstract and Results, Treatment response: 12/15 = 80.0% (95% CI 51.9-95.7)
    p = stats.proportion(12, 15)
    assert (round(p.percent, 1), round(p.ci_lower, 1), round(p.ci_upper, 1)) == (80.0, 51.9, 95.7)


def test_clopper_pearson_mrd_rate():
    # Abstract and Results: MRD response 12/19 = 63.2% (95% CI 38.4-83.7)
    p = stats.proportion(12, 19)
    assert (round(p.percent, 1), round(p.ci_lower, 1), round(p.ci_upper, 1)) == (63.2, 38.4, 83.7)


def test_fisher_prior_transplant():
    # Results, Treatment response: CR in 0/2 with vs 12/13 without previous allo-HSCT, P = 0.029
    assert round(stats.fisher_exact([[0, 2], [12, 1]]), 3) == 0.029


def test_other_interval_methods_bracket_sensibly():
    w = stats.proportion(12, 15, "wilson")
    j = stats.proportion(12, 15, "jeffreys")
    e = stats.proportion(12, 15, "exact")
    assert e.ci_lower < w.ci_lower and e.ci_lower < j.ci_lower  # exact is conservative
    assert stats.proportion_ci(0, 5, "jeffreys")[0] == 0.0
    assert stats.proportion_ci(5, 5, "jeffreys")[1] == 1.0


def test_empty_and_invalid():
    assert stats.proportion(0, 0).percent != stats.proportion(0, 0).percent  # nan
    with pytest.raises(ValueError):
        stats.proportion_ci(3, 2)
    with pytest.raises(ValueError):
        stats.proportion_ci(1, 2, "unknown")
    assert stats.fisher_exact([[0, 0], [1, 2]]) != stats.fisher_exact([[0, 0], [1, 2]])


def test_compare_proportions_chooses_test():
    small = stats.compare_proportions([1, 1, 0, 0, 1, 0], [1, 1, 1, 0, 0, 0])
    assert small["test"] == "Fisher's exact"
    big_outcome = [1] * 50 + [0] * 50 + [1] * 30 + [0] * 70
    big_group = [1] * 100 + [0] * 100
    assert stats.compare_proportions(big_outcome, big_group)["test"] == "chi-square"


def test_median_range():
    assert stats.median_range([3, 1, 2, None]) == (2.0, 1.0, 3.0)
