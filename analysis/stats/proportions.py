"""Proportions, their confidence intervals (exact: scipy ``binomtest``; Wilson, Jeffreys, Wald:
statsmodels ``proportion_confint``) and Fisher's exact and chi-square tests (scipy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from .. import config

#: Interval methods and their names in the book.
CI_METHODS: dict[str, str] = {
    "exact": "exact (Clopper-Pearson)",
    "wilson": "Wilson",
    "jeffreys": "Jeffreys",
    "wald": "Wald",
}


def proportion_ci(k: int, n: int, method: str = "exact", alpha: float = config.ALPHA):
    """Two-sided confidence interval of ``k/n`` (0-1) by a method of :data:`CI_METHODS`
    (``wald``: statsmodels' ``normal``, clipped to 0-1).

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
    if method not in CI_METHODS:
        raise ValueError(f"unknown method {method!r}; known: {list(CI_METHODS)}")
    lo, hi = proportion_confint(k, n, alpha=alpha, method="normal" if method == "wald" else method)
    return max(0.0, float(lo)), min(1.0, float(hi))


@dataclass(frozen=True)
class Proportion:
    """``k`` of ``n`` in percent with its interval (percent; ``nan`` when ``n`` is 0)."""

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


def _table(table) -> np.ndarray | None:
    t = np.asarray(table, dtype=int)
    if t.shape != (2, 2):
        raise ValueError("need a 2x2 table")
    return None if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any() else t


def fisher_exact(table) -> float:
    """Two-sided Fisher exact P of a 2x2 table (rows: groups; columns: yes, no); ``nan`` if a
    margin is 0.  The paper's CR by previous transplant (Results, *Treatment response*):

    >>> round(fisher_exact([[0, 2], [12, 1]]), 3)
    0.029
    """
    t = _table(table)
    return float("nan") if t is None else float(stats.fisher_exact(t).pvalue)


def chi_square(table, correction: bool = False) -> float:
    """Pearson chi-square P of a 2x2 table (``nan`` if a margin is 0)."""
    t = _table(table)
    return float("nan") if t is None else float(stats.chi2_contingency(t, correction).pvalue)


def compare_proportions(outcome, group, *, test: str = "auto") -> dict:
    """Compare a binary outcome between two groups: ``k1, n1`` (yes / total in group True),
    ``k0, n0`` (group False), ``p_value`` and ``test``; ``test="auto"``: Fisher's exact test if
    an expected count is below 5, else chi-square (the paper's "chi-square or Fisher's")."""
    o, g = np.asarray(outcome, dtype=bool), np.asarray(group, dtype=bool)
    table = np.array([[(o & g).sum(), (~o & g).sum()], [(o & ~g).sum(), (~o & ~g).sum()]])
    used = test
    if test == "auto":
        n = table.sum()
        expected = np.outer(table.sum(1), table.sum(0)) / n if n else np.zeros((2, 2))
        used = "fisher" if (expected < 5).any() else "chi2"
    return {
        "k1": int(table[0, 0]), "n1": int(table[0].sum()),
        "k0": int(table[1, 0]), "n0": int(table[1].sum()),
        "p_value": fisher_exact(table) if used == "fisher" else chi_square(table),
        "test": "Fisher's exact" if used == "fisher" else "chi-square",
    }  # fmt: skip


def median_range(values) -> tuple[float, float, float]:
    """Median, minimum and maximum of the non-missing values (``nan`` if none)."""
    v = pd.Series(values, dtype=float).dropna().to_numpy()  # numpy's median: a third quicker
    return (float(np.median(v)), float(v.min()), float(v.max())) if v.size else (np.nan,) * 3
