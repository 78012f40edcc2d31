"""Layer 0: how every number in the book is written, with one rounding rule.

Prose (glued strings), tables and figure text all format numbers here, rounding half up on
the decimal value as written (6.25 -> 6.3, 0.0235 -> 0.024), not half to even on the binary
value as a ``{glue:text}`` format spec would: chapters glue these functions' strings.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

#: Written for a value that does not apply or cannot be computed.
DASH = "—"


def round_half_up(x: float, decimals: int) -> Decimal:
    """``x`` rounded half up to ``decimals`` places, as a :class:`~decimal.Decimal`; the value
    of ``repr(x)`` is rounded, so 0.0285 (stored as 0.02849999...) rounds to 0.029 as it prints.

    >>> str(round_half_up(6.25, 1)), str(round_half_up(0.0235, 3))
    ('6.3', '0.024')
    """
    q = Decimal(1).scaleb(-int(decimals))
    return Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP)


def is_missing(x) -> bool:
    """``None``, ``pandas.NA`` or a NaN (anything that cannot be read as a number counts too)."""
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def number(x, decimals: int | None = 1) -> str:
    """``x`` rounded half up; :data:`DASH` if missing; ``decimals=None``: whole numbers bare,
    others with one decimal.

    >>> number(63.15789), number(0.0285, 3), number(12.0, None), number(float("nan"))
    ('63.2', '0.029', '12', '—')
    """
    if is_missing(x):
        return DASH
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if decimals is None:
        decimals = 0 if x.is_integer() else 1
    return f"{round_half_up(x, decimals):f}"


def percent(k, n, decimals: int = 1) -> str:
    """``100 k / n`` with a percent sign; :data:`DASH` when ``n`` is 0: ``percent(10, 16)`` is
    "62.5%"."""
    return DASH if int(n) == 0 else f"{number(100.0 * int(k) / int(n), decimals)}%"


def n_pct(k, n, decimals: int = 1) -> str:
    """``k (p%)``: ``n_pct(12, 19)`` is "12 (63.2%)", ``n_pct(0, 0)`` "0 (—)"."""
    return f"{int(k)} ({percent(k, n, decimals)})"


def k_of_n(k, n, decimals: int = 1) -> str:
    """``k/n (p%)``: ``k_of_n(12, 15)`` is "12/15 (80.0%)"."""
    return f"{int(k)}/{int(n)} ({percent(k, n, decimals)})"


def ci(lower, upper, decimals: int = 1, sep: str = "–") -> str:
    """An interval, :data:`DASH` if a limit is missing: ``ci(51.91, 95.67)`` is "51.9–95.7"."""
    if is_missing(lower) or is_missing(upper):
        return DASH
    return f"{number(lower, decimals)}{sep}{number(upper, decimals)}"


def p_value(p, decimals: int = 3) -> str:
    """A P value with ``decimals`` places, ``< 0.001`` below that, :data:`DASH` if undefined:

    >>> p_value(0.02864), p_value(0.0235), p_value(0.0002), p_value(float("nan"))
    ('0.029', '0.024', '< 0.001', '—')
    """
    if is_missing(p):
        return DASH
    floor = 10.0**-decimals
    return f"< {number(floor, decimals)}" if float(p) < floor else number(p, decimals)


def median_range(median, low, high, decimals: int | None = None, unit: str = "") -> str:
    """``median (low–high)``, a unit after the median; :data:`DASH` if none:
    ``median_range(26, 7, 78, unit="days")`` is "26 days (7–78)"."""
    if is_missing(median):
        return DASH
    u = f" {unit}" if unit else ""
    return f"{number(median, decimals)}{u} ({ci(low, high, decimals)})"


def estimate_se(estimate, se, decimals: int = 1) -> str:
    """A Kaplan-Meier estimate ± SE, in percent: ``estimate_se(64.2, 12.08)`` is "64.2% ± 12.1%"."""
    if is_missing(estimate):
        return DASH
    return f"{number(estimate, decimals)}% ± {number(se, decimals)}%"


def ratio_ci(ratio, lower, upper, decimals: int = 2) -> str:
    """A ratio with its CI: ``ratio_ci(0.2845, 0.0256, 3.166)`` is "0.28 (0.03–3.17)"."""
    if is_missing(ratio):
        return DASH
    return f"{number(ratio, decimals)} ({ci(lower, upper, decimals)})"


def months(x, decimals: int = 1, *, missing: str = "not reached") -> str:
    """A time in months, ``missing`` if undefined: ``months(16.24)`` is "16.2 months"."""
    return missing if is_missing(x) else f"{number(x, decimals)} months"


def count_phrase(n: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: "1 patient", "0 patients", "2 CRs"."""
    n = int(n)
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
