"""Proportions, confidence intervals and tests for 2x2 tables.

The paper reports exact (Clopper-Pearson) 95% confidence intervals for
proportions (12/15 gives 51.9-95.7) and compares categorical variables with
Fisher's exact test or the chi-square test.  Wilson and Jeffreys intervals are
offered for the sensitivity chapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "Proportion",
    "proportion",
    "fisher_exact",
    "chi_square",
    "compare_proportions",
    "median_range",
    "proportion_ci",
    "round_half_up",
]


def round_half_up(x: float, decimals: int) -> Decimal:
    """Round as a reader rounds a printed number (12.05 -> 12.1), not to even.

    The decimal value of ``repr(x)`` is rounded, so a float such as 0.0285 rounds to
    0.029 as printed. The ledger, the tables and the audit all round with this.

    Examples
    --------
    >>> str(round_half_up(100 * 12 / 19, 1)), str(round_half_up(0.0285, 3))
    ('63.2', '0.029')
    """
    q = Decimal(1).scaleb(-int(decimals))
    return Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP)


def proportion_ci(
    k: int, n: int, method: str = "exact", alpha: float = 0.05
) -> tuple[float, float]:
    """Two-sided confidence interval for a binomial proportion.

    Parameters
    ----------
    k, n : int
        Successes and trials (``0 <= k <= n``, ``n >= 1``).
    method : {"exact", "wilson", "jeffreys"}
        ``exact`` is Clopper-Pearson (the paper's method), ``wilson`` the score
        interval, ``jeffreys`` the Bayesian interval with a Beta(1/2, 1/2) prior.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    tuple of float
        Lower and upper limits as proportions (0-1).

    Examples
    --------
    >>> lo, hi = proportion_ci(12, 15)
    >>> round(100 * lo, 1), round(100 * hi, 1)
    (51.9, 95.7)
    """
    k, n = int(k), int(n)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    if method == "exact":
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="exact")
        return float(ci.low), float(ci.high)
    if method == "wilson":
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="wilson")
        return float(ci.low), float(ci.high)
    if method == "jeffreys":
        lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k + 0.5, n - k + 0.5))
        hi = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 0.5, n - k + 0.5))
        return lo, hi
    raise ValueError(f"unknown method {method!r}")


@dataclass(frozen=True)
class Proportion:
    """A proportion with its confidence interval (all percentages 0-100).

    Attributes
    ----------
    k, n : int
        Numerator and denominator.
    percent, ci_lower, ci_upper : float
        Point estimate and interval limits in percent (``nan`` when ``n == 0``).
    method : str
        Interval method.
    """

    k: int
    n: int
    percent: float
    ci_lower: float
    ci_upper: float
    method: str = "exact"


def proportion(k: int, n: int, method: str = "exact") -> Proportion:
    """Proportion ``k/n`` in percent with its 95% CI (``nan`` if ``n`` is 0)."""
    if n == 0:
        return Proportion(int(k), 0, float("nan"), float("nan"), float("nan"), method)
    lo, hi = proportion_ci(k, n, method)
    return Proportion(int(k), int(n), 100.0 * k / n, 100.0 * lo, 100.0 * hi, method)


def fisher_exact(table) -> float:
    """Two-sided Fisher exact P value of a 2x2 table (``nan`` if a margin is 0).

    Parameters
    ----------
    table : array-like, shape (2, 2)
        Rows are groups, columns are (yes, no).

    Examples
    --------
    The paper's comparison of CR by previous transplant (Results, "Treatment
    response"): 0 of 2 with and 12 of 13 without a previous allo-HSCT.

    >>> round(fisher_exact([[0, 2], [12, 1]]), 3)
    0.029
    """
    t = np.asarray(table, dtype=int)
    if t.shape != (2, 2):
        raise ValueError("Fisher's exact test needs a 2x2 table")
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        return float("nan")
    return float(stats.fisher_exact(t, alternative="two-sided").pvalue)


def chi_square(table, correction: bool = False) -> float:
    """Pearson chi-square P value of a 2x2 table (``nan`` if a margin is 0)."""
    t = np.asarray(table, dtype=int)
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        return float("nan")
    return float(stats.chi2_contingency(t, correction=correction).pvalue)


def compare_proportions(outcome, group, *, test: str = "auto") -> dict:
    """Compare a binary outcome between two groups.

    Parameters
    ----------
    outcome, group : array-like of bool
        Outcome (e.g. CR) and group membership (e.g. Ph-positive).
    test : {"auto", "fisher", "chi2"}
        ``auto`` uses Fisher's exact test when any expected count is below 5
        (the usual rule, and the paper's practice for small subgroups), the
        chi-square test otherwise.

    Returns
    -------
    dict
        ``k1, n1, k0, n0`` (yes / total in group True and group False),
        ``p_value`` and ``test`` (the test actually used).
    """
    o = np.asarray(outcome, dtype=bool)
    g = np.asarray(group, dtype=bool)
    table = np.array([[(o & g).sum(), (~o & g).sum()], [(o & ~g).sum(), (~o & ~g).sum()]])
    used = test
    if test == "auto":
        rows, cols = table.sum(axis=1), table.sum(axis=0)
        n = table.sum()
        expected = np.outer(rows, cols) / n if n else np.zeros((2, 2))
        used = "fisher" if (expected < 5).any() else "chi2"
    p = fisher_exact(table) if used == "fisher" else chi_square(table)
    return {
        "k1": int(table[0, 0]),
        "n1": int(table[0].sum()),
        "k0": int(table[1, 0]),
        "n0": int(table[1].sum()),
        "p_value": p,
        "test": "Fisher's exact" if used == "fisher" else "chi-square",
    }


def median_range(values) -> tuple[float, float, float]:
    """Median, minimum and maximum of the non-missing values (``nan`` if none)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        v = values
    else:  # lists, Series, nullable integer columns with missing values
        v = pd.Series(values, dtype=float).to_numpy()
    v = v[~np.isnan(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    return float(np.median(v)), float(v.min()), float(v.max())
