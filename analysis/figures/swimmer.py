"""Swimmer plot: one bar per patient from the start of blinatumomab to death or last contact.

Draws :func:`analysis.results.journeys.swimmer_rows` and computes nothing: bars coloured and
hatched by response group, dark bands for the 28-day infusions, a marker per event.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import config
from .. import format as fmt
from ..display import save_source_data
from ..results.journeys import RESPONSE_GROUPS
from ..results.km import time_ticks
from .theme import PALETTE, WIDTH, XLABEL

__all__ = ["GROUP_STYLE", "MARKERS", "swimmer_plot", "swimmer_figure"]

#: Bar colour (role of the theme's palette) and hatch per response group (greyscale-safe).
GROUP_STYLE: dict[str, dict[str, str]] = {
    RESPONSE_GROUPS[0]: {"color": PALETTE["reference"], "hatch": ""},
    RESPONSE_GROUPS[1]: {"color": PALETTE["fourth"], "hatch": "...."},
    RESPONSE_GROUPS[2]: {"color": PALETTE["comparison"], "hatch": "////"},
}
#: Marker, face and edge colour, size and legend text of each event; shapes differ in grey.
MARKERS: dict[str, tuple[str, str, str, float, str]] = {
    "cr": ("o", "white", "black", 6.5, "CR, MRD-positive (≈ end of cycle 1)"),
    "cr_mrd_negative": ("o", "black", "white", 7, "CR, MRD-negative (≈ end of cycle 1)"),
    "hsct": ("*", "black", "black", 10, "allo-HSCT"),
    "car_t": ("D", "white", "black", 6, "CAR-T"),
    "relapse": ("s", "black", "white", 6.5, "relapse"),
    "death": ("X", "black", "white", 8.5, "died"),
    "censored": (">", "white", "black", 6.5, "alive at last follow-up"),
}
_INFUSION = PALETTE["all"]
_END = ("death", "censored")  # drawn above the other markers


def swimmer_plot(rows: pd.DataFrame, ax=None, *, legend: bool = True, max_labels: int = 40):
    """Draw swimmer rows on ``ax`` (default: the current axes); returns ``ax``.

    ``ax.containers`` holds one bar container with one bar per patient, top row first.
    Beyond ``max_labels`` patients the identifiers are left out and the marks shrink.
    """
    ax = plt.gca() if ax is None else ax
    bars = rows[rows["element"] == "follow-up"].sort_values("row")
    n = len(bars)
    scale = min(1.0, float(np.sqrt(max_labels / n))) if n else 1.0
    style = [GROUP_STYLE[g] for g in bars["group"]]
    drawn = ax.barh(bars["row"], bars["end_months"], height=0.62, alpha=0.45, zorder=1,
                    color=[s["color"] for s in style], label="_patients")  # fmt: skip
    for patch, s in zip(drawn.patches, style):
        patch.set(hatch=s["hatch"], edgecolor=s["color"], linewidth=0)
    cycles = rows[rows["element"] == "infusion"]
    ax.hlines(cycles["row"], cycles["start_months"], cycles["end_months"], colors=_INFUSION,
              alpha=0.8, linewidth=max(2.2 * scale, 0.5), zorder=2)  # fmt: skip
    for key, (marker, face, edge, size, _) in MARKERS.items():
        ev = rows[rows["element"] == key]
        ax.plot(ev["start_months"], ev["row"], ls="none", marker=marker, mfc=face, mec=edge,
                mew=0.9 * scale, ms=max(size * scale, 2.0), zorder=3 + (key in _END))  # fmt: skip
    tmax = float(bars["end_months"].max()) if n else 1.0
    ticks = time_ticks(tmax, max_ticks=8)
    ax.set_xticks(ticks, [fmt.number(t, None) for t in ticks])
    ax.set_xlim(0, max(ticks[-1], tmax) * 1.02)
    ax.set_ylim(n - 0.4, -0.6)
    if n <= max_labels:
        ax.set_yticks(bars["row"], bars["patient_id"].astype(str))
        ax.tick_params(axis="y", length=0, labelsize=7 if n > 25 else 8)
    else:
        ax.set_yticks([])
    ax.set(ylabel="patients (by response group, then follow-up)", xlabel=XLABEL)
    ax.grid(axis="x", color="0.88", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    if legend:
        counts = bars.groupby("group", sort=False)["group_n"].first()
        handles = [Patch(facecolor=GROUP_STYLE[g]["color"], alpha=0.45, linewidth=0,
                         hatch=GROUP_STYLE[g]["hatch"], edgecolor=GROUP_STYLE[g]["color"],
                         label=f"{g} (n = {counts[g]})")
                   for g in RESPONSE_GROUPS if g in counts]  # fmt: skip
        infusion = f"blinatumomab infusion ({config.INFUSION_DAYS} days)"
        handles.append(Line2D([], [], color=_INFUSION, alpha=0.8, lw=2.2, label=infusion))
        handles += [Line2D([], [], ls="none", marker=m, mfc=f, mec="black", mew=0.9, ms=s,
                           label=text) for m, f, _, s, text in MARKERS.values()]  # fmt: skip
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3,
                  frameon=False, fontsize=7.5, handlelength=1.8, columnspacing=1.2)  # fmt: skip
    return ax


def swimmer_figure(rows: pd.DataFrame, *, name: str | None = None, height: float = 6.0):
    """The swimmer plot, :data:`~analysis.figures.theme.WIDTH` wide; saves ``rows`` as the
    source data of figure ``name``.  Returns the figure."""
    fig, ax = plt.subplots(figsize=(WIDTH, height))
    swimmer_plot(rows, ax)
    if name:
        save_source_data(name, rows)
    return fig
