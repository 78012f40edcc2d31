"""Kaplan-Meier estimation, Greenwood standard errors and the log-rank test.

The estimators follow the textbook definitions used by Stata's ``sts`` and by
lifelines: the Kaplan-Meier product-limit estimate, Greenwood's variance on the
survival scale, a log(-log) confidence interval, and the Mantel-Haenszel
log-rank test with the hypergeometric variance (ties handled exactly).  They
are written with numpy so that they also run on cohorts of a million patients
and on thousands of candidate labellings at once (the reconstruction search).

References
----------
.. [1] Kaplan EL, Meier P. Nonparametric estimation from incomplete
   observations. J Am Stat Assoc 1958;53:457-81.
.. [2] Greenwood M. The natural duration of cancer. Reports on Public Health
   and Medical Subjects 1926;33:1-26.
.. [3] Mantel N. Evaluation of survival data and two new rank order statistics
   arising in its consideration. Cancer Chemother Rep 1966;50:163-70.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "kaplan_meier",
    "survival_at",
    "median_survival",
    "at_risk_counts",
    "logrank",
    "logrank_pvalues",
    "LogRankResult",
    "reverse_km_median_followup",
]


def _as_arrays(time, event) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError("time and event must be one-dimensional arrays of equal length")
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("time and event must not contain missing values")
    if (t < 0).any():
        raise ValueError("times must be non-negative")
    if not np.isin(e, (0, 1)).all():
        raise ValueError("event must be 0 (censored) or 1 (event)")
    return t, e.astype(int)


def _runs(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs."""
    if len(sorted_values) == 0:
        return sorted_values[:0], np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    return sorted_values[starts], np.diff(np.r_[starts, len(sorted_values)])


def _count_at(times: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """How many of ``sorted_values`` equal each of ``times`` (distinct, ascending)."""
    values, counts = _runs(sorted_values)
    out = np.zeros(len(times), dtype=np.int64)
    out[np.searchsorted(times, values)] = counts
    return out


def _distinct_times(t: np.ndarray, e: np.ndarray):
    """Distinct times with the number at risk, events and censorings at each.

    Plain sorts (no argsort): a million times take a few milliseconds.

    Returns
    -------
    tuple of numpy.ndarray
        ``times`` (ascending), ``n_at_risk`` (time >= t), ``d`` (events at t) and ``c``
        (censored at t), all of the length of ``times``.
    """
    times, total = _runs(np.sort(t))
    n_at_risk = len(t) - (np.cumsum(total) - total)  # subjects with an earlier time leave
    d = _count_at(times, np.sort(t[e == 1]))
    return times, n_at_risk, d, total - d


def _event_time_counts(t: np.ndarray, e: np.ndarray):
    """Distinct event times with the number at risk and the number of events at each.

    Also returns ``order`` (a sort of ``t``), ``pos`` (for each event time, the first sorted
    position with time >= it) and ``event_pos`` (sorted positions of the events, with
    ``event_start`` the first event of each distinct event time), from which the counts of
    many labellings at once are cumulative sums (:func:`logrank_pvalues`).
    """
    order = np.argsort(t)
    ts, es = t[order], e[order]
    event_pos = np.flatnonzero(es == 1)
    te = ts[event_pos]
    if len(te) == 0:
        return (np.zeros(0),) * 3 + (order, np.zeros(0, int), event_pos, np.zeros(0, int))
    event_start = np.flatnonzero(np.r_[True, te[1:] != te[:-1]])
    times = te[event_start]
    pos = np.searchsorted(ts, times, side="left")
    n = (len(ts) - pos).astype(float)
    d = np.diff(np.r_[event_start, len(te)]).astype(float)
    return times, n, d, order, pos, event_pos, event_start


def kaplan_meier(time, event, *, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier estimate with Greenwood standard errors.

    Parameters
    ----------
    time : array-like of float
        Follow-up times (any unit; the book uses months).
    event : array-like of {0, 1}
        1 if the event (death, relapse) was observed at ``time``, 0 if censored.
    alpha : float, default 0.05
        One minus the confidence level of the pointwise interval.

    Returns
    -------
    pandas.DataFrame
        One row per distinct observed time (plus a row at time 0) with columns
        ``time``, ``n_at_risk``, ``n_event``, ``n_censored``, ``survival``,
        ``se`` (Greenwood, survival scale), ``ci_lower`` and ``ci_upper``
        (log(-log) transformation, as in Stata and lifelines).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 0])
    >>> round(float(km.loc[km.time == 2, "survival"].iloc[0]), 3)
    0.5
    """
    t, e = _as_arrays(time, event)
    times, n_at_risk, d, c = _distinct_times(t, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1.0 - d / n_at_risk
        surv = np.cumprod(factor)
        green_terms = np.where(n_at_risk > d, d / (n_at_risk * (n_at_risk - d)), np.inf)
        green_terms = np.where(d == 0, 0.0, green_terms)
        cum = np.cumsum(green_terms)
        se = surv * np.sqrt(cum)
        z = stats.norm.ppf(1 - alpha / 2)
        # log(-log) interval; undefined where S is 0 or 1
        log_s = np.log(surv)
        sd_loglog = np.sqrt(cum) / np.abs(log_s)
        lower = np.exp(-np.exp(np.log(-log_s) + z * sd_loglog))
        upper = np.exp(-np.exp(np.log(-log_s) - z * sd_loglog))
    lower = np.where(surv >= 1.0, 1.0, np.where(surv <= 0, 0.0, lower))
    upper = np.where(surv >= 1.0, 1.0, np.where(surv <= 0, 0.0, upper))
    table = pd.DataFrame(
        {
            "time": times,
            "n_at_risk": n_at_risk.astype(int),
            "n_event": d.astype(int),
            "n_censored": c.astype(int),
            "survival": surv,
            "se": np.nan_to_num(se, nan=0.0),
            "ci_lower": lower,
            "ci_upper": upper,
        }
    )
    if len(times) == 0 or times[0] > 0:
        start = pd.DataFrame(
            {
                "time": [0.0],
                "n_at_risk": [len(t)],
                "n_event": [0],
                "n_censored": [0],
                "survival": [1.0],
                "se": [0.0],
                "ci_lower": [1.0],
                "ci_upper": [1.0],
            }
        )
        table = pd.concat([start, table], ignore_index=True)
    return table


def survival_at(km: pd.DataFrame, t: float) -> tuple[float, float]:
    """Survival probability and its Greenwood SE at time ``t`` (right-continuous step).

    Parameters
    ----------
    km : pandas.DataFrame
        Output of :func:`kaplan_meier`.
    t : float
        Time at which to read the curve.

    Returns
    -------
    tuple of float
        ``(survival, se)``.  Beyond the last observed time the last value is
        carried forward (as Stata's ``sts list`` does up to the last time).  Without
        any subject (an empty group) both are ``nan``; before time 0 they are 1 and 0.
    """
    if len(km) == 0 or km["n_at_risk"].iloc[0] == 0:
        return float("nan"), float("nan")
    rows = km[km["time"] <= t]
    if rows.empty:
        return 1.0, 0.0
    row = rows.iloc[-1]
    return float(row["survival"]), float(row["se"])


def median_survival(km: pd.DataFrame) -> float:
    """Median survival time: first time at which S(t) <= 0.5; ``nan`` if not reached."""
    hit = km[km["survival"] <= 0.5]
    return float(hit["time"].iloc[0]) if len(hit) else float("nan")


def at_risk_counts(time, at: list[float] | np.ndarray) -> np.ndarray:
    """Number still at risk (time >= t) at each time in ``at``."""
    t = np.sort(np.asarray(time, dtype=float))
    return len(t) - np.searchsorted(t, np.asarray(at, dtype=float), side="left")


@dataclass(frozen=True)
class LogRankResult:
    """Result of a two-group log-rank test.

    Attributes
    ----------
    statistic : float
        Chi-square statistic with one degree of freedom.
    p_value : float
        Two-sided P value.
    observed, expected : tuple of float
        Observed and expected events in (group 0, group 1).
    """

    statistic: float
    p_value: float
    observed: tuple[float, float]
    expected: tuple[float, float]


def logrank_pvalues(time, event, groups) -> np.ndarray:
    """Log-rank P values for many two-group labellings of the same subjects at once.

    Parameters
    ----------
    time, event : array-like, shape (n,)
        Follow-up times and event indicators shared by every labelling.
    groups : array-like of bool, shape (k, n) or (n,)
        Each row marks membership of group 1 for one labelling.

    Returns
    -------
    numpy.ndarray, shape (k,)
        P values (``nan`` where a labelling leaves a group empty or the
        variance is zero).

    Notes
    -----
    Uses the hypergeometric variance
    :math:`V=\\sum_j d_j \\frac{n_{1j}}{n_j}(1-\\frac{n_{1j}}{n_j})\\frac{n_j-d_j}{n_j-1}`,
    identical to lifelines' ``logrank_test``.
    """
    t, e = _as_arrays(time, event)
    g = np.atleast_2d(np.asarray(groups, dtype=bool))
    if g.shape[1] != len(t):
        raise ValueError("groups must have one column per subject")
    times, n, d, order, pos, event_pos, event_start = _event_time_counts(t, e)
    if len(times) == 0:
        return np.full(g.shape[0], np.nan)
    gs = g[:, order].astype(np.int64)  # k x n, subjects sorted by time
    # group-1 subjects with time >= each event time: a reversed cumulative sum
    at_risk1 = np.cumsum(gs[:, ::-1], axis=1)[:, ::-1]
    # C order as a matrix product would give, so that row sums add in the same order
    n1 = np.ascontiguousarray(at_risk1[:, pos], dtype=float)  # k x T
    d1 = np.ascontiguousarray(np.add.reduceat(gs[:, event_pos], event_start, axis=1), float)
    frac = n1 / n
    expected1 = (d * frac).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_terms = np.where(n > 1, d * frac * (1 - frac) * (n - d) / (n - 1), 0.0)
        var = var_terms.sum(axis=1)
        chi2 = (d1.sum(axis=1) - expected1) ** 2 / var
    p = stats.chi2.sf(chi2, 1)
    return np.where(var > 0, p, np.nan)


def logrank(time, event, group) -> LogRankResult:
    """Two-group log-rank test.

    Parameters
    ----------
    time, event : array-like, shape (n,)
        Follow-up times and event indicators.
    group : array-like of bool, shape (n,)
        True for the second group.

    Returns
    -------
    LogRankResult

    Examples
    --------
    >>> r = logrank([1, 2, 3, 4], [1, 1, 1, 1], [False, False, True, True])
    >>> round(r.p_value, 3)
    0.114
    """
    t, e = _as_arrays(time, event)
    g = np.asarray(group, dtype=bool)
    if g.shape != t.shape:
        raise ValueError("group must have one value per subject")
    if g.all() or (~g).all():
        raise ValueError("log-rank test needs subjects in both groups")
    # at each distinct event time: at risk (time >= it) and events, overall and in group 1;
    # four plain sorts, O(n log n)
    times, d = _runs(np.sort(t[e == 1]))
    ts, ts1 = np.sort(t), np.sort(t[g])
    n = (len(ts) - np.searchsorted(ts, times, side="left")).astype(float)
    n1 = (len(ts1) - np.searchsorted(ts1, times, side="left")).astype(float)
    d1 = _count_at(times, np.sort(t[g & (e == 1)])).astype(float)
    d = d.astype(float)
    frac = n1 / n
    exp1 = float((d * frac).sum())
    obs1 = float(np.sum(d1))
    with np.errstate(divide="ignore", invalid="ignore"):
        var = float(np.where(n > 1, d * frac * (1 - frac) * (n - d) / (n - 1), 0.0).sum())
    chi2 = (obs1 - exp1) ** 2 / var if var > 0 else float("nan")
    p = float(stats.chi2.sf(chi2, 1)) if var > 0 else float("nan")
    total = float(d.sum())
    return LogRankResult(
        statistic=float(chi2),
        p_value=p,
        observed=(total - obs1, obs1),
        expected=(total - exp1, exp1),
    )


def reverse_km_median_followup(time, event) -> float:
    """Median potential follow-up by the reverse Kaplan-Meier method.

    Censoring is treated as the event and deaths as censored (Schemper and
    Smith, Control Clin Trials 1996;17:343-6).  Returns ``nan`` if not reached.
    """
    t, e = _as_arrays(time, event)
    return median_survival(kaplan_meier(t, 1 - e))
