"""Survival estimates, all from lifelines, as tidy tables instead of fitted objects.

Kaplan-Meier (with Greenwood's SE, which the paper prints and lifelines does not report),
median CIs, log-rank tests, Cox hazard ratios, Aalen-Johansen and Simon-Makuch curves come
from lifelines; the Mantel-Byar test, which lifelines lacks, is written here.  Every function
accepts empty groups and returns ``nan`` where an estimate is undefined.

References: Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-81.  Greenwood M. Reports on
Public Health and Medical Subjects 1926;33.  Mantel N. Cancer Chemother Rep 1966;50:163-70.
Simon R, Makuch RW. Stat Med 1984;3:35-44.  Mantel N, Byar DP. J Am Stat Assoc 1974;69:81-6.
Schemper M, Smith TL. Control Clin Trials 1996;17:343-6.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter, CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg

from .. import config

#: Columns of :func:`kaplan_meier`.
KM_COLUMNS = ["time", "n_at_risk", "n_event", "n_censored", "survival", "se", "ci_lower",
              "ci_upper"]  # fmt: skip


def _arrays(time, event) -> tuple[np.ndarray, np.ndarray]:
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


def greenwood_se(kmf: KaplanMeierFitter) -> pd.Series:
    """Greenwood's SE at each time of ``kmf.event_table``: S(t) sqrt(sum d / (n (n - d)));
    0 once the curve reaches 0."""
    et = kmf.event_table
    d, n = et["observed"].to_numpy(float), et["at_risk"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, d / (n * (n - d)), 0.0)
    s = kmf.survival_function_.iloc[:, 0].reindex(et.index).to_numpy()
    with np.errstate(invalid="ignore"):
        se = s * np.sqrt(np.cumsum(terms))
    return pd.Series(np.nan_to_num(se, nan=0.0, posinf=0.0), index=et.index, name="se")


def kaplan_meier(time, event, *, entry=None, alpha: float = config.ALPHA) -> pd.DataFrame:
    """Kaplan-Meier estimate (lifelines) with Greenwood SEs; ``entry``: delayed entry times.

    Returns :data:`KM_COLUMNS`, a row per time of the event table (time 0 first), with
    lifelines' log(-log) band; ``attrs["median"]`` is :func:`median_ci` of the same fit.
    An empty group gives one row at time 0, nobody at risk, ``nan`` estimates.

    >>> km = kaplan_meier([1, 2, 2, 3], [1, 1, 0, 0])
    >>> km[["time", "n_at_risk", "survival"]].to_numpy().tolist()
    [[0.0, 4.0, 1.0], [1.0, 4.0, 0.75], [2.0, 3.0, 0.5], [3.0, 1.0, 0.5]]
    """
    t, e = _arrays(time, event)
    if len(t) == 0:
        table = pd.DataFrame([[0.0, 0, 0, 0] + [np.nan] * 4], columns=KM_COLUMNS)
        table.attrs["median"] = (np.nan,) * 3
        return table
    kmf = KaplanMeierFitter(alpha=alpha).fit(t, e, entry=entry)
    et = kmf.event_table
    band = kmf.confidence_interval_.reindex(et.index)
    table = pd.DataFrame(
        {
            "time": et.index.to_numpy(float),
            "n_at_risk": et["at_risk"].to_numpy(int),
            "n_event": et["observed"].to_numpy(int),
            "n_censored": et["censored"].to_numpy(int),
            "survival": kmf.survival_function_.iloc[:, 0].reindex(et.index).to_numpy(),
            "se": greenwood_se(kmf).to_numpy(),
            "ci_lower": band.iloc[:, 0].to_numpy(),
            "ci_upper": band.iloc[:, 1].to_numpy(),
        }
    )
    if table["time"].iloc[0] > 0:  # lifelines starts at 0 unless every time is positive
        start = pd.DataFrame([[0.0, len(kmf.durations), 0, 0, 1.0, 0.0, 1.0, 1.0]],
                             columns=KM_COLUMNS)  # fmt: skip
        table = pd.concat([start, table], ignore_index=True)
    table.attrs["median"] = _median(kmf)
    return table


def survival_at(km: pd.DataFrame, t: float) -> tuple[float, float]:
    """Estimate and SE at ``t`` from a :func:`kaplan_meier` table (right-continuous steps;
    the last value carried forward); ``(nan, nan)`` for an empty group."""
    if km["n_at_risk"].iloc[0] == 0:
        return float("nan"), float("nan")
    row = km[km["time"] <= t].iloc[-1]
    return float(row["survival"]), float(row["se"])


def median_ci(time, event, *, alpha: float = config.ALPHA) -> tuple[float, float, float]:
    """Median survival and its CI: :func:`lifelines.utils.median_survival_times` of the
    fitter's band (``nan`` where not reached).

    >>> median_ci([1, 2, 3, 4, 5], [1, 1, 1, 1, 1])[0]
    3.0
    """
    return kaplan_meier(time, event, alpha=alpha).attrs["median"]


def _median(kmf: KaplanMeierFitter) -> tuple[float, float, float]:
    med = float(kmf.median_survival_time_)
    lo, hi = median_survival_times(kmf.confidence_interval_).iloc[0].to_numpy(float)
    return tuple(np.nan if np.isinf(x) else float(x) for x in (med, lo, hi))


def at_risk_counts(time, at) -> np.ndarray:
    """Number still at risk (time >= t) at each time of ``at``."""
    t = np.sort(np.asarray(time, dtype=float))
    return len(t) - np.searchsorted(t, np.asarray(at, dtype=float), side="left")


@dataclass(frozen=True)
class LogRankResult:
    """Log-rank test: ``statistic`` (chi-square), ``p_value``, degrees of freedom ``df``."""

    statistic: float
    p_value: float
    df: int = 1


_NAN_TEST = LogRankResult(float("nan"), float("nan"))


def logrank(time, event, group) -> LogRankResult:
    """Log-rank test between the groups of ``group`` (lifelines' ``logrank_test``, or
    ``multivariate_logrank_test`` for more than two); ``nan`` without two groups or events.

    >>> round(logrank([1, 2, 3, 4], [1, 1, 1, 1], [False, False, True, True]).p_value, 3)
    0.114
    """
    t, e = _arrays(time, event)
    g = np.asarray(group)
    if g.shape != t.shape:
        raise ValueError("group must have one value per subject")
    levels = pd.unique(g)
    if len(levels) < 2 or e.sum() == 0:
        return _NAN_TEST
    if len(levels) == 2:
        a = g == levels[0]
        r = logrank_test(t[a], t[~a], e[a], e[~a])
    else:
        r = multivariate_logrank_test(t, g, e)
    return LogRankResult(float(r.test_statistic), float(r.p_value), int(r.degrees_of_freedom))


@dataclass(frozen=True)
class HazardRatio:
    """Cox hazard ratio of group True against group False, with its CI and Wald P."""

    ratio: float
    ci_lower: float
    ci_upper: float
    p_value: float


_NAN_HR = HazardRatio(*(float("nan"),) * 4)


def hazard_ratio(time, event, group, *, alpha: float = config.ALPHA) -> HazardRatio:
    """Hazard ratio of ``group`` (True vs False) from :class:`lifelines.CoxPHFitter`; ``nan``
    when a group is empty or has no event.

    >>> hr = hazard_ratio([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1], [1, 1, 1, 0, 0, 0])
    >>> hr.ratio > 1
    True
    """
    t, e = _arrays(time, event)
    g = np.asarray(group, dtype=bool)
    if g.all() or not g.any() or e[g].sum() == 0 or e[~g].sum() == 0:
        return _NAN_HR
    df = pd.DataFrame({"time": t, "event": e, "group": g.astype(float)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = CoxPHFitter(alpha=alpha).fit(df, "time", "event").summary.loc["group"]
    lo, hi = (row[f"exp(coef) {k} {100 * (1 - alpha):g}%"] for k in ("lower", "upper"))
    return HazardRatio(float(row["exp(coef)"]), float(lo), float(hi), float(row["p"]))


_JITTER = 1e-7  # lifelines' jitter of tied event times (months)


def cumulative_incidence(time, cause, labels: dict[int, str]) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of each cause (lifelines); ``cause``: 0 censored,
    ``k`` an event of cause ``k``, named by ``labels[k]``.

    Returns ``time`` (0 and every observed time), ``n_at_risk``, ``n_censored``, and
    ``events_<name>``, ``cif_<name>`` per cause.  Ties of different causes are split by
    lifelines' seeded jitter and read after the tie (exact for gaps > 100 * jitter).

    >>> cif = cumulative_incidence([1, 2, 3, 4], [1, 2, 0, 1], {1: "relapse", 2: "death"})
    >>> [round(x, 3) for x in cif["cif_relapse"]]
    [0.0, 0.25, 0.25, 0.25, 0.75]
    """
    t = np.asarray(time, dtype=float)
    c = np.asarray(cause, dtype=int)
    times = np.unique(np.r_[0.0, t])
    at = np.searchsorted(times, t)
    out = pd.DataFrame({"time": times, "n_at_risk": at_risk_counts(t, times),
                        "n_censored": np.bincount(at[c == 0], minlength=len(times))})  # fmt: skip
    for code, name in labels.items():
        out[f"events_{name}"] = np.bincount(at[c == code], minlength=len(times))
        if not (c == code).any():
            out[f"cif_{name}"] = 0.0
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifelines warns that it jitters tied times
            aj = AalenJohansenFitter(jitter_level=_JITTER, seed=0, calculate_variance=False)
            aj.fit(t, c, event_of_interest=code)
        cif = aj.cumulative_density_.iloc[:, 0]
        # read just after each time: past the jittered copies of events tied at it
        idx = np.searchsorted(cif.index.to_numpy(), times + 100 * _JITTER, side="right") - 1
        out[f"cif_{name}"] = np.where(idx >= 0, cif.to_numpy()[np.maximum(idx, 0)], 0.0)
    return out


def reverse_km_median(time, event) -> float:
    """Median potential follow-up by reverse Kaplan-Meier (Schemper and Smith)."""
    t, e = _arrays(time, event)
    return median_ci(t, 1 - e)[0]


def _periods(start, stop, event, group):
    st, sp = np.asarray(start, float), np.asarray(stop, float)
    ev, g = np.asarray(event, int), np.asarray(group, bool)
    if not (st.shape == sp.shape == ev.shape == g.shape) or st.ndim != 1:
        raise ValueError("start, stop, event and group must be 1-d arrays of equal length")
    if (sp < st).any():
        raise ValueError("every period needs start <= stop")
    return st, sp, ev, g


def simon_makuch(start, stop, event, group) -> pd.DataFrame:
    """Simon-Makuch curves: Kaplan-Meier with time-dependent groups (lifelines ``entry``).

    ``start, stop, event, group``: counting-process periods ``(start, stop]`` (transplanted
    at 2 months: ``(0, 2]`` untransplanted, ``(2, T]`` transplanted), 1 if a period ends with
    the event, the group during it.

    Returns ``group``, ``time``, ``n_at_risk``, ``n_event``, ``survival`` of each group from its
    first entry on; the risk set is ``start < t <= stop``, as in :func:`mantel_byar`.
    """
    frames = []
    st, sp, ev, group = _periods(start, stop, event, group)
    for g in np.unique(group):  # False, then True
        m = group == g
        kmf = KaplanMeierFitter().fit(sp[m], ev[m], entry=st[m])
        et = kmf.event_table
        first = float(np.min(kmf.entry))
        keep = et.index >= first
        frames.append(pd.DataFrame({
            "group": g, "time": et.index[keep].to_numpy(float),
            "n_at_risk": (et["at_risk"] - et["entrance"])[keep].to_numpy(int),
            "n_event": et["observed"][keep].to_numpy(int),
            "survival": kmf.survival_function_.iloc[:, 0].reindex(et.index)[keep].to_numpy(),
        }))  # fmt: skip
    cols = ["group", "time", "n_at_risk", "n_event", "survival"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def mantel_byar(start, stop, event, group) -> tuple[LogRankResult, HazardRatio]:
    """Mantel-Byar test and hazard ratio with time-dependent groups (periods as for
    :func:`simon_makuch`): the log-rank (O - E)^2 / V on risk sets ``start < t <= stop``, and
    statsmodels' time-dependent Cox model; ``nan`` where a group is empty or has no events.

    >>> lr, _ = mantel_byar([0, 0, 0, 2], [1, 3, 2, 4], [1, 1, 0, 1], [0, 0, 0, 1])
    >>> round(lr.p_value, 3)
    0.317
    """
    st, sp, ev, g = _periods(start, stop, event, group)
    times = np.unique(sp[ev == 1])

    def at_risk(m):  # start < t <= stop, counted by sorting: n x T never materialised
        return at_risk_counts(sp[m], times) - at_risk_counts(st[m], times)

    n, n1 = at_risk(np.ones_like(g)).astype(float), at_risk(g).astype(float)
    keep = n > 0  # an event at time 0 has nobody at risk before it
    at = np.searchsorted(times, sp[ev == 1])
    d, d1 = (np.bincount(at[m[ev == 1]], minlength=len(times)) for m in (np.ones_like(g), g))
    n, n1, d, d1 = n[keep], n1[keep], d[keep], d1[keep]
    if len(n) == 0 or g.all() or not g.any():
        return _NAN_TEST, _NAN_HR
    frac = n1 / n
    var = float(np.where(n > 1, d * frac * (1 - frac) * (n - d) / np.maximum(n - 1, 1), 0).sum())
    if var <= 0:
        return _NAN_TEST, _NAN_HR
    chi2 = (d1.sum() - (d * frac).sum()) ** 2 / var
    test = LogRankResult(float(chi2), float(stats.chi2.sf(chi2, 1)))
    if ev[g].sum() == 0 or ev[~g].sum() == 0:
        return test, _NAN_HR
    keep = sp > st
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # statsmodels counts a period at risk from its entry time on; nextafter makes it
        # start < t, the risk set above (lifelines' CoxTimeVaryingFitter, 10x slower, agrees)
        fit = PHReg(sp[keep], g[keep, None].astype(float), status=ev[keep],
                    entry=np.nextafter(st[keep], np.inf), ties="efron").fit(disp=0)  # fmt: skip
    (lo, hi), p = np.exp(fit.conf_int(config.ALPHA)[0]), fit.pvalues[0]
    return test, HazardRatio(float(np.exp(fit.params[0])), float(lo), float(hi), float(p))
