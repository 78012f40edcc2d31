"""What no library does: can printed numbers arise from some data at all?  GRIM (Brown and
Heathers, Soc Psychol Personal Sci 2017;8:363-9), Kaplan-Meier feasibility, and a batched
log-rank screen for the reconstruction search (equal to lifelines' ``logrank_test``, tested)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from scipy import stats

from .. import config
from ..format import round_half_up


def decimals_of(printed: str) -> int:
    """Decimal places of a printed number (``"64.2"`` -> 1)."""
    return len(printed.split(".")[1]) if "." in printed else 0


def prints_as(value: float, printed: str) -> bool:
    """Whether ``value`` rounds (half up) to ``printed`` at its printed precision."""
    return round_half_up(value, decimals_of(printed)) == Decimal(printed)


def prints_as_each(values: np.ndarray, printed: str) -> np.ndarray:
    """:func:`prints_as` for an array."""
    scale = 10.0 ** decimals_of(printed)
    with np.errstate(invalid="ignore"):
        rounded = np.floor(np.round(values * scale, 9) + 0.5)
    return np.isfinite(values) & (rounded == round(float(printed) * scale))


def grim(printed: str, n: int) -> list[int]:
    """Counts ``k`` of ``n`` whose percentage prints as ``printed``:

    >>> grim("62.5", 16), grim("36.8", 15)
    ([10], [])
    """
    return [k for k in range(int(n) + 1) if prints_as(100 * k / n, printed)]


@dataclass(frozen=True)
class KMFeasibility:
    """Orders of events (D) and censorings (C) whose estimate and Greenwood SE print as given
    and leave the median unreachable (``orders``); how many whatever the median, and if ``±``
    were 1.96 SE (``orders_any_median``, ``orders_half_width``)."""

    orders: tuple[str, ...]
    orders_any_median: int
    orders_half_width: int

    @property
    def feasible(self) -> bool:
        return len(self.orders) > 0


def _km_orders(n, events, estimate, se, z):
    """Orders (D/C strings up to the last event) reproducing ``estimate`` and ``z * SE``,
    each with whether the median can stay unreached."""
    found = []
    # breadth-first over prefixes: code (1 = event), product-limit value, Greenwood sum
    codes, s, g, d = np.zeros(1, np.int64), np.ones(1), np.zeros(1), np.zeros(1, int)
    for j in range(n + 1):
        if j > 0:
            at_risk = n - (j - 1)
            term = 1.0 / (at_risk * (at_risk - 1)) if at_risk > 1 else np.inf
            codes = np.concatenate([codes * 2 + 1, codes * 2])
            s = np.concatenate([s * (at_risk - 1) / at_risk, s])
            g = np.concatenate([g + term, g])
            d = np.concatenate([d + 1, d])
            keep = d <= events
            codes, s, g, d = codes[keep], s[keep], g[keep], d[keep]
        # each order once, up to its last event: later censorings change nothing
        last_is_event = (codes & 1) == 1 if j else np.ones(len(codes), bool)
        with np.errstate(invalid="ignore"):
            se_here = np.where(s > 0, z * s * np.sqrt(g), 0.0)
        hit = last_is_event & prints_as_each(100 * s, estimate) & prints_as_each(100 * se_here, se)
        for code, sj, dj in zip(codes[hit], s[hit], d[hit]):
            order = format(int(code), f"0{j}b").replace("1", "D").replace("0", "C") if j else ""
            # the remaining events as early as possible with the most at risk: the best case
            # for the curve to stay above one half
            remaining, left = events - int(dj), n - j
            best = sj * (left - remaining) / left if left > 0 else sj
            found.append((order, remaining <= left and best > 0.5))
    return found


def km_feasibility(n: int, events: int, estimate: str, se: str) -> KMFeasibility:
    """Can a Kaplan-Meier estimate of ``n`` patients with ``events`` events print as given?
    Every order of at most ``events`` events is enumerated (ties as consecutive events).

    >>> km_feasibility(19, 7, "64.2", "12.1").orders
    ('DDDCCDDCCCD', 'DDCDDCDCCCD', 'CDDDDDCCCCD')
    """
    orders = _km_orders(n, events, estimate, se, 1.0)
    half = _km_orders(n, events, estimate, se, float(stats.norm.ppf(1 - config.ALPHA / 2)))
    return KMFeasibility(tuple(o for o, ok in orders if ok), len(orders), len(half))


def logrank_screen(time, event, groups) -> np.ndarray:
    """Log-rank P values (``nan`` where a group is empty) of each row of ``groups`` (bool,
    shape (k, n)), a labelling of the patients with ``time`` and ``event``."""
    t, e = np.asarray(time, float), np.asarray(event, int)
    g = np.atleast_2d(np.asarray(groups, dtype=bool))
    order = np.argsort(t, kind="stable")
    ts, es = t[order], e[order]
    event_pos = np.flatnonzero(es == 1)
    if len(event_pos) == 0:
        return np.full(g.shape[0], np.nan)
    te = ts[event_pos]
    event_start = np.flatnonzero(np.r_[True, te[1:] != te[:-1]])
    pos = np.searchsorted(ts, te[event_start], side="left")
    n = (len(ts) - pos).astype(float)
    d = np.diff(np.r_[event_start, len(te)]).astype(float)
    gs = g[:, order].astype(np.int64)
    n1 = np.ascontiguousarray(np.cumsum(gs[:, ::-1], axis=1)[:, ::-1][:, pos], dtype=float)
    d1 = np.ascontiguousarray(np.add.reduceat(gs[:, event_pos], event_start, axis=1), float)
    frac = n1 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, d * frac * (1 - frac) * (n - d) / (n - 1), 0.0).sum(axis=1)
        chi2 = (d1.sum(axis=1) - (d * frac).sum(axis=1)) ** 2 / var
    return np.where(var > 0, stats.chi2.sf(chi2, 1), np.nan)
