"""Sensitivity analyses: what changes when the paper's methods or unknowns change.

Five questions the paper's own analysis leaves open, each answered for any cohort
that meets the data contract:

* **Confidence intervals.**  The paper gives exact (Clopper-Pearson) intervals;
  :func:`response_cis` sets them beside the Wilson and Jeffreys intervals.
* **Follow-up.**  "Median follow-up 11.0 months" is the median of all observed
  times, deaths included; :func:`followup_summary` adds the reverse Kaplan-Meier
  median potential follow-up (Schemper and Smith 1996).
* **Competing risks.**  1 - RFS mixes relapses and deaths in remission;
  :func:`aalen_johansen` and :func:`competing_risks` split it into the cumulative
  incidence of relapse and of non-relapse mortality.
* **Transplant as a time-dependent event.**  Figure 3 of the paper compares
  patients grouped by whether a transplant *ever* happened, which credits the
  transplant group with the time before transplant ("immortal time").
  :func:`landmark` and :func:`logrank_time_dependent` (Mantel-Byar) with
  :func:`simon_makuch` curves compare the groups without that bias.
* **Robustness across reconstructions.**  The default cohort is one of many that
  reproduce every published number.  :func:`robustness` reconstructs the cohort
  with several seeds and shows which quantities the paper pins and which move.

References
----------
.. [1] Schemper M, Smith TL. A note on quantifying follow-up in studies of
   failure time. Control Clin Trials 1996;17:343-6.
.. [2] Aalen OO, Johansen S. An empirical transition matrix for
   non-homogeneous Markov chains based on censored observations. Scand J Stat
   1978;5:141-50.
.. [3] Mantel N, Byar DP. Evaluation of response-time data involving transient
   states: an illustration using heart-transplant data. J Am Stat Assoc
   1974;69:81-6.
.. [4] Simon R, Makuch RW. A non-parametric graphical representation of the
   relationship between survival and the occurrence of an event: application to
   responder versus non-responder bias. Stat Med 1984;3:35-44.
.. [5] Anderson JR, Cain KC, Gelber RD. Analysis of survival by tumor response.
   J Clin Oncol 1983;1:710-9.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import config, derive, metrics, stats, survival
from .derive import as_bool

__all__ = [
    "CI_METHODS",
    "DEFAULT_SEEDS",
    "QUANTITIES",
    "Quantity",
    "LandmarkResult",
    "uses_reconstruction",
    "proportion_cis",
    "response_rates",
    "response_cis",
    "followup_summary",
    "aalen_johansen",
    "value_at",
    "competing_risks_data",
    "competing_risks",
    "competing_risks_summary",
    "plot_cumulative_incidence",
    "transplant_periods",
    "logrank_time_dependent",
    "oe_ratio",
    "simon_makuch",
    "plot_simon_makuch",
    "median_transplant_time",
    "landmark",
    "plot_landmark",
    "immortal_time",
    "transplant_comparison",
    "cohort_quantities",
    "reconstructions",
    "robustness",
    "summarise_robustness",
]

#: Interval methods compared in :func:`response_cis` (see :func:`analysis.stats.proportion_ci`).
CI_METHODS: tuple[str, ...] = ("exact", "wilson", "jeffreys")

#: Seeds of the reconstructions compared by :func:`robustness`.
DEFAULT_SEEDS: tuple[int, ...] = tuple(range(1, 21))

_CI_LABELS = {"exact": "exact (Clopper-Pearson)", "wilson": "Wilson", "jeffreys": "Jeffreys"}


def uses_reconstruction() -> bool:
    """Whether the book analyses the default, reconstructed cohort.

    Returns
    -------
    bool
        ``False`` when the ``BOOK_COHORT`` environment variable points at another
        file (see :func:`analysis.config.cohort_path`).
    """
    return config.cohort_path() == config.DEFAULT_COHORT.resolve()


# ------------------------------------------------------------------------ confidence intervals


def proportion_cis(rates, methods: Sequence[str] = CI_METHODS, alpha: float = 0.05):
    """Confidence intervals of several proportions by several methods, side by side.

    Parameters
    ----------
    rates : pandas.DataFrame or mapping
        Columns (or mapping ``label -> (k, n)``) ``rate``, ``k`` and ``n``.
    methods : sequence of str
        Methods of :func:`analysis.stats.proportion_ci`.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per rate and method: ``rate``, ``k``, ``n``, ``percent``, ``method``,
        ``ci_lower``, ``ci_upper`` and ``width`` (percentage points); limits are
        ``nan`` when ``n`` is 0.

    Examples
    --------
    >>> t = proportion_cis({"CR": (12, 15)}, methods=["exact"])
    >>> [round(float(x), 1) for x in t.loc[0, ["ci_lower", "ci_upper"]]]
    [51.9, 95.7]
    """
    if isinstance(rates, Mapping):
        rates = pd.DataFrame([(r, k, n) for r, (k, n) in rates.items()], columns=["rate", "k", "n"])
    rows = []
    for r in rates.itertuples(index=False):
        k, n = int(r.k), int(r.n)
        for m in methods:
            if n > 0:
                lo, hi = stats.proportion_ci(k, n, m, alpha)
                lo, hi = 100 * lo, 100 * hi
            else:
                lo = hi = float("nan")
            rows.append(
                {
                    "rate": r.rate,
                    "k": k,
                    "n": n,
                    "percent": 100 * k / n if n else float("nan"),
                    "method": m,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "width": hi - lo,
                }
            )
    return pd.DataFrame(rows)


def response_rates(cohort: pd.DataFrame) -> pd.DataFrame:
    """The response rates of the paper as numerator and denominator.

    Returns
    -------
    pandas.DataFrame
        Columns ``key``, ``rate``, ``k``, ``n``: CR among patients with overt
        disease (the paper's 12/15), MRD response among all patients (12/19) and
        CR among all patients (16/19, not printed by the paper).
    """
    f = derive.flags(cohort)
    overt = f["overt"].to_numpy()
    cr, mrd = f["cr"].to_numpy(), f["mrd_response"].to_numpy()
    return pd.DataFrame(
        [
            ("cr_overt", "CR, patients with overt disease", int((cr & overt).sum()),
             int(overt.sum())),
            ("mrd_all", "MRD response, all patients", int(mrd.sum()), len(cohort)),
            ("cr_all", "CR, all patients", int(cr.sum()), len(cohort)),
        ],
        columns=["key", "rate", "k", "n"],
    )  # fmt: skip


def response_cis(cohort: pd.DataFrame, methods: Sequence[str] = CI_METHODS) -> pd.DataFrame:
    """:func:`proportion_cis` of :func:`response_rates`, with the rate's ``key``.

    Examples
    --------
    >>> from analysis import load_cohort
    >>> t = response_cis(load_cohort()).set_index(["key", "method"])
    >>> round(float(t.loc[("cr_overt", "wilson"), "ci_lower"]), 1)
    54.8
    """
    rates = response_rates(cohort)
    out = proportion_cis(rates, methods)
    out.insert(0, "key", np.repeat(rates["key"].to_numpy(), len(methods)))
    out["method_label"] = out["method"].map(_CI_LABELS).fillna(out["method"])
    return out


# ------------------------------------------------------------------------ follow-up


def followup_summary(cohort: pd.DataFrame) -> pd.DataFrame:
    """Median follow-up three ways.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``: ``observed`` (median of every patient's observed time,
        deaths included: the paper's 11.0 months), ``survivors`` (median among the
        patients alive at last contact) and ``reverse_km`` (median potential
        follow-up by the reverse Kaplan-Meier method, ``nan`` if not reached);
        columns ``method``, ``months``, ``n`` (patients the estimate uses).

    Notes
    -----
    The median of observed times is shortened by early deaths: a patient who
    died at 2 months would have been followed for longer had they lived.  The
    reverse Kaplan-Meier method treats censoring as the event and death as
    censoring, and estimates how long patients would have been followed had none
    died [1]_.

    References
    ----------
    .. [1] Schemper M, Smith TL. Control Clin Trials 1996;17:343-6.
    """
    os_ = derive.os_table(cohort)
    t, e = os_["time"].to_numpy(), os_["event"].to_numpy()
    alive = e == 0
    rows = [
        ("observed", "median of observed times, deaths included (the paper)",
         float(np.median(t)) if len(t) else float("nan"), len(t)),
        ("survivors", "median among patients alive at last contact",
         float(np.median(t[alive])) if alive.any() else float("nan"), int(alive.sum())),
        ("reverse_km", "reverse Kaplan-Meier median potential follow-up",
         survival.reverse_km_median_followup(t, e) if len(t) else float("nan"), len(t)),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["key", "method", "months", "n"]).set_index("key")


# ------------------------------------------------------------------------ competing risks


def aalen_johansen(time, cause, labels: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of each cause of a competing-risks outcome.

    Parameters
    ----------
    time : array-like of float
        Follow-up times.
    cause : array-like of int
        0 for a censored time, ``k >= 1`` for an event of cause ``k``.
    labels : mapping, optional
        Name of each cause (default ``{k: str(k)}``); column names use it.

    Returns
    -------
    pandas.DataFrame
        One row per distinct time, plus a row at 0: ``time``, ``n_at_risk``,
        ``n_censored``, ``survival`` (Kaplan-Meier of any event), and for each
        cause ``events_<label>`` and ``cif_<label>``.  The incidences and the
        survival add up to one at every time.

    Notes
    -----
    With :math:`S(t^-)` the all-cause Kaplan-Meier estimate just before
    :math:`t_j`, :math:`d_{kj}` the events of cause :math:`k` at :math:`t_j` and
    :math:`n_j` the number at risk,

    .. math:: F_k(t) = \\sum_{t_j \\le t} S(t_j^-) \\, d_{kj} / n_j .

    Tied events of different causes are handled exactly (no jittering, unlike
    lifelines' ``AalenJohansenFitter``).  No variance is computed.

    Examples
    --------
    >>> aj = aalen_johansen([1, 2, 3, 4], [1, 2, 0, 1], {1: "relapse", 2: "death"})
    >>> [round(x, 3) for x in aj["cif_relapse"]]
    [0.0, 0.25, 0.25, 0.25, 0.75]
    """
    t = np.asarray(time, dtype=float)
    c = np.asarray(cause, dtype=float)
    if t.shape != c.shape or t.ndim != 1:
        raise ValueError("time and cause must be one-dimensional arrays of equal length")
    if np.isnan(t).any() or np.isnan(c).any():
        raise ValueError("time and cause must not contain missing values")
    if (c < 0).any() or (c != np.round(c)).any():
        raise ValueError("cause must be 0 (censored) or a positive integer")
    c = c.astype(int)
    causes = sorted(set(labels or {}) | {int(k) for k in np.unique(c[c > 0])})
    names = {k: str((labels or {}).get(k, k)) for k in causes}
    times = np.unique(t)
    n = len(t) - np.searchsorted(np.sort(t), times, side="left")
    idx = np.searchsorted(times, t)
    d = {k: np.bincount(idx[c == k], minlength=len(times)) for k in causes}
    cens = np.bincount(idx[c == 0], minlength=len(times))
    d_all = sum(d.values()) if causes else np.zeros(len(times), int)
    surv = np.cumprod(1.0 - d_all / n) if len(times) else np.array([])
    surv_before = np.concatenate([[1.0], surv[:-1]]) if len(times) else np.array([])
    out = {"time": times, "n_at_risk": n, "n_censored": cens, "survival": surv}
    for k in causes:
        out[f"events_{names[k]}"] = d[k]
        out[f"cif_{names[k]}"] = np.cumsum(surv_before * d[k] / n)
    table = pd.DataFrame(out)
    if len(times) == 0 or times[0] > 0:
        start = {col: [0] for col in table.columns}
        start.update({"time": [0.0], "n_at_risk": [len(t)], "survival": [1.0]})
        for k in causes:
            start[f"cif_{names[k]}"] = [0.0]
        table = pd.concat([pd.DataFrame(start), table], ignore_index=True)
    return table


def value_at(table: pd.DataFrame, column: str, t: float) -> float:
    """Value of a step function tabulated at ``table.time`` (right-continuous) at ``t``."""
    rows = table[table["time"] <= t]
    return float(rows[column].iloc[-1]) if len(rows) else float("nan")


def competing_risks_data(cohort: pd.DataFrame) -> pd.DataFrame:
    """The relapse-free survival outcome of the patients in CR split by cause.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``cohort`` (patients in CR only): ``time`` (RFS months) and
        ``cause``: 1 relapse, 2 death without relapse (non-relapse mortality),
        0 censored.

    Notes
    -----
    An RFS event is a relapse when the patient relapsed at or before the RFS
    time; otherwise it is a death in remission.
    """
    rfs = derive.rfs_table(cohort)
    sub = cohort.loc[rfs.index]
    relapsed = as_bool(sub["relapse"])
    rel_m = sub["relapse_months"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        is_relapse = relapsed & (np.nan_to_num(rel_m, nan=np.inf) <= rfs["time"].to_numpy() + 1e-9)
    ev = rfs["event"].to_numpy() == 1
    cause = np.where(ev & is_relapse, 1, np.where(ev, 2, 0))
    return pd.DataFrame({"time": rfs["time"].to_numpy(), "cause": cause}, index=rfs.index)


def competing_risks(cohort: pd.DataFrame) -> pd.DataFrame:
    """Cumulative incidence of relapse and of non-relapse mortality among patients in CR.

    Returns
    -------
    pandas.DataFrame
        :func:`aalen_johansen` of :func:`competing_risks_data` (``cif_relapse``,
        ``cif_nrm``), with ``one_minus_rfs`` (1 - Kaplan-Meier RFS, equal to
        their sum) and ``naive_relapse`` (1 - Kaplan-Meier with deaths in
        remission censored, which overstates the incidence of relapse).
    """
    data = competing_risks_data(cohort)
    table = aalen_johansen(data["time"], data["cause"], {1: "relapse", 2: "nrm"})
    table["one_minus_rfs"] = 1.0 - table["survival"]
    if len(data):
        naive = survival.kaplan_meier(data["time"], (data["cause"] == 1).astype(int))
        s = naive.set_index("time")["survival"].reindex(table["time"]).ffill().fillna(1.0)
        table["naive_relapse"] = 1.0 - s.to_numpy()
    else:
        table["naive_relapse"] = 0.0
    return table


def competing_risks_summary(cohort: pd.DataFrame, months: float = 12.0) -> pd.DataFrame:
    """The competing-risks estimates at ``months`` as a tidy table.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``: ``relapse``, ``nrm``, ``one_minus_rfs`` and
        ``naive_relapse``, with ``estimate`` (percent), ``events`` (patients with
        the event at any time) and ``label``.
    """
    data = competing_risks_data(cohort)
    table = competing_risks(cohort)
    rows = [
        ("relapse", "cumulative incidence of relapse (Aalen-Johansen)", "cif_relapse",
         int((data["cause"] == 1).sum())),
        ("nrm", "cumulative incidence of non-relapse mortality (Aalen-Johansen)", "cif_nrm",
         int((data["cause"] == 2).sum())),
        ("one_minus_rfs", "1 - relapse-free survival (Kaplan-Meier)", "one_minus_rfs",
         int((data["cause"] > 0).sum())),
        ("naive_relapse", "1 - Kaplan-Meier for relapse, deaths censored (biased)",
         "naive_relapse", int((data["cause"] == 1).sum())),
    ]  # fmt: skip
    out = pd.DataFrame(
        [(k, lab, 100 * value_at(table, col, months), ev) for k, lab, col, ev in rows],
        columns=["key", "label", "estimate", "events"],
    )
    return out.set_index("key")


def _palette():
    from . import plots

    return plots


def plot_cumulative_incidence(cohort: pd.DataFrame, ax=None, *, naive: bool = True):
    """Cumulative incidence of relapse and of non-relapse mortality, and 1 - RFS.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table (patients in CR are used).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: the current axes).
    naive : bool, default True
        Also draw 1 - Kaplan-Meier for relapse with deaths censored.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    plots = _palette()
    ax = plt.gca() if ax is None else ax
    table = competing_risks(cohort)
    curves = [
        ("one_minus_rfs", "1 − relapse-free survival", "all"),
        ("cif_relapse", "relapse (Aalen-Johansen)", "comparison"),
        ("cif_nrm", "death in remission (Aalen-Johansen)", "third"),
    ]
    if naive:
        curves.append(("naive_relapse", "relapse, 1 − Kaplan-Meier (deaths censored)", "fourth"))
    for col, label, role in curves:
        ax.step(table["time"], table[col], where="post", color=plots.PALETTE[role],
                linestyle=plots.LINESTYLES[role], linewidth=1.6, label=label,
                gid=f"cif-{col}")  # fmt: skip
    tmax = float(table["time"].max()) if len(table) else 1.0
    ticks = plots.time_ticks(tmax)
    ax.set_xticks(ticks)
    ax.set_xlim(0, ticks[-1])
    top = max(0.5, float(np.nanmax(table[[c for c, _, _ in curves]].to_numpy())) + 0.05)
    ax.set_ylim(0, min(1.0, top))
    ax.set_xlabel(plots.XLABEL)
    ax.set_ylabel("cumulative incidence")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", frameon=False)
    return ax


# ------------------------------------------------------------------------ transplant


def transplant_periods(cohort: pd.DataFrame, endpoint: str = "os") -> pd.DataFrame:
    """Counting-process data of the patients in CR with transplant as a time-dependent state.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.
    endpoint : {"os", "rfs"}
        Overall or relapse-free survival, both from the start of blinatumomab.

    Returns
    -------
    pandas.DataFrame
        One row per patient and period: ``patient_id``, ``start``, ``stop``,
        ``event`` (at ``stop``) and ``transplanted``.  A patient transplanted in
        first remission at time :math:`h` before the end of follow-up :math:`T`
        has two rows, ``(0, h]`` untransplanted and ``(h, T]`` transplanted;
        everyone else has one row.

    Notes
    -----
    The transplant that counts is the one in first remission (the flag
    ``hsct_first_remission``, as in the paper's Figure 3); a transplant after
    relapse and salvage comes after the RFS event and is not a treatment of the
    first remission.
    """
    if endpoint not in ("os", "rfs"):
        raise ValueError(f"unknown endpoint {endpoint!r}; use 'os' or 'rfs'")
    f = derive.flags(cohort)
    if endpoint == "os":
        data = derive.os_table(cohort)[f["cr"].to_numpy()]
    else:
        data = derive.rfs_table(cohort)
    hs = f.loc[data.index, "hsct_first_remission"].to_numpy()
    h = cohort.loc[data.index, "hsct_months"].to_numpy(dtype=float)
    ids = cohort.loc[data.index, "patient_id"].astype(str).to_numpy()
    rows = []
    for pid, T, e, switch, at in zip(ids, data["time"], data["event"], hs, h):
        if switch and at <= 0:
            rows.append((pid, 0.0, float(T), int(e), True))
        elif switch and at < T:
            rows.append((pid, 0.0, float(at), 0, False))
            rows.append((pid, float(at), float(T), int(e), True))
        else:
            rows.append((pid, 0.0, float(T), int(e), False))
    return pd.DataFrame(rows, columns=["patient_id", "start", "stop", "event", "transplanted"])


def _risk_sets(start, stop, event, group):
    start = np.asarray(start, dtype=float)
    stop = np.asarray(stop, dtype=float)
    event = np.asarray(event, dtype=int)
    group = np.asarray(group, dtype=bool)
    if not (start.shape == stop.shape == event.shape == group.shape) or start.ndim != 1:
        raise ValueError("start, stop, event and group must be 1-d arrays of equal length")
    if (stop < start).any():
        raise ValueError("every period needs start <= stop")
    times = np.unique(stop[event == 1])
    at_risk = (start[:, None] < times[None, :]) & (stop[:, None] >= times[None, :])
    deaths = (stop[:, None] == times[None, :]) & (event[:, None] == 1)
    return times, at_risk, deaths, group


def logrank_time_dependent(start, stop, event, group) -> survival.LogRankResult:
    """Log-rank test with time-dependent group membership (Mantel-Byar).

    Parameters
    ----------
    start, stop : array-like of float
        Periods ``(start, stop]`` during which a subject is at risk in ``group``
        (counting-process format, e.g. :func:`transplant_periods`).
    event : array-like of {0, 1}
        1 if the period ends with the event.
    group : array-like of bool
        Group of the subject during the period.

    Returns
    -------
    analysis.survival.LogRankResult
        Chi-square statistic (1 df), P value, observed and expected events in
        (group False, group True).

    Notes
    -----
    At each event time the risk set holds the periods with
    ``start < t <= stop``; the test is the usual log-rank statistic with the
    hypergeometric variance computed on these risk sets.  A subject moves from
    one group to the other when their period changes, so no one contributes
    time to the transplant group before being transplanted [1]_.  With every
    ``start`` at 0 it is the ordinary log-rank test.

    References
    ----------
    .. [1] Mantel N, Byar DP. J Am Stat Assoc 1974;69:81-6.

    Examples
    --------
    >>> r = logrank_time_dependent([0, 0, 0, 2], [1, 3, 2, 4], [1, 1, 0, 1],
    ...                            [False, False, False, True])
    >>> round(r.p_value, 3)
    0.317
    """
    times, at_risk, deaths, g = _risk_sets(start, stop, event, group)
    if len(times) == 0:
        return survival.LogRankResult(float("nan"), float("nan"), (0.0, 0.0), (0.0, 0.0))
    n = at_risk.sum(axis=0).astype(float)
    d = deaths.sum(axis=0).astype(float)
    n1 = at_risk[g].sum(axis=0).astype(float)
    frac = n1 / n
    exp1 = float((d * frac).sum())
    obs1 = float(deaths[g].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        var = float(np.where(n > 1, d * frac * (1 - frac) * (n - d) / (n - 1), 0.0).sum())
    chi2 = (obs1 - exp1) ** 2 / var if var > 0 else float("nan")
    from scipy import stats as sps

    p = float(sps.chi2.sf(chi2, 1)) if var > 0 else float("nan")
    total = float(d.sum())
    return survival.LogRankResult(float(chi2), p, (total - obs1, obs1), (total - exp1, exp1))


def oe_ratio(result: survival.LogRankResult) -> float:
    """Log-rank hazard-ratio estimate of group True vs group False: (O1/E1) / (O0/E0).

    Returns ``nan`` when an expected count is zero or group False has no events.

    Examples
    --------
    >>> r = survival.LogRankResult(1.0, 0.3, observed=(2.0, 4.0), expected=(4.0, 2.0))
    >>> oe_ratio(r)
    4.0
    """
    (o0, o1), (e0, e1) = result.observed, result.expected
    if e0 <= 0 or e1 <= 0 or o0 <= 0:
        return float("nan")
    return float((o1 / e1) / (o0 / e0))


def simon_makuch(start, stop, event, group) -> pd.DataFrame:
    """Simon-Makuch product-limit curves with time-dependent group membership.

    Parameters
    ----------
    start, stop, event, group
        As for :func:`logrank_time_dependent`.

    Returns
    -------
    pandas.DataFrame
        One row per group and time: ``group`` (bool), ``time``, ``n_at_risk``,
        ``n_event``, ``survival``.  Each curve starts at 1 when its group first
        has someone at risk (time 0 for the untransplanted group, the first
        transplant for the transplanted one); times are those at which an event
        happens or someone enters the group.

    Notes
    -----
    The Kaplan-Meier estimator on the risk sets of
    :func:`logrank_time_dependent`: :math:`S_g(t) = \\prod_{t_j \\le t}
    (1 - d_{gj}/n_{gj})` [1]_.  It describes survival *from a given time on* for
    someone in the group at that time, not the survival of a fixed cohort.

    References
    ----------
    .. [1] Simon R, Makuch RW. Stat Med 1984;3:35-44.
    """
    start = np.asarray(start, dtype=float)
    stop = np.asarray(stop, dtype=float)
    event = np.asarray(event, dtype=int)
    group = np.asarray(group, dtype=bool)
    _risk_sets(start, stop, event, group)  # validation
    frames = []
    for value in (False, True):
        m = group == value
        if not m.any():
            continue
        s, e, st = stop[m], event[m], start[m]
        entry = float(st.min())
        times = np.unique(np.concatenate([s[e == 1], [entry]]))
        times = times[times >= entry]
        n = ((st[:, None] < times[None, :]) & (s[:, None] >= times[None, :])).sum(axis=0)
        d = ((s[:, None] == times[None, :]) & (e[:, None] == 1)).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(n > 0, 1.0 - d / np.maximum(n, 1), 1.0)
        surv = np.cumprod(factor)
        if times[0] == entry:  # the curve starts at 1 on entry
            n[0] = int(((st <= entry) & (s > entry)).sum()) if d[0] == 0 else n[0]
        frames.append(
            pd.DataFrame(
                {"group": value, "time": times, "n_at_risk": n, "n_event": d, "survival": surv}
            )
        )
    cols = ["group", "time", "n_at_risk", "n_event", "survival"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _transplant_labels():
    plots = _palette()
    return plots.SPLIT_LABELS["hsct_first_remission"]


def plot_simon_makuch(cohort: pd.DataFrame, endpoint: str = "os", ax=None, *,
                      pvalue: bool = True, title: str | None = None):  # fmt: skip
    """Simon-Makuch curves of the patients in CR by transplant in first remission.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.
    endpoint : {"os", "rfs"}
        Endpoint (from the start of blinatumomab).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: the current axes).
    pvalue : bool, default True
        Print the Mantel-Byar P on the plot.
    title : str, optional
        Title of the legend (above the plot, as in :func:`analysis.plots.km_plot`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    plots = _palette()
    ax = plt.gca() if ax is None else ax
    periods = transplant_periods(cohort, endpoint)
    curves = simon_makuch(periods["start"], periods["stop"], periods["event"],
                          periods["transplanted"])  # fmt: skip
    labels = _transplant_labels()
    for value, role in ((False, "reference"), (True, "comparison")):
        c = curves[curves["group"] == value]
        ids = periods.loc[periods["transplanted"] == value, "patient_id"].nunique()
        label = f"{labels[int(value)]} (n = {ids})"
        if len(c):
            tmax = float(periods.loc[periods["transplanted"] == value, "stop"].max())
            x = np.append(c["time"].to_numpy(), max(tmax, float(c["time"].max())))
            y = np.append(c["survival"].to_numpy(), float(c["survival"].iloc[-1]))
            ax.step(x, y, where="post", color=plots.PALETTE[role],
                    linestyle=plots.LINESTYLES[role], linewidth=1.6, label=label,
                    gid=f"simon-makuch-{role}", clip_on=False, zorder=3)  # fmt: skip
        else:
            ax.plot([], [], color=plots.PALETTE[role], linestyle=plots.LINESTYLES[role],
                    label=label)  # fmt: skip
    if pvalue and periods["transplanted"].any() and (~periods["transplanted"]).any():
        r = logrank_time_dependent(periods["start"], periods["stop"], periods["event"],
                                   periods["transplanted"])  # fmt: skip
        ax.text(0.02, 0.03, plots.format_p(r.p_value, prefix="Mantel-Byar P"),
                transform=ax.transAxes, fontsize=8, gid="mantel-byar-p")  # fmt: skip
    ticks = plots.time_ticks(float(periods["stop"].max()) if len(periods) else 0.0)
    ax.set_xticks(ticks)
    ax.set_xlim(0, ticks[-1])
    ax.set_ylim(0, 1.0)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["0", "0.25", "0.50", "0.75", "1.00"])
    ax.set_xlabel(plots.XLABEL)
    ax.set_ylabel(plots.YLABELS[endpoint])
    ax.spines[["left", "bottom"]].set_position(("outward", 3))
    ax.tick_params(direction="out", length=3)
    ax.spines[["top", "right"]].set_visible(False)
    leg = ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), frameon=False,
                    borderaxespad=0.0, handlelength=2.6, title=title, alignment="left")  # fmt: skip
    if title:
        leg.get_title().set_fontsize(plt.rcParams["axes.titlesize"])
    return ax


def median_transplant_time(cohort: pd.DataFrame) -> float:
    """Median months from the start of blinatumomab to a transplant in first remission.

    ``nan`` if nobody was transplanted in first remission.
    """
    f = derive.flags(cohort)
    h = cohort.loc[f["hsct_first_remission"].to_numpy(), "hsct_months"].astype(float).dropna()
    return float(h.median()) if len(h) else float("nan")


@dataclass(frozen=True)
class LandmarkResult:
    """A landmark comparison of transplanted and untransplanted patients.

    Attributes
    ----------
    at : float
        Landmark (months from the start of blinatumomab).
    endpoint : str
        ``"os"`` or ``"rfs"``.
    data : pandas.DataFrame
        Patients in CR alive and relapse-free at the landmark: ``time`` (months
        since the landmark), ``event`` and ``transplanted`` (in first remission
        by the landmark), indexed like the cohort.
    excluded : int
        Patients in CR who were not alive, relapse-free and under follow-up at
        the landmark.
    logrank : analysis.survival.LogRankResult or None
        ``None`` when a group is empty.
    """

    at: float
    endpoint: str
    data: pd.DataFrame
    excluded: int
    logrank: survival.LogRankResult | None

    @property
    def p_value(self) -> float:
        """Log-rank P (``nan`` when not computable)."""
        return self.logrank.p_value if self.logrank is not None else float("nan")

    @property
    def n(self) -> tuple[int, int]:
        """Patients (not transplanted, transplanted) at the landmark."""
        g = self.data["transplanted"].to_numpy(dtype=bool)
        return int((~g).sum()), int(g.sum())

    @property
    def events(self) -> tuple[int, int]:
        """Events after the landmark (not transplanted, transplanted)."""
        g = self.data["transplanted"].to_numpy(dtype=bool)
        e = self.data["event"].to_numpy(dtype=int)
        return int(e[~g].sum()), int(e[g].sum())


def landmark(cohort: pd.DataFrame, at: float = 3.0, endpoint: str = "os") -> LandmarkResult:
    """Landmark analysis of transplant in first remission among patients in CR.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.
    at : float, default 3.0
        Landmark, months from the start of blinatumomab.
    endpoint : {"os", "rfs"}
        Endpoint, timed from the landmark.

    Returns
    -------
    LandmarkResult

    Notes
    -----
    Only patients in CR who are alive, relapse-free and still followed at the
    landmark (RFS time > ``at``) are compared; they are grouped by whether they
    had been transplanted in first remission *by* the landmark, and a transplant
    after it does not change the group (intention-to-treat at the landmark).
    Time is counted from the landmark, so neither group holds immortal time [1]_.

    References
    ----------
    .. [1] Anderson JR, Cain KC, Gelber RD. J Clin Oncol 1983;1:710-9.
    """
    if endpoint not in ("os", "rfs"):
        raise ValueError(f"unknown endpoint {endpoint!r}; use 'os' or 'rfs'")
    f = derive.flags(cohort)
    rfs = derive.rfs_table(cohort)
    eligible_idx = rfs.index[rfs["time"].to_numpy() > at]
    data = derive.os_table(cohort) if endpoint == "os" else rfs
    data = data.loc[eligible_idx]
    h = cohort.loc[eligible_idx, "hsct_months"].to_numpy(dtype=float)
    by_landmark = np.nan_to_num(h, nan=np.inf) <= at
    hs = f.loc[eligible_idx, "hsct_first_remission"].to_numpy() & by_landmark
    out = pd.DataFrame(
        {"time": data["time"].to_numpy() - at, "event": data["event"].to_numpy(dtype=int),
         "transplanted": hs},
        index=eligible_idx,
    )  # fmt: skip
    result = None
    if hs.any() and (~hs).any():
        result = survival.logrank(out["time"], out["event"], out["transplanted"])
    return LandmarkResult(float(at), endpoint, out, int(len(rfs) - len(out)), result)


def plot_landmark(result: LandmarkResult, ax=None, *, title: str | None = None):
    """Kaplan-Meier curves from the landmark by transplant status.

    Parameters
    ----------
    result : LandmarkResult
        Output of :func:`landmark`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: the current axes).
    title : str, optional
        Title of the legend (see :func:`analysis.plots.km_plot`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    plots = _palette()
    labels = _transplant_labels()
    ax = plots.km_plot(
        result.data.rename(columns={"transplanted": "transplanted_by_landmark"}),
        "transplanted_by_landmark", ax=ax, labels=(f"{labels[0]} by the landmark",
                                                   f"{labels[1]} by the landmark"),
        xlabel=f"months since the landmark ({result.at:g} months)",
        ylabel=plots.YLABELS[result.endpoint], title=title,
    )  # fmt: skip
    return ax


def immortal_time(cohort: pd.DataFrame) -> float:
    """Person-months between the start of blinatumomab and transplant in the naive comparison.

    In the comparison of the paper's Figure 3 the patients transplanted in first
    remission belong to the transplant group from time 0, although they had to
    survive (and stay in remission) until their transplant to be in it.  This is
    the sum of those waiting times, the *immortal time* credited to the
    transplant group.
    """
    f = derive.flags(cohort)
    h = cohort.loc[f["hsct_first_remission"].to_numpy(), "hsct_months"].astype(float)
    return float(h.sum())


def transplant_comparison(cohort: pd.DataFrame, landmarks: Iterable[float] | None = None):
    """The naive, landmark and Mantel-Byar comparisons of transplant, for OS and RFS.

    Parameters
    ----------
    cohort : pandas.DataFrame
        Cohort table.
    landmarks : iterable of float, optional
        Landmarks in months; default the median transplant time (in first
        remission) and 3 months.

    Returns
    -------
    pandas.DataFrame
        One row per analysis and endpoint: ``analysis``, ``endpoint``,
        ``landmark`` (months, ``nan`` if none), ``n_none``, ``n_transplant``
        (patients in each group; in the Mantel-Byar rows patients contribute to
        both), ``events_none``, ``events_transplant``, ``expected_transplant``,
        ``oe_ratio`` (:func:`oe_ratio`) and ``p_value`` (log-rank).
    """
    if landmarks is None:
        landmarks = [median_transplant_time(cohort), 3.0]
    landmarks = [x for x in dict.fromkeys(round(float(x), 6) for x in landmarks)
                 if np.isfinite(x)]  # fmt: skip
    f = derive.flags(cohort)
    rows = []
    for endpoint in ("os", "rfs"):
        # the paper's Figure 3: groups fixed at baseline
        data = derive.os_table(cohort) if endpoint == "os" else derive.rfs_table(cohort)
        data = data[f.loc[data.index, "cr"].to_numpy()]
        g = f.loc[data.index, "hsct_first_remission"].to_numpy()
        r = survival.logrank(data["time"], data["event"], g) if g.any() and (~g).any() else None
        naive = _comparison_row("naive (Figure 3)", endpoint, float("nan"), g, data["event"], r)
        rows.append(naive)
        for at in landmarks:
            lm = landmark(cohort, at, endpoint)
            rows.append(_comparison_row("landmark", endpoint, at,
                                        lm.data["transplanted"].to_numpy(dtype=bool),
                                        lm.data["event"], lm.logrank))  # fmt: skip
        periods = transplant_periods(cohort, endpoint)
        tp = periods["transplanted"].to_numpy(dtype=bool)
        r = None
        if tp.any() and (~tp).any():
            r = logrank_time_dependent(periods["start"], periods["stop"], periods["event"], tp)
        row = _comparison_row("Mantel-Byar", endpoint, float("nan"), tp, periods["event"], r)
        row["n_none"] = int(periods.loc[~tp, "patient_id"].nunique())
        row["n_transplant"] = int(periods.loc[tp, "patient_id"].nunique())
        rows.append(row)
    return pd.DataFrame(rows)


def _comparison_row(analysis, endpoint, at, group, event, result) -> dict:
    g = np.asarray(group, dtype=bool)
    e = np.asarray(event, dtype=int)
    return {
        "analysis": analysis,
        "endpoint": endpoint,
        "landmark": at,
        "n_none": int((~g).sum()),
        "n_transplant": int(g.sum()),
        "events_none": int(e[~g].sum()),
        "events_transplant": int(e[g].sum()),
        "expected_transplant": result.expected[1] if result is not None else float("nan"),
        "oe_ratio": oe_ratio(result) if result is not None else float("nan"),
        "p_value": result.p_value if result is not None else float("nan"),
    }


# ------------------------------------------------------------------------ robustness


@dataclass(frozen=True)
class Quantity:
    """A quantity compared across reconstructions.

    Attributes
    ----------
    key : str
        Identifier.
    family : str
        Group of quantities shown together.
    label : str
        What it is.
    kind : {"p", "percent", "months", "ratio"}
        How to read and summarise it (a P value is also counted as significant
        or not).
    fn : callable
        ``fn(cohort, ae) -> float``.
    ledger_id : str or None
        The ledger entry that pins the quantity, if the paper prints it.
    """

    key: str
    family: str
    label: str
    kind: str
    fn: Callable[[pd.DataFrame, pd.DataFrame], float]
    ledger_id: str | None = None

    @property
    def pinned(self) -> bool:
        """Whether the paper prints the quantity (so every reconstruction reproduces it)."""
        return self.ledger_id is not None


def _metric(name, **args):
    return lambda cohort, ae: metrics.compute(name, cohort, ae, args)


def _oe(endpoint, by):
    def fn(cohort, ae):
        data, f = metrics._endpoint(cohort, endpoint, None)
        g = f[by].to_numpy()
        if g.all() or not g.any():
            return float("nan")
        return oe_ratio(survival.logrank(data["time"], data["event"], g))

    return fn


def _transplant(analysis, endpoint, at=None):
    def fn(cohort, ae):
        if analysis == "landmark":
            return landmark(cohort, at, endpoint).p_value
        t = transplant_comparison(cohort, landmarks=[])
        row = t[(t["analysis"] == analysis) & (t["endpoint"] == endpoint)]
        return float(row["p_value"].iloc[0])

    return fn


def _followup(key):
    return lambda cohort, ae: float(followup_summary(cohort).loc[key, "months"])


def _cif(key, months=12.0):
    return lambda cohort, ae: float(competing_risks_summary(cohort, months).loc[key, "estimate"])


_T3 = (("male", "sex"), ("age_le18", "age ≤ 18 years"), ("high_blasts", "marrow blasts ≥ 50%"),
       ("ph_positive", "Ph status"), ("dx_ge12", "≥ 12 months from diagnosis"),
       ("emd", "extramedullary disease"))  # fmt: skip

#: The quantities :func:`robustness` compares; ``ledger_id`` marks the ones the paper pins.
QUANTITIES: tuple[Quantity, ...] = (
    # pinned by the paper (a check that every reconstruction reproduces them)
    Quantity("os_1y", "printed by the paper", "1-year OS, %", "percent",
             _metric("km_at", endpoint="os", months=12), "os_1y"),
    Quantity("rfs_1y", "printed by the paper", "1-year RFS (patients in CR), %", "percent",
             _metric("km_at", endpoint="rfs", months=12), "rfs_1y"),
    Quantity("os_ph_p", "printed by the paper", "log-rank P, OS by Ph status", "p",
             _metric("logrank_p", endpoint="os", by="ph_positive"), "os_ph_p"),
    Quantity("os_blasts_p", "printed by the paper", "log-rank P, OS by marrow blasts", "p",
             _metric("logrank_p", endpoint="os", by="high_blasts"), "os_blasts_p"),
    Quantity("os_mrd_p", "printed by the paper", "log-rank P, OS by MRD response", "p",
             _metric("logrank_p", endpoint="os", by="mrd_response"), "os_mrd_p"),
    Quantity("followup_median", "printed by the paper", "median follow-up (observed times), months",
             "months", _followup("observed"), "followup_median"),
    Quantity("fisher_prior_hsct", "printed by the paper",
             "Fisher P, CR by previous transplant (overt disease)", "p",
             _metric("fisher_p", outcome="cr", by="prior_allo_hsct", among="overt"),
             "fisher_cr_prior_hsct"),
    # survival by subgroup
    Quantity("os_1y_ph_pos", "survival by subgroup", "1-year OS, Ph-positive, %", "percent",
             _metric("km_at", endpoint="os", months=12, among="ph_positive")),
    Quantity("os_1y_ph_neg", "survival by subgroup", "1-year OS, Ph-negative, %", "percent",
             _metric("km_at", endpoint="os", months=12, among="ph_negative")),
    Quantity("os_1y_mrd_resp", "survival by subgroup", "1-year OS, MRD responders, %", "percent",
             _metric("km_at", endpoint="os", months=12, among="mrd_response")),
    Quantity("os_1y_mrd_non", "survival by subgroup", "1-year OS, MRD non-responders, %",
             "percent", _metric("km_at", endpoint="os", months=12, among="mrd_nonresponse")),
    Quantity("os_oe_ph", "survival by subgroup", "OS hazard ratio (O/E), Ph+ vs Ph−", "ratio",
             _oe("os", "ph_positive")),
    Quantity("os_oe_blasts", "survival by subgroup", "OS hazard ratio (O/E), ≥ 50% vs < 50% blasts",
             "ratio", _oe("os", "high_blasts")),
    Quantity("os_oe_mrd", "survival by subgroup", "OS hazard ratio (O/E), responders vs not",
             "ratio", _oe("os", "mrd_response")),
    Quantity("rfs_ph_p", "survival by subgroup", "log-rank P, RFS by Ph status", "p",
             _metric("logrank_p", endpoint="rfs", by="ph_positive")),
    Quantity("rfs_blasts_p", "survival by subgroup", "log-rank P, RFS by marrow blasts", "p",
             _metric("logrank_p", endpoint="rfs", by="high_blasts")),
    Quantity("rfs_mrd_p", "survival by subgroup", "log-rank P, RFS by MRD response", "p",
             _metric("logrank_p", endpoint="rfs", by="mrd_response")),
    Quantity("os_median_mrd_non", "survival by subgroup", "median OS, MRD non-responders, months",
             "months", _metric("median_survival", endpoint="os", among="mrd_nonresponse")),
    Quantity("rfs_median_mrd_non", "survival by subgroup",
             "median RFS, MRD non-responders in CR, months", "months",
             _metric("median_survival", endpoint="rfs", among="mrd_nonresponse")),
    Quantity("rfs_median_ph_pos", "survival by subgroup", "median RFS, Ph-positive in CR, months",
             "months", _metric("median_survival", endpoint="rfs", among="ph_positive")),
    Quantity("rfs_median_high_blasts", "survival by subgroup",
             "median RFS, ≥ 50% blasts in CR, months", "months",
             _metric("median_survival", endpoint="rfs", among="high_blasts")),
    # Table 3
    *(Quantity(f"t3_cr_{flag}", "Table 3", f"Fisher P, CR by {label} (overt disease)", "p",
               _metric("fisher_p", outcome="cr", by=flag, among="overt")) for flag, label in _T3),
    *(Quantity(f"t3_mrd_{flag}", "Table 3", f"Fisher P, MRD response by {label}", "p",
               _metric("fisher_p", outcome="mrd_response", by=flag)) for flag, label in _T3),
    # transplant
    Quantity("naive_os_p", "transplant", "naive log-rank P, OS (Figure 3a)", "p",
             _transplant("naive (Figure 3)", "os")),
    Quantity("naive_rfs_p", "transplant", "naive log-rank P, RFS (Figure 3b)", "p",
             _transplant("naive (Figure 3)", "rfs")),
    Quantity("landmark_os_p", "transplant", "landmark (3 months) log-rank P, OS", "p",
             _transplant("landmark", "os", 3.0)),
    Quantity("landmark_rfs_p", "transplant", "landmark (3 months) log-rank P, RFS", "p",
             _transplant("landmark", "rfs", 3.0)),
    Quantity("mantel_byar_os_p", "transplant", "Mantel-Byar P, OS", "p",
             _transplant("Mantel-Byar", "os")),
    Quantity("mantel_byar_rfs_p", "transplant", "Mantel-Byar P, RFS", "p",
             _transplant("Mantel-Byar", "rfs")),
    Quantity("immortal_time", "transplant", "immortal time in the naive comparison, person-months",
             "months", lambda cohort, ae: immortal_time(cohort)),
    Quantity("median_transplant", "transplant", "median time to transplant in first remission, "
             "months", "months", lambda cohort, ae: median_transplant_time(cohort)),
    # follow-up and competing risks
    Quantity("reverse_km_followup", "follow-up and competing risks",
             "reverse Kaplan-Meier median follow-up, months", "months", _followup("reverse_km")),
    Quantity("cif_relapse_12", "follow-up and competing risks",
             "1-year cumulative incidence of relapse, %", "percent", _cif("relapse")),
    Quantity("cif_nrm_12", "follow-up and competing risks",
             "1-year cumulative incidence of non-relapse mortality, %", "percent", _cif("nrm")),
)  # fmt: skip


def cohort_quantities(cohort: pd.DataFrame, ae: pd.DataFrame,
                      quantities: Sequence[Quantity] = QUANTITIES) -> dict[str, float]:  # fmt: skip
    """Every quantity of ``quantities`` on one cohort (``nan`` where undefined)."""
    out = {}
    with derive.flags_cached(cohort):
        for q in quantities:
            try:
                out[q.key] = float(q.fn(cohort, ae))
            except (KeyError, ValueError, ZeroDivisionError, IndexError):
                out[q.key] = float("nan")
    return out


def _fingerprint(seeds: Sequence[int]) -> str:
    """Hash of the code and targets that determine the reconstructions, and of the seeds."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in ("reconstruct.py", "survival.py", "stats.py", "ledger.py", "metrics.py",
                 "derive.py", "data.py", "published.yml"):  # fmt: skip
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    digest.update(",".join(str(int(s)) for s in seeds).encode())
    return digest.hexdigest()[:16]


def _read_by_seed(path: Path, seeds: Sequence[int], parse) -> list[pd.DataFrame]:
    """Split a cached table with a ``seed`` column into one parsed table per seed."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return [parse(table[table["seed"] == str(s)].drop(columns="seed").reset_index(drop=True))
            for s in seeds]  # fmt: skip


def _round_trip(df: pd.DataFrame, parse) -> pd.DataFrame:
    """The table as it would be read back from the CSV files of ``data/reconstructed/``."""
    from .data import to_csv_text

    return parse(pd.read_csv(io.StringIO(to_csv_text(df)), dtype=str, keep_default_na=False))


def reconstructions(seeds: Sequence[int] = DEFAULT_SEEDS, *, cache_dir: str | Path | None = None,
                    use_cache: bool = True):  # fmt: skip
    """Reconstruct the cohort with each seed (cached on disk).

    Parameters
    ----------
    seeds : sequence of int
        Seeds of :func:`analysis.reconstruct.reconstruct` (about half a second to
        a second and a half each).
    cache_dir : str or Path, optional
        Directory of the cache; default ``_build/sensitivity``.  The cache file
        name holds a hash of the reconstruction code, the ledger and the seeds,
        so a change to any of them recomputes.
    use_cache : bool, default True
        Read and write the cache.

    Returns
    -------
    list of tuple
        ``(seed, cohort, adverse_events)`` for each seed, the tables as
        :func:`analysis.data.load_cohort` would return them.
    """
    from .data import parse_adverse_events, parse_cohort, to_csv_text

    seeds = [int(s) for s in seeds]
    cache_dir = Path(cache_dir) if cache_dir is not None else config.BUILD_DIR / "sensitivity"
    key = _fingerprint(seeds)
    paths = (cache_dir / f"cohorts-{key}.csv", cache_dir / f"adverse-events-{key}.csv")
    parsers = (parse_cohort, parse_adverse_events)
    if use_cache and all(p.is_file() for p in paths):
        cohorts, aes = (_read_by_seed(p, seeds, f) for p, f in zip(paths, parsers))
        return list(zip(seeds, cohorts, aes))
    from .reconstruct import reconstruct

    out = []
    for s in seeds:
        cohort, ae, _ = reconstruct(s, quiet=True)
        out.append((s, _round_trip(cohort, parse_cohort), _round_trip(ae, parse_adverse_events)))
    if use_cache:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for path, j in zip(paths, (1, 2)):
            both = pd.concat([item[j].assign(seed=item[0]) for item in out], ignore_index=True)
            tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
            tmp.write_text(to_csv_text(both), encoding="utf-8")
            tmp.replace(path)  # atomic: a parallel build never reads half a file
    return out


def robustness(seeds: Sequence[int] = DEFAULT_SEEDS, *, reference=None,
               quantities: Sequence[Quantity] = QUANTITIES, cache_dir=None,
               use_cache: bool = True) -> pd.DataFrame:  # fmt: skip
    """Every quantity on every reconstruction, in long format.

    Parameters
    ----------
    seeds : sequence of int
        Seeds of the reconstructions (see :func:`reconstructions`).
    reference : tuple of DataFrame, optional
        ``(cohort, ae)`` of the cohort the book analyses, added as ``seed`` -1.
    quantities : sequence of Quantity
        What to compute (default :data:`QUANTITIES`).
    cache_dir, use_cache
        Passed to :func:`reconstructions`.

    Returns
    -------
    pandas.DataFrame
        Columns ``seed``, ``key``, ``value``.
    """
    rows = []
    items = reconstructions(seeds, cache_dir=cache_dir, use_cache=use_cache)
    if reference is not None:
        items = [(-1, *reference), *items]
    for seed, cohort, ae in items:
        for key, value in cohort_quantities(cohort, ae, quantities).items():
            rows.append((seed, key, value))
    return pd.DataFrame(rows, columns=["seed", "key", "value"])


def summarise_robustness(values: pd.DataFrame, quantities: Sequence[Quantity] = QUANTITIES,
                         alpha: float = 0.05) -> pd.DataFrame:  # fmt: skip
    """Range of each quantity across reconstructions.

    Parameters
    ----------
    values : pandas.DataFrame
        Output of :func:`robustness` (``seed`` -1 is the book's cohort and is not
        counted among the reconstructions).
    quantities : sequence of Quantity
        Their descriptions.
    alpha : float, default 0.05
        Significance level for the P values.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key``: ``family``, ``label``, ``kind``, ``pinned``,
        ``printed`` (the paper's value, if pinned), ``this_cohort`` (``nan``
        without a reference), ``min``, ``median``, ``max`` (over the defined
        values), ``n`` (reconstructions), ``n_undefined`` (``nan``: a median not
        reached, a group without patients), ``n_significant`` (P < ``alpha``;
        P values only) and ``spread`` (max - min).
    """
    from .ledger import load_ledger

    printed = load_ledger().set_index("id")["printed"]
    recon = values[values["seed"] >= 0]
    ref = values[values["seed"] < 0].set_index("key")["value"]
    rows = []
    for q in quantities:
        v = recon.loc[recon["key"] == q.key, "value"].to_numpy(dtype=float)
        ok = v[np.isfinite(v)]
        rows.append(
            {
                "key": q.key,
                "family": q.family,
                "label": q.label,
                "kind": q.kind,
                "pinned": q.pinned,
                "printed": printed.get(q.ledger_id, "") if q.pinned else "",
                "this_cohort": float(ref.get(q.key, np.nan)),
                "min": float(ok.min()) if len(ok) else float("nan"),
                "median": float(np.median(ok)) if len(ok) else float("nan"),
                "max": float(ok.max()) if len(ok) else float("nan"),
                "n": int(len(v)),
                "n_undefined": int((~np.isfinite(v)).sum()),
                "n_significant": int((ok < alpha).sum()) if q.kind == "p" else -1,
            }
        )
    out = pd.DataFrame(rows).set_index("key")
    out["spread"] = out["max"] - out["min"]
    return out
